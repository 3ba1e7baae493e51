//! What a host hands an endpoint: the method, the raw query string, the raw form body, the
//! `Authorization` header, and the end-user session it has authenticated, if any.

use time::OffsetDateTime;

pub use crate::admin::Method;

/// An end-user session the host has authenticated (the library never renders a login page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The host's session id, so logout can tell the host which session to end.
    pub id: String,
    /// The signed-in user's id (`00u…`).
    pub user_id: String,
    /// When the user authenticated.
    pub auth_time: OffsetDateTime,
    /// How the user authenticated (RFC 8176 values, e.g. `["pwd"]`).
    pub amr: Vec<String>,
}

/// A request to one of the OAuth endpoints.
#[derive(Debug, Clone, Copy)]
pub struct EndpointRequest<'a> {
    /// The HTTP method.
    pub method: Method,
    /// The query string, without `?` (empty when there is none).
    pub query: &'a str,
    /// The `application/x-www-form-urlencoded` body, for `POST`.
    pub form: Option<&'a str>,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The end-user session the host has for this browser, if any.
    pub session: Option<&'a Session>,
}

impl<'a> EndpointRequest<'a> {
    /// A `GET` with `query`.
    pub fn get(query: &'a str) -> Self {
        Self {
            method: Method::Get,
            query,
            form: None,
            authorization: None,
            session: None,
        }
    }

    /// A `POST` of `form`.
    pub fn post(form: &'a str) -> Self {
        Self {
            method: Method::Post,
            query: "",
            form: Some(form),
            authorization: None,
            session: None,
        }
    }

    /// The same request with an `Authorization` header.
    pub fn with_authorization(mut self, authorization: &'a str) -> Self {
        self.authorization = Some(authorization);
        self
    }

    /// The same request with an end-user session.
    pub fn with_session(mut self, session: &'a Session) -> Self {
        self.session = Some(session);
        self
    }
}

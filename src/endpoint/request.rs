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
    /// Whether `session` was established by an authentication the host performed in answer to
    /// this very authorization request's [`NeedsLogin`](crate::AuthorizeOutcome::NeedsLogin)
    /// (or a `sessionToken` redeemed with it): it then satisfies `prompt=login` and `max_age`
    /// (OpenID Connect Core §3.1.2.1). Set it only with that proof, never for a session that
    /// merely exists; see [`with_fresh_session`](Self::with_fresh_session).
    pub fresh_session: bool,
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
            fresh_session: false,
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
            fresh_session: false,
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
        self.fresh_session = false;
        self
    }

    /// The same request with a session the host has just established by authenticating the user
    /// in answer to this request's [`NeedsLogin`](crate::AuthorizeOutcome::NeedsLogin) (the
    /// user entered their credentials, or redeemed a `sessionToken` with the request). Such a
    /// session satisfies `prompt=login` and `max_age` whatever its age, so the resumed request
    /// is not sent back to the sign-in page. The host must keep the proof on its side (the axum
    /// adapter marks the new session for the one request it returns to, and takes the mark on
    /// first use); a flag the browser could set would let anyone skip the re-authentication.
    pub fn with_fresh_session(mut self, session: &'a Session) -> Self {
        self.session = Some(session);
        self.fresh_session = true;
        self
    }
}

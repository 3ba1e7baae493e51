//! The management API's transport-neutral request and response values.

use std::borrow::Cow;

use serde_json::Value;

use crate::endpoint::Header;

/// The HTTP methods the management API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Parses a method name; `None` for methods the API does not answer (they get `E0000022`).
    pub fn parse(name: &str) -> Option<Method> {
        [Method::Get, Method::Post, Method::Put, Method::Delete]
            .into_iter()
            .find(|m| m.as_str() == name)
    }
}

/// Who is calling: the host authenticates its administrators (Okta uses an `SSWS` API token)
/// and hands the result in. A request without a caller is answered `403 E0000006`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's identity, for the record.
    pub id: String,
}

/// A management request: method, path (`/api/v1/authorizationServers/…` or
/// `/oauth2/v1/clients/…`), raw query string (without `?`), JSON body, and the caller.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    /// The method.
    pub method: Method,
    /// The path, without scheme, host or query.
    pub path: &'a str,
    /// The query string, without the leading `?` (empty when there is none).
    pub query: &'a str,
    /// The request body, if any.
    pub body: Option<&'a [u8]>,
    /// The authenticated caller, if the host accepted one.
    pub caller: Option<&'a Caller>,
}

impl<'a> ApiRequest<'a> {
    /// The value of query parameter `name` (the first, if repeated), percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// A management response: status, headers (`Content-Type`, `Link`, `Location`…) and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// Response headers, as an endpoint's answer keeps them.
    pub headers: Vec<Header>,
    /// The JSON body; `None` for `204 No Content`.
    pub body: Option<Value>,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![(Cow::Borrowed("Content-Type"), Cow::Borrowed("application/json"))],
            body: Some(body),
        }
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header. Fixed names and values (`&'static str`) are kept without a copy.
    pub fn with_header(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| &**value)
    }
}

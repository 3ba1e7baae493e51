//! What an endpoint answers: status, headers and a body, for the host to write out.

use serde_json::Value;

/// An endpoint response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body.
    Empty,
    /// A JSON document.
    Json(Value),
    /// An HTML page (`form_post`, `okta_post_message`, error pages).
    Html(String),
}

/// An endpoint's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointResponse {
    /// The HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl EndpointResponse {
    /// A JSON response with `Content-Type: application/json;charset=UTF-8`, as Okta answers.
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".to_owned(), "application/json;charset=UTF-8".to_owned())],
            body: Body::Json(body),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// Marks the response as not cacheable (RFC 6749 §5.1: `Cache-Control: no-store`,
    /// `Pragma: no-cache`), as token-bearing responses must be.
    pub fn no_store(self) -> Self {
        self.with_header("Cache-Control", "no-store")
            .with_header("Pragma", "no-cache")
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The JSON body, if the body is JSON.
    pub fn json_body(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(value) => Some(value),
            _ => None,
        }
    }
}

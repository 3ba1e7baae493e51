//! What an endpoint answers: status, headers and a body, for the host to write out.

use std::borrow::Cow;
use std::sync::Arc;

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
    /// A JSON document serialized once and shared by every response that serves it (the
    /// discovery documents and the JWKS, cached per server).
    SharedJson(SharedJson),
}

/// A JSON document with its serialization, built once and cloned cheaply (a reference count).
#[derive(Clone)]
pub struct SharedJson(Arc<(Value, Box<str>)>);

impl SharedJson {
    /// Serializes `value` once.
    ///
    /// # Errors
    /// What [`serde_json::to_string`] reports (a map with non-string keys cannot be one).
    pub fn new(value: Value) -> Result<Self, serde_json::Error> {
        let text = serde_json::to_string(&value)?.into_boxed_str();
        Ok(Self(Arc::new((value, text))))
    }

    /// The document.
    pub fn value(&self) -> &Value {
        &self.0.0
    }

    /// Its serialization.
    pub fn text(&self) -> &str {
        &self.0.1
    }

    /// Whether both are the same copy (not merely equal documents).
    #[cfg(test)]
    pub(crate) fn is_same_copy(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for SharedJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SharedJson").field(self.value()).finish()
    }
}

impl PartialEq for SharedJson {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.value() == other.value()
    }
}

/// A response header: name and value.
pub type Header = (Cow<'static, str>, Cow<'static, str>);

/// The `Content-Type` of every JSON answer, as Okta writes it.
const JSON_CONTENT_TYPE: Header = (
    Cow::Borrowed("Content-Type"),
    Cow::Borrowed("application/json;charset=UTF-8"),
);

/// Headers most answers need room for: the content type, and `no_store`'s two or a challenge.
const USUAL_HEADERS: usize = 3;

/// An endpoint's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointResponse {
    /// The HTTP status.
    pub status: u16,
    /// Response headers, names and values that are usually fixed texts borrowed for free.
    pub headers: Vec<Header>,
    /// The body.
    pub body: Body,
}

impl EndpointResponse {
    /// A JSON response with `Content-Type: application/json;charset=UTF-8`, as Okta answers.
    pub fn json(status: u16, body: Value) -> Self {
        Self::with_content(status, Body::Json(body))
    }

    /// A JSON response (as [`json`](Self::json)) whose body was serialized once and is shared.
    pub fn shared_json(status: u16, body: SharedJson) -> Self {
        Self::with_content(status, Body::SharedJson(body))
    }

    /// A JSON answer with room for the usual headers.
    fn with_content(status: u16, body: Body) -> Self {
        let mut headers = Vec::with_capacity(USUAL_HEADERS);
        headers.push(JSON_CONTENT_TYPE);
        Self { status, headers, body }
    }

    /// Adds a header. Fixed names and values (`&'static str`) are kept without a copy.
    pub fn with_header(mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Self {
        self.headers.push((name.into(), value.into()));
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
            .map(|(_, value)| &**value)
    }

    /// The JSON body, if the body is JSON.
    pub fn json_body(&self) -> Option<&Value> {
        match &self.body {
            Body::Json(value) => Some(value),
            Body::SharedJson(json) => Some(json.value()),
            _ => None,
        }
    }
}

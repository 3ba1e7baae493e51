//! Conversions to and from the `http` crate's types (feature `http`), which every Rust web
//! framework speaks: a host turns its request into an [`EndpointRequest`] or [`ApiRequest`] and
//! the answer back into an `http::Response` in two calls.

use std::borrow::Cow;

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::request::Parts;

use super::{Body, EndpointRequest, EndpointResponse, Header, Method};
use crate::admin::{ApiRequest, ApiResponse, Caller};

/// Why an `http` request cannot be handed to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpRequestError {
    /// The method is not one the endpoints answer (answer 405).
    #[error("unsupported HTTP method")]
    UnsupportedMethod,
    /// A form body or a header is not valid UTF-8 (answer 400).
    #[error("the request body or a header is not valid UTF-8")]
    NotUtf8,
}

fn method(parts: &Parts) -> Result<Method, HttpRequestError> {
    Method::parse(parts.method.as_str()).ok_or(HttpRequestError::UnsupportedMethod)
}

impl<'a> EndpointRequest<'a> {
    /// The endpoint request for an `http` request's parts and body. The body is read as a form
    /// when `Content-Type` is `application/x-www-form-urlencoded`. The session is the host's to
    /// add with [`EndpointRequest::with_session`].
    ///
    /// # Errors
    /// [`HttpRequestError`] for methods the endpoints do not answer and non-UTF-8 input.
    pub fn from_http(parts: &'a Parts, body: &'a [u8]) -> Result<Self, HttpRequestError> {
        let is_form = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            });
        let form = if is_form {
            Some(std::str::from_utf8(body).map_err(|_| HttpRequestError::NotUtf8)?)
        } else {
            None
        };
        let authorization = match parts.headers.get(AUTHORIZATION) {
            Some(value) => Some(value.to_str().map_err(|_| HttpRequestError::NotUtf8)?),
            None => None,
        };
        Ok(Self {
            method: method(parts)?,
            query: parts.uri.query().unwrap_or(""),
            form,
            authorization,
            session: None,
            fresh_session: false,
        })
    }
}

impl EndpointResponse {
    /// The response as an `http::Response` with a byte body.
    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let body = match self.body {
            Body::Empty => Vec::new(),
            Body::Json(value) => serde_json::to_vec(&value).unwrap_or_default(),
            Body::Html(html) => html.into_bytes(),
            Body::SharedJson(json) => json.text().as_bytes().to_vec(),
        };
        build(self.status, self.headers, body)
    }
}

impl<'a> ApiRequest<'a> {
    /// The management request for an `http` request's parts and body, with the caller the host
    /// authenticated (`None` is answered `403 E0000006`).
    ///
    /// # Errors
    /// [`HttpRequestError::UnsupportedMethod`] for methods the API does not answer.
    pub fn from_http(parts: &'a Parts, body: &'a [u8], caller: Option<&'a Caller>) -> Result<Self, HttpRequestError> {
        let body = (!body.is_empty()).then_some(body);
        Ok(Self {
            method: method(parts)?,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            body,
            caller,
        })
    }
}

impl ApiResponse {
    /// The response as an `http::Response` with a byte body.
    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let body = self
            .body
            .map(|value| serde_json::to_vec(&value).unwrap_or_default())
            .unwrap_or_default();
        build(self.status, self.headers, body)
    }
}

fn build(status: u16, headers: Vec<Header>, body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut response = http::Response::new(body);
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        // Header names and values here are written by this crate; one that is not valid HTTP
        // would be a bug, and is left out rather than turned into a panic.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), header_value(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// `value` as a header value, without copying it: a fixed text is borrowed, an owned one moved.
fn header_value(value: Cow<'static, str>) -> Result<HeaderValue, http::header::InvalidHeaderValue> {
    match value {
        Cow::Borrowed(text) => HeaderValue::from_maybe_shared(bytes::Bytes::from_static(text.as_bytes())),
        Cow::Owned(text) => HeaderValue::from_maybe_shared(bytes::Bytes::from(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoint_requests_read_query_form_and_authorization() {
        let request = http::Request::post("https://id.example.com/oauth2/default/v1/token?x=1")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded; charset=UTF-8")
            .header(AUTHORIZATION, "Basic Y2xpZW50OnNlY3JldA==")
            .body(b"grant_type=client_credentials".to_vec())
            .unwrap();
        let (parts, body) = request.into_parts();
        let converted = EndpointRequest::from_http(&parts, &body).unwrap();
        assert_eq!(converted.method, Method::Post);
        assert_eq!(converted.query, "x=1");
        assert_eq!(converted.form, Some("grant_type=client_credentials"));
        assert_eq!(converted.authorization, Some("Basic Y2xpZW50OnNlY3JldA=="));
        assert!(converted.session.is_none());
    }

    #[test]
    fn bodies_that_are_not_forms_are_not_read_as_forms() {
        let (parts, body) = http::Request::post("/v1/token")
            .body(b"{}".to_vec())
            .unwrap()
            .into_parts();
        assert_eq!(EndpointRequest::from_http(&parts, &body).unwrap().form, None);
        let (parts, body) = http::Request::patch("/v1/token").body(Vec::new()).unwrap().into_parts();
        assert_eq!(
            EndpointRequest::from_http(&parts, &body).unwrap_err(),
            HttpRequestError::UnsupportedMethod
        );
    }

    #[test]
    fn responses_convert_with_status_headers_and_body() {
        let response = EndpointResponse::json(400, json!({"error": "invalid_request"}))
            .no_store()
            .into_http();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["content-type"], "application/json;charset=UTF-8");
        assert_eq!(response.body(), br#"{"error":"invalid_request"}"#);
        let html = EndpointResponse {
            status: 200,
            headers: vec![],
            body: Body::Html("<p>".into()),
        }
        .into_http();
        assert_eq!(html.body(), b"<p>");
        let shared = super::super::SharedJson::new(json!({"keys": []})).unwrap();
        let response = EndpointResponse::shared_json(200, shared).into_http();
        assert_eq!(response.headers()["content-type"], "application/json;charset=UTF-8");
        assert_eq!(response.body(), br#"{"keys":[]}"#);
    }

    #[test]
    fn management_requests_and_responses_convert() {
        let caller = Caller { id: "admin".into() };
        let (parts, body) = http::Request::get("https://id.example.com/api/v1/authorizationServers?limit=2")
            .body(Vec::new())
            .unwrap()
            .into_parts();
        let request = ApiRequest::from_http(&parts, &body, Some(&caller)).unwrap();
        assert_eq!(request.path, "/api/v1/authorizationServers");
        assert_eq!(request.query, "limit=2");
        assert!(request.body.is_none());
        let response = ApiResponse::no_content().into_http();
        assert_eq!(response.status(), 204);
        assert!(response.body().is_empty());
    }
}

//! Conversions to and from the `http` crate's types (feature `http`), which every Rust web
//! framework speaks: a host turns its request into an [`EndpointRequest`] or [`ApiRequest`] and
//! the answer back into an `http::Response` in two calls.

use std::borrow::Cow;

use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use http::request::Parts;
use serde_json::Value;

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
            Body::Json(value) => json_bytes(&value),
            Body::Html(html) => html.into_bytes(),
            Body::SharedJson(json) => json.text().as_bytes().to_vec(),
        };
        build(self.status, self.headers, body)
    }

    /// The response as an `http::Response` with a [`Bytes`](bytes::Bytes) body, as most servers
    /// write one: a document cached per server (the JWKS, discovery) is served without a copy.
    pub fn into_http_bytes(self) -> http::Response<bytes::Bytes> {
        let body = match self.body {
            Body::Empty => bytes::Bytes::new(),
            Body::Json(value) => json_bytes(&value).into(),
            Body::Html(html) => html.into(),
            Body::SharedJson(json) => bytes::Bytes::from_owner(SharedText(json)),
        };
        build(self.status, self.headers, body)
    }
}

/// A shared document's text, as the owner of the bytes a response body borrows.
struct SharedText(super::SharedJson);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.text().as_bytes()
    }
}

/// `value` serialized, into a buffer sized for it up front: a token response is most of a
/// kilobyte, which a buffer grown from `serde_json`'s default would reach in three copies.
fn json_bytes(value: &Value) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(serialized_len_hint(value));
    // Writing JSON to memory fails only for a map with non-string keys, which a `Value` cannot hold.
    serde_json::to_writer(&mut bytes, value).map_or_else(|_| Vec::new(), |()| bytes)
}

/// How long `value`'s JSON is: exact for an object of strings without escapes, integers, booleans
/// and nulls, such as a token response (so its buffer is handed on without a spare byte, and
/// `Bytes` takes it without allocating); a guess for nested values and fractions.
fn serialized_len_hint(value: &Value) -> usize {
    /// What `serde_json` starts a buffer at when it has nothing to go by.
    const GUESS: usize = 128;
    let scalar = |value: &Value| match value {
        Value::String(text) => text.len() + 2,
        Value::Bool(true) | Value::Null => 4,
        Value::Bool(false) => 5,
        Value::Number(number) => match (number.as_u64(), number.as_i64()) {
            (Some(positive), _) => decimal_digits(positive),
            (None, Some(negative)) => 1 + decimal_digits(negative.unsigned_abs()),
            (None, None) => 24,
        },
        Value::Array(_) | Value::Object(_) => GUESS,
    };
    match value {
        // `{`, then `"key":value,` for each but a last without its comma, then `}`.
        Value::Object(map) => (1 + map
            .iter()
            .map(|(key, value)| key.len() + 4 + scalar(value))
            .sum::<usize>())
        .max(2),
        other => scalar(other),
    }
}

/// How many decimal digits `n` is written with.
fn decimal_digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |log| log as usize + 1)
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
        let body = self.body.map(|value| json_bytes(&value)).unwrap_or_default();
        build(self.status, self.headers, body)
    }
}

fn build<B>(status: u16, headers: Vec<Header>, body: B) -> http::Response<B> {
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

    /// Served as `Bytes`, every body is the same as served as a `Vec`; a shared document's
    /// bytes are its cached text itself, not a copy.
    #[test]
    fn responses_convert_to_bytes_bodies_alike() {
        let shared = super::super::SharedJson::new(json!({"keys": [{"kid": "k1"}]})).unwrap();
        let token = json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "a.b.c", "scope": "x"});
        let escaped = json!({"error_description": "quote \" and \u{1} and é"});
        let answers = [
            EndpointResponse::json(200, token).no_store(),
            EndpointResponse::json(400, escaped),
            EndpointResponse::shared_json(200, shared.clone()),
            EndpointResponse {
                status: 200,
                headers: vec![],
                body: Body::Html("<p>é</p>".into()),
            },
            EndpointResponse {
                status: 204,
                headers: vec![],
                body: Body::Empty,
            },
        ];
        for answer in answers {
            let (vec, bytes) = (answer.clone().into_http(), answer.into_http_bytes());
            assert_eq!(vec.status(), bytes.status());
            assert_eq!(vec.headers(), bytes.headers());
            assert_eq!(vec.body()[..], bytes.body()[..]);
        }
        let served = EndpointResponse::shared_json(200, shared.clone()).into_http_bytes();
        assert_eq!(served.body().as_ptr(), shared.text().as_ptr(), "served without a copy");
    }

    #[test]
    fn length_hints_are_exact_for_flat_objects_such_as_a_token_response() {
        let exact = [
            json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "a.b.c", "scope": "x y"}),
            json!({"n": 0, "m": -7, "big": u64::MAX, "small": i64::MIN, "t": true, "f": false, "z": null}),
            json!({}),
            json!("abc"),
            json!(9),
        ];
        for value in exact {
            assert_eq!(
                serialized_len_hint(&value),
                serde_json::to_vec(&value).unwrap().len(),
                "{value}"
            );
        }
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

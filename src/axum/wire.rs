//! The mapping itself: an axum request into the library's request values, the library's response
//! values back into axum responses. Everything here is what an adapter for another framework
//! writes again in that framework's types; the rest of the adapter only calls it.

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

use axum::http::header::{ALLOW, CONNECTION, CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::admin::{ApiError, ApiResponse, FieldError};
use crate::endpoint::{EndpointRequest, EndpointResponse, ErrorCode, HttpRequestError, OAuthError};

/// The largest request body read (form posts and management JSON are far smaller).
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// A library answer (OAuth endpoints) as an axum response.
pub(crate) fn respond(response: EndpointResponse) -> Response {
    response.into_http_bytes().map(Body::from)
}

/// A management answer (Okta's API objects and error objects) as an axum response.
pub(crate) fn respond_api(response: ApiResponse) -> Response {
    response.into_http().map(Body::from)
}

/// Okta's error object for `error`.
pub(crate) fn api_error(error: &ApiError) -> Response {
    respond_api(error.response())
}

/// The shape of the answers the adapter gives itself, before the library sees a request (a
/// method the path does not take, a body that is too large or not UTF-8): the shape of the
/// path's other answers, never the framework's bare text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The OAuth 2.0 endpoints (`/oauth2/{id}/…`): `{"error": "invalid_request",
    /// "error_description"}` (RFC 6749 §5.2), `Cache-Control: no-store`.
    OAuth,
    /// Okta's API (`/api/v1/…`, `/oauth2/v1/clients…`): Okta's error object.
    Okta,
    /// The sign-in form (`/login`), which browsers post: plain text.
    Text,
}

/// Okta's summary of `E0000022`, as the OAuth error's description too.
const METHOD_NOT_ALLOWED: &str = "The endpoint does not support the provided HTTP method.";
const TOO_LARGE: &str = "The request body is too large.";
const NOT_UTF8: &str = "The request body or a header is not valid UTF-8.";
const TOO_SLOW: &str = "The request body was not received in time.";
const UNREADABLE: &str = "The request body could not be read.";

impl Shape {
    /// An answer with `status` in this shape: an OAuth `invalid_request` or Okta's
    /// `E0000003`/`E0000022` (`okta`), each with `text` as its description or cause.
    fn answer(self, status: StatusCode, okta: ApiError, text: &'static str) -> Response {
        let mut response = match self {
            Shape::OAuth => respond(
                OAuthError::new(ErrorCode::InvalidRequest, text)
                    .with_status(status.as_u16())
                    .response(),
            ),
            Shape::Okta => api_error(&okta),
            Shape::Text => (status, text).into_response(),
        };
        *response.status_mut() = status;
        response
    }

    /// `405` for a method the path does not take, with `Allow: allow` (RFC 9110 §15.5.6).
    pub(crate) fn method_not_allowed(self, allow: &'static str) -> Response {
        let mut response = self.answer(
            StatusCode::METHOD_NOT_ALLOWED,
            ApiError::method_not_allowed(),
            METHOD_NOT_ALLOWED,
        );
        response.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
        response
    }

    /// `413` for a body over [`MAX_BODY`].
    pub(crate) fn too_large(self) -> Response {
        let cause = FieldError::new("", "The request body is larger than 1 MiB.");
        let okta = ApiError::malformed_body().with_causes(vec![cause]);
        self.answer(StatusCode::PAYLOAD_TOO_LARGE, okta, TOO_LARGE)
    }

    /// `400` for a body that could not be read: a malformed chunked encoding, say.
    pub(crate) fn unreadable(self) -> Response {
        let okta = ApiError::malformed_body().with_causes(vec![FieldError::new("", UNREADABLE)]);
        self.answer(StatusCode::BAD_REQUEST, okta, UNREADABLE)
    }

    /// `408` for a body that did not arrive within the body timeout, with `Connection: close`
    /// (RFC 9110 §15.5.9: the server closes the connection; its remaining bytes are not read).
    pub(crate) fn timed_out(self) -> Response {
        let okta = ApiError::malformed_body().with_causes(vec![FieldError::new("", TOO_SLOW)]);
        let mut response = self.answer(StatusCode::REQUEST_TIMEOUT, okta, TOO_SLOW);
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        response
    }

    /// `400` for a form or header that is not UTF-8.
    pub(crate) fn not_utf8(self) -> Response {
        let okta = ApiError::malformed_body().with_causes(vec![FieldError::new("", NOT_UTF8)]);
        self.answer(StatusCode::BAD_REQUEST, okta, NOT_UTF8)
    }
}

/// The request's parts and body, at most [`MAX_BODY`] bytes received within `timeout` (counted
/// from the first read of the body that finds it incomplete), or the `413`, `408` or `400` (a
/// body that could not be read) in the path's `shape`. The timeout bounds the whole body, so a
/// caller dribbling a byte at a time cannot hold the connection.
pub(crate) async fn read(request: Request, shape: Shape, timeout: Duration) -> Result<(Parts, Bytes), Response> {
    let (parts, body) = request.into_parts();
    let mut collect = std::pin::pin!(axum::body::to_bytes(body, MAX_BODY));
    // A form's body usually arrives with the request's head: the timer (a runtime lookup, and a
    // place in its timer wheel) is only set for a body that is not all there yet.
    let collected = match poll_fn(|context| Poll::Ready(collect.as_mut().poll(context))).await {
        Poll::Ready(collected) => collected,
        Poll::Pending => match tokio::time::timeout(timeout, collect).await {
            Ok(collected) => collected,
            Err(_) => return Err(shape.timed_out()),
        },
    };
    match collected {
        Ok(bytes) => Ok((parts, bytes)),
        Err(error) if over_the_limit(&error) => Err(shape.too_large()),
        Err(_) => Err(shape.unreadable()),
    }
}

/// Whether reading a body failed because it is over [`MAX_BODY`], rather than because it could
/// not be read.
fn over_the_limit(error: &axum::Error) -> bool {
    std::error::Error::source(error).is_some_and(|cause| cause.is::<http_body_util::LengthLimitError>())
}

/// The endpoint request of `parts` and `body`, or the OAuth error that prevents one (`405` for a
/// method no endpoint answers, which only `HEAD` reaches, `400` for input that is not UTF-8).
pub(crate) fn endpoint_request<'a>(parts: &'a Parts, body: &'a [u8]) -> Result<EndpointRequest<'a>, Box<Response>> {
    EndpointRequest::from_http(parts, body).map_err(|error| {
        Box::new(match error {
            HttpRequestError::UnsupportedMethod => Shape::OAuth.method_not_allowed("GET, POST"),
            _ => Shape::OAuth.not_utf8(),
        })
    })
}

/// The value of form or query parameter `name` (the first one).
pub(crate) fn param(encoded: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The caller's IP address, when the host serves the router with connection info
/// (`into_make_service_with_connect_info::<SocketAddr>()`), else `unknown`.
pub(crate) fn peer(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A request header as text, if present and visible ASCII.
pub(crate) fn header(parts: &Parts, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    parts.headers.get(name).and_then(|value| value.to_str().ok())
}

/// Sets each of `headers` on `response` (names and values that are not valid HTTP are skipped).
pub(crate) fn add_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(*name), HeaderValue::try_from(value.as_str())) {
            response.headers_mut().insert(name, value);
        }
    }
}

/// Appends a `Set-Cookie` header with `cookie`, if any.
pub(crate) fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(value) = cookie.and_then(|c| HeaderValue::try_from(c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// An HTML page that no cache keeps, no frame embeds and that loads nothing but what `csp`
/// allows.
pub(crate) fn html(status: StatusCode, page: String, csp: &str) -> Response {
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html;charset=UTF-8"));
    if let Ok(csp) = HeaderValue::try_from(csp) {
        headers.insert("Content-Security-Policy", csp);
    }
    headers.insert("Cache-Control", HeaderValue::from_static("no-store"));
    response
}

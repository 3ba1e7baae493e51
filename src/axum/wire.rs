//! The mapping itself: an axum request into the library's request values, the library's response
//! values back into axum responses. Everything here is what an adapter for another framework
//! writes again in that framework's types; the rest of the adapter only calls it.

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::admin::{ApiError, ApiResponse};
use crate::endpoint::{EndpointRequest, EndpointResponse, HttpRequestError};

/// The largest request body read (form posts and management JSON are far smaller).
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// A library answer (OAuth endpoints) as an axum response.
pub(crate) fn respond(response: EndpointResponse) -> Response {
    response.into_http().map(Body::from)
}

/// A management answer (Okta's API objects and error objects) as an axum response.
pub(crate) fn respond_api(response: ApiResponse) -> Response {
    response.into_http().map(Body::from)
}

/// Okta's error object for `error`.
pub(crate) fn api_error(error: &ApiError) -> Response {
    respond_api(error.response())
}

/// The request's parts and body, at most [`MAX_BODY`] bytes, or `413`.
pub(crate) async fn read(request: Request) -> Result<(Parts, Bytes), Response> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(_) => Err((StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()),
    }
}

/// The endpoint request of `parts` and `body`, or the HTTP error that prevents one (`405` for a
/// method no endpoint answers, `400` for input that is not UTF-8).
pub(crate) fn endpoint_request<'a>(parts: &'a Parts, body: &'a [u8]) -> Result<EndpointRequest<'a>, Box<Response>> {
    EndpointRequest::from_http(parts, body).map_err(|error| {
        let status = match error {
            HttpRequestError::UnsupportedMethod => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        };
        Box::new((status, error.to_string()).into_response())
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

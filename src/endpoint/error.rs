//! OAuth 2.0 errors as the endpoints deliver them (RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1,
//! OpenID Connect Core §3.1.2.6, RFC 7009 §2.2.1), with Okta's descriptions and statuses (Okta's
//! "OAuth 2.0 and OpenID Connect errors"). Descriptions are fixed texts: they never echo what the
//! client sent. Why an endpoint answers with an error is a [`Reason`](super::Reason), which maps
//! to an [`OAuthError`] in one place.

use std::borrow::Cow;
use std::fmt;

use serde_json::json;

use super::EndpointResponse;

/// An OAuth error code, spelled on the wire as RFC 6749 and its extensions define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `access_denied`
    AccessDenied,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `unsupported_response_mode`
    UnsupportedResponseMode,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// `login_required`
    LoginRequired,
    /// `consent_required`
    ConsentRequired,
    /// `interaction_required`
    InteractionRequired,
    /// `invalid_token`
    InvalidToken,
    /// `insufficient_scope`
    InsufficientScope,
    /// `unsupported_token_type`
    UnsupportedTokenType,
    /// `invalid_request_object` (OpenID Connect Core §3.1.2.6, RFC 9101 §7)
    InvalidRequestObject,
    /// `request_uri_not_supported` (OpenID Connect Core §3.1.2.6)
    RequestUriNotSupported,
}

impl ErrorCode {
    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::UnsupportedResponseMode => "unsupported_response_mode",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidRequestObject => "invalid_request_object",
            Self::RequestUriNotSupported => "request_uri_not_supported",
        }
    }

    /// The status Okta usually answers with for this code; specific errors
    /// override it with [`OAuthError::with_status`].
    pub const fn default_status(self) -> u16 {
        match self {
            Self::InvalidClient | Self::InvalidToken => 401,
            Self::AccessDenied | Self::InsufficientScope => 403,
            Self::ServerError => 500,
            Self::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error: code, fixed description and HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
#[non_exhaustive]
pub struct OAuthError {
    /// The error code.
    pub code: ErrorCode,
    /// `error_description`: a fixed text, never client input.
    pub description: Cow<'static, str>,
    /// The HTTP status when delivered as JSON.
    pub status: u16,
}

impl OAuthError {
    /// An error with `code`'s usual status.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            status: code.default_status(),
        }
    }

    /// The same error with another HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// `server_error` 500 for a failure inside the server (the store, the signer): the client
    /// learns nothing about it.
    pub fn internal() -> Self {
        Self::new(ErrorCode::ServerError, "The server encountered an internal error.")
    }

    /// The error as a JSON response (`{"error", "error_description"}`), not cacheable.
    pub fn response(&self) -> EndpointResponse {
        EndpointResponse::json(
            self.status,
            json!({ "error": self.code.as_str(), "error_description": self.description }),
        )
        .no_store()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_and_statuses() {
        // Reference §4.1: `{"error", "error_description"}`; invalid_client 401, access_denied 403.
        let error = OAuthError::new(ErrorCode::InvalidClient, "No client credentials found.");
        let response = error.response();
        assert_eq!(response.status, 401);
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
        let body = response.json_body().unwrap();
        assert_eq!(body["error"], "invalid_client");
        assert_eq!(body["error_description"], "No client credentials found.");
        assert_eq!(OAuthError::new(ErrorCode::AccessDenied, "x").status, 403);
        assert_eq!(
            OAuthError::new(ErrorCode::AccessDenied, "x").with_status(401).status,
            401
        );
        assert_eq!(OAuthError::new(ErrorCode::InvalidGrant, "x").status, 400);
    }
}

//! The management API's errors: Okta's error object (`errorCode`, `errorSummary`, `errorLink`,
//! `errorId`, `errorCauses`; see Okta's "Error codes" reference and the `Error` schema of the
//! Okta Management API), and for client registration the RFC 7591 §3.2.2 error
//! (`error`, `error_description`).
//!
//! [`ApiErrorCode`] is the one place that maps a code to its wire spelling, its HTTP status and,
//! where Okta fixes it, its summary.

use std::fmt;

use serde_json::{Value, json};

use super::ApiResponse;
use super::ids::new_id;
use crate::store::StoreError;

/// The codes of the management API's errors.
///
/// Each maps to its wire spelling ([`as_str`](Self::as_str)), its HTTP status
/// ([`status`](Self::status)) and, where Okta fixes it, its `errorSummary`
/// ([`summary`](Self::summary)). The `E…` codes are rendered as Okta's error object; the
/// lower-case ones are rendered as the error object of RFC 7591 §3.2.2 (client registration), or,
/// for [`InvalidClientId`](Self::InvalidClientId), as Okta renders it at the metadata endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// `E0000001`, `400`: `Api validation failed: …`, one cause per failed field.
    ValidationFailed,
    /// `E0000003`, `400`: `The request body was not well-formed.`
    MalformedBody,
    /// `E0000004`, `401`: `Authentication failed`.
    AuthenticationFailed,
    /// `E0000006`, `403`: `You do not have permission to perform the requested action`.
    Forbidden,
    /// `E0000007`, `404`: `Not found: Resource not found: <id> (<kind>)`.
    NotFound,
    /// `E0000008`, `404`: `The requested path was not found`.
    PathNotFound,
    /// `E0000009`, `500`: `Internal Server Error`.
    Internal,
    /// `E0000011`, `401`: `Invalid token provided`.
    InvalidToken,
    /// `E0000022`, `405`: `The endpoint does not support the provided HTTP method`.
    MethodNotAllowed,
    /// `E0000029`, `400`: `Invalid paging request.`
    InvalidPaging,
    /// `E0000031`, `400`: Okta's "Invalid search criteria", e.g. an operator a System Log
    /// filter field does not support.
    InvalidSearchCriteria,
    /// `E0000053`, `400`: Okta's "Invalid parameter", e.g. a malformed System Log filter.
    InvalidParameter,
    /// `invalid_client`, `400`: ``Invalid value for `client_id` parameter``, Okta's answer to an
    /// unknown `client_id` at the metadata endpoints, in the shape of its error object.
    InvalidClientId,
    /// `invalid_client_metadata`, `400`: a client registration with invalid metadata
    /// (RFC 7591 §3.2.2).
    InvalidClientMetadata,
    /// `invalid_redirect_uri`, `400`: a client registration whose first problem is a redirect
    /// URI, a post-logout redirect URI or the `initiate_login_uri` (RFC 7591 §3.2.2).
    InvalidRedirectUri,
}

/// Okta's summary of `E0000006`.
const NO_PERMISSION: &str = "You do not have permission to perform the requested action";
/// Okta's summary of `E0000022`.
const UNSUPPORTED_METHOD: &str = "The endpoint does not support the provided HTTP method";

impl ApiErrorCode {
    /// The code as written on the wire: `E0000001`, …, `invalid_client_metadata`.
    pub const fn as_str(self) -> &'static str {
        self.wire().0
    }

    /// The HTTP status the code is answered with.
    pub const fn status(self) -> u16 {
        self.wire().1
    }

    /// The `errorSummary` Okta gives the code, where it is fixed (`None` where it names the
    /// failed fields, the missing resource or the refused parameter).
    pub const fn summary(self) -> Option<&'static str> {
        self.wire().2
    }

    /// Whether the code is rendered as an RFC 7591 §3.2.2 error (`error`, `error_description`)
    /// rather than as Okta's error object.
    pub const fn is_registration_error(self) -> bool {
        matches!(self, Self::InvalidClientMetadata | Self::InvalidRedirectUri)
    }

    /// The one mapping: wire code, status, fixed summary.
    const fn wire(self) -> (&'static str, u16, Option<&'static str>) {
        match self {
            Self::ValidationFailed => ("E0000001", 400, None),
            Self::MalformedBody => ("E0000003", 400, Some("The request body was not well-formed.")),
            Self::AuthenticationFailed => ("E0000004", 401, Some("Authentication failed")),
            Self::Forbidden => ("E0000006", 403, Some(NO_PERMISSION)),
            Self::NotFound => ("E0000007", 404, None),
            Self::PathNotFound => ("E0000008", 404, Some("The requested path was not found")),
            Self::Internal => ("E0000009", 500, Some("Internal Server Error")),
            Self::InvalidToken => ("E0000011", 401, Some("Invalid token provided")),
            Self::MethodNotAllowed => ("E0000022", 405, Some(UNSUPPORTED_METHOD)),
            Self::InvalidPaging => ("E0000029", 400, Some("Invalid paging request.")),
            Self::InvalidSearchCriteria => ("E0000031", 400, None),
            Self::InvalidParameter => ("E0000053", 400, None),
            Self::InvalidClientId => ("invalid_client", 400, Some("Invalid value for `client_id` parameter")),
            Self::InvalidClientMetadata => ("invalid_client_metadata", 400, None),
            Self::InvalidRedirectUri => ("invalid_redirect_uri", 400, None),
        }
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A management API error: its code, summary and causes, rendered by [`body`](Self::body) as
/// Okta's error object (or, for client registration, RFC 7591's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {summary}")]
#[non_exhaustive]
pub struct ApiError {
    /// The code, which decides the HTTP status.
    pub code: ApiErrorCode,
    /// The `errorSummary` (for client registration: the `error_description`).
    pub summary: String,
    /// The causes: one per failed field, each rendered as an `errorCauses` entry.
    pub causes: Vec<FieldError>,
}

/// One cause of an error: the field that failed (`name`, `conditions.people`, …) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldError {
    /// The property path; empty for a cause about the request as a whole.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A failure of `field` because of `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The cause as Okta's `errorCauses[].errorSummary` writes it: `<field>: <message>`, or the
    /// message alone for a cause without a field.
    pub fn summary(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.field, self.message)
        }
    }

    /// The cause as an RFC 7591 `error_description` part: `` `<field>`: <message> ``.
    fn registration_summary(&self) -> String {
        format!("`{}`: {}", self.field, self.message)
    }
}

impl ApiError {
    /// An error with `code` and `summary` and no causes.
    pub fn new(code: ApiErrorCode, summary: impl Into<String>) -> Self {
        Self {
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    /// An error with `code` and the summary Okta fixes for it (empty for codes without one).
    fn fixed(code: ApiErrorCode) -> Self {
        Self::new(code, code.summary().unwrap_or_default())
    }

    /// The same error with `causes`.
    pub fn with_causes(mut self, causes: Vec<FieldError>) -> Self {
        self.causes = causes;
        self
    }

    /// The HTTP status ([`ApiErrorCode::status`]).
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// `400 E0000001 Api validation failed: <fields>`, one cause `<field>: <message>` per failure.
    pub fn validation(failures: Vec<FieldError>) -> Self {
        let mut fields: Vec<&str> = Vec::new();
        for failure in &failures {
            if !fields.contains(&failure.field.as_str()) {
                fields.push(&failure.field);
            }
        }
        let summary = format!("Api validation failed: {}", fields.join(", "));
        Self::new(ApiErrorCode::ValidationFailed, summary).with_causes(failures)
    }

    /// `400 E0000001` for a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// `400` RFC 7591 §3.2.2 error for a client registration: `invalid_redirect_uri` when the
    /// first problem is about a URI a browser is sent to (`redirect_uris`,
    /// `post_logout_redirect_uris`, `initiate_login_uri`), otherwise `invalid_client_metadata`;
    /// the `error_description` lists every problem as `` `<field>`: <message> ``.
    pub fn client_metadata(problems: Vec<FieldError>) -> Self {
        const REDIRECTS: [&str; 3] = ["redirect_uris", "post_logout_redirect_uris", "initiate_login_uri"];
        let code = match problems.first() {
            Some(first) if REDIRECTS.contains(&first.field.as_str()) => ApiErrorCode::InvalidRedirectUri,
            _ => ApiErrorCode::InvalidClientMetadata,
        };
        let description: Vec<String> = problems.iter().map(FieldError::registration_summary).collect();
        Self::new(code, description.join(" ")).with_causes(problems)
    }

    /// `400 E0000003 The request body was not well-formed.`: not JSON, or JSON of the wrong types.
    pub fn malformed_body() -> Self {
        Self::fixed(ApiErrorCode::MalformedBody)
    }

    /// `401 E0000004 Authentication failed`: a sign-in (`/api/v1/authn`) with a wrong username or
    /// password, or a user who cannot sign in. It does not say which.
    pub fn authentication_failed() -> Self {
        Self::fixed(ApiErrorCode::AuthenticationFailed)
    }

    /// `401 E0000011 Invalid token provided`: a management request whose `SSWS` API token is
    /// missing or wrong.
    pub fn invalid_token() -> Self {
        Self::fixed(ApiErrorCode::InvalidToken)
    }

    /// `403 E0000006`: no authenticated caller.
    pub fn forbidden() -> Self {
        Self::fixed(ApiErrorCode::Forbidden)
    }

    /// `404 E0000007 Not found: Resource not found: <id> (<kind>)`.
    pub fn not_found(id: &str, kind: &str) -> Self {
        Self::new(
            ApiErrorCode::NotFound,
            format!("Not found: Resource not found: {id} ({kind})"),
        )
    }

    /// `404 E0000008 The requested path was not found`.
    pub fn path_not_found() -> Self {
        Self::fixed(ApiErrorCode::PathNotFound)
    }

    /// `405 E0000022 The endpoint does not support the provided HTTP method`.
    pub fn method_not_allowed() -> Self {
        Self::fixed(ApiErrorCode::MethodNotAllowed)
    }

    /// `400 E0000029 Invalid paging request.`
    pub fn invalid_paging() -> Self {
        Self::fixed(ApiErrorCode::InvalidPaging)
    }

    /// `403 E0000006` variant for operations on system objects, which cannot be deleted.
    pub fn system_object(kind: &str) -> Self {
        let summary = ApiErrorCode::Forbidden.summary().unwrap_or_default();
        Self::new(ApiErrorCode::Forbidden, format!("{summary}: {kind} is a system object"))
    }

    /// `500 E0000009 Internal Server Error`: the store failed. The cause is not shown to the caller.
    pub fn internal() -> Self {
        Self::fixed(ApiErrorCode::Internal)
    }

    /// Whether this is `E0000007`: the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code == ApiErrorCode::NotFound
    }

    /// The error as its JSON object, with a fresh `errorId` (Okta's object), or as RFC 7591's
    /// `{"error", "error_description"}` for client registration errors.
    pub fn body(&self) -> Value {
        if self.code.is_registration_error() {
            return json!({ "error": self.code.as_str(), "error_description": self.summary });
        }
        let causes: Vec<Value> = self
            .causes
            .iter()
            .map(|cause| json!({ "errorSummary": cause.summary() }))
            .collect();
        json!({
            "errorCode": self.code.as_str(),
            "errorSummary": self.summary,
            "errorLink": self.code.as_str(),
            "errorId": new_id("oae", 22, &crate::random::SystemRandom),
            "errorCauses": causes,
        })
    }

    /// The error as a response.
    pub fn response(&self) -> ApiResponse {
        ApiResponse::json(self.status(), self.body())
    }
}

impl From<ApiErrorCode> for ApiError {
    /// An error with `code`, the summary Okta fixes for it (empty for codes whose summary names
    /// what failed) and no causes.
    fn from(code: ApiErrorCode) -> Self {
        Self::fixed(code)
    }
}

impl From<StoreError> for ApiError {
    fn from(_: StoreError) -> Self {
        ApiError::internal()
    }
}

/// Parses a JSON request body into `T`: an absent, non-JSON or wrongly typed body is `E0000003`.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: Option<&[u8]>) -> Result<T, ApiError> {
    let body = body.ok_or_else(ApiError::malformed_body)?;
    serde_json::from_slice(body).map_err(|_| ApiError::malformed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_have_oktas_shape() {
        // Reference §2.3: `Api validation failed: <field>`, each cause `<field>: <message>`.
        let error = ApiError::validation(vec![
            FieldError::new("name", "The field cannot be left blank"),
            FieldError::new("audiences", "'a:b c' is not a valid URI"),
        ]);
        let body = error.body();
        assert_eq!(error.status(), 400);
        assert_eq!(body["errorCode"], "E0000001");
        assert_eq!(body["errorSummary"], "Api validation failed: name, audiences");
        assert_eq!(body["errorLink"], "E0000001");
        assert_eq!(
            body["errorCauses"][0]["errorSummary"],
            "name: The field cannot be left blank"
        );
        assert_eq!(body["errorCauses"].as_array().map(Vec::len), Some(2));
        assert!(
            body["errorId"]
                .as_str()
                .is_some_and(|id| id.starts_with("oae") && id.len() == 25)
        );
    }

    #[test]
    fn not_found_names_the_resource() {
        let body = ApiError::not_found("ausnope", "AuthorizationServer").body();
        assert_eq!(
            body["errorSummary"],
            "Not found: Resource not found: ausnope (AuthorizationServer)"
        );
        assert_eq!(body["errorCauses"], json!([]));
    }

    #[test]
    fn bodies_that_are_not_json_are_e0000003() {
        #[derive(Debug, serde::Deserialize)]
        struct Named {
            #[allow(dead_code)]
            name: String,
        }
        let code = |body: Option<&[u8]>| parse_body::<Named>(body).unwrap_err().code;
        assert_eq!(code(Some(b"{not json")), ApiErrorCode::MalformedBody);
        assert_eq!(code(Some(br#"{"name": 5}"#)), ApiErrorCode::MalformedBody);
        assert_eq!(code(None).as_str(), "E0000003");
        assert!(parse_body::<Named>(Some(br#"{"name": "x"}"#)).is_ok());
    }

    #[test]
    fn each_code_has_its_okta_status_and_spelling() {
        // Okta's error-code reference (E-codes with their HTTP status).
        use ApiErrorCode as C;
        let expected = [
            (C::ValidationFailed, "E0000001", 400),
            (C::MalformedBody, "E0000003", 400),
            (C::AuthenticationFailed, "E0000004", 401),
            (C::Forbidden, "E0000006", 403),
            (C::NotFound, "E0000007", 404),
            (C::PathNotFound, "E0000008", 404),
            (C::Internal, "E0000009", 500),
            (C::InvalidToken, "E0000011", 401),
            (C::MethodNotAllowed, "E0000022", 405),
            (C::InvalidPaging, "E0000029", 400),
            (C::InvalidSearchCriteria, "E0000031", 400),
            (C::InvalidParameter, "E0000053", 400),
            (C::InvalidClientId, "invalid_client", 400),
            (C::InvalidClientMetadata, "invalid_client_metadata", 400),
            (C::InvalidRedirectUri, "invalid_redirect_uri", 400),
        ];
        for (code, wire, status) in expected {
            assert_eq!((code.as_str(), code.status()), (wire, status));
            assert_eq!(code.to_string(), wire);
        }
        assert_eq!(ApiError::internal().to_string(), "E0000009: Internal Server Error");
    }

    #[test]
    fn registration_errors_are_rfc_7591_objects() {
        // RFC 7591 §3.2.2: `error` and `error_description`; the first problem picks the code.
        let metadata = ApiError::client_metadata(vec![
            FieldError::new("client_name", "The field can't be left blank."),
            FieldError::new("redirect_uris", "'x' is not an absolute URI."),
        ]);
        assert_eq!(
            metadata.body(),
            json!({"error": "invalid_client_metadata",
                   "error_description": "`client_name`: The field can't be left blank. `redirect_uris`: 'x' is not an absolute URI."})
        );
        let redirect = ApiError::client_metadata(vec![FieldError::new("redirect_uris", "missing")]);
        assert_eq!(redirect.code, ApiErrorCode::InvalidRedirectUri);
        assert_eq!(redirect.response().status, 400);
    }

    #[test]
    fn a_cause_without_a_field_is_its_message() {
        let error =
            ApiError::new(ApiErrorCode::ValidationFailed, "Api validation failed: rotateKeys").with_causes(vec![
                FieldError::new("", "Invalid value specified for key 'use' parameter"),
            ]);
        assert_eq!(
            error.body()["errorCauses"],
            json!([{"errorSummary": "Invalid value specified for key 'use' parameter"}])
        );
    }
}

//! Okta's management API error objects (reference §4.3): `errorCode`, `errorSummary`,
//! `errorLink`, `errorId`, `errorCauses`.

use serde_json::{Value, json};

use super::ApiResponse;
use super::ids::new_id;
use crate::store::StoreError;

/// A management API error, rendered as Okta's error object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {summary}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Okta's error code, e.g. `E0000001`.
    pub code: &'static str,
    /// The `errorSummary`.
    pub summary: String,
    /// One `errorSummary` per cause.
    pub causes: Vec<String>,
}

/// One field that failed validation: its path (`name`, `conditions.people`, …) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The property path.
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
}

impl ApiError {
    fn new(status: u16, code: &'static str, summary: impl Into<String>) -> Self {
        Self {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
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
        let causes = failures.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
        Self {
            causes,
            ..Self::new(400, "E0000001", summary)
        }
    }

    /// `400 E0000001` for a single field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// `400 E0000003 The request body was not well-formed.`: not JSON, or JSON of the wrong types.
    pub fn malformed_body() -> Self {
        Self::new(400, "E0000003", "The request body was not well-formed.")
    }

    /// `401 E0000004 Authentication failed`: a sign-in (`/api/v1/authn`) with a wrong username or
    /// password, or a user who cannot sign in. It does not say which.
    pub fn authentication_failed() -> Self {
        Self::new(401, "E0000004", "Authentication failed")
    }

    /// `401 E0000011 Invalid token provided`: a management request whose `SSWS` API token is
    /// missing or wrong.
    pub fn invalid_token() -> Self {
        Self::new(401, "E0000011", "Invalid token provided")
    }

    /// `403 E0000006`: no authenticated caller.
    pub fn forbidden() -> Self {
        Self::new(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    /// `404 E0000007 Not found: Resource not found: <id> (<kind>)`.
    pub fn not_found(id: &str, kind: &str) -> Self {
        Self::new(404, "E0000007", format!("Not found: Resource not found: {id} ({kind})"))
    }

    /// `404 E0000008 The requested path was not found`.
    pub fn path_not_found() -> Self {
        Self::new(404, "E0000008", "The requested path was not found")
    }

    /// `405 E0000022 The endpoint does not support the provided HTTP method`.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// `400 E0000029 Invalid paging request.`
    pub fn invalid_paging() -> Self {
        Self::new(400, "E0000029", "Invalid paging request.")
    }

    /// `403 E0000006` variant for operations on system objects, which cannot be deleted.
    pub fn system_object(kind: &str) -> Self {
        Self::new(
            403,
            "E0000006",
            format!("You do not have permission to perform the requested action: {kind} is a system object"),
        )
    }

    /// `500 E0000009 Internal Server Error`: the store failed. The cause is not shown to the caller.
    pub fn internal() -> Self {
        Self::new(500, "E0000009", "Internal Server Error")
    }

    /// The error as Okta's JSON object, with a fresh `errorId`.
    pub fn body(&self) -> Value {
        let causes: Vec<Value> = self
            .causes
            .iter()
            .map(|cause| json!({ "errorSummary": cause }))
            .collect();
        json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": new_id("oae", 22, &crate::random::SystemRandom),
            "errorCauses": causes,
        })
    }

    /// The error as a response.
    pub fn response(&self) -> ApiResponse {
        ApiResponse::json(self.status, self.body())
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
        assert_eq!(error.status, 400);
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
        assert_eq!(parse_body::<Named>(Some(b"{not json")).unwrap_err().code, "E0000003");
        assert_eq!(
            parse_body::<Named>(Some(br#"{"name": 5}"#)).unwrap_err().code,
            "E0000003"
        );
        assert_eq!(parse_body::<Named>(None).unwrap_err().code, "E0000003");
        assert!(parse_body::<Named>(Some(br#"{"name": "x"}"#)).is_ok());
    }
}

//! Request bodies and field checks shared by the API's resources: a body that is not a JSON
//! object is `E0000003`; missing, blank, too long or misspelled fields are `E0000001` causes.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::parse_body;
use super::{ApiError, FieldError};

/// The message for a required field that is absent, null or blank.
pub(super) const BLANK: &str = "The field cannot be left blank";

/// The request body as a JSON object: absent, not JSON or not an object is `E0000003`.
pub(super) fn parse_object(body: Option<&[u8]>) -> Result<Map<String, Value>, ApiError> {
    match parse_body::<Value>(body)? {
        Value::Object(object) => Ok(object),
        _ => Err(ApiError::malformed_body()),
    }
}

/// `object` with null members dropped (null reads as absent) and the read-only members (`id`,
/// `system`, `created`, `lastUpdated`, `_links`) ignored.
pub(super) fn writable(mut object: Map<String, Value>) -> Map<String, Value> {
    object.retain(|key, value| {
        !value.is_null() && !matches!(key.as_str(), "id" | "system" | "created" | "lastUpdated" | "_links")
    });
    object
}

/// `object` read as a `T`: JSON of the wrong types is `E0000003`.
pub(super) fn from_object<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(object)).map_err(|_| ApiError::malformed_body())
}

/// Adds a failure for `field` when it is present, not null and not a `T` (an enum spelled
/// `expected`).
pub(super) fn check_enum<T: DeserializeOwned>(
    object: &Map<String, Value>,
    field: &str,
    expected: &str,
    failures: &mut Vec<FieldError>,
) {
    if let Some(value) = object.get(field).filter(|v| !v.is_null()) {
        if serde_json::from_value::<T>(value.clone()).is_err() {
            failures.push(FieldError::new(
                field,
                format!("{value} is not a valid value: expected one of {expected}"),
            ));
        }
    }
}

/// `value` when it is present and not blank (empty after trimming); otherwise adds a [`BLANK`]
/// failure for `field` and answers `None`.
pub(super) fn required<'a>(failures: &mut Vec<FieldError>, field: &str, value: Option<&'a str>) -> Option<&'a str> {
    let value = value.filter(|text| !text.trim().is_empty());
    if value.is_none() {
        failures.push(FieldError::new(field, BLANK));
    }
    value
}

/// A required text of 1 to `max` characters (blank = empty after trimming).
pub(super) fn check_text(failures: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    if required(failures, field, value).is_some_and(|text| text.chars().count() > max) {
        failures.push(FieldError::new(
            field,
            format!("The field must be between 1 and {max} characters long"),
        ));
    }
}

/// `Err(E0000001)` with `failures` unless there are none.
pub(super) fn fail_on(failures: Vec<FieldError>) -> Result<(), ApiError> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(failures))
    }
}

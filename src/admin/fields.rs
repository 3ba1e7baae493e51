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

/// The message for text with control characters.
pub(super) const CONTROL: &str = "The field cannot contain control characters";

/// A required text of 1 to `max` characters (blank = empty after trimming) without control
/// characters: a name.
pub(super) fn check_text(failures: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    check_required_text(failures, field, value, max, |text| text.chars().any(char::is_control));
}

/// A required text of 1 to `max` characters that may span lines (tabs and line breaks are
/// allowed, other control characters are not): a description.
pub(super) fn check_description(failures: &mut Vec<FieldError>, field: &str, value: Option<&str>, max: usize) {
    check_required_text(failures, field, value, max, has_control_beyond_whitespace);
}

/// A required text of 1 to `max` characters for which `refused` finds no forbidden character.
fn check_required_text(
    failures: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
    refused: fn(&str) -> bool,
) {
    let Some(text) = required(failures, field, value) else {
        return;
    };
    if text.chars().count() > max {
        failures.push(FieldError::new(
            field,
            format!("The field must be between 1 and {max} characters long"),
        ));
    } else if refused(text) {
        failures.push(FieldError::new(field, CONTROL));
    }
}

/// An optional text of at most `max` characters; `multiline` allows tabs and line breaks, other
/// control characters are refused.
pub(super) fn check_optional_text(
    failures: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    max: usize,
    multiline: bool,
) {
    let Some(text) = value else {
        return;
    };
    if text.chars().count() > max {
        failures.push(FieldError::new(
            field,
            format!("The field cannot be longer than {max} characters"),
        ));
    } else if if multiline {
        has_control_beyond_whitespace(text)
    } else {
        text.chars().any(char::is_control)
    } {
        failures.push(FieldError::new(field, CONTROL));
    }
}

/// Whether `text` holds a control character other than a tab or a line break.
fn has_control_beyond_whitespace(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// A list of at most `max_entries` ids or names, each of at most `max_chars` characters without
/// control characters: one failure for the list, at most.
pub(super) fn check_entries(
    failures: &mut Vec<FieldError>,
    field: &str,
    entries: &[String],
    max_entries: usize,
    max_chars: usize,
) {
    if entries.len() > max_entries {
        failures.push(FieldError::new(
            field,
            format!("The list cannot have more than {max_entries} entries"),
        ));
    } else if entries.iter().any(|entry| entry.chars().count() > max_chars) {
        failures.push(FieldError::new(
            field,
            format!("An entry cannot be longer than {max_chars} characters"),
        ));
    } else if entries.iter().any(|entry| entry.chars().any(char::is_control)) {
        failures.push(FieldError::new(field, "An entry cannot contain control characters"));
    }
}

/// A failure of `field` (a list of a server's or policy's members) when it already holds `count`
/// of at most `max`, so one more does not fit.
pub(super) fn check_room(field: &str, count: usize, max: usize, what: &str) -> Result<(), ApiError> {
    if count >= max {
        Err(ApiError::invalid(field, format!("At most {max} {what} are allowed")))
    } else {
        Ok(())
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

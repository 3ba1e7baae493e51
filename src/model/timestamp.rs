//! Okta-style timestamps: RFC 3339 in, `2017-05-17T22:25:57.000Z` out.
//!
//! Okta prints every management timestamp in UTC with millisecond precision and a literal `Z`.
//! Input accepts any RFC 3339 date-time (any offset, any fraction length); output converts to UTC
//! and truncates to milliseconds.
//!
//! Use with `#[serde(with = "crate::model::timestamp")]` on an [`OffsetDateTime`] field, or
//! `#[serde(with = "crate::model::timestamp::option")]` on an `Option<OffsetDateTime>` field
//! (together with `default` and `skip_serializing_if = "Option::is_none"`).

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// Formats a timestamp the way Okta prints it: UTC, milliseconds, `Z`.
///
/// Fails only for years outside `0000..=9999`.
pub fn format(dt: OffsetDateTime) -> Result<String, time::error::Format> {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    dt.to_offset(UtcOffset::UTC).format(&fmt)
}

/// Parses an RFC 3339 date-time (e.g. `2017-05-17T22:25:57.000Z` or `2017-05-17T15:25:57-07:00`).
pub fn parse(s: &str) -> Result<OffsetDateTime, time::error::Parse> {
    OffsetDateTime::parse(s, &Rfc3339)
}

/// Serde serializer for an [`OffsetDateTime`] in Okta's format.
pub fn serialize<S: Serializer>(dt: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    let s = format(*dt).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&s)
}

/// Serde deserializer for an [`OffsetDateTime`] from an RFC 3339 string.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OffsetDateTime, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
    parse(&s).map_err(serde::de::Error::custom)
}

/// The same helpers for `Option<OffsetDateTime>` (`null` reads as `None`).
pub mod option {
    use super::*;

    /// Serde serializer for an optional timestamp (`None` → `null`; pair with
    /// `skip_serializing_if = "Option::is_none"` to omit the field instead).
    pub fn serialize<S: Serializer>(dt: &Option<OffsetDateTime>, serializer: S) -> Result<S::Ok, S::Error> {
        match dt {
            Some(dt) => super::serialize(dt, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Serde deserializer for an optional timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<OffsetDateTime>, D::Error> {
        let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        s.map(|s| parse(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use time::macros::datetime;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct T {
        #[serde(with = "super")]
        at: OffsetDateTime,
        #[serde(with = "super::option", default, skip_serializing_if = "Option::is_none")]
        maybe: Option<OffsetDateTime>,
    }

    #[test]
    fn prints_like_okta_seed_003() {
        // Seed 003 prints `"created": "2017-05-17T22:25:57.000Z"`.
        let t = T {
            at: datetime!(2017-05-17 22:25:57 UTC),
            maybe: None,
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"at":"2017-05-17T22:25:57.000Z"}"#);
    }

    #[test]
    fn converts_offsets_to_utc_and_truncates_to_millis() {
        let dt = datetime!(2017-05-17 15:25:57.123456789 -07:00);
        assert_eq!(format(dt).unwrap(), "2017-05-17T22:25:57.123Z");
    }

    #[test]
    fn round_trips_and_accepts_rfc3339_variants() {
        let t: T =
            serde_json::from_str(r#"{"at":"2017-05-17T22:25:57Z","maybe":"2017-08-15T22:25:57.5+00:00"}"#).unwrap();
        assert_eq!(t.at, datetime!(2017-05-17 22:25:57 UTC));
        assert_eq!(t.maybe, Some(datetime!(2017-08-15 22:25:57.5 UTC)));
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(
            json,
            r#"{"at":"2017-05-17T22:25:57.000Z","maybe":"2017-08-15T22:25:57.500Z"}"#
        );
    }

    #[test]
    fn null_and_missing_option_are_none() {
        let a: T = serde_json::from_str(r#"{"at":"2017-05-17T22:25:57Z","maybe":null}"#).unwrap();
        let b: T = serde_json::from_str(r#"{"at":"2017-05-17T22:25:57Z"}"#).unwrap();
        assert_eq!(a.maybe, None);
        assert_eq!(b.maybe, None);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            r#"{"at":"yesterday"}"#,
            r#"{"at":"2017-13-17T22:25:57Z"}"#,
            r#"{"at":42}"#,
        ] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn year_zero_formats_with_four_digits() {
        let dt = datetime!(0000-01-01 00:00 UTC);
        assert_eq!(format(dt).unwrap(), "0000-01-01T00:00:00.000Z");
    }
}

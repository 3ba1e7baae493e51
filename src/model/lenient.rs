//! Lenient input helpers for shapes Okta's own documents disagree on.
//!
//! Output is always the canonical form (JSON booleans, arrays); only input is lenient:
//! * booleans may arrive as strings (`"TRUE"`, `"false"`), as in the claim examples of Okta's 2017
//!   OAuth 2.0 API reference and of its successor, the Authorization Servers API reference
//!   (`"alwaysIncludeInToken": "TRUE"`);
//! * a string list may arrive as a single string (Okta's 2017 OAuth 2.0 API reference prints
//!   `"audiences": "https://…"`).

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A boolean read from `true`/`false` or a case-insensitive `"true"`/`"false"` string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct LenientBool(pub bool);

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean or the string \"true\"/\"false\"")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(LenientBool(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.eq_ignore_ascii_case("true") {
                    Ok(LenientBool(true))
                } else if v.eq_ignore_ascii_case("false") {
                    Ok(LenientBool(false))
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `deserialize_with` for a `bool` field accepting [`LenientBool`] spellings.
pub(crate) fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    LenientBool::deserialize(d).map(|b| b.0)
}

/// `deserialize_with` for an `Option<bool>` field accepting [`LenientBool`] spellings or `null`.
pub(crate) fn option_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<LenientBool>::deserialize(d).map(|b| b.map(|b| b.0))
}

/// `deserialize_with` for a `Vec<String>` that may also arrive as one string or `null`.
pub(crate) fn string_or_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct T {
        #[serde(deserialize_with = "bool")]
        b: bool,
        #[serde(default, deserialize_with = "option_bool")]
        o: Option<bool>,
        #[serde(default, deserialize_with = "string_or_vec")]
        v: Vec<String>,
    }

    #[test]
    fn booleans_as_strings_seed_003_claims() {
        // Seed 003 claim examples: `"alwaysIncludeInToken": "TRUE"`, `"system": "false"`.
        let t: T = serde_json::from_str(r#"{"b":"TRUE","o":"false"}"#).unwrap();
        assert!(t.b);
        assert_eq!(t.o, Some(false));
        let t: T = serde_json::from_str(r#"{"b":false,"o":null}"#).unwrap();
        assert!(!t.b);
        assert_eq!(t.o, None);
    }

    #[test]
    fn other_strings_are_rejected() {
        assert!(serde_json::from_str::<T>(r#"{"b":"yes"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"b":1}"#).is_err());
    }

    #[test]
    fn single_string_becomes_a_list_seed_003_audiences() {
        let t: T = serde_json::from_str(r#"{"b":true,"v":"https://api.resource.com"}"#).unwrap();
        assert_eq!(t.v, vec!["https://api.resource.com".to_string()]);
        let t: T = serde_json::from_str(r#"{"b":true,"v":["a","b"]}"#).unwrap();
        assert_eq!(t.v, vec!["a".to_string(), "b".to_string()]);
        assert!(serde_json::from_str::<T>(r#"{"b":true,"v":[1]}"#).is_err());
    }
}

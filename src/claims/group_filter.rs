//! `GROUPS` claim filters (Okta's 2017 OAuth 2.0 API reference, "Details for groupFilterType"):
//! `STARTS_WITH`, `EQUALS` and `CONTAINS` compare case-insensitively; `REGEX` is case-sensitive
//! and must match the whole group name (Java's `matches`, which Okta's expression language uses).

use regex::{Regex, RegexBuilder};

use crate::model::GroupFilterType;

/// Okta's limit on the number of groups in a claim (Okta's "Create an authorization server"
/// guide, "Create Claims"): a filter matching more makes the token request fail.
pub const MAX_GROUPS_IN_CLAIM: usize = 100;

/// A compiled group filter.
#[derive(Debug, Clone)]
pub struct GroupFilter {
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    StartsWith(String),
    Equals(String),
    Contains(String),
    Regex(Regex),
}

/// The `REGEX` filter's value is not a valid regular expression (or is too large).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid group filter regex: {0}")]
pub struct InvalidGroupRegex(String);

impl GroupFilter {
    /// Compiles `value` for `kind`. A `REGEX` value may be written between slashes, as in the
    /// example `/^[a-z0-9_-]{3,16}$/` of Okta's 2017 OAuth 2.0 API reference.
    ///
    /// # Errors
    /// [`InvalidGroupRegex`] when a `REGEX` value does not compile under a 1 MiB size limit.
    pub fn new(kind: GroupFilterType, value: &str) -> Result<Self, InvalidGroupRegex> {
        let matcher = match kind {
            GroupFilterType::StartsWith => Matcher::StartsWith(value.to_lowercase()),
            GroupFilterType::Equals => Matcher::Equals(value.to_lowercase()),
            GroupFilterType::Contains => Matcher::Contains(value.to_lowercase()),
            GroupFilterType::Regex => {
                let pattern = value
                    .strip_prefix('/')
                    .and_then(|p| p.strip_suffix('/'))
                    .unwrap_or(value);
                let regex = RegexBuilder::new(&format!("^(?:{pattern})$"))
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|err| InvalidGroupRegex(err.to_string()))?;
                Matcher::Regex(regex)
            }
        };
        Ok(Self { matcher })
    }

    /// Whether group `name` passes the filter.
    pub fn matches(&self, name: &str) -> bool {
        match &self.matcher {
            Matcher::Regex(regex) => regex.is_match(name),
            Matcher::StartsWith(prefix) => name.to_lowercase().starts_with(prefix.as_str()),
            Matcher::Equals(wanted) => name.to_lowercase() == *wanted,
            Matcher::Contains(part) => name.to_lowercase().contains(part.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(kind: GroupFilterType, value: &str) -> GroupFilter {
        GroupFilter::new(kind, value).unwrap()
    }

    #[test]
    fn seed_003_examples() {
        // STARTS_WITH `group1`: `group123` and `Group123` are included.
        let starts = filter(GroupFilterType::StartsWith, "group1");
        assert!(starts.matches("group123") && starts.matches("Group123"));
        assert!(!starts.matches("mygroup1"));
        // EQUALS `group1`: `group1` and `Group1`, but not `group123`.
        let equals = filter(GroupFilterType::Equals, "group1");
        assert!(equals.matches("group1") && equals.matches("Group1"));
        assert!(!equals.matches("group123"));
        // CONTAINS `group1`: `MyGroup123` and `group1`.
        let contains = filter(GroupFilterType::Contains, "group1");
        assert!(contains.matches("MyGroup123") && contains.matches("group1"));
        assert!(!contains.matches("grp1"));
        // REGEX `/^[a-z0-9_-]{3,16}$/`: case-sensitive, 3 to 16 characters.
        let regex = filter(GroupFilterType::Regex, "/^[a-z0-9_-]{3,16}$/");
        assert!(regex.matches("eng_team-1"));
        assert!(!regex.matches("Eng"), "REGEX is case-sensitive");
        assert!(!regex.matches("ab"));
    }

    #[test]
    fn regex_must_match_the_whole_name() {
        let regex = filter(GroupFilterType::Regex, "admin");
        assert!(regex.matches("admin"));
        assert!(!regex.matches("admins"));
        assert!(filter(GroupFilterType::Regex, ".*admin.*").matches("superadmins"));
    }

    #[test]
    fn invalid_regex_is_an_error() {
        assert!(GroupFilter::new(GroupFilterType::Regex, "(unclosed").is_err());
        assert!(
            GroupFilter::new(GroupFilterType::Regex, "a{100000}{100000}").is_err(),
            "size limit"
        );
    }
}

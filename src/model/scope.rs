//! The scope object (`…/authorizationServers/{id}/scopes/{scopeId}`).

use serde::{Deserialize, Serialize};

use super::{Links, lenient};

/// A scope defined on an authorization server.
///
/// `consent`, `metadataPublish` and `optional` are kept as given (omitted stays omitted, as in
/// the examples of Okta's 2017 OAuth 2.0 API reference); the accessors return Okta's API defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scope {
    /// Scope id (`scp…`); empty on create requests, then omitted on output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The scope name as requested in `scope` (unique per server).
    pub name: String,
    /// Name shown on the consent screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `true` for Okta-created scopes.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub system: bool,
    /// Granted when a request omits `scope`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub default: bool,
    /// Consent requirement; `None` = `IMPLICIT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ScopeConsent>,
    /// Whether discovery metadata lists the scope; `None` = `NO_CLIENTS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_publish: Option<MetadataPublish>,
    /// Whether the user may deselect the scope on the consent screen; `None` = `false`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::option_bool"
    )]
    pub optional: Option<bool>,
    /// HAL links (`self`).
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Scope {
    /// A scope with just a name (everything else default).
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: String::new(),
            name: name.into(),
            display_name: None,
            description: None,
            system: false,
            default: false,
            consent: None,
            metadata_publish: None,
            optional: None,
            links: None,
        }
    }

    /// The effective consent requirement (`IMPLICIT` when unset).
    pub fn consent(&self) -> ScopeConsent {
        self.consent.unwrap_or(ScopeConsent::Implicit)
    }

    /// The effective metadata publication (`NO_CLIENTS` when unset).
    pub fn metadata_publish(&self) -> MetadataPublish {
        self.metadata_publish.unwrap_or(MetadataPublish::NoClients)
    }

    /// The effective `optional` flag (`false` when unset).
    pub fn is_optional(&self) -> bool {
        self.optional.unwrap_or(false)
    }
}

/// `consent`: whether the user is asked to consent to the scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScopeConsent {
    /// Consent is required.
    Required,
    /// No consent prompt (the default).
    Implicit,
    /// Prompted only with `prompt=consent`; granted without consent to client credentials.
    Flexible,
}

/// `metadataPublish`: whether `/.well-known/*` lists the scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MetadataPublish {
    /// Listed in discovery metadata.
    AllClients,
    /// Not listed (the default).
    NoClients,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seed_003_scope_round_trips_exactly() {
        // Seed 003 "Scopes Object" (the array's single element).
        let seed = json!({
            "id": "scpainazg3Ekay92V0h7",
            "name": "car:drive",
            "description": "Drive car",
            "system": false,
            "default": false
        });
        let s: Scope = serde_json::from_value(seed.clone()).unwrap();
        assert_eq!(s.consent(), ScopeConsent::Implicit);
        assert_eq!(s.metadata_publish(), MetadataPublish::NoClients);
        assert!(!s.is_optional());
        assert_eq!(serde_json::to_value(&s).unwrap(), seed);
    }

    #[test]
    fn current_api_scope_round_trips_exactly() {
        let v = json!({
            "id": "scp1", "name": "car:drive", "displayName": "Drive", "description": "Drive car",
            "system": false, "default": true, "consent": "FLEXIBLE",
            "metadataPublish": "ALL_CLIENTS", "optional": true,
            "_links": {"self": {"href": "https://x/scopes/scp1"}}
        });
        let s: Scope = serde_json::from_value(v.clone()).unwrap();
        assert!(s.default && s.is_optional());
        assert_eq!(s.consent(), ScopeConsent::Flexible);
        assert_eq!(serde_json::to_value(&s).unwrap(), v);
    }

    #[test]
    fn unknown_enum_values_are_errors() {
        // `ADMIN` is only in the v1 swagger (reference Appendix A item 10); not accepted.
        assert!(serde_json::from_value::<Scope>(json!({"name": "a", "consent": "ADMIN"})).is_err());
        assert!(serde_json::from_value::<Scope>(json!({"name": "a", "metadataPublish": "SOME"})).is_err());
        assert!(serde_json::from_value::<Scope>(json!({"description": "no name"})).is_err());
    }
}

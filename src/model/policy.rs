//! The access policy object (`…/authorizationServers/{id}/policies/{policyId}`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ALL_CLIENTS, Links, Status, lenient, timestamp};

/// An access policy of a custom authorization server: which clients it applies to.
///
/// Its rules are separate resources (see [`Rule`](super::Rule)); the policy object does not embed
/// them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Always `OAUTH_AUTHORIZATION_POLICY`.
    #[serde(rename = "type", default)]
    pub policy_type: PolicyType,
    /// Policy id (`00p…`); empty on create requests, then omitted on output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// `ACTIVE` (default) or `INACTIVE`; inactive policies are skipped by evaluation.
    #[serde(default)]
    pub status: Status,
    /// Name, 1–100 characters (validated by the management layer).
    pub name: String,
    /// Description, 1–255 characters (validated by the management layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Evaluation order, `1` first; `None` (omitted on create) sorts last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// `true` for Okta-created policies.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub system: bool,
    /// Which clients the policy applies to; absent means no client restriction (the management
    /// layer requires it on create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<PolicyConditions>,
    /// Creation time (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Last modification time (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_updated: Option<OffsetDateTime>,
    /// HAL links (`self`, lifecycle, `rules`).
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

/// The policy `type` discriminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum PolicyType {
    /// An authorization-server access policy.
    #[default]
    #[serde(rename = "OAUTH_AUTHORIZATION_POLICY")]
    OauthAuthorizationPolicy,
}

/// `conditions` of a policy.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct PolicyConditions {
    /// The client condition; absent means every client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<ClientCondition>,
}

/// `conditions.clients`: `include` holds client ids or [`ALL_CLIENTS`]; `exclude` (an extension
/// Okta's generic policy API has) removes clients again.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct ClientCondition {
    /// Included client ids, or `ALL_CLIENTS`.
    #[serde(default)]
    pub include: Vec<String>,
    /// Excluded client ids; omitted on output when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl ClientCondition {
    /// Whether `client_id` is included and not excluded.
    pub fn matches(&self, client_id: &str) -> bool {
        self.includes(client_id) && !self.excludes(client_id)
    }

    /// Whether `client_id` is in `include` (directly or through `ALL_CLIENTS`).
    pub fn includes(&self, client_id: &str) -> bool {
        self.include.iter().any(|c| c == ALL_CLIENTS || c == client_id)
    }

    /// Whether `client_id` is in `exclude`.
    pub fn excludes(&self, client_id: &str) -> bool {
        self.exclude.iter().any(|c| c == client_id)
    }
}

impl Policy {
    /// The client condition, if any (`None` = every client).
    pub fn client_condition(&self) -> Option<&ClientCondition> {
        self.conditions.as_ref().and_then(|c| c.clients.as_ref())
    }

    /// Whether this policy's client condition admits `client_id` (status is not checked).
    pub fn applies_to_client(&self, client_id: &str) -> bool {
        self.client_condition().is_none_or(|c| c.matches(client_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Seed 003 "Policies Object", verbatim.
    fn seed_policy() -> serde_json::Value {
        json!({
            "type": "OAUTH_AUTHORIZATION_POLICY",
            "id": "00palyaappA22DPkj0h7",
            "status": "ACTIVE",
            "name": "Vendor2 Policy",
            "description": "Vendor2 policy description",
            "priority": 1,
            "system": false,
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
            "created": "2017-05-26T19:43:53.000Z",
            "lastUpdated": "2017-06-07T15:28:17.000Z",
            "_links": {
                "self": {"href": "${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/policies/00palyaappA22DPkj0h7", "hints": {"allow": ["GET", "PUT", "DELETE"]}},
                "deactivate": {"href": "${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/policies/00palyaappA22DPkj0h7/lifecycle/deactivate", "hints": {"allow": ["POST"]}},
                "rules": {"href": "https://${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/policies/00palyaappA22DPkj0h7/rules", "hints": {"allow": ["GET"]}}
            }
        })
    }

    #[test]
    fn seed_003_policy_round_trips_exactly() {
        let seed = seed_policy();
        let p: Policy = serde_json::from_value(seed.clone()).unwrap();
        assert_eq!(p.priority, Some(1));
        assert!(p.applies_to_client("0oaanyclient"));
        assert_eq!(serde_json::to_value(&p).unwrap(), seed);
    }

    #[test]
    fn seed_003_create_request_parses() {
        // Seed 003 "Create a Policy" request body.
        let p: Policy = serde_json::from_value(json!({
            "type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": "Default Policy",
            "description": "Default policy description", "priority": 1,
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
        }))
        .unwrap();
        assert!(p.id.is_empty());
        assert!(!p.system);
    }

    #[test]
    fn client_list_and_exclude_are_honoured() {
        let c = ClientCondition {
            include: vec!["a".into(), "b".into()],
            exclude: vec!["b".into()],
        };
        assert!(c.matches("a"));
        assert!(!c.matches("b"), "excluded wins over included");
        assert!(!c.matches("z"));
        let all = ClientCondition {
            include: vec![ALL_CLIENTS.into()],
            exclude: vec!["x".into()],
        };
        assert!(all.matches("y"));
        assert!(!all.matches("x"));
    }

    #[test]
    fn unknown_type_is_an_error() {
        let r = serde_json::from_value::<Policy>(json!({"type": "OKTA_SIGN_ON", "name": "n"}));
        assert!(r.is_err());
    }
}

//! The custom claim object (`…/authorizationServers/{id}/claims/{claimId}`).
//!
//! The claim stores its `value` as source text; parsing expressions is `crate::expr`'s job.
//! `group_filter_type` is written in the current API's snake_case; the camelCase
//! `groupFilterType` of Okta's 2017 OAuth 2.0 API reference is accepted on input as an alias.

use serde::{Deserialize, Serialize};

use super::{Links, Status, lenient};

/// A custom (or system) claim of an authorization server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// Claim id (`ocl…`); empty on create requests, then omitted on output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Claim name in the token.
    pub name: String,
    /// `ACTIVE` (default) or `INACTIVE` (disabled).
    #[serde(default)]
    pub status: Status,
    /// Which token the claim goes into.
    pub claim_type: ClaimType,
    /// How `value` is interpreted.
    pub value_type: ClaimValueType,
    /// An expression (`EXPRESSION`), a group filter (`GROUPS`) or Okta's value (`SYSTEM`).
    #[serde(default)]
    pub value: String,
    /// How a `GROUPS` filter matches group names.
    #[serde(
        rename = "group_filter_type",
        alias = "groupFilterType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub group_filter_type: Option<GroupFilterType>,
    /// For ID-token claims, `false` leaves the claim out when an access token is issued too (then
    /// it is only available from `/userinfo`); always effectively `true` for access-token claims.
    /// Accepts `"TRUE"`/`"false"` strings (as in Okta's 2017 OAuth 2.0 API reference) and writes
    /// booleans.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::option_bool"
    )]
    pub always_include_in_token: Option<bool>,
    /// Scopes that trigger the claim; absent or empty = any scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<ClaimConditions>,
    /// `true` for Okta-created claims.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub system: bool,
    /// HAL links (`self`).
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Claim {
    /// The scopes the claim is conditioned on (empty = any scope).
    pub fn condition_scopes(&self) -> &[String] {
        self.conditions.as_ref().map_or(&[], |c| &c.scopes)
    }

    /// Whether the claim applies given the granted scopes (Okta's "Create an authorization server"
    /// guide, "Include in": `[]` = any scope, otherwise at least one listed scope must be granted).
    pub fn applies_to_scopes<S: AsRef<str>>(&self, granted: &[S]) -> bool {
        let wanted = self.condition_scopes();
        wanted.is_empty() || wanted.iter().any(|w| granted.iter().any(|g| g.as_ref() == w))
    }

    /// The effective `alwaysIncludeInToken` (access-token claims are always included; unset
    /// means `true`).
    pub fn always_include(&self) -> bool {
        self.claim_type == ClaimType::Resource || self.always_include_in_token.unwrap_or(true)
    }
}

/// `conditions` of a claim.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct ClaimConditions {
    /// Scope names; empty = any scope.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `claimType`: which token carries the claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimType {
    /// The access token.
    Resource,
    /// The ID token.
    Identity,
}

/// `valueType`: how the claim's `value` is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimValueType {
    /// An Okta Expression Language expression.
    Expression,
    /// A group-name filter, applied with `group_filter_type`.
    Groups,
    /// An Okta-defined claim.
    System,
}

/// `group_filter_type`: how a `GROUPS` claim filters group names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupFilterType {
    /// Name starts with the value (case-insensitive).
    StartsWith,
    /// Name equals the value (case-insensitive).
    Equals,
    /// Name contains the value (case-insensitive).
    Contains,
    /// Name matches the regular expression in the value (case-sensitive).
    Regex,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Seed 003 "Claims Object", syntax repaired (commas after `"alwaysIncludeInToken": "TRUE"`);
    /// values unchanged.
    fn seed_claims() -> serde_json::Value {
        json!([
          {
            "id": "oclain6za1HQ0noop0h7", "name": "sub", "status": "ACTIVE",
            "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": "(appuser != null) ? appuser.userName : app.clientId",
            "alwaysIncludeInToken": "TRUE",
            "conditions": {"scopes": []},
            "system": true
          },
          {
            "id": "oclain9m7hFik68qr0h7", "name": "carDriving", "status": "ACTIVE",
            "claimType": "IDENTITY", "valueType": "EXPRESSION",
            "value": "\"drivePlease\"",
            "alwaysIncludeInToken": "TRUE",
            "conditions": {"scopes": ["car:drive"]},
            "system": false
          }
        ])
    }

    #[test]
    fn seed_003_claims_round_trip() {
        let seed = seed_claims();
        let claims: Vec<Claim> = serde_json::from_value(seed.clone()).unwrap();
        assert_eq!(claims[0].value_type, ClaimValueType::Expression);
        assert_eq!(claims[1].always_include_in_token, Some(true));
        // Only normalisation: the string booleans `"TRUE"` are written as JSON booleans.
        let mut expected = seed;
        for c in expected.as_array_mut().unwrap() {
            c["alwaysIncludeInToken"] = json!(true);
        }
        assert_eq!(serde_json::to_value(&claims).unwrap(), expected);
    }

    #[test]
    fn seed_003_update_body_with_string_booleans_parses() {
        // Seed 003 "Update a Claim": `"alwaysIncludeInToken": "true", "system": "false"`.
        let c: Claim = serde_json::from_value(json!({
            "name": "carDriving", "status": "ACTIVE", "claimType": "RESOURCE",
            "valueType": "EXPRESSION", "value": "\"driving!\"",
            "alwaysIncludeInToken": "true", "system": "false",
            "conditions": {"scopes": ["car:drive"]}
        }))
        .unwrap();
        assert!(!c.system);
        assert_eq!(c.always_include_in_token, Some(true));
    }

    #[test]
    fn group_filter_type_both_spellings_in_snake_case_out() {
        let camel: Claim = serde_json::from_value(json!({
            "name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS",
            "value": "Everyone", "groupFilterType": "STARTS_WITH"
        }))
        .unwrap();
        let snake: Claim = serde_json::from_value(json!({
            "name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS",
            "value": "Everyone", "group_filter_type": "STARTS_WITH"
        }))
        .unwrap();
        assert_eq!(camel, snake);
        assert_eq!(camel.group_filter_type, Some(GroupFilterType::StartsWith));
        let out = serde_json::to_value(&camel).unwrap();
        assert_eq!(out["group_filter_type"], json!("STARTS_WITH"));
        assert!(out.get("groupFilterType").is_none());
    }

    #[test]
    fn unknown_enum_values_are_errors() {
        let base = json!({"name": "c", "claimType": "RESOURCE", "valueType": "EXPRESSION"});
        for (k, v) in [
            ("claimType", "ACCESS"),
            ("valueType", "LITERAL"),
            ("group_filter_type", "ENDS_WITH"),
            ("status", "ENABLED"),
        ] {
            let mut b = base.clone();
            b[k] = json!(v);
            assert!(serde_json::from_value::<Claim>(b).is_err(), "{k}");
        }
        assert!(serde_json::from_value::<Claim>(base).is_ok());
    }

    #[test]
    fn scope_condition_and_always_include() {
        let claims: Vec<Claim> = serde_json::from_value(seed_claims()).unwrap();
        let none: [&str; 0] = [];
        assert!(claims[0].applies_to_scopes(&none), "[] = any scope");
        assert!(!claims[1].applies_to_scopes(&["openid"]));
        assert!(claims[1].applies_to_scopes(&["openid", "car:drive"]));
        let mut id_claim = claims[1].clone();
        id_claim.always_include_in_token = Some(false);
        assert!(!id_claim.always_include());
        let mut at_claim = claims[0].clone();
        at_claim.always_include_in_token = Some(false);
        assert!(at_claim.always_include(), "access-token claims are always included");
    }
}

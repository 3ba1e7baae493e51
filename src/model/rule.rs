//! The policy rule object (`…/policies/{policyId}/rules/{ruleId}`).
//!
//! # Two input shapes, one output shape
//!
//! Okta's 2017 OAuth 2.0 API reference documents rules with the token lifetimes in a top-level
//! `token` object and scope entries as objects (`{"name": "*", "access": "ALLOW"}`); the current
//! Management API puts the lifetimes in `actions.token` and scopes as plain strings. Both are
//! accepted on input (through a private wire struct). Output is always the **current API shape**:
//! `actions.token` and string scope names, because that is what current Okta SDKs, Terraform and
//! the OpenAPI document read. A body that carries both `token` and `actions.token` with different
//! values is rejected rather than silently picking one.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;

use super::{ALL_SCOPES, EVERYONE, GrantType, Links, Status, lenient, timestamp};

/// Default `accessTokenLifetimeMinutes` when a rule omits it (Okta's default: 60).
pub const DEFAULT_ACCESS_TOKEN_LIFETIME_MINUTES: u32 = 60;
/// Default `refreshTokenWindowMinutes` when a rule omits it (Okta's default: 7 days).
pub const DEFAULT_REFRESH_TOKEN_WINDOW_MINUTES: u32 = 10_080;

/// A rule of an access policy: who (people), how (grant types) and what (scopes) it admits, and
/// the token lifetimes it grants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RuleWire")]
pub struct Rule {
    /// Always `RESOURCE_ACCESS`.
    #[serde(rename = "type")]
    pub rule_type: RuleType,
    /// Rule id (`0pr…`); empty on create requests, then omitted on output.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// `ACTIVE` (default) or `INACTIVE`; inactive rules are skipped by evaluation.
    pub status: Status,
    /// Rule name.
    pub name: String,
    /// Evaluation order within the policy, `1` first; `None` (omitted on create) sorts last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    /// `true` for Okta-created rules (they cannot be deleted).
    pub system: bool,
    /// What the rule matches. An absent condition places no restriction on its dimension (the
    /// management layer enforces which conditions are required).
    pub conditions: RuleConditions,
    /// What the rule grants: token lifetimes and an optional inline hook.
    pub actions: RuleActions,
    /// Creation time (read-only).
    #[serde(skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Last modification time (read-only).
    #[serde(skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_updated: Option<OffsetDateTime>,
    /// HAL links (`self`, lifecycle).
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Rule {
    /// The rule's token lifetimes.
    pub fn token(&self) -> &TokenAction {
        &self.actions.token
    }
}

/// The rule `type` discriminator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RuleType {
    /// An authorization-server policy rule.
    #[default]
    #[serde(rename = "RESOURCE_ACCESS")]
    ResourceAccess,
}

/// `conditions` of a rule. Each absent member places no restriction (see [`Rule::conditions`]).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleConditions {
    /// Users and groups the rule applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub people: Option<PeopleCondition>,
    /// Grant types the rule applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<GrantTypeCondition>,
    /// Scopes the rule admits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<ScopeCondition>,
}

/// `conditions.people`: user ids and group ids (or [`EVERYONE`]).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct PeopleCondition {
    /// User ids.
    #[serde(default)]
    pub users: IncludeExclude,
    /// Group ids, or `EVERYONE`.
    #[serde(default)]
    pub groups: IncludeExclude,
}

/// An `include`/`exclude` pair of ids; both lists are always written.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct IncludeExclude {
    /// Included ids.
    #[serde(default)]
    pub include: Vec<String>,
    /// Excluded ids (they win over `include`).
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl PeopleCondition {
    /// Whether `include` names the user directly, names one of `group_ids`, or holds `EVERYONE`.
    pub fn includes(&self, user_id: &str, group_ids: &[String]) -> bool {
        self.users.include.iter().any(|u| u == user_id)
            || self
                .groups
                .include
                .iter()
                .any(|g| g == EVERYONE || group_ids.iter().any(|ug| ug == g))
    }

    /// Whether the user is excluded directly.
    pub fn excludes_user(&self, user_id: &str) -> bool {
        self.users.exclude.iter().any(|u| u == user_id)
    }

    /// The first excluded group the user belongs to (`EVERYONE` in `exclude` excludes everyone).
    pub fn excluded_group<'a>(&'a self, group_ids: &[String]) -> Option<&'a str> {
        self.groups
            .exclude
            .iter()
            .find(|g| *g == EVERYONE || group_ids.iter().any(|ug| ug == *g))
            .map(String::as_str)
    }
}

/// `conditions.grantTypes`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct GrantTypeCondition {
    /// Admitted grant types; an unknown spelling is a deserialize error.
    #[serde(default)]
    pub include: Vec<GrantType>,
}

impl GrantTypeCondition {
    /// Whether `grant` is listed.
    pub fn allows(&self, grant: GrantType) -> bool {
        self.include.contains(&grant)
    }
}

/// `conditions.scopes`: scope names, or [`ALL_SCOPES`] (`*`).
///
/// Input accepts plain names (current API) and the 2017 API's `{"name": "*", "access": "ALLOW"}`
/// objects; output is always plain names.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct ScopeCondition {
    /// Admitted scope names, or `*`.
    #[serde(default, deserialize_with = "scope_names")]
    pub include: Vec<String>,
}

impl ScopeCondition {
    /// Whether the list holds `*`.
    pub fn allows_all(&self) -> bool {
        self.include.iter().any(|s| s == ALL_SCOPES)
    }

    /// Whether `scope` is admitted by name or by `*`.
    pub fn allows(&self, scope: &str) -> bool {
        self.include.iter().any(|s| s == ALL_SCOPES || s == scope)
    }
}

fn scope_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    enum Access {
        #[serde(rename = "ALLOW")]
        Allow,
    }
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entry {
        Name(String),
        Object {
            name: String,
            #[allow(dead_code)]
            #[serde(default)]
            access: Option<Access>,
        },
    }
    let entries = Option::<Vec<Entry>>::deserialize(d)?.unwrap_or_default();
    Ok(entries
        .into_iter()
        .map(|e| match e {
            Entry::Name(n) | Entry::Object { name: n, .. } => n,
        })
        .collect())
}

/// `actions` of a rule.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleActions {
    /// Token lifetimes and inline hook.
    #[serde(default)]
    pub token: TokenAction,
}

/// `actions.token`: lifetimes of the tokens a matching request gets.
///
/// See [`lifetimes`](super::lifetimes) for the allowed ranges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenAction {
    /// Access-token lifetime in minutes (default 60).
    #[serde(default = "default_access")]
    pub access_token_lifetime_minutes: u32,
    /// Refresh-token lifetime in minutes; `None` = unlimited. Read from `0`, `null` or absence;
    /// written as `0`, as Okta does.
    #[serde(default, with = "unlimited_minutes")]
    pub refresh_token_lifetime_minutes: Option<u32>,
    /// Refresh-token idle window in minutes (default 10080 = 7 days).
    #[serde(default = "default_window")]
    pub refresh_token_window_minutes: u32,
    /// Token inline hook to call when minting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_hook: Option<InlineHookRef>,
}

impl Default for TokenAction {
    fn default() -> Self {
        Self {
            access_token_lifetime_minutes: DEFAULT_ACCESS_TOKEN_LIFETIME_MINUTES,
            refresh_token_lifetime_minutes: None,
            refresh_token_window_minutes: DEFAULT_REFRESH_TOKEN_WINDOW_MINUTES,
            inline_hook: None,
        }
    }
}

impl TokenAction {
    /// Refresh-token lifetime in minutes, `None` = unlimited (`Some(0)` also reads as unlimited).
    pub fn refresh_token_lifetime(&self) -> Option<u32> {
        self.refresh_token_lifetime_minutes.filter(|m| *m != 0)
    }
}

fn default_access() -> u32 {
    DEFAULT_ACCESS_TOKEN_LIFETIME_MINUTES
}

fn default_window() -> u32 {
    DEFAULT_REFRESH_TOKEN_WINDOW_MINUTES
}

mod unlimited_minutes {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(v.unwrap_or(0))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Ok(Option::<u32>::deserialize(d)?.filter(|m| *m != 0))
    }
}

/// `actions.token.inlineHook`: a reference to a token inline hook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineHookRef {
    /// Inline hook id (`cal…`).
    pub id: String,
}

/// Input shape accepting both the 2017 and the current-API rule layouts.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleWire {
    #[serde(rename = "type", default)]
    rule_type: RuleType,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Status,
    name: String,
    #[serde(default)]
    priority: Option<u32>,
    #[serde(default, deserialize_with = "lenient::bool")]
    system: bool,
    #[serde(default)]
    conditions: Option<RuleConditions>,
    #[serde(default)]
    actions: Option<ActionsWire>,
    /// The 2017 API's top-level `token`.
    #[serde(default)]
    token: Option<TokenAction>,
    #[serde(default, with = "timestamp::option")]
    created: Option<OffsetDateTime>,
    #[serde(default, with = "timestamp::option")]
    last_updated: Option<OffsetDateTime>,
    #[serde(rename = "_links", default)]
    links: Option<Links>,
}

#[derive(Deserialize)]
struct ActionsWire {
    #[serde(default)]
    token: Option<TokenAction>,
}

/// Why a rule body could not be read (beyond plain JSON shape errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleShapeError {
    /// Both `token` (2017 API) and `actions.token` (current API) were given, with different values.
    #[error("`token` and `actions.token` are both present and differ")]
    ConflictingToken,
}

impl TryFrom<RuleWire> for Rule {
    type Error = RuleShapeError;

    fn try_from(w: RuleWire) -> Result<Self, Self::Error> {
        let current = w.actions.and_then(|a| a.token);
        let token = match (current, w.token) {
            (Some(a), Some(b)) if a != b => return Err(RuleShapeError::ConflictingToken),
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => TokenAction::default(),
        };
        Ok(Rule {
            rule_type: w.rule_type,
            id: w.id.unwrap_or_default(),
            status: w.status,
            name: w.name,
            priority: w.priority,
            system: w.system,
            conditions: w.conditions.unwrap_or_default(),
            actions: RuleActions { token },
            created: w.created,
            last_updated: w.last_updated,
            links: w.links,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Seed 003 "Rules Object", syntax repaired (the seed is missing the closing braces of
    /// `groups`, `people` and `conditions`); values unchanged.
    fn seed_rule() -> serde_json::Value {
        json!({
          "type": "RESOURCE_ACCESS",
          "status": "ACTIVE",
          "name": "Default rule",
          "system": false,
          "conditions": {
            "people": {
              "users": {"include": [], "exclude": []},
              "groups": {"include": ["EVERYONE"], "exclude": []}
            },
            "scopes": {"include": [{"name": "*", "access": "ALLOW"}]}
          },
          "token": {
            "accessTokenLifetimeMinutes": 60,
            "refreshTokenLifetimeMinutes": 0,
            "refreshTokenWindowMinutes": 10080
          }
        })
    }

    /// Reference §2.2 rule example (current API shape).
    fn current_rule() -> serde_json::Value {
        json!({
          "type": "RESOURCE_ACCESS", "id": "0pr1", "status": "ACTIVE", "name": "Default Policy Rule",
          "priority": 1, "system": false,
          "conditions": {
            "people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
            "grantTypes": {"include": ["implicit", "client_credentials", "authorization_code", "password"]},
            "scopes": {"include": ["*"]}
          },
          "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                                "refreshTokenWindowMinutes": 10080, "inlineHook": {"id": "cal1"}}},
          "created": "2017-05-26T19:43:53.000Z",
          "lastUpdated": "2017-06-07T15:28:17.000Z",
          "_links": {"self": {"href": "https://x/rules/0pr1"}}
        })
    }

    #[test]
    fn seed_003_rule_reads_and_writes_current_shape() {
        let rule: Rule = serde_json::from_value(seed_rule()).unwrap();
        assert_eq!(rule.conditions.scopes.as_ref().unwrap().include, vec!["*"]);
        assert_eq!(rule.token().access_token_lifetime_minutes, 60);
        assert_eq!(rule.token().refresh_token_lifetime(), None, "0 = unlimited");
        assert_eq!(rule.token().refresh_token_window_minutes, 10080);
        // The only differences from the seed: `token` moves under `actions`, and scope entries
        // become plain names (the shape choice documented at the top of this module).
        let expected = json!({
          "type": "RESOURCE_ACCESS", "status": "ACTIVE", "name": "Default rule", "system": false,
          "conditions": {
            "people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
            "scopes": {"include": ["*"]}
          },
          "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                                "refreshTokenWindowMinutes": 10080}}
        });
        let out = serde_json::to_value(&rule).unwrap();
        assert_eq!(out, expected);
        // And the output reads back to the same rule.
        assert_eq!(serde_json::from_value::<Rule>(out).unwrap(), rule);
    }

    #[test]
    fn current_api_rule_round_trips_exactly() {
        let v = current_rule();
        let rule: Rule = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(
            rule.conditions.grant_types.as_ref().unwrap().include,
            vec![
                GrantType::Implicit,
                GrantType::ClientCredentials,
                GrantType::AuthorizationCode,
                GrantType::Password
            ]
        );
        assert_eq!(rule.token().inline_hook.as_ref().unwrap().id, "cal1");
        assert_eq!(serde_json::to_value(&rule).unwrap(), v);
    }

    #[test]
    fn both_shapes_agreeing_is_accepted_disagreeing_is_an_error() {
        let mut v = current_rule();
        v["token"] = v["actions"]["token"].clone();
        assert!(serde_json::from_value::<Rule>(v.clone()).is_ok());
        v["token"]["accessTokenLifetimeMinutes"] = json!(30);
        let err = serde_json::from_value::<Rule>(v).unwrap_err();
        assert!(err.to_string().contains("actions.token"), "{err}");
    }

    #[test]
    fn absent_token_gets_okta_defaults_and_null_refresh_is_unlimited() {
        let rule: Rule = serde_json::from_value(json!({"name": "r"})).unwrap();
        assert_eq!(rule.actions.token, TokenAction::default());
        assert_eq!(rule.status, Status::Active);
        let rule: Rule = serde_json::from_value(json!({
            "name": "r", "actions": {"token": {"accessTokenLifetimeMinutes": 5, "refreshTokenLifetimeMinutes": null}}
        }))
        .unwrap();
        assert_eq!(rule.token().refresh_token_lifetime_minutes, None);
        let rule: Rule = serde_json::from_value(json!({
            "name": "r", "actions": {"token": {"refreshTokenLifetimeMinutes": 120}}
        }))
        .unwrap();
        assert_eq!(rule.token().refresh_token_lifetime(), Some(120));
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        for conditions in [
            json!({"grantTypes": {"include": ["client-credentials"]}}),
            json!({"scopes": {"include": [{"name": "*", "access": "DENY"}]}}),
            json!({"scopes": {"include": [42]}}),
            json!({"people": {"users": {"include": "u1"}}}),
        ] {
            let v = json!({"name": "r", "conditions": conditions});
            assert!(serde_json::from_value::<Rule>(v).is_err());
        }
        for v in [
            json!({"name": "r", "type": "SIGN_ON"}),
            json!({"name": "r", "priority": -1}),
            json!({"name": "r", "actions": {"token": {"accessTokenLifetimeMinutes": -5}}}),
            json!({"status": "ACTIVE"}),
        ] {
            assert!(serde_json::from_value::<Rule>(v).is_err());
        }
    }

    #[test]
    fn people_condition_helpers() {
        let p = PeopleCondition {
            users: IncludeExclude {
                include: vec!["u1".into()],
                exclude: vec!["u9".into()],
            },
            groups: IncludeExclude {
                include: vec!["g1".into()],
                exclude: vec!["g2".into()],
            },
        };
        let none: Vec<String> = vec![];
        assert!(p.includes("u1", &none));
        assert!(p.includes("u2", &["g1".to_string()]));
        assert!(!p.includes("u2", &["g3".to_string()]));
        assert!(p.excludes_user("u9"));
        assert_eq!(p.excluded_group(&["g3".into(), "g2".into()]), Some("g2"));
        assert_eq!(p.excluded_group(&["g3".into()]), None);
    }

    #[test]
    fn scope_condition_star_and_names() {
        let s = ScopeCondition {
            include: vec!["a".into()],
        };
        assert!(s.allows("a") && !s.allows("b") && !s.allows_all());
        let all = ScopeCondition {
            include: vec![ALL_SCOPES.into()],
        };
        assert!(all.allows("anything") && all.allows_all());
    }
}

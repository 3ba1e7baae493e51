//! Rules of an access policy: list, get, create, replace, delete, activate, deactivate (Okta
//! Authorization Servers API, `…/policies/{pid}/rules…`).
//!
//! Bodies may use the layout of Okta's 2017 OAuth 2.0 API reference (top-level `token`, scope
//! objects) or the current API's (`actions.token`, scope names); responses always use the
//! current one (see [`crate::model::rule`]). Priorities behave as for policies.

use serde_json::{Map, Value, json};

use super::fields::{
    BLANK, check_entries, check_optional_text, check_room, check_text, fail_on, parse_object, writable,
};
use super::ids::index_of;
use super::limits::{
    CONDITION_ENTRIES_MAX, CONDITION_ENTRY_MAX, NAME_MAX, RULES_PER_POLICY_MAX, SCOPES_PER_SERVER_MAX, TYPES_MAX,
};
use super::links::object_links;
use super::policies::{insert_ranked, normalize, policy_index};
use super::{Answer, ApiError, ApiRequest, FieldError, ManagementApi, Method, ids, lifecycle, no_content, respond};
use crate::model::{GrantType, Rule, RuleType, Scope, Status, TokenAction, is_oidc_scope};
use crate::store::{ConfigStore, Directory, ServerConfig};

/// The resource name in rule `E0000007` errors.
const RULE_KIND: &str = "AuthorizationServerPolicyRule";
/// How many unknown scopes a refusal names at most.
const UNKNOWN_SHOWN: usize = 20;
/// Grant types that act for a user and so need `conditions.people`.
const USER_GRANTS: [GrantType; 3] = [GrantType::AuthorizationCode, GrantType::Implicit, GrantType::Password];
/// Okta's message for a user grant without people (quotes undoubled).
const PEOPLE_REQUIRED: &str = "At least one of 'conditions.people.users.include' or \
'conditions.people.groups.include' must contain a valid user or group when 'conditions.grantTypes' contains one or \
more of [authorization_code, implicit, password].";

/// A rule body as read, with what validation needs to know beyond the [`Rule`] itself.
#[derive(Clone, Debug)]
pub(crate) struct RuleInput {
    rule: Rule,
    has_type: bool,
    has_conditions: bool,
    has_status: bool,
    /// Problems found while reading (unknown grant types, conflicting token objects).
    errors: Vec<FieldError>,
}

impl RuleInput {
    /// A rule given as a value: its type, conditions and status are all given.
    fn given(rule: Rule) -> Self {
        Self {
            rule,
            has_type: true,
            has_conditions: true,
            has_status: true,
            errors: Vec::new(),
        }
    }
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// `GET /api/v1/authorizationServers/{serverId}/policies/{policyId}/rules`: the rules of the
    /// policy in priority order, as shown, with `_links`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server or policy; `E0000009` when the store fails.
    pub async fn list_rules(&self, server_id: &str, policy_id: &str) -> Result<Vec<Rule>, ApiError> {
        let config = self.load(server_id).await?;
        let index = policy_index(&config, policy_id)?;
        let mut rules: Vec<&Rule> = config.policies[index].rules.iter().collect();
        rules.sort_by_key(|r| r.priority.unwrap_or(u32::MAX));
        Ok(rules
            .into_iter()
            .map(|r| self.show_rule(server_id, policy_id, r))
            .collect())
    }

    /// `POST /api/v1/authorizationServers/{serverId}/policies/{policyId}/rules`: adds `rule` (its
    /// `id`, `system`, timestamps and `_links` are ignored) with a new `0pr…` id at its
    /// `priority` (last when omitted); answers it as shown.
    ///
    /// # Errors
    /// `E0000007` for an unknown server or policy; `E0000001` with one cause per invalid field
    /// (a name, at least one grant type, people for user grants, scopes that are `*`, OpenID
    /// Connect scopes or the server's, token lifetimes within Okta's limits); `E0000009` when the
    /// store fails.
    pub async fn create_rule(&self, server_id: &str, policy_id: &str, rule: Rule) -> Result<Rule, ApiError> {
        self.create_rule_from(server_id, policy_id, RuleInput::given(rule))
            .await
    }

    /// `GET /api/v1/authorizationServers/{serverId}/policies/{policyId}/rules/{ruleId}`, as
    /// shown.
    ///
    /// # Errors
    /// `E0000007` for an unknown server, policy or rule; `E0000009` when the store fails.
    pub async fn get_rule(&self, server_id: &str, policy_id: &str, rule_id: &str) -> Result<Rule, ApiError> {
        let config = self.load(server_id).await?;
        let (p, r) = rule_index(&config, policy_id, rule_id)?;
        Ok(self.show_rule(server_id, policy_id, &config.policies[p].rules[r]))
    }

    /// `PUT /api/v1/authorizationServers/{serverId}/policies/{policyId}/rules/{ruleId}`: replaces
    /// the rule with `rule` (its `id`, `system`, timestamps and `_links` are ignored; its
    /// `status` is taken), keeping its place when `priority` is omitted; answers it as shown.
    ///
    /// # Errors
    /// As [`create_rule`](Self::create_rule), and `E0000007` for an unknown rule.
    pub async fn replace_rule(
        &self,
        server_id: &str,
        policy_id: &str,
        rule_id: &str,
        rule: Rule,
    ) -> Result<Rule, ApiError> {
        self.replace_rule_from(server_id, policy_id, rule_id, RuleInput::given(rule))
            .await
    }

    /// `DELETE /api/v1/authorizationServers/{serverId}/policies/{policyId}/rules/{ruleId}`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server, policy or rule; `E0000006` for a system rule;
    /// `E0000009` when the store fails.
    pub async fn delete_rule(&self, server_id: &str, policy_id: &str, rule_id: &str) -> Result<(), ApiError> {
        self.edit(server_id, |config, _| {
            let (p, r) = rule_index(config, policy_id, rule_id)?;
            let rules = &mut config.policies[p].rules;
            if rules[r].system {
                return Err(ApiError::system_object(RULE_KIND));
            }
            rules.remove(r);
            normalize(rules);
            Ok(())
        })
        .await
    }

    /// `POST /api/v1/authorizationServers/{serverId}/policies/{policyId}/rules/{ruleId}/lifecycle/activate`
    /// (`status` `ACTIVE`) or `…/lifecycle/deactivate` (`INACTIVE`).
    ///
    /// # Errors
    /// `E0000007` for an unknown server, policy or rule; `E0000009` when the store fails.
    pub async fn set_rule_status(
        &self,
        server_id: &str,
        policy_id: &str,
        rule_id: &str,
        status: Status,
    ) -> Result<(), ApiError> {
        self.edit(server_id, |config, now| {
            let (p, r) = rule_index(config, policy_id, rule_id)?;
            let rule = &mut config.policies[p].rules[r];
            rule.status = status;
            rule.last_updated = Some(now);
            Ok(())
        })
        .await
    }

    /// Routes `…/policies/{pid}/rules{rest}`.
    pub(super) async fn route_rules(
        &self,
        request: &ApiRequest<'_>,
        server_id: &str,
        pid: &str,
        rest: &[&str],
    ) -> Answer {
        match (rest, request.method) {
            ([], Method::Get) => respond(200, &self.list_rules(server_id, pid).await?),
            ([], Method::Post) => {
                let input = parse_rule(request.body)?;
                respond(201, &self.create_rule_from(server_id, pid, input).await?)
            }
            ([rid], Method::Get) => respond(200, &self.get_rule(server_id, pid, rid).await?),
            ([rid], Method::Put) => {
                let input = parse_rule(request.body)?;
                respond(200, &self.replace_rule_from(server_id, pid, rid, input).await?)
            }
            ([rid], Method::Delete) => no_content(self.delete_rule(server_id, pid, rid).await),
            ([rid, "lifecycle", action], method) => no_content(
                self.set_rule_status(server_id, pid, rid, lifecycle(method, action)?)
                    .await,
            ),
            ([] | [_], _) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// [`create_rule`](Self::create_rule) for a rule as read from a body.
    pub(crate) async fn create_rule_from(
        &self,
        server_id: &str,
        pid: &str,
        input: RuleInput,
    ) -> Result<Rule, ApiError> {
        let created = self
            .edit(server_id, |config, now| {
                let p = policy_index(config, pid)?;
                fail_on(validate_rule(&input, &config.scopes))?;
                let count = config.policies[p].rules.len();
                check_room("rules", count, RULES_PER_POLICY_MAX, "rules per policy")?;
                let id = ids::object_id(ids::RULE, self.random());
                if config.policies.iter().flat_map(|p| &p.rules).any(|r| r.id == id) {
                    return Err(ApiError::internal());
                }
                let rule = Rule {
                    rule_type: RuleType::ResourceAccess,
                    id,
                    system: false,
                    created: Some(now),
                    last_updated: Some(now),
                    links: None,
                    ..input.rule.clone()
                };
                let rules = &mut config.policies[p].rules;
                let index = insert_ranked(rules, rule, input.rule.priority);
                Ok(rules[index].clone())
            })
            .await?;
        Ok(self.show_rule(server_id, pid, &created))
    }

    /// [`replace_rule`](Self::replace_rule) for a rule as read from a body: without `status`,
    /// the rule keeps its own.
    async fn replace_rule_from(
        &self,
        server_id: &str,
        pid: &str,
        rid: &str,
        input: RuleInput,
    ) -> Result<Rule, ApiError> {
        let replaced = self
            .edit(server_id, |config, now| {
                let (p, _) = rule_index(config, pid, rid)?;
                fail_on(validate_rule(&input, &config.scopes))?;
                let rules = &mut config.policies[p].rules;
                normalize(rules);
                let index = index_of(rules, rid, RULE_KIND, |r| &r.id)?;
                let old = rules.remove(index);
                let status = if input.has_status {
                    input.rule.status
                } else {
                    old.status
                };
                let rule = Rule {
                    rule_type: RuleType::ResourceAccess,
                    id: old.id,
                    status,
                    system: old.system,
                    created: old.created,
                    last_updated: Some(now),
                    links: None,
                    ..input.rule.clone()
                };
                let index = insert_ranked(rules, rule, input.rule.priority.or(old.priority));
                Ok(rules[index].clone())
            })
            .await?;
        Ok(self.show_rule(server_id, pid, &replaced))
    }

    /// The rule as the API shows it (current shape), with `_links`.
    fn show_rule(&self, server_id: &str, pid: &str, rule: &Rule) -> Rule {
        let href = format!("{}/rules/{}", self.policy_href(server_id, pid), rule.id);
        let links = object_links(&href, rule.system, rule.status);
        Rule {
            links: Some(Value::Object(links)),
            ..rule.clone()
        }
    }
}

/// The indexes of policy `pid` and its rule `rid`, or `E0000007` for whichever is unknown.
fn rule_index(config: &ServerConfig, pid: &str, rid: &str) -> Result<(usize, usize), ApiError> {
    let p = policy_index(config, pid)?;
    let r = index_of(&config.policies[p].rules, rid, RULE_KIND, |r| &r.id)?;
    Ok((p, r))
}

/// A request body as a rule (see [`rule_from_json`]).
fn parse_rule(body: Option<&[u8]>) -> Result<RuleInput, ApiError> {
    rule_from_json(parse_object(body)?)
}

/// Reads a rule body (a JSON object) in either shape. Unknown grant types and a `token` that
/// contradicts `actions.token` become validation errors; other wrong types are `E0000003`.
pub(crate) fn rule_from_json(object: Map<String, Value>) -> Result<RuleInput, ApiError> {
    let mut map = writable(object);
    let mut errors = Vec::new();
    let has_type = map.contains_key("type");
    let has_conditions = map.contains_key("conditions");
    let has_status = map.contains_key("status");
    map.entry("name").or_insert_with(|| json!(""));
    let grants = map
        .get_mut("conditions")
        .and_then(|c| c.get_mut("grantTypes"))
        .and_then(|g| g.get_mut("include"));
    if let Some(Value::Array(grants)) = grants {
        let unknown: Vec<String> = grants
            .iter()
            .filter_map(Value::as_str)
            .filter(|g| g.parse::<GrantType>().is_err())
            .map(|g| format!("'{g}'"))
            .collect();
        if !unknown.is_empty() {
            grants.retain(|g| g.as_str().is_none_or(|g| g.parse::<GrantType>().is_ok()));
            errors.push(FieldError::new(
                "conditions.grantTypes",
                format!("Invalid grant types: [{}].", unknown.join(", ")),
            ));
        }
    }
    unrepresentable_lifetimes(&mut map, &mut errors);
    if let Some(conflict) = token_conflict(&map)? {
        map.remove("token");
        errors.push(conflict);
    }
    let rule = serde_json::from_value(Value::Object(map)).map_err(|_| ApiError::malformed_body())?;
    Ok(RuleInput {
        rule,
        has_type,
        has_conditions,
        has_status,
        errors,
    })
}

/// Lifetimes given as numbers no `u32` holds (negative, fractional, 2³² or more): each is a
/// validation error naming its field, with the message of its range, and is dropped so that the
/// rest of the body still reads. Numbers a `u32` holds are checked against Okta's limits later
/// ([`Rule::validate_lifetimes`]); values that are not numbers are wrong types (`E0000003`).
fn unrepresentable_lifetimes(map: &mut Map<String, Value>, errors: &mut Vec<FieldError>) {
    use crate::model::LifetimeField;
    use crate::model::lifetimes::{
        ACCESS_TOKEN_LIFETIME_MINUTES as ACCESS, MAX_REFRESH_TOKEN_LIFETIME_MINUTES,
        REFRESH_TOKEN_WINDOW_MINUTES as WINDOW,
    };
    let fields = [
        (
            LifetimeField::AccessTokenLifetimeMinutes,
            format!("must be between {} and {} minutes", ACCESS.start(), ACCESS.end()),
        ),
        (
            LifetimeField::RefreshTokenLifetimeMinutes,
            format!("must be 0 (unlimited) or at most {MAX_REFRESH_TOKEN_LIFETIME_MINUTES} minutes (five years)"),
        ),
        (
            LifetimeField::RefreshTokenWindowMinutes,
            format!("must be between {} and {} minutes", WINDOW.start(), WINDOW.end()),
        ),
    ];
    let mut reported = Vec::new();
    for token in token_objects(map) {
        for (field, message) in &fields {
            let bad = token
                .get(field.name())
                .is_some_and(|v| v.is_number() && v.as_u64().is_none_or(|n| u32::try_from(n).is_err()));
            if bad {
                token.remove(field.name());
                if !reported.contains(field) {
                    reported.push(*field);
                    errors.push(FieldError::new(field.path(), message.clone()));
                }
            }
        }
    }
}

/// The token objects of a rule body: `actions.token` and the 2017 layout's `token`, where given.
fn token_objects(map: &mut Map<String, Value>) -> Vec<&mut Map<String, Value>> {
    let mut objects = Vec::new();
    let mut legacy = None;
    let mut current = None;
    for (key, value) in map.iter_mut() {
        match key.as_str() {
            "token" => legacy = value.as_object_mut(),
            "actions" => current = value.get_mut("token").and_then(Value::as_object_mut),
            _ => {}
        }
    }
    objects.extend(current);
    objects.extend(legacy);
    objects
}

/// A validation error when the 2017 layout's top-level `token` and the current `actions.token`
/// are both given and differ.
fn token_conflict(map: &Map<String, Value>) -> Result<Option<FieldError>, ApiError> {
    let current = map.get("actions").and_then(|a| a.get("token")).filter(|t| !t.is_null());
    let (Some(current), Some(legacy)) = (current, map.get("token")) else {
        return Ok(None);
    };
    let read = |v: &Value| serde_json::from_value::<TokenAction>(v.clone()).map_err(|_| ApiError::malformed_body());
    if read(current)? == read(legacy)? {
        Ok(None)
    } else {
        Ok(Some(FieldError::new(
            "actions.token",
            "'token' and 'actions.token' are both given and differ.",
        )))
    }
}

/// Field checks of a rule body against the server's `scopes`, one cause per field.
fn validate_rule(input: &RuleInput, scopes: &[Scope]) -> Vec<FieldError> {
    let rule = &input.rule;
    let mut errors = Vec::new();
    check_text(&mut errors, "name", Some(&rule.name), NAME_MAX);
    if !input.has_type {
        errors.push(FieldError::new("type", BLANK));
    }
    if !input.has_conditions {
        errors.push(FieldError::new("conditions", BLANK));
    } else {
        let conditions = &rule.conditions;
        let grants = conditions
            .grant_types
            .as_ref()
            .map(|g| g.include.as_slice())
            .unwrap_or_default();
        let grants_reported = input.errors.iter().any(|e| e.field == "conditions.grantTypes");
        if grants.len() > TYPES_MAX {
            errors.push(FieldError::new(
                "conditions.grantTypes",
                format!("The list cannot have more than {TYPES_MAX} entries"),
            ));
        }
        if let Some(people) = &conditions.people {
            for (field, entries) in [
                ("conditions.people.users.include", &people.users.include),
                ("conditions.people.users.exclude", &people.users.exclude),
                ("conditions.people.groups.include", &people.groups.include),
                ("conditions.people.groups.exclude", &people.groups.exclude),
            ] {
                check_entries(&mut errors, field, entries, CONDITION_ENTRIES_MAX, CONDITION_ENTRY_MAX);
            }
        }
        if grants.is_empty() && !grants_reported {
            errors.push(FieldError::new(
                "conditions.grantTypes",
                "At least one grant type must be included.",
            ));
        }
        let has_people = conditions.people.as_ref().is_some_and(|people| {
            people
                .users
                .include
                .iter()
                .chain(&people.groups.include)
                .any(|id| !id.trim().is_empty())
        });
        if !has_people && grants.iter().any(|g| USER_GRANTS.contains(g)) {
            errors.push(FieldError::new("conditions.people", PEOPLE_REQUIRED));
        }
        let scope_entries = conditions
            .scopes
            .as_ref()
            .map(|c| c.include.as_slice())
            .unwrap_or_default();
        let before = errors.len();
        check_entries(
            &mut errors,
            "conditions.scopes",
            scope_entries,
            SCOPES_PER_SERVER_MAX,
            CONDITION_ENTRY_MAX,
        );
        if let Some(condition) = conditions.scopes.as_ref().filter(|_| errors.len() == before) {
            let mut unknown: Vec<&str> = condition
                .include
                .iter()
                .map(String::as_str)
                .filter(|name| *name != crate::model::ALL_SCOPES && !is_oidc_scope(name))
                .filter(|name| !scopes.iter().any(|s| s.name == *name))
                .collect();
            if unknown.len() > UNKNOWN_SHOWN {
                unknown.truncate(UNKNOWN_SHOWN);
                unknown.push("…");
            }
            if !unknown.is_empty() {
                errors.push(FieldError::new(
                    "conditions.scopes",
                    format!(
                        "Unknown scopes: [{}]. Each scope must be '*', an OpenID Connect scope or a scope of this \
                         authorization server.",
                        unknown.join(", ")
                    ),
                ));
            }
        }
    }
    let hook = rule.actions.token.inline_hook.as_ref().map(|hook| hook.id.as_str());
    check_optional_text(
        &mut errors,
        "actions.token.inlineHook.id",
        hook,
        CONDITION_ENTRY_MAX,
        false,
    );
    errors.extend(input.errors.iter().cloned());
    if let Err(violations) = rule.validate_lifetimes() {
        for violation in violations.0 {
            let path = violation.field.path();
            let text = violation.to_string();
            let message = text
                .strip_prefix(path)
                .and_then(|m| m.strip_prefix(": "))
                .unwrap_or(&text);
            errors.push(FieldError::new(path, message));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::Duration;

    /// The causes of an access-token lifetime and a refresh window out of Okta's ranges.
    const OUT_OF_RANGE: [&str; 2] = [
        "actions.token.accessTokenLifetimeMinutes: must be between 5 and 1440 minutes",
        "actions.token.refreshTokenWindowMinutes: must be between 10 and 2628000 minutes",
    ];

    use crate::admin::Method;
    use crate::admin::tests::{
        TestApi, api, body, call, create, deactivated, keys, listed, rejected, stored, with_default_server,
    };
    use crate::store::{ConfigStore, Saved};

    /// Seed 003 "Rules Object" with its syntax repaired (closing braces) and the `grantTypes`
    /// that seed 003's Conditions table marks required ("grant_type … True") added.
    fn seed_rule() -> Value {
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
                "grantTypes": {"include": ["authorization_code"]},
                "scopes": {"include": [{"name": "*", "access": "ALLOW"}]}
            },
            "token": {
                "accessTokenLifetimeMinutes": 60,
                "refreshTokenLifetimeMinutes": 0,
                "refreshTokenWindowMinutes": 10080
            }
        })
    }

    /// Reference §2.2 / management API example `AuthorizationServerPolicyRule` (current shape),
    /// as a create request: without the read-only `id`, `created`, `lastUpdated`, `_links`.
    fn current_rule() -> Value {
        json!({
            "type": "RESOURCE_ACCESS", "status": "ACTIVE", "name": "Default Policy Rule", "priority": 1,
            "system": false,
            "conditions": {
                "people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
                "grantTypes": {"include": ["implicit", "client_credentials", "authorization_code", "password"]},
                "scopes": {"include": ["*"]}
            },
            "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                                  "refreshTokenWindowMinutes": 10080, "inlineHook": {"id": "cal4egvp1mbMldrYN0g7"}}}
        })
    }

    /// The keys of the reference's rule example (with `id`, times and `_links`).
    const RULE_KEYS: [&str; 11] = [
        "_links",
        "actions",
        "conditions",
        "created",
        "id",
        "lastUpdated",
        "name",
        "priority",
        "status",
        "system",
        "type",
    ];

    /// The default policy's rules path.
    async fn rules_path(api: &TestApi) -> String {
        let pid = stored(api, "default").await.policies[0].policy.id.clone();
        format!("/api/v1/authorizationServers/default/policies/{pid}/rules")
    }

    /// A valid client-credentials rule named `name`.
    fn rule(name: &str, priority: Option<u32>) -> Value {
        let mut rule = json!({
            "type": "RESOURCE_ACCESS", "name": name,
            "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["*"]}}
        });
        if let Some(p) = priority {
            rule["priority"] = json!(p);
        }
        rule
    }

    #[tokio::test]
    async fn current_shape_rule_round_trip_create_get_replace_list_delete() {
        let (api, clock) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        clock.advance(Duration::minutes(3));
        let created = create(&api, &path, current_rule()).await;
        assert_eq!(keys(&created), RULE_KEYS);
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("0pr") && id.len() == 20, "{id}");
        // Everything given comes back as given (reference example values).
        let mut expected = current_rule();
        for key in ["type", "status", "name", "priority", "system", "conditions", "actions"] {
            assert_eq!(created[key], expected[key], "{key}");
        }
        assert_eq!(created["created"], "2024-01-01T00:03:00.000Z");
        assert_eq!(created["lastUpdated"], created["created"]);
        let href = format!("https://id.example.com{path}/{id}");
        assert_eq!(
            created["_links"],
            json!({
                "self": {"href": href, "hints": {"allow": ["GET", "PUT", "DELETE"]}},
                "deactivate": {"href": format!("{href}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}}
            })
        );
        let rule_path = format!("{path}/{id}");
        assert_eq!(body(&call(&api, Method::Get, &rule_path, None).await), created);

        clock.advance(Duration::minutes(1));
        expected["name"] = json!("Renamed");
        expected["priority"] = json!(2);
        expected["actions"]["token"]["accessTokenLifetimeMinutes"] = json!(30);
        let replaced = call(&api, Method::Put, &rule_path, Some(expected)).await;
        assert_eq!(replaced.status, 200);
        let replaced = body(&replaced);
        assert_eq!(replaced["id"], id.as_str());
        assert_eq!(replaced["actions"]["token"]["accessTokenLifetimeMinutes"], 30);
        assert_eq!(replaced["created"], "2024-01-01T00:03:00.000Z");
        assert_eq!(replaced["lastUpdated"], "2024-01-01T00:04:00.000Z");
        assert_eq!(body(&call(&api, Method::Get, &rule_path, None).await), replaced);
        assert_eq!(
            listed(&api, &path).await,
            [("Default Policy Rule".to_owned(), 1), ("Renamed".to_owned(), 2)]
        );

        let deleted = call(&api, Method::Delete, &rule_path, None).await;
        assert_eq!((deleted.status, deleted.body), (204, None));
        assert_eq!(call(&api, Method::Get, &rule_path, None).await.status, 404);
        assert_eq!(listed(&api, &path).await, [("Default Policy Rule".to_owned(), 1)]);
    }

    #[tokio::test]
    async fn seed_003_rule_shape_is_accepted_and_written_in_the_current_shape() {
        // Seed 003 "Rules Object": top-level `token`, scope objects; the model's documented
        // output shape is the current API's (`actions.token`, scope names).
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let created = create(&api, &path, seed_rule()).await;
        assert_eq!(keys(&created), RULE_KEYS);
        assert!(created.get("token").is_none());
        assert_eq!(
            created["actions"],
            json!({"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                             "refreshTokenWindowMinutes": 10080}})
        );
        assert_eq!(created["conditions"]["scopes"], json!({"include": ["*"]}));
        assert_eq!(created["conditions"]["people"], seed_rule()["conditions"]["people"]);
        assert_eq!(created["priority"], 2, "omitted priority goes last");
        // Seed 003 as printed has no `grantTypes`; its Conditions table marks it required.
        let mut verbatim = seed_rule();
        verbatim["conditions"].as_object_mut().unwrap().remove("grantTypes");
        rejected(
            &api,
            Method::Post,
            &path,
            verbatim,
            &["conditions.grantTypes: At least one grant type must be included."],
        )
        .await;
        // Both shapes at once must agree.
        let mut both = current_rule();
        both["token"] = json!({"accessTokenLifetimeMinutes": 30});
        rejected(
            &api,
            Method::Post,
            &path,
            both,
            &["actions.token: 'token' and 'actions.token' are both given and differ."],
        )
        .await;
    }

    #[tokio::test]
    async fn rule_fields_are_validated_one_cause_per_field() {
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        // Reference §2.2: create requires name, conditions and type.
        rejected(
            &api,
            Method::Post,
            &path,
            json!({"status": "ACTIVE"}),
            &[
                "name: The field cannot be left blank",
                "type: The field cannot be left blank",
                "conditions: The field cannot be left blank",
            ],
        )
        .await;
        let mut no_grants = rule("r", None);
        no_grants["conditions"]["grantTypes"] = json!({"include": []});
        rejected(
            &api,
            Method::Post,
            &path,
            no_grants,
            &["conditions.grantTypes: At least one grant type must be included."],
        )
        .await;
        let mut missing_grants = rule("r", None);
        missing_grants["conditions"]
            .as_object_mut()
            .unwrap()
            .remove("grantTypes");
        rejected(
            &api,
            Method::Post,
            &path,
            missing_grants,
            &["conditions.grantTypes: At least one grant type must be included."],
        )
        .await;
        let mut bad_grant = rule("r", None);
        bad_grant["conditions"]["grantTypes"] = json!({"include": ["client-credentials"]});
        rejected(
            &api,
            Method::Post,
            &path,
            bad_grant,
            &["conditions.grantTypes: Invalid grant types: ['client-credentials']."],
        )
        .await;
        let mut nameless = rule("", None);
        nameless["name"] = json!(" ");
        rejected(
            &api,
            Method::Post,
            &path,
            nameless,
            &["name: The field cannot be left blank"],
        )
        .await;
    }

    #[tokio::test]
    async fn user_grants_need_people() {
        // Reference §2.3, Okta's message with single quotes.
        const MESSAGE: &str = "conditions.people: At least one of 'conditions.people.users.include' or \
            'conditions.people.groups.include' must contain a valid user or group when 'conditions.grantTypes' \
            contains one or more of [authorization_code, implicit, password].";
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        for grant in ["authorization_code", "implicit", "password"] {
            let mut request = rule("r", None);
            request["conditions"]["grantTypes"] = json!({"include": ["client_credentials", grant]});
            rejected(&api, Method::Post, &path, request.clone(), &[MESSAGE]).await;
            request["conditions"]["people"] =
                json!({"users": {"include": [], "exclude": ["00u1"]}, "groups": {"include": []}});
            rejected(&api, Method::Post, &path, request.clone(), &[MESSAGE]).await;
            let response = call(&api, Method::Post, &path, Some(request.clone())).await;
            assert_eq!(
                body(&response)["errorSummary"],
                "Api validation failed: conditions.people"
            );
            request["conditions"]["people"] = json!({"users": {"include": ["00u1"]}});
            create(&api, &path, request.clone()).await;
            request["conditions"]["people"] = json!({"groups": {"include": ["EVERYONE"]}});
            create(&api, &path, request).await;
        }
        // Client credentials alone need no people.
        create(&api, &path, rule("machines", None)).await;
    }

    #[tokio::test]
    async fn lifetimes_are_validated_by_the_models_limits() {
        // Seed 003 token limits; reference §2.2 `actions.token` constraints.
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let mut request = rule("r", None);
        request["actions"] = json!({"token": {"accessTokenLifetimeMinutes": 4, "refreshTokenWindowMinutes": 9}});
        rejected(&api, Method::Post, &path, request.clone(), &OUT_OF_RANGE).await;
        request["actions"] = json!({"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 59}});
        rejected(
            &api,
            Method::Post,
            &path,
            request.clone(),
            &["actions.token.refreshTokenLifetimeMinutes: must be 0 (unlimited) or at least the access token lifetime (60 minutes)"],
        )
        .await;
        // Seed 003 shape: the same paths.
        let mut seed = seed_rule();
        seed["token"]["accessTokenLifetimeMinutes"] = json!(1441);
        rejected(
            &api,
            Method::Post,
            &path,
            seed,
            &["actions.token.accessTokenLifetimeMinutes: must be between 5 and 1440 minutes"],
        )
        .await;
        request["actions"] = json!({"token": {"accessTokenLifetimeMinutes": 1440, "refreshTokenLifetimeMinutes": 0}});
        create(&api, &path, request).await;
    }

    #[tokio::test]
    async fn lifetimes_beyond_what_time_arithmetic_holds_are_refused() {
        // Issue 14: a refresh lifetime of 4294967295 minutes was stored, and every grant that
        // issues a refresh token then panicked computing the expiry. Okta: refresh lifetimes are
        // unlimited (0) or up to five years; numbers no u32 holds name their field too.
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let five_years = "must be 0 (unlimited) or at most 2628000 minutes (five years)";
        let refresh = format!("actions.token.refreshTokenLifetimeMinutes: {five_years}");
        let mut request = rule("r", None);
        for value in [
            json!(4_294_967_295_u64),
            json!(2_628_001),
            json!(4_294_967_296_u64),
            json!(-1),
            json!(1.5),
        ] {
            request["actions"] = json!({"token": {"refreshTokenLifetimeMinutes": value}});
            rejected(&api, Method::Post, &path, request.clone(), &[refresh.as_str()]).await;
        }
        request["actions"] = json!({"token": {"accessTokenLifetimeMinutes": 1e12, "refreshTokenWindowMinutes": -10}});
        rejected(&api, Method::Post, &path, request.clone(), &OUT_OF_RANGE).await;
        // The 2017 layout's `token` is held to the same limits, under the same paths.
        let mut seed = seed_rule();
        seed["token"]["refreshTokenLifetimeMinutes"] = json!(4_294_967_295_u64);
        rejected(&api, Method::Post, &path, seed, &[refresh.as_str()]).await;
        // A replace too.
        let created = create(&api, &path, rule("kept", None)).await;
        let rule_path = format!("{path}/{}", created["id"].as_str().unwrap());
        request["actions"] = json!({"token": {"refreshTokenLifetimeMinutes": 4_294_967_295_u64}});
        rejected(&api, Method::Put, &rule_path, request.clone(), &[refresh.as_str()]).await;
        // Five years, and unlimited, are fine.
        request["actions"] = json!({"token": {"refreshTokenLifetimeMinutes": 2_628_000}});
        create(&api, &path, request.clone()).await;
        request["name"] = json!("unlimited");
        request["actions"] = json!({"token": {"refreshTokenLifetimeMinutes": 0}});
        create(&api, &path, request).await;
    }

    #[tokio::test]
    async fn scopes_must_be_star_oidc_or_defined() {
        // Seed 003 "Subtle Behavior": OIDC scopes need not be defined; others must be.
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let mut request = rule("r", None);
        request["conditions"]["scopes"] =
            json!({"include": ["openid", "email", "invoices:read", "device_sso", "nope"]});
        rejected(
            &api,
            Method::Post,
            &path,
            request.clone(),
            &["conditions.scopes: Unknown scopes: [invoices:read, nope]. Each scope must be '*', an OpenID Connect scope \
               or a scope of this authorization server."],
        )
        .await;
        // Define one through the store (scopes are another part of the API).
        let mut config = stored(&api, "default").await;
        let mut scope = config.scopes[0].clone();
        scope.name = "invoices:read".to_owned();
        scope.id = "scpinvoices".to_owned();
        scope.system = false;
        config.scopes.push(scope);
        let revision = config.revision;
        assert!(matches!(
            api.config.save(config, revision).await.unwrap(),
            Saved::Saved { .. }
        ));
        request["conditions"]["scopes"] = json!({"include": ["openid", "invoices:read", "device_sso"]});
        let created = create(&api, &path, request).await;
        assert_eq!(
            created["conditions"]["scopes"]["include"],
            json!(["openid", "invoices:read", "device_sso"])
        );
    }

    #[tokio::test]
    async fn rule_priorities_are_clamped_and_the_others_shift() {
        // Reference §2.1: "recommend clamping to [1, n+1] and shifting the others down".
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        create(&api, &path, rule("top", Some(0))).await;
        create(&api, &path, rule("bottom", Some(50))).await;
        let middle = create(&api, &path, rule("middle", Some(2))).await;
        let expected = ["top", "middle", "Default Policy Rule", "bottom"];
        let listed = listed(&api, &path).await;
        let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
        let priorities: Vec<u64> = listed.iter().map(|(_, p)| *p).collect();
        assert_eq!(names, expected);
        assert_eq!(priorities, [1, 2, 3, 4]);
        let rule_path = format!("{path}/{}", middle["id"].as_str().unwrap());
        let moved = call(&api, Method::Put, &rule_path, Some(rule("middle", Some(9)))).await;
        assert_eq!(body(&moved)["priority"], 4);
        let kept = call(&api, Method::Put, &rule_path, Some(rule("middle", None))).await;
        assert_eq!(body(&kept)["priority"], 4, "an omitted priority keeps its place");
        let top = stored(&api, "default").await.policies[0].rules[0].id.clone();
        assert_eq!(
            call(&api, Method::Delete, &format!("{path}/{top}"), None).await.status,
            204
        );
        let listed = self::listed(&api, &path).await;
        assert_eq!(
            listed,
            [
                ("Default Policy Rule".to_owned(), 1),
                ("bottom".to_owned(), 2),
                ("middle".to_owned(), 3)
            ]
        );
    }

    #[tokio::test]
    async fn rule_lifecycle_sets_status() {
        let (api, clock) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let id = create(&api, &path, rule("r", None)).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let rule_path = format!("{path}/{id}");
        clock.advance(Duration::minutes(7));
        deactivated(&api, &rule_path, "2024-01-01T00:07:00.000Z").await;
        // Replace without `status` keeps it; with it, sets it.
        let kept = call(&api, Method::Put, &rule_path, Some(rule("r", None))).await;
        assert_eq!(body(&kept)["status"], "INACTIVE");
        assert_eq!(
            call(&api, Method::Post, &format!("{rule_path}/lifecycle/activate"), None)
                .await
                .status,
            204
        );
        assert_eq!(
            body(&call(&api, Method::Get, &rule_path, None).await)["status"],
            "ACTIVE"
        );
        let mut inactive = rule("r", None);
        inactive["status"] = json!("INACTIVE");
        assert_eq!(
            body(&call(&api, Method::Put, &rule_path, Some(inactive)).await)["status"],
            "INACTIVE"
        );
        assert_eq!(
            call(&api, Method::Delete, &format!("{rule_path}/lifecycle/activate"), None)
                .await
                .status,
            405
        );
    }

    #[tokio::test]
    async fn system_rules_cannot_be_deleted() {
        // Management API: "You can't delete system rules."
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let mut config = stored(&api, "default").await;
        config.policies[0].rules[0].system = true;
        let id = config.policies[0].rules[0].id.clone();
        let revision = config.revision;
        assert!(matches!(
            api.config.save(config, revision).await.unwrap(),
            Saved::Saved { .. }
        ));
        let before = stored(&api, "default").await;
        let response = call(&api, Method::Delete, &format!("{path}/{id}"), None).await;
        assert_eq!(response.status, 403);
        assert_eq!(body(&response)["errorCode"], "E0000006");
        assert_eq!(stored(&api, "default").await, before);
        // A replace keeps `system` whatever the body says.
        let mut request = rule("still system", None);
        request["system"] = json!(false);
        let replaced = body(&call(&api, Method::Put, &format!("{path}/{id}"), Some(request)).await);
        assert_eq!(replaced["system"], true);
        assert_eq!(replaced["_links"]["self"]["hints"]["allow"], json!(["GET", "PUT"]));
    }

    #[tokio::test]
    async fn every_rule_change_advances_changed_at() {
        // Seeds 000/003: "Revocation happens when a configuration is changed or deleted".
        let (api, clock) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let rid = stored(&api, "default").await.policies[0].rules[0].id.clone();
        let rule_path = format!("{path}/{rid}");
        let steps: Vec<(Method, String, Option<Value>)> = vec![
            (Method::Post, path.clone(), Some(current_rule())),
            (Method::Put, rule_path.clone(), Some(rule("r", None))),
            (Method::Post, format!("{rule_path}/lifecycle/deactivate"), None),
            (Method::Post, format!("{rule_path}/lifecycle/activate"), None),
            (Method::Delete, rule_path.clone(), None),
        ];
        let mut last = stored(&api, "default").await;
        for (method, step_path, request) in steps {
            clock.advance(Duration::minutes(1));
            let response = call(&api, method, &step_path, request).await;
            assert!(response.status < 300, "{step_path}: {:?}", response.body);
            let now = stored(&api, "default").await;
            assert!(now.changed_at > last.changed_at, "{method:?} {step_path}");
            assert_eq!(now.changed_at, api.now());
            last = now;
        }
    }

    #[tokio::test]
    async fn unknown_ids_and_bodies() {
        let (api, _) = api();
        with_default_server(&api).await;
        let path = rules_path(&api).await;
        let before = stored(&api, "default").await;
        for (method, suffix, request) in [
            (Method::Get, "", None),
            (Method::Put, "", Some(rule("r", None))),
            (Method::Delete, "", None),
            (Method::Post, "/lifecycle/deactivate", None),
        ] {
            let response = call(&api, method, &format!("{path}/0prnope{suffix}"), request).await;
            assert_eq!(response.status, 404, "{method:?} {suffix}");
            assert_eq!(
                body(&response)["errorSummary"],
                "Not found: Resource not found: 0prnope (AuthorizationServerPolicyRule)"
            );
        }
        let response = call(
            &api,
            Method::Post,
            "/api/v1/authorizationServers/default/policies/00pnope/rules",
            Some(rule("r", None)),
        )
        .await;
        assert_eq!(
            body(&response)["errorSummary"],
            "Not found: Resource not found: 00pnope (AuthorizationServerPolicy)"
        );
        let response = call(
            &api,
            Method::Get,
            "/api/v1/authorizationServers/ausnope/policies/00pnope/rules",
            None,
        )
        .await;
        assert_eq!(
            body(&response)["errorSummary"],
            "Not found: Resource not found: ausnope (AuthorizationServer)"
        );
        // Wrong types are E0000003.
        for request in [
            json!({"type": "RESOURCE_ACCESS", "name": 5, "conditions": {}}),
            json!({"type": "SIGN_ON", "name": "r", "conditions": {}}),
            json!({"type": "RESOURCE_ACCESS", "name": "r", "conditions": {"people": {"users": {"include": "u1"}}}}),
            json!(["not", "an", "object"]),
        ] {
            let response = call(&api, Method::Post, &path, Some(request)).await;
            assert_eq!(response.status, 400);
            assert_eq!(body(&response)["errorCode"], "E0000003");
        }
        assert_eq!(stored(&api, "default").await, before);
        assert_eq!(call(&api, Method::Put, &path, None).await.status, 405);
    }
}

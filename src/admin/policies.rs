//! Access policies: list, get, create, replace, delete, activate, deactivate (Okta
//! Authorization Servers API, `/api/v1/authorizationServers/{id}/policies…`). Their rules are in
//! [`super::rules`].
//!
//! Priorities are kept as `1..=n` without gaps: a requested priority is clamped to `[1, n+1]`
//! (omitted = last on create, unchanged on replace) and the others shift to make room (Okta
//! leaves out-of-range values undocumented).

use serde_json::{Map, Value, json};

use super::fields::{
    BLANK, check_description, check_entries, check_room, check_text, fail_on, from_object, parse_object, writable,
};
use super::ids::index_of;
use super::limits::{
    CONDITION_ENTRIES_MAX, CONDITION_ENTRY_MAX, POLICIES_PER_SERVER_MAX, POLICY_DESCRIPTION_MAX, POLICY_NAME_MAX,
};
use super::links::{link, object_links, server_href};
use super::{Answer, ApiError, ApiRequest, FieldError, ManagementApi, Method, ids, lifecycle, no_content, respond};
use crate::model::{Policy, PolicyType, Rule, Status};
use crate::policy::PolicyWithRules;
use crate::store::{ConfigStore, Directory, ServerConfig};

/// The resource name in policy `E0000007` errors.
pub(super) const POLICY_KIND: &str = "AuthorizationServerPolicy";

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// `GET /api/v1/authorizationServers/{serverId}/policies`: the access policies of server
    /// `server_id` in priority order, as shown, with `_links`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn list_policies(&self, server_id: &str) -> Result<Vec<Policy>, ApiError> {
        let config = self.load(server_id).await?;
        let mut policies: Vec<&Policy> = config.policies.iter().map(|p| &p.policy).collect();
        policies.sort_by_key(|p| p.priority.unwrap_or(u32::MAX));
        Ok(policies.into_iter().map(|p| self.show_policy(server_id, p)).collect())
    }

    /// `POST /api/v1/authorizationServers/{serverId}/policies`: adds `policy` (its `id`,
    /// `system`, timestamps and `_links` are ignored) with a new `00p…` id and no rules, at its
    /// `priority` (last when omitted); answers it as shown.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000001` with one cause per invalid field (`name`
    /// 1–100 characters, `description` 1–255, `conditions.clients.include` required);
    /// `E0000009` when the store fails.
    pub async fn create_policy(&self, server_id: &str, policy: Policy) -> Result<Policy, ApiError> {
        let created = self
            .edit(server_id, |config, now| {
                fail_on(validate_policy(&policy))?;
                check_room(
                    "policies",
                    config.policies.len(),
                    POLICIES_PER_SERVER_MAX,
                    "policies per authorization server",
                )?;
                let id = ids::object_id(ids::POLICY, self.random());
                if config.policies.iter().any(|p| p.policy.id == id) {
                    return Err(ApiError::internal());
                }
                let new = Policy {
                    policy_type: PolicyType::OauthAuthorizationPolicy,
                    id,
                    system: false,
                    created: Some(now),
                    last_updated: Some(now),
                    links: None,
                    ..policy.clone()
                };
                let entry = PolicyWithRules {
                    policy: new,
                    rules: Vec::new(),
                };
                let index = insert_ranked(&mut config.policies, entry, policy.priority);
                Ok(config.policies[index].policy.clone())
            })
            .await?;
        Ok(self.show_policy(server_id, &created))
    }

    /// `GET /api/v1/authorizationServers/{serverId}/policies/{policyId}`, as shown.
    ///
    /// # Errors
    /// `E0000007` for an unknown server or policy; `E0000009` when the store fails.
    pub async fn get_policy(&self, server_id: &str, policy_id: &str) -> Result<Policy, ApiError> {
        let config = self.load(server_id).await?;
        let index = policy_index(&config, policy_id)?;
        Ok(self.show_policy(server_id, &config.policies[index].policy))
    }

    /// `PUT /api/v1/authorizationServers/{serverId}/policies/{policyId}`: replaces the policy
    /// with `policy` (its `id`, `system`, timestamps and `_links` are ignored), keeping its rules
    /// and, when `priority` is omitted, its place; answers it as shown.
    ///
    /// # Errors
    /// As [`create_policy`](Self::create_policy), and `E0000007` for an unknown policy.
    pub async fn replace_policy(&self, server_id: &str, policy_id: &str, policy: Policy) -> Result<Policy, ApiError> {
        let replaced = self
            .edit(server_id, |config, now| {
                let index = policy_index(config, policy_id)?;
                fail_on(validate_policy(&policy))?;
                normalize(&mut config.policies);
                let index = config
                    .policies
                    .iter()
                    .position(|p| p.policy.id == policy_id)
                    .unwrap_or(index);
                let mut entry = config.policies.remove(index);
                let old = entry.policy;
                entry.policy = Policy {
                    policy_type: PolicyType::OauthAuthorizationPolicy,
                    id: old.id,
                    system: old.system,
                    created: old.created,
                    last_updated: Some(now),
                    links: None,
                    ..policy.clone()
                };
                let requested = policy.priority.or(old.priority);
                let index = insert_ranked(&mut config.policies, entry, requested);
                Ok(config.policies[index].policy.clone())
            })
            .await?;
        Ok(self.show_policy(server_id, &replaced))
    }

    /// `DELETE /api/v1/authorizationServers/{serverId}/policies/{policyId}`, with its rules.
    ///
    /// # Errors
    /// `E0000007` for an unknown server or policy; `E0000006` for a system policy; `E0000009`
    /// when the store fails.
    pub async fn delete_policy(&self, server_id: &str, policy_id: &str) -> Result<(), ApiError> {
        self.edit(server_id, |config, _| {
            let index = policy_index(config, policy_id)?;
            if config.policies[index].policy.system {
                return Err(ApiError::system_object(POLICY_KIND));
            }
            // Its rules go with it: they live inside the policy's entry.
            config.policies.remove(index);
            normalize(&mut config.policies);
            Ok(())
        })
        .await
    }

    /// `POST /api/v1/authorizationServers/{serverId}/policies/{policyId}/lifecycle/activate`
    /// (`status` `ACTIVE`) or `…/lifecycle/deactivate` (`INACTIVE`).
    ///
    /// # Errors
    /// `E0000007` for an unknown server or policy; `E0000009` when the store fails.
    pub async fn set_policy_status(&self, server_id: &str, policy_id: &str, status: Status) -> Result<(), ApiError> {
        self.edit(server_id, |config, now| {
            let index = policy_index(config, policy_id)?;
            let policy = &mut config.policies[index].policy;
            policy.status = status;
            policy.last_updated = Some(now);
            Ok(())
        })
        .await
    }

    /// Routes `…/policies{rest}`.
    pub(super) async fn route_policies(&self, request: &ApiRequest<'_>, server_id: &str, rest: &[&str]) -> Answer {
        match (rest, request.method) {
            ([], Method::Get) => respond(200, &self.list_policies(server_id).await?),
            ([], Method::Post) => respond(201, &self.create_policy(server_id, parse_policy(request.body)?).await?),
            ([pid], Method::Get) => respond(200, &self.get_policy(server_id, pid).await?),
            ([pid], Method::Put) => {
                let policy = parse_policy(request.body)?;
                respond(200, &self.replace_policy(server_id, pid, policy).await?)
            }
            ([pid], Method::Delete) => no_content(self.delete_policy(server_id, pid).await),
            ([pid, "lifecycle", action], method) => {
                no_content(self.set_policy_status(server_id, pid, lifecycle(method, action)?).await)
            }
            ([pid, "rules", rest @ ..], _) => self.route_rules(request, server_id, pid, rest).await,
            ([] | [_], _) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// `{base}/api/v1/authorizationServers/{server}/policies/{pid}`.
    pub(super) fn policy_href(&self, server_id: &str, pid: &str) -> String {
        format!("{}/policies/{pid}", server_href(self.base_url(), server_id))
    }

    /// The policy as the API shows it, with `_links`.
    fn show_policy(&self, server_id: &str, policy: &Policy) -> Policy {
        let href = self.policy_href(server_id, &policy.id);
        let mut links = object_links(&href, policy.system, policy.status);
        links.insert("rules".to_owned(), link(format!("{href}/rules"), &[Method::Get]));
        Policy {
            links: Some(Value::Object(links)),
            ..policy.clone()
        }
    }
}

/// The index of policy `pid` in `config.policies`, or `E0000007`.
pub(super) fn policy_index(config: &ServerConfig, pid: &str) -> Result<usize, ApiError> {
    index_of(&config.policies, pid, POLICY_KIND, |p| &p.policy.id)
}

/// Reads a create or replace body (a JSON object) as a policy; an absent `name` reads as blank
/// so validation reports it, JSON of the wrong types is `E0000003`.
pub(crate) fn policy_from_json(object: Map<String, Value>) -> Result<Policy, ApiError> {
    let mut object = writable(object);
    object.entry("name").or_insert_with(|| json!(""));
    from_object(object)
}

/// A request body as a policy (see [`policy_from_json`]).
fn parse_policy(body: Option<&[u8]>) -> Result<Policy, ApiError> {
    policy_from_json(parse_object(body)?)
}

/// Field checks of a policy (Okta's policy object: name 1–100, description 1–255, clients
/// required).
fn validate_policy(policy: &Policy) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text(&mut errors, "name", Some(&policy.name), POLICY_NAME_MAX);
    check_description(
        &mut errors,
        "description",
        policy.description.as_deref(),
        POLICY_DESCRIPTION_MAX,
    );
    if let Some(clients) = policy.client_condition() {
        for (field, entries) in [
            ("conditions.clients.include", &clients.include),
            ("conditions.clients.exclude", &clients.exclude),
        ] {
            check_entries(&mut errors, field, entries, CONDITION_ENTRIES_MAX, CONDITION_ENTRY_MAX);
        }
    }
    match policy.client_condition() {
        None => errors.push(FieldError::new("conditions.clients.include", BLANK)),
        Some(clients) if clients.include.is_empty() => errors.push(FieldError::new(
            "conditions.clients.include",
            "At least one client id or 'ALL_CLIENTS' must be included.",
        )),
        Some(clients)
            if clients
                .include
                .iter()
                .chain(&clients.exclude)
                .any(|c| c.trim().is_empty()) =>
        {
            errors.push(FieldError::new(
                "conditions.clients.include",
                "Client ids cannot be blank.",
            ));
        }
        Some(_) => {}
    }
    errors
}

/// An object ordered by `priority`.
pub(super) trait Ranked {
    /// Its priority, `None` = last.
    fn priority(&self) -> Option<u32>;
    /// Sets its priority.
    fn set_priority(&mut self, priority: u32);
}

impl Ranked for PolicyWithRules {
    fn priority(&self) -> Option<u32> {
        self.policy.priority
    }

    fn set_priority(&mut self, priority: u32) {
        self.policy.priority = Some(priority);
    }
}

impl Ranked for Rule {
    fn priority(&self) -> Option<u32> {
        self.priority
    }

    fn set_priority(&mut self, priority: u32) {
        self.priority = Some(priority);
    }
}

/// Sorts `items` by priority (stable; `None` last) and renumbers them `1..=n`.
pub(super) fn normalize<T: Ranked>(items: &mut [T]) {
    items.sort_by_key(|item| item.priority().unwrap_or(u32::MAX));
    renumber(items);
}

/// Numbers `items` `1..=n` in their current order.
fn renumber<T: Ranked>(items: &mut [T]) {
    for (index, item) in items.iter_mut().enumerate() {
        item.set_priority(u32::try_from(index + 1).unwrap_or(u32::MAX));
    }
}

/// Inserts `item` at priority `requested` clamped to `[1, n+1]` (`None` = last), shifting the
/// others down, and renumbers `1..=n`. Returns the item's index.
pub(super) fn insert_ranked<T: Ranked>(items: &mut Vec<T>, item: T, requested: Option<u32>) -> usize {
    normalize(items);
    let last = items.len();
    let index = requested.map_or(last, |p| usize::try_from(p.max(1) - 1).unwrap_or(usize::MAX).min(last));
    items.insert(index, item);
    renumber(items);
    index
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::Duration;

    use crate::admin::Method;
    use crate::admin::tests::{
        TestApi, api, body, call, call_raw, deactivated, keys, listed, rejected, stored, with_default_server,
    };
    use crate::store::ConfigStore;

    const POLICIES: &str = "/api/v1/authorizationServers/default/policies";

    /// Seed 003 "Create a Policy" request body, verbatim.
    fn seed_create_request() -> Value {
        json!({
            "type": "OAUTH_AUTHORIZATION_POLICY",
            "status": "ACTIVE",
            "name": "Default Policy",
            "description": "Default policy description",
            "priority": 1,
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
        })
    }

    /// Seed 003 "Policies Object", verbatim.
    fn seed_policy_object() -> Value {
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

    /// Creates a policy named `name` for all clients and returns its id.
    async fn create(api: &TestApi, name: &str, priority: Option<u32>) -> String {
        let mut request = json!({
            "name": name, "description": "d", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
        });
        if let Some(p) = priority {
            request["priority"] = json!(p);
        }
        crate::admin::tests::create(api, POLICIES, request).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[tokio::test]
    async fn seed_003_create_request_is_accepted_and_answered_in_the_seeds_shape() {
        // Seed 003 "Create a Policy" → the "Policies Object"; reference §2.2: create is 201.
        let (api, clock) = api();
        with_default_server(&api).await;
        clock.advance(Duration::minutes(5));
        let response = call(&api, Method::Post, POLICIES, Some(seed_create_request())).await;
        assert_eq!(response.status, 201);
        let created = body(&response);
        let seed = seed_policy_object();
        assert_eq!(keys(&created), keys(&seed));
        assert_eq!(keys(&created["_links"]), keys(&seed["_links"]));
        let id = created["id"].as_str().unwrap();
        assert!(id.starts_with("00p") && id.len() == 20, "{id}");
        assert_eq!(created["type"], "OAUTH_AUTHORIZATION_POLICY");
        assert_eq!(created["system"], false);
        assert_eq!(created["priority"], 1);
        assert_eq!(created["created"], "2024-01-01T00:05:00.000Z");
        assert_eq!(created["lastUpdated"], created["created"]);
        let href = format!("https://id.example.com{POLICIES}/{id}");
        assert_eq!(
            created["_links"]["self"],
            json!({"href": href, "hints": {"allow": ["GET", "PUT", "DELETE"]}})
        );
        assert_eq!(
            created["_links"]["deactivate"],
            json!({"href": format!("{href}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}})
        );
        assert_eq!(
            created["_links"]["rules"],
            json!({"href": format!("{href}/rules"), "hints": {"allow": ["GET"]}})
        );
        // The stored policy carries no links (they are built on output).
        assert!(
            stored(&api, "default")
                .await
                .policies
                .iter()
                .all(|p| p.policy.links.is_none())
        );
    }

    #[tokio::test]
    async fn policy_round_trip_create_get_replace_list_delete() {
        let (api, clock) = api();
        with_default_server(&api).await;
        let id = create(&api, "Vendor2 Policy", None).await;
        let path = format!("{POLICIES}/{id}");

        let got = call(&api, Method::Get, &path, None).await;
        assert_eq!(got.status, 200);
        assert_eq!(body(&got)["name"], "Vendor2 Policy");
        assert_eq!(body(&got)["priority"], 2, "omitted priority goes last");

        // Seed 003 "Update a Policy" body; read-only fields in it (id, system) are ignored.
        clock.advance(Duration::minutes(1));
        let update = json!({
            "type": "OAUTH_AUTHORIZATION_POLICY", "id": "00p5m9xrrBffPd9ah0g4", "status": "ACTIVE",
            "name": "default", "description": "default policy", "priority": 1, "system": true,
            "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
        });
        let replaced = call(&api, Method::Put, &path, Some(update)).await;
        assert_eq!(replaced.status, 200);
        let replaced = body(&replaced);
        assert_eq!(replaced["id"], id.as_str());
        assert_eq!(replaced["system"], false);
        assert_eq!(replaced["description"], "default policy");
        assert_eq!(replaced["created"], "2024-01-01T00:00:00.000Z");
        assert_eq!(replaced["lastUpdated"], "2024-01-01T00:01:00.000Z");
        assert_eq!(body(&call(&api, Method::Get, &path, None).await), replaced);

        assert_eq!(
            listed(&api, POLICIES).await,
            [("default".to_owned(), 1), ("Default Policy".to_owned(), 2)]
        );

        let deleted = call(&api, Method::Delete, &path, None).await;
        assert_eq!((deleted.status, deleted.body), (204, None));
        assert_eq!(call(&api, Method::Get, &path, None).await.status, 404);
        assert_eq!(listed(&api, POLICIES).await, [("Default Policy".to_owned(), 1)]);
    }

    #[tokio::test]
    async fn policy_fields_are_validated_one_cause_per_field() {
        // Reference §2.2: name 1–100, description 1–255, both required; conditions.clients required.
        let (api, _) = api();
        with_default_server(&api).await;
        let clients = json!({"clients": {"include": ["ALL_CLIENTS"]}});
        rejected(
            &api,
            Method::Post,
            POLICIES,
            json!({"conditions": clients}),
            &[
                "name: The field cannot be left blank",
                "description: The field cannot be left blank",
            ],
        )
        .await;
        rejected(
            &api,
            Method::Post,
            POLICIES,
            json!({"name": "x".repeat(101), "description": "d".repeat(256), "conditions": clients}),
            &[
                "name: The field must be between 1 and 100 characters long",
                "description: The field must be between 1 and 255 characters long",
            ],
        )
        .await;
        rejected(
            &api,
            Method::Post,
            POLICIES,
            json!({"name": "  ", "description": "d"}),
            &[
                "name: The field cannot be left blank",
                "conditions.clients.include: The field cannot be left blank",
            ],
        )
        .await;
        rejected(
            &api,
            Method::Post,
            POLICIES,
            json!({"name": "n", "description": "d", "conditions": {"clients": {"include": []}}}),
            &["conditions.clients.include: At least one client id or 'ALL_CLIENTS' must be included."],
        )
        .await;
        // The limits count characters, not bytes.
        let ok = json!({"name": "é".repeat(100), "description": "d", "conditions": clients});
        assert_eq!(call(&api, Method::Post, POLICIES, Some(ok)).await.status, 201);
        // Replace validates the same way.
        let pid = stored(&api, "default").await.policies[0].policy.id.clone();
        rejected(
            &api,
            Method::Put,
            &format!("{POLICIES}/{pid}"),
            json!({"name": "n", "conditions": clients}),
            &["description: The field cannot be left blank"],
        )
        .await;
        let response = call(&api, Method::Post, POLICIES, Some(json!({"name": "n"}))).await;
        assert_eq!(
            body(&response)["errorSummary"],
            "Api validation failed: description, conditions.clients.include"
        );
    }

    #[tokio::test]
    async fn malformed_bodies_are_e0000003_and_change_nothing() {
        let (api, _) = api();
        with_default_server(&api).await;
        let before = stored(&api, "default").await;
        for raw in [
            &b"{not json"[..],
            b"[1, 2]",
            br#"{"name": 5, "description": "d"}"#,
            br#"{"priority": -1}"#,
        ] {
            let response = call_raw(&api, Method::Post, POLICIES, raw).await;
            assert_eq!(response.status, 400);
            assert_eq!(body(&response)["errorCode"], "E0000003");
        }
        assert_eq!(call(&api, Method::Post, POLICIES, None).await.status, 400);
        assert_eq!(stored(&api, "default").await, before);
    }

    #[tokio::test]
    async fn priorities_are_clamped_and_the_others_shift() {
        // Reference §2.1: "recommend clamping to [1, n+1] and shifting the others down".
        let (api, _) = api();
        with_default_server(&api).await;
        create(&api, "first", Some(1)).await;
        assert_eq!(
            listed(&api, POLICIES).await,
            [("first".to_owned(), 1), ("Default Policy".to_owned(), 2)]
        );
        create(&api, "far", Some(99)).await;
        create(&api, "zero", Some(0)).await;
        let middle = create(&api, "middle", Some(3)).await;
        let names: Vec<(String, u64)> = listed(&api, POLICIES).await;
        assert_eq!(
            names,
            [
                ("zero".to_owned(), 1),
                ("first".to_owned(), 2),
                ("middle".to_owned(), 3),
                ("Default Policy".to_owned(), 4),
                ("far".to_owned(), 5)
            ]
        );
        // Replace moves a policy; an omitted priority keeps its place.
        let path = format!("{POLICIES}/{middle}");
        let moved = json!({"name": "middle", "description": "d", "priority": 1000,
                           "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
        assert_eq!(body(&call(&api, Method::Put, &path, Some(moved)).await)["priority"], 5);
        let kept = json!({"name": "middle", "description": "d", "conditions": {"clients": {"include": ["0oa1"]}}});
        assert_eq!(body(&call(&api, Method::Put, &path, Some(kept)).await)["priority"], 5);
        // Deleting closes the gap.
        let zero = stored(&api, "default").await.policies[0].policy.id.clone();
        assert_eq!(
            call(&api, Method::Delete, &format!("{POLICIES}/{zero}"), None)
                .await
                .status,
            204
        );
        let priorities: Vec<u64> = listed(&api, POLICIES).await.into_iter().map(|(_, p)| p).collect();
        assert_eq!(priorities, [1, 2, 3, 4]);
        assert_eq!(listed(&api, POLICIES).await[3].0, "middle");
    }

    #[tokio::test]
    async fn lifecycle_sets_status_and_links() {
        // Reference §2.2: lifecycle operations answer 204.
        let (api, clock) = api();
        with_default_server(&api).await;
        let id = create(&api, "p", None).await;
        let path = format!("{POLICIES}/{id}");
        clock.advance(Duration::minutes(2));
        let got = deactivated(&api, &path, "2024-01-01T00:02:00.000Z").await;
        assert!(got["_links"].get("deactivate").is_none());
        assert_eq!(
            call(&api, Method::Post, &format!("{path}/lifecycle/activate"), None)
                .await
                .status,
            204
        );
        assert_eq!(body(&call(&api, Method::Get, &path, None).await)["status"], "ACTIVE");
        assert_eq!(
            call(&api, Method::Post, &format!("{path}/lifecycle/explode"), None)
                .await
                .status,
            404
        );
        assert_eq!(
            call(&api, Method::Get, &format!("{path}/lifecycle/activate"), None)
                .await
                .status,
            405
        );
        // A status given on create is kept.
        let inactive = json!({"name": "i", "description": "d", "status": "INACTIVE",
                              "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
        assert_eq!(
            body(&call(&api, Method::Post, POLICIES, Some(inactive)).await)["status"],
            "INACTIVE"
        );
    }

    #[tokio::test]
    async fn system_policies_cannot_be_deleted() {
        let (api, _) = api();
        with_default_server(&api).await;
        let mut config = stored(&api, "default").await;
        config.policies[0].policy.system = true;
        let id = config.policies[0].policy.id.clone();
        let revision = config.revision;
        assert!(matches!(
            api.config.save(config, revision).await.unwrap(),
            crate::store::Saved::Saved { .. }
        ));
        let before = stored(&api, "default").await;
        let path = format!("{POLICIES}/{id}");
        let response = call(&api, Method::Delete, &path, None).await;
        assert_eq!(response.status, 403);
        assert_eq!(body(&response)["errorCode"], "E0000006");
        assert_eq!(stored(&api, "default").await, before);
        let got = body(&call(&api, Method::Get, &path, None).await);
        assert_eq!(got["_links"]["self"]["hints"]["allow"], json!(["GET", "PUT"]));
    }

    #[tokio::test]
    async fn deleting_a_policy_deletes_its_rules() {
        let (api, _) = api();
        with_default_server(&api).await;
        let config = stored(&api, "default").await;
        let pid = config.policies[0].policy.id.clone();
        let rid = config.policies[0].rules[0].id.clone();
        let rule_path = format!("{POLICIES}/{pid}/rules/{rid}");
        assert_eq!(call(&api, Method::Get, &rule_path, None).await.status, 200);
        assert_eq!(
            call(&api, Method::Delete, &format!("{POLICIES}/{pid}"), None)
                .await
                .status,
            204
        );
        assert!(
            stored(&api, "default")
                .await
                .policies
                .iter()
                .flat_map(|p| &p.rules)
                .all(|r| r.id != rid)
        );
        assert_eq!(call(&api, Method::Get, &rule_path, None).await.status, 404);
    }

    #[tokio::test]
    async fn every_change_advances_changed_at() {
        // Seeds 000/003: "Revocation happens when a configuration is changed or deleted".
        let (api, clock) = api();
        with_default_server(&api).await;
        let mut last = stored(&api, "default").await;
        let id = create(&api, "p", None).await;
        let path = format!("{POLICIES}/{id}");
        let update = json!({"name": "q", "description": "d", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
        let steps: Vec<(Method, String, Option<Value>)> = vec![
            (Method::Post, POLICIES.to_owned(), Some(seed_create_request())),
            (Method::Put, path.clone(), Some(update)),
            (Method::Post, format!("{path}/lifecycle/deactivate"), None),
            (Method::Post, format!("{path}/lifecycle/activate"), None),
            (Method::Delete, path.clone(), None),
        ];
        for (method, step_path, request) in steps {
            clock.advance(Duration::minutes(1));
            let response = call(&api, method, &step_path, request).await;
            assert!(response.status < 300, "{step_path}: {:?}", response.body);
            let now = stored(&api, "default").await;
            assert!(now.changed_at > last.changed_at, "{method:?} {step_path}");
            assert_eq!(now.changed_at, api.now());
            assert!(now.revision > last.revision);
            last = now;
        }
        // Reads change nothing.
        clock.advance(Duration::minutes(1));
        call(&api, Method::Get, POLICIES, None).await;
        assert_eq!(stored(&api, "default").await, last);
    }

    #[tokio::test]
    async fn unknown_ids_are_e0000007() {
        let (api, _) = api();
        with_default_server(&api).await;
        let response = call(&api, Method::Get, "/api/v1/authorizationServers/ausnope/policies", None).await;
        assert_eq!(response.status, 404);
        assert_eq!(
            body(&response)["errorSummary"],
            "Not found: Resource not found: ausnope (AuthorizationServer)"
        );
        let response = call(
            &api,
            Method::Post,
            "/api/v1/authorizationServers/ausnope/policies",
            Some(seed_create_request()),
        )
        .await;
        assert_eq!(
            body(&response)["errorSummary"],
            "Not found: Resource not found: ausnope (AuthorizationServer)"
        );
        let before = stored(&api, "default").await;
        for (method, suffix, request) in [
            (Method::Get, "", None),
            (Method::Put, "", Some(seed_create_request())),
            (Method::Delete, "", None),
            (Method::Post, "/lifecycle/activate", None),
            (Method::Get, "/rules", None),
        ] {
            let response = call(&api, method, &format!("{POLICIES}/00pnope{suffix}"), request).await;
            assert_eq!(response.status, 404, "{method:?} {suffix}");
            assert_eq!(body(&response)["errorCode"], "E0000007");
            assert_eq!(
                body(&response)["errorSummary"],
                "Not found: Resource not found: 00pnope (AuthorizationServerPolicy)"
            );
        }
        assert_eq!(stored(&api, "default").await, before);
        assert_eq!(call(&api, Method::Put, POLICIES, None).await.status, 405);
        assert_eq!(
            call(&api, Method::Get, &format!("{POLICIES}/a/b"), None).await.status,
            404
        );
    }
}

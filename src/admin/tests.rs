//! Shared fixtures for the management API's tests.

use std::sync::Arc;

use serde_json::Value;
use time::macros::datetime;

use super::{ApiErrorCode, ApiRequest, ApiResponse, Caller, ManagementApi, Method};
use crate::clock::ManualClock;
use crate::crypto::PasswordHasher;
use crate::store::{ConfigStore, MemoryConfigStore, MemoryDirectory, ServerConfig};

pub(super) type TestApi = ManagementApi<MemoryConfigStore, MemoryDirectory>;

/// An API over empty in-memory stores, EdDSA keys (fast to generate), a manual clock at
/// 2024-01-01, and `https://id.example.com` as base URL.
pub(super) fn api() -> (TestApi, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(datetime!(2024-01-01 0:00 UTC)));
    let settings = crate::keys::RotationSettings {
        algorithm: crate::jose::Algorithm::EdDSA,
        ..Default::default()
    };
    let api = ManagementApi::new(
        Arc::new(MemoryConfigStore::new()),
        Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))),
        Arc::new(crate::keys::SoftwareKeys),
        clock.clone(),
        "https://id.example.com/",
    )
    .with_rotation_settings(settings);
    (api, clock)
}

/// Sends `method path` with an optional JSON body as an authenticated caller.
pub(super) async fn call(api: &TestApi, method: Method, path_and_query: &str, body: Option<Value>) -> ApiResponse {
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    send(api, method, path_and_query, bytes.as_deref()).await
}

/// Sends `method path` with a raw (possibly non-JSON) body as an authenticated caller.
pub(super) async fn call_raw(api: &TestApi, method: Method, path_and_query: &str, body: &[u8]) -> ApiResponse {
    send(api, method, path_and_query, Some(body)).await
}

async fn send(api: &TestApi, method: Method, path_and_query: &str, body: Option<&[u8]>) -> ApiResponse {
    let caller = Caller { id: "admin".to_owned() };
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let request = ApiRequest {
        method,
        path,
        query,
        body,
        caller: Some(&caller),
    };
    api.handle(&request).await
}

/// The response's JSON body, `null` when it has none.
pub(super) fn body(response: &ApiResponse) -> Value {
    response.body.clone().unwrap_or(Value::Null)
}

/// The keys of a JSON object, sorted (none for anything else).
pub(super) fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

/// The `errorSummary` of each of an error response's `errorCauses` (none when it has none).
pub(super) fn causes(response: &ApiResponse) -> Vec<String> {
    body(response)["errorCauses"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["errorSummary"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The stored configuration of server `server_id`, read from the store.
/// The `field` of every object `GET path` lists.
pub(super) async fn listed_field(api: &TestApi, path: &str, field: &str) -> Vec<String> {
    let found = call(api, Method::Get, path, None).await.body.unwrap();
    found
        .as_array()
        .unwrap()
        .iter()
        .map(|object| object[field].as_str().unwrap().to_owned())
        .collect()
}

pub(super) async fn stored(api: &TestApi, server_id: &str) -> ServerConfig {
    api.config.load(server_id).await.unwrap().unwrap()
}

/// Posts `request` to `path`, expects `201` and returns the created object.
pub(super) async fn create(api: &TestApi, path: &str, request: Value) -> Value {
    let response = call(api, Method::Post, path, Some(request)).await;
    assert_eq!(response.status, 201, "{:?}", response.body);
    body(&response)
}

/// `(name, priority)` of each object the list at `path` answers, in list order.
pub(super) async fn listed(api: &TestApi, path: &str) -> Vec<(String, u64)> {
    let response = call(api, Method::Get, path, None).await;
    assert_eq!(response.status, 200);
    body(&response)
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            (
                item["name"].as_str().unwrap().to_owned(),
                item["priority"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Creates `created` in the list at `list` (`201`), replaces it with `replaced` (`200`) and
/// deletes it (`204`), checking that each step moves the `default` server's `changed_at` forward
/// (which implicitly revokes tokens minted before it).
pub(super) async fn each_change_advances_changed_at(
    api: &TestApi,
    clock: &ManualClock,
    list: &str,
    (created, replaced): (Value, Value),
) {
    let mut last = stored(api, "default").await.changed_at;
    clock.advance(time::Duration::seconds(5));
    let id = create(api, list, created).await["id"].as_str().unwrap().to_owned();
    let path = format!("{list}/{id}");
    for (method, body, status) in [(Method::Put, Some(replaced), 200), (Method::Delete, None, 204)] {
        let now = stored(api, "default").await.changed_at;
        assert!(now > last, "{method:?} {path}");
        last = now;
        clock.advance(time::Duration::seconds(5));
        assert_eq!(call(api, method, &path, body).await.status, status, "{method:?} {path}");
    }
    assert!(stored(api, "default").await.changed_at > last);
}

/// Deactivates the policy or rule at `path` (`204` without a body) and reads it back: `INACTIVE`,
/// stamped `last_updated`, and offering `activate`.
pub(super) async fn deactivated(api: &TestApi, path: &str, last_updated: &str) -> Value {
    let response = call(api, Method::Post, &format!("{path}/lifecycle/deactivate"), None).await;
    assert_eq!((response.status, response.body), (204, None));
    let got = body(&call(api, Method::Get, path, None).await);
    assert_eq!(got["status"], "INACTIVE");
    assert_eq!(got["lastUpdated"], last_updated);
    assert_eq!(
        got["_links"]["activate"]["href"],
        format!("https://id.example.com{path}/lifecycle/activate")
    );
    got
}

/// Expects a 400 E0000001 whose causes are exactly `expected`, and that nothing was saved to the
/// `default` server.
pub(super) async fn rejected(api: &TestApi, method: Method, path: &str, request: Value, expected: &[&str]) {
    let before = stored(api, "default").await;
    let response = call(api, method, path, Some(request)).await;
    assert_eq!(response.status, 400, "{:?}", response.body);
    assert_eq!(body(&response)["errorCode"], "E0000001");
    assert_eq!(causes(&response), expected);
    assert_eq!(
        stored(api, "default").await,
        before,
        "a failed operation changes nothing"
    );
}

#[tokio::test]
async fn a_request_without_a_caller_is_forbidden() {
    // Issue: the host authenticates administrators; without a caller the answer is 403 E0000006.
    let (api, _) = api();
    let request = ApiRequest {
        method: Method::Get,
        path: "/api/v1/authorizationServers",
        query: "",
        body: None,
        caller: None,
    };
    let response = api.handle(&request).await;
    assert_eq!(response.status, 403);
    assert_eq!(response.body.unwrap()["errorCode"], "E0000006");
}

#[tokio::test]
async fn unknown_paths_are_e0000008() {
    let (api, _) = api();
    let response = call(&api, Method::Get, "/api/v1/somethingElse", None).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.body.unwrap()["errorCode"], "E0000008");
}

/// Stores the `default` server (as Okta ships it, with EdDSA keys) directly through the
/// configuration store, without going through the API.
pub(super) async fn with_default_server(api: &TestApi) {
    use crate::keys::{KeyMaterial, KeyRing, RotationMode};
    let now = api.now();
    let config = super::default_server_config(api.base_url(), now, &crate::random::SystemRandom);
    let material = crate::keys::SoftwareKeys;
    let ring = KeyRing::new(
        material.generate(api.rotation.algorithm).unwrap(),
        material.generate(api.rotation.algorithm).unwrap(),
        RotationMode::Auto,
        &api.rotation,
        now,
    );
    crate::store::ConfigStore::create(api.config.as_ref(), config, ring)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_fixture_stores_the_default_server() {
    let (api, _) = api();
    with_default_server(&api).await;
    assert!(api.load("default").await.is_ok());
    assert!(api.load("nope").await.unwrap_err().is_not_found());
}

/// A model value from its Okta JSON.
fn model<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid model value")
}

#[tokio::test]
async fn typed_operations_and_the_router_are_one_implementation() {
    // What the typed methods write, the router reads back as they answered it, and the reverse.
    use serde_json::json;

    use crate::model::{Scope, Status};
    let (api, _) = api();
    let server = api
        .create_server(model(
            json!({"name": "Orders", "description": "Orders API", "audiences": "api://orders"}),
        ))
        .await
        .unwrap();
    let base = format!("/api/v1/authorizationServers/{}", server.id);
    let shown = |response: ApiResponse| response.body.unwrap_or_default();
    assert_eq!(shown(call(&api, Method::Get, &base, None).await), json!(server));

    let scope = api.create_scope(&server.id, Scope::named("orders:read")).await.unwrap();
    let scope_path = format!("{base}/scopes/{}", scope.id);
    assert_eq!(shown(call(&api, Method::Get, &scope_path, None).await), json!(scope));
    let claim_body = json!({"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"gold\""});
    let claim = api.create_claim(&server.id, model(claim_body)).await.unwrap();
    assert_eq!(claim.always_include_in_token, Some(true), "defaults are filled in");
    let policy_body =
        json!({"name": "All", "description": "All clients", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
    let policy = api.create_policy(&server.id, model(policy_body)).await.unwrap();
    let rule = api
        .create_rule(
            &server.id,
            &policy.id,
            model(json!({"name": "Machines", "conditions": {
            "grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["orders:read"]}}})),
        )
        .await
        .unwrap();
    api.set_rule_status(&server.id, &policy.id, &rule.id, Status::Inactive)
        .await
        .unwrap();
    let rules = shown(call(&api, Method::Get, &format!("{base}/policies/{}/rules", policy.id), None).await);
    assert_eq!(rules, json!(api.list_rules(&server.id, &policy.id).await.unwrap()));
    assert_eq!(rules[0]["status"], "INACTIVE");
    let listed = shown(call(&api, Method::Get, &format!("{base}/claims"), None).await);
    assert!(listed.as_array().unwrap().contains(&json!(claim)));

    let rotated = api.rotate_keys(&server.id).await.unwrap();
    assert_eq!(
        shown(call(&api, Method::Get, &format!("{base}/credentials/keys"), None).await),
        json!(rotated)
    );
    assert_eq!(
        api.get_key(&server.id, rotated[0].jwk.kid.as_deref().unwrap())
            .await
            .unwrap(),
        rotated[0]
    );

    // Refusals are the router's errors, as values.
    let taken = api
        .create_scope(&server.id, Scope::named("orders:read"))
        .await
        .unwrap_err();
    assert_eq!(
        (taken.code, taken.causes[0].field.as_str()),
        (ApiErrorCode::ValidationFailed, "name")
    );
    api.delete_scope(&server.id, &scope.id).await.unwrap_err();
    api.delete_rule(&server.id, &policy.id, &rule.id).await.unwrap();
    api.delete_scope(&server.id, &scope.id).await.unwrap();
    assert_eq!(call(&api, Method::Get, &scope_path, None).await.status, 404);
    assert!(api.get_scope(&server.id, &scope.id).await.unwrap_err().is_not_found());
    api.set_server_status(&server.id, Status::Inactive).await.unwrap();
    assert_eq!(api.list_servers(Some("ORD")).await.unwrap()[0].status, Status::Inactive);
    api.delete_server(&server.id).await.unwrap();
    assert!(api.list_servers(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn typed_imports_keep_the_given_ids_and_secret() {
    use serde_json::json;

    use crate::secret::ClientSecret;
    use crate::store::Directory;
    let (api, _) = api();
    let orders = json!({"id": "orders", "name": "Orders", "description": "d", "audiences": ["api://orders"]});
    let imported = api.import_server(model(orders.clone())).await.unwrap();
    assert_eq!(imported.issuer.as_deref(), Some("https://id.example.com/oauth2/orders"));
    assert_eq!(api.get_server("orders").await.unwrap(), imported);
    assert_eq!(
        api.import_server(model(orders)).await.unwrap_err().causes[0].field,
        "id"
    );

    let client: crate::model::Client = model(json!({
        "client_id": "reporting", "client_name": "Reporting", "application_type": "service",
        "grant_types": ["client_credentials"], "response_types": ["token"]
    }));
    let secret = ClientSecret::from_received("reporting-secret-0123");
    let created = api.import_client(client.clone(), Some(secret.clone())).await.unwrap();
    assert_eq!(
        (created.client.client_id.as_str(), created.client_secret.as_ref()),
        ("reporting", Some(&secret))
    );
    let stored = api.get_client("reporting").await.unwrap();
    assert!(secret.verify(&stored.client_secret_hash.unwrap()));
    let again = api.import_client(client, None).await.unwrap_err();
    assert_eq!(again.code, ApiErrorCode::InvalidClientMetadata);
    assert_eq!(api.directory.clients().await.unwrap().len(), 1);
    let rotated = api.new_client_secret("reporting").await.unwrap();
    assert!(rotated.client_secret.is_some_and(|new| new != secret));
}

/// Fills the `default` server's lists directly through the store (faster than the API) so that
/// each holds as many members as its limit allows.
async fn fill_default_server_to_the_limits(api: &TestApi) {
    use serde_json::json;

    use super::limits::{CLAIMS_PER_SERVER_MAX, POLICIES_PER_SERVER_MAX, RULES_PER_POLICY_MAX, SCOPES_PER_SERVER_MAX};
    use crate::policy::PolicyWithRules;
    let mut config = stored(api, "default").await;
    let expected = config.revision;
    for n in config.scopes.len()..SCOPES_PER_SERVER_MAX {
        let mut scope = crate::model::Scope::named(format!("filler:{n}"));
        scope.id = format!("scpfiller{n}");
        config.scopes.push(scope);
    }
    for n in config.claims.len()..CLAIMS_PER_SERVER_MAX {
        config.claims.push(model(json!({
            "id": format!("oclfiller{n}"), "name": format!("filler{n}"), "claimType": "RESOURCE",
            "valueType": "EXPRESSION", "value": "\"x\"", "conditions": {"scopes": []}
        })));
    }
    let rules = &mut config.policies[0].rules;
    for n in rules.len()..RULES_PER_POLICY_MAX {
        rules.push(model(json!({
            "id": format!("0prfiller{n}"), "name": format!("filler {n}"), "priority": n + 1, "type": "RESOURCE_ACCESS",
            "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["*"]}}
        })));
    }
    for n in config.policies.len()..POLICIES_PER_SERVER_MAX {
        config.policies.push(PolicyWithRules {
            policy: model(json!({
                "id": format!("00pfiller{n}"), "name": format!("filler {n}"), "description": "d", "priority": n + 1,
                "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
            })),
            rules: Vec::new(),
        });
    }
    let saved = api.config.save(config, expected).await.unwrap();
    assert!(matches!(saved, crate::store::Saved::Saved { .. }));
}

#[tokio::test]
async fn sizes_and_counts_are_bounded_with_a_cause_per_field() {
    // Issue 14: no configuration string had a length limit and no list a size. Each limit of the
    // module documentation's Limits table is refused with `400 E0000001` naming the field, and
    // changes nothing.
    use serde_json::json;
    let (api, _) = api();
    with_default_server(&api).await;
    let servers = "/api/v1/authorizationServers";
    let base = "/api/v1/authorizationServers/default";
    let policy = stored(&api, "default").await.policies[0].policy.id.clone();
    let rules = format!("{base}/policies/{policy}/rules");
    let long = |n: usize| "x".repeat(n);
    let ids = |n: usize| (0..n).map(|i| format!("id{i}")).collect::<Vec<_>>();
    let server = |name: String, description: String, audience: String| json!({"name": name, "description": description, "audiences": [audience]});
    let rule = |conditions: Value, actions: Value| json!({"type": "RESOURCE_ACCESS", "name": "r", "conditions": conditions, "actions": actions});
    let machines = |extra: Value| {
        let mut conditions = json!({"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["*"]}});
        for (key, value) in extra.as_object().unwrap() {
            conditions[key] = value.clone();
        }
        conditions
    };
    let cases: Vec<(String, Value, Vec<&str>)> = vec![
        (
            servers.into(),
            server(long(256), "d".into(), "api://a".into()),
            vec!["name: The field must be between 1 and 255 characters long"],
        ),
        (
            servers.into(),
            server("n".into(), long(1025), "api://a".into()),
            vec!["description: The field must be between 1 and 1024 characters long"],
        ),
        (
            servers.into(),
            server("a\u{0}b".into(), "d\u{1b}[31m".into(), format!("api://{}", long(1020))),
            vec![
                "name: The field cannot contain control characters",
                "description: The field cannot contain control characters",
                "audiences: An audience cannot be longer than 1024 characters",
            ],
        ),
        (
            servers.into(),
            server("n".into(), "d".into(), "aud\nience".into()),
            vec!["audiences: The field cannot contain control characters"],
        ),
        (
            format!("{base}/scopes"),
            json!({"name": long(256)}),
            vec!["name: Scope names cannot be longer than 255 characters"],
        ),
        (
            format!("{base}/scopes"),
            json!({"name": "s", "displayName": long(256), "description": long(1025)}),
            vec![
                "displayName: The field cannot be longer than 255 characters",
                "description: The field cannot be longer than 1024 characters",
            ],
        ),
        (
            format!("{base}/scopes"),
            json!({"name": "s", "displayName": "bell\u{7}"}),
            vec!["displayName: The field cannot contain control characters"],
        ),
        (
            format!("{base}/claims"),
            json!({"name": long(256), "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"v\""}),
            vec!["name: The field must be between 1 and 255 characters long"],
        ),
        (
            format!("{base}/claims"),
            json!({"name": "c", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"v\"",
                   "conditions": {"scopes": vec!["openid"; 101]}}),
            vec!["conditions.scopes: The list cannot have more than 100 entries"],
        ),
        (
            format!("{base}/policies"),
            json!({"name": "p", "description": "d", "conditions": {"clients": {"include": ids(101)}}}),
            vec!["conditions.clients.include: The list cannot have more than 100 entries"],
        ),
        (
            format!("{base}/policies"),
            json!({"name": "p", "description": "d\u{0}", "conditions": {"clients": {"include": ["ALL_CLIENTS"], "exclude": [long(256)]}}}),
            vec![
                "description: The field cannot contain control characters",
                "conditions.clients.exclude: An entry cannot be longer than 255 characters",
            ],
        ),
        (
            rules.clone(),
            rule(
                json!({"grantTypes": {"include": vec!["authorization_code"; 17]},
                       "people": {"users": {"include": ids(101)}, "groups": {"include": ["EVERYONE"], "exclude": ["g\r\u{0}"]}},
                       "scopes": {"include": vec!["openid"; 1001]}}),
                json!({}),
            ),
            vec![
                "conditions.grantTypes: The list cannot have more than 16 entries",
                "conditions.people.users.include: The list cannot have more than 100 entries",
                "conditions.people.groups.exclude: An entry cannot contain control characters",
                "conditions.scopes: The list cannot have more than 1000 entries",
            ],
        ),
        (
            rules.clone(),
            rule(machines(json!({})), json!({"token": {"inlineHook": {"id": long(256)}}})),
            vec!["actions.token.inlineHook.id: The field cannot be longer than 255 characters"],
        ),
    ];
    for (path, request, expected) in cases {
        let servers_before = api.list_servers(None).await.unwrap();
        rejected(&api, Method::Post, &path, request, &expected).await;
        assert_eq!(api.list_servers(None).await.unwrap(), servers_before, "{path}");
    }
    // At the limits, and with line breaks in descriptions, everything is accepted.
    let accepted = server(
        long(255),
        "two\nlines\tand a tab".into(),
        format!("api://{}", long(1018)),
    );
    assert_eq!(call(&api, Method::Post, servers, Some(accepted)).await.status, 201);

    // Counts: a full list takes no more.
    fill_default_server_to_the_limits(&api).await;
    let full: [(String, Value, &str); 4] = [
        (
            format!("{base}/scopes"),
            json!({"name": "one:more"}),
            "scopes: At most 1000 scopes per authorization server are allowed",
        ),
        (
            format!("{base}/claims"),
            json!({"name": "oneMore", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"v\""}),
            "claims: At most 200 claims per authorization server are allowed",
        ),
        (
            format!("{base}/policies"),
            json!({"name": "p", "description": "d", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}}),
            "policies: At most 100 policies per authorization server are allowed",
        ),
        (
            rules,
            rule(machines(json!({})), json!({})),
            "rules: At most 100 rules per policy are allowed",
        ),
    ];
    for (path, request, expected) in full {
        rejected(&api, Method::Post, &path, request, &[expected]).await;
    }
}

/// A directory that yields to the executor before every call, so that management operations
/// run concurrently with `join!` interleave at each directory access, as they do over a
/// database.
pub(super) struct YieldingDirectory(pub(super) MemoryDirectory);

impl YieldingDirectory {
    async fn pause<T>(&self, answer: T) -> T {
        tokio::task::yield_now().await;
        answer
    }
}

impl crate::store::Directory for YieldingDirectory {
    async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<std::sync::Arc<crate::model::ClientRecord>>, crate::store::StoreError> {
        self.pause(()).await;
        self.0.client(client_id).await
    }

    async fn clients(&self) -> Result<Vec<crate::model::ClientRecord>, crate::store::StoreError> {
        self.pause(()).await;
        self.0.clients().await
    }

    async fn put_client(&self, client: crate::model::ClientRecord) -> Result<(), crate::store::StoreError> {
        self.pause(()).await;
        self.0.put_client(client).await
    }

    async fn delete_client(&self, client_id: &str) -> Result<bool, crate::store::StoreError> {
        self.pause(()).await;
        self.0.delete_client(client_id).await
    }

    async fn client_secret_jwt_key(
        &self,
        client_id: &str,
    ) -> Result<Option<crate::secret::ClientSecret>, crate::store::StoreError> {
        self.pause(()).await;
        self.0.client_secret_jwt_key(client_id).await
    }

    async fn store_client_secret_jwt_key(
        &self,
        client_id: &str,
        key: Option<&crate::secret::ClientSecret>,
    ) -> Result<bool, crate::store::StoreError> {
        self.pause(()).await;
        self.0.store_client_secret_jwt_key(client_id, key).await
    }

    async fn client_revision(
        &self,
        client_id: &str,
    ) -> Result<Option<(crate::model::ClientRecord, u64)>, crate::store::StoreError> {
        self.pause(()).await;
        self.0.client_revision(client_id).await
    }

    async fn insert_client(
        &self,
        client: crate::model::ClientRecord,
        jwt_key: Option<&crate::secret::ClientSecret>,
    ) -> Result<u64, crate::store::StoreError> {
        self.pause(()).await;
        self.0.insert_client(client, jwt_key).await
    }

    async fn replace_client(
        &self,
        client: crate::model::ClientRecord,
        jwt_key: crate::store::directory::JwtKeyChange<'_>,
        expected_revision: u64,
    ) -> Result<crate::store::Saved, crate::store::StoreError> {
        self.pause(()).await;
        self.0.replace_client(client, jwt_key, expected_revision).await
    }

    fn keeps_client_secret_jwt_keys(&self) -> bool {
        self.0.keeps_client_secret_jwt_keys()
    }

    async fn user(&self, id: &str) -> Result<Option<crate::model::User>, crate::store::StoreError> {
        self.0.user(id).await
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<crate::model::User>, crate::store::StoreError> {
        self.0.user_by_login(login).await
    }

    async fn user_groups(&self, user_id: &str) -> Result<Vec<crate::model::Group>, crate::store::StoreError> {
        self.0.user_groups(user_id).await
    }

    async fn is_assigned(&self, client_id: &str, user_id: &str) -> Result<bool, crate::store::StoreError> {
        self.0.is_assigned(client_id, user_id).await
    }

    async fn check_password(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Option<crate::model::User>, crate::store::StoreError> {
        self.0.check_password(login, password).await
    }
}

/// An API like [`api`]'s over a [`YieldingDirectory`].
pub(super) fn yielding_api() -> ManagementApi<MemoryConfigStore, YieldingDirectory> {
    let clock = Arc::new(ManualClock::new(datetime!(2024-01-01 0:00 UTC)));
    ManagementApi::new(
        Arc::new(MemoryConfigStore::new()),
        Arc::new(YieldingDirectory(MemoryDirectory::new(
            PasswordHasher::with_iterations(1_000),
        ))),
        Arc::new(crate::keys::SoftwareKeys),
        clock,
        "https://id.example.com/",
    )
}

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

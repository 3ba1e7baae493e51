//! Shared fixtures for the management API's tests.

use std::sync::Arc;

use serde_json::Value;
use time::macros::datetime;

use super::{ApiRequest, ApiResponse, Caller, ManagementApi, Method};
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
    assert_eq!(api.load("nope").await.unwrap_err().code, "E0000007");
}

//! Shared fixtures for the management API's tests.

use std::sync::Arc;

use time::macros::datetime;

use super::{ApiRequest, ApiResponse, Caller, ManagementApi, Method};
use crate::clock::ManualClock;
use crate::crypto::PasswordHasher;
use crate::store::{MemoryConfigStore, MemoryDirectory};

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
pub(super) async fn call(
    api: &TestApi,
    method: Method,
    path_and_query: &str,
    body: Option<serde_json::Value>,
) -> ApiResponse {
    let caller = Caller { id: "admin".to_owned() };
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
    let request = ApiRequest {
        method,
        path,
        query,
        body: bytes.as_deref(),
        caller: Some(&caller),
    };
    api.handle(&request).await
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
    let config = super::default_server_config(api.base_url(), now);
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

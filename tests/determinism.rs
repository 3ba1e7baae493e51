//! With fixed keys, a manual clock and a seeded randomness source, a run is reproducible: two
//! identical runs produce byte-identical client ids, secrets, access tokens, ID tokens, refresh
//! tokens and event ids.

use std::sync::Arc;

use authserver::AuthServer;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::clock::ManualClock;
use authserver::crypto::PasswordHasher;
use authserver::endpoint::EndpointRequest;
use authserver::event::MemoryEventLog;
use authserver::model::User;
use authserver::random::SeededRandom;
use authserver::store::MemoryDirectory;
use authserver::testkit::FixedKeys;
use serde_json::{Value, json};
use time::macros::datetime;

/// Everything one run produced, in order.
#[derive(Debug, PartialEq)]
struct Run {
    client: Value,
    first: Value,
    refreshed: Value,
    event_ids: Vec<String>,
}

async fn run(seed: u64) -> Run {
    let events = Arc::new(MemoryEventLog::default());
    let server = AuthServer::builder("https://id.example.com")
        .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
        .key_material(Arc::new(FixedKeys::new()))
        .clock(Arc::new(ManualClock::new(datetime!(2026-12-06 12:00 UTC))))
        .randomness(Arc::new(SeededRandom::new(seed)))
        .events(events.clone())
        .build();
    server.management().ensure_default_server().await.unwrap();
    let user: User = serde_json::from_value(json!({
        "id": "00u1", "status": "ACTIVE", "profile": {"login": "ada@example.com", "email": "ada@example.com"}
    }))
    .unwrap();
    server.directory().add_user(user, Some("correct horse")).unwrap();

    let caller = Caller { id: "admin".into() };
    let body = serde_json::to_vec(&json!({
        "client_name": "reports", "grant_types": ["authorization_code", "password", "refresh_token"],
        "response_types": ["code"], "redirect_uris": ["https://app.example.com/callback"],
        "token_endpoint_auth_method": "client_secret_post"
    }))
    .unwrap();
    let request = ApiRequest {
        method: Method::Post,
        path: "/oauth2/v1/clients",
        query: "",
        body: Some(&body),
        caller: Some(&caller),
    };
    let response = server.management().handle(&request).await;
    assert_eq!(response.status, 201, "{:?}", response.body);
    let client = response.body.unwrap();
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    server.directory().assign_user(id, "00u1").unwrap();

    let form = format!(
        "grant_type=password&username=ada%40example.com&password=correct+horse&scope=openid+offline_access&client_id={id}&client_secret={secret}"
    );
    let first = server.token("default", &EndpointRequest::post(&form)).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let first = first.json_body().unwrap().clone();
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = format!("grant_type=refresh_token&refresh_token={refresh}&client_id={id}&client_secret={secret}");
    let refreshed = server.token("default", &EndpointRequest::post(&form)).await;
    assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);
    Run {
        client,
        first,
        refreshed: refreshed.json_body().unwrap().clone(),
        event_ids: events.all().into_iter().map(|event| event.uuid).collect(),
    }
}

#[tokio::test]
async fn a_seeded_run_repeats_byte_for_byte() {
    let (a, b) = (run(7).await, run(7).await);
    assert!(a.first["id_token"].is_string() && a.first["refresh_token"].is_string());
    assert!(!a.event_ids.is_empty());
    assert_eq!(a, b);
}

#[tokio::test]
async fn another_seed_gives_other_ids() {
    let (a, b) = (run(7).await, run(8).await);
    assert_ne!(a.client["client_id"], b.client["client_id"]);
    assert_ne!(a.first["access_token"], b.first["access_token"]);
    assert_ne!(a.first["refresh_token"], b.first["refresh_token"]);
}

//! The host's per-server state: caching by revision, AUTO rotation on demand, deactivation.

use std::sync::Arc;

use serde_json::json;
use time::Duration;
use time::macros::datetime;

use super::AuthServer;
use super::builder::AuthServerBuilder;
use crate::admin::{ApiRequest, Caller, Method};
use crate::clock::{Clock, ManualClock};
use crate::cpu_pool::CpuPool;
use crate::crypto::PasswordHasher;
use crate::event::MemoryEventLog;
use crate::jose::{self, Algorithm, Jwks};
use crate::keys::{KeyMaterial, RotationSettings, SoftwareKeys};
use crate::store::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};

pub(crate) type TestServer = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

/// A host over empty in-memory stores for the endpoint tests: `clock`, `events`, EdDSA keys
/// (instant to generate), a cheap password hash, and `https://id.example.com` as base URL.
pub(crate) fn in_memory_server(clock: Arc<ManualClock>, events: Arc<MemoryEventLog>) -> TestServer {
    in_memory_server_on(clock, events, CpuPool::default())
}

/// [`in_memory_server`] with its CPU-heavy work on `pool`.
pub(crate) fn in_memory_server_on(clock: Arc<ManualClock>, events: Arc<MemoryEventLog>, pool: CpuPool) -> TestServer {
    in_memory_builder(clock, events, pool).build()
}

/// The builder of [`in_memory_server_on`], for a test that sets more.
pub(crate) fn in_memory_builder(
    clock: Arc<ManualClock>,
    events: Arc<MemoryEventLog>,
    pool: CpuPool,
) -> AuthServerBuilder {
    AuthServer::builder("https://id.example.com")
        .cpu_pool(pool)
        .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
        .clock(clock)
        .events(events)
        .rotation(RotationSettings {
            algorithm: Algorithm::EdDSA,
            ..RotationSettings::default()
        })
}

async fn server() -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(datetime!(2024-01-01 0:00 UTC)));
    let server = in_memory_server(clock.clone(), Arc::new(MemoryEventLog::default()));
    server.management().ensure_default_server().await.unwrap();
    (server, clock)
}

async fn admin(server: &TestServer, method: Method, path: &str) -> u16 {
    let caller = Caller { id: "admin".into() };
    let request = ApiRequest {
        method,
        path,
        query: "",
        body: Some(b"{\"use\":\"sig\"}"),
        caller: Some(&caller),
    };
    server.management().handle(&request).await.status
}

fn jwks(response: &crate::endpoint::EndpointResponse) -> Jwks {
    serde_json::from_value(response.json_body().cloned().unwrap()).unwrap()
}

#[tokio::test]
async fn keys_endpoint_publishes_active_and_next_with_cache_headers() {
    // Seed 003 "Get Keys"; reference §3.9: `{issuer}/v1/keys` with standard Cache-Control.
    let (server, _) = server().await;
    let response = server.keys("default").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Cache-Control"), Some("max-age=3600, must-revalidate"));
    let keys = jwks(&response);
    assert_eq!(keys.keys.len(), 2, "ACTIVE and NEXT");
    assert!(
        keys.keys
            .iter()
            .all(|k| k.key_use.as_deref() == Some("sig") && k.kid.is_some())
    );
    assert_eq!(server.issuer("default"), "https://id.example.com/oauth2/default");
}

#[tokio::test]
async fn tokens_signed_by_the_prepared_state_verify_against_the_endpoint() {
    let (server, _) = server().await;
    let state = server.active_state("default").await.unwrap();
    let signer = SoftwareKeys.open(state.ring.active()).unwrap();
    let token = jose::sign(signer.as_ref(), None, &json!({"sub": "x"})).unwrap();
    let verified = jose::verify(&token, &jwks(&server.keys("default").await)).unwrap();
    assert_eq!(verified.header.kid.as_deref(), Some(state.ring.active().kid.as_str()));
    assert_eq!(signer.kid(), state.ring.active().kid);
}

#[tokio::test]
async fn unknown_servers_are_e0000007() {
    let (server, _) = server().await;
    let response = server.keys("nope").await;
    assert_eq!(response.status, 404);
    assert_eq!(response.json_body().unwrap()["errorCode"], "E0000007");
}

#[tokio::test]
async fn a_deactivated_server_refuses_requests_until_reactivated() {
    // Issue 4 / seed 003 "Deactivate Authorization Server": a deactivated server's endpoints
    // refuse requests; the refusal lives in the shared state lookup every endpoint goes through.
    let (server, _) = server().await;
    assert_eq!(server.keys("default").await.status, 200);
    assert_eq!(
        admin(
            &server,
            Method::Post,
            "/api/v1/authorizationServers/default/lifecycle/deactivate"
        )
        .await,
        204
    );
    let refused = server.keys("default").await;
    assert_eq!(refused.status, 404);
    assert_eq!(refused.json_body().unwrap()["errorCode"], "E0000007");
    assert_eq!(
        admin(
            &server,
            Method::Post,
            "/api/v1/authorizationServers/default/lifecycle/activate"
        )
        .await,
        204
    );
    assert_eq!(server.keys("default").await.status, 200);
}

#[tokio::test]
async fn the_prepared_state_is_reused_until_a_revision_moves() {
    let (server, _) = server().await;
    let first = server.active_state("default").await.unwrap();
    let again = server.active_state("default").await.unwrap();
    assert!(Arc::ptr_eq(&first, &again), "no change, no rebuild");
    // A manual rotation moves the key revision: the next request sees the new ACTIVE key.
    let next_kid = first.ring.next_key().kid.clone();
    assert_eq!(
        admin(
            &server,
            Method::Post,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate"
        )
        .await,
        200
    );
    let rotated = server.active_state("default").await.unwrap();
    assert!(!Arc::ptr_eq(&first, &rotated));
    assert_eq!(rotated.ring.active().kid, next_kid);
}

/// The body's shared copy (the JWKS and discovery documents are served from one).
fn shared(response: &crate::endpoint::EndpointResponse) -> crate::endpoint::SharedJson {
    match &response.body {
        crate::endpoint::Body::SharedJson(json) => json.clone(),
        other => panic!("expected a shared JSON body, got {other:?}"),
    }
}

fn kids(jwks: &Jwks) -> Vec<String> {
    jwks.keys.iter().filter_map(|key| key.kid.clone()).collect()
}

#[tokio::test]
async fn the_jwks_is_serialized_once_and_never_served_stale() {
    // Issue 15 "no work repeated per request": one serialized copy per key-ring revision, which
    // a rotation replaces at once and the end of a retired key's retention (a change of time,
    // not of revision) replaces too.
    let (server, clock) = server().await;
    let first = server.keys("default").await;
    assert!(shared(&first).is_same_copy(&shared(&server.keys("default").await)));
    let before = kids(&jwks(&first));
    assert_eq!(
        admin(
            &server,
            Method::Post,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate"
        )
        .await,
        200
    );
    let rotated = server.keys("default").await;
    let after = kids(&jwks(&rotated));
    assert_eq!(after.len(), 3, "ACTIVE, NEXT and the expired key");
    assert_eq!(after[0], before[1], "NEXT became ACTIVE");
    assert!(after.contains(&before[0]), "the expired key stays published");
    assert!(shared(&rotated).is_same_copy(&shared(&server.keys("default").await)));

    // One day later (the default retention) the expired key leaves the JWKS, though no revision
    // moved; the document is rebuilt once and served from the new copy again.
    clock.advance(Duration::days(1));
    let retired = server.keys("default").await;
    assert_eq!(kids(&jwks(&retired)), after[..2].to_vec());
    assert!(shared(&retired).is_same_copy(&shared(&server.keys("default").await)));
    // A clock set back publishes the key again rather than serving the later copy.
    clock.advance(-Duration::seconds(1));
    assert_eq!(kids(&jwks(&server.keys("default").await)), after);
}

#[tokio::test]
async fn discovery_documents_are_serialized_once_and_follow_the_configuration() {
    let (server, _) = server().await;
    let request = crate::endpoint::EndpointRequest::get("");
    let oauth = server.authorization_server_metadata("default", &request).await;
    let openid = server.openid_configuration("default", &request).await;
    assert!(shared(&oauth).is_same_copy(&shared(
        &server.authorization_server_metadata("default", &request).await
    )));
    assert!(shared(&openid).is_same_copy(&shared(&server.openid_configuration("default", &request).await)));
    assert!(openid.json_body().unwrap().get("userinfo_endpoint").is_some());
    assert!(oauth.json_body().unwrap().get("userinfo_endpoint").is_none());
    let caller = Caller { id: "admin".into() };
    let body = br#"{"name": "later", "metadataPublish": "ALL_CLIENTS"}"#;
    let created = server
        .management()
        .handle(&ApiRequest {
            method: Method::Post,
            path: "/api/v1/authorizationServers/default/scopes",
            query: "",
            body: Some(body),
            caller: Some(&caller),
        })
        .await;
    assert_eq!(created.status, 201);
    for response in [
        server.authorization_server_metadata("default", &request).await,
        server.openid_configuration("default", &request).await,
    ] {
        let scopes = &response.json_body().unwrap()["scopes_supported"];
        assert!(scopes.as_array().unwrap().contains(&json!("later")), "{scopes}");
    }
}

#[tokio::test]
async fn an_auto_rotation_happens_on_the_request_that_finds_it_due() {
    // Seed 003 / reference §3.9: AUTO rotates when the clock passes nextRotation.
    let (server, clock) = server().await;
    let before = server.active_state("default").await.unwrap();
    let signer = SoftwareKeys.open(before.ring.active()).unwrap();
    let token = jose::sign(signer.as_ref(), None, &json!({"sub": "x"})).unwrap();
    clock.advance(Duration::days(90));
    let after = server.active_state("default").await.unwrap();
    assert_eq!(
        after.ring.active().kid,
        before.ring.next_key().kid,
        "NEXT became ACTIVE"
    );
    assert_eq!(after.ring.last_rotated(), clock.now());
    let published = jwks(&server.keys("default").await);
    assert_eq!(published.keys.len(), 3, "ACTIVE, NEXT and the just-expired key");
    jose::verify(&token, &published).expect("a token signed before the rotation still verifies");
}

#[tokio::test]
async fn a_client_secret_jwt_client_registered_through_the_api_authenticates() {
    // Seed 003 "Token Claims for Client Authentication with Client Secret JWT": iss = sub =
    // client_id, aud = the token endpoint, exp within an hour, a single-use jti; HS256 keyed
    // with the client secret the registration returned.
    let (server, clock) = server().await;
    let caller = Caller { id: "admin".into() };
    let body = serde_json::to_vec(&json!({
        "client_name": "Batch job", "application_type": "service",
        "grant_types": ["client_credentials"], "response_types": ["token"],
        "token_endpoint_auth_method": "client_secret_jwt"
    }))
    .unwrap();
    let request = ApiRequest {
        method: Method::Post,
        path: "/oauth2/v1/clients",
        query: "",
        body: Some(&body),
        caller: Some(&caller),
    };
    let registered = server.management().handle(&request).await;
    assert_eq!(registered.status, 201, "{:?}", registered.body);
    let registered = registered.body.unwrap();
    let client_id = registered["client_id"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();

    let now = clock.now().unix_timestamp();
    let assertion = |jti: &str| {
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": "https://id.example.com/oauth2/default/v1/token",
            "iat": now, "exp": now + 300, "jti": jti
        });
        jose::sign_hmac(jose::HmacAlgorithm::HS256, secret.as_bytes(), &claims).unwrap()
    };
    let form = |assertion: String| {
        format!(
            "grant_type=client_credentials&scope=openid&client_assertion_type={}&client_assertion={assertion}",
            "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        )
    };
    // `openid` is refused for client credentials, which proves the client got past authentication.
    let response = server
        .token(
            "default",
            &crate::endpoint::EndpointRequest::post(&form(assertion("jti-1"))),
        )
        .await;
    assert_eq!(response.status, 400, "{:?}", response.body);
    assert_eq!(response.json_body().unwrap()["error"], "invalid_scope");
    // The same assertion again: its jti was used, so authentication fails.
    let replay = server
        .token(
            "default",
            &crate::endpoint::EndpointRequest::post(&form(assertion("jti-1"))),
        )
        .await;
    assert_eq!(replay.status, 401);
    assert_eq!(replay.json_body().unwrap()["error"], "invalid_client");
}

/// A sink that counts what it is handed, and says whether it keeps it.
struct Counting {
    keeps: bool,
    recorded: std::sync::atomic::AtomicUsize,
}

impl crate::event::EventSink for Counting {
    fn record(&self, _event: crate::event::Event) {
        self.recorded.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    fn keeps_events(&self) -> bool {
        self.keeps
    }
}

/// A server recording to `sink`, with a `client_secret_post` service client `0oasvc` allowed the
/// scope `orders:read`; and a client-credentials form asking for `scope`.
async fn service_server(sink: Arc<dyn crate::event::EventSink>) -> (TestServer, impl Fn(&str) -> String) {
    let server = AuthServer::builder("https://id.example.com")
        .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
        .events(sink)
        .rotation(RotationSettings {
            algorithm: Algorithm::EdDSA,
            ..RotationSettings::default()
        })
        .build();
    server.management().ensure_default_server().await.unwrap();
    let secret = crate::secret::ClientSecret::generate(&crate::random::SystemRandom).unwrap();
    let client: crate::model::ClientRecord = serde_json::from_value(json!({
        "client_id": "0oasvc", "client_name": "Service", "application_type": "service",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"], "response_types": ["token"],
        "client_secret_hash": secret.hash()
    }))
    .unwrap();
    crate::store::Directory::put_client(server.directory(), client)
        .await
        .unwrap();
    let config = server.config_store();
    let mut stored = crate::store::ConfigStore::load(config, "default")
        .await
        .unwrap()
        .unwrap();
    let revision = stored.revision;
    stored.scopes.push(crate::model::Scope::named("orders:read"));
    let _ = crate::store::ConfigStore::save(config, stored, revision).await.unwrap();
    let form = move |scope: &str| {
        format!(
            "grant_type=client_credentials&scope={scope}&client_id=0oasvc&client_secret={}",
            secret.expose()
        )
    };
    (server, form)
}

#[tokio::test]
async fn the_token_path_builds_no_events_for_a_sink_that_keeps_none() {
    // Issue 15: a grant's two events (the policy decision, the token grant) are built only for a
    // sink that keeps them; refusals are recorded either way.
    for keeps in [true, false] {
        let sink = Arc::new(Counting {
            keeps,
            recorded: Default::default(),
        });
        let (server, form) = service_server(sink.clone()).await;
        let recorded = || sink.recorded.load(std::sync::atomic::Ordering::SeqCst);
        let granted = form("orders%3Aread");
        let response = server
            .token("default", &crate::endpoint::EndpointRequest::post(&granted))
            .await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        assert_eq!(recorded(), if keeps { 2 } else { 0 }, "keeps: {keeps}");
        let refused = form("nope");
        let response = server
            .token("default", &crate::endpoint::EndpointRequest::post(&refused))
            .await;
        assert_eq!(response.status, 400);
        assert!(
            recorded() > if keeps { 2 } else { 0 },
            "a refusal is recorded (keeps: {keeps})"
        );
    }
}

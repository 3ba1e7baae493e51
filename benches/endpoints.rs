//! The cost of a whole token request through `AuthServer::token` — form parsing, client
//! authentication (`client_secret_basic`), policy evaluation, claims, signing, the response —
//! for `client_credentials`, per algorithm, beside the bare signature with the same key; with
//! events discarded (the token path then builds none) and kept in a memory log.
//!
//! `cargo bench --bench endpoints` (ring); add `--no-default-features --features aws-lc-rs,testkit`
//! for aws-lc-rs.

use std::hint::black_box;
use std::sync::Arc;

use authserver::AuthServer;
use authserver::crypto::BACKEND;
use authserver::crypto::PasswordHasher;
use authserver::crypto::raw::RawKey;
use authserver::endpoint::EndpointRequest;
use authserver::event::{DiscardEvents, EventSink, MemoryEventLog};
use authserver::jose::Algorithm;
use authserver::keys::{PrivateKey, RotationSettings};
use authserver::model::ClientRecord;
use authserver::secret::ClientSecret;
use authserver::store::{ConfigStore, Directory, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

/// A host with the `default` server signing with `algorithm`, a custom scope, and one
/// `client_secret_basic` service client. Returns the server, the `Authorization` header and the
/// active key's PKCS#8 DER.
fn setup(
    runtime: &tokio::runtime::Runtime,
    algorithm: Algorithm,
    events: Arc<dyn EventSink>,
) -> (Server, String, Vec<u8>) {
    runtime.block_on(async {
        let config = Arc::new(MemoryConfigStore::new());
        let server = AuthServer::builder("https://id.example.com")
            .config_store(Arc::clone(&config))
            .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
            .events(events)
            .rotation(RotationSettings {
                algorithm,
                ..RotationSettings::default()
            })
            .build();
        server
            .management()
            .ensure_default_server()
            .await
            .expect("default server");
        let secret = ClientSecret::generate(&authserver::random::SystemRandom).expect("secret");
        let client: ClientRecord = serde_json::from_value(json!({
            "client_id": "0oabench", "client_name": "Bench", "application_type": "service",
            "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["client_credentials"], "response_types": ["token"],
            "client_secret_hash": secret.hash()
        }))
        .expect("client");
        server.directory().put_client(client).await.expect("client stored");
        let mut stored = config.load("default").await.expect("load").expect("exists");
        let revision = stored.revision;
        stored
            .scopes
            .push(serde_json::from_value(json!({"id": "scpbench", "name": "orders:read"})).expect("scope"));
        let _ = config.save(stored, revision).await.expect("save");
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("0oabench:{}", secret.expose()));
        let ring = config.key_ring("default").await.expect("ring").expect("exists");
        let der = match &ring.active().private {
            PrivateKey::Pkcs8 { der } => der.to_vec(),
            other => panic!("software keys are PKCS#8, got {other:?}"),
        };
        (server, format!("Basic {credentials}"), der)
    })
}

fn client_credentials(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let form = "grant_type=client_credentials&scope=orders%3Aread";
    for algorithm in Algorithm::ALL {
        let (server, authorization, der) = setup(&runtime, algorithm, Arc::new(DiscardEvents));
        let (kept, kept_authorization, _) = setup(&runtime, algorithm, Arc::new(MemoryEventLog::default()));
        let kept_request = EndpointRequest::post(form).with_authorization(&kept_authorization);
        let request = EndpointRequest::post(form).with_authorization(&authorization);
        let check = runtime.block_on(server.token("default", &request));
        assert_eq!(check.status, 200, "{:?}", check.body);
        let raw = RawKey::from_pkcs8(algorithm, &der).expect("key");
        let signing_input = vec![b'x'; 375];

        let mut group = c.benchmark_group(format!("client_credentials token/{algorithm}/{BACKEND}"));
        group.bench_function("bare signature (375-byte input)", |b| {
            b.iter(|| raw.sign(black_box(&signing_input)).expect("signs"))
        });
        // Requests are awaited inside the running runtime, as a host's handler awaits them:
        // entering the runtime per request would be timed as part of the request otherwise.
        group.bench_function("token endpoint request", |b| {
            b.to_async(&runtime)
                .iter(|| server.token("default", black_box(&request)))
        });
        // The same with the grant's two events kept (policy decision, token grant) in a memory
        // log: what building and recording them costs.
        group.bench_function("token endpoint request, events kept in a MemoryEventLog", |b| {
            b.to_async(&runtime)
                .iter(|| kept.token("default", black_box(&kept_request)))
        });
        group.finish();
    }
}

criterion_group!(benches, client_credentials);
criterion_main!(benches);

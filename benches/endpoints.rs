//! The cost of a whole token request through `AuthServer::token` — form parsing, client
//! authentication (`client_secret_basic`), policy evaluation, claims, signing, the response —
//! for `client_credentials`, per algorithm, beside the bare signature with the same key; with
//! events discarded (the token path then builds none) and kept in a memory log.
//!
//! `cargo bench --bench endpoints -F testkit` (aws-lc-rs, the default); with
//! `--no-default-features --features ring,testkit` for ring.

use std::hint::black_box;
use std::sync::Arc;

use authserver::crypto::BACKEND;
use authserver::crypto::raw::RawKey;
use authserver::endpoint::EndpointRequest;
use authserver::event::{DiscardEvents, EventSink, MemoryEventLog};
use authserver::jose::Algorithm;
use authserver::keys::PrivateKey;
use authserver::store::ConfigStore;
use criterion::{Criterion, criterion_group, criterion_main};

mod support;
use support::{FORM, Server, token_host};

/// The host of [`token_host`], with its `Authorization` header and the active key's PKCS#8 DER.
fn setup(
    runtime: &tokio::runtime::Runtime,
    algorithm: Algorithm,
    events: Arc<dyn EventSink>,
) -> (Server, String, Vec<u8>) {
    runtime.block_on(async {
        let host = token_host(algorithm, events).await;
        let ring = host.config.key_ring("default").await.expect("ring").expect("exists");
        let der = match &ring.active().private {
            PrivateKey::Pkcs8 { der } => der.to_vec(),
            other => panic!("software keys are PKCS#8, got {other:?}"),
        };
        (host.server, host.authorization, der)
    })
}

fn client_credentials(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    for algorithm in Algorithm::ALL {
        let (server, authorization, der) = setup(&runtime, algorithm, Arc::new(DiscardEvents));
        let (kept, kept_authorization, _) = setup(&runtime, algorithm, Arc::new(MemoryEventLog::default()));
        let kept_request = EndpointRequest::post(FORM).with_authorization(&kept_authorization);
        let request = EndpointRequest::post(FORM).with_authorization(&authorization);
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

//! What a trip to the CPU pool costs beside the signatures it would carry, per algorithm: the
//! figure behind minting ES256 and EdDSA tokens inline and RSA ones on the pool
//! (`src/server/mint.rs`, `signs_inline`).
//!
//! `cargo bench --bench cpu_pool`

use std::hint::black_box;

use authserver::cpu_pool::CpuPool;
use authserver::jose::{self, Algorithm, SigningKey};
use authserver::keys::{KeyMaterial, PrivateKey, SoftwareKeys};
use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use serde_json::json;

fn signing_key(algorithm: Algorithm) -> SigningKey {
    match SoftwareKeys.generate(algorithm).expect("key generation").private {
        PrivateKey::Pkcs8 { der } => SigningKey::from_pkcs8_der(algorithm, &der).expect("key loads"),
        other => panic!("software keys are PKCS#8, got {other:?}"),
    }
}

fn pool_benches(c: &mut Criterion) {
    let pool = CpuPool::default();
    let claims = json!({
        "ver": 1, "jti": "AT.q7Dr3bTQJnBp1iFQ9aF8ULtq0Ok1XGSyRz1F4dD2m3E",
        "iss": "https://example.okta.com/oauth2/default", "aud": "api://default",
        "iat": 1_700_000_000, "exp": 1_700_003_600, "cid": "0oa1a2b3c4d5e6f7g8h9",
        "scp": ["openid", "profile", "email"], "sub": "alice@example.com"
    });
    let mut group = c.benchmark_group("cpu pool");
    group.bench_function("round trip (empty job)", |b| {
        b.iter(|| block_on(pool.run(|| black_box(1))).expect("an answer"))
    });
    for algorithm in Algorithm::ALL {
        let key = std::sync::Arc::new(signing_key(algorithm));
        group.bench_function(format!("{algorithm} sign inline"), |b| {
            b.iter(|| jose::sign(key.as_ref(), None, black_box(&claims)).expect("signs"))
        });
        group.bench_function(format!("{algorithm} sign on the pool"), |b| {
            b.iter(|| {
                let (key, claims) = (std::sync::Arc::clone(&key), claims.clone());
                block_on(pool.run(move || jose::sign(key.as_ref(), None, &claims).expect("signs"))).expect("an answer")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pool_benches);
criterion_main!(benches);

//! JWS signing and verification per algorithm, each beside the raw backend operation, so the
//! JOSE layer's overhead (JSON, base64url, header handling, key lookup) shows as a ratio.
//!
//! `cargo bench --bench jose` measures the default backend (aws-lc-rs);
//! `cargo bench --bench jose --no-default-features --features ring,testkit` measures ring.

use std::hint::black_box;

use authserver::crypto::BACKEND;
use authserver::crypto::raw::RawKey;
use authserver::jose::{self, Algorithm, Jwks, Signer, SigningKey};
use authserver::keys::{KeyMaterial, PrivateKey, SoftwareKeys};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

/// A fresh private key for `algorithm` as PKCS#8 DER, loaded below both as the crate's
/// `SigningKey` and as the raw backend key, so both sides sign with the same key.
fn pkcs8(algorithm: Algorithm) -> Vec<u8> {
    match SoftwareKeys.generate(algorithm).expect("key generation").private {
        PrivateKey::Pkcs8 { der } => der.to_vec(),
        other => panic!("software keys are PKCS#8, got {other:?}"),
    }
}

/// Claims shaped like an Okta access token, so the JSON work is realistic (~375-byte signing input).
fn claims() -> serde_json::Value {
    json!({
        "ver": 1,
        "jti": "AT.q7Dr3bTQJnBp1iFQ9aF8ULtq0Ok1XGSyRz1F4dD2m3E",
        "iss": "https://example.okta.com/oauth2/default",
        "aud": "api://default",
        "iat": 1_700_000_000,
        "exp": 1_700_003_600,
        "cid": "0oa1a2b3c4d5e6f7g8h9",
        "uid": "00u1a2b3c4d5e6f7g8h9",
        "scp": ["openid", "profile", "email"],
        "sub": "alice@example.com"
    })
}

fn bench_algorithm(c: &mut Criterion, algorithm: Algorithm) {
    let der = pkcs8(algorithm);
    let signing_key = SigningKey::from_pkcs8_der(algorithm, &der).expect("key loads");
    let raw = RawKey::from_pkcs8(algorithm, &der).expect("key loads");
    let claims = claims();
    let token = jose::sign(&signing_key, None, &claims).expect("signs");
    let jwks = Jwks {
        keys: vec![signing_key.public_jwk()],
    };
    let (signing_input, signature_b64) = token.rsplit_once('.').expect("three parts");
    let signature = base64_url_decode(signature_b64);

    let mut group = c.benchmark_group(format!("{algorithm}/{BACKEND}"));
    group.bench_function("raw sign", |b| {
        b.iter(|| raw.sign(black_box(signing_input.as_bytes())).expect("signs"))
    });
    group.bench_function("jose sign (JWT mint)", |b| {
        b.iter(|| jose::sign(&signing_key, None, black_box(&claims)).expect("signs"))
    });
    group.bench_function("raw verify", |b| {
        b.iter(|| assert!(raw.verify(black_box(signing_input.as_bytes()), black_box(&signature))))
    });
    group.bench_function("jose verify", |b| {
        b.iter(|| jose::verify(black_box(&token), &jwks).expect("verifies"))
    });
    group.finish();
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

fn jose_benches(c: &mut Criterion) {
    for algorithm in Algorithm::ALL {
        bench_algorithm(c, algorithm);
    }
}

criterion_group!(benches, jose_benches);
criterion_main!(benches);

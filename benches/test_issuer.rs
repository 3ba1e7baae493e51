//! `testkit::TestIssuer`: how long a test waits for an issuer, and what a directly minted token
//! costs beside the bare RS256 signature of the same key (budget: start-up ≤ 10 ms, a direct mint
//! ≤ 2× the signature).
//!
//! `cargo bench --bench test_issuer --features testkit`

use std::hint::black_box;

use authserver::jose::{Algorithm, Signer as _};
use authserver::testkit::{TestIssuer, fixed_signing_key};
use criterion::{Criterion, criterion_group, criterion_main};

fn test_issuer(c: &mut Criterion) {
    let mut group = c.benchmark_group("test_issuer");
    group.bench_function("start", |b| b.iter(|| black_box(TestIssuer::new())));

    let issuer = TestIssuer::new();
    group.bench_function("mint_access_token", |b| {
        b.iter(|| {
            black_box(
                issuer
                    .access_token()
                    .subject("ada@example.com")
                    .scopes(["orders:read"])
                    .mint(),
            )
        })
    });

    // The same key the issuer's default server signs with (the first fixed RS256 key), signing a
    // message the size of the minted token's header and payload.
    let key = fixed_signing_key(Algorithm::RS256, 0);
    let token = issuer
        .access_token()
        .subject("ada@example.com")
        .scopes(["orders:read"])
        .mint();
    let signing_input = token
        .rsplit_once('.')
        .map(|(input, _)| input.to_owned())
        .unwrap_or_default();
    group.bench_function("bare_rs256_signature", |b| {
        b.iter(|| black_box(key.sign(signing_input.as_bytes()).expect("signs")))
    });
    group.finish();
}

criterion_group!(benches, test_issuer);
criterion_main!(benches);

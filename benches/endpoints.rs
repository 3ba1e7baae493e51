//! The cost of a whole token request through `AuthServer::token` — form parsing, client
//! authentication (`client_secret_basic`), policy evaluation, claims, signing, the response —
//! for `client_credentials`, per algorithm, beside the bare signature with the same key; with
//! events discarded (the token path then builds none) and kept in a memory log.
//!
//! This machine's speed drifts from one second to the next, so a ratio of two benchmarks run
//! seconds apart can be off by more than the overhead it is after. Two more benchmarks (events
//! discarded, kept) pair them: each iteration signs bare, then makes a request, and what is timed
//! is the request's time beyond the signature's, summed over the pairs of a sample; at the end
//! the bench prints the ratio of the two sums over all the pairs it made, the ratio to quote.
//!
//! On Linux the bench pins itself, and so the CPU pool's threads it starts, to one CPU: the two
//! halves of a pair then run on one core (a VM's virtual CPUs need not run at one speed, and an
//! RSA request signs on a pool thread), and the request's trip to the pool is timed as the two
//! context switches it costs, not as the wake-up of another virtual CPU, which in a VM that halts
//! idle virtual CPUs is an exit to the hypervisor: latency the host's configuration decides.
//!
//! `cargo bench --bench endpoints -F testkit` (aws-lc-rs, the default); with
//! `--no-default-features --features ring,testkit` for ring.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authserver::crypto::BACKEND;
use authserver::crypto::raw::RawKey;
use authserver::endpoint::EndpointRequest;
use authserver::event::{DiscardEvents, EventSink, MemoryEventLog};
use authserver::jose::Algorithm;
use authserver::keys::PrivateKey;
use authserver::store::ConfigStore;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

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

/// Pins this thread, and the threads it starts from now on, to the last CPU it may run on; where
/// the system refuses, says so and runs unpinned. (Pinned, `CpuPool::default()` sees one CPU and
/// has one thread: enough for requests made one at a time.)
#[cfg(target_os = "linux")]
fn pin_to_one_cpu() {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
    let pinned =
        sched_getaffinity(None).and_then(
            |allowed| match (0..CpuSet::MAX_CPU).rev().find(|&cpu| allowed.is_set(cpu)) {
                Some(cpu) => {
                    let mut one = CpuSet::new();
                    one.set(cpu);
                    sched_setaffinity(None, &one).map(|()| Some(cpu))
                }
                None => Ok(None),
            },
        );
    match pinned {
        Ok(Some(cpu)) => eprintln!("endpoints bench: pinned to CPU {cpu}"),
        Ok(None) | Err(_) => eprintln!("endpoints bench: could not pin to one CPU; running unpinned"),
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_to_one_cpu() {}

fn client_credentials(c: &mut Criterion) {
    pin_to_one_cpu();
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
        // Paired: each request's time beyond a bare signature made just before it. Every sample
        // sums as many pairs (flat sampling), so that none is so short that an RSA signature's
        // own jitter outweighs the request's overhead.
        group.sampling_mode(SamplingMode::Flat);
        let paired = [
            (
                "token endpoint request beyond the bare signature (paired)",
                &server,
                &request,
            ),
            ("events kept, beyond the bare signature (paired)", &kept, &kept_request),
        ];
        for (name, server, request) in paired {
            let totals = Cell::new(PairTotals::default());
            group.bench_function(name, |b| {
                b.to_async(&runtime)
                    .iter_custom(|pairs| beyond_signature(pairs, server, request, &raw, &signing_input, &totals))
            });
            let PairTotals {
                pairs,
                signatures,
                requests,
            } = totals.get();
            if pairs > 0 {
                eprintln!(
                    "{algorithm} {name}: requests / signatures over the same {pairs} pairs = {:.3}",
                    requests.as_secs_f64() / signatures.as_secs_f64()
                );
            }
        }
        group.finish();
    }
}

/// What every paired sample of a benchmark added up: pairs made, and the time of each half.
#[derive(Clone, Copy, Default)]
struct PairTotals {
    pairs: u64,
    signatures: Duration,
    requests: Duration,
}

/// Makes `pairs` pairs of a bare signature over `input` and a token request, adds them to
/// `totals`, and returns the requests' time beyond the signatures'. A sample whose requests took
/// less than its signatures (an RSA signature's time can jump by half between two runs on this VM)
/// counts as a nanosecond, which criterion accepts where it refuses zero; the ratio printed at the
/// end, from the sums, is unaffected.
async fn beyond_signature(
    pairs: u64,
    server: &Server,
    request: &EndpointRequest<'_>,
    raw: &RawKey,
    input: &[u8],
    totals: &Cell<PairTotals>,
) -> Duration {
    let (mut signatures, mut requests) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..pairs {
        let started = Instant::now();
        black_box(raw.sign(black_box(input)).expect("signs"));
        let signed = Instant::now();
        black_box(server.token("default", black_box(request)).await);
        requests += signed.elapsed();
        signatures += signed - started;
    }
    let before = totals.get();
    totals.set(PairTotals {
        pairs: before.pairs + pairs,
        signatures: before.signatures + signatures,
        requests: before.requests + requests,
    });
    requests.saturating_sub(signatures).max(Duration::from_nanos(1))
}

criterion_group!(benches, client_credentials);
criterion_main!(benches);

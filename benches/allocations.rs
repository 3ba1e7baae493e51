//! Heap allocations per token request, counted by a global allocator, against a budget: a
//! whole `client_credentials` request through `AuthServer::token` (form parsing,
//! `client_secret_basic`, policy evaluation and its event, claims, signing, the response and the
//! grant event) for each algorithm, with events discarded and kept in a `MemoryEventLog`. The
//! run fails (panics) when a request allocates more than its algorithm's [`budgets`], so a
//! change that adds allocations to the token path is noticed.
//!
//! `cargo bench --bench allocations`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use authserver::endpoint::EndpointRequest;
use authserver::event::{DiscardEvents, EventSink, MemoryEventLog};
use authserver::jose::Algorithm;

mod support;
use support::{FORM, TokenHost, token_host};

/// The most allocations (`alloc` and `realloc` calls) one `client_credentials` token request may
/// make with `algorithm`, with events discarded and with the grant's two events kept in a
/// `MemoryEventLog` (recorded as borrowed parts, each one packed buffer): the figures measured
/// when the budgets were last set (issue 15, aws-lc-rs: 42 and 44 for RS256 and PS256, whose
/// minting runs on the CPU pool; 34 and 36 for ES256; 32 and 34 for EdDSA) plus a margin of about
/// 10 %. Per algorithm, so that a few allocations more are noticed on the cheapest path too.
fn budgets(algorithm: Algorithm) -> (u64, u64) {
    match algorithm {
        Algorithm::ES256 => (37, 40),
        Algorithm::EdDSA => (35, 37),
        Algorithm::RS256 | Algorithm::PS256 => (46, 48),
    }
}

/// Requests measured per algorithm, after as many to warm up.
const REQUESTS: u64 = 200;

/// The system allocator, counting calls.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters have no
// effect on what is allocated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes through it).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut over = Vec::new();
    for algorithm in Algorithm::ALL {
        let (budget, budget_kept) = budgets(algorithm);
        let sinks: [(&str, Arc<dyn EventSink>, u64); 2] = [
            ("events discarded", Arc::new(DiscardEvents), budget),
            ("events kept", Arc::new(MemoryEventLog::default()), budget_kept),
        ];
        for (label, events, budget) in sinks {
            let TokenHost {
                server, authorization, ..
            } = runtime.block_on(token_host(algorithm, events));
            let request = EndpointRequest::post(FORM).with_authorization(&authorization);
            let run = |count: u64| {
                for _ in 0..count {
                    let response = runtime.block_on(server.token("default", &request));
                    assert_eq!(response.status, 200, "{:?}", response.body);
                }
            };
            run(REQUESTS);
            let (allocations, bytes) = (ALLOCATIONS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
            run(REQUESTS);
            let per_request = (ALLOCATIONS.load(Ordering::Relaxed) - allocations) / REQUESTS;
            let bytes_per_request = (BYTES.load(Ordering::Relaxed) - bytes) / REQUESTS;
            println!(
                "client_credentials token/{algorithm}, {label}: {per_request} allocations ({bytes_per_request} bytes) per request; budget {budget}"
            );
            if per_request > budget {
                over.push(format!("{algorithm}, {label}: {per_request} > {budget}"));
            }
        }
    }
    assert!(
        over.is_empty(),
        "allocations per token request over the budget: {}",
        over.join(", ")
    );
}

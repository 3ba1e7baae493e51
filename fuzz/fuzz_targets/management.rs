//! The management API through `ManagementApi::handle` (format in `src/management.rs`): up to
//! eight requests on any route with any body, on a fresh memory-backed API per input.
//!
//! Oracles: no panic; no `5xx` (the memory stores never fail); a refused request (status ≥ 400)
//! changes nothing stored, and neither does any `GET` (every server's configuration and key ring,
//! and every client, compared before and after).
#![no_main]

use authserver::admin::Method;
use authserver_fuzz::management::{parse, seeded_api, send, snapshot};
use authserver_fuzz::run;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let requests = parse(data);
    if requests.is_empty() {
        return;
    }
    let api = seeded_api();
    run(async {
        let mut before = snapshot(&api).await;
        for request in &requests {
            let response = send(&api, request, &before).await;
            assert!(
                response.status < 500,
                "{request:?}: {} {:?}",
                response.status,
                response.body
            );
            let after = snapshot(&api).await;
            if response.status >= 400 || request.method == Method::Get {
                assert!(
                    after == before,
                    "{request:?} answered {} {:?} but changed the stores",
                    response.status,
                    response.body
                );
            }
            before = after;
        }
    });
});

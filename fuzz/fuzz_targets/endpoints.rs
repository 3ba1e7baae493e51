//! The OAuth endpoints in process on a `TestIssuer` (format in `src/endpoints.rs`): up to six
//! requests with any query, form and headers, on a fresh issuer per input.
//!
//! Oracles: no panic; no `5xx` (the memory stores never fail); every token a `/token` success
//! answers with verifies against the issuer's keys.
#![no_main]

use authserver::jose::verify;
use authserver_fuzz::endpoints::{Endpoint, Last, Setup, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let requests = parse(data);
    if requests.is_empty() {
        return;
    }
    let setup = Setup::new();
    let mut last = Last::default();
    for request in &requests {
        let response = setup.send(request, &last);
        assert!(response.status < 500, "{request:?}: {response:?}");
        if request.endpoint == Endpoint::Token && response.status == 200 {
            let body = response.json_body().expect("a JSON token response");
            for name in ["access_token", "id_token"] {
                if let Some(token) = body[name].as_str() {
                    verify(token, &setup.jwks).unwrap_or_else(|e| panic!("{name} does not verify: {e}"));
                }
            }
        }
        last.record(request.endpoint, &response);
    }
});

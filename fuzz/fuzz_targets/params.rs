//! Request parameters and client credentials: `Params::parse` on any query string or form body
//! (first byte `P`), `basic_credentials` on any `Authorization` header (first byte `B`).
//!
//! Oracles: a form that parses holds, for each name, the value the form-urlencoded decoding
//! gives it, and a name sent twice with values is refused; credentials that decode encode back
//! (RFC 6749 §2.3.1: form-urlencoded, joined by `:`, base64) to the same credentials.
#![no_main]

use std::collections::HashMap;

use authserver::endpoint::{MAX_PARAMS_LEN, Params, ParamsError, basic_credentials};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match kind {
        b'B' => {
            if let Some((id, secret)) = basic_credentials(text) {
                let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                let joined = format!("{}:{}", encode(&id), encode(&secret));
                let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(joined));
                assert_eq!(basic_credentials(&header), Some((id, secret)));
            }
        }
        _ => {
            let mut expected: HashMap<String, String> = HashMap::new();
            let mut repeated = false;
            for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
                if !value.is_empty() && expected.insert(name.into_owned(), value.into_owned()).is_some() {
                    repeated = true;
                }
            }
            match Params::parse(text) {
                Ok(params) => {
                    assert!(!repeated, "a repeated parameter was accepted");
                    for (name, value) in &expected {
                        assert_eq!(params.get(name), Some(value.as_str()), "{name}");
                        let _ = params.list(name);
                    }
                    let pairs = Params::from_pairs(expected.clone()).expect("distinct names");
                    assert_eq!(pairs, params);
                }
                Err(ParamsError::Repeated(_)) => assert!(repeated, "refused without a repeat"),
                Err(ParamsError::TooLong) => assert!(text.len() > MAX_PARAMS_LEN),
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    }
});

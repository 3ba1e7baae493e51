//! JWS verification and JWK parsing (format in `src/jose.rs`): no panic on any token or key, and
//! whatever verifies names one of the supported algorithms and has a readable payload.
#![no_main]

use std::sync::OnceLock;

use authserver::jose::{Algorithm, HmacAlgorithm, Jwk, Jwks, Verified, verify, verify_hmac, verify_with_key};
use authserver_fuzz::jose::{hmac_secret, jwks};
use libfuzzer_sys::fuzz_target;

static KEYS: OnceLock<(Jwks, Vec<u8>)> = OnceLock::new();

fn check(verified: &Verified, asymmetric: bool) {
    let alg = verified.header.alg.as_str();
    if asymmetric {
        assert!(alg.parse::<Algorithm>().is_ok(), "verified under {alg}");
    } else {
        assert!(
            HmacAlgorithm::ALL.iter().any(|h| h.as_str() == alg),
            "HMAC-verified under {alg}"
        );
    }
    let _ = verified.claims::<serde_json::Value>();
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (keys, secret) = KEYS.get_or_init(|| (jwks(), hmac_secret()));
    match kind {
        b'K' => {
            let (json, token) = text.rsplit_once('\n').unwrap_or((text, ""));
            if let Ok(jwk) = serde_json::from_str::<Jwk>(json) {
                let _ = jwk.thumbprint();
                if let Ok(verified) = verify_with_key(token, &jwk) {
                    check(&verified, true);
                }
            }
            if let Ok(set) = serde_json::from_str::<Jwks>(json)
                && let Ok(verified) = verify(token, &set)
            {
                check(&verified, true);
            }
        }
        _ => {
            if let Ok(verified) = verify(text, keys) {
                check(&verified, true);
            }
            if let Ok(verified) = verify_hmac(text, secret, &HmacAlgorithm::ALL) {
                check(&verified, false);
            }
        }
    }
});

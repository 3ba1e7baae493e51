//! `at_hash` and `c_hash` (OpenID Connect Core 1.0 §3.1.3.6 and §3.3.2.11): the left half of the
//! hash of the ASCII token, base64url-encoded, with the hash that belongs to the ID token's `alg`.

use sha2::{Digest, Sha256, Sha512};

use super::{Algorithm, b64};

/// The `at_hash` claim for `access_token` in an ID token signed with `alg`.
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    left_half_hash(alg, access_token)
}

/// The `c_hash` claim for `code` in an ID token signed with `alg`.
pub fn c_hash(alg: Algorithm, code: &str) -> String {
    left_half_hash(alg, code)
}

/// RS256, PS256 and ES256 use SHA-256, the hash their names end in. EdDSA on Ed25519 uses
/// SHA-512, as OpenID Connect Core's errata set 2 specifies for that curve.
fn left_half_hash(alg: Algorithm, value: &str) -> String {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 | Algorithm::ES256 => b64::encode(&Sha256::digest(value.as_bytes())[..16]),
        Algorithm::EdDSA => b64::encode(&Sha512::digest(value.as_bytes())[..32]),
    }
}

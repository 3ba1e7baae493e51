//! Fixed signing keys, so tests get the same `kid`s on every run without paying for RSA key
//! generation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use zeroize::Zeroizing;

use crate::jose::{Algorithm, Signer, SigningKey};
use crate::keys::{KeyError, KeyMaterial, KeyRecord, NewKey, PrivateKey};

/// How many fixed keys there are per algorithm.
pub const FIXED_KEYS_PER_ALGORITHM: usize = 6;

const RSA: [&str; FIXED_KEYS_PER_ALGORITHM] = [
    include_str!("keys/rsa-1.pem"),
    include_str!("keys/rsa-2.pem"),
    include_str!("keys/rsa-3.pem"),
    include_str!("keys/rsa-4.pem"),
    include_str!("keys/rsa-5.pem"),
    include_str!("keys/rsa-6.pem"),
];
const P256: [&str; FIXED_KEYS_PER_ALGORITHM] = [
    include_str!("keys/p256-1.pem"),
    include_str!("keys/p256-2.pem"),
    include_str!("keys/p256-3.pem"),
    include_str!("keys/p256-4.pem"),
    include_str!("keys/p256-5.pem"),
    include_str!("keys/p256-6.pem"),
];
const ED25519: [&str; FIXED_KEYS_PER_ALGORITHM] = [
    include_str!("keys/ed25519-1.pem"),
    include_str!("keys/ed25519-2.pem"),
    include_str!("keys/ed25519-3.pem"),
    include_str!("keys/ed25519-4.pem"),
    include_str!("keys/ed25519-5.pem"),
    include_str!("keys/ed25519-6.pem"),
];

/// The PEM (PKCS#8) of fixed test key `index` (taken modulo [`FIXED_KEYS_PER_ALGORITHM`]) for
/// `algorithm`. `RS256` and `PS256` share the RSA keys. These keys are public: never use them
/// outside tests.
pub fn fixed_key_pem(algorithm: Algorithm, index: usize) -> &'static str {
    FAMILIES[family(algorithm)][index % FIXED_KEYS_PER_ALGORITHM]
}

/// The fixed key sets, one per key type.
const FAMILIES: [&[&str; FIXED_KEYS_PER_ALGORITHM]; 3] = [&RSA, &P256, &ED25519];

/// The index in [`FAMILIES`] of `algorithm`'s key type.
fn family(algorithm: Algorithm) -> usize {
    match algorithm {
        Algorithm::RS256 | Algorithm::PS256 => 0,
        Algorithm::ES256 => 1,
        Algorithm::EdDSA => 2,
    }
}

/// A fixed test key, loaded.
///
/// # Panics
/// Never for the bundled keys (a test checks that every one loads).
pub fn fixed_signing_key(algorithm: Algorithm, index: usize) -> SigningKey {
    SigningKey::from_pkcs8_pem(algorithm, fixed_key_pem(algorithm, index)).expect("bundled test keys are valid")
}

/// Key material that hands out the fixed test keys in order, per key type (`RS256` and `PS256`
/// draw from the same RSA keys, so a server switching between them gets new kids), starting again after
/// [`FIXED_KEYS_PER_ALGORITHM`]. Deterministic and instant; a ring holds at most an `ACTIVE`, a
/// `NEXT` and the `EXPIRED` keys within retention, so keys repeat only in tests that rotate more
/// than four times within one retention period.
#[derive(Debug, Default)]
pub struct FixedKeys {
    handed_out: [AtomicUsize; 3],
}

impl FixedKeys {
    /// Starts every key type at its first key.
    pub fn new() -> Self {
        Self::default()
    }
}

impl KeyMaterial for FixedKeys {
    fn generate(&self, algorithm: Algorithm) -> Result<NewKey, KeyError> {
        let index = self.handed_out[family(algorithm)].fetch_add(1, Ordering::Relaxed);
        let key = SigningKey::from_pkcs8_pem(algorithm, fixed_key_pem(algorithm, index))?;
        let private = PrivateKey::Pkcs8 {
            der: Zeroizing::new(key.pkcs8_der().to_vec()),
        };
        Ok(NewKey {
            private,
            signer: Arc::new(key) as Arc<dyn Signer>,
        })
    }

    fn open(&self, record: &KeyRecord) -> Result<Arc<dyn Signer>, KeyError> {
        crate::keys::open_pkcs8(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_key_loads_and_is_distinct() {
        for algorithm in Algorithm::ALL {
            let mut kids: Vec<String> = (0..FIXED_KEYS_PER_ALGORITHM)
                .map(|i| fixed_signing_key(algorithm, i).kid().to_owned())
                .collect();
            kids.sort();
            kids.dedup();
            assert_eq!(kids.len(), FIXED_KEYS_PER_ALGORITHM, "{algorithm}");
        }
    }

    #[test]
    fn hands_out_keys_in_order_per_algorithm() {
        let keys = FixedKeys::new();
        let first = keys.generate(Algorithm::ES256).unwrap();
        let _rsa = keys.generate(Algorithm::RS256).unwrap();
        let second = keys.generate(Algorithm::ES256).unwrap();
        assert_eq!(first.signer.kid(), fixed_signing_key(Algorithm::ES256, 0).kid());
        assert_eq!(second.signer.kid(), fixed_signing_key(Algorithm::ES256, 1).kid());
        // RS256 and PS256 share the RSA keys and their counter: no kid is handed out twice.
        let pss = keys.generate(Algorithm::PS256).unwrap();
        assert_eq!(pss.signer.algorithm(), Algorithm::PS256);
        assert_eq!(pss.signer.kid(), fixed_signing_key(Algorithm::RS256, 1).kid());
    }
}

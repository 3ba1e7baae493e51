//! The crypto seam: signing, verification, randomness, HMAC, password hashing and key
//! generation, through one backend chosen at compile time.
//!
//! `aws-lc-rs` mirrors `ring`'s API, so the backend is a module alias and only key generation
//! and ECDSA key loading differ. aws-lc-rs is the default, and is used when both features are on:
//! it signs RS256 and PS256 about twice as fast as ring and generates RSA keys itself (the
//! README's "Crypto backend" section has the figures). There is no process-wide provider to install and
//! nothing here can panic at first use.

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!("authserver needs a crypto backend: enable the `ring` or the `aws-lc-rs` feature");

#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc_rs as backend;
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
pub(crate) use ring as backend;

mod keygen;
mod password;
mod signing;

pub(crate) use keygen::generate_pkcs8;
pub use password::{PasswordHash, PasswordHasher};
pub(crate) use signing::{KeyPair, PublicComponents, VerifyingKey, verify_signature};

use backend::rand::SecureRandom;
use sha2::Digest;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Name of the crypto backend compiled in: `"aws-lc-rs"` or `"ring"`.
pub const BACKEND: &str = if cfg!(feature = "aws-lc-rs") {
    "aws-lc-rs"
} else {
    "ring"
};

/// A failure inside the crypto backend. Deliberately carries no detail: the backends do not
/// explain their failures, and nothing about a key or a secret should leak through an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The operating system's random source failed.
    #[error("the random number generator failed")]
    Random,
    /// Key bytes were not a valid key of the expected kind.
    #[error("the key was rejected by the crypto backend")]
    KeyRejected,
    /// Signing failed inside the backend.
    #[error("signing failed")]
    Sign,
    /// Key generation failed inside the backend.
    #[error("key generation failed")]
    KeyGeneration,
}

/// Fills `out` with bytes from the operating system's CSPRNG.
pub(crate) fn fill_random(out: &mut [u8]) -> Result<(), CryptoError> {
    backend::rand::SystemRandom::new()
        .fill(out)
        .map_err(|_| CryptoError::Random)
}

/// Returns `N` random bytes from the operating system's CSPRNG.
pub(crate) fn random_array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill_random(&mut out)?;
    Ok(out)
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// HMAC algorithms used by `client_secret_jwt` (RFC 7518 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HmacAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl HmacAlgorithm {
    fn backend(self) -> backend::hmac::Algorithm {
        match self {
            Self::Sha256 => backend::hmac::HMAC_SHA256,
            Self::Sha384 => backend::hmac::HMAC_SHA384,
            Self::Sha512 => backend::hmac::HMAC_SHA512,
        }
    }
}

/// Computes an HMAC tag of `message` under `key`.
pub(crate) fn hmac_sign(alg: HmacAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = backend::hmac::Key::new(alg.backend(), key);
    backend::hmac::sign(&key, message).as_ref().to_vec()
}

/// Verifies an HMAC tag in constant time.
pub(crate) fn hmac_verify(alg: HmacAlgorithm, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = backend::hmac::Key::new(alg.backend(), key);
    backend::hmac::verify(&key, message, tag).is_ok()
}

/// Seals `data` in place with AES-256-GCM under `key`, appending the 16-byte tag.
pub(crate) fn aes_gcm_seal(key: &[u8; 32], nonce: [u8; 12], aad: &[u8], data: &mut Vec<u8>) -> Result<(), CryptoError> {
    use backend::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::KeyRejected)?);
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), data)
        .map_err(|_| CryptoError::Sign)
}

/// Opens `data` (ciphertext and tag) in place with AES-256-GCM; returns the plaintext's length,
/// which `data` then starts with.
pub(crate) fn aes_gcm_open(key: &[u8; 32], nonce: [u8; 12], aad: &[u8], data: &mut [u8]) -> Result<usize, CryptoError> {
    use backend::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::KeyRejected)?);
    key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), data)
        .map(|plaintext| plaintext.len())
        .map_err(|_| CryptoError::KeyRejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_differ() {
        let a: [u8; 32] = random_array().unwrap();
        let b: [u8; 32] = random_array().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn sha256_matches_fips_180_2_vector() {
        // FIPS 180-2 Appendix B.1: SHA-256("abc").
        let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
    }

    #[test]
    fn hmac_round_trip_and_tamper() {
        // RFC 4231 test case 2.
        let tag = hmac_sign(HmacAlgorithm::Sha256, b"Jefe", b"what do ya want for nothing?");
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        for alg in [HmacAlgorithm::Sha256, HmacAlgorithm::Sha384, HmacAlgorithm::Sha512] {
            let tag = hmac_sign(alg, b"key", b"message");
            assert!(hmac_verify(alg, b"key", b"message", &tag));
            assert!(!hmac_verify(alg, b"key", b"messagE", &tag));
            assert!(!hmac_verify(alg, b"kez", b"message", &tag));
        }
    }
}

/// The raw backend operations, for the benchmarks in `benches/` to measure the JOSE layer's
/// overhead against. Not part of the supported API.
#[doc(hidden)]
pub mod raw {
    use super::{CryptoError, KeyPair, PublicComponents};
    use crate::jose::Algorithm;

    /// A key pair and its public numbers, parsed once.
    pub struct RawKey {
        algorithm: Algorithm,
        pair: KeyPair,
        public: PublicComponents,
    }

    impl RawKey {
        /// Parses a PKCS#8 DER key.
        pub fn from_pkcs8(algorithm: Algorithm, der: &[u8]) -> Result<Self, CryptoError> {
            let pair = KeyPair::from_pkcs8(algorithm, der)?;
            let public = pair.public_components();
            Ok(Self {
                algorithm,
                pair,
                public,
            })
        }

        /// The backend's signature over `message`.
        pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
            self.pair.sign(message)
        }

        /// The backend's verification of `signature` over `message`.
        pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
            super::verify_signature(self.algorithm, &self.public, message, signature)
        }
    }
}

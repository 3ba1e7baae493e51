//! Asymmetric key pairs parsed once into backend handles, and signature verification.

use super::CryptoError;
use super::backend::rand::SystemRandom;
use super::backend::signature::{self, KeyPair as _};
use crate::jose::Algorithm;

/// The public half of a key pair, as the raw numbers a JWK carries (big-endian, unsigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicComponents {
    /// RSA modulus and public exponent.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// P-256 affine coordinates, 32 bytes each.
    P256 { x: Vec<u8>, y: Vec<u8> },
    /// Ed25519 public key, 32 bytes.
    Ed25519 { x: Vec<u8> },
}

/// A private key parsed once from PKCS#8 into the backend's handle.
pub(crate) enum KeyPair {
    /// An RSA key and the padding it signs with: PKCS#1 v1.5 (`RS256`) or PSS (`PS256`).
    Rsa(signature::RsaKeyPair, &'static dyn signature::RsaEncoding),
    P256(signature::EcdsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
}

impl KeyPair {
    /// Parses a PKCS#8 v1/v2 DER private key for `alg`. RSA keys must be 2048 bits or more.
    pub(crate) fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<Self, CryptoError> {
        let rejected = |_| CryptoError::KeyRejected;
        Ok(match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                let pair = signature::RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
                if pair.public_key().modulus_len() < 256 {
                    return Err(CryptoError::KeyRejected);
                }
                let padding: &'static dyn signature::RsaEncoding = if alg == Algorithm::PS256 {
                    &signature::RSA_PSS_SHA256
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                Self::Rsa(pair, padding)
            }
            Algorithm::ES256 => Self::P256(load_p256(der)?),
            Algorithm::EdDSA => {
                Self::Ed25519(signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?)
            }
        })
    }

    /// Signs `message` with the algorithm the key was loaded for.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::Rsa(pair, padding) => {
                // PSS draws its salt from the random source: two signatures of one input differ.
                let mut sig = vec![0u8; pair.public_key().modulus_len()];
                pair.sign(*padding, &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| CryptoError::Sign)?;
                Ok(sig)
            }
            Self::P256(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| CryptoError::Sign),
            Self::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// The length of this key's signatures in bytes.
    pub(crate) fn signature_len(&self) -> usize {
        match self {
            Self::Rsa(pair, _) => pair.public_key().modulus_len(),
            Self::P256(_) | Self::Ed25519(_) => 64,
        }
    }

    /// The public numbers of this key.
    pub(crate) fn public_components(&self) -> PublicComponents {
        match self {
            Self::Rsa(pair, _) => {
                let parts = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                PublicComponents::Rsa { n: parts.n, e: parts.e }
            }
            Self::P256(pair) => {
                // Uncompressed SEC1 point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                PublicComponents::P256 {
                    x: point[1..33].to_vec(),
                    y: point[33..65].to_vec(),
                }
            }
            Self::Ed25519(pair) => PublicComponents::Ed25519 {
                x: pair.public_key().as_ref().to_vec(),
            },
        }
    }
}

#[cfg(feature = "aws-lc-rs")]
fn load_p256(der: &[u8]) -> Result<signature::EcdsaKeyPair, CryptoError> {
    signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
        .map_err(|_| CryptoError::KeyRejected)
}

#[cfg(not(feature = "aws-lc-rs"))]
fn load_p256(der: &[u8]) -> Result<signature::EcdsaKeyPair, CryptoError> {
    signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &SystemRandom::new())
        .map_err(|_| CryptoError::KeyRejected)
}

/// Verifies `sig` over `message` with the public key `key` under `alg`. Returns `false` when the
/// key's kind does not belong to `alg`: the algorithm is fixed by the key, never by a token.
#[cfg(feature = "aws-lc-rs")]
pub(crate) fn verify_signature(alg: Algorithm, key: &PublicComponents, message: &[u8], sig: &[u8]) -> bool {
    parse_public(alg, key).is_some_and(|key| key.verify_sig(message, sig).is_ok())
}

/// Verifies `sig` over `message` with the public key `key` under `alg`. Returns `false` when the
/// key's kind does not belong to `alg`: the algorithm is fixed by the key, never by a token.
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) fn verify_signature(alg: Algorithm, key: &PublicComponents, message: &[u8], sig: &[u8]) -> bool {
    match (alg, key) {
        (Algorithm::RS256, PublicComponents::Rsa { n, e }) => signature::RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
            .is_ok(),
        (Algorithm::PS256, PublicComponents::Rsa { n, e }) => signature::RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PSS_2048_8192_SHA256, message, sig)
            .is_ok(),
        (Algorithm::ES256, PublicComponents::P256 { x, y }) => {
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            let mut point = [0u8; 65];
            point[0] = 0x04;
            point[1..33].copy_from_slice(x);
            point[33..].copy_from_slice(y);
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, sig)
                .is_ok()
        }
        (Algorithm::EdDSA, PublicComponents::Ed25519 { x }) => {
            signature::UnparsedPublicKey::new(&signature::ED25519, x)
                .verify(message, sig)
                .is_ok()
        }
        _ => false,
    }
}

/// A public key made ready to verify once, for keys that verify many signatures (a server's
/// own keys, checked on every introspection). With aws-lc-rs the key is parsed into the
/// backend's handle here, so the per-signature cost is the verification alone (parsing an RSA
/// key computes its Montgomery constants, about as much work again); ring has no such handle
/// and verifies from the numbers each time.
pub(crate) struct VerifyingKey {
    algorithm: Algorithm,
    #[cfg(not(feature = "aws-lc-rs"))]
    public: PublicComponents,
    #[cfg(feature = "aws-lc-rs")]
    parsed: Option<signature::ParsedPublicKey>,
}

impl VerifyingKey {
    /// `public` verifying under `algorithm`. A key the backend rejects verifies nothing.
    pub(crate) fn new(algorithm: Algorithm, public: PublicComponents) -> Self {
        Self {
            #[cfg(feature = "aws-lc-rs")]
            parsed: parse_public(algorithm, &public),
            algorithm,
            #[cfg(not(feature = "aws-lc-rs"))]
            public,
        }
    }

    /// Whether `sig` is this key's signature over `message`, as [`verify_signature`] decides.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        #[cfg(feature = "aws-lc-rs")]
        {
            self.parsed
                .as_ref()
                .is_some_and(|key| key.verify_sig(message, sig).is_ok())
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        {
            verify_signature(self.algorithm, &self.public, message, sig)
        }
    }

    /// The algorithm the key verifies under.
    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

/// The backend's parsed key for `public` under `alg`; `None` when they do not fit each other or
/// the backend rejects the numbers (then nothing verifies, as with [`verify_signature`]).
#[cfg(feature = "aws-lc-rs")]
fn parse_public(alg: Algorithm, public: &PublicComponents) -> Option<signature::ParsedPublicKey> {
    match (alg, public) {
        (Algorithm::RS256, PublicComponents::Rsa { n, e }) => signature::RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256)
            .ok(),
        (Algorithm::PS256, PublicComponents::Rsa { n, e }) => signature::RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&signature::RSA_PSS_2048_8192_SHA256)
            .ok(),
        (Algorithm::ES256, PublicComponents::P256 { x, y }) if x.len() == 32 && y.len() == 32 => {
            let point = [&[0x04][..], x, y].concat();
            signature::ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).ok()
        }
        (Algorithm::EdDSA, PublicComponents::Ed25519 { x }) => {
            signature::ParsedPublicKey::new(&signature::ED25519, x).ok()
        }
        _ => None,
    }
}

/// With both backends compiled in (`--all-features`), aws-lc-rs signs; these check that ring,
/// the other backend, reads the same keys and verifies the same signatures, and the reverse, so
/// that one `cargo test --all-features` exercises both for every algorithm (CI also runs the
/// suite on each backend alone).
#[cfg(all(test, feature = "ring", feature = "aws-lc-rs"))]
mod cross_backend {
    use ring::signature as other;

    use super::*;
    use crate::crypto::generate_pkcs8;

    /// Whether ring verifies `sig` over `message` with `key` under `alg`.
    fn ring_verifies(alg: Algorithm, key: &PublicComponents, message: &[u8], sig: &[u8]) -> bool {
        let rsa = |params| match key {
            PublicComponents::Rsa { n, e } => other::RsaPublicKeyComponents { n, e }
                .verify(params, message, sig)
                .is_ok(),
            _ => false,
        };
        let unparsed = |params: &'static dyn other::VerificationAlgorithm, bytes: Vec<u8>| {
            other::UnparsedPublicKey::new(params, bytes)
                .verify(message, sig)
                .is_ok()
        };
        match (alg, key) {
            (Algorithm::RS256, _) => rsa(&other::RSA_PKCS1_2048_8192_SHA256),
            (Algorithm::PS256, _) => rsa(&other::RSA_PSS_2048_8192_SHA256),
            (Algorithm::ES256, PublicComponents::P256 { x, y }) => {
                unparsed(&other::ECDSA_P256_SHA256_FIXED, [&[0x04][..], x, y].concat())
            }
            (Algorithm::EdDSA, PublicComponents::Ed25519 { x }) => unparsed(&other::ED25519, x.clone()),
            _ => false,
        }
    }

    /// ring's signature over `message` with the PKCS#8 key `der`.
    fn ring_signs(alg: Algorithm, der: &[u8], message: &[u8]) -> Vec<u8> {
        let rng = ring::rand::SystemRandom::new();
        match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                let pair = other::RsaKeyPair::from_pkcs8(der).unwrap();
                let padding: &'static dyn other::RsaEncoding = if alg == Algorithm::PS256 {
                    &other::RSA_PSS_SHA256
                } else {
                    &other::RSA_PKCS1_SHA256
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng, message, &mut sig).unwrap();
                sig
            }
            Algorithm::ES256 => other::EcdsaKeyPair::from_pkcs8(&other::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                .unwrap()
                .sign(&rng, message)
                .unwrap()
                .as_ref()
                .to_vec(),
            Algorithm::EdDSA => other::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .unwrap()
                .sign(message)
                .as_ref()
                .to_vec(),
        }
    }

    #[test]
    fn each_backend_verifies_what_the_other_signs() {
        let message = b"eyJraWQiOiJrIiwiYWxnIjoiUlMyNTYifQ.eyJzdWIiOiJzIn0";
        for alg in Algorithm::ALL {
            let der = generate_pkcs8(alg).unwrap();
            let pair = KeyPair::from_pkcs8(alg, &der).unwrap();
            let public = pair.public_components();
            let ours = pair.sign(message).unwrap();
            assert!(
                ring_verifies(alg, &public, message, &ours),
                "{alg}: ring verifies aws-lc-rs"
            );
            let theirs = ring_signs(alg, &der, message);
            assert!(
                verify_signature(alg, &public, message, &theirs),
                "{alg}: aws-lc-rs verifies ring"
            );
            // The padding is part of the algorithm: PKCS#1 v1.5 and PSS do not verify each other.
            if alg.is_rsa() {
                let other_padding = if alg == Algorithm::PS256 {
                    Algorithm::RS256
                } else {
                    Algorithm::PS256
                };
                assert!(!verify_signature(other_padding, &public, message, &ours), "{alg}");
                assert!(!ring_verifies(other_padding, &public, message, &ours), "{alg}");
            }
        }
    }
}

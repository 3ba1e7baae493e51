//! Software signing keys, loaded once from PKCS#8 into the backend's handle.

use std::fmt;

use zeroize::Zeroizing;

use super::{Algorithm, Jwk, Signer};
use crate::crypto::{self, CryptoError, KeyPair};

/// A private signing key held in memory, parsed once; its `kid` is the RFC 7638 thumbprint of
/// its public JWK. `Debug` never shows key material.
pub struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    pair: KeyPair,
    jwk: Jwk,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl SigningKey {
    /// Loads a PKCS#8 DER private key for `algorithm`.
    ///
    /// # Errors
    /// [`CryptoError::KeyRejected`] if the bytes are not a valid key for `algorithm` (RSA keys
    /// must be at least 2048 bits).
    pub fn from_pkcs8_der(algorithm: Algorithm, der: &[u8]) -> Result<Self, CryptoError> {
        let pair = KeyPair::from_pkcs8(algorithm, der)?;
        let jwk = Jwk::from_components(algorithm, &pair.public_components());
        let kid = jwk.kid.clone().ok_or(CryptoError::KeyRejected)?;
        Ok(Self {
            kid,
            algorithm,
            pair,
            jwk,
            pkcs8: Zeroizing::new(der.to_vec()),
        })
    }

    /// Loads a PEM `PRIVATE KEY` (PKCS#8) for `algorithm`.
    ///
    /// # Errors
    /// [`CryptoError::KeyRejected`] if the text is not one PEM `PRIVATE KEY` block holding a
    /// valid key for `algorithm`.
    pub fn from_pkcs8_pem(algorithm: Algorithm, pem: &str) -> Result<Self, CryptoError> {
        let der = pem_private_key_der(pem).ok_or(CryptoError::KeyRejected)?;
        Self::from_pkcs8_der(algorithm, &der)
    }

    /// Generates a new key for `algorithm`. RSA generation takes tens to hundreds of
    /// milliseconds; see [`crate::keys::generate_off_executor`] for async callers.
    ///
    /// # Errors
    /// [`CryptoError::KeyGeneration`] if the backend fails.
    pub fn generate(algorithm: Algorithm) -> Result<Self, CryptoError> {
        let der = Zeroizing::new(crypto::generate_pkcs8(algorithm)?);
        Self::from_pkcs8_der(algorithm, &der)
    }

    /// The PKCS#8 DER this key was loaded from, for persisting a generated key.
    pub(crate) fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }
}

impl Signer for SigningKey {
    fn kid(&self) -> &str {
        &self.kid
    }

    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.pair.sign(signing_input)?)
    }

    fn signature_len(&self) -> usize {
        self.pair.signature_len()
    }

    fn public_jwk(&self) -> Jwk {
        self.jwk.clone()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The DER inside a single PEM `PRIVATE KEY` block (RFC 7468 §10), or `None`.
fn pem_private_key_der(pem: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine as _;
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let body = pem.trim().strip_prefix(BEGIN)?.strip_suffix(END)?;
    let base64: Zeroizing<String> = Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .ok()
        .map(Zeroizing::new)
}

//! Key generation. RSA generation is slow (tens to hundreds of milliseconds): callers on an async
//! executor run it on a thread of its own (see [`crate::keys::generate_off_executor`]).

use super::CryptoError;
use super::backend::rand::SystemRandom;
use super::backend::signature;
use crate::jose::Algorithm;

/// Generates a new private key for `alg` and returns it as PKCS#8 DER.
pub(crate) fn generate_pkcs8(alg: Algorithm) -> Result<Vec<u8>, CryptoError> {
    let rng = SystemRandom::new();
    match alg {
        Algorithm::RS256 | Algorithm::PS256 => generate_rsa_2048(),
        Algorithm::ES256 => signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| CryptoError::KeyGeneration),
        Algorithm::EdDSA => signature::Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| CryptoError::KeyGeneration),
    }
}

#[cfg(feature = "aws-lc-rs")]
fn generate_rsa_2048() -> Result<Vec<u8>, CryptoError> {
    use super::backend::encoding::AsDer;
    let pair = signature::RsaKeyPair::generate(super::backend::rsa::KeySize::Rsa2048)
        .map_err(|_| CryptoError::KeyGeneration)?;
    let der = pair.as_der().map_err(|_| CryptoError::KeyGeneration)?;
    Ok(der.as_ref().to_vec())
}

/// ring cannot generate RSA keys: the RustCrypto `rsa` crate does, and ring loads the result.
#[cfg(not(feature = "aws-lc-rs"))]
fn generate_rsa_2048() -> Result<Vec<u8>, CryptoError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).map_err(|_| CryptoError::KeyGeneration)?;
    let der = key.to_pkcs8_der().map_err(|_| CryptoError::KeyGeneration)?;
    Ok(der.as_bytes().to_vec())
}

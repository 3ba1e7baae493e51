//! JOSE: JWS compact serialization (RFC 7515), JWK and JWKS (RFC 7517), thumbprints
//! (RFC 7638), and the OpenID Connect `at_hash` / `c_hash` values.
//!
//! Signing goes through the [`Signer`] trait, so a key can live in software ([`SigningKey`]) or
//! in an HSM or KMS. Verification looks the key up by `kid` and takes the algorithm from the key:
//! a header whose `alg` disagrees is rejected, and so are `none`, unknown algorithms, `crit`,
//! padded or malformed base64url, and tokens over [`MAX_TOKEN_LEN`].

mod algorithm;
mod b64;
mod hash;
mod jwk;
mod jws;
mod signing_key;

pub use algorithm::Algorithm;
pub use hash::{at_hash, c_hash};
pub use jwk::{Jwk, JwkError, Jwks};
pub use jws::{
    Header, HmacAlgorithm, JoseError, MAX_TOKEN_LEN, MIN_HMAC_SECRET_LEN, Signer, Verified, sign, sign_hmac, verify,
    verify_hmac, verify_with_key,
};
pub use signing_key::SigningKey;

pub(crate) use b64::{decode as b64_decode, encode as b64_encode, encode_into as b64_encode_into};
pub(crate) use jws::{VerificationKeys, encoded_header, sign_under};

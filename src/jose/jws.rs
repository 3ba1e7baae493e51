//! JWS compact serialization: signing through a [`Signer`] and verification against keys looked
//! up by `kid`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Algorithm, Jwk, JwkError, Jwks, b64};
use crate::crypto::{self, CryptoError};

/// The largest compact JWS accepted for verification, in bytes. Tokens this server mints are a
/// few kilobytes even with many group claims; larger input is refused before any decoding.
pub const MAX_TOKEN_LEN: usize = 32 * 1024;

/// Something that can produce JWS signatures with one key: a software key ([`super::SigningKey`])
/// or a handle to a key held in an HSM or KMS.
pub trait Signer: Send + Sync {
    /// The key ID put in the JOSE header.
    fn kid(&self) -> &str;
    /// The algorithm this key signs with; fixed by the key.
    fn algorithm(&self) -> Algorithm;
    /// Signs the JWS signing input (`base64url(header) || '.' || base64url(payload)`).
    ///
    /// # Errors
    /// Whatever the key's holder reports; it surfaces as [`JoseError::Sign`].
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;
    /// The length of this key's signatures in bytes, to size a token before it is signed;
    /// [`Algorithm::signature_len_hint`] unless the key knows better (an RSA key's modulus).
    fn signature_len(&self) -> usize {
        self.algorithm().signature_len_hint()
    }
    /// The public key, for the JWKS.
    fn public_jwk(&self) -> Jwk;
}

/// A JOSE header as this crate writes it: exactly `kid` and `alg`, as Okta's tokens carry
/// (older Okta verifiers reject other members), and `typ` only when asked for (RFC 9068 `at+jwt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The signing key's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// The signature algorithm, as written in the token.
    pub alg: String,
    /// The media type of the token, e.g. `at+jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Errors from signing or verifying a JWS.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The token is longer than [`MAX_TOKEN_LEN`].
    #[error("the token is larger than {MAX_TOKEN_LEN} bytes")]
    TooLarge,
    /// Not three dot-separated parts of strict base64url, or a header or payload that is not a
    /// JSON object.
    #[error("the token is not a well-formed compact JWS")]
    Malformed,
    /// The header's `alg` is `none` or not a supported algorithm.
    #[error("the token's algorithm is not supported")]
    UnsupportedAlgorithm,
    /// The header's `alg` is not the algorithm of the key named by its `kid`.
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    /// The header carries `crit`: no extensions are understood, so the token is refused
    /// (RFC 7515 §4.1.11).
    #[error("the token has critical header parameters")]
    CriticalHeader,
    /// The header has no `kid`.
    #[error("the token has no key ID")]
    MissingKid,
    /// No key has the header's `kid`.
    #[error("no key matches the token's key ID")]
    UnknownKid,
    /// The shared secret is shorter than [`MIN_HMAC_SECRET_LEN`] bytes.
    #[error("the shared secret is too short for HMAC")]
    WeakSecret,
    /// The signature does not verify.
    #[error("the token's signature is invalid")]
    InvalidSignature,
    /// The key named by `kid` cannot be used to verify.
    #[error("the verification key is unusable")]
    Key(#[from] JwkError),
    /// Serializing the claims failed.
    #[error("the claims could not be serialized")]
    Serialize(#[source] serde_json::Error),
    /// The signer failed.
    #[error("the signer failed")]
    Sign(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<CryptoError> for JoseError {
    fn from(err: CryptoError) -> Self {
        JoseError::Sign(Box::new(err))
    }
}

/// Signs `claims` as a compact JWS with the header `{"kid", "alg"}` (plus `typ` if given).
///
/// # Errors
/// [`JoseError::Serialize`] if `claims` cannot be serialized, [`JoseError::Sign`] if the signer fails.
pub fn sign<C: Serialize + ?Sized>(signer: &dyn Signer, typ: Option<&str>, claims: &C) -> Result<String, JoseError> {
    sign_under(signer, &encoded_header(signer, typ)?, claims)
}

/// The JOSE header `{"kid", "alg"}` (plus `typ` if given) of the tokens `signer` signs,
/// base64url-encoded: the first part of each, which a server encodes once per key.
///
/// # Errors
/// [`JoseError::Serialize`] if the header cannot be serialized.
pub(crate) fn encoded_header(signer: &dyn Signer, typ: Option<&str>) -> Result<String, JoseError> {
    /// [`Header`] borrowed, serialized in the same order with the same omissions.
    #[derive(Serialize)]
    struct SigningHeader<'a> {
        kid: &'a str,
        alg: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        typ: Option<&'a str>,
    }
    let header = SigningHeader {
        kid: signer.kid(),
        alg: signer.algorithm().as_str(),
        typ,
    };
    Ok(b64::encode(serde_json::to_vec(&header).map_err(JoseError::Serialize)?))
}

/// Signs `claims` as a compact JWS whose first part is `header`, made by [`encoded_header`] for
/// the same signer.
///
/// # Errors
/// [`JoseError::Serialize`] if `claims` cannot be serialized, [`JoseError::Sign`] if the signer fails.
pub(crate) fn sign_under<C: Serialize + ?Sized>(
    signer: &dyn Signer,
    header: &str,
    claims: &C,
) -> Result<String, JoseError> {
    let mut payload = Vec::with_capacity(512);
    serde_json::to_writer(&mut payload, claims).map_err(JoseError::Serialize)?;
    // One buffer for the whole token, sized to hold it exactly: a few hundred bytes more would
    // take an RSA-2048 token past 1 KB, where glibc's `malloc` serves an allocation from its
    // large bins and first consolidates every freed small chunk (measured on the token path).
    let mut token = Vec::with_capacity(
        header.len() + b64::encoded_len(payload.len()) + b64::encoded_len(signer.signature_len()) + 2,
    );
    token.extend_from_slice(header.as_bytes());
    token.push(b'.');
    b64::encode_into(payload, &mut token);
    let signature = signer.sign(&token).map_err(JoseError::Sign)?;
    token.push(b'.');
    b64::encode_into(signature, &mut token);
    // Base64url and dots: ASCII, so this never falls back.
    Ok(String::from_utf8(token).unwrap_or_else(|not_utf8| String::from_utf8_lossy(not_utf8.as_bytes()).into_owned()))
}

/// A JWS whose signature verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The JOSE header; its `alg` is the algorithm that verified the token.
    pub header: Header,
    payload: Vec<u8>,
}

impl Verified {
    /// The payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The payload parsed as a JSON object into `T`.
    ///
    /// # Errors
    /// [`JoseError::Malformed`] if the payload is not a JSON object of `T`'s shape.
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, JoseError> {
        if self.payload.first() != Some(&b'{') {
            return Err(JoseError::Malformed);
        }
        serde_json::from_slice(&self.payload).map_err(|_| JoseError::Malformed)
    }
}

/// The header members verification reads. Unknown members are ignored; `crit` is refused.
#[derive(Deserialize)]
struct ReceivedHeader {
    alg: String,
    kid: Option<String>,
    typ: Option<String>,
    /// Whether `crit` is present at all: `"crit": null` is refused too (RFC 7515 §4.1.11
    /// requires an array, and no extension is understood anyway).
    #[serde(default, deserialize_with = "present")]
    crit: bool,
}

/// Verifies a compact JWS against `jwks`.
///
/// The key is found by the header's `kid`; its algorithm is the key's, and the header's `alg`
/// must equal it. `none`, unknown algorithms, `crit`, padded or malformed base64url and tokens
/// over [`MAX_TOKEN_LEN`] are refused. Claims (`exp`, `iss`, …) are not checked here.
///
/// # Errors
/// The [`JoseError`] variant that names what is wrong.
pub fn verify(token: &str, jwks: &Jwks) -> Result<Verified, JoseError> {
    let parsed = Parsed::split(token)?;
    let kid = parsed.header.kid.as_deref().ok_or(JoseError::MissingKid)?;
    let jwk = jwks.find(kid).ok_or(JoseError::UnknownKid)?;
    parsed.verify(jwk)
}

/// Verifies a compact JWS against one key the caller has already chosen (for example the only
/// key a client registered for `private_key_jwt`, whose assertions often carry no `kid`).
/// The algorithm is the key's; everything else is checked as in [`verify`].
///
/// # Errors
/// The [`JoseError`] variant that names what is wrong.
pub fn verify_with_key(token: &str, jwk: &Jwk) -> Result<Verified, JoseError> {
    Parsed::split(token)?.verify(jwk)
}

/// A key set made ready to verify many tokens: each key of a [`Jwks`] parsed into the crypto
/// backend once ([`crypto::VerifyingKey`]). A server's state holds its own keys this way, so
/// introspecting one of its tokens does not parse an RSA key per request.
pub(crate) struct VerificationKeys {
    jwks: Jwks,
    /// `jwks.keys`, in order, made ready; `None` for a key that cannot verify (its error comes
    /// from [`verify`]'s path).
    prepared: Vec<Option<crypto::VerifyingKey>>,
}

impl VerificationKeys {
    /// Prepares every key of `jwks`.
    pub(crate) fn new(jwks: Jwks) -> Self {
        let prepared = jwks
            .keys
            .iter()
            .map(|jwk| {
                jwk.verification_key()
                    .ok()
                    .map(|(algorithm, public)| crypto::VerifyingKey::new(algorithm, public))
            })
            .collect();
        Self { jwks, prepared }
    }

    /// [`verify`] against these keys, with the same outcome for every token.
    pub(crate) fn verify(&self, token: &str) -> Result<Verified, JoseError> {
        let parsed = Parsed::split(token)?;
        let kid = parsed.header.kid.as_deref().ok_or(JoseError::MissingKid)?;
        let at = self
            .jwks
            .keys
            .iter()
            .position(|key| key.kid.as_deref() == Some(kid))
            .ok_or(JoseError::UnknownKid)?;
        match (self.prepared.get(at), self.jwks.keys.get(at)) {
            (Some(Some(key)), _) => parsed.verify_prepared(key),
            (_, Some(jwk)) => parsed.verify(jwk),
            _ => Err(JoseError::UnknownKid),
        }
    }
}

/// Deserializes any value and reports that the member was present.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

/// The shortest shared secret accepted for HMAC, in bytes: RFC 7518 §3.2 requires a key at least
/// as long as the hash output, 256 bits for HS256. Secrets this server generates are 43 bytes.
pub const MIN_HMAC_SECRET_LEN: usize = 32;

/// A compact JWS split into its parts, with the header parsed and nothing verified yet.
struct Parsed<'t> {
    header: ReceivedHeader,
    /// The header's `alg` if it names an asymmetric algorithm.
    claimed: Option<Algorithm>,
    /// The header's `alg` if it names an HMAC algorithm.
    hmac: Option<HmacAlgorithm>,
    signing_input: &'t str,
    payload_b64: &'t str,
    signature_b64: &'t str,
}

impl<'t> Parsed<'t> {
    fn split(token: &'t str) -> Result<Self, JoseError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(JoseError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JoseError::Malformed);
        };
        let header_json = b64::decode(header_b64).ok_or(JoseError::Malformed)?;
        if header_json.first() != Some(&b'{') {
            return Err(JoseError::Malformed);
        }
        let header: ReceivedHeader = serde_json::from_slice(&header_json).map_err(|_| JoseError::Malformed)?;
        if header.crit {
            return Err(JoseError::CriticalHeader);
        }
        let claimed = header.alg.parse::<Algorithm>().ok();
        let hmac = HmacAlgorithm::parse(&header.alg);
        if claimed.is_none() && hmac.is_none() {
            return Err(JoseError::UnsupportedAlgorithm);
        }
        let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
        Ok(Self {
            header,
            claimed,
            hmac,
            signing_input,
            payload_b64,
            signature_b64,
        })
    }

    fn verify(self, jwk: &Jwk) -> Result<Verified, JoseError> {
        let (algorithm, key) = jwk.verification_key()?;
        self.verify_with(algorithm, |message, signature| {
            crypto::verify_signature(algorithm, &key, message, signature)
        })
    }

    /// [`verify`](Self::verify) with a key already made ready.
    fn verify_prepared(self, key: &crypto::VerifyingKey) -> Result<Verified, JoseError> {
        self.verify_with(key.algorithm(), |message, signature| key.verify(message, signature))
    }

    /// Checks the header's `alg` against the key's `algorithm`, then the signature with
    /// `verifies(signing input, signature)`.
    fn verify_with(
        self,
        algorithm: Algorithm,
        verifies: impl FnOnce(&[u8], &[u8]) -> bool,
    ) -> Result<Verified, JoseError> {
        let claimed = self.claimed.ok_or(JoseError::UnsupportedAlgorithm)?;
        if algorithm != claimed {
            return Err(JoseError::AlgorithmMismatch);
        }
        let payload = b64::decode(self.payload_b64).ok_or(JoseError::Malformed)?;
        let signature = b64::decode(self.signature_b64).ok_or(JoseError::Malformed)?;
        if !verifies(self.signing_input.as_bytes(), &signature) {
            return Err(JoseError::InvalidSignature);
        }
        self.into_verified(payload)
    }

    fn verify_hmac(self, secret: &[u8], allowed: &[HmacAlgorithm]) -> Result<Verified, JoseError> {
        let algorithm = self.hmac.ok_or(JoseError::UnsupportedAlgorithm)?;
        if !allowed.contains(&algorithm) {
            return Err(JoseError::AlgorithmMismatch);
        }
        if secret.len() < MIN_HMAC_SECRET_LEN {
            return Err(JoseError::WeakSecret);
        }
        let payload = b64::decode(self.payload_b64).ok_or(JoseError::Malformed)?;
        let tag = b64::decode(self.signature_b64).ok_or(JoseError::Malformed)?;
        if !crypto::hmac_verify(algorithm.backend(), secret, self.signing_input.as_bytes(), &tag) {
            return Err(JoseError::InvalidSignature);
        }
        self.into_verified(payload)
    }

    fn into_verified(self, payload: Vec<u8>) -> Result<Verified, JoseError> {
        let ReceivedHeader { alg, kid, typ, .. } = self.header;
        Ok(Verified {
            header: Header { kid, alg, typ },
            payload,
        })
    }
}

/// An HMAC algorithm for JWTs signed with a shared secret (RFC 7518 §3.2), as clients using
/// `client_secret_jwt` authentication do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HmacAlgorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
}

impl HmacAlgorithm {
    /// Every HMAC algorithm.
    pub const ALL: [HmacAlgorithm; 3] = [Self::HS256, Self::HS384, Self::HS512];

    /// The `alg` value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
        }
    }

    fn parse(alg: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|candidate| candidate.as_str() == alg)
    }

    fn backend(self) -> crypto::HmacAlgorithm {
        match self {
            Self::HS256 => crypto::HmacAlgorithm::Sha256,
            Self::HS384 => crypto::HmacAlgorithm::Sha384,
            Self::HS512 => crypto::HmacAlgorithm::Sha512,
        }
    }
}

/// Verifies a compact JWS signed with a shared `secret` under one of the `allowed` HMAC
/// algorithms (comparison in constant time). Asymmetric algorithms, `none`, `crit` and secrets
/// shorter than [`MIN_HMAC_SECRET_LEN`] are refused, as are the malformed inputs [`verify`] refuses.
///
/// # Errors
/// The [`JoseError`] variant that names what is wrong.
pub fn verify_hmac(token: &str, secret: &[u8], allowed: &[HmacAlgorithm]) -> Result<Verified, JoseError> {
    Parsed::split(token)?.verify_hmac(secret, allowed)
}

/// Signs `claims` with a shared secret under the header `{"alg", "typ": "JWT"}`: what a
/// `client_secret_jwt` client sends. Useful to test harnesses.
///
/// # Errors
/// [`JoseError::Serialize`] if `claims` cannot be serialized.
pub fn sign_hmac<C: Serialize + ?Sized>(
    algorithm: HmacAlgorithm,
    secret: &[u8],
    claims: &C,
) -> Result<String, JoseError> {
    let header = Header {
        kid: None,
        alg: algorithm.as_str().to_owned(),
        typ: Some("JWT".to_owned()),
    };
    let mut token = b64::encode(serde_json::to_vec(&header).map_err(JoseError::Serialize)?);
    token.push('.');
    token.push_str(&b64::encode(serde_json::to_vec(claims).map_err(JoseError::Serialize)?));
    let tag = crypto::hmac_sign(algorithm.backend(), secret, token.as_bytes());
    token.push('.');
    token.push_str(&b64::encode(tag));
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SigningKey;

    /// What a verification came to, comparable across the two paths.
    fn outcome(result: Result<Verified, JoseError>) -> String {
        match result {
            Ok(verified) => format!("ok {:?} {:?}", verified.header, verified.payload()),
            Err(error) => format!("error {error:?}"),
        }
    }

    /// A server's prepared keys decide every token as [`verify`] does with the same JWKS: good
    /// tokens of each algorithm, altered signatures and payloads, unknown `kid`s, a header `alg`
    /// that is not the key's (RFC 8725 §3.1), and a key that may not verify (`use: enc`).
    #[test]
    fn prepared_keys_decide_as_the_jwks_does() {
        let rsa = include_str!("../testkit/keys/rsa-1.pem");
        let keys: Vec<SigningKey> = vec![
            SigningKey::from_pkcs8_pem(Algorithm::RS256, rsa).unwrap(),
            SigningKey::generate(Algorithm::PS256).unwrap(),
            SigningKey::generate(Algorithm::ES256).unwrap(),
            SigningKey::generate(Algorithm::EdDSA).unwrap(),
        ];
        let mut jwks = Jwks {
            keys: keys.iter().map(SigningKey::public_jwk).collect(),
        };
        let mut encryption = keys[2].public_jwk();
        encryption.kid = Some("enc".into());
        encryption.key_use = Some("enc".into());
        jwks.keys.push(encryption);
        let prepared = VerificationKeys::new(jwks.clone());

        let claims = serde_json::json!({"sub": "00u1", "n": 1});
        let mut tokens = Vec::new();
        for key in &keys {
            let token = sign(key, Some("at+jwt"), &claims).unwrap();
            let (head, rest) = token.split_once('.').unwrap();
            let (payload, signature) = rest.split_once('.').unwrap();
            let header: serde_json::Value = serde_json::from_slice(&b64::decode(head).unwrap()).unwrap();
            let with_header =
                |header: &serde_json::Value| format!("{}.{payload}.{signature}", b64::encode(header.to_string()));
            tokens.push(token.clone());
            let mut altered = signature.as_bytes().to_vec();
            altered[4] = if altered[4] == b'A' { b'B' } else { b'A' };
            tokens.push(format!("{head}.{payload}.{}", String::from_utf8(altered).unwrap()));
            tokens.push(format!("{head}.{}.{signature}", b64::encode(r#"{"sub":"00u2"}"#)));
            let (rs256, ps256) = (jwks.keys[0].kid.clone().unwrap(), jwks.keys[1].kid.clone().unwrap());
            for (kid, alg) in [
                ("unknown".to_owned(), None),
                ("enc".to_owned(), None),
                (rs256, Some("PS256")),
                (ps256, Some("RS256")),
            ] {
                let mut other = header.clone();
                other["kid"] = kid.into();
                if let Some(alg) = alg {
                    other["alg"] = alg.into();
                }
                tokens.push(with_header(&other));
            }
        }
        let mut verified = 0;
        for token in &tokens {
            let (expected, got) = (outcome(verify(token, &jwks)), outcome(prepared.verify(token)));
            assert_eq!(got, expected, "{token}");
            verified += usize::from(expected.starts_with("ok"));
        }
        assert_eq!(verified, keys.len(), "each key's own token verifies, nothing else");
    }
}

//! JSON Web Keys (RFC 7517) for public signing keys, and RFC 7638 thumbprints.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Algorithm, b64};
use crate::crypto::PublicComponents;

/// A public JSON Web Key as the `keys` endpoint publishes it: `kty`, `alg`, `kid`, `use` and the
/// key's public numbers (`n`/`e` for RSA, `crv`/`x`/`y` for EC, `crv`/`x` for OKP).
///
/// Private members (`d`, `p`, …) are not fields of this type: deserializing a private JWK keeps
/// only its public part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// The algorithm the key is used with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key ID; this crate uses the RFC 7638 thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Public key use: `sig` for signing keys.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// RSA modulus, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Curve: `P-256` or `Ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate or OKP public key, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JWK Set document (RFC 7517 §5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key with `kid`, if any.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|key| key.kid.as_deref() == Some(kid))
    }
}

/// Why a JWK cannot be used as a signature-verification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkError {
    /// A member the key type requires is absent.
    #[error("the JWK lacks a member its key type requires")]
    MissingMember,
    /// A member is not valid base64url or has the wrong length.
    #[error("a JWK member is not valid base64url of the right length")]
    InvalidMember,
    /// The key type, curve or algorithm is not supported, or they disagree.
    #[error("the JWK's key type, curve or algorithm is unsupported or inconsistent")]
    Unsupported,
    /// The key is declared for a use other than `sig`.
    #[error("the JWK is not a signature key")]
    NotForSigning,
}

impl Jwk {
    /// The public JWK of `key` for `alg`, with `use: "sig"` and its thumbprint as `kid`.
    pub(crate) fn from_components(alg: Algorithm, key: &PublicComponents) -> Jwk {
        let mut jwk = match key {
            PublicComponents::Rsa { n, e } => Jwk::bare("RSA", None, Some(n), Some(e), None, None),
            PublicComponents::P256 { x, y } => Jwk::bare("EC", Some("P-256"), None, None, Some(x), Some(y)),
            PublicComponents::Ed25519 { x } => Jwk::bare("OKP", Some("Ed25519"), None, None, Some(x), None),
        };
        jwk.alg = Some(alg.as_str().to_owned());
        jwk.key_use = Some("sig".to_owned());
        jwk.kid = jwk.thumbprint().ok();
        jwk
    }

    fn bare(
        kty: &str,
        crv: Option<&str>,
        n: Option<&[u8]>,
        e: Option<&[u8]>,
        x: Option<&[u8]>,
        y: Option<&[u8]>,
    ) -> Jwk {
        Jwk {
            kty: kty.to_owned(),
            alg: None,
            kid: None,
            key_use: None,
            n: n.map(b64::encode),
            e: e.map(b64::encode),
            crv: crv.map(str::to_owned),
            x: x.map(b64::encode),
            y: y.map(b64::encode),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url: the hash of the key's required members in
    /// lexicographic order with no white space.
    ///
    /// # Errors
    /// [`JwkError::MissingMember`] or [`JwkError::Unsupported`] when the members a thumbprint
    /// needs are absent or the key type is unknown.
    pub fn thumbprint(&self) -> Result<String, JwkError> {
        fn member(value: &Option<String>) -> Result<&str, JwkError> {
            value.as_deref().ok_or(JwkError::MissingMember)
        }
        // Member values are base64url or fixed names, so they need no JSON escaping; serde_json
        // is still used to quote them so the canonical form cannot be broken by odd input.
        let quote = |value: &str| serde_json::to_string(value).unwrap_or_default();
        let canonical = match self.kty.as_str() {
            "RSA" => format!(
                r#"{{"e":{},"kty":"RSA","n":{}}}"#,
                quote(member(&self.e)?),
                quote(member(&self.n)?)
            ),
            "EC" => format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                quote(member(&self.crv)?),
                quote(member(&self.x)?),
                quote(member(&self.y)?)
            ),
            "OKP" => format!(
                r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
                quote(member(&self.crv)?),
                quote(member(&self.x)?)
            ),
            _ => return Err(JwkError::Unsupported),
        };
        Ok(b64::encode(Sha256::digest(canonical.as_bytes())))
    }

    /// The algorithm and public numbers this key verifies with. The algorithm comes from the
    /// key: its `alg` if present (which must fit the key type: `RS256` or `PS256` for RSA),
    /// otherwise the one algorithm its type and curve imply (`RS256` for RSA, so a key must say
    /// `PS256` to verify PSS signatures: one key, one algorithm, RFC 8725 §3.1).
    pub(crate) fn verification_key(&self) -> Result<(Algorithm, PublicComponents), JwkError> {
        if self.key_use.as_deref().is_some_and(|u| u != "sig") {
            return Err(JwkError::NotForSigning);
        }
        let decode = |value: &Option<String>| -> Result<Vec<u8>, JwkError> {
            b64::decode(value.as_deref().ok_or(JwkError::MissingMember)?).ok_or(JwkError::InvalidMember)
        };
        let (implied, key) = match (self.kty.as_str(), self.crv.as_deref()) {
            ("RSA", _) => (
                Algorithm::RS256,
                PublicComponents::Rsa {
                    n: decode(&self.n)?,
                    e: decode(&self.e)?,
                },
            ),
            ("EC", Some("P-256")) => {
                let (x, y) = (decode(&self.x)?, decode(&self.y)?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JwkError::InvalidMember);
                }
                (Algorithm::ES256, PublicComponents::P256 { x, y })
            }
            ("OKP", Some("Ed25519")) => {
                let x = decode(&self.x)?;
                if x.len() != 32 {
                    return Err(JwkError::InvalidMember);
                }
                (Algorithm::EdDSA, PublicComponents::Ed25519 { x })
            }
            _ => return Err(JwkError::Unsupported),
        };
        let Some(alg) = self.alg.as_deref() else {
            return Ok((implied, key));
        };
        match alg.parse::<Algorithm>() {
            Ok(named) if named == implied || (named.is_rsa() && implied.is_rsa()) => Ok((named, key)),
            _ => Err(JwkError::Unsupported),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_members_are_dropped_on_input() {
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"OKP","crv":"Ed25519","d":"secret","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        let out = serde_json::to_string(&jwk).unwrap();
        assert!(!out.contains("secret"));
    }

    #[test]
    fn key_use_other_than_sig_is_refused_for_verification() {
        let mut jwk: Jwk =
            serde_json::from_str(r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)
                .unwrap();
        assert!(jwk.verification_key().is_ok());
        jwk.key_use = Some("enc".into());
        assert_eq!(jwk.verification_key().unwrap_err(), JwkError::NotForSigning);
    }

    #[test]
    fn alg_that_does_not_fit_the_key_type_is_refused() {
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"OKP","crv":"Ed25519","alg":"RS256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        assert_eq!(jwk.verification_key().unwrap_err(), JwkError::Unsupported);
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"OKP","crv":"Ed25519","alg":"PS256","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        )
        .unwrap();
        assert_eq!(jwk.verification_key().unwrap_err(), JwkError::Unsupported);
    }

    /// An RSA key verifies `PS256` only when its `alg` says so; without `alg` it is `RS256`'s.
    #[test]
    fn rsa_keys_take_their_padding_from_alg() {
        let mut jwk: Jwk = serde_json::from_str(r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#).unwrap();
        assert_eq!(jwk.verification_key().unwrap().0, Algorithm::RS256);
        jwk.alg = Some("PS256".into());
        assert_eq!(jwk.verification_key().unwrap().0, Algorithm::PS256);
        jwk.alg = Some("ES256".into());
        assert_eq!(jwk.verification_key().unwrap_err(), JwkError::Unsupported);
    }

    #[test]
    fn thumbprint_needs_required_members() {
        let jwk = Jwk {
            kty: "RSA".into(),
            alg: None,
            kid: None,
            key_use: None,
            n: None,
            e: Some("AQAB".into()),
            crv: None,
            x: None,
            y: None,
        };
        assert_eq!(jwk.thumbprint(), Err(JwkError::MissingMember));
    }
}

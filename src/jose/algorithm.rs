use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A JWS signature algorithm for the authorization server's own keys (RFC 7518 §3, RFC 8037).
///
/// Okta signs with `RS256`; `PS256`, `ES256` and `EdDSA` (Ed25519) are available too, per
/// authorization server (`credentials.signing.alg`). Symmetric algorithms are not signing-key
/// algorithms and `none` does not exist here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys or larger. Okta's default.
    #[default]
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256, 2048-bit keys or larger (RFC 7518 §3.5).
    /// Signatures are randomized (a fresh salt per signature).
    PS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// EdDSA on Ed25519 (RFC 8037).
    EdDSA,
}

impl Algorithm {
    /// The `alg` value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Every supported algorithm.
    pub const ALL: [Algorithm; 4] = [Self::RS256, Self::PS256, Self::ES256, Self::EdDSA];

    /// Whether keys of this algorithm are RSA keys (`RS256` and `PS256` share them).
    pub const fn is_rsa(self) -> bool {
        matches!(self, Self::RS256 | Self::PS256)
    }

    /// The length of one signature of this algorithm in bytes, for sizing a buffer: exact for
    /// ECDSA P-256 (`r || s`, RFC 7518 §3.4) and Ed25519; for RSA, whose signature is as long
    /// as the key's modulus, that of a 4096-bit key (a larger key only grows the buffer).
    pub const fn signature_len_hint(self) -> usize {
        match self {
            Self::RS256 | Self::PS256 => 512,
            Self::ES256 | Self::EdDSA => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text did not name a supported signing algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unsupported signing algorithm")]
pub struct UnsupportedAlgorithm;

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == s)
            .ok_or(UnsupportedAlgorithm)
    }
}

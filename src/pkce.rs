//! Proof Key for Code Exchange (RFC 7636), `S256` only, as Okta supports.

use crate::crypto;
use crate::jose::b64_encode;

/// The code challenge method this server accepts.
pub const S256: &str = "S256";

/// Why a PKCE value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkceError {
    /// `code_challenge_method` is not `S256` (`plain` included).
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    /// The challenge is not 43 characters of base64url (the encoding of a SHA-256 digest).
    #[error("code_challenge is not a valid S256 challenge")]
    InvalidChallenge,
    /// The verifier is not 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1).
    #[error("code_verifier is not 43 to 128 unreserved characters")]
    InvalidVerifier,
    /// The verifier does not hash to the challenge.
    #[error("code_verifier does not match code_challenge")]
    Mismatch,
}

/// Checks a challenge and its method as the authorize endpoint receives them. An absent method
/// means `plain` under RFC 7636 §4.3, which is refused.
///
/// # Errors
/// [`PkceError::UnsupportedMethod`] or [`PkceError::InvalidChallenge`].
pub fn validate_challenge(challenge: &str, method: Option<&str>) -> Result<(), PkceError> {
    if method != Some(S256) {
        return Err(PkceError::UnsupportedMethod);
    }
    let well_formed = challenge.len() == 43 && crate::jose::b64_decode(challenge).is_some_and(|d| d.len() == 32);
    if well_formed {
        Ok(())
    } else {
        Err(PkceError::InvalidChallenge)
    }
}

/// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    b64_encode(crypto::sha256(verifier.as_bytes()))
}

/// Checks a verifier against the stored challenge, comparing in constant time.
///
/// # Errors
/// [`PkceError::InvalidVerifier`] if the verifier is malformed, [`PkceError::Mismatch`] if it
/// does not match.
pub fn verify(verifier: &str, challenge: &str) -> Result<(), PkceError> {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !well_formed {
        return Err(PkceError::InvalidVerifier);
    }
    if crypto::constant_time_eq(s256_challenge(verifier).as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(PkceError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert_eq!(verify(VERIFIER, CHALLENGE), Ok(()));
        assert_eq!(validate_challenge(CHALLENGE, Some("S256")), Ok(()));
    }

    #[test]
    fn wrong_verifier_is_a_mismatch() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl";
        assert_eq!(verify(other, CHALLENGE), Err(PkceError::Mismatch));
    }

    #[test]
    fn verifier_length_and_alphabet_are_enforced() {
        // RFC 7636 §4.1: 43..=128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
        assert_eq!(verify(&"a".repeat(42), CHALLENGE), Err(PkceError::InvalidVerifier));
        assert_eq!(verify(&"a".repeat(129), CHALLENGE), Err(PkceError::InvalidVerifier));
        assert_eq!(
            verify(&format!("{}+", "a".repeat(42)), CHALLENGE),
            Err(PkceError::InvalidVerifier)
        );
        assert_eq!(
            verify(&format!("{}é", "a".repeat(42)), CHALLENGE),
            Err(PkceError::InvalidVerifier)
        );
        let longest = "~".repeat(128);
        assert_eq!(verify(&longest, &s256_challenge(&longest)), Ok(()));
    }

    #[test]
    fn only_s256_is_accepted() {
        // Okta supports S256 only; an absent method means `plain` (RFC 7636 §4.3).
        assert_eq!(validate_challenge(CHALLENGE, None), Err(PkceError::UnsupportedMethod));
        assert_eq!(
            validate_challenge(CHALLENGE, Some("plain")),
            Err(PkceError::UnsupportedMethod)
        );
        assert_eq!(
            validate_challenge(CHALLENGE, Some("s256")),
            Err(PkceError::UnsupportedMethod)
        );
    }

    #[test]
    fn malformed_challenges_are_refused() {
        assert_eq!(
            validate_challenge("short", Some("S256")),
            Err(PkceError::InvalidChallenge)
        );
        assert_eq!(
            validate_challenge(&format!("{CHALLENGE}="), Some("S256")),
            Err(PkceError::InvalidChallenge)
        );
        assert_eq!(
            validate_challenge(&CHALLENGE.replace('-', "+"), Some("S256")),
            Err(PkceError::InvalidChallenge)
        );
    }
}

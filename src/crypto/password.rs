//! Slow, salted password hashes: PBKDF2-HMAC-SHA256 from the crypto backend, stored as a PHC
//! string (`$pbkdf2-sha256$i=<iterations>$<salt>$<hash>`, unpadded standard base64).

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::backend::pbkdf2;
use super::{CryptoError, fill_random};

const PREFIX: &str = "$pbkdf2-sha256$i=";
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// Hashes passwords with a configurable cost.
///
/// The default follows OWASP's 2023 guidance for PBKDF2-HMAC-SHA256 (600,000 iterations).
/// Tests can use [`PasswordHasher::with_iterations`] with a small count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHasher {
    iterations: NonZeroU32,
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self {
            iterations: NonZeroU32::new(600_000).expect("non-zero constant"),
        }
    }
}

impl PasswordHasher {
    /// A hasher with `iterations` rounds of PBKDF2 (at least one).
    pub fn with_iterations(iterations: u32) -> Self {
        Self {
            iterations: NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN),
        }
    }

    /// The number of PBKDF2 rounds new hashes use.
    pub fn iterations(&self) -> u32 {
        self.iterations.get()
    }

    /// Hashes `password` with a fresh random salt.
    ///
    /// # Errors
    /// [`CryptoError::Random`] if the operating system's random source fails.
    pub fn hash(&self, password: &str) -> Result<PasswordHash, CryptoError> {
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt)?;
        let mut hash = [0u8; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            &salt,
            password.as_bytes(),
            &mut hash,
        );
        Ok(PasswordHash {
            iterations: self.iterations,
            salt,
            hash,
        })
    }
}

/// A stored password hash. Its `Display` form is the PHC string to persist; [`FromStr`] reads it
/// back. `Debug` shows only the cost.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: NonZeroU32,
    salt: [u8; SALT_LEN],
    hash: [u8; HASH_LEN],
}

impl PasswordHash {
    /// Checks `password` against this hash, in constant time with respect to the hash.
    pub fn verify(&self, password: &str) -> bool {
        pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            self.iterations,
            &self.salt,
            password.as_bytes(),
            &self.hash,
        )
        .is_ok()
    }

    /// The number of PBKDF2 rounds this hash was made with.
    pub fn iterations(&self) -> u32 {
        self.iterations.get()
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHash")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}{}${}${}",
            self.iterations,
            STANDARD_NO_PAD.encode(self.salt),
            STANDARD_NO_PAD.encode(self.hash)
        )
    }
}

/// The text was not a PHC string this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a `$pbkdf2-sha256$i=<iterations>$<salt>$<hash>` password hash")]
pub struct InvalidPasswordHash;

impl FromStr for PasswordHash {
    type Err = InvalidPasswordHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix(PREFIX).ok_or(InvalidPasswordHash)?;
        let mut parts = rest.split('$');
        let (Some(iterations), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidPasswordHash);
        };
        let iterations = iterations.parse::<NonZeroU32>().map_err(|_| InvalidPasswordHash)?;
        let decode = |text: &str, out: &mut [u8]| -> Result<(), InvalidPasswordHash> {
            let bytes = STANDARD_NO_PAD.decode(text).map_err(|_| InvalidPasswordHash)?;
            if bytes.len() != out.len() {
                return Err(InvalidPasswordHash);
            }
            out.copy_from_slice(&bytes);
            Ok(())
        };
        let mut parsed = PasswordHash {
            iterations,
            salt: [0; SALT_LEN],
            hash: [0; HASH_LEN],
        };
        decode(salt, &mut parsed.salt)?;
        decode(hash, &mut parsed.hash)?;
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let hash = PasswordHasher::with_iterations(1_000).hash("correct horse").unwrap();
        assert!(hash.verify("correct horse"));
        assert!(!hash.verify("correct horsE"));
        assert!(!hash.verify(""));
    }

    #[test]
    fn salts_make_equal_passwords_hash_differently() {
        let hasher = PasswordHasher::with_iterations(10);
        assert_ne!(
            hasher.hash("pw").unwrap().to_string(),
            hasher.hash("pw").unwrap().to_string()
        );
    }

    #[test]
    fn phc_string_round_trips_and_keeps_the_cost() {
        let hash = PasswordHasher::with_iterations(1_234).hash("pw").unwrap();
        let text = hash.to_string();
        assert!(text.starts_with("$pbkdf2-sha256$i=1234$"));
        let parsed: PasswordHash = text.parse().unwrap();
        assert_eq!(parsed, hash);
        assert!(parsed.verify("pw"));
        assert_eq!(parsed.iterations(), 1_234);
    }

    #[test]
    fn pbkdf2_matches_published_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", c=1, dkLen=64), first 32 bytes.
        let mut out = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::MIN,
            b"salt",
            b"passwd",
            &mut out,
        );
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    }

    #[test]
    fn malformed_hashes_are_rejected_not_panicked_on() {
        for bad in [
            "",
            "$pbkdf2-sha256$i=0$AAAA$AAAA",
            "$pbkdf2-sha256$i=10$***$AAAA",
            "$argon2id$v=19$m=1",
            "$pbkdf2-sha256$i=10$AAAAAAAAAAAAAAAAAAAAAA$AA$x",
        ] {
            assert_eq!(bad.parse::<PasswordHash>(), Err(InvalidPasswordHash), "{bad}");
        }
    }

    #[test]
    fn debug_does_not_show_the_hash() {
        let hash = PasswordHasher::with_iterations(10).hash("pw").unwrap();
        let shown = format!("{hash:?}");
        assert!(!shown.contains(&STANDARD_NO_PAD.encode(hash.hash)));
    }
}

//! Secrets at rest: private signing keys and `client_secret_jwt` keys are sealed with AES-256-GCM
//! under a key-encryption key (KEK) that the host supplies and the database never sees, so a
//! dump of the database alone yields no usable private key.
//!
//! [`KeyEncryptionKeys`] holds the current KEK, which seals, and any previous ones, which still
//! open what they sealed. Each sealed value names the KEK that sealed it by its
//! [`id`](KeyEncryptionKey::id), a fingerprint of the key, so rotating a KEK is:
//!
//! 1. start every instance with the new KEK as current and the old one as previous;
//! 2. reseal what the old one sealed (the SQL stores' `reseal` rewrites every key ring and
//!    client key under the current KEK);
//! 3. drop the old KEK.
//!
//! A sealed value is bound to where it is stored (the associated data names the server and `kid`,
//! or the client), so a ciphertext copied to another row does not open.

use std::fmt;

use zeroize::Zeroizing;

use crate::crypto::CryptoError;
use crate::jose::{b64_decode, b64_encode};

/// The length of a key-encryption key: 256 bits.
pub const KEY_ENCRYPTION_KEY_LEN: usize = 32;

/// A 256-bit AES-GCM key that seals secrets at rest. `Debug` shows only its [`id`](Self::id).
#[derive(Clone)]
pub struct KeyEncryptionKey {
    id: String,
    key: Zeroizing<[u8; KEY_ENCRYPTION_KEY_LEN]>,
}

/// A key-encryption key could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidKeyEncryptionKey {
    /// The text is not 32 bytes in base64url (43 characters, padding optional) or hex (64).
    #[error("a key-encryption key is 32 bytes, written as 43 base64url characters or 64 hex digits")]
    Encoding,
}

/// A sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsealError {
    /// It was sealed under a KEK that is not among the configured ones.
    #[error("the value was sealed under key-encryption key '{0}', which is not configured")]
    UnknownKey(String),
    /// The ciphertext, its associated data or the KEK is wrong: tampered, moved or corrupt.
    #[error("the sealed value does not open under its key-encryption key")]
    Corrupt,
}

impl KeyEncryptionKey {
    /// A KEK from its 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_ENCRYPTION_KEY_LEN]) -> Self {
        let digest = crate::crypto::sha256(&[b"authserver key-encryption key\0".as_slice(), &bytes].concat());
        Self {
            id: b64_encode(&digest[..9]),
            key: Zeroizing::new(bytes),
        }
    }

    /// A new random KEK.
    ///
    /// # Errors
    /// [`CryptoError::Random`] if the random source fails.
    pub fn generate() -> Result<Self, CryptoError> {
        Ok(Self::from_bytes(crate::crypto::random_array()?))
    }

    /// Reads a KEK written as 43 base64url characters (as [`encode`](Self::encode) writes it) or
    /// 64 hex digits (`openssl rand -hex 32`). Surrounding whitespace is ignored.
    ///
    /// # Errors
    /// [`InvalidKeyEncryptionKey`] if the text is neither.
    pub fn parse(text: &str) -> Result<Self, InvalidKeyEncryptionKey> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .ok()
        } else {
            b64_decode(text.trim_end_matches('=').as_bytes())
        };
        let bytes = Zeroizing::new(bytes.ok_or(InvalidKeyEncryptionKey::Encoding)?);
        let array: [u8; KEY_ENCRYPTION_KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| InvalidKeyEncryptionKey::Encoding)?;
        Ok(Self::from_bytes(array))
    }

    /// The key in base64url, for writing it to a file or a secret manager.
    pub fn encode(&self) -> Zeroizing<String> {
        Zeroizing::new(b64_encode(self.key.as_slice()))
    }

    /// The key's fingerprint (12 base64url characters), which sealed values carry. It reveals
    /// nothing about the key.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEncryptionKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The current KEK, which seals, and previous ones, which still open what they sealed.
#[derive(Debug, Clone)]
pub struct KeyEncryptionKeys {
    current: KeyEncryptionKey,
    previous: Vec<KeyEncryptionKey>,
}

impl KeyEncryptionKeys {
    /// Only `current`.
    pub fn new(current: KeyEncryptionKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds a previous KEK, during a rotation: it opens, never seals.
    pub fn with_previous(mut self, previous: KeyEncryptionKey) -> Self {
        if previous.id != self.current.id && self.previous.iter().all(|known| known.id != previous.id) {
            self.previous.push(previous);
        }
        self
    }

    /// The KEK that seals.
    pub fn current(&self) -> &KeyEncryptionKey {
        &self.current
    }

    /// Seals `plaintext`, bound to `context` (where it is stored).
    ///
    /// # Errors
    /// [`CryptoError`] if the random source or the cipher fails.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Sealed, CryptoError> {
        let nonce: [u8; NONCE_LEN] = crate::crypto::random_array()?;
        let mut data = plaintext.to_vec();
        crate::crypto::aes_gcm_seal(&self.current.key, nonce, context.as_bytes(), &mut data)?;
        Ok(Sealed {
            key_id: self.current.id.clone(),
            nonce,
            ciphertext: data,
        })
    }

    /// Opens a value sealed under one of these KEKs with the same `context`.
    ///
    /// # Errors
    /// [`UnsealError`] if its KEK is not configured or it does not open.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, UnsealError> {
        let kek = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|kek| kek.id == sealed.key_id)
            .ok_or_else(|| UnsealError::UnknownKey(sealed.key_id.clone()))?;
        let mut data = Zeroizing::new(sealed.ciphertext.clone());
        let length = crate::crypto::aes_gcm_open(&kek.key, sealed.nonce, context.as_bytes(), &mut data)
            .map_err(|_| UnsealError::Corrupt)?;
        data.truncate(length);
        Ok(data)
    }

    /// Whether the KEK with fingerprint `id` is among these (current or previous).
    pub fn knows(&self, id: &str) -> bool {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .any(|kek| kek.id == id)
    }

    /// Whether `sealed` is sealed under the current KEK (so resealing would not change its KEK).
    pub fn is_current(&self, sealed: &Sealed) -> bool {
        sealed.key_id == self.current.id
    }
}

const NONCE_LEN: usize = 12;

/// A value sealed with AES-256-GCM: the KEK's id, the nonce, and the ciphertext with its tag.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    key_id: String,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl Sealed {
    /// The id of the KEK that sealed it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The stored text form: `v1.<kek id>.<nonce>.<ciphertext>`, base64url parts.
    pub fn encode(&self) -> String {
        format!(
            "v1.{}.{}.{}",
            self.key_id,
            b64_encode(self.nonce),
            b64_encode(&self.ciphertext)
        )
    }

    /// Reads the text form [`encode`](Self::encode) writes.
    ///
    /// # Errors
    /// [`UnsealError::Corrupt`] if the text is not in that form.
    pub fn decode(text: &str) -> Result<Self, UnsealError> {
        let mut parts = text.split('.');
        let (Some("v1"), Some(key_id), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(UnsealError::Corrupt);
        };
        let nonce = b64_decode(nonce.as_bytes())
            .and_then(|bytes| <[u8; NONCE_LEN]>::try_from(bytes).ok())
            .ok_or(UnsealError::Corrupt)?;
        let ciphertext = b64_decode(ciphertext.as_bytes()).ok_or(UnsealError::Corrupt)?;
        Ok(Self {
            key_id: key_id.to_owned(),
            nonce,
            ciphertext,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek(byte: u8) -> KeyEncryptionKey {
        KeyEncryptionKey::from_bytes([byte; 32])
    }

    #[test]
    fn seals_and_opens_in_its_context_only() {
        let keys = KeyEncryptionKeys::new(kek(1));
        let sealed = keys.seal("server:default:kid1", b"private key").unwrap();
        assert_eq!(
            keys.open("server:default:kid1", &sealed).unwrap().as_slice(),
            b"private key"
        );
        assert_eq!(
            keys.open("server:other:kid1", &sealed),
            Err(UnsealError::Corrupt),
            "a ciphertext moved to another row does not open"
        );
        let text = sealed.encode();
        assert!(!text.contains("private"), "the plaintext is not in the stored form");
        assert_eq!(Sealed::decode(&text).unwrap(), sealed);
    }

    #[test]
    fn nonces_differ_between_seals() {
        let keys = KeyEncryptionKeys::new(kek(1));
        let a = keys.seal("c", b"same").unwrap();
        let b = keys.seal("c", b"same").unwrap();
        assert_ne!(a.encode(), b.encode());
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let keys = KeyEncryptionKeys::new(kek(1));
        let mut sealed = keys.seal("c", b"secret").unwrap();
        sealed.ciphertext[0] ^= 1;
        assert_eq!(keys.open("c", &sealed), Err(UnsealError::Corrupt));
    }

    #[test]
    fn rotation_opens_with_the_previous_key_and_seals_with_the_new() {
        let old = KeyEncryptionKeys::new(kek(1));
        let sealed = old.seal("c", b"secret").unwrap();
        let rotated = KeyEncryptionKeys::new(kek(2)).with_previous(kek(1));
        assert!(!rotated.is_current(&sealed));
        assert_eq!(rotated.open("c", &sealed).unwrap().as_slice(), b"secret");
        let resealed = rotated.seal("c", b"secret").unwrap();
        assert!(rotated.is_current(&resealed));
        assert_eq!(
            KeyEncryptionKeys::new(kek(2)).open("c", &sealed),
            Err(UnsealError::UnknownKey(kek(1).id().to_owned())),
            "once the old KEK is dropped, what it sealed does not open"
        );
    }

    #[test]
    fn parses_base64url_and_hex() {
        let key = kek(7);
        let parsed = KeyEncryptionKey::parse(&format!(" {}\n", key.encode().as_str())).unwrap();
        assert_eq!(parsed.id(), key.id());
        let hex = "07".repeat(32);
        assert_eq!(KeyEncryptionKey::parse(&hex).unwrap().id(), key.id());
        assert!(KeyEncryptionKey::parse("short").is_err());
        assert!(KeyEncryptionKey::parse(&"zz".repeat(32)).is_err());
        assert!(!format!("{key:?}").contains(key.encode().as_str()));
    }
}

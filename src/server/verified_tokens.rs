//! A bounded memory of the access tokens a server state verified, so that a token presented
//! again (a resource server introspects the same token on every call it serves) skips the
//! signature check and the parsing of its claims: an RSA verification is about a quarter of an
//! `/introspect` request.
//!
//! What is remembered is only what cannot change for the same bytes under the same keys: the
//! signature, `iss`, the form of `jti`, and the claims. Whether the signing key is still
//! published, expiry, revocation and implicit revocation are decided again on every use. A
//! state is rebuilt when the server's configuration or keys change, and its memory with it.
//!
//! Tokens are remembered by their SHA-256, never as text. The memory holds at most
//! [`CAPACITY`] tokens in two generations: when the newer one fills, the older one is dropped,
//! so tokens in use stay (a hit in the older generation moves the token to the newer one) and
//! memory stays bounded whatever is presented. Only tokens that verified are remembered, so
//! presenting forged tokens cannot fill it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::validity::VerifiedAccessToken;

/// The most tokens one server state remembers (about 1 KB each).
pub(crate) const CAPACITY: usize = 1024;

/// A token's SHA-256.
type Digest = [u8; 32];

/// The verified access tokens of one server state.
#[derive(Default)]
pub(crate) struct VerifiedTokens {
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    newer: HashMap<Digest, Arc<VerifiedAccessToken>>,
    older: HashMap<Digest, Arc<VerifiedAccessToken>>,
}

impl VerifiedTokens {
    /// The token with SHA-256 `digest`, if it was verified before.
    pub(crate) fn get(&self, digest: &Digest) -> Option<Arc<VerifiedAccessToken>> {
        let mut generations = self.lock();
        if let Some(known) = generations.newer.get(digest) {
            return Some(Arc::clone(known));
        }
        let known = generations.older.remove(digest)?;
        generations.insert(*digest, Arc::clone(&known));
        Some(known)
    }

    /// Remembers `token`, which verified, under its SHA-256 `digest`.
    pub(crate) fn insert(&self, digest: Digest, token: Arc<VerifiedAccessToken>) {
        self.lock().insert(digest, token);
    }

    /// How many tokens are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let generations = self.lock();
        generations.newer.len() + generations.older.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.generations.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Generations {
    fn insert(&mut self, digest: Digest, token: Arc<VerifiedAccessToken>) {
        if self.newer.len() >= CAPACITY / 2 {
            // Dropped outside the lock would be cheaper, but a generation is at most half the
            // capacity of small records, dropped once per CAPACITY / 2 insertions.
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(digest, token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::AccessTokenClaims;

    fn token(index: usize) -> (Digest, Arc<VerifiedAccessToken>) {
        let claims: AccessTokenClaims = serde_json::from_value(serde_json::json!({
            "ver": 1, "jti": format!("AT.{index}"), "iss": "https://id.example.com/oauth2/default",
            "aud": "api://default", "iat": 0, "exp": 3600, "cid": "0oa1", "sub": "0oa1", "scp": []
        }))
        .unwrap();
        let digest = crate::crypto::sha256(index.to_string().as_bytes());
        let verified = VerifiedAccessToken {
            kid: "k1".into(),
            claims,
        };
        (digest, Arc::new(verified))
    }

    #[test]
    fn remembers_what_was_inserted_and_nothing_else() {
        let tokens = VerifiedTokens::default();
        let (digest, verified) = token(1);
        assert!(tokens.get(&digest).is_none());
        tokens.insert(digest, Arc::clone(&verified));
        assert_eq!(tokens.get(&digest).as_deref(), Some(&*verified));
        assert!(tokens.get(&token(2).0).is_none());
    }

    #[test]
    fn stays_within_its_capacity_and_keeps_the_tokens_in_use() {
        let tokens = VerifiedTokens::default();
        let (kept, verified) = token(0);
        tokens.insert(kept, verified);
        for index in 1..10 * CAPACITY {
            let (digest, verified) = token(index);
            tokens.insert(digest, verified);
            // The token in use is presented again now and then, and so is never dropped.
            if index % (CAPACITY / 4) == 0 {
                assert!(tokens.get(&kept).is_some(), "dropped at {index}");
            }
            assert!(tokens.len() <= CAPACITY);
        }
        assert!(tokens.get(&kept).is_some());
        assert!(
            tokens.get(&token(1).0).is_none(),
            "an old token no one presents is gone"
        );
    }
}

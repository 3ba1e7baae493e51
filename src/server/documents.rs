//! The documents every client may fetch as often as it likes (the JWKS and the two discovery
//! documents), serialized once per server and served from that copy.
//!
//! A [`ServerState`](super::state::ServerState) is built from one revision of the configuration
//! and one of the key ring, and replaced when either moves; its documents go with it. So a change
//! made through this instance, or through another instance sharing the store (seen through the
//! store's [`revisions`](crate::store::ConfigStore::revisions) read on every request), is never
//! served stale. Within one state the one input that still varies is time: an `EXPIRED` key
//! leaves the JWKS (and its algorithm the OpenID document) when its retention ends. Each copy
//! therefore remembers which of the ring's keys were published when it was built, and is rebuilt
//! when that set differs at the request's instant.

use std::sync::{PoisonError, RwLock};

use time::OffsetDateTime;

use crate::endpoint::SharedJson;
use crate::keys::{KeyRing, RotationSettings};

/// The documents of one server state, each built on first use.
#[derive(Default)]
pub(crate) struct Documents {
    /// `GET {issuer}/v1/keys`.
    pub(crate) jwks: Cached,
    /// `{issuer}/.well-known/oauth-authorization-server`.
    pub(crate) oauth_metadata: Cached,
    /// `{issuer}/.well-known/openid-configuration`.
    pub(crate) openid_configuration: Cached,
}

/// One document and the keys that were published when it was built.
#[derive(Default)]
pub(crate) struct Cached(RwLock<Option<Built>>);

struct Built {
    /// Positions in the ring of the keys published when the document was built.
    published: Vec<usize>,
    document: SharedJson,
}

impl Cached {
    /// The document for `ring` at `now`: the copy if the same keys are published as when it was
    /// built, else a new one from `build` (kept for the next requests).
    pub(crate) fn get_or_build<E>(
        &self,
        ring: &KeyRing,
        settings: &RotationSettings,
        now: OffsetDateTime,
        build: impl FnOnce() -> Result<SharedJson, E>,
    ) -> Result<SharedJson, E> {
        let published = || {
            ring.keys()
                .iter()
                .enumerate()
                .filter(|(_, key)| ring.is_published(&key.kid, settings, now))
                .map(|(position, _)| position)
        };
        {
            let cached = self.0.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(built) = cached
                .as_ref()
                .filter(|built| published().eq(built.published.iter().copied()))
            {
                return Ok(built.document.clone());
            }
        }
        let document = build()?;
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(Built {
            published: published().collect(),
            document: document.clone(),
        });
        Ok(document)
    }
}

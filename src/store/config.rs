//! The configuration store: authorization servers with their policies, rules, scopes and claims,
//! and their signing keys.
//!
//! A server's configuration is one versioned document, [`ServerConfig`]. Changes are made by
//! loading it, editing it with pure functions, and saving it back with compare-and-swap on its
//! `revision` ([`ConfigStore::save`]); a lost race answers [`Saved::Stale`] and the caller
//! reloads and retries. No lock is held across calls. In PostgreSQL the document is a `jsonb`
//! column beside `revision`, and a save is
//! `UPDATE servers SET doc = $1, revision = revision + 1 WHERE id = $2 AND revision = $3`.
//!
//! Every saved change moves `changed_at` forward: tokens minted before it are implicitly revoked
//! ("Revocation happens when a configuration is changed or deleted", Okta's "Troubleshooting for
//! API Access Management").
//!
//! Signing keys rotate on their own schedule, so the [`KeyRing`] is a separate document with
//! its own revision ([`ConfigStore::save_key_ring`]); rotating keys is not a configuration
//! change and revokes nothing.

use std::future::Future;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StoreError;
use crate::keys::KeyRing;
use crate::model::{AuthorizationServer, Claim, Scope};
use crate::policy::PolicyWithRules;

/// Everything that decides what one authorization server grants and what its tokens carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerConfig {
    /// The authorization server object.
    pub server: AuthorizationServer,
    /// Its access policies, each with its rules.
    pub policies: Vec<PolicyWithRules>,
    /// Its scopes, system scopes included.
    pub scopes: Vec<Scope>,
    /// Its claims, system claims included.
    pub claims: Vec<Claim>,
    /// Incremented by every save; the compare-and-swap token. Set by the store.
    pub revision: u64,
    /// When the configuration last changed. Tokens minted before this moment are implicitly
    /// revoked. Stored to the nanosecond (RFC 3339), so a token minted in the same second but
    /// after the change survives it.
    #[serde(with = "time::serde::rfc3339")]
    pub changed_at: OffsetDateTime,
    /// Options of this library that Okta's server object has no field for.
    #[serde(default)]
    pub options: ServerOptions,
}

/// Per-server options beyond Okta's server object, kept with the server's configuration; set
/// them with [`ManagementApi::set_server_options`](crate::admin::ManagementApi::set_server_options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServerOptions {
    /// Write `typ: at+jwt` in access tokens' JOSE header (RFC 9068 §2.1). Off by default: Okta's
    /// header is exactly `{"kid", "alg"}`, and older Okta verifiers reject any other member.
    #[serde(default)]
    pub rfc9068_access_tokens: bool,
}

impl ServerOptions {
    /// Okta's behaviour: no option on.
    pub fn new() -> Self {
        Self::default()
    }

    /// With or without `typ: at+jwt` in access tokens (RFC 9068 §2.1).
    pub fn rfc9068_access_tokens(mut self, on: bool) -> Self {
        self.rfc9068_access_tokens = on;
        self
    }
}

/// The current revisions of a server's configuration and key ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Revisions {
    /// [`ServerConfig::revision`].
    pub config: u64,
    /// [`KeyRing::revision`].
    pub keys: u64,
}

/// The outcome of a compare-and-swap save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Saved {
    /// The document was written; this is its new revision.
    Saved {
        /// The revision now stored.
        revision: u64,
    },
    /// The stored revision was not the expected one: someone else saved first. Nothing was written.
    Stale,
    /// There is no such server. Nothing was written.
    Missing,
}

/// Storage for authorization-server configuration and signing keys.
///
/// Implementations must make [`save`](Self::save) and [`save_key_ring`](Self::save_key_ring)
/// atomic compare-and-swaps, and [`create`](Self::create) an atomic insert-if-absent. The
/// in-memory [`MemoryConfigStore`](super::memory::MemoryConfigStore) is the reference.
pub trait ConfigStore: Send + Sync {
    /// Every authorization server object, in creation order.
    fn servers(&self) -> impl Future<Output = Result<Vec<AuthorizationServer>, StoreError>> + Send;

    /// The configuration of server `id`, if it exists.
    fn load(&self, id: &str) -> impl Future<Output = Result<Option<ServerConfig>, StoreError>> + Send;

    /// The revisions of server `id`'s configuration and key ring, without loading either. Callers
    /// that keep compiled configurations (parsed claim expressions, opened signing keys) check
    /// this on every request and reload only when a revision moved; it should be the cheapest
    /// read the store has (`SELECT revision, keys_revision FROM servers WHERE id = $1`).
    fn revisions(&self, id: &str) -> impl Future<Output = Result<Option<Revisions>, StoreError>> + Send;

    /// Stores a new server with its keys, atomically. `config.revision` is stored as given
    /// (normally 0).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if a server with the same id exists; nothing is written then.
    fn create(&self, config: ServerConfig, keys: KeyRing) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces server `config.server.id`'s configuration if its stored revision is
    /// `expected_revision`; the stored revision becomes `expected_revision + 1`.
    fn save(
        &self,
        config: ServerConfig,
        expected_revision: u64,
    ) -> impl Future<Output = Result<Saved, StoreError>> + Send;

    /// Deletes server `id`, its configuration and its keys. Returns whether it existed.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The signing keys of server `id`.
    fn key_ring(&self, id: &str) -> impl Future<Output = Result<Option<KeyRing>, StoreError>> + Send;

    /// Replaces server `id`'s key ring if the stored ring's revision is `expected_revision`
    /// (the revision of the ring the caller loaded and changed). The new ring is stored as
    /// given, with the revision its transitions produced.
    fn save_key_ring(
        &self,
        id: &str,
        ring: KeyRing,
        expected_revision: u64,
    ) -> impl Future<Output = Result<Saved, StoreError>> + Send;
}

//! [`AuthServerBuilder`]: an [`AuthServer`] from named parts, each with a default.

use std::sync::{Arc, RwLock};

use super::mint::Org;
use super::{AuthServer, default_org};
use crate::admin::ManagementApi;
use crate::clock::{Clock, SystemClock};
use crate::cpu_pool::CpuPool;
use crate::event::{EventSink, MemoryEventLog};
use crate::expr::JsonMap;
use crate::id_map::IdMap;
use crate::keys::{KeyMaterial, RotationSettings, SoftwareKeys};
use crate::random::{Randomness, SystemRandom};
use crate::store::memory::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use crate::store::{ConfigStore, Directory, GrantStore};

/// Puts an [`AuthServer`] together. Every part is optional:
///
/// | part | default |
/// |---|---|
/// | [`config_store`](Self::config_store) | [`MemoryConfigStore`] |
/// | [`directory`](Self::directory) | [`MemoryDirectory`] (Okta's password hashing cost) |
/// | [`grant_store`](Self::grant_store) | [`MemoryGrantStore`] |
/// | [`key_material`](Self::key_material) | [`SoftwareKeys`] |
/// | [`clock`](Self::clock) | [`SystemClock`] |
/// | [`randomness`](Self::randomness) | [`SystemRandom`] |
/// | [`events`](Self::events) | a [`MemoryEventLog`] of the most recent events |
/// | [`rotation`](Self::rotation) | [`RotationSettings::default`]: RS256, 90 days |
/// | [`org`](Self::org) | derived from the base URL |
/// | [`cpu_pool`](Self::cpu_pool) | a [`CpuPool`] with a thread per core, shared with the default directory |
///
/// ```
/// use std::sync::Arc;
/// use authserver::AuthServer;
/// use authserver::clock::ManualClock;
/// use authserver::random::SeededRandom;
///
/// let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-12-06 12:00 UTC)));
/// let server = AuthServer::builder("https://id.example.com")
///     .clock(clock)
///     .randomness(Arc::new(SeededRandom::new(42)))
///     .build();
/// assert_eq!(server.base_url(), "https://id.example.com");
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct AuthServerBuilder<C = MemoryConfigStore, D = MemoryDirectory, G = MemoryGrantStore> {
    base_url: String,
    config: Arc<C>,
    directory: Arc<D>,
    grants: Arc<G>,
    key_material: Arc<dyn KeyMaterial>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Randomness>,
    events: Option<Arc<dyn EventSink>>,
    rotation: RotationSettings,
    org: Option<(String, JsonMap)>,
    cpu: CpuPool,
}

impl AuthServerBuilder {
    pub(super) fn new(base_url: String) -> Self {
        let cpu = CpuPool::default();
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            config: Arc::default(),
            directory: Arc::new(MemoryDirectory::default().with_cpu_pool(cpu.clone())),
            grants: Arc::default(),
            key_material: Arc::new(SoftwareKeys),
            clock: Arc::new(SystemClock),
            random: Arc::new(SystemRandom),
            events: None,
            rotation: RotationSettings::default(),
            org: None,
            cpu,
        }
    }
}

impl<C, D, G> AuthServerBuilder<C, D, G> {
    /// Stores servers, policies, rules, scopes, claims and keys in `config`.
    pub fn config_store<C2: ConfigStore>(self, config: Arc<C2>) -> AuthServerBuilder<C2, D, G> {
        let (directory, grants) = (Arc::clone(&self.directory), Arc::clone(&self.grants));
        self.with_stores(config, directory, grants)
    }

    /// Looks clients, users and groups up in `directory`.
    pub fn directory<D2: Directory>(self, directory: Arc<D2>) -> AuthServerBuilder<C, D2, G> {
        let (config, grants) = (Arc::clone(&self.config), Arc::clone(&self.grants));
        self.with_stores(config, directory, grants)
    }

    /// Keeps codes, refresh tokens and revocations in `grants`.
    pub fn grant_store<G2: GrantStore>(self, grants: Arc<G2>) -> AuthServerBuilder<C, D, G2> {
        let (config, directory) = (Arc::clone(&self.config), Arc::clone(&self.directory));
        self.with_stores(config, directory, grants)
    }

    /// The same builder over other stores.
    fn with_stores<C2, D2, G2>(
        self,
        config: Arc<C2>,
        directory: Arc<D2>,
        grants: Arc<G2>,
    ) -> AuthServerBuilder<C2, D2, G2> {
        AuthServerBuilder {
            base_url: self.base_url,
            config,
            directory,
            grants,
            key_material: self.key_material,
            clock: self.clock,
            random: self.random,
            events: self.events,
            rotation: self.rotation,
            org: self.org,
            cpu: self.cpu,
        }
    }

    /// Generates and opens signing keys with `key_material`.
    pub fn key_material(mut self, key_material: Arc<dyn KeyMaterial>) -> Self {
        self.key_material = key_material;
        self
    }

    /// Reads `now` from `clock`, once per request.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Draws ids, codes, secrets and token ids from `random`. A
    /// [`SeededRandom`](crate::random::SeededRandom) makes them reproducible in tests.
    pub fn randomness(mut self, random: Arc<dyn Randomness>) -> Self {
        self.random = random;
        self
    }

    /// Records decision events in `events`.
    pub fn events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = Some(events);
        self
    }

    /// Generates and rotates keys with `settings`.
    pub fn rotation(mut self, settings: RotationSettings) -> Self {
        self.rotation = settings;
        self
    }

    /// Runs CPU-heavy work (RSA signatures, claims that need more than a few thousand evaluation
    /// steps, key generation) on `pool`. Its threads end when the last holder of the pool (the
    /// server, its management API, a directory given the same pool) is dropped.
    ///
    /// The default directory hashes passwords on the builder's default pool; a directory you
    /// give keeps its own unless you give it the same pool
    /// ([`MemoryDirectory::with_cpu_pool`], `SqlDirectory::with_cpu_pool`).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use authserver::AuthServer;
    /// use authserver::cpu_pool::CpuPool;
    /// use authserver::store::MemoryDirectory;
    ///
    /// let pool = CpuPool::new(4);
    /// let server = AuthServer::builder("https://id.example.com")
    ///     .directory(Arc::new(MemoryDirectory::default().with_cpu_pool(pool.clone())))
    ///     .cpu_pool(pool)
    ///     .build();
    /// assert_eq!(server.cpu_pool().threads(), 4);
    /// ```
    pub fn cpu_pool(mut self, pool: CpuPool) -> Self {
        self.cpu = pool;
        self
    }

    /// The organization: `org_id` is the `idp` claim of ID tokens (Okta's org id, `00o…`), `org`
    /// what expressions see as `org.*` (e.g. `{"name": …, "subDomain": …}`).
    pub fn org(mut self, org_id: impl Into<String>, org: JsonMap) -> Self {
        self.org = Some((org_id.into(), org));
        self
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServerBuilder<C, D, G> {
    /// The server. Parts not given are their defaults.
    pub fn build(self) -> AuthServer<C, D, G> {
        let events = self.events.unwrap_or_else(|| Arc::new(MemoryEventLog::default()));
        let (org_id, org) = self.org.unwrap_or_else(|| default_org(&self.base_url));
        let management = ManagementApi::new(
            self.config,
            self.directory,
            self.key_material,
            self.clock,
            self.base_url,
        )
        .with_randomness(self.random)
        .with_rotation_settings(self.rotation)
        .with_cpu_pool(self.cpu.clone());
        AuthServer {
            management,
            grants: self.grants,
            events,
            org: Arc::new(Org {
                id: org_id,
                attributes: org,
            }),
            cpu: self.cpu,
            states: RwLock::new(IdMap::default()),
        }
    }
}

//! The in-memory [`ConfigStore`]: the reference implementation of the configuration store's
//! contract.

use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::id_map::IdMap;
use crate::keys::KeyRing;
use crate::model::AuthorizationServer;
use crate::store::StoreError;
use crate::store::config::{ConfigStore, Revisions, Saved, ServerConfig};

/// A [`ConfigStore`] in process memory.
///
/// Configurations and key rings live behind one lock, so creating and deleting a server touch
/// both atomically. Each operation does its whole read-modify-write under one lock acquisition
/// and never awaits while holding it, which makes [`save`](ConfigStore::save) and
/// [`save_key_ring`](ConfigStore::save_key_ring) true compare-and-swaps. Reads take a shared
/// lock and clone, so loading a configuration (done for every token) never waits on another
/// load. A poisoned lock is recovered: every operation checks everything before it changes
/// anything, and none panics.
///
/// `Debug` shows how many servers and key rings are stored, nothing else: key rings hold
/// private keys.
#[derive(Default)]
pub struct MemoryConfigStore {
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    /// Server id → its configuration and creation sequence number.
    servers: IdMap<ServerEntry>,
    /// Server id → its signing keys. Present exactly when `servers` has the id.
    keys: IdMap<KeyRing>,
    /// The sequence number the next created server gets.
    next_sequence: u64,
}

struct ServerEntry {
    config: ServerConfig,
    sequence: u64,
}

/// A saved revision would not fit in a `u64`. Only reachable by creating a server with a
/// revision near `u64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the configuration revision cannot be incremented any further")]
struct RevisionOverflow;

impl MemoryConfigStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryConfigStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (servers, key_rings) = {
            let state = self.read();
            (state.servers.len(), state.keys.len())
        };
        f.debug_struct("MemoryConfigStore")
            .field("servers", &servers)
            .field("key_rings", &key_rings)
            .finish()
    }
}

impl ConfigStore for MemoryConfigStore {
    async fn servers(&self) -> Result<Vec<AuthorizationServer>, StoreError> {
        let state = self.read();
        let mut entries: Vec<&ServerEntry> = state.servers.values().collect();
        entries.sort_unstable_by_key(|entry| entry.sequence);
        Ok(entries.into_iter().map(|entry| entry.config.server.clone()).collect())
    }

    async fn load(&self, id: &str) -> Result<Option<ServerConfig>, StoreError> {
        Ok(self.read().servers.get(id).map(|entry| entry.config.clone()))
    }

    async fn create(&self, config: ServerConfig, keys: KeyRing) -> Result<(), StoreError> {
        let mut state = self.write();
        let State {
            servers,
            keys: key_rings,
            next_sequence,
        } = &mut *state;
        let id = config.server.id.clone();
        // The key map follows the server map, but check both: nothing is written on a conflict.
        if key_rings.contains_key(&id) {
            return Err(StoreError::Conflict);
        }
        match servers.entry(id.clone()) {
            Entry::Occupied(_) => Err(StoreError::Conflict),
            Entry::Vacant(slot) => {
                slot.insert(ServerEntry {
                    config,
                    sequence: *next_sequence,
                });
                *next_sequence = next_sequence.wrapping_add(1);
                key_rings.insert(id, keys);
                Ok(())
            }
        }
    }

    async fn save(&self, mut config: ServerConfig, expected_revision: u64) -> Result<Saved, StoreError> {
        let mut state = self.write();
        let Some(entry) = state.servers.get_mut(&config.server.id) else {
            return Ok(Saved::Missing);
        };
        if entry.config.revision != expected_revision {
            return Ok(Saved::Stale);
        }
        let revision = expected_revision
            .checked_add(1)
            .ok_or_else(|| StoreError::Other(Box::new(RevisionOverflow)))?;
        config.revision = revision;
        entry.config = config;
        Ok(Saved::Saved { revision })
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let mut state = self.write();
        let had_keys = state.keys.remove(id).is_some();
        let had_config = state.servers.remove(id).is_some();
        Ok(had_config || had_keys)
    }

    async fn revisions(&self, id: &str) -> Result<Option<Revisions>, StoreError> {
        let state = self.read();
        let config = state.servers.get(id).map(|entry| entry.config.revision);
        let keys = state.keys.get(id).map(KeyRing::revision);
        Ok(config.zip(keys).map(|(config, keys)| Revisions { config, keys }))
    }

    async fn key_ring(&self, id: &str) -> Result<Option<KeyRing>, StoreError> {
        Ok(self.read().keys.get(id).cloned())
    }

    async fn save_key_ring(&self, id: &str, ring: KeyRing, expected_revision: u64) -> Result<Saved, StoreError> {
        let mut state = self.write();
        let Some(stored) = state.keys.get_mut(id) else {
            return Ok(Saved::Missing);
        };
        if stored.revision() != expected_revision {
            return Ok(Saved::Stale);
        }
        let revision = ring.revision();
        *stored = ring;
        Ok(Saved::Saved { revision })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::*;
    use crate::jose::Algorithm;
    use crate::keys::{KeyMaterial, NewKey, PrivateKey, RotationSettings, SoftwareKeys};
    use crate::model::RotationMode;

    const NOW: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

    fn config(id: &str, description: &str) -> ServerConfig {
        serde_json::from_value(json!({
            "server": {
                "id": id,
                "name": "Store test server",
                "description": description,
                "audiences": ["api://store-test"],
                "issuerMode": "ORG_URL",
                "status": "ACTIVE"
            },
            "policies": [{
                "policy": {
                    "type": "OAUTH_AUTHORIZATION_POLICY", "id": "00p1", "status": "ACTIVE",
                    "name": "Default Policy", "priority": 1,
                    "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
                },
                "rules": [{"name": "Default rule", "id": "0pr1", "priority": 1}]
            }],
            "scopes": [{"id": "scp1", "name": "orders:read"}],
            "claims": [{
                "id": "ocl1", "name": "dept", "status": "ACTIVE", "claimType": "RESOURCE",
                "valueType": "EXPRESSION", "value": "user.department",
                "alwaysIncludeInToken": true, "conditions": {"scopes": []}
            }],
            "revision": 0,
            "changedAt": "2025-01-01T12:00:00.000Z"
        }))
        .expect("the test configuration is valid")
    }

    fn new_key() -> NewKey {
        SoftwareKeys.generate(Algorithm::EdDSA).expect("Ed25519 key generation")
    }

    fn ring() -> KeyRing {
        KeyRing::new(
            new_key(),
            new_key(),
            RotationMode::Manual,
            &RotationSettings::default(),
            NOW,
        )
    }

    fn rotated(ring: &KeyRing, minutes: i64) -> KeyRing {
        let mut ring = ring.clone();
        ring.rotate(
            new_key(),
            &RotationSettings::default(),
            NOW + time::Duration::minutes(minutes),
        );
        ring
    }

    #[tokio::test]
    async fn create_load_save_delete() {
        let store = MemoryConfigStore::new();
        let keys = ring();
        store.create(config("aus1", "first"), keys.clone()).await.unwrap();
        assert_eq!(store.load("aus1").await.unwrap(), Some(config("aus1", "first")));
        assert_eq!(store.key_ring("aus1").await.unwrap(), Some(keys.clone()));
        assert!(store.load("aus2").await.unwrap().is_none());

        assert!(matches!(
            store.create(config("aus1", "again"), ring()).await,
            Err(StoreError::Conflict)
        ));
        assert_eq!(
            store.load("aus1").await.unwrap().unwrap().server.description.as_deref(),
            Some("first")
        );
        assert_eq!(store.key_ring("aus1").await.unwrap(), Some(keys));

        assert!(store.delete("aus1").await.unwrap());
        assert!(!store.delete("aus1").await.unwrap());
        assert!(store.load("aus1").await.unwrap().is_none());
        assert!(store.key_ring("aus1").await.unwrap().is_none());
        assert_eq!(format!("{store:?}"), "MemoryConfigStore { servers: 0, key_rings: 0 }");
    }

    #[tokio::test]
    async fn save_overwrites_the_callers_revision() {
        let store = MemoryConfigStore::new();
        store.create(config("aus1", "v0"), ring()).await.unwrap();
        let mut changed = config("aus1", "v1");
        changed.revision = 41;
        assert_eq!(store.save(changed, 0).await.unwrap(), Saved::Saved { revision: 1 });
        let stored = store.load("aus1").await.unwrap().unwrap();
        assert_eq!(stored.revision, 1);
        assert_eq!(stored.server.description.as_deref(), Some("v1"));
        assert_eq!(store.save(config("aus1", "late"), 0).await.unwrap(), Saved::Stale);
        assert_eq!(store.save(config("aus9", "x"), 0).await.unwrap(), Saved::Missing);
        assert!(store.load("aus9").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn revision_overflow_is_an_error_not_a_panic() {
        let store = MemoryConfigStore::new();
        let mut at_max = config("aus1", "max");
        at_max.revision = u64::MAX;
        store.create(at_max, ring()).await.unwrap();
        assert!(matches!(
            store.save(config("aus1", "next"), u64::MAX).await,
            Err(StoreError::Other(_))
        ));
        let stored = store.load("aus1").await.unwrap().unwrap();
        assert_eq!(stored.revision, u64::MAX);
        assert_eq!(stored.server.description.as_deref(), Some("max"));
    }

    #[tokio::test]
    async fn key_ring_cas_and_independence_from_config() {
        let store = MemoryConfigStore::new();
        let original = ring();
        store.create(config("aus1", "v0"), original.clone()).await.unwrap();
        let next = rotated(&original, 1);
        assert_eq!(
            store.save_key_ring("aus1", next.clone(), 0).await.unwrap(),
            Saved::Saved { revision: 1 }
        );
        assert_eq!(
            store.save_key_ring("aus1", rotated(&original, 2), 0).await.unwrap(),
            Saved::Stale
        );
        assert_eq!(store.key_ring("aus1").await.unwrap(), Some(next));
        // Rotating keys is not a configuration change.
        assert_eq!(store.load("aus1").await.unwrap().unwrap().revision, 0);
        assert_eq!(
            store.save_key_ring("aus9", rotated(&original, 3), 0).await.unwrap(),
            Saved::Missing
        );
        assert!(store.key_ring("aus9").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn servers_are_listed_in_creation_order() {
        let store = MemoryConfigStore::new();
        for id in ["ausC", "ausA", "ausB"] {
            store.create(config(id, id), ring()).await.unwrap();
        }
        let _ = store.save(config("ausC", "changed"), 0).await.unwrap();
        assert!(store.delete("ausA").await.unwrap());
        store.create(config("ausA", "again"), ring()).await.unwrap();
        let ids: Vec<String> = store.servers().await.unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["ausC", "ausB", "ausA"]);
    }

    #[tokio::test]
    async fn debug_shows_counts_only() {
        let store = MemoryConfigStore::new();
        let keys = ring();
        store.create(config("aus-secret-id", "d"), keys.clone()).await.unwrap();
        let shown = format!("{store:?}");
        assert_eq!(shown, "MemoryConfigStore { servers: 1, key_rings: 1 }");
        for key in keys.keys() {
            assert!(!shown.contains(&key.kid));
            let PrivateKey::Pkcs8 { der } = &key.private else {
                panic!("software keys are PKCS#8");
            };
            assert!(!shown.contains(&crate::jose::b64_encode(der.as_slice())));
        }
    }

    #[tokio::test]
    async fn poisoned_lock_is_recovered() {
        let store = Arc::new(MemoryConfigStore::new());
        store.create(config("aus1", "v0"), ring()).await.unwrap();
        let poisoner = Arc::clone(&store);
        let panicked = std::thread::spawn(move || {
            let _guard = poisoner.state.write();
            panic!("poison the lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(store.state.is_poisoned());
        assert_eq!(
            store.save(config("aus1", "v1"), 0).await.unwrap(),
            Saved::Saved { revision: 1 }
        );
        assert_eq!(store.servers().await.unwrap().len(), 1);
        assert_eq!(format!("{store:?}"), "MemoryConfigStore { servers: 1, key_rings: 1 }");
    }

    /// 32 tasks on a multi-threaded runtime save one configuration, all expecting the same
    /// revision: exactly one wins, and the stored document is the winner's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn threads_race_to_save_and_one_wins() {
        const RACERS: usize = 32;
        for _round in 0..20 {
            let store = Arc::new(MemoryConfigStore::new());
            store.create(config("aus1", "v0"), ring()).await.unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
            let tasks: Vec<_> = (0..RACERS)
                .map(|i| {
                    let store = Arc::clone(&store);
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        barrier.wait().await;
                        store.save(config("aus1", &format!("racer {i}")), 0).await
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for (i, task) in tasks.into_iter().enumerate() {
                match task.await.unwrap().unwrap() {
                    Saved::Saved { revision } => {
                        assert_eq!(revision, 1);
                        winners.push(i);
                    }
                    Saved::Stale => {}
                    Saved::Missing => panic!("a racer found the server missing"),
                }
            }
            assert_eq!(winners.len(), 1, "exactly one save must win");
            let stored = store.load("aus1").await.unwrap().unwrap();
            assert_eq!(stored.revision, 1);
            assert_eq!(stored.server.description, Some(format!("racer {}", winners[0])));
        }
    }

    /// The same race on the key ring.
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn threads_race_to_save_the_key_ring_and_one_wins() {
        const RACERS: usize = 32;
        let original = ring();
        let candidates: Vec<KeyRing> = (0..RACERS).map(|i| rotated(&original, i as i64 + 1)).collect();
        for _round in 0..10 {
            let store = Arc::new(MemoryConfigStore::new());
            store.create(config("aus1", "v0"), original.clone()).await.unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
            let tasks: Vec<_> = candidates
                .iter()
                .cloned()
                .map(|candidate| {
                    let store = Arc::clone(&store);
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        barrier.wait().await;
                        store.save_key_ring("aus1", candidate, 0).await
                    })
                })
                .collect();
            let mut winners = Vec::new();
            for (i, task) in tasks.into_iter().enumerate() {
                match task.await.unwrap().unwrap() {
                    Saved::Saved { revision } => {
                        assert_eq!(revision, 1);
                        winners.push(i);
                    }
                    Saved::Stale => {}
                    Saved::Missing => panic!("a racer found the key ring missing"),
                }
            }
            assert_eq!(winners.len(), 1, "exactly one key ring save must win");
            assert_eq!(
                store.key_ring("aus1").await.unwrap().as_ref(),
                Some(&candidates[winners[0]])
            );
        }
    }

    #[cfg(feature = "testkit")]
    #[tokio::test]
    async fn conforms_to_the_config_store_contract() {
        crate::testkit::config::run_all(MemoryConfigStore::new).await;
    }

    #[cfg(feature = "testkit")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn conforms_on_a_multi_threaded_runtime() {
        // Spawning also proves the suite's futures are `Send`.
        tokio::spawn(crate::testkit::config::run_all(MemoryConfigStore::new))
            .await
            .unwrap();
    }
}

//! Conformance suite for [`ConfigStore`] implementations.
//!
//! Each function takes a fresh, empty store, exercises one part of the contract documented on
//! [`ConfigStore`], and panics with a message naming the violated rule. Run them all with
//! [`run_all`]:
//!
//! ```
//! # async fn check() {
//! use authserver::store::memory::MemoryConfigStore;
//! authserver::testkit::config::run_all(MemoryConfigStore::new).await;
//! # }
//! # futures::executor::block_on(check());
//! ```
//!
//! The documents the suite stores use whole-second timestamps, so a store that persists
//! [`ServerConfig`] as JSON (Okta's timestamps keep milliseconds) and [`KeyRing`] through its
//! serde form reads back values equal to those written. Server ids start with `aus-testkit-`.

use std::sync::Arc;

use futures::future::join_all;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::FixedKeys;
use crate::jose::Algorithm;
use crate::keys::{KeyMaterial, KeyRing, NewKey, RotationSettings};
use crate::model::RotationMode;
use crate::store::StoreError;
use crate::store::config::{ConfigStore, Revisions, Saved, ServerConfig};

/// How many concurrent callers the race checks use.
pub const RACERS: usize = 32;

const NOW: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

/// A complete configuration: a server with one policy and rule, a scope and a claim.
fn config(id: &str, description: &str) -> ServerConfig {
    let value = json!({
        "server": {
            "id": id,
            "name": format!("Testkit server {id}"),
            "description": description,
            "audiences": ["api://testkit"],
            "issuerMode": "ORG_URL",
            "status": "ACTIVE",
            "created": "2025-01-01T12:00:00.000Z",
            "lastUpdated": "2025-01-01T12:00:00.000Z"
        },
        "policies": [{
            "policy": {
                "type": "OAUTH_AUTHORIZATION_POLICY", "id": "00p-testkit", "status": "ACTIVE",
                "name": "Testkit policy", "description": "Every client", "priority": 1,
                "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
            },
            "rules": [{
                "type": "RESOURCE_ACCESS", "id": "0pr-testkit", "status": "ACTIVE",
                "name": "Testkit rule", "priority": 1, "system": false,
                "conditions": {
                    "people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
                    "grantTypes": {"include": ["authorization_code", "client_credentials"]},
                    "scopes": {"include": ["*"]}
                },
                "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                                      "refreshTokenWindowMinutes": 10080}}
            }]
        }],
        "scopes": [{"id": "scp-testkit", "name": "orders:read", "description": "Read orders"}],
        "claims": [{
            "id": "ocl-testkit", "name": "department", "status": "ACTIVE", "claimType": "RESOURCE",
            "valueType": "EXPRESSION", "value": "user.department", "alwaysIncludeInToken": true,
            "conditions": {"scopes": ["orders:read"]}, "system": false
        }],
        "revision": 0,
        "changedAt": "2025-01-01T12:00:00.000Z"
    });
    match serde_json::from_value(value) {
        Ok(config) => config,
        Err(error) => panic!("testkit: the fixture configuration does not parse: {error}"),
    }
}

fn new_key(keys: &FixedKeys) -> NewKey {
    match keys.generate(Algorithm::EdDSA) {
        Ok(key) => key,
        Err(error) => panic!("testkit: a fixed key failed to load: {error}"),
    }
}

fn ring(keys: &FixedKeys) -> KeyRing {
    KeyRing::new(
        new_key(keys),
        new_key(keys),
        RotationMode::Auto,
        &RotationSettings::default(),
        NOW,
    )
}

/// `ring` rotated `minutes` after [`NOW`] with `next` as the new `NEXT` key: each `minutes`
/// gives a distinct ring of the next revision. `next` must not be in `ring` already (key ids in
/// a ring are distinct).
fn rotated(ring: &KeyRing, next: &NewKey, minutes: i64) -> KeyRing {
    let next = NewKey {
        private: next.private.clone(),
        signer: Arc::clone(&next.signer),
    };
    let mut ring = ring.clone();
    ring.rotate(next, &RotationSettings::default(), NOW + Duration::minutes(minutes));
    ring
}

fn ok<T>(result: Result<T, StoreError>, operation: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("ConfigStore: {operation} failed: {error:?}"),
    }
}

async fn create<S: ConfigStore>(store: &S, config: ServerConfig, keys: KeyRing) {
    ok(store.create(config, keys).await, "create");
}

async fn load<S: ConfigStore>(store: &S, id: &str) -> Option<ServerConfig> {
    ok(store.load(id).await, "load")
}

async fn key_ring<S: ConfigStore>(store: &S, id: &str) -> Option<KeyRing> {
    ok(store.key_ring(id).await, "key_ring")
}

async fn revisions<S: ConfigStore>(store: &S, id: &str) -> Option<Revisions> {
    ok(store.revisions(id).await, "revisions")
}

async fn server_ids<S: ConfigStore>(store: &S) -> Vec<String> {
    ok(store.servers().await, "servers")
        .into_iter()
        .map(|server| server.id)
        .collect()
}

/// A created server loads back exactly as given (revision included), with its key ring; an
/// unknown id loads as `None`.
pub async fn create_then_load_round_trips<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    let mut given = config("aus-testkit-1", "round trip");
    given.revision = 7;
    let given_ring = ring(&keys);
    create(store, given.clone(), given_ring.clone()).await;
    assert_eq!(
        load(store, "aus-testkit-1").await,
        Some(given),
        "ConfigStore: load must return the created configuration unchanged, its revision as given"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-1").await,
        Some(given_ring),
        "ConfigStore: key_ring must return the key ring given to create, unchanged"
    );
    assert_eq!(
        load(store, "aus-testkit-unknown").await,
        None,
        "ConfigStore: an unknown server must load as None"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-unknown").await,
        None,
        "ConfigStore: an unknown server must have no key ring"
    );
}

/// Creating a server whose id exists is a [`StoreError::Conflict`] that writes nothing: the
/// original configuration and key ring stay.
pub async fn create_existing_is_a_conflict<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    let original = config("aus-testkit-1", "original");
    let original_ring = ring(&keys);
    create(store, original.clone(), original_ring.clone()).await;
    let outcome = store.create(config("aus-testkit-1", "intruder"), ring(&keys)).await;
    assert!(
        matches!(outcome, Err(StoreError::Conflict)),
        "ConfigStore: creating an existing server id must be a Conflict, got {outcome:?}"
    );
    assert_eq!(
        load(store, "aus-testkit-1").await,
        Some(original),
        "ConfigStore: a conflicting create must not change the stored configuration"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-1").await,
        Some(original_ring),
        "ConfigStore: a conflicting create must not change the stored key ring"
    );
    assert_eq!(
        server_ids(store).await,
        ["aus-testkit-1"],
        "ConfigStore: a conflicting create must not add a server"
    );
}

/// [`ConfigStore::save`] is a compare-and-swap: with the stored revision it writes the document
/// with revision + 1 (whatever revision the caller's struct carries); with any other revision
/// it answers [`Saved::Stale`] and writes nothing; for an unknown server it answers
/// [`Saved::Missing`] and creates nothing.
pub async fn save_is_compare_and_swap<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    create(store, config("aus-testkit-1", "v0"), ring(&keys)).await;

    let mut first = config("aus-testkit-1", "v1");
    first.revision = 99;
    first.changed_at = NOW + Duration::minutes(1);
    assert_eq!(
        ok(store.save(first.clone(), 0).await, "save"),
        Saved::Saved { revision: 1 },
        "ConfigStore: a save with the stored revision must succeed with revision + 1"
    );
    first.revision = 1;
    assert_eq!(
        load(store, "aus-testkit-1").await,
        Some(first.clone()),
        "ConfigStore: a successful save must store the document with revision expected + 1, \
         replacing the revision the caller put in it"
    );

    for wrong in [0, 2, 100] {
        let outcome = ok(store.save(config("aus-testkit-1", "stale"), wrong).await, "save");
        assert_eq!(
            outcome,
            Saved::Stale,
            "ConfigStore: a save expecting revision {wrong} when 1 is stored must be Stale"
        );
    }
    assert_eq!(
        load(store, "aus-testkit-1").await,
        Some(first.clone()),
        "ConfigStore: a stale save must not change the stored configuration"
    );

    let mut second = config("aus-testkit-1", "v2");
    second.changed_at = NOW + Duration::minutes(2);
    assert_eq!(
        ok(store.save(second.clone(), 1).await, "save"),
        Saved::Saved { revision: 2 },
        "ConfigStore: a second save must succeed with revision 2"
    );
    second.revision = 2;
    assert_eq!(load(store, "aus-testkit-1").await, Some(second));

    assert_eq!(
        ok(store.save(config("aus-testkit-unknown", "ghost"), 0).await, "save"),
        Saved::Missing,
        "ConfigStore: saving an unknown server must answer Missing"
    );
    assert_eq!(
        load(store, "aus-testkit-unknown").await,
        None,
        "ConfigStore: saving an unknown server must not create it"
    );
    assert_eq!(
        server_ids(store).await,
        ["aus-testkit-1"],
        "ConfigStore: saving an unknown server must not add it to servers()"
    );
}

/// [`RACERS`] concurrent saves all expecting the same revision: exactly one is
/// [`Saved::Saved`], all others [`Saved::Stale`], and the stored document is the winner's.
pub async fn concurrent_saves_have_one_winner<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    create(store, config("aus-testkit-race", "v0"), ring(&keys)).await;
    let outcomes =
        join_all((0..RACERS).map(|i| store.save(config("aus-testkit-race", &format!("racer {i}")), 0))).await;
    let mut winners = Vec::new();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match ok(outcome, "save") {
            Saved::Saved { revision } => {
                assert_eq!(revision, 1, "ConfigStore: the winning save must store revision 1");
                winners.push(i);
            }
            Saved::Stale => {}
            Saved::Missing => panic!("ConfigStore: a concurrent save found an existing server Missing"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "ConfigStore: exactly one of {RACERS} concurrent saves expecting the same revision must win, {} did",
        winners.len()
    );
    let stored = load(store, "aus-testkit-race").await;
    let stored = stored.unwrap_or_else(|| panic!("ConfigStore: the raced server disappeared"));
    assert_eq!(stored.revision, 1, "ConfigStore: after the race the revision must be 1");
    assert_eq!(
        stored.server.description,
        Some(format!("racer {}", winners[0])),
        "ConfigStore: the stored document must be the winning save's"
    );
}

/// [`ConfigStore::save_key_ring`] is a compare-and-swap on [`KeyRing::revision`]: the ring is
/// stored as given when the stored ring has the expected revision, otherwise
/// [`Saved::Stale`] changes nothing; an unknown server is [`Saved::Missing`]. Saving keys does
/// not touch the configuration (key rotation is not a configuration change).
pub async fn key_ring_save_is_compare_and_swap<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    let original = ring(&keys);
    let created = config("aus-testkit-1", "keys");
    create(store, created.clone(), original.clone()).await;

    let first = rotated(&original, &new_key(&keys), 1);
    assert_eq!(
        ok(
            store.save_key_ring("aus-testkit-1", first.clone(), 0).await,
            "save_key_ring"
        ),
        Saved::Saved { revision: 1 },
        "ConfigStore: saving a rotated ring over the ring it came from must succeed with the \
         new ring's revision"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-1").await,
        Some(first.clone()),
        "ConfigStore: a saved key ring must be stored as given"
    );

    let lost = rotated(&original, &new_key(&keys), 2);
    assert_eq!(
        ok(store.save_key_ring("aus-testkit-1", lost, 0).await, "save_key_ring"),
        Saved::Stale,
        "ConfigStore: saving a ring over a revision no longer stored must be Stale"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-1").await,
        Some(first.clone()),
        "ConfigStore: a stale key ring save must not change the stored ring"
    );

    let second = rotated(&first, &new_key(&keys), 3);
    assert_eq!(
        ok(
            store.save_key_ring("aus-testkit-1", second.clone(), 1).await,
            "save_key_ring"
        ),
        Saved::Saved { revision: 2 },
        "ConfigStore: a second rotation must be saved with revision 2"
    );
    assert_eq!(key_ring(store, "aus-testkit-1").await, Some(second));

    assert_eq!(
        load(store, "aus-testkit-1").await,
        Some(created),
        "ConfigStore: saving the key ring must not change the configuration or its revision"
    );
    assert_eq!(
        ok(
            store
                .save_key_ring("aus-testkit-unknown", rotated(&original, &new_key(&keys), 4), 0)
                .await,
            "save_key_ring"
        ),
        Saved::Missing,
        "ConfigStore: saving the key ring of an unknown server must answer Missing"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-unknown").await,
        None,
        "ConfigStore: saving the key ring of an unknown server must not store it"
    );
}

/// [`RACERS`] concurrent key ring saves, each a different rotation of the same ring: exactly
/// one is [`Saved::Saved`], and the stored ring is the winner's.
pub async fn concurrent_key_ring_saves_have_one_winner<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    let original = ring(&keys);
    create(store, config("aus-testkit-race", "keys"), original.clone()).await;
    // One new key for every candidate (the fixed keys repeat after a few): the candidates
    // differ in their rotation time.
    let next = new_key(&keys);
    let candidates: Vec<KeyRing> = (1..=RACERS)
        .map(|i| rotated(&original, &next, i64::try_from(i).unwrap_or(i64::MAX)))
        .collect();
    let outcomes = join_all(
        candidates
            .iter()
            .map(|candidate| store.save_key_ring("aus-testkit-race", candidate.clone(), 0)),
    )
    .await;
    let mut winners = Vec::new();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match ok(outcome, "save_key_ring") {
            Saved::Saved { revision } => {
                assert_eq!(
                    revision, 1,
                    "ConfigStore: the winning key ring save must report revision 1"
                );
                winners.push(i);
            }
            Saved::Stale => {}
            Saved::Missing => {
                panic!("ConfigStore: a concurrent key ring save found an existing server Missing")
            }
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "ConfigStore: exactly one of {RACERS} concurrent key ring saves expecting the same revision must win, {} did",
        winners.len()
    );
    assert_eq!(
        key_ring(store, "aus-testkit-race").await.as_ref(),
        Some(&candidates[winners[0]]),
        "ConfigStore: the stored key ring must be the winning save's"
    );
}

/// Deleting a server removes its configuration and its keys and leaves other servers alone;
/// deleting it again answers `false`; afterwards saves answer [`Saved::Missing`] and the id can
/// be created anew.
pub async fn delete_removes_config_and_keys<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    let kept = config("aus-testkit-kept", "kept");
    let kept_ring = ring(&keys);
    create(store, config("aus-testkit-gone", "gone"), ring(&keys)).await;
    create(store, kept.clone(), kept_ring.clone()).await;

    assert!(
        ok(store.delete("aus-testkit-gone").await, "delete"),
        "ConfigStore: deleting an existing server must answer true"
    );
    assert_eq!(
        load(store, "aus-testkit-gone").await,
        None,
        "ConfigStore: a deleted server's configuration must be gone"
    );
    assert_eq!(
        key_ring(store, "aus-testkit-gone").await,
        None,
        "ConfigStore: a deleted server's key ring must be gone"
    );
    assert!(
        !ok(store.delete("aus-testkit-gone").await, "delete"),
        "ConfigStore: deleting a deleted server must answer false"
    );
    assert!(
        !ok(store.delete("aus-testkit-never").await, "delete"),
        "ConfigStore: deleting an unknown server must answer false"
    );
    assert_eq!(
        ok(store.save(config("aus-testkit-gone", "zombie"), 0).await, "save"),
        Saved::Missing,
        "ConfigStore: saving a deleted server must answer Missing"
    );
    assert_eq!(
        ok(
            store.save_key_ring("aus-testkit-gone", ring(&keys), 0).await,
            "save_key_ring"
        ),
        Saved::Missing,
        "ConfigStore: saving a deleted server's key ring must answer Missing"
    );
    assert_eq!(
        load(store, "aus-testkit-kept").await,
        Some(kept),
        "ConfigStore: deleting one server must not touch another"
    );
    assert_eq!(key_ring(store, "aus-testkit-kept").await, Some(kept_ring));
    assert_eq!(server_ids(store).await, ["aus-testkit-kept"]);

    let reborn = config("aus-testkit-gone", "reborn");
    let reborn_ring = ring(&keys);
    create(store, reborn.clone(), reborn_ring.clone()).await;
    assert_eq!(
        load(store, "aus-testkit-gone").await,
        Some(reborn),
        "ConfigStore: a deleted id must be creatable again"
    );
    assert_eq!(key_ring(store, "aus-testkit-gone").await, Some(reborn_ring));
}

/// [`ConfigStore::servers`] lists servers in creation order (not by id), unaffected by saves;
/// a server created again after deletion comes last.
pub async fn servers_in_creation_order<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    assert!(
        server_ids(store).await.is_empty(),
        "ConfigStore: a fresh store must list no servers"
    );
    let ids = ["aus-testkit-c", "aus-testkit-a", "aus-testkit-d", "aus-testkit-b"];
    for id in ids {
        create(store, config(id, id), ring(&keys)).await;
    }
    assert_eq!(
        server_ids(store).await,
        ids,
        "ConfigStore: servers() must list servers in creation order"
    );
    let _ = ok(store.save(config("aus-testkit-c", "changed"), 0).await, "save");
    let listed = ok(store.servers().await, "servers");
    assert_eq!(
        listed.iter().map(|server| server.id.as_str()).collect::<Vec<_>>(),
        ids,
        "ConfigStore: a save must not move a server in servers()"
    );
    assert_eq!(
        listed[0].description.as_deref(),
        Some("changed"),
        "ConfigStore: servers() must list the saved server object"
    );
    assert!(ok(store.delete("aus-testkit-a").await, "delete"));
    create(store, config("aus-testkit-a", "again"), ring(&keys)).await;
    assert_eq!(
        server_ids(store).await,
        ["aus-testkit-c", "aus-testkit-d", "aus-testkit-b", "aus-testkit-a"],
        "ConfigStore: a server created again after deletion must come last in servers()"
    );
}

/// `revisions` reports the stored configuration and key-ring revisions as saves move them, and
/// `None` for an unknown or deleted server.
pub async fn revisions_follow_saves<S: ConfigStore>(store: &S) {
    let keys = FixedKeys::new();
    let original = ring(&keys);
    assert_eq!(
        revisions(store, "aus-testkit-rev").await,
        None,
        "ConfigStore: an unknown server has no revisions"
    );
    create(store, config("aus-testkit-rev", "v0"), original.clone()).await;
    assert_eq!(
        revisions(store, "aus-testkit-rev").await,
        Some(Revisions { config: 0, keys: 0 })
    );
    let saved = ok(store.save(config("aus-testkit-rev", "v1"), 0).await, "save");
    assert_eq!(saved, Saved::Saved { revision: 1 });
    assert_eq!(
        revisions(store, "aus-testkit-rev").await,
        Some(Revisions { config: 1, keys: 0 }),
        "ConfigStore: a configuration save must move the configuration revision only"
    );
    let next = rotated(&original, &new_key(&keys), 1);
    let keys_revision = next.revision();
    let saved = ok(store.save_key_ring("aus-testkit-rev", next, 0).await, "save_key_ring");
    assert_eq!(
        saved,
        Saved::Saved {
            revision: keys_revision
        }
    );
    assert_eq!(
        revisions(store, "aus-testkit-rev").await,
        Some(Revisions {
            config: 1,
            keys: keys_revision
        }),
        "ConfigStore: a key-ring save must move the key-ring revision only"
    );
    assert!(ok(store.delete("aus-testkit-rev").await, "delete"));
    assert_eq!(
        revisions(store, "aus-testkit-rev").await,
        None,
        "ConfigStore: a deleted server has no revisions"
    );
}

/// Runs every check, each against a fresh store from `make`.
pub async fn run_all<S: ConfigStore + 'static>(make: impl Fn() -> S) {
    run_all_async(|| std::future::ready(make())).await;
}

/// Runs every check, each against a fresh store that `make` opens: for stores whose opening is
/// asynchronous (a new database per check).
pub async fn run_all_async<S, M, F>(make: M)
where
    S: ConfigStore + 'static,
    M: Fn() -> F,
    F: std::future::Future<Output = S>,
{
    create_then_load_round_trips(&make().await).await;
    revisions_follow_saves(&make().await).await;
    create_existing_is_a_conflict(&make().await).await;
    save_is_compare_and_swap(&make().await).await;
    concurrent_saves_have_one_winner(&make().await).await;
    key_ring_save_is_compare_and_swap(&make().await).await;
    concurrent_key_ring_saves_have_one_winner(&make().await).await;
    delete_removes_config_and_keys(&make().await).await;
    servers_in_creation_order(&make().await).await;
}

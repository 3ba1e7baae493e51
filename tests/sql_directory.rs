//! The SQL directory against SQLite and PostgreSQL: the conformance suite
//! (`testkit::directory`), the client cache across instances, sealed `client_secret_jwt` keys
//! and their resealing after a KEK rotation, and the write methods' semantics and errors.
//!
//! Every test runs on one shared multi-threaded runtime rather than one runtime per test: the
//! support module keeps one PostgreSQL admin pool per test binary, whose connections belong to
//! the runtime that opened them.

mod sql_support;

use std::time::{Duration, Instant};

use authserver::crypto::PasswordHasher;
use authserver::model::{ClientRecord, Group, User};
use authserver::secret::ClientSecret;
use authserver::store::Directory;
use authserver::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
use authserver::store::sql::{SqlDatabase, SqlDirectory, SqlDirectoryError, SqlOptions};
use authserver::testkit::directory::{run_all, sql_directory};
use serde_json::json;
use sql_support::{Databases, block_on, kek, options};

fn hasher() -> PasswordHasher {
    PasswordHasher::with_iterations(1_000)
}

fn user(id: &str, login: &str) -> User {
    serde_json::from_value(json!({
        "id": id, "status": "ACTIVE",
        "profile": {"login": login, "email": login, "firstName": id}
    }))
    .unwrap()
}

fn group(id: &str, name: &str) -> Group {
    serde_json::from_value(json!({"id": id, "type": "OKTA_GROUP", "profile": {"name": name}})).unwrap()
}

fn client(id: &str, name: &str) -> ClientRecord {
    serde_json::from_value(json!({
        "client_id": id, "client_name": name,
        "redirect_uris": ["https://app.example/cb"]
    }))
    .unwrap()
}

/// Options under which the revision watch never polls after connecting and stays trusted, so
/// that round trips can be counted exactly.
/// No revision polls, and no connection checks, so that round trips count statements alone.
fn quiet_options() -> SqlOptions {
    let mut options = options();
    options.refresh_interval = Duration::from_secs(3_600);
    options.stale_after = Duration::from_secs(3_600);
    options.test_before_acquire = false;
    options
}

async fn connect(url: &str, keys: KeyEncryptionKeys, options: SqlOptions) -> SqlDatabase {
    SqlDatabase::connect_with(url, keys, options)
        .await
        .unwrap_or_else(|error| panic!("cannot open {url}: {error:?}"))
}

/// A connection of the test's own to a database, to look at what is stored.
struct Raw(sqlx::AnyPool);

impl Raw {
    async fn open(url: &str) -> Self {
        sqlx::any::install_default_drivers();
        Self(sqlx::AnyPool::connect(url).await.expect("a raw connection"))
    }

    async fn counter(&self) -> i64 {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'directory'")
            .fetch_one(&self.0)
            .await
            .expect("the directory counter")
    }

    async fn sealed(&self, client_id: &str) -> Option<String> {
        sqlx::query_scalar("SELECT sealed FROM client_secret_jwt_keys WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(&self.0)
            .await
            .expect("a sealed key")
    }

    async fn execute(&self, sql: &str, binds: &[&str]) {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(*bind);
        }
        query.execute(&self.0).await.expect("a raw statement");
    }
}

async fn ids_of_groups(directory: &SqlDirectory, user_id: &str) -> Vec<String> {
    directory
        .user_groups(user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|group| group.id)
        .collect()
}

async fn client_ids(directory: &SqlDirectory) -> Vec<String> {
    directory
        .clients()
        .await
        .unwrap()
        .into_iter()
        .map(|record| record.client.client_id)
        .collect()
}

#[test]
fn sql_directory_passes_the_conformance_suite() {
    block_on(async {
        for databases in Databases::all() {
            eprintln!("directory suite on {}", databases.name());
            let databases = &databases;
            run_all(
                |fixture| async move { sql_directory(databases.fresh().await.directory(hasher()), &fixture).await },
            )
            .await;
        }
    });
}

#[test]
fn a_cached_client_costs_no_round_trip_and_local_changes_show_at_once() {
    block_on(async {
        for databases in Databases::all() {
            let name = databases.name();
            let url = databases.fresh_url().await;
            let db = connect(&url, kek(), quiet_options()).await;
            let directory = db.directory(hasher());
            directory.put_client(client("c1", "One")).await.unwrap();

            let before = db.round_trips();
            assert_eq!(
                directory.client("c1").await.unwrap().as_deref(),
                Some(&client("c1", "One"))
            );
            assert_eq!(
                db.round_trips(),
                before + 1,
                "{name}: the first read goes to the database"
            );
            for _ in 0..3 {
                assert_eq!(
                    directory.client("c1").await.unwrap().as_deref(),
                    Some(&client("c1", "One"))
                );
            }
            assert_eq!(db.round_trips(), before + 1, "{name}: later reads come from the cache");

            let before = db.round_trips();
            assert_eq!(directory.client("c-unknown").await.unwrap(), None);
            assert_eq!(directory.client("c-unknown").await.unwrap(), None);
            assert_eq!(db.round_trips(), before + 2, "{name}: unknown clients are not cached");

            // Another directory of the same database has its own cache but shares the counter.
            let other = db.directory(hasher());
            assert_eq!(other.client("c1").await.unwrap().as_deref(), Some(&client("c1", "One")));
            let before = db.round_trips();
            other.client("c1").await.unwrap();
            assert_eq!(db.round_trips(), before, "{name}: the other directory caches too");

            // A local change is seen at once, through either directory.
            directory.put_client(client("c1", "One, renamed")).await.unwrap();
            assert_eq!(
                directory.client("c1").await.unwrap().as_deref(),
                Some(&client("c1", "One, renamed")),
                "{name}"
            );
            assert_eq!(
                other.client("c1").await.unwrap().as_deref(),
                Some(&client("c1", "One, renamed")),
                "{name}: a write through one directory invalidates another's cache"
            );
            // Any directory write invalidates the cache, not only a client's.
            other.add_group(group("g1", "G")).await.unwrap();
            let before = db.round_trips();
            directory.client("c1").await.unwrap();
            assert_eq!(
                db.round_trips(),
                before + 1,
                "{name}: a group write invalidates the cache"
            );
            other.delete_client("c1").await.unwrap();
            assert_eq!(directory.client("c1").await.unwrap(), None, "{name}");

            // When the revision watch is not trusted, every read goes to the database.
            let mut untrusted = quiet_options();
            untrusted.stale_after = Duration::ZERO;
            let stale = connect(&url, kek(), untrusted).await;
            let stale_directory = stale.directory(hasher());
            directory.put_client(client("c2", "Two")).await.unwrap();
            let before = stale.round_trips();
            for _ in 0..3 {
                assert_eq!(
                    stale_directory.client("c2").await.unwrap().as_deref(),
                    Some(&client("c2", "Two"))
                );
            }
            assert_eq!(stale.round_trips(), before + 3, "{name}: a stale watch is not trusted");
        }
    });
}

#[test]
fn another_instance_sees_changes_within_the_refresh_interval() {
    block_on(async {
        for databases in Databases::all() {
            let name = databases.name();
            let url = databases.fresh_url().await;
            let writer = connect(&url, kek(), options()).await.directory(hasher());
            let reader_db = connect(&url, kek(), options()).await;
            let reader = reader_db.directory(hasher());

            writer.put_client(client("c1", "v1")).await.unwrap();
            // Seen by the reader (the client was not cached yet), and cached from then on.
            assert_eq!(
                reader.client("c1").await.unwrap().as_deref(),
                Some(&client("c1", "v1")),
                "{name}"
            );

            let wait_for = |expected: Option<ClientRecord>| {
                let reader = &reader;
                async move {
                    let start = Instant::now();
                    loop {
                        if reader.client("c1").await.unwrap().as_deref() == expected.as_ref() {
                            return start.elapsed();
                        }
                        assert!(
                            start.elapsed() < Duration::from_secs(5),
                            "{name}: the other instance's change was not seen within 5 s"
                        );
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            };

            writer.put_client(client("c1", "v2")).await.unwrap();
            let waited = wait_for(Some(client("c1", "v2"))).await;
            eprintln!("{name}: a replaced client was seen after {waited:?}");
            assert!(waited < Duration::from_secs(2), "{name}: took {waited:?}");

            // The reader caches v2 again, then sees its deletion.
            assert_eq!(reader.client("c1").await.unwrap().as_deref(), Some(&client("c1", "v2")));
            writer.delete_client("c1").await.unwrap();
            let waited = wait_for(None).await;
            assert!(waited < Duration::from_secs(2), "{name}: took {waited:?}");

            // The reader's own writes show at once on the reader.
            reader.put_client(client("c1", "v3")).await.unwrap();
            assert_eq!(
                reader.client("c1").await.unwrap().as_deref(),
                Some(&client("c1", "v3")),
                "{name}"
            );
        }
    });
}

#[test]
fn client_secret_jwt_keys_are_sealed_and_resealed_after_a_kek_rotation() {
    block_on(async {
        for databases in Databases::all() {
            let name = databases.name();
            let url = databases.fresh_url().await;
            let old_kek = KeyEncryptionKey::from_bytes([42; 32]);
            let db = connect(&url, kek(), options()).await;
            let directory = db.directory(hasher());
            let raw = Raw::open(&url).await;

            let first = ClientSecret::generate(&authserver::random::SystemRandom).unwrap();
            let second = ClientSecret::generate(&authserver::random::SystemRandom).unwrap();
            assert!(directory.store_client_secret_jwt_key("c1", Some(&first)).await.unwrap());
            directory
                .set_client_secret_jwt_key("c2", Some(second.clone()))
                .await
                .unwrap();
            assert_eq!(
                directory.client_secret_jwt_key("c1").await.unwrap(),
                Some(first.clone())
            );
            assert_eq!(
                directory.client_secret_jwt_key("c2").await.unwrap(),
                Some(second.clone())
            );
            assert_eq!(directory.client_secret_jwt_key("c3").await.unwrap(), None);

            let stored = raw.sealed("c1").await.expect("c1's key is stored");
            assert!(
                !stored.contains(first.expose()),
                "{name}: the key is not stored in clear"
            );
            assert!(
                stored.starts_with(&format!("v1.{}.", old_kek.id())),
                "{name}: sealed under the KEK: {stored}"
            );

            // A sealed key copied to another client's row does not open there.
            raw.execute(
                "INSERT INTO client_secret_jwt_keys (client_id, sealed) VALUES ($1, $2)",
                &["c-copy", &stored],
            )
            .await;
            assert!(
                directory.client_secret_jwt_key("c-copy").await.is_err(),
                "{name}: a moved key must not open"
            );
            raw.execute("DELETE FROM client_secret_jwt_keys WHERE client_id = $1", &["c-copy"])
                .await;

            // Forgetting a key, and deleting a client, drop it.
            assert!(directory.store_client_secret_jwt_key("c2", None).await.unwrap());
            assert_eq!(directory.client_secret_jwt_key("c2").await.unwrap(), None);
            assert_eq!(raw.sealed("c2").await, None);
            directory.put_client(client("c3", "Three")).await.unwrap();
            directory
                .set_client_secret_jwt_key("c3", Some(second.clone()))
                .await
                .unwrap();
            assert!(directory.delete_client("c3").await.unwrap());
            assert_eq!(directory.client_secret_jwt_key("c3").await.unwrap(), None, "{name}");
            directory
                .set_client_secret_jwt_key("c2", Some(second.clone()))
                .await
                .unwrap();

            // Rotate: a new current KEK, the old one still opening.
            let new_kek = KeyEncryptionKey::from_bytes([43; 32]);
            let rotated = connect(
                &url,
                KeyEncryptionKeys::new(new_kek.clone()).with_previous(old_kek.clone()),
                options(),
            )
            .await;
            let rotated_directory = rotated.directory(hasher());
            assert_eq!(
                rotated_directory.client_secret_jwt_key("c1").await.unwrap(),
                Some(first.clone()),
                "{name}: the previous KEK still opens"
            );
            assert_eq!(rotated.reseal().await.unwrap(), 2, "{name}: both keys are resealed");
            assert_eq!(rotated.reseal().await.unwrap(), 0, "{name}: nothing is left to reseal");
            for client_id in ["c1", "c2"] {
                let stored = raw.sealed(client_id).await.unwrap();
                assert!(stored.starts_with(&format!("v1.{}.", new_kek.id())), "{name}: {stored}");
            }

            // The old KEK can be dropped; it alone no longer opens anything.
            let only_new = connect(&url, KeyEncryptionKeys::new(new_kek), options()).await;
            let only_new = only_new.directory(hasher());
            assert_eq!(only_new.client_secret_jwt_key("c1").await.unwrap(), Some(first));
            assert_eq!(only_new.client_secret_jwt_key("c2").await.unwrap(), Some(second));
            assert!(directory.client_secret_jwt_key("c1").await.is_err(), "{name}");
        }
    });
}

#[test]
fn failed_and_empty_writes_change_nothing_and_writes_bump_the_counter() {
    block_on(async {
        for databases in Databases::all() {
            let name = databases.name();
            let url = databases.fresh_url().await;
            let db = connect(&url, kek(), options()).await;
            let directory = db.directory(hasher());
            let raw = Raw::open(&url).await;

            // Every write that changes something bumps the counter once.
            let mut expected = raw.counter().await;
            macro_rules! bumps {
                ($write:expr) => {{
                    let outcome = $write.await;
                    expected += 1;
                    assert_eq!(raw.counter().await, expected, "{name}: {}", stringify!($write));
                    outcome
                }};
            }
            bumps!(directory.put_client(client("app", "App"))).unwrap();
            bumps!(directory.add_user(user("u1", "Ada@Example.com"), Some("pw1"))).unwrap();
            bumps!(directory.add_user(user("u2", "bob@example.com"), None)).unwrap();
            bumps!(directory.set_password("u2", Some("pw2"))).unwrap();
            bumps!(directory.add_group(group("g1", "G1"))).unwrap();
            bumps!(directory.add_member("g1", "u1")).unwrap();
            bumps!(directory.assign_user("app", "u2")).unwrap();
            bumps!(directory.assign_group("app", "g1")).unwrap();
            bumps!(directory.set_client_secret_jwt_key("app", Some(ClientSecret::from_received("k")))).unwrap();
            assert!(bumps!(directory.store_client_secret_jwt_key("app", None)).unwrap());

            let snapshot = |directory: SqlDirectory| async move {
                (
                    directory.clients().await.unwrap(),
                    directory.user("u1").await.unwrap(),
                    directory.user("u2").await.unwrap(),
                    directory.user("u3").await.unwrap(),
                    directory.user_by_login("ada@example.com").await.unwrap(),
                    ids_of_groups(&directory, "u1").await,
                    directory.is_assigned("app", "u1").await.unwrap(),
                    directory.is_assigned("app", "u2").await.unwrap(),
                    directory
                        .check_password("ada@example.com", "pw1")
                        .await
                        .unwrap()
                        .is_some(),
                    directory
                        .check_password("bob@example.com", "pw2")
                        .await
                        .unwrap()
                        .is_some(),
                )
            };
            let before = snapshot(directory.clone()).await;
            assert!(before.6 && before.7 && before.8 && before.9, "{name}");

            // Refused writes.
            assert!(matches!(
                directory.add_user(user("u3", "ADA@example.com"), Some("x")).await,
                Err(SqlDirectoryError::LoginTaken)
            ));
            assert!(matches!(
                directory.add_user(user("u2", "ada@EXAMPLE.com"), Some("x")).await,
                Err(SqlDirectoryError::LoginTaken)
            ));
            assert!(matches!(
                directory.set_password("u9", Some("x")).await,
                Err(SqlDirectoryError::UnknownUser)
            ));
            assert!(matches!(
                directory.set_password_hash("u9", None).await,
                Err(SqlDirectoryError::UnknownUser)
            ));
            assert!(matches!(
                directory.add_member("g9", "u1").await,
                Err(SqlDirectoryError::UnknownGroup)
            ));
            assert!(matches!(
                directory.add_member("g1", "u9").await,
                Err(SqlDirectoryError::UnknownUser)
            ));
            assert!(matches!(
                directory.assign_user("app", "u9").await,
                Err(SqlDirectoryError::UnknownUser)
            ));
            assert!(matches!(
                directory.assign_group("app", "g9").await,
                Err(SqlDirectoryError::UnknownGroup)
            ));
            // Removals of what is not there, and writes that are already true.
            assert!(!directory.remove_user("u9").await.unwrap());
            assert!(!directory.remove_group("g9").await.unwrap());
            assert!(!directory.remove_member("g1", "u2").await.unwrap());
            assert!(!directory.unassign_user("app", "u1").await.unwrap());
            assert!(!directory.unassign_group("other", "g1").await.unwrap());
            assert!(!directory.delete_client("nope").await.unwrap());
            directory.add_member("g1", "u1").await.unwrap();
            directory.assign_user("app", "u2").await.unwrap();
            directory.assign_group("app", "g1").await.unwrap();
            directory.set_client_secret_jwt_key("nope", None).await.unwrap();

            assert_eq!(raw.counter().await, expected, "{name}: nothing bumped the counter");
            assert_eq!(snapshot(directory.clone()).await, before, "{name}: nothing changed");
        }
    });
}

#[test]
fn write_methods_behave_like_the_memory_directory() {
    block_on(async {
        for databases in Databases::all() {
            let name = databases.name();
            let directory = databases.fresh().await.directory(hasher());

            // Logins: case-insensitive, unique; replacing a user may change theirs.
            directory
                .add_user(user("u1", "Ada@Example.com"), Some("pw1"))
                .await
                .unwrap();
            directory
                .add_user(user("u1", "ada.l@example.com"), Some("pw1"))
                .await
                .unwrap();
            assert!(directory.user_by_login("ada@example.com").await.unwrap().is_none());
            assert_eq!(
                directory.user_by_login("Ada.L@example.com").await.unwrap().unwrap().id,
                "u1"
            );
            directory.add_user(user("u2", "ada@example.com"), None).await.unwrap();
            assert_eq!(
                directory.user_by_login("ADA@example.com").await.unwrap().unwrap().id,
                "u2",
                "{name}: the old login was freed"
            );

            // Passwords: set, removed, imported.
            assert!(directory.check_password("ada@example.com", "").await.unwrap().is_none());
            directory.set_password("u2", Some("bob pw")).await.unwrap();
            assert!(
                directory
                    .check_password("ADA@example.com", "bob pw")
                    .await
                    .unwrap()
                    .is_some()
            );
            directory.set_password("u2", None).await.unwrap();
            assert!(
                directory
                    .check_password("ada@example.com", "bob pw")
                    .await
                    .unwrap()
                    .is_none()
            );
            let phc = PasswordHasher::with_iterations(500)
                .hash("imported")
                .unwrap()
                .to_string();
            directory
                .add_user_with_hash(user("u3", "imp@example.com"), Some(phc.parse().unwrap()))
                .await
                .unwrap();
            assert!(
                directory
                    .check_password("imp@example.com", "imported")
                    .await
                    .unwrap()
                    .is_some()
            );
            directory
                .set_password_hash("u3", Some(PasswordHasher::with_iterations(10).hash("new").unwrap()))
                .await
                .unwrap();
            assert!(
                directory
                    .check_password("imp@example.com", "imported")
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                directory
                    .check_password("imp@example.com", "new")
                    .await
                    .unwrap()
                    .is_some()
            );

            // Groups: in the order added; replacing keeps members and position.
            directory.add_group(group("g2", "Second")).await.unwrap();
            directory.add_group(group("g1", "First")).await.unwrap();
            directory.add_member("g1", "u1").await.unwrap();
            directory.add_member("g2", "u1").await.unwrap();
            directory.add_member("g2", "u1").await.unwrap();
            assert_eq!(ids_of_groups(&directory, "u1").await, ["g2", "g1"], "{name}");
            directory.add_group(group("g2", "Second, renamed")).await.unwrap();
            let groups = directory.user_groups("u1").await.unwrap();
            assert_eq!(groups[0].profile.name, "Second, renamed", "{name}");
            assert_eq!(groups.len(), 2);

            // Assignments, directly and through groups.
            directory.assign_group("app", "g1").await.unwrap();
            directory.assign_user("app", "u2").await.unwrap();
            assert!(directory.is_assigned("app", "u1").await.unwrap(), "{name}: through g1");
            assert!(directory.is_assigned("app", "u2").await.unwrap(), "{name}: directly");
            assert!(!directory.is_assigned("other", "u1").await.unwrap());
            assert!(directory.remove_member("g1", "u1").await.unwrap());
            assert!(!directory.remove_member("g1", "u1").await.unwrap());
            assert!(!directory.is_assigned("app", "u1").await.unwrap(), "{name}");
            directory.add_member("g1", "u1").await.unwrap();
            assert!(directory.unassign_group("app", "g1").await.unwrap());
            assert!(!directory.unassign_group("app", "g1").await.unwrap());
            assert!(!directory.is_assigned("app", "u1").await.unwrap());
            assert!(directory.unassign_user("app", "u2").await.unwrap());
            assert!(!directory.unassign_user("app", "u2").await.unwrap());
            assert!(!directory.is_assigned("app", "u2").await.unwrap());

            // Removing a group or a user removes their links; the same id comes back without.
            directory.assign_user("app", "u1").await.unwrap();
            directory.assign_group("app2", "g1").await.unwrap();
            assert!(directory.remove_group("g1").await.unwrap());
            assert!(!directory.remove_group("g1").await.unwrap());
            assert_eq!(ids_of_groups(&directory, "u1").await, ["g2"], "{name}");
            assert!(!directory.is_assigned("app2", "u1").await.unwrap());
            directory.add_group(group("g1", "First again")).await.unwrap();
            assert_eq!(ids_of_groups(&directory, "u1").await, ["g2"], "{name}: no old members");
            assert!(directory.is_assigned("app", "u1").await.unwrap());
            assert!(directory.remove_user("u1").await.unwrap());
            assert!(!directory.remove_user("u1").await.unwrap());
            assert!(directory.user("u1").await.unwrap().is_none());
            assert!(directory.user_by_login("ada.l@example.com").await.unwrap().is_none());
            assert!(
                directory
                    .check_password("ada.l@example.com", "pw1")
                    .await
                    .unwrap()
                    .is_none()
            );
            directory.add_user(user("u1", "ada.l@example.com"), None).await.unwrap();
            assert!(!directory.is_assigned("app", "u1").await.unwrap(), "{name}");
            assert!(directory.user_groups("u1").await.unwrap().is_empty(), "{name}");

            // Clients: registration order, replaced in place; deletion drops assignments.
            for id in ["c3", "c1", "c2"] {
                directory.put_client(client(id, id)).await.unwrap();
            }
            directory.put_client(client("c1", "renamed")).await.unwrap();
            let listed = directory.clients().await.unwrap();
            assert_eq!(client_ids(&directory).await, ["c3", "c1", "c2"], "{name}");
            assert_eq!(listed[1].client.client_name, "renamed");
            directory.assign_user("c1", "u1").await.unwrap();
            assert!(directory.delete_client("c1").await.unwrap());
            assert!(!directory.delete_client("c1").await.unwrap());
            directory.put_client(client("c1", "new")).await.unwrap();
            assert!(!directory.is_assigned("c1", "u1").await.unwrap(), "{name}");
            assert_eq!(client_ids(&directory).await, ["c3", "c2", "c1"], "{name}");
            assert_eq!(directory.hasher(), hasher());
            let shown = format!("{directory:?}");
            assert!(shown.starts_with("SqlDirectory"), "{shown}");
        }
    });
}

#[test]
fn concurrent_writes_from_two_instances_are_serialized() {
    block_on(async {
        for databases in Databases::all() {
            let name = databases.name();
            let url = databases.fresh_url().await;
            let first = connect(&url, kek(), options()).await.directory(hasher());
            let second = connect(&url, kek(), options()).await.directory(hasher());
            let raw = Raw::open(&url).await;
            let start = raw.counter().await;
            let tasks: Vec<_> = (0..40)
                .map(|n| {
                    let directory = if n % 2 == 0 { first.clone() } else { second.clone() };
                    tokio::spawn(async move {
                        let id = format!("c{n:02}");
                        directory.put_client(client(&id, &id)).await.unwrap();
                        directory.add_group(group(&format!("g{n:02}"), "G")).await.unwrap();
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(raw.counter().await, start + 80, "{name}: every write counted once");
            assert_eq!(first.clients().await.unwrap().len(), 40, "{name}");
            let positions: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT position) FROM clients")
                .fetch_one(&raw.0)
                .await
                .unwrap();
            assert_eq!(positions, 40, "{name}: every client has a place of its own");
        }
    });
}

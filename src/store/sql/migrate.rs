//! The schema's migrations, shipped in the crate and applied on connect.
//!
//! Each backend has its own SQL for each version (`migrations/<backend>/NNNN_name.sql`), since
//! DDL differs; the statements the stores run are the same on both. sqlx's migrator records what
//! it applied in `_sqlx_migrations` with a checksum, applies each version in a transaction, and
//! on PostgreSQL holds an advisory lock so that instances starting together migrate once. A
//! database with a version this release does not know is refused ([`SqlError::NewerSchema`]).

use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::AnyPool;
use sqlx::error::BoxDynError;
use sqlx::migrate::{MigrateError, Migration, MigrationSource, MigrationType, Migrator};

use super::{Backend, SqlError};

/// A migration: version, description and the SQL of each backend.
struct Version {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// Every version, oldest first. Append; never edit a released one (its checksum is recorded).
const VERSIONS: &[Version] = &[
    Version {
        version: 1,
        description: "initial",
        sqlite: include_str!("migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("migrations/postgres/0001_initial.sql"),
    },
    Version {
        version: 2,
        description: "key checks and metadata",
        sqlite: include_str!("migrations/sqlite/0002_key_checks_and_metadata.sql"),
        postgres: include_str!("migrations/postgres/0002_key_checks_and_metadata.sql"),
    },
    Version {
        version: 3,
        description: "client revisions",
        sqlite: include_str!("migrations/sqlite/0003_client_revisions.sql"),
        postgres: include_str!("migrations/postgres/0003_client_revisions.sql"),
    },
    Version {
        version: 4,
        description: "refresh idle windows",
        sqlite: include_str!("migrations/sqlite/0004_refresh_idle_windows.sql"),
        postgres: include_str!("migrations/postgres/0004_refresh_idle_windows.sql"),
    },
];

/// The migrations of one backend, as sqlx's migrator takes them.
#[derive(Debug)]
struct Embedded(Backend);

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        let migrations = VERSIONS
            .iter()
            .map(|version| {
                let sql = match self.0 {
                    Backend::Sqlite => version.sqlite,
                    Backend::Postgres => version.postgres,
                };
                Migration::new(
                    version.version,
                    Cow::Borrowed(version.description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

/// Brings the database to the latest version.
pub(super) async fn run(pool: &AnyPool, backend: Backend) -> Result<(), SqlError> {
    let migrator = Migrator::new(Embedded(backend)).await.map_err(SqlError::Migrate)?;
    let outcome = match migrator.run(pool).await {
        // Two SQLite processes migrating a new file at once: the loser finds the tables made.
        Err(MigrateError::Execute(_)) if backend == Backend::Sqlite => migrator.run(pool).await,
        outcome => outcome,
    };
    outcome.map_err(|error| match error {
        MigrateError::VersionMissing(version) => SqlError::NewerSchema { version },
        error => SqlError::Migrate(error),
    })
}

#[cfg(test)]
mod tests {
    use super::VERSIONS;

    #[test]
    fn versions_ascend_and_every_backend_has_each() {
        for pair in VERSIONS.windows(2) {
            assert!(pair[0].version < pair[1].version, "migrations are appended in order");
        }
        for version in VERSIONS {
            assert!(!version.sqlite.trim().is_empty() && !version.postgres.trim().is_empty());
        }
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn reopening_a_migrated_database_applies_nothing_and_keeps_its_data() {
        use crate::store::ConfigStore;
        let (db, dir) = crate::store::sql::test_database().await;
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        let keys = db.shared.keys.clone();
        db.close().await;
        let again = super::super::SqlDatabase::connect(&url, keys).await.expect("reopens");
        assert!(again.config_store().servers().await.unwrap().is_empty());
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&again.shared.pool)
            .await
            .unwrap();
        assert_eq!(applied, i64::try_from(VERSIONS.len()).unwrap());
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn version_4_gives_stored_refresh_tokens_their_idle_window() {
        use crate::secret::RefreshToken;
        use crate::store::GrantStore;
        use crate::store::grants::{Grant, GrantId, RefreshTokenRecord};
        let (db, _dir) = crate::store::sql::test_database().await;
        let now = time::macros::datetime!(2026-01-01 0:00 UTC);
        let record = RefreshTokenRecord {
            token_hash: RefreshToken::from_received("t").hash(),
            grant: Grant {
                id: GrantId::new("g"),
                authorization_server_id: "default".into(),
                client_id: "c".into(),
                user_id: None,
                scopes: vec!["offline_access".into()],
                grant_type: "authorization_code".into(),
                policy_id: "p".into(),
                rule_id: "r".into(),
                access_token_lifetime_minutes: 60,
                refresh_token_lifetime_minutes: None,
                refresh_token_window_minutes: 90,
                auth_time: None,
                amr: Vec::new(),
                acr: None,
                requested_claims: None,
                issued_at: now,
            },
            issued_at: now,
            expires_at: None,
            last_used_at: now,
        };
        db.grant_store().insert_refresh_token(record).await.unwrap();
        // As a row stored before version 4 would be, then the migration's backfill.
        sqlx::query("UPDATE refresh_tokens SET idle_window = NULL")
            .execute(&db.shared.pool)
            .await
            .unwrap();
        let backfill = VERSIONS[3].sqlite.split(';').find(|s| s.contains("UPDATE")).unwrap();
        sqlx::query(backfill).execute(&db.shared.pool).await.unwrap();
        let window: i64 = sqlx::query_scalar("SELECT idle_window FROM refresh_tokens")
            .fetch_one(&db.shared.pool)
            .await
            .unwrap();
        assert_eq!(window, 90 * 60_000_000_000);
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_database_is_refused_under_a_key_encryption_key_it_does_not_know() {
        use crate::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
        let (db, dir) = crate::store::sql::test_database().await;
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        let known = db.shared.keys.current().clone();
        db.close().await;
        let stranger = KeyEncryptionKey::from_bytes([99; 32]);
        let refused = super::super::SqlDatabase::connect(&url, KeyEncryptionKeys::new(stranger.clone())).await;
        assert!(
            matches!(&refused, Err(super::super::SqlError::WrongKeyEncryptionKey { given, .. }) if given == stranger.id()),
            "{refused:?}"
        );
        // During a rotation the new key is current and the known one previous: accepted, and
        // from then on the new key is known too.
        let rotating = KeyEncryptionKeys::new(stranger.clone()).with_previous(known);
        let db = super::super::SqlDatabase::connect(&url, rotating)
            .await
            .expect("accepted");
        db.close().await;
        let db = super::super::SqlDatabase::connect(&url, KeyEncryptionKeys::new(stranger))
            .await
            .expect("the new key alone, after the rotation");
        db.close().await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn in_memory_sqlite_is_refused_and_metadata_round_trips() {
        use crate::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
        let keys = KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([1; 32]));
        for url in ["sqlite::memory:", "sqlite:file:x?mode=memory&cache=shared"] {
            let refused = super::super::SqlDatabase::connect(url, keys.clone()).await;
            assert!(matches!(refused, Err(super::super::SqlError::InMemorySqlite)), "{url}");
        }
        let (db, _dir) = crate::store::sql::test_database().await;
        assert_eq!(db.metadata("seeded").await.unwrap(), None);
        db.set_metadata("seeded", "1").await.unwrap();
        db.set_metadata("seeded", "2").await.unwrap();
        assert_eq!(db.metadata("seeded").await.unwrap().as_deref(), Some("2"));
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_database_from_a_newer_release_is_refused() {
        let (db, dir) = crate::store::sql::test_database().await;
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&db.shared.pool)
        .await
        .unwrap();
        let keys = db.shared.keys.clone();
        db.close().await;
        let refused = super::super::SqlDatabase::connect(&url, keys).await;
        assert!(
            matches!(refused, Err(super::super::SqlError::NewerSchema { version: 9999 })),
            "{refused:?}"
        );
    }
}

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
const VERSIONS: &[Version] = &[Version {
    version: 1,
    description: "initial",
    sqlite: include_str!("migrations/sqlite/0001_initial.sql"),
    postgres: include_str!("migrations/postgres/0001_initial.sql"),
}];

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

/// The latest schema version this release knows.
#[cfg(test)]
pub(super) fn latest() -> i64 {
    VERSIONS.last().map_or(0, |version| version.version)
}

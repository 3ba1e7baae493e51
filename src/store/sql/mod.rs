//! Durable storage in SQL: every storage trait on SQLite (feature `sqlite`, one file, nothing to
//! run) or PostgreSQL (feature `postgres`, several instances over one database), through
//! [sqlx](https://docs.rs/sqlx)'s `Any` driver, so both databases run the same statements.
//!
//! [`SqlDatabase::connect`] opens a pool, applies the migrations that ship in the crate (versioned;
//! a later release migrates an existing database on start), and hands out the stores:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use authserver::AuthServer;
//! use authserver::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
//! use authserver::store::sql::SqlDatabase;
//!
//! async fn start() -> Result<(), Box<dyn std::error::Error>> {
//!     let kek = KeyEncryptionKey::parse(&std::env::var("AUTHSERVER_KEK")?)?;
//!     let db = SqlDatabase::connect("sqlite:authserver.db", KeyEncryptionKeys::new(kek)).await?;
//!     let events = Arc::new(db.event_log());
//!     let server = AuthServer::builder("https://id.example.com")
//!         .config_store(Arc::new(db.config_store()))
//!         .directory(Arc::new(db.directory(Default::default())))
//!         .grant_store(Arc::new(db.grant_store()))
//!         .events(events.clone())
//!         .build();
//!     // … serve `server`; on shutdown, write the queued events and close the pool:
//!     events.flush().await?;
//!     db.close().await;
//!     # let _ = server;
//!     Ok(())
//! }
//! ```
//!
//! # Atomicity
//!
//! Every operation is one statement or one short transaction that writes first; none holds a lock
//! across two calls. A code redemption is one conditional `UPDATE … RETURNING`; a refresh rotation
//! is a compare-and-swap (`UPDATE … WHERE consumed_at IS NULL`) and the successor's insert in one
//! transaction; configuration and key-ring saves are `UPDATE … WHERE revision = $expected`.
//!
//! # Many instances
//!
//! Each instance keeps the revisions of every server and the directory's change counter, read in
//! one query every [`SqlOptions::refresh_interval`] (1 s by default) by a background task. The
//! host's per-server state and the directory's client cache are checked against them, so a change
//! made through another instance is seen within that interval, and a request whose configuration
//! did not change costs no database round trip. Should polling fail for
//! [`SqlOptions::stale_after`], the cached revisions are no longer trusted and every read goes to
//! the database (which then answers, or fails the request).
//!
//! # Secrets at rest
//!
//! Codes and refresh tokens are stored as SHA-256 hashes; private signing keys and
//! `client_secret_jwt` keys are sealed under the host's key-encryption key
//! ([`sealing`](super::sealing)); user passwords are PBKDF2 hashes.

mod config;
mod directory;
mod events;
mod grants;
mod migrate;
mod watch;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use time::OffsetDateTime;

use super::StoreError;
use super::sealing::KeyEncryptionKeys;
use crate::crypto::PasswordHasher;

pub use config::SqlConfigStore;
pub use directory::{SqlDirectory, SqlDirectoryError};
pub use events::SqlEventLog;
pub use grants::SqlGrantStore;

use watch::Watch;

/// Which database a [`SqlDatabase`] speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite (`sqlite:PATH`).
    Sqlite,
    /// PostgreSQL (`postgres://…`).
    Postgres,
}

impl Backend {
    /// The backend a URL names, if it is compiled in.
    pub fn of_url(url: &str) -> Option<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            #[cfg(feature = "sqlite")]
            "sqlite" => Some(Self::Sqlite),
            #[cfg(feature = "postgres")]
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }
}

/// Tuning of a [`SqlDatabase`]. The defaults suit one server process.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqlOptions {
    /// Most connections in the pool. Default 8 (SQLite writes are serialized by the file anyway).
    pub max_connections: u32,
    /// How long an operation waits for a connection (and, on connect, for the database) before it
    /// fails with [`StoreError::Unavailable`]. Default 5 s.
    pub acquire_timeout: Duration,
    /// How often the background task reads the revisions of every server and the directory: the
    /// bound on how long a change made through another instance stays unseen. Default 1 s.
    pub refresh_interval: Duration,
    /// How old the last successful read of the revisions may be before it is no longer trusted.
    /// Default 5 s.
    pub stale_after: Duration,
    /// How long SQLite waits for another process's write lock. Default 5 s.
    pub sqlite_busy_timeout: Duration,
    /// Whether SQLite syncs the log to disk at every commit (`synchronous = FULL`), so that a
    /// redeemed code or a rotated refresh token stays spent even across a power loss or an
    /// operating-system crash. Default `true`; `false` (`NORMAL`) saves the sync and can lose the
    /// last commits in such a crash (never in a crash of the process alone).
    pub sqlite_full_sync: bool,
    /// The longest a PostgreSQL statement may run or wait for a lock before it is cancelled and
    /// the operation fails with [`StoreError::Unavailable`] (`statement_timeout`). Default 10 s.
    pub statement_timeout: Duration,
    /// Whether a pooled connection is checked with a ping before each use (sqlx's
    /// `test_before_acquire`). Default `true`: after a database restart no request fails on a
    /// dead connection. `false` saves a round trip per operation on PostgreSQL; dead connections
    /// are then found by the request that uses them (it fails once) and dropped.
    pub test_before_acquire: bool,
    /// How often expired codes, refresh tokens (past their lifetime or idle window),
    /// revocations and assertion `jti`s are purged in the background, a bounded batch at a time
    /// ([`GrantStore::purge_expired`](crate::store::GrantStore::purge_expired) by the system
    /// clock); the first purge runs one interval after connecting. `None` leaves purging to the
    /// host. Default: every 10 minutes.
    pub purge_interval: Option<Duration>,
}

impl Default for SqlOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
            refresh_interval: Duration::from_secs(1),
            stale_after: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
            sqlite_full_sync: true,
            statement_timeout: Duration::from_secs(10),
            test_before_acquire: true,
            purge_interval: Some(Duration::from_secs(600)),
        }
    }
}

/// The database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The URL names no backend compiled into this build.
    #[error("'{scheme}:' is not a database this build supports (features `sqlite`, `postgres`)")]
    UnsupportedUrl {
        /// The URL's scheme.
        scheme: String,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    /// Applying the migrations failed; the database is left at its last complete version.
    #[error("cannot migrate the database")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The migrated database could not be read.
    #[error("cannot read the database")]
    Read(#[source] StoreError),
    /// The database holds values sealed under other key-encryption keys than the ones given:
    /// the private keys it holds would not open.
    #[error(
        "the database's private keys are sealed under key-encryption key(s) {stored:?}, but the key given is {given}: \
         start with the key the database was created with"
    )]
    WrongKeyEncryptionKey {
        /// The fingerprints of the KEKs the database has values sealed under.
        stored: Vec<String>,
        /// The fingerprint of the current KEK given.
        given: String,
    },
    /// An in-memory SQLite database: each pooled connection would get its own. Use the memory
    /// stores instead.
    #[error("an in-memory SQLite database cannot be shared by a pool; use the memory stores instead")]
    InMemorySqlite,
    /// The database was written by a newer release: it has migrations this one does not know.
    #[error("the database has migration {version}, which this release does not know; upgrade authserver")]
    NewerSchema {
        /// The unknown migration's version.
        version: i64,
    },
}

/// An open SQL database: the pool, the key-encryption keys and the revision watch that the stores
/// share. Cheap to clone.
#[derive(Clone)]
pub struct SqlDatabase {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pool: AnyPool,
    backend: Backend,
    keys: KeyEncryptionKeys,
    watch: Watch,
    round_trips: AtomicU64,
    options: SqlOptions,
    /// The background writer that every [`SqlEventLog`] of this database shares.
    event_writer: events::EventWriterSlot,
}

impl std::fmt::Debug for SqlDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlDatabase")
            .field("backend", &self.shared.backend)
            .field("kek", &self.shared.keys.current().id())
            .finish_non_exhaustive()
    }
}

impl SqlDatabase {
    /// Opens the database at `url` (`sqlite:PATH`, created if missing, or `postgres://…`) with
    /// the default [`SqlOptions`], and migrates it. Must run inside a Tokio runtime, which the
    /// pool and the revision watch use.
    ///
    /// # Errors
    /// [`SqlError`] if the URL is not supported, the database cannot be reached, or migrating
    /// fails.
    pub async fn connect(url: &str, keys: KeyEncryptionKeys) -> Result<Self, SqlError> {
        Self::connect_with(url, keys, SqlOptions::default()).await
    }

    /// [`connect`](Self::connect) with `options`.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn connect_with(url: &str, keys: KeyEncryptionKeys, options: SqlOptions) -> Result<Self, SqlError> {
        let backend = Backend::of_url(url).ok_or_else(|| SqlError::UnsupportedUrl {
            scheme: url.split(':').next().unwrap_or_default().to_owned(),
        })?;
        sqlx::any::install_default_drivers();
        let url = match backend {
            Backend::Sqlite if url.contains(":memory:") || url.contains("mode=memory") => {
                return Err(SqlError::InMemorySqlite);
            }
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
            }
            _ => url.to_owned(),
        };
        let session = session_settings(backend, &options);
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(options.test_before_acquire)
            .after_connect(move |connection, _| {
                let session = session.clone();
                Box::pin(async move {
                    connection.execute(sqlx::raw_sql(&session)).await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(SqlError::Connect)?;
        migrate::run(&pool, backend).await?;
        check_key_encryption_keys(&pool, &keys).await?;
        let shared = Arc::new(Shared {
            pool,
            backend,
            keys,
            watch: Watch::default(),
            round_trips: AtomicU64::new(0),
            options,
            event_writer: events::EventWriterSlot::default(),
        });
        shared.poll_revisions().await.map_err(SqlError::Read)?;
        watch::spawn_poller(&shared);
        grants::spawn_purges(&shared);
        Ok(Self { shared })
    }

    /// The backend this database speaks to.
    pub fn backend(&self) -> Backend {
        self.shared.backend
    }

    /// The configuration store: servers, policies, rules, scopes, claims and sealed key rings.
    pub fn config_store(&self) -> SqlConfigStore {
        SqlConfigStore::new(Arc::clone(&self.shared))
    }

    /// The directory: clients, users, groups and assignments; passwords hashed with `hasher`.
    pub fn directory(&self, hasher: PasswordHasher) -> SqlDirectory {
        SqlDirectory::new(Arc::clone(&self.shared), hasher)
    }

    /// The grant store: codes, refresh tokens, revocations and assertion `jti`s.
    pub fn grant_store(&self) -> SqlGrantStore {
        SqlGrantStore::new(Arc::clone(&self.shared))
    }

    /// The event log: an [`EventSink`](crate::event::EventSink) that writes events in batches,
    /// and the System Log's queries over them.
    pub fn event_log(&self) -> SqlEventLog {
        SqlEventLog::new(Arc::clone(&self.shared))
    }

    /// Rewrites every sealed secret (key rings, `client_secret_jwt` keys) that is not sealed under
    /// the current key-encryption key, after a KEK rotation. Returns how many values were
    /// resealed. Safe to run on several instances at once: each rewrite is a compare-and-swap.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails or a value does not open under any configured KEK.
    pub async fn reseal(&self) -> Result<usize, StoreError> {
        let rings = self.config_store().reseal().await?;
        let clients = self.directory(PasswordHasher::default()).reseal().await?;
        Ok(rings + clients)
    }

    /// How many statements (round trips) the stores have sent to the database so far, the
    /// revision watch's polls included. For benchmarks and tests.
    pub fn round_trips(&self) -> u64 {
        self.shared.round_trips.load(Ordering::Relaxed)
    }

    /// A named value the host keeps in the database (see [`set_metadata`](Self::set_metadata)).
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub async fn metadata(&self, name: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM metadata WHERE name = $1")
            .bind(name)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)
    }

    /// Keeps a small named value beside the stores, replacing any with the same name: for a
    /// host's own bookkeeping, e.g. that it applied its seed document to this database.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails.
    pub async fn set_metadata(&self, name: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO metadata (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(self.shared.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    /// Closes the pool: operations started afterwards fail with [`StoreError::Unavailable`].
    /// Flush an [`SqlEventLog`] before closing.
    pub async fn close(&self) {
        self.shared.pool.close().await;
    }
}

impl Shared {
    /// The pool, counting the round trips of one statement: the statement, and the ping that
    /// checks the connection first when [`SqlOptions::test_before_acquire`] is on. Call once per
    /// statement sent.
    fn pool(&self) -> &AnyPool {
        self.acquire_round_trips();
        self.round_trip();
        &self.pool
    }

    /// Counts one round trip (a statement, or `COMMIT` inside a transaction).
    fn round_trip(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the ping that checks a pooled connection before use, if it is on.
    fn acquire_round_trips(&self) {
        if self.options.test_before_acquire {
            self.round_trip();
        }
    }

    /// Starts a transaction (its `BEGIN`, and the connection check).
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        self.acquire_round_trips();
        self.round_trip();
        self.pool.begin().await.map_err(store_error)
    }
}

/// What every new connection runs first. SQLite: WAL (readers beside the one writer), the sync
/// level and the busy timeout. PostgreSQL: the statement and lock timeouts, so that no operation
/// waits without bound.
fn session_settings(backend: Backend, options: &SqlOptions) -> String {
    match backend {
        Backend::Sqlite => format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA busy_timeout = {};",
            if options.sqlite_full_sync { "FULL" } else { "NORMAL" },
            options.sqlite_busy_timeout.as_millis()
        ),
        Backend::Postgres => {
            let ms = options.statement_timeout.as_millis();
            format!("SET statement_timeout = {ms}; SET lock_timeout = {ms};")
        }
    }
}

/// Refuses keys that cannot open what the database holds: every KEK that ever sealed a value here
/// is recorded by fingerprint, and one of them must be among `keys`. A new database records the
/// current KEK; a KEK given as current is recorded once it is accepted (it is about to seal).
async fn check_key_encryption_keys(pool: &AnyPool, keys: &KeyEncryptionKeys) -> Result<(), SqlError> {
    let read = |error| SqlError::Read(store_error(error));
    let stored: Vec<String> = sqlx::query_scalar("SELECT id FROM key_encryption_keys ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(read)?;
    if !stored.is_empty() && !stored.iter().any(|id| keys.knows(id)) {
        return Err(SqlError::WrongKeyEncryptionKey {
            stored,
            given: keys.current().id().to_owned(),
        });
    }
    sqlx::query("INSERT INTO key_encryption_keys (id) VALUES ($1) ON CONFLICT (id) DO NOTHING")
        .bind(keys.current().id())
        .execute(pool)
        .await
        .map_err(read)?;
    Ok(())
}

/// A store error for a sqlx error: unreachable databases, timeouts and lock contention are
/// [`StoreError::Unavailable`], unique violations [`StoreError::Conflict`], the rest
/// [`StoreError::Other`].
pub(crate) fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(database) if database.is_unique_violation() => StoreError::Conflict,
        sqlx::Error::Database(database) => {
            let code = database.code().unwrap_or_default();
            // PostgreSQL: 08… connection exceptions, 57P0… shutdown, 57014 statement timeout,
            // 55P03 lock timeout, 53… insufficient resources, 40001/40P01 serialization failure
            // and deadlock. SQLite: 5 BUSY, 6 LOCKED.
            // PostgreSQL's SQLSTATEs have five characters, SQLite's (extended) codes fewer.
            let transient = if code.len() == 5 {
                ["08", "57P0", "57014", "55P03", "53", "40001", "40P01"]
                    .iter()
                    .any(|prefix| code.starts_with(prefix))
            } else {
                code.parse::<u32>().is_ok_and(|code| matches!(code & 0xff, 5 | 6))
            };
            if transient {
                StoreError::Unavailable(Box::new(error))
            } else {
                StoreError::Other(Box::new(error))
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            StoreError::Unavailable(Box::new(error))
        }
        sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed => StoreError::Unavailable(Box::new(error)),
        _ => StoreError::Other(Box::new(error)),
    }
}

/// A stored document that does not parse: the database was written by something else.
#[derive(Debug, thiserror::Error)]
#[error("a stored {what} cannot be read")]
pub(crate) struct CorruptRow {
    what: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

pub(crate) fn corrupt(what: &'static str, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::Other(Box::new(CorruptRow {
        what,
        source: source.into(),
    }))
}

/// JSON text of a document.
pub(crate) fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|error| corrupt(what, error))
}

/// A document from its JSON text.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| corrupt(what, error))
}

/// A column of `row`, as a store error when it is missing or of another type.
pub(crate) fn column<'r, T>(row: &'r AnyRow, name: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    sqlx::Row::try_get(row, name).map_err(|error| corrupt("row", error))
}

/// A time as stored: Unix nanoseconds, saturated to the `i64` range (years 1677 to 2262).
pub(crate) fn nanos(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos()).unwrap_or(if time.year() < 1970 { i64::MIN } else { i64::MAX })
}

/// A stored time.
pub(crate) fn from_nanos(value: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(value)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A revision as stored (`BIGINT`).
pub(crate) fn revision_to_db(revision: u64) -> Result<i64, StoreError> {
    i64::try_from(revision).map_err(|error| corrupt("revision", error))
}

/// A stored revision.
pub(crate) fn revision_from_db(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|error| corrupt("revision", error))
}

/// A fresh SQLite database in a temporary directory, for unit tests; the directory goes with the
/// returned guard.
#[cfg(all(test, feature = "sqlite"))]
pub(crate) async fn test_database() -> (SqlDatabase, tempfile::TempDir) {
    use super::sealing::KeyEncryptionKey;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite:{}", dir.path().join("test.db").display());
    let keys = KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([7; 32]));
    let db = SqlDatabase::connect(&url, keys).await.expect("a fresh SQLite database");
    (db, dir)
}

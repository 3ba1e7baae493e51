//! Fresh SQL databases for the store tests: a new SQLite file in a temporary directory, or a new
//! database on the PostgreSQL server that `AUTHSERVER_TEST_POSTGRES` names (an admin URL such as
//! `postgres://postgres@127.0.0.1:5433/postgres`). Without that variable the PostgreSQL runs are
//! skipped with a note, except under CI (`CI` set), where its absence fails the test.

#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use authserver::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
use authserver::store::sql::{SqlDatabase, SqlOptions};
use sqlx::Executor;

/// Runs `test` on one multi-threaded runtime shared by the tests of a binary.
pub fn block_on<F: std::future::Future<Output = ()>>(test: F) {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a Tokio runtime")
        })
        .block_on(test);
}

/// The key-encryption key the tests seal with.
pub fn kek() -> KeyEncryptionKeys {
    KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([42; 32]))
}

/// Options for tests: a short refresh interval, so that multi-instance checks wait little.
pub fn options() -> SqlOptions {
    let mut options = SqlOptions::default();
    options.refresh_interval = std::time::Duration::from_millis(100);
    options
}

/// Where fresh databases come from.
#[derive(Clone)]
pub enum Databases {
    /// SQLite files in one temporary directory (removed when the last clone goes).
    Sqlite(Arc<tempfile::TempDir>),
    /// New databases on one PostgreSQL server.
    Postgres { admin_url: String },
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Databases {
    /// SQLite files in a new temporary directory.
    pub fn sqlite() -> Self {
        Self::Sqlite(Arc::new(tempfile::tempdir().expect("a temporary directory")))
    }

    /// The PostgreSQL server of `AUTHSERVER_TEST_POSTGRES`, or `None` (with a note) when it is
    /// not set outside CI.
    ///
    /// # Panics
    /// Under CI when the variable is not set.
    pub fn postgres() -> Option<Self> {
        match std::env::var("AUTHSERVER_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres { admin_url: url }),
            _ if std::env::var_os("CI").is_some() => {
                panic!("AUTHSERVER_TEST_POSTGRES must name a PostgreSQL server under CI")
            }
            _ => {
                eprintln!("note: AUTHSERVER_TEST_POSTGRES is not set; skipping the PostgreSQL run");
                None
            }
        }
    }

    /// Both backends available here: SQLite always, PostgreSQL when configured.
    pub fn all() -> Vec<Self> {
        std::iter::once(Self::sqlite()).chain(Self::postgres()).collect()
    }

    /// The name of the backend, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres { .. } => "postgres",
        }
    }

    /// The URL of a new, empty database.
    pub async fn fresh_url(&self) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        match self {
            Self::Sqlite(dir) => format!("sqlite:{}", dir.path().join(format!("db{n}.sqlite")).display()),
            Self::Postgres { admin_url } => {
                let name = format!("authserver_test_{}_{n}", std::process::id());
                admin_execute(admin_url, &format!("CREATE DATABASE {name}")).await;
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
                format!("{base}/{name}")
            }
        }
    }

    /// A new, empty, migrated database.
    pub async fn fresh(&self) -> SqlDatabase {
        let url = self.fresh_url().await;
        SqlDatabase::connect_with(&url, kek(), options())
            .await
            .unwrap_or_else(|error| panic!("cannot open {url}: {error:?}"))
    }
}

/// Runs one statement on the admin database, over a connection of its own (a pool kept across
/// tests would outlive the Tokio runtime of the test that opened it).
async fn admin_execute(url: &str, statement: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(url)
        .await
        .expect("the PostgreSQL admin URL connects");
    connection.execute(statement).await.expect(statement);
    let _ = connection.close().await;
}

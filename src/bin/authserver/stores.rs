//! Where the server keeps its state: the library's memory stores (nothing survives a restart),
//! or its SQL stores on SQLite or PostgreSQL; and the SQL database's record that the org
//! document was applied.

use std::sync::Arc;

use authserver::crypto::PasswordHasher;
use authserver::event::MemoryEventLog;
use authserver::store::sql::{SqlConfigStore, SqlDatabase, SqlDirectory, SqlEventLog, SqlGrantStore};
use authserver::store::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use time::OffsetDateTime;

/// One instance of each store: configuration, directory, grants, events.
pub struct Stores<C, D, G, L> {
    pub config: Arc<C>,
    pub directory: Arc<D>,
    pub grants: Arc<G>,
    pub events: Arc<L>,
}

/// The memory stores.
pub type Memory = Stores<MemoryConfigStore, MemoryDirectory, MemoryGrantStore, MemoryEventLog>;
/// The SQL stores.
pub type Sql = Stores<SqlConfigStore, SqlDirectory, SqlGrantStore, SqlEventLog>;

/// Fresh memory stores; passwords hashed with `hasher`.
pub fn memory(hasher: PasswordHasher) -> Memory {
    Stores {
        config: Arc::new(MemoryConfigStore::new()),
        directory: Arc::new(MemoryDirectory::new(hasher)),
        grants: Arc::new(MemoryGrantStore::new()),
        events: Arc::new(MemoryEventLog::default()),
    }
}

/// The stores of an open SQL database; passwords hashed with `hasher`.
pub fn sql(database: &SqlDatabase, hasher: PasswordHasher) -> Sql {
    Stores {
        config: Arc::new(database.config_store()),
        directory: Arc::new(database.directory(hasher)),
        grants: Arc::new(database.grant_store()),
        events: Arc::new(database.event_log()),
    }
}

/// The metadata entry that says the org document was applied.
const ORG_APPLIED: &str = "example-server.org-applied";

/// Whether the org document was applied to `database` by an earlier start.
pub async fn org_applied(database: &SqlDatabase) -> Result<bool, String> {
    let entry = database
        .metadata(ORG_APPLIED)
        .await
        .map_err(|error| error.to_string())?;
    Ok(entry.is_some())
}

/// Records that the org document was applied to `database`, in full.
pub async fn mark_org_applied(database: &SqlDatabase) -> Result<(), String> {
    let now = OffsetDateTime::now_utc().unix_timestamp().to_string();
    database
        .set_metadata(ORG_APPLIED, &now)
        .await
        .map_err(|error| error.to_string())
}

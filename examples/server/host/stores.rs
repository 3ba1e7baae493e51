//! Where the host keeps its state: the library's memory stores (nothing survives a restart), or
//! its SQL stores on SQLite or PostgreSQL. [`Backend`] names the four store types, so the host
//! is written once for both.

use std::future::Future;
use std::sync::Arc;

use authserver::crypto::PasswordHasher;
use authserver::event::{EventLog, MemoryEventLog};
use authserver::model::{Group, User};
use authserver::store::sql::{SqlConfigStore, SqlDatabase, SqlDirectory, SqlEventLog, SqlGrantStore};
use authserver::store::{ConfigStore, Directory, GrantStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use time::OffsetDateTime;

/// The store types of one kind of storage.
pub trait Backend: Send + Sync + 'static {
    /// Servers, policies, rules, scopes, claims and keys.
    type Config: ConfigStore + 'static;
    /// Clients, users and groups, which the org document seeds.
    type Directory: Directory + SeedDirectory + 'static;
    /// Codes, refresh tokens and revocations.
    type Grants: GrantStore + 'static;
    /// The System Log.
    type Events: EventLog + 'static;
    /// The database the stores live in (nothing, for memory).
    type Database: Send + Sync + 'static;

    /// Whether the org document was applied to these stores by an earlier start.
    fn org_applied(database: &Self::Database) -> impl Future<Output = Result<bool, String>> + Send;

    /// Forgets events published before `cutoff` (a log in memory bounds itself).
    fn purge_events(events: &Self::Events, cutoff: OffsetDateTime) -> impl Future<Output = Result<(), String>> + Send;

    /// Records that the org document was applied, in full.
    fn mark_org_applied(database: &Self::Database) -> impl Future<Output = Result<(), String>> + Send;
}

/// The metadata entry that says the org document was applied.
const ORG_APPLIED: &str = "example-server.org-applied";

/// The library's memory stores.
pub struct Memory;

impl Backend for Memory {
    type Config = MemoryConfigStore;
    type Directory = MemoryDirectory;
    type Grants = MemoryGrantStore;
    type Events = MemoryEventLog;
    type Database = ();

    async fn org_applied((): &()) -> Result<bool, String> {
        Ok(false)
    }

    async fn purge_events(_: &MemoryEventLog, _: OffsetDateTime) -> Result<(), String> {
        Ok(())
    }

    async fn mark_org_applied((): &()) -> Result<(), String> {
        Ok(())
    }
}

/// The library's SQL stores, on SQLite or PostgreSQL.
pub struct Sql;

impl Backend for Sql {
    type Config = SqlConfigStore;
    type Directory = SqlDirectory;
    type Grants = SqlGrantStore;
    type Events = SqlEventLog;
    type Database = SqlDatabase;

    async fn org_applied(database: &SqlDatabase) -> Result<bool, String> {
        let entry = database
            .metadata(ORG_APPLIED)
            .await
            .map_err(|error| error.to_string())?;
        Ok(entry.is_some())
    }

    async fn purge_events(events: &SqlEventLog, cutoff: OffsetDateTime) -> Result<(), String> {
        events
            .purge_older_than(cutoff)
            .await
            .map(drop)
            .map_err(|error| error.to_string())
    }

    async fn mark_org_applied(database: &SqlDatabase) -> Result<(), String> {
        let now = OffsetDateTime::now_utc().unix_timestamp().to_string();
        database
            .set_metadata(ORG_APPLIED, &now)
            .await
            .map_err(|error| error.to_string())
    }
}

/// One instance of each store.
pub struct Stores<B: Backend> {
    /// The configuration store.
    pub config: Arc<B::Config>,
    /// The directory.
    pub directory: Arc<B::Directory>,
    /// The grant store.
    pub grants: Arc<B::Grants>,
    /// The event log.
    pub events: Arc<B::Events>,
    /// The database they live in.
    pub database: B::Database,
}

impl Stores<Memory> {
    /// Fresh memory stores; passwords hashed with `hasher`.
    pub fn memory(hasher: PasswordHasher) -> Self {
        Self {
            config: Arc::new(MemoryConfigStore::new()),
            directory: Arc::new(MemoryDirectory::new(hasher)),
            grants: Arc::new(MemoryGrantStore::new()),
            events: Arc::new(MemoryEventLog::default()),
            database: (),
        }
    }
}

impl Stores<Sql> {
    /// The stores of an open SQL database; passwords hashed with `hasher`.
    pub fn sql(database: &SqlDatabase, hasher: PasswordHasher) -> Self {
        Self {
            config: Arc::new(database.config_store()),
            directory: Arc::new(database.directory(hasher)),
            grants: Arc::new(database.grant_store()),
            events: Arc::new(database.event_log()),
            database: database.clone(),
        }
    }
}

/// What loading the org document's users and groups needs of a directory. Every operation
/// replaces or repeats harmlessly, so seeding twice changes nothing.
pub trait SeedDirectory: Send + Sync {
    /// Adds or replaces a user, with the password they sign in with.
    fn seed_user(&self, user: User, password: Option<&str>) -> impl Future<Output = Result<(), String>> + Send;
    /// Adds or replaces a group.
    fn seed_group(&self, group: Group) -> impl Future<Output = Result<(), String>> + Send;
    /// Makes a user a member of a group.
    fn seed_member(&self, group_id: &str, user_id: &str) -> impl Future<Output = Result<(), String>> + Send;
    /// Assigns a user to a client.
    fn seed_user_assignment(&self, client_id: &str, user_id: &str) -> impl Future<Output = Result<(), String>> + Send;
    /// Assigns a group to a client.
    fn seed_group_assignment(&self, client_id: &str, group_id: &str)
    -> impl Future<Output = Result<(), String>> + Send;
}

impl SeedDirectory for MemoryDirectory {
    async fn seed_user(&self, user: User, password: Option<&str>) -> Result<(), String> {
        self.add_user(user, password).map_err(|error| error.to_string())
    }

    async fn seed_group(&self, group: Group) -> Result<(), String> {
        self.add_group(group);
        Ok(())
    }

    async fn seed_member(&self, group_id: &str, user_id: &str) -> Result<(), String> {
        self.add_member(group_id, user_id).map_err(|error| error.to_string())
    }

    async fn seed_user_assignment(&self, client_id: &str, user_id: &str) -> Result<(), String> {
        self.assign_user(client_id, user_id).map_err(|error| error.to_string())
    }

    async fn seed_group_assignment(&self, client_id: &str, group_id: &str) -> Result<(), String> {
        self.assign_group(client_id, group_id)
            .map_err(|error| error.to_string())
    }
}

impl SeedDirectory for SqlDirectory {
    async fn seed_user(&self, user: User, password: Option<&str>) -> Result<(), String> {
        self.add_user(user, password).await.map_err(|error| error.to_string())
    }

    async fn seed_group(&self, group: Group) -> Result<(), String> {
        self.add_group(group).await.map_err(|error| error.to_string())
    }

    async fn seed_member(&self, group_id: &str, user_id: &str) -> Result<(), String> {
        self.add_member(group_id, user_id)
            .await
            .map_err(|error| error.to_string())
    }

    async fn seed_user_assignment(&self, client_id: &str, user_id: &str) -> Result<(), String> {
        self.assign_user(client_id, user_id)
            .await
            .map_err(|error| error.to_string())
    }

    async fn seed_group_assignment(&self, client_id: &str, group_id: &str) -> Result<(), String> {
        self.assign_group(client_id, group_id)
            .await
            .map_err(|error| error.to_string())
    }
}

//! [`SqlDirectory`]: clients, users, groups, memberships and assignments in SQL, with a client
//! cache checked against the directory's change counter.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use zeroize::Zeroizing;

use super::{Shared, column, corrupt, from_json, revision_from_db, revision_to_db, store_error, to_json};
use crate::cpu_pool::{CpuPool, PoolError};
use crate::crypto::{CryptoError, PasswordHash, PasswordHasher};
use crate::model::{ClientRecord, Group, User};
use crate::secret::ClientSecret;
use crate::store::directory::{Directory, DirectoryWrites, JwtKeyChange};
use crate::store::directory::{dummy_hash, fold_login, verify_password};
use crate::store::sealing::Sealed;
use crate::store::{Saved, StoreError};

/// Most clients the cache holds; it is emptied when full.
const CACHE_CAPACITY: usize = 10_000;

/// `client_assignments.kind` of a user assigned directly.
const KIND_USER: &str = "user";
/// `client_assignments.kind` of a group assigned.
const KIND_GROUP: &str = "group";

/// Finds a user by id.
const USER_EXISTS: &str = "SELECT id FROM users WHERE id = $1";
/// Finds a group by id.
const GROUP_EXISTS: &str = "SELECT id FROM groups WHERE id = $1";

/// A [`Directory`] in SQL: the same semantics as [`MemoryDirectory`](crate::store::MemoryDirectory),
/// populated with the same inherent methods ([`add_user`](Self::add_user),
/// [`add_group`](Self::add_group), [`add_member`](Self::add_member),
/// [`assign_user`](Self::assign_user), …), which are async here. See the
/// [module documentation](super) for how instances share it.
///
/// * Clients, users and groups are stored whole as JSON; logins are compared case-insensitively
///   (the `login` column holds the lowercased login, unique).
/// * Passwords are kept only as PBKDF2 hashes (PHC strings) made by the [`PasswordHasher`]
///   chosen at construction; hashing and [`check_password`](Directory::check_password)'s
///   verification run on a [`CpuPool`] (its own, sized to the cores, or the one given to
///   [`with_cpu_pool`](Self::with_cpu_pool)), never on the async executor's threads, and an unknown
///   login or a user without a password costs the same verification, against a dummy hash.
/// * `client_secret_jwt` keys are sealed under the database's key-encryption key, bound to their
///   client.
/// * [`client`](Directory::client) answers from a cache while the directory's change counter
///   (polled every [`SqlOptions::refresh_interval`](super::SqlOptions::refresh_interval)) has not
///   moved: every write bumps the counter in its own transaction, so this instance sees its own
///   changes at once and other instances within the refresh interval.
///
/// Clones share the cache. `Debug` shows the backend and the hasher's cost, nothing stored.
#[derive(Clone)]
pub struct SqlDirectory {
    shared: Arc<Shared>,
    hasher: PasswordHasher,
    cpu: CpuPool,
    /// Verified against when there is no real hash to verify; `None` only if the fixed PHC
    /// string failed to parse (then a fresh hash of the same cost is computed instead).
    dummy: Option<PasswordHash>,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

/// A cached client and the directory counter it was read under.
struct Cached {
    counter: u64,
    record: Arc<ClientRecord>,
}

/// Why a write to a [`SqlDirectory`] failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlDirectoryError {
    /// The database failed.
    #[error("the directory's database failed")]
    Store(#[from] StoreError),
    /// Hashing the password (its salt) or sealing a key (its nonce) failed.
    #[error("hashing or sealing failed")]
    Crypto(#[from] CryptoError),
    /// Another user has the same login (compared case-insensitively).
    #[error("another user has the same login")]
    LoginTaken,
    /// There is no user with that id.
    #[error("no user has that id")]
    UnknownUser,
    /// There is no group with that id.
    #[error("no group has that id")]
    UnknownGroup,
}

/// A directory write in progress: a transaction that has already bumped the change counter (its
/// first statement, so SQLite takes the write lock, with its busy timeout, at once).
struct Write<'a> {
    shared: &'a Shared,
    tx: sqlx::Transaction<'static, Any>,
    counter: u64,
}

impl Write<'_> {
    /// Runs a statement; returns how many rows it changed.
    async fn execute<'q>(&mut self, query: Query<'q, Any, AnyArguments<'q>>) -> Result<u64, StoreError> {
        self.shared.round_trip();
        let done = query.execute(&mut *self.tx).await.map_err(store_error)?;
        Ok(done.rows_affected())
    }

    /// Runs a query answering at most one row.
    async fn fetch_optional<'q>(
        &mut self,
        query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Result<Option<AnyRow>, StoreError> {
        self.shared.round_trip();
        query.fetch_optional(&mut *self.tx).await.map_err(store_error)
    }

    /// Whether `query` (one of [`USER_EXISTS`], [`GROUP_EXISTS`]) finds `id`.
    async fn exists(&mut self, query: &'static str, id: &str) -> Result<bool, StoreError> {
        Ok(self.fetch_optional(sqlx::query(query).bind(id)).await?.is_some())
    }

    /// Abandons the write: nothing it did, the counter's bump included, is kept.
    async fn rollback(self) -> Result<(), StoreError> {
        self.shared.round_trip();
        self.tx.rollback().await.map_err(store_error)
    }
}

/// Where a client's sealed `client_secret_jwt` key belongs.
fn jwt_key_context(client_id: &str) -> String {
    format!("authserver client_secret_jwt\0{client_id}")
}

/// Stores client `client_id`'s sealed `client_secret_jwt` key in `write`, or deletes it
/// (`None`). Returns how many rows changed.
async fn write_jwt_key(write: &mut Write<'_>, client_id: &str, sealed: Option<Sealed>) -> Result<u64, StoreError> {
    match sealed {
        Some(sealed) => {
            write
                .execute(
                    sqlx::query(
                        "INSERT INTO client_secret_jwt_keys (client_id, sealed) VALUES ($1, $2) \
                         ON CONFLICT (client_id) DO UPDATE SET sealed = excluded.sealed",
                    )
                    .bind(client_id)
                    .bind(sealed.encode()),
                )
                .await
        }
        None => {
            write
                .execute(sqlx::query("DELETE FROM client_secret_jwt_keys WHERE client_id = $1").bind(client_id))
                .await
        }
    }
}

/// A background computation that ended without an answer, as a store error.
fn interrupted(error: PoolError) -> StoreError {
    StoreError::from(error)
}

/// A stored document of `row`'s `record` column.
fn record<T: serde::de::DeserializeOwned>(what: &'static str, row: &AnyRow) -> Result<T, StoreError> {
    from_json(what, &column::<String>(row, "record")?)
}

impl fmt::Debug for SqlDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlDirectory")
            .field("backend", &self.shared.backend)
            .field("iterations", &self.hasher.iterations())
            .finish_non_exhaustive()
    }
}

impl SqlDirectory {
    pub(super) fn new(shared: Arc<Shared>, hasher: PasswordHasher) -> Self {
        Self {
            shared,
            hasher,
            cpu: CpuPool::default(),
            dummy: dummy_hash(hasher.iterations()),
            cache: Arc::default(),
        }
    }

    /// Hashes and verifies passwords on `pool` (e.g. the [`AuthServer`](crate::AuthServer)'s, to
    /// share its threads) instead of a pool of its own.
    #[must_use]
    pub fn with_cpu_pool(mut self, pool: CpuPool) -> Self {
        self.cpu = pool;
        self
    }

    /// The hasher new passwords are hashed with.
    pub fn hasher(&self) -> PasswordHasher {
        self.hasher
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a write: a transaction whose first statement bumps the directory's change counter.
    async fn begin_write(&self) -> Result<Write<'_>, StoreError> {
        let mut tx = self.shared.begin().await?;
        self.shared.round_trip();
        let row = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'directory' RETURNING value")
            .fetch_one(&mut *tx)
            .await
            .map_err(store_error)?;
        let counter = revision_from_db(column(&row, "value")?)?;
        Ok(Write {
            shared: &self.shared,
            tx,
            counter,
        })
    }

    /// Commits a write and makes it visible here at once: records the counter's new value and
    /// empties the client cache.
    async fn commit(&self, write: Write<'_>) -> Result<(), StoreError> {
        let Write { shared, tx, counter } = write;
        shared.round_trip();
        let committed = tx.commit().await.map_err(store_error);
        // Whatever the outcome, nothing cached before the write is trusted any more.
        self.cache().clear();
        committed?;
        shared.watch.set_directory(counter);
        Ok(())
    }

    /// Commits a write that `changed` something; abandons one that did not, so that a no-op
    /// does not bump the counter. Returns `changed`.
    async fn finish(&self, write: Write<'_>, changed: bool) -> Result<bool, StoreError> {
        if changed {
            self.commit(write).await?;
        } else {
            write.rollback().await?;
        }
        Ok(changed)
    }

    /// Abandons a write and answers `error`.
    async fn refuse<T>(write: Write<'_>, error: SqlDirectoryError) -> Result<T, SqlDirectoryError> {
        write.rollback().await?;
        Err(error)
    }

    /// `key` sealed for client `client_id`, as it is stored.
    fn seal_jwt_key(&self, client_id: &str, key: Option<&ClientSecret>) -> Result<Option<Sealed>, StoreError> {
        key.map(|key| {
            self.shared
                .keys
                .seal(&jwt_key_context(client_id), key.expose().as_bytes())
                .map_err(|error| StoreError::Other(Box::new(error)))
        })
        .transpose()
    }

    /// Hashes `password` on the CPU pool.
    async fn hash(&self, password: Option<&str>) -> Result<Option<PasswordHash>, SqlDirectoryError> {
        let Some(password) = password else {
            return Ok(None);
        };
        let password = Zeroizing::new(password.to_owned());
        let hasher = self.hasher;
        let hash = self
            .cpu
            .run(move || hasher.hash(&password))
            .await
            .map_err(interrupted)??;
        Ok(Some(hash))
    }

    /// Adds a user, or replaces the user with the same id (keeping their group memberships and
    /// client assignments), and sets their password: `None` leaves the user without one, so
    /// every password check for them fails. The password is hashed on the CPU pool.
    ///
    /// # Errors
    /// [`SqlDirectoryError::LoginTaken`] if another user has the same login (compared
    /// case-insensitively); [`SqlDirectoryError::Crypto`] if hashing fails;
    /// [`SqlDirectoryError::Store`] if the database fails. Nothing is changed then.
    pub async fn add_user(&self, user: User, password: Option<&str>) -> Result<(), SqlDirectoryError> {
        let hash = self.hash(password).await?;
        self.add_user_with_hash(user, hash).await
    }

    /// Like [`add_user`](Self::add_user), with a password hash made beforehand (or read back
    /// from its PHC string form, to import users).
    ///
    /// # Errors
    /// [`SqlDirectoryError::LoginTaken`] if another user has the same login (compared
    /// case-insensitively); [`SqlDirectoryError::Store`] if the database fails. Nothing is
    /// changed then.
    pub async fn add_user_with_hash(
        &self,
        user: User,
        password: Option<PasswordHash>,
    ) -> Result<(), SqlDirectoryError> {
        let document = to_json("user", &user)?;
        let mut write = self.begin_write().await?;
        let stored = write
            .execute(
                sqlx::query(
                    "INSERT INTO users (id, login, record, password) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET login = excluded.login, record = excluded.record, \
                     password = excluded.password",
                )
                .bind(&user.id)
                .bind(fold_login(&user.profile.login))
                .bind(document)
                .bind(password.map(|hash| hash.to_string())),
            )
            .await;
        match stored {
            Ok(_) => Ok(self.commit(write).await?),
            // The only unique constraint the upsert does not resolve is the login's.
            Err(StoreError::Conflict) => Self::refuse(write, SqlDirectoryError::LoginTaken).await,
            Err(error) => Err(error.into()),
        }
    }

    /// Sets (`Some`) or removes (`None`) the password of user `user_id`, hashing it on a thread
    /// of its own.
    ///
    /// # Errors
    /// [`SqlDirectoryError::UnknownUser`] if there is no such user;
    /// [`SqlDirectoryError::Crypto`] if hashing fails; [`SqlDirectoryError::Store`] if the
    /// database fails. Nothing is changed then.
    pub async fn set_password(&self, user_id: &str, password: Option<&str>) -> Result<(), SqlDirectoryError> {
        let hash = self.hash(password).await?;
        self.set_password_hash(user_id, hash).await
    }

    /// Sets (`Some`) or removes (`None`) the password hash of user `user_id`.
    ///
    /// # Errors
    /// [`SqlDirectoryError::UnknownUser`] if there is no such user;
    /// [`SqlDirectoryError::Store`] if the database fails. Nothing is changed then.
    pub async fn set_password_hash(
        &self,
        user_id: &str,
        password: Option<PasswordHash>,
    ) -> Result<(), SqlDirectoryError> {
        let mut write = self.begin_write().await?;
        let updated = write
            .execute(
                sqlx::query("UPDATE users SET password = $1 WHERE id = $2")
                    .bind(password.map(|hash| hash.to_string()))
                    .bind(user_id),
            )
            .await?;
        if updated == 0 {
            return Self::refuse(write, SqlDirectoryError::UnknownUser).await;
        }
        Ok(self.commit(write).await?)
    }

    /// Removes user `user_id` with their password, group memberships and direct client
    /// assignments. Returns whether the user existed.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails; nothing is changed then.
    pub async fn remove_user(&self, user_id: &str) -> Result<bool, StoreError> {
        let mut write = self.begin_write().await?;
        let removed = write
            .execute(sqlx::query("DELETE FROM users WHERE id = $1").bind(user_id))
            .await?;
        if removed > 0 {
            write
                .execute(sqlx::query("DELETE FROM group_members WHERE user_id = $1").bind(user_id))
                .await?;
            write
                .execute(
                    sqlx::query("DELETE FROM client_assignments WHERE kind = $1 AND assignee_id = $2")
                        .bind(KIND_USER)
                        .bind(user_id),
                )
                .await?;
        }
        self.finish(write, removed > 0).await
    }

    /// Adds a group, or replaces the group with the same id (keeping its members, client
    /// assignments and its place in the order [`user_groups`](Directory::user_groups) answers
    /// in).
    ///
    /// # Errors
    /// [`SqlDirectoryError::Store`] if the database fails; nothing is changed then.
    pub async fn add_group(&self, group: Group) -> Result<(), SqlDirectoryError> {
        let document = to_json("group", &group)?;
        let mut write = self.begin_write().await?;
        write
            .execute(
                sqlx::query(
                    "INSERT INTO groups (id, position, record) \
                     VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM groups), $2) \
                     ON CONFLICT (id) DO UPDATE SET record = excluded.record",
                )
                .bind(&group.id)
                .bind(document),
            )
            .await?;
        Ok(self.commit(write).await?)
    }

    /// Removes group `group_id` with its memberships and client assignments. Returns whether
    /// the group existed.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails; nothing is changed then.
    pub async fn remove_group(&self, group_id: &str) -> Result<bool, StoreError> {
        let mut write = self.begin_write().await?;
        let removed = write
            .execute(sqlx::query("DELETE FROM groups WHERE id = $1").bind(group_id))
            .await?;
        if removed > 0 {
            write
                .execute(sqlx::query("DELETE FROM group_members WHERE group_id = $1").bind(group_id))
                .await?;
            write
                .execute(
                    sqlx::query("DELETE FROM client_assignments WHERE kind = $1 AND assignee_id = $2")
                        .bind(KIND_GROUP)
                        .bind(group_id),
                )
                .await?;
        }
        self.finish(write, removed > 0).await
    }

    /// Makes user `user_id` a member of group `group_id` (no change if they already are).
    ///
    /// # Errors
    /// [`SqlDirectoryError::UnknownGroup`] or [`SqlDirectoryError::UnknownUser`] if either does
    /// not exist; [`SqlDirectoryError::Store`] if the database fails. Nothing is changed then.
    pub async fn add_member(&self, group_id: &str, user_id: &str) -> Result<(), SqlDirectoryError> {
        let mut write = self.begin_write().await?;
        if !write.exists(GROUP_EXISTS, group_id).await? {
            return Self::refuse(write, SqlDirectoryError::UnknownGroup).await;
        }
        if !write.exists(USER_EXISTS, user_id).await? {
            return Self::refuse(write, SqlDirectoryError::UnknownUser).await;
        }
        let added = write
            .execute(
                sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(group_id)
                    .bind(user_id),
            )
            .await?;
        self.finish(write, added > 0).await?;
        Ok(())
    }

    /// Removes user `user_id` from group `group_id`. Returns whether they were a member.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails; nothing is changed then.
    pub async fn remove_member(&self, group_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let mut write = self.begin_write().await?;
        let removed = write
            .execute(
                sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND user_id = $2")
                    .bind(group_id)
                    .bind(user_id),
            )
            .await?;
        self.finish(write, removed > 0).await
    }

    /// Keeps `secret` as the key verifying client `client_id`'s `client_secret_jwt` assertions
    /// (see [`Directory::client_secret_jwt_key`]), sealed under the current key-encryption key
    /// and bound to the client, or forgets it with `None`. The client need not be registered
    /// yet.
    ///
    /// # Errors
    /// [`SqlDirectoryError::Crypto`] if sealing fails; [`SqlDirectoryError::Store`] if the
    /// database fails. Nothing is changed then.
    pub async fn set_client_secret_jwt_key(
        &self,
        client_id: &str,
        secret: Option<ClientSecret>,
    ) -> Result<(), SqlDirectoryError> {
        let sealed = secret
            .map(|secret| {
                self.shared
                    .keys
                    .seal(&jwt_key_context(client_id), secret.expose().as_bytes())
            })
            .transpose()?;
        let mut write = self.begin_write().await?;
        let changed = write_jwt_key(&mut write, client_id, sealed).await?;
        self.finish(write, changed > 0).await?;
        Ok(())
    }

    /// Assigns user `user_id` to client `client_id` directly. The client need not be
    /// registered yet.
    ///
    /// # Errors
    /// [`SqlDirectoryError::UnknownUser`] if there is no such user;
    /// [`SqlDirectoryError::Store`] if the database fails. Nothing is changed then.
    pub async fn assign_user(&self, client_id: &str, user_id: &str) -> Result<(), SqlDirectoryError> {
        self.assign(client_id, KIND_USER, user_id).await
    }

    /// Assigns group `group_id` to client `client_id`: every member is assigned through it.
    /// The client need not be registered yet.
    ///
    /// # Errors
    /// [`SqlDirectoryError::UnknownGroup`] if there is no such group;
    /// [`SqlDirectoryError::Store`] if the database fails. Nothing is changed then.
    pub async fn assign_group(&self, client_id: &str, group_id: &str) -> Result<(), SqlDirectoryError> {
        self.assign(client_id, KIND_GROUP, group_id).await
    }

    async fn assign(&self, client_id: &str, kind: &'static str, assignee_id: &str) -> Result<(), SqlDirectoryError> {
        let mut write = self.begin_write().await?;
        let (exists, unknown) = if kind == KIND_USER {
            (USER_EXISTS, SqlDirectoryError::UnknownUser)
        } else {
            (GROUP_EXISTS, SqlDirectoryError::UnknownGroup)
        };
        if !write.exists(exists, assignee_id).await? {
            return Self::refuse(write, unknown).await;
        }
        let added = write
            .execute(
                sqlx::query(
                    "INSERT INTO client_assignments (client_id, kind, assignee_id) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(client_id)
                .bind(kind)
                .bind(assignee_id),
            )
            .await?;
        self.finish(write, added > 0).await?;
        Ok(())
    }

    /// Removes user `user_id`'s direct assignment to client `client_id` (assignments through
    /// groups stay). Returns whether it existed.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails; nothing is changed then.
    pub async fn unassign_user(&self, client_id: &str, user_id: &str) -> Result<bool, StoreError> {
        self.unassign(client_id, KIND_USER, user_id).await
    }

    /// Removes group `group_id`'s assignment to client `client_id`. Returns whether it existed.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails; nothing is changed then.
    pub async fn unassign_group(&self, client_id: &str, group_id: &str) -> Result<bool, StoreError> {
        self.unassign(client_id, KIND_GROUP, group_id).await
    }

    async fn unassign(&self, client_id: &str, kind: &'static str, assignee_id: &str) -> Result<bool, StoreError> {
        let mut write = self.begin_write().await?;
        let removed = write
            .execute(
                sqlx::query("DELETE FROM client_assignments WHERE client_id = $1 AND kind = $2 AND assignee_id = $3")
                    .bind(client_id)
                    .bind(kind)
                    .bind(assignee_id),
            )
            .await?;
        self.finish(write, removed > 0).await
    }

    /// Reseals every `client_secret_jwt` key not sealed under the current KEK. Returns how many
    /// keys were rewritten; each rewrite is a compare-and-swap on the stored text, so a
    /// concurrent change or reseal wins.
    pub(super) async fn reseal(&self) -> Result<usize, StoreError> {
        let rows = sqlx::query("SELECT client_id, sealed FROM client_secret_jwt_keys")
            .fetch_all(self.shared.pool())
            .await
            .map_err(store_error)?;
        let mut resealed = 0;
        for row in rows {
            let client_id: String = column(&row, "client_id")?;
            let stored: String = column(&row, "sealed")?;
            let sealed = Sealed::decode(&stored).map_err(|error| corrupt("client_secret_jwt key", error))?;
            if self.shared.keys.is_current(&sealed) {
                continue;
            }
            let context = jwt_key_context(&client_id);
            let key = self
                .shared
                .keys
                .open(&context, &sealed)
                .map_err(|error| corrupt("client_secret_jwt key", error))?;
            let text = self
                .shared
                .keys
                .seal(&context, &key)
                .map_err(|error| StoreError::Other(Box::new(error)))?
                .encode();
            let mut write = self.begin_write().await?;
            let updated = write
                .execute(
                    sqlx::query("UPDATE client_secret_jwt_keys SET sealed = $1 WHERE client_id = $2 AND sealed = $3")
                        .bind(text)
                        .bind(&client_id)
                        .bind(&stored),
                )
                .await?;
            resealed += usize::from(self.finish(write, updated == 1).await?);
        }
        Ok(resealed)
    }
}

impl Directory for SqlDirectory {
    /// Answers from the cache when the directory has not changed since the client was cached
    /// (as far as the last poll of the change counter, if recent enough, tells).
    async fn client(&self, client_id: &str) -> Result<Option<Arc<ClientRecord>>, StoreError> {
        let counter = self.shared.watch.directory(self.shared.options.stale_after);
        if let Some(counter) = counter {
            let cache = self.cache();
            if let Some(hit) = cache.get(client_id).filter(|hit| hit.counter == counter) {
                return Ok(Some(Arc::clone(&hit.record)));
            }
        }
        let row = sqlx::query("SELECT record FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        let found: Option<Arc<ClientRecord>> = row.map(|row| record("client", &row).map(Arc::new)).transpose()?;
        // Stamped with the counter read before the query: if the directory changed meanwhile,
        // the counter has moved past the stamp and the entry is not used.
        if let (Some(counter), Some(found)) = (counter, &found) {
            let mut cache = self.cache();
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(
                client_id.to_owned(),
                Cached {
                    counter,
                    record: Arc::clone(found),
                },
            );
        }
        Ok(found)
    }

    async fn clients(&self) -> Result<Vec<ClientRecord>, StoreError> {
        let rows = sqlx::query("SELECT record FROM clients ORDER BY position, client_id")
            .fetch_all(self.shared.pool())
            .await
            .map_err(store_error)?;
        rows.iter().map(|row| record("client", row)).collect()
    }

    /// A new client comes last in [`clients`](Directory::clients); a replaced one keeps its
    /// place. The revision is the directory counter's value at the write.
    async fn put_client(&self, client: ClientRecord) -> Result<(), StoreError> {
        let document = to_json("client", &client)?;
        let mut write = self.begin_write().await?;
        let revision = revision_to_db(write.counter)?;
        write
            .execute(
                sqlx::query(
                    "INSERT INTO clients (client_id, position, record, revision) \
                     VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM clients), $2, $3) \
                     ON CONFLICT (client_id) DO UPDATE SET record = excluded.record, revision = excluded.revision",
                )
                .bind(&client.client.client_id)
                .bind(document)
                .bind(revision),
            )
            .await?;
        self.commit(write).await
    }

    /// Read from the database, never from the cache.
    async fn client_revision(&self, client_id: &str) -> Result<Option<(ClientRecord, u64)>, StoreError> {
        let row = sqlx::query("SELECT record, revision FROM clients WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| Ok((record("client", &row)?, revision_from_db(column(&row, "revision")?)?)))
            .transpose()
    }

    /// One transaction: the insert (its revision is the directory counter's value) and the key,
    /// sealed as [`set_client_secret_jwt_key`](SqlDirectory::set_client_secret_jwt_key) seals it.
    async fn insert_client(&self, client: ClientRecord, jwt_key: Option<&ClientSecret>) -> Result<u64, StoreError> {
        let document = to_json("client", &client)?;
        let client_id = client.client.client_id.as_str();
        let sealed = self.seal_jwt_key(client_id, jwt_key)?;
        let mut write = self.begin_write().await?;
        let revision = write.counter;
        let inserted = write
            .execute(
                sqlx::query(
                    "INSERT INTO clients (client_id, position, record, revision) \
                     VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM clients), $2, $3) \
                     ON CONFLICT (client_id) DO NOTHING",
                )
                .bind(client_id)
                .bind(document)
                .bind(revision_to_db(revision)?),
            )
            .await?;
        if inserted == 0 {
            write.rollback().await?;
            return Err(StoreError::Conflict);
        }
        write_jwt_key(&mut write, client_id, sealed).await?;
        self.commit(write).await?;
        Ok(revision)
    }

    /// One transaction: the conditional update (`… WHERE client_id = $3 AND revision = $4`,
    /// the new revision being the directory counter's value) and the key change.
    async fn replace_client(
        &self,
        client: ClientRecord,
        jwt_key: JwtKeyChange<'_>,
        expected_revision: u64,
    ) -> Result<Saved, StoreError> {
        let document = to_json("client", &client)?;
        let client_id = client.client.client_id.as_str();
        let sealed = match jwt_key {
            JwtKeyChange::Set(key) => self.seal_jwt_key(client_id, Some(key))?,
            JwtKeyChange::Keep | JwtKeyChange::Forget => None,
        };
        let mut write = self.begin_write().await?;
        let revision = write.counter;
        let updated = write
            .execute(
                sqlx::query("UPDATE clients SET record = $1, revision = $2 WHERE client_id = $3 AND revision = $4")
                    .bind(document)
                    .bind(revision_to_db(revision)?)
                    .bind(client_id)
                    .bind(revision_to_db(expected_revision)?),
            )
            .await?;
        if updated == 0 {
            let exists = write
                .fetch_optional(sqlx::query("SELECT client_id FROM clients WHERE client_id = $1").bind(client_id))
                .await?
                .is_some();
            write.rollback().await?;
            return Ok(if exists { Saved::Stale } else { Saved::Missing });
        }
        if jwt_key != JwtKeyChange::Keep {
            write_jwt_key(&mut write, client_id, sealed).await?;
        }
        self.commit(write).await?;
        Ok(Saved::Saved { revision })
    }

    fn keeps_client_secret_jwt_keys(&self) -> bool {
        true
    }

    /// Also removes the client's user and group assignments and its `client_secret_jwt` key,
    /// so a client registered later with the same id starts with none.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let mut write = self.begin_write().await?;
        let deleted = write
            .execute(sqlx::query("DELETE FROM clients WHERE client_id = $1").bind(client_id))
            .await?;
        if deleted > 0 {
            write
                .execute(sqlx::query("DELETE FROM client_assignments WHERE client_id = $1").bind(client_id))
                .await?;
            write
                .execute(sqlx::query("DELETE FROM client_secret_jwt_keys WHERE client_id = $1").bind(client_id))
                .await?;
        }
        self.finish(write, deleted > 0).await
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT record FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| record("user", &row)).transpose()
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT record FROM users WHERE login = $1")
            .bind(fold_login(login))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| record("user", &row)).transpose()
    }

    /// The groups in the order they were first added.
    async fn user_groups(&self, user_id: &str) -> Result<Vec<Group>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.record AS record FROM group_members m JOIN groups g ON g.id = m.group_id \
             WHERE m.user_id = $1 ORDER BY g.position, g.id",
        )
        .bind(user_id)
        .fetch_all(self.shared.pool())
        .await
        .map_err(store_error)?;
        rows.iter().map(|row| record("group", row)).collect()
    }

    async fn is_assigned(&self, client_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT a.client_id AS client_id FROM client_assignments a WHERE a.client_id = $1 AND ( \
             (a.kind = $2 AND a.assignee_id = $4) OR \
             (a.kind = $3 AND a.assignee_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = $4))) \
             LIMIT 1",
        )
        .bind(client_id)
        .bind(KIND_USER)
        .bind(KIND_GROUP)
        .bind(user_id)
        .fetch_optional(self.shared.pool())
        .await
        .map_err(store_error)?;
        Ok(row.is_some())
    }

    /// The key is stored sealed under the key-encryption key, bound to the client: a sealed
    /// key copied to another client's row does not open.
    async fn client_secret_jwt_key(&self, client_id: &str) -> Result<Option<ClientSecret>, StoreError> {
        let row = sqlx::query("SELECT sealed FROM client_secret_jwt_keys WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sealed = Sealed::decode(&column::<String>(&row, "sealed")?)
            .map_err(|error| corrupt("client_secret_jwt key", error))?;
        let key = self
            .shared
            .keys
            .open(&jwt_key_context(client_id), &sealed)
            .map_err(|error| corrupt("client_secret_jwt key", error))?;
        let text = std::str::from_utf8(&key).map_err(|error| corrupt("client_secret_jwt key", error))?;
        Ok(Some(ClientSecret::from_received(text)))
    }

    /// Keeps the key sealed (see [`set_client_secret_jwt_key`](SqlDirectory::set_client_secret_jwt_key))
    /// and answers `true`.
    async fn store_client_secret_jwt_key(
        &self,
        client_id: &str,
        key: Option<&ClientSecret>,
    ) -> Result<bool, StoreError> {
        match self.set_client_secret_jwt_key(client_id, key.cloned()).await {
            Ok(()) => Ok(true),
            Err(SqlDirectoryError::Store(error)) => Err(error),
            Err(error) => Err(StoreError::Other(Box::new(error))),
        }
    }

    /// Returns the user whatever their status (the grant decides what a status means). The
    /// PBKDF2 work runs on the CPU pool; an unknown login or a user without a password
    /// costs the same verification, against a dummy hash.
    async fn check_password(&self, login: &str, password: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT record, password FROM users WHERE login = $1")
            .bind(fold_login(login))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        let found = match row {
            Some(row) => match column::<Option<String>>(&row, "password")? {
                Some(phc) => {
                    let hash: PasswordHash = phc.parse().map_err(|error| corrupt("password hash", error))?;
                    Some((record::<User>("user", &row)?, hash))
                }
                None => None,
            },
            None => None,
        };
        verify_password(&self.cpu, self.hasher, self.dummy.clone(), found, password).await
    }
}

/// A [`SqlDirectoryError`] as [`DirectoryWrites`] reports it: the database's own error, a
/// `Conflict` for a taken login, anything else `Other` with the error as its source.
fn write_error(error: SqlDirectoryError) -> StoreError {
    match error {
        SqlDirectoryError::Store(error) => error,
        SqlDirectoryError::LoginTaken => StoreError::Conflict,
        other => StoreError::Other(Box::new(other)),
    }
}

/// The inherent methods, each one transaction.
impl DirectoryWrites for SqlDirectory {
    async fn put_user(&self, user: User, password: Option<&str>) -> Result<(), StoreError> {
        self.add_user(user, password).await.map_err(write_error)
    }

    async fn put_group(&self, group: Group) -> Result<(), StoreError> {
        self.add_group(group).await.map_err(write_error)
    }

    async fn put_member(&self, group_id: &str, user_id: &str) -> Result<(), StoreError> {
        self.add_member(group_id, user_id).await.map_err(write_error)
    }

    async fn put_user_assignment(&self, client_id: &str, user_id: &str) -> Result<(), StoreError> {
        self.assign_user(client_id, user_id).await.map_err(write_error)
    }

    async fn put_group_assignment(&self, client_id: &str, group_id: &str) -> Result<(), StoreError> {
        self.assign_group(client_id, group_id).await.map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn writes_through_the_trait_repeat_harmlessly() {
        let (db, _dir) = super::super::test_database().await;
        crate::store::directory::check_directory_writes(&db.directory(PasswordHasher::with_iterations(10))).await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn clients_stored_before_revisions_existed_can_be_replaced() {
        // Migration 3 adds `clients.revision` with 0 for the rows already there; the first
        // compare-and-swap over 0 saves, and revisions then come from the directory counter.
        let (db, _dir) = super::super::test_database().await;
        let directory = db.directory(PasswordHasher::with_iterations(10));
        let record: ClientRecord =
            serde_json::from_value(serde_json::json!({"client_id": "old", "client_name": "Old"})).unwrap();
        directory.put_client(record.clone()).await.unwrap();
        sqlx::query("UPDATE clients SET revision = 0")
            .execute(&db.shared.pool)
            .await
            .unwrap();
        assert_eq!(
            directory.client_revision("old").await.unwrap(),
            Some((record.clone(), 0))
        );
        let saved = directory
            .replace_client(record.clone(), JwtKeyChange::Keep, 0)
            .await
            .unwrap();
        let counter: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'directory'")
            .fetch_one(&db.shared.pool)
            .await
            .unwrap();
        assert_eq!(
            saved,
            Saved::Saved {
                revision: u64::try_from(counter).unwrap()
            }
        );
        assert_eq!(
            directory.replace_client(record, JwtKeyChange::Keep, 0).await.unwrap(),
            Saved::Stale
        );
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn debug_shows_no_stored_data() {
        let (db, _dir) = super::super::test_database().await;
        let directory = db.directory(PasswordHasher::with_iterations(10));
        directory
            .set_client_secret_jwt_key("c1", Some(ClientSecret::from_received("jwt-key-secret")))
            .await
            .unwrap();
        let shown = format!("{directory:?}");
        assert!(
            shown.starts_with("SqlDirectory { backend: Sqlite, iterations: 10"),
            "{shown}"
        );
        assert!(!shown.contains("jwt-key-secret"));
        assert_eq!(directory.dummy.as_ref().map(PasswordHash::iterations), Some(10));
    }
}

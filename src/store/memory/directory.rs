//! The in-memory [`Directory`]: clients, users, groups, memberships, client assignments and
//! password hashes in process memory.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use zeroize::Zeroizing;

use crate::cpu_pool::CpuPool;
use crate::crypto::{CryptoError, PasswordHash, PasswordHasher};
use crate::id_map::IdMap;
use crate::model::{ClientRecord, Group, User};
use crate::secret::ClientSecret;
use crate::store::directory::{Directory, DirectoryWrites, JwtKeyChange, dummy_hash, fold_login, verify_password};
use crate::store::{Saved, StoreError};

/// A [`Directory`] in process memory, populated by the host or test harness with the inherent
/// methods ([`add_user`](Self::add_user), [`add_group`](Self::add_group),
/// [`add_member`](Self::add_member), [`assign_user`](Self::assign_user), …); clients are
/// written through [`Directory::put_client`] like any directory's.
///
/// * Logins are compared case-insensitively (Okta's logins are): `Alice@Example.com` and
///   `alice@example.com` are the same login, and two users cannot share one.
/// * Passwords are kept only as slow, salted hashes made by the [`PasswordHasher`] chosen at
///   construction. [`check_password`](Directory::check_password) verifies on a [`CpuPool`]
///   (its own, sized to the cores, or the one given to [`with_cpu_pool`](Self::with_cpu_pool)),
///   never on the async executor's threads. When the login is unknown, or its user has no password,
///   it verifies against a fixed dummy hash of the same cost before answering `None`, so the
///   answer's timing does not tell whether the login exists.
/// * [`check_password`](Directory::check_password) returns the user whatever their
///   [`status`](crate::model::UserStatus): what a `SUSPENDED` or `LOCKED_OUT` user may do is the
///   grant's decision, not the directory's.
/// * [`is_assigned`](Directory::is_assigned) is true when the user is assigned to the client
///   directly or is a member of a group assigned to it.
///
/// Each operation does its whole read-modify-write under one lock acquisition and never awaits
/// while holding it; password hashing and verification happen outside the lock. A poisoned lock
/// is recovered: every operation checks everything before it changes anything, and none panics.
///
/// `Debug` shows how many entries are stored, nothing else (no password hashes).
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use authserver::crypto::PasswordHasher;
/// use authserver::model::{Group, User};
/// use authserver::store::{Directory, MemoryDirectory};
///
/// let directory = MemoryDirectory::new(PasswordHasher::with_iterations(1_000));
/// let user: User = serde_json::from_value(serde_json::json!({
///     "id": "00u1", "status": "ACTIVE", "profile": {"login": "Ada@Example.com"}
/// }))?;
/// let group: Group = serde_json::from_value(serde_json::json!({
///     "id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Engineers"}
/// }))?;
/// directory.add_user(user, Some("correct horse"))?;
/// directory.add_group(group);
/// directory.add_member("00g1", "00u1")?;
/// directory.assign_group("0oa-app", "00g1")?;
///
/// let signed_in = directory.check_password("ada@example.com", "correct horse").await?;
/// assert_eq!(signed_in.map(|user| user.id).as_deref(), Some("00u1"));
/// assert!(directory.is_assigned("0oa-app", "00u1").await?);
/// # Ok(())
/// # }
/// # futures::executor::block_on(demo()).unwrap();
/// ```
pub struct MemoryDirectory {
    hasher: PasswordHasher,
    cpu: CpuPool,
    /// Verified against when there is no real hash to verify: same cost as the hasher's hashes.
    /// `None` only if the fixed PHC string failed to parse, which a test rules out; then a fresh
    /// hash of the presented password is computed instead, which costs the same.
    dummy: Option<PasswordHash>,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    /// Client id → the client with its revision, and its registration sequence number.
    clients: IdMap<Sequenced<ClientEntry>>,
    next_client: u64,
    /// The revision the next client write stamps: one counter for every client, so that a
    /// revision is never reused for a client id, even after a delete.
    next_revision: u64,
    /// User id → the user and their password hash.
    users: HashMap<String, UserEntry>,
    /// Case-folded login → user id.
    logins: HashMap<String, String>,
    /// Group id → the group and its sequence number (the order `user_groups` answers in).
    groups: HashMap<String, Sequenced<Group>>,
    next_group: u64,
    /// User id → ids of the groups the user is a member of (indexed by user, since
    /// `user_groups` and `is_assigned` both ask by user).
    memberships: HashMap<String, HashSet<String>>,
    /// Client id → the users and groups assigned to it.
    assignments: HashMap<String, Assignments>,
    /// Client id → the key verifying its `client_secret_jwt` assertions (its secret).
    client_secret_jwt_keys: HashMap<String, ClientSecret>,
}

struct Sequenced<T> {
    value: T,
    sequence: u64,
}

/// A stored client and its revision.
#[derive(Clone)]
struct ClientEntry {
    record: Arc<ClientRecord>,
    revision: u64,
}

impl State {
    /// A fresh client revision.
    fn revision(&mut self) -> u64 {
        self.next_revision = self.next_revision.saturating_add(1);
        self.next_revision
    }

    /// Stores `record` with a fresh revision (in place if its id is taken, else last); returns
    /// the revision.
    fn store_client(&mut self, record: ClientRecord) -> u64 {
        let revision = self.revision();
        let State {
            clients, next_client, ..
        } = self;
        let id = record.client.client_id.clone();
        insert_sequenced(
            clients,
            next_client,
            id,
            ClientEntry {
                record: Arc::new(record),
                revision,
            },
        );
        revision
    }

    /// Sets (`Some`) or forgets (`None`) client `client_id`'s `client_secret_jwt` key.
    fn set_jwt_key(&mut self, client_id: &str, key: Option<ClientSecret>) {
        match key {
            Some(key) => {
                self.client_secret_jwt_keys.insert(client_id.to_owned(), key);
            }
            None => {
                self.client_secret_jwt_keys.remove(client_id);
            }
        }
    }
}

struct UserEntry {
    user: User,
    password: Option<PasswordHash>,
}

#[derive(Default)]
struct Assignments {
    users: HashSet<String>,
    groups: HashSet<String>,
}

impl Assignments {
    fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// Why populating a [`MemoryDirectory`] failed. Nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryDirectoryError {
    /// Hashing the password failed (the random source for its salt).
    #[error("hashing the password failed")]
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

fn insert_sequenced<T, S: std::hash::BuildHasher>(
    map: &mut HashMap<String, Sequenced<T>, S>,
    next: &mut u64,
    id: String,
    value: T,
) {
    match map.get_mut(&id) {
        // Replacing keeps the original position.
        Some(entry) => entry.value = value,
        None => {
            map.insert(id, Sequenced { value, sequence: *next });
            *next = next.wrapping_add(1);
        }
    }
}

fn in_order<'a, T: Clone + 'a>(entries: impl Iterator<Item = &'a Sequenced<T>>) -> Vec<T> {
    let mut entries: Vec<&'a Sequenced<T>> = entries.collect();
    entries.sort_unstable_by_key(|entry| entry.sequence);
    entries.into_iter().map(|entry| entry.value.clone()).collect()
}

impl Default for MemoryDirectory {
    /// An empty directory hashing passwords with [`PasswordHasher::default`].
    fn default() -> Self {
        Self::new(PasswordHasher::default())
    }
}

impl MemoryDirectory {
    /// An empty directory whose passwords are hashed with `hasher`.
    pub fn new(hasher: PasswordHasher) -> Self {
        Self {
            hasher,
            cpu: CpuPool::default(),
            dummy: dummy_hash(hasher.iterations()),
            state: RwLock::default(),
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

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn hash(&self, password: Option<&str>) -> Result<Option<PasswordHash>, MemoryDirectoryError> {
        Ok(password.map(|password| self.hasher.hash(password)).transpose()?)
    }

    /// Adds a user, or replaces the user with the same id (keeping their group memberships and
    /// client assignments), and sets their password: `None` leaves the user without one, so
    /// every password check for them fails.
    ///
    /// The password is hashed on the calling thread; with the default cost that takes a
    /// noticeable moment, so hash ahead with [`PasswordHasher::hash`] and use
    /// [`add_user_with_hash`](Self::add_user_with_hash) when adding many users from async code.
    ///
    /// # Errors
    /// [`MemoryDirectoryError::LoginTaken`] if another user has the same login (compared
    /// case-insensitively); [`MemoryDirectoryError::Crypto`] if hashing fails. Nothing is
    /// changed then.
    pub fn add_user(&self, user: User, password: Option<&str>) -> Result<(), MemoryDirectoryError> {
        let hash = self.hash(password)?;
        self.add_user_with_hash(user, hash)
    }

    /// Like [`add_user`](Self::add_user), with a password hash made beforehand (or read back
    /// from its PHC string form, to import users).
    ///
    /// # Errors
    /// [`MemoryDirectoryError::LoginTaken`] if another user has the same login (compared
    /// case-insensitively). Nothing is changed then.
    pub fn add_user_with_hash(&self, user: User, password: Option<PasswordHash>) -> Result<(), MemoryDirectoryError> {
        let login = fold_login(&user.profile.login);
        let mut state = self.write();
        if state.logins.get(&login).is_some_and(|owner| *owner != user.id) {
            return Err(MemoryDirectoryError::LoginTaken);
        }
        let id = user.id.clone();
        if let Some(previous) = state.users.insert(id.clone(), UserEntry { user, password }) {
            let previous_login = fold_login(&previous.user.profile.login);
            if previous_login != login {
                state.logins.remove(&previous_login);
            }
        }
        state.logins.insert(login, id);
        Ok(())
    }

    /// Sets (`Some`) or removes (`None`) the password of user `user_id`.
    ///
    /// # Errors
    /// [`MemoryDirectoryError::UnknownUser`] if there is no such user;
    /// [`MemoryDirectoryError::Crypto`] if hashing fails. Nothing is changed then.
    pub fn set_password(&self, user_id: &str, password: Option<&str>) -> Result<(), MemoryDirectoryError> {
        let hash = self.hash(password)?;
        self.set_password_hash(user_id, hash)
    }

    /// Sets (`Some`) or removes (`None`) the password hash of user `user_id`.
    ///
    /// # Errors
    /// [`MemoryDirectoryError::UnknownUser`] if there is no such user.
    pub fn set_password_hash(&self, user_id: &str, password: Option<PasswordHash>) -> Result<(), MemoryDirectoryError> {
        let mut state = self.write();
        let entry = state.users.get_mut(user_id).ok_or(MemoryDirectoryError::UnknownUser)?;
        entry.password = password;
        Ok(())
    }

    /// Removes user `user_id` with their password, group memberships and direct client
    /// assignments. Returns whether the user existed.
    pub fn remove_user(&self, user_id: &str) -> bool {
        let mut state = self.write();
        let Some(removed) = state.users.remove(user_id) else {
            return false;
        };
        let login = fold_login(&removed.user.profile.login);
        if state.logins.get(&login).is_some_and(|owner| owner == user_id) {
            state.logins.remove(&login);
        }
        state.memberships.remove(user_id);
        state.assignments.retain(|_, assigned| {
            assigned.users.remove(user_id);
            !assigned.is_empty()
        });
        true
    }

    /// Adds a group, or replaces the group with the same id (keeping its members and client
    /// assignments).
    pub fn add_group(&self, group: Group) {
        let mut state = self.write();
        let State { groups, next_group, .. } = &mut *state;
        insert_sequenced(groups, next_group, group.id.clone(), group);
    }

    /// Removes group `group_id` with its memberships and client assignments. Returns whether
    /// the group existed.
    pub fn remove_group(&self, group_id: &str) -> bool {
        let mut state = self.write();
        if state.groups.remove(group_id).is_none() {
            return false;
        }
        state.memberships.retain(|_, groups| {
            groups.remove(group_id);
            !groups.is_empty()
        });
        state.assignments.retain(|_, assigned| {
            assigned.groups.remove(group_id);
            !assigned.is_empty()
        });
        true
    }

    /// Makes user `user_id` a member of group `group_id` (no change if they already are).
    ///
    /// # Errors
    /// [`MemoryDirectoryError::UnknownGroup`] or [`MemoryDirectoryError::UnknownUser`] if either
    /// does not exist.
    pub fn add_member(&self, group_id: &str, user_id: &str) -> Result<(), MemoryDirectoryError> {
        let mut state = self.write();
        if !state.groups.contains_key(group_id) {
            return Err(MemoryDirectoryError::UnknownGroup);
        }
        if !state.users.contains_key(user_id) {
            return Err(MemoryDirectoryError::UnknownUser);
        }
        state
            .memberships
            .entry(user_id.to_owned())
            .or_default()
            .insert(group_id.to_owned());
        Ok(())
    }

    /// Removes user `user_id` from group `group_id`. Returns whether they were a member.
    pub fn remove_member(&self, group_id: &str, user_id: &str) -> bool {
        let mut state = self.write();
        let Some(groups) = state.memberships.get_mut(user_id) else {
            return false;
        };
        let removed = groups.remove(group_id);
        if groups.is_empty() {
            state.memberships.remove(user_id);
        }
        removed
    }

    /// Keeps `secret` as the key verifying client `client_id`'s `client_secret_jwt` assertions
    /// (see [`Directory::client_secret_jwt_key`]), or forgets it with `None`. In memory, like
    /// everything this directory holds; the client need not be registered yet.
    pub fn set_client_secret_jwt_key(&self, client_id: &str, secret: Option<ClientSecret>) {
        self.write().set_jwt_key(client_id, secret);
    }

    /// Assigns user `user_id` to client `client_id` directly. The client need not be
    /// registered yet.
    ///
    /// # Errors
    /// [`MemoryDirectoryError::UnknownUser`] if there is no such user.
    pub fn assign_user(&self, client_id: &str, user_id: &str) -> Result<(), MemoryDirectoryError> {
        let mut state = self.write();
        if !state.users.contains_key(user_id) {
            return Err(MemoryDirectoryError::UnknownUser);
        }
        state
            .assignments
            .entry(client_id.to_owned())
            .or_default()
            .users
            .insert(user_id.to_owned());
        Ok(())
    }

    /// Assigns group `group_id` to client `client_id`: every member is assigned through it.
    /// The client need not be registered yet.
    ///
    /// # Errors
    /// [`MemoryDirectoryError::UnknownGroup`] if there is no such group.
    pub fn assign_group(&self, client_id: &str, group_id: &str) -> Result<(), MemoryDirectoryError> {
        let mut state = self.write();
        if !state.groups.contains_key(group_id) {
            return Err(MemoryDirectoryError::UnknownGroup);
        }
        state
            .assignments
            .entry(client_id.to_owned())
            .or_default()
            .groups
            .insert(group_id.to_owned());
        Ok(())
    }

    /// Removes user `user_id`'s direct assignment to client `client_id` (assignments through
    /// groups stay). Returns whether it existed.
    pub fn unassign_user(&self, client_id: &str, user_id: &str) -> bool {
        self.unassign(client_id, |assigned| assigned.users.remove(user_id))
    }

    /// Removes group `group_id`'s assignment to client `client_id`. Returns whether it existed.
    pub fn unassign_group(&self, client_id: &str, group_id: &str) -> bool {
        self.unassign(client_id, |assigned| assigned.groups.remove(group_id))
    }

    fn unassign(&self, client_id: &str, remove: impl FnOnce(&mut Assignments) -> bool) -> bool {
        let mut state = self.write();
        let Some(assigned) = state.assignments.get_mut(client_id) else {
            return false;
        };
        let removed = remove(assigned);
        if assigned.is_empty() {
            state.assignments.remove(client_id);
        }
        removed
    }
}

impl fmt::Debug for MemoryDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (clients, users, passwords, groups, memberships, assignments) = {
            let state = self.read();
            (
                state.clients.len(),
                state.users.len(),
                state.users.values().filter(|entry| entry.password.is_some()).count(),
                state.groups.len(),
                state.memberships.values().map(HashSet::len).sum::<usize>(),
                state
                    .assignments
                    .values()
                    .map(|assigned| assigned.users.len() + assigned.groups.len())
                    .sum::<usize>(),
            )
        };
        f.debug_struct("MemoryDirectory")
            .field("clients", &clients)
            .field("users", &users)
            .field("passwords", &passwords)
            .field("groups", &groups)
            .field("memberships", &memberships)
            .field("assignments", &assignments)
            .finish()
    }
}

impl Directory for MemoryDirectory {
    async fn client(&self, client_id: &str) -> Result<Option<Arc<ClientRecord>>, StoreError> {
        Ok(self
            .read()
            .clients
            .get(client_id)
            .map(|entry| Arc::clone(&entry.value.record)))
    }

    async fn clients(&self) -> Result<Vec<ClientRecord>, StoreError> {
        let entries = in_order(self.read().clients.values());
        Ok(entries
            .into_iter()
            .map(|entry| Arc::unwrap_or_clone(entry.record))
            .collect())
    }

    async fn put_client(&self, client: ClientRecord) -> Result<(), StoreError> {
        self.write().store_client(client);
        Ok(())
    }

    async fn client_revision(&self, client_id: &str) -> Result<Option<(ClientRecord, u64)>, StoreError> {
        Ok(self
            .read()
            .clients
            .get(client_id)
            .map(|entry| (ClientRecord::clone(&entry.value.record), entry.value.revision)))
    }

    async fn insert_client(&self, client: ClientRecord, jwt_key: Option<&ClientSecret>) -> Result<u64, StoreError> {
        let mut state = self.write();
        let id = client.client.client_id.clone();
        if state.clients.contains_key(&id) {
            return Err(StoreError::Conflict);
        }
        let revision = state.store_client(client);
        state.set_jwt_key(&id, jwt_key.cloned());
        Ok(revision)
    }

    async fn replace_client(
        &self,
        client: ClientRecord,
        jwt_key: JwtKeyChange<'_>,
        expected_revision: u64,
    ) -> Result<Saved, StoreError> {
        let mut state = self.write();
        let id = client.client.client_id.clone();
        match state.clients.get(&id) {
            None => return Ok(Saved::Missing),
            Some(entry) if entry.value.revision != expected_revision => return Ok(Saved::Stale),
            Some(_) => {}
        }
        let revision = state.store_client(client);
        match jwt_key {
            JwtKeyChange::Keep => {}
            JwtKeyChange::Set(key) => state.set_jwt_key(&id, Some(key.clone())),
            JwtKeyChange::Forget => state.set_jwt_key(&id, None),
        }
        Ok(Saved::Saved { revision })
    }

    fn keeps_client_secret_jwt_keys(&self) -> bool {
        true
    }

    /// Also removes the client's user and group assignments and its `client_secret_jwt` key,
    /// so a client registered later with the same id starts with none.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let mut state = self.write();
        let existed = state.clients.remove(client_id).is_some();
        if existed {
            state.assignments.remove(client_id);
            state.client_secret_jwt_keys.remove(client_id);
        }
        Ok(existed)
    }

    async fn store_client_secret_jwt_key(
        &self,
        client_id: &str,
        key: Option<&ClientSecret>,
    ) -> Result<bool, StoreError> {
        self.set_client_secret_jwt_key(client_id, key.cloned());
        Ok(true)
    }

    async fn client_secret_jwt_key(&self, client_id: &str) -> Result<Option<ClientSecret>, StoreError> {
        Ok(self.read().client_secret_jwt_keys.get(client_id).cloned())
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.read().users.get(id).map(|entry| entry.user.clone()))
    }

    async fn user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let login = fold_login(login);
        let state = self.read();
        Ok(state
            .logins
            .get(&login)
            .and_then(|id| state.users.get(id))
            .map(|entry| entry.user.clone()))
    }

    async fn user_groups(&self, user_id: &str) -> Result<Vec<Group>, StoreError> {
        let state = self.read();
        let Some(group_ids) = state.memberships.get(user_id) else {
            return Ok(Vec::new());
        };
        Ok(in_order(group_ids.iter().filter_map(|id| state.groups.get(id))))
    }

    async fn is_assigned(&self, client_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let state = self.read();
        let Some(assigned) = state.assignments.get(client_id) else {
            return Ok(false);
        };
        if assigned.users.contains(user_id) {
            return Ok(true);
        }
        Ok(state
            .memberships
            .get(user_id)
            .is_some_and(|groups| groups.iter().any(|group| assigned.groups.contains(group))))
    }

    /// Returns the user whatever their status (the grant decides what a status means). The
    /// PBKDF2 work runs on the CPU pool; an unknown login or a user without a password
    /// costs the same verification, against a dummy hash.
    async fn check_password(&self, login: &str, password: &str) -> Result<Option<User>, StoreError> {
        let found = {
            let state = self.read();
            state
                .logins
                .get(&fold_login(login))
                .and_then(|id| state.users.get(id))
                .and_then(|entry| Some((entry.user.clone(), entry.password.clone()?)))
        };
        verify_password(&self.cpu, self.hasher, self.dummy.clone(), found, password).await
    }
}

/// A [`MemoryDirectoryError`] as [`DirectoryWrites`] reports it: a taken login is a
/// `Conflict`, anything else `Other` with the error as its source.
fn write_error(error: MemoryDirectoryError) -> StoreError {
    match error {
        MemoryDirectoryError::LoginTaken => StoreError::Conflict,
        other => StoreError::Other(Box::new(other)),
    }
}

/// The inherent methods, with the password hashed on the CPU pool.
impl DirectoryWrites for MemoryDirectory {
    async fn put_user(&self, user: User, password: Option<&str>) -> Result<(), StoreError> {
        let hash = match password {
            None => None,
            Some(password) => {
                let password = Zeroizing::new(password.to_owned());
                let hasher = self.hasher;
                let hashed = self.cpu.run(move || hasher.hash(&password)).await;
                let hashed = hashed.map_err(StoreError::from)?;
                Some(hashed.map_err(|error| write_error(error.into()))?)
            }
        };
        self.add_user_with_hash(user, hash).map_err(write_error)
    }

    async fn put_group(&self, group: Group) -> Result<(), StoreError> {
        self.add_group(group);
        Ok(())
    }

    async fn put_member(&self, group_id: &str, user_id: &str) -> Result<(), StoreError> {
        self.add_member(group_id, user_id).map_err(write_error)
    }

    async fn put_user_assignment(&self, client_id: &str, user_id: &str) -> Result<(), StoreError> {
        self.assign_user(client_id, user_id).map_err(write_error)
    }

    async fn put_group_assignment(&self, client_id: &str, group_id: &str) -> Result<(), StoreError> {
        self.assign_group(client_id, group_id).map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::model::UserStatus;

    fn directory() -> MemoryDirectory {
        MemoryDirectory::new(PasswordHasher::with_iterations(1_000))
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

    #[tokio::test]
    async fn writes_through_the_trait_repeat_harmlessly() {
        crate::store::directory::check_directory_writes(&directory()).await;
    }

    #[test]
    fn the_dummy_hash_costs_what_the_hasher_does() {
        let directory = MemoryDirectory::default();
        assert_eq!(directory.dummy.as_ref().map(PasswordHash::iterations), Some(600_000));
        assert_eq!(directory.hasher(), PasswordHasher::default());
    }

    #[tokio::test]
    async fn logins_are_case_insensitive_and_unique() {
        let directory = directory();
        directory.add_user(user("u1", "Ada@Example.com"), Some("pw1")).unwrap();
        for login in ["Ada@Example.com", "ada@example.com", "ADA@EXAMPLE.COM"] {
            assert_eq!(directory.user_by_login(login).await.unwrap().unwrap().id, "u1");
        }
        assert!(directory.user_by_login("ada@example.co").await.unwrap().is_none());
        assert_eq!(
            directory.add_user(user("u2", "ADA@example.com"), Some("pw2")),
            Err(MemoryDirectoryError::LoginTaken)
        );
        assert!(directory.user("u2").await.unwrap().is_none());

        // Replacing a user may change their login; the old login is freed.
        directory
            .add_user(user("u1", "ada.l@example.com"), Some("pw1"))
            .unwrap();
        assert!(directory.user_by_login("ada@example.com").await.unwrap().is_none());
        assert_eq!(
            directory.user_by_login("Ada.L@example.com").await.unwrap().unwrap().id,
            "u1"
        );
        directory.add_user(user("u2", "ada@example.com"), None).unwrap();
        assert_eq!(
            directory.user_by_login("ADA@example.com").await.unwrap().unwrap().id,
            "u2"
        );
    }

    #[tokio::test]
    async fn check_password_answers_the_user_only_for_the_right_password() {
        let directory = directory();
        directory
            .add_user(user("u1", "Ada@Example.com"), Some("correct horse"))
            .unwrap();
        directory.add_user(user("u2", "bob@example.com"), None).unwrap();
        let found = directory
            .check_password("ADA@example.com", "correct horse")
            .await
            .unwrap();
        assert_eq!(found, Some(user("u1", "Ada@Example.com")));
        assert_eq!(
            directory
                .check_password("ada@example.com", "Correct horse")
                .await
                .unwrap(),
            None
        );
        assert_eq!(directory.check_password("ada@example.com", "").await.unwrap(), None);
        assert_eq!(
            directory
                .check_password("nobody@example.com", "correct horse")
                .await
                .unwrap(),
            None
        );
        // A user without a password cannot sign in with any.
        for guess in ["", "correct horse", "AAAA"] {
            assert_eq!(directory.check_password("bob@example.com", guess).await.unwrap(), None);
        }
        // Setting and removing a password.
        directory.set_password("u2", Some("bob pw")).unwrap();
        assert!(
            directory
                .check_password("bob@example.com", "bob pw")
                .await
                .unwrap()
                .is_some()
        );
        directory.set_password("u2", None).unwrap();
        assert!(
            directory
                .check_password("bob@example.com", "bob pw")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            directory.set_password("u9", Some("x")),
            Err(MemoryDirectoryError::UnknownUser)
        );
    }

    #[tokio::test]
    async fn check_password_returns_inactive_users_too() {
        let directory = directory();
        let mut suspended = user("u1", "sam@example.com");
        suspended.status = UserStatus::Suspended;
        directory.add_user(suspended.clone(), Some("pw")).unwrap();
        assert_eq!(
            directory.check_password("sam@example.com", "pw").await.unwrap(),
            Some(suspended),
            "the grant, not the directory, decides what a status means"
        );
    }

    #[tokio::test]
    async fn imported_hashes_verify() {
        let directory = directory();
        let phc = PasswordHasher::with_iterations(500)
            .hash("imported")
            .unwrap()
            .to_string();
        directory
            .add_user_with_hash(user("u1", "imp@example.com"), Some(phc.parse().unwrap()))
            .unwrap();
        assert!(
            directory
                .check_password("imp@example.com", "imported")
                .await
                .unwrap()
                .is_some()
        );
        directory
            .set_password_hash("u1", Some(PasswordHasher::with_iterations(10).hash("new").unwrap()))
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
    }

    /// On a current-thread runtime, another task keeps running while a password is verified:
    /// the PBKDF2 work is not done on the executor's thread. (Inline verification would finish
    /// within the first poll, before the other task ran once.)
    #[tokio::test]
    async fn check_password_does_not_block_the_executor() {
        use std::sync::atomic::{AtomicBool, Ordering};

        let directory = MemoryDirectory::new(PasswordHasher::with_iterations(100_000));
        directory.add_user(user("u1", "ada@example.com"), Some("pw")).unwrap();
        for (login, expect_user) in [("ada@example.com", true), ("nobody@example.com", false)] {
            let done = AtomicBool::new(false);
            let check = async {
                let found = directory.check_password(login, "pw").await;
                done.store(true, Ordering::SeqCst);
                found
            };
            let ticker = async {
                let mut ticks = 0u64;
                while !done.load(Ordering::SeqCst) {
                    ticks += 1;
                    tokio::task::yield_now().await;
                }
                ticks
            };
            let (found, ticks) = tokio::join!(check, ticker);
            assert_eq!(found.unwrap().is_some(), expect_user, "{login}");
            assert!(
                ticks > 1,
                "{login}: the executor was blocked during verification ({ticks} ticks)"
            );
        }
    }

    #[tokio::test]
    async fn groups_memberships_and_assignments() {
        let directory = directory();
        directory.add_user(user("u1", "a@example.com"), None).unwrap();
        directory.add_user(user("u2", "b@example.com"), None).unwrap();
        directory.add_group(group("g2", "Second"));
        directory.add_group(group("g1", "First"));
        directory.add_member("g1", "u1").unwrap();
        directory.add_member("g2", "u1").unwrap();
        directory.add_member("g2", "u1").unwrap();
        assert_eq!(
            directory.add_member("g9", "u1"),
            Err(MemoryDirectoryError::UnknownGroup)
        );
        assert_eq!(directory.add_member("g1", "u9"), Err(MemoryDirectoryError::UnknownUser));

        // Groups in the order they were added.
        let ids: Vec<String> = directory
            .user_groups("u1")
            .await
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect();
        assert_eq!(ids, ["g2", "g1"]);
        assert!(directory.user_groups("u2").await.unwrap().is_empty());
        assert!(directory.user_groups("u9").await.unwrap().is_empty());

        // Replacing a group keeps its members and position.
        directory.add_group(group("g2", "Second, renamed"));
        let groups = directory.user_groups("u1").await.unwrap();
        assert_eq!(groups[0].profile.name, "Second, renamed");

        directory.assign_group("app", "g1").unwrap();
        directory.assign_user("app", "u2").unwrap();
        assert_eq!(
            directory.assign_user("app", "u9"),
            Err(MemoryDirectoryError::UnknownUser)
        );
        assert_eq!(
            directory.assign_group("app", "g9"),
            Err(MemoryDirectoryError::UnknownGroup)
        );
        assert!(directory.is_assigned("app", "u1").await.unwrap(), "through g1");
        assert!(directory.is_assigned("app", "u2").await.unwrap(), "directly");
        assert!(!directory.is_assigned("other", "u1").await.unwrap());
        assert!(!directory.is_assigned("app", "u9").await.unwrap());

        assert!(directory.remove_member("g1", "u1"));
        assert!(!directory.remove_member("g1", "u1"));
        assert!(
            !directory.is_assigned("app", "u1").await.unwrap(),
            "no longer through g1"
        );
        directory.add_member("g1", "u1").unwrap();
        assert!(directory.unassign_group("app", "g1"));
        assert!(!directory.unassign_group("app", "g1"));
        assert!(!directory.is_assigned("app", "u1").await.unwrap());
        assert!(directory.unassign_user("app", "u2"));
        assert!(!directory.is_assigned("app", "u2").await.unwrap());
        assert!(!directory.unassign_user("app", "u2"));
    }

    #[tokio::test]
    async fn removing_users_and_groups_removes_their_links() {
        let directory = directory();
        directory.add_user(user("u1", "a@example.com"), Some("pw")).unwrap();
        directory.add_group(group("g1", "G"));
        directory.add_member("g1", "u1").unwrap();
        directory.assign_user("app", "u1").unwrap();
        directory.assign_group("app2", "g1").unwrap();

        assert!(directory.remove_group("g1"));
        assert!(!directory.remove_group("g1"));
        assert!(directory.user_groups("u1").await.unwrap().is_empty());
        assert!(!directory.is_assigned("app2", "u1").await.unwrap());
        assert!(directory.is_assigned("app", "u1").await.unwrap());

        assert!(directory.remove_user("u1"));
        assert!(!directory.remove_user("u1"));
        assert!(directory.user("u1").await.unwrap().is_none());
        assert!(directory.user_by_login("a@example.com").await.unwrap().is_none());
        assert!(directory.check_password("a@example.com", "pw").await.unwrap().is_none());
        // The same id comes back without its old links.
        directory.add_user(user("u1", "a@example.com"), None).unwrap();
        assert!(!directory.is_assigned("app", "u1").await.unwrap());
        assert_eq!(
            format!("{directory:?}"),
            "MemoryDirectory { clients: 0, users: 1, passwords: 0, groups: 0, memberships: 0, assignments: 0 }"
        );
    }

    #[tokio::test]
    async fn clients_keep_registration_order_and_lose_assignments_on_delete() {
        let directory = directory();
        for id in ["c3", "c1", "c2"] {
            directory.put_client(client(id, id)).await.unwrap();
        }
        directory.put_client(client("c1", "renamed")).await.unwrap();
        let listed = directory.clients().await.unwrap();
        let ids: Vec<&str> = listed.iter().map(|c| c.client.client_id.as_str()).collect();
        assert_eq!(ids, ["c3", "c1", "c2"]);
        assert_eq!(listed[1].client.client_name, "renamed");

        directory.add_user(user("u1", "a@example.com"), None).unwrap();
        directory.assign_user("c1", "u1").unwrap();
        assert!(directory.delete_client("c1").await.unwrap());
        assert!(!directory.delete_client("c1").await.unwrap());
        assert!(directory.client("c1").await.unwrap().is_none());
        directory.put_client(client("c1", "new")).await.unwrap();
        assert!(!directory.is_assigned("c1", "u1").await.unwrap());
        let ids: Vec<String> = directory
            .clients()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.client.client_id)
            .collect();
        assert_eq!(ids, ["c3", "c2", "c1"]);
    }

    #[tokio::test]
    async fn debug_shows_counts_only() {
        let directory = directory();
        let hash = directory.hasher().hash("secret pw").unwrap();
        let phc = hash.to_string();
        directory
            .add_user_with_hash(user("u-secret-id", "who@example.com"), Some(hash))
            .unwrap();
        directory.add_group(group("g1", "G"));
        directory.add_member("g1", "u-secret-id").unwrap();
        directory.assign_group("app", "g1").unwrap();
        directory.assign_user("app", "u-secret-id").unwrap();
        directory.put_client(client("app", "App")).await.unwrap();
        let shown = format!("{directory:?}");
        assert_eq!(
            shown,
            "MemoryDirectory { clients: 1, users: 1, passwords: 1, groups: 1, memberships: 1, assignments: 2 }"
        );
        let salt_and_key = phc.rsplit_once("$i=").unwrap().1;
        assert!(!shown.contains(salt_and_key));
        assert!(!shown.contains("who@example.com"));
    }

    #[tokio::test]
    async fn poisoned_lock_is_recovered() {
        let directory = Arc::new(directory());
        directory.add_user(user("u1", "a@example.com"), Some("pw")).unwrap();
        let poisoner = Arc::clone(&directory);
        let panicked = std::thread::spawn(move || {
            let _guard = poisoner.state.write();
            panic!("poison the lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(directory.state.is_poisoned());
        assert!(directory.check_password("a@example.com", "pw").await.unwrap().is_some());
        directory.add_group(group("g1", "G"));
        directory.add_member("g1", "u1").unwrap();
        assert_eq!(directory.user_groups("u1").await.unwrap().len(), 1);
    }

    /// Password checks from many tasks at once on a multi-threaded runtime all answer
    /// correctly: the verification threads share nothing but the read lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_password_checks() {
        let directory = Arc::new(directory());
        for i in 0..4 {
            directory
                .add_user(
                    user(&format!("u{i}"), &format!("user{i}@example.com")),
                    Some(&format!("pw{i}")),
                )
                .unwrap();
        }
        let tasks: Vec<_> = (0..32)
            .map(|n| {
                let directory = Arc::clone(&directory);
                tokio::spawn(async move {
                    let i = n % 4;
                    let guess = if n % 8 < 4 {
                        format!("pw{i}")
                    } else {
                        format!("pw{}", i + 1)
                    };
                    let found = directory
                        .check_password(&format!("USER{i}@example.com"), &guess)
                        .await
                        .unwrap();
                    (n, found.map(|user| user.id))
                })
            })
            .collect();
        for task in tasks {
            let (n, found) = task.await.unwrap();
            let expected = (n % 8 < 4).then(|| format!("u{}", n % 4));
            assert_eq!(found, expected, "check {n}");
        }
    }

    #[cfg(feature = "testkit")]
    #[tokio::test]
    async fn conforms_to_the_directory_contract() {
        crate::testkit::directory::run_all(|fixture| async move {
            crate::testkit::directory::memory_directory(&fixture).await
        })
        .await;
    }

    #[cfg(feature = "testkit")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn conforms_on_a_multi_threaded_runtime() {
        // Spawning also proves the suite's futures are `Send`.
        tokio::spawn(crate::testkit::directory::run_all(|fixture| async move {
            crate::testkit::directory::memory_directory(&fixture).await
        }))
        .await
        .unwrap();
    }
}

//! The directory: OAuth clients, users, groups, group membership, which users and groups are
//! assigned to which client, and password checks.
//!
//! Identities belong to the host: implement [`Directory`] over the host's own user database,
//! LDAP or identity provider. The library only reads users and groups and asks for password
//! checks; it writes clients, because the client registration API (`/oauth2/v1/clients`) manages
//! them. [`MemoryDirectory`](super::memory::MemoryDirectory) is the in-memory implementation.
//!
//! A directory that can also be written to, as loading an org document
//! ([`crate::org`]) or a test harness needs, implements [`DirectoryWrites`]: users with their
//! passwords, groups, memberships and client assignments.
//!
//! # Client writes
//!
//! The client registration API changes clients by compare-and-swap, as the configuration store
//! changes servers: it reads a client with its revision ([`Directory::client_revision`]), builds
//! the new record, and writes it only if the revision is still the one it read
//! ([`Directory::replace_client`]); a lost race answers [`Saved::Stale`] and the caller reloads
//! and retries, and a client deleted meanwhile answers [`Saved::Missing`] and is not written
//! back. New clients are inserted only if their id is free ([`Directory::insert_client`]). A
//! client's `client_secret_jwt` key is written in the same atomic step as its record, so the key
//! always belongs to the secret whose digest the record holds.
//!
//! Revisions are never reused for a `client_id`, not even after the client is deleted and a new
//! one registered with the same id, so a write prepared against the old client cannot land on
//! the new one. In SQL the revision is a column beside the record and a replace is
//! `UPDATE clients SET record = $1, revision = $2 WHERE client_id = $3 AND revision = $4`.

use std::future::Future;
use std::sync::Arc;

use super::{Saved, StoreError};
use zeroize::Zeroizing;

use crate::cpu_pool::CpuPool;
use crate::crypto::{PasswordHash, PasswordHasher};
use crate::model::{ClientRecord, Group, User};
use crate::secret::ClientSecret;

/// What a [`Directory::replace_client`] does with the key that verifies the client's
/// `client_secret_jwt` assertions ([`Directory::client_secret_jwt_key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtKeyChange<'a> {
    /// The key stays as it is.
    Keep,
    /// The key becomes this secret (the client's new secret).
    Set(&'a ClientSecret),
    /// The client has no key any more.
    Forget,
}

/// Read access to users and groups, password checks, and storage for OAuth clients.
pub trait Directory: Send + Sync {
    /// The client with `client_id`, shared: a directory that keeps clients in memory or in a
    /// cache hands out the record it holds, and every request that authenticates a client reads
    /// it without copying it.
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<Arc<ClientRecord>>, StoreError>> + Send;

    /// Every client, in registration order.
    fn clients(&self) -> impl Future<Output = Result<Vec<ClientRecord>, StoreError>> + Send;

    /// Stores a client, replacing any with the same `client_id`, unconditionally, with a new
    /// revision; its `client_secret_jwt` key is left as it is. For loading clients (an org
    /// document, a test fixture); the client registration API writes with
    /// [`insert_client`](Self::insert_client) and [`replace_client`](Self::replace_client).
    fn put_client(&self, client: ClientRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes a client. Returns whether it existed. A later
    /// [`replace_client`](Self::replace_client) of it answers [`Saved::Missing`] and writes
    /// nothing.
    fn delete_client(&self, client_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The client with `client_id` and its current revision, read from the store itself (not
    /// from a cache), for a [`replace_client`](Self::replace_client) to follow.
    fn client_revision(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<(ClientRecord, u64)>, StoreError>> + Send;

    /// Stores a new client, atomically, if no client has its `client_id`, with `jwt_key` as the
    /// key that verifies its `client_secret_jwt` assertions (`None`: no key, and any key left
    /// under that id is dropped). Returns the client's revision. A new client comes last in
    /// [`clients`](Self::clients). A directory that keeps no such keys
    /// ([`keeps_client_secret_jwt_keys`](Self::keeps_client_secret_jwt_keys) is `false`)
    /// ignores `jwt_key`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if a client with that id exists; nothing is written then.
    fn insert_client(
        &self,
        client: ClientRecord,
        jwt_key: Option<&ClientSecret>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Replaces client `client.client.client_id` and applies `jwt_key` to its
    /// `client_secret_jwt` key, atomically, if the client's revision is `expected_revision`:
    /// [`Saved::Saved`] with the new revision (greater than any the client had). Otherwise
    /// nothing is written: [`Saved::Stale`] if another write changed the client since, or
    /// [`Saved::Missing`] if it does not exist (it was deleted). A replaced client keeps its
    /// place in [`clients`](Self::clients).
    fn replace_client(
        &self,
        client: ClientRecord,
        jwt_key: JwtKeyChange<'_>,
        expected_revision: u64,
    ) -> impl Future<Output = Result<Saved, StoreError>> + Send;

    /// Whether this directory keeps the keys that verify `client_secret_jwt` assertions (see
    /// [`client_secret_jwt_key`](Self::client_secret_jwt_key)). The default is `false`; client
    /// registration then refuses `client_secret_jwt`, since such a client could never
    /// authenticate.
    fn keeps_client_secret_jwt_keys(&self) -> bool {
        false
    }

    /// The user with `id`.
    fn user(&self, id: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The user whose `profile.login` is `login` (case-insensitive, as Okta logins are).
    fn user_by_login(&self, login: &str) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The groups user `user_id` belongs to.
    fn user_groups(&self, user_id: &str) -> impl Future<Output = Result<Vec<Group>, StoreError>> + Send;

    /// Whether user `user_id` is assigned to client `client_id`, directly or through one of
    /// their groups.
    fn is_assigned(&self, client_id: &str, user_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The key that verifies client `client_id`'s `client_secret_jwt` assertions: its current
    /// client secret in full, since HMAC cannot be verified against the SHA-256 digest the client
    /// record keeps. The token endpoint checks the key against that digest before using it, so a
    /// stale key (after a secret rotation) is refused.
    ///
    /// The key is secret-equivalent: keep it only for clients registered with
    /// `client_secret_jwt`, encrypted at rest (a KMS or a key-encryption key the database never
    /// sees), and hand it out only here. The default keeps none, and such clients then fail to
    /// authenticate (`invalid_client`).
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    fn client_secret_jwt_key(
        &self,
        client_id: &str,
    ) -> impl Future<Output = Result<Option<ClientSecret>, StoreError>> + Send {
        let _ = client_id;
        async { Ok(None) }
    }

    /// Keeps `key` as the key that verifies client `client_id`'s `client_secret_jwt` assertions,
    /// or forgets it (`None`). Client registration calls it when it issues a secret to a
    /// `client_secret_jwt` client, and with `None` when a client stops using that method. Returns
    /// `false` when this directory does not keep such keys (the default): registration then
    /// refuses `client_secret_jwt`, since such a client could never authenticate.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    fn store_client_secret_jwt_key(
        &self,
        client_id: &str,
        key: Option<&ClientSecret>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send {
        let _ = (client_id, key);
        async { Ok(false) }
    }

    /// Checks a password for the user with `login`. Returns the user when the password is right;
    /// `None` when it is wrong or no such user exists (the caller must not tell which).
    /// Implementations verify against a slow, salted hash and keep that work off the async
    /// executor's threads.
    fn check_password(
        &self,
        login: &str,
        password: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
}

/// Writing users, groups, memberships and client assignments into a directory, for hosts that
/// keep them in the library's stores (an org document, a test harness). Every operation adds or
/// replaces, so repeating one changes nothing more: loading the same document twice is safe.
///
/// [`MemoryDirectory`](super::MemoryDirectory) and, with the `sql` feature,
/// [`SqlDirectory`](super::sql::SqlDirectory) implement it with their inherent methods.
pub trait DirectoryWrites: Directory {
    /// Adds a user, or replaces the user with the same id (keeping their group memberships and
    /// client assignments), with the password they sign in with (`None`: no password, so every
    /// password check fails). The password is hashed off the async executor's threads.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if another user has the same login (compared
    /// case-insensitively); [`StoreError::Other`] if hashing fails, or the store does. Nothing
    /// is changed then.
    fn put_user(&self, user: User, password: Option<&str>) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Adds a group, or replaces the group with the same id (keeping its members and client
    /// assignments).
    ///
    /// # Errors
    /// [`StoreError`] if the store fails; nothing is changed then.
    fn put_group(&self, group: Group) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Makes user `user_id` a member of group `group_id` (no change if they already are).
    ///
    /// # Errors
    /// [`StoreError::Other`] if the group or the user does not exist (its source says which),
    /// or the store fails. Nothing is changed then.
    fn put_member(&self, group_id: &str, user_id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Assigns user `user_id` to client `client_id` directly (no change if they already are).
    /// The client need not be registered yet.
    ///
    /// # Errors
    /// [`StoreError::Other`] if there is no such user (its source says so), or the store fails.
    /// Nothing is changed then.
    fn put_user_assignment(
        &self,
        client_id: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Assigns group `group_id` to client `client_id`: every member is assigned through it (no
    /// change if it already is). The client need not be registered yet.
    ///
    /// # Errors
    /// [`StoreError::Other`] if there is no such group (its source says so), or the store fails.
    /// Nothing is changed then.
    fn put_group_assignment(
        &self,
        client_id: &str,
        group_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The key logins are compared by: Okta's logins are case-insensitive.
pub(crate) fn fold_login(login: &str) -> String {
    login.to_lowercase()
}

/// A well-formed hash of `iterations` rounds that no password is expected to match (an all-zero
/// derived key), which a directory verifies against when a login is unknown, so that unknown
/// logins cost what known ones do. Only its cost matters. `None` only if the fixed PHC string
/// failed to parse, which a test rules out.
pub(crate) fn dummy_hash(iterations: u32) -> Option<PasswordHash> {
    const ZERO_SALT: &str = "AAAAAAAAAAAAAAAAAAAAAA"; // 16 bytes
    const ZERO_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // 32 bytes
    format!("$pbkdf2-sha256$i={iterations}${ZERO_SALT}${ZERO_KEY}")
        .parse()
        .ok()
}

/// The user of `found` (with their stored hash) if `password` matches it, verified on `cpu`. An
/// unknown login or a user without a password (`found` is `None`) is verified against `dummy`,
/// or without one costs a hash of `password`, so that the time taken does not tell whether the
/// user exists; either way the answer is then `None`.
pub(crate) async fn verify_password(
    cpu: &CpuPool,
    hasher: PasswordHasher,
    dummy: Option<PasswordHash>,
    found: Option<(User, PasswordHash)>,
    password: &str,
) -> Result<Option<User>, StoreError> {
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, dummy),
    };
    let password = Zeroizing::new(password.to_owned());
    let matches = cpu
        .run(move || match hash {
            Some(hash) => hash.verify(&password),
            None => {
                let _ = hasher.hash(&password);
                false
            }
        })
        .await?;
    // `user` is `None` whenever the dummy was used, whatever it matched.
    Ok(user.filter(|_| matches))
}

/// Checks a [`DirectoryWrites`] implementation: writing twice changes nothing more, a taken login
/// is a `Conflict`, and references to unknown users or groups are refused.
#[cfg(test)]
pub(crate) async fn check_directory_writes<D: DirectoryWrites>(directory: &D) {
    let user = |id: &str, login: &str| -> User {
        serde_json::from_value(serde_json::json!({"id": id, "status": "ACTIVE", "profile": {"login": login}})).unwrap()
    };
    let group: Group =
        serde_json::from_value(serde_json::json!({"id": "00g1", "type": "OKTA_GROUP", "profile": {"name": "Ops"}}))
            .unwrap();
    for _ in 0..2 {
        directory
            .put_user(user("00u1", "ada@example.com"), Some("pass-word"))
            .await
            .unwrap();
        directory.put_group(group.clone()).await.unwrap();
        directory.put_member("00g1", "00u1").await.unwrap();
        directory.put_user_assignment("0oa-direct", "00u1").await.unwrap();
        directory.put_group_assignment("0oa-group", "00g1").await.unwrap();
    }
    let signed_in = directory.check_password("ADA@example.com", "pass-word").await.unwrap();
    assert_eq!(signed_in.map(|u| u.id).as_deref(), Some("00u1"));
    assert_eq!(directory.user_groups("00u1").await.unwrap(), [group]);
    assert!(directory.is_assigned("0oa-direct", "00u1").await.unwrap());
    assert!(directory.is_assigned("0oa-group", "00u1").await.unwrap());

    let taken = directory.put_user(user("00u2", "Ada@Example.com"), None).await;
    assert!(matches!(taken, Err(StoreError::Conflict)), "{taken:?}");
    assert!(directory.user("00u2").await.unwrap().is_none());
    for refused in [
        directory.put_member("00gNone", "00u1").await,
        directory.put_member("00g1", "00uNone").await,
        directory.put_user_assignment("0oa-direct", "00uNone").await,
        directory.put_group_assignment("0oa-group", "00gNone").await,
    ] {
        assert!(matches!(refused, Err(StoreError::Other(_))), "{refused:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_parses_at_every_cost_and_matches_nothing_ordinary() {
        for iterations in [1, 1_000, 600_000, u32::MAX] {
            let dummy = dummy_hash(iterations).expect("the fixed PHC string parses");
            assert_eq!(dummy.iterations(), iterations);
        }
        let dummy = dummy_hash(10).expect("the fixed PHC string parses");
        for guess in ["", "password", "AAAA", "\0"] {
            assert!(!dummy.verify(guess), "{guess:?}");
        }
    }

    #[test]
    fn logins_fold_case() {
        assert_eq!(fold_login("Ada@Example.COM"), "ada@example.com");
    }
}

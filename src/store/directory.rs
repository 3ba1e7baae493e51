//! The directory: OAuth clients, users, groups, group membership, which users and groups are
//! assigned to which client, and password checks.
//!
//! Identities belong to the host: implement [`Directory`] over the host's own user database,
//! LDAP or identity provider. The library only reads users and groups and asks for password
//! checks; it writes clients, because the client registration API (`/oauth2/v1/clients`) manages
//! them. [`MemoryDirectory`](super::memory::MemoryDirectory) is the in-memory implementation.

use std::future::Future;

use super::StoreError;
use crate::crypto::PasswordHash;
use crate::model::{ClientRecord, Group, User};
use crate::secret::ClientSecret;

/// Read access to users and groups, password checks, and storage for OAuth clients.
pub trait Directory: Send + Sync {
    /// The client with `client_id`.
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<ClientRecord>, StoreError>> + Send;

    /// Every client, in registration order.
    fn clients(&self) -> impl Future<Output = Result<Vec<ClientRecord>, StoreError>> + Send;

    /// Stores a client, replacing any with the same `client_id`.
    fn put_client(&self, client: ClientRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes a client. Returns whether it existed.
    fn delete_client(&self, client_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

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

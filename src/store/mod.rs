//! Storage traits and the in-memory implementation.
//!
//! Storage is split by concern; each trait is asynchronous (`fn … -> impl Future + Send`) so a
//! database or cache can implement it, and every single-use or rotate-once operation is atomic in
//! the trait's contract. [`memory`] holds the in-memory implementations, which are the default and
//! the reference for those contracts.
//!
//! - [`config`]: authorization servers with their policies, rules, scopes and claims, as one
//!   versioned document per server, and their signing keys.
//! - [`directory`]: clients, users, groups, assignments and password checks (the host's).
//! - [`grants`]: authorization codes, refresh tokens, revocations and used client-assertion `jti`s.

use std::error::Error;

pub mod config;
pub mod directory;
pub mod grants;
pub mod memory;
pub mod sealing;
#[cfg(feature = "sql")]
pub mod sql;

pub use config::{ConfigStore, Revisions, Saved, ServerConfig, ServerOptions};
pub use directory::{Directory, DirectoryWrites};
pub use grants::GrantStore;
pub use memory::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};

/// A storage operation failed.
///
/// Outcomes that are part of a contract (a code already redeemed, a token already rotated) are
/// values of the operation's result type, not errors; this is for the store itself failing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backing store could not be reached or did not answer in time; retrying may succeed.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn Error + Send + Sync>),
    /// A uniqueness constraint was violated, e.g. inserting a hash that is already stored.
    /// Nothing was changed.
    #[error("the key is already stored")]
    Conflict,
    /// Any other failure of the backing store.
    #[error("the store failed")]
    Other(#[source] Box<dyn Error + Send + Sync>),
}

//! Test support for harnesses and store implementers (feature `testkit`).
//!
//! - [`config`]: the conformance suite for [`ConfigStore`](crate::store::ConfigStore)
//!   implementations.
//! - [`directory`]: the conformance suite for [`Directory`](crate::store::Directory)
//!   implementations, with the [`DirectoryFixture`](directory::DirectoryFixture) they load.
//! - [`grants`]: the conformance suite for [`GrantStore`](crate::store::GrantStore)
//!   implementations.
//! - [`FixedKeys`]: deterministic signing keys, handed out in order, with no key generation cost.
//! - [`TestIssuer`]: the real authorization server as an in-process issuer for tests, started in
//!   one line, with direct minting, the real flows, configuration in code and a manual clock.

pub mod config;
pub mod directory;
mod fixed_keys;
pub mod grants;
pub mod issuer;

pub use fixed_keys::{FIXED_KEYS_PER_ALGORITHM, FixedKeys, fixed_key_pem, fixed_signing_key};
pub use issuer::{TestIssuer, TestIssuerBuilder};

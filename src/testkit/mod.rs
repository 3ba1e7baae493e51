//! Test support for harnesses and store implementers (feature `testkit`).
//!
//! - [`grants`]: the conformance suite for [`GrantStore`](crate::store::GrantStore)
//!   implementations.
//! - [`FixedKeys`]: deterministic signing keys, handed out in order, with no key generation cost.

mod fixed_keys;
pub mod grants;

pub use fixed_keys::{FIXED_KEYS_PER_ALGORITHM, FixedKeys, fixed_key_pem, fixed_signing_key};

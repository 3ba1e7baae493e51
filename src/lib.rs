//! authserver
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod claims;
pub mod clock;
pub mod crypto;
pub mod event;
pub mod expr;
pub mod jose;
pub mod keys;
pub mod model;
mod offload;
pub mod pkce;
pub mod policy;
pub mod secret;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;

//! authserver
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod crypto;
pub mod jose;
pub mod model;
pub mod pkce;
pub mod policy;
pub mod secret;

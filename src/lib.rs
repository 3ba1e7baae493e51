//! authserver
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod crypto;
pub mod jose;
pub mod pkce;
pub mod secret;

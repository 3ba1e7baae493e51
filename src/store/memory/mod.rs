//! In-memory stores: the default for a single process, and the reference implementations of the
//! storage contracts. Everything is lost when the process exits.

mod config;
mod directory;
mod grants;

pub use config::MemoryConfigStore;
pub use directory::{MemoryDirectory, MemoryDirectoryError};
pub use grants::MemoryGrantStore;

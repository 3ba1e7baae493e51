//! In-memory stores: the default for a single process, and the reference implementations of the
//! storage contracts. Everything is lost when the process exits.

mod grants;

pub use grants::MemoryGrantStore;

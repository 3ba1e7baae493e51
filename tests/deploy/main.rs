//! Deployment tests over real `authserver` processes: a restart after `kill -9` on the same
//! SQLite file, two instances over one PostgreSQL database, and starting over an existing
//! database (its key-encryption key, an org file applied in part).

#[path = "../sql_support/mod.rs"]
mod sql_support;
mod support;

mod multi_instance;
mod restart;
mod startup;

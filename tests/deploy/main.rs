//! Deployment tests over real example-server processes: a restart after `kill -9` on the same
//! SQLite file, and two instances over one PostgreSQL database.

#[path = "../sql_support/mod.rs"]
mod sql_support;
mod support;

mod multi_instance;
mod restart;

//! The configuration store's conformance suite (`testkit::config`) against SQLite and
//! PostgreSQL, each check on a fresh database.

mod sql_support;

use authserver::testkit::config;
use sql_support::Databases;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_config_store_passes_the_conformance_suite() {
    for databases in Databases::all() {
        eprintln!("config suite on {}", databases.name());
        config::run_all_async(|| async { databases.fresh().await.config_store() }).await;
    }
}

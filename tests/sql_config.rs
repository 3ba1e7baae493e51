//! The configuration store's conformance suite (`testkit::config`) against SQLite and
//! PostgreSQL, each check on a fresh database.

mod sql_support;

use authserver::store::ConfigStore;
use authserver::testkit::config;
use sql_support::Databases;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_config_store_passes_the_conformance_suite() {
    for databases in Databases::all() {
        eprintln!("config suite on {}", databases.name());
        config::run_all_async(|| async { databases.fresh().await.config_store() }).await;
    }
}

/// Two instances over one database, the second reading the revisions on every request (a
/// watch never trusted): a key rotation or a configuration change made through the first is
/// served by the second at its next request, though both serve their JWKS and discovery
/// documents from a cached copy (issue 15). With the default options the second instance sees
/// the change within the watch's refresh interval instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_never_serves_a_stale_jwks_or_discovery_document() {
    use std::sync::Arc;

    use authserver::AuthServer;
    use authserver::crypto::PasswordHasher;
    use authserver::endpoint::EndpointRequest;
    use authserver::jose::{Algorithm, Jwks};
    use authserver::keys::RotationSettings;
    use authserver::store::sql::SqlDatabase;

    for databases in Databases::all() {
        let name = databases.name();
        let url = databases.fresh_url().await;
        let instance = |stale_after: std::time::Duration| {
            let url = url.clone();
            async move {
                let mut options = sql_support::options();
                options.stale_after = stale_after;
                let db = SqlDatabase::connect_with(&url, sql_support::kek(), options)
                    .await
                    .unwrap_or_else(|error| panic!("{name}: cannot open {url}: {error:?}"));
                AuthServer::builder("https://id.example.com")
                    .config_store(Arc::new(db.config_store()))
                    .directory(Arc::new(db.directory(PasswordHasher::with_iterations(1_000))))
                    .grant_store(Arc::new(db.grant_store()))
                    .rotation(RotationSettings {
                        algorithm: Algorithm::EdDSA,
                        ..RotationSettings::default()
                    })
                    .build()
            }
        };
        let writer = instance(std::time::Duration::from_secs(5)).await;
        let reader = instance(std::time::Duration::ZERO).await;
        writer
            .management()
            .ensure_default_server()
            .await
            .expect("default server");

        let kids = |jwks: Jwks| -> Vec<String> { jwks.keys.into_iter().filter_map(|key| key.kid).collect() };
        let published = async || {
            let response = reader.keys("default").await;
            assert_eq!(response.status, 200, "{name}");
            kids(serde_json::from_value(response.json_body().cloned().unwrap()).unwrap())
        };
        let before = published().await;
        assert_eq!(before, published().await, "{name}: served again from the copy");
        writer.management().rotate_keys("default").await.expect("rotated");
        let after = published().await;
        assert_eq!(after.len(), 3, "{name}: ACTIVE, NEXT and the expired key: {after:?}");
        assert_eq!(after[0], before[1], "{name}: NEXT became ACTIVE");

        let scopes = async || {
            let response = reader.openid_configuration("default", &EndpointRequest::get("")).await;
            response.json_body().unwrap()["scopes_supported"].clone()
        };
        assert!(!scopes().await.as_array().unwrap().contains(&"later".into()));
        let mut config = writer.config_store().load("default").await.unwrap().unwrap();
        let revision = config.revision;
        config.scopes.push(
            serde_json::from_value(
                serde_json::json!({"id": "scplater", "name": "later", "metadataPublish": "ALL_CLIENTS"}),
            )
            .unwrap(),
        );
        let _ = writer.config_store().save(config, revision).await.unwrap();
        assert!(
            scopes().await.as_array().unwrap().contains(&"later".into()),
            "{name}: the second instance serves the changed document at once"
        );
    }
}

//! The token host the in-memory token benchmarks share (`endpoints`, `allocations`).

use std::sync::Arc;

use authserver::AuthServer;
use authserver::crypto::PasswordHasher;
use authserver::event::EventSink;
use authserver::jose::Algorithm;
use authserver::keys::RotationSettings;
use authserver::model::ClientRecord;
use authserver::secret::ClientSecret;
use authserver::store::{ConfigStore, Directory, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use base64::Engine as _;
use serde_json::json;

/// The server the benchmarks drive.
pub type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

/// The form of the `client_credentials` request the benchmarks send.
pub const FORM: &str = "grant_type=client_credentials&scope=orders%3Aread";

/// A host whose `default` server signs with `algorithm` and sends its events to `events`.
pub struct TokenHost {
    /// The server.
    pub server: Server,
    /// Its configuration store (for the key ring).
    #[allow(
        dead_code,
        reason = "each bench compiles this module alone; only `endpoints` reads it"
    )]
    pub config: Arc<MemoryConfigStore>,
    /// The `Authorization` header of its one client.
    pub authorization: String,
}

/// A host with the `default` server signing with `algorithm`, the custom scope `orders:read`,
/// and one `client_secret_basic` service client allowed `client_credentials`.
pub async fn token_host(algorithm: Algorithm, events: Arc<dyn EventSink>) -> TokenHost {
    let config = Arc::new(MemoryConfigStore::new());
    let server = AuthServer::builder("https://id.example.com")
        .config_store(Arc::clone(&config))
        .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
        .events(events)
        .rotation(RotationSettings {
            algorithm,
            ..RotationSettings::default()
        })
        .build();
    server
        .management()
        .ensure_default_server()
        .await
        .expect("default server");
    let secret = ClientSecret::generate(&authserver::random::SystemRandom).expect("secret");
    let client: ClientRecord = serde_json::from_value(json!({
        "client_id": "0oabench", "client_name": "Bench", "application_type": "service",
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"], "response_types": ["token"],
        "client_secret_hash": secret.hash()
    }))
    .expect("client");
    server.directory().put_client(client).await.expect("client stored");
    let mut stored = config.load("default").await.expect("load").expect("exists");
    let revision = stored.revision;
    stored
        .scopes
        .push(serde_json::from_value(json!({"id": "scpbench", "name": "orders:read"})).expect("scope"));
    let _ = config.save(stored, revision).await.expect("save");
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("0oabench:{}", secret.expose()));
    TokenHost {
        server,
        config,
        authorization: format!("Basic {credentials}"),
    }
}

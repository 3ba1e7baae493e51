//! The cost of storage on a whole request: a `client_credentials` token and an
//! authorization-code redemption through `AuthServer::token`, on the memory stores, SQLite (a
//! file in a temporary directory) and, when `AUTHSERVER_BENCH_POSTGRES` names a server (an admin
//! URL such as `postgres://postgres@127.0.0.1:5433/postgres`), PostgreSQL. Tokens are ES256, so
//! the signature does not hide what storage costs. Events go to each backend's event log, as a
//! host would record them.
//!
//! Before measuring, each SQL run prints the database round trips per request (statements sent,
//! the event log's batched writes included).
//!
//! `cargo bench --bench storage`

use std::hint::black_box;
use std::sync::Arc;

use authserver::AuthServer;
use authserver::AuthorizeOutcome;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::crypto::PasswordHasher;
use authserver::endpoint::{EndpointRequest, Session};
use authserver::event::{EventSink, MemoryEventLog};
use authserver::jose::Algorithm;
use authserver::keys::RotationSettings;
use authserver::model::User;
use authserver::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
use authserver::store::sql::{SqlDatabase, SqlDirectory};
use authserver::store::{ConfigStore, Directory, GrantStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use base64::Engine as _;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

#[path = "../tests/sql_support/mod.rs"]
mod sql_support;
use sql_support::Databases;

const USER_ID: &str = "00ubench";
const REDIRECT: &str = "https://app.example/callback";

/// What the benchmark needs of a directory beyond the trait: adding a user and assigning them.
trait BenchDirectory: Directory {
    async fn add_bench_user(&self, client_id: &str);
}

fn user() -> User {
    serde_json::from_value(json!({
        "id": USER_ID, "status": "ACTIVE",
        "profile": {"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}
    }))
    .expect("user")
}

impl BenchDirectory for MemoryDirectory {
    async fn add_bench_user(&self, client_id: &str) {
        self.add_user(user(), None).expect("user added");
        self.assign_user(client_id, USER_ID).expect("assigned");
    }
}

impl BenchDirectory for SqlDirectory {
    async fn add_bench_user(&self, client_id: &str) {
        self.add_user(user(), None).await.expect("user added");
        self.assign_user(client_id, USER_ID).await.expect("assigned");
    }
}

/// A host with the `default` server signing ES256, a service client and a web client.
struct Setup<C, D, G> {
    server: AuthServer<C, D, G>,
    service: String,
    web: String,
}

async fn setup<C, D, G>(config: Arc<C>, directory: Arc<D>, grants: Arc<G>, events: Arc<dyn EventSink>) -> Setup<C, D, G>
where
    C: ConfigStore + 'static,
    D: BenchDirectory + 'static,
    G: GrantStore + 'static,
{
    let server = AuthServer::builder("https://id.example.com")
        .config_store(config)
        .directory(directory)
        .grant_store(grants)
        .events(events)
        .rotation(RotationSettings {
            algorithm: Algorithm::ES256,
            ..RotationSettings::default()
        })
        .build();
    server
        .management()
        .ensure_default_server()
        .await
        .expect("default server");
    let admin = |path: &'static str, body: Value| {
        let server = &server;
        async move {
            let caller = Caller { id: "bench".into() };
            let bytes = serde_json::to_vec(&body).expect("JSON");
            let request = ApiRequest {
                method: Method::Post,
                path,
                query: "",
                body: Some(&bytes),
                caller: Some(&caller),
            };
            let response = server.management().handle(&request).await;
            assert!(response.status < 300, "{path}: {:?}", response.body);
            response.body.unwrap_or_default()
        }
    };
    admin(
        "/api/v1/authorizationServers/default/scopes",
        json!({"name": "orders:read"}),
    )
    .await;
    let basic = |created: &Value| {
        let id = created["client_id"].as_str().expect("client_id");
        let secret = created["client_secret"].as_str().expect("secret");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let service = admin(
        "/oauth2/v1/clients",
        json!({"client_name": "Service", "application_type": "service",
               "grant_types": ["client_credentials"], "response_types": ["token"],
               "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let web = admin(
        "/oauth2/v1/clients",
        json!({"client_name": "Web", "application_type": "web", "redirect_uris": [REDIRECT],
               "grant_types": ["authorization_code"], "response_types": ["code"],
               "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    server
        .directory()
        .add_bench_user(web["client_id"].as_str().expect("client_id"))
        .await;
    Setup {
        service: basic(&service),
        web: basic(&web),
        server,
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> Setup<C, D, G> {
    async fn client_credentials(&self) -> u16 {
        let request = EndpointRequest::post("grant_type=client_credentials&scope=orders%3Aread")
            .with_authorization(&self.service);
        self.server.token("default", &request).await.status
    }

    /// A fresh code for the web client, as `/authorize` issues it after sign-in.
    async fn code(&self) -> String {
        let client_id = self.web_client_id();
        let query = format!(
            "client_id={client_id}&response_type=code&scope=openid&redirect_uri={}&state=s&nonce=n",
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
        );
        let session = Session {
            id: "bench-session".into(),
            user_id: USER_ID.into(),
            auth_time: time::OffsetDateTime::now_utc(),
            amr: vec!["pwd".into()],
        };
        let request = EndpointRequest::get(&query).with_session(&session);
        let AuthorizeOutcome::Respond(response) = self.server.authorize("default", &request).await else {
            panic!("authorize did not answer with a redirect");
        };
        let location = url::Url::parse(response.header("Location").expect("Location")).expect("URL");
        location
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .expect("a code")
    }

    fn web_client_id(&self) -> String {
        let encoded = self.web.trim_start_matches("Basic ");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("base64");
        let text = String::from_utf8(decoded).expect("UTF-8");
        text.split(':').next().expect("client id").to_owned()
    }

    async fn redeem(&self, code: &str) -> u16 {
        let form = format!(
            "grant_type=authorization_code&code={code}&redirect_uri={}",
            url::form_urlencoded::byte_serialize(REDIRECT.as_bytes()).collect::<String>()
        );
        let request = EndpointRequest::post(&form).with_authorization(&self.web);
        self.server.token("default", &request).await.status
    }
}

fn measure<C: ConfigStore, D: Directory, G: GrantStore>(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    backend: &str,
    setup: &Setup<C, D, G>,
    round_trips: Option<&dyn Fn() -> u64>,
) {
    assert_eq!(runtime.block_on(setup.client_credentials()), 200);
    let code = runtime.block_on(setup.code());
    assert_eq!(runtime.block_on(setup.redeem(&code)), 200);
    if let Some(round_trips) = round_trips {
        const N: u64 = 200;
        runtime.block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
            let before = round_trips();
            for _ in 0..N {
                setup.client_credentials().await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let cc = round_trips() - before;
            let mut redeemed = 0;
            for _ in 0..N {
                let code = setup.code().await;
                let before = round_trips();
                setup.redeem(&code).await;
                redeemed += round_trips() - before;
            }
            println!(
                "{backend}: {:.2} database round trips per client_credentials request (event batches and \
                 revision polls included), {:.2} per code redemption (request path only)",
                cc as f64 / N as f64,
                redeemed as f64 / N as f64
            );
        });
    }
    let mut group = c.benchmark_group(format!("storage/{backend}"));
    group.bench_function("client_credentials token (ES256)", |b| {
        b.iter(|| runtime.block_on(black_box(setup).client_credentials()))
    });
    group.bench_function("authorization_code redemption (ES256)", |b| {
        b.iter_batched(
            || runtime.block_on(setup.code()),
            |code| runtime.block_on(setup.redeem(black_box(&code))),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn kek() -> KeyEncryptionKeys {
    KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([9; 32]))
}

async fn sql_setup(url: &str) -> (Setup<impl ConfigStore, SqlDirectory, impl GrantStore>, SqlDatabase) {
    let db = SqlDatabase::connect(url, kek()).await.expect("database");
    let setup = setup(
        Arc::new(db.config_store()),
        Arc::new(db.directory(PasswordHasher::with_iterations(1_000))),
        Arc::new(db.grant_store()),
        Arc::new(db.event_log()),
    )
    .await;
    (setup, db)
}

fn storage(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");

    let memory = runtime.block_on(setup(
        Arc::new(MemoryConfigStore::new()),
        Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))),
        Arc::new(MemoryGrantStore::new()),
        Arc::new(MemoryEventLog::default()),
    ));
    measure(c, &runtime, "memory", &memory, None);

    let sqlite_files = Databases::sqlite();
    let url = runtime.block_on(sqlite_files.fresh_url());
    let (sqlite, db) = runtime.block_on(sql_setup(&url));
    measure(c, &runtime, "sqlite", &sqlite, Some(&|| db.round_trips()));

    if let Ok(admin_url) = std::env::var("AUTHSERVER_BENCH_POSTGRES") {
        let url = runtime.block_on(Databases::Postgres { admin_url }.fresh_url());
        let (postgres, db) = runtime.block_on(sql_setup(&url));
        measure(c, &runtime, "postgres", &postgres, Some(&|| db.round_trips()));
    } else {
        println!("note: AUTHSERVER_BENCH_POSTGRES is not set; PostgreSQL is not measured");
    }
}

criterion_group!(benches, storage);
criterion_main!(benches);

//! Starting a server in-process (the library's axum adapter, `authserver::axum`, over the sample
//! org), and what every test needs to talk to it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use authserver::AuthServer;
use authserver::admin::ApiResponse;
use authserver::axum::{Metrics, Okta, PurgeEvents, SignInForm};
use authserver::clock::{Clock, SystemClock};
use authserver::crypto::PasswordHasher;
use authserver::event::{EventLog, MemoryEventLog};
use authserver::keys::KeyMaterial;
use authserver::ratelimit::RateLimits;
use authserver::store::sql::{SqlConfigStore, SqlDirectory, SqlGrantStore};
use authserver::store::{ConfigStore, GrantStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use authserver::testkit::FixedKeys;
use reqwest::header::{AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::sql_support::Databases;
use authserver::org::Org;
use authserver::store::DirectoryWrites;

/// The sample org's management API token.
pub const API_TOKEN: &str = "00example-api-token-for-local-development-only";
/// The sample web app (confidential, `client_secret_basic`, code + refresh + password).
pub const WEB_APP: (&str, &str) = ("web-app", "web-app-secret-for-local-development");
/// Its registered redirect URI.
pub const WEB_REDIRECT: &str = "http://localhost:3000/callback";
/// The sample service client (client credentials).
pub const SERVICE: (&str, &str) = ("reporting-service", "reporting-service-secret-for-local-development");
/// The sample SPA (public, PKCE).
pub const SPA: &str = "spa";
/// Its registered redirect URI.
pub const SPA_REDIRECT: &str = "http://localhost:3000/spa/callback";
/// Alice: active, in Engineering, assigned to the web app and the SPA.
pub const ALICE: (&str, &str) = ("alice@example.com", "Alice-Passw0rd!");
/// Alice's user id.
pub const ALICE_ID: &str = "00u1alice00000000001";
/// Bob: active, in Sales, assigned to the web app only.
pub const BOB: (&str, &str) = ("bob@example.com", "Bob-Passw0rd!");

/// A sign-in page for [`Options::sign_in_page`].
pub type Page = Arc<dyn Fn(&SignInForm<'_>) -> String + Send + Sync>;

/// How a test server is put together. The defaults: fixed keys, the system clock, a cheap
/// password hash, no rate limits, no metrics, the adapter's own sign-in page.
pub struct Options {
    /// Where signing keys come from.
    pub key_material: Arc<dyn KeyMaterial>,
    /// The clock of the server and the adapter.
    pub clock: Arc<dyn Clock>,
    /// How the org's passwords are hashed.
    pub password_hasher: PasswordHasher,
    /// The adapter's rate limits.
    pub rate_limits: RateLimits,
    /// The adapter's metrics hook.
    pub metrics: Option<Arc<dyn Metrics>>,
    /// A sign-in page instead of the adapter's.
    pub sign_in_page: Option<Page>,
    /// The adapter's body timeout.
    pub body_timeout: Duration,
    /// The header read timeout of the serving loop.
    pub header_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            key_material: Arc::new(FixedKeys::new()),
            clock: Arc::new(SystemClock),
            password_hasher: PasswordHasher::with_iterations(1_000),
            rate_limits: RateLimits::disabled(),
            metrics: None,
            sign_in_page: None,
            body_timeout: authserver::axum::DEFAULT_BODY_TIMEOUT,
            header_timeout: authserver::axum::DEFAULT_HEADER_TIMEOUT,
        }
    }
}

/// The server behind a test, on the stores `AUTHSERVER_TEST_HOST_STORES` names: `memory` (the
/// default), `sqlite` (a fresh database in a temporary directory) or `postgres` (a fresh
/// database on the server of `AUTHSERVER_TEST_POSTGRES`), so that the whole suite runs on each.
pub enum TestHost {
    /// On the memory stores.
    Memory(Arc<AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>>),
    /// On a SQL database.
    Sql {
        /// The server.
        server: Arc<AuthServer<SqlConfigStore, SqlDirectory, SqlGrantStore>>,
        /// Where it lives (for SQLite, a temporary directory removed with the server).
        _databases: Databases,
    },
}

impl TestHost {
    /// `ManagementApi::import_client_json` on the server's stores.
    pub async fn import_client(&self, body: &[u8]) -> ApiResponse {
        match self {
            TestHost::Memory(server) => server.management().import_client_json(body).await,
            TestHost::Sql { server, .. } => server.management().import_client_json(body).await,
        }
    }
}

/// A running server.
pub struct TestServer {
    /// `http://127.0.0.1:{port}`.
    pub base_url: String,
    /// The address it listens on.
    pub address: SocketAddr,
    /// The server behind it, to look inside.
    pub host: TestHost,
    /// A client for plain requests; it never follows redirects.
    pub http: reqwest::Client,
}

impl TestServer {
    /// The sample org with the test defaults.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The sample org, with `configure` changing the options first.
    pub async fn start_with(configure: impl FnOnce(&mut Options)) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let address = listener.local_addr().unwrap();
        let base_url = format!("http://{address}");
        let mut options = Options::default();
        configure(&mut options);
        let hasher = options.password_hasher;
        let host = match std::env::var("AUTHSERVER_TEST_HOST_STORES").as_deref() {
            Ok(stores @ ("sqlite" | "postgres")) => {
                let databases = match stores {
                    "sqlite" => Databases::sqlite(),
                    _ => Databases::postgres().expect("AUTHSERVER_TEST_POSTGRES names a server"),
                };
                let database = databases.fresh().await;
                let server = serve(
                    listener,
                    options,
                    Arc::new(database.config_store()),
                    Arc::new(database.directory(hasher)),
                    Arc::new(database.grant_store()),
                    Arc::new(database.event_log()),
                )
                .await;
                TestHost::Sql {
                    server,
                    _databases: databases,
                }
            }
            Ok("memory") | Err(_) => TestHost::Memory(
                serve(
                    listener,
                    options,
                    Arc::new(MemoryConfigStore::new()),
                    Arc::new(MemoryDirectory::new(hasher)),
                    Arc::new(MemoryGrantStore::new()),
                    Arc::new(MemoryEventLog::default()),
                )
                .await,
            ),
            Ok(other) => panic!("AUTHSERVER_TEST_HOST_STORES: unknown stores '{other}' (memory, sqlite or postgres)"),
        };
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base_url,
            address,
            host,
            http,
        }
    }

    /// The issuer of server `id`.
    pub fn issuer(&self, id: &str) -> String {
        format!("{}/oauth2/{id}", self.base_url)
    }

    /// A management API call with the SSWS token: status and JSON body (`null` when empty).
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header(AUTHORIZATION, format!("SSWS {API_TOKEN}"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Signs in through the HTML page as a browser would: follows `authorize_url` to the sign-in
    /// form, posts the credentials, follows the redirect back to `/authorize`, and returns the
    /// final redirect's `Location` (to the client's redirect URI) and the session cookie.
    pub async fn browser_sign_in(&self, authorize_url: &str, (username, password): (&str, &str)) -> (String, String) {
        let page = self.http.get(authorize_url).send().await.unwrap();
        assert_eq!(page.status(), 200, "no session: the sign-in page");
        let html = page.text().await.unwrap();
        let return_to = hidden_field(&html, "return_to");
        let form = [
            ("username", username),
            ("password", password),
            ("return_to", &return_to),
        ];
        let signed_in = self
            .http
            .post(format!("{}/login", self.base_url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 303, "signed in, sent back to /authorize");
        let cookie = signed_in.headers()[SET_COOKIE].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let back = signed_in.headers()[LOCATION].to_str().unwrap();
        let redirect = self
            .http
            .get(format!("{}{back}", self.base_url))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(redirect.status(), 302, "the authorization response");
        let location = redirect.headers()[LOCATION].to_str().unwrap().to_owned();
        (location, cookie)
    }
}

/// Sends `request` as it is over a new connection and reads the answer until the server closes
/// the connection (send `Connection: close`), or at most ten seconds: the answer as text (bytes
/// that are not UTF-8 replaced).
pub async fn raw_exchange(address: SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut answer));
    read.await
        .expect("the server closes the connection")
        .expect("the answer is read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status code of a raw HTTP/1.1 answer.
pub fn raw_status(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

/// The JSON body of a raw HTTP/1.1 answer (not chunked).
pub fn raw_json(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not a JSON answer: {answer:?}"))
}

/// Header `name` of a raw HTTP/1.1 answer.
pub fn raw_header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    let head = answer.split_once("\r\n\r\n").map_or(answer, |(head, _)| head);
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Loads the sample org into a server over the given stores and serves `authserver::axum` on
/// `listener` with `authserver::axum::serve` (connection info, header timeout), until the test
/// ends.
async fn serve<C, D, G, L>(
    listener: TcpListener,
    options: Options,
    config: Arc<C>,
    directory: Arc<D>,
    grants: Arc<G>,
    events: Arc<L>,
) -> Arc<AuthServer<C, D, G>>
where
    C: ConfigStore + 'static,
    D: DirectoryWrites + 'static,
    G: GrantStore + 'static,
    L: EventLog + PurgeEvents,
{
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json");
    let org = Org::from_file(std::path::Path::new(path)).expect("the sample org loads");
    let mut builder = AuthServer::builder(&base_url)
        .config_store(config)
        .directory(directory)
        .grant_store(grants)
        .key_material(options.key_material)
        .clock(Arc::clone(&options.clock))
        .events(events.clone());
    if let Some((id, attributes)) = &org.org {
        builder = builder.org(id.clone(), attributes.clone());
    }
    let server = builder.build();
    org.install(server.management(), options.clock.now())
        .await
        .expect("the sample org installs");
    let server = Arc::new(server);
    let mut okta = Okta::new(Arc::clone(&server))
        .api_token(&org.api_token)
        .rate_limits(options.rate_limits)
        .body_timeout(options.body_timeout)
        .system_log(Arc::clone(&events));
    if let Some(metrics) = options.metrics {
        okta = okta.metrics(metrics);
    }
    if let Some(page) = options.sign_in_page {
        okta = okta.sign_in_page(move |form: &SignInForm<'_>| page(form));
    }
    okta.purges().events(events).spawn();
    let serving = authserver::axum::serve(listener, okta.router()).header_timeout(options.header_timeout);
    tokio::spawn(serving.run());
    server
}

/// The value of hidden input `name` in a page this server rendered (attribute values escaped).
pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {html}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Query parameter `name` of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

//! `authserver` processes for the deployment tests: started on a free loopback port over a
//! given database, stopped with SIGKILL (as a crash) or when dropped; and the OAuth and
//! management calls the tests make, against the sample org (`examples/org.json`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The sample org's management token.
pub const API_TOKEN: &str = "00example-api-token-for-local-development-only";
/// The sample org's service client.
pub const SERVICE: (&str, &str) = ("reporting-service", "reporting-service-secret-for-local-development");
/// The sample org's confidential web client.
pub const WEB_APP: (&str, &str) = ("web-app", "web-app-secret-for-local-development");
/// The public origin every test instance is started with, as behind one load balancer: tokens
/// name it as their issuer, whichever instance minted them.
pub const PUBLIC_BASE: &str = "https://id.example.test";
/// The public issuer of the `default` server.
pub const PUBLIC_ISSUER: &str = "https://id.example.test/oauth2/default";
/// The key-encryption key every test instance shares.
pub const KEK: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio";

/// The `authserver` binary, which cargo builds for this test (feature `server`).
fn server_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_authserver"))
}

/// A running `authserver` process.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where its output goes.
    pub log: PathBuf,
}

impl ServerProcess {
    /// Starts the server over `database` (a `--database` URL) and waits until it answers.
    pub async fn start(database: &str, log: PathBuf) -> Self {
        let mut server = Self::spawn(&["--database", database], &[("AUTHSERVER_KEK", KEK)], log);
        server.wait_until_ready().await;
        server
    }

    /// Starts the server with `args` (beside a free port, the public base URL and no
    /// rate limits) and `env` (the server's own variables are cleared first), without waiting.
    pub fn spawn(args: &[&str], env: &[(&str, &str)], log: PathBuf) -> Self {
        Self::spawn_in(None, args, env, log)
    }

    /// [`spawn`](Self::spawn), in the working directory `dir` when given.
    pub fn spawn_in(dir: Option<&std::path::Path>, args: &[&str], env: &[(&str, &str)], log: PathBuf) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let output = std::fs::File::create(&log).expect("the server's log file");
        let mut command = Command::new(server_binary());
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        command
            .args([
                "--port",
                &port.to_string(),
                "--base-url",
                PUBLIC_BASE,
                "--no-rate-limits",
            ])
            .args(args);
        for name in [
            "AUTHSERVER_DATABASE",
            "AUTHSERVER_KEK",
            "AUTHSERVER_KEK_FILE",
            "AUTHSERVER_KEK_PREVIOUS",
            "AUTHSERVER_API_TOKEN",
        ] {
            command.env_remove(name);
        }
        let child = command
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("the log file"))
            .stderr(output)
            .spawn()
            .expect("the authserver binary starts (built by cargo test)");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    /// Waits for a server that is expected to stop by itself; its exit status and output.
    pub async fn exit(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (status, self.output());
            }
            assert!(Instant::now() < deadline, "the server did not stop:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the server answers.
    pub async fn wait_ready(&mut self) {
        self.wait_until_ready().await;
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/oauth2/default/v1/keys", self.base);
        loop {
            if let Ok(response) = http().get(&url).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}):\n{}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the server printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the server with SIGKILL: no graceful shutdown, as in a crash.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server as Ctrl-C does (SIGINT), and waits until it has exited.
    pub async fn interrupt(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
        assert!(sent.success(), "SIGINT was sent");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(
                    status.success(),
                    "a clean shutdown exits 0 ({status}):\n{}",
                    self.output()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGINT:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Where this instance answers the `default` server's endpoints (its issuer is
    /// [`PUBLIC_ISSUER`]).
    pub fn issuer(&self) -> String {
        format!("{}/oauth2/default", self.base)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not follow redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A token request: the status and the JSON answer.
pub async fn token(issuer: &str, client: (&str, &str), form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(format!("{issuer}/v1/token"))
        .basic_auth(client.0, Some(client.1))
        .form(form)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A client-credentials access token of the service client.
pub async fn service_token(issuer: &str) -> String {
    let (status, body) = token(
        issuer,
        SERVICE,
        &[("grant_type", "client_credentials"), ("scope", "reports:read")],
    )
    .await;
    assert_eq!(status, 200, "client_credentials: {body}");
    body["access_token"].as_str().expect("an access token").to_owned()
}

/// Alice's tokens through the password grant, with a refresh token.
pub async fn alice_tokens(issuer: &str) -> Value {
    let (status, body) = token(
        issuer,
        WEB_APP,
        &[
            ("grant_type", "password"),
            ("username", "alice@example.com"),
            ("password", "Alice-Passw0rd!"),
            ("scope", "openid offline_access reports:read"),
        ],
    )
    .await;
    assert_eq!(status, 200, "password grant: {body}");
    body
}

/// Introspection of `token` by the web app: its `active` member.
pub async fn is_active(issuer: &str, token: &str) -> bool {
    let response = http()
        .post(format!("{issuer}/v1/introspect"))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[("token", token)])
        .send()
        .await
        .expect("introspection answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    body["active"].as_bool().expect("an active member")
}

/// The `default` server's JWKS.
pub async fn jwks(issuer: &str) -> jsonwebtoken::jwk::JwkSet {
    http()
        .get(format!("{issuer}/v1/keys"))
        .send()
        .await
        .expect("the keys endpoint answers")
        .json()
        .await
        .expect("a JWKS")
}

/// Verifies an access token's signature, issuer ([`PUBLIC_ISSUER`]) and audience against `jwks`;
/// panics otherwise. Returns its claims.
pub fn verify(token: &str, jwks: &jsonwebtoken::jwk::JwkSet) -> Value {
    let header = jsonwebtoken::decode_header(token).expect("a JWS header");
    let kid = header.kid.expect("a kid");
    let jwk = jwks.find(&kid).unwrap_or_else(|| panic!("kid {kid} is not published"));
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("an RSA JWK");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[PUBLIC_ISSUER]);
    validation.set_audience(&["api://default"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|error| panic!("the token does not verify: {error}"))
        .claims
}

/// A management API call with the org's token: the status and the JSON answer.
pub async fn manage(base: &str, method: reqwest::Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let mut request = http()
        .request(method, format!("{base}{path}"))
        .header("Authorization", format!("SSWS {API_TOKEN}"));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("the management API answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Registers a confidential client-credentials client; its id and secret.
pub async fn register_service_client(base: &str, name: &str) -> (String, String) {
    let body = serde_json::json!({
        "client_name": name,
        "grant_types": ["client_credentials"],
        "response_types": ["token"],
        "token_endpoint_auth_method": "client_secret_basic",
        "application_type": "service"
    });
    let (status, created) = manage(base, reqwest::Method::POST, "/oauth2/v1/clients", Some(&body)).await;
    assert_eq!(status, 201, "client registration: {created}");
    (
        created["client_id"].as_str().expect("a client_id").to_owned(),
        created["client_secret"].as_str().expect("a client_secret").to_owned(),
    )
}

/// An authorization code for Alice at the web app, through `/api/v1/authn` and
/// `/v1/authorize?sessionToken=` on `server`.
pub async fn alice_code(server: &ServerProcess) -> String {
    let authn: Value = http()
        .post(format!("{}/api/v1/authn", server.base))
        .json(&serde_json::json!({"username": "alice@example.com", "password": "Alice-Passw0rd!"}))
        .send()
        .await
        .expect("authn answers")
        .json()
        .await
        .expect("JSON");
    let session_token = authn["sessionToken"].as_str().expect("a session token");
    let response = http()
        .get(format!("{}/v1/authorize", server.issuer()))
        .query(&[
            ("client_id", WEB_APP.0),
            ("response_type", "code"),
            ("scope", "openid offline_access reports:read"),
            ("redirect_uri", "http://localhost:3000/callback"),
            ("state", "state-1"),
            ("nonce", "nonce-1"),
            ("sessionToken", session_token),
        ])
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), 302, "authorize: {:?}", response.text().await);
    let location = response.headers()["location"].to_str().expect("a Location").to_owned();
    let url = url::Url::parse(&location).expect("a URL");
    url.query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

//! The example host: the `authserver` binary over memory, seeded from `org.json`, and the org's
//! clients and user.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use url::Url;

use super::check_server_jwks;

#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub id: &'static str,
    pub secret: &'static str,
    /// How it authenticates at the token endpoint.
    pub auth: ClientAuth,
    /// Its one registered redirect URI.
    pub redirect_uri: &'static str,
    /// Its one registered post-logout redirect URI.
    pub post_logout_redirect_uri: &'static str,
}

/// The suite's `ClientAuthType` variants the plans use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic with the id and secret.
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form.
    Post,
}

/// The suite's `client`: a confidential client that authenticates with `client_secret_basic`.
pub const CLIENT: Client = Client {
    id: "conformance-basic",
    secret: "conformance-basic-secret-0123456789abcdef",
    auth: ClientAuth::Basic,
    redirect_uri: "https://rp.conformance.example/callback",
    post_logout_redirect_uri: "https://rp.conformance.example/post_logout_redirect",
};

/// The suite's `client_secret_post` client (`OIDCCServerTestClientSecretPost`).
pub const POST_CLIENT: Client = Client {
    id: "conformance-post",
    secret: "conformance-post-secret-0123456789abcdef",
    auth: ClientAuth::Post,
    redirect_uri: "https://rp.conformance.example/callback",
    post_logout_redirect_uri: "https://rp.conformance.example/post_logout_redirect",
};

/// The suite's `client2` (`AbstractOIDCCMultipleClient`); its redirect URI carries the query the
/// suite's instructions register (`?dummy1=lorem&dummy2=ipsum`), which must come back.
pub const CLIENT2: Client = Client {
    id: "conformance-second",
    secret: "conformance-second-secret-0123456789abcdef",
    auth: ClientAuth::Basic,
    redirect_uri: "https://rp2.conformance.example/callback?dummy1=lorem&dummy2=ipsum",
    post_logout_redirect_uri: "https://rp2.conformance.example/post_logout_redirect",
};

/// A user of `org.json`.
#[derive(Debug, Clone, Copy)]
pub struct User {
    pub login: &'static str,
    pub password: &'static str,
}

/// The user the tests sign in as: every standard claim in the profile.
pub const BUFFY: User = User {
    login: "buffy@conformance.example",
    password: "Buffy-Passw0rd!",
};

/// A running `authserver` (the example host) over memory, on a free loopback port.
pub struct Host {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Host {
    /// Starts the binary with `org.json` and waits until it answers.
    pub async fn start() -> Host {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join("authserver.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let org = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/org.json");
        let output = std::fs::File::create(&log).expect("the log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_authserver"));
        command.args([
            "--port",
            &port.to_string(),
            "--database",
            "memory",
            "--org",
            org,
            "--no-rate-limits",
        ]);
        for name in [
            "AUTHSERVER_BASE_URL",
            "AUTHSERVER_DATABASE",
            "AUTHSERVER_KEK",
            "AUTHSERVER_KEK_FILE",
            "AUTHSERVER_KEK_PREVIOUS",
            "AUTHSERVER_API_TOKEN",
        ] {
            command.env_remove(name);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("the log file"))
            .stderr(output)
            .spawn()
            .expect("the authserver binary starts (built by cargo test)");
        let mut host = Host {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        host.wait_until_ready().await;
        host
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/v1/keys", self.issuer());
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

    /// The `default` server's issuer.
    pub fn issuer(&self) -> String {
        format!("{}/oauth2/default", self.base)
    }

    /// `…/oauth2/default/v1/{name}`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/v1/{name}", self.issuer())
    }

    /// The discovery URL (the suite's `server.discoveryUrl`).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// `GetDynamicServerConfiguration`: the discovery document, with its status and content type.
    pub async fn discovery_response(&self) -> (u16, String, Value) {
        let response = http()
            .get(self.discovery_url())
            .send()
            .await
            .expect("discovery answers");
        let status = response.status().as_u16();
        let content_type = header(response.headers(), "content-type");
        (status, content_type, response.json().await.unwrap_or(Value::Null))
    }

    /// The discovery document, checked as `CheckServerConfiguration` does (FAILURE):
    /// `authorization_endpoint`, `token_endpoint` and `issuer` are URL strings.
    pub async fn discovery(&self) -> Value {
        let (status, _, metadata) = self.discovery_response().await;
        assert_eq!(status, 200, "discovery: {metadata}");
        for key in ["authorization_endpoint", "token_endpoint", "issuer"] {
            let value = metadata[key]
                .as_str()
                .unwrap_or_else(|| panic!("CheckServerConfiguration: no {key}"));
            Url::parse(value).unwrap_or_else(|_| panic!("CheckServerConfiguration: {key} is not a URL"));
        }
        metadata
    }

    /// `FetchServerKeys` from the discovery document's `jwks_uri`, then the checks every
    /// module's setup makes ([`check_server_jwks`]).
    pub async fn server_jwks(&self) -> Value {
        let metadata = self.discovery().await;
        let jwks_uri = metadata["jwks_uri"].as_str().expect("a jwks_uri");
        let jwks: Value = http()
            .get(jwks_uri)
            .send()
            .await
            .expect("the keys endpoint answers")
            .json()
            .await
            .expect("a JWK set");
        check_server_jwks(&jwks);
        jwks
    }

    /// A management API call with the org's token: the status and the JSON answer.
    pub async fn manage(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let response = http()
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", "SSWS 00conformance-api-token-for-tests-only")
            .json(body)
            .send()
            .await
            .expect("the management API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not follow redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

/// Header `name` of a response, or empty.
pub(crate) fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

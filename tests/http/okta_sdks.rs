//! Okta's own SDKs against the host: the Python management SDK (`okta`) and JWT verifier
//! (`okta-jwt-verifier`), the Node management SDK (`@okta/okta-sdk-nodejs`), JWT verifier
//! (`@okta/jwt-verifier`) and `@okta/okta-auth-js`. What they send is what real Okta deployments
//! send; each test runs one script of `tests/http/okta_sdks/` with the SDK and checks what it
//! printed and what the server holds afterwards. Authlib's metadata validators (a strict reading
//! of RFC 8414 and OpenID Connect Discovery) check the discovery documents the same way.
//!
//! The SDKs come from `.ci/okta-sdks DIR` (pinned versions, idempotent), which `.ci/run` runs;
//! `AUTHSERVER_OKTA_SDKS` names that directory. Without it the tests print why and pass, except
//! under CI (`CI` set), where they must run.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, LOCATION};
use serde_json::Value;
use sha2::Digest as _;

use crate::support::{ALICE, ALICE_ID, API_TOKEN, SPA, SPA_REDIRECT, TestServer, WEB_APP, query_param};

/// The SPA's registered post-logout redirect URI (`examples/org.json`).
const SPA_POST_LOGOUT: &str = "http://localhost:3000/spa/";

/// The directory `.ci/okta-sdks` filled, or `None` (with the reason printed) when this run has
/// no SDKs.
///
/// # Panics
/// Under CI when the SDKs are missing.
fn sdks() -> Option<PathBuf> {
    let missing = match std::env::var("AUTHSERVER_OKTA_SDKS") {
        Ok(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            let installed = dir.join("python/bin/python").exists() && dir.join("node/node_modules/@okta").exists();
            if installed {
                return Some(dir);
            }
            format!("{} holds no SDKs (run .ci/okta-sdks on it)", dir.display())
        }
        _ => "AUTHSERVER_OKTA_SDKS is not set (.ci/okta-sdks DIR installs the SDKs there)".to_owned(),
    };
    assert!(
        std::env::var_os("CI").is_none(),
        "the Okta SDK tests must run under CI: {missing}"
    );
    eprintln!("skipped: Okta's SDKs are not installed: {missing}");
    None
}

/// Which interpreter runs a script.
enum Runtime {
    Python,
    Node,
}

/// Runs `tests/http/okta_sdks/{script}` with `args` under the SDKs in `sdks` and returns the JSON
/// object it printed. Runs on a blocking thread, so the server in this process keeps answering.
async fn run(sdks: &Path, runtime: Runtime, script: &str, args: Vec<String>) -> Value {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/http/okta_sdks")
        .join(script);
    let sdks = sdks.to_owned();
    let name = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        // Node resolves packages next to the script: run a copy beside a link to the SDKs.
        let work = tempfile::tempdir().expect("a temporary directory");
        let mut command = match runtime {
            Runtime::Python => {
                let mut command = Command::new(sdks.join("python/bin/python"));
                command.arg(&source);
                // The host serves plain http on loopback: the SDKs' own switches for that.
                command.env("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true");
                command.env("AUTHLIB_INSECURE_TRANSPORT", "1");
                command
            }
            Runtime::Node => {
                std::os::unix::fs::symlink(sdks.join("node/node_modules"), work.path().join("node_modules"))
                    .expect("link the SDKs");
                let copy = work.path().join(&name);
                std::fs::copy(&source, &copy).expect("copy the script");
                let mut command = Command::new("node");
                command.arg(copy);
                command
            }
        };
        command.args(&args).output().expect("the interpreter runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|_| panic!("{script} printed no JSON:\n{stdout}\n{stderr}"))
}

/// Alice's tokens for the web app by the password grant: access, ID and refresh token.
async fn web_app_tokens(server: &TestServer) -> (String, String, String) {
    let (username, password) = ALICE;
    let response = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", "openid profile offline_access"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let field = |name: &str| body[name].as_str().unwrap().to_owned();
    (field("access_token"), field("id_token"), field("refresh_token"))
}

/// Alice's tokens for the public SPA by the code flow with PKCE: access, ID and refresh token.
async fn spa_tokens(server: &TestServer) -> (String, String, String) {
    let verifier = "a-pkce-verifier-for-the-okta-auth-js-test-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier));
    let authorize = format!(
        "{}/v1/authorize?client_id={SPA}&response_type=code&scope=openid%20offline_access&state=s1&nonce=n1\
         &redirect_uri={}&code_challenge={challenge}&code_challenge_method=S256",
        server.issuer("default"),
        url::form_urlencoded::byte_serialize(SPA_REDIRECT.as_bytes()).collect::<String>()
    );
    let (location, _cookie) = server.browser_sign_in(&authorize, ALICE).await;
    let code = query_param(&location, "code").expect("a code");
    let response = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", SPA),
            ("code", &code),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let field = |name: &str| body[name].as_str().unwrap().to_owned();
    (field("access_token"), field("id_token"), field("refresh_token"))
}

/// Whether `token` introspects active for the web app.
async fn active(server: &TestServer, token: &str) -> bool {
    let response = server
        .http
        .post(format!("{}/v1/introspect", server.issuer("default")))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["active"].as_bool().unwrap()
}

/// The scope names of server `default`, through the management API.
async fn scope_names(server: &TestServer) -> Vec<String> {
    let (status, scopes) = server
        .admin(
            reqwest::Method::GET,
            "/api/v1/authorizationServers/default/scopes",
            None,
        )
        .await;
    assert_eq!(status, 200);
    scopes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|scope| scope["name"].as_str().map(str::to_owned))
        .collect()
}

/// `okta` 3.4.6 (PyPI) lists authorization servers and creates a scope. It sends
/// `Authorization: SSWS<token>` with no space (`okta/configuration.py:443`, `"value":
/// self.authorization_mode + self.access_token`), which the guard admits as Okta does.
#[tokio::test]
async fn the_python_management_sdk_lists_servers_and_creates_a_scope() {
    let Some(sdks) = sdks() else { return };
    let server = TestServer::start().await;
    let printed = run(
        &sdks,
        Runtime::Python,
        "management.py",
        vec![
            server.base_url.clone(),
            API_TOKEN.into(),
            "default".into(),
            "python:sdk".into(),
        ],
    )
    .await;
    let servers = printed["servers"].as_array().unwrap();
    assert!(
        servers.contains(&"default".into()) && servers.contains(&"orders".into()),
        "{printed}"
    );
    assert_eq!(printed["scope"]["name"], "python:sdk");
    assert!(printed["scope"]["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(scope_names(&server).await.contains(&"python:sdk".to_owned()));

    // The header as that SDK writes it, and a wrong token the same way.
    for (header, status) in [(format!("SSWS{API_TOKEN}"), 200), ("SSWS00wrong".to_owned(), 401)] {
        let response = server
            .http
            .get(format!("{}/api/v1/authorizationServers", server.base_url))
            .header(AUTHORIZATION, header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
    }
}

/// `@okta/okta-sdk-nodejs` 8.1.0 lists authorization servers and creates a scope
/// (`Authorization: SSWS ${apiToken}`, src/client.js).
#[tokio::test]
async fn the_node_management_sdk_lists_servers_and_creates_a_scope() {
    let Some(sdks) = sdks() else { return };
    let server = TestServer::start().await;
    let printed = run(
        &sdks,
        Runtime::Node,
        "management.mjs",
        vec![
            server.base_url.clone(),
            API_TOKEN.into(),
            "default".into(),
            "node:sdk".into(),
        ],
    )
    .await;
    let servers = printed["servers"].as_array().unwrap();
    assert!(
        servers.contains(&"default".into()) && servers.contains(&"orders".into()),
        "{printed}"
    );
    assert_eq!(printed["scope"]["name"], "node:sdk");
    assert!(scope_names(&server).await.contains(&"node:sdk".to_owned()));
}

/// `okta-jwt-verifier` 0.5.0 (Python) and `@okta/jwt-verifier` 4.0.2 (Node) verify the host's
/// access and ID tokens against `{issuer}/v1/keys` (RS256 only, `iss`, `aud`, `exp`, `cid`…)
/// and refuse one whose payload was altered.
#[tokio::test]
async fn the_jwt_verifiers_accept_the_hosts_tokens() {
    let Some(sdks) = sdks() else { return };
    let server = TestServer::start().await;
    let (access_token, id_token, _) = web_app_tokens(&server).await;
    let args = vec![
        server.issuer("default"),
        "api://default".into(),
        WEB_APP.0.into(),
        access_token,
        id_token,
    ];
    for (runtime, script) in [
        (Runtime::Python, "jwt_verifier.py"),
        (Runtime::Node, "jwt_verifier.mjs"),
    ] {
        let printed = run(&sdks, runtime, script, args.clone()).await;
        assert_eq!(printed["access_token_sub"], ALICE.0, "{script}: {printed}");
        assert_eq!(printed["id_token_sub"], ALICE_ID, "{script}: {printed}");
        assert_eq!(printed["altered_refused"], true, "{script}: {printed}");
    }
}

/// `@okta/okta-auth-js` 8.0.1 for the public SPA: `token.introspect` and `signOut()`'s
/// revocations send `Authorization: Basic btoa(clientId)` (no secret, no colon;
/// lib/oidc/introspect.ts, lib/oidc/revokeToken.ts), which the host takes as the public
/// client's identification. After `signOut()` the tokens are inactive and the logout URL it
/// navigated to (`id_token_hint`, `post_logout_redirect_uri`, `state`) redirects back.
#[tokio::test]
async fn okta_auth_js_sign_out_revokes_and_logs_out_a_public_client() {
    let Some(sdks) = sdks() else { return };
    let server = TestServer::start().await;
    let (access_token, id_token, refresh_token) = spa_tokens(&server).await;
    let printed = run(
        &sdks,
        Runtime::Node,
        "auth_js.mjs",
        vec![
            server.issuer("default"),
            SPA.into(),
            access_token.clone(),
            refresh_token.clone(),
            id_token,
            SPA_POST_LOGOUT.into(),
            "bye".into(),
        ],
    )
    .await;
    assert_eq!(printed["before"], true, "{printed}");
    assert_eq!(printed["after"], false, "{printed}");
    assert!(!active(&server, &access_token).await && !active(&server, &refresh_token).await);

    let logout_url = printed["logout_url"].as_str().unwrap();
    assert!(
        logout_url.starts_with(&format!("{}/v1/logout?id_token_hint=", server.issuer("default"))),
        "{logout_url}"
    );
    let response = server.http.get(logout_url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert_eq!(location, format!("{SPA_POST_LOGOUT}?state=bye"));
}

/// Authlib 1.9.10's `AuthorizationServerMetadata` (RFC 8414 §2) and `OpenIDProviderMetadata`
/// (OpenID Connect Discovery 1.0 §3, with RP-Initiated Logout's `end_session_endpoint`) accept
/// both documents: among their rules, `*_endpoint_auth_signing_alg_values_supported` must be
/// present when `client_secret_jwt` or `private_key_jwt` is advertised, and never list `none`.
#[tokio::test]
async fn authlib_accepts_both_discovery_documents() {
    let Some(sdks) = sdks() else { return };
    let server = TestServer::start().await;
    for id in ["default", "orders"] {
        let printed = run(&sdks, Runtime::Python, "discovery.py", vec![server.issuer(id)]).await;
        assert_eq!(printed["oauth-authorization-server"], "ok", "{id}: {printed}");
        assert_eq!(printed["openid-configuration"], "ok", "{id}: {printed}");
    }
}

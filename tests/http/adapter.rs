//! The adapter's hooks, seen from outside: the metrics hook, a replaced sign-in page, another
//! administrator check, and the answer to a management request addressed to another name.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use authserver::AuthServer;
use authserver::admin::Caller;
use authserver::axum::{AdminCheck, Endpoint, Metrics, Okta, SignInForm, escape_html};
use authserver::crypto::PasswordHasher;
use authserver::event::DiscardEvents;
use authserver::store::MemoryDirectory;
use authserver::testkit::FixedKeys;
use axum::http::request::Parts;
use reqwest::header::HOST;
use serde_json::Value;

use crate::support::{API_TOKEN, SERVICE, TestServer, WEB_APP, WEB_REDIRECT, hidden_field};

/// Counts per endpoint and status.
#[derive(Default)]
struct Counts(Mutex<HashMap<(Endpoint, u16), u32>>);

impl Metrics for Counts {
    fn record(&self, endpoint: Endpoint, status: u16, elapsed: Duration) {
        assert!(elapsed < Duration::from_secs(60));
        *self.0.lock().unwrap().entry((endpoint, status)).or_default() += 1;
    }
}

/// The hook is called once per request, with the endpoint and the answer's status, whatever
/// answered it: the library, the guard, the rate limiter or the fallback.
#[tokio::test]
async fn the_metrics_hook_counts_each_request_by_endpoint_and_status() {
    let counts = Arc::new(Counts::default());
    let hook: Arc<dyn Metrics> = counts.clone();
    let server = TestServer::start_with(|options| options.metrics = Some(hook)).await;
    let get = |path: &str| server.http.get(format!("{}{path}", server.base_url)).send();
    assert_eq!(get("/oauth2/default/v1/keys").await.unwrap().status(), 200);
    assert_eq!(get("/oauth2/default/v1/keys").await.unwrap().status(), 200);
    assert_eq!(
        get("/oauth2/default/.well-known/openid-configuration")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(get("/oauth2/nosuch/v1/keys").await.unwrap().status(), 404);
    assert_eq!(get("/nowhere").await.unwrap().status(), 404);
    assert_eq!(get("/api/v1/authorizationServers").await.unwrap().status(), 401);
    let token = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(SERVICE.0, Some("wrong secret"))
        .form(&[("grant_type", "client_credentials"), ("scope", "reports:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 401);

    let counts = counts.0.lock().unwrap().clone();
    let expected = HashMap::from([
        ((Endpoint::Keys, 200), 2),
        ((Endpoint::Keys, 404), 1),
        ((Endpoint::OpenIdConfiguration, 200), 1),
        ((Endpoint::NotFound, 404), 1),
        ((Endpoint::Management, 401), 1),
        ((Endpoint::Token, 401), 1),
    ]);
    assert_eq!(counts, expected);
}

/// A host's own page replaces the sign-in form; the adapter still sends it with its headers and
/// the `return_to` that brings the browser back.
#[tokio::test]
async fn a_replaced_sign_in_page_is_shown_with_the_adapters_headers() {
    let server = TestServer::start_with(|options| {
        options.sign_in_page = Some(Arc::new(|form: &SignInForm<'_>| {
            format!(
                "<main class=\"ours\"><form action=\"{}\"><input type=\"hidden\" name=\"return_to\" value=\"{}\"></form></main>",
                escape_html(form.action),
                escape_html(form.return_to)
            )
        }));
    })
    .await;
    let mut url = url::Url::parse(&format!("{}/v1/authorize", server.issuer("default"))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", WEB_APP.0)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", WEB_REDIRECT)
        .append_pair("state", "state-1");
    let page = server.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html;charset=UTF-8");
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(
        page.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.starts_with("<main class=\"ours\"><form action=\"/login\">"),
        "{html}"
    );
    let return_to = hidden_field(&html, "return_to");
    assert!(
        return_to.starts_with("/oauth2/default/v1/authorize?client_id=web-app&"),
        "{return_to}"
    );
}

/// A request to the management API addressed to a name that is not the server's is refused
/// with Okta's `E0000011`, and a cause that names the accepted addresses (not the name sent).
#[tokio::test]
async fn a_foreign_host_is_told_which_names_are_accepted() {
    let server = TestServer::start().await;
    let response = server
        .http
        .get(format!("{}/api/v1/authorizationServers", server.base_url))
        .header(HOST, "rebound.attacker.example")
        .header("Authorization", format!("SSWS {API_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000011");
    let cause = body["errorCauses"][0]["errorSummary"].as_str().unwrap();
    let own = server.base_url.trim_start_matches("http://");
    assert!(cause.contains("Host header") && cause.contains(own), "{cause}");
    assert!(!cause.contains("attacker"), "{cause}");
}

/// Administrators as a host's own check decides: here, whoever a trusted proxy names.
struct FromProxy;

impl AdminCheck for FromProxy {
    async fn check(&self, request: &Parts) -> Option<Caller> {
        let admin = request.headers.get("x-proxy-admin")?.to_str().ok()?;
        Some(Caller { id: admin.to_owned() })
    }
}

#[tokio::test]
async fn another_administrator_check_replaces_the_api_token() {
    let server = Arc::new(
        AuthServer::builder("https://id.example.test")
            .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
            .key_material(Arc::new(FixedKeys::new()))
            .events(Arc::new(DiscardEvents))
            .build(),
    );
    server.management().ensure_default_server().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Okta::new(server)
        .admin(FromProxy)
        .allowed_authority(address.to_string())
        .router();
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    let http = reqwest::Client::new();
    let url = format!("http://{address}/api/v1/authorizationServers");
    let admitted = http.get(&url).header("x-proxy-admin", "ops").send().await.unwrap();
    assert_eq!(admitted.status(), 200);
    let servers: Value = admitted.json().await.unwrap();
    assert_eq!(servers[0]["id"], "default");
    let token_only = http
        .get(&url)
        .header("Authorization", format!("SSWS {API_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(token_only.status(), 401, "the API token is not this host's check");
    let logs = http
        .get(format!("http://{address}/api/v1/logs"))
        .header("x-proxy-admin", "ops")
        .send()
        .await
        .unwrap();
    assert_eq!(logs.status(), 404, "no System Log was given");
}

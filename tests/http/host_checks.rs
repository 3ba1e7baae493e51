//! What the host adds around the library: the sign-in page's defences, session tokens that
//! decide the session, and the management API's address check.

use reqwest::header::{COOKIE, HOST, LOCATION, ORIGIN};
use serde_json::json;

use crate::support::{
    ALICE, API_TOKEN, BOB, TestServer, WEB_APP, WEB_REDIRECT, hidden_field, raw_exchange, raw_json, raw_status,
};

/// An authorization request of the web app (code flow; PKCE is optional for it).
fn web_authorize_url(server: &TestServer) -> String {
    let mut url = url::Url::parse(&format!("{}/v1/authorize", server.issuer("default"))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", WEB_APP.0)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid")
        .append_pair("redirect_uri", WEB_REDIRECT)
        .append_pair("state", "state-1");
    url.to_string()
}

/// The sign-in form's `return_to` for `authorize_url`.
async fn return_to(server: &TestServer, authorize_url: &str) -> String {
    let page = server
        .http
        .get(authorize_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden_field(&page, "return_to")
}

/// Login CSRF: another site's page posting its own credentials to `/login` must not sign the
/// browser in.
#[tokio::test]
async fn sign_in_posts_from_other_sites_are_refused() {
    let server = TestServer::start().await;
    let return_to = return_to(&server, &web_authorize_url(&server)).await;
    let form = [
        ("username", ALICE.0),
        ("password", ALICE.1),
        ("return_to", return_to.as_str()),
    ];
    let login = format!("{}/login", server.base_url);
    let foreign = server
        .http
        .post(&login)
        .header(ORIGIN, "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert!(foreign.headers().get("set-cookie").is_none());
    let cross_site = server
        .http
        .post(&login)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let own = server
        .http
        .post(&login)
        .header(ORIGIN, &server.base_url)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 303);
}

/// `return_to` must be one of this server's authorization requests: anything else would make
/// `/login` an open redirect.
#[tokio::test]
async fn sign_in_only_returns_to_this_servers_authorize_endpoint() {
    let server = TestServer::start().await;
    for target in [
        "https://evil.example/",
        "//evil.example/oauth2/default/v1/authorize",
        "/api/v1/logs",
    ] {
        let form = [("username", ALICE.0), ("password", ALICE.1), ("return_to", target)];
        let response = server
            .http
            .post(format!("{}/login", server.base_url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{target}");
        assert!(response.headers().get(LOCATION).is_none());
    }
}

/// A spent session token signs nobody in, even when the browser has another user's session.
#[tokio::test]
async fn a_session_token_that_cannot_be_redeemed_does_not_fall_back_to_the_cookie() {
    let server = TestServer::start().await;
    let authorize = web_authorize_url(&server);
    let (_, bobs_cookie) = server.browser_sign_in(&authorize, BOB).await;

    let authn: serde_json::Value = server
        .http
        .post(format!("{}/api/v1/authn", server.base_url))
        .json(&json!({"username": ALICE.0, "password": ALICE.1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = authn["sessionToken"].as_str().unwrap();
    let with_token = format!("{authorize}&sessionToken={token}");
    let first = server
        .http
        .get(&with_token)
        .header(COOKIE, &bobs_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 302, "Alice's token signs Alice in");
    let replayed = server
        .http
        .get(&with_token)
        .header(COOKIE, &bobs_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        200,
        "a spent token: the sign-in page, not Bob's session"
    );
    assert!(replayed.text().await.unwrap().contains("<form"));
}

/// DNS rebinding: a page whose name was rebound to 127.0.0.1 sends its own `Host`; with a known
/// development token it must still not reach the management API.
#[tokio::test]
async fn the_management_api_answers_only_requests_addressed_to_this_server() {
    let server = TestServer::start().await;
    let url = format!("{}/api/v1/authorizationServers", server.base_url);
    let auth = format!("SSWS {API_TOKEN}");
    let rebound = server
        .http
        .get(&url)
        .header(HOST, "attacker.example")
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 401);
    let own = server
        .http
        .get(&url)
        .header("Authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

/// A `Host` header that is not visible ASCII (obs-text, which HTTP/1.1 parsers let through)
/// names no server of ours: the management API refuses it as a foreign name, however valid the
/// token (it used to be waved through, since it could not be compared as text).
#[tokio::test]
async fn a_host_header_that_is_not_text_is_refused() {
    let server = TestServer::start().await;
    for host in [&b"\xff\xfe.example"[..], b"127.0.0.1\xa0", b"caf\xc3\xa9.example"] {
        let mut request = b"GET /api/v1/authorizationServers HTTP/1.1\r\nHost: ".to_vec();
        request.extend_from_slice(host);
        request
            .extend_from_slice(format!("\r\nAuthorization: SSWS {API_TOKEN}\r\nConnection: close\r\n\r\n").as_bytes());
        let answer = raw_exchange(server.address, &request).await;
        assert_eq!(raw_status(&answer), 401, "{host:?}: {answer}");
        assert_eq!(raw_json(&answer)["errorCode"], "E0000011", "{host:?}");
    }
    // Two `Host` headers, the first our own: refused too (RFC 9112 §3.2 allows exactly one).
    let own = server.address.to_string();
    let request = format!(
        "GET /api/v1/authorizationServers HTTP/1.1\r\nHost: {own}\r\nHost: attacker.example\r\n\
         Authorization: SSWS {API_TOKEN}\r\nConnection: close\r\n\r\n"
    );
    let answer = raw_exchange(server.address, request.as_bytes()).await;
    assert!([400, 401].contains(&raw_status(&answer)), "{answer}");
    // The same request with one, our own, `Host` is answered.
    let request = format!(
        "GET /api/v1/authorizationServers HTTP/1.1\r\nHost: {own}\r\n\
         Authorization: SSWS {API_TOKEN}\r\nConnection: close\r\n\r\n"
    );
    let answer = raw_exchange(server.address, request.as_bytes()).await;
    assert_eq!(raw_status(&answer), 200, "{answer}");
}

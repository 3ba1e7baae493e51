//! What the host adds around the library: the sign-in page's defences, session tokens that
//! decide the session, and the management API's address check.

use reqwest::header::{COOKIE, HOST, LOCATION, ORIGIN};
use serde_json::json;

use crate::support::{ALICE, API_TOKEN, BOB, TestServer, WEB_APP, WEB_REDIRECT, hidden_field};

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

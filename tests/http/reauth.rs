//! Re-authentication at `/authorize` through the axum host (OpenID Connect Core §3.1.2.1):
//! `prompt=login` and an elapsed `max_age` show the sign-in page although the browser has a
//! session, the fresh sign-in is accepted once for the request it answered (no loop back to the
//! page), and the new ID token's `auth_time` is later. These are the flows of the conformance
//! suite's `oidcc-prompt-login`, `oidcc-max-age-1`, `oidcc-max-age-10000` and
//! `oidcc-prompt-none-logged-in` modules.

use std::sync::Arc;

use authserver::clock::{Clock, ManualClock};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use time::Duration;

use crate::support::{ALICE, TestServer, WEB_APP, WEB_REDIRECT, hidden_field, query_param};

/// A server on a manual clock, so that sign-ins are whole seconds apart.
async fn server() -> (TestServer, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
    let shared = Arc::clone(&clock);
    let server = TestServer::start_with(move |options| options.clock = shared as Arc<dyn Clock>).await;
    (server, clock)
}

/// An authorization request of the web app for an ID token, with `extra` parameters.
fn authorize_url(server: &TestServer, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/v1/authorize", server.issuer("default"))).unwrap();
    url.query_pairs_mut()
        .extend_pairs([
            ("client_id", WEB_APP.0),
            ("redirect_uri", WEB_REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st-1"),
            ("nonce", "n-1"),
        ])
        .extend_pairs(extra);
    url.into()
}

/// What `/authorize` answered the browser.
enum Answer {
    /// The sign-in page, with its `return_to` and whether it asks to sign in again.
    SignIn { return_to: String, again: bool },
    /// A redirect to the client.
    Redirect(String),
}

async fn browse(server: &TestServer, url: &str, cookie: Option<&str>) -> Answer {
    let mut request = server.http.get(url);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    match response.status().as_u16() {
        200 => {
            let html = response.text().await.unwrap();
            Answer::SignIn {
                return_to: hidden_field(&html, "return_to"),
                again: html.contains("sign in again"),
            }
        }
        302 => Answer::Redirect(response.headers()[LOCATION].to_str().unwrap().to_owned()),
        status => panic!("unexpected {status}: {}", response.text().await.unwrap()),
    }
}

/// Posts the sign-in form: the new session cookie and where it sends the browser back.
async fn sign_in(server: &TestServer, return_to: &str) -> (String, String) {
    let form = [("username", ALICE.0), ("password", ALICE.1), ("return_to", return_to)];
    let response = server
        .http
        .post(format!("{}/login", server.base_url))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let back = response.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(back, return_to, "back to the request the page was shown for");
    (cookie, format!("{}{back}", server.base_url))
}

/// The claims of the ID token the code in `location` is exchanged for.
async fn id_token_claims(server: &TestServer, location: &str) -> Value {
    assert!(location.starts_with(WEB_REDIRECT), "{location}");
    assert_eq!(query_param(location, "state").as_deref(), Some("st-1"));
    let code = query_param(location, "code").unwrap_or_else(|| panic!("a code: {location}"));
    let response = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let payload = tokens["id_token"].as_str().unwrap().split('.').nth(1).unwrap();
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Signs Alice in from scratch: her session cookie and the first ID token's claims.
async fn first_sign_in(server: &TestServer) -> (String, Value) {
    let Answer::SignIn { return_to, again } = browse(server, &authorize_url(server, &[]), None).await else {
        panic!("no session: the sign-in page");
    };
    assert!(!again);
    let (cookie, back) = sign_in(server, &return_to).await;
    let Answer::Redirect(location) = browse(server, &back, Some(&cookie)).await else {
        panic!("signed in: the authorization response");
    };
    (cookie, id_token_claims(server, &location).await)
}

/// `oidcc-prompt-login` (`ExpectSecondLoginPage`, `CheckSecondIdTokenAuthTimeIsLaterIfPresent`):
/// OpenID Connect Core §3.1.2.1, "login — The Authorization Server SHOULD prompt the End-User
/// for reauthentication."
#[tokio::test]
async fn prompt_login_asks_again_and_the_new_sign_in_goes_through_once() {
    let (server, clock) = server().await;
    let (cookie, first) = first_sign_in(&server).await;
    clock.advance(Duration::seconds(1));

    let url = authorize_url(&server, &[("prompt", "login")]);
    let Answer::SignIn { return_to, again } = browse(&server, &url, Some(&cookie)).await else {
        panic!("prompt=login with a session: the sign-in page again");
    };
    assert!(again, "the page says why");
    // The browser coming back with the session it has is asked again, not let through.
    assert!(matches!(
        browse(&server, &format!("{}{return_to}", server.base_url), Some(&cookie)).await,
        Answer::SignIn { .. }
    ));

    let (fresh_cookie, back) = sign_in(&server, &return_to).await;
    assert_ne!(fresh_cookie, cookie, "a new session");
    let Answer::Redirect(location) = browse(&server, &back, Some(&fresh_cookie)).await else {
        panic!("the fresh sign-in answers the request: no loop back to the page");
    };
    let second = id_token_claims(&server, &location).await;
    assert_eq!(second["sub"], first["sub"]);
    assert!(
        second["auth_time"].as_i64() > first["auth_time"].as_i64(),
        "auth_time of the new sign-in: {first} {second}"
    );

    // The proof works once: the same request again is a new prompt=login.
    assert!(matches!(
        browse(&server, &back, Some(&fresh_cookie)).await,
        Answer::SignIn { again: true, .. }
    ));
    // The session itself still serves requests that do not ask for a new sign-in
    // (oidcc-prompt-none-logged-in), with the new auth_time.
    let Answer::Redirect(location) = browse(
        &server,
        &authorize_url(&server, &[("prompt", "none")]),
        Some(&fresh_cookie),
    )
    .await
    else {
        panic!("prompt=none with a session: a code");
    };
    assert_eq!(
        id_token_claims(&server, &location).await["auth_time"],
        second["auth_time"]
    );
}

/// `oidcc-max-age-1` (`CheckIdTokenAuthTimeClaimPresentDueToMaxAge`,
/// `CheckSecondIdTokenAuthTimeIsLaterIfPresent`) and `oidcc-max-age-10000`: OpenID Connect Core
/// §3.1.2.1, "If the elapsed time is greater than this value, the OP MUST attempt to actively
/// re-authenticate the End-User"; §2, `auth_time` is REQUIRED when `max_age` was sent.
#[tokio::test]
async fn an_elapsed_max_age_asks_again_and_a_recent_session_does_not() {
    let (server, clock) = server().await;
    let (cookie, first) = first_sign_in(&server).await;

    let Answer::Redirect(location) =
        browse(&server, &authorize_url(&server, &[("max_age", "10000")]), Some(&cookie)).await
    else {
        panic!("within max_age: no sign-in");
    };
    assert_eq!(
        id_token_claims(&server, &location).await["auth_time"],
        first["auth_time"]
    );

    clock.advance(Duration::seconds(2));
    let Answer::Redirect(location) = browse(
        &server,
        &authorize_url(&server, &[("max_age", "1"), ("prompt", "none")]),
        Some(&cookie),
    )
    .await
    else {
        panic!("prompt=none: an error at the client");
    };
    assert_eq!(query_param(&location, "error").as_deref(), Some("login_required"));

    let url = authorize_url(&server, &[("max_age", "1")]);
    let Answer::SignIn { return_to, again } = browse(&server, &url, Some(&cookie)).await else {
        panic!("max_age elapsed: the sign-in page");
    };
    assert!(again);
    let (fresh_cookie, back) = sign_in(&server, &return_to).await;
    let Answer::Redirect(location) = browse(&server, &back, Some(&fresh_cookie)).await else {
        panic!("the fresh sign-in answers the request");
    };
    let second = id_token_claims(&server, &location).await;
    assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64());
}

/// Okta's API-based sign-in: a `sessionToken` redeemed with the request is the new
/// authentication `prompt=login` asks for (OpenID Connect Core §3.1.2.1; Okta's `sessionToken`
/// parameter, "an Okta extension to the OpenID specification").
#[tokio::test]
async fn a_session_token_answers_prompt_login() {
    let (server, clock) = server().await;
    let (cookie, first) = first_sign_in(&server).await;
    clock.advance(Duration::seconds(1));
    let response = server
        .http
        .post(format!("{}/api/v1/authn", server.base_url))
        .json(&serde_json::json!({"username": ALICE.0, "password": ALICE.1}))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let token = body["sessionToken"].as_str().unwrap();
    let url = authorize_url(&server, &[("prompt", "login"), ("sessionToken", token)]);
    let Answer::Redirect(location) = browse(&server, &url, Some(&cookie)).await else {
        panic!("the session token is the new sign-in");
    };
    let second = id_token_claims(&server, &location).await;
    assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64());
}

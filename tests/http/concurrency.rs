//! Concurrency over HTTP against the host: many requests at once on one code, one refresh token,
//! one server's keys and one client, then a check that every answer the server gave is still
//! true. The design's single-use and rotate-once contracts (atomic in the stores) seen from
//! outside, through the adapter, on the stores `AUTHSERVER_TEST_HOST_STORES` names.
//!
//! The tests run on a multi-threaded runtime so that the requests are answered in parallel,
//! not one after another.

use std::time::Instant;

use futures::future::join_all;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use reqwest::Method;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::support::{ALICE, SERVICE, TestServer, WEB_APP, WEB_REDIRECT, query_param};

/// How many requests race in each test.
const RACERS: usize = 32;

/// A token-endpoint request at the default server with HTTP Basic `client`: status and body.
async fn token(server: &TestServer, (id, secret): (&str, &str), form: &[(&str, &str)]) -> (u16, Value) {
    let response = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Whether `token` (of `hint`) introspects active at the default server, asked by the web app.
async fn active(server: &TestServer, token: &str, hint: &str) -> bool {
    let body: Value = server
        .http
        .post(format!("{}/v1/introspect", server.issuer("default")))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[("token", token), ("token_type_hint", hint)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["active"]
        .as_bool()
        .unwrap_or_else(|| panic!("an introspection answer: {body}"))
}

/// An authorization code for the web app and Alice (`openid offline_access`), through
/// `/api/v1/authn` and `/authorize?sessionToken=…`.
async fn authorization_code(server: &TestServer) -> String {
    let authn: Value = server
        .http
        .post(format!("{}/api/v1/authn", server.base_url))
        .json(&json!({"username": ALICE.0, "password": ALICE.1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session_token = authn["sessionToken"].as_str().expect("a session token");
    let mut url = url::Url::parse(&format!("{}/v1/authorize", server.issuer("default"))).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", WEB_APP.0)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid offline_access")
        .append_pair("redirect_uri", WEB_REDIRECT)
        .append_pair("state", "state-1")
        .append_pair("sessionToken", session_token);
    let redirect = server.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()[LOCATION].to_str().unwrap();
    query_param(location, "code").expect("a code")
}

/// RFC 6749 §4.1.2 and §10.5: a code is single use, and "if an authorization code is used more
/// than once, the authorization server MUST deny the request and SHOULD revoke (when possible)
/// all tokens previously issued based on that authorization code". Thirty-two redemptions at
/// once: exactly one gets tokens, every other is `invalid_grant`, and the tokens the one got are
/// revoked by the replays (introspection says so, and the refresh token no longer refreshes).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_code_redeemed_by_many_at_once_is_redeemed_once_and_its_tokens_revoked() {
    let server = TestServer::start().await;
    let code = authorization_code(&server).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", WEB_REDIRECT),
    ];
    let answers = join_all((0..RACERS).map(|_| token(&server, WEB_APP, &form))).await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one redemption succeeds: {answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, &body["error"]), (400, &json!("invalid_grant")), "{body}");
    }
    let tokens = winners[0];
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("offline_access: a refresh token");
    assert!(
        !active(&server, access, "access_token").await,
        "the replays revoked the access token"
    );
    assert!(
        !active(&server, refresh, "refresh_token").await,
        "and the refresh token"
    );
    let (status, body) = token(
        &server,
        WEB_APP,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")), "{body}");
}

/// Gives the web app rotating refresh tokens with `leeway` seconds of grace, then a refresh
/// token of Alice's (password grant, `openid offline_access`) and its access token.
async fn rotating_refresh_token(server: &TestServer, leeway: u8) -> (String, String) {
    let path = format!("/oauth2/v1/clients/{}", WEB_APP.0);
    let (status, mut client) = server.admin(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{client}");
    client["refresh_token"] = json!({"rotation_type": "ROTATE", "leeway": leeway});
    let (status, replaced) = server.admin(Method::PUT, &path, Some(client)).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["refresh_token"]["leeway"], leeway, "{replaced}");
    let (status, tokens) = token(
        server,
        WEB_APP,
        &[
            ("grant_type", "password"),
            ("username", ALICE.0),
            ("password", ALICE.1),
            ("scope", "openid offline_access"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    (refresh, tokens["access_token"].as_str().unwrap().to_owned())
}

/// Thirty-two refreshes of one rotating refresh token at once, with Okta's grace period
/// (`leeway` 30 s; `src/server/token/refresh.rs`): one rotates the token, and every other
/// presentation, all within the leeway of that rotation, is answered like a live token with a
/// sibling in the same family. So all succeed, each with its own new refresh token, every one of
/// which stays valid: no presentation within the leeway counts as reuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refreshes_at_once_within_the_leeway_all_succeed_and_all_their_tokens_live() {
    let server = TestServer::start().await;
    let (refresh, first_access) = rotating_refresh_token(&server, 30).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    let answers = join_all((0..RACERS).map(|_| token(&server, WEB_APP, &form))).await;
    let mut issued = Vec::new();
    for (status, body) in &answers {
        assert_eq!(*status, 200, "within the leeway every presentation succeeds: {body}");
        let new = body["refresh_token"].as_str().expect("ROTATE: a new refresh token");
        assert_ne!(new, refresh);
        issued.push(new.to_owned());
    }
    let mut distinct = issued.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), RACERS, "each answer has its own refresh token");
    for token in &issued {
        assert!(active(&server, token, "refresh_token").await, "no reuse was detected");
    }
    assert!(
        active(&server, &first_access, "access_token").await,
        "the family is not revoked"
    );
    for (_, body) in &answers {
        assert!(active(&server, body["access_token"].as_str().unwrap(), "access_token").await);
    }
}

/// The same race with `leeway` 0 (`src/server/token/refresh.rs`): one request rotates the
/// token at its `now`. A presentation whose `now` is not after that rotation is within the
/// (empty) grace period and gets a sibling; one whose `now` is after it is reuse, which is
/// refused and revokes the whole family, the winner's new tokens included. Which requests read
/// the clock before the winner is up to the scheduler, so the test asserts what must hold
/// whatever the interleaving:
///
/// - at least one request succeeds, and every other answer is `invalid_grant`;
/// - if any presentation was refused as reuse, nothing the race issued survives: no refresh
///   token refreshes or introspects active, no access token introspects active;
/// - if none was, every refresh token issued is live.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refreshes_at_once_without_leeway_end_in_one_family_or_none() {
    let server = TestServer::start().await;
    let (refresh, first_access) = rotating_refresh_token(&server, 0).await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
    let answers = join_all((0..RACERS).map(|_| token(&server, WEB_APP, &form))).await;
    let successes: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert!(!successes.is_empty(), "one presentation rotates the token: {answers:?}");
    let refused = answers.len() - successes.len();
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, &body["error"]), (400, &json!("invalid_grant")), "{body}");
    }
    let issued: Vec<&str> = successes
        .iter()
        .map(|body| body["refresh_token"].as_str().expect("a new refresh token"))
        .collect();
    if refused > 0 {
        // Reuse was detected: the family is gone, whatever was issued around it.
        for token in &issued {
            assert!(
                !active(&server, token, "refresh_token").await,
                "reuse revokes the family"
            );
            let (status, body) = token_refresh(&server, token).await;
            assert_eq!((status, &body["error"]), (400, &json!("invalid_grant")), "{body}");
        }
        assert!(!active(&server, &first_access, "access_token").await);
        for body in &successes {
            let access = body["access_token"].as_str().unwrap();
            assert!(!active(&server, access, "access_token").await, "and its access tokens");
        }
    } else {
        for token in &issued {
            assert!(active(&server, token, "refresh_token").await, "no reuse: all live");
        }
    }
}

/// A refresh of `refresh_token` by the web app.
async fn token_refresh(server: &TestServer, refresh_token: &str) -> (u16, Value) {
    token(
        server,
        WEB_APP,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
    )
    .await
}

/// Keys rotate while tokens are minted: sixty-four client-credentials tokens and two key
/// rotations at once. Every token minted, whichever key signed it, verifies with `jsonwebtoken`
/// against the JWKS published afterwards (a retired key stays published while its tokens live),
/// and a token minted after the rotations is signed by the key the management API calls
/// `ACTIVE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_minted_during_key_rotations_all_verify_against_the_jwks() {
    let server = TestServer::start().await;
    let mint = || {
        token(
            &server,
            SERVICE,
            &[("grant_type", "client_credentials"), ("scope", "reports:read")],
        )
    };
    let rotate = || {
        server.admin(
            Method::POST,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate",
            Some(json!({"use": "sig"})),
        )
    };
    let minting = join_all((0..2 * RACERS).map(|_| mint()));
    let rotating = async {
        let first = rotate().await;
        let second = rotate().await;
        [first, second]
    };
    let (minted, rotations) = tokio::join!(minting, rotating);
    for (status, body) in &rotations {
        assert_eq!(*status, 200, "{body}");
    }
    let mut tokens: Vec<String> = minted
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["access_token"].as_str().unwrap().to_owned()
        })
        .collect();
    let (status, after) = mint().await;
    assert_eq!(status, 200);
    let last = after["access_token"].as_str().unwrap().to_owned();
    tokens.push(last.clone());

    let jwks: jsonwebtoken::jwk::JwkSet = server
        .http
        .get(format!("{}/v1/keys", server.issuer("default")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["api://default"]);
    validation.set_issuer(&[server.issuer("default")]);
    let mut kids = Vec::new();
    for jwt in &tokens {
        let kid = decode_header(jwt).unwrap().kid.expect("a kid");
        let jwk = jwks.find(&kid).unwrap_or_else(|| panic!("key {kid} is published"));
        decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation).expect("the token verifies");
        kids.push(kid);
    }
    kids.sort();
    kids.dedup();
    assert!(!kids.is_empty());

    let (_, keys) = server
        .admin(
            Method::GET,
            "/api/v1/authorizationServers/default/credentials/keys",
            None,
        )
        .await;
    let active_kid = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["status"] == "ACTIVE")
        .and_then(|key| key["kid"].as_str())
        .unwrap()
        .to_owned();
    assert_eq!(
        decode_header(&last).unwrap().kid.unwrap(),
        active_kid,
        "after the rotations: the ACTIVE key"
    );
}

/// What one management call answered, and when it started and ended.
struct Answered {
    status: u16,
    body: Value,
    started: Instant,
    ended: Instant,
}

impl Answered {
    /// Whether this call ended before `other` started: then it took effect first.
    fn precedes(&self, other: &Answered) -> bool {
        self.ended < other.started
    }
}

/// A management call, timed.
async fn timed(server: &TestServer, method: Method, path: &str, body: Option<Value>) -> Answered {
    let started = Instant::now();
    let (status, body) = server.admin(method, path, body).await;
    Answered {
        status,
        body,
        started,
        ended: Instant::now(),
    }
}

/// Whether `secret` authenticates the reporting service.
async fn secret_works(server: &TestServer, secret: &str) -> bool {
    let form = [("grant_type", "client_credentials"), ("scope", "reports:read")];
    match token(server, (SERVICE.0, secret), &form).await {
        (200, _) => true,
        (401, _) => false,
        (status, body) => panic!("{status}: {body}"),
    }
}

/// The calls among `calls` that succeeded with `status` and that no other such call followed
/// entirely: the ones whose effect may be the last, when each call takes effect at one instant
/// between its start and its end (linearizability).
fn possibly_last(calls: &[Answered], status: u16) -> Vec<&Answered> {
    let succeeded: Vec<&Answered> = calls.iter().filter(|call| call.status == status).collect();
    succeeded
        .iter()
        .filter(|call| !succeeded.iter().any(|other| call.precedes(other)))
        .copied()
        .collect()
}

/// Concurrent writes to one client (`PUT` with a new name, `POST …/lifecycle/newSecret`), then
/// a `DELETE` among them, and every answer the server gave stays true, as if each call took
/// effect at one instant between its start and end:
///
/// - a `200` newSecret's secret works, unless a newSecret that took effect later replaced it: in
///   the end exactly one secret works, one a `200` newSecret returned that no other successful
///   newSecret followed entirely; a `PUT` keeps the secret (`src/admin/clients.rs`);
/// - likewise the name is one a `200` PUT set that no other successful PUT followed entirely (a
///   newSecret keeps the name);
/// - after a `204` DELETE the client is gone (`404`), and none of its secrets works.
///
/// Rounds repeat the race, since a lost write needs an unlucky interleaving. Without
/// compare-and-swap on client writes, a PUT that read the client before a newSecret (or a
/// DELETE) and wrote after it brings the old record back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]

async fn concurrent_client_writes_keep_every_answer_true() {
    let server = TestServer::start().await;
    let path = format!("/oauth2/v1/clients/{}", SERVICE.0);
    let new_secret = format!("{path}/lifecycle/newSecret");
    let (status, original) = server.admin(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{original}");
    let mut secrets = vec![SERVICE.1.to_owned()];

    for round in 0..8 {
        let puts = join_all((0..RACERS / 4).map(|i| {
            let mut body = original.clone();
            body["client_name"] = json!(format!("Reporting Service {round}.{i}"));
            timed(&server, Method::PUT, &path, Some(body))
        }));
        let rotations = join_all((0..RACERS / 4).map(|_| timed(&server, Method::POST, &new_secret, None)));
        let (puts, rotations) = tokio::join!(puts, rotations);
        for call in puts.iter().chain(&rotations) {
            assert_eq!(call.status, 200, "round {round}: {}", call.body);
        }
        let returned: Vec<&str> = rotations
            .iter()
            .map(|call| call.body["client_secret"].as_str().expect("the new secret"))
            .collect();
        secrets.extend(returned.iter().map(|secret| (*secret).to_owned()));
        let mut working = Vec::new();
        for secret in &secrets {
            if secret_works(&server, secret).await {
                working.push(secret.clone());
            }
        }
        assert_eq!(
            working.len(),
            1,
            "round {round}: exactly one secret works, not {working:?}"
        );
        let candidates: Vec<&str> = possibly_last(&rotations, 200)
            .iter()
            .map(|call| call.body["client_secret"].as_str().unwrap())
            .collect();
        assert!(
            candidates.contains(&working[0].as_str()),
            "round {round}: the working secret came from a newSecret that may have been the last"
        );
        let (_, now) = server.admin(Method::GET, &path, None).await;
        let names: Vec<&Value> = possibly_last(&puts, 200)
            .iter()
            .map(|call| &call.body["client_name"])
            .collect();
        assert!(
            names.contains(&&now["client_name"]),
            "round {round}: {} is not a last PUT's name",
            now["client_name"]
        );
    }

    // A DELETE among the writes: once it has answered 204, nothing brings the client back.
    let puts = join_all((0..RACERS / 4).map(|i| {
        let mut body = original.clone();
        body["client_name"] = json!(format!("Reporting Service after {i}"));
        timed(&server, Method::PUT, &path, Some(body))
    }));
    let rotations = join_all((0..RACERS / 4).map(|_| timed(&server, Method::POST, &new_secret, None)));
    let delete = async {
        tokio::task::yield_now().await;
        timed(&server, Method::DELETE, &path, None).await
    };
    let (puts, rotations, delete) = tokio::join!(puts, rotations, delete);
    assert_eq!(delete.status, 204, "{}", delete.body);
    for call in puts.iter().chain(&rotations) {
        assert!([200, 404].contains(&call.status), "{}: {}", call.status, call.body);
        if call.status == 404 {
            assert_eq!(call.body["errorCode"], "E0000007");
        }
    }
    secrets.extend(
        rotations
            .iter()
            .filter_map(|call| call.body["client_secret"].as_str().map(str::to_owned)),
    );
    let (status, body) = server.admin(Method::GET, &path, None).await;
    assert_eq!(status, 404, "the deleted client stays deleted: {body}");
    for secret in &secrets {
        assert!(!secret_works(&server, secret).await, "a deleted client's secret works");
    }
}

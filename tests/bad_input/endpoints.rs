//! Bad input to the OAuth endpoints, as a table: each row is one hostile or malformed request to
//! `/v1/authorize`, `/v1/token` (every grant type), `/v1/introspect`, `/v1/revoke`,
//! `/v1/userinfo`, `/v1/logout`, `/v1/keys` or one of the two metadata documents, sent through
//! `AuthServer`'s endpoint methods as a host would, with the status and OAuth `error` it is
//! documented to get: the wire mapping of `endpoint::Reason` (`src/endpoint/reason.rs`) and the
//! README's "Limits". How the error is delivered is part of the expectation: JSON at the
//! back-channel endpoints, an error page when `/authorize` cannot trust the redirect URI (or the
//! client), a redirect to the client otherwise, a `WWW-Authenticate` challenge at `/userinfo`.
//!
//! Every row must leave the stores as they were: every server's configuration and key ring, the
//! directory (clients, users, assignments) and the grant store (codes, refresh tokens, revoked
//! grants and access tokens, assertion `jti`s). Events may be added: refusals are recorded.
//!
//! One change is documented and checked instead: a refused code redemption leaves the code spent
//! (`grant::authorization_code`: "Any refusal after the redemption leaves the code spent: codes
//! are single use"), so such a row must change exactly one code from live to redeemed, nothing
//! else. Each of those rows has a code of its own.
//!
//! Not in the table: a replayed authorization code and a reused rotated refresh token, whose
//! documented answer (RFC 6749 §4.1.2, RFC 9700 §4.14.2) is to revoke the grant, a store change.

use std::collections::HashMap;
use std::sync::Arc;

use authserver::AuthServer;
use authserver::AuthorizeOutcome;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::clock::ManualClock;
use authserver::crypto::PasswordHasher;
use authserver::endpoint::{Body, EndpointRequest, EndpointResponse, Session};
use authserver::keys::KeyRing;
use authserver::model::{ClientRecord, User};
use authserver::store::{ConfigStore, Directory, MemoryConfigStore, MemoryDirectory, MemoryGrantStore, ServerConfig};
use authserver::testkit::FixedKeys;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use time::macros::datetime;

use super::long;

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const BASE: &str = "https://id.example.com";
const WEB_CB: &str = "https://web.example.com/callback";
const WEB_LOGOUT: &str = "https://web.example.com/signed-out";
const SPA_CB: &str = "https://spa.example.com/callback";
const ADA: &str = "00uada";
const BOB: &str = "00ubob";
const PASSWORD: &str = "correct horse battery staple";
// RFC 7636 Appendix B: the verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Which endpoint a row calls.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    Authorize,
    Token,
    Introspect,
    Revoke,
    Userinfo,
    Logout,
    Keys,
    OpenIdConfiguration,
    OAuthMetadata,
}

/// What a row must be answered.
#[derive(Debug)]
enum Expect {
    /// A JSON error: status and `error` (or, for an unknown server, Okta's `errorCode`).
    Json(u16, &'static str),
    /// `/authorize`'s error page (never a redirect): `400` and the error it names.
    Page(&'static str),
    /// A `302` to the client's redirect URI carrying `error`.
    Redirect(&'static str),
    /// `/logout`'s `400` page with this description (the page names no error code).
    LogoutPage(&'static str),
    /// A `/userinfo` challenge: status and the `error` in `WWW-Authenticate`, if any.
    Challenge(u16, Option<&'static str>),
    /// Introspection's `200 {"active": false}` (RFC 7662 §2.2).
    Inactive,
    /// `200` with nothing revoked (RFC 7009 §2.2: an invalid token is no error).
    Ok,
}

/// One row of the table.
struct Row {
    /// What is wrong with the request.
    what: &'static str,
    endpoint: Endpoint,
    server: String,
    method: Method,
    query: String,
    form: Option<String>,
    authorization: Option<String>,
    /// The user of the host's session, if any.
    session: Option<&'static str>,
    /// Whether the request redeems (and so spends) a live code before it is refused.
    spends_code: bool,
    expect: Expect,
}

impl Row {
    fn get(what: &'static str, endpoint: Endpoint, query: impl Into<String>, expect: Expect) -> Self {
        Self {
            what,
            endpoint,
            server: "default".into(),
            method: Method::Get,
            query: query.into(),
            form: None,
            authorization: None,
            session: None,
            spends_code: false,
            expect,
        }
    }

    fn post(what: &'static str, endpoint: Endpoint, form: impl Into<String>, expect: Expect) -> Self {
        Self {
            method: Method::Post,
            form: Some(form.into()),
            ..Self::get(what, endpoint, "", expect)
        }
    }

    fn auth(mut self, authorization: impl Into<String>) -> Self {
        self.authorization = Some(authorization.into());
        self
    }

    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    fn query(mut self, query: impl Into<String>) -> Self {
        self.query = query.into();
        self
    }

    fn server(mut self, server: impl Into<String>) -> Self {
        self.server = server.into();
        self
    }

    fn spends_code(mut self) -> Self {
        self.spends_code = true;
        self
    }

    fn signed_in(mut self, user: &'static str) -> Self {
        self.session = Some(user);
        self
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

/// What the stores hold: every server's configuration and key ring, the directory's clients,
/// users and assignments, and everything in the grant store.
#[derive(Debug, PartialEq)]
struct Snapshot {
    servers: Vec<(ServerConfig, Option<KeyRing>)>,
    clients: Vec<ClientRecord>,
    users: Vec<Option<Value>>,
    assignments: Vec<bool>,
    grants: Value,
}

async fn snapshot(server: &Server) -> Snapshot {
    let api = server.management();
    let mut servers = Vec::new();
    for config in api.list_servers(None).await.expect("servers") {
        let stored = api
            .config_store()
            .load(&config.id)
            .await
            .expect("load")
            .expect("config");
        let ring = api.config_store().key_ring(&config.id).await.expect("key ring");
        servers.push((stored, ring));
    }
    let directory = server.directory();
    let clients = directory.clients().await.expect("clients");
    let mut users = Vec::new();
    let mut assignments = Vec::new();
    for user in [ADA, BOB] {
        let found = directory.user(user).await.expect("user");
        users.push(found.map(|user| serde_json::to_value(user).expect("user JSON")));
        for client in &clients {
            assignments.push(
                directory
                    .is_assigned(&client.client.client_id, user)
                    .await
                    .expect("assigned"),
            );
        }
    }
    Snapshot {
        servers,
        clients,
        users,
        assignments,
        grants: server.grants().contents(),
    }
}

/// What the seeding made, for the rows to refer to.
struct Seeded {
    web: String,
    web_secret: String,
    spa: String,
    svc: String,
    svc_secret: String,
    /// Unredeemed codes of `web` (PKCE with [`CHALLENGE`], redirect [`WEB_CB`]), one per row
    /// that spends one.
    web_codes: Vec<String>,
    /// Unredeemed codes of `spa`.
    spa_codes: Vec<String>,
    access_token: String,
    refresh_token: String,
    id_token: String,
}

async fn admin(server: &Server, method: Method, path: &str, body: Value) -> Value {
    let caller = Caller { id: "admin".into() };
    let bytes = serde_json::to_vec(&body).expect("JSON");
    let request = ApiRequest {
        method,
        path,
        query: "",
        body: Some(&bytes),
        caller: Some(&caller),
    };
    let response = server.management().handle(&request).await;
    assert!(response.status < 300, "seeding {path}: {:?}", response.body);
    response.body.unwrap_or_default()
}

fn user(id: &str, login: &str) -> User {
    serde_json::from_value(json!({
        "id": id, "status": "ACTIVE",
        "profile": {"login": login, "email": login, "firstName": "A", "lastName": "B"}
    }))
    .expect("user JSON")
}

fn session(user: &str) -> Session {
    Session {
        id: format!("sess-{user}"),
        user_id: user.into(),
        auth_time: datetime!(2025-01-01 0:00 UTC),
        amr: vec!["pwd".into()],
    }
}

async fn code_for(server: &Server, client_id: &str, redirect_uri: &str, scope: &str) -> String {
    let query = form(&[
        ("client_id", client_id),
        ("response_type", "code"),
        ("scope", scope),
        ("redirect_uri", redirect_uri),
        ("state", "seed"),
        ("nonce", "seed"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let ada = session(ADA);
    let request = EndpointRequest::get(&query).with_session(&ada);
    let AuthorizeOutcome::Respond(response) = server.authorize("default", &request).await else {
        panic!("seeding: no redirect");
    };
    let location = url::Url::parse(response.header("Location").expect("Location")).expect("URL");
    let params: HashMap<String, String> = location.query_pairs().into_owned().collect();
    params
        .get("code")
        .unwrap_or_else(|| panic!("seeding: {params:?}"))
        .clone()
}

async fn codes(server: &Server, client_id: &str, redirect_uri: &str, count: usize) -> Vec<String> {
    let mut codes = Vec::new();
    for _ in 0..count {
        codes.push(code_for(server, client_id, redirect_uri, "openid").await);
    }
    codes
}

/// The `default` server, users Ada (assigned to `web` and `spa`, with a password) and Bob
/// (assigned to nothing); a confidential web client, a public SPA and a service client; a code
/// redeemed for tokens, and two codes left unredeemed.
async fn seed() -> (Server, Seeded) {
    let clock = Arc::new(ManualClock::new(datetime!(2025-01-01 0:00 UTC)));
    let server = AuthServer::builder(BASE)
        .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
        .key_material(Arc::new(FixedKeys::new()))
        .clock(clock)
        .build();
    server
        .management()
        .ensure_default_server()
        .await
        .expect("default server");
    server
        .directory()
        .add_user(user(ADA, "ada@example.com"), Some(PASSWORD))
        .expect("Ada");
    server
        .directory()
        .add_user(user(BOB, "bob@example.com"), Some(PASSWORD))
        .expect("Bob");
    let web = admin(
        &server,
        Method::Post,
        "/oauth2/v1/clients",
        json!({"client_name": "Web", "application_type": "web", "redirect_uris": [WEB_CB],
               "post_logout_redirect_uris": [WEB_LOGOUT],
               "grant_types": ["authorization_code", "refresh_token", "password"], "response_types": ["code"],
               "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let spa = admin(
        &server,
        Method::Post,
        "/oauth2/v1/clients",
        json!({"client_name": "SPA", "application_type": "browser", "redirect_uris": [SPA_CB],
               "grant_types": ["authorization_code", "implicit", "refresh_token"], "response_types": ["code", "token", "id_token"],
               "token_endpoint_auth_method": "none"}),
    )
    .await;
    let svc = admin(
        &server,
        Method::Post,
        "/oauth2/v1/clients",
        json!({"client_name": "Service", "application_type": "service", "grant_types": ["client_credentials"],
               "token_endpoint_auth_method": "client_secret_basic"}),
    )
    .await;
    let id = |created: &Value, member: &str| created[member].as_str().expect(member).to_owned();
    let (web_id, spa_id) = (id(&web, "client_id"), id(&spa, "client_id"));
    for client in [&web_id, &spa_id] {
        server.directory().assign_user(client, ADA).expect("assign");
    }
    let web_secret = id(&web, "client_secret");
    let redeemed = code_for(&server, &web_id, WEB_CB, "openid offline_access").await;
    let exchange = form(&[
        ("grant_type", "authorization_code"),
        ("code", &redeemed),
        ("redirect_uri", WEB_CB),
        ("code_verifier", VERIFIER),
    ]);
    let authorization = basic(&web_id, &web_secret);
    let request = EndpointRequest::post(&exchange).with_authorization(&authorization);
    let tokens = server.token("default", &request).await;
    assert_eq!(tokens.status, 200, "seeding: {:?}", tokens.body);
    let tokens = tokens.json_body().expect("JSON").clone();
    let seeded = Seeded {
        web_codes: codes(&server, &web_id, WEB_CB, 5).await,
        spa_codes: codes(&server, &spa_id, SPA_CB, 2).await,
        web: web_id,
        web_secret,
        spa: spa_id,
        svc: id(&svc, "client_id"),
        svc_secret: id(&svc, "client_secret"),
        access_token: id(&tokens, "access_token"),
        refresh_token: id(&tokens, "refresh_token"),
        id_token: id(&tokens, "id_token"),
    };
    (server, seeded)
}

/// `token` with its payload's `sub` changed and the signature kept.
fn forged(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url")).expect("claims");
    claims["sub"] = json!("someone-else");
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("JSON"));
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// An unsigned JWT (`alg: none`) with `claims`.
fn unsigned(claims: Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("JSON"));
    format!("{header}.{payload}.")
}

#[rustfmt::skip]
fn rows(s: &Seeded) -> Vec<Row> {
    use Endpoint::{Authorize, Introspect, Keys, Logout, OAuthMetadata, OpenIdConfiguration, Revoke, Token, Userinfo};
    use Expect::{Challenge, Inactive, Json, LogoutPage, Page, Redirect};
    let web_basic = basic(&s.web, &s.web_secret);
    let svc_basic = basic(&s.svc, &s.svc_secret);
    // A valid `web` code request, with `changes` replacing or adding parameters.
    let authorize = |client: &str, redirect: &str, changes: &[(&str, &str)]| -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("client_id", client), ("response_type", "code"), ("scope", "openid"), ("redirect_uri", redirect),
            ("state", "st-1"), ("nonce", "n-1"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256"),
        ];
        for (name, value) in changes {
            pairs.retain(|(n, _)| n != name);
            if !value.is_empty() {
                pairs.push((name, value));
            }
        }
        form(&pairs)
    };
    let web = |changes: &[(&str, &str)]| authorize(&s.web, WEB_CB, changes);
    let spa = |changes: &[(&str, &str)]| authorize(&s.spa, SPA_CB, changes);
    let code = |changes: &[(&str, &str)]| -> String {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"), ("code", &s.web_codes[4]), ("redirect_uri", WEB_CB), ("code_verifier", VERIFIER),
        ];
        for (name, value) in changes {
            pairs.retain(|(n, _)| n != name);
            if !value.is_empty() {
                pairs.push((name, value));
            }
        }
        form(&pairs)
    };
    let forged_access = forged(&s.access_token);
    let forged_id = forged(&s.id_token);
    let no_alg = unsigned(json!({"iss": format!("{BASE}/oauth2/default"), "aud": s.spa, "client_id": s.spa,
                                 "response_type": "code", "redirect_uri": SPA_CB, "scope": "openid", "state": "st-1"}));
    vec![
        // ---- /v1/authorize: errors shown on a page (the client or redirect URI is not trusted) ----
        Row::get("an unknown server", Authorize, web(&[]), Json(404, "E0000007")).server("nope").signed_in(ADA),
        Row::get("a server id of 10,000 characters", Authorize, web(&[]), Json(404, "E0000007")).server(long(10_000)).signed_in(ADA),
        Row::get("an unknown client", Authorize, authorize("0oaNope", WEB_CB, &[]), Page("invalid_client")).signed_in(ADA),
        Row::get("no client_id", Authorize, web(&[("client_id", "")]), Page("invalid_client")).signed_in(ADA),
        Row::get("a client_id that is not UTF-8", Authorize, web(&[("client_id", "")]) + "&client_id=%FF%FE", Page("invalid_client")).signed_in(ADA),
        Row::get("a client_id of 70 KiB", Authorize, authorize(&long(70 * 1024), WEB_CB, &[]), Page("invalid_request")).signed_in(ADA),
        Row::get("an unregistered redirect_uri", Authorize, authorize(&s.web, "https://evil.example.com/callback", &[]), Page("invalid_request")).signed_in(ADA),
        Row::get("a redirect_uri differing in case", Authorize, authorize(&s.web, "https://WEB.example.com/callback", &[]), Page("invalid_request")).signed_in(ADA),
        Row::get("a redirect_uri with a trailing slash", Authorize, authorize(&s.web, "https://web.example.com/callback/", &[]), Page("invalid_request")).signed_in(ADA),
        Row::get("another client's redirect_uri", Authorize, authorize(&s.web, SPA_CB, &[]), Page("invalid_request")).signed_in(ADA),
        Row::get("no redirect_uri", Authorize, web(&[("redirect_uri", "")]), Page("invalid_request")).signed_in(ADA),
        Row::get("a javascript: redirect_uri", Authorize, authorize(&s.web, "javascript:alert(1)", &[]), Page("invalid_request")).signed_in(ADA),
        Row::get("state sent twice", Authorize, web(&[]) + "&state=again", Page("invalid_request")).signed_in(ADA),
        Row::get("client_id sent twice", Authorize, web(&[]) + "&client_id=" + &s.spa, Page("invalid_request")).signed_in(ADA),
        Row::get("a query of 70 KiB", Authorize, web(&[("login_hint", &long(70 * 1024))]), Page("invalid_request")).signed_in(ADA),
        Row::get("an unregistered redirect_uri and a bad response_type", Authorize, authorize(&s.web, "https://evil.example.com/cb", &[("response_type", "bogus")]), Page("invalid_request")).signed_in(ADA),
        // ---- /v1/authorize: errors redirected to the registered URI ----
        Row::get("no response_type", Authorize, web(&[("response_type", "")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("an unknown response_type", Authorize, web(&[("response_type", "bogus")]), Redirect("unsupported_response_type")).signed_in(ADA),
        Row::get("a response_type the client may not use", Authorize, web(&[("response_type", "token")]), Redirect("unsupported_response_type")).signed_in(ADA),
        Row::get("an unknown response_mode", Authorize, web(&[("response_mode", "bogus")]), Redirect("unsupported_response_mode")).signed_in(ADA),
        Row::get("tokens in the query", Authorize, spa(&[("response_type", "token"), ("response_mode", "query")]), Redirect("unsupported_response_mode")).signed_in(ADA),
        Row::get("an unknown scope", Authorize, web(&[("scope", "openid nope:nothing")]), Redirect("invalid_scope")).signed_in(ADA),
        Row::get("a scope with a control character", Authorize, web(&[("scope", "openid\u{1}")]), Redirect("invalid_scope")).signed_in(ADA),
        Row::get("a scope of 1,025 bytes", Authorize, web(&[("scope", &long(1025))]), Redirect("invalid_scope")).signed_in(ADA),
        Row::get("no state", Authorize, web(&[("state", "")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("a state with a control character", Authorize, web(&[("state", "a\u{7f}b")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("a state of 2,049 bytes", Authorize, web(&[("state", &long(2049))]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("an ID token without a nonce", Authorize, spa(&[("response_type", "id_token"), ("nonce", "")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("a public client without PKCE", Authorize, spa(&[("code_challenge", ""), ("code_challenge_method", "")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("the plain PKCE method", Authorize, spa(&[("code_challenge", VERIFIER), ("code_challenge_method", "plain")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("a PKCE challenge of 3 characters", Authorize, spa(&[("code_challenge", "abc")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("an unknown prompt", Authorize, web(&[("prompt", "bogus")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("prompt=none without a session", Authorize, web(&[("prompt", "none")]), Redirect("login_required")),
        Row::get("a negative max_age", Authorize, web(&[("max_age", "-1")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("a request_uri", Authorize, web(&[("request_uri", "https://evil.example.com/req")]), Redirect("request_uri_not_supported")).signed_in(ADA),
        Row::get("a request object that is not a JWT", Authorize, spa(&[("request", "not-a-jwt")]), Redirect("invalid_request_object")).signed_in(ADA),
        Row::get("an unsigned request object", Authorize, spa(&[("request", &no_alg)]), Redirect("invalid_request_object")).signed_in(ADA),
        Row::get("a claims parameter that is not JSON", Authorize, web(&[("claims", "{")]), Redirect("invalid_request")).signed_in(ADA),
        Row::get("a user not assigned to the client", Authorize, web(&[]), Redirect("access_denied")).signed_in(BOB),
        // ---- /v1/token: reading the request and authenticating the client ----
        Row::get("GET", Token, code(&[]), Json(405, "invalid_request")).auth(&web_basic),
        Row::post("an unknown server", Token, code(&[]), Json(404, "E0000007")).auth(&web_basic).server("nope"),
        Row::post("no grant_type", Token, code(&[("grant_type", "")]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("an unknown grant_type", Token, code(&[("grant_type", "urn:bogus")]), Json(400, "unsupported_grant_type")).auth(&web_basic),
        Row::post("a grant_type that is not UTF-8", Token, "grant_type=%FF%FE", Json(400, "unsupported_grant_type")).auth(&web_basic),
        Row::post("grant_type sent twice", Token, code(&[]) + "&grant_type=authorization_code", Json(400, "invalid_request")).auth(&web_basic),
        Row::post("a form of 70 KiB", Token, code(&[("padding", &long(70 * 1024))]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("no client authentication", Token, code(&[]), Json(401, "invalid_client")),
        Row::post("a Basic header that is not Base64", Token, code(&[]), Json(401, "invalid_client")).auth("Basic !!!not-base64"),
        Row::post("a Basic header without a colon", Token, code(&[]), Json(401, "invalid_client")).auth(format!("Basic {}", STANDARD.encode("no-colon"))),
        Row::post("an unknown client", Token, code(&[]), Json(401, "invalid_client")).auth(basic("0oaNope", "secret")),
        Row::post("a wrong secret", Token, code(&[]), Json(401, "invalid_client")).auth(basic(&s.web, "wrong-secret-wrong-secret-wrong-secret")),
        Row::post("an empty secret", Token, code(&[]), Json(401, "invalid_client")).auth(basic(&s.web, "")),
        Row::post("a secret in the body of a client_secret_basic client", Token, code(&[("client_id", &s.web), ("client_secret", &s.web_secret)]), Json(401, "invalid_client")),
        Row::post("credentials in the query string", Token, code(&[]), Json(400, "invalid_request")).auth(&web_basic).query(form(&[("client_id", &s.web), ("client_secret", &s.web_secret)])),
        Row::post("a Basic header and a body secret", Token, code(&[("client_secret", &s.web_secret)]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("a form client_id naming another client", Token, code(&[("client_id", &s.spa)]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("an unknown client_assertion_type", Token, code(&[("client_id", &s.web), ("client_assertion_type", "urn:bogus"), ("client_assertion", "x.y.z")]), Json(400, "invalid_request")),
        Row::post("a client assertion that is not a JWT", Token, code(&[("client_id", &s.web), ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", "not-a-jwt")]), Json(401, "invalid_client")),
        Row::post("an unknown public client", Token, code(&[("client_id", "0oaNope")]), Json(401, "invalid_client")),
        // ---- /v1/token: authorization_code ----
        Row::post("no code", Token, code(&[("code", "")]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("an unknown code", Token, code(&[("code", "not-a-code")]), Json(400, "invalid_grant")).auth(&web_basic),
        Row::post("another client's code", Token, code(&[("code", &s.spa_codes[0])]), Json(400, "invalid_grant")).auth(&web_basic).spends_code(),
        Row::post("a wrong redirect_uri", Token, code(&[("code", &s.web_codes[0]), ("redirect_uri", "https://evil.example.com/callback")]), Json(400, "invalid_grant")).auth(&web_basic).spends_code(),
        Row::post("no redirect_uri", Token, code(&[("code", &s.web_codes[1]), ("redirect_uri", "")]), Json(400, "invalid_grant")).auth(&web_basic).spends_code(),
        Row::post("a wrong code_verifier", Token, code(&[("code", &s.web_codes[2]), ("code_verifier", &"x".repeat(43))]), Json(400, "invalid_grant")).auth(&web_basic).spends_code(),
        Row::post("no code_verifier", Token, code(&[("code", &s.web_codes[3]), ("code_verifier", "")]), Json(400, "invalid_grant")).auth(&web_basic).spends_code(),
        Row::post("a public client's code without its verifier", Token, code(&[("code", &s.spa_codes[1]), ("redirect_uri", SPA_CB), ("code_verifier", ""), ("client_id", &s.spa)]), Json(400, "invalid_grant")).spends_code(),
        Row::post("a code for a grant type the client lacks", Token, code(&[]), Json(400, "unauthorized_client")).auth(&svc_basic),
        // ---- /v1/token: refresh_token ----
        Row::post("no refresh_token", Token, form(&[("grant_type", "refresh_token")]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("an unknown refresh_token", Token, form(&[("grant_type", "refresh_token"), ("refresh_token", "not-a-token")]), Json(400, "invalid_grant")).auth(&web_basic),
        Row::post("a refresh_token of 33 KiB", Token, form(&[("grant_type", "refresh_token"), ("refresh_token", &long(33 * 1024))]), Json(400, "invalid_grant")).auth(&web_basic),
        Row::post("another client's refresh_token", Token, form(&[("grant_type", "refresh_token"), ("refresh_token", &s.refresh_token), ("client_id", &s.spa)]), Json(400, "invalid_grant")),
        Row::post("an access token as refresh_token", Token, form(&[("grant_type", "refresh_token"), ("refresh_token", &s.access_token)]), Json(400, "invalid_grant")).auth(&web_basic),
        Row::post("a refresh scope of 4,097 bytes", Token, form(&[("grant_type", "refresh_token"), ("refresh_token", &s.refresh_token), ("scope", &long(4097))]), Json(400, "invalid_scope")).auth(&web_basic),
        // ---- /v1/token: client_credentials ----
        Row::post("client_credentials with an unknown scope", Token, form(&[("grant_type", "client_credentials"), ("scope", "nope:nothing")]), Json(400, "invalid_scope")).auth(&svc_basic),
        Row::post("client_credentials with openid", Token, form(&[("grant_type", "client_credentials"), ("scope", "openid")]), Json(400, "invalid_scope")).auth(&svc_basic),
        Row::post("client_credentials with a control character in scope", Token, form(&[("grant_type", "client_credentials"), ("scope", "a\u{1}b")]), Json(400, "invalid_scope")).auth(&svc_basic),
        Row::post("client_credentials by a client without that grant", Token, form(&[("grant_type", "client_credentials"), ("scope", "openid")]), Json(400, "unauthorized_client")).auth(&web_basic),
        Row::post("client_credentials by a public client", Token, form(&[("grant_type", "client_credentials"), ("client_id", &s.spa)]), Json(400, "unauthorized_client")),
        // ---- /v1/token: password ----
        Row::post("password without a username", Token, form(&[("grant_type", "password"), ("password", PASSWORD), ("scope", "openid")]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("password without a password", Token, form(&[("grant_type", "password"), ("username", "ada@example.com"), ("scope", "openid")]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("a wrong password", Token, form(&[("grant_type", "password"), ("username", "ada@example.com"), ("password", "wrong"), ("scope", "openid")]), Json(400, "invalid_grant")).auth(&web_basic),
        Row::post("an unknown user", Token, form(&[("grant_type", "password"), ("username", "nobody@example.com"), ("password", PASSWORD), ("scope", "openid")]), Json(400, "invalid_grant")).auth(&web_basic),
        Row::post("a password for a client without that grant", Token, form(&[("grant_type", "password"), ("username", "ada@example.com"), ("password", PASSWORD), ("scope", "openid")]), Json(400, "unauthorized_client")).auth(&svc_basic),
        // ---- /v1/introspect ----
        Row::get("GET", Introspect, form(&[("token", &s.access_token)]), Json(405, "invalid_request")).auth(&web_basic),
        Row::post("an unknown server", Introspect, form(&[("token", &s.access_token)]), Json(404, "E0000007")).auth(&web_basic).server("nope"),
        Row::post("no token", Introspect, "", Json(400, "invalid_request")).auth(&web_basic),
        Row::post("token sent twice", Introspect, form(&[("token", &s.access_token), ("token", &s.access_token)]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("no client authentication", Introspect, form(&[("token", &s.access_token)]), Json(401, "invalid_client")),
        Row::post("a wrong secret", Introspect, form(&[("token", &s.access_token)]), Json(401, "invalid_client")).auth(basic(&s.web, "wrong")),
        Row::post("a forged access token", Introspect, form(&[("token", &forged_access)]), Inactive).auth(&web_basic),
        Row::post("an unsigned token", Introspect, form(&[("token", &no_alg)]), Inactive).auth(&web_basic),
        Row::post("garbage", Introspect, form(&[("token", "garbage")]), Inactive).auth(&web_basic),
        // README Limits: tokens over 32 KiB are not parsed, and refused as any bad token.
        Row::post("a token of 33 KiB", Introspect, form(&[("token", &long(33 * 1024))]), Inactive).auth(&web_basic),
        // ---- /v1/revoke ----
        Row::get("GET", Revoke, form(&[("token", &s.refresh_token)]), Json(405, "invalid_request")).auth(&web_basic),
        Row::post("no token", Revoke, "", Json(400, "invalid_request")).auth(&web_basic),
        Row::post("token sent twice", Revoke, form(&[("token", &s.refresh_token), ("token", "x")]), Json(400, "invalid_request")).auth(&web_basic),
        Row::post("a wrong secret", Revoke, form(&[("token", &s.refresh_token)]), Json(401, "invalid_client")).auth(basic(&s.web, "wrong")),
        Row::post("an unknown client", Revoke, form(&[("token", &s.refresh_token)]), Json(401, "invalid_client")).auth(basic("0oaNope", "x")),
        Row::post("a forged access token", Revoke, form(&[("token", &forged_access)]), Expect::Ok).auth(&web_basic),
        Row::post("another client's refresh token", Revoke, form(&[("token", &s.refresh_token), ("client_id", &s.spa)]), Expect::Ok),
        Row::post("another client's access token", Revoke, form(&[("token", &s.access_token)]), Expect::Ok).auth(&svc_basic),
        // ---- /v1/userinfo ----
        Row::get("no access token", Userinfo, "", Challenge(401, None)),
        Row::get("a token that is not a JWT", Userinfo, "", Challenge(401, Some("invalid_token"))).auth("Bearer garbage"),
        Row::get("an access token of 33 KiB", Userinfo, "", Challenge(401, Some("invalid_token"))).auth(format!("Bearer {}", long(33 * 1024))),
        Row::get("a forged access token", Userinfo, "", Challenge(401, Some("invalid_token"))).auth(format!("Bearer {forged_access}")),
        Row::get("an ID token as access token", Userinfo, "", Challenge(401, Some("invalid_token"))).auth(format!("Bearer {}", s.id_token)),
        Row::get("the access token in the query", Userinfo, form(&[("access_token", &s.access_token)]), Challenge(400, Some("invalid_request"))),
        Row::post("the access token in the header and the form", Userinfo, form(&[("access_token", &s.access_token)]), Challenge(400, Some("invalid_request"))).auth(format!("Bearer {}", s.access_token)),
        Row::get("DELETE", Userinfo, "", Json(405, "invalid_request")).auth(format!("Bearer {}", s.access_token)).method(Method::Delete),
        // ---- /v1/logout ----
        Row::get("PUT", Logout, "", Json(405, "invalid_request")).method(Method::Put),
        Row::get("a parameter sent twice", Logout, form(&[("state", "a"), ("state", "b")]), LogoutPage("The request contained multiple parameters with the same name.")).signed_in(ADA),
        Row::get("an id_token_hint that is not a JWT", Logout, form(&[("id_token_hint", "garbage")]), LogoutPage("The 'id_token_hint' parameter is not a valid ID token.")).signed_in(ADA),
        Row::get("a forged id_token_hint", Logout, form(&[("id_token_hint", &forged_id), ("post_logout_redirect_uri", WEB_LOGOUT)]), LogoutPage("The 'id_token_hint' parameter is not a valid ID token.")).signed_in(ADA),
        Row::get("an unregistered post_logout_redirect_uri", Logout, form(&[("id_token_hint", &s.id_token), ("post_logout_redirect_uri", "https://evil.example.com/")]), LogoutPage("The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.")).signed_in(ADA),
        Row::get("a post_logout_redirect_uri without a hint", Logout, form(&[("post_logout_redirect_uri", WEB_LOGOUT)]), LogoutPage("The 'id_token_hint' parameter is required with 'post_logout_redirect_uri'.")).signed_in(ADA),
        // ---- /v1/keys and the metadata documents ----
        Row::get("keys of an unknown server", Keys, "", Json(404, "E0000007")).server("nope"),
        Row::get("keys of a server id with a path", Keys, "", Json(404, "E0000007")).server("../default"),
        Row::get("keys of an empty server id", Keys, "", Json(404, "E0000007")).server(""),
        Row::get("OpenID configuration of an unknown server", OpenIdConfiguration, "", Json(404, "E0000007")).server("nope"),
        Row::get("OpenID configuration for an unknown client", OpenIdConfiguration, "client_id=0oaNope", Json(400, "invalid_client")),
        Row::get("OpenID configuration with client_id twice", OpenIdConfiguration, form(&[("client_id", &s.web), ("client_id", &s.spa)]), Json(400, "invalid_request")),
        Row::get("OAuth metadata of an unknown server", OAuthMetadata, "", Json(404, "E0000007")).server("nope"),
        Row::get("OAuth metadata for an unknown client", OAuthMetadata, "client_id=%FF", Json(400, "invalid_client")),
    ]
}

/// What a response said, for comparing with [`Expect`]: a short text.
fn observed(endpoint: Endpoint, response: &EndpointResponse) -> String {
    if let Some(body) = response.json_body() {
        if body.get("active") == Some(&Value::Bool(false)) {
            return "inactive".into();
        }
        let error = body["error"].as_str().or(body["errorCode"].as_str()).unwrap_or("-");
        return format!("json {} {error}", response.status);
    }
    if let Some(location) = response.header("Location") {
        let url = url::Url::parse(location).expect("a URL");
        let params = url.fragment().or(url.query()).unwrap_or_default();
        let params: HashMap<String, String> = url::form_urlencoded::parse(params.as_bytes()).into_owned().collect();
        if params.contains_key("code") || params.contains_key("access_token") {
            return format!("issued {}", response.status);
        }
        return format!(
            "redirect {} {}",
            response.status,
            params.get("error").map_or("-", String::as_str)
        );
    }
    if let Some(challenge) = response.header("WWW-Authenticate") {
        let error = challenge
            .split("error=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("-");
        return format!("challenge {} {error}", response.status);
    }
    match (&response.body, endpoint) {
        (Body::Html(html), Endpoint::Logout) => format!("logout page {} {}", response.status, html),
        (Body::Html(html), _) => {
            let error = html
                .split("Error: ")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .unwrap_or("-");
            format!("page {} {error}", response.status)
        }
        (Body::Empty, _) => format!("empty {}", response.status),
        (other, _) => format!("{} {other:?}", response.status),
    }
}

fn matches(expect: &Expect, endpoint: Endpoint, response: &EndpointResponse) -> bool {
    let seen = observed(endpoint, response);
    match expect {
        Expect::Json(status, error) => seen == format!("json {status} {error}"),
        Expect::Page(error) => seen == format!("page 400 {error}"),
        Expect::Redirect(error) => seen == format!("redirect 302 {error}"),
        Expect::LogoutPage(description) => {
            seen.starts_with("logout page 400 ") && seen.contains(&format!("<p>{description}</p>"))
        }
        Expect::Challenge(status, error) => seen == format!("challenge {status} {}", error.unwrap_or("-")),
        Expect::Inactive => response.status == 200 && seen == "inactive",
        Expect::Ok => seen == "empty 200",
    }
}

/// Whether `after` is `before`, except, when the row `spends_code`, for exactly one code that went
/// from live to redeemed.
fn unchanged(before: &Snapshot, after: &Snapshot, spends_code: bool) -> bool {
    if !spends_code {
        return before == after;
    }
    let codes = |snapshot: &Snapshot| snapshot.grants["codes"].as_object().cloned().unwrap_or_default();
    let (old, new) = (codes(before), codes(after));
    let changed: Vec<&String> = old.keys().filter(|key| old.get(*key) != new.get(*key)).collect();
    let spent = match changed.as_slice() {
        [key] => old[*key].get("Live").is_some() && new.get(*key).is_some_and(|entry| entry.get("Redeemed").is_some()),
        _ => false,
    };
    let without_codes = |snapshot: &Snapshot| {
        let mut grants = snapshot.grants.clone();
        grants["codes"] = Value::Null;
        grants
    };
    spent
        && old.len() == new.len()
        && without_codes(before) == without_codes(after)
        && (&before.servers, &before.clients, &before.users, &before.assignments)
            == (&after.servers, &after.clients, &after.users, &after.assignments)
}

async fn send(server: &Server, row: &Row) -> EndpointResponse {
    let session = row.session.map(session);
    let request = EndpointRequest {
        method: row.method,
        query: &row.query,
        form: row.form.as_deref(),
        authorization: row.authorization.as_deref(),
        session: session.as_ref(),
        fresh_session: false,
    };
    match row.endpoint {
        Endpoint::Authorize => match server.authorize(&row.server, &request).await {
            AuthorizeOutcome::Respond(response) => response,
            other => panic!("{}: not answered: {other:?}", row.what),
        },
        Endpoint::Token => server.token(&row.server, &request).await,
        Endpoint::Introspect => server.introspect(&row.server, &request).await,
        Endpoint::Revoke => server.revoke(&row.server, &request).await,
        Endpoint::Userinfo => server.userinfo(&row.server, &request).await,
        Endpoint::Logout => server.logout(&row.server, &request).await.response,
        Endpoint::Keys => server.keys(&row.server).await,
        Endpoint::OpenIdConfiguration => server.openid_configuration(&row.server, &request).await,
        Endpoint::OAuthMetadata => server.authorization_server_metadata(&row.server, &request).await,
    }
}

#[tokio::test]
async fn every_bad_endpoint_request_gets_its_documented_error_and_changes_nothing() {
    let (server, seeded) = seed().await;
    let table = rows(&seeded);
    assert!(table.len() >= 60, "the table has {} rows", table.len());
    let mut before = snapshot(&server).await;
    let mut failures = Vec::new();
    for row in &table {
        let response = send(&server, row).await;
        let label = format!("{:?} {}", row.endpoint, row.what);
        if !matches(&row.expect, row.endpoint, &response) {
            let seen = observed(row.endpoint, &response);
            failures.push(format!(
                "{label}: expected {:?}, got {}",
                row.expect,
                seen.chars().take(300).collect::<String>()
            ));
        }
        let after = snapshot(&server).await;
        if !unchanged(&before, &after, row.spends_code) {
            let what = if row.spends_code {
                "more than one code spent"
            } else {
                "the stores changed"
            };
            failures.push(format!("{label}: {what}"));
        }
        before = after;
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

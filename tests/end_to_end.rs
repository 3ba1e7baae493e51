//! End-to-end flows through the public API only (`AuthServer`, the management API, the memory
//! stores), with every token checked **independently** by the `jsonwebtoken` crate against the
//! JWKS the server publishes at `{issuer}/v1/keys`, the way a resource server in another stack
//! would verify it. Nothing here uses `authserver::jose` to verify.
//!
//! Keys are RS256 (Okta's default and only algorithm for custom authorization servers) from
//! [`FixedKeys`], so no RSA key is generated. The clock starts at the real current time, since
//! `jsonwebtoken` checks `exp` against the system clock.

use std::collections::HashMap;
use std::sync::Arc;

use authserver::AuthServer;
use authserver::AuthorizeOutcome;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::clock::{Clock, ManualClock};
use authserver::crypto::PasswordHasher;
use authserver::endpoint::{EndpointRequest, EndpointResponse, Session};
use authserver::model::User;
use authserver::store::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use authserver::testkit::FixedKeys;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const BASE: &str = "https://id.example.com";
const ISSUER: &str = "https://id.example.com/oauth2/default";
const AUDIENCE: &str = "api://default";
const REDIRECT: &str = "https://app.example.com/callback";
const USER_ID: &str = "00uada";
const LOGIN: &str = "ada@example.com";
// RFC 7636 Appendix B: the verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An in-process issuer: the `default` server (seed 003 / reference §2.4: audience
/// `api://default`, a Default Policy for all clients), one active user, RS256 fixed keys.
struct Issuer {
    server: Server,
    clock: Arc<ManualClock>,
}

impl Issuer {
    async fn start() -> Self {
        // Whole seconds, so `iat` equals the clock.
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("0 ns is valid");
        let clock = Arc::new(ManualClock::new(now));
        let server = AuthServer::builder(BASE)
            .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
            .key_material(Arc::new(FixedKeys::new()))
            .clock(clock.clone())
            .build();
        server
            .management()
            .ensure_default_server()
            .await
            .expect("default server");
        let user: User = serde_json::from_value(json!({
            "id": USER_ID, "status": "ACTIVE",
            "profile": {"login": LOGIN, "email": LOGIN, "firstName": "Ada", "lastName": "Lovelace"}
        }))
        .expect("user JSON");
        server.directory().add_user(user, None).expect("add user");
        Self { server, clock }
    }

    /// A management API call that must succeed (status < 300); returns the JSON body.
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let caller = Caller { id: "admin".into() };
        let bytes = body.map(|body| serde_json::to_vec(&body).expect("JSON"));
        let request = ApiRequest {
            method,
            path,
            query: "",
            body: bytes.as_deref(),
            caller: Some(&caller),
        };
        let response = self.server.management().handle(&request).await;
        assert!(response.status < 300, "{path}: {} {:?}", response.status, response.body);
        response.body.unwrap_or_default()
    }

    /// Registers a client at `POST /oauth2/v1/clients` (RFC 7591) and assigns the user to it.
    /// Returns `(client_id, client_secret)`; the plaintext secret appears only in this response.
    async fn register(&self, metadata: Value) -> (String, Option<String>) {
        let created = self.admin(Method::Post, "/oauth2/v1/clients", Some(metadata)).await;
        let client_id = created["client_id"].as_str().expect("client_id").to_owned();
        let secret = created["client_secret"].as_str().map(str::to_owned);
        self.server
            .directory()
            .assign_user(&client_id, USER_ID)
            .expect("assign user");
        (client_id, secret)
    }

    /// The JWKS from `GET {issuer}/v1/keys`, parsed by `jsonwebtoken`.
    async fn jwks(&self) -> JwkSet {
        let response = self.server.keys("default").await;
        assert_eq!(response.status, 200);
        serde_json::from_value(body(&response).clone()).expect("the JWKS parses as a jsonwebtoken JwkSet")
    }

    async fn token(&self, form: &str, authorization: Option<&str>) -> EndpointResponse {
        let mut request = EndpointRequest::post(form);
        request.authorization = authorization;
        self.server.token("default", &request).await
    }

    async fn introspect(&self, form: &str, authorization: Option<&str>) -> Value {
        let mut request = EndpointRequest::post(form);
        request.authorization = authorization;
        let response = self.server.introspect("default", &request).await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        body(&response).clone()
    }

    fn session(&self) -> Session {
        Session {
            id: "sess-1".into(),
            user_id: USER_ID.into(),
            auth_time: self.clock.now(),
            amr: vec!["pwd".into()],
        }
    }

    /// Runs `/authorize` for a code with PKCE (RFC 7636 Appendix B's challenge): first without a
    /// session (the host must sign the user in), then with one. Returns the code.
    async fn authorize_code(&self, client_id: &str, scope: &str, state: &str, nonce: &str) -> String {
        let query = form(&[
            ("client_id", client_id),
            ("response_type", "code"),
            ("scope", scope),
            ("redirect_uri", REDIRECT),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]);
        // No session: the host's login page is needed (the library renders none).
        match self.server.authorize("default", &EndpointRequest::get(&query)).await {
            AuthorizeOutcome::NeedsLogin(login) => {
                assert_eq!(login.client_id, client_id);
                assert_eq!(login.reason, authserver::LoginReason::NoSession);
            }
            other => panic!("expected NeedsLogin without a session, got {other:?}"),
        }
        // The host signed the user in and repeats the same request with the session.
        let session = self.session();
        let request = EndpointRequest::get(&query).with_session(&session);
        let response = match self.server.authorize("default", &request).await {
            AuthorizeOutcome::Respond(response) => response,
            other => panic!("expected a redirect, got {other:?}"),
        };
        // RFC 6749 §4.1.2: 302 to the registered redirect URI with `code` and the same `state`.
        assert_eq!(response.status, 302, "{:?}", response.body);
        let location = url::Url::parse(response.header("Location").expect("Location")).expect("a URL");
        assert_eq!(
            format!("{}{}", location.origin().ascii_serialization(), location.path()),
            REDIRECT
        );
        let params: HashMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(params.get("state").map(String::as_str), Some(state));
        assert!(!params.contains_key("error"), "{params:?}");
        params.get("code").expect("code").clone()
    }
}

fn body(response: &EndpointResponse) -> &Value {
    response.json_body().expect("a JSON body")
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn basic(client_id: &str, secret: &str) -> String {
    // RFC 6749 §2.3.1: both parts form-urlencoded, then Base64. Generated ids and secrets are
    // URL-safe, so encoding leaves them unchanged.
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

/// The JOSE header as JSON, decoded by hand (not by either JWT library).
fn raw_header(token: &str) -> Value {
    let encoded = token.split('.').next().expect("a JWS has a header");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).expect("base64url")).expect("JSON header")
}

/// Verifies `token` with `jsonwebtoken`: the key is looked up by the header's `kid` in `jwks`,
/// the algorithm must be RS256, and `iss`, `aud` and `exp` are validated.
fn verify(token: &str, jwks: &JwkSet, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).expect("a JWS header");
    assert_eq!(header.alg, Algorithm::RS256, "Okta signs with RS256");
    let kid = header.kid.expect("the header names its key");
    let jwk = jwks
        .find(&kid)
        .unwrap_or_else(|| panic!("kid {kid} is published in the JWKS"));
    let key = DecodingKey::from_jwk(jwk).expect("a usable RSA JWK");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("jsonwebtoken rejects the token: {e}"))
        .claims
}

/// OpenID Connect Core §3.1.3.6: `at_hash` is the base64url of the left half of SHA-256 of
/// the access token's ASCII.
fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// (a) Client credentials with `client_secret_basic` (RFC 6749 §4.4, §2.3.1; seed 003 "Request a
/// Token"): a service client registered over the API, a custom scope and a custom `RESOURCE`
/// expression claim added over the API; the token verifies with `jsonwebtoken`.
#[tokio::test]
async fn client_credentials_with_basic_auth_verifies_with_jsonwebtoken() {
    let issuer = Issuer::start().await;
    let (client_id, secret) = issuer
        .register(json!({
            "client_name": "Reporting service", "application_type": "service",
            "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"
        }))
        .await;
    let secret = secret.expect("a client_secret_basic client gets its secret once, at registration");

    let servers = "/api/v1/authorizationServers/default";
    let scope = issuer
        .admin(
            Method::Post,
            &format!("{servers}/scopes"),
            Some(json!({"name": "reports:read", "description": "Read reports"})),
        )
        .await;
    assert_eq!(scope["name"], "reports:read");
    let claim = issuer
        .admin(
            Method::Post,
            &format!("{servers}/claims"),
            Some(json!({
                "name": "tenant", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
                "value": "\"svc:\" + app.clientId", "alwaysIncludeInToken": true,
                "conditions": {"scopes": ["reports:read"]}
            })),
        )
        .await;
    assert_eq!(claim["claimType"], "RESOURCE");

    let response = issuer
        .token(
            "grant_type=client_credentials&scope=reports%3Aread",
            Some(&basic(&client_id, &secret)),
        )
        .await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    // RFC 6749 §5.1: token responses are not cacheable.
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    assert_eq!(response.header("Pragma"), Some("no-cache"));
    let tokens = body(&response);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(
        tokens["expires_in"], 3600,
        "the Default Policy Rule: 60-minute access tokens"
    );
    assert_eq!(tokens["scope"], "reports:read");
    // Seed 003's table: client credentials never get a refresh or ID token.
    assert!(tokens.get("refresh_token").is_none() && tokens.get("id_token").is_none());
    let access_token = tokens["access_token"].as_str().expect("access_token");

    // Okta's JOSE header is exactly {"kid", "alg"}.
    let header = raw_header(access_token);
    let mut members: Vec<&str> = header.as_object().expect("object").keys().map(String::as_str).collect();
    members.sort_unstable();
    assert_eq!(members, ["alg", "kid"], "{header}");
    assert_eq!(header["alg"], "RS256");

    let claims = verify(access_token, &issuer.jwks().await, AUDIENCE);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["ver"], 1);
    assert_eq!(claims["cid"], client_id.as_str());
    assert_eq!(
        claims["sub"],
        client_id.as_str(),
        "no user: the default `sub` is the client id"
    );
    assert!(claims.get("uid").is_none(), "no user, no `uid`");
    assert_eq!(claims["scp"], json!(["reports:read"]));
    assert_eq!(
        claims["tenant"],
        format!("svc:{client_id}"),
        "the custom RESOURCE claim"
    );
    assert!(claims["jti"].as_str().expect("jti").starts_with("AT."));
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(iat, issuer.clock.now().unix_timestamp());
    assert_eq!(claims["exp"].as_i64().expect("exp") - iat, 3600);
    assert!(claims["exp"].as_i64().expect("exp") > now_unix());

    // A wrong secret is `invalid_client` with 401 for Basic (RFC 6749 §5.2).
    let refused = issuer
        .token(
            "grant_type=client_credentials&scope=reports%3Aread",
            Some(&basic(&client_id, "not-the-secret")),
        )
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(body(&refused)["error"], "invalid_client");
}

/// (b) Authorization code + PKCE for a browser client (public, `none`): RFC 6749 §4.1,
/// RFC 7636, OpenID Connect Core §3.1; a replayed code revokes what it issued (RFC 6749 §4.1.2,
/// §10.5; seed 003); userinfo returns the user's claims (OpenID Connect Core §5.3).
#[tokio::test]
async fn authorization_code_with_pkce_for_a_browser_client() {
    let issuer = Issuer::start().await;
    let (client_id, secret) = issuer
        .register(json!({
            "client_name": "Single-page app", "application_type": "browser",
            "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none"
        }))
        .await;
    assert!(secret.is_none(), "a public client has no secret");

    let code = issuer
        .authorize_code(&client_id, "openid profile email", "st-123", "n-0S6_WzA2Mj")
        .await;
    let exchange = form(&[
        ("grant_type", "authorization_code"),
        ("client_id", &client_id),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]);
    let response = issuer.token(&exchange, None).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let tokens = body(&response).clone();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid profile email");
    assert!(
        tokens.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let access_token = tokens["access_token"].as_str().expect("access_token");
    let id_token = tokens["id_token"].as_str().expect("openid granted: an ID token");

    let jwks = issuer.jwks().await;
    let access = verify(access_token, &jwks, AUDIENCE);
    assert_eq!(access["cid"], client_id.as_str());
    assert_eq!(access["uid"], USER_ID);
    assert_eq!(access["sub"], LOGIN, "the default `sub` expression: the user's login");
    assert_eq!(access["scp"], json!(["openid", "profile", "email"]));
    assert_eq!(access["auth_time"], issuer.clock.now().unix_timestamp());

    // The ID token: audience is the client (OIDC Core §2), `sub` the user id, the request's
    // nonce, and `at_hash` binding it to the access token (checked independently here).
    let id = verify(id_token, &jwks, &client_id);
    assert_eq!(id["aud"], client_id.as_str());
    assert_eq!(id["sub"], USER_ID);
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["at_hash"], at_hash(access_token));
    assert!(id["jti"].as_str().expect("jti").starts_with("ID."));
    assert_eq!(id["amr"], json!(["pwd"]));
    assert_eq!(raw_header(id_token).as_object().map(|h| h.len()), Some(2));

    let introspect = |token: &str| form(&[("token", token), ("client_id", &client_id)]);
    let active = issuer.introspect(&introspect(access_token), None).await;
    assert_eq!(active["active"], true);
    assert_eq!(active["username"], LOGIN);
    assert_eq!(active["client_id"], client_id.as_str());

    // Userinfo with the access token: the user's claims for `openid profile email`.
    let bearer = format!("Bearer {access_token}");
    let info = issuer
        .server
        .userinfo("default", &EndpointRequest::get("").with_authorization(&bearer))
        .await;
    assert_eq!(info.status, 200, "{:?} {:?}", info.headers, info.body);
    let info = body(&info);
    assert_eq!(info["sub"], USER_ID);
    assert_eq!(info["email"], LOGIN);
    assert_eq!(info["given_name"], "Ada");
    assert_eq!(info["family_name"], "Lovelace");
    assert_eq!(info["preferred_username"], LOGIN);

    // Replaying the code fails, and revokes the grant it was first redeemed for: the first access
    // token now introspects inactive (RFC 6749 §4.1.2 "SHOULD revoke … all tokens previously
    // issued based on that authorization code"; seed 003).
    let replay = issuer.token(&exchange, None).await;
    assert_eq!(replay.status, 400);
    assert_eq!(body(&replay)["error"], "invalid_grant");
    assert_eq!(
        issuer.introspect(&introspect(access_token), None).await,
        json!({"active": false})
    );
    // …and userinfo refuses it (RFC 6750 §3.1).
    let refused = issuer
        .server
        .userinfo("default", &EndpointRequest::get("").with_authorization(&bearer))
        .await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("WWW-Authenticate")
            .is_some_and(|v| v.contains("invalid_token"))
    );
}

/// A wrong `code_verifier` is refused (RFC 7636 §4.6), and the code is spent anyway.
#[tokio::test]
async fn a_wrong_code_verifier_is_refused() {
    let issuer = Issuer::start().await;
    let (client_id, _) = issuer
        .register(json!({
            "client_name": "Single-page app", "application_type": "browser",
            "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none"
        }))
        .await;
    let code = issuer.authorize_code(&client_id, "openid", "s", "n").await;
    let exchange = |verifier: &str| {
        form(&[
            ("grant_type", "authorization_code"),
            ("client_id", &client_id),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
    };
    let wrong = issuer
        .token(&exchange("wrong-verifier-wrong-verifier-wrong-verifier-0"), None)
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(body(&wrong)["error"], "invalid_grant");
    let late = issuer.token(&exchange(VERIFIER), None).await;
    assert_eq!(body(&late)["error"], "invalid_grant", "codes are single use");
}

/// (c) Refresh for a web client with `offline_access` (RFC 6749 §6), then revocation of the
/// refresh token (RFC 7009 §2.1): it introspects inactive and can no longer be used.
#[tokio::test]
async fn refresh_then_revoke_for_a_web_client() {
    let issuer = Issuer::start().await;
    let (client_id, secret) = issuer
        .register(json!({
            "client_name": "Web app", "application_type": "web",
            "grant_types": ["authorization_code", "refresh_token"], "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "client_secret_basic"
        }))
        .await;
    let auth = basic(&client_id, &secret.expect("a web client gets a secret"));

    let code = issuer
        .authorize_code(&client_id, "openid offline_access", "web-state", "web-nonce")
        .await;
    let exchange = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]);
    let response = issuer.token(&exchange, Some(&auth)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let first = body(&response).clone();
    let refresh_token = first["refresh_token"]
        .as_str()
        .expect("offline_access: a refresh token")
        .to_owned();
    assert!(first["id_token"].is_string());

    // A minute later, the refresh token gets a new access token (and an ID token: `openid`).
    issuer.clock.advance(time::Duration::minutes(1));
    let refresh = form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)]);
    let response = issuer.token(&refresh, Some(&auth)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let refreshed = body(&response).clone();
    assert_eq!(refreshed["scope"], "openid offline_access");
    let new_access = refreshed["access_token"].as_str().expect("access_token");
    assert_ne!(new_access, first["access_token"].as_str().expect("access_token"));
    let jwks = issuer.jwks().await;
    let claims = verify(new_access, &jwks, AUDIENCE);
    assert_eq!(claims["uid"], USER_ID);
    assert_eq!(claims["iat"], issuer.clock.now().unix_timestamp());
    verify(refreshed["id_token"].as_str().expect("id_token"), &jwks, &client_id);
    // A web client's refresh tokens default to `rotation_type: STATIC` (Okta's default for
    // non-SPA apps): the response echoes the presented token.
    let current = refreshed["refresh_token"].as_str().expect("a refresh token").to_owned();
    assert_eq!(current, refresh_token);

    let inspect = form(&[("token", &current), ("token_type_hint", "refresh_token")]);
    let active = issuer.introspect(&inspect, Some(&auth)).await;
    assert_eq!(active["active"], true, "{active}");
    // RFC 7662 §2.2: `token_type` is the RFC 6749 §7.1 type, `Bearer`, for refresh tokens too;
    // only access tokens (JWTs) carry a `jti`.
    assert_eq!(active["token_type"], "Bearer");
    assert_eq!(active["scope"], "openid offline_access");
    assert!(active.get("jti").is_none(), "{active}");

    // RFC 7009: 200 with an empty body.
    let revoke_form = form(&[("token", &current), ("token_type_hint", "refresh_token")]);
    let revoked = issuer
        .server
        .revoke(
            "default",
            &EndpointRequest::post(&revoke_form).with_authorization(&auth),
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(revoked.body, authserver::endpoint::Body::Empty);

    assert_eq!(issuer.introspect(&inspect, Some(&auth)).await, json!({"active": false}));
    // RFC 7009 §2.1: access tokens of the same grant are revoked with it.
    let access_form = form(&[("token", new_access)]);
    assert_eq!(
        issuer.introspect(&access_form, Some(&auth)).await,
        json!({"active": false})
    );
    let again = issuer
        .token(
            &form(&[("grant_type", "refresh_token"), ("refresh_token", &current)]),
            Some(&auth),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(body(&again)["error"], "invalid_grant");
}

/// (d) Key rotation over the management API (seed 003 "Authorization Server Key Store
/// Operations": `POST …/credentials/lifecycle/keyRotate` with `{"use": "sig"}`): a token minted
/// before still verifies against the new JWKS (the retired key stays published), and new tokens
/// carry the new `kid`.
#[tokio::test]
async fn key_rotation_keeps_old_tokens_verifiable() {
    let issuer = Issuer::start().await;
    let (client_id, secret) = issuer
        .register(json!({
            "client_name": "Service", "application_type": "service",
            "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"
        }))
        .await;
    let auth = basic(&client_id, &secret.expect("secret"));
    issuer
        .admin(
            Method::Post,
            "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": "jobs:run"})),
        )
        .await;
    let mint = || async {
        let response = issuer
            .token("grant_type=client_credentials&scope=jobs%3Arun", Some(&auth))
            .await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        body(&response)["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    };

    let before = mint().await;
    let old_kid = jsonwebtoken::decode_header(&before).expect("header").kid.expect("kid");
    let old_jwks = issuer.jwks().await;
    assert_eq!(old_jwks.keys.len(), 2, "ACTIVE and NEXT are published");
    let next_kid = old_jwks
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .find(|kid| *kid != old_kid)
        .expect("a NEXT key");

    let keys_path = "/api/v1/authorizationServers/default/credentials/keys";
    let listed = issuer.admin(Method::Get, keys_path, None).await;
    let status_of = |list: &Value, kid: &str| {
        list.as_array()
            .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
            .map(|k| k["status"].clone())
    };
    assert_eq!(status_of(&listed, &old_kid), Some(json!("ACTIVE")));
    assert_eq!(status_of(&listed, &next_kid), Some(json!("NEXT")));

    issuer
        .admin(
            Method::Post,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate",
            Some(json!({"use": "sig"})),
        )
        .await;
    let listed = issuer.admin(Method::Get, keys_path, None).await;
    assert_eq!(status_of(&listed, &old_kid), Some(json!("EXPIRED")));
    assert_eq!(status_of(&listed, &next_kid), Some(json!("ACTIVE")));

    let new_jwks = issuer.jwks().await;
    assert_eq!(
        new_jwks.keys.len(),
        3,
        "EXPIRED (within retention), ACTIVE and a new NEXT"
    );
    // The pre-rotation token verifies against the new JWKS (a resource server that refetches
    // the JWKS keeps accepting it), and a rotation revokes nothing: it is still active.
    let claims = verify(&before, &new_jwks, AUDIENCE);
    assert_eq!(claims["cid"], client_id.as_str());
    assert_eq!(
        issuer.introspect(&form(&[("token", &before)]), Some(&auth)).await["active"],
        true
    );

    let after = mint().await;
    let new_kid = jsonwebtoken::decode_header(&after).expect("header").kid.expect("kid");
    assert_eq!(new_kid, next_kid, "the former NEXT key signs now");
    verify(&after, &new_jwks, AUDIENCE);
    // A verifier still holding the old JWKS knows the new kid already: it was published as NEXT.
    verify(&after, &old_jwks, AUDIENCE);
}

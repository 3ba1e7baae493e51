//! A test harness: how a test suite starts an in-process issuer in a few lines, with a settable
//! clock and fixed keys, mints whatever tokens it needs, and points the code under test at it.
//!
//! - [`TestIssuer::start`]: an [`AuthServer`] on memory stores with [`FixedKeys`] (the same RS256
//!   keys and `kid`s every run, no key generation), a [`ManualClock`] at a fixed instant, cheap
//!   password hashes, Okta's `default` server, a service client, a web app and a user.
//! - Tokens are minted through the calls an HTTP host makes (client credentials with any scopes, a
//!   user's access and ID tokens with the password grant); a custom claim added through the
//!   management API appears in them.
//! - The code under test, an API's bearer-token check, verifies with the `jsonwebtoken` crate
//!   against the issuer's JWKS and takes the time as an argument: once the issuer's clock passes
//!   the tokens' hour, it refuses them, and the issuer's introspection answers `active: false`.
//!
//! Every step asserts what it expects, so this doubles as a smoke test. Run with
//! `cargo run --example test_harness --features testkit`.

use std::sync::Arc;

use authserver::AuthServer;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::clock::{Clock, ManualClock};
use authserver::crypto::PasswordHasher;
use authserver::endpoint::{EndpointRequest, EndpointResponse};
use authserver::event::MemoryEventLog;
use authserver::jose::{Algorithm::RS256, Signer as _};
use authserver::model::User;
use authserver::store::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use authserver::testkit::{FixedKeys, fixed_signing_key};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, dangerous::insecure_decode, jwk::JwkSet};
use serde_json::{Value, json};
use time::{Duration, macros::datetime};
use url::form_urlencoded::Serializer;

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const SERVERS: &str = "/api/v1/authorizationServers/default";
const ADA: &str = "ada@acme.test";
const PASSWORD: &str = "correct horse";

/// The in-process issuer a test suite starts once per test.
struct TestIssuer {
    server: Server,
    clock: Arc<ManualClock>,
    /// `Authorization: Basic …` for the service client (client credentials).
    service: String,
    /// The web app users sign in to: its `client_id` and `Authorization: Basic …`.
    app: (String, String),
}

impl TestIssuer {
    async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(datetime!(2030-01-01 09:00 UTC)));
        let server: Server = AuthServer::new(
            Arc::new(MemoryConfigStore::new()),
            Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))), // cheap hashes
            Arc::new(MemoryGrantStore::new()),
            Arc::new(FixedKeys::new()),
            clock.clone(),
            Arc::new(MemoryEventLog::default()),
            "https://issuer.test",
        );
        server.management().ensure_default_server().await.unwrap();
        let user: User = serde_json::from_value(json!({"id": "00uada", "status": "ACTIVE",
            "profile": {"login": ADA, "email": ADA, "firstName": "Ada", "lastName": "Lovelace"}}))
        .unwrap();
        server.directory().add_user(user, Some(PASSWORD)).unwrap();
        let service = json!({"client_name": "orders-worker", "application_type": "service",
            "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"});
        let (_, service) = register(&server, service).await;
        let app = json!({"client_name": "orders-web", "application_type": "web",
            "grant_types": ["authorization_code", "password"], "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": ["https://app.test/callback"]});
        let app = register(&server, app).await;
        server.directory().assign_user(&app.0, "00uada").unwrap();
        for scope in ["orders:read", "orders:write"] {
            admin(&server, &format!("{SERVERS}/scopes"), json!({"name": scope})).await;
        }
        Self {
            server,
            clock,
            service,
            app,
        }
    }

    /// A client-credentials access token for the service client, with `scopes`.
    async fn service_token(&self, scopes: &str) -> String {
        let form = url_form(&[("grant_type", "client_credentials"), ("scope", scopes)]);
        let request = EndpointRequest::post(&form).with_authorization(&self.service);
        let tokens = json_200(self.server.token("default", &request).await);
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// A user's tokens (access token; ID token with `openid`) from the password grant.
    async fn user_tokens(&self, login: &str, scopes: &str) -> Value {
        let grant = [("grant_type", "password"), ("scope", scopes)];
        let form = url_form(&[("username", login), ("password", PASSWORD), grant[0], grant[1]]);
        let request = EndpointRequest::post(&form).with_authorization(&self.app.1);
        json_200(self.server.token("default", &request).await)
    }

    async fn introspect(&self, token: &str) -> Value {
        let form = url_form(&[("token", token)]);
        let request = EndpointRequest::post(&form).with_authorization(&self.service);
        json_200(self.server.introspect("default", &request).await)
    }

    /// The code under test's settings, as it would read them in production.
    async fn api_config(&self) -> ApiConfig {
        let jwks = json_200(self.server.keys("default").await);
        let jwks = serde_json::from_value(jwks).unwrap();
        ApiConfig {
            issuer: self.server.issuer("default"),
            audience: "api://default".into(),
            jwks,
        }
    }
}

/// A management API call that must succeed; its JSON body.
async fn admin(server: &Server, path: &str, body: Value) -> Value {
    let (caller, body) = (Caller { id: "test".into() }, serde_json::to_vec(&body).unwrap());
    let request = ApiRequest {
        method: Method::Post,
        path,
        query: "",
        body: Some(&body),
        caller: Some(&caller),
    };
    let response = server.management().handle(&request).await;
    assert!(response.status < 300, "{path}: {} {:?}", response.status, response.body);
    response.body.unwrap_or_default()
}

/// Registers a confidential client: its `client_id` and `Authorization: Basic …` header.
async fn register(server: &Server, metadata: Value) -> (String, String) {
    let client = admin(server, "/oauth2/v1/clients", metadata).await;
    let (id, secret) = (client["client_id"].as_str().unwrap(), &client["client_secret"]);
    let basic = BASE64_STANDARD.encode(format!("{id}:{}", secret.as_str().unwrap()));
    (id.to_owned(), format!("Basic {basic}"))
}

fn json_200(response: EndpointResponse) -> Value {
    assert_eq!(response.status, 200, "{:?}", response.body);
    response.json_body().cloned().unwrap()
}

fn url_form(pairs: &[(&str, &str)]) -> String {
    Serializer::new(String::new()).extend_pairs(pairs).finish()
}

// ---- The code under test: an API's bearer-token check. It knows nothing of `authserver`. ----

struct ApiConfig {
    issuer: String,
    audience: String,
    jwks: JwkSet,
}

/// Accepts `authorization` if it is a bearer JWT from the configured issuer for the configured
/// audience, unexpired at `now` (Unix seconds) and granted `scope`; answers the token's claims.
fn authorize_request(config: &ApiConfig, authorization: &str, scope: &str, now: i64) -> Result<Value, String> {
    let token = authorization.strip_prefix("Bearer ").ok_or("not a bearer token")?;
    let kid = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?.kid;
    let jwk = kid.and_then(|kid| config.jwks.find(&kid)).ok_or("unknown key")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&config.issuer]);
    validation.set_audience(&[&config.audience]);
    validation.validate_exp = false; // checked against `now` below, not the system clock
    let verified = jsonwebtoken::decode::<Value>(token, &key, &validation);
    let claims = verified.map_err(|e| e.to_string())?.claims;
    if claims["exp"].as_i64().is_none_or(|exp| exp <= now) {
        return Err("token expired".into());
    }
    let scopes = claims["scp"].as_array().cloned().unwrap_or_default();
    if !scopes.iter().any(|granted| granted == scope) {
        return Err(format!("insufficient scope: needs {scope}"));
    }
    Ok(claims)
}

// ---- The test suite. ----

#[tokio::main]
async fn main() {
    let issuer = TestIssuer::start().await;
    let api = issuer.api_config().await;
    let now = || issuer.clock.now().unix_timestamp(); // the code under test runs on the issuer's time
    let kid = fixed_signing_key(RS256, 0).kid().to_owned();
    assert_eq!(api.jwks.keys[0].common.key_id, Some(kid.clone()));
    let (iss, at) = (&api.issuer, issuer.clock.now());
    println!("issuer {iss} at {at}, signing with fixed kid {kid}");

    // A custom claim, configured through the management API as a test would.
    let value = r#"user == null ? "service" : String.substringAfter(user.login, "@")"#;
    let claim = json!({"name": "tenant", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": value});
    admin(&issuer.server, &format!("{SERVERS}/claims"), claim).await;
    println!("added claim tenant = {value}");

    // Client credentials with chosen scopes: the accepted and the refused path.
    let read_only = format!("Bearer {}", issuer.service_token("orders:read").await);
    let claims = authorize_request(&api, &read_only, "orders:read", now()).unwrap();
    assert_eq!(claims["scp"], json!(["orders:read"]));
    assert_eq!(claims["tenant"], "service");
    let (sub, tenant) = (&claims["sub"], &claims["tenant"]);
    println!("service token (orders:read) accepted: sub {sub}, tenant {tenant}");
    let refused = authorize_request(&api, &read_only, "orders:write", now());
    assert_eq!(refused, Err("insufficient scope: needs orders:write".into()));
    println!("the same token for orders:write refused: {}", refused.unwrap_err());

    // A user's access token and ID token.
    let tokens = issuer.user_tokens(ADA, "openid profile orders:write").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let ada = format!("Bearer {access_token}");
    let claims = authorize_request(&api, &ada, "orders:write", now()).unwrap();
    let (sub, tenant) = (&claims["sub"], &claims["tenant"]);
    assert_eq!((sub, tenant), (&json!(ADA), &json!("acme.test")));
    println!("Ada's token (orders:write) accepted: sub {sub}, tenant {tenant}");
    // The test peeks into the ID token (the API under test never sees it).
    let id_token = insecure_decode::<Value>(tokens["id_token"].as_str().unwrap()).unwrap();
    let (aud, name) = (&id_token.claims["aud"], &id_token.claims["name"]);
    assert_eq!((aud, name), (&json!(issuer.app.0), &json!("Ada Lovelace")));
    println!("Ada's ID token for {aud}: name {name}");

    // Time: move the issuer's clock past the tokens' one-hour lifetime.
    assert_eq!(issuer.introspect(access_token).await["active"], true);
    issuer.clock.advance(Duration::minutes(61));
    assert_eq!(issuer.introspect(access_token).await, json!({"active": false}));
    let expired = authorize_request(&api, &ada, "orders:write", now());
    assert_eq!(expired, Err("token expired".into()));
    println!("61 minutes later: introspection says inactive, the API refuses (token expired)");
    println!("all checks passed");
}

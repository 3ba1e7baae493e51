//! # authserver
//!
//! An embeddable OAuth 2.0 / OpenID Connect authorization server with the behaviour of Okta's
//! Custom Authorization Servers: servers with audiences, access policies and rules, custom scopes,
//! custom claims in Okta's expression language, and signing-key rotation.
//!
//! ## An issuer in a few lines
//!
//! An [`AuthServer`] is the whole issuer: every authorization server's endpoints (`authorize`,
//! `token`, `introspect`, `revoke`, `keys`, `userinfo`, `logout`, discovery) and the
//! [management API](admin::ManagementApi). Build one with [`AuthServer::builder`] (or
//! [`AuthServer::in_memory`]), configure it, and call its endpoints with what your HTTP layer
//! received:
//!
//! ```
//! use authserver::AuthServer;
//! use authserver::endpoint::EndpointRequest;
//! use authserver::model::{Client, Scope};
//! use base64::{Engine as _, engine::general_purpose::STANDARD};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = AuthServer::in_memory("https://id.example.com");
//! let admin = server.management();
//! admin.ensure_default_server().await?; // Okta's `default`: audience api://default, a default policy
//! admin.create_scope("default", serde_json::from_value::<Scope>(json!({"name": "reports:read"}))?).await?;
//! let client: Client = serde_json::from_value(json!({
//!     "client_name": "Reporting", "application_type": "service", "response_types": ["token"],
//!     "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"
//! }))?;
//! let client = admin.create_client(client).await?;
//!
//! let secret = client.client_secret.as_ref().unwrap().expose();
//! let basic = format!("Basic {}", STANDARD.encode(format!("{}:{secret}", client.client.client_id)));
//! let request = EndpointRequest::post("grant_type=client_credentials&scope=reports%3Aread");
//! let response = server.token("default", &request.with_authorization(&basic)).await;
//! assert_eq!(response.status, 200);
//! let token = response.json_body().unwrap()["access_token"].as_str().unwrap().to_owned();
//!
//! // A resource server verifies it against the JWKS at {issuer}/v1/keys.
//! let jwks = serde_json::from_value(server.keys("default").await.json_body().unwrap().clone())?;
//! let claims: serde_json::Value = authserver::jose::verify(&token, &jwks)?.claims()?;
//! assert_eq!(claims["iss"], "https://id.example.com/oauth2/default");
//! assert_eq!(claims["scp"], json!(["reports:read"]));
//! # Ok(())
//! # }
//! ```
//!
//! - **Over HTTP:** the `axum` feature's `authserver::axum::Okta` router carries Okta's paths, sessions and
//!   sign-in, the management API's guard, rate limits and the System Log; mount it in one call.
//!   Other frameworks map their request onto [`endpoint::EndpointRequest`] and back.
//! - **Durable:** the SQL stores ([`store::sql`], SQLite by default, PostgreSQL for several
//!   instances) plug into the builder.
//! - **In tests:** the `testkit` feature's `authserver::testkit::TestIssuer` starts a real issuer in one
//!   line, with fixed keys, a manual clock and seeded ids, and mints any token.
//! - **Signing algorithms:** RS256 (Okta's) by default; PS256, ES256 and EdDSA per
//!   authorization server (`credentials.signing.alg`, see [`admin`]), with the host's default in
//!   [`keys::RotationSettings::algorithm`].
//! - **Debug builds of your crate with the `ring` backend:** RSA keys come from the RustCrypto
//!   `rsa` crate, which takes seconds per key unoptimised; set
//!   `[profile.dev.package.rsa] opt-level = 3` (and the same for `num-bigint-dig`) in your
//!   `Cargo.toml`, or keep the default `aws-lc-rs` backend.
//!
#![cfg_attr(feature = "axum", doc = include_str!("docs/axum.md"))]
#![doc = ""]
#![doc = "## The functional core"]
//!
//! The crate is a functional core with a thin shell. Everything that decides is a pure,
//! synchronous function of plain data and `now`:
//!
//! | Module | Decides |
//! |---|---|
//! | [`policy`] | which policy and rule grant a request, with which scopes and lifetimes, or exactly why not |
//! | [`expr`] | the value of a claim expression (Okta Expression Language) |
//! | [`claims`] | the claims of access tokens, ID tokens and `/userinfo` |
//! | [`keys`] | which key signs, which keys are published, when keys rotate |
//! | [`jose`] | JWS signatures, JWKs, thumbprints, `at_hash`/`c_hash` |
//! | [`pkce`] | whether a `code_verifier` matches its `code_challenge` (S256) |
//!
//! Traits are the only doors to the outside: storage ([`store::ConfigStore`],
//! [`store::Directory`], [`store::GrantStore`]), time ([`clock::Clock`]), key material
//! ([`keys::KeyMaterial`]) and decision events ([`event::EventSink`]). In-memory implementations
//! of each are included; the host owns HTTP.
//!
//! Okta's wire formats are kept: management objects in camelCase with `_links`, token claims
//! (`ver`, `jti` `AT.`/`ID.`, `cid`, `uid`, `scp`), the JOSE header `{"kid","alg"}`, and Okta's
//! error codes and descriptions.
//!
//! ## The core on its own: from a request to a verified token
//!
//! The pure functions can be used without an [`AuthServer`]:
//!
//! ```
//! use authserver::claims::{
//!     AccessTokenParams, ClaimSet, Subject, TOKEN_EVALUATION_BUDGET, access_token_claims, token_id,
//! };
//! use authserver::expr::Budget;
//! use authserver::jose::{self, Algorithm};
//! use authserver::keys::{KeyMaterial, KeyRing, RotationMode, RotationSettings, SoftwareKeys};
//! use authserver::model::{Client, GrantType, Policy, Rule, Scope};
//! use authserver::policy::{PolicyRequest, PolicyWithRules, evaluate};
//! use serde_json::json;
//! use time::{Duration, OffsetDateTime};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Configuration, in Okta's JSON shapes: one policy for all clients, one rule for client
//! // credentials, one custom scope.
//! let policy: Policy = serde_json::from_value(json!({
//!     "type": "OAUTH_AUTHORIZATION_POLICY", "id": "00pdefault", "status": "ACTIVE",
//!     "name": "Default Policy", "priority": 1, "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
//! }))?;
//! let rule: Rule = serde_json::from_value(json!({
//!     "type": "RESOURCE_ACCESS", "id": "0prdefault", "status": "ACTIVE", "name": "Machines",
//!     "priority": 1, "conditions": {"grantTypes": {"include": ["client_credentials"]},
//!                                   "scopes": {"include": ["*"]}},
//!     "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenWindowMinutes": 10080}}
//! }))?;
//! let policies = [PolicyWithRules { policy, rules: vec![rule] }];
//! let scopes: Vec<Scope> = serde_json::from_value(json!([{"id": "scpreports", "name": "reports:read"}]))?;
//! let client: Client = serde_json::from_value(json!({
//!     "client_id": "0oareporter", "client_name": "Reporter", "application_type": "service",
//!     "token_endpoint_auth_method": "client_secret_basic",
//!     "grant_types": ["client_credentials"], "response_types": ["token"]
//! }))?;
//!
//! // 1. The access policy decides (a pure function).
//! let requested = vec!["reports:read".to_owned()];
//! let decision = evaluate(&PolicyRequest {
//!     policies: &policies, scopes: &scopes, client_id: &client.client_id, user: None,
//!     grant_type: GrantType::ClientCredentials, requested_scopes: Some(&requested),
//! })?;
//! assert_eq!(decision.rule_id, "0prdefault");
//!
//! // 2. The claims are assembled (the default `sub` is the client id without a user).
//! let now = OffsetDateTime::now_utc();
//! let granted: Vec<String> = decision.scopes.iter().map(|s| s.to_string()).collect();
//! let org = serde_json::Map::new();
//! let claims = access_token_claims(
//!     &ClaimSet::compile(&[]).expect("no claims to compile"),
//!     Subject { client: &client, user: None, groups: &[], org: &org },
//!     &AccessTokenParams {
//!         issuer: "https://id.example.com/oauth2/default",
//!         audiences: &["api://default".to_owned()],
//!         jti: &token_id("AT.", &authserver::random::SystemRandom)?,
//!         scopes: &granted,
//!         issued_at: now,
//!         lifetime: decision.access_token_lifetime(),
//!         auth_time: None,
//!         budget: &Budget::new(TOKEN_EVALUATION_BUDGET),
//!     },
//! )?;
//!
//! // 3. The ACTIVE key signs; the published JWKS verifies.
//! let settings = RotationSettings { algorithm: Algorithm::EdDSA, ..Default::default() };
//! let ring = KeyRing::new(
//!     SoftwareKeys.generate(settings.algorithm)?,
//!     SoftwareKeys.generate(settings.algorithm)?,
//!     RotationMode::Auto,
//!     &settings,
//!     now,
//! );
//! let token = jose::sign(SoftwareKeys.open(ring.active())?.as_ref(), None, &claims)?;
//! let verified = jose::verify(&token, &ring.jwks(&settings, now))?;
//! let read: serde_json::Value = verified.claims()?;
//! assert_eq!(read["sub"], "0oareporter");
//! assert_eq!(read["scp"], json!(["reports:read"]));
//! assert_eq!(read["exp"].as_i64().unwrap() - read["iat"].as_i64().unwrap(), Duration::hours(1).whole_seconds());
//! # Ok(())
//! # }
//! ```
//!
//! ## Features
//!
//! - `aws-lc-rs` (default): crypto through aws-lc-rs (RS256 signing and RSA key generation at
//!   about twice ring's rate); used when both are on.
//! - `ring`: crypto through *ring*, RSA keys generated with the RustCrypto `rsa` crate; builds
//!   faster and for more targets (`default-features = false, features = ["ring", …]`).
//! - `http` (default): conversions to and from the `http` crate's request and response types.
//! - `sqlite` (default), `postgres`, `postgres-tls`: the SQL stores ([`store::sql`]).
//! - `testkit`: `testkit::TestIssuer`, fixed test keys and the storage conformance suites.
//! - `axum`: `authserver::axum`, Okta's HTTP API over an [`AuthServer`] as one axum router.
//! - `server`: the `authserver` binary (`cargo run -F server`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
mod authorize;
#[cfg(feature = "axum")]
pub mod axum;
pub mod claims;
mod client_auth;
pub mod clock;
pub mod cpu_pool;
pub mod crypto;
pub mod endpoint;
pub mod event;
pub mod expr;
mod grant;
mod id_map;
pub mod jose;
pub mod keys;
mod logout;
pub mod model;
pub mod org;
pub mod pkce;
pub mod policy;
pub mod random;
pub mod ratelimit;
pub mod secret;
mod server;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
mod validity;

/// The README's Rust examples, compiled (and run, unless marked `no_run`) as doctests so they
/// cannot drift from the code.
#[cfg(all(doctest, feature = "testkit", feature = "axum", feature = "postgres"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use server::{AuthServer, AuthServerBuilder, AuthorizeOutcome, LoginReason, LoginRequired, LogoutOutcome};

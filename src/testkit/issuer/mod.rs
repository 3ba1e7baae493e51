//! [`TestIssuer`]: the real engine as an in-process issuer for your tests.
//!
//! A mock answers whatever it is told to; this is the library's own authorization server on
//! memory stores, so policies, rules, scopes, custom claims (expressions included), refresh-token
//! rotation and key rotation behave as they do in production. What makes it a test tool:
//!
//! - **Instant and deterministic.** Fixed RS256 keys ([`FixedKeys`]: no key
//!   generation), a [`ManualClock`] at a fixed instant, a [`SeededRandom`] for every id and a cheap
//!   password hash. Two runs of the same test mint byte-identical tokens.
//! - **Mint directly**: [`access_token`](TestIssuer::access_token),
//!   [`id_token`](TestIssuer::id_token) and [`refresh_token`](TestIssuer::refresh_token) build
//!   tokens for any subject, client, scopes, audience, lifetime and extra claims, signed with the
//!   server's real key and `kid`; and on purpose broken ones ([`AccessTokenMint::expired`],
//!   [`AccessTokenMint::tamper`]…) for a resource server's rejection paths.
//! - **Mint through the real flows**: [`client_credentials`](TestIssuer::client_credentials),
//!   [`password`](TestIssuer::password), [`authorization_code`](TestIssuer::authorization_code)
//!   (PKCE, the user signed in without a browser) and [`refresh`](TestIssuer::refresh).
//! - **Configure in code**: users, groups, clients, scopes, claims, policies and rules.
//! - **Time**: [`advance`](TestIssuer::advance) and [`set_time`](TestIssuer::set_time); expiry,
//!   refresh windows and key rotation follow.
//! - **Inspection**: the [`events`](TestIssuer::events) recorded (why a token was refused), the
//!   [`jwks`](TestIssuer::jwks) and the [`discovery`](TestIssuer::discovery) document.
//!
//! Everything is synchronous: the memory stores never wait, so each call runs to completion on
//! the calling thread, inside or outside an async runtime.
//!
//! An issuer started, a token minted, and the token verified by `jsonwebtoken`:
//!
//! ```
//! use authserver::testkit::TestIssuer;
//! use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
//! use serde_json::Value;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//!
//! let issuer = TestIssuer::new();
//! let token = issuer.access_token().subject("ada").scopes(["orders:read"]).mint();
//! let mut validation = Validation::new(Algorithm::RS256);
//! validation.set_audience(&[issuer.audience()]);
//! let claims = decode::<Value>(&token, &DecodingKey::from_jwk(&serde_json::from_value(issuer.signing_jwk())?)?, &validation)?.claims;
//!
//! assert_eq!((claims["sub"].as_str(), claims["iss"].as_str()), (Some("ada"), Some(issuer.issuer().as_str())));
//! # Ok(())
//! # }
//! ```
//!
//! A resource server that fetches the JWKS instead finds the key by the token's `kid` in
//! [`jwks`](TestIssuer::jwks), or over HTTP from `TestIssuer::serve` (feature `axum`).

mod configure;
mod flows;
mod mint;
#[cfg(feature = "axum")]
mod serve;

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::AuthServer;
use crate::clock::{Clock, ManualClock};
use crate::crypto::PasswordHasher;
use crate::endpoint::EndpointResponse;
use crate::event::{Event, MemoryEventLog};
use crate::jose::Signer;
use crate::keys::KeyMaterial as _;
use crate::random::SeededRandom;
use crate::store::{ConfigStore as _, MemoryDirectory};

pub use configure::{ClaimTarget, ClientKind, DEFAULT_PASSWORD, REDIRECT_URI, RegisteredClient, UserSpec};
pub use flows::{TokenFailure, Tokens};
pub use mint::{AccessTokenMint, DEFAULT_CLIENT_ID, IdTokenMint, LONG_AGO, RefreshTokenMint, Tamper};
#[cfg(feature = "axum")]
pub use serve::{API_TOKEN, ServedIssuer};

use super::FixedKeys;

/// Where a [`TestIssuer`]'s clock starts unless told otherwise: a fixed instant, so runs repeat,
/// far enough ahead that verifiers reading the real time (`jsonwebtoken`, `openidconnect`) accept
/// the tokens as unexpired.
pub const DEFAULT_START: OffsetDateTime = datetime!(2100-01-01 00:00 UTC);

/// The base URL of a [`TestIssuer`] that is not served: issuers are `{base}/oauth2/{id}`.
pub const DEFAULT_BASE_URL: &str = "https://issuer.example.com";

/// The id of the server a [`TestIssuer`] mints with: Okta's `default`.
pub const SERVER_ID: &str = "default";

/// A real authorization server for tests; see the [module documentation](self).
pub struct TestIssuer {
    server: Arc<AuthServer>,
    clock: Arc<ManualClock>,
    events: Arc<MemoryEventLog>,
    /// The signer of the active key, by `kid`, opened once.
    signer: Mutex<Option<Arc<dyn Signer>>>,
    /// What this issuer added.
    registry: Mutex<Registry>,
}

/// The users and clients a [`TestIssuer`] added, and the clients' secrets.
#[derive(Default)]
struct Registry {
    users: Vec<String>,
    clients: Vec<String>,
    secrets: Vec<(String, String)>,
}

/// How a [`TestIssuer`] starts: [`TestIssuer::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct TestIssuerBuilder {
    base_url: String,
    start: OffsetDateTime,
    seed: u64,
}

impl Default for TestIssuerBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            start: DEFAULT_START,
            seed: 0,
        }
    }
}

impl TestIssuerBuilder {
    /// Issuers are `{base_url}/oauth2/{id}` (default [`DEFAULT_BASE_URL`]).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The clock starts at `start` (default [`DEFAULT_START`]).
    pub fn start_at(mut self, start: OffsetDateTime) -> Self {
        self.start = start;
        self
    }

    /// Ids, codes and token ids are drawn from a stream seeded with `seed` (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The issuer, with Okta's `default` server ready.
    ///
    /// # Panics
    /// If the `default` server cannot be created, which memory stores and fixed keys never cause.
    pub fn start(self) -> TestIssuer {
        let clock = Arc::new(ManualClock::new(self.start));
        let events = Arc::new(MemoryEventLog::default());
        let server = AuthServer::builder(self.base_url)
            .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1))))
            .key_material(Arc::new(FixedKeys::new()))
            .clock(clock.clone())
            .randomness(Arc::new(SeededRandom::new(self.seed)))
            .events(events.clone())
            .build();
        run(server.management().ensure_default_server()).expect("the default server is created in memory");
        TestIssuer {
            server: Arc::new(server),
            clock,
            events,
            signer: Mutex::new(None),
            registry: Mutex::default(),
        }
    }
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIssuer {
    /// An issuer with every default: `default` server, fixed keys, clock at [`DEFAULT_START`],
    /// ids drawn from a stream seeded with 0.
    pub fn new() -> Self {
        Self::builder().start()
    }

    /// Chooses the base URL, the start time or the seed.
    pub fn builder() -> TestIssuerBuilder {
        TestIssuerBuilder::default()
    }

    /// The `default` server's issuer: `{base}/oauth2/default`, the `iss` of its tokens.
    pub fn issuer(&self) -> String {
        self.server.issuer(SERVER_ID)
    }

    /// The server itself, for calls this type does not wrap (every endpoint, the management API).
    pub fn server(&self) -> &Arc<AuthServer> {
        &self.server
    }

    /// The issuer's current time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Sets the clock to `now`.
    pub fn set_time(&self, now: OffsetDateTime) {
        self.clock.set(now);
    }

    /// Every event recorded so far, oldest first: grants, refusals with their reasons, policy
    /// evaluations.
    pub fn events(&self) -> Vec<Event> {
        self.events.all()
    }

    /// The `default` server's JWKS, as `GET {issuer}/v1/keys` answers it (the keys rotate with
    /// the clock).
    pub fn jwks(&self) -> Value {
        json_of(&run(self.server.keys(SERVER_ID)))
    }

    /// The public JWK of the key that signs now, from the JWKS: what a verifier that is
    /// handed one key (rather than fetching the JWKS) is configured with.
    pub fn signing_jwk(&self) -> Value {
        let kid = self.signer().kid().to_owned();
        let jwks = self.jwks();
        let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
        keys.into_iter()
            .find(|key| key["kid"] == kid.as_str())
            .unwrap_or(Value::Null)
    }

    /// The `default` server's OpenID Connect discovery document.
    pub fn discovery(&self) -> Value {
        json_of(&run(self.server.openid_configuration(
            SERVER_ID,
            &crate::endpoint::EndpointRequest::get(""),
        )))
    }

    /// The `default` server's audience: the `aud` of its access tokens.
    pub fn audience(&self) -> String {
        let config = run(self.server.config_store().load(SERVER_ID)).ok().flatten();
        config
            .and_then(|config| config.server.audiences.first().cloned())
            .unwrap_or_default()
    }

    /// What this issuer added.
    fn lock_registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The signer of the server's active key: reopened only when a rotation changed it.
    fn signer(&self) -> Arc<dyn Signer> {
        // The keys endpoint rotates the ring first when an AUTO rotation is due.
        let _ = run(self.server.keys(SERVER_ID));
        let ring = run(self.server.config_store().key_ring(SERVER_ID))
            .ok()
            .flatten()
            .expect("the default server has keys");
        let active = ring.active();
        let mut cached = self.signer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(signer) = cached.as_ref().filter(|signer| signer.kid() == active.kid) {
            return Arc::clone(signer);
        }
        let signer = FixedKeys::new().open(active).expect("the fixed keys open");
        *cached = Some(Arc::clone(&signer));
        signer
    }
}

/// Runs a future of the memory stores to completion on this thread: they never wait on I/O.
fn run<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// A response's JSON body (`null` when it has none).
fn json_of(response: &EndpointResponse) -> Value {
    response.json_body().cloned().unwrap_or(Value::Null)
}

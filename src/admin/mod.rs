//! Okta's authorization-server management API as transport-agnostic operations.
//!
//! Two doors lead to the same operations:
//!
//! * [`ManagementApi::handle`] takes an [`ApiRequest`] (method, path, query, JSON body and the
//!   caller the host authenticated) and returns an [`ApiResponse`] with Okta's status codes,
//!   headers and JSON, so a host maps `/api/v1/authorizationServers/…` and `/oauth2/v1/clients/…`
//!   onto it in a few lines.
//! * Typed methods, one per operation of the Okta Authorization Servers API and of Okta's
//!   client registration API ([`create_server`](ManagementApi::create_server),
//!   [`create_scope`](ManagementApi::create_scope), [`create_rule`](ManagementApi::create_rule),
//!   [`create_client`](ManagementApi::create_client), [`rotate_keys`](ManagementApi::rotate_keys),
//!   …), take and return the [`model`](crate::model) types, for hosts and test harnesses that
//!   configure servers in code. The router is a thin mapping from paths onto them, so both
//!   validate alike.
//!
//! Errors are [`ApiError`]s: Okta's error objects (`E0000001` validation with one cause per
//! field, `E0000003` malformed body, `E0000006` no permission, `E0000007` unknown id; see
//! [`ApiErrorCode`]), or RFC 7591's for client registration.
//!
//! ```
//! # async fn demo() -> Result<(), authserver::admin::ApiError> {
//! use std::sync::Arc;
//!
//! use authserver::admin::ManagementApi;
//! use authserver::clock::SystemClock;
//! use authserver::crypto::PasswordHasher;
//! use authserver::keys::{RotationSettings, SoftwareKeys};
//! use authserver::jose::Algorithm;
//! use authserver::model::Scope;
//! use authserver::store::{MemoryConfigStore, MemoryDirectory};
//!
//! let api = ManagementApi::new(
//!     Arc::new(MemoryConfigStore::new()),
//!     Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))),
//!     Arc::new(SoftwareKeys),
//!     Arc::new(SystemClock),
//!     "https://id.example.com",
//! )
//! .with_rotation_settings(RotationSettings { algorithm: Algorithm::EdDSA, ..Default::default() });
//! api.ensure_default_server().await?;
//! let scope = api.create_scope("default", Scope::named("reports:read")).await?;
//! assert!(scope.id.starts_with("scp"));
//! assert_eq!(api.get_scope("default", &scope.id).await?.name, "reports:read");
//! # Ok(())
//! # }
//! # futures::executor::block_on(demo()).unwrap();
//! ```
//!
//! Every change loads the server's configuration document, edits it with pure functions,
//! stamps `changed_at` (which implicitly revokes tokens minted before it) and saves it with
//! compare-and-swap, retrying when another writer won the race. Client writes are
//! compare-and-swap too, on the client's revision in the directory. A failed operation changes
//! nothing.
//!
//! # Limits
//!
//! Every size, count and time the API accepts is bounded; the constants are in [`limits`].
//! Lengths are in characters. "Okta" marks Okta's documented figure; the others are this
//! library's choice where Okta documents none. Refusals of the Authorization Servers API are
//! `400 E0000001` with one `errorCauses` entry naming the field (`<field>: <message>`); those of
//! client registration are RFC 7591 errors whose `error_description` starts with the field.
//!
//! | Object | Field | Limit | Error | Source |
//! |---|---|---|---|---|
//! | server | `name` | 1–255, no control characters | `E0000001 name` | ours |
//! | server | `description` | 1–1024, no control characters but tabs and line breaks | `E0000001 description` | ours |
//! | server | `audiences` | exactly one; at most 1024, no control characters; a URI if it holds `:` | `E0000001 audiences` | Okta (one audience, a URI); length ours |
//! | server | `id` of an import | 1–64 letters, digits, `-`, `_` | `E0000001 id` | ours |
//! | server | `credentials.signing.alg` (an extension) | `RS256`, `PS256`, `ES256` or `EdDSA`, a string | `E0000001 credentials.signing.alg` | ours |
//! | scope | `name` | 1–255 printable ASCII but space, `"` and `\`; not `okta`, `okta.…`, `okta:…` or `*`; not both `<` and `>`; unique | `E0000001 name` | Okta; length ours |
//! | scope | `displayName` | at most 255, no control characters | `E0000001 displayName` | ours |
//! | scope | `description` | at most 1024, no control characters but tabs and line breaks | `E0000001 description` | ours |
//! | scopes | per server | at most 1000, system scopes included | `E0000001 scopes` | ours |
//! | claim | `name` | 1–255, no control characters, not a reserved claim, unique per token type | `E0000001 name` | length ours |
//! | claim | `value` | 1–1024 | `E0000001 value` | Okta |
//! | claim | `conditions.scopes` | at most 100 entries of at most 255 | `E0000001 conditions.scopes` | ours |
//! | claims | per server | at most 200, system claims included | `E0000001 claims` | ours |
//! | policy | `name` | 1–100, no control characters | `E0000001 name` | Okta |
//! | policy | `description` | 1–255, no control characters but tabs and line breaks | `E0000001 description` | Okta |
//! | policy | `conditions.clients.include`, `.exclude` | at least one included; at most 100 entries of 1–255 | `E0000001 conditions.clients.include` (`.exclude`) | ours |
//! | policies | per server | at most 100 | `E0000001 policies` | ours |
//! | rule | `name` | 1–255, no control characters | `E0000001 name` | ours |
//! | rule | `conditions.people.users`, `.groups` (`include`, `exclude`) | at most 100 entries of at most 255 | `E0000001 conditions.people.…` | ours |
//! | rule | `conditions.grantTypes.include` | 1–16 known grant types | `E0000001 conditions.grantTypes` | ours |
//! | rule | `conditions.scopes.include` | at most 1000 entries of at most 255 | `E0000001 conditions.scopes` | ours |
//! | rule | `actions.token.inlineHook.id` | at most 255, no control characters | `E0000001 actions.token.inlineHook.id` | ours |
//! | rule | `actions.token.accessTokenLifetimeMinutes` | 5–1440 | `E0000001 actions.token.accessTokenLifetimeMinutes` | Okta |
//! | rule | `actions.token.refreshTokenLifetimeMinutes` | `0` or absent (unlimited), or the access-token lifetime to 2 628 000 (five years) | `E0000001 actions.token.refreshTokenLifetimeMinutes` | Okta (minimum; "10 minutes to 5 years or unlimited") |
//! | rule | `actions.token.refreshTokenWindowMinutes` | 10–2 628 000 | `E0000001 actions.token.refreshTokenWindowMinutes` | Okta |
//! | rules | per policy | at most 100 | `E0000001 rules` | ours |
//! | keys | rotation interval ([`ManagementApi::with_rotation_settings`]) | one hour to five years, clamped | none: moved to the bound | ours |
//! | keys | retention of `EXPIRED` keys | zero to five years, clamped | none: moved to the bound | ours |
//! | client | `client_name` | 1–255, no control characters | `invalid_client_metadata` | ours |
//! | client | `redirect_uris`, `post_logout_redirect_uris` | at most 100, each at most 1024, absolute, no fragment, whitespace or control characters, scheme not `javascript`, `data`, `vbscript` or `file` (any case); private-use schemes of native apps are fine | `invalid_redirect_uri` | RFC 7591, RFC 8252; sizes ours |
//! | client | `initiate_login_uri` | as a redirect URI, but a fragment is allowed | `invalid_redirect_uri` | ours |
//! | client | `client_uri`, `logo_uri`, `jwks_uri` | at most 1024, absolute, no whitespace or control characters, scheme not `javascript`, `data`, `vbscript` or `file` | `invalid_client_metadata` | ours |
//! | client | `grant_types`, `response_types` | at most 16 each | `invalid_client_metadata` | ours |
//! | client | `jwks` | 1–20 keys, at most 32 KiB of JSON | `invalid_client_metadata` | ours |
//! | client | `refresh_token.leeway` | 0–60 seconds | `invalid_client_metadata` | Okta |
//! | client | `client_id` of an import | 1–100 letters, digits, `-`, `_`, `.` | `invalid_client_metadata` | ours |
//! | client | `client_secret` of an import | 14–100 | `invalid_client_metadata` | ours |
//! | lists | `limit` | a positive integer; larger than 200 reads as 200 | `E0000029` | Okta |
//!
//! Numbers a field's type cannot hold (a negative or fractional lifetime, one of 2³² minutes or
//! more) are refused as out of range, naming the field; values of the wrong JSON type (a string
//! for a number) make the body malformed (`E0000003`). The size of a request body as a whole is
//! the host's to bound (the axum adapter takes at most 1 MiB).

mod claims;
mod clients;
mod defaults;
mod error;
mod fields;
pub mod ids;
mod keys;
pub mod limits;
pub mod links;
mod members;
mod paging;
mod policies;
mod request;
mod rules;
mod scopes;
mod servers;

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

pub(crate) use claims::claim_from_json;
pub(crate) use clients::imported_client_from_json;
pub use defaults::{DEFAULT_SERVER_ID, default_server_config};
pub use error::{ApiError, ApiErrorCode, FieldError};
pub use keys::ServerKey;
pub(crate) use policies::policy_from_json;
pub use request::{ApiRequest, ApiResponse, Caller, Method};
pub(crate) use rules::rule_from_json;
pub(crate) use scopes::scope_from_json;
pub(crate) use servers::server_from_json;

use crate::clock::Clock;
use crate::cpu_pool::CpuPool;
use crate::keys::{KeyMaterial, RotationSettings};
use crate::model::Status;
use crate::random::{Randomness, SystemRandom};
use crate::store::{ConfigStore, Directory, Saved, ServerConfig};

/// What the router answers: a response, or the error it is rendered from.
type Answer = Result<ApiResponse, ApiError>;

/// How often a compare-and-swap save is retried when other writers keep winning. Each lost
/// attempt means another write succeeded, so a writer loses at most once per concurrent writer;
/// this covers dozens of writers racing on one object before answering `E0000009`.
const SAVE_ATTEMPTS: usize = 64;

/// Shortest key rotation interval [`ManagementApi::with_rotation_settings`] keeps: one hour.
pub const MIN_ROTATION_INTERVAL: Duration = Duration::hours(1);
/// Longest key rotation interval, and longest retention of an `EXPIRED` key, that
/// [`ManagementApi::with_rotation_settings`] keeps: five years (2 628 000 minutes, the longest
/// lifetime a rule can give a refresh token).
pub const MAX_ROTATION_PERIOD: Duration = Duration::minutes(2_628_000);

/// The management API over a configuration store and a directory.
pub struct ManagementApi<C, D> {
    config: Arc<C>,
    directory: Arc<D>,
    key_material: Arc<dyn KeyMaterial>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Randomness>,
    base_url: String,
    rotation: RotationSettings,
    cpu: CpuPool,
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// The API over `config` and `directory`. `base_url` is the host's public origin
    /// (`https://id.example.com`, no trailing slash): issuers and `_links` are built from it.
    pub fn new(
        config: Arc<C>,
        directory: Arc<D>,
        key_material: Arc<dyn KeyMaterial>,
        clock: Arc<dyn Clock>,
        base_url: impl Into<String>,
    ) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self {
            config,
            directory,
            key_material,
            clock,
            random: Arc::new(SystemRandom),
            base_url,
            rotation: RotationSettings::default(),
            cpu: CpuPool::default(),
        }
    }

    /// Generates signing keys on `pool` (by default a pool of its own, sized to the cores).
    pub fn with_cpu_pool(mut self, pool: CpuPool) -> Self {
        self.cpu = pool;
        self
    }

    /// The pool keys are generated on.
    pub fn cpu_pool(&self) -> &CpuPool {
        &self.cpu
    }

    /// Draws object ids and client secrets from `random` (the operating system's by default).
    pub fn with_randomness(mut self, random: Arc<dyn Randomness>) -> Self {
        self.random = random;
        self
    }

    /// Uses `settings` for rotations, and its `algorithm` for the keys of servers created from
    /// now on without `credentials.signing.alg` (existing servers keep theirs). The
    /// interval is kept between [`MIN_ROTATION_INTERVAL`] and [`MAX_ROTATION_PERIOD`] and the
    /// retention of `EXPIRED` keys between zero and [`MAX_ROTATION_PERIOD`]: a value outside is
    /// moved to the nearest bound, so that scheduling the next rotation can neither overflow a
    /// timestamp nor rotate on every request.
    pub fn with_rotation_settings(mut self, settings: RotationSettings) -> Self {
        self.rotation = RotationSettings {
            interval: settings.interval.clamp(MIN_ROTATION_INTERVAL, MAX_ROTATION_PERIOD),
            expired_retention: settings.expired_retention.clamp(Duration::ZERO, MAX_ROTATION_PERIOD),
            ..settings
        };
        self
    }

    /// The host's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The configuration store.
    pub fn config_store(&self) -> &C {
        &self.config
    }

    /// The clock changes are stamped with.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The source of object ids and secrets.
    pub(crate) fn random(&self) -> &dyn Randomness {
        self.random.as_ref()
    }

    /// Where signing keys are generated and opened.
    pub(crate) fn key_material(&self) -> &dyn KeyMaterial {
        self.key_material.as_ref()
    }

    /// The key generation and rotation settings.
    pub(crate) fn rotation(&self) -> &RotationSettings {
        &self.rotation
    }

    /// Answers one management request.
    pub async fn handle(&self, request: &ApiRequest<'_>) -> ApiResponse {
        match self.route(request).await {
            Ok(response) => response,
            Err(error) => error.response(),
        }
    }

    async fn route(&self, request: &ApiRequest<'_>) -> Answer {
        if request.caller.is_none() {
            return Err(ApiError::forbidden());
        }
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match segments.as_slice() {
            ["api", "v1", "authorizationServers", rest @ ..] => match rest {
                [] | [_] | [_, "lifecycle", _] => self.route_servers(request, rest).await,
                [id, "policies", rest @ ..] => self.route_policies(request, id, rest).await,
                [id, "scopes", rest @ ..] => self.route_scopes(request, id, rest).await,
                [id, "claims", rest @ ..] => self.route_claims(request, id, rest).await,
                [id, "credentials", rest @ ..] => self.route_keys(request, id, rest).await,
                _ => Err(ApiError::path_not_found()),
            },
            ["oauth2", "v1", "clients", rest @ ..] => self.route_clients(request, rest).await,
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// The time on this API's clock.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The directory clients are registered in.
    pub fn directory(&self) -> &D {
        &self.directory
    }

    /// The configuration of server `id`, or `E0000007`.
    async fn load(&self, id: &str) -> Result<ServerConfig, ApiError> {
        self.config
            .load(id)
            .await?
            .ok_or_else(|| ApiError::not_found(id, servers::SERVER_KIND))
    }

    /// Loads server `id`, applies `change` to a copy, stamps `changed_at` and saves it with
    /// compare-and-swap, retrying when another writer saved first. `change` must be pure: it may
    /// run more than once, and when it fails nothing is saved.
    async fn edit<T>(
        &self,
        id: &str,
        change: impl Fn(&mut ServerConfig, OffsetDateTime) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        for _ in 0..SAVE_ATTEMPTS {
            let mut config = self.load(id).await?;
            let expected = config.revision;
            let now = self.now();
            let output = change(&mut config, now)?;
            config.changed_at = now;
            match self.config.save(config, expected).await? {
                Saved::Saved { .. } => return Ok(output),
                Saved::Stale => continue,
                Saved::Missing => return Err(ApiError::not_found(id, servers::SERVER_KIND)),
            }
        }
        Err(ApiError::internal())
    }
}

/// `value` as JSON; a value that cannot be written (a timestamp outside years 0000–9999) is
/// `E0000009`.
fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|_| ApiError::internal())
}

/// A JSON response of `value` with `status`.
fn respond<T: Serialize + ?Sized>(status: u16, value: &T) -> Answer {
    Ok(ApiResponse::json(status, to_json(value)?))
}

/// `204 No Content` for an operation that answers nothing, or its error.
fn no_content(done: Result<(), ApiError>) -> Answer {
    done.map(|()| ApiResponse::no_content())
}

/// The status a lifecycle request (`…/lifecycle/{action}`) sets: `activate` → `ACTIVE`,
/// `deactivate` → `INACTIVE`. Any other action is an unknown path (`E0000008`); a method other
/// than `POST` is `E0000022`.
fn lifecycle(method: Method, action: &str) -> Result<Status, ApiError> {
    let status = match action {
        "activate" => Status::Active,
        "deactivate" => Status::Inactive,
        _ => return Err(ApiError::path_not_found()),
    };
    if method == Method::Post {
        Ok(status)
    } else {
        Err(ApiError::method_not_allowed())
    }
}

/// `parsed`, or, when the body did not parse, the error of `target` if it fails: an unknown id is
/// a `404` even when the body is bad.
async fn unless_missing<T, U>(
    parsed: Result<T, ApiError>,
    target: impl Future<Output = Result<U, ApiError>>,
) -> Result<T, ApiError> {
    match parsed {
        Ok(parsed) => Ok(parsed),
        Err(error) => {
            target.await?;
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests;

//! [`AuthServer`]: the entry point that owns the stores, the clock, the key material and the
//! event sink, and answers the OAuth endpoints of every authorization server it hosts
//! (`{base}/oauth2/{id}/v1/…`, `default` included).
//!
//! Per server it keeps the configuration and keys as last loaded and checks the store's
//! revisions on every request, reloading only when the configuration or the keys moved. `AUTO` key rotation happens on
//! the request that finds it due.

mod authorize;
mod builder;
mod client_auth;
mod documents;
mod introspect;
mod keys_endpoint;
mod logout;
mod metadata;
mod mint;
mod revoke;
mod state;
mod token;
mod userinfo;
mod validate;
mod verified_tokens;

use std::sync::{Arc, PoisonError, RwLock};

use time::OffsetDateTime;

use crate::admin::{ApiError, ManagementApi};
use crate::clock::Clock;
use crate::cpu_pool::CpuPool;
use crate::endpoint::{EndpointResponse, OAuthError, Reason, ServerFailure};
use crate::event::Entity;
use crate::event::{Detail, Event, EventRef, EventSink, Severity, bounded_str};
use crate::expr::JsonMap;
use crate::id_map::IdMap;
use crate::policy::{Decision, PolicyRequest};
use crate::random::Randomness;
use crate::store::memory::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use crate::store::{ConfigStore, Directory, GrantStore};
use state::ServerState;

pub use builder::AuthServerBuilder;

pub use authorize::{AuthorizeOutcome, LoginReason, LoginRequired};
pub use logout::LogoutOutcome;

/// An authorization server host: every configured server's endpoints, and the management API.
///
/// Build one with [`AuthServer::builder`], or [`AuthServer::in_memory`] for memory stores and
/// defaults throughout. The type parameters are the stores: configuration (`C`), directory
/// (`D`) and grants (`G`); they default to the in-memory ones.
pub struct AuthServer<C = MemoryConfigStore, D = MemoryDirectory, G = MemoryGrantStore> {
    /// The management API, which also holds what both share: the configuration store, the
    /// directory, the key material, the clock, the randomness, the base URL and the rotation
    /// settings.
    management: ManagementApi<C, D>,
    grants: Arc<G>,
    events: Arc<dyn EventSink>,
    org: Arc<mint::Org>,
    /// Where signatures, key generation and expensive claims are computed.
    cpu: CpuPool,
    states: RwLock<IdMap<Arc<ServerState>>>,
}

/// Why a server cannot answer a request at all, before any OAuth processing.
///
/// This stays apart from [`Reason`](crate::endpoint::Reason): an unknown or deactivated server is
/// not a refused OAuth request but a missing resource, answered by every endpoint (the keys and
/// discovery documents too) with Okta's management-style error object, not an OAuth error, and
/// recorded nowhere.
#[derive(Debug)]
pub(crate) enum Unavailable {
    /// No such server, or it is deactivated: Okta's management-style `404 E0000007`.
    NotFound(ApiError),
    /// The store or the key material failed: `server_error`.
    Failed(ServerFailure),
}

impl Unavailable {
    pub(crate) fn response(&self) -> EndpointResponse {
        match self {
            Unavailable::NotFound(error) => {
                let api = error.response();
                let mut response = EndpointResponse::json(api.status, api.body.unwrap_or_default());
                response.headers = api.headers;
                response
            }
            Unavailable::Failed(failure) => {
                tracing::error!(target: "authserver::decision", cause = %failure.chain(), "server state unavailable");
                OAuthError::internal().response()
            }
        }
    }
}

impl<E: Into<ServerFailure>> From<E> for Unavailable {
    fn from(error: E) -> Self {
        Unavailable::Failed(error.into())
    }
}

impl AuthServer {
    /// A host at `base_url` on memory stores, software keys, the system clock and the operating
    /// system's randomness, with events kept in a [`MemoryEventLog`](crate::event::MemoryEventLog).
    /// It hosts no server until one is created (for Okta's `default`:
    /// `server.management().ensure_default_server()`).
    ///
    /// ```
    /// let server = authserver::AuthServer::in_memory("https://id.example.com");
    /// assert_eq!(server.issuer("default"), "https://id.example.com/oauth2/default");
    /// ```
    pub fn in_memory(base_url: impl Into<String>) -> Self {
        Self::builder(base_url).build()
    }

    /// A builder for a host at `base_url`, the public origin (`https://id.example.com`): issuers
    /// are `{base_url}/oauth2/{id}`. Every part has an in-memory or system default.
    pub fn builder(base_url: impl Into<String>) -> AuthServerBuilder {
        AuthServerBuilder::new(base_url.into())
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// The directory (clients, users, groups), e.g. for a test harness to add users.
    pub fn directory(&self) -> &D {
        self.management.directory()
    }

    /// The configuration store (servers, policies, rules, scopes, claims, keys).
    pub fn config_store(&self) -> &C {
        self.management.config_store()
    }

    /// The grant store (codes, refresh tokens, revocations).
    pub fn grants(&self) -> &G {
        &self.grants
    }

    /// Where decision events go.
    pub fn events(&self) -> &dyn EventSink {
        self.events.as_ref()
    }

    /// The management API over the same stores.
    pub fn management(&self) -> &ManagementApi<C, D> {
        &self.management
    }

    /// The issuer of server `id`: `{base}/oauth2/{id}`.
    pub fn issuer(&self, id: &str) -> String {
        crate::admin::links::issuer(self.base_url(), id)
    }

    /// The organization id: the `idp` claim of ID tokens.
    pub fn org_id(&self) -> &str {
        &self.org.id
    }

    /// The pool CPU-heavy work runs on: RSA signatures, claims that need more than a few
    /// thousand evaluation steps, key generation (through [`management`](Self::management)).
    pub fn cpu_pool(&self) -> &CpuPool {
        &self.cpu
    }

    /// The public origin issuers are built from.
    pub fn base_url(&self) -> &str {
        self.management.base_url()
    }

    /// The clock every decision reads `now` from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.management.clock()
    }

    /// The source of ids, codes, secrets and token ids.
    pub(crate) fn random(&self) -> &dyn Randomness {
        self.management.random()
    }

    fn now(&self) -> OffsetDateTime {
        self.clock().now()
    }

    /// Records `event` under an id drawn from the server's randomness, so a seeded source makes
    /// the System Log reproducible too, and reports it as a `tracing` event: every decision the
    /// endpoints record goes through here.
    pub(crate) fn record(&self, mut event: Event) {
        event.uuid = crate::event::uuid_from(self.random());
        if decisions_traced() {
            event.as_parts(trace_decision);
        }
        self.events.record(event);
    }

    /// Whether recorded events are seen at all: the sink keeps them, or a `tracing` subscriber
    /// listens for decisions. When not, the token path does not describe its events.
    pub(crate) fn records_events(&self) -> bool {
        self.events.keeps_events() || decisions_traced()
    }

    /// Records the event `event` describes under an id drawn from the server's randomness (its
    /// `uuid` is replaced), as [`record`](Self::record) does, without an [`Event`] being built
    /// unless the sink needs one: for the events of the token path, recorded on every request.
    pub(crate) fn record_ref(&self, event: &EventRef<'_>) {
        let mut uuid = [0; 36];
        let uuid = crate::event::format_uuid(self.random().array().unwrap_or_default(), &mut uuid);
        let event = EventRef { uuid, ..*event };
        if decisions_traced() {
            trace_decision(&event);
        }
        self.events.record_ref(&event);
    }

    /// Evaluates the server's access policies (through the state's index, built from the same
    /// configuration as `request.policies`), recording the decision or denial as an event naming
    /// the server.
    pub(crate) fn evaluate_policies<'a>(
        &self,
        state: &ServerState,
        request: &PolicyRequest<'a>,
        now: OffsetDateTime,
    ) -> Result<Decision<'a>, Reason> {
        let server = || Entity::new("AuthorizationServer", &state.config.server.id);
        match state.policies.evaluate(request) {
            Ok(decision) => {
                if self.records_events() {
                    decision.with_parts(request, now, Some(&state.config.server.id), |event| {
                        self.record_ref(event)
                    });
                }
                Ok(decision)
            }
            Err(denial) => {
                self.record(denial.unnumbered_event(request, now).with_target(server()));
                Err(Reason::PolicyDenied(denial))
            }
        }
    }

    /// The prepared state of server `id` at the clock's `now` (for tests; endpoints read the
    /// clock once and call [`active_state_at`](Self::active_state_at)).
    #[cfg(test)]
    pub(crate) async fn active_state(&self, id: &str) -> Result<Arc<ServerState>, Unavailable> {
        self.active_state_at(id, self.now()).await
    }

    /// The prepared state of server `id` at `now` if it exists and is active: rebuilt when the
    /// store's revisions moved, and after rotating the keys when an `AUTO` rotation is due.
    pub(crate) async fn active_state_at(&self, id: &str, now: OffsetDateTime) -> Result<Arc<ServerState>, Unavailable> {
        let not_found = || Unavailable::NotFound(ApiError::not_found(id, "AuthorizationServer"));
        let mut state = self.state(id).await?.ok_or_else(not_found)?;
        if state.ring.rotation_due(now) {
            self.management
                .rotate_keys_if_due(id)
                .await
                .map_err(|error| ServerFailure::KeyRotation(Box::new(error)))?;
            state = self.state(id).await?.ok_or_else(not_found)?;
        }
        if state.is_active() { Ok(state) } else { Err(not_found()) }
    }

    /// The prepared state of server `id`, from the cache when the store's revisions match.
    async fn state(&self, id: &str) -> Result<Option<Arc<ServerState>>, Unavailable> {
        let Some(revisions) = self.config_store().revisions(id).await? else {
            self.states.write().unwrap_or_else(PoisonError::into_inner).remove(id);
            return Ok(None);
        };
        let cached = self
            .states
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned();
        if let Some(state) = cached.filter(|state| state.revisions == revisions) {
            return Ok(Some(state));
        }
        let config = self.config_store().load(id).await?;
        let ring = self.config_store().key_ring(id).await?;
        let (Some(config), Some(ring)) = (config, ring) else {
            return Ok(None);
        };
        let state = Arc::new(ServerState::build(
            config,
            ring,
            self.management.key_material(),
            self.base_url(),
        )?);
        self.states
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id.to_owned(), Arc::clone(&state));
        Ok(Some(state))
    }
}

/// The JSON answer to a refusal no event records (RFC 6749 §5.2 shape); a failure inside the
/// server is reported to `tracing` with its cause, since the client only learns `server_error`.
pub(crate) fn unrecorded_refusal(reason: &Reason) -> EndpointResponse {
    trace_failure(reason);
    reason.error().response()
}

/// Reports a failure inside the server that no event records to `tracing`, with its cause.
pub(crate) fn trace_failure(reason: &Reason) {
    if let Some(failure) = reason.server_failure() {
        tracing::error!(target: "authserver::decision", reason = reason.code(), cause = %failure.chain(), "server failure");
    }
}

/// Whether a `tracing` subscriber listens for decisions (at any level).
fn decisions_traced() -> bool {
    tracing::enabled!(target: "authserver::decision", tracing::Level::ERROR)
}

/// Reports a recorded decision to `tracing` (target `authserver::decision`): the event type
/// (which names the endpoint), the authorization server, client and grant type where the event
/// names them, the outcome and the reason code, at the event's severity.
fn trace_decision(event: &EventRef<'_>) {
    // Events are bounded when a sink keeps them; what is traced here is cut the same way, since
    // a refused request's client id or grant type is whatever the client sent.
    let server = event
        .target
        .iter()
        .find(|target| target.kind == "AuthorizationServer")
        .map(|target| bounded_str(target.id));
    let client = event.client.map(bounded_str);
    let detail = |key: &str| {
        let (_, detail) = event.debug_data.iter().rev().find(|(name, _)| *name == key)?;
        match detail {
            Detail::Text(text) => Some(*text),
            Detail::Json(serde_json::Value::String(text)) => Some(text.as_str()),
            _ => None,
        }
    };
    let grant_type = detail("grantType").map(bounded_str);
    let message = bounded_str(event.display_message);
    let outcome = event.result.as_str();
    let reason = detail("reasonCode");
    macro_rules! decision {
        ($level:expr) => {
            tracing::event!(
                target: "authserver::decision",
                $level,
                event_type = %event.event_type,
                server = server.as_deref(),
                client = client.as_deref(),
                grant_type = grant_type.as_deref(),
                outcome,
                reason,
                "{}",
                message
            )
        };
    }
    match event.severity {
        Severity::Info => decision!(tracing::Level::INFO),
        Severity::Warn => decision!(tracing::Level::WARN),
        Severity::Error => decision!(tracing::Level::ERROR),
    }
}

/// The default organization for `base_url`: an `00o…` id derived from it, and `org.name` /
/// `org.subDomain` from its host.
fn default_org(base_url: &str) -> (String, JsonMap) {
    let digest = crate::jose::b64_encode(crate::crypto::sha256(base_url.as_bytes()));
    let id: String = std::iter::once("00o".to_owned())
        .chain(std::iter::once(
            digest.chars().filter(char::is_ascii_alphanumeric).take(17).collect(),
        ))
        .collect();
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let mut org = JsonMap::new();
    org.insert(
        "subDomain".to_owned(),
        serde_json::Value::String(host.split('.').next().unwrap_or_default().to_owned()),
    );
    org.insert("name".to_owned(), serde_json::Value::String(host));
    (id, org)
}

#[cfg(test)]
mod tests;

//! An axum 0.8 adapter (feature `axum`): an [`AuthServer`] behind Okta's paths, as one
//! [`Router`].
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//!
//! use authserver::AuthServer;
//! use authserver::axum::Okta;
//! use authserver::event::MemoryEventLog;
//! use authserver::ratelimit::RateLimits;
//!
//! let events = Arc::new(MemoryEventLog::default());
//! let server = Arc::new(AuthServer::builder("https://id.example.com").events(events.clone()).build());
//! server.management().ensure_default_server().await.expect("the default server");
//!
//! let okta = Okta::new(server)
//!     .api_token("00my-management-api-token")
//!     .rate_limits(RateLimits::okta_defaults())
//!     .system_log(events)
//!     .allowed_authority("127.0.0.1:8080");
//! okta.purges().spawn();
//! let app = okta.router();
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! authserver::axum::serve(listener, app).run().await;
//! # Ok(())
//! # }
//! ```
//!
//! [`serve`] is HTTP/1.1 with the callers' addresses as connection info and a timeout on
//! reading headers; `axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())`
//! works too, without the header timeout.
//!
//! # What it serves
//!
//! | Path | Answered by |
//! |---|---|
//! | `/oauth2/{id}/v1/authorize` (GET, POST) | [`AuthServer::authorize`], with the browser's session; the sign-in page when it asks for a login |
//! | `/oauth2/{id}/v1/token`, `introspect`, `revoke` (POST), `userinfo` (GET, POST) | [`AuthServer::token`], [`introspect`](AuthServer::introspect), [`revoke`](AuthServer::revoke), [`userinfo`](AuthServer::userinfo) |
//! | `/oauth2/{id}/v1/keys` | [`AuthServer::keys`] |
//! | `/oauth2/{id}/v1/logout` (GET, POST) | [`AuthServer::logout`], ending the browser's session when it says so |
//! | `/oauth2/{id}/.well-known/openid-configuration` | [`AuthServer::openid_configuration`] |
//! | `/oauth2/{id}/.well-known/oauth-authorization-server`, `/.well-known/oauth-authorization-server/oauth2/{id}` | [`AuthServer::authorization_server_metadata`] |
//! | `/api/v1/authorizationServers[/…]`, `/oauth2/v1/clients[/…]` | [`ManagementApi::handle`](crate::admin::ManagementApi::handle), for administrators ([`AdminCheck`]) |
//! | `GET /api/v1/logs` | [`system_log::answer`](crate::event::system_log::answer), for administrators, from [`Okta::system_log`] |
//! | `POST /api/v1/authn` | Okta's primary authentication: a password checked by [`Directory::check_password`](crate::store::Directory::check_password), a one-time `sessionToken` |
//! | `POST /login` | the sign-in form ([`SignInPage`]): a session cookie and back to `/authorize` |
//! | anything else | `404 E0000008` |
//!
//! `{id}` is any authorization server's id, Okta's `default` included (`/oauth2/default/v1/…`).
//!
//! A request the adapter refuses before the library sees it is answered in the shape of its
//! path, never as the framework's bare text: on the OAuth endpoints an OAuth error
//! (`{"error": "invalid_request", "error_description"}`, `Cache-Control: no-store`), on Okta's API
//! (`/api/v1/…`, `/oauth2/v1/clients…`) Okta's error object. That is `405` with `Allow` for a
//! method the path does not take (`E0000022` on Okta's API), `400` for a form or header that is
//! not UTF-8, and `413` for a body over 1 MiB (`E0000003` with a cause on Okta's API).
//!
//! # The mapping, for adapters to other frameworks
//!
//! The library decides; an adapter only moves bytes. Per request this one:
//!
//! 1. reads the body (at most 1 MiB) and turns the request into the library's value:
//!    [`EndpointRequest::from_http`](crate::endpoint::EndpointRequest::from_http) for the OAuth
//!    endpoints, [`ApiRequest::from_http`](crate::admin::ApiRequest::from_http) for the
//!    management API (feature `http`; any framework that speaks the `http` crate's types can do
//!    the same in two lines);
//! 2. adds what only the host knows: the browser's [`Session`](crate::endpoint::Session)
//!    ([`EndpointRequest::with_session`](crate::endpoint::EndpointRequest::with_session)), or the
//!    administrator ([`Caller`]);
//! 3. counts it against its rate limit ([`RateLimiter`](crate::ratelimit::RateLimiter)): the
//!    OAuth endpoints per client and caller address when the answer shows the client
//!    authenticated (a success; at `/authorize`, a known client and its own redirect URI), and
//!    per caller address otherwise, so that made-up client ids do not each get a fresh budget
//!    (both are charged while the library answers, and the one that does not pay is given
//!    back); sign-in and logout per address; the management API and System Log per
//!    administrator, refused administrators per address;
//! 4. calls the endpoint method of [`AuthServer`], and turns the answer back with
//!    [`EndpointResponse::into_http_bytes`](crate::endpoint::EndpointResponse::into_http_bytes) (or
//!    [`ApiResponse::into_http`](crate::admin::ApiResponse::into_http)), adding the
//!    `X-Rate-Limit-*` headers and any `Set-Cookie`.
//!
//! Two outcomes need the host: [`AuthorizeOutcome::NeedsLogin`](crate::AuthorizeOutcome) (show a
//! sign-in page, come back to the same request with the new session, marked
//! [fresh](crate::endpoint::EndpointRequest::with_fresh_session) for that request so that
//! `prompt=login` and `max_age` are answered without asking again), and
//! [`LogoutOutcome::end_session`](crate::LogoutOutcome) (forget the session). The files of this
//! module each do one of those jobs: `wire` (the conversions), `routes` (the OAuth endpoints and
//! the management API), `authn` (passwords, session tokens and the sign-in post), `sessions`,
//! `sign_in`, `guard` (administrators, `Host` and `Origin`), `limits`, `logs`, `metrics`
//! (`tracing` and the [`Metrics`] hook) and `purge`.
//!
//! # Defences
//!
//! - The management API and the System Log answer only requests whose `Host` names this
//!   server: the authority of the server's base URL, or one added with
//!   [`Okta::allowed_authority`] (the listening address, when a proxy's name is the base URL).
//!   Anything else is `401 E0000011` with a cause that says so, against DNS rebinding; so is a
//!   `Host` that is not visible ASCII, or more than one `Host`.
//! - Slow callers: a request body must arrive within [`Okta::body_timeout`] (10 s by default,
//!   else `408` and the connection closed), its headers within [`Serve::header_timeout`] when
//!   served with [`serve`] (10 s by default, also how long an idle connection is kept).
//! - The sign-in form is accepted only from this server's own origin (`Origin`, or
//!   `Sec-Fetch-Site`), against login CSRF, and returns only to this server's `/authorize`.
//! - Refused administrators are rate limited per address and their bodies never read.
//!
//! # Sessions
//!
//! Browser sessions (the `authserver_sid` cookie, `HttpOnly`, `SameSite=Lax`, two hours from
//! sign-in) and `sessionToken`s (single use, five minutes) live in the memory of the router's
//! instance: several instances behind one load balancer need sticky sessions for the sign-in
//! page. Everything else is in the stores.
//!
//! # Observability
//!
//! Every request runs inside an `INFO` span named `request` with the fields `method`, `route`
//! (the matched path template, e.g. `/oauth2/{server}/v1/token`) and, for an authorization
//! server's endpoints, `server` (its id); the core's own events (its decisions) are emitted
//! inside it. When the answer is ready, one event with the message `answered` (target
//! `authserver::axum::metrics`) gives its `status`, `elapsed_ms` and, where the request named
//! them, `client_id` (as named, not necessarily authenticated) and `grant_type`; it is `INFO`,
//! or `WARN` for a `5xx`. Then the [`Metrics`] hook, if any, is called once with the
//! [`Endpoint`], the status and the time taken. Refused administrators are also logged (`WARN`)
//! when their `Host` is not this server's, with the name they sent and the accepted ones.

mod authn;
mod guard;
mod header_wait;
mod limits;
mod logs;
mod metrics;
mod purge;
mod routes;
mod serve;
mod sessions;
mod sign_in;
mod wire;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ::axum::Router;
use ::axum::body::Bytes;
use ::axum::extract::Request;
use ::axum::http::request::Parts;
use ::axum::response::Response;
use tracing::Instrument;

pub use guard::{AdminCheck, ApiToken, NoAdministrators};
pub use metrics::{Endpoint, Metrics};
pub use purge::{DEFAULT_PURGE_INTERVAL, EVENT_RETENTION, PurgeEvents, Purges};
pub use serve::{DEFAULT_HEADER_TIMEOUT, Serve, serve};
pub use sign_in::{DEFAULT_CONTENT_SECURITY_POLICY, LOGIN_PATH, PlainSignInPage, SignInForm, SignInPage, escape_html};

use crate::AuthServer;
use crate::admin::Caller;
use crate::clock::Clock;
use crate::event::EventLog;
use crate::ratelimit::RateLimits;
use crate::store::{ConfigStore, GrantStore};
use guard::{DynAdminCheck, OwnAddresses};
use limits::{LimitHeaders, Limiter, unauthenticated_key};
use logs::SystemLog;
use metrics::Observation;
use sessions::Sessions;
use wire::{Shape, api_error, read};

/// How long a request's body may take to arrive by default ([`Okta::body_timeout`]).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Okta's HTTP API over an [`AuthServer`], as an axum [`Router`]: configure it with the builder
/// methods, then mount [`router`](Self::router). See the [module documentation](self).
pub struct Okta<C, D, G> {
    server: Arc<AuthServer<C, D, G>>,
    clock: Arc<dyn Clock>,
    admin: Box<dyn DynAdminCheck>,
    rate_limits: RateLimits,
    system_log: Option<Box<dyn SystemLog>>,
    sign_in_page: Box<dyn SignInPage>,
    metrics: Option<Arc<dyn Metrics>>,
    addresses: OwnAddresses,
    body_timeout: Duration,
}

impl<C, D, G> Okta<C, D, G>
where
    C: ConfigStore + 'static,
    D: crate::store::Directory + 'static,
    G: GrantStore + 'static,
{
    /// The adapter for `server`, with the defaults: no administrators ([`NoAdministrators`]:
    /// the management API answers `401`), no rate limits, no System Log (`404`), the
    /// [`PlainSignInPage`], no metrics, `Host` headers accepted for the server's base URL only,
    /// and request bodies read within [`DEFAULT_BODY_TIMEOUT`]. Sessions, rate limits and the
    /// System Log read the server's clock.
    pub fn new(server: Arc<AuthServer<C, D, G>>) -> Self {
        let base_url = server.base_url();
        let addresses = OwnAddresses::of_base_url(base_url).unwrap_or_else(|| {
            tracing::warn!(
                base_url,
                "the server's base URL is not an absolute URL: management requests need allowed_authority"
            );
            OwnAddresses::none()
        });
        Self {
            clock: Arc::clone(server.clock()),
            server,
            admin: Box::new(NoAdministrators),
            rate_limits: RateLimits::disabled(),
            system_log: None,
            sign_in_page: Box::new(PlainSignInPage),
            metrics: None,
            addresses,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }

    /// Decides who may call the management API and the System Log.
    pub fn admin(mut self, check: impl AdminCheck) -> Self {
        self.admin = Box::new(check);
        self
    }

    /// Administrators are callers with `Authorization: SSWS <token>` ([`ApiToken`]).
    pub fn api_token(self, token: &str) -> Self {
        self.admin(ApiToken::new(token))
    }

    /// Rate limits per endpoint category ([`RateLimits::okta_defaults`] is Okta's preset).
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Serves `GET /api/v1/logs` from `log`, usually the event sink the server records into.
    pub fn system_log<L: EventLog + 'static>(mut self, log: Arc<L>) -> Self {
        self.system_log = Some(Box::new(log));
        self
    }

    /// Renders the sign-in page with `page` instead of the [`PlainSignInPage`].
    pub fn sign_in_page(mut self, page: impl SignInPage) -> Self {
        self.sign_in_page = Box::new(page);
        self
    }

    /// Calls `metrics` once per request.
    pub fn metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Also accepts `authority` (`host[:port]`, e.g. `127.0.0.1:8080`) in the `Host` header of
    /// management requests, beside the base URL's.
    pub fn allowed_authority(mut self, authority: impl AsRef<str>) -> Self {
        self.addresses.allow(authority.as_ref());
        self
    }

    /// How long a request's body may take to arrive, from the moment the router starts reading
    /// it ([`DEFAULT_BODY_TIMEOUT`] unless set): a body still incomplete then is answered `408`
    /// (an OAuth error on the OAuth endpoints, Okta's `E0000003` on Okta's API) with
    /// `Connection: close`, so that a caller sending a byte a second cannot hold a connection
    /// and a task for as long as it likes. It bounds the whole body, not the gaps between its
    /// bytes. The headers before it are the server's to time: [`serve`] does, `axum::serve`
    /// does not. The timer is Tokio's: the runtime needs its time driver (`#[tokio::main]` and
    /// `Builder::enable_all` turn it on).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Purges of the server's expired grants (and, with [`Purges::events`], of old events), to
    /// [`spawn`](Purges::spawn).
    pub fn purges(&self) -> Purges<C, D, G> {
        Purges::new(&self.server, Arc::clone(&self.clock))
    }

    /// The router. Serve it with [`serve`], or otherwise with connection info
    /// (`into_make_service_with_connect_info::<SocketAddr>()`) so that rate limits can tell
    /// callers apart by address; without it every caller shares the address `unknown`.
    pub fn router(self) -> Router {
        let shared = Arc::new(Shared {
            sessions: Sessions::new(Arc::clone(&self.clock)),
            limiter: Limiter::new(self.rate_limits, Arc::clone(&self.clock)),
            server: self.server,
            clock: self.clock,
            admin: self.admin,
            system_log: self.system_log,
            sign_in_page: self.sign_in_page,
            metrics: self.metrics,
            addresses: self.addresses,
            body_timeout: self.body_timeout,
        });
        routes::router(shared)
    }
}

/// What every handler of one router shares.
pub(crate) struct Shared<C, D, G> {
    server: Arc<AuthServer<C, D, G>>,
    clock: Arc<dyn Clock>,
    admin: Box<dyn DynAdminCheck>,
    limiter: Limiter,
    system_log: Option<Box<dyn SystemLog>>,
    sign_in_page: Box<dyn SignInPage>,
    metrics: Option<Arc<dyn Metrics>>,
    addresses: OwnAddresses,
    sessions: Sessions,
    body_timeout: Duration,
}

impl<C, D, G> Shared<C, D, G> {
    /// Starts observing a request to `endpoint`.
    fn observe(&self, endpoint: Endpoint, request: &Request, server: Option<&str>) -> Observation {
        Observation::start(endpoint, request, server)
    }

    /// Answers with `answer` inside the request's span, then reports the outcome.
    async fn finish(&self, observation: &Observation, answer: impl Future<Output = Response>) -> Response {
        let response = answer.instrument(observation.span()).await;
        observation.finish(&response, self.metrics.as_deref());
        response
    }
}

/// An administrator's request, admitted.
struct Admitted {
    parts: Parts,
    body: Bytes,
    caller: Caller,
    /// The rate-limit headers of the answer.
    headers: LimitHeaders,
}

/// Admits an administrator's request to the rate-limit `category`, or answers it: `401 E0000011`
/// for a `Host` that is not this server's or a caller the [`AdminCheck`] refuses (counted per
/// address, body unread), or the `429`.
async fn admit<C, D, G>(shared: &Shared<C, D, G>, category: &str, request: Request) -> Result<Admitted, Response> {
    let (parts, body) = request.into_parts();
    if !shared.addresses.is_own_host(&parts) {
        tracing::warn!(
            host = wire::header(&parts, ::axum::http::header::HOST),
            accepted = ?shared.addresses.authorities(),
            "management request refused: its Host header does not name this server"
        );
        shared
            .limiter
            .check(category, &unauthenticated_key(&parts))
            .map_err(|refusal| *refusal)?;
        return Err(api_error(&shared.addresses.foreign_host_error()));
    }
    let Some(caller) = shared.admin.check(&parts).await else {
        shared
            .limiter
            .check(category, &unauthenticated_key(&parts))
            .map_err(|refusal| *refusal)?;
        return Err(api_error(&crate::admin::ApiError::invalid_token()));
    };
    let headers = shared.limiter.check(category, &caller.id).map_err(|refusal| *refusal)?;
    let (parts, body) = read(Request::from_parts(parts, body), Shape::Okta, shared.body_timeout).await?;
    Ok(Admitted {
        parts,
        body,
        caller,
        headers,
    })
}

//! What the router reports about each request: a `tracing` span and outcome event (described in
//! the module documentation of `authserver::axum`), and the [`Metrics`] hook.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use tracing::field::Empty;

use crate::event::bounded_str;

/// The endpoints of the router, as [`Metrics`] names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Endpoint {
    /// `/oauth2/{id}/v1/authorize`.
    Authorize,
    /// `/oauth2/{id}/v1/token`.
    Token,
    /// `/oauth2/{id}/v1/introspect`.
    Introspect,
    /// `/oauth2/{id}/v1/revoke`.
    Revoke,
    /// `/oauth2/{id}/v1/keys`.
    Keys,
    /// `/oauth2/{id}/v1/userinfo`.
    Userinfo,
    /// `/oauth2/{id}/v1/logout`.
    Logout,
    /// `/oauth2/{id}/.well-known/openid-configuration`.
    OpenIdConfiguration,
    /// `/oauth2/{id}/.well-known/oauth-authorization-server` and its RFC 8414 form.
    AuthorizationServerMetadata,
    /// `POST /login`, from the sign-in page.
    SignIn,
    /// `POST /api/v1/authn`.
    Authn,
    /// The management API: `/api/v1/authorizationServers/…`, `/oauth2/v1/clients/…`.
    Management,
    /// `GET /api/v1/logs`.
    SystemLog,
    /// Any other path (answered `404 E0000008`).
    NotFound,
}

impl Endpoint {
    /// A short stable name: `authorize`, `token`, `introspect`, `revoke`, `keys`, `userinfo`,
    /// `logout`, `openid_configuration`, `authorization_server_metadata`, `sign_in`, `authn`,
    /// `management`, `system_log`, `not_found`.
    pub const fn name(self) -> &'static str {
        match self {
            Endpoint::Authorize => "authorize",
            Endpoint::Token => "token",
            Endpoint::Introspect => "introspect",
            Endpoint::Revoke => "revoke",
            Endpoint::Keys => "keys",
            Endpoint::Userinfo => "userinfo",
            Endpoint::Logout => "logout",
            Endpoint::OpenIdConfiguration => "openid_configuration",
            Endpoint::AuthorizationServerMetadata => "authorization_server_metadata",
            Endpoint::SignIn => "sign_in",
            Endpoint::Authn => "authn",
            Endpoint::Management => "management",
            Endpoint::SystemLog => "system_log",
            Endpoint::NotFound => "not_found",
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A metrics hook, called once per request the router answers: which endpoint, the HTTP status
/// of the answer (`429` for a rate-limit refusal, `401` for a refused administrator, …), and how
/// long the router took to produce it. Feed it to whatever metrics library the service uses;
/// keep it cheap, since it runs on the request's task.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::Duration;
///
/// use authserver::axum::{Endpoint, Metrics};
///
/// /// Request counts and total latency per endpoint and status.
/// #[derive(Default)]
/// struct Counts(Mutex<HashMap<(Endpoint, u16), (u64, Duration)>>);
///
/// impl Metrics for Counts {
///     fn record(&self, endpoint: Endpoint, status: u16, elapsed: Duration) {
///         let mut counts = self.0.lock().unwrap();
///         let entry = counts.entry((endpoint, status)).or_default();
///         entry.0 += 1;
///         entry.1 += elapsed;
///     }
/// }
///
/// let counts = Counts::default();
/// counts.record(Endpoint::Token, 200, Duration::from_millis(3));
/// counts.record(Endpoint::Token, 200, Duration::from_millis(5));
/// assert_eq!(counts.0.lock().unwrap()[&(Endpoint::Token, 200)], (2, Duration::from_millis(8)));
/// ```
pub trait Metrics: Send + Sync + 'static {
    /// Records one answered request.
    fn record(&self, endpoint: Endpoint, status: u16, elapsed: Duration);
}

/// One request being answered: its span, its start, and the facts learnt on the way. Clones
/// share the facts.
#[derive(Clone)]
pub(crate) struct Observation {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Endpoint,
    started: Instant,
    span: tracing::Span,
    client_id: OnceLock<String>,
    grant_type: OnceLock<String>,
}

impl Observation {
    /// Starts observing `request` to `endpoint` (of authorization server `server`, if any).
    pub(crate) fn start(endpoint: Endpoint, request: &Request, server: Option<&str>) -> Self {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("(no route)", MatchedPath::as_str);
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            route,
            server = Empty,
        );
        if let Some(server) = server {
            span.record("server", &*bounded_str(server));
        }
        Self {
            inner: Arc::new(Inner {
                endpoint,
                started: Instant::now(),
                span,
                client_id: OnceLock::new(),
                grant_type: OnceLock::new(),
            }),
        }
    }

    /// The request's span.
    pub(crate) fn span(&self) -> tracing::Span {
        self.inner.span.clone()
    }

    /// The client the request names, once known (the first one given counts), cut to
    /// [`MAX_TEXT_BYTES`](crate::event::MAX_TEXT_BYTES) as events are: it is whatever the client
    /// sent.
    pub(crate) fn client_id(&self, client_id: Option<&str>) {
        if let Some(id) = client_id.filter(|id| !id.is_empty()) {
            let _ = self.inner.client_id.set(bounded_str(id).into_owned());
        }
    }

    /// The grant type the request asks for, once known (the first one given counts).
    pub(crate) fn grant_type(&self, grant_type: Option<&str>) {
        if let Some(grant_type) = grant_type.filter(|grant| !grant.is_empty()) {
            let _ = self.inner.grant_type.set(bounded_str(grant_type).into_owned());
        }
    }

    /// Reports the answer: the outcome event, then `metrics`.
    pub(crate) fn finish(&self, response: &Response, metrics: Option<&dyn Metrics>) {
        let inner = &self.inner;
        let status = response.status().as_u16();
        let elapsed = inner.started.elapsed();
        // Milliseconds, to the microsecond.
        let elapsed_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3;
        let client_id = inner.client_id.get().map(String::as_str);
        let grant_type = inner.grant_type.get().map(String::as_str);
        let _entered = inner.span.enter();
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, client_id, grant_type, "answered");
        } else {
            tracing::info!(status, elapsed_ms, client_id, grant_type, "answered");
        }
        if let Some(metrics) = metrics {
            metrics.record(inner.endpoint, status, elapsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<(Endpoint, u16)>>);

    impl Metrics for Recorded {
        fn record(&self, endpoint: Endpoint, status: u16, _: Duration) {
            self.0.lock().unwrap().push((endpoint, status));
        }
    }

    #[test]
    fn finishing_records_the_endpoint_and_the_status_once() {
        let request = Request::post("/oauth2/default/v1/token")
            .body(axum::body::Body::empty())
            .unwrap();
        let observation = Observation::start(Endpoint::Token, &request, Some("default"));
        observation.client_id(Some("web-app"));
        observation.client_id(Some("another"));
        observation.grant_type(Some("password"));
        assert_eq!(observation.inner.client_id.get().map(String::as_str), Some("web-app"));
        let response = Response::builder().status(429).body(axum::body::Body::empty()).unwrap();
        let metrics = Recorded::default();
        observation.finish(&response, Some(&metrics));
        assert_eq!(*metrics.0.lock().unwrap(), [(Endpoint::Token, 429)]);
    }

    /// Issue 14: a 60 KB `client_id` was written whole to the request log, once per request.
    #[test]
    fn a_long_client_id_is_logged_cut() {
        let request = Request::new(axum::body::Body::empty());
        let observation = Observation::start(Endpoint::Token, &request, Some(&"s".repeat(4096)));
        observation.client_id(Some(&"A".repeat(60 * 1024)));
        observation.grant_type(Some(&"g".repeat(60 * 1024)));
        let longest = crate::event::MAX_TEXT_BYTES + '…'.len_utf8();
        assert!(observation.inner.client_id.get().unwrap().len() <= longest);
        assert!(observation.inner.grant_type.get().unwrap().len() <= longest);
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(Endpoint::OpenIdConfiguration.to_string(), "openid_configuration");
        assert_eq!(Endpoint::NotFound.name(), "not_found");
    }
}

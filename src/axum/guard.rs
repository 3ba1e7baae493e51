//! Who may do what: the administrator check of the management API and the System Log
//! ([`AdminCheck`], by default Okta's `SSWS` API token), and the request-origin defences: the
//! `Host` check against DNS rebinding and the `Origin` check of the sign-in form against login
//! CSRF.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;

use super::wire::header;
use crate::admin::{ApiError, Caller, FieldError};
use crate::secret::SecretHash;

/// Decides whether a request to the management API (`/api/v1/authorizationServers/…`,
/// `/oauth2/v1/clients/…`) or the System Log (`/api/v1/logs`) comes from an administrator.
///
/// The check sees the request's head only: the body of a refused request is never read. A
/// refused request is answered `401 E0000011` and counted against its address's rate limit; an
/// admitted one is rate limited per [`Caller::id`] and handed to the management API with that
/// caller. [`ApiToken`] (Okta's `Authorization: SSWS <token>`) is the usual check; an
/// implementation can as well read a header a trusted proxy sets, or verify a bearer token.
///
/// ```
/// use authserver::admin::Caller;
/// use authserver::axum::AdminCheck;
/// use axum::http::request::Parts;
///
/// /// Administrators are whoever the (trusted) proxy in front says they are.
/// struct FromProxy;
///
/// impl AdminCheck for FromProxy {
///     async fn check(&self, request: &Parts) -> Option<Caller> {
///         let user = request.headers.get("x-verified-admin")?.to_str().ok()?;
///         Some(Caller { id: user.to_owned() })
///     }
/// }
/// ```
pub trait AdminCheck: Send + Sync + 'static {
    /// The administrator making `request`, or `None` to refuse it.
    fn check(&self, request: &Parts) -> impl Future<Output = Option<Caller>> + Send;
}

/// An [`AdminCheck`] behind a pointer (the trait's `impl Future` keeps it from being a `dyn`
/// object itself).
pub(crate) trait DynAdminCheck: Send + Sync {
    fn check<'a>(&'a self, request: &'a Parts) -> Pin<Box<dyn Future<Output = Option<Caller>> + Send + 'a>>;
}

impl<A: AdminCheck> DynAdminCheck for A {
    fn check<'a>(&'a self, request: &'a Parts) -> Pin<Box<dyn Future<Output = Option<Caller>> + Send + 'a>> {
        Box::pin(AdminCheck::check(self, request))
    }
}

/// Okta's API token: `Authorization: SSWS <token>`, compared by SHA-256 digest in constant
/// time. Callers are recorded as `api-token`. A blank token admits nobody.
///
/// The space after `SSWS` is optional: Okta's Python management SDK (`okta` 3.x) sends
/// `SSWS<token>` (its generated `Configuration.auth_settings()` joins `authorization_mode` and
/// the token without one) and Okta accepts it.
#[derive(Clone)]
pub struct ApiToken {
    digest: Option<SecretHash>,
}

impl ApiToken {
    /// The caller id of requests this check admits.
    pub const CALLER: &'static str = "api-token";

    /// A check that admits requests carrying `token` (surrounding whitespace ignored).
    pub fn new(token: &str) -> Self {
        let token = token.trim();
        Self {
            digest: (!token.is_empty()).then(|| SecretHash::of(token)),
        }
    }

    fn admits(&self, authorization: Option<&str>) -> bool {
        let given = authorization
            .and_then(|value| value.strip_prefix("SSWS"))
            .map(str::trim)
            .filter(|token| !token.is_empty());
        match (given, &self.digest) {
            (Some(token), Some(digest)) => SecretHash::of(token).matches(digest),
            _ => false,
        }
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(<redacted>)")
    }
}

impl AdminCheck for ApiToken {
    fn check(&self, request: &Parts) -> impl Future<Output = Option<Caller>> + Send {
        let admitted = self.admits(header(request, AUTHORIZATION));
        std::future::ready(admitted.then(|| Caller {
            id: Self::CALLER.into(),
        }))
    }
}

/// The check when none is configured: nobody is an administrator.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAdministrators;

impl AdminCheck for NoAdministrators {
    fn check(&self, _: &Parts) -> impl Future<Output = Option<Caller>> + Send {
        std::future::ready(None)
    }
}

/// The names this server answers to: the public base URL's origin (which a browser's `Origin`
/// must match) and the authorities (`host[:port]`) a `Host` header may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnAddresses {
    origin: String,
    authorities: Vec<String>,
}

impl OwnAddresses {
    /// The addresses of a server whose public base URL is `base_url`; `None` if it is not an
    /// absolute URL.
    pub(crate) fn of_base_url(base_url: &str) -> Option<Self> {
        let base = url::Url::parse(base_url).ok()?;
        let host = base.host_str().filter(|host| !host.is_empty())?;
        let authority = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Some(Self {
            origin: base.origin().ascii_serialization(),
            authorities: vec![authority],
        })
    }

    /// No names at all: every `Host` is refused until one is [allowed](Self::allow).
    pub(crate) fn none() -> Self {
        Self {
            origin: String::new(),
            authorities: Vec::new(),
        }
    }

    /// Accepts `authority` (`host[:port]`, e.g. the listening address) in `Host` headers too.
    pub(crate) fn allow(&mut self, authority: &str) {
        let authority = authority.trim();
        if !authority.is_empty() && !self.authorities.iter().any(|own| own.eq_ignore_ascii_case(authority)) {
            self.authorities.push(authority.to_owned());
        }
    }

    /// Whether a form post comes from this server's own pages: a browser's `Origin` (or, without
    /// one, `Sec-Fetch-Site`) must say so. This refuses login CSRF, where another site posts its
    /// own credentials to sign the victim's browser in as the attacker. Clients that send
    /// neither header (curl, test clients) are not browsers and are let through.
    pub(crate) fn is_same_origin(&self, parts: &Parts) -> bool {
        match (header(parts, "origin"), header(parts, "sec-fetch-site")) {
            (Some(origin), _) => origin == self.origin,
            (None, Some(site)) => site == "same-origin" || site == "none",
            (None, None) => true,
        }
    }

    /// Whether the request was addressed to this server by one of its own names: a web page
    /// whose name was rebound to this server's address (DNS rebinding) sends its own name, and
    /// must not reach the management API with a known development token.
    ///
    /// It fails closed: a `Host` that is not visible ASCII (obs-text) names none of ours, and
    /// neither do several `Host` headers (RFC 9112 §3.2 allows exactly one). Only a request
    /// without any (HTTP/1.0) is taken as addressed to this server.
    pub(crate) fn is_own_host(&self, parts: &Parts) -> bool {
        let mut hosts = parts.headers.get_all(HOST).iter();
        match (hosts.next(), hosts.next()) {
            (None, _) => true,
            (Some(host), None) => host
                .to_str()
                .is_ok_and(|host| self.authorities.iter().any(|own| host.eq_ignore_ascii_case(own))),
            (Some(_), Some(_)) => false,
        }
    }

    /// The answer to a request addressed to another name: Okta's `401 E0000011`, with a cause
    /// that says what is wrong and which names are accepted (never the name that was sent).
    pub(crate) fn foreign_host_error(&self) -> ApiError {
        let cause = format!(
            "The request's Host header does not name this server. Management requests are accepted at {}; \
             a server behind a proxy or load balancer needs its public base URL set to the name clients use.",
            self.authorities.join(", ")
        );
        ApiError::invalid_token().with_causes(vec![FieldError::new("", cause)])
    }

    /// The authorities `Host` headers may name.
    pub(crate) fn authorities(&self) -> &[String] {
        &self.authorities
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::post("/login");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    fn now<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("the check answers at once"),
        }
    }

    #[test]
    fn the_api_token_admits_its_own_token_only() {
        let check = ApiToken::new(" 00secret ");
        let admitted = now(AdminCheck::check(&check, &parts(&[("authorization", "SSWS 00secret")])));
        assert_eq!(admitted, Some(Caller { id: "api-token".into() }));
        for refused in [
            "SSWS 00other",
            "Bearer 00secret",
            "SSWS",
            "SSWS ",
            "00secret",
            "ssws 00secret",
        ] {
            let request = parts(&[("authorization", refused)]);
            assert_eq!(now(AdminCheck::check(&check, &request)), None, "{refused}");
        }
        assert_eq!(now(AdminCheck::check(&check, &parts(&[]))), None);
        assert_eq!(format!("{check:?}"), "ApiToken(<redacted>)");
    }

    #[test]
    fn the_space_after_ssws_is_optional() {
        // okta 3.4.6 (PyPI) `okta/configuration.py:443`: `"value": self.authorization_mode +
        // self.access_token`, i.e. `SSWS00secret`; Okta accepts it.
        let check = ApiToken::new("00secret");
        for admitted in ["SSWS00secret", "SSWS 00secret", "SSWS  00secret"] {
            let request = parts(&[("authorization", admitted)]);
            assert!(now(AdminCheck::check(&check, &request)).is_some(), "{admitted}");
        }
        for refused in ["SSWS00secretx", "SSWSX00secret", "SSWS0secret"] {
            let request = parts(&[("authorization", refused)]);
            assert_eq!(now(AdminCheck::check(&check, &request)), None, "{refused}");
        }
    }

    #[test]
    fn a_blank_api_token_admits_nobody() {
        let check = ApiToken::new("  ");
        for header in ["SSWS ", "SSWS   ", "SSWS x"] {
            assert_eq!(
                now(AdminCheck::check(&check, &parts(&[("authorization", header)]))),
                None
            );
        }
        let request = parts(&[("authorization", "SSWS x")]);
        assert_eq!(now(AdminCheck::check(&NoAdministrators, &request)), None);
    }

    #[test]
    fn the_host_must_be_the_base_url_or_an_allowed_authority() {
        let mut own = OwnAddresses::of_base_url("https://id.example.com").unwrap();
        assert!(own.is_own_host(&parts(&[("host", "id.example.com")])));
        assert!(own.is_own_host(&parts(&[("host", "ID.Example.COM")])));
        assert!(own.is_own_host(&parts(&[])), "HTTP/1.0 without Host");
        assert!(!own.is_own_host(&parts(&[("host", "127.0.0.1:8080")])));
        own.allow("127.0.0.1:8080");
        own.allow("127.0.0.1:8080");
        assert_eq!(own.authorities(), ["id.example.com", "127.0.0.1:8080"]);
        assert!(own.is_own_host(&parts(&[("host", "127.0.0.1:8080")])));
        assert!(
            !own.is_own_host(&parts(&[("host", "127.0.0.1:8080"), ("host", "127.0.0.1:8080")])),
            "more than one Host"
        );
        let mut obs_text = parts(&[]);
        obs_text.headers.insert(
            HOST,
            axum::http::HeaderValue::from_bytes(b"127.0.0.1:8080\xa0").unwrap(),
        );
        assert!(!own.is_own_host(&obs_text), "a Host that is not text");
        for foreign in [
            "attacker.example",
            "127.0.0.1:8081",
            "localhost:8080",
            "id.example.com.evil",
        ] {
            assert!(!own.is_own_host(&parts(&[("host", foreign)])), "{foreign}");
        }
        let error = own.foreign_host_error();
        assert_eq!((error.status(), error.code.as_str()), (401, "E0000011"));
        assert!(
            error.causes[0].summary().contains("id.example.com, 127.0.0.1:8080"),
            "{error:?}"
        );

        let local = OwnAddresses::of_base_url("http://127.0.0.1:9000/").unwrap();
        assert!(local.is_own_host(&parts(&[("host", "127.0.0.1:9000")])));
        let ipv6 = OwnAddresses::of_base_url("http://[::1]:9000").unwrap();
        assert!(ipv6.is_own_host(&parts(&[("host", "[::1]:9000")])));
        assert_eq!(OwnAddresses::of_base_url("not a url"), None);
    }

    #[test]
    fn sign_in_posts_must_come_from_the_servers_origin() {
        let own = OwnAddresses::of_base_url("http://127.0.0.1:8080").unwrap();
        assert!(own.is_same_origin(&parts(&[("origin", "http://127.0.0.1:8080")])));
        assert!(!own.is_same_origin(&parts(&[("origin", "https://evil.example")])));
        assert!(!own.is_same_origin(&parts(&[("origin", "null")])));
        assert!(own.is_same_origin(&parts(&[("sec-fetch-site", "same-origin")])));
        assert!(own.is_same_origin(&parts(&[("sec-fetch-site", "none")])));
        assert!(!own.is_same_origin(&parts(&[("sec-fetch-site", "cross-site")])));
        assert!(!own.is_same_origin(&parts(&[("sec-fetch-site", "same-site")])));
        assert!(
            !own.is_same_origin(&parts(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin")
            ])),
            "Origin decides when both are sent"
        );
        assert!(own.is_same_origin(&parts(&[])), "not a browser");
    }
}

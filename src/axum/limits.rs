//! Applying the library's rate limiter ([`crate::ratelimit`]) to requests: who a request is
//! counted against, and the headers or the `429` that result.
//!
//! The counters live in this instance's memory: a client that spreads its requests over N
//! instances gets N times the limit.

use std::sync::{Arc, Mutex, PoisonError};

use axum::http::request::Parts;
use axum::response::Response;

use super::wire::{param, peer, respond};
use crate::clock::Clock;
use crate::endpoint::{EndpointRequest, basic_credentials};
use crate::ratelimit::{RateLimiter, RateLimits};

/// The headers a rate-limited answer carries (`X-Rate-Limit-*`).
pub(crate) type LimitHeaders = Vec<(&'static str, String)>;

/// The limiter of one router.
pub(crate) struct Limiter {
    limiter: Mutex<RateLimiter>,
    clock: Arc<dyn Clock>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        Self {
            limiter: Mutex::new(RateLimiter::new(limits)),
            clock,
        }
    }

    /// Counts a request of `identity` at `category` (a [`crate::ratelimit::category`]): the
    /// headers to add to the answer, or the `429` that refuses it.
    pub(crate) fn check(&self, category: &str, identity: &str) -> Result<LimitHeaders, Box<Response>> {
        let decision =
            self.limiter
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .check(category, identity, self.clock.now());
        match decision {
            None => Ok(Vec::new()),
            Some(decision) if decision.allowed => Ok(decision.headers()),
            Some(decision) => Err(Box::new(respond(decision.too_many_requests_response()))),
        }
    }
}

/// The client a request names, not yet authenticated: HTTP Basic's user, else the `client_id`
/// parameter of the form, else of the query.
pub(crate) fn named_client(request: &EndpointRequest<'_>) -> Option<String> {
    request
        .authorization
        .and_then(basic_credentials)
        .map(|(id, _)| id)
        .or_else(|| request.form.and_then(|form| param(form, "client_id")))
        .or_else(|| param(request.query, "client_id"))
}

/// Who a client endpoint's rate limit counts a request against: the client it names *and* the
/// caller's address, as Okta keys client-based limits. The client is not authenticated yet, so
/// the address keeps one caller from spending another's budget by naming its client.
pub(crate) fn client_key(parts: &Parts, client: Option<&str>) -> String {
    format!("{}|{}", client.unwrap_or_default(), peer(parts))
}

/// Who an unauthenticated management request is counted against: its address.
pub(crate) fn unauthenticated_key(parts: &Parts) -> String {
    format!("unauthenticated|{}", peer(parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::ratelimit::category;
    use time::macros::datetime;

    #[test]
    fn the_named_client_comes_from_basic_auth_then_the_form_then_the_query() {
        // `web-app:secret`
        let basic = EndpointRequest::post("client_id=form").with_authorization("Basic d2ViLWFwcDpzZWNyZXQ=");
        assert_eq!(named_client(&basic).as_deref(), Some("web-app"));
        assert_eq!(
            named_client(&EndpointRequest::post("client_id=form")).as_deref(),
            Some("form")
        );
        assert_eq!(
            named_client(&EndpointRequest::get("client_id=query")).as_deref(),
            Some("query")
        );
        assert_eq!(named_client(&EndpointRequest::get("")), None);
    }

    #[test]
    fn keys_combine_the_client_and_the_address() {
        let parts = axum::http::Request::get("/").body(()).unwrap().into_parts().0;
        assert_eq!(client_key(&parts, Some("spa")), "spa|unknown");
        assert_eq!(client_key(&parts, None), "|unknown");
        assert_eq!(unauthenticated_key(&parts), "unauthenticated|unknown");
    }

    #[test]
    fn a_refusal_is_a_429_and_unlimited_categories_add_nothing() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC)));
        let limiter = Limiter::new(RateLimits::okta_defaults().with_limit(category::TOKEN, 1), clock);
        let headers = limiter.check(category::TOKEN, "a").unwrap();
        assert_eq!(headers[1], ("X-Rate-Limit-Remaining", "0".to_owned()));
        let refused = limiter.check(category::TOKEN, "a").unwrap_err();
        assert_eq!(refused.status(), 429);
        assert!(limiter.check(category::TOKEN, "b").is_ok(), "another client");
        assert_eq!(limiter.check(category::KEYS, "a").unwrap(), Vec::new());
    }
}

//! Applying the library's rate limiter ([`crate::ratelimit`]) to requests: who a request is
//! counted against, and the headers or the `429` that result.
//!
//! # Who pays
//!
//! A limit keyed by the client a request *names* is no limit: a caller naming a fresh made-up
//! `client_id` each time gets a fresh bucket each time. So the OAuth endpoints (`/authorize`,
//! `/token`, `/introspect`, `/revoke`, `/userinfo`) charge what the answer establishes:
//!
//! - a request whose answer is a success (status below 400) is charged to its client's bucket,
//!   keyed by the client id *and* the caller's address (as Okta keys client-based limits, so
//!   that a public client's id, which anyone may send, cannot spend its budget elsewhere). At
//!   `/token`, `/introspect` and `/revoke` a success means the client authenticated; at
//!   `/authorize` that the client exists and the redirect URI is its own;
//! - every other request (no client named, an unknown client, failed authentication, any
//!   error) is charged to the caller's address.
//!
//! The answer is not known before the library gives it, so both buckets are charged up front,
//! and once it is, the charge to the bucket that does not pay is given back
//! ([`RateLimiter::release`]). A request is refused (`429`, with the full bucket's headers) when
//! either bucket is full: an address that has spent its limit on failures is refused whatever
//! client it names until its window resets, and a client over its limit is refused at that
//! address. The answer carries the headers of the bucket that paid. A request abandoned before
//! its answer (the caller hung up) keeps both charges.
//!
//! The counters live in this instance's memory: a client that spreads its requests over N
//! instances gets N times the limit.

use std::sync::{Arc, Mutex, PoisonError};

use axum::http::request::Parts;
use axum::response::Response;
use base64::Engine as _;

use super::wire::{param, peer, respond};
use crate::clock::Clock;
use crate::endpoint::{EndpointRequest, basic_credentials};
use crate::ratelimit::{RateLimitDecision, RateLimiter, RateLimits};

/// The headers a rate-limited answer carries (`X-Rate-Limit-*`).
pub(crate) type LimitHeaders = Vec<(&'static str, String)>;

/// The limiter of one router.
pub(crate) struct Limiter {
    limiter: Mutex<RateLimiter>,
    clock: Arc<dyn Clock>,
    /// Nothing is limited (`RateLimits::disabled`): requests are let through without taking
    /// the lock or naming a bucket.
    disabled: bool,
}

/// A request's provisional charges while the library answers it ([`Limiter::reserve`]).
pub(crate) struct Reservation {
    category: &'static str,
    /// The caller's address's bucket, and the decision that charged it (none when exempt).
    address: (String, Option<RateLimitDecision>),
    /// The named client's bucket, if the request names one.
    client: Option<(String, Option<RateLimitDecision>)>,
}

impl Limiter {
    pub(crate) fn new(limits: RateLimits, clock: Arc<dyn Clock>) -> Self {
        Self {
            disabled: limits.is_disabled(),
            limiter: Mutex::new(RateLimiter::new(limits)),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request of `identity` at `category` (a [`crate::ratelimit::category`]): the
    /// headers to add to the answer, or the `429` that refuses it.
    pub(crate) fn check(&self, category: &str, identity: &str) -> Result<LimitHeaders, Box<Response>> {
        if self.disabled {
            return Ok(Vec::new());
        }
        let decision = self.lock().check(category, identity, self.clock.now());
        match decision {
            None => Ok(Vec::new()),
            Some(decision) if decision.allowed => Ok(decision.headers()),
            Some(decision) => Err(refusal(&decision)),
        }
    }

    /// Charges an OAuth request at `category` to both buckets it may pay from (see the module
    /// documentation): the one of `client`, the client it names, if any, and its address's.
    /// The `429` if either is full (then neither is charged).
    pub(crate) fn reserve(
        &self,
        category: &'static str,
        parts: &Parts,
        client: Option<&str>,
    ) -> Result<Reservation, Box<Response>> {
        if self.disabled {
            return Ok(Reservation {
                category,
                address: (String::new(), None),
                client: None,
            });
        }
        let now = self.clock.now();
        let mut limiter = self.lock();
        let client = client.filter(|id| !id.is_empty()).map(|id| {
            let key = client_key(parts, id);
            let decision = limiter.check(category, &key, now);
            (key, decision)
        });
        if let Some((_, Some(decision))) = &client {
            if !decision.allowed {
                return Err(refusal(decision));
            }
        }
        let key = address_key(parts);
        let decision = limiter.check(category, &key, now);
        if let Some(refused) = decision.filter(|decision| !decision.allowed) {
            if let Some((key, Some(charged))) = &client {
                limiter.release(category, key, charged);
            }
            return Err(refusal(&refused));
        }
        Ok(Reservation {
            category,
            address: (key, decision),
            client,
        })
    }

    /// Settles `reservation` once the answer is known: the client pays when the answer
    /// `established` it (a success), the address otherwise, and the other charge is given back.
    /// The headers of the bucket that paid.
    pub(crate) fn settle(&self, reservation: Reservation, established: bool) -> LimitHeaders {
        let Reservation {
            category,
            address,
            client,
        } = reservation;
        let (paid, given_back) = match client {
            Some(client) if established => (client, Some(address)),
            client => (address, client),
        };
        if let Some((key, Some(decision))) = &given_back {
            self.lock().release(category, key, decision);
        }
        paid.1.map(|decision| decision.headers()).unwrap_or_default()
    }
}

/// The `429` of a refused `decision`.
fn refusal(decision: &RateLimitDecision) -> Box<Response> {
    Box::new(respond(decision.too_many_requests_response()))
}

/// The client a request names, not yet authenticated: HTTP Basic's user, else the `client_id`
/// parameter of the form, else the subject of its `client_assertion` (unverified), else the
/// `client_id` of the query.
pub(crate) fn named_client(request: &EndpointRequest<'_>) -> Option<String> {
    request
        .authorization
        .and_then(basic_credentials)
        .map(|(id, _)| id)
        .or_else(|| request.form.and_then(|form| param(form, "client_id")))
        .or_else(|| request.form.and_then(assertion_subject))
        .or_else(|| param(request.query, "client_id"))
}

/// The `sub` of the form's `client_assertion`, read without verifying anything: it only names
/// the bucket a request is charged to once the library has authenticated the client.
fn assertion_subject(form: &str) -> Option<String> {
    let assertion = param(form, "client_assertion")?;
    let payload = assertion.split('.').nth(1)?;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&claims).ok()?;
    claims["sub"].as_str().map(str::to_owned)
}

/// A client's bucket: the client id *and* the caller's address (the address first, since it
/// has no `|`, so that no client id can spell another key).
fn client_key(parts: &Parts, client: &str) -> String {
    format!("client|{}|{client}", peer(parts))
}

/// An address's bucket.
fn address_key(parts: &Parts) -> String {
    format!("address|{}", peer(parts))
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
    fn keys_keep_clients_and_addresses_apart() {
        let parts = axum::http::Request::get("/").body(()).unwrap().into_parts().0;
        assert_eq!(client_key(&parts, "spa"), "client|unknown|spa");
        assert_eq!(address_key(&parts), "address|unknown");
        assert_eq!(unauthenticated_key(&parts), "unauthenticated|unknown");
    }

    #[test]
    fn the_assertion_subject_names_the_client() {
        // {"alg":"HS256"}.{"iss":"0oajwt","sub":"0oajwt"}.signature
        let form = "client_assertion_type=x&client_assertion=eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiIwb2Fqd3QiLCJzdWIiOiIwb2Fqd3QifQ.c2ln";
        assert_eq!(named_client(&EndpointRequest::post(form)).as_deref(), Some("0oajwt"));
        assert_eq!(assertion_subject("client_assertion=not-a-jwt"), None);
    }

    #[test]
    fn a_disabled_limiter_lets_everything_through_and_keeps_no_window() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC)));
        let limiter = Limiter::new(RateLimits::disabled(), clock);
        let parts = axum::http::Request::get("/").body(()).unwrap().into_parts().0;
        for _ in 0..1_000 {
            let reservation = limiter.reserve(category::TOKEN, &parts, Some("0oa1")).unwrap();
            assert!(limiter.settle(reservation, true).is_empty(), "no rate-limit headers");
            assert!(limiter.check(category::TOKEN, "mgmt").unwrap().is_empty());
        }
        assert!(limiter.lock().is_empty(), "no bucket was made");
    }

    #[test]
    fn the_bucket_that_pays_is_the_one_the_answer_established() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC)));
        let limiter = Limiter::new(RateLimits::okta_defaults().with_limit(category::TOKEN, 2), clock);
        let parts = axum::http::Request::get("/").body(()).unwrap().into_parts().0;
        // Failures with made-up ids spend the address: the third is refused.
        for id in ["0oa1", "0oa2"] {
            let reservation = limiter.reserve(category::TOKEN, &parts, Some(id)).unwrap();
            let headers = limiter.settle(reservation, false);
            assert_eq!(headers[0], ("X-Rate-Limit-Limit", "2".to_owned()));
        }
        let refused = limiter.reserve(category::TOKEN, &parts, Some("0oa3")).err().unwrap();
        assert_eq!(refused.status(), 429);

        // Successes spend the client (at that address), and give the address its charge back.
        let other = axum::http::Request::get("/").body(()).unwrap().into_parts().0;
        let mut other = other;
        other
            .extensions
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 1],
                1,
            ))));
        for remaining in ["1", "0"] {
            let reservation = limiter.reserve(category::TOKEN, &other, Some("web")).unwrap();
            assert_eq!(
                limiter.settle(reservation, true)[1],
                ("X-Rate-Limit-Remaining", remaining.to_owned())
            );
        }
        assert_eq!(
            limiter
                .reserve(category::TOKEN, &other, Some("web"))
                .err()
                .unwrap()
                .status(),
            429,
            "the client's bucket is full"
        );
        let reservation = limiter.reserve(category::TOKEN, &other, Some("0oa1")).unwrap();
        assert_eq!(
            limiter.settle(reservation, false)[1],
            ("X-Rate-Limit-Remaining", "1".to_owned()),
            "the address paid nothing for the successes"
        );
        // Exempt categories charge nothing and add no headers.
        let reservation = limiter.reserve(category::KEYS, &other, Some("web")).unwrap();
        assert_eq!(limiter.settle(reservation, true), Vec::new());
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

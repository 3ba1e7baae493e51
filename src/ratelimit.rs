//! Okta-style rate limiting: per-minute counters per endpoint category and client, and the
//! `X-Rate-Limit-*` headers and `429` body Okta answers with (Okta's rate-limit documentation).
//!
//! Like everything that decides in this crate, the limiter is pure and synchronous: it has no
//! clock and no threads, every [`RateLimiter::check`] takes `now`, and the host wraps the limiter
//! in a `Mutex` (one `check` per request is a hash-map lookup).
//!
//! # Okta's behaviour, as modelled here
//!
//! - **Buckets.** A counter belongs to a *bucket key*: an endpoint *category* (host-defined names;
//!   the usual ones are in [`category`], and [`category_for_path`] maps Okta's paths onto them) and
//!   a client *identity* (whatever the host chooses: the `client_id`, an IP address, an API token
//!   id, or a combination such as Okta's client id + IP + device for `/authorize`). Different
//!   clients and different categories never share a counter.
//! - **Windows.** Counters are per-minute windows that are *not* aligned with wall-clock minutes: a
//!   bucket's window starts at its first request and lasts [`RateLimits::window`] (60 s by default).
//!   The first request at or after the window's end starts a new window.
//! - **Headers.** Every limited response carries `X-Rate-Limit-Limit` (the bucket's ceiling),
//!   `X-Rate-Limit-Remaining` (what is left in the current window after this request) and
//!   `X-Rate-Limit-Reset` (UTC epoch **seconds** when the window resets, rounded up so that a
//!   client waiting until then is never early). Example on a refusal: `X-Rate-Limit-Limit: 600`,
//!   `X-Rate-Limit-Remaining: 0`, `X-Rate-Limit-Reset: 1516308966`.
//! - **Refusals** are `429 Too Many Requests` with Okta's `E0000047` error object
//!   ([`too_many_requests_body`]). A refused request is not counted and never moves the window: a
//!   client hammering at the limit is let in again exactly at the reset.
//! - **`Retry-After`** (whole seconds until the reset, at least 1) is added to refusals. This is our
//!   addition: Okta's documentation does not mention it, but RFC 6585 recommends it and HTTP
//!   clients honour it.
//! - **Exemptions.** Okta does not rate-limit `/oauth2/v1/keys` and `/.well-known/*`; the
//!   [`RateLimits::okta_defaults`] preset exempts [`category::KEYS`] and [`category::DISCOVERY`]
//!   (for the org-level paths and their custom-AS equivalents: Okta does not document the latter,
//!   we exempt them too). An exempt category is not counted and [`RateLimiter::check`] answers
//!   `None`: no headers at all, as Okta sends none for those endpoints.
//!
//! Okta's concurrency limits and per-username `/token` limits are not modelled.
//!
//! # Configuration
//!
//! [`RateLimits::disabled`] (the [`Default`]) limits nothing, so tests and embedders are never
//! throttled unless they ask to be. [`RateLimits::okta_defaults`] is an Okta-like preset; the
//! builder methods set a category's limit, the default for unlisted categories and the window.
//!
//! # Memory
//!
//! The limiter holds at most [`RateLimits::capacity`] windows (100 000 by default). A key's
//! identity is stored as given when it is at most [`MAX_IDENTITY_LEN`] bytes long, and as its
//! SHA-256 digest otherwise, so no entry grows with hostile input. Ended windows are dropped
//! lazily: all of them once per window length (on the first check after that time has passed), and
//! whenever a new key finds the table full. If the table is still full after that (more live
//! clients than the capacity), the eighth of the windows that reset soonest is evicted; those
//! clients start a fresh window early. That trade-off keeps every operation amortised O(1) without
//! refusing unknown clients or growing without bound.
//!
//! # Example
//!
//! ```
//! use authserver::ratelimit::{RateLimiter, RateLimits, category, too_many_requests_body};
//! use time::macros::datetime;
//!
//! let mut limiter = RateLimiter::new(RateLimits::okta_defaults().with_limit(category::TOKEN, 2));
//! let now = datetime!(2024-01-18 20:55:06 UTC);
//!
//! let first = limiter.check(category::TOKEN, "0oaclient", now).expect("the token endpoint is limited");
//! assert!(first.allowed);
//! assert_eq!((first.limit, first.remaining), (2, 1));
//! assert!(limiter.check(category::TOKEN, "0oaclient", now).expect("limited").allowed);
//!
//! // The third request in the same minute is refused until the window started by the first ends.
//! let refused = limiter.check(category::TOKEN, "0oaclient", now).expect("limited");
//! assert!(!refused.allowed);
//! assert_eq!(refused.retry_after, Some(60));
//! assert_eq!(
//!     refused.headers(),
//!     vec![
//!         ("X-Rate-Limit-Limit", "2".to_owned()),
//!         ("X-Rate-Limit-Remaining", "0".to_owned()),
//!         ("X-Rate-Limit-Reset", "1705611366".to_owned()),
//!         ("Retry-After", "60".to_owned()),
//!     ]
//! );
//! assert_eq!(too_many_requests_body()["errorCode"], "E0000047");
//!
//! // The signing keys are never limited: no decision, no headers.
//! assert!(limiter.check(category::KEYS, "0oaclient", now).is_none());
//! ```

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::endpoint::EndpointResponse;

/// Well-known endpoint category names. Categories are plain strings, so a host may use its own
/// names too; these are the ones [`RateLimits::okta_defaults`] and [`category_for_path`] use.
pub mod category {
    /// `{issuer}/v1/authorize` (Okta limits it per client: client id + IP + device).
    pub const AUTHORIZE: &str = "authorize";
    /// `{issuer}/v1/token`.
    pub const TOKEN: &str = "token";
    /// `{issuer}/v1/introspect`.
    pub const INTROSPECT: &str = "introspect";
    /// `{issuer}/v1/revoke`.
    pub const REVOKE: &str = "revoke";
    /// `{issuer}/v1/userinfo`.
    pub const USERINFO: &str = "userinfo";
    /// `{issuer}/v1/logout`.
    pub const LOGOUT: &str = "logout";
    /// Other OAuth 2.0 endpoints (`/v1/device/authorize`, `/v1/par`, …).
    pub const OAUTH2: &str = "oauth2";
    /// `{issuer}/v1/keys`: exempt in Okta.
    pub const KEYS: &str = "keys";
    /// `/.well-known/*` and `{issuer}/.well-known/*`: exempt in Okta.
    pub const DISCOVERY: &str = "discovery";
    /// `/api/v1/authn` (primary authentication).
    pub const AUTHN: &str = "authn";
    /// `/api/v1/*` management operations (servers, policies, rules, scopes, claims, clients, …).
    pub const MANAGEMENT: &str = "management";
    /// `/api/v1/logs` (the System Log).
    pub const LOGS: &str = "logs";
    /// Anything else.
    pub const OTHER: &str = "other";
}

/// The `X-Rate-Limit-Limit` header: the ceiling of the request's bucket.
pub const LIMIT_HEADER: &str = "X-Rate-Limit-Limit";
/// The `X-Rate-Limit-Remaining` header: requests left in the current window.
pub const REMAINING_HEADER: &str = "X-Rate-Limit-Remaining";
/// The `X-Rate-Limit-Reset` header: UTC epoch seconds when the window resets.
pub const RESET_HEADER: &str = "X-Rate-Limit-Reset";
/// The `Retry-After` header (RFC 9110 §10.2.3), sent on refusals only: seconds until the reset.
pub const RETRY_AFTER_HEADER: &str = "Retry-After";

/// Okta's error code for a rate-limit refusal.
pub const ERROR_CODE: &str = "E0000047";
/// Okta's `errorSummary` for a rate-limit refusal.
pub const ERROR_SUMMARY: &str = "API call exceeded rate limit due to too many requests.";

/// Identities longer than this many bytes are keyed by their SHA-256 digest.
pub const MAX_IDENTITY_LEN: usize = 256;

/// The default window: one minute, as Okta's.
pub const DEFAULT_WINDOW: Duration = Duration::minutes(1);
/// The default capacity: the most windows a limiter holds at once.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// How a category is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Not limited and not counted: [`RateLimiter::check`] answers `None`.
    Exempt,
    /// At most this many requests per window and bucket. `0` refuses every request (with headers
    /// and a reset like any other refusal), which blocks a category outright.
    PerWindow(u32),
}

/// Rate-limit configuration: a limit per category name, a default for unlisted categories, the
/// window length and the most windows kept in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    categories: HashMap<String, Limit>,
    default_limit: Limit,
    window: Duration,
    capacity: usize,
}

impl Default for RateLimits {
    /// [`RateLimits::disabled`].
    fn default() -> Self {
        Self::disabled()
    }
}

impl RateLimits {
    /// Limits nothing: every category is exempt until the builder methods say otherwise.
    pub fn disabled() -> Self {
        Self {
            categories: HashMap::new(),
            default_limit: Limit::Exempt,
            window: DEFAULT_WINDOW,
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// An Okta-like preset with one-minute windows. The figures are illustrative defaults in the
    /// range Okta documents, not Okta's org-specific limits (which depend on the edition and
    /// contract):
    ///
    /// | Category | Requests per minute per bucket |
    /// |---|---|
    /// | [`category::AUTHORIZE`] | 60 (client-based limiting) |
    /// | [`category::TOKEN`], [`category::INTROSPECT`], [`category::REVOKE`], [`category::USERINFO`], [`category::LOGOUT`], [`category::OAUTH2`] | 600 |
    /// | [`category::AUTHN`], [`category::MANAGEMENT`] | 600 |
    /// | [`category::LOGS`] | 120 |
    /// | [`category::KEYS`], [`category::DISCOVERY`] | exempt |
    /// | anything else | 600 |
    pub fn okta_defaults() -> Self {
        Self::disabled()
            .with_default_limit(Limit::PerWindow(600))
            .with_limit(category::AUTHORIZE, 60)
            .with_limit(category::TOKEN, 600)
            .with_limit(category::INTROSPECT, 600)
            .with_limit(category::REVOKE, 600)
            .with_limit(category::USERINFO, 600)
            .with_limit(category::LOGOUT, 600)
            .with_limit(category::OAUTH2, 600)
            .with_limit(category::AUTHN, 600)
            .with_limit(category::MANAGEMENT, 600)
            .with_limit(category::LOGS, 120)
            .with_exempt(category::KEYS)
            .with_exempt(category::DISCOVERY)
    }

    /// Limits `category` to `limit` requests per window and bucket (`0` refuses every request).
    pub fn with_limit(mut self, category: impl Into<String>, limit: u32) -> Self {
        self.categories.insert(category.into(), Limit::PerWindow(limit));
        self
    }

    /// Exempts `category`: its requests are neither limited nor counted.
    pub fn with_exempt(mut self, category: impl Into<String>) -> Self {
        self.categories.insert(category.into(), Limit::Exempt);
        self
    }

    /// The limit of categories not configured by [`with_limit`](Self::with_limit) or
    /// [`with_exempt`](Self::with_exempt).
    pub fn with_default_limit(mut self, limit: Limit) -> Self {
        self.default_limit = limit;
        self
    }

    /// The window length. Windows shorter than one second (including zero and negative lengths)
    /// are clamped to one second.
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::SECOND);
        self
    }

    /// The most windows a limiter keeps in memory (at least 1); see the module docs.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// The limit that applies to `category`.
    pub fn limit_for(&self, category: &str) -> Limit {
        self.categories.get(category).copied().unwrap_or(self.default_limit)
    }

    /// The window length.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The most windows a limiter keeps in memory.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether nothing is limited: the default and every configured category are exempt.
    pub fn is_disabled(&self) -> bool {
        self.default_limit == Limit::Exempt && self.categories.values().all(|limit| *limit == Limit::Exempt)
    }
}

/// The verdict on one request of a limited category, with what its headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitDecision {
    /// Whether the request may proceed. When `false`, answer `429` with
    /// [`too_many_requests_response`](Self::too_many_requests_response).
    pub allowed: bool,
    /// The bucket's ceiling per window (`X-Rate-Limit-Limit`).
    pub limit: u32,
    /// Requests left in the current window after this one (`X-Rate-Limit-Remaining`); 0 on refusals.
    pub remaining: u32,
    /// When the current window ends and the counter resets.
    pub reset: OffsetDateTime,
    /// On refusals only: whole seconds until [`reset`](Self::reset), at least 1 (`Retry-After`).
    pub retry_after: Option<u64>,
}

impl RateLimitDecision {
    /// [`reset`](Self::reset) as UTC epoch seconds, rounded up (`X-Rate-Limit-Reset`).
    pub fn reset_epoch_seconds(&self) -> i64 {
        let seconds = self.reset.unix_timestamp();
        if self.reset.nanosecond() > 0 {
            seconds.saturating_add(1)
        } else {
            seconds
        }
    }

    /// The response headers, in this order: `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining`,
    /// `X-Rate-Limit-Reset`, and `Retry-After` on refusals.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (LIMIT_HEADER, self.limit.to_string()),
            (REMAINING_HEADER, self.remaining.to_string()),
            (RESET_HEADER, self.reset_epoch_seconds().to_string()),
        ];
        if let Some(seconds) = self.retry_after {
            headers.push((RETRY_AFTER_HEADER, seconds.to_string()));
        }
        headers
    }

    /// Adds [`headers`](Self::headers) to an endpoint's response.
    pub fn apply(&self, mut response: EndpointResponse) -> EndpointResponse {
        response.headers.extend(
            self.headers()
                .into_iter()
                .map(|(name, value)| (name.into(), value.into())),
        );
        response
    }

    /// The `429` response for a refusal: Okta's `E0000047` body (with a fresh `errorId`) and
    /// [`headers`](Self::headers).
    pub fn too_many_requests_response(&self) -> EndpointResponse {
        self.apply(EndpointResponse::json(429, too_many_requests_body()))
    }
}

/// Okta's `429` error object with a fresh `errorId` (generated as for the management API's
/// errors): `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many
/// requests.","errorLink":"E0000047","errorId":"oae…","errorCauses":[]}`.
pub fn too_many_requests_body() -> Value {
    too_many_requests_body_with_id(&crate::admin::ids::new_id("oae", 22, &crate::random::SystemRandom))
}

/// Okta's `429` error object with the given `errorId`.
pub fn too_many_requests_body_with_id(error_id: &str) -> Value {
    json!({
        "errorCode": ERROR_CODE,
        "errorSummary": ERROR_SUMMARY,
        "errorLink": ERROR_CODE,
        "errorId": error_id,
        "errorCauses": [],
    })
}

/// The category of a request path, following Okta's layout: `/.well-known/…` anywhere is
/// [`category::DISCOVERY`]; `/oauth2[/{server}]/v1/{endpoint}` is the endpoint's category
/// ([`category::OAUTH2`] for endpoints without their own); `/api/v1/authn…` is
/// [`category::AUTHN`], `/api/v1/logs…` [`category::LOGS`] and any other `/api/v1/…`
/// [`category::MANAGEMENT`]; everything else is [`category::OTHER`]. A query string is ignored.
pub fn category_for_path(path: &str) -> &'static str {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if path.split('/').any(|segment| segment == ".well-known") {
        return category::DISCOVERY;
    }
    let segments: Vec<&str> = path.split('/').filter(|segment| !segment.is_empty()).take(4).collect();
    match segments.as_slice() {
        // Client registration is part of the management API.
        ["oauth2", "v1", "clients", ..] => category::MANAGEMENT,
        ["oauth2", "v1", endpoint, ..] | ["oauth2", _, "v1", endpoint, ..] => match *endpoint {
            "authorize" => category::AUTHORIZE,
            "token" => category::TOKEN,
            "introspect" => category::INTROSPECT,
            "revoke" => category::REVOKE,
            "userinfo" => category::USERINFO,
            "logout" => category::LOGOUT,
            "keys" => category::KEYS,
            _ => category::OAUTH2,
        },
        ["api", "v1", "authn", ..] => category::AUTHN,
        ["api", "v1", "logs", ..] => category::LOGS,
        ["api", "v1", ..] => category::MANAGEMENT,
        _ => category::OTHER,
    }
}

/// A client identity as stored: as given when short, as its SHA-256 digest when long.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Plain(String),
    Digest([u8; 32]),
}

impl Identity {
    fn new(identity: &str) -> Self {
        if identity.len() <= MAX_IDENTITY_LEN {
            Identity::Plain(identity.to_owned())
        } else {
            Identity::Digest(Sha256::digest(identity.as_bytes()).into())
        }
    }
}

type Key = (String, Identity);

/// One bucket's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    /// When the window ends.
    reset: OffsetDateTime,
    /// Requests allowed in the window.
    count: u32,
}

impl Window {
    fn starting(now: OffsetDateTime, length: Duration) -> Self {
        // Beyond the end of `time`'s calendar the window degenerates to an instant (no limiting)
        // rather than panicking.
        Self {
            reset: now.checked_add(length).unwrap_or(now),
            count: 0,
        }
    }
}

/// Counts requests per (category, identity) in fixed windows and decides whether each may
/// proceed. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct RateLimiter {
    limits: RateLimits,
    windows: HashMap<Key, Window>,
    next_sweep: Option<OffsetDateTime>,
}

impl RateLimiter {
    /// A limiter with no windows yet.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            windows: HashMap::new(),
            next_sweep: None,
        }
    }

    /// The configuration.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Replaces the configuration. Current windows keep their counts and reset times; the new
    /// limits apply from the next check (a bucket already past a lowered limit is refused).
    pub fn set_limits(&mut self, limits: RateLimits) {
        self.limits = limits;
    }

    /// Counts one request of `category` by `identity` at `now` and decides.
    ///
    /// Returns `None` for an exempt category: the request proceeds, is not counted and gets no
    /// rate-limit headers. Otherwise the request is allowed (and counted) while its bucket's window
    /// has room, and refused (not counted, window unchanged) once it is full. A `now` earlier than
    /// the window's start (a clock going backwards) counts in the current window.
    pub fn check(&mut self, category: &str, identity: &str, now: OffsetDateTime) -> Option<RateLimitDecision> {
        let limit = match self.limits.limit_for(category) {
            Limit::Exempt => return None,
            Limit::PerWindow(limit) => limit,
        };
        if self.next_sweep.is_none_or(|at| now >= at) {
            self.sweep(now);
            self.next_sweep = Some(now.checked_add(self.limits.window).unwrap_or(now));
        }
        let key: Key = (category.to_owned(), Identity::new(identity));
        if !self.windows.contains_key(&key) {
            self.make_room(now);
        }
        let length = self.limits.window;
        let window = self.windows.entry(key).or_insert_with(|| Window::starting(now, length));
        if now >= window.reset {
            *window = Window::starting(now, length);
        }
        let allowed = window.count < limit;
        if allowed {
            window.count += 1;
        }
        let retry_after = (!allowed).then(|| seconds_until(now, window.reset));
        Some(RateLimitDecision {
            allowed,
            limit,
            remaining: limit.saturating_sub(window.count),
            reset: window.reset,
            retry_after,
        })
    }

    /// Gives back the request `decision` counted for `category` and `identity`, if it was allowed
    /// and its window is still the current one (a window that has since been replaced starts
    /// from nothing anyway). Returns whether a request was given back.
    ///
    /// This lets a host count a request provisionally before it knows which bucket it belongs
    /// to, and give the charge back to the buckets it did not: the axum adapter charges both
    /// the caller's address and the client a request names, and keeps the client's charge only
    /// when the client authenticated.
    pub fn release(&mut self, category: &str, identity: &str, decision: &RateLimitDecision) -> bool {
        if !decision.allowed {
            return false;
        }
        let key: Key = (category.to_owned(), Identity::new(identity));
        match self.windows.get_mut(&key) {
            Some(window) if window.reset == decision.reset && window.count > 0 => {
                window.count -= 1;
                true
            }
            _ => false,
        }
    }

    /// Drops every window that has ended at `now`; returns how many were dropped. [`check`](Self::check)
    /// calls this by itself (see the module docs); hosts need not.
    pub fn sweep(&mut self, now: OffsetDateTime) -> usize {
        let before = self.windows.len();
        self.windows.retain(|_, window| window.reset > now);
        before - self.windows.len()
    }

    /// How many windows are held.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no window is held.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// Forgets every window (all buckets start afresh).
    pub fn clear(&mut self) {
        self.windows.clear();
        self.next_sweep = None;
    }

    /// Makes room for one new window: drops ended windows and, if the table is still full, evicts
    /// the eighth that resets soonest.
    fn make_room(&mut self, now: OffsetDateTime) {
        let capacity = self.limits.capacity;
        if self.windows.len() < capacity {
            return;
        }
        self.sweep(now);
        if self.windows.len() < capacity {
            return;
        }
        let evict = (capacity / 8).max(1).min(self.windows.len());
        let mut by_reset: Vec<(OffsetDateTime, &Key)> =
            self.windows.iter().map(|(key, window)| (window.reset, key)).collect();
        by_reset.select_nth_unstable_by_key(evict - 1, |(reset, _)| *reset);
        let doomed: Vec<Key> = by_reset[..evict].iter().map(|(_, key)| (*key).clone()).collect();
        for key in doomed {
            self.windows.remove(&key);
        }
    }
}

/// Whole seconds from `now` until `reset`, rounded up, at least 1.
fn seconds_until(now: OffsetDateTime, reset: OffsetDateTime) -> u64 {
    let wait = reset - now;
    let mut seconds = wait.whole_seconds();
    if wait.subsec_nanoseconds() > 0 {
        seconds = seconds.saturating_add(1);
    }
    u64::try_from(seconds).unwrap_or(0).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2018-01-18 20:55:06 UTC);

    fn limiter(limit: u32) -> RateLimiter {
        RateLimiter::new(RateLimits::disabled().with_limit(category::TOKEN, limit))
    }

    fn check(limiter: &mut RateLimiter, identity: &str, now: OffsetDateTime) -> RateLimitDecision {
        limiter.check(category::TOKEN, identity, now).expect("token is limited")
    }

    #[test]
    fn a_released_request_is_given_back_to_its_window_only() {
        let mut limiter = limiter(2);
        let first = check(&mut limiter, "0oa1", T0);
        let second = check(&mut limiter, "0oa1", T0);
        assert!(!check(&mut limiter, "0oa1", T0).allowed, "full");
        assert!(limiter.release(category::TOKEN, "0oa1", &second));
        let again = check(&mut limiter, "0oa1", T0 + Duration::seconds(1));
        assert!(again.allowed, "room again");
        assert_eq!(again.remaining, 0);
        // A refusal was never counted; another identity or category has nothing to give back.
        let refused = check(&mut limiter, "0oa1", T0);
        assert!(!limiter.release(category::TOKEN, "0oa1", &refused));
        assert!(!limiter.release(category::TOKEN, "0oa2", &first));
        assert!(!limiter.release(category::KEYS, "0oa1", &first));
        // A window that has ended and been replaced keeps its new count.
        let later = check(&mut limiter, "0oa1", T0 + Duration::minutes(2));
        assert_eq!(later.remaining, 1);
        assert!(
            !limiter.release(category::TOKEN, "0oa1", &first),
            "an old window's request"
        );
        assert_eq!(check(&mut limiter, "0oa1", T0 + Duration::minutes(2)).remaining, 0);
    }

    #[test]
    fn counts_down_then_refuses_at_the_limit() {
        let mut limiter = limiter(3);
        for (i, remaining) in [2, 1, 0].into_iter().enumerate() {
            let decision = check(&mut limiter, "0oa1", T0 + Duration::seconds(i as i64));
            assert!(decision.allowed);
            assert_eq!(decision.limit, 3);
            assert_eq!(decision.remaining, remaining);
            assert_eq!(decision.reset, T0 + Duration::minutes(1));
            assert_eq!(decision.retry_after, None);
        }
        let refused = check(&mut limiter, "0oa1", T0 + Duration::seconds(20));
        assert!(!refused.allowed);
        assert_eq!(refused.limit, 3);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.retry_after, Some(40));
        // Okta's example: reset 1516308966 is T0 + 60 s.
        assert_eq!(refused.reset_epoch_seconds(), 1_516_308_966);
    }

    #[test]
    fn window_rolls_over_exactly_at_reset() {
        let mut limiter = limiter(1);
        assert!(check(&mut limiter, "0oa1", T0).allowed);
        let just_before = T0 + Duration::minutes(1) - Duration::nanoseconds(1);
        let refused = check(&mut limiter, "0oa1", just_before);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Some(1));
        let at_reset = check(&mut limiter, "0oa1", T0 + Duration::minutes(1));
        assert!(at_reset.allowed);
        assert_eq!(at_reset.remaining, 0);
        assert_eq!(at_reset.reset, T0 + Duration::minutes(2));
    }

    #[test]
    fn windows_start_at_the_first_request_not_the_wall_clock_minute() {
        let mut limiter = limiter(5);
        let first = T0 + Duration::milliseconds(37_250);
        let decision = check(&mut limiter, "0oa1", first);
        assert_eq!(decision.reset, first + Duration::minutes(1));
        // Rounded up: 20:56:43.25 resets at epoch second …:44.
        assert_eq!(decision.reset_epoch_seconds(), 1_516_308_966 + 38);
        // A later request reports the same window.
        assert_eq!(
            check(&mut limiter, "0oa1", first + Duration::seconds(59)).reset,
            decision.reset
        );
    }

    #[test]
    fn refused_requests_do_not_extend_the_window() {
        let mut limiter = limiter(2);
        assert!(check(&mut limiter, "0oa1", T0).allowed);
        assert!(check(&mut limiter, "0oa1", T0).allowed);
        for second in 1..60 {
            let refused = check(&mut limiter, "0oa1", T0 + Duration::seconds(second));
            assert!(!refused.allowed);
            assert_eq!(refused.remaining, 0);
            assert_eq!(refused.reset, T0 + Duration::minutes(1));
            assert_eq!(refused.retry_after, Some((60 - second) as u64));
        }
        let next = check(&mut limiter, "0oa1", T0 + Duration::minutes(1));
        assert!(next.allowed);
        assert_eq!(next.remaining, 1, "refusals were not counted into the new window");
    }

    #[test]
    fn buckets_are_per_client_and_per_category() {
        let limits = RateLimits::disabled()
            .with_limit(category::TOKEN, 1)
            .with_limit(category::INTROSPECT, 1);
        let mut limiter = RateLimiter::new(limits);
        assert!(check(&mut limiter, "0oa1", T0).allowed);
        assert!(!check(&mut limiter, "0oa1", T0).allowed);
        assert!(
            check(&mut limiter, "0oa2", T0).allowed,
            "another client has its own bucket"
        );
        let other = limiter.check(category::INTROSPECT, "0oa1", T0).expect("limited");
        assert!(other.allowed, "another category has its own bucket");
        assert_eq!(limiter.len(), 3);
    }

    #[test]
    fn disabled_config_never_refuses() {
        let mut limiter = RateLimiter::default();
        assert!(limiter.limits().is_disabled());
        assert_eq!(RateLimits::default(), RateLimits::disabled());
        for i in 0..1_000 {
            for name in [category::TOKEN, category::AUTHORIZE, "anything"] {
                assert_eq!(limiter.check(name, "0oa1", T0 + Duration::milliseconds(i)), None);
            }
        }
        assert!(limiter.is_empty());
        assert!(!RateLimits::okta_defaults().is_disabled());
    }

    #[test]
    fn exempt_categories_are_not_limited_or_counted() {
        let mut limiter = RateLimiter::new(RateLimits::okta_defaults().with_exempt("health"));
        for _ in 0..10_000 {
            assert_eq!(limiter.check(category::KEYS, "0oa1", T0), None);
            assert_eq!(limiter.check(category::DISCOVERY, "0oa1", T0), None);
            assert_eq!(limiter.check("health", "0oa1", T0), None);
        }
        assert!(limiter.is_empty());
        // Unlisted categories take the default limit.
        let other = limiter.check("unlisted", "0oa1", T0).expect("default limit");
        assert_eq!((other.limit, other.remaining), (600, 599));
        // An exempt default with one limited category.
        let limits = RateLimits::disabled().with_limit(category::TOKEN, 1);
        assert_eq!(limits.limit_for(category::TOKEN), Limit::PerWindow(1));
        assert_eq!(limits.limit_for(category::USERINFO), Limit::Exempt);
    }

    #[test]
    fn okta_defaults_preset() {
        let limits = RateLimits::okta_defaults();
        assert_eq!(limits.window(), Duration::minutes(1));
        assert_eq!(limits.limit_for(category::AUTHORIZE), Limit::PerWindow(60));
        assert_eq!(limits.limit_for(category::TOKEN), Limit::PerWindow(600));
        assert_eq!(limits.limit_for(category::MANAGEMENT), Limit::PerWindow(600));
        assert_eq!(limits.limit_for(category::KEYS), Limit::Exempt);
        assert_eq!(limits.limit_for(category::DISCOVERY), Limit::Exempt);
        let overridden = limits.with_limit(category::KEYS, 5);
        assert_eq!(overridden.limit_for(category::KEYS), Limit::PerWindow(5));
    }

    #[test]
    fn headers_have_exact_names_and_values() {
        let mut limiter = limiter(1);
        let allowed = check(&mut limiter, "0oa1", T0);
        assert_eq!(
            allowed.headers(),
            vec![
                ("X-Rate-Limit-Limit", "1".to_owned()),
                ("X-Rate-Limit-Remaining", "0".to_owned()),
                ("X-Rate-Limit-Reset", "1516308966".to_owned()),
            ]
        );
        let refused = check(&mut limiter, "0oa1", T0 + Duration::milliseconds(500));
        assert_eq!(
            refused.headers(),
            vec![
                ("X-Rate-Limit-Limit", "1".to_owned()),
                ("X-Rate-Limit-Remaining", "0".to_owned()),
                ("X-Rate-Limit-Reset", "1516308966".to_owned()),
                ("Retry-After", "60".to_owned()),
            ]
        );
    }

    #[test]
    fn too_many_requests_body_has_oktas_shape() {
        assert_eq!(
            too_many_requests_body_with_id("oaetdtoG383SIGVNZ0UKgtRug"),
            serde_json::json!({
                "errorCode": "E0000047",
                "errorSummary": "API call exceeded rate limit due to too many requests.",
                "errorLink": "E0000047",
                "errorId": "oaetdtoG383SIGVNZ0UKgtRug",
                "errorCauses": []
            })
        );
        let body = too_many_requests_body();
        let id = body["errorId"].as_str().expect("errorId is a string");
        assert!(id.starts_with("oae") && id.len() == 25 && id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(too_many_requests_body()["errorId"], body["errorId"]);
        assert_eq!(body["errorCauses"], serde_json::json!([]));
    }

    #[test]
    fn too_many_requests_response_carries_status_body_and_headers() {
        let mut limiter = limiter(0);
        let refused = check(&mut limiter, "0oa1", T0);
        let response = refused.too_many_requests_response();
        assert_eq!(response.status, 429);
        assert_eq!(response.header("content-type"), Some("application/json;charset=UTF-8"));
        assert_eq!(response.header("x-rate-limit-remaining"), Some("0"));
        assert_eq!(response.header("retry-after"), Some("60"));
        let body = response.json_body().expect("a JSON body");
        assert_eq!(body["errorCode"], "E0000047");
        let mut limiter = RateLimiter::new(RateLimits::disabled().with_limit("x", 7));
        let decision = limiter.check("x", "c", T0).expect("limited");
        let applied = decision.apply(EndpointResponse::json(200, serde_json::json!({})));
        assert_eq!(applied.status, 200);
        assert_eq!(applied.header("X-Rate-Limit-Limit"), Some("7"));
        assert_eq!(applied.header("X-Rate-Limit-Remaining"), Some("6"));
        assert_eq!(applied.header("Retry-After"), None);
    }

    #[test]
    fn zero_limit_refuses_everything() {
        let mut limiter = limiter(0);
        for second in 0..3 {
            let refused = check(&mut limiter, "0oa1", T0 + Duration::seconds(second));
            assert!(!refused.allowed);
            assert_eq!((refused.limit, refused.remaining), (0, 0));
            assert_eq!(refused.reset, T0 + Duration::minutes(1));
        }
        assert!(!check(&mut limiter, "0oa1", T0 + Duration::minutes(1)).allowed);
    }

    #[test]
    fn window_length_is_configurable_and_clamped() {
        let limits = RateLimits::disabled().with_limit(category::TOKEN, 1);
        assert_eq!(limits.clone().with_window(Duration::ZERO).window(), Duration::SECOND);
        assert_eq!(
            limits.clone().with_window(Duration::seconds(-5)).window(),
            Duration::SECOND
        );
        assert_eq!(
            limits.clone().with_window(Duration::milliseconds(10)).window(),
            Duration::SECOND
        );
        let mut limiter = RateLimiter::new(limits.with_window(Duration::seconds(10)));
        assert_eq!(check(&mut limiter, "0oa1", T0).reset, T0 + Duration::seconds(10));
        assert!(!check(&mut limiter, "0oa1", T0 + Duration::seconds(9)).allowed);
        assert!(check(&mut limiter, "0oa1", T0 + Duration::seconds(10)).allowed);
    }

    #[test]
    fn clock_going_backwards_stays_in_the_current_window() {
        let mut limiter = limiter(2);
        assert!(check(&mut limiter, "0oa1", T0).allowed);
        let earlier = check(&mut limiter, "0oa1", T0 - Duration::seconds(30));
        assert!(earlier.allowed);
        assert_eq!(earlier.remaining, 0);
        assert_eq!(earlier.reset, T0 + Duration::minutes(1), "the window did not move");
        let refused = check(&mut limiter, "0oa1", T0 - Duration::hours(1));
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Some(3_660), "honest time until the reset");
        assert!(check(&mut limiter, "0oa1", T0 + Duration::minutes(1)).allowed);
    }

    #[test]
    fn ended_windows_are_swept_once_per_window() {
        let mut limiter = limiter(5);
        for i in 0..100 {
            check(&mut limiter, &format!("client{i}"), T0);
        }
        assert_eq!(limiter.len(), 100);
        // Within the window nothing is swept.
        check(&mut limiter, "late", T0 + Duration::seconds(30));
        assert_eq!(limiter.len(), 101);
        // The first check a window later drops every ended window.
        check(&mut limiter, "next", T0 + Duration::seconds(61));
        assert_eq!(limiter.len(), 2, "`late` is still live, `next` is new");
        assert_eq!(limiter.sweep(T0 + Duration::minutes(10)), 2);
        assert!(limiter.is_empty());
    }

    #[test]
    fn capacity_bounds_memory() {
        let limits = RateLimits::disabled().with_limit(category::TOKEN, 1).with_capacity(16);
        let mut limiter = RateLimiter::new(limits);
        // Live windows beyond the capacity: the soonest-resetting eighth is evicted.
        for i in 0..1_000 {
            let decision = check(&mut limiter, &format!("client{i}"), T0 + Duration::milliseconds(i));
            assert!(decision.allowed);
            assert!(limiter.len() <= 16);
        }
        // The latest client is still tracked.
        assert!(!check(&mut limiter, "client999", T0 + Duration::seconds(1)).allowed);
        // Ended windows are reclaimed before anything live is evicted.
        let later = T0 + Duration::minutes(5);
        limiter.clear();
        for i in 0..16 {
            check(&mut limiter, &format!("old{i}"), T0);
        }
        check(&mut limiter, "fresh", later);
        assert_eq!(limiter.len(), 1);
        assert_eq!(RateLimits::disabled().with_capacity(0).capacity(), 1);
    }

    #[test]
    fn capacity_of_one_keeps_working() {
        let mut limiter = RateLimiter::new(RateLimits::disabled().with_limit(category::TOKEN, 1).with_capacity(1));
        assert!(check(&mut limiter, "a", T0).allowed);
        assert!(check(&mut limiter, "b", T0).allowed);
        assert_eq!(limiter.len(), 1);
        assert!(!check(&mut limiter, "b", T0).allowed);
    }

    #[test]
    fn long_identities_are_digested_and_still_distinct() {
        let mut limiter = limiter(1);
        let long_a = "a".repeat(10_000);
        let mut long_b = long_a.clone();
        long_b.push('b');
        assert!(check(&mut limiter, &long_a, T0).allowed);
        assert!(!check(&mut limiter, &long_a, T0).allowed);
        assert!(check(&mut limiter, &long_b, T0).allowed);
        assert!(
            limiter
                .windows
                .keys()
                .all(|(_, identity)| matches!(identity, Identity::Digest(_)))
        );
        let exact = "x".repeat(MAX_IDENTITY_LEN);
        assert!(check(&mut limiter, &exact, T0).allowed);
        assert!(
            limiter
                .windows
                .contains_key(&(category::TOKEN.to_owned(), Identity::Plain(exact)))
        );
    }

    #[test]
    fn lowered_limits_apply_to_live_windows() {
        let mut limiter = limiter(5);
        for _ in 0..3 {
            check(&mut limiter, "0oa1", T0);
        }
        limiter.set_limits(RateLimits::disabled().with_limit(category::TOKEN, 2));
        let refused = check(&mut limiter, "0oa1", T0);
        assert!(!refused.allowed);
        assert_eq!((refused.limit, refused.remaining), (2, 0));
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let mut limiter = limiter(1);
        let end = datetime!(9999-12-31 23:59:59.999 UTC);
        assert!(check(&mut limiter, "0oa1", end).allowed);
        check(&mut limiter, "0oa1", end);
        let start = datetime!(-9999-01-01 0:00 UTC);
        let decision = check(&mut limiter, "0oa1", start);
        assert!(decision.retry_after.is_none_or(|seconds| seconds >= 1));
        assert_eq!(seconds_until(T0, T0 - Duration::seconds(5)), 1);
    }

    #[test]
    fn paths_map_to_categories() {
        for (path, expected) in [
            ("/oauth2/default/v1/authorize", category::AUTHORIZE),
            ("/oauth2/v1/authorize?client_id=x", category::AUTHORIZE),
            ("/oauth2/aus1/v1/token", category::TOKEN),
            ("/oauth2/default/v1/introspect", category::INTROSPECT),
            ("/oauth2/default/v1/revoke", category::REVOKE),
            ("/oauth2/default/v1/userinfo", category::USERINFO),
            ("/oauth2/default/v1/logout", category::LOGOUT),
            ("/oauth2/v1/keys", category::KEYS),
            ("/oauth2/default/v1/keys", category::KEYS),
            ("/oauth2/default/v1/device/authorize", category::OAUTH2),
            ("/oauth2/v1/clients", category::MANAGEMENT),
            ("/.well-known/openid-configuration", category::DISCOVERY),
            (
                "/.well-known/oauth-authorization-server/oauth2/default",
                category::DISCOVERY,
            ),
            (
                "/oauth2/default/.well-known/oauth-authorization-server",
                category::DISCOVERY,
            ),
            ("/api/v1/authn", category::AUTHN),
            ("/api/v1/authn/factors", category::AUTHN),
            ("/api/v1/logs?since=x", category::LOGS),
            ("/api/v1/authorizationServers/default/policies", category::MANAGEMENT),
            ("/", category::OTHER),
            ("", category::OTHER),
            ("/login/login.htm", category::OTHER),
        ] {
            assert_eq!(category_for_path(path), expected, "{path}");
        }
    }
}

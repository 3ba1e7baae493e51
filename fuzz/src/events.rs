//! The `system_log_filter` target's input format and sample events.
//!
//! An input is one byte saying what the rest is, then text:
//! - `F` + a filter expression, parsed with `EventFilter::parse` and matched against every sample
//!   event;
//! - `Q` + a query string, answered by `system_log::handle` over a log of the sample events (the
//!   `filter`, `q`, `since`, `until`, `limit` and `sortOrder` parameters).

use authserver::event::{Entity, Event, MemoryEventLog, Severity};
use serde_json::json;
use time::OffsetDateTime;
use time::macros::datetime;

/// The instant the sample log is queried at.
pub const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

/// Events with every attribute a filter can name: actors, clients, targets, nested and array
/// debug data, each severity and outcome.
pub fn sample_events() -> Vec<Event> {
    let at = |minutes: i64| NOW - time::Duration::minutes(minutes);
    let mut events = vec![
        Event::failure(
            "app.oauth2.as.token.grant",
            "OAuth2 token request refused",
            "no_matching_policy",
            "Policy evaluation failed",
            at(5),
        )
        .with_client("0oa1")
        .with_actor(Entity {
            alternate_id: Some("jane@example.com".into()),
            ..Entity::new("User", "00u1")
        })
        .with_target(Entity::new("AuthorizationServer", "default"))
        .with_target(Entity {
            display_name: Some("Default Policy".into()),
            ..Entity::new("Policy", "00p1")
        })
        .with_detail("requestedScopes", ["openid", "payments:read"])
        .with_detail("attempt", 3)
        .with_detail("ratio", 0.5)
        .with_detail("flag", true)
        .with_detail("nested", json!({"grant": {"type": "password"}, "list": [{"a": "b"}]}))
        .with_detail("dotted.key", "dots")
        .with_detail("quote", "say \"hi\"\\now \u{e9}")
        .with_severity(Severity::Warn),
        Event::success("app.oauth2.as.token.grant.access_token", "Access token minted", at(3)).with_client("0oa2"),
        Event::success("user.session.start", "User login", at(60 * 24 * 8)).with_severity(Severity::Info),
        Event::failure("app.oauth2.as.authorize", "refused", "", "", at(1)).with_severity(Severity::Error),
        Event::success("", "", at(0)).with_severity(Severity::Info),
    ];
    for (i, event) in events.iter_mut().enumerate() {
        event.uuid = format!("00000000-0000-4000-8000-00000000000{i}");
    }
    events
}

/// A log holding [`sample_events`].
pub fn sample_log() -> MemoryEventLog {
    use authserver::event::EventSink as _;
    let log = MemoryEventLog::default();
    for event in sample_events() {
        log.record(event);
    }
    log
}

/// A corpus entry for the filter `source`.
pub fn filter_input(source: &str) -> Vec<u8> {
    [b"F".as_slice(), source.as_bytes()].concat()
}

/// Corpus entries for the query half, in the format above.
pub fn query_seeds() -> Vec<String> {
    [
        "filter=outcome.result+eq+%22FAILURE%22&limit=20",
        "filter=outcome.result+eqq+%22FAILURE%22",
        "filter=eventType%20sw%20%22app%22&sortOrder=DESCENDING&limit=2",
        "since=2026-11-22T00:00:00Z&until=now",
        "since=2026-11-22T01:00:00+01:00&until=2026-11-22T11:59:00.000Z",
        "since=2020-01-01T00:00:00Z",
        "q=token+refused&limit=1000",
        "q=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "limit=-1",
        "sortOrder=sideways",
        "after=abc",
        "?filter=severity+ge+%22WARN%22",
        "until=not-a-date",
    ]
    .iter()
    .map(|query| format!("Q{query}"))
    .collect()
}

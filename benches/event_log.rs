//! The memory event log on a full log (10,000 events, its default): recording an event, which
//! pushes out the oldest, and answering System Log queries, which match events in place and unpack
//! those they return.
//! The events are the two a `client_credentials` grant records.
//!
//! `cargo bench --bench event_log`

use std::hint::black_box;

use authserver::event::{Entity, Event, EventFilter, EventQuery, EventSink, MemoryEventLog, SortOrder};
use criterion::{Criterion, criterion_group, criterion_main};
use time::{Duration, OffsetDateTime};

/// The policy decision and the token grant of request `n`, published `n` milliseconds after
/// `start`.
fn grant_events(n: u64, start: OffsetDateTime) -> [Event; 2] {
    let now = start + Duration::milliseconds(i64::try_from(n).unwrap_or(i64::MAX));
    let scopes = ["payments:read", "payments:write"];
    let policy = Event::success(
        "app.oauth2.as.evaluate_policy",
        "OAuth2 access policy evaluated: granted",
        now,
    )
    .with_target(Entity {
        display_name: Some("Default Policy".to_owned()),
        ..Entity::new("Policy", "00pdefaultpolicy0001")
    })
    .with_target(Entity {
        display_name: Some("Default Policy Rule".to_owned()),
        ..Entity::new("Rule", "0prdefaultrule000001")
    })
    .with_detail("grantedScopes", scopes)
    .with_client("0oaservice0000000001")
    .with_detail("grantType", "client_credentials")
    .with_detail("requestedScopes", scopes)
    .with_actor(Entity::new("PublicClientApp", "0oaservice0000000001"))
    .with_target(Entity::new("AuthorizationServer", "default"));
    let grant = Event::success("app.oauth2.as.token.grant", "OAuth2 tokens granted", now)
        .with_client("0oaservice0000000001")
        .with_target(Entity::new("AuthorizationServer", "default"))
        .with_target(Entity::new("Grant", format!("grant{n:016}")))
        .with_detail("grantType", "client_credentials")
        .with_detail("grantedScopes", scopes)
        .with_detail("tokens", ["access_token"])
        .with_actor(Entity::new("PublicClientApp", "0oaservice0000000001"));
    [policy, grant]
}

fn event_log(c: &mut Criterion) {
    let start = OffsetDateTime::now_utc();
    let log = MemoryEventLog::default();
    for n in 0..5_000 {
        grant_events(n, start).into_iter().for_each(|event| log.record(event));
    }
    assert_eq!(log.len(), 10_000);

    let mut group = c.benchmark_group("memory event log, 10,000 events");
    let mut n = 5_000;
    group.bench_function("record a grant's two events (building them included)", |b| {
        b.iter(|| {
            n += 1;
            grant_events(n, start).into_iter().for_each(|event| log.record(event));
        })
    });
    let newest = EventQuery {
        limit: Some(100),
        order: SortOrder::Descending,
        ..Default::default()
    };
    group.bench_function("query: the newest 100", |b| b.iter(|| log.query(black_box(&newest))));
    let filtered = EventQuery {
        filter: Some(
            EventFilter::parse(r#"eventType eq "app.oauth2.as.token.grant" and client.id eq "0oaother""#)
                .expect("filter"),
        ),
        ..Default::default()
    };
    group.bench_function("query: a filter no event matches (all 10,000 read)", |b| {
        b.iter(|| log.query(black_box(&filtered)))
    });
    group.finish();
}

criterion_group!(benches, event_log);
criterion_main!(benches);

//! The SQL event log against SQLite and PostgreSQL: queries, the System Log API over it (the same
//! answers as over a memory log), durability after a flush and across reopening, and the answer
//! when the database is gone.
//!
//! Every test runs on one shared multi-threaded runtime rather than one runtime per test: the
//! support module keeps one PostgreSQL admin pool per test binary, whose connections belong to
//! the runtime that opened them.

mod sql_support;

use authserver::event::{
    Entity, Event, EventLog, EventQuery, EventSink, MemoryEventLog, OutcomeResult, Severity, SortOrder, system_log,
};
use authserver::store::sql::{SqlDatabase, SqlEventLog};
use sql_support::{Databases, block_on, kek, options};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-11-22 12:00 UTC);

const TYPES: [&str; 5] = [
    "app.oauth2.as.token.grant.access_token",
    "app.oauth2.as.token.grant",
    "app.oauth2.as.authorize",
    "app.oauth2.as.token.detect_reuse",
    "app.oauth2.as.tokenx",
];

/// 60 events over the last two hours, three at each instant, a few recorded out of order.
fn fixture() -> Vec<Event> {
    let mut events: Vec<Event> = (0..60_i64)
        .map(|i| {
            let at = NOW - Duration::hours(2) + Duration::minutes(2 * (i / 3)) + Duration::nanoseconds(i / 3);
            let kind = TYPES[(i % 5) as usize];
            let event = if i % 4 == 1 {
                Event::failure(kind, format!("refused {i}"), "no_matching_policy", "Policy refused", at)
            } else {
                Event::success(kind, format!("granted {i}"), at)
            };
            let event = if kind.ends_with("detect_reuse") {
                event.with_severity(Severity::Warn)
            } else {
                event
            };
            event
                .with_actor(Entity::new("User", format!("00u{}", i % 3)))
                .with_client(format!("0oa{}", i % 2))
                .with_target(Entity::new("AuthorizationServer", "default"))
                .with_detail("index", i)
        })
        .collect();
    events.swap(10, 40);
    events.swap(21, 22);
    events
}

async fn query(log: &SqlEventLog, query: EventQuery) -> Vec<Event> {
    EventLog::query(log, &query).await.expect("the query answers")
}

fn indexes(events: &[Event]) -> Vec<i64> {
    events
        .iter()
        .map(|event| event.debug_context.debug_data["index"].as_i64().expect("an index"))
        .collect()
}

#[test]
fn queries_filter_and_order_like_the_memory_log() {
    block_on(async {
        for databases in Databases::all() {
            eprintln!("event queries on {}", databases.name());
            let db = databases.fresh().await;
            let log = db.event_log();
            let memory = MemoryEventLog::default();
            for event in fixture() {
                memory.record(event.clone());
                log.record(event);
            }

            let queries = [
                EventQuery::default(),
                EventQuery {
                    outcome: Some(OutcomeResult::Failure),
                    ..EventQuery::default()
                },
                EventQuery {
                    event_type: Some("app.oauth2.as.token".into()),
                    ..EventQuery::default()
                },
                EventQuery {
                    since: Some(NOW - Duration::minutes(90)),
                    until: Some(NOW - Duration::minutes(60) + Duration::nanoseconds(15)),
                    ..EventQuery::default()
                },
                EventQuery {
                    limit: Some(7),
                    ..EventQuery::default()
                },
                EventQuery {
                    limit: Some(7),
                    order: SortOrder::Descending,
                    ..EventQuery::default()
                },
                EventQuery {
                    outcome: Some(OutcomeResult::Success),
                    event_type: Some("app.oauth2.as.authorize".into()),
                    order: SortOrder::Descending,
                    ..EventQuery::default()
                },
                system_log::parse_query("filter=severity+ge+%22WARN%22+or+actor.id+eq+%2200u2%22", NOW).unwrap(),
                system_log::parse_query("q=refused+0oa1&sortOrder=DESCENDING", NOW).unwrap(),
            ];
            for wanted in queries {
                let found = query(&log, wanted.clone()).await;
                assert_eq!(found, memory.query(&wanted), "{}: {wanted:?}", databases.name());
            }

            let all = query(&log, EventQuery::default()).await;
            assert_eq!(all.len(), 60);
            assert!(all.is_sorted_by_key(|event| event.published), "oldest first");
            assert_eq!(&indexes(&all)[..6], [0, 1, 2, 3, 4, 5], "same instant: recorded order");
            assert_eq!(&indexes(&all)[18..24], [18, 19, 20, 22, 21, 23], "swapped recording");
            let newest = query(
                &log,
                EventQuery {
                    order: SortOrder::Descending,
                    limit: Some(3),
                    ..EventQuery::default()
                },
            )
            .await;
            assert_eq!(indexes(&newest), [59, 58, 57]);
            let failures = query(
                &log,
                EventQuery {
                    outcome: Some(OutcomeResult::Failure),
                    ..EventQuery::default()
                },
            )
            .await;
            assert_eq!(failures.len(), 15);
            assert!(
                failures
                    .iter()
                    .all(|event| event.outcome.result == OutcomeResult::Failure)
            );
            let prefix = query(
                &log,
                EventQuery {
                    event_type: Some("app.oauth2.as.token".into()),
                    ..EventQuery::default()
                },
            )
            .await;
            assert_eq!(prefix.len(), 36, "whole segments: not app.oauth2.as.tokenx");
            let filtered = query(
                &log,
                system_log::parse_query("filter=eventType+eq+%22app.oauth2.as.tokenx%22&q=00u1", NOW).unwrap(),
            )
            .await;
            assert!(filtered.iter().all(|event| event.event_type == "app.oauth2.as.tokenx"
                && event.actor.as_ref().is_some_and(|actor| actor.id == "00u1")));
            assert_eq!(filtered.len(), 4);
            assert_eq!(log.dropped(), 0);
            db.close().await;
        }
    });
}

#[test]
fn the_system_log_api_answers_as_over_a_memory_log() {
    block_on(async {
        for databases in Databases::all() {
            eprintln!("System Log API on {}", databases.name());
            let db = databases.fresh().await;
            let log = db.event_log();
            let memory = MemoryEventLog::default();
            for event in fixture() {
                memory.record(event.clone());
                log.record(event);
            }
            for raw in [
                "",
                "sortOrder=DESCENDING",
                "limit=3",
                "limit=3&sortOrder=DESCENDING",
                "limit=0",
                "filter=outcome.result+eq+%22FAILURE%22",
                "filter=eventType sw \"app.oauth2.as.token\" and severity ge \"WARN\"",
                "filter=client.id eq \"0oa1\"&sortOrder=DESCENDING&limit=4",
                "q=00u2",
                "q=refused+token",
                "since=2026-11-22T10:30:00Z&until=2026-11-22T11:00:00.000Z",
                "until=2026-11-22T10:20:00Z",
                "filter=eventType+eqq+%22x%22",
                "since=foobar",
                "after=1",
            ] {
                let expected = system_log::handle(&memory, raw, NOW);
                let answered = system_log::answer(&log, raw, NOW).await;
                assert_eq!(answered.status, expected.status, "{}: {raw}", databases.name());
                let (body, expected_body) = (answered.body.unwrap(), expected.body.unwrap());
                if expected.status == 200 {
                    assert_eq!(body, expected_body, "{}: {raw}", databases.name());
                } else {
                    assert_eq!(body["errorCode"], expected_body["errorCode"], "{raw}");
                    assert_eq!(body["errorSummary"], expected_body["errorSummary"], "{raw}");
                }
            }
            let page = system_log::answer(&log, "limit=2&sortOrder=DESCENDING", NOW).await;
            let page = page.body.unwrap();
            assert_eq!(page.as_array().map(Vec::len), Some(2));
            assert_eq!(page[0]["debugContext"]["debugData"]["index"], 59);
            db.close().await;
        }
    });
}

#[test]
fn flushed_events_are_durable_and_survive_reopening() {
    block_on(async {
        for databases in Databases::all() {
            eprintln!("event durability on {}", databases.name());
            let url = databases.fresh_url().await;
            let db = SqlDatabase::connect_with(&url, kek(), options()).await.unwrap();
            let log = db.event_log();
            let other_log = db.event_log();
            for i in 0..2000_i64 {
                let event = Event::success(
                    "app.oauth2.as.token.grant",
                    "granted",
                    NOW - Duration::seconds(2000 - i),
                )
                .with_detail("index", i);
                let through = if i % 2 == 0 { &log } else { &other_log };
                through.record(event);
            }
            log.flush().await.unwrap();

            let second = SqlDatabase::connect_with(&url, kek(), options()).await.unwrap();
            let seen = query(&second.event_log(), EventQuery::default()).await;
            assert_eq!(
                seen.len(),
                2000,
                "{}: another instance sees every event",
                databases.name()
            );
            assert_eq!(indexes(&seen), (0..2000).collect::<Vec<_>>());
            second.close().await;
            db.close().await;

            let reopened = SqlDatabase::connect_with(&url, kek(), options()).await.unwrap();
            let log = reopened.event_log();
            let after = query(&log, EventQuery::default()).await;
            assert_eq!(after.len(), 2000, "{}: events survive reopening", databases.name());
            assert_eq!(after, seen);
            assert_eq!(
                log.purge_older_than(NOW - Duration::seconds(1000)).await.unwrap(),
                1000,
                "retention"
            );
            assert_eq!(query(&log, EventQuery::default()).await.len(), 1000);
            reopened.close().await;
        }
    });
}

#[test]
fn a_closed_database_answers_500() {
    block_on(async {
        for databases in Databases::all() {
            eprintln!("closed database on {}", databases.name());
            let db = databases.fresh().await;
            let log = db.event_log();
            log.record(Event::success(
                "app.oauth2.as.authorize",
                "granted",
                NOW - Duration::minutes(1),
            ));
            assert_eq!(system_log::answer(&log, "", NOW).await.status, 200);
            db.close().await;
            let response = system_log::answer(&log, "", NOW).await;
            assert_eq!(response.status, 500, "{}", databases.name());
            assert_eq!(response.body.unwrap()["errorCode"], "E0000009");
            log.record(Event::success("app.oauth2.as.authorize", "granted", NOW));
            assert!(log.flush().await.is_err(), "nothing can be written any more");
            let response = system_log::answer(&log, "", NOW).await;
            assert_eq!(response.status, 500);
        }
    });
}

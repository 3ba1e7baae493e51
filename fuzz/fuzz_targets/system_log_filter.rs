//! System Log filters and queries (format in `src/events.rs`): `EventFilter::parse` on any text
//! and matching against sample events, and `system_log::handle` on any query string.
//!
//! Oracles for a filter `X` that parses: `not (X)` matches exactly the events `X` does not,
//! `(X)` matches the same events as `X`, and the filter keeps its source.
#![no_main]

use std::sync::OnceLock;

use authserver::event::{Event, EventFilter, MemoryEventLog, system_log};
use authserver_fuzz::events::{NOW, sample_events, sample_log};
use libfuzzer_sys::fuzz_target;

static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
static LOG: OnceLock<MemoryEventLog> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match kind {
        b'Q' => {
            let response = system_log::handle(LOG.get_or_init(sample_log), text, NOW);
            assert!(matches!(response.status, 200 | 400), "status {}", response.status);
        }
        _ => {
            let events = EVENTS.get_or_init(sample_events);
            let Ok(filter) = EventFilter::parse(text) else {
                return;
            };
            assert_eq!(filter.as_str(), text);
            let matched: Vec<bool> = events.iter().map(|event| filter.matches(event)).collect();
            if let Ok(negated) = EventFilter::parse(&format!("not ({text})")) {
                for (event, matched) in events.iter().zip(&matched) {
                    assert_eq!(negated.matches(event), !matched, "not ({text}) on {}", event.uuid);
                }
            }
            if let Ok(grouped) = EventFilter::parse(&format!("({text})")) {
                for (event, matched) in events.iter().zip(&matched) {
                    assert_eq!(grouped.matches(event), *matched, "({text}) on {}", event.uuid);
                }
            }
        }
    }
});

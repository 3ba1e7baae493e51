//! An event as [`MemoryEventLog`](super::MemoryEventLog) holds it: one allocation rather than
//! the twenty-odd an [`Event`] spreads over (each text, each entity, the debug data's map, keys,
//! lists and strings).
//!
//! A memory log of 10,000 events pushes out its oldest event on every record. By then that
//! event's memory has long left the caches, so dropping an [`Event`] costs a cache miss per
//! allocation, and often a free across threads. That was a fifth of a whole token request in
//! process (`benches/endpoints.rs`). A packed event is freed in one go, and is smaller besides.
//!
//! The layout is private and lives only in memory. A byte each for the severity, the result and
//! whether there is an actor; the uuid, event type, display message, reason and client id as
//! texts; the number of targets (a `u32`); each entity (the actor first, if any) as four texts:
//! kind, id, alternate id, display name; the debug data as JSON last. A text is its length (a
//! little-endian `u32`, [`ABSENT`] for a missing optional one) and its UTF-8 bytes.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::Arc;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{DebugContext, Entity, Event, EventClient, Outcome, OutcomeResult, Severity};

/// The length written for a missing optional text.
const ABSENT: u32 = u32::MAX;

/// An event packed into one buffer, with its publication time beside it for ordering and time
/// bounds without unpacking.
///
/// Cloning shares the buffer, so a query can take what it needs under the log's lock and unpack
/// after releasing it.
#[derive(Debug, Clone)]
pub(super) struct Packed {
    pub(super) published: OffsetDateTime,
    bytes: Arc<[u8]>,
}

impl Packed {
    /// Packs `event` (recording has [bounded](Event::bounded) its texts; one past 4 GiB would be
    /// cut short, and unpack with its last character replaced if that split it).
    pub(super) fn new(event: &Event) -> Self {
        let bytes = SCRATCH
            .try_with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                scratch.clear();
                write(event, &mut scratch);
                let bytes = Arc::from(scratch.as_slice());
                if scratch.capacity() > SCRATCH_KEPT {
                    *scratch = Vec::new();
                }
                bytes
            })
            .unwrap_or_else(|_| {
                let mut bytes = Vec::new();
                write(event, &mut bytes);
                Arc::from(bytes)
            });
        Self {
            published: event.published,
            bytes,
        }
    }

    /// Roughly how much memory the packed event holds: its buffer, the buffer's reference
    /// counts and its place in the log.
    pub(super) fn size(&self) -> usize {
        std::mem::size_of::<Self>() + 2 * std::mem::size_of::<usize>() + self.bytes.len()
    }

    /// The event again, every text owned.
    pub(super) fn unpack(&self) -> Event {
        let mut reader = Reader { rest: &self.bytes };
        let severity = severity_from(reader.byte());
        let result = result_from(reader.byte());
        let has_actor = reader.byte() == 1;
        let uuid = reader.text().unwrap_or_default();
        let event_type = reader.text().unwrap_or_default();
        let display_message = reader.text().unwrap_or_default();
        let reason = reader.text();
        let client = reader.text().map(|id| EventClient { id });
        // An entity takes at least four lengths: a count past what is left cannot be.
        let targets = reader.length().min(reader.rest.len() / 16);
        let actor = has_actor.then(|| reader.entity());
        let target = (0..targets).map(|_| reader.entity()).collect();
        let debug_data: Map<String, Value> = serde_json::from_slice(reader.rest).unwrap_or_default();
        Event {
            uuid,
            published: self.published,
            event_type: Cow::Owned(event_type),
            severity,
            display_message: Cow::Owned(display_message),
            outcome: Outcome { result, reason },
            actor,
            client,
            target,
            debug_context: DebugContext { debug_data },
        }
    }
}

/// The largest scratch buffer a thread keeps between events (a refused request can make an event
/// of a few tens of kilobytes).
const SCRATCH_KEPT: usize = 16 * 1024;

thread_local! {
    /// Where events are packed, then copied out at their exact size: one allocation per packed
    /// event, none to grow or shrink it.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Appends `event` to `bytes` in the layout above.
fn write(event: &Event, bytes: &mut Vec<u8>) {
    bytes.push(severity_code(event.severity));
    bytes.push(result_code(event.outcome.result));
    bytes.push(u8::from(event.actor.is_some()));
    put_text(bytes, Some(&event.uuid));
    put_text(bytes, Some(&event.event_type));
    put_text(bytes, Some(&event.display_message));
    put_text(bytes, event.outcome.reason.as_deref());
    put_text(bytes, event.client.as_ref().map(|client| client.id.as_str()));
    put_length(bytes, event.target.len());
    for entity in event.actor.iter().chain(&event.target) {
        put_text(bytes, Some(&entity.kind));
        put_text(bytes, Some(&entity.id));
        put_text(bytes, entity.alternate_id.as_deref());
        put_text(bytes, entity.display_name.as_deref());
    }
    let debug_start = bytes.len();
    if serde_json::to_writer(&mut *bytes, &event.debug_context.debug_data).is_err() {
        // Writing a map of JSON values to memory cannot fail; should it, the detail is lost
        // rather than the event.
        bytes.truncate(debug_start);
        bytes.extend_from_slice(b"{}");
    }
}

/// Writes `length`, capped below [`ABSENT`]; returns what was written.
fn put_length(bytes: &mut Vec<u8>, length: usize) -> usize {
    let length = u32::try_from(length).unwrap_or(ABSENT - 1).min(ABSENT - 1);
    bytes.extend_from_slice(&length.to_le_bytes());
    usize::try_from(length).unwrap_or(usize::MAX)
}

fn put_text(bytes: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => {
            let length = put_length(bytes, text.len());
            bytes.extend_from_slice(&text.as_bytes()[..length.min(text.len())]);
        }
        None => bytes.extend_from_slice(&ABSENT.to_le_bytes()),
    }
}

/// Reads what [`Packed::new`] wrote. The buffer never leaves this module, so it is always whole;
/// should it not be, what is missing reads as empty rather than panicking.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&byte, rest)) = self.rest.split_first() else {
            return 0;
        };
        self.rest = rest;
        byte
    }

    fn raw_length(&mut self) -> u32 {
        let Some((length, rest)) = self.rest.split_first_chunk::<4>() else {
            self.rest = &[];
            return ABSENT;
        };
        self.rest = rest;
        u32::from_le_bytes(*length)
    }

    fn length(&mut self) -> usize {
        match self.raw_length() {
            ABSENT => 0,
            length => usize::try_from(length).unwrap_or(0),
        }
    }

    fn text(&mut self) -> Option<String> {
        let length = self.raw_length();
        if length == ABSENT {
            return None;
        }
        let length = usize::try_from(length).unwrap_or(usize::MAX).min(self.rest.len());
        let (text, rest) = self.rest.split_at(length);
        self.rest = rest;
        Some(String::from_utf8_lossy(text).into_owned())
    }

    fn entity(&mut self) -> Entity {
        Entity {
            kind: Cow::Owned(self.text().unwrap_or_default()),
            id: self.text().unwrap_or_default(),
            alternate_id: self.text(),
            display_name: self.text(),
        }
    }
}

fn severity_code(severity: Severity) -> u8 {
    match severity {
        Severity::Info => 0,
        Severity::Warn => 1,
        Severity::Error => 2,
    }
}

fn severity_from(code: u8) -> Severity {
    match code {
        1 => Severity::Warn,
        2 => Severity::Error,
        _ => Severity::Info,
    }
}

fn result_code(result: OutcomeResult) -> u8 {
    match result {
        OutcomeResult::Success => 0,
        OutcomeResult::Failure => 1,
    }
}

fn result_from(code: u8) -> OutcomeResult {
    match code {
        1 => OutcomeResult::Failure,
        _ => OutcomeResult::Success,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::event::{MAX_LIST_ITEMS, MAX_TEXT_BYTES};

    const T0: OffsetDateTime = datetime!(2024-03-01 12:00:00.123456789 UTC);

    fn roundtrip(event: &Event) -> Event {
        Packed::new(event).unpack()
    }

    #[test]
    fn every_field_comes_back() {
        let event = Event::failure(
            "app.oauth2.as.token.grant",
            String::from("OAuth2 token request refused"),
            "no_matching_policy",
            "Policy evaluation failed – «ünïcode» 🔑",
            T0,
        )
        .with_severity(Severity::Warn)
        .with_client("0oa1")
        .with_actor(Entity {
            alternate_id: Some("ada@example.com".into()),
            display_name: Some("Ada".into()),
            ..Entity::new("User", "00u1")
        })
        .with_target(Entity::new("AuthorizationServer", "default"))
        .with_target(Entity {
            display_name: Some(String::new()),
            ..Entity::new(String::from("Rule"), "")
        })
        .with_detail("requestedScopes", ["openid", "payments:read"])
        .with_detail("nested", json!({"a": [1, 2.5, null, true, {"b": "c"}]}));
        assert_eq!(roundtrip(&event), event);
    }

    #[test]
    fn absent_and_empty_texts_stay_apart() {
        let bare = Event::success("e", "", T0);
        let back = roundtrip(&bare);
        assert_eq!(back, bare);
        assert_eq!(back.outcome.reason, None);
        assert_eq!(back.client, None);
        assert_eq!(back.actor, None);
        let empty_reason = Event::failure("e", "m", "", "", T0).with_client("");
        assert_eq!(roundtrip(&empty_reason), empty_reason);
    }

    #[test]
    fn an_event_at_every_bound_comes_back() {
        let long = "é".repeat(MAX_TEXT_BYTES);
        let mut event = Event::failure("e", long.clone(), long.clone(), long.clone(), T0)
            .with_client(long.clone())
            .with_actor(Entity {
                alternate_id: Some(long.clone()),
                display_name: Some(long.clone()),
                ..Entity::new(long.clone(), long.clone())
            })
            .with_detail("list", vec![long.clone(); MAX_LIST_ITEMS + 10])
            .with_detail(
                "numbers",
                json!([u64::MAX, i64::MIN, -0.0, 0.1, 985.690_694_632_869_5, 1e300]),
            );
        for n in 0..MAX_LIST_ITEMS + 10 {
            event = event.with_target(Entity::new("Rule", format!("0pr{n}")));
        }
        let bounded = event.bounded();
        assert_eq!(bounded.target.len(), MAX_LIST_ITEMS);
        assert_eq!(roundtrip(&bounded), bounded);
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![Just(String::new()), "[a-z0-9:._-]{1,12}", any::<String>()]
    }

    /// Any JSON value a detail can hold, a few levels deep.
    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("JSON numbers are finite", |n| n.is_finite())
                .prop_map(Value::from),
            text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(text(), inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn entity() -> impl Strategy<Value = Entity> {
        (
            text(),
            text(),
            proptest::option::of(text()),
            proptest::option::of(text()),
        )
            .prop_map(|(kind, id, alternate_id, display_name)| Entity {
                kind: Cow::Owned(kind),
                id,
                alternate_id,
                display_name,
            })
    }

    proptest! {
        #[test]
        fn any_event_comes_back_whole(
            uuid in text(),
            event_type in text(),
            message in text(),
            severity in prop_oneof![Just(Severity::Info), Just(Severity::Warn), Just(Severity::Error)],
            failed in any::<bool>(),
            reason in proptest::option::of(text()),
            client in proptest::option::of(text()),
            actor in proptest::option::of(entity()),
            target in proptest::collection::vec(entity(), 0..4),
            details in proptest::collection::btree_map(text(), json(), 0..4),
        ) {
            let event = Event {
                uuid,
                published: T0,
                event_type: Cow::Owned(event_type),
                severity,
                display_message: Cow::Owned(message),
                outcome: Outcome {
                    result: if failed { OutcomeResult::Failure } else { OutcomeResult::Success },
                    reason,
                },
                actor,
                client: client.map(|id| EventClient { id }),
                target,
                debug_context: DebugContext {
                    debug_data: details.into_iter().collect(),
                },
            };
            prop_assert_eq!(roundtrip(&event), event);
        }
    }
}

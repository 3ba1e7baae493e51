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
//! kind, id, alternate id, display name; the debug data last: its number of keys, then each key
//! and its value, a kind byte (null, text, list of texts, JSON) and what the kind holds. A text
//! is its length (a little-endian `u32`, [`ABSENT`] for a missing optional one) and its UTF-8
//! bytes; a number is a `u32` the same way. Only a [`Detail::Json`] value is written as JSON, so
//! packing the token path's events serializes nothing.
//!
//! Queries match a packed event read in place ([`View`]): its texts borrowed from the buffer, its
//! debug data parsed only if a filter or keyword asks for it. Only the events returned are
//! unpacked, so a filter over a full log reads 10,000 events in about a millisecond, not the
//! 8–9 ms that unpacking each took.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::fields::EventFields;
use super::{
    DebugContext, Detail, EntityRef, Event, EventClient, EventRef, MAX_LIST_ITEMS, MAX_OBJECT_KEYS, Outcome,
    OutcomeResult, Severity, bounded_str,
};

/// The length written for a missing optional text.
const ABSENT: u32 = u32::MAX;

/// The kind byte of a debug value: `null`.
const NULL_DETAIL: u8 = 0;
/// The kind byte of a debug value: a text.
const TEXT_DETAIL: u8 = 1;
/// The kind byte of a debug value: a list of texts (their number, then each).
const LIST_DETAIL: u8 = 2;
/// The kind byte of a debug value: any JSON value, as its JSON text.
const JSON_DETAIL: u8 = 3;

/// An event packed into one buffer, with its publication time beside it for ordering and time
/// bounds without unpacking.
///
/// Cloning shares the buffer, so a query can take what it needs under the log's lock and read it
/// after releasing it.
#[derive(Debug, Clone)]
pub(super) struct Packed {
    pub(super) published: OffsetDateTime,
    bytes: Arc<[u8]>,
}

impl Packed {
    /// Packs `event`, which recording has [bounded](Event::bounded), its debug data in its map's
    /// order.
    pub(super) fn new(event: &Event) -> Self {
        event.as_parts(Self::from_parts)
    }

    /// Packs `event` bounded as [`Event::bounded`] bounds an event: texts, the targets, and the
    /// debug data's keys and [flat](Detail::is_flat) values. Its debug data must be as an event's
    /// map would hold it, and its JSON values already bounded: either the parts of a bounded
    /// event, or flat details under keys in increasing order (see
    /// [`MemoryEventLog::record_ref`](super::MemoryEventLog)).
    pub(super) fn from_parts(event: &EventRef<'_>) -> Self {
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

    /// The event read in place: its texts borrowed from the buffer, its debug data parsed only
    /// when asked for. What queries match events against.
    pub(super) fn view(&self) -> View<'_> {
        let mut reader = Reader { rest: &self.bytes };
        let severity = severity_from(reader.byte());
        let result = result_from(reader.byte());
        let has_actor = reader.byte() == 1;
        let uuid = reader.text().unwrap_or_default();
        let event_type = reader.text().unwrap_or_default();
        let display_message = reader.text().unwrap_or_default();
        let reason = reader.text();
        let client = reader.text();
        // An entity takes at least four lengths: a count past what is left cannot be.
        let targets = reader.length().min(reader.rest.len() / 16);
        let entities = reader.rest;
        let entity_count = targets + usize::from(has_actor);
        for _ in 0..entity_count {
            reader.entity();
        }
        let entities = &entities[..entities.len() - reader.rest.len()];
        View {
            published: self.published,
            severity,
            result,
            has_actor,
            uuid,
            event_type,
            display_message,
            reason,
            client,
            entities: Entities {
                rest: entities,
                left: entity_count,
            },
            debug: reader.rest,
            debug_data: OnceCell::new(),
        }
    }

    /// The event again, every text owned.
    pub(super) fn unpack(&self) -> Event {
        self.view().into_event()
    }
}

impl View<'_> {
    /// The event, every text owned; the debug data parsed unless it already was.
    pub(super) fn into_event(self) -> Event {
        let owned = |text: &[u8]| as_text(text).to_owned();
        let actor = self.actor().as_ref().map(EntityRef::to_entity);
        let target = self.targets().map(|target| target.to_entity()).collect();
        Event {
            uuid: owned(self.uuid),
            published: self.published,
            event_type: Cow::Owned(owned(self.event_type)),
            severity: self.severity,
            display_message: Cow::Owned(owned(self.display_message)),
            outcome: Outcome {
                result: self.result,
                reason: self.reason.map(owned),
            },
            actor,
            client: self.client.map(|id| EventClient { id: owned(id) }),
            target,
            debug_context: DebugContext {
                debug_data: self
                    .debug_data
                    .into_inner()
                    .unwrap_or_else(|| read_debug_data(self.debug)),
            },
        }
    }
}

/// A packed event read in place (see [`Packed::view`]).
pub(super) struct View<'a> {
    published: OffsetDateTime,
    severity: Severity,
    result: OutcomeResult,
    has_actor: bool,
    uuid: &'a [u8],
    event_type: &'a [u8],
    display_message: &'a [u8],
    reason: Option<&'a [u8]>,
    client: Option<&'a [u8]>,
    /// The actor (if any), then the targets.
    entities: Entities<'a>,
    /// The debug data as [`write_debug_data`] wrote it.
    debug: &'a [u8],
    /// The debug data, once parsed.
    debug_data: OnceCell<Map<String, Value>>,
}

/// Entities still to read, each four texts: kind, id, alternate id, display name.
#[derive(Clone, Copy)]
struct Entities<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Entities<'a> {
    type Item = EntityRef<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let mut reader = Reader { rest: self.rest };
        let [kind, id, alternate_id, display_name] = reader.entity();
        self.rest = reader.rest;
        Some(EntityRef {
            id: as_text(id.unwrap_or_default()),
            kind: as_text(kind.unwrap_or_default()),
            alternate_id: alternate_id.map(as_text),
            display_name: display_name.map(as_text),
        })
    }
}

/// A packed text as written: always whole UTF-8, since every text is bounded to a few hundred
/// bytes before it is packed; should one not be, it reads as empty.
fn as_text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

impl EventFields for View<'_> {
    fn uuid(&self) -> &str {
        as_text(self.uuid)
    }

    fn published(&self) -> OffsetDateTime {
        self.published
    }

    fn event_type(&self) -> &str {
        as_text(self.event_type)
    }

    fn severity(&self) -> Severity {
        self.severity
    }

    fn display_message(&self) -> &str {
        as_text(self.display_message)
    }

    fn result(&self) -> OutcomeResult {
        self.result
    }

    fn reason(&self) -> Option<&str> {
        self.reason.map(as_text)
    }

    fn client_id(&self) -> Option<&str> {
        self.client.map(as_text)
    }

    fn actor(&self) -> Option<EntityRef<'_>> {
        let mut entities = self.entities;
        if self.has_actor { entities.next() } else { None }
    }

    fn targets(&self) -> impl Iterator<Item = EntityRef<'_>> {
        self.entities.skip(usize::from(self.has_actor))
    }

    fn debug_data(&self) -> &Map<String, Value> {
        self.debug_data.get_or_init(|| read_debug_data(self.debug))
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

/// Appends `event` to `bytes` in the layout above, bounded (see [`Packed::from_parts`]).
fn write(event: &EventRef<'_>, bytes: &mut Vec<u8>) {
    let target = &event.target[..event.target.len().min(MAX_LIST_ITEMS)];
    bytes.push(severity_code(event.severity));
    bytes.push(result_code(event.result));
    bytes.push(u8::from(event.actor.is_some()));
    put_text(bytes, Some(event.uuid));
    put_bounded(bytes, Some(event.event_type));
    put_bounded(bytes, Some(event.display_message));
    put_bounded(bytes, event.reason);
    put_bounded(bytes, event.client);
    put_length(bytes, target.len());
    for entity in event.actor.iter().chain(target) {
        put_bounded(bytes, Some(entity.kind));
        put_bounded(bytes, Some(entity.id));
        put_bounded(bytes, entity.alternate_id);
        put_bounded(bytes, entity.display_name);
    }
    write_debug_data(bytes, event.debug_data);
}

/// Appends the debug data's first [`MAX_OBJECT_KEYS`] keys, in the order given (the order of an
/// event's map, or the parts' keys in increasing order, which is where a map would put them): their
/// number, then each key as a text and its value as a kind byte and what the kind holds. Texts and
/// lists are cut as they are written; a [`Detail::Json`] value, already bounded, is its JSON.
fn write_debug_data(bytes: &mut Vec<u8>, details: &[(&str, Detail<'_>)]) {
    let details = &details[..details.len().min(MAX_OBJECT_KEYS)];
    put_length(bytes, details.len());
    for (key, detail) in details {
        put_bounded(bytes, Some(key));
        match *detail {
            Detail::Null => bytes.push(NULL_DETAIL),
            Detail::Text(text) => {
                bytes.push(TEXT_DETAIL);
                put_bounded(bytes, Some(text));
            }
            Detail::Strings(list) => put_list(bytes, list.iter().map(String::as_str)),
            Detail::Strs(list) => put_list(bytes, list.iter().copied()),
            Detail::Json(value) => {
                bytes.push(JSON_DETAIL);
                put_json(bytes, value);
            }
        }
    }
}

/// Appends `value`'s JSON as a text, written in place.
fn put_json(bytes: &mut Vec<u8>, value: &Value) {
    let length_at = bytes.len();
    bytes.extend_from_slice(&[0; 4]);
    if serde_json::to_writer(&mut *bytes, value).is_err() {
        // Writing JSON to memory cannot fail; should it, the value reads as `null`.
        bytes.truncate(length_at + 4);
    }
    let length = match u32::try_from(bytes.len() - length_at - 4) {
        Ok(length) if length < ABSENT => length,
        // Bounded values are far shorter; should one not be, it reads as `null`.
        _ => {
            bytes.truncate(length_at + 4);
            0
        }
    };
    bytes[length_at..length_at + 4].copy_from_slice(&length.to_le_bytes());
}

/// Appends a list of texts: its first [`MAX_LIST_ITEMS`], each cut.
fn put_list<'t>(bytes: &mut Vec<u8>, texts: impl ExactSizeIterator<Item = &'t str>) {
    bytes.push(LIST_DETAIL);
    put_length(bytes, texts.len().min(MAX_LIST_ITEMS));
    for text in texts.take(MAX_LIST_ITEMS) {
        put_bounded(bytes, Some(text));
    }
}

/// The debug data [`write_debug_data`] wrote, as the event's map holds it.
fn read_debug_data(bytes: &[u8]) -> Map<String, Value> {
    let mut reader = Reader { rest: bytes };
    // A key and its kind take at least five bytes: a count past what is left cannot be.
    let count = reader.length().min(reader.rest.len() / 5);
    let mut details = Map::new();
    for _ in 0..count {
        let key = as_text(reader.text().unwrap_or_default()).to_owned();
        let text = |reader: &mut Reader<'_>| Value::String(as_text(reader.text().unwrap_or_default()).to_owned());
        let value = match reader.byte() {
            TEXT_DETAIL => text(&mut reader),
            LIST_DETAIL => {
                let items = reader.length().min(reader.rest.len() / 4);
                Value::Array((0..items).map(|_| text(&mut reader)).collect())
            }
            JSON_DETAIL => serde_json::from_slice(reader.text().unwrap_or_default()).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        details.insert(key, value);
    }
    details
}

/// Writes `length`, capped below [`ABSENT`]; returns what was written.
fn put_length(bytes: &mut Vec<u8>, length: usize) -> usize {
    let length = u32::try_from(length).unwrap_or(ABSENT - 1).min(ABSENT - 1);
    bytes.extend_from_slice(&length.to_le_bytes());
    usize::try_from(length).unwrap_or(usize::MAX)
}

/// Writes `text` cut to the event bounds ([`bounded_str`]).
fn put_bounded(bytes: &mut Vec<u8>, text: Option<&str>) {
    put_text(bytes, text.map(bounded_str).as_deref());
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

impl<'a> Reader<'a> {
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

    /// A text's bytes, `None` for a missing one.
    fn text(&mut self) -> Option<&'a [u8]> {
        let length = self.raw_length();
        if length == ABSENT {
            return None;
        }
        let length = usize::try_from(length).unwrap_or(usize::MAX).min(self.rest.len());
        let (text, rest) = self.rest.split_at(length);
        self.rest = rest;
        Some(text)
    }

    /// An entity's four texts: kind, id, alternate id, display name.
    fn entity(&mut self) -> [Option<&'a [u8]>; 4] {
        [self.text(), self.text(), self.text(), self.text()]
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
    use crate::event::{Entity, EventFilter, EventQuery, EventSink, MAX_LIST_ITEMS, MAX_TEXT_BYTES, MemoryEventLog};

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

    fn any_event() -> impl Strategy<Value = Event> {
        (
            (text(), text(), text()),
            prop_oneof![Just(Severity::Info), Just(Severity::Warn), Just(Severity::Error)],
            (
                any::<bool>(),
                proptest::option::of(text()),
                proptest::option::of(text()),
            ),
            proptest::option::of(entity()),
            proptest::collection::vec(entity(), 0..4),
            proptest::collection::btree_map(text(), json(), 0..4),
        )
            .prop_map(
                |((uuid, event_type, message), severity, (failed, reason, client), actor, target, details)| Event {
                    uuid,
                    published: T0,
                    event_type: Cow::Owned(event_type),
                    severity,
                    display_message: Cow::Owned(message),
                    outcome: Outcome {
                        result: if failed {
                            OutcomeResult::Failure
                        } else {
                            OutcomeResult::Success
                        },
                        reason,
                    },
                    actor,
                    client: client.map(|id| EventClient { id }),
                    target,
                    debug_context: DebugContext {
                        debug_data: details.into_iter().collect(),
                    },
                },
            )
    }

    /// Every attribute a filter can name, the debug data's first key among them.
    fn attributes(event: &Event) -> Vec<String> {
        let mut names: Vec<String> = [
            "uuid",
            "eventType",
            "severity",
            "displayMessage",
            "outcome.result",
            "outcome.reason",
            "client.id",
        ]
        .map(String::from)
        .into();
        for entity in ["actor", "target"] {
            for field in ["id", "type", "alternateId", "displayName"] {
                names.push(format!("{entity}.{field}"));
            }
        }
        names.extend(
            event
                .debug_context
                .debug_data
                .keys()
                .next()
                .map(|key| format!("debugContext.debugData.{key}")),
        );
        names
    }

    proptest! {
        #[test]
        fn any_event_comes_back_whole(event in any_event()) {
            prop_assert_eq!(roundtrip(&event), event);
        }

        /// A packed event read in place answers every filter, keyword and query field as the
        /// event does.
        #[test]
        fn any_event_read_in_place_matches_as_the_event_does(
            event in any_event(),
            random_probe in "[a-z0-9:._-]{1,3}",
            pick in any::<proptest::sample::Index>(),
            failed in any::<bool>(),
        ) {
            let packed = Packed::new(&event);
            let view = packed.view();
            // A probe of the event's own, so that `eq` matches too, and one that rarely does.
            let mut texts = Vec::new();
            event.each_text(&mut |text| texts.push(text.to_owned()));
            let own = texts[pick.index(texts.len())].clone();
            for probe in [&own, &random_probe] {
                for attribute in attributes(&event) {
                    for condition in ["pr".to_owned(), format!("eq \"{probe}\""), format!("co \"{probe}\""), format!("sw \"{probe}\"")] {
                        let Ok(filter) = EventFilter::parse(&format!("{attribute} {condition}")) else {
                            continue;
                        };
                        prop_assert_eq!(filter.matches_fields(&view), filter.matches(&event), "{}", filter);
                    }
                }
            }
            let probe = random_probe;
            let query = EventQuery {
                outcome: Some(if failed { OutcomeResult::Failure } else { OutcomeResult::Success }),
                event_type: Some(probe.clone()),
                keywords: vec![probe.clone()],
                ..EventQuery::default()
            };
            for query in [query.clone(), EventQuery { event_type: None, ..query.clone() }, EventQuery { outcome: None, event_type: None, ..query }] {
                prop_assert_eq!(query.matches_fields(&view), query.matches(&event));
            }
        }
    }

    /// A few elements, or now and then more than the bounds keep.
    fn few_or_too_many<S: Strategy>(
        element: impl Fn() -> S,
        few: std::ops::Range<usize>,
    ) -> impl Strategy<Value = Vec<S::Value>> {
        prop_oneof![
            4 => proptest::collection::vec(element(), few),
            1 => proptest::collection::vec(element(), 49..53),
        ]
    }

    /// Parts with only flat details: now and then more targets, details or list items than
    /// the bounds keep, and any keys.
    fn flat_parts() -> impl Strategy<Value = (Event, Vec<(String, u8, Vec<String>)>)> {
        let items = || few_or_too_many(|| prop_oneof![text(), Just("é".repeat(MAX_TEXT_BYTES))], 0..4);
        let key = || prop_oneof![text(), "[a-c]{1,2}", Just("k".repeat(MAX_TEXT_BYTES + 5))];
        (
            any_event(),
            few_or_too_many(entity, 0..4),
            few_or_too_many(move || (key(), 0u8..4, items()), 0..6),
        )
            .prop_map(|(mut event, targets, details)| {
                event.target = targets;
                (event, details)
            })
    }

    proptest! {
        /// The memory log keeps parts as the bounded event they describe: texts, targets, list
        /// items, keys (too many, too long, and, through the event, unsorted or repeated). With
        /// keys in increasing order, packing them directly gives that event too.
        #[test]
        fn parts_are_kept_as_their_bounded_event((event, mut details) in flat_parts(), in_order in any::<bool>()) {
            if in_order {
                details.sort_by(|a, b| a.0.cmp(&b.0));
                details.dedup_by(|later, earlier| later.0 == earlier.0);
            }
            let names: Vec<Vec<&str>> = details.iter().map(|(_, _, items)| items.iter().map(String::as_str).collect()).collect();
            let details: Vec<(&str, Detail<'_>)> = details
                .iter()
                .zip(&names)
                .map(|((key, kind, items), names)| {
                    let detail = match kind {
                        0 => Detail::Null,
                        1 => Detail::Text(items.first().map_or("", String::as_str)),
                        2 => Detail::Strings(items),
                        _ => Detail::Strs(names),
                    };
                    (key.as_str(), detail)
                })
                .collect();
            let (kept, packed, bounded) = event.as_parts(|parts| {
                let parts = EventRef { debug_data: &details, ..*parts };
                let log = MemoryEventLog::default();
                log.record_ref(&parts);
                (log.all(), Packed::from_parts(&parts).unpack(), parts.to_event().bounded())
            });
            prop_assert_eq!(&kept, &vec![bounded.clone()]);
            if in_order {
                prop_assert_eq!(packed, bounded);
            }
        }
    }

    proptest! {
        /// A buffer that is not whole, cut anywhere or any bytes at all, reads (as whatever it
        /// reads as) without panicking.
        #[test]
        fn broken_buffers_read_without_panicking(
            event in any_event(),
            cut in any::<proptest::sample::Index>(),
            noise in proptest::collection::vec(any::<u8>(), 0..96),
        ) {
            let whole = Packed::new(&event);
            for bytes in [&whole.bytes[..cut.index(whole.bytes.len() + 1)], &noise[..]] {
                let broken = Packed { published: whole.published, bytes: Arc::from(bytes) };
                let _ = broken.unpack();
                let _ = read_debug_data(bytes);
            }
        }
    }

    /// Read in place, the actor and targets come apart, and the debug data is what was written.
    #[test]
    fn a_view_reads_the_actor_targets_and_details() {
        let event = Event::success("e", "m", T0)
            .with_actor(Entity {
                display_name: Some("Ada".into()),
                ..Entity::new("User", "00u1")
            })
            .with_target(Entity::new("AuthorizationServer", "default"))
            .with_target(Entity {
                alternate_id: Some("alt".into()),
                ..Entity::new("Rule", "0pr1")
            })
            .with_detail("grantType", "client_credentials");
        let packed = Packed::new(&event);
        let view = packed.view();
        let actor = view.actor().expect("an actor");
        assert_eq!(
            (actor.kind, actor.id, actor.display_name),
            ("User", "00u1", Some("Ada"))
        );
        let targets: Vec<(&str, &str, Option<&str>)> = view
            .targets()
            .map(|target| (target.kind, target.id, target.alternate_id))
            .collect();
        assert_eq!(
            targets,
            [("AuthorizationServer", "default", None), ("Rule", "0pr1", Some("alt")),]
        );
        assert_eq!(view.debug_data(), &event.debug_context.debug_data);
        let without_actor = Packed::new(&Event::success("e", "m", T0).with_target(Entity::new("Grant", "g")));
        let view = without_actor.view();
        assert!(view.actor().is_none());
        assert_eq!(view.targets().map(|target| target.id).collect::<Vec<_>>(), ["g"]);
    }
}

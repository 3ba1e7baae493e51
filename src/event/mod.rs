//! Structured decision events, in the spirit of Okta's System Log ("Always start with the System
//! Log", Okta's "Troubleshooting for API Access Management"): every grant and every refusal is
//! recorded with what was asked, by which client and user, the outcome, and the reason in words
//! and as a code.
//!
//! [`Event`] serializes in the shape of Okta's `LogEvent` (`uuid`, `published`, `eventType`,
//! `severity`, `displayMessage`, `outcome`, `actor`, `client`, `target`, `debugContext`), so a
//! host can serve `/api/v1/logs` by serializing a query's result. Events go to an [`EventSink`]
//! (the token endpoint gives its per-request events as borrowed parts, [`EventRef`], which a sink
//! may keep without an [`Event`] being built);
//! an [`EventLog`] is a sink that also answers queries ([`EventQuery`]), including System Log
//! filter expressions ([`EventFilter`]). [`MemoryEventLog`] keeps the most recent events in
//! memory; `SqlEventLog` (feature `sql`) keeps them in SQLite or PostgreSQL. [`system_log`]
//! answers Okta's System Log API, `GET /api/v1/logs`, from any [`EventLog`] in one call.

mod bounds;
mod fields;
mod filter;
mod log;
mod memory;
mod packed;
mod parts;
pub mod system_log;

pub(crate) use bounds::bounded_str;
pub use bounds::{MAX_DEPTH, MAX_LIST_ITEMS, MAX_OBJECT_KEYS, MAX_TEXT_BYTES, bounded_text};
pub use filter::{EventFilter, FilterError};
pub use log::EventLog;
pub use memory::MemoryEventLog;
pub use parts::{Detail, EntityRef, EventRef};

use std::borrow::Cow;

use fields::EventFields;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// Whether the action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OutcomeResult {
    /// The action was carried out.
    Success,
    /// The action was refused or failed.
    Failure,
}

impl OutcomeResult {
    /// The name on the wire: `SUCCESS` or `FAILURE`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeResult::Success => "SUCCESS",
            OutcomeResult::Failure => "FAILURE",
        }
    }
}

/// How serious the event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// Routine: grants, and refusals of bad requests.
    Info,
    /// Worth a look: e.g. a replayed authorization code or refresh token.
    Warn,
    /// The server failed.
    Error,
}

impl Severity {
    /// The name on the wire: `INFO`, `WARN` or `ERROR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
        }
    }
}

/// The outcome of the action: result, and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `SUCCESS` or `FAILURE`.
    pub result: OutcomeResult,
    /// Why, in words (for a failure, the error description the client saw or a fuller one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An entity taking part in the event: the actor, or a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    /// Its ID.
    pub id: String,
    /// Its kind, as Okta names them: `User`, `PublicClientApp`, `AuthorizationServer`, `Policy`,
    /// `Rule`, `access_token`, …
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// A second identifier, e.g. a user's login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_id: Option<String>,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Entity {
    /// An entity of `kind` with `id`.
    pub fn new(kind: impl Into<Cow<'static, str>>, id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            kind: kind.into(),
            alternate_id: None,
            display_name: None,
        }
    }
}

/// The OAuth client that made the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventClient {
    /// The client's `client_id`.
    pub id: String,
}

/// Machine-readable detail: the reason code and whatever structured explanation the decision
/// produced (policies and rules tried, the condition that failed, denied scopes, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugContext {
    /// Key-value detail. `reasonCode` holds the reason as a code.
    pub debug_data: Map<String, Value>,
}

/// One recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique ID (a random UUID).
    pub uuid: String,
    /// When it happened.
    #[serde(with = "crate::model::timestamp")]
    pub published: OffsetDateTime,
    /// What happened, in Okta's event-type vocabulary, e.g. `app.oauth2.as.token.grant`.
    pub event_type: Cow<'static, str>,
    /// How serious it is.
    pub severity: Severity,
    /// A sentence for people.
    pub display_message: Cow<'static, str>,
    /// Result and reason.
    pub outcome: Outcome,
    /// Who acted: the user, or the client when there is no user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Entity>,
    /// The OAuth client that made the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<EventClient>,
    /// What was acted on: the authorization server, policy, rule, token…
    #[serde(default)]
    pub target: Vec<Entity>,
    /// The reason as a code, and structured detail.
    #[serde(default)]
    pub debug_context: DebugContext,
}

impl Event {
    /// A successful `event_type` at `now`, with a random UUID from the operating system.
    pub fn success(
        event_type: impl Into<Cow<'static, str>>,
        display_message: impl Into<Cow<'static, str>>,
        now: OffsetDateTime,
    ) -> Self {
        Self::unnumbered_success(event_type, display_message, now).numbered()
    }

    /// A failed or refused `event_type` at `now`, with the reason as a code (e.g.
    /// `no_matching_policy`) and in words, and a random UUID from the operating system.
    pub fn failure(
        event_type: impl Into<Cow<'static, str>>,
        display_message: impl Into<Cow<'static, str>>,
        reason_code: impl Into<String>,
        reason: impl Into<String>,
        now: OffsetDateTime,
    ) -> Self {
        Self::unnumbered_failure(event_type, display_message, reason_code, reason, now).numbered()
    }

    /// [`success`](Self::success) without a UUID, for events that
    /// [`AuthServer::record`](crate::AuthServer) numbers from its own randomness: drawing one
    /// here would cost a system call for an id that is thrown away.
    pub(crate) fn unnumbered_success(
        event_type: impl Into<Cow<'static, str>>,
        display_message: impl Into<Cow<'static, str>>,
        now: OffsetDateTime,
    ) -> Self {
        Self::new(
            event_type.into(),
            display_message.into(),
            OutcomeResult::Success,
            None,
            now,
        )
    }

    /// [`failure`](Self::failure) without a UUID (see
    /// [`unnumbered_success`](Self::unnumbered_success)).
    pub(crate) fn unnumbered_failure(
        event_type: impl Into<Cow<'static, str>>,
        display_message: impl Into<Cow<'static, str>>,
        reason_code: impl Into<String>,
        reason: impl Into<String>,
        now: OffsetDateTime,
    ) -> Self {
        let mut event = Self::new(
            event_type.into(),
            display_message.into(),
            OutcomeResult::Failure,
            Some(reason.into()),
            now,
        );
        event
            .debug_context
            .debug_data
            .insert("reasonCode".to_owned(), Value::String(reason_code.into()));
        event
    }

    /// The event with a random UUID from the operating system.
    pub(crate) fn numbered(mut self) -> Self {
        self.uuid = random_uuid();
        self
    }

    fn new(
        event_type: Cow<'static, str>,
        display_message: Cow<'static, str>,
        result: OutcomeResult,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            uuid: String::new(),
            published: now,
            event_type,
            severity: Severity::Info,
            display_message,
            outcome: Outcome { result, reason },
            actor: None,
            client: None,
            target: Vec::new(),
            debug_context: DebugContext::default(),
        }
    }

    /// Sets the severity.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sets the acting entity.
    pub fn with_actor(mut self, actor: Entity) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Sets the requesting OAuth client.
    pub fn with_client(mut self, client_id: impl Into<String>) -> Self {
        self.client = Some(EventClient { id: client_id.into() });
        self
    }

    /// Adds a target.
    pub fn with_target(mut self, target: Entity) -> Self {
        self.target.push(target);
        self
    }

    /// Adds a detail under `key` (serialized with serde; a value that cannot be serialized is
    /// recorded as `null`).
    pub fn with_detail(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.debug_context.debug_data.insert(key.into(), value);
        self
    }

    /// The reason as a code, for failures.
    pub fn reason_code(&self) -> Option<&str> {
        self.debug_context.debug_data.get("reasonCode").and_then(Value::as_str)
    }
}

/// A version-4 UUID from the operating system's random source.
fn random_uuid() -> String {
    uuid_from(&crate::random::SystemRandom)
}

/// A version-4 UUID's text, written from `bytes` into `out`.
pub(crate) fn format_uuid(mut bytes: [u8; 16], out: &mut [u8; 36]) -> &str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    /// Where each byte's two digits go: groups of 8, 4, 4, 4 and 12 digits, a dash between two.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    for at in [8, 13, 18, 23] {
        out[at] = b'-';
    }
    for (byte, at) in bytes.into_iter().zip(AT) {
        out[at] = HEX[usize::from(byte >> 4)];
        out[at + 1] = HEX[usize::from(byte & 0x0f)];
    }
    std::str::from_utf8(out).unwrap_or_default()
}

/// A version-4 UUID drawn from `random`. Should the source fail, the ID is all zeros rather than
/// the event being lost.
pub(crate) fn uuid_from(random: &dyn crate::random::Randomness) -> String {
    format_uuid(random.array().unwrap_or_default(), &mut [0; 36]).to_owned()
}

/// Where events go. Recording must not block for long: a sink that writes somewhere slow should
/// hand events to a queue of its own.
pub trait EventSink: Send + Sync {
    /// Records one event.
    fn record(&self, event: Event);

    /// Records the event `event` describes. By default that is [`record`](Self::record) of
    /// [`event.to_event()`](EventRef::to_event); a sink that keeps events its own way can keep
    /// the parts without the [`Event`] being built, as [`MemoryEventLog`] does. The endpoints
    /// record the events of every token request this way.
    fn record_ref(&self, event: &EventRef<'_>) {
        self.record(event.to_event());
    }

    /// Whether recorded events are kept anywhere (`true` unless the sink drops them all). When it
    /// is `false` and no `tracing` subscriber listens for decisions, the endpoints skip building
    /// the events of the token path.
    fn keeps_events(&self) -> bool {
        true
    }
}

impl<S: EventSink + ?Sized> EventSink for std::sync::Arc<S> {
    fn record(&self, event: Event) {
        (**self).record(event);
    }

    fn record_ref(&self, event: &EventRef<'_>) {
        (**self).record_ref(event);
    }

    fn keeps_events(&self) -> bool {
        (**self).keeps_events()
    }
}

/// A sink that drops every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiscardEvents;

impl EventSink for DiscardEvents {
    fn record(&self, _event: Event) {}

    fn record_ref(&self, _event: &EventRef<'_>) {}

    fn keeps_events(&self) -> bool {
        false
    }
}

/// The order of a query's answer, by publication time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SortOrder {
    /// Oldest first (Okta's `ASCENDING`, the default).
    #[default]
    Ascending,
    /// Newest first (Okta's `DESCENDING`).
    Descending,
}

/// A filter over recorded events; every field set must match.
///
/// [`system_log::parse_query`] builds one from a System Log API query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only this outcome.
    pub outcome: Option<OutcomeResult>,
    /// Only event types equal to this, or starting with it followed by `.`
    /// (`app.oauth2.as.token` matches `app.oauth2.as.token.grant`).
    pub event_type: Option<String>,
    /// Only events published at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only events published before this time.
    pub until: Option<OffsetDateTime>,
    /// At most this many, the first in [`order`](Self::order) (by default the oldest).
    pub limit: Option<usize>,
    /// Only events satisfying this filter expression (the System Log API's `filter`).
    pub filter: Option<EventFilter>,
    /// Only events in whose text values each of these keywords appears, ignoring case (the System
    /// Log API's `q`): the uuid, event type, severity, display message, outcome and reason, the
    /// actor's, client's and targets' ids, types, alternate ids and display names, and the strings
    /// in the debug data. A keyword matches inside a longer value (`token` matches
    /// `app.oauth2.as.token.grant`).
    pub keywords: Vec<String>,
    /// Oldest or newest first.
    pub order: SortOrder,
}

impl EventQuery {
    /// Whether `event` passes every condition of the query (`limit` and `order` aside).
    pub fn matches(&self, event: &Event) -> bool {
        self.matches_fields(event)
    }

    /// [`matches`](Self::matches) for any event's fields, such as a packed event read in place.
    fn matches_fields(&self, event: &impl EventFields) -> bool {
        self.outcome.is_none_or(|outcome| event.result() == outcome)
            && self.event_type.as_deref().is_none_or(|wanted| {
                let event_type = event.event_type();
                event_type == wanted
                    || event_type
                        .strip_prefix(wanted)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            && self.since.is_none_or(|since| event.published() >= since)
            && self.until.is_none_or(|until| event.published() < until)
            && self.filter.as_ref().is_none_or(|filter| filter.matches_fields(event))
            && self.matches_keywords(event)
    }

    fn matches_keywords(&self, event: &impl EventFields) -> bool {
        if self.keywords.is_empty() {
            return true;
        }
        let mut texts = Vec::new();
        event.each_text(&mut |text| texts.push(text.to_lowercase()));
        self.keywords.iter().all(|keyword| {
            let keyword = keyword.to_lowercase();
            texts.iter().any(|text| text.contains(&keyword))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    pub(super) const T0: OffsetDateTime = datetime!(2024-03-01 12:00 UTC);

    pub(super) fn refused(at: OffsetDateTime) -> Event {
        Event::failure(
            "app.oauth2.as.token.grant",
            "OAuth2 token request refused",
            "no_matching_policy",
            "Policy evaluation failed for this request, please check the policy configurations.",
            at,
        )
        .with_client("0oa1")
        .with_actor(Entity::new("User", "00u1"))
        .with_target(Entity::new("AuthorizationServer", "default"))
        .with_detail("requestedScopes", ["openid", "payments:read"])
    }

    #[test]
    fn uuids_are_version_4_in_lowercase_hex_groups() {
        struct Counting;
        impl crate::random::Randomness for Counting {
            fn fill(&self, out: &mut [u8]) -> Result<(), crate::crypto::CryptoError> {
                for (index, byte) in out.iter_mut().enumerate() {
                    *byte = u8::try_from(index).unwrap_or_default() * 17;
                }
                Ok(())
            }
        }
        // RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 10 in byte 8.
        assert_eq!(uuid_from(&Counting), "00112233-4455-4677-8899-aabbccddeeff");
    }

    #[test]
    fn serializes_in_okta_log_event_shape() {
        let json = serde_json::to_value(refused(T0)).unwrap();
        assert_eq!(json["eventType"], "app.oauth2.as.token.grant");
        assert_eq!(json["published"], "2024-03-01T12:00:00.000Z");
        assert_eq!(json["outcome"]["result"], "FAILURE");
        assert_eq!(json["severity"], "INFO");
        assert_eq!(json["client"]["id"], "0oa1");
        assert_eq!(json["actor"]["type"], "User");
        assert_eq!(json["target"][0]["type"], "AuthorizationServer");
        assert_eq!(json["debugContext"]["debugData"]["reasonCode"], "no_matching_policy");
        assert_eq!(json["debugContext"]["debugData"]["requestedScopes"][1], "payments:read");
        let uuid = json["uuid"].as_str().unwrap();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4", "version 4");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back.reason_code(), Some("no_matching_policy"));
    }

    /// A sink that only implements `record` gets parts as the event they describe, through an
    /// `Arc` too.
    #[test]
    fn a_sink_gets_parts_as_their_event_by_default() {
        struct Collect(std::sync::Mutex<Vec<Event>>);
        impl EventSink for Collect {
            fn record(&self, event: Event) {
                self.0.lock().unwrap().push(event);
            }
        }
        let sink = std::sync::Arc::new(Collect(std::sync::Mutex::new(Vec::new())));
        let scopes = vec!["openid".to_owned()];
        let parts = EventRef {
            uuid: "u",
            published: T0,
            event_type: "e",
            severity: Severity::Warn,
            display_message: "m",
            result: OutcomeResult::Failure,
            reason: Some("why"),
            actor: None,
            client: Some("0oa1"),
            target: &[EntityRef {
                display_name: Some("Rule one"),
                ..EntityRef::new("Rule", "0pr1")
            }],
            debug_data: &[("reasonCode", Detail::Text("r")), ("scopes", Detail::Strings(&scopes))],
        };
        sink.record_ref(&parts);
        let expected = Event::failure("e", "m", "r", "why", T0)
            .with_severity(Severity::Warn)
            .with_client("0oa1")
            .with_target(Entity {
                display_name: Some("Rule one".into()),
                ..Entity::new("Rule", "0pr1")
            })
            .with_detail("scopes", ["openid"]);
        let recorded = sink.0.lock().unwrap().clone();
        assert_eq!(
            recorded,
            [Event {
                uuid: "u".into(),
                ..expected
            }]
        );
    }
}

//! [`EventRef`]: an event given as borrowed parts, for the events recorded on every token
//! request. A sink that keeps events its own way ([`MemoryEventLog`](super::MemoryEventLog) packs
//! each into one buffer) keeps one without an [`Event`] being built: a dozen allocations, and as
//! many frees, fewer per event.

use std::borrow::Cow;

use serde_json::Value;
use time::OffsetDateTime;

use super::{DebugContext, Entity, Event, EventClient, Outcome, OutcomeResult, Severity};

/// An event as borrowed parts; [`to_event`](Self::to_event) makes the [`Event`] it describes.
/// What [`EventSink::record_ref`](super::EventSink::record_ref) is given. Its fields follow
/// [`Event`]'s, and more may come as `Event` gains fields.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// use authserver::event::{Event, EventRef, EventSink, OutcomeResult};
///
/// /// Counts refusals without keeping anything.
/// #[derive(Default)]
/// struct Refusals(AtomicUsize);
///
/// impl EventSink for Refusals {
///     fn record(&self, event: Event) {
///         if event.outcome.result == OutcomeResult::Failure {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
///
///     // The token path's events, counted without an `Event` being built for them.
///     fn record_ref(&self, event: &EventRef<'_>) {
///         if event.result == OutcomeResult::Failure {
///             self.0.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let sink = Refusals::default();
/// sink.record(Event::failure("app.oauth2.as.token.grant", "refused", "invalid_scope", "…", time::OffsetDateTime::UNIX_EPOCH));
/// assert_eq!(sink.0.load(Ordering::Relaxed), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct EventRef<'a> {
    /// Unique ID.
    pub uuid: &'a str,
    /// When it happened.
    pub published: OffsetDateTime,
    /// What happened, e.g. `app.oauth2.as.token.grant`.
    pub event_type: &'a str,
    /// How serious it is.
    pub severity: Severity,
    /// A sentence for people.
    pub display_message: &'a str,
    /// `SUCCESS` or `FAILURE`.
    pub result: OutcomeResult,
    /// Why, in words.
    pub reason: Option<&'a str>,
    /// Who acted.
    pub actor: Option<EntityRef<'a>>,
    /// The OAuth client's `client_id`.
    pub client: Option<&'a str>,
    /// What was acted on.
    pub target: &'a [EntityRef<'a>],
    /// The debug data, key by key. A key given twice keeps its last value, as in a map.
    pub debug_data: &'a [(&'a str, Detail<'a>)],
}

/// An [`Entity`] as borrowed parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EntityRef<'a> {
    /// Its ID.
    pub id: &'a str,
    /// Its kind (`User`, `PublicClientApp`, `AuthorizationServer`, `Policy`, `Rule`, …).
    pub kind: &'a str,
    /// A second identifier, e.g. a user's login.
    pub alternate_id: Option<&'a str>,
    /// A name for people.
    pub display_name: Option<&'a str>,
}

impl<'a> EntityRef<'a> {
    /// An entity of `kind` with `id`.
    pub const fn new(kind: &'a str, id: &'a str) -> Self {
        Self {
            id,
            kind,
            alternate_id: None,
            display_name: None,
        }
    }

    /// The owned [`Entity`].
    pub fn to_entity(&self) -> Entity {
        Entity {
            id: self.id.to_owned(),
            kind: Cow::Owned(self.kind.to_owned()),
            alternate_id: self.alternate_id.map(str::to_owned),
            display_name: self.display_name.map(str::to_owned),
        }
    }
}

impl<'a> From<&'a Entity> for EntityRef<'a> {
    fn from(entity: &'a Entity) -> Self {
        Self {
            id: &entity.id,
            kind: &entity.kind,
            alternate_id: entity.alternate_id.as_deref(),
            display_name: entity.display_name.as_deref(),
        }
    }
}

/// One value of an event's debug data.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Detail<'a> {
    /// `null`.
    Null,
    /// A string.
    Text(&'a str),
    /// A list of owned strings.
    Strings(&'a [String]),
    /// A list of string slices.
    Strs(&'a [&'a str]),
    /// Any JSON value (recording bounds it through an [`Event`]).
    Json(&'a Value),
}

impl Detail<'_> {
    /// The JSON value.
    pub fn to_value(&self) -> Value {
        match *self {
            Detail::Null => Value::Null,
            Detail::Text(text) => Value::String(text.to_owned()),
            Detail::Strings(texts) => texts.iter().map(|text| Value::String(text.clone())).collect(),
            Detail::Strs(names) => names.iter().map(|&name| Value::String(name.to_owned())).collect(),
            Detail::Json(value) => value.clone(),
        }
    }

    /// Whether it is only strings and lists of them, which recording bounds as it writes them.
    pub(super) fn is_flat(&self) -> bool {
        !matches!(self, Detail::Json(_))
    }
}

impl EventRef<'_> {
    /// The [`Event`] these parts describe, every text owned.
    pub fn to_event(&self) -> Event {
        Event {
            uuid: self.uuid.to_owned(),
            published: self.published,
            event_type: Cow::Owned(self.event_type.to_owned()),
            severity: self.severity,
            display_message: Cow::Owned(self.display_message.to_owned()),
            outcome: Outcome {
                result: self.result,
                reason: self.reason.map(str::to_owned),
            },
            actor: self.actor.as_ref().map(EntityRef::to_entity),
            client: self.client.map(|id| EventClient { id: id.to_owned() }),
            target: self.target.iter().map(EntityRef::to_entity).collect(),
            debug_context: DebugContext {
                debug_data: self
                    .debug_data
                    .iter()
                    .map(|(key, detail)| ((*key).to_owned(), detail.to_value()))
                    .collect(),
            },
        }
    }
}

impl Event {
    /// Calls `use_parts` with the event as borrowed parts (its debug data as [`Detail::Json`]
    /// values).
    pub(crate) fn as_parts<R>(&self, use_parts: impl FnOnce(&EventRef<'_>) -> R) -> R {
        let target: Vec<EntityRef<'_>> = self.target.iter().map(EntityRef::from).collect();
        let debug_data: Vec<(&str, Detail<'_>)> = self
            .debug_context
            .debug_data
            .iter()
            .map(|(key, value)| (key.as_str(), Detail::Json(value)))
            .collect();
        use_parts(&EventRef {
            uuid: &self.uuid,
            published: self.published,
            event_type: &self.event_type,
            severity: self.severity,
            display_message: &self.display_message,
            result: self.outcome.result,
            reason: self.outcome.reason.as_deref(),
            actor: self.actor.as_ref().map(EntityRef::from),
            client: self.client.as_ref().map(|client| client.id.as_str()),
            target: &target,
            debug_data: &debug_data,
        })
    }
}

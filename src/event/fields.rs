//! [`EventFields`]: what queries read of an event, so that one matching logic serves an
//! [`Event`] and an event the memory log keeps packed, read in place without unpacking it.

use std::borrow::Cow;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{Entity, Event, OutcomeResult, Severity};

/// An entity's texts, borrowed where they can be.
pub(super) struct EntityTexts<'a> {
    pub(super) id: Cow<'a, str>,
    pub(super) kind: Cow<'a, str>,
    pub(super) alternate_id: Option<Cow<'a, str>>,
    pub(super) display_name: Option<Cow<'a, str>>,
}

impl<'a> From<&'a Entity> for EntityTexts<'a> {
    fn from(entity: &'a Entity) -> Self {
        Self {
            id: Cow::Borrowed(&entity.id),
            kind: Cow::Borrowed(&entity.kind),
            alternate_id: entity.alternate_id.as_deref().map(Cow::Borrowed),
            display_name: entity.display_name.as_deref().map(Cow::Borrowed),
        }
    }
}

/// The fields of an event that queries, filters and keyword searches read.
pub(super) trait EventFields {
    fn uuid(&self) -> Cow<'_, str>;
    fn published(&self) -> OffsetDateTime;
    fn event_type(&self) -> Cow<'_, str>;
    fn severity(&self) -> Severity;
    fn display_message(&self) -> Cow<'_, str>;
    fn result(&self) -> OutcomeResult;
    fn reason(&self) -> Option<Cow<'_, str>>;
    fn client_id(&self) -> Option<Cow<'_, str>>;
    fn actor(&self) -> Option<EntityTexts<'_>>;
    fn targets(&self) -> impl Iterator<Item = EntityTexts<'_>>;
    fn debug_data(&self) -> &Map<String, Value>;

    /// Calls `visit` with each text value, as keyword search sees them: uuid, event type,
    /// severity, display message, outcome and reason, the actor's and targets' fields, the
    /// client id, and every string in the debug data.
    fn each_text(&self, visit: &mut dyn FnMut(&str)) {
        fn strings(value: &Value, visit: &mut dyn FnMut(&str)) {
            match value {
                Value::String(text) => visit(text),
                Value::Array(items) => items.iter().for_each(|item| strings(item, visit)),
                Value::Object(map) => map.values().for_each(|item| strings(item, visit)),
                Value::Null | Value::Bool(_) | Value::Number(_) => {}
            }
        }
        visit(&self.uuid());
        visit(&self.event_type());
        visit(self.severity().as_str());
        visit(&self.display_message());
        visit(self.result().as_str());
        if let Some(reason) = self.reason() {
            visit(&reason);
        }
        for entity in self.actor().into_iter().chain(self.targets()) {
            visit(&entity.id);
            visit(&entity.kind);
            entity.alternate_id.as_deref().into_iter().for_each(&mut *visit);
            entity.display_name.as_deref().into_iter().for_each(&mut *visit);
        }
        if let Some(client) = self.client_id() {
            visit(&client);
        }
        self.debug_data().values().for_each(|value| strings(value, visit));
    }
}

impl EventFields for Event {
    fn uuid(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.uuid)
    }

    fn published(&self) -> OffsetDateTime {
        self.published
    }

    fn event_type(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.event_type)
    }

    fn severity(&self) -> Severity {
        self.severity
    }

    fn display_message(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.display_message)
    }

    fn result(&self) -> OutcomeResult {
        self.outcome.result
    }

    fn reason(&self) -> Option<Cow<'_, str>> {
        self.outcome.reason.as_deref().map(Cow::Borrowed)
    }

    fn client_id(&self) -> Option<Cow<'_, str>> {
        self.client.as_ref().map(|client| Cow::Borrowed(client.id.as_str()))
    }

    fn actor(&self) -> Option<EntityTexts<'_>> {
        self.actor.as_ref().map(EntityTexts::from)
    }

    fn targets(&self) -> impl Iterator<Item = EntityTexts<'_>> {
        self.target.iter().map(EntityTexts::from)
    }

    fn debug_data(&self) -> &Map<String, Value> {
        &self.debug_context.debug_data
    }
}

//! [`EventFields`]: what queries read of an event, so that one matching logic serves an
//! [`Event`] and an event the memory log keeps packed, read in place without unpacking it.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{EntityRef, Event, OutcomeResult, Severity};

/// The fields of an event that queries, filters and keyword searches read.
pub(super) trait EventFields {
    fn uuid(&self) -> &str;
    fn published(&self) -> OffsetDateTime;
    fn event_type(&self) -> &str;
    fn severity(&self) -> Severity;
    fn display_message(&self) -> &str;
    fn result(&self) -> OutcomeResult;
    fn reason(&self) -> Option<&str>;
    fn client_id(&self) -> Option<&str>;
    fn actor(&self) -> Option<EntityRef<'_>>;
    fn targets(&self) -> impl Iterator<Item = EntityRef<'_>>;
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
        visit(self.uuid());
        visit(self.event_type());
        visit(self.severity().as_str());
        visit(self.display_message());
        visit(self.result().as_str());
        self.reason().into_iter().for_each(&mut *visit);
        for entity in self.actor().into_iter().chain(self.targets()) {
            visit(entity.id);
            visit(entity.kind);
            entity.alternate_id.into_iter().for_each(&mut *visit);
            entity.display_name.into_iter().for_each(&mut *visit);
        }
        self.client_id().into_iter().for_each(&mut *visit);
        self.debug_data().values().for_each(|value| strings(value, visit));
    }
}

impl EventFields for Event {
    fn uuid(&self) -> &str {
        &self.uuid
    }

    fn published(&self) -> OffsetDateTime {
        self.published
    }

    fn event_type(&self) -> &str {
        &self.event_type
    }

    fn severity(&self) -> Severity {
        self.severity
    }

    fn display_message(&self) -> &str {
        &self.display_message
    }

    fn result(&self) -> OutcomeResult {
        self.outcome.result
    }

    fn reason(&self) -> Option<&str> {
        self.outcome.reason.as_deref()
    }

    fn client_id(&self) -> Option<&str> {
        self.client.as_ref().map(|client| client.id.as_str())
    }

    fn actor(&self) -> Option<EntityRef<'_>> {
        self.actor.as_ref().map(EntityRef::from)
    }

    fn targets(&self) -> impl Iterator<Item = EntityRef<'_>> {
        self.target.iter().map(EntityRef::from)
    }

    fn debug_data(&self) -> &Map<String, Value> {
        &self.debug_context.debug_data
    }
}

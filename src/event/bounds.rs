//! Size bounds for events. Refused requests are recorded with what the client sent (its
//! `client_id`, a username, the scopes it asked for), and a client can send megabytes: every text
//! in an event is cut to [`MAX_TEXT_BYTES`], every list to [`MAX_LIST_ITEMS`] and every nesting
//! to [`MAX_DEPTH`] before it is kept, so an event costs at most a few kilobytes whatever arrives.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::fields::EventFields;
use super::{Entity, Event};

/// The longest text kept in an event, in bytes. Longer texts keep their first bytes (on a
/// character boundary) followed by `…`.
pub const MAX_TEXT_BYTES: usize = 256;

/// The most items kept of a list in an event's debug data; the rest are dropped.
pub const MAX_LIST_ITEMS: usize = 50;

/// The most keys kept of an object in an event's debug data.
pub const MAX_OBJECT_KEYS: usize = 50;

/// How deep an event's debug data may nest; deeper values become `null`.
pub const MAX_DEPTH: usize = 8;

/// `text` cut to [`MAX_TEXT_BYTES`] on a character boundary, with `…` when it was longer. A cut
/// text is a new, small allocation: truncating in place would keep the whole buffer alive (a
/// 60 KB `client_id` would still cost 60 KB in every event kept).
pub fn bounded_text(text: String) -> String {
    if text.len() <= MAX_TEXT_BYTES {
        return text;
    }
    bounded_str(&text).into_owned()
}

/// `text` cut as [`bounded_text`] does, borrowed when it is short enough.
pub(crate) fn bounded_str(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_TEXT_BYTES {
        return Cow::Borrowed(text);
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut cut = String::with_capacity(end + '…'.len_utf8());
    cut.push_str(&text[..end]);
    cut.push('…');
    Cow::Owned(cut)
}

impl Event {
    /// The event with every text, list and nesting within the bounds above. Recording applies
    /// it, so a sink never keeps more.
    pub fn bounded(mut self) -> Self {
        let cut = |text: &mut String| *text = bounded_text(std::mem::take(text));
        bound_cow(&mut self.event_type);
        bound_cow(&mut self.display_message);
        if let Some(reason) = &mut self.outcome.reason {
            cut(reason);
        }
        if let Some(client) = &mut self.client {
            cut(&mut client.id);
        }
        self.actor
            .iter_mut()
            .chain(self.target.iter_mut())
            .for_each(bound_entity);
        self.target.truncate(MAX_LIST_ITEMS);
        bound_object(&mut self.debug_context.debug_data, 0);
        self
    }

    /// Roughly how many bytes the event holds: its texts and a fixed overhead, for logs that keep
    /// events in memory within a byte budget.
    pub fn approximate_size(&self) -> usize {
        const OVERHEAD: usize = 256;
        let mut size = OVERHEAD;
        self.each_text(&mut |text| size += text.len());
        size
    }
}

/// Bounds a text that is usually fixed (`&'static str`, within bounds by construction).
fn bound_cow(text: &mut Cow<'static, str>) {
    if text.len() > MAX_TEXT_BYTES {
        *text = Cow::Owned(bounded_str(text).into_owned());
    }
}

fn bound_entity(entity: &mut Entity) {
    bound_cow(&mut entity.kind);
    for text in std::iter::once(&mut entity.id)
        .chain(entity.alternate_id.as_mut())
        .chain(entity.display_name.as_mut())
    {
        *text = bounded_text(std::mem::take(text));
    }
}

/// Bounds `object` in place: the common event, already within every bound, is only read. An
/// object with too many keys or a long key is rebuilt (in its order, first keys kept).
fn bound_object(object: &mut Map<String, Value>, depth: usize) {
    let rebuild = object.len() > MAX_OBJECT_KEYS || object.keys().any(|key| key.len() > MAX_TEXT_BYTES);
    if rebuild {
        *object = std::mem::take(object)
            .into_iter()
            .take(MAX_OBJECT_KEYS)
            .map(|(key, value)| (bounded_text(key), value))
            .collect();
    }
    object.values_mut().for_each(|value| bound_value(value, depth + 1));
}

/// Bounds `value` in place. A cut list is shrunk, so it does not keep its long buffer either.
fn bound_value(value: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        *value = Value::Null;
        return;
    }
    match value {
        Value::String(text) if text.len() > MAX_TEXT_BYTES => *text = bounded_str(text).into_owned(),
        Value::Array(items) => {
            if items.len() > MAX_LIST_ITEMS {
                items.truncate(MAX_LIST_ITEMS);
                items.shrink_to_fit();
            }
            items.iter_mut().for_each(|item| bound_value(item, depth + 1));
        }
        Value::Object(object) => bound_object(object, depth),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        assert_eq!(bounded_text("short".into()), "short");
        let long = "é".repeat(MAX_TEXT_BYTES); // two bytes each
        let cut = bounded_text(long);
        assert!(cut.len() <= MAX_TEXT_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert!(cut.trim_end_matches('…').chars().all(|c| c == 'é'));
    }

    /// Issue 14: 2,000 refused requests naming a 60 KB `client_id` took the host from 10 MB to
    /// 490 MB, because a truncated `String` keeps its whole buffer.
    #[test]
    fn a_cut_text_does_not_keep_the_long_buffer() {
        let cut = bounded_text("x".repeat(60 * 1024));
        assert!(cut.capacity() <= MAX_TEXT_BYTES + '…'.len_utf8(), "{}", cut.capacity());
    }

    /// A refused token request whose reason is `reason`.
    fn refusal(reason: String) -> Event {
        Event::failure(
            "app.oauth2.as.token.grant",
            "refused",
            "invalid_client",
            reason,
            datetime!(2026-01-01 0:00 UTC),
        )
    }

    #[test]
    fn a_hostile_request_makes_a_small_event() {
        // A 60 KB client_id and a 1 MB username in a refusal, and a deep, wide detail.
        let huge = "x".repeat(60 * 1024);
        let mut deep = json!("bottom");
        for _ in 0..50 {
            deep = json!([deep]);
        }
        let event = refusal(huge.clone())
            .with_client(huge.clone())
            .with_actor(Entity::new("User", "x".repeat(1024 * 1024)))
            .with_detail("requestedScopes", vec![huge.clone(); 10_000])
            .with_detail("deep", deep);
        let before = event.approximate_size();
        let bounded = event.bounded();
        assert!(before > 1_000_000);
        assert!(bounded.approximate_size() < 32 * 1024, "{}", bounded.approximate_size());
        assert_eq!(bounded.reason_code(), Some("invalid_client"));
        let scopes = bounded.debug_context.debug_data["requestedScopes"].as_array().unwrap();
        assert_eq!(scopes.len(), MAX_LIST_ITEMS);
    }

    #[test]
    fn a_memory_log_stays_within_its_byte_budget() {
        use crate::event::{EventSink, MemoryEventLog};
        let log = MemoryEventLog::with_limits(10_000, 1024 * 1024);
        let huge = "y".repeat(60 * 1024);
        for i in 0..10_000 {
            let event = refusal(huge.clone())
                .with_client(format!("{i}{huge}"))
                .with_detail("username", huge.clone());
            log.record(event);
        }
        assert!(log.approximate_bytes() <= 1024 * 1024, "{}", log.approximate_bytes());
        assert!(
            log.len() > 100,
            "the budget holds hundreds of bounded events, not a few"
        );
        assert!(
            log.last().unwrap().client.unwrap().id.starts_with("9999"),
            "the newest is kept"
        );
    }

    /// Bounding works in place; a list it cuts is reallocated small, as a cut text is.
    #[test]
    fn a_cut_list_does_not_keep_the_long_buffer() {
        let event = refusal("r".into()).with_detail("scopes", vec!["s"; 100_000]);
        let bounded = event.bounded();
        let Some(Value::Array(scopes)) = bounded.debug_context.debug_data.get("scopes") else {
            panic!("scopes kept as a list");
        };
        assert_eq!(scopes.len(), MAX_LIST_ITEMS);
        assert!(scopes.capacity() <= 2 * MAX_LIST_ITEMS, "{}", scopes.capacity());
    }

    /// Objects are rebuilt only when a key is too long or there are too many: the first keys are
    /// kept, and long keys are cut like texts.
    #[test]
    fn objects_keep_their_first_keys_with_long_keys_cut() {
        let wide: Map<String, Value> = (0..MAX_OBJECT_KEYS + 10)
            .map(|i| (format!("k{i:03}"), Value::from(i)))
            .collect();
        let long_key = "k".repeat(MAX_TEXT_BYTES + 10);
        let event = refusal("r".into())
            .with_detail("wide", Value::Object(wide))
            .with_detail("nested", json!({ long_key.clone(): {"inner": "x".repeat(1000)} }));
        let bounded = event.bounded();
        let data = &bounded.debug_context.debug_data;
        let wide = data["wide"].as_object().unwrap();
        assert_eq!(wide.len(), MAX_OBJECT_KEYS);
        assert!(wide.contains_key("k000") && !wide.contains_key(&format!("k{:03}", MAX_OBJECT_KEYS)));
        let nested = data["nested"].as_object().unwrap();
        let (key, value) = nested.iter().next().unwrap();
        assert_eq!(key, &bounded_text(long_key));
        assert_eq!(value["inner"].as_str().unwrap().len(), MAX_TEXT_BYTES + '…'.len_utf8());
    }

    #[test]
    fn small_events_are_unchanged() {
        let event = Event::success("app.oauth2.as.token.grant", "granted", datetime!(2026-01-01 0:00 UTC))
            .with_client("0oaclient")
            .with_detail("scopes", ["openid", "profile"]);
        assert_eq!(event.clone().bounded(), event);
    }
}

//! [`MemoryEventLog`]: the most recent events, in memory.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use super::packed::{self, Packed};
use super::{Event, EventQuery, EventRef, EventSink, SortOrder};

/// The size of the segments events are packed into, one after the other.
const SEGMENT_BYTES: usize = 64 * 1024;

/// An in-memory log of the most recent events, oldest dropped first: at most 10,000 events and
/// [`MemoryEventLog::DEFAULT_BYTES`] of them by default. Events are [bounded](Event::bounded)
/// when recorded, so no request can make one large, and packed one after the other into
/// segments of 64 KiB, each one allocation: recording an event allocates nothing, and pushing
/// the oldest out frees nothing until its whole segment has gone. Queries match events in place
/// and unpack only those they return.
#[derive(Debug)]
pub struct MemoryEventLog {
    capacity: usize,
    max_bytes: usize,
    kept: Mutex<Kept>,
}

/// The events kept, and the segments they are packed in.
#[derive(Debug, Default)]
struct Kept {
    /// Oldest first.
    events: VecDeque<Entry>,
    /// The segments holding `events`, oldest first. Events are appended to the last one while it
    /// has room and no query holds it.
    segments: VecDeque<Arc<Vec<u8>>>,
    /// The number of segments dropped so far: the number of `segments[0]`.
    dropped_segments: u64,
    /// What the events take, as [`Entry::size`] counts.
    bytes: usize,
}

/// Where an event is packed.
#[derive(Debug, Clone, Copy)]
struct Entry {
    published: OffsetDateTime,
    /// The number of its segment, counted from the first the log made.
    segment: u64,
    start: usize,
    len: usize,
}

impl Entry {
    /// What the event takes: its packed bytes and its entry.
    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.len
    }
}

/// Events taken from the log under its lock, to be read after releasing it: their entries, and
/// the segments they are in (reference counts, not copies).
struct Taken {
    events: Vec<Entry>,
    segments: Vec<Arc<Vec<u8>>>,
    /// The number of `segments[0]`.
    first_segment: u64,
}

impl Taken {
    fn packed(&self, entry: &Entry) -> Packed<'_> {
        let segment = entry
            .segment
            .checked_sub(self.first_segment)
            .and_then(|index| usize::try_from(index).ok())
            .and_then(|index| self.segments.get(index));
        Packed {
            published: entry.published,
            bytes: segment
                .and_then(|segment| segment.get(entry.start..entry.start + entry.len))
                .unwrap_or_default(),
        }
    }
}

impl Default for MemoryEventLog {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

impl MemoryEventLog {
    /// The default byte budget: 32 MiB.
    pub const DEFAULT_BYTES: usize = 32 * 1024 * 1024;

    /// A log keeping at most `capacity` events (at least one), within [`Self::DEFAULT_BYTES`].
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_limits(capacity, Self::DEFAULT_BYTES)
    }

    /// A log keeping at most `capacity` events (at least one) and about `max_bytes` of them
    /// (the newest event is always kept). The bytes counted are those the events take packed,
    /// usually a third of what they take as [`Event`]s; the segments they are packed in hold up
    /// to two segments (128 KiB) more, the oldest partly pushed out and the newest partly filled.
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            max_bytes,
            kept: Mutex::new(Kept {
                events: VecDeque::with_capacity(capacity.min(1024)),
                ..Kept::default()
            }),
        }
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Roughly how many bytes the kept events hold, packed.
    pub fn approximate_bytes(&self) -> usize {
        self.kept().bytes
    }

    /// The events matching `query`, ordered by publication time, oldest first or, with
    /// [`SortOrder::Descending`], newest first; at most `query.limit` of them. Events published at
    /// the same instant keep the order they were recorded in (reversed for newest first). Events
    /// are normally recorded in publication order, so oldest first is the order recorded.
    ///
    /// The entries of the events in the query's time window are copied under the lock, with a
    /// handle on each segment, and matched after it is released, read in place; only those
    /// returned are unpacked. Recording waits at most for that copy (about 0.1 ms for 10,000
    /// events), not for the matching.
    pub fn query(&self, query: &EventQuery) -> Vec<Event> {
        let mut taken = self.take(|entry| {
            query.since.is_none_or(|since| entry.published >= since)
                && query.until.is_none_or(|until| entry.published < until)
        });
        if !taken.events.is_sorted_by_key(|entry| entry.published) {
            taken.events.sort_by_key(|entry| entry.published);
        }
        let limit = query.limit.unwrap_or(usize::MAX);
        let matching = |entry: &Entry| {
            let view = taken.packed(entry).view();
            query.matches_fields(&view).then(|| view.into_event())
        };
        match query.order {
            SortOrder::Ascending => taken.events.iter().filter_map(matching).take(limit).collect(),
            SortOrder::Descending => taken.events.iter().rev().filter_map(matching).take(limit).collect(),
        }
    }

    /// Every event kept, in the order recorded.
    pub fn all(&self) -> Vec<Event> {
        let taken = self.take(|_| true);
        taken.events.iter().map(|entry| taken.packed(entry).unpack()).collect()
    }

    /// The most recent event, if any.
    pub fn last(&self) -> Option<Event> {
        let taken = {
            let kept = self.kept();
            let last = kept.events.back().copied();
            last.map(|entry| Taken {
                events: vec![entry],
                segments: kept.segment_of(&entry).cloned().into_iter().collect(),
                first_segment: entry.segment,
            })
        };
        taken.map(|taken| taken.packed(&taken.events[0]).unpack())
    }

    /// The number of events kept.
    pub fn len(&self) -> usize {
        self.kept().events.len()
    }

    /// Whether no event is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kept events `wanted` picks, with the segments from the first of them on.
    fn take(&self, wanted: impl Fn(&Entry) -> bool) -> Taken {
        let kept = self.kept();
        let events: Vec<Entry> = kept.events.iter().filter(|entry| wanted(entry)).copied().collect();
        let first_segment = events.first().map_or(kept.dropped_segments, |entry| entry.segment);
        let skipped = usize::try_from(first_segment.saturating_sub(kept.dropped_segments)).unwrap_or(usize::MAX);
        let segments = if events.is_empty() {
            Vec::new()
        } else {
            kept.segments.iter().skip(skipped).cloned().collect()
        };
        Taken {
            events,
            segments,
            first_segment,
        }
    }

    /// Keeps the event packed as `bytes`, published at `published`, pushing out the oldest
    /// events as the capacity and byte budget require, and dropping the segments they leave
    /// empty.
    fn keep(&self, published: OffsetDateTime, bytes: &[u8]) {
        let mut kept = self.kept();
        let size = std::mem::size_of::<Entry>() + bytes.len();
        while kept.events.len() >= self.capacity || kept.bytes + size > self.max_bytes {
            let Some(oldest) = kept.events.pop_front() else {
                break;
            };
            kept.bytes = kept.bytes.saturating_sub(oldest.size());
        }
        kept.drop_unused_segments();
        let entry = kept.append(published, bytes);
        kept.bytes += entry.size();
        kept.events.push_back(entry);
    }
}

impl Kept {
    /// Drops the oldest segments no kept event is in, but the last one, which the next event may
    /// be appended to.
    fn drop_unused_segments(&mut self) {
        let oldest_used = self.events.front().map_or(u64::MAX, |entry| entry.segment);
        while self.segments.len() > 1 && self.dropped_segments < oldest_used {
            self.segments.pop_front();
            self.dropped_segments += 1;
        }
    }

    /// Copies `bytes` to the end of the last segment if it has room and no query holds it, or
    /// else to a new segment; returns where they are.
    fn append(&mut self, published: OffsetDateTime, bytes: &[u8]) -> Entry {
        let next_segment = self.dropped_segments + self.segments.len() as u64;
        let entry = |segment, start| Entry {
            published,
            segment,
            start,
            len: bytes.len(),
        };
        let open = self
            .segments
            .back_mut()
            .and_then(Arc::get_mut)
            .filter(|segment| segment.capacity() - segment.len() >= bytes.len());
        if let Some(segment) = open {
            let start = segment.len();
            segment.extend_from_slice(bytes);
            return entry(next_segment - 1, start);
        }
        let mut segment = Vec::with_capacity(SEGMENT_BYTES.max(bytes.len()));
        segment.extend_from_slice(bytes);
        self.segments.push_back(Arc::new(segment));
        entry(next_segment, 0)
    }

    /// The segment `entry` is in.
    fn segment_of(&self, entry: &Entry) -> Option<&Arc<Vec<u8>>> {
        let index = usize::try_from(entry.segment.checked_sub(self.dropped_segments)?).ok()?;
        self.segments.get(index)
    }
}

impl EventSink for MemoryEventLog {
    /// Bounds and packs the event before taking the lock; under it, copies the packed bytes to
    /// the last segment.
    fn record(&self, event: Event) {
        let event = event.bounded();
        event.as_parts(|parts| packed::pack(parts, |bytes| self.keep(parts.published, bytes)));
    }

    /// Packs the parts directly, bounded as [`Event::bounded`] bounds an event, without building
    /// an [`Event`], when the debug data is flat (no [`Detail::Json`](super::Detail::Json)) under
    /// keys in increasing order, as the endpoints give it; otherwise through the event, which
    /// bounds the JSON and orders the keys as its map does.
    fn record_ref(&self, event: &EventRef<'_>) {
        let flat = event.debug_data.iter().all(|(_, detail)| detail.is_flat());
        if flat && event.debug_data.is_sorted_by(|(a, _), (b, _)| a < b) {
            packed::pack(event, |bytes| self.keep(event.published, bytes));
        } else {
            self.record(event.to_event());
        }
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;
    use crate::event::tests::{T0, refused};
    use crate::event::{Detail, EntityRef, OutcomeResult, Severity};

    const SERVER: [EntityRef<'static>; 1] = [EntityRef::new("AuthorizationServer", "default")];

    /// Parts as the token path gives them, with `details`.
    fn parts<'a>(details: &'a [(&'a str, Detail<'a>)]) -> EventRef<'a> {
        EventRef {
            uuid: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            published: T0,
            event_type: "app.oauth2.as.token.grant",
            severity: Severity::Info,
            display_message: "OAuth2 tokens granted",
            result: OutcomeResult::Success,
            reason: None,
            actor: Some(EntityRef::new("PublicClientApp", "0oa1")),
            client: Some("0oa1"),
            target: &SERVER,
            debug_data: details,
        }
    }

    /// Parts are kept as the event they describe, bounded: packed directly when their details
    /// are flat, through the event when one is any JSON (here nested past the depth bound).
    #[test]
    fn parts_are_kept_as_their_bounded_event() {
        let deep = (0..20).fold(serde_json::json!("bottom"), |inner, _| serde_json::json!([inner]));
        let long = "x".repeat(2 * crate::event::MAX_TEXT_BYTES);
        for details in [
            vec![
                ("tokens", Detail::Strs(&["access_token"])),
                ("grantType", Detail::Text(&long)),
            ],
            vec![("nested", Detail::Json(&deep)), ("grantType", Detail::Null)],
        ] {
            let event = parts(&details);
            let log = MemoryEventLog::default();
            log.record_ref(&event);
            assert_eq!(log.all(), [event.to_event().bounded()]);
        }
    }

    #[test]
    fn query_filters_by_outcome_type_and_time() {
        let log = MemoryEventLog::default();
        log.record(Event::success("app.oauth2.as.token.grant.access_token", "granted", T0));
        log.record(refused(T0 + Duration::minutes(1)));
        log.record(Event::success(
            "app.oauth2.as.authorize",
            "authorized",
            T0 + Duration::minutes(2),
        ));

        let failures = log.query(&EventQuery {
            outcome: Some(OutcomeResult::Failure),
            ..Default::default()
        });
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].reason_code(), Some("no_matching_policy"));

        let token_events = log.query(&EventQuery {
            event_type: Some("app.oauth2.as.token".into()),
            ..Default::default()
        });
        assert_eq!(token_events.len(), 2, "prefix matches whole dot-separated segments");
        let none = log.query(&EventQuery {
            event_type: Some("app.oauth2.as.tok".into()),
            ..Default::default()
        });
        assert!(none.is_empty(), "a partial segment is not a prefix match");

        let later = log.query(&EventQuery {
            since: Some(T0 + Duration::minutes(1)),
            ..Default::default()
        });
        assert_eq!(later.len(), 2);
        let window = log.query(&EventQuery {
            since: Some(T0),
            until: Some(T0 + Duration::minutes(2)),
            limit: Some(1),
            ..Default::default()
        });
        assert_eq!(window.len(), 1);
        assert_eq!(
            window[0].event_type, "app.oauth2.as.token.grant.access_token",
            "oldest first"
        );
    }

    /// An event of about `bytes` packed bytes, published `minute` minutes after T0.
    fn sized_event(minute: i64, bytes: usize) -> Event {
        let texts = bytes.div_ceil(crate::event::MAX_TEXT_BYTES);
        let lists = texts.div_ceil(crate::event::MAX_LIST_ITEMS);
        (0..lists).fold(Event::success("e", "m", T0 + Duration::minutes(minute)), |event, n| {
            let items = (texts - n * crate::event::MAX_LIST_ITEMS).min(crate::event::MAX_LIST_ITEMS);
            event.with_detail(
                format!("list{n:02}"),
                vec!["x".repeat(crate::event::MAX_TEXT_BYTES - 4); items],
            )
        })
    }

    /// Events fill segment after segment; those pushed out free their segments once no kept
    /// event is in them, so a full log holds its events' bytes and at most two segments more.
    #[test]
    fn segments_are_filled_in_turn_and_dropped_when_emptied() {
        let log = MemoryEventLog::with_capacity(100);
        let events: Vec<Event> = (0..1000).map(|minute| sized_event(minute, 2000)).collect();
        for (recorded, event) in events.iter().enumerate() {
            log.record(event.clone());
            let kept = log.kept();
            let held: usize = kept.segments.iter().map(|segment| segment.capacity()).sum();
            assert!(held <= kept.bytes + 2 * SEGMENT_BYTES, "after {recorded}: {held} held");
            assert!(kept.segments.len() <= kept.events.len().div_ceil(SEGMENT_BYTES / 2000) + 2);
        }
        assert_eq!(log.all(), events[900..]);
        assert_eq!(log.last().as_ref(), events.last());
        assert!(log.kept().dropped_segments > 20, "segments were dropped");
    }

    /// What a query took stays readable while events are recorded and pushed out: the segment it
    /// holds is not appended to, and is freed only when the query lets go of it.
    #[test]
    fn a_query_reads_its_segments_while_recording_goes_on() {
        let log = MemoryEventLog::with_capacity(3);
        let events: Vec<Event> = (0..20).map(|minute| sized_event(minute, 300)).collect();
        for event in &events[..3] {
            log.record(event.clone());
        }
        let taken = log.take(|_| true);
        let held = taken.segments[0].len();
        for event in &events[3..] {
            log.record(event.clone());
        }
        let read: Vec<Event> = taken.events.iter().map(|entry| taken.packed(entry).unpack()).collect();
        assert_eq!(read, events[..3]);
        assert_eq!(taken.segments[0].len(), held, "the held segment was not appended to");
        assert_eq!(log.all(), events[17..]);
        assert_eq!(log.kept().segments.len(), 1, "the log let go of the emptied segment");
        assert_eq!(Arc::strong_count(&taken.segments[0]), 1, "only the query holds it");
    }

    /// An event larger than a segment gets a segment of its own.
    #[test]
    fn an_event_larger_than_a_segment_is_kept_whole() {
        let log = MemoryEventLog::default();
        let small = sized_event(0, 100);
        let large = sized_event(1, 3 * SEGMENT_BYTES / 2).bounded();
        log.record(small.clone());
        log.record(large.clone());
        log.record(small.clone());
        assert_eq!(log.all(), [small.clone(), large, small]);
        assert_eq!(log.kept().segments.len(), 3);
    }

    #[test]
    fn capacity_drops_the_oldest() {
        let log = MemoryEventLog::with_capacity(2);
        for minute in 0..3 {
            log.record(Event::success("e", "m", T0 + Duration::minutes(minute)));
        }
        let kept = log.all();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].published, T0 + Duration::minutes(1));
        assert_eq!(log.last().unwrap().published, T0 + Duration::minutes(2));
    }

    #[test]
    fn the_byte_budget_pushes_out_as_many_as_it_takes() {
        // An event with `details` details of 200 bytes each, and what it takes in a log.
        let sized = |minute: i64, details: usize| {
            (0..details).fold(Event::success("e", "m", T0 + Duration::minutes(minute)), |event, n| {
                event.with_detail(format!("detail{n}"), "x".repeat(200))
            })
        };
        let bytes_of = |event: Event| {
            let log = MemoryEventLog::default();
            log.record(event);
            log.approximate_bytes()
        };
        let small = bytes_of(sized(0, 1));
        // Room for four small events; the big one, more than two but at most three of them,
        // pushes out three.
        let details = (2..20)
            .find(|&n| bytes_of(sized(0, n)) > 2 * small)
            .expect("a big event");
        let big = sized(4, details);
        let big_bytes = bytes_of(big.clone());
        assert!(big_bytes <= 3 * small, "{big_bytes} against {small}");
        let log = MemoryEventLog::with_limits(100, 4 * small);
        for minute in 0..4 {
            log.record(sized(minute, 1));
        }
        assert_eq!((log.len(), log.approximate_bytes()), (4, 4 * small));
        log.record(big.clone());
        let kept = log.all();
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].published, T0 + Duration::minutes(3));
        assert_eq!(kept[1], big.bounded());
        assert_eq!(
            log.approximate_bytes(),
            small + big_bytes,
            "the count follows what is kept"
        );
    }
}

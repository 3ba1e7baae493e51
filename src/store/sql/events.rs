//! [`SqlEventLog`]: the System Log in SQL, written in batches by a background task.
//!
//! [`record`](EventSink::record) puts the event on an unbounded channel and returns. One task per
//! database (started with the first log, on the database's Tokio runtime) moves whatever arrives
//! into its own queue, at once and also while a write is under way, so the channel stays short
//! and the queue is the one place events wait. It writes the queue's oldest events, up to
//! [`BATCH`], in one multi-row `INSERT`, and repeats; a batch that is not full waits up to
//! [`LINGER`] for more, unless a flush asks for it. A flush is a marker on the same channel: it
//! is answered once every event queued before it is written, or when a write fails.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::runtime::Handle;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{Shared, column, from_json, from_nanos, nanos, store_error, to_json};
use crate::event::{Event, EventLog, EventQuery, EventSink, SortOrder};
use crate::store::StoreError;

/// The most events one `INSERT` writes.
const BATCH: usize = 500;

/// How long the first queued event waits for others before a batch that is not full is written
/// (a flush writes at once). Fewer, larger writes keep SQLite's single write lock free for the
/// requests' own writes; a crash loses at most this much of the log.
const LINGER: Duration = Duration::from_millis(50);

/// The most events waiting to be written; beyond, the oldest waiting are dropped.
const MAX_QUEUED: usize = 100_000;

/// The first wait before retrying a failed write; it doubles with each failure.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How many more failed writes the task tries once every log of the database is gone.
const ATTEMPTS_WHEN_ABANDONED: u32 = 5;

/// Rows per page when reading (the `LIMIT` in the `SELECT_*` statements).
const PAGE: usize = 500;

/// Rows per `DELETE` when purging.
const PURGE_CHUNK: u64 = 10_000;

const SELECT_ASCENDING: &str = "SELECT seq, published, event FROM events \
     WHERE published >= $1 AND published <= $2 ORDER BY published, seq LIMIT 500";
const SELECT_ASCENDING_AFTER: &str = "SELECT seq, published, event FROM events \
     WHERE published >= $1 AND published <= $2 AND (published, seq) > ($3, $4) \
     ORDER BY published, seq LIMIT 500";
const SELECT_DESCENDING: &str = "SELECT seq, published, event FROM events \
     WHERE published >= $1 AND published <= $2 ORDER BY published DESC, seq DESC LIMIT 500";
const SELECT_DESCENDING_AFTER: &str = "SELECT seq, published, event FROM events \
     WHERE published >= $1 AND published <= $2 AND (published, seq) < ($3, $4) \
     ORDER BY published DESC, seq DESC LIMIT 500";
const PURGE: &str = "DELETE FROM events WHERE seq IN \
     (SELECT seq FROM events WHERE published < $1 ORDER BY published, seq LIMIT 10000)";

/// An [`EventLog`] in SQL: the System Log of every instance that shares the database.
///
/// # Writing
///
/// [`record`](EventSink::record) never blocks and never touches the database: it queues the
/// event for a background task, which takes whatever is queued (up to 500 events), writes it
/// with one multi-row `INSERT`, and repeats; busy periods are written in batches, quiet ones
/// event by event. Every log of one [`SqlDatabase`](super::SqlDatabase) (clones and repeated
/// [`event_log`](super::SqlDatabase::event_log) calls alike) shares that one task, so events
/// recorded in order are written in order.
///
/// # When the database fails
///
/// The batch is kept and retried after 100 ms, then after twice as long each time up to 30 s;
/// a [`flush`](Self::flush) (and so a [`query`](EventLog::query)) retries at once. At most 100,000
/// events wait: beyond that the oldest waiting are dropped. Events are also dropped if they
/// cannot be serialized as JSON, if they are recorded after the database is
/// [closed](super::SqlDatabase::close), or if they still wait when every log of the database is
/// gone and five more attempts fail. [`dropped`](Self::dropped) counts them all.
///
/// # Shutdown
///
/// Events still queued when the Tokio runtime stops are lost: on shutdown, hosts call
/// [`flush`](Self::flush), and then [`SqlDatabase::close`](super::SqlDatabase::close).
///
/// # Reading
///
/// [`query`](EventLog::query) first flushes (so a host finds the events it has just recorded),
/// then reads the events published in the query's time window by `(published, recording order)`,
/// 500 rows at a time, and keeps those that [`EventQuery::matches`] accepts until it has
/// `limit` of them or the window is exhausted: memory stays bounded by a page and the limit,
/// while time grows with the events in the window.
///
/// # Retention
///
/// Events are kept until [`purge_older_than`](Self::purge_older_than) removes them. Okta keeps
/// 90 days ([`RETENTION`](Self::RETENTION)); a host calls, say daily,
/// `log.purge_older_than(now - SqlEventLog::RETENTION)`.
#[derive(Clone)]
pub struct SqlEventLog {
    shared: Arc<Shared>,
    writer: Arc<Writer>,
}

impl std::fmt::Debug for SqlEventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlEventLog")
            .field("backend", &self.shared.backend)
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl SqlEventLog {
    /// How long Okta keeps System Log events: 90 days.
    pub const RETENTION: time::Duration = time::Duration::days(90);

    pub(super) fn new(shared: Arc<Shared>) -> Self {
        let writer = shared.event_writer.get_or_start(&shared);
        Self { shared, writer }
    }

    /// Waits until every event recorded through this database's logs before the call is written.
    /// Hosts call it on shutdown, before closing the database: events still queued when the
    /// runtime stops are lost.
    ///
    /// # Errors
    /// [`StoreError`] if the write of a waiting event fails (the events stay queued and are
    /// retried), if some of them are dropped meanwhile, or if the database is closed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.writer
            .sender
            .send(Message::Flush(reply))
            .map_err(|_| StoreError::from(WriteError::Stopped))?;
        match answer.await {
            Ok(result) => result.map_err(StoreError::from),
            Err(_) => Err(WriteError::Stopped.into()),
        }
    }

    /// Deletes the events published before `cutoff`, in chunks of 10,000 so that writers are not
    /// held up. Returns how many were deleted. Okta keeps 90 days: `cutoff` is typically
    /// `now - SqlEventLog::RETENTION`.
    ///
    /// # Errors
    /// [`StoreError`] if the database fails; the chunks deleted before stay deleted.
    pub async fn purge_older_than(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError> {
        let cutoff = nanos(cutoff);
        let mut deleted = 0;
        loop {
            let chunk = sqlx::query(PURGE)
                .bind(cutoff)
                .execute(self.shared.pool())
                .await
                .map_err(store_error)?
                .rows_affected();
            deleted += chunk;
            if chunk < PURGE_CHUNK {
                return Ok(deleted);
            }
        }
    }

    /// How many events were lost since the database was opened: dropped because more than
    /// 100,000 waited for a failing database, because they could not be serialized, or because
    /// the database was closed. See [When the database fails](Self#when-the-database-fails).
    pub fn dropped(&self) -> u64 {
        self.writer.stats.dropped.load(Ordering::Relaxed)
    }

    /// The events matching `query`; see [Reading](Self#reading).
    async fn select(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.flush().await?;
        let limit = query.limit.unwrap_or(usize::MAX);
        let mut found = Vec::new();
        if limit == 0 {
            return Ok(found);
        }
        // A superset of the window: stored times saturate, `matches` applies the exact bounds.
        let lower = query.since.map_or(i64::MIN, nanos);
        let upper = query.until.map_or(i64::MAX, nanos);
        let (first, after) = match query.order {
            SortOrder::Ascending => (SELECT_ASCENDING, SELECT_ASCENDING_AFTER),
            SortOrder::Descending => (SELECT_DESCENDING, SELECT_DESCENDING_AFTER),
        };
        let mut cursor: Option<(i64, i64)> = None;
        loop {
            let statement = match cursor {
                None => sqlx::query(first).bind(lower).bind(upper),
                Some((published, seq)) => sqlx::query(after).bind(lower).bind(upper).bind(published).bind(seq),
            };
            let rows = statement.fetch_all(self.shared.pool()).await.map_err(store_error)?;
            for row in &rows {
                let published: i64 = column(row, "published")?;
                cursor = Some((published, column(row, "seq")?));
                let mut event: Event = from_json("event", &column::<String>(row, "event")?)?;
                // The JSON holds milliseconds; the column the exact time, unless saturated.
                if published != i64::MIN && published != i64::MAX {
                    event.published = from_nanos(published);
                }
                if query.matches(&event) {
                    found.push(event);
                    if found.len() >= limit {
                        return Ok(found);
                    }
                }
            }
            if rows.len() < PAGE {
                return Ok(found);
            }
        }
    }
}

impl EventSink for SqlEventLog {
    /// Queues `event`, [bounded](Event::bounded), for the background writer; never blocks.
    fn record(&self, event: Event) {
        if self.writer.sender.send(Message::Event(event.bounded())).is_err() {
            self.writer.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl EventLog for SqlEventLog {
    async fn query(&self, query: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.select(query).await
    }
}

/// The one event writer of a database, shared by its [`SqlEventLog`]s: started with the first
/// log, stopped once every log is gone and its queue is written.
pub(super) struct EventWriterSlot {
    /// The runtime the database was opened on, which its connections belong to.
    runtime: Option<Handle>,
    writer: Mutex<Weak<Writer>>,
}

impl Default for EventWriterSlot {
    /// A slot with no writer yet, remembering the current Tokio runtime.
    fn default() -> Self {
        Self {
            runtime: Handle::try_current().ok(),
            writer: Mutex::new(Weak::new()),
        }
    }
}

impl EventWriterSlot {
    /// The running writer, or a new one.
    fn get_or_start(&self, shared: &Arc<Shared>) -> Arc<Writer> {
        let mut slot = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(writer) = slot.upgrade() {
            return writer;
        }
        let writer = Writer::start(shared, self.runtime.as_ref());
        *slot = Arc::downgrade(&writer);
        writer
    }
}

/// The sending half of the writer. Its task holds the database (not the other way round), so the
/// task ends once every log, and with them this sender, is gone.
struct Writer {
    sender: mpsc::UnboundedSender<Message>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    dropped: AtomicU64,
}

impl Writer {
    fn start(shared: &Arc<Shared>, runtime: Option<&Handle>) -> Arc<Self> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let stats = Arc::new(Stats::default());
        let task = run(Arc::clone(shared), receiver, Arc::clone(&stats));
        let current = Handle::try_current().ok();
        // Without a runtime the receiver goes with the task: events count as dropped, and
        // flushes fail.
        if let Some(runtime) = runtime.or(current.as_ref()) {
            runtime.spawn(task);
        }
        Arc::new(Self { sender, stats })
    }
}

/// What the logs send the writer.
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every message is an event: boxing it would only add an allocation"
)]
enum Message {
    Event(Event),
    /// Answer once every event sent before is written.
    Flush(oneshot::Sender<Result<(), WriteError>>),
}

/// Why a flush failed. Cloned to every flush waiting on the same write.
#[derive(Debug, Clone, thiserror::Error)]
enum WriteError {
    #[error("recorded events could not be written yet; they stay queued")]
    Failed(#[source] Arc<StoreError>),
    #[error("recorded events were dropped: more than {MAX_QUEUED} waited to be written")]
    Dropped,
    #[error("the event writer has stopped: the database is closed")]
    Stopped,
}

impl From<WriteError> for StoreError {
    fn from(error: WriteError) -> Self {
        match &error {
            WriteError::Failed(cause) => match cause.as_ref() {
                StoreError::Conflict => StoreError::Conflict,
                StoreError::Other(_) => StoreError::Other(Box::new(error)),
                StoreError::Unavailable(_) => StoreError::Unavailable(Box::new(error)),
            },
            WriteError::Dropped | WriteError::Stopped => StoreError::Unavailable(Box::new(error)),
        }
    }
}

/// An event as it is inserted, numbered in the order received.
struct Row {
    number: u64,
    uuid: String,
    published: i64,
    json: String,
}

/// The writer's state: the events waiting, and the flushes waiting for them.
struct Queue {
    /// Waiting events, oldest first, not counting those being written.
    rows: VecDeque<Row>,
    /// The first number and the count of the events being written.
    in_flight: Option<(u64, usize)>,
    /// The number the next event gets.
    next: u64,
    /// Flushes, each with the number of the last event it waits for.
    flushes: Vec<(u64, oneshot::Sender<Result<(), WriteError>>)>,
    /// The most events waiting ([`MAX_QUEUED`]).
    capacity: usize,
    stats: Arc<Stats>,
}

impl Queue {
    fn new(stats: Arc<Stats>, capacity: usize) -> Self {
        Self {
            capacity,
            rows: VecDeque::new(),
            in_flight: None,
            next: 1,
            flushes: Vec::new(),
            stats,
        }
    }

    fn drop_events(&self, count: u64) {
        self.stats.dropped.fetch_add(count, Ordering::Relaxed);
    }

    /// Takes one message in.
    fn absorb(&mut self, message: Message) {
        match message {
            Message::Event(event) => {
                let number = self.next;
                self.next += 1;
                let Ok(json) = to_json("event", &event) else {
                    self.drop_events(1);
                    return;
                };
                // PostgreSQL's TEXT holds no NUL; the JSON escapes it, the bare uuid must lose it.
                let uuid = if event.uuid.contains('\0') {
                    event.uuid.replace('\0', "")
                } else {
                    event.uuid
                };
                self.rows.push_back(Row {
                    number,
                    uuid,
                    published: nanos(event.published),
                    json,
                });
                let in_flight = self.in_flight.map_or(0, |(_, count)| count);
                while self.rows.len() + in_flight > self.capacity {
                    let Some(oldest) = self.rows.pop_front() else { break };
                    self.drop_events(1);
                    self.answer(|last| last >= oldest.number, &Err(WriteError::Dropped));
                }
            }
            Message::Flush(reply) => {
                let last = self.next - 1;
                if self.outstanding_from().is_none_or(|first| first > last) {
                    let _ = reply.send(Ok(()));
                } else {
                    self.flushes.push((last, reply));
                }
            }
        }
    }

    /// The number of the oldest event not yet written, if any.
    fn outstanding_from(&self) -> Option<u64> {
        self.in_flight
            .map(|(first, _)| first)
            .or_else(|| self.rows.front().map(|row| row.number))
    }

    /// Answers the flushes waiting for an event up to a number that `which` accepts.
    fn answer(&mut self, which: impl Fn(u64) -> bool, result: &Result<(), WriteError>) {
        let mut kept = Vec::with_capacity(self.flushes.len());
        for (last, reply) in self.flushes.drain(..) {
            if which(last) {
                let _ = reply.send(result.clone());
            } else {
                kept.push((last, reply));
            }
        }
        self.flushes = kept;
    }

    /// Answers the flushes whose events are all written.
    fn settle(&mut self) {
        match self.outstanding_from() {
            Some(first) => self.answer(|last| last < first, &Ok(())),
            None => self.answer(|_| true, &Ok(())),
        }
    }

    /// Drops everything waiting and answers every flush with `error`.
    fn abandon(&mut self, error: WriteError) {
        self.drop_events(self.rows.len() as u64);
        self.rows.clear();
        self.answer(|_| true, &Err(error));
    }
}

/// The writer task: see the [module documentation](self).
async fn run(shared: Arc<Shared>, mut receiver: mpsc::UnboundedReceiver<Message>, stats: Arc<Stats>) {
    let mut queue = Queue::new(stats, MAX_QUEUED);
    let mut open = true;
    let mut backoff = FIRST_BACKOFF;
    let mut retry_at: Option<Instant> = None;
    let mut failures_when_abandoned = 0;
    let mut linger_until: Option<Instant> = None;
    loop {
        while open {
            match receiver.try_recv() {
                Ok(message) => queue.absorb(message),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => open = false,
            }
        }
        if queue.rows.is_empty() {
            queue.settle();
            if !open {
                return;
            }
            match receiver.recv().await {
                Some(message) => queue.absorb(message),
                None => open = false,
            }
            continue;
        }
        // After a failure, wait out the backoff, unless a flush asks for an attempt now.
        if let Some(at) = retry_at {
            if queue.flushes.is_empty() && Instant::now() < at {
                tokio::select! {
                    message = receiver.recv(), if open => match message {
                        Some(message) => queue.absorb(message),
                        None => open = false,
                    },
                    () = tokio::time::sleep_until(at) => retry_at = None,
                }
                continue;
            }
        }

        // Let a batch gather, unless it is full or a flush waits.
        if open && queue.flushes.is_empty() && queue.rows.len() < BATCH {
            let at = *linger_until.get_or_insert_with(|| Instant::now() + LINGER);
            if Instant::now() < at {
                tokio::select! {
                    message = receiver.recv() => match message {
                        Some(message) => queue.absorb(message),
                        None => open = false,
                    },
                    () = tokio::time::sleep_until(at) => {}
                }
                continue;
            }
        }
        linger_until = None;

        let count = queue.rows.len().min(BATCH);
        let batch: Vec<Row> = queue.rows.drain(..count).collect();
        queue.in_flight = batch.first().map(|row| (row.number, batch.len()));
        let result = {
            let write = insert(&shared, &batch);
            tokio::pin!(write);
            loop {
                tokio::select! {
                    result = &mut write => break result,
                    message = receiver.recv(), if open => match message {
                        Some(message) => queue.absorb(message),
                        None => open = false,
                    },
                }
            }
        };
        queue.in_flight = None;
        match result {
            Ok(()) => {
                backoff = FIRST_BACKOFF;
                retry_at = None;
                queue.settle();
            }
            Err(error) => {
                for row in batch.into_iter().rev() {
                    queue.rows.push_front(row);
                }
                queue.answer(|_| true, &Err(WriteError::Failed(Arc::new(error))));
                if !open {
                    failures_when_abandoned += 1;
                }
                if shared.pool.is_closed() || failures_when_abandoned >= ATTEMPTS_WHEN_ABANDONED {
                    queue.abandon(WriteError::Stopped);
                    // Nothing sent from now on can be written: refuse it, and count what came.
                    receiver.close();
                    while let Ok(message) = receiver.try_recv() {
                        match message {
                            Message::Event(_) => queue.drop_events(1),
                            Message::Flush(reply) => {
                                let _ = reply.send(Err(WriteError::Stopped));
                            }
                        }
                    }
                    return;
                }
                retry_at = Some(Instant::now() + backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Writes `batch` with one `INSERT`.
async fn insert(shared: &Shared, batch: &[Row]) -> Result<(), StoreError> {
    let mut sql = String::with_capacity(52 + batch.len() * 24);
    sql.push_str("INSERT INTO events (uuid, published, event) VALUES ");
    for index in 0..batch.len() {
        let first = index * 3 + 1;
        let separator = if index == 0 { "" } else { ", " };
        let _ = write!(sql, "{separator}(${first}, ${}, ${})", first + 1, first + 2);
    }
    let mut statement = sqlx::query(&sql).persistent(batch.len() == 1);
    for row in batch {
        statement = statement
            .bind(row.uuid.as_str())
            .bind(row.published)
            .bind(row.json.as_str());
    }
    statement.execute(shared.pool()).await.map_err(store_error)?;
    Ok(())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::event::{Entity, OutcomeResult, system_log};
    use crate::store::sql::test_database;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

    fn event(name: impl Into<std::borrow::Cow<'static, str>>, at: OffsetDateTime) -> Event {
        Event::success(name, "m", at).with_actor(Entity::new("User", "00u1"))
    }

    fn names(events: &[Event]) -> Vec<&str> {
        events.iter().map(|event| &*event.event_type).collect()
    }

    async fn all(log: &SqlEventLog, order: SortOrder) -> Vec<Event> {
        EventLog::query(
            log,
            &EventQuery {
                order,
                ..EventQuery::default()
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn events_come_back_in_order_with_exact_times() {
        let (db, _dir) = test_database().await;
        let log = db.event_log();
        let exact = T0 + time::Duration::nanoseconds(123_456_789);
        log.record(event("b", exact));
        log.record(event("c", exact));
        log.record(event("a", T0));
        log.record(event("d", T0 + time::Duration::seconds(1)));
        // Read-your-writes: no flush needed.
        let ascending = all(&log, SortOrder::Ascending).await;
        assert_eq!(names(&ascending), ["a", "b", "c", "d"], "same instant: recorded order");
        assert_eq!(
            ascending[1].published, exact,
            "nanoseconds survive the JSON's milliseconds"
        );
        assert_eq!(names(&all(&log, SortOrder::Descending).await), ["d", "c", "b", "a"]);
        let since_exact = EventLog::query(
            &log,
            &EventQuery {
                since: Some(exact),
                until: Some(T0 + time::Duration::seconds(1)),
                ..EventQuery::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            names(&since_exact),
            ["b", "c"],
            "since inclusive, until exclusive, to the nanosecond"
        );
        assert_eq!(log.dropped(), 0);
    }

    #[tokio::test]
    async fn pages_are_read_until_the_limit_is_met() {
        let (db, _dir) = test_database().await;
        let log = db.event_log();
        for second in 0..1300 {
            let name = if second % 400 == 399 { "rare" } else { "common" };
            log.record(event(name, T0 + time::Duration::seconds(second)));
        }
        let query = |limit, order| EventQuery {
            event_type: Some("rare".into()),
            limit,
            order,
            ..EventQuery::default()
        };
        let rare = EventLog::query(&log, &query(None, SortOrder::Ascending)).await.unwrap();
        assert_eq!(rare.len(), 3, "found across pages");
        let newest = EventLog::query(&log, &query(Some(2), SortOrder::Descending))
            .await
            .unwrap();
        assert_eq!(
            newest.iter().map(|event| event.published).collect::<Vec<_>>(),
            [T0 + time::Duration::seconds(1199), T0 + time::Duration::seconds(799)]
        );
        assert_eq!(all(&log, SortOrder::Ascending).await.len(), 1300);
    }

    #[tokio::test]
    async fn events_are_written_in_batches() {
        let (db, _dir) = test_database().await;
        let log = db.event_log();
        let before = db.round_trips();
        // The test's runtime has one thread: the writer runs only once this test awaits.
        for second in 0..1200 {
            log.record(event("e", T0 + time::Duration::seconds(second)));
        }
        log.flush().await.unwrap();
        let trips = db.round_trips() - before;
        // Three batches of at most 500, each one statement and the check of its connection.
        assert!(trips <= 6, "1,200 events in {trips} round trips");
        assert_eq!(all(&log, SortOrder::Ascending).await.len(), 1200);
    }

    #[tokio::test]
    async fn logs_of_one_database_share_one_writer() {
        let (db, _dir) = test_database().await;
        let (first, second) = (db.event_log(), db.event_log());
        let clone = first.clone();
        assert!(Arc::ptr_eq(&first.writer, &second.writer));
        for (index, log) in [&first, &second, &clone, &second].into_iter().enumerate() {
            log.record(event(format!("e{index}"), T0));
        }
        second.flush().await.unwrap();
        assert_eq!(
            names(&all(&first, SortOrder::Ascending).await),
            ["e0", "e1", "e2", "e3"]
        );
        drop((first, second, clone));
        let again = db.event_log();
        assert_eq!(all(&again, SortOrder::Ascending).await.len(), 4);
    }

    #[tokio::test]
    async fn a_failing_write_is_kept_and_retried() {
        let (db, _dir) = test_database().await;
        let log = db.event_log();
        log.record(event("before", T0));
        log.flush().await.unwrap();
        sqlx::query("ALTER TABLE events RENAME TO events_away")
            .execute(&db.shared.pool)
            .await
            .unwrap();
        log.record(event("during", T0 + time::Duration::seconds(1)));
        log.record(event("during too", T0 + time::Duration::seconds(1)));
        assert!(log.flush().await.is_err(), "the write fails");
        let answer = system_log::answer(&log, "", T0 + time::Duration::minutes(1)).await;
        assert_eq!(answer.status, 500);
        sqlx::query("ALTER TABLE events_away RENAME TO events")
            .execute(&db.shared.pool)
            .await
            .unwrap();
        log.record(event("after", T0 + time::Duration::seconds(2)));
        log.flush().await.unwrap();
        assert_eq!(
            names(&all(&log, SortOrder::Ascending).await),
            ["before", "during", "during too", "after"]
        );
        assert_eq!(log.dropped(), 0);
    }

    #[tokio::test]
    async fn purge_removes_the_old_events() {
        let (db, _dir) = test_database().await;
        let log = db.event_log();
        for day in 0..5 {
            log.record(event(format!("day{day}"), T0 + time::Duration::days(day)));
        }
        log.flush().await.unwrap();
        assert_eq!(log.purge_older_than(T0 + time::Duration::days(3)).await.unwrap(), 3);
        assert_eq!(names(&all(&log, SortOrder::Ascending).await), ["day3", "day4"]);
        assert_eq!(log.purge_older_than(T0).await.unwrap(), 0);
        assert_eq!(SqlEventLog::RETENTION, time::Duration::days(90));
    }

    #[tokio::test]
    async fn a_closed_database_drops_and_refuses() {
        let (db, _dir) = test_database().await;
        let log = db.event_log();
        log.record(event("kept", T0));
        log.flush().await.unwrap();
        db.close().await;
        log.record(event("lost", T0));
        let error = log.flush().await.unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        log.record(event("lost too", T0));
        assert!(log.flush().await.is_err());
        assert_eq!(log.dropped(), 2);
        let answer = system_log::answer(&log, "", T0).await;
        assert_eq!(answer.status, 500);
        assert_eq!(answer.body.unwrap()["errorCode"], "E0000009");
    }

    #[test]
    fn the_queue_drops_the_oldest_beyond_its_capacity() {
        let stats = Arc::new(Stats::default());
        let mut queue = Queue::new(Arc::clone(&stats), 3);
        let (reply, mut answer) = oneshot::channel();
        queue.absorb(Message::Event(event("e1", T0)));
        queue.absorb(Message::Flush(reply));
        for name in ["e2", "e3", "e4"] {
            queue.absorb(Message::Event(event(name, T0)));
        }
        assert_eq!(stats.dropped.load(Ordering::Relaxed), 1);
        let kept: Vec<u64> = queue.rows.iter().map(|row| row.number).collect();
        assert_eq!(kept, [2, 3, 4], "the oldest went");
        assert!(
            matches!(answer.try_recv(), Ok(Err(WriteError::Dropped))),
            "a flush waiting for a dropped event fails"
        );

        let (reply, mut answer) = oneshot::channel();
        queue.absorb(Message::Flush(reply));
        queue.rows.clear();
        queue.settle();
        assert!(matches!(answer.try_recv(), Ok(Ok(()))));
        let mut nul = event("e", T0);
        nul.uuid = "a\0b".into();
        queue.absorb(Message::Event(nul));
        assert_eq!(queue.rows[0].uuid, "ab");
        assert_eq!(
            from_json::<Event>("event", &queue.rows[0].json).unwrap().outcome.result,
            OutcomeResult::Success
        );
    }
}

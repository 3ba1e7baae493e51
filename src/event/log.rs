//! [`EventLog`]: an event sink that can be queried, whatever keeps the events.

use std::future::Future;
use std::sync::Arc;

use super::{Event, EventQuery, EventSink, MemoryEventLog};
use crate::store::StoreError;

/// An [`EventSink`] that answers queries over the events it keeps: [`MemoryEventLog`] in memory,
/// or `SqlEventLog` (feature `sql`) in a database. [`system_log::answer`](super::system_log::answer)
/// serves Okta's System Log API from any of them.
pub trait EventLog: EventSink {
    /// The events matching `query`, ordered by publication time (oldest first or, with
    /// [`SortOrder::Descending`](super::SortOrder::Descending), newest first), at most
    /// `query.limit` of them. Events published at the same instant keep the order they were
    /// recorded in (reversed for newest first). An event recorded through this log before the call
    /// is found.
    ///
    /// # Errors
    /// [`StoreError`] if the storage behind the log fails.
    fn query(&self, query: &EventQuery) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;
}

impl EventLog for MemoryEventLog {
    /// [`MemoryEventLog::query`]; never fails.
    fn query(&self, query: &EventQuery) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send {
        std::future::ready(Ok(MemoryEventLog::query(self, query)))
    }
}

impl<L: EventLog> EventLog for Arc<L> {
    fn query(&self, query: &EventQuery) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send {
        (**self).query(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SortOrder;
    use time::macros::datetime;

    /// Polls a future that is ready at once.
    fn now<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("the memory log answers at once"),
        }
    }

    #[test]
    fn the_memory_log_answers_as_its_own_query() {
        let log = Arc::new(MemoryEventLog::default());
        let at = datetime!(2026-01-01 0:00 UTC);
        log.record(Event::success("a", "m", at));
        log.record(Event::success("b", "m", at));
        let query = EventQuery {
            order: SortOrder::Descending,
            ..EventQuery::default()
        };
        let through_trait = now(EventLog::query(&log, &query)).unwrap();
        assert_eq!(through_trait, log.as_ref().query(&query));
        let names: Vec<_> = through_trait.iter().map(|event| &*event.event_type).collect();
        assert_eq!(names, ["b", "a"], "same instant: reverse recorded order");
    }
}

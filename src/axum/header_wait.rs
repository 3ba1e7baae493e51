//! A connection's header timeout, kept by one timer per connection rather than one per request.
//!
//! hyper's own `header_read_timeout` arms a timer when it starts reading each request's headers
//! and drops it once they are in: a timer-wheel insertion, a removal and an allocation per
//! request, about a fifteenth of the instructions of answering a cached JWKS. Here the
//! connection's service marks when each request's headers are all in
//! ([`HeaderWait::answering`]) and when its answer is handed over ([`HeaderWait::answered`]),
//! a store each to one atomic. A watchdog task per connection ([`watch`]) sleeps until the
//! deadline of the wait it last saw, then looks at the mark again: it ends the connection, or
//! sleeps until the new deadline. The connection's own task never polls a timer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Watches `connection` (the task serving a connection whose service marks `wait`): aborts it,
/// which closes the connection, once it has waited `timeout` for a request's headers. The
/// watchdog ends with the connection.
pub(super) fn watch(connection: JoinHandle<()>, wait: Arc<HeaderWait>, timeout: Duration) {
    tokio::spawn(async move {
        let mut connection = connection;
        tokio::select! {
            _ = &mut connection => {}
            () = wait.expired(timeout) => connection.abort(),
        }
    });
}

/// Marks [`HeaderWait::since`] while a request is being answered: its headers are all in.
const ANSWERING: u64 = u64::MAX;

/// Since when a connection has been waiting for a request's headers, or that it is answering
/// one. Shared by the connection's service, which marks it, and its watchdog, which reads it.
#[derive(Debug)]
pub(super) struct HeaderWait {
    /// When the connection opened: what [`since`](Self::since) counts from.
    opened: Instant,
    /// Nanoseconds from `opened` to when the connection began waiting for headers (the first
    /// request's on opening, each later one's on the previous answer), or [`ANSWERING`].
    since: AtomicU64,
}

impl HeaderWait {
    /// A connection opened now, waiting for its first request's headers.
    pub(super) fn new() -> Self {
        Self {
            opened: Instant::now(),
            since: AtomicU64::new(0),
        }
    }

    /// A request's headers are all in: no deadline runs until it is answered.
    pub(super) fn answering(&self) {
        self.since.store(ANSWERING, Ordering::Relaxed);
    }

    /// The answer is handed to the connection: the wait for the next request's headers begins.
    pub(super) fn answered(&self) {
        let since = u64::try_from(self.opened.elapsed().as_nanos()).unwrap_or(ANSWERING - 1);
        self.since.store(since.min(ANSWERING - 1), Ordering::Relaxed);
    }

    /// When the headers awaited must be in, `timeout` after the wait began; `None` while a
    /// request is being answered.
    fn deadline(&self, timeout: Duration) -> Option<Instant> {
        match self.since.load(Ordering::Relaxed) {
            ANSWERING => None,
            since => Some(self.opened + Duration::from_nanos(since) + timeout),
        }
    }

    /// Completes once the connection has waited `timeout` for a request's headers. While a
    /// request is being answered it looks again `timeout` later; otherwise it sleeps until the
    /// deadline of the wait it sees, so a connection is ended no later than `timeout` after its
    /// wait began.
    pub(super) async fn expired(&self, timeout: Duration) {
        let sleep = tokio::time::sleep(timeout);
        tokio::pin!(sleep);
        loop {
            sleep.as_mut().await;
            let now = Instant::now();
            match self.deadline(timeout) {
                Some(deadline) if deadline <= now => return,
                Some(deadline) => sleep.as_mut().reset(deadline),
                None => sleep.as_mut().reset(now + timeout),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// Whether `wait`'s watchdog has fired once the paused clock has moved on by `by`.
    async fn fired_after(expired: &mut std::pin::Pin<&mut impl Future<Output = ()>>, by: Duration) -> bool {
        tokio::time::timeout(by, expired.as_mut()).await.is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_sends_nothing_ends_at_the_timeout() {
        let wait = HeaderWait::new();
        let expired = wait.expired(TIMEOUT);
        tokio::pin!(expired);
        assert!(!fired_after(&mut expired, TIMEOUT - Duration::from_millis(1)).await);
        assert!(fired_after(&mut expired, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_restarts_at_each_answer_and_pauses_while_answering() {
        let wait = HeaderWait::new();
        let expired = wait.expired(TIMEOUT);
        tokio::pin!(expired);
        // A request 4 s in, answered 30 s later: no deadline runs while it is answered.
        assert!(!fired_after(&mut expired, Duration::from_secs(4)).await);
        wait.answering();
        assert!(!fired_after(&mut expired, Duration::from_secs(30)).await);
        wait.answered();
        // The next request's headers are due 10 s after that answer, not before.
        assert!(!fired_after(&mut expired, TIMEOUT - Duration::from_millis(1)).await);
        assert!(fired_after(&mut expired, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_answered_just_before_the_deadline_moves_it() {
        let wait = HeaderWait::new();
        let expired = wait.expired(TIMEOUT);
        tokio::pin!(expired);
        assert!(!fired_after(&mut expired, Duration::from_secs(9)).await);
        wait.answering();
        wait.answered();
        // The first timer fires at 10 s, finds a wait that began at 9 s, and sleeps until 19 s.
        assert!(!fired_after(&mut expired, Duration::from_millis(9_999)).await);
        assert!(fired_after(&mut expired, Duration::from_millis(2)).await);
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_aborts_a_connection_left_waiting() {
        let wait = Arc::new(HeaderWait::new());
        let connection = tokio::spawn(std::future::pending::<()>());
        let aborted = connection.abort_handle();
        watch(connection, Arc::clone(&wait), TIMEOUT);
        tokio::time::sleep(TIMEOUT - Duration::from_millis(1)).await;
        assert!(!aborted.is_finished());
        tokio::time::sleep(Duration::from_millis(2)).await;
        tokio::task::yield_now().await;
        assert!(aborted.is_finished(), "aborted at the deadline");
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_ends_with_the_connection() {
        let wait = Arc::new(HeaderWait::new());
        let connection = tokio::spawn(tokio::time::sleep(Duration::from_secs(1)));
        watch(connection, Arc::clone(&wait), TIMEOUT);
        assert_eq!(Arc::strong_count(&wait), 2, "the watchdog holds the wait");
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(Arc::strong_count(&wait), 1, "the watchdog has ended");
    }

    #[test]
    fn answering_has_no_deadline() {
        let wait = HeaderWait::new();
        assert!(wait.deadline(TIMEOUT).is_some());
        wait.answering();
        assert_eq!(wait.deadline(TIMEOUT), None);
        wait.answered();
        assert!(
            wait.deadline(TIMEOUT)
                .is_some_and(|deadline| deadline >= wait.opened + TIMEOUT)
        );
    }
}

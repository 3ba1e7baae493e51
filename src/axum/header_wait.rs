//! A connection's header timeout, kept by one timer per connection rather than one per request.
//!
//! hyper's own `header_read_timeout` arms a timer when it starts reading each request's headers
//! and drops it once they are in: a timer-wheel insertion, a removal and an allocation per
//! request, about a fifteenth of the instructions of answering a cached JWKS. Here the
//! connection's service marks when each request's headers are all in
//! ([`HeaderWait::answering`]), and the answer's body marks when it has been written out
//! ([`AnswerBody`]): one atomic operation each. A watchdog task per connection
//! ([`abort_on_expiry`]) sleeps until the deadline of the wait it last saw, then looks at the
//! mark again: it closes the connection, or sleeps until the new deadline. The connection's own
//! task never polls a timer.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Frame, SizeHint};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Watches `connection` (the task serving a connection whose service marks `wait`): aborts it,
/// which closes the connection, once it has waited `timeout` for a request's headers. The
/// watchdog ends with the connection.
pub(super) fn abort_on_expiry(connection: JoinHandle<()>, wait: Arc<HeaderWait>, timeout: Duration) {
    tokio::spawn(async move {
        let mut connection = connection;
        tokio::select! {
            _ = &mut connection => {}
            () = wait.expired(timeout) => {
                tracing::debug!(?timeout, "closing a connection whose request headers did not arrive in time");
                connection.abort();
            }
        }
    });
}

/// Marks [`HeaderWait::since`] while a request is being answered: its headers are all in.
const ANSWERING: u64 = u64::MAX;

/// Marks [`HeaderWait::since`] once the watchdog has decided to close the connection: a request
/// whose headers come in after that is not answered.
const CLOSED: u64 = u64::MAX - 1;

/// Since when a connection has been waiting for a request's headers, or that it is answering
/// one. Shared by the connection's service, which marks it, and its watchdog, which reads it.
#[derive(Debug)]
pub(super) struct HeaderWait {
    /// When the connection opened: what [`since`](Self::since) counts from.
    opened: Instant,
    /// Nanoseconds from `opened` to when the connection began waiting for headers (the first
    /// request's on opening, each later one's once the previous answer was written), or
    /// [`ANSWERING`], or [`CLOSED`].
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

    /// A request's headers are all in: no deadline runs until it is answered. `false` when the
    /// watchdog is already closing the connection, and the request must not be answered.
    pub(super) fn answering(&self) -> bool {
        self.since.swap(ANSWERING, Ordering::Relaxed) != CLOSED
    }

    /// The answer is written out: the wait for the next request's headers begins.
    fn answered(&self) {
        let since = u64::try_from(self.opened.elapsed().as_nanos()).unwrap_or(u64::MAX);
        // A watchdog that found the wait over swapped in `CLOSED` first; the store cannot undo
        // that decision, only come after it, which the closing makes moot.
        self.since.store(since.min(CLOSED - 1), Ordering::Relaxed);
    }

    /// Completes once the connection has waited `timeout` for a request's headers, and marks
    /// it [`CLOSED`]. While a request is being answered it looks again `timeout` later;
    /// otherwise it sleeps until the deadline of the wait it sees, so a connection is closed no
    /// later than `timeout` after its wait began. The mark changes to `CLOSED` only from the
    /// value that was judged expired, so a request whose headers came in meanwhile is answered.
    pub(super) async fn expired(&self, timeout: Duration) {
        let sleep = tokio::time::sleep(timeout);
        tokio::pin!(sleep);
        loop {
            sleep.as_mut().await;
            let now = Instant::now();
            let seen = self.since.load(Ordering::Relaxed);
            if seen >= CLOSED {
                sleep.as_mut().reset(now + timeout);
                continue;
            }
            let deadline = self.opened + Duration::from_nanos(seen) + timeout;
            if deadline > now {
                sleep.as_mut().reset(deadline);
            } else if self
                .since
                .compare_exchange(seen, CLOSED, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

/// An answer's body that marks its connection's [`HeaderWait`] as answered when hyper is done
/// with it (written out, or abandoned): the wait for the next request's headers begins then, not
/// while a long answer is still being written.
pub(super) struct AnswerBody<B> {
    body: B,
    wait: Arc<HeaderWait>,
}

impl<B> AnswerBody<B> {
    /// `body`, marking `wait` when dropped.
    pub(super) fn new(body: B, wait: Arc<HeaderWait>) -> Self {
        Self { body, wait }
    }
}

impl<B> Drop for AnswerBody<B> {
    fn drop(&mut self) {
        self.wait.answered();
    }
}

impl<B: Body + Unpin> Body for AnswerBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// Whether the watchdog `expired` has fired once the paused clock has moved on by `by`.
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
        assert!(wait.answering());
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
        assert!(wait.answering());
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
        abort_on_expiry(connection, Arc::clone(&wait), TIMEOUT);
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
        abort_on_expiry(connection, Arc::clone(&wait), TIMEOUT);
        assert_eq!(Arc::strong_count(&wait), 2, "the watchdog holds the wait");
        tokio::time::sleep(Duration::from_secs(2)).await;
        tokio::task::yield_now().await;
        assert_eq!(Arc::strong_count(&wait), 1, "the watchdog has ended");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_after_the_watchdog_fired_is_not_answered() {
        let wait = HeaderWait::new();
        let expired = wait.expired(TIMEOUT);
        tokio::pin!(expired);
        assert!(fired_after(&mut expired, TIMEOUT + Duration::from_millis(1)).await);
        assert!(!wait.answering(), "the connection is being closed");
    }

    /// The wait for the next request's headers begins when hyper is done with the answer's
    /// body, however long writing it takes, and the body reads as the one it wraps.
    #[tokio::test(start_paused = true)]
    async fn the_wait_begins_when_the_answer_is_written() {
        let wait = Arc::new(HeaderWait::new());
        let expired = wait.expired(TIMEOUT);
        tokio::pin!(expired);
        assert!(wait.answering());
        let body = AnswerBody::new(axum::body::Body::from("answer"), Arc::clone(&wait));
        assert_eq!(body.size_hint().exact(), Some(6));
        assert!(!body.is_end_stream());
        // Written out slowly: 25 s pass before hyper drops it, and no deadline runs meanwhile.
        assert!(!fired_after(&mut expired, Duration::from_secs(25)).await);
        let written = axum::body::to_bytes(axum::body::Body::new(body), 64).await.unwrap();
        assert_eq!(&written[..], b"answer");
        assert!(!fired_after(&mut expired, TIMEOUT - Duration::from_millis(1)).await);
        assert!(fired_after(&mut expired, Duration::from_millis(2)).await);
    }
}

//! Housekeeping on a timer: expired codes, refresh tokens, revocations and assertion `jti`s
//! ([`GrantStore::purge_expired`]), and events older than Okta's 90 days.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use time::OffsetDateTime;

use crate::AuthServer;
use crate::clock::Clock;
use crate::event::MemoryEventLog;
use crate::store::{ConfigStore, Directory, GrantStore, StoreError};

/// How long events are kept: Okta's 90 days.
pub const EVENT_RETENTION: time::Duration = time::Duration::days(90);

/// How often [`Purges`] run unless told otherwise: every ten minutes.
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// An event log whose old events can be forgotten.
pub trait PurgeEvents: Send + Sync + 'static {
    /// Forgets the events published before `cutoff`.
    fn purge_older_than(&self, cutoff: OffsetDateTime) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The memory log bounds itself (it keeps its newest events up to its capacity): nothing to do.
impl PurgeEvents for MemoryEventLog {
    fn purge_older_than(&self, _: OffsetDateTime) -> impl Future<Output = Result<(), StoreError>> + Send {
        std::future::ready(Ok(()))
    }
}

#[cfg(feature = "sql")]
impl PurgeEvents for crate::store::sql::SqlEventLog {
    async fn purge_older_than(&self, cutoff: OffsetDateTime) -> Result<(), StoreError> {
        crate::store::sql::SqlEventLog::purge_older_than(self, cutoff)
            .await
            .map(drop)
    }
}

/// [`PurgeEvents`] behind a pointer.
trait DynPurgeEvents: Send + Sync {
    fn purge<'a>(&'a self, cutoff: OffsetDateTime)
    -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;
}

impl<P: PurgeEvents> DynPurgeEvents for P {
    fn purge<'a>(
        &'a self,
        cutoff: OffsetDateTime,
    ) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>> {
        Box::pin(self.purge_older_than(cutoff))
    }
}

/// Periodic purges of a server's grant store and, if given, its event log; from
/// [`Okta::purges`](super::Okta::purges). Started with [`spawn`](Self::spawn), they run on the
/// Tokio runtime for as long as the server lives (the task holds it weakly). A purge that fails
/// is logged (`tracing`, `WARN`) and tried again at the next tick.
pub struct Purges<C, D, G> {
    server: Weak<AuthServer<C, D, G>>,
    clock: Arc<dyn Clock>,
    events: Option<Arc<dyn DynPurgeEvents>>,
    interval: Duration,
}

impl<C, D, G> Purges<C, D, G>
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    pub(crate) fn new(server: &Arc<AuthServer<C, D, G>>, clock: Arc<dyn Clock>) -> Self {
        Self {
            server: Arc::downgrade(server),
            clock,
            events: None,
            interval: DEFAULT_PURGE_INTERVAL,
        }
    }

    /// Also forgets the events of `log` older than [`EVENT_RETENTION`].
    pub fn events(mut self, log: Arc<impl PurgeEvents>) -> Self {
        self.events = Some(log);
        self
    }

    /// Runs every `interval` ([`DEFAULT_PURGE_INTERVAL`] by default).
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Purges once, now.
    pub async fn run_once(&self) {
        let Some(server) = self.server.upgrade() else { return };
        let now = self.clock.now();
        if let Err(error) = server.grants().purge_expired(now).await {
            tracing::warn!(%error, "expired grants could not be purged");
        }
        if let Some(events) = &self.events {
            if let Err(error) = events.purge(now - EVENT_RETENTION).await {
                tracing::warn!(%error, "old events could not be purged");
            }
        }
    }

    /// Purges now and then every interval, on a Tokio task, until the server is dropped (or the
    /// task aborted). Needs a Tokio runtime.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.interval);
            loop {
                ticks.tick().await;
                if self.server.strong_count() == 0 {
                    break;
                }
                self.run_once().await;
            }
        })
    }
}

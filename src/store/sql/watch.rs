//! The revision watch: the revisions of every server and the directory's change counter, as
//! last read from the database, so that unchanged configuration costs no round trip.
//!
//! A background task reads them in one query every refresh interval. This instance's own writes
//! update the snapshot at once. A poll that overlapped a local write is discarded (the next one
//! counts), so a poll never puts back a revision this instance has already moved past.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use super::{Shared, column, revision_from_db, store_error};
use crate::store::{Revisions, StoreError};

#[derive(Default)]
pub(crate) struct Watch {
    snapshot: RwLock<Snapshot>,
    /// Counts this instance's writes, to discard polls that overlapped one.
    local_writes: AtomicU64,
}

#[derive(Default)]
struct Snapshot {
    servers: HashMap<String, Revisions>,
    directory: u64,
    polled_at: Option<Instant>,
}

impl Watch {
    /// The revisions of server `id` (`None`: no such server), if the snapshot is trusted.
    pub(crate) fn server(&self, id: &str, stale_after: Duration) -> Option<Option<Revisions>> {
        let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        snapshot
            .is_fresh(stale_after)
            .then(|| snapshot.servers.get(id).copied())
    }

    /// The directory's change counter, if the snapshot is trusted.
    pub(crate) fn directory(&self, stale_after: Duration) -> Option<u64> {
        let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        snapshot.is_fresh(stale_after).then_some(snapshot.directory)
    }

    /// Records this instance's write of server `id` (`None`: deleted).
    pub(crate) fn set_server(&self, id: &str, revisions: Option<Revisions>) {
        self.local_writes.fetch_add(1, Ordering::SeqCst);
        let mut snapshot = self.snapshot.write().unwrap_or_else(PoisonError::into_inner);
        match revisions {
            Some(revisions) => snapshot.servers.insert(id.to_owned(), revisions),
            None => snapshot.servers.remove(id),
        };
    }

    /// Records this instance's write of the directory: the counter's new value.
    pub(crate) fn set_directory(&self, value: u64) {
        self.local_writes.fetch_add(1, Ordering::SeqCst);
        let mut snapshot = self.snapshot.write().unwrap_or_else(PoisonError::into_inner);
        snapshot.directory = snapshot.directory.max(value);
    }
}

impl Snapshot {
    fn is_fresh(&self, stale_after: Duration) -> bool {
        self.polled_at.is_some_and(|at| at.elapsed() <= stale_after)
    }
}

impl Shared {
    /// Reads every server's revisions and the directory counter in one query and, unless a local
    /// write overlapped it, makes them the snapshot.
    pub(crate) async fn poll_revisions(&self) -> Result<(), StoreError> {
        let mut connection = self.pool().acquire().await.map_err(store_error)?;
        // Read after the connection is had, so that waiting for one widens no window.
        let epoch = self.watch.local_writes.load(Ordering::SeqCst);
        let rows = sqlx::query(
            "SELECT 's' AS kind, id, revision, keys_revision FROM servers \
             UNION ALL SELECT 'c' AS kind, name AS id, value AS revision, 0 AS keys_revision FROM counters",
        )
        .fetch_all(&mut *connection)
        .await
        .map_err(store_error)?;
        drop(connection);
        let mut servers = HashMap::with_capacity(rows.len());
        let mut directory = 0;
        for row in &rows {
            let kind: String = column(row, "kind")?;
            let id: String = column(row, "id")?;
            let revision = revision_from_db(column(row, "revision")?)?;
            if kind == "s" {
                let keys = revision_from_db(column(row, "keys_revision")?)?;
                servers.insert(id, Revisions { config: revision, keys });
            } else if id == "directory" {
                directory = revision;
            }
        }
        let mut snapshot = self.watch.snapshot.write().unwrap_or_else(PoisonError::into_inner);
        if self.watch.local_writes.load(Ordering::SeqCst) == epoch {
            *snapshot = Snapshot {
                servers,
                directory,
                polled_at: Some(Instant::now()),
            };
        }
        Ok(())
    }
}

/// Starts the task that polls the revisions every refresh interval, for as long as a store of
/// this database is alive.
pub(crate) fn spawn_poller(shared: &Arc<Shared>) {
    let interval = shared.options.refresh_interval.max(Duration::from_millis(10));
    // A failed poll leaves the snapshot to age; past `stale_after` reads go to the database.
    spawn_periodic(shared, interval, |shared| async move {
        let _ = shared.poll_revisions().await;
    });
}

/// Runs `work` every `interval`, first one interval from now, for as long as the database is
/// open (its last handle not dropped, its pool not closed).
pub(crate) fn spawn_periodic<F, Fut>(shared: &Arc<Shared>, interval: Duration, work: F)
where
    F: Fn(Arc<Shared>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let weak: Weak<Shared> = Arc::downgrade(shared);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(shared) = weak.upgrade() else { break };
            if shared.pool.is_closed() {
                break;
            }
            work(shared).await;
        }
    });
}

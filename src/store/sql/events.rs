//! [`SqlEventLog`]: the System Log in SQL, written in batches.

use std::sync::Arc;

use super::Shared;

/// An [`EventSink`](crate::event::EventSink) that keeps events in SQL.
#[derive(Clone)]
pub struct SqlEventLog {
    shared: Arc<Shared>,
}

impl SqlEventLog {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

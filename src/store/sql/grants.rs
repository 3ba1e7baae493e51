//! [`SqlGrantStore`]: codes, refresh tokens, revocations and assertion `jti`s in SQL.

use std::sync::Arc;

use super::Shared;

/// A [`GrantStore`](crate::store::GrantStore) in SQL. See the [module documentation](super).
#[derive(Clone)]
pub struct SqlGrantStore {
    shared: Arc<Shared>,
}

impl SqlGrantStore {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

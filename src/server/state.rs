//! A server's configuration and keys as one request sees them. Built when a revision moves,
//! shared by every request until the next move.

use crate::keys::KeyRing;
use crate::store::{Revisions, ServerConfig};

/// One authorization server, ready to answer requests.
pub(crate) struct ServerState {
    /// The revisions this state was built from.
    pub(crate) revisions: Revisions,
    /// The configuration document.
    pub(crate) config: ServerConfig,
    /// The signing keys.
    pub(crate) ring: KeyRing,
}

impl ServerState {
    /// Prepares `config` and `ring` for requests.
    pub(crate) fn build(config: ServerConfig, ring: KeyRing) -> Self {
        let revisions = Revisions {
            config: config.revision,
            keys: ring.revision(),
        };
        Self {
            revisions,
            config,
            ring,
        }
    }

    /// Whether the server is `ACTIVE`: a deactivated server's endpoints refuse requests.
    pub(crate) fn is_active(&self) -> bool {
        self.config.server.status.is_active()
    }
}

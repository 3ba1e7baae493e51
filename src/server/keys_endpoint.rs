//! `GET {issuer}/v1/keys`: the JWKS that verifies the server's tokens (RFC 7517 §5; Okta's "Keys"
//! endpoint in the OpenID Connect & OAuth 2.0 API reference).

use super::{AuthServer, unrecorded_refusal};
use crate::endpoint::{EndpointResponse, Reason, ServerFailure, SharedJson};
use crate::store::{ConfigStore, Directory, GrantStore};

/// The JWKS's `Cache-Control` header: clients may cache it for an hour. Keys are published as
/// `NEXT` a whole rotation interval before they sign, and retired keys stay published for a day,
/// so an hour of caching never makes a client miss a key it needs; it matches the hour Okta's
/// JavaScript verifier caches.
const CACHE_CONTROL: &str = "max-age=3600, must-revalidate";

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// The keys endpoint of server `id`: its `ACTIVE`, `NEXT` and retained `EXPIRED` public keys,
    /// with `Cache-Control: max-age=…, must-revalidate`. An unknown or deactivated server is
    /// `404 E0000007`. The document is serialized once per server and key-ring revision (and
    /// again when a retired key's retention ends).
    pub async fn keys(&self, id: &str) -> EndpointResponse {
        let now = self.now();
        let state = match self.active_state_at(id, now).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        let settings = self.management.rotation();
        let jwks = state.documents.jwks.get_or_build(&state.ring, settings, now, || {
            serde_json::to_value(state.ring.jwks(settings, now)).and_then(SharedJson::new)
        });
        match jwks {
            Ok(body) => EndpointResponse::shared_json(200, body).with_header("Cache-Control", CACHE_CONTROL),
            Err(error) => unrecorded_refusal(&Reason::from(ServerFailure::from(error))),
        }
    }
}

//! `GET {issuer}/v1/keys`: the JWKS that verifies the server's tokens (RFC 7517 §5; Okta's "Keys"
//! endpoint in the OpenID Connect & OAuth 2.0 API reference).

use super::{AuthServer, unrecorded_refusal};
use crate::endpoint::{EndpointResponse, Reason, ServerFailure};
use crate::store::{ConfigStore, Directory, GrantStore};

/// How long clients may cache the JWKS. Keys are published as `NEXT` a whole rotation interval
/// before they sign, and retired keys stay published for a day, so an hour of caching never
/// makes a client miss a key it needs; it matches the hour Okta's JavaScript verifier caches.
pub const KEYS_MAX_AGE_SECONDS: u32 = 3600;

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// The keys endpoint of server `id`: its `ACTIVE`, `NEXT` and retained `EXPIRED` public keys,
    /// with `Cache-Control: max-age=…, must-revalidate`. An unknown or deactivated server is
    /// `404 E0000007`.
    pub async fn keys(&self, id: &str) -> EndpointResponse {
        let now = self.now();
        let state = match self.active_state_at(id, now).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        let jwks = state.ring.jwks(self.management.rotation(), now);
        match serde_json::to_value(&jwks) {
            Ok(body) => EndpointResponse::json(200, body).with_header(
                "Cache-Control",
                format!("max-age={KEYS_MAX_AGE_SECONDS}, must-revalidate"),
            ),
            Err(error) => unrecorded_refusal(&Reason::from(ServerFailure::from(error))),
        }
    }
}

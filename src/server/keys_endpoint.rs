//! `GET {issuer}/v1/keys`: the JWKS that verifies the server's tokens (seed 003, "Get Keys").

use super::AuthServer;
use crate::endpoint::EndpointResponse;
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
        let state = match self.active_state(id).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        let jwks = state.ring.jwks(self.management.rotation(), self.now());
        match serde_json::to_value(&jwks) {
            Ok(body) => EndpointResponse::json(200, body).with_header(
                "Cache-Control",
                format!("max-age={KEYS_MAX_AGE_SECONDS}, must-revalidate"),
            ),
            Err(_) => crate::endpoint::OAuthError::internal().response(),
        }
    }
}

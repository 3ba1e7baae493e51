//! Client authentication at the token, introspection and revocation endpoints: the directory
//! and grant-store calls around the decisions of [`crate::client_auth`], and the refusal event.

use std::sync::Arc;

use time::OffsetDateTime;

use super::AuthServer;
use crate::client_auth::{self, Presented};
use crate::endpoint::{EndpointResponse, ErrorCode, OAuthError, Params, Reason};
use crate::event::{Entity, Event};
use crate::model::ClientRecord;
use crate::store::{ConfigStore, Directory, GrantStore};

/// The event type of a refused client authentication.
pub const CLIENT_AUTH_EVENT_TYPE: &str = "app.oauth2.as.client.authenticate";

/// The `WWW-Authenticate` challenge sent with `invalid_client` when the client used the
/// `Authorization` header (RFC 6749 §5.2).
pub const BASIC_CHALLENGE: &str = "Basic realm=\"authserver\"";

/// The response for a refusal at an endpoint that authenticates clients: the JSON error, plus
/// `WWW-Authenticate: Basic` when it is `invalid_client` and the client used the
/// `Authorization` header (RFC 6749 §5.2).
pub(crate) fn client_error_response(error: &OAuthError, authorization: Option<&str>) -> EndpointResponse {
    let response = error.response();
    if error.code == ErrorCode::InvalidClient && authorization.is_some() {
        response.with_header("WWW-Authenticate", BASIC_CHALLENGE)
    } else {
        response
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Authenticates the client of a request to `endpoint_url` (the full URL of the endpoint
    /// called, which client assertions must name as `aud`) at `now`; see
    /// [`crate::client_auth`] for the methods and rules. Refusals other than server failures are
    /// recorded as `app.oauth2.as.client.authenticate` events with the precise reason.
    /// `basic_client_id_allowed` admits `Authorization: Basic base64(client_id)` from a public
    /// client (`/introspect` and `/revoke`, where `@okta/okta-auth-js` sends it).
    pub(crate) async fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
        endpoint_url: &str,
        basic_client_id_allowed: bool,
        now: OffsetDateTime,
    ) -> Result<Arc<ClientRecord>, Reason> {
        let presented = client_auth::presented(params, authorization, basic_client_id_allowed)
            .map_err(|reason| self.refuse_client(reason, params.get("client_id"), now))?;
        self.verify_presented(&presented, endpoint_url, now)
            .await
            .map_err(|reason| self.refuse_client(reason, Some(presented.client_id()), now))
    }

    /// Load the client → decide → load the `client_secret_jwt` key if that method needs it →
    /// decide → record the assertion's `jti` → decide.
    async fn verify_presented(
        &self,
        presented: &Presented<'_>,
        endpoint_url: &str,
        now: OffsetDateTime,
    ) -> Result<Arc<ClientRecord>, Reason> {
        let client_id = presented.client_id();
        let client = client_auth::known_active(presented, self.directory().client(client_id).await?)?;
        let key = if client_auth::needs_secret_jwt_key(presented, &client) {
            self.directory().client_secret_jwt_key(client_id).await?
        } else {
            None
        };
        let assertion = client_auth::verify_credentials(presented, &client, key.as_ref(), endpoint_url, now)?;
        if let Some(assertion) = assertion {
            let first_use = self
                .grants
                .record_assertion_jti(client_id, &assertion.jti, assertion.expires_at, now)
                .await?;
            client_auth::single_use(first_use)?;
        }
        Ok(client)
    }

    /// Records a refused authentication (server failures are not the client's doing) and hands
    /// the reason back.
    fn refuse_client(&self, reason: Reason, client_id: Option<&str>, now: OffsetDateTime) -> Reason {
        if reason.server_failure().is_none() {
            let mut event = Event::unnumbered_failure(
                CLIENT_AUTH_EVENT_TYPE,
                "OAuth2 client authentication refused",
                reason.code(),
                reason.error().description,
                now,
            );
            if let Some(client_id) = client_id {
                event = event
                    .with_client(client_id)
                    .with_actor(Entity::new("PublicClientApp", client_id));
            }
            self.record(event);
        }
        reason
    }
}

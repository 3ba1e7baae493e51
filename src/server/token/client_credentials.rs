//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client asks for itself.
//!
//! Policies are evaluated without a user (the people condition is not evaluated); the server's
//! default scopes are granted in addition to the requested ones, as far as the matching rule
//! admits them (seed 003 table: "Contains default scopes granted by policy in addition to
//! requested scopes"); `openid` is refused (`openid_not_allowed_client_creds`). The response
//! holds an access token only: no refresh token, no ID token (seed 003 table).

use time::OffsetDateTime;

use super::{Issued, MAX_SCOPE_LEN, Refusal, grant_from_decision, new_grant_id, requested_scopes, token_body};
use crate::endpoint::{ErrorCode, Params};
use crate::model::{ClientRecord, GrantType};
use crate::policy::PolicyRequest;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::server::state::ServerState;
use crate::store::{ConfigStore, Directory, GrantStore};

const PUBLIC_CLIENT: &str = "Client credentials requests require a confidential client.";

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the client-credentials grant for the authenticated `client`.
    pub(super) async fn client_credentials_grant(
        &self,
        state: &ServerState,
        params: &Params,
        client: ClientRecord,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        if client.client.is_public() {
            return Err(Refusal::new(
                ErrorCode::UnauthorizedClient,
                PUBLIC_CLIENT,
                "public_client_credentials",
            ));
        }
        let requested = requested_scopes(params, MAX_SCOPE_LEN)?;
        let config = &state.config;
        let request = PolicyRequest {
            policies: &config.policies,
            scopes: &config.scopes,
            client_id: &client.client.client_id,
            user: None,
            grant_type: GrantType::ClientCredentials,
            requested_scopes: requested.as_deref(),
        };
        let decision = self.evaluate_policies(state, &request, now)?;
        let grant = grant_from_decision(
            new_grant_id(self.random())?,
            &config.server.id,
            &client.client.client_id,
            None,
            GrantType::ClientCredentials,
            &decision,
            None,
            Vec::new(),
            now,
        );
        let identity = Identity {
            client,
            user: None,
            groups: Vec::new(),
        };
        let minted = self.mint_tokens(state, &identity, &grant, None, now)?;
        Ok(Issued {
            body: token_body(&minted, None),
            grant,
        })
    }
}

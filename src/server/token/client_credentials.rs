//! `grant_type=client_credentials` (RFC 6749 §4.4): a confidential client asks for itself.
//!
//! Policies are evaluated without a user (the people condition is not evaluated); the server's
//! default scopes are granted in addition to the requested ones, as far as the matching rule
//! admits them (Okta: "Contains default scopes granted by policy in addition to requested
//! scopes"); `openid` is refused (`openid_not_allowed_client_creds`). The response holds an
//! access token only: no refresh token, no ID token.

use super::{Issued, TokenGrant};
use crate::endpoint::{Reason, Refusal};
use crate::grant::{self, MAX_SCOPE_LEN, NewGrant};
use crate::model::GrantType;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::store::grants::GrantId;
use crate::store::{ConfigStore, Directory, GrantStore};

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the client-credentials grant for the authenticated `client`.
    pub(super) async fn client_credentials_grant(&self, asked: TokenGrant<'_>) -> Result<Issued, Refusal> {
        grant::confidential(&asked.client.client)?;
        let requested = grant::requested_scopes(asked.params, MAX_SCOPE_LEN)?;
        let config = &asked.state.config;
        let client_id = asked.client.client.client_id.as_str();
        let request = grant::policy_request(
            config,
            client_id,
            None,
            GrantType::ClientCredentials,
            requested.as_deref(),
        );
        let decision = self.evaluate_policies(asked.state, &request, asked.now)?;
        let random = grant::new_grant_random(self.random()).map_err(Reason::from)?;
        let new = NewGrant {
            id: GrantId::generate(&random).map_err(Reason::from)?,
            server_id: &config.server.id,
            client_id,
            user_id: None,
            grant_type: GrantType::ClientCredentials,
            auth_time: None,
            amr: Vec::new(),
            now: asked.now,
        };
        let grant = grant::grant_from_decision(new, &decision);
        let identity = Identity {
            client: asked.client,
            user: None,
            groups: Vec::new(),
        };
        let (minted, _) = self
            .mint_tokens(asked.state, &identity, &grant, &random, None, asked.now)
            .await?;
        Ok(Issued {
            body: minted.body(&grant.scopes, None),
            grant,
        })
    }
}

//! `grant_type=password` (RFC 6749 §4.3, resource owner password credentials).
//!
//! The directory checks `username` and `password` ("The credentials provided were invalid." for
//! a wrong pair, an unknown login, or a user who is not `ACTIVE`: the answer does not tell which);
//! the user must be assigned to the client (`access_denied` "User is not assigned to the client
//! application.", 400). Policies are evaluated with the user's groups; an omitted `scope` means
//! the default scopes. The response (seed 003 table) holds an access token, an ID token when
//! `openid` is granted, and a refresh token when `offline_access` is granted and the client may
//! use the `refresh_token` grant. `auth_time` is now and `amr` is `["pwd"]`.

use time::OffsetDateTime;

use super::{
    Issued, MAX_SCOPE_LEN, Refusal, grant_from_decision, group_ids, new_grant_id, requested_scopes, required,
    token_body, user_context, wants_refresh_token,
};
use crate::endpoint::{ErrorCode, Params};
use crate::model::{ClientRecord, GrantType};
use crate::policy::PolicyRequest;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::server::state::ServerState;
use crate::store::{ConfigStore, Directory, GrantStore};

const INVALID_CREDENTIALS: &str = "The credentials provided were invalid.";
const MISSING_USERNAME: &str = "The 'username' parameter is required.";
const MISSING_PASSWORD: &str = "The 'password' parameter is required.";

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the password grant for the authenticated `client`.
    pub(super) async fn password_grant(
        &self,
        state: &ServerState,
        params: &Params,
        client: ClientRecord,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let username = required(params, "username", MISSING_USERNAME, "missing_username")?;
        let password = required(params, "password", MISSING_PASSWORD, "missing_password")?;
        let requested = requested_scopes(params, MAX_SCOPE_LEN)?;
        let invalid = || Refusal::new(ErrorCode::InvalidGrant, INVALID_CREDENTIALS, "invalid_credentials");
        let user = self
            .directory()
            .check_password(username, password)
            .await
            .map_err(|_| Refusal::internal())?
            .ok_or_else(invalid)?;
        if !user.status.can_sign_in() {
            return Err(invalid().user(Some(&user.id)));
        }
        let client_id = client.client.client_id.clone();
        self.check_assigned(&client_id, &user.id).await?;
        let groups = self
            .directory()
            .user_groups(&user.id)
            .await
            .map_err(|_| Refusal::internal())?;
        let ids = group_ids(&groups);
        let config = &state.config;
        let request = PolicyRequest {
            policies: &config.policies,
            scopes: &config.scopes,
            client_id: &client_id,
            user: Some(user_context(&user, &ids)),
            grant_type: GrantType::Password,
            requested_scopes: requested.as_deref(),
        };
        let decision = self.evaluate_policies(state, &request, now)?;
        let grant = grant_from_decision(
            new_grant_id(self.random())?,
            &config.server.id,
            &client_id,
            Some(&user.id),
            GrantType::Password,
            &decision,
            Some(now),
            vec!["pwd".to_owned()],
            now,
        );
        let refresh = wants_refresh_token(&client, &grant);
        let identity = Identity {
            client,
            user: Some(user),
            groups,
        };
        let minted = self.mint_tokens(state, &identity, &grant, None, now)?;
        let refresh_token = if refresh {
            Some(self.new_refresh_token(&grant, now).await?)
        } else {
            None
        };
        Ok(Issued {
            body: token_body(&minted, refresh_token.as_ref().map(|t| t.expose())),
            grant,
        })
    }
}

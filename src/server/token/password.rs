//! `grant_type=password` (RFC 6749 §4.3): the directory checks the credentials; decide
//! ([`grant::password_user`], assignment, policies), issue.
//!
//! "The credentials provided were invalid." answers a wrong pair, an unknown login, or a user who
//! is not `ACTIVE`: the answer does not tell which. An omitted `scope` means the default scopes.
//! `auth_time` is now and `amr` is `["pwd"]`.

use super::{Issued, TokenGrant};
use crate::endpoint::{Reason, Refusal};
use crate::grant::{self, MAX_SCOPE_LEN, NewGrant};
use crate::model::GrantType;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::store::grants::GrantId;
use crate::store::{ConfigStore, Directory, GrantStore};

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the password grant for the authenticated `client`.
    pub(super) async fn password_grant(&self, asked: TokenGrant<'_>) -> Result<Issued, Refusal> {
        let username = grant::required(asked.params, "username", Reason::MissingUsername)?;
        let password = grant::required(asked.params, "password", Reason::MissingPassword)?;
        let requested = grant::requested_scopes(asked.params, MAX_SCOPE_LEN)?;
        let user = grant::password_user(self.directory().check_password(username, password).await?)?;
        let client_id = asked.client.client.client_id.as_str();
        let refused = |reason: Reason| Refusal::from(reason).user(Some(&user.id));
        grant::assigned(self.directory().is_assigned(client_id, &user.id).await?).map_err(refused)?;
        let groups = self.directory().user_groups(&user.id).await?;
        let group_ids = grant::group_ids(&groups);
        let config = &asked.state.config;
        let request = grant::policy_request(
            config,
            client_id,
            Some((&user, &group_ids)),
            GrantType::Password,
            requested.as_deref(),
        );
        let decision = self
            .evaluate_policies(asked.state, &request, asked.now)
            .map_err(refused)?;
        let random = grant::new_grant_random(self.random()).map_err(Reason::from)?;
        let new = NewGrant {
            id: GrantId::generate(&random).map_err(Reason::from)?,
            server_id: &config.server.id,
            client_id,
            user_id: Some(&user.id),
            grant_type: GrantType::Password,
            auth_time: Some(asked.now),
            amr: vec!["pwd".to_owned()],
            now: asked.now,
        };
        let grant = grant::grant_from_decision(new, &decision);
        let identity = Identity {
            client: asked.client,
            user: Some(user),
            groups,
        };
        self.issue(asked.state, &identity, grant, &random, None, asked.now)
            .await
    }
}

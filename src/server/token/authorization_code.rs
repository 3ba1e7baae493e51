//! `grant_type=authorization_code`: redeem the code, decide ([`grant::authorization_code`]), load
//! the user and decide, issue.

use super::{Issued, TokenGrant};
use crate::endpoint::{Reason, Refusal};
use crate::grant::{self, authorization_code};
use crate::secret::SecretHash;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::store::{ConfigStore, Directory, GrantStore};

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the authorization-code grant for the authenticated `client`.
    pub(super) async fn authorization_code_grant(&self, asked: TokenGrant<'_>) -> Result<Issued, Refusal> {
        let code = grant::required(asked.params, "code", Reason::MissingCode)?;
        let redemption = self.grants.redeem_code(&SecretHash::of(code), asked.now).await?;
        let record = authorization_code::redeemed(redemption)?;
        let request = authorization_code::CodeRequest {
            server_id: &asked.state.config.server.id,
            client: &asked.client,
            redirect_uri: asked.params.get("redirect_uri"),
            code_verifier: asked.params.get("code_verifier"),
            now: asked.now,
        };
        authorization_code::check(&record, &request)?;
        let (user, groups) = match record.grant.user_id.as_deref() {
            Some(user_id) => {
                let (user, groups) = self.grant_user(&asked.client.client.client_id, user_id).await?;
                (Some(user), groups)
            }
            None => (None, Vec::new()),
        };
        let identity = Identity {
            client: asked.client,
            user,
            groups,
        };
        let nonce = record.nonce.as_deref();
        self.issue(asked.state, &identity, record.grant, self.random(), nonce, asked.now)
            .await
    }
}

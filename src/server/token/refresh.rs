//! `grant_type=refresh_token`: find the token, decide ([`grant::refresh`]), check implicit
//! revocation as introspection does, re-evaluate the policies, mint, then rotate, echo or touch
//! the token as decided.

use super::{Issued, TokenGrant};
use crate::endpoint::{Reason, Refusal};
use crate::grant::refresh::{self, RefreshWrite, Rotated};
use crate::grant::{self, MAX_REFRESH_SCOPE_LEN};
use crate::secret::SecretHash;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::store::{ConfigStore, Directory, GrantStore};

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the refresh-token grant for the authenticated `client`.
    pub(super) async fn refresh_token_grant(&self, asked: TokenGrant<'_>) -> Result<Issued, Refusal> {
        let presented = grant::required(asked.params, "refresh_token", Reason::MissingRefreshToken)?;
        let requested = grant::requested_scopes(asked.params, MAX_REFRESH_SCOPE_LEN)?;
        let hash = SecretHash::of(presented);
        let found = refresh::found(self.grants.find_refresh_token(&hash).await?)?;
        let client_id = asked.client.client.client_id.clone();
        refresh::check_presented(&found, &asked.state.config.server.id, &client_id, asked.now)?;
        let record = &found.record;
        let refused = |reason: Reason| Refusal::from(reason).user(record.grant.user_id.as_deref());
        // Implicit revocation, exactly as introspection sees it. The user it returns is ACTIVE
        // and assigned.
        let user = self.check_refresh_record(asked.state, record).await.map_err(refused)?;
        let leeway = refresh::leeway(&asked.client);
        let within_leeway = refresh::within_leeway(&found, leeway, asked.now)?;
        let (scopes, original) = refresh::request(requested, &record.grant)?;
        let groups = match &user {
            Some(user) => self.directory().user_groups(&user.id).await?,
            None => Vec::new(),
        };
        let group_ids = grant::group_ids(&groups);
        let request = grant::policy_request(
            &asked.state.config,
            &client_id,
            user.as_ref().map(|user| (user, group_ids.as_slice())),
            original,
            Some(&scopes),
        );
        let decision = self
            .evaluate_policies(asked.state, &request, asked.now)
            .map_err(refused)?;
        let grant = refresh::refreshed(&record.grant, &decision);
        let rotation_type = asked.client.client.refresh_token_settings().rotation_type;
        let identity = Identity {
            client: asked.client,
            user,
            groups,
        };
        // Tokens are minted first: nothing below can fail after the presented token is spent
        // but before the response is built.
        let (minted, refresh_token_bits) = self
            .mint_tokens(asked.state, &identity, &grant, self.random(), None, asked.now)
            .await?;
        let new_refresh_token = refresh_token_bits.token();
        let write = refresh::write(
            record,
            &grant,
            within_leeway,
            rotation_type,
            &new_refresh_token,
            asked.now,
        );
        let refresh_token = match write {
            RefreshWrite::Touch => {
                self.grants.touch_refresh_token(&hash, asked.now).await?;
                None
            }
            RefreshWrite::Echo => {
                refresh::still_stored(self.grants.touch_refresh_token(&hash, asked.now).await?).map_err(refused)?;
                Some(presented)
            }
            RefreshWrite::Sibling(sibling) => {
                self.grants.insert_refresh_token(sibling).await?;
                Some(new_refresh_token.expose())
            }
            RefreshWrite::Rotate(successor) => {
                let outcome = self
                    .grants
                    .rotate_refresh_token(&hash, successor.clone(), asked.now)
                    .await
                    .map_err(|error| refused(error.into()))?;
                match refresh::rotation(&outcome, &record.grant.id, leeway, asked.now).map_err(refused)? {
                    Rotated::Done => {}
                    Rotated::Raced => self
                        .grants
                        .insert_refresh_token(successor)
                        .await
                        .map_err(|error| refused(error.into()))?,
                }
                Some(new_refresh_token.expose())
            }
        };
        Ok(Issued {
            body: minted.body(&grant.scopes, refresh_token),
            grant,
        })
    }
}

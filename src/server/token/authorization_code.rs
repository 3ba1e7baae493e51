//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6).
//!
//! * The code is redeemed atomically ([`GrantStore::redeem_code`]): an unknown or expired code is
//!   `invalid_grant` "The authorization code is invalid or has expired.". A code redeemed before
//!   is refused the same way **and revokes its grant** (RFC 6749 §4.1.2, §10.5): the refresh
//!   tokens and access tokens the first redemption produced stop working, for
//!   [`REVOCATION_HORIZON`](super::REVOCATION_HORIZON); a `detect_reuse` warning is recorded.
//! * The code must have been issued by this server and to this client ("The grant was issued to
//!   another client…"); `redirect_uri` must be exactly the one of the authorization request,
//!   present if and only if that request had one.
//! * PKCE: when the code has a challenge, `code_verifier` is required and must match; a
//!   `code_verifier` for a code without a challenge is refused too (RFC 9700 §2.1.1, a downgrade
//!   attack), as is a public client's code without a challenge. All are "PKCE verification failed.".
//! * The user must still be `ACTIVE` and assigned. Policies are **not** re-evaluated: the
//!   decision made at the authorize endpoint travels in the code's [`Grant`](crate::store::grants::Grant)
//!   (reference Appendix A.4).
//!
//! Any refusal after the redemption leaves the code spent: codes are single use.
//! The response (seed 003 table) holds an access token, a thin ID token with the request's
//! `nonce` when `openid` was granted, and a refresh token when `offline_access` was granted and
//! the client may use the `refresh_token` grant.

use time::OffsetDateTime;

use super::{Issued, Refusal, required, token_body, wants_refresh_token};
use crate::endpoint::{ErrorCode, Params};
use crate::model::ClientRecord;
use crate::secret::SecretHash;
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::server::state::ServerState;
use crate::store::grants::CodeRedemption;
use crate::store::{ConfigStore, Directory, GrantStore};

const MISSING_CODE: &str = "The 'code' parameter is required.";
const INVALID_CODE: &str = "The authorization code is invalid or has expired.";
const OTHER_CLIENT: &str = "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.";
const REDIRECT_MISMATCH: &str =
    "The 'redirect_uri' does not match the redirection URI used in the authorization request.";
const PKCE_FAILED: &str = "PKCE verification failed.";

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the authorization-code grant for the authenticated `client`.
    pub(super) async fn authorization_code_grant(
        &self,
        state: &ServerState,
        params: &Params,
        client: ClientRecord,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let code = required(params, "code", MISSING_CODE, "missing_code")?;
        let invalid = |reason| Refusal::new(ErrorCode::InvalidGrant, INVALID_CODE, reason);
        let client_id = client.client.client_id.clone();
        let record = match self
            .grants
            .redeem_code(&SecretHash::of(code), now)
            .await
            .map_err(|_| Refusal::internal())?
        {
            CodeRedemption::Redeemed(record) => record,
            CodeRedemption::Unknown => return Err(invalid("invalid_code")),
            CodeRedemption::AlreadyRedeemed { grant_id } => {
                self.revoke_after_reuse(&grant_id, &client_id, "authorization_code_replayed", now)
                    .await?;
                return Err(invalid("authorization_code_replayed").warn());
            }
        };
        let grant = record.grant;
        let user_id = grant.user_id.as_deref();
        if grant.authorization_server_id != state.config.server.id || record.expires_at <= now {
            return Err(invalid("invalid_code").user(user_id));
        }
        if grant.client_id != client_id {
            return Err(Refusal::new(ErrorCode::InvalidGrant, OTHER_CLIENT, "client_mismatch").user(user_id));
        }
        if params.get("redirect_uri") != record.redirect_uri.as_deref() {
            return Err(
                Refusal::new(ErrorCode::InvalidGrant, REDIRECT_MISMATCH, "redirect_uri_mismatch").user(user_id),
            );
        }
        let pkce = |reason| Refusal::new(ErrorCode::InvalidGrant, PKCE_FAILED, reason).user(user_id);
        match (record.code_challenge.as_deref(), params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                crate::pkce::verify(verifier, challenge).map_err(|_| pkce("pkce_mismatch"))?;
            }
            (Some(_), None) => return Err(pkce("missing_code_verifier")),
            (None, Some(_)) => return Err(pkce("unexpected_code_verifier")),
            (None, None) if client.client.is_public() => return Err(pkce("pkce_required")),
            (None, None) => {}
        }
        let (user, groups) = match user_id {
            Some(user_id) => {
                let (user, groups) = self.grant_user(&client_id, user_id).await?;
                (Some(user), groups)
            }
            None => (None, Vec::new()),
        };
        let refresh = wants_refresh_token(&client, &grant);
        let identity = Identity { client, user, groups };
        let minted = self.mint_tokens(state, &identity, &grant, record.nonce.as_deref(), now)?;
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

//! `grant_type=refresh_token` (RFC 6749 §6; reference §3.4).
//!
//! * The token is looked up by its hash; unknown, revoked, issued by another server, past its
//!   family's `expires_at` (the rule's refresh lifetime), or unused for longer than the idle
//!   window is `invalid_grant` "The refresh token is invalid or expired.". A token issued to
//!   another client is "The grant was issued to another client…".
//! * `scope` is optional; it must be a subset of the token's scopes (`refresh_scopes_denied`).
//! * Policies are **re-evaluated** (Okta does on refresh): with the token's original grant type,
//!   the user's current groups and the refresh's scopes; the user must still be `ACTIVE` and
//!   assigned. The new access token gets the new decision's lifetime.
//! * Response (seed 003 table): an access token; a refresh token when the refresh's scopes hold
//!   `offline_access`; an ID token when they hold `openid`. A rotated (or sibling) refresh token
//!   keeps the scopes of the presented one, whatever subset this request asked for (RFC 6749 §6). A refresh without `offline_access`
//!   returns no refresh token and leaves the presented one as it was (only its idle window
//!   restarts), so the client keeps a working token.
//! * Rotation follows the client's `refresh_token.rotation_type`: `STATIC` echoes the presented
//!   token and restarts its idle window ([`GrantStore::touch_refresh_token`]); `ROTATE` replaces
//!   it by a new token of the same family with the same absolute `expires_at`
//!   ([`GrantStore::rotate_refresh_token`], a compare-and-swap).
//! * **Reuse.** A token already rotated away, presented again within the client's `leeway`
//!   (default 30 s, 0–60) of its rotation, is answered like a live token: a new refresh token
//!   joins the family beside the successor (same `expires_at`), and nothing is consumed. This is
//!   Okta's grace period, covering a response lost in transit or two tabs refreshing at once,
//!   without invalidating the successor some other request already holds (rotating "from the
//!   newest" would, and would then turn that holder's next refresh into a reuse). After the
//!   leeway, reuse revokes the whole family and the access tokens minted from it
//!   ([`GrantStore::revoke_grant`]), records `app.oauth2.as.token.detect_reuse`, and is refused.

use time::{Duration, OffsetDateTime};

use super::{Issued, MAX_REFRESH_SCOPE_LEN, Refusal, group_ids, requested_scopes, required, token_body, user_context};
use crate::endpoint::{ErrorCode, Params};
use crate::model::{ClientRecord, GrantType, OFFLINE_ACCESS, RotationType};
use crate::policy::{self, PolicyRequest};
use crate::random::Randomness;
use crate::secret::{RefreshToken, SecretHash};
use crate::server::AuthServer;
use crate::server::mint::Identity;
use crate::server::state::ServerState;
use crate::server::validate::Invalid;
use crate::store::grants::{Grant, RefreshTokenRecord, Rotation};
use crate::store::{ConfigStore, Directory, GrantStore};

const MISSING_REFRESH_TOKEN: &str = "The 'refresh_token' parameter is required.";
const INVALID_REFRESH_TOKEN: &str = "The refresh token is invalid or expired.";
const OTHER_CLIENT: &str = "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.";

fn invalid(reason: &'static str) -> Refusal {
    Refusal::new(ErrorCode::InvalidGrant, INVALID_REFRESH_TOKEN, reason)
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Runs the refresh-token grant for the authenticated `client`.
    pub(super) async fn refresh_token_grant(
        &self,
        state: &ServerState,
        params: &Params,
        client: ClientRecord,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let presented = required(params, "refresh_token", MISSING_REFRESH_TOKEN, "missing_refresh_token")?;
        let requested = requested_scopes(params, MAX_REFRESH_SCOPE_LEN)?;
        let hash = SecretHash::of(presented);
        let client_id = client.client.client_id.clone();
        let found = self
            .grants
            .find_refresh_token(&hash)
            .await
            .map_err(|_| Refusal::internal())?
            .ok_or_else(|| invalid("unknown_refresh_token"))?;
        let record = found.record;
        let user_id = record.grant.user_id.clone();
        let user_id = user_id.as_deref();
        if found.family_revoked {
            return Err(invalid("refresh_token_revoked").user(user_id));
        }
        if record.grant.authorization_server_id != state.config.server.id {
            return Err(invalid("refresh_token_for_other_server").user(user_id));
        }
        if record.grant.client_id != client_id {
            return Err(Refusal::new(ErrorCode::InvalidGrant, OTHER_CLIENT, "client_mismatch").user(user_id));
        }
        if record.expires_at.is_some_and(|expires_at| expires_at <= now) {
            return Err(invalid("refresh_token_expired").user(user_id));
        }
        let window = Duration::minutes(i64::from(record.grant.refresh_token_window_minutes));
        if record.last_used_at + window <= now {
            return Err(invalid("refresh_token_idle").user(user_id));
        }
        // Implicit revocation, exactly as introspection sees it: configuration, client or user
        // changed since the token was issued. The user it returns is ACTIVE and assigned.
        let user = match self.check_refresh_record(state, &record).await {
            Ok(user) => user,
            Err(Invalid::Store) => return Err(Refusal::internal()),
            Err(reason) => return Err(invalid(reason.code()).user(user_id)),
        };
        let settings = client.client.refresh_token_settings();
        let leeway = Duration::seconds(i64::from(settings.leeway));
        // A token rotated away: tolerated within the leeway, reuse after it.
        let within_leeway = match found.consumed {
            None => false,
            Some(consumed) if now - consumed.at <= leeway => true,
            Some(_) => {
                self.revoke_after_reuse(&record.grant.id, &client_id, "refresh_token_reused", now)
                    .await?;
                return Err(invalid("refresh_token_reused").user(user_id).warn());
            }
        };

        let scopes = requested.unwrap_or_else(|| record.grant.scopes.clone());
        if let Err(denial) = policy::check_refresh_scopes(&record.grant.scopes, &scopes) {
            return Err(super::denial_refusal(&denial).user(user_id));
        }
        let original = record
            .grant
            .grant_type
            .parse::<GrantType>()
            .map_err(|_| invalid("refresh_token_unknown_grant_type").user(user_id))?;
        let groups = match &user {
            Some(user) => self
                .directory()
                .user_groups(&user.id)
                .await
                .map_err(|_| Refusal::internal())?,
            None => Vec::new(),
        };
        let ids = group_ids(&groups);
        let config = &state.config;
        let request = PolicyRequest {
            policies: &config.policies,
            scopes: &config.scopes,
            client_id: &client_id,
            user: user.as_ref().map(|user| user_context(user, &ids)),
            grant_type: original,
            requested_scopes: Some(&scopes),
        };
        let decision = self.evaluate_policies(state, &request, now)?;
        let grant = Grant {
            scopes: decision.scopes.iter().map(|s| (*s).to_owned()).collect(),
            policy_id: decision.policy_id.to_owned(),
            rule_id: decision.rule_id.to_owned(),
            access_token_lifetime_minutes: decision.access_token_lifetime_minutes,
            refresh_token_window_minutes: decision.refresh_token_window_minutes,
            ..record.grant.clone()
        };
        let wants_refresh = grant.scopes.iter().any(|s| s == OFFLINE_ACCESS);
        // RFC 6749 §6: a new refresh token has exactly the scope of the one presented, even when
        // this request narrowed the access token's (seed 003 table: a subset including
        // `offline_access` returns both tokens); `STATIC` keeps the presented token as it is.
        let family_grant = Grant {
            scopes: record.grant.scopes.clone(),
            ..grant.clone()
        };
        let identity = Identity { client, user, groups };
        let minted = self.mint_tokens(state, &identity, &grant, None, now)?;

        // Tokens are minted first: nothing below can fail after the presented token is spent
        // but before the response is built.
        let refresh_token = if !wants_refresh {
            // The presented token stays as it was; only its idle window restarts.
            self.grants
                .touch_refresh_token(&hash, now)
                .await
                .map_err(|_| Refusal::internal())?;
            None
        } else if within_leeway {
            Some(self.sibling(&record, &family_grant, now).await?)
        } else if settings.rotation_type == RotationType::Static {
            let touched = self
                .grants
                .touch_refresh_token(&hash, now)
                .await
                .map_err(|_| Refusal::internal())?;
            if !touched {
                return Err(invalid("refresh_token_revoked").user(user_id));
            }
            Some(presented.to_owned())
        } else {
            Some(
                self.rotate(&hash, &record, &family_grant, leeway, now)
                    .await
                    .map_err(|r| r.user(user_id))?,
            )
        };
        Ok(Issued {
            body: token_body(&minted, refresh_token.as_deref()),
            grant,
        })
    }

    /// Replaces the presented token by a new one of the same family (`ROTATE`).
    async fn rotate(
        &self,
        presented: &SecretHash,
        record: &RefreshTokenRecord,
        grant: &Grant,
        leeway: Duration,
        now: OffsetDateTime,
    ) -> Result<String, Refusal> {
        let (token, successor) = successor(record, grant, now, self.random())?;
        match self
            .grants
            .rotate_refresh_token(presented, successor.clone(), now)
            .await
        {
            Ok(Rotation::Rotated { .. }) => Ok(token.expose().to_owned()),
            // Another request rotated it a moment ago: the same grace period applies.
            Ok(Rotation::AlreadyRotated { rotated_at, .. }) if now - rotated_at <= leeway => {
                self.grants
                    .insert_refresh_token(successor)
                    .await
                    .map_err(|_| Refusal::internal())?;
                Ok(token.expose().to_owned())
            }
            Ok(Rotation::AlreadyRotated { .. }) => {
                self.revoke_after_reuse(&record.grant.id, &grant.client_id, "refresh_token_reused", now)
                    .await?;
                Err(invalid("refresh_token_reused").warn())
            }
            Ok(Rotation::FamilyRevoked | Rotation::Unknown) => Err(invalid("refresh_token_revoked")),
            Err(_) => Err(Refusal::internal()),
        }
    }

    /// A new token beside the successor of a token rotated away within the leeway.
    async fn sibling(
        &self,
        record: &RefreshTokenRecord,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> Result<String, Refusal> {
        let (token, sibling) = successor(record, grant, now, self.random())?;
        self.grants
            .insert_refresh_token(sibling)
            .await
            .map_err(|_| Refusal::internal())?;
        Ok(token.expose().to_owned())
    }
}

/// A new token of `record`'s family carrying `grant`, keeping the family's `expires_at`.
fn successor(
    record: &RefreshTokenRecord,
    grant: &Grant,
    now: OffsetDateTime,
    random: &dyn Randomness,
) -> Result<(RefreshToken, RefreshTokenRecord), Refusal> {
    let token = RefreshToken::generate(random).map_err(|_| Refusal::internal())?;
    let successor = RefreshTokenRecord {
        token_hash: token.hash(),
        grant: grant.clone(),
        issued_at: now,
        expires_at: record.expires_at,
        last_used_at: now,
    };
    Ok((token, successor))
}

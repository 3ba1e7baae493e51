//! Minting tokens for a grant: claims assembled from the server's compiled claims, signed by its
//! `ACTIVE` key with the header `{"kid", "alg"}` (plus `typ: at+jwt` where a server opted in).

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::AuthServer;
use super::state::ServerState;
use crate::claims::{
    AccessTokenClaims, AccessTokenParams, ClaimError, ClaimSet, IdTokenClaimSet, IdTokenParams, Subject,
    access_token_claims, access_token_id, id_token_claims, token_id,
};
use crate::endpoint::{ErrorCode, OAuthError};
use crate::jose;
use crate::model::{ClientRecord, Group, User};
use crate::store::grants::Grant;
use crate::store::{ConfigStore, Directory, GrantStore};

/// The client, user and groups a token is about, loaded from the directory.
pub(crate) struct Identity {
    /// The client.
    pub(crate) client: ClientRecord,
    /// The user, absent for client credentials.
    pub(crate) user: Option<User>,
    /// The user's groups.
    pub(crate) groups: Vec<Group>,
}

/// An access token and the claims it carries.
pub(crate) struct MintedAccessToken {
    /// The compact JWS.
    pub(crate) token: String,
    /// Its claims (for `expires_in`, `scope` and events).
    pub(crate) claims: AccessTokenClaims,
}

/// What an ID token needs besides the grant.
#[derive(Clone, Copy)]
pub(crate) struct IdTokenExtras<'a> {
    /// The authorization request's `nonce`.
    pub(crate) nonce: Option<&'a str>,
    /// The access token issued with it, for `at_hash`.
    pub(crate) access_token: Option<&'a str>,
    /// The code issued with it, for `c_hash`.
    pub(crate) code: Option<&'a str>,
    /// Fat or thin.
    pub(crate) claim_set: IdTokenClaimSet,
}

/// The RFC 9068 access-token media type.
pub(crate) const AT_JWT: &str = "at+jwt";

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Loads the client and, if any, the user and their groups.
    pub(crate) async fn identity(&self, client_id: &str, user_id: Option<&str>) -> Result<Identity, OAuthError> {
        let directory = self.directory();
        let client = directory
            .client(client_id)
            .await
            .map_err(|_| OAuthError::internal())?
            .ok_or_else(|| OAuthError::new(ErrorCode::InvalidClient, "Invalid value for 'client_id' parameter."))?;
        let (user, groups) = match user_id {
            Some(id) => {
                let user = directory
                    .user(id)
                    .await
                    .map_err(|_| OAuthError::internal())?
                    .ok_or_else(|| OAuthError::new(ErrorCode::InvalidGrant, "The user is no longer available."))?;
                let groups = directory.user_groups(id).await.map_err(|_| OAuthError::internal())?;
                (Some(user), groups)
            }
            None => (None, Vec::new()),
        };
        Ok(Identity { client, user, groups })
    }

    /// Mints an access token for `grant` at `now`: its scopes, its lifetime, its `auth_time`.
    pub(crate) fn mint_access_token(
        &self,
        state: &ServerState,
        identity: &Identity,
        grant: &Grant,
        now: OffsetDateTime,
    ) -> Result<MintedAccessToken, OAuthError> {
        let claims = self.compiled_claims(state)?;
        let jti = access_token_id(&grant.id, self.random()).map_err(|_| OAuthError::internal())?;
        let params = AccessTokenParams {
            issuer: &state.issuer,
            audiences: &state.config.server.audiences,
            jti: &jti,
            scopes: &grant.scopes,
            issued_at: now,
            lifetime: Duration::minutes(i64::from(grant.access_token_lifetime_minutes)),
            auth_time: grant.auth_time,
        };
        let claims = access_token_claims(claims, self.subject(identity), &params)
            .map_err(|error| self.claim_failure(&error, &identity.client.client.client_id, now))?;
        let typ = self.rfc9068_servers.contains(&state.config.server.id).then_some(AT_JWT);
        let token = jose::sign(state.signer.as_ref(), typ, &claims).map_err(|_| OAuthError::internal())?;
        Ok(MintedAccessToken { token, claims })
    }

    /// Mints an ID token for `grant` at `now` (one hour, `aud` = the client).
    pub(crate) fn mint_id_token(
        &self,
        state: &ServerState,
        identity: &Identity,
        grant: &Grant,
        extras: IdTokenExtras<'_>,
        now: OffsetDateTime,
    ) -> Result<String, OAuthError> {
        let claims = self.compiled_claims(state)?;
        let jti = token_id("ID.", self.random()).map_err(|_| OAuthError::internal())?;
        let algorithm = state.signer.algorithm();
        let at_hash = extras.access_token.map(|token| jose::at_hash(algorithm, token));
        let c_hash = extras.code.map(|code| jose::c_hash(algorithm, code));
        let params = IdTokenParams {
            issuer: &state.issuer,
            jti: &jti,
            scopes: &grant.scopes,
            issued_at: now,
            auth_time: grant.auth_time,
            amr: &grant.amr,
            idp: &self.org_id,
            nonce: extras.nonce,
            at_hash: at_hash.as_deref(),
            c_hash: c_hash.as_deref(),
            claim_set: extras.claim_set,
        };
        let claims = id_token_claims(claims, self.subject(identity), &params)
            .map_err(|error| self.claim_failure(&error, &identity.client.client.client_id, now))?;
        jose::sign(state.signer.as_ref(), None, &claims).map_err(|_| OAuthError::internal())
    }

    /// The `/userinfo` claims for `grant`'s scopes.
    pub(crate) fn userinfo_claims(
        &self,
        state: &ServerState,
        identity: &Identity,
        scopes: &[String],
        now: OffsetDateTime,
    ) -> Result<serde_json::Map<String, Value>, OAuthError> {
        let claims = self.compiled_claims(state)?;
        crate::claims::userinfo_claims(claims, self.subject(identity), scopes, now)
            .map_err(|error| self.claim_failure(&error, &identity.client.client.client_id, now))
    }

    fn subject<'a>(&'a self, identity: &'a Identity) -> Subject<'a> {
        Subject {
            client: &identity.client.client,
            user: identity.user.as_ref(),
            groups: &identity.groups,
            org: &self.org,
        }
    }

    fn compiled_claims<'s>(&self, state: &'s ServerState) -> Result<&'s ClaimSet, OAuthError> {
        state.claims.as_ref().map_err(|_| OAuthError::internal())
    }

    /// A claim that could not be evaluated: recorded as an event naming the claim and the cause,
    /// answered with Okta's `server_error` (HTTP 400, reference §1.4).
    fn claim_failure(&self, error: &ClaimError, client_id: &str, now: OffsetDateTime) -> OAuthError {
        self.record(error.event(now).with_client(client_id));
        OAuthError::new(ErrorCode::ServerError, error.description()).with_status(400)
    }
}

//! Minting tokens for a grant: claims assembled from the server's compiled claims, signed by its
//! `ACTIVE` key with the header `{"kid", "alg"}` (plus `typ: at+jwt` where a server opted in).

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::AuthServer;
use super::state::ServerState;
use crate::claims::{
    AccessTokenClaims, AccessTokenParams, ClaimError, ClaimSet, IdTokenClaimSet, IdTokenParams,
    REQUESTED_USERINFO_CLAIMS, Subject, access_token_claims, add_requested_claims, id_token_claims,
};
use crate::endpoint::{Reason, ServerFailure};
use crate::grant::IssueContext;
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
    /// Loads the client and, if any, the user and their groups (for tests that mint directly).
    #[cfg(test)]
    pub(crate) async fn identity(&self, client_id: &str, user_id: Option<&str>) -> Result<Identity, Reason> {
        let directory = self.directory();
        let client = directory.client(client_id).await?.ok_or(Reason::UnknownPublicClient)?;
        let (user, groups) = match user_id {
            Some(id) => {
                let user = directory.user(id).await?.ok_or(Reason::UserUnavailable)?;
                (Some(user), directory.user_groups(id).await?)
            }
            None => (None, Vec::new()),
        };
        Ok(Identity { client, user, groups })
    }

    /// Mints an access token for `grant` under `context`: its scopes, its lifetime, its
    /// `auth_time`.
    pub(crate) fn mint_access_token(
        &self,
        state: &ServerState,
        identity: &Identity,
        grant: &Grant,
        context: &IssueContext,
    ) -> Result<MintedAccessToken, Reason> {
        let claims = compiled_claims(state)?;
        let params = AccessTokenParams {
            issuer: &state.issuer,
            audiences: &state.config.server.audiences,
            jti: &context.access_token_id,
            scopes: &grant.scopes,
            issued_at: context.now,
            lifetime: Duration::minutes(i64::from(grant.access_token_lifetime_minutes)),
            auth_time: grant.auth_time,
        };
        let mut claims = access_token_claims(claims, self.subject(identity), &params)
            .map_err(|error| self.claim_failure(error, &identity.client.client.client_id, context.now))?;
        // What the authorization request asked for beyond its scopes: the chosen `acr` (Okta:
        // "reflects the chosen value in any resulting tokens"), and the claims `/userinfo` is to
        // add, which it learns from the token alone.
        if let Some(acr) = &grant.acr {
            claims.custom.insert("acr".to_owned(), Value::String(acr.clone()));
        }
        if let Some(requested) = grant.requested_claims.as_ref().filter(|r| !r.userinfo.is_empty()) {
            claims.custom.insert(
                REQUESTED_USERINFO_CLAIMS.to_owned(),
                serde_json::json!(requested.userinfo),
            );
        }
        let typ = state.config.options.rfc9068_access_tokens.then_some(AT_JWT);
        let token = jose::sign(state.signer.as_ref(), typ, &claims).map_err(ServerFailure::Signing)?;
        Ok(MintedAccessToken { token, claims })
    }

    /// Mints an ID token for `grant` under `context` (one hour, `aud` = the client).
    pub(crate) fn mint_id_token(
        &self,
        state: &ServerState,
        identity: &Identity,
        grant: &Grant,
        extras: IdTokenExtras<'_>,
        context: &IssueContext,
    ) -> Result<String, Reason> {
        let claims = compiled_claims(state)?;
        let algorithm = state.signer.algorithm();
        let at_hash = extras.access_token.map(|token| jose::at_hash(algorithm, token));
        let c_hash = extras.code.map(|code| jose::c_hash(algorithm, code));
        let params = IdTokenParams {
            issuer: &state.issuer,
            jti: &context.id_token_id,
            scopes: &grant.scopes,
            issued_at: context.now,
            auth_time: grant.auth_time,
            amr: &grant.amr,
            idp: &self.org_id,
            nonce: extras.nonce,
            at_hash: at_hash.as_deref(),
            c_hash: c_hash.as_deref(),
            claim_set: extras.claim_set,
        };
        let mut token = id_token_claims(claims, self.subject(identity), &params)
            .map_err(|error| self.claim_failure(error, &identity.client.client.client_id, context.now))?;
        // What the authorization request asked for beyond its scopes (OpenID Connect Core §5.5,
        // §3.1.2.1), over the claims assembled above.
        if let Some(acr) = &grant.acr {
            token.claims.insert("acr".to_owned(), Value::String(acr.clone()));
        }
        if let (Some(requested), Some(user)) = (&grant.requested_claims, identity.user.as_ref()) {
            add_requested_claims(claims, user, &requested.id_token, &mut token.claims);
        }
        Ok(jose::sign(state.signer.as_ref(), None, &token).map_err(ServerFailure::Signing)?)
    }

    /// The `/userinfo` claims for `grant`'s scopes, and the individually `requested` ones the
    /// user has (OpenID Connect Core §5.5).
    pub(crate) fn userinfo_claims(
        &self,
        state: &ServerState,
        identity: &Identity,
        scopes: &[String],
        requested: &[String],
        now: OffsetDateTime,
    ) -> Result<serde_json::Map<String, Value>, Reason> {
        let claims = compiled_claims(state)?;
        let mut answer = crate::claims::userinfo_claims(claims, self.subject(identity), scopes, now)
            .map_err(|error| self.claim_failure(error, &identity.client.client.client_id, now))?;
        if let Some(user) = identity.user.as_ref() {
            add_requested_claims(claims, user, requested, &mut answer);
        }
        Ok(answer)
    }

    fn subject<'a>(&'a self, identity: &'a Identity) -> Subject<'a> {
        Subject {
            client: &identity.client.client,
            user: identity.user.as_ref(),
            groups: &identity.groups,
            org: &self.org,
        }
    }

    /// A claim that could not be evaluated: recorded as an event naming the claim and the cause,
    /// answered with Okta's `server_error` (HTTP 400, Okta's "Custom claims" errors).
    fn claim_failure(&self, error: ClaimError, client_id: &str, now: OffsetDateTime) -> Reason {
        self.record(error.unnumbered_event(now).with_client(client_id));
        Reason::ClaimFailed(Box::new(error))
    }
}

/// The server's compiled claims; a server whose claims do not compile mints nothing.
fn compiled_claims(state: &ServerState) -> Result<&ClaimSet, ServerFailure> {
    state
        .claims
        .as_ref()
        .map_err(|errors| ServerFailure::ClaimsDoNotCompile(errors.clone()))
}

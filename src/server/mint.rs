//! Minting tokens for a grant: claims assembled from the server's compiled claims, signed by its
//! `ACTIVE` key with the header `{"kid", "alg"}` (plus `typ: at+jwt` where a server opted in).
//!
//! [`mint`] is pure: claims, then signatures. Where it runs is the server's decision
//! ([`AuthServer::mint`]): a token signed by a cheap key (ES256, EdDSA) is minted inline first,
//! with a small evaluation budget ([`INLINE_STEPS`]), since a trip to the CPU pool would add 10–20 %
//! to such a signature; a token whose claims need more than that, or whose key is RSA, is minted on
//! the [`CpuPool`](crate::cpu_pool::CpuPool) with the whole [`TOKEN_EVALUATION_BUDGET`]. The
//! figures behind the choice come from `benches/cpu_pool.rs`.

use std::sync::Arc;

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::AuthServer;
use super::state::ServerState;
use crate::claims::{
    AccessTokenParams, ClaimError, ClaimSet, IdTokenClaimSet, IdTokenParams, REQUESTED_USERINFO_CLAIMS, Subject,
    TOKEN_EVALUATION_BUDGET, add_requested_claims, borrowed_access_token_claims, id_token_claims,
};
use crate::endpoint::{Reason, ServerFailure};
use crate::expr::{Budget, EvalErrorKind, JsonMap};
use crate::jose::{self, Algorithm};
use crate::model::{ClientRecord, Group, User};
use crate::store::grants::Grant;
use crate::store::{ConfigStore, Directory, GrantStore};

/// The evaluation budget of a token minted inline: enough for the claims administrators usually
/// write (tens to hundreds of steps), small enough that running out costs the executor a few
/// tens of microseconds before the token moves to the pool.
pub(crate) const INLINE_STEPS: u32 = 10_000;

/// Whether a token signed with `algorithm` is minted inline first. A trip to the CPU pool costs
/// about 3 µs of hand-over (`benches/cpu_pool.rs`): 10–20 % more work on an ES256 or EdDSA
/// signature (15–35 µs), which holds an executor thread no longer than a JWKS answer does, but
/// nothing beside an RSA one (about 500 µs), which must not hold it.
pub(crate) fn signs_inline(algorithm: Algorithm) -> bool {
    matches!(algorithm, Algorithm::ES256 | Algorithm::EdDSA)
}

/// The organization tokens speak of: the `idp` claim of ID tokens and `org.*` in expressions.
pub(crate) struct Org {
    /// Okta's org id (`00o…`).
    pub(crate) id: String,
    /// What expressions see as `org`.
    pub(crate) attributes: JsonMap,
}

/// The client, user and groups a token is about, loaded from the directory.
#[derive(Clone)]
pub(crate) struct Identity {
    /// The client.
    pub(crate) client: Arc<ClientRecord>,
    /// The user, absent for client credentials.
    pub(crate) user: Option<User>,
    /// The user's groups.
    pub(crate) groups: Vec<Group>,
}

/// An access token and its lifetime.
pub(crate) struct MintedAccessToken {
    /// The compact JWS.
    pub(crate) token: String,
    /// Its lifetime in seconds (`exp - iat`): the response's `expires_in`. Its scopes are the
    /// grant's.
    pub(crate) expires_in: i64,
}

/// What an ID token needs besides the grant.
#[derive(Clone)]
pub(crate) struct IdTokenWanted {
    /// Its `jti`.
    pub(crate) jti: String,
    /// The authorization request's `nonce`.
    pub(crate) nonce: Option<String>,
    /// The code issued with it, for `c_hash`.
    pub(crate) code: Option<String>,
    /// Fat or thin.
    pub(crate) claim_set: IdTokenClaimSet,
}

/// The tokens of a token-endpoint response: an access token, and an ID token when wanted.
pub(crate) struct ResponseTokens {
    /// The request's instant.
    pub(crate) now: OffsetDateTime,
    /// The access token's `jti`.
    pub(crate) access_token_id: String,
    /// The ID token, if one is wanted.
    pub(crate) id_token: Option<IdTokenWanted>,
}

/// The tokens the authorize endpoint delivers: either or both.
pub(crate) struct AuthorizeTokens {
    /// The request's instant.
    pub(crate) now: OffsetDateTime,
    /// The access token's `jti`, if one is wanted.
    pub(crate) access_token_id: Option<String>,
    /// The ID token, if one is wanted.
    pub(crate) id_token: Option<IdTokenWanted>,
}

/// Why minting failed.
pub(crate) enum MintFailure {
    /// A claim could not be evaluated (the server records it as such).
    Claim(ClaimError),
    /// Anything else.
    Other(Reason),
}

impl From<ServerFailure> for MintFailure {
    fn from(failure: ServerFailure) -> Self {
        Self::Other(failure.into())
    }
}

impl MintFailure {
    /// Whether the claims ran out of an inline budget of `steps`: then the token is minted again
    /// on the pool with the whole budget.
    fn ran_out_of(&self, steps: u32) -> bool {
        matches!(self, Self::Claim(error) if matches!(
            &error.cause,
            crate::claims::ClaimErrorCause::Evaluation(e) if e.kind == EvalErrorKind::BudgetExceeded(steps)
        ))
    }
}

/// What a pure minting job reads: the organization, the server, who the token is about, the
/// grant (`A`: [`Grant`], or `()` for `/userinfo`), what to mint, and the evaluation budget per
/// token.
type MintJob<A, W, T> = fn(&Org, &ServerState, &Identity, &A, &W, u32) -> Result<T, MintFailure>;

/// Mints a token-endpoint response's tokens: the access token, then the ID token (its `at_hash`
/// is of the access token), each token's claims spending one budget of `steps`. Pure.
pub(crate) fn response_tokens(
    org: &Org,
    state: &ServerState,
    identity: &Identity,
    grant: &Grant,
    wanted: &ResponseTokens,
    steps: u32,
) -> Result<(MintedAccessToken, Option<String>), MintFailure> {
    let access = access_token(org, state, identity, grant, wanted.now, &wanted.access_token_id, steps)?;
    let id_token = match &wanted.id_token {
        Some(extras) => Some(id_token(
            org,
            state,
            identity,
            grant,
            wanted.now,
            extras,
            Some(&access.token),
            steps,
        )?),
        None => None,
    };
    Ok((access, id_token))
}

/// Mints the authorize endpoint's tokens, as [`response_tokens`] does. Pure.
pub(crate) fn authorize_tokens(
    org: &Org,
    state: &ServerState,
    identity: &Identity,
    grant: &Grant,
    wanted: &AuthorizeTokens,
    steps: u32,
) -> Result<(Option<MintedAccessToken>, Option<String>), MintFailure> {
    let access = match &wanted.access_token_id {
        Some(jti) => Some(access_token(org, state, identity, grant, wanted.now, jti, steps)?),
        None => None,
    };
    let id_token = match &wanted.id_token {
        Some(extras) => {
            let at = access.as_ref().map(|minted| minted.token.as_str());
            Some(id_token(org, state, identity, grant, wanted.now, extras, at, steps)?)
        }
        None => None,
    };
    Ok((access, id_token))
}

/// The `/userinfo` claims for `scopes` (the "grant" a `/userinfo` answer is for), spending one
/// budget of `steps`. Pure.
pub(crate) fn userinfo(
    org: &Org,
    state: &ServerState,
    identity: &Identity,
    _no_grant: &(),
    scopes: &UserinfoScopes,
    steps: u32,
) -> Result<serde_json::Map<String, Value>, MintFailure> {
    let claims = compiled_claims(state)?;
    let mut answer = crate::claims::userinfo_claims(
        claims,
        subject(org, identity),
        &scopes.scopes,
        scopes.now,
        &Budget::new(steps),
    )
    .map_err(MintFailure::Claim)?;
    if let Some(user) = identity.user.as_ref() {
        add_requested_claims(claims, user, &scopes.requested, &mut answer);
    }
    Ok(answer)
}

/// The scopes of a `/userinfo` answer, at `now`.
pub(crate) struct UserinfoScopes {
    /// The access token's scopes.
    pub(crate) scopes: Vec<String>,
    /// The standard claims the authorization request's `claims` parameter asked `/userinfo` for
    /// (OpenID Connect Core §5.5), which the access token lists.
    pub(crate) requested: Vec<String>,
    /// The request's instant.
    pub(crate) now: OffsetDateTime,
}

/// An access token for `grant`, its claims spending a budget of `steps`.
fn access_token(
    org: &Org,
    state: &ServerState,
    identity: &Identity,
    grant: &Grant,
    now: OffsetDateTime,
    jti: &str,
    steps: u32,
) -> Result<MintedAccessToken, MintFailure> {
    let budget = Budget::new(steps);
    let params = AccessTokenParams {
        issuer: &state.issuer,
        audiences: &state.config.server.audiences,
        jti,
        scopes: &grant.scopes,
        issued_at: now,
        lifetime: Duration::minutes(i64::from(grant.access_token_lifetime_minutes)),
        auth_time: grant.auth_time,
        budget: &budget,
    };
    let mut claims = borrowed_access_token_claims(compiled_claims(state)?, subject(org, identity), &params)
        .map_err(MintFailure::Claim)?;
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
    let token = jose::sign_under(state.signer.as_ref(), &state.headers.access_token, &claims)
        .map_err(ServerFailure::Signing)?;
    Ok(MintedAccessToken {
        token,
        expires_in: claims.exp - claims.iat,
    })
}

/// An ID token for `grant` (one hour, `aud` = the client), issued with `access_token` if any,
/// its claims spending a budget of `steps`.
#[allow(clippy::too_many_arguments)]
fn id_token(
    org: &Org,
    state: &ServerState,
    identity: &Identity,
    grant: &Grant,
    now: OffsetDateTime,
    extras: &IdTokenWanted,
    access_token: Option<&str>,
    steps: u32,
) -> Result<String, MintFailure> {
    let algorithm = state.signer.algorithm();
    let at_hash = access_token.map(|token| jose::at_hash(algorithm, token));
    let c_hash = extras.code.as_deref().map(|code| jose::c_hash(algorithm, code));
    let budget = Budget::new(steps);
    let params = IdTokenParams {
        issuer: &state.issuer,
        jti: &extras.jti,
        scopes: &grant.scopes,
        issued_at: now,
        auth_time: grant.auth_time,
        amr: &grant.amr,
        idp: &org.id,
        nonce: extras.nonce.as_deref(),
        at_hash: at_hash.as_deref(),
        c_hash: c_hash.as_deref(),
        claim_set: extras.claim_set,
        budget: &budget,
    };
    let compiled = compiled_claims(state)?;
    let mut token = id_token_claims(compiled, subject(org, identity), &params).map_err(MintFailure::Claim)?;
    // What the authorization request asked for beyond its scopes (OpenID Connect Core §5.5,
    // §3.1.2.1), over the claims assembled above.
    if let Some(acr) = &grant.acr {
        token.claims.insert("acr".to_owned(), Value::String(acr.clone()));
    }
    if let (Some(requested), Some(user)) = (&grant.requested_claims, identity.user.as_ref()) {
        add_requested_claims(compiled, user, &requested.id_token, &mut token.claims);
    }
    Ok(jose::sign_under(state.signer.as_ref(), &state.headers.id_token, &token).map_err(ServerFailure::Signing)?)
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

    /// Runs `job` for `grant` to `identity`: inline first when `inline` (the key signs cheaply,
    /// see [`signs_inline`]) with a budget of [`INLINE_STEPS`] per token, and on the CPU pool with
    /// the whole [`TOKEN_EVALUATION_BUDGET`] when the key is RSA or the claims need more. A claim
    /// that cannot be evaluated is recorded as an event naming it; a full pool is
    /// [`Reason::Overloaded`].
    pub(crate) async fn mint<A, W, T>(
        &self,
        state: &Arc<ServerState>,
        identity: &Identity,
        grant: &A,
        (wanted, now): (W, OffsetDateTime),
        inline: bool,
        job: MintJob<A, W, T>,
    ) -> Result<T, Reason>
    where
        A: Clone + Send + 'static,
        W: Send + 'static,
        T: Send + 'static,
    {
        let failed = |failure| self.mint_failure(failure, &identity.client.client.client_id, now);
        if inline {
            match job(&self.org, state, identity, grant, &wanted, INLINE_STEPS) {
                Err(failure) if failure.ran_out_of(INLINE_STEPS) => {}
                done => return done.map_err(failed),
            }
        }
        let (org, state) = (Arc::clone(&self.org), Arc::clone(state));
        let (identity, grant) = (identity.clone(), grant.clone());
        self.cpu
            .run(move || job(&org, &state, &identity, &grant, &wanted, TOKEN_EVALUATION_BUDGET))
            .await?
            .map_err(failed)
    }

    /// An access token for `grant` under `context`'s ids (for tests that mint directly).
    #[cfg(test)]
    pub(crate) async fn mint_access_token(
        &self,
        state: &Arc<ServerState>,
        identity: &Identity,
        grant: &Grant,
        context: &crate::grant::IssueContext,
    ) -> Result<MintedAccessToken, Reason> {
        let wanted = AuthorizeTokens {
            now: context.now,
            access_token_id: Some(context.access_token_id.clone()),
            id_token: None,
        };
        let inline = signs_inline(state.signer.algorithm());
        let (access, _) = self
            .mint(state, identity, grant, (wanted, context.now), inline, authorize_tokens)
            .await?;
        Ok(access.expect("an access token was asked for"))
    }

    /// A fat ID token for `grant` under `context`'s ids (for tests that mint directly).
    #[cfg(test)]
    pub(crate) async fn mint_id_token(
        &self,
        state: &Arc<ServerState>,
        identity: &Identity,
        grant: &Grant,
        context: &crate::grant::IssueContext,
    ) -> Result<String, Reason> {
        let wanted = AuthorizeTokens {
            now: context.now,
            access_token_id: None,
            id_token: Some(IdTokenWanted {
                jti: context.id_token_id(),
                nonce: None,
                code: None,
                claim_set: IdTokenClaimSet::All,
            }),
        };
        let inline = signs_inline(state.signer.algorithm());
        let (_, id_token) = self
            .mint(state, identity, grant, (wanted, context.now), inline, authorize_tokens)
            .await?;
        Ok(id_token.expect("an ID token was asked for"))
    }

    /// A failed minting as a refusal; a claim that could not be evaluated is recorded as an
    /// event naming the claim and the cause, and answered with Okta's `server_error` (HTTP 400,
    /// Okta's "Custom claims" errors).
    fn mint_failure(&self, failure: MintFailure, client_id: &str, now: OffsetDateTime) -> Reason {
        match failure {
            MintFailure::Claim(error) => {
                self.record(error.unnumbered_event(now).with_client(client_id));
                Reason::ClaimFailed(Box::new(error))
            }
            MintFailure::Other(reason) => reason,
        }
    }
}

/// The subject of a token about `identity`.
fn subject<'a>(org: &'a Org, identity: &'a Identity) -> Subject<'a> {
    Subject {
        client: &identity.client.client,
        user: identity.user.as_ref(),
        groups: &identity.groups,
        org: &org.attributes,
    }
}

/// The server's compiled claims; a server whose claims do not compile mints nothing.
fn compiled_claims(state: &ServerState) -> Result<&ClaimSet, ServerFailure> {
    state
        .claims
        .as_ref()
        .map_err(|errors| ServerFailure::ClaimsDoNotCompile(errors.clone()))
}

//! Grant decisions: pure functions of the token request, the authenticated client, what the
//! stores returned and the instant, for the grants of the token endpoint (RFC 6749 §4.1.3
//! `authorization_code`, §4.3 `password`, §4.4 `client_credentials`, §6 `refresh_token`) and the
//! grants the authorize endpoint makes; and the [`IssueContext`] every issued token is minted
//! under.
//!
//! The endpoint methods of [`AuthServer`](crate::AuthServer) load the facts, call these, then
//! write and record; nothing here touches a store, the clock or the randomness source.

pub(crate) mod authorization_code;
pub(crate) mod refresh;

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::claims::{access_token_id, token_id_from_bits};
use crate::crypto::CryptoError;
use crate::endpoint::{EndpointRequest, Method, Params, ParamsError, Reason, Refusal};
use crate::model::{Client, ClientRecord, GrantType, OFFLINE_ACCESS, OPENID, User};
use crate::policy::{Decision, PolicyRequest, UserContext};
use crate::random::{Drawn, Randomness};
use crate::secret::{AuthorizationCode, RefreshToken};
use crate::store::ServerConfig;
use crate::store::grants::{Grant, GrantId, RefreshTokenRecord};

/// How long a grant stays revoked after a replayed code or a reused refresh token: the longest
/// access-token lifetime a rule can set (24 hours, Okta's "Authorization server rules" limit), so
/// every access token minted from it is covered.
pub(crate) const REVOCATION_HORIZON: Duration = Duration::days(1);

/// The longest `scope` accepted, in bytes (Okta: 1024).
pub(crate) const MAX_SCOPE_LEN: usize = 1024;

/// The longest `scope` accepted on a refresh request, in bytes (Okta: 4096).
pub(crate) const MAX_REFRESH_SCOPE_LEN: usize = 4096;

/// The grant types the token endpoint serves, as `unsupported_grant_type` lists them.
const SUPPORTED: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::Password,
    GrantType::ClientCredentials,
    GrantType::RefreshToken,
];

/// The instant a request is decided at, read once from the clock, and the random values its
/// tokens need, drawn once through the randomness seam before anything is minted or stored.
pub(crate) struct IssueContext {
    /// The request's instant.
    pub(crate) now: OffsetDateTime,
    /// The access token's `jti` (`AT.`, the grant's id, random bits, the nanoseconds of `now`).
    pub(crate) access_token_id: String,
    /// The random bits of the ID token's `jti`, written out by [`id_token_id`](Self::id_token_id)
    /// only where an ID token is minted.
    id_token_bits: [u8; 32],
    /// A new refresh token's random bits (drawn either way: the context is complete before
    /// anything is stored), written out only by a grant that may issue one.
    pub(crate) refresh_token: RefreshTokenBits,
    /// The authorization code, when the authorize endpoint issues one.
    pub(crate) code: Option<AuthorizationCode>,
}

/// The random bytes [`IssueContext::draw`] takes without a code: 16 for the access token id, 32
/// each for the ID token id and the refresh token.
const CONTEXT_RANDOM: usize = 80;

/// The random bytes [`IssueContext::draw`] takes with a code: 32 more.
const CONTEXT_WITH_CODE_RANDOM: usize = CONTEXT_RANDOM + 32;

/// The random bytes [`new_grant_random`] draws: the grant's id, then its tokens' context.
const NEW_GRANT_RANDOM: usize = GrantId::RANDOM_BYTES + CONTEXT_RANDOM;

/// The random bytes for a new grant's id and for the [`IssueContext`] of its first tokens (no
/// code), drawn in one call to `random`: a grant that creates its grant and mints at once
/// (`client_credentials`, `password`) pays one call to the source where it paid two. The bytes
/// come out in the order the two draws took them, so a seeded source yields the same values.
pub(crate) fn new_grant_random(random: &dyn Randomness) -> Result<Drawn<NEW_GRANT_RANDOM>, CryptoError> {
    Drawn::from(random)
}

impl IssueContext {
    /// Draws what tokens of grant `grant` need at `now`: the access token's id, the random bits
    /// of the ID token's id and of a refresh token, and an authorization code if `code`.
    pub(crate) fn draw(
        random: &dyn Randomness,
        now: OffsetDateTime,
        grant: &GrantId,
        code: bool,
    ) -> Result<Self, CryptoError> {
        // Every part in one call to the source, in the order they were once drawn one by one.
        if code {
            Self::from_drawn(&Drawn::<CONTEXT_WITH_CODE_RANDOM>::from(random)?, now, grant, code)
        } else {
            Self::from_drawn(&Drawn::<CONTEXT_RANDOM>::from(random)?, now, grant, code)
        }
    }

    fn from_drawn(
        random: &dyn Randomness,
        now: OffsetDateTime,
        grant: &GrantId,
        code: bool,
    ) -> Result<Self, CryptoError> {
        Ok(Self {
            now,
            access_token_id: access_token_id(grant, now, random)?,
            id_token_bits: random.array()?,
            refresh_token: RefreshTokenBits(random.array()?),
            code: code.then(|| AuthorizationCode::generate(random)).transpose()?,
        })
    }

    /// The ID token's `jti` (`ID.` and random bits): the same on every call.
    pub(crate) fn id_token_id(&self) -> String {
        token_id_from_bits("ID.", &self.id_token_bits)
    }
}

/// The random bits of a refresh token a grant may issue.
pub(crate) struct RefreshTokenBits([u8; 32]);

impl RefreshTokenBits {
    /// The refresh token: the same on every call.
    pub(crate) fn token(&self) -> RefreshToken {
        RefreshToken::from_random(&self.0)
    }
}

/// The token request's form: a `POST` (RFC 6749 §3.2) whose parameters are each sent once
/// (§3.1) and fit the endpoint's limit, with no client credentials in the query string (Okta).
/// A refusal of query-string credentials names the form's client.
pub(crate) fn token_form(request: &EndpointRequest<'_>) -> Result<Params, Refusal> {
    if request.method != Method::Post {
        return Err(Reason::TokenNotPost.into());
    }
    let params = Params::parse(request.form.unwrap_or_default()).map_err(|error| match error {
        ParamsError::TooLong => Reason::RequestTooLarge,
        _ => Reason::RepeatedParameter,
    })?;
    crate::client_auth::refuse_query_credentials(request.query)
        .map_err(|reason| Refusal::from(reason).client(params.get("client_id")))?;
    Ok(params)
}

/// The token request's `grant_type`: present (else `invalid_request`), one this endpoint serves
/// (else `unsupported_grant_type`, RFC 6749 §5.2) and among the client's `grant_types` (else
/// `unauthorized_client`).
pub(crate) fn grant_type(params: &Params, client: &Client) -> Result<GrantType, Reason> {
    let grant_type = params
        .get("grant_type")
        .ok_or(Reason::MissingGrantType)?
        .parse::<GrantType>()
        .ok()
        .filter(|grant_type| SUPPORTED.contains(grant_type))
        .ok_or(Reason::UnsupportedGrantType)?;
    if client.allows_grant(grant_type) {
        Ok(grant_type)
    } else {
        Err(Reason::GrantTypeNotAllowed {
            configured: client.grant_types.clone(),
        })
    }
}

/// Required parameter `name`, or `missing`.
pub(crate) fn required<'p>(params: &'p Params, name: &str, missing: Reason) -> Result<&'p str, Reason> {
    params.get(name).ok_or(missing)
}

/// Whether `token` is a list of RFC 6749 §3.3 `scope-token`s (`NQCHAR`s) separated by spaces.
pub(crate) fn scope_syntax(scope: &str) -> bool {
    scope.split(' ').all(|token| {
        token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
    })
}

/// The `scope` parameter as a list: `None` when absent. Longer than `max_len` bytes, or not
/// RFC 6749 §3.3 syntax, is `invalid_scope`.
pub(crate) fn requested_scopes(params: &Params, max_len: usize) -> Result<Option<Vec<String>>, Reason> {
    let Some(scope) = params.get("scope") else {
        return Ok(None);
    };
    if scope.len() > max_len || !scope_syntax(scope) {
        return Err(Reason::MalformedScope);
    }
    Ok(Some(
        scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    ))
}

/// The user of a grant: known and able to sign in (`invalid_grant` otherwise).
pub(crate) fn grant_user(user: Option<User>) -> Result<User, Reason> {
    user.filter(|user| user.status.can_sign_in())
        .ok_or(Reason::UserUnavailable)
}

/// A user must be assigned to the client (Okta: `access_denied`, "User is not assigned to the
/// client application.", 400).
pub(crate) fn assigned(assigned: bool) -> Result<(), Reason> {
    if assigned { Ok(()) } else { Err(Reason::UserNotAssigned) }
}

/// The password grant's user (RFC 6749 §4.3.2): the directory's answer for the credentials, if
/// the user may sign in. A wrong pair, an unknown login and an inactive user read alike.
pub(crate) fn password_user(user: Option<User>) -> Result<User, Refusal> {
    match user {
        None => Err(Reason::InvalidCredentials.into()),
        Some(user) if !user.status.can_sign_in() => Err(Refusal::from(Reason::InvalidCredentials).user(Some(&user.id))),
        Some(user) => Ok(user),
    }
}

/// Client credentials are for confidential clients only (RFC 6749 §4.4).
pub(crate) fn confidential(client: &Client) -> Result<(), Reason> {
    if client.is_public() {
        Err(Reason::PublicClientCredentials)
    } else {
        Ok(())
    }
}

/// The ids of `groups`, for a policy request.
pub(crate) fn group_ids(groups: &[crate::model::Group]) -> Vec<String> {
    groups.iter().map(|group| group.id.clone()).collect()
}

/// The policy request of `client_id` (and `user`, in groups `group_ids`) for `grant_type` and
/// `requested` scopes, against server `config`.
pub(crate) fn policy_request<'a>(
    config: &'a ServerConfig,
    client_id: &'a str,
    user: Option<(&'a User, &'a [String])>,
    grant_type: GrantType,
    requested: Option<&'a [String]>,
) -> PolicyRequest<'a> {
    PolicyRequest {
        policies: &config.policies,
        scopes: &config.scopes,
        client_id,
        user: user.map(|(user, group_ids)| UserContext {
            id: &user.id,
            group_ids,
        }),
        grant_type,
        requested_scopes: requested,
    }
}

/// Everything of a new [`Grant`] that the policy decision does not say.
pub(crate) struct NewGrant<'a> {
    /// Its id.
    pub(crate) id: GrantId,
    /// The issuing server.
    pub(crate) server_id: &'a str,
    /// The client.
    pub(crate) client_id: &'a str,
    /// The user, if any.
    pub(crate) user_id: Option<&'a str>,
    /// How it was obtained.
    pub(crate) grant_type: GrantType,
    /// When the user authenticated.
    pub(crate) auth_time: Option<OffsetDateTime>,
    /// How the user authenticated.
    pub(crate) amr: Vec<String>,
    /// Now.
    pub(crate) now: OffsetDateTime,
}

/// A grant made now from a policy decision: its scopes, policy, rule and lifetimes.
pub(crate) fn grant_from_decision(new: NewGrant<'_>, decision: &Decision<'_>) -> Grant {
    Grant {
        id: new.id,
        authorization_server_id: new.server_id.to_owned(),
        client_id: new.client_id.to_owned(),
        user_id: new.user_id.map(str::to_owned),
        scopes: decision.scopes.iter().map(|s| (*s).to_owned()).collect(),
        grant_type: new.grant_type.as_str().to_owned(),
        policy_id: decision.policy_id.to_owned(),
        rule_id: decision.rule_id.to_owned(),
        access_token_lifetime_minutes: decision.access_token_lifetime_minutes,
        refresh_token_lifetime_minutes: decision.refresh_token_lifetime_minutes,
        refresh_token_window_minutes: decision.refresh_token_window_minutes,
        auth_time: new.auth_time,
        amr: new.amr,
        acr: None,
        requested_claims: None,
        issued_at: new.now,
    }
}

/// Whether a refresh token goes with `grant`: `offline_access` granted and the client allowed
/// to refresh (Okta's "Refresh access tokens" guide).
pub(crate) fn wants_refresh_token(client: &ClientRecord, grant: &Grant) -> bool {
    has_scope(grant, OFFLINE_ACCESS) && client.client.allows_grant(GrantType::RefreshToken)
}

/// Whether an ID token goes with `grant`: `openid` granted to a user (OpenID Connect Core §3.1.3.3).
pub(crate) fn wants_id_token(grant: &Grant) -> bool {
    grant.user_id.is_some() && has_scope(grant, OPENID)
}

fn has_scope(grant: &Grant, scope: &str) -> bool {
    grant.scopes.iter().any(|s| s == scope)
}

/// The first record of a refresh-token family for `grant`: stored as its hash, living for the
/// grant's refresh lifetime from `now`.
pub(crate) fn first_refresh_token(token: &RefreshToken, grant: &Grant, now: OffsetDateTime) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: token.hash(),
        grant: grant.clone(),
        issued_at: now,
        expires_at: grant
            .refresh_token_lifetime_minutes
            .map(|minutes| now.saturating_add(Duration::minutes(i64::from(minutes)))),
        last_used_at: now,
    }
}

/// The token response body (RFC 6749 §5.1; Okta's "Response properties"): `token_type`,
/// `expires_in`, `access_token`, `scope`, then `refresh_token` and `id_token` when issued. The
/// tokens move into the body: a JWS is hundreds of bytes, and each was copied once more here.
pub(crate) fn token_body(
    access_token: String,
    expires_in: i64,
    scopes: &[String],
    refresh_token: Option<&str>,
    id_token: Option<String>,
) -> Map<String, Value> {
    // Values built directly: `json!` serializes its argument into a copy.
    let mut body = Map::new();
    body.insert("token_type".to_owned(), Value::from("Bearer"));
    body.insert("expires_in".to_owned(), Value::from(expires_in));
    body.insert("access_token".to_owned(), Value::String(access_token));
    body.insert("scope".to_owned(), Value::String(scopes.join(" ")));
    if let Some(refresh_token) = refresh_token {
        body.insert("refresh_token".to_owned(), Value::from(refresh_token));
    }
    if let Some(id_token) = id_token {
        body.insert("id_token".to_owned(), Value::String(id_token));
    }
    body
}

#[cfg(test)]
pub(crate) mod tests;

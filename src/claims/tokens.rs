//! Assembling the claims of access tokens, ID tokens and `/userinfo` responses.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::compile::{ClaimSet, ClaimValue, CompiledClaim};
use super::error::{ClaimError, ClaimErrorCause};
use super::group_filter::MAX_GROUPS_IN_CLAIM;
use super::reserved::is_reserved;
use super::standard::{ALWAYS_INCLUDED_BY_DEFAULT, add_standard_claims};
use super::subject::{Bindings, Subject};
use crate::expr::{Budget, Context, EvalErrorKind};
use crate::model::ClaimType;

/// The evaluation budget of one token (or `/userinfo` answer): every expression it evaluates, `sub`
/// and custom claims alike, spends from the same [`Budget`] of this many steps, so many claims
/// cannot add up to more work than one. Running out fails the claim being evaluated, as any
/// evaluation error does (`user_claim_evaluation_failure`).
pub const TOKEN_EVALUATION_BUDGET: u32 = crate::expr::MAX_EVAL_STEPS;

/// ID tokens live one hour on custom authorization servers; it is not configurable (Okta's
/// "Troubleshooting for API Access Management" and OpenID Connect & OAuth 2.0 API reference).
pub const ID_TOKEN_LIFETIME: Duration = Duration::hours(1);

/// The `aud` claim: a string for one audience (as Okta writes it), an array for several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl Audience {
    /// The audience claim for a server's `audiences`.
    pub fn of(audiences: &[String]) -> Audience {
        match audiences {
            [one] => Audience::One(one.clone()),
            many => Audience::Many(many.to_vec()),
        }
    }

    /// Whether `value` is one of the audiences.
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(one) => one == value,
            Audience::Many(many) => many.iter().any(|a| a == value),
        }
    }
}

/// The claims of an access token, in the order of Okta's documented examples (OpenID Connect &
/// OAuth 2.0 API reference), custom claims last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Always 1.
    pub ver: u8,
    /// `AT.` and a random ID.
    pub jti: String,
    /// The issuer.
    pub iss: String,
    /// The server's audience.
    pub aud: Audience,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// The client ID.
    pub cid: String,
    /// The user ID; absent without a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// The granted scopes.
    pub scp: Vec<String>,
    /// When the user authenticated, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The subject: the `sub` claim's value.
    pub sub: String,
    /// Custom `RESOURCE` claims.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

/// What an access token needs besides the subject.
#[derive(Debug, Clone, Copy)]
pub struct AccessTokenParams<'a> {
    /// The server's issuer.
    pub issuer: &'a str,
    /// The server's audiences.
    pub audiences: &'a [String],
    /// The token ID (see [`token_id`](super::token_id)).
    pub jti: &'a str,
    /// The granted scopes.
    pub scopes: &'a [String],
    /// When the token is issued.
    pub issued_at: OffsetDateTime,
    /// How long it lives (the rule's access-token lifetime).
    pub lifetime: Duration,
    /// When the user authenticated, if there is a user.
    pub auth_time: Option<OffsetDateTime>,
    /// What the token's expressions may spend, together (see [`TOKEN_EVALUATION_BUDGET`]).
    pub budget: &'a Budget,
}

/// Builds an access token's claims: the system claims, `sub` from the server's `sub` expression,
/// and every active `RESOURCE` claim whose scope condition the granted scopes meet (claims that
/// evaluate to `null` are left out).
///
/// # Errors
/// [`ClaimError`] when a claim cannot be evaluated: the token must not be minted.
pub fn access_token_claims(
    set: &ClaimSet,
    subject: Subject<'_>,
    params: &AccessTokenParams<'_>,
) -> Result<AccessTokenClaims, ClaimError> {
    borrowed_access_token_claims(set, subject, params).map(BorrowedAccessTokenClaims::into_owned)
}

/// [`access_token_claims`] as minting serializes them, borrowing every text it can from the
/// request's facts rather than copying it.
pub(crate) fn borrowed_access_token_claims<'a>(
    set: &ClaimSet,
    subject: Subject<'a>,
    params: &AccessTokenParams<'a>,
) -> Result<BorrowedAccessTokenClaims<'a>, ClaimError> {
    // Okta's default `sub` is read directly (spending none of the budget, where the interpreter
    // spent a few steps), and the expression context is built only for what evaluates.
    let mut evaluated_sub = None;
    let mut custom = Map::new();
    if !set.default_sub || set.evaluates(ClaimType::Resource, params.scopes) {
        let bindings = Bindings::new(subject);
        let ctx = bindings.context(params.scopes, params.issued_at);
        if !set.default_sub {
            evaluated_sub = match set.sub.evaluate_within(&ctx, params.budget) {
                Ok(Value::String(sub)) => Some(sub),
                Ok(_) => return Err(ClaimError::system("sub", ClaimErrorCause::NotText)),
                Err(error) => return Err(ClaimError::system("sub", ClaimErrorCause::Evaluation(error))),
            };
        }
        add_custom_claims(
            set,
            &bindings,
            &ctx,
            params.budget,
            ClaimType::Resource,
            |_| true,
            &mut custom,
        )?;
    }
    let sub = evaluated_sub.map_or_else(|| Cow::Borrowed(default_sub_of(subject)), Cow::Owned);
    let iat = params.issued_at.unix_timestamp();
    Ok(BorrowedAccessTokenClaims {
        ver: 1,
        jti: params.jti,
        iss: params.issuer,
        aud: BorrowedAudience(params.audiences),
        iat,
        exp: iat + params.lifetime.whole_seconds(),
        cid: &subject.client.client_id,
        uid: subject.user.map(|user| user.id.as_str()),
        scp: params.scopes,
        auth_time: params.auth_time.map(OffsetDateTime::unix_timestamp),
        sub,
        custom,
    })
}

/// What Okta's default `sub`, [`DEFAULT_SUB_EXPRESSION`](super::DEFAULT_SUB_EXPRESSION),
/// evaluates to, read without the interpreter: the user's login (the app user's `userName`, see
/// [`Bindings::new`]), or the client's id when there is no user.
fn default_sub_of<'a>(subject: Subject<'a>) -> &'a str {
    match subject.user {
        Some(user) => &user.profile.login,
        None => &subject.client.client_id,
    }
}

/// [`AccessTokenClaims`] with the texts borrowed: the same fields, serialized the same way.
#[derive(Debug, Serialize)]
pub(crate) struct BorrowedAccessTokenClaims<'a> {
    pub(crate) ver: u8,
    pub(crate) jti: &'a str,
    pub(crate) iss: &'a str,
    pub(crate) aud: BorrowedAudience<'a>,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) cid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) uid: Option<&'a str>,
    pub(crate) scp: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) auth_time: Option<i64>,
    pub(crate) sub: Cow<'a, str>,
    #[serde(flatten)]
    pub(crate) custom: Map<String, Value>,
}

impl BorrowedAccessTokenClaims<'_> {
    /// The claims with every text owned.
    pub(crate) fn into_owned(self) -> AccessTokenClaims {
        AccessTokenClaims {
            ver: self.ver,
            jti: self.jti.to_owned(),
            iss: self.iss.to_owned(),
            aud: Audience::of(self.aud.0),
            iat: self.iat,
            exp: self.exp,
            cid: self.cid.to_owned(),
            uid: self.uid.map(str::to_owned),
            scp: self.scp.to_vec(),
            auth_time: self.auth_time,
            sub: self.sub.into_owned(),
            custom: self.custom,
        }
    }
}

/// A server's audiences as the `aud` claim writes them ([`Audience`]): one as a string, several as
/// an array.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BorrowedAudience<'a>(&'a [String]);

impl Serialize for BorrowedAudience<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            [one] => serializer.serialize_str(one),
            many => many.serialize(serializer),
        }
    }
}

/// Which scope-dependent claims an ID token carries ("fat" and "thin" ID tokens, as Okta's
/// OpenID Connect & OAuth 2.0 API reference describes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenClaimSet {
    /// Every claim of the granted scopes: the ID token is issued without an access token
    /// (`response_type=id_token` or `code id_token` at the authorize endpoint).
    All,
    /// Only claims with `alwaysIncludeInToken`: an access token is issued too, or the ID token
    /// comes from the token endpoint; the rest is available from `/userinfo`.
    AlwaysIncluded,
}

/// The claims of an ID token (OpenID Connect Core 1.0 §2 and Okta's OpenID Connect & OAuth 2.0
/// API reference), scope and custom claims last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// The user ID.
    pub sub: String,
    /// Always 1.
    pub ver: u8,
    /// The issuer.
    pub iss: String,
    /// The client ID.
    pub aud: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds: one hour after `iat`.
    pub exp: i64,
    /// `ID.` and a random ID.
    pub jti: String,
    /// Authentication methods (RFC 8176), e.g. `["pwd"]`.
    pub amr: Vec<String>,
    /// The identity provider: the org's ID for Okta-authenticated users.
    pub idp: String,
    /// When the user authenticated, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The `nonce` of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Hash of the access token issued with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Hash of the authorization code issued with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_hash: Option<String>,
    /// Standard claims of the granted scopes and custom `IDENTITY` claims.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

/// What an ID token needs besides the subject.
#[derive(Debug, Clone, Copy)]
pub struct IdTokenParams<'a> {
    /// The server's issuer.
    pub issuer: &'a str,
    /// The token ID (see [`token_id`](super::token_id)).
    pub jti: &'a str,
    /// The granted scopes.
    pub scopes: &'a [String],
    /// When the token is issued.
    pub issued_at: OffsetDateTime,
    /// When the user authenticated.
    pub auth_time: Option<OffsetDateTime>,
    /// Authentication methods.
    pub amr: &'a [String],
    /// The identity provider's ID.
    pub idp: &'a str,
    /// The authorization request's `nonce`.
    pub nonce: Option<&'a str>,
    /// `at_hash`, when an access token is issued with the ID token.
    pub at_hash: Option<&'a str>,
    /// `c_hash`, when a code is issued with the ID token.
    pub c_hash: Option<&'a str>,
    /// Fat or thin.
    pub claim_set: IdTokenClaimSet,
    /// What the token's expressions may spend, together (see [`TOKEN_EVALUATION_BUDGET`]).
    pub budget: &'a Budget,
}

/// Builds an ID token's claims: base claims, the standard claims of the granted scopes and the
/// active `IDENTITY` claims whose scope condition is met, filtered by `alwaysIncludeInToken` for
/// thin tokens.
///
/// # Errors
/// [`ClaimError`] when a claim cannot be evaluated, or [`ClaimErrorCause::MissingUser`] when the
/// subject has no user (ID tokens are about a user).
pub fn id_token_claims(
    set: &ClaimSet,
    subject: Subject<'_>,
    params: &IdTokenParams<'_>,
) -> Result<IdTokenClaims, ClaimError> {
    let user = subject
        .user
        .ok_or_else(|| ClaimError::system("sub", ClaimErrorCause::MissingUser))?;
    let everything = params.claim_set == IdTokenClaimSet::All;
    let mut claims = Map::new();
    add_standard_claims(
        user,
        params.scopes,
        |name| match set.system_claim(name) {
            Some(system) => system.active && (everything || system.always_include),
            None => everything || ALWAYS_INCLUDED_BY_DEFAULT.contains(&name),
        },
        &mut claims,
    );
    let bindings = Bindings::new(subject);
    let ctx = bindings.context(params.scopes, params.issued_at);
    add_custom_claims(
        set,
        &bindings,
        &ctx,
        params.budget,
        ClaimType::Identity,
        |c| everything || c.always_include,
        &mut claims,
    )?;
    let iat = params.issued_at.unix_timestamp();
    Ok(IdTokenClaims {
        sub: user.id.clone(),
        ver: 1,
        iss: params.issuer.to_owned(),
        aud: subject.client.client_id.clone(),
        iat,
        exp: iat + ID_TOKEN_LIFETIME.whole_seconds(),
        jti: params.jti.to_owned(),
        amr: params.amr.to_vec(),
        idp: params.idp.to_owned(),
        auth_time: params.auth_time.map(OffsetDateTime::unix_timestamp),
        nonce: params.nonce.map(str::to_owned),
        at_hash: params.at_hash.map(str::to_owned),
        c_hash: params.c_hash.map(str::to_owned),
        claims,
    })
}

/// The `/userinfo` response: `sub` (the user ID), every standard claim of the granted scopes and
/// every active `IDENTITY` claim whose scope condition is met, whatever `alwaysIncludeInToken`
/// says (OpenID Connect Core 1.0 §5.3; Okta's OpenID Connect & OAuth 2.0 API reference).
///
/// The claims' expressions spend `budget` together (see [`TOKEN_EVALUATION_BUDGET`]).
///
/// # Errors
/// As [`id_token_claims`].
pub fn userinfo_claims(
    set: &ClaimSet,
    subject: Subject<'_>,
    scopes: &[String],
    now: OffsetDateTime,
    budget: &Budget,
) -> Result<Map<String, Value>, ClaimError> {
    let user = subject
        .user
        .ok_or_else(|| ClaimError::system("sub", ClaimErrorCause::MissingUser))?;
    let mut claims = Map::new();
    claims.insert("sub".to_owned(), Value::String(user.id.clone()));
    add_standard_claims(
        user,
        scopes,
        |name| set.system_claim(name).is_none_or(|c| c.active),
        &mut claims,
    );
    let bindings = Bindings::new(subject);
    let ctx = bindings.context(scopes, now);
    add_custom_claims(set, &bindings, &ctx, budget, ClaimType::Identity, |_| true, &mut claims)?;
    Ok(claims)
}

/// Evaluates the non-system claims of `claim_type` that apply and that `wanted` admits into `out`.
fn add_custom_claims(
    set: &ClaimSet,
    bindings: &Bindings<'_>,
    ctx: &Context<'_>,
    budget: &Budget,
    claim_type: ClaimType,
    wanted: impl Fn(&CompiledClaim) -> bool,
    out: &mut Map<String, Value>,
) -> Result<(), ClaimError> {
    let applicable = set
        .applicable(claim_type, ctx.scopes)
        .filter(|c| wanted(c))
        // Defence in depth: a reserved name can never override what the server sets.
        .filter(|c| c.system || !is_reserved(&c.name, claim_type));
    for claim in applicable {
        let value = match &claim.value {
            ClaimValue::System => continue,
            ClaimValue::Expression(expression) => match expression.evaluate_within(ctx, budget) {
                Ok(value) => value,
                Err(error) => {
                    let cause = match error.kind {
                        EvalErrorKind::TooManyGroups { found, .. } => ClaimErrorCause::TooManyGroups { found },
                        _ => ClaimErrorCause::Evaluation(error),
                    };
                    return Err(ClaimError::new(claim, cause));
                }
            },
            ClaimValue::Groups(filter) => {
                let names: Vec<Value> = bindings
                    .groups()
                    .iter()
                    .filter(|group| filter.matches(group.name))
                    .map(|group| Value::String(group.name.to_owned()))
                    .collect();
                if names.len() > MAX_GROUPS_IN_CLAIM {
                    return Err(ClaimError::new(
                        claim,
                        ClaimErrorCause::TooManyGroups { found: names.len() },
                    ));
                }
                Value::Array(names)
            }
        };
        // A claim whose expression yields null is left out of the token (Okta's 2017 "OAuth 2.0
        // and Okta" page, "Custom claim configuration"; current docs are silent).
        if !value.is_null() {
            out.insert(claim.name.clone(), value);
        }
    }
    Ok(())
}

//! Whether a token this server issued is still good, and what revoking one does: the decisions
//! behind `/introspect` (RFC 7662), `/revoke` (RFC 7009), `/userinfo` (OpenID Connect Core §5.3)
//! and the refresh grant's implicit-revocation check, as pure functions of the token, what the
//! stores returned and the instant.
//!
//! An access token is valid when its signature verifies against the server's published keys,
//! `iss` is the server's issuer, it has not expired, its `iat` is not in the future (beyond
//! [`MAX_CLOCK_SKEW`]), its `jti` and its grant are not revoked, and it is not **implicitly
//! revoked** (Okta's "Revoke tokens": "Revocation happens when a configuration is changed or
//! deleted"): the server's configuration changed after it was minted (`changed_at`), its client is
//! unknown, not `ACTIVE` or changed after it was minted (its record's `lastUpdated`), or its user
//! is unknown, not `ACTIVE`, had its status changed after it was minted (`statusChanged`), or is
//! no longer assigned to the client. A deactivated client's tokens stay invalid after
//! reactivation because changing a client's status moves its `lastUpdated`, as the client API
//! does; a [`Directory`](crate::store::Directory) written by other means must do the same.
//! Likewise a user's tokens stay revoked after a deactivation is undone when the directory
//! stamps the user's `statusChanged`.
//!
//! "After it was minted" compares exact instants, not the whole seconds of `iat`: a token minted
//! before a change is revoked by it and one minted after it is not, however close together. An
//! access token's instant is its `iat` plus the nanoseconds its `jti` carries
//! ([`access_token_issued_at`](crate::claims::access_token_issued_at); `iat` stays an integer, as
//! Okta writes it); a refresh token's is the `issued_at` its stored record keeps. Configuration
//! change instants are stored to the nanosecond. A token minted at the very instant of a change
//! survives it. Client `lastUpdated` and user `statusChanged` come from the directory, which
//! may keep them to the millisecond only (Okta's format): a change within the same millisecond
//! as a mint is then decided as if it came first. An access token whose `jti` predates the
//! nanoseconds counts as minted at the end of its `iat` second.
//!
//! A refresh token is valid when its hash is stored, it was not rotated away, its family is not
//! revoked, it belongs to this server, neither its lifetime nor its idle window has run out,
//! and the same implicit revocation rules hold for the moment it was issued.

use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::claims::{AccessTokenClaims, access_token_issued_at, grant_of_access_token_id};
use crate::endpoint::{EndpointRequest, Method, Params, ParamsError, Reason, TokenInvalid};
use crate::jose::VerificationKeys;
use crate::keys::{KeyRing, RotationSettings};
use crate::model::{Client, ClientRecord, OPENID, User};
use crate::store::grants::{GrantId, RefreshTokenRecord, RefreshTokenState};

/// How far in the future a token's `iat` may lie: the clock-skew leeway of Okta's verifiers.
/// Tokens are minted by this server's own clock, so only a host running several instances with
/// drifting clocks ever needs it.
pub(crate) const MAX_CLOCK_SKEW: Duration = Duration::minutes(2);

/// The two kinds of token introspection and revocation recognise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A JWT access token.
    Access,
    /// An opaque refresh token.
    Refresh,
}

impl TokenKind {
    /// The order to try the kinds in: the hinted kind first (RFC 7662 §2.1, RFC 7009 §2.1: the
    /// hint only speeds up the search).
    pub(crate) fn order(hint: Option<&str>) -> [TokenKind; 2] {
        if hint == Some("refresh_token") {
            [TokenKind::Refresh, TokenKind::Access]
        } else {
            [TokenKind::Access, TokenKind::Refresh]
        }
    }

    /// The kind `token` looks like: JWS have dots, refresh tokens do not.
    pub(crate) fn of(token: &str) -> TokenKind {
        if token.contains('.') {
            TokenKind::Access
        } else {
            TokenKind::Refresh
        }
    }

    /// The refusal saying a token of this kind is not valid.
    pub(crate) fn invalid(self, invalid: TokenInvalid) -> Reason {
        match self {
            TokenKind::Access => Reason::AccessTokenInvalid(invalid),
            TokenKind::Refresh => Reason::RefreshTokenInvalid(invalid),
        }
    }
}

/// The form of a `POST` to `/introspect` or `/revoke` (RFC 7662 §2.1, RFC 7009 §2.1), each
/// parameter sent once. A `client_id` in the query string joins the form (Okta's public clients
/// send it there); other client credentials in the query string are refused.
pub(crate) fn token_operation_form(request: &EndpointRequest<'_>) -> Result<Params, Reason> {
    if request.method != Method::Post {
        return Err(Reason::MethodNotAllowed);
    }
    crate::client_auth::refuse_query_credentials(request.query)?;
    let unreadable = |error| match error {
        ParamsError::Repeated(_) => Reason::RepeatedParameter,
        _ => Reason::UnreadableParameters,
    };
    let query = Params::parse(request.query).map_err(unreadable)?;
    let mut form = request.form.unwrap_or_default().to_owned();
    if let Some(client_id) = query.get("client_id") {
        if !form.is_empty() {
            form.push('&');
        }
        form.push_str("client_id=");
        form.extend(url::form_urlencoded::byte_serialize(client_id.as_bytes()));
    }
    Params::parse(&form).map_err(unreadable)
}

/// The `token` to introspect or revoke.
pub(crate) fn token_param(params: &Params) -> Result<&str, Reason> {
    params.get("token").ok_or(Reason::MissingToken)
}

/// The access token of a `/userinfo` request: in `Authorization: Bearer` (RFC 6750 §2.1, the
/// way Okta documents) or, in a `POST`, as the form's `access_token` (§2.2), but not both (§2:
/// one method per request, else `invalid_request`); never in the query string (§2.3, which
/// Okta refuses). `None` when there is none (§3.1: the challenge then carries no error code).
pub(crate) fn userinfo_access_token(request: &EndpointRequest<'_>) -> Result<Option<String>, Reason> {
    if !matches!(request.method, Method::Get | Method::Post) {
        return Err(Reason::MethodNotAllowed);
    }
    let in_query = Params::parse(request.query).map_or_else(
        |_| request.query.contains("access_token"),
        |params| params.contains("access_token"),
    );
    if in_query {
        return Err(Reason::AccessTokenInQuery);
    }
    let bearer = request.authorization.and_then(|header| {
        let (scheme, token) = header.trim().split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    });
    let in_form = match (request.method, request.form) {
        (Method::Post, Some(form)) => Params::parse(form)
            .map_err(|_| Reason::RepeatedParameter)?
            .get("access_token")
            .map(str::to_owned),
        _ => None,
    };
    match (bearer, in_form) {
        (Some(_), Some(_)) => Err(Reason::AccessTokenTwice),
        (Some(token), None) => Ok(Some(token.to_owned())),
        (None, in_form) => Ok(in_form),
    }
}

/// What a server checks its own tokens against.
#[derive(Clone, Copy)]
pub(crate) struct TokenIssuer<'a> {
    /// `{base}/oauth2/{id}`.
    pub(crate) issuer: &'a str,
    /// The server's id.
    pub(crate) server_id: &'a str,
    /// Every key of the server's ring, made ready to verify.
    pub(crate) keys: &'a VerificationKeys,
    /// The ring, which says whether a key is still published.
    pub(crate) ring: &'a KeyRing,
    /// The rotation settings the ring is published under.
    pub(crate) rotation: &'a RotationSettings,
    /// When the server's configuration last changed.
    pub(crate) changed_at: OffsetDateTime,
}

/// [`verify_signed_access_token`]'s claims alone (for tests; the server remembers the tokens it
/// verified and checks them again with [`still_published`]).
#[cfg(test)]
pub(crate) fn verify_access_token(
    issuer: &TokenIssuer<'_>,
    token: &str,
    now: OffsetDateTime,
) -> Result<AccessTokenClaims, TokenInvalid> {
    verify_signed_access_token(issuer, token, now).map(|verified| verified.claims)
}

/// An access token whose signature and form [`verify_signed_access_token`] accepted.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VerifiedAccessToken {
    /// The `kid` of the key that signed it.
    pub(crate) kid: String,
    /// Its claims.
    pub(crate) claims: AccessTokenClaims,
}

/// The claims of `token` if `issuer` signed it as an access token, with the `kid` of the key
/// that signed it: the signature against a key published at `now` (the algorithm comes from the
/// key, RFC 8725 §3.1), `iss`, and a `jti` of the form
/// [`access_token_id`](crate::claims::access_token_id) makes. Nothing about time or revocation
/// is checked (revocation needs no more).
pub(crate) fn verify_signed_access_token(
    issuer: &TokenIssuer<'_>,
    token: &str,
    now: OffsetDateTime,
) -> Result<VerifiedAccessToken, TokenInvalid> {
    let verified = issuer.keys.verify(token).map_err(|_| TokenInvalid::Malformed)?;
    let kid = verified.header.kid.as_deref().unwrap_or_default();
    key_published(issuer, kid, now)?;
    let claims: AccessTokenClaims = verified.claims().map_err(|_| TokenInvalid::Malformed)?;
    if claims.iss != issuer.issuer {
        return Err(TokenInvalid::WrongIssuer);
    }
    if claims.ver != 1 || grant_of_access_token_id(&claims.jti).is_none() {
        return Err(TokenInvalid::Malformed);
    }
    Ok(VerifiedAccessToken {
        kid: kid.to_owned(),
        claims,
    })
}

/// [`verify_signed_access_token`]'s answer at `now` for a token `issuer` verified before, with
/// the same keys: the signature, `iss` and `jti` cannot have changed, only whether the key that
/// signed it is still published.
pub(crate) fn still_published(
    issuer: &TokenIssuer<'_>,
    verified: &VerifiedAccessToken,
    now: OffsetDateTime,
) -> Result<(), TokenInvalid> {
    key_published(issuer, &verified.kid, now)
}

/// Whether the key `kid` of `issuer` still verifies tokens at `now`: a token signed by a key
/// no longer published is refused as if it were malformed.
fn key_published(issuer: &TokenIssuer<'_>, kid: &str, now: OffsetDateTime) -> Result<(), TokenInvalid> {
    if issuer.ring.is_published(kid, issuer.rotation, now) {
        Ok(())
    } else {
        Err(TokenInvalid::Malformed)
    }
}

/// An access token's times at `now` (RFC 7519 §4.1.4 `exp`, §4.1.6 `iat` with
/// [`MAX_CLOCK_SKEW`]) and the configuration change since it was minted. Returns its grant, whose
/// revocation is checked next.
pub(crate) fn check_access_token(
    issuer: &TokenIssuer<'_>,
    claims: &AccessTokenClaims,
    now: OffsetDateTime,
) -> Result<GrantId, TokenInvalid> {
    if claims.exp <= now.unix_timestamp() {
        return Err(TokenInvalid::Expired);
    }
    if claims.iat > now.saturating_add(MAX_CLOCK_SKEW).unix_timestamp() {
        return Err(TokenInvalid::IssuedInFuture);
    }
    issued_after_change(issuer, access_token_minted_at(claims)?)?;
    grant_of_access_token_id(&claims.jti).ok_or(TokenInvalid::Malformed)
}

/// The exact instant an access token was minted (`iat` and its `jti`'s nanoseconds).
pub(crate) fn access_token_minted_at(claims: &AccessTokenClaims) -> Result<OffsetDateTime, TokenInvalid> {
    access_token_issued_at(&claims.jti, claims.iat).ok_or(TokenInvalid::Malformed)
}

/// A revoked `jti` ([`TokenInvalid::Revoked`]) or grant ([`TokenInvalid::GrantRevoked`]), as the
/// grant store answered.
pub(crate) fn not_revoked(revoked: bool, reason: TokenInvalid) -> Result<(), TokenInvalid> {
    if revoked { Err(reason) } else { Ok(()) }
}

/// A token minted at `minted_at` before the server's configuration changed is implicitly
/// revoked.
pub(crate) fn issued_after_change(issuer: &TokenIssuer<'_>, minted_at: OffsetDateTime) -> Result<(), TokenInvalid> {
    if minted_at < issuer.changed_at {
        Err(TokenInvalid::ConfigurationChanged)
    } else {
        Ok(())
    }
}

/// Whether a change stamped `changed` happened after a token minted at `minted_at`.
fn changed_since(changed: Option<OffsetDateTime>, minted_at: OffsetDateTime) -> bool {
    changed.is_some_and(|changed| minted_at < changed)
}

/// The token's client as the directory has it now: known, `ACTIVE`, and unchanged since
/// `issued_at`.
pub(crate) fn check_client(
    client: Option<Arc<ClientRecord>>,
    issued_at: OffsetDateTime,
) -> Result<Arc<ClientRecord>, TokenInvalid> {
    match client.filter(|client| client.client.status.is_active()) {
        None => Err(TokenInvalid::ClientInactive),
        Some(client) if changed_since(client.last_updated, issued_at) => Err(TokenInvalid::ClientChanged),
        Some(client) => Ok(client),
    }
}

/// The token's user as the directory has them now: known, able to sign in, and without a status
/// change since `issued_at` (a deactivation since undone revoked the token).
pub(crate) fn check_user(user: Option<User>, issued_at: OffsetDateTime) -> Result<User, TokenInvalid> {
    user.filter(|user| user.status.can_sign_in() && !changed_since(user.status_changed, issued_at))
        .ok_or(TokenInvalid::UserInactive)
}

/// The user must still be assigned to the client.
pub(crate) fn check_assignment(assigned: bool) -> Result<(), TokenInvalid> {
    if assigned {
        Ok(())
    } else {
        Err(TokenInvalid::UserUnassigned)
    }
}

/// When a refresh token stops working if unused: the earlier of its family's absolute expiry
/// and the end of its idle window.
pub(crate) fn refresh_token_expiry(record: &RefreshTokenRecord) -> OffsetDateTime {
    let window = Duration::minutes(i64::from(record.grant.refresh_token_window_minutes));
    let idle_end = record.last_used_at.saturating_add(window);
    record
        .expires_at
        .map_or(idle_end, |expires_at| expires_at.min(idle_end))
}

/// A refresh token's stored state at `now`, before implicit revocation: known, family not
/// revoked, not rotated away, of this server, within its lifetime and idle window.
pub(crate) fn check_refresh_token(
    issuer: &TokenIssuer<'_>,
    found: Option<RefreshTokenState>,
    now: OffsetDateTime,
) -> Result<RefreshTokenRecord, TokenInvalid> {
    let found = found.ok_or(TokenInvalid::Unknown)?;
    if found.family_revoked {
        return Err(TokenInvalid::GrantRevoked);
    }
    if found.consumed.is_some() {
        return Err(TokenInvalid::Consumed);
    }
    let record = found.record;
    if record.grant.authorization_server_id != issuer.server_id {
        return Err(TokenInvalid::OtherServer);
    }
    if refresh_token_expiry(&record) <= now {
        return Err(TokenInvalid::Expired);
    }
    Ok(record)
}

/// Why a token introspected inactive, for the event: the verdict on the kind the token looks
/// like (a JWS or an opaque string), else [`TokenInvalid::Malformed`].
pub(crate) fn inactive_reason(token: &str, verdicts: &[(TokenKind, TokenInvalid)]) -> TokenInvalid {
    let shape = TokenKind::of(token);
    verdicts
        .iter()
        .find(|(kind, _)| *kind == shape)
        .map_or(TokenInvalid::Malformed, |(_, invalid)| *invalid)
}

/// A public client may introspect only its own tokens (RFC 7662 §2.1 leaves it to the server).
pub(crate) fn visible_to(client: &Client, token_client_id: &str) -> Result<(), TokenInvalid> {
    if client.is_public() && token_client_id != client.client_id {
        Err(TokenInvalid::OtherClient)
    } else {
        Ok(())
    }
}

/// Whose claims `/userinfo` answers with: the token needs `openid` (else `insufficient_scope`,
/// OpenID Connect Core §5.3.3) and a user (a client-credentials token has none).
pub(crate) fn userinfo_user(claims: &AccessTokenClaims, user: Option<User>) -> Result<User, Reason> {
    if !claims.scp.iter().any(|scope| scope == OPENID) {
        return Err(Reason::InsufficientScope);
    }
    user.ok_or(Reason::AccessTokenInvalid(TokenInvalid::UserInactive))
}

/// What revoking a token does (RFC 7009 §2.1).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Revocation {
    /// Not a token of the kind tried.
    NotThisKind,
    /// Another client's token: nothing is revoked (and the answer does not tell).
    OtherClient,
    /// An access token that expired already: nothing to do.
    Expired,
    /// Revoke the access token `jti` until it expires.
    AccessToken {
        /// Its `jti`.
        jti: String,
        /// When it expires.
        until: OffsetDateTime,
    },
    /// Revoke the refresh token's grant (its family and the access tokens minted from it)
    /// until the longest-lived of those access tokens expires.
    Grant {
        /// The grant.
        grant: GrantId,
        /// One access-token lifetime from now.
        until: OffsetDateTime,
    },
}

/// Revoking what might be an access token of `client_id`: `verified` is
/// [`verify_access_token`]'s verdict.
pub(crate) fn revoke_access_token(
    verified: Result<AccessTokenClaims, TokenInvalid>,
    client_id: &str,
    now: OffsetDateTime,
) -> Revocation {
    let Ok(claims) = verified else {
        return Revocation::NotThisKind;
    };
    if claims.cid != client_id {
        return Revocation::OtherClient;
    }
    match OffsetDateTime::from_unix_timestamp(claims.exp) {
        Ok(until) if until > now => Revocation::AccessToken { jti: claims.jti, until },
        _ => Revocation::Expired,
    }
}

/// Revoking what might be a refresh token of `client_id` on this server: `found` is what the
/// grant store has for its hash.
pub(crate) fn revoke_refresh_token(
    issuer: &TokenIssuer<'_>,
    found: Option<RefreshTokenState>,
    client_id: &str,
    now: OffsetDateTime,
) -> Revocation {
    let Some(found) = found.filter(|found| found.record.grant.authorization_server_id == issuer.server_id) else {
        return Revocation::NotThisKind;
    };
    let grant = found.record.grant;
    if grant.client_id != client_id {
        return Revocation::OtherClient;
    }
    // Access tokens minted from the grant live at most one lifetime from now.
    let until = now.saturating_add(Duration::minutes(i64::from(grant.access_token_lifetime_minutes)));
    Revocation::Grant { grant: grant.id, until }
}

#[cfg(test)]
mod tests;

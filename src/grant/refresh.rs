//! `grant_type=refresh_token` (RFC 6749 §6; Okta's "Refresh access tokens" and "Refresh token
//! rotation" guides).
//!
//! * The token is looked up by its hash; unknown, revoked, issued by another server, past its
//!   family's `expires_at` (the rule's refresh lifetime), or unused for longer than the idle
//!   window is `invalid_grant` "The refresh token is invalid or expired.". A token issued to
//!   another client is "The grant was issued to another client…".
//! * Implicit revocation is checked as introspection checks it
//!   ([`crate::validity`]): configuration, client or user changed since the token was issued.
//! * `scope` is optional; it must be a subset of the token's scopes (`refresh_scopes_denied`).
//! * Policies are **re-evaluated** (Okta does on refresh): with the token's original grant type,
//!   the user's current groups and the refresh's scopes. The new access token gets the new
//!   decision's lifetime.
//! * An access token; a refresh token when the refresh's scopes hold `offline_access`; an ID
//!   token when they hold `openid`. A rotated (or sibling) refresh token keeps the scopes of the
//!   presented one, whatever subset this request asked for (RFC 6749 §6). A refresh without
//!   `offline_access` returns no refresh token and leaves the presented one as it was (only its
//!   idle window restarts), so the client keeps a working token.
//! * Rotation follows the client's `refresh_token.rotation_type`: `STATIC` echoes the presented
//!   token and restarts its idle window; `ROTATE` replaces it by a new token of the same family
//!   with the same absolute `expires_at` (a compare-and-swap in the store).
//! * **Reuse.** A token already rotated away, presented again within the client's `leeway`
//!   (default 30 s, 0–60) of its rotation, is answered like a live token: a new refresh token
//!   joins the family beside the successor (same `expires_at`), and nothing is consumed. This is
//!   Okta's grace period, covering a response lost in transit or two tabs refreshing at once,
//!   without invalidating the successor some other request already holds (rotating "from the
//!   newest" would, and would then turn that holder's next refresh into a reuse). After the
//!   leeway, reuse revokes the whole family and the access tokens minted from it (RFC 9700
//!   §4.14.2), and is refused.

use time::{Duration, OffsetDateTime};

use crate::endpoint::{Reason, Refusal};
use crate::model::{ClientRecord, GrantType, OFFLINE_ACCESS, RotationType};
use crate::policy::{self, Decision};
use crate::secret::RefreshToken;
use crate::store::grants::{Grant, GrantId, RefreshTokenRecord, RefreshTokenState, Rotation};

/// The stored state of the presented token, if the store knows it.
pub(crate) fn found(found: Option<RefreshTokenState>) -> Result<RefreshTokenState, Reason> {
    found.ok_or(Reason::UnknownRefreshToken)
}

/// The token's own checks at `now`, before implicit revocation: its family not revoked, issued
/// by server `server_id` to client `client_id`, within its lifetime and idle window. Refusals
/// name the token's user.
pub(crate) fn check_presented(
    found: &RefreshTokenState,
    server_id: &str,
    client_id: &str,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    let record = &found.record;
    let refused = |reason: Reason| Refusal::from(reason).user(record.grant.user_id.as_deref());
    if found.family_revoked {
        return Err(refused(Reason::RefreshTokenRevoked));
    }
    if record.grant.authorization_server_id != server_id {
        return Err(refused(Reason::RefreshTokenForOtherServer));
    }
    if record.grant.client_id != client_id {
        return Err(refused(Reason::GrantOfOtherClient));
    }
    if record.expires_at.is_some_and(|expires_at| expires_at <= now) {
        return Err(refused(Reason::RefreshTokenExpired));
    }
    let window = Duration::minutes(i64::from(record.grant.refresh_token_window_minutes));
    if record.last_used_at.saturating_add(window) <= now {
        return Err(refused(Reason::RefreshTokenIdle));
    }
    Ok(())
}

/// How long after its rotation a rotated-away token is still answered: the client's `leeway`.
pub(crate) fn leeway(client: &ClientRecord) -> Duration {
    Duration::seconds(i64::from(client.client.refresh_token_settings().leeway))
}

/// Whether the token was rotated away within `leeway` of `now` (answered like a live token);
/// rotated away earlier is reuse, which revokes the family.
pub(crate) fn within_leeway(found: &RefreshTokenState, leeway: Duration, now: OffsetDateTime) -> Result<bool, Refusal> {
    match &found.consumed {
        None => Ok(false),
        Some(consumed) if now - consumed.at <= leeway => Ok(true),
        Some(_) => Err(Refusal::from(Reason::RefreshTokenReused {
            grant: found.record.grant.id.clone(),
        })
        .user(found.record.grant.user_id.as_deref())),
    }
}

/// The scopes the refresh asks for: the requested ones, which must all be the original grant's
/// (Okta's `refresh_scopes_denied`), else the original grant's. Also the grant type policies are
/// evaluated with: the original grant's.
pub(crate) fn request(requested: Option<Vec<String>>, original: &Grant) -> Result<(Vec<String>, GrantType), Refusal> {
    let refused = |reason: Reason| Refusal::from(reason).user(original.user_id.as_deref());
    let scopes = requested.unwrap_or_else(|| original.scopes.clone());
    policy::check_refresh_scopes(&original.scopes, &scopes).map_err(|denial| refused(Reason::PolicyDenied(denial)))?;
    let grant_type = original
        .grant_type
        .parse::<GrantType>()
        .map_err(|_| refused(Reason::RefreshTokenUnknownGrantType))?;
    Ok((scopes, grant_type))
}

/// The refreshed grant: the new decision's scopes, policy, rule, access-token lifetime and idle
/// window on the original grant (same id, user, `auth_time`, family lifetime).
pub(crate) fn refreshed(original: &Grant, decision: &Decision<'_>) -> Grant {
    Grant {
        scopes: decision.scopes.iter().map(|s| (*s).to_owned()).collect(),
        policy_id: decision.policy_id.to_owned(),
        rule_id: decision.rule_id.to_owned(),
        access_token_lifetime_minutes: decision.access_token_lifetime_minutes,
        refresh_token_window_minutes: decision.refresh_token_window_minutes,
        ..original.clone()
    }
}

/// What happens to the presented refresh token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RefreshWrite {
    /// No `offline_access` this time: no refresh token in the response; the presented one stays
    /// and only its idle window restarts.
    Touch,
    /// `STATIC`: the presented token is echoed and its idle window restarts.
    Echo,
    /// Rotated away within the leeway: this new token joins the family beside the successor.
    Sibling(RefreshTokenRecord),
    /// `ROTATE`: this new token replaces the presented one (compare-and-swap).
    Rotate(RefreshTokenRecord),
}

/// Decides the write for the refreshed `grant`: `new_token` is the token a sibling or successor
/// gets. A new token keeps exactly the presented token's scopes, even when this request narrowed
/// the access token's (RFC 6749 §6), and its family's absolute `expires_at`.
pub(crate) fn write(
    presented: &RefreshTokenRecord,
    grant: &Grant,
    within_leeway: bool,
    rotation: RotationType,
    new_token: &RefreshToken,
    now: OffsetDateTime,
) -> RefreshWrite {
    let successor = || RefreshTokenRecord {
        token_hash: new_token.hash(),
        grant: Grant {
            scopes: presented.grant.scopes.clone(),
            ..grant.clone()
        },
        issued_at: now,
        expires_at: presented.expires_at,
        last_used_at: now,
    };
    if !grant.scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        RefreshWrite::Touch
    } else if within_leeway {
        RefreshWrite::Sibling(successor())
    } else if rotation == RotationType::Static {
        RefreshWrite::Echo
    } else {
        RefreshWrite::Rotate(successor())
    }
}

/// A `STATIC` token must still be stored when its idle window restarts; a revocation in between
/// refuses the refresh.
pub(crate) fn still_stored(touched: bool) -> Result<(), Reason> {
    if touched {
        Ok(())
    } else {
        Err(Reason::RefreshTokenRevoked)
    }
}

/// What a rotation's outcome leaves to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rotated {
    /// The successor is stored.
    Done,
    /// Another request rotated the token a moment ago, within the leeway: store the successor
    /// beside that request's (the same grace period as [`within_leeway`]).
    Raced,
}

/// Decides on the store's answer to the compare-and-swap of grant `grant`'s token: rotated,
/// rotated by another request within `leeway` (tolerated), earlier (reuse: the family is
/// revoked), or gone.
pub(crate) fn rotation(
    outcome: &Rotation,
    grant: &GrantId,
    leeway: Duration,
    now: OffsetDateTime,
) -> Result<Rotated, Reason> {
    match outcome {
        Rotation::Rotated { .. } => Ok(Rotated::Done),
        Rotation::AlreadyRotated { rotated_at, .. } if now - *rotated_at <= leeway => Ok(Rotated::Raced),
        Rotation::AlreadyRotated { .. } => Err(Reason::RefreshTokenReused { grant: grant.clone() }),
        Rotation::FamilyRevoked | Rotation::Unknown => Err(Reason::RefreshTokenRevoked),
    }
}

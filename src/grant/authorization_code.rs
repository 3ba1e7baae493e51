//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6).
//!
//! * The store redeems the code atomically; an unknown or expired code is `invalid_grant` "The
//!   authorization code is invalid or has expired.". A code redeemed before is refused the same
//!   way **and revokes its grant** (RFC 6749 §4.1.2, §10.5): the refresh tokens and access tokens
//!   the first redemption produced stop working ([`Reason::revokes`]).
//! * The code must have been issued by this server and to this client ("The grant was issued to
//!   another client…"); `redirect_uri` must be exactly the one of the authorization request,
//!   present if and only if that request had one.
//! * PKCE: when the code has a challenge, `code_verifier` is required and must match; a
//!   `code_verifier` for a code without a challenge is refused too (RFC 9700 §2.1.1, a downgrade
//!   attack), as is a public client's code without a challenge. All are "PKCE verification
//!   failed.".
//! * The user must still be `ACTIVE` and assigned. Policies are **not** re-evaluated: the
//!   decision made at the authorize endpoint travels in the code's grant.
//!
//! Any refusal after the redemption leaves the code spent: codes are single use.

use time::OffsetDateTime;

use crate::endpoint::{Reason, Refusal};
use crate::model::ClientRecord;
use crate::store::grants::{AuthorizationCodeRecord, CodeRedemption};

/// What the token request says about the code it redeems.
pub(crate) struct CodeRequest<'a> {
    /// The server asked.
    pub(crate) server_id: &'a str,
    /// The authenticated client.
    pub(crate) client: &'a ClientRecord,
    /// The request's `redirect_uri`.
    pub(crate) redirect_uri: Option<&'a str>,
    /// The request's `code_verifier`.
    pub(crate) code_verifier: Option<&'a str>,
    /// Now.
    pub(crate) now: OffsetDateTime,
}

/// What the store's redemption means: the record this request redeemed, or `invalid_grant`
/// (a replay names the grant to revoke).
pub(crate) fn redeemed(redemption: CodeRedemption) -> Result<AuthorizationCodeRecord, Reason> {
    match redemption {
        CodeRedemption::Redeemed(record) => Ok(record),
        CodeRedemption::Unknown => Err(Reason::InvalidCode),
        CodeRedemption::AlreadyRedeemed { grant_id } => Err(Reason::AuthorizationCodeReplayed { grant: grant_id }),
    }
}

/// Checks a redeemed code against the token request: server, expiry, client, `redirect_uri`,
/// PKCE. Refusals name the code's user.
pub(crate) fn check(record: &AuthorizationCodeRecord, request: &CodeRequest<'_>) -> Result<(), Refusal> {
    let grant = &record.grant;
    let refused = |reason: Reason| Refusal::from(reason).user(grant.user_id.as_deref());
    if grant.authorization_server_id != request.server_id || record.expires_at <= request.now {
        return Err(refused(Reason::InvalidCode));
    }
    if grant.client_id != request.client.client.client_id {
        return Err(refused(Reason::GrantOfOtherClient));
    }
    if request.redirect_uri != record.redirect_uri.as_deref() {
        return Err(refused(Reason::RedirectUriMismatch));
    }
    match (record.code_challenge.as_deref(), request.code_verifier) {
        (Some(challenge), Some(verifier)) => {
            crate::pkce::verify(verifier, challenge).map_err(|_| refused(Reason::PkceMismatch))
        }
        (Some(_), None) => Err(refused(Reason::MissingCodeVerifier)),
        (None, Some(_)) => Err(refused(Reason::UnexpectedCodeVerifier)),
        (None, None) if request.client.client.is_public() => Err(refused(Reason::PkceRequired)),
        (None, None) => Ok(()),
    }
}

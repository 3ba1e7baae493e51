//! What goes into tokens: system claims, the OpenID Connect standard claims by scope, and custom
//! claims (`RESOURCE` into access tokens, `IDENTITY` into ID tokens) when their scope condition
//! is met.
//!
//! A server's claims are compiled once into a [`ClaimSet`] (expressions parsed, group filters
//! built, reserved names refused) and every token is assembled from it by pure functions:
//! [`access_token_claims`], [`id_token_claims`] and [`userinfo_claims`]. A claim that evaluates
//! to `null` is left out; one whose evaluation fails fails the request with a [`ClaimError`]
//! (`server_error`, `The '<name>' user claim could not be evaluated.`) that can be recorded as
//! an event ([`ClaimError::event`]).
//!
//! What a request asks for beyond its scopes (the `claims` parameter, `acr_values`) is added by a
//! separate step: [`add_requested_claims`], [`choose_acr`].
//!
//! ID tokens are "fat" or "thin" ([`IdTokenClaimSet`]): without an access token they carry every
//! claim of the granted scopes; with one (and from the token endpoint) only the claims whose
//! `alwaysIncludeInToken` is true, the rest being served by `/userinfo` (Okta's OpenID Connect &
//! OAuth 2.0 API reference, <https://developer.okta.com/docs/reference/api/oidc/>). The
//! OpenID Connect standard claims follow the server's `SYSTEM` claim of the same name when there
//! is one (active, `alwaysIncludeInToken`); otherwise `name`, `email` and `preferred_username`
//! are included in thin tokens and the others are not.
//!
//! ```
//! use authserver::claims::{
//!     AccessTokenParams, ClaimSet, Subject, TOKEN_EVALUATION_BUDGET, access_token_claims, token_id,
//! };
//! use authserver::expr::Budget;
//! use authserver::model::{Claim, Client};
//! use serde_json::json;
//!
//! let claims: Vec<Claim> = serde_json::from_value(json!([{
//!     "name": "tier", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
//!     "value": "app.clientId == \"0oabilling\" ? \"gold\" : \"standard\"", "conditions": {"scopes": []}
//! }])).unwrap();
//! let set = ClaimSet::compile(&claims).unwrap();
//! let client: Client = serde_json::from_value(json!({
//!     "client_id": "0oabilling", "client_name": "Billing", "token_endpoint_auth_method": "client_secret_basic",
//!     "grant_types": ["client_credentials"], "response_types": ["token"], "application_type": "service"
//! })).unwrap();
//! let org = serde_json::Map::new();
//! let subject = Subject { client: &client, user: None, groups: &[], org: &org };
//! let scopes = vec!["billing:read".to_owned()];
//! let jti = token_id("AT.", &authserver::random::SystemRandom).unwrap();
//! let params = AccessTokenParams {
//!     issuer: "https://example.com/oauth2/default",
//!     audiences: &["api://default".to_owned()],
//!     jti: &jti,
//!     scopes: &scopes,
//!     issued_at: time::OffsetDateTime::UNIX_EPOCH,
//!     lifetime: time::Duration::hours(1),
//!     auth_time: None,
//!     budget: &Budget::new(TOKEN_EVALUATION_BUDGET),
//! };
//! let token = access_token_claims(&set, subject, &params).unwrap();
//! assert_eq!(token.sub, "0oabilling"); // client credentials: sub is the client id
//! assert_eq!(token.custom["tier"], "gold");
//! ```

mod compile;
mod error;
mod group_filter;
mod requested;
pub mod reserved;
mod standard;
mod subject;
mod tokens;

pub use compile::{ClaimDefinitionError, ClaimSet, ClaimValue, CompiledClaim, DEFAULT_SUB_EXPRESSION, compile_claim};
pub use error::{ClaimError, ClaimErrorCause};
pub use group_filter::{GroupFilter, InvalidGroupRegex, MAX_GROUPS_IN_CLAIM};
pub use requested::{
    ACR_VALUES_SUPPORTED, ClaimsRequest, REQUESTED_USERINFO_CLAIMS, RequestedClaims, add_requested_claims, choose_acr,
    parse_claims_parameter,
};
pub use standard::{ALWAYS_INCLUDED_BY_DEFAULT, SCOPE_CLAIMS};
pub use subject::Subject;
pub(crate) use tokens::borrowed_access_token_claims;
pub use tokens::{
    AccessTokenClaims, AccessTokenParams, Audience, ID_TOKEN_LIFETIME, IdTokenClaimSet, IdTokenClaims, IdTokenParams,
    TOKEN_EVALUATION_BUDGET, access_token_claims, id_token_claims, userinfo_claims,
};

use crate::crypto::CryptoError;
use crate::random::Randomness;

/// A new token ID: `prefix` (`AT.` for access tokens, `ID.` for ID tokens, as Okta) and 256
/// random bits in base64url.
///
/// # Errors
/// [`CryptoError::Random`] if the random source fails.
pub fn token_id(prefix: &str, random: &dyn Randomness) -> Result<String, CryptoError> {
    Ok(token_id_from_bits(prefix, &random.array::<32>()?))
}

/// The token ID of [`token_id`] whose 256 random bits were drawn as `bits`.
pub(crate) fn token_id_from_bits(prefix: &str, bits: &[u8; 32]) -> String {
    let mut id = String::with_capacity(prefix.len() + 43);
    id.push_str(prefix);
    crate::jose::b64_encode_into(bits, &mut id);
    id
}

/// An access token's `jti`: `AT.`, its grant's id, 128 random bits and the sub-second part of
/// its issue instant (nanoseconds, 32 bits), all base64url. The grant lets revoking a grant (a
/// replayed code, a reused refresh token, a revoked refresh token family) revoke the access
/// tokens minted from it without storing anything per token; the nanoseconds, with `iat`, give
/// the exact instant implicit revocation compares with configuration changes
/// ([`access_token_issued_at`]). Opaque to clients, as Okta's are.
///
/// # Errors
/// [`CryptoError::Random`] if the random source fails.
pub fn access_token_id(
    grant: &crate::store::grants::GrantId,
    issued_at: time::OffsetDateTime,
    random: &dyn Randomness,
) -> Result<String, CryptoError> {
    let random = random.array::<16>()?;
    let mut id = String::with_capacity(3 + grant.as_str().len() + RANDOM_LEN + NANOS_LEN);
    id.push_str("AT.");
    id.push_str(grant.as_str());
    crate::jose::b64_encode_into(random, &mut id);
    crate::jose::b64_encode_into(issued_at.nanosecond().to_be_bytes(), &mut id);
    Ok(id)
}

/// Length of the random part of an access token `jti`, in base64url characters.
const RANDOM_LEN: usize = 22;
/// Length of the nanoseconds part of an access token `jti`, in base64url characters.
const NANOS_LEN: usize = 6;

/// The parts of an access token `jti`: its grant and, for ids made by [`access_token_id`], the
/// nanoseconds of its issue instant (`None` for ids minted before they carried them).
fn access_token_id_parts(jti: &str) -> Option<(crate::store::grants::GrantId, Option<u32>)> {
    let rest = jti.strip_prefix("AT.")?;
    let grant = rest.get(..crate::store::grants::GrantId::GENERATED_LEN)?;
    let tail = rest.get(crate::store::grants::GrantId::GENERATED_LEN..)?;
    let nanos = match tail.len() {
        RANDOM_LEN => None,
        len if len == RANDOM_LEN + NANOS_LEN => {
            let bytes: [u8; 4] = crate::jose::b64_decode(tail.get(RANDOM_LEN..)?)?.try_into().ok()?;
            let nanos = u32::from_be_bytes(bytes);
            if nanos >= 1_000_000_000 {
                return None;
            }
            Some(nanos)
        }
        _ => return None,
    };
    Some((crate::store::grants::GrantId::new(grant), nanos))
}

/// The grant an access token `jti` made by [`access_token_id`] belongs to.
pub fn grant_of_access_token_id(jti: &str) -> Option<crate::store::grants::GrantId> {
    access_token_id_parts(jti).map(|(grant, _)| grant)
}

/// The exact instant an access token with `jti` and `iat` was minted: `iat` plus the
/// nanoseconds its `jti` carries. An older `jti` without them reads as the last nanosecond of
/// its `iat` second, which keeps the whole-second verdict it was minted under. `None` for a
/// `jti` [`access_token_id`] did not make or an `iat` out of range.
pub fn access_token_issued_at(jti: &str, iat: i64) -> Option<time::OffsetDateTime> {
    let (_, nanos) = access_token_id_parts(jti)?;
    let second = time::OffsetDateTime::from_unix_timestamp(iat).ok()?;
    second.replace_nanosecond(nanos.unwrap_or(999_999_999)).ok()
}

#[cfg(test)]
mod tests;

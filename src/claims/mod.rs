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
pub mod reserved;
mod standard;
mod subject;
mod tokens;

pub use compile::{ClaimDefinitionError, ClaimSet, ClaimValue, CompiledClaim, DEFAULT_SUB_EXPRESSION, compile_claim};
pub use error::{ClaimError, ClaimErrorCause};
pub use group_filter::{GroupFilter, InvalidGroupRegex, MAX_GROUPS_IN_CLAIM};
pub use standard::{ALWAYS_INCLUDED_BY_DEFAULT, SCOPE_CLAIMS};
pub use subject::Subject;
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
    let random = random.array::<32>()?;
    Ok(format!("{prefix}{}", crate::jose::b64_encode(random)))
}

/// An access token's `jti`: `AT.`, its grant's id and 128 random bits, so that revoking a grant
/// (a replayed code, a reused refresh token, a revoked refresh token family) revokes the access
/// tokens minted from it without storing anything per token. Opaque to clients, as Okta's are.
///
/// # Errors
/// [`CryptoError::Random`] if the random source fails.
pub fn access_token_id(grant: &crate::store::grants::GrantId, random: &dyn Randomness) -> Result<String, CryptoError> {
    let random = random.array::<16>()?;
    Ok(format!("AT.{}{}", grant.as_str(), crate::jose::b64_encode(random)))
}

/// The grant an access token `jti` made by [`access_token_id`] belongs to.
pub fn grant_of_access_token_id(jti: &str) -> Option<crate::store::grants::GrantId> {
    let rest = jti.strip_prefix("AT.")?;
    let grant = rest.get(..crate::store::grants::GrantId::GENERATED_LEN)?;
    let random = rest.get(crate::store::grants::GrantId::GENERATED_LEN..)?;
    (random.len() == 22).then(|| crate::store::grants::GrantId::new(grant))
}

#[cfg(test)]
mod tests;

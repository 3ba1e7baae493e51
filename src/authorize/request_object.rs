//! Request objects passed by value (`request`; RFC 9101, OpenID Connect Core §6.1; Okta's
//! `request` parameter of `/authorize`): pure functions that verify the JWT with the client's
//! keys and turn its claims into the authorization request's parameters.
//!
//! - **Signed, never unsigned.** `alg: none` is refused with `invalid_request_object` (OpenID
//!   Connect Core §3.1.2.6), as Okta does. The key fixes the algorithm: HS256/384/512 with the
//!   client's secret, which the directory must keep in full
//!   ([`Directory::client_secret_jwt_key`](crate::store::Directory::client_secret_jwt_key); it
//!   does for `client_secret_jwt` clients), checked against the record's digest first;
//!   RSA and ECDSA with a key of the client's registered `jwks` (by `kid`, or its only key).
//! - **Claims.** `iss`, if present, is the `client_id`; `aud`, if present, is (or includes) the
//!   issuer; `exp`, if present, is in the future and at most an hour ahead (Okta); `nbf` and
//!   `iat`, if present, are not in the future; a clock skew of
//!   [`ASSERTION_CLOCK_SKEW`](crate::client_auth::ASSERTION_CLOCK_SKEW) is allowed as for client
//!   assertions. A `jti`, if present, is single use (Okta), recorded with the client
//!   assertions' `jti`s once the request is answered (not when it only sends the user to sign
//!   in, since the browser then comes back with the same object).
//! - **Parameters** (RFC 9101 §6.3): the request object's members are the request's parameters,
//!   its values winning over the query's; query parameters it does not hold are kept (OpenID
//!   Connect Core §6.1). `client_id` and `response_type`, when in both, must match (§6.1).
//!   Strings are taken as they are, numbers and booleans as their text, objects (`claims`) as
//!   JSON text; the JWT's own claims (`iss`, `aud`, `exp`, `nbf`, `iat`, `jti`) are not
//!   parameters. `request` and `request_uri` inside a request object are refused.
//!
//! `request_uri` is refused with `request_uri_not_supported`: the library fetches nothing.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::client_auth::{self, ASSERTION_CLOCK_SKEW, AssertionUse, MAX_ASSERTION_LIFETIME, MAX_JTI_LEN};
use crate::endpoint::{Params, Reason};
use crate::jose::{self, HmacAlgorithm, JoseError};
use crate::model::ClientRecord;
use crate::secret::ClientSecret;

/// The JWT claims of a request object, which are not authorization request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

/// The parameters that must agree between the query and the request object (OpenID Connect Core
/// §6.1).
const MUST_MATCH: [&str; 2] = ["client_id", "response_type"];

/// `request_uri` is not supported (no remote fetches; OpenID Connect Core §6.2 is optional).
pub(crate) fn refuse_request_uri(params: &Params) -> Result<(), Reason> {
    if params.contains("request_uri") {
        Err(Reason::RequestUriNotSupported)
    } else {
        Ok(())
    }
}

/// Which key a request object needs, from its unverified header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// The client's secret (HS256/384/512).
    Secret,
    /// A key of the client's registered `jwks`.
    Registered,
}

/// The header member that chooses the key.
#[derive(Deserialize)]
struct AlgOnly {
    alg: String,
}

/// The key kind `request` needs: `invalid_request_object` for an unsigned or malformed one.
pub(crate) fn key_kind(request: &str) -> Result<KeyKind, Reason> {
    if request.len() > jose::MAX_TOKEN_LEN {
        return Err(Reason::RequestObjectMalformed);
    }
    let header = request.split('.').next().and_then(jose::b64_decode);
    let header: AlgOnly = header
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(Reason::RequestObjectMalformed)?;
    match header.alg.as_str() {
        "none" => Err(Reason::RequestObjectUnsigned),
        alg if alg.starts_with("HS") => Ok(KeyKind::Secret),
        _ => Ok(KeyKind::Registered),
    }
}

/// The JWT claims of a request object that are checked.
#[derive(Deserialize)]
struct JwtClaims {
    iss: Option<Value>,
    aud: Option<Value>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

/// A verified request object: its members, and its `jti` to record as used.
#[derive(Debug)]
pub(crate) struct Verified {
    /// The payload's members.
    pub(crate) members: Map<String, Value>,
    /// The `jti`, with the instant until which it must stay recorded.
    pub(crate) jti: Option<AssertionUse>,
}

/// Verifies `request` for `client` at `now`: the signature with the client's keys (`secret` is
/// what the directory keeps for the HMAC algorithms, if anything), then `iss`, `aud` (the
/// server's `issuer`), `exp`, `nbf`, `iat` and `jti`.
pub(crate) fn verify(
    request: &str,
    client: &ClientRecord,
    secret: Option<&ClientSecret>,
    issuer: &str,
    now: OffsetDateTime,
) -> Result<Verified, Reason> {
    let verified = match key_kind(request)? {
        KeyKind::Secret => {
            let secret = secret.ok_or(Reason::RequestObjectNoKey)?;
            client_auth::check_secret(client, secret.expose(), now).map_err(|_| Reason::RequestObjectNoKey)?;
            jose::verify_hmac(request, secret.expose().as_bytes(), &HmacAlgorithm::ALL)
        }
        KeyKind::Registered => {
            client_auth::verify_with_registered_keys(client, request).map_err(|_| Reason::RequestObjectNoKey)?
        }
    };
    let verified = verified.map_err(|error| match error {
        JoseError::InvalidSignature
        | JoseError::AlgorithmMismatch
        | JoseError::UnknownKid
        | JoseError::MissingKid
        | JoseError::WeakSecret => Reason::RequestObjectSignatureInvalid,
        _ => Reason::RequestObjectMalformed,
    })?;
    let members: Map<String, Value> = verified.claims().map_err(|_| Reason::RequestObjectMalformed)?;
    let claims: JwtClaims =
        serde_json::from_value(Value::Object(members.clone())).map_err(|_| Reason::RequestObjectMalformed)?;
    let client_id = client.client.client_id.as_str();
    let jti = check_claims(&claims, client_id, issuer, now)?;
    Ok(Verified { members, jti })
}

/// Checks the JWT claims; returns the `jti` to record, if any.
fn check_claims(
    claims: &JwtClaims,
    client_id: &str,
    issuer: &str,
    now: OffsetDateTime,
) -> Result<Option<AssertionUse>, Reason> {
    if claims.iss.as_ref().is_some_and(|iss| iss.as_str() != Some(client_id)) {
        return Err(Reason::RequestObjectIssuerOrAudience);
    }
    let audience_ok = match &claims.aud {
        None => true,
        Some(Value::String(aud)) => aud == issuer,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(issuer)),
        Some(_) => false,
    };
    if !audience_ok {
        return Err(Reason::RequestObjectIssuerOrAudience);
    }
    let latest = now.saturating_add(ASSERTION_CLOCK_SKEW).unix_timestamp();
    if claims.nbf.is_some_and(|nbf| nbf > latest) || claims.iat.is_some_and(|iat| iat > latest) {
        return Err(Reason::RequestObjectExpired);
    }
    let expires_at = match claims.exp {
        Some(exp) => {
            let expires_at = OffsetDateTime::from_unix_timestamp(exp).map_err(|_| Reason::RequestObjectExpired)?;
            if expires_at <= now || expires_at > now.saturating_add(MAX_ASSERTION_LIFETIME + ASSERTION_CLOCK_SKEW) {
                return Err(Reason::RequestObjectExpired);
            }
            expires_at
        }
        None => now.saturating_add(MAX_ASSERTION_LIFETIME),
    };
    match claims.jti.as_deref() {
        None => Ok(None),
        Some(jti) if jti.is_empty() || jti.len() > MAX_JTI_LEN => Err(Reason::RequestObjectMalformed),
        Some(jti) => Ok(Some(AssertionUse {
            jti: jti.to_owned(),
            expires_at,
        })),
    }
}

/// Refuses a request object whose `jti` was recorded before.
pub(crate) fn single_use(first_use: bool) -> Result<(), Reason> {
    if first_use {
        Ok(())
    } else {
        Err(Reason::RequestObjectReplayed)
    }
}

/// The authorization request's parameters: the query's, overridden by the request object's
/// `members` (RFC 9101 §6.3), without `request`.
pub(crate) fn merge(query: &Params, members: &Map<String, Value>) -> Result<Params, Reason> {
    if members.contains_key("request") || members.contains_key("request_uri") {
        return Err(Reason::RequestObjectParameterMismatch);
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in members {
        if JWT_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(text) => text.clone(),
            Value::Bool(_) | Value::Number(_) | Value::Object(_) | Value::Array(_) => value.to_string(),
        };
        if MUST_MATCH.contains(&name.as_str()) && query.get(name).is_some_and(|outer| outer != text) {
            return Err(Reason::RequestObjectParameterMismatch);
        }
        pairs.push((name.clone(), text));
    }
    let inner: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
    let outer = query
        .names()
        .filter(|name| *name != "request" && !inner.contains(name))
        .filter_map(|name| query.get(name).map(|value| (name.to_owned(), value.to_owned())))
        .collect::<Vec<_>>();
    Params::from_pairs(pairs.into_iter().chain(outer)).map_err(|_| Reason::RequestObjectMalformed)
}

#[cfg(test)]
mod tests;

//! Client authentication decisions (RFC 6749 §2.3, RFC 7523 §2.2 and §3, OpenID Connect Core
//! §9; Okta's "Client authentication methods"): pure functions of the request's credentials, the
//! client's record, the instant and, for `client_secret_jwt`, the key the directory keeps.
//!
//! | method | what the client sends |
//! |---|---|
//! | `client_secret_basic` | `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1) |
//! | `client_secret_post` | `client_id` and `client_secret` in the form |
//! | `client_secret_jwt` | `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a `client_assertion` signed HS256/384/512 with the secret |
//! | `private_key_jwt` | the same, signed with a key of the client's registered `jwks` |
//! | `none` | `client_id` only (public clients); at `/introspect` and `/revoke` also `Authorization: Basic base64(client_id)`, no colon and no secret |
//!
//! Rules:
//! * **One method per request.** The header together with a form secret or an assertion, or a
//!   form secret together with an assertion, is `invalid_request` ("Cannot supply multiple client
//!   credentials…", 400 as Okta's API reference lists it). A `client_id` in the form beside the
//!   header or an assertion is allowed when it names the same client.
//! * **The registered method must be the one used**, the client must be `ACTIVE`, and secrets are
//!   compared in constant time ([`ClientSecret::verify`]); an expired secret
//!   (`client_secret_expires_at` in the past) does not authenticate.
//! * **Refusals** are `invalid_client` 401 with Okta's fixed descriptions; an unknown client and a
//!   wrong secret read alike, so the answer does not tell whether a client exists. The precise
//!   [`Reason`] goes to the event log.
//! * **Credentials in the query string** are refused ([`refuse_query_credentials`]).
//! * **`Authorization: Basic base64(client_id)`** (no `:`, no secret) identifies a public client
//!   at `/introspect` and `/revoke`: `@okta/okta-auth-js` sends exactly that for a client
//!   without a secret (`btoa(clientId)` in `lib/oidc/revokeToken.ts` and
//!   `lib/oidc/introspect.ts`), its `signOut()` revokes with it, and Okta accepts it. It counts
//!   as the `none` method, so a confidential client sending it is still refused.
//! * The algorithms assertions may be signed with ([`assertion_signing_algorithms`]) are what
//!   the metadata documents advertise (RFC 8414 §2).
//!
//! # Client assertions
//!
//! Claims (RFC 7523 §3; Okta's "Client authentication methods", JWT claims): `iss` and `sub` are
//! the `client_id`; `aud` is the full URL of the endpoint being called (a string, or an array
//! holding it; the issuer alone is not accepted); `exp` is required, in the future and at most
//! one hour ahead; `iat`, when present, is not in the future; `nbf`, when present, has passed. A
//! clock skew of [`ASSERTION_CLOCK_SKEW`] is tolerated on `iat`, `nbf` and the one-hour bound
//! (clients whose clocks run a little ahead), never on `exp` itself. `jti` is **required** (Okta
//! makes it optional; single use is only enforceable with it, and RFC 7523 §3 lets a server
//! require it) and single use per client until the assertion's `exp`; it is recorded only after
//! the signature and every other claim verified ([`verify_credentials`] returns it), so a forged
//! assertion cannot burn a `jti`. The algorithm comes from the key, never from the header:
//! HS256/384/512 for `client_secret_jwt`, the registered key's algorithm for `private_key_jwt`.
//!
//! ## `client_secret_jwt` and hashed secrets
//!
//! Client records keep only the SHA-256 digest of the secret, and an HMAC cannot be verified
//! against a digest: the verifier needs the secret itself, which the directory keeps apart
//! ([`Directory::client_secret_jwt_key`](crate::store::Directory::client_secret_jwt_key)) and is
//! asked for only when [`needs_secret_jwt_key`] says so. The key is checked against the record's
//! digest (constant time) before it is used, so a key left behind after a secret rotation never
//! authenticates; keys shorter than [`MIN_HMAC_SECRET_LEN`](crate::jose::MIN_HMAC_SECRET_LEN)
//! are refused.
//!
//! `private_key_jwt` needs no secret: the assertion verifies against the registered public keys
//! (by `kid`, or the only key when the assertion has no `kid`). A client registered with a
//! `jwks_uri` only cannot authenticate: the library fetches nothing over the network.

use std::sync::Arc;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::endpoint::{Params, Reason};
use crate::jose::{self, Algorithm, HmacAlgorithm, JoseError, Jwks};
use crate::model::{ClientRecord, TokenEndpointAuthMethod};
use crate::secret::{ClientSecret, SecretHash};

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub(crate) const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Clock skew tolerated on a client assertion's `iat`, `nbf` and one-hour `exp` bound.
pub(crate) const ASSERTION_CLOCK_SKEW: Duration = Duration::seconds(60);

/// How far ahead a client assertion's `exp` may be (Okta: one hour).
pub(crate) const MAX_ASSERTION_LIFETIME: Duration = Duration::hours(1);

/// The longest `jti` accepted, in bytes (it is stored until the assertion expires).
pub(crate) const MAX_JTI_LEN: usize = 256;

/// The `alg`s a client assertion is verified with: HS256/384/512 for `client_secret_jwt` (with
/// the secret) and, for `private_key_jwt`, the algorithms of the keys a client can register
/// (RSA: RS256, P-256: ES256, Ed25519: EdDSA). What the metadata documents advertise as
/// `*_endpoint_auth_signing_alg_values_supported` (RFC 8414 §2); never `none`.
pub(crate) fn assertion_signing_algorithms() -> Vec<&'static str> {
    HmacAlgorithm::ALL
        .iter()
        .map(|algorithm| algorithm.as_str())
        .chain(Algorithm::ALL.iter().map(|algorithm| algorithm.as_str()))
        .collect()
}

/// How the client presented its credentials.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Presented<'a> {
    /// `Authorization: Basic`.
    Basic {
        /// The decoded client id.
        client_id: String,
        /// The decoded secret.
        secret: String,
    },
    /// `client_id` and `client_secret` in the form.
    Post {
        /// The form's `client_id`.
        client_id: &'a str,
        /// The form's `client_secret`.
        secret: &'a str,
    },
    /// A `client_assertion` whose (unverified) `sub` names the client.
    Assertion {
        /// The assertion's `sub`.
        client_id: String,
        /// The compact JWS.
        assertion: &'a str,
    },
    /// `client_id` only.
    None {
        /// The form's `client_id`.
        client_id: &'a str,
    },
    /// `Authorization: Basic base64(client_id)`: a public client's id, no secret.
    BasicClientId {
        /// The decoded client id.
        client_id: String,
    },
}

impl Presented<'_> {
    /// The client the credentials claim to be.
    pub(crate) fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. }
            | Presented::Assertion { client_id, .. }
            | Presented::BasicClientId { client_id } => client_id,
            Presented::Post { client_id, .. } | Presented::None { client_id } => client_id,
        }
    }
}

/// A verified assertion's `jti` and expiry: to be recorded as used, once.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AssertionUse {
    /// The assertion's `jti`.
    pub(crate) jti: String,
    /// Until when the `jti` must stay recorded (the assertion's `exp`).
    pub(crate) expires_at: OffsetDateTime,
}

/// An assertion's `aud`: one string or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum AssertionAudience {
    /// One audience.
    One(String),
    /// Several audiences.
    Many(Vec<String>),
}

impl AssertionAudience {
    fn contains(&self, value: &str) -> bool {
        match self {
            AssertionAudience::One(one) => one == value,
            AssertionAudience::Many(many) => many.iter().any(|aud| aud == value),
        }
    }
}

/// The claims of a client assertion that are checked.
#[derive(Deserialize)]
struct AssertionClaims {
    /// Must be the client id.
    iss: Option<String>,
    /// Must be the client id.
    sub: Option<String>,
    /// Must name the endpoint.
    aud: Option<AssertionAudience>,
    /// Required; at most an hour ahead.
    exp: Option<i64>,
    /// Optional; not in the future.
    iat: Option<i64>,
    /// Optional; passed.
    nbf: Option<i64>,
    /// Required; single use.
    jti: Option<String>,
}

/// The payload of a compact JWS, parsed without verifying anything: only to learn which client
/// the assertion claims to come from, so its keys can be looked up. Every claim is checked again
/// after the signature verified.
fn unverified_claims(assertion: &str) -> Option<AssertionClaims> {
    if assertion.len() > jose::MAX_TOKEN_LEN {
        return None;
    }
    let payload = assertion.split('.').nth(1)?;
    let bytes = jose::b64_decode(payload)?;
    if bytes.first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// Refuses client credentials in a query string (Okta: "Client credentials cannot be supplied
/// via query parameters."): `client_secret`, `client_assertion` or `client_assertion_type`.
pub(crate) fn refuse_query_credentials(query: &str) -> Result<(), Reason> {
    let credential = url::form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| matches!(&*name, "client_secret" | "client_assertion" | "client_assertion_type"));
    if credential {
        Err(Reason::QueryCredentials)
    } else {
        Ok(())
    }
}

/// The client id of `Authorization: Basic base64(client_id)`: Basic whose decoded text has no
/// `:` (`@okta/okta-auth-js`'s `btoa(clientId)`). `None` for anything else.
fn basic_client_id(authorization: &str) -> Option<String> {
    use base64::Engine as _;
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let client_id = String::from_utf8(decoded).ok()?;
    (!client_id.is_empty() && !client_id.contains(':') && !client_id.chars().any(char::is_control)).then_some(client_id)
}

/// Works out which credentials the request carries, refusing combinations.
/// `basic_client_id_allowed` admits `Authorization: Basic base64(client_id)` as a public client's
/// identification (at `/introspect` and `/revoke`).
pub(crate) fn presented<'p>(
    params: &'p Params,
    authorization: Option<&str>,
    basic_client_id_allowed: bool,
) -> Result<Presented<'p>, Reason> {
    let form_id = params.get("client_id");
    let form_secret = params.get("client_secret");
    let assertion_type = params.get("client_assertion_type");
    let assertion = params.get("client_assertion");
    let uses_assertion = assertion_type.is_some() || assertion.is_some();
    let kinds = usize::from(authorization.is_some()) + usize::from(form_secret.is_some()) + usize::from(uses_assertion);
    if kinds > 1 {
        return Err(Reason::MultipleClientCredentials);
    }
    if let Some(header) = authorization {
        let presented = match crate::endpoint::basic_credentials(header) {
            Some((client_id, secret)) => Presented::Basic { client_id, secret },
            None => basic_client_id(header)
                .filter(|_| basic_client_id_allowed)
                .map(|client_id| Presented::BasicClientId { client_id })
                .ok_or(Reason::MalformedAuthorizationHeader)?,
        };
        if form_id.is_some_and(|id| id != presented.client_id()) {
            return Err(Reason::HeaderClientIdMismatch);
        }
        return Ok(presented);
    }
    if uses_assertion {
        if assertion_type != Some(JWT_BEARER_ASSERTION) {
            return Err(Reason::InvalidClientAssertionType);
        }
        let assertion = assertion.ok_or(Reason::MissingClientAssertion)?;
        let claims = unverified_claims(assertion).ok_or(Reason::AssertionMalformed)?;
        let client_id = claims.sub.ok_or(Reason::AssertionMissingSub)?;
        if form_id.is_some_and(|id| id != client_id) {
            return Err(Reason::AssertionClientIdMismatch);
        }
        return Ok(Presented::Assertion { client_id, assertion });
    }
    match (form_id, form_secret) {
        (Some(client_id), Some(secret)) => Ok(Presented::Post { client_id, secret }),
        (Some(client_id), None) => Ok(Presented::None { client_id }),
        (None, Some(_)) => Err(Reason::MissingClientId),
        (None, None) => Err(Reason::MissingClientCredentials),
    }
}

/// The client the credentials name, if the directory knows it and it is `ACTIVE`. An unknown
/// public client is told which parameter was wrong, a confidential one only that authentication
/// failed (Okta's texts).
pub(crate) fn known_active(
    presented: &Presented<'_>,
    client: Option<Arc<ClientRecord>>,
) -> Result<Arc<ClientRecord>, Reason> {
    let Some(client) = client else {
        return Err(match presented {
            Presented::None { .. } => Reason::UnknownPublicClient,
            _ => Reason::UnknownClient,
        });
    };
    if client.client.status.is_active() {
        Ok(client)
    } else {
        Err(Reason::ClientInactive)
    }
}

/// Whether verifying needs the directory's `client_secret_jwt` key: only for an assertion of a
/// client registered with `client_secret_jwt`.
pub(crate) fn needs_secret_jwt_key(presented: &Presented<'_>, client: &ClientRecord) -> bool {
    matches!(presented, Presented::Assertion { .. })
        && client.client.token_endpoint_auth_method == TokenEndpointAuthMethod::ClientSecretJwt
}

/// Verifies the presented credentials of the known, active `client` at `now`, for a request to
/// `endpoint_url` (which assertions must name as `aud`). `secret_jwt_key` is what the directory
/// returned when [`needs_secret_jwt_key`] asked for it. Returns the assertion's `jti` to record
/// as used (then [`single_use`]), or `None` for the other methods.
pub(crate) fn verify_credentials(
    presented: &Presented<'_>,
    client: &ClientRecord,
    secret_jwt_key: Option<&ClientSecret>,
    endpoint_url: &str,
    now: OffsetDateTime,
) -> Result<Option<AssertionUse>, Reason> {
    let registered = client.client.token_endpoint_auth_method;
    match presented {
        Presented::Basic { secret, .. } => {
            expect_method(registered, TokenEndpointAuthMethod::ClientSecretBasic)?;
            check_secret(client, secret, now)?;
            Ok(None)
        }
        Presented::Post { secret, .. } => {
            expect_method(registered, TokenEndpointAuthMethod::ClientSecretPost)?;
            check_secret(client, secret, now)?;
            Ok(None)
        }
        // A confidential client that sent no secret.
        Presented::None { .. } | Presented::BasicClientId { .. } if registered != TokenEndpointAuthMethod::None => {
            Err(Reason::MissingClientSecret)
        }
        Presented::None { .. } | Presented::BasicClientId { .. } => Ok(None),
        Presented::Assertion { assertion, client_id } => {
            let verified = match registered {
                TokenEndpointAuthMethod::ClientSecretJwt => {
                    let key = secret_jwt_key.ok_or(Reason::ClientSecretJwtKeyUnavailable)?;
                    check_secret(client, key.expose(), now).map_err(|_| Reason::ClientSecretJwtKeyStale)?;
                    jose::verify_hmac(assertion, key.expose().as_bytes(), &HmacAlgorithm::ALL)
                }
                TokenEndpointAuthMethod::PrivateKeyJwt => verify_with_registered_keys(client, assertion)?,
                _ => return Err(Reason::AuthMethodMismatch),
            };
            let verified = verified.map_err(|error| match error {
                JoseError::WeakSecret => Reason::ClientSecretTooShort,
                JoseError::InvalidSignature => Reason::AssertionSignatureInvalid,
                _ => Reason::AssertionUnverifiable,
            })?;
            let claims: AssertionClaims = verified.claims().map_err(|_| Reason::AssertionClaimsMalformed)?;
            check_assertion_claims(&claims, client_id, endpoint_url, now).map(Some)
        }
    }
}

/// Refuses an assertion whose `jti` was recorded before (RFC 7523 §3: "The JWT MAY contain a
/// 'jti' claim … used to prevent the JWT from being replayed").
pub(crate) fn single_use(first_use: bool) -> Result<(), Reason> {
    if first_use {
        Ok(())
    } else {
        Err(Reason::AssertionReplayed)
    }
}

/// Refuses a method other than the registered one.
fn expect_method(registered: TokenEndpointAuthMethod, used: TokenEndpointAuthMethod) -> Result<(), Reason> {
    if registered == used {
        Ok(())
    } else {
        Err(Reason::AuthMethodMismatch)
    }
}

/// Checks a presented secret against the record's digest (constant time) and expiry.
pub(crate) fn check_secret(client: &ClientRecord, secret: &str, now: OffsetDateTime) -> Result<(), Reason> {
    let Some(hash) = client.client_secret_hash.as_ref() else {
        return Err(Reason::ClientHasNoSecret);
    };
    // Hashed where it lies: the presented secret is not copied.
    if !SecretHash::of(secret).matches(hash) {
        return Err(Reason::InvalidClientSecret);
    }
    let expired = client
        .client_secret_expires_at
        .is_some_and(|at| at != 0 && at <= now.unix_timestamp());
    if expired {
        return Err(Reason::ClientSecretExpired);
    }
    Ok(())
}

/// Verifies a `private_key_jwt` assertion with the client's registered `jwks`: by `kid`, or with
/// the only key when the assertion carries none.
pub(crate) fn verify_with_registered_keys(
    client: &ClientRecord,
    assertion: &str,
) -> Result<Result<jose::Verified, JoseError>, Reason> {
    let jwks: Jwks = client
        .client
        .jwks
        .clone()
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or(Reason::ClientHasNoUsableJwks)?;
    Ok(match jose::verify(assertion, &jwks) {
        Err(JoseError::MissingKid) => match jwks.keys.as_slice() {
            [only] => jose::verify_with_key(assertion, only),
            _ => Err(JoseError::MissingKid),
        },
        other => other,
    })
}

/// Checks a verified assertion's claims; returns its `jti` and expiry for the single-use record.
fn check_assertion_claims(
    claims: &AssertionClaims,
    client_id: &str,
    endpoint_url: &str,
    now: OffsetDateTime,
) -> Result<AssertionUse, Reason> {
    if claims.iss.as_deref() != Some(client_id) || claims.sub.as_deref() != Some(client_id) {
        return Err(Reason::AssertionIssuerMismatch);
    }
    if !claims.aud.as_ref().is_some_and(|aud| aud.contains(endpoint_url)) {
        return Err(Reason::AssertionAudienceMismatch);
    }
    let exp = claims.exp.ok_or(Reason::AssertionMissingExp)?;
    let expires_at = OffsetDateTime::from_unix_timestamp(exp).map_err(|_| Reason::AssertionExpOutOfRange)?;
    if expires_at <= now {
        return Err(Reason::AssertionExpired);
    }
    if expires_at > now.saturating_add(MAX_ASSERTION_LIFETIME + ASSERTION_CLOCK_SKEW) {
        return Err(Reason::AssertionExpTooFar);
    }
    let latest = now.saturating_add(ASSERTION_CLOCK_SKEW).unix_timestamp();
    if claims.iat.is_some_and(|iat| iat > latest) {
        return Err(Reason::AssertionIssuedInFuture);
    }
    if claims.nbf.is_some_and(|nbf| nbf > latest) {
        return Err(Reason::AssertionNotYetValid);
    }
    let jti = claims
        .jti
        .as_deref()
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
        .ok_or(Reason::AssertionMissingJti)?;
    Ok(AssertionUse {
        jti: jti.to_owned(),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use serde_json::{Value, json};
    use time::macros::datetime;

    use super::*;
    use crate::secret::SecretHash;

    const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
    const ENDPOINT: &str = "https://id.example.com/oauth2/default/v1/token";
    const SECRET: &str = "a-client-secret-long-enough-for-an-hmac-key-1";

    fn client(method: &str) -> ClientRecord {
        ClientRecord {
            client: serde_json::from_value(json!({
                "client_id": "0oaapp", "client_name": "App", "token_endpoint_auth_method": method,
                "grant_types": ["client_credentials"], "response_types": ["token"], "application_type": "service"
            }))
            .unwrap(),
            client_secret_hash: Some(SecretHash::of(SECRET)),
            client_secret_expires_at: None,
            last_updated: None,
        }
    }

    fn params(form: &str) -> Params {
        Params::parse(form).unwrap()
    }

    fn basic(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    }

    fn claims() -> Value {
        json!({"iss": "0oaapp", "sub": "0oaapp", "aud": ENDPOINT, "jti": "j-1",
               "exp": (NOW + Duration::minutes(5)).unix_timestamp(), "iat": NOW.unix_timestamp()})
    }

    fn hmac(claims: &Value) -> String {
        jose::sign_hmac(HmacAlgorithm::HS256, SECRET.as_bytes(), claims).unwrap()
    }

    /// Runs every step after the directory lookup, as the endpoint does.
    fn authenticate(
        form: &str,
        authorization: Option<&str>,
        record: ClientRecord,
    ) -> Result<Option<AssertionUse>, Reason> {
        let params = params(form);
        let presented = presented(&params, authorization, true)?;
        let client = known_active(&presented, Some(Arc::new(record)))?;
        let key = ClientSecret::from_received(SECRET);
        let key = needs_secret_jwt_key(&presented, &client).then_some(&key);
        verify_credentials(&presented, &client, key, ENDPOINT, NOW)
    }

    #[test]
    fn one_kind_of_credentials_per_request() {
        // RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
        // request."
        let header = basic("0oaapp", SECRET);
        let both = params("client_id=0oaapp&client_secret=x");
        assert!(matches!(
            presented(&both, Some(&header), true),
            Err(Reason::MultipleClientCredentials)
        ));
        let other_id = params("client_id=0oaother");
        assert!(matches!(
            presented(&other_id, Some(&header), true),
            Err(Reason::HeaderClientIdMismatch)
        ));
        let same_id = params("client_id=0oaapp");
        assert!(matches!(
            presented(&same_id, Some(&header), true),
            Ok(Presented::Basic { .. })
        ));
        assert!(matches!(
            presented(&params(""), None, true),
            Err(Reason::MissingClientCredentials)
        ));
        assert!(matches!(
            presented(&params("client_secret=x"), None, true),
            Err(Reason::MissingClientId)
        ));
        assert!(matches!(
            presented(&params(""), Some("Bearer abc"), true),
            Err(Reason::MalformedAuthorizationHeader)
        ));
    }

    #[test]
    fn assertion_requests_need_the_jwt_bearer_type_and_a_subject() {
        // RFC 7523 §2.2.
        let wrong_type = params("client_assertion_type=saml&client_assertion=a.b.c");
        assert!(matches!(
            presented(&wrong_type, None, true),
            Err(Reason::InvalidClientAssertionType)
        ));
        let missing = params(&format!("client_assertion_type={JWT_BEARER_ASSERTION}"));
        assert!(matches!(
            presented(&missing, None, true),
            Err(Reason::MissingClientAssertion)
        ));
        let garbage = params(&format!(
            "client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion=x.y.z"
        ));
        assert!(matches!(
            presented(&garbage, None, true),
            Err(Reason::AssertionMalformed)
        ));
        let mut no_sub = claims();
        no_sub["sub"] = Value::Null;
        let form = format!(
            "client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={}",
            hmac(&no_sub)
        );
        assert!(matches!(
            presented(&params(&form), None, true),
            Err(Reason::AssertionMissingSub)
        ));
        let form = format!(
            "client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={}&client_id=0oaother",
            hmac(&claims())
        );
        assert!(matches!(
            presented(&params(&form), None, true),
            Err(Reason::AssertionClientIdMismatch)
        ));
    }

    #[test]
    fn credentials_in_the_query_string_are_refused() {
        assert!(refuse_query_credentials("client_id=0oaapp").is_ok());
        for query in ["client_secret=x", "client_assertion=x", "a=1&client_assertion_type=x"] {
            assert!(
                matches!(refuse_query_credentials(query), Err(Reason::QueryCredentials)),
                "{query}"
            );
        }
    }

    #[test]
    fn basic_with_only_a_client_id_identifies_a_public_client_where_allowed() {
        // @okta/okta-auth-js 8.0.1 `lib/oidc/revokeToken.ts` (esm/browser/oidc/revokeToken.js:40)
        // and `lib/oidc/introspect.ts` (introspect.js:52): `clientSecret ? btoa(`${clientId}:
        // ${clientSecret}`) : btoa(clientId)`, sent as `Authorization: Basic …`.
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("0oaapp"));
        let public = authenticate("token=t", Some(&header), client("none"));
        assert!(matches!(public, Ok(None)), "{public:?}");
        assert!(matches!(
            presented(&params("client_id=0oaapp"), Some(&header), true),
            Ok(Presented::BasicClientId { .. })
        ));
        assert!(matches!(
            presented(&params("client_id=0oaother"), Some(&header), true),
            Err(Reason::HeaderClientIdMismatch)
        ));
        // A confidential client must still authenticate.
        for method in ["client_secret_basic", "client_secret_post", "private_key_jwt"] {
            assert!(matches!(
                authenticate("token=t", Some(&header), client(method)),
                Err(Reason::MissingClientSecret)
            ));
        }
        // Where not allowed (the token endpoint) it stays a malformed header.
        assert!(matches!(
            presented(&params(""), Some(&header), false),
            Err(Reason::MalformedAuthorizationHeader)
        ));
        let empty = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(""));
        assert!(matches!(
            presented(&params(""), Some(&empty), true),
            Err(Reason::MalformedAuthorizationHeader)
        ));
    }

    #[test]
    fn every_advertised_assertion_algorithm_authenticates() {
        // RFC 8414 §2: `token_endpoint_auth_signing_alg_values_supported` lists the algorithms
        // the server accepts for `client_secret_jwt` and `private_key_jwt`; never `none`.
        let algorithms = assertion_signing_algorithms();
        assert!(!algorithms.contains(&"none"));
        for alg in algorithms {
            let form =
                |assertion: &str| format!("client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={assertion}");
            let used = if let Some(hmac) = HmacAlgorithm::ALL.into_iter().find(|h| h.as_str() == alg) {
                let assertion = jose::sign_hmac(hmac, SECRET.as_bytes(), &claims()).unwrap();
                authenticate(&form(&assertion), None, client("client_secret_jwt"))
            } else {
                let algorithm: Algorithm = alg.parse().unwrap();
                let key = match algorithm {
                    Algorithm::RS256 => {
                        jose::SigningKey::from_pkcs8_pem(algorithm, include_str!("testkit/keys/rsa-1.pem")).unwrap()
                    }
                    other => jose::SigningKey::generate(other).unwrap(),
                };
                let mut record = client("private_key_jwt");
                record.client.jwks = Some(json!({"keys": [jose::Signer::public_jwk(&key)]}));
                let assertion = jose::sign(&key, None, &claims()).unwrap();
                authenticate(&form(&assertion), None, record)
            };
            assert!(matches!(used, Ok(Some(_))), "{alg}: {used:?}");
        }
    }

    #[test]
    fn unknown_and_inactive_clients() {
        let public = Presented::None { client_id: "0oanope" };
        assert!(matches!(known_active(&public, None), Err(Reason::UnknownPublicClient)));
        let post = Presented::Post {
            client_id: "0oanope",
            secret: "x",
        };
        assert!(matches!(known_active(&post, None), Err(Reason::UnknownClient)));
        let mut inactive = client("client_secret_post");
        inactive.client.status = crate::model::Status::Inactive;
        assert!(matches!(
            known_active(&post, Some(Arc::new(inactive))),
            Err(Reason::ClientInactive)
        ));
    }

    #[test]
    fn secrets_match_the_registered_method_digest_and_expiry() {
        let header = basic("0oaapp", SECRET);
        assert_eq!(
            authenticate("", Some(&header), client("client_secret_basic")).unwrap(),
            None
        );
        assert!(matches!(
            authenticate("", Some(&header), client("client_secret_post")),
            Err(Reason::AuthMethodMismatch)
        ));
        let wrong = basic("0oaapp", "nope");
        assert!(matches!(
            authenticate("", Some(&wrong), client("client_secret_basic")),
            Err(Reason::InvalidClientSecret)
        ));
        let form = format!("client_id=0oaapp&client_secret={SECRET}");
        assert_eq!(authenticate(&form, None, client("client_secret_post")).unwrap(), None);
        let mut expired = client("client_secret_post");
        expired.client_secret_expires_at = Some(NOW.unix_timestamp());
        assert!(matches!(
            authenticate(&form, None, expired),
            Err(Reason::ClientSecretExpired)
        ));
        let mut never = client("client_secret_post");
        never.client_secret_expires_at = Some(0);
        assert!(
            authenticate(&form, None, never).is_ok(),
            "0 means it never expires (RFC 7591 §3.2.1)"
        );
        let mut no_secret = client("client_secret_post");
        no_secret.client_secret_hash = None;
        assert!(matches!(
            authenticate(&form, None, no_secret),
            Err(Reason::ClientHasNoSecret)
        ));
        // A public client sends its id only; a confidential one may not.
        assert_eq!(authenticate("client_id=0oaapp", None, client("none")).unwrap(), None);
        assert!(matches!(
            authenticate("client_id=0oaapp", None, client("client_secret_basic")),
            Err(Reason::MissingClientSecret)
        ));
    }

    #[test]
    fn a_client_secret_jwt_returns_its_jti_for_the_single_use_record() {
        let form = format!(
            "client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={}",
            hmac(&claims())
        );
        let used = authenticate(&form, None, client("client_secret_jwt")).unwrap().unwrap();
        assert_eq!(used.jti, "j-1");
        assert_eq!(used.expires_at, NOW + Duration::minutes(5));
        assert!(single_use(true).is_ok());
        assert!(matches!(single_use(false), Err(Reason::AssertionReplayed)));
        // Only that method needs the directory's key; without it the client cannot authenticate.
        let params = params(&form);
        let presented = presented(&params, None, true).unwrap();
        assert!(!needs_secret_jwt_key(&presented, &client("private_key_jwt")));
        assert!(matches!(
            verify_credentials(&presented, &client("client_secret_jwt"), None, ENDPOINT, NOW),
            Err(Reason::ClientSecretJwtKeyUnavailable)
        ));
        let stale = ClientSecret::from_received("a-rotated-secret-long-enough-for-an-hmac-key");
        assert!(matches!(
            verify_credentials(&presented, &client("client_secret_jwt"), Some(&stale), ENDPOINT, NOW),
            Err(Reason::ClientSecretJwtKeyStale)
        ));
        assert!(matches!(
            authenticate(&form, None, client("client_secret_basic")),
            Err(Reason::AuthMethodMismatch)
        ));
        assert!(matches!(
            authenticate(&form, None, client("private_key_jwt")),
            Err(Reason::ClientHasNoUsableJwks)
        ));
    }

    /// RFC 7523 §2.2 with a PS256 key (RFC 7518 §3.5): the registered JWK says `PS256`, so a
    /// PSS assertion verifies; the same key registered without `alg` is RS256's, and the PSS
    /// assertion is refused (the algorithm comes from the key, RFC 8725 §3.1).
    #[test]
    fn a_ps256_assertion_verifies_with_a_ps256_key() {
        let key = jose::SigningKey::generate(jose::Algorithm::PS256).unwrap();
        let assertion = jose::sign(&key, None, &claims()).unwrap();
        let form = format!("client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={assertion}");
        let mut record = client("private_key_jwt");
        let jwk = jose::Signer::public_jwk(&key);
        record.client.jwks = Some(json!({ "keys": [jwk] }));
        assert!(authenticate(&form, None, record.clone()).is_ok());
        let mut without_alg = serde_json::to_value(jose::Signer::public_jwk(&key)).unwrap();
        without_alg.as_object_mut().unwrap().remove("alg");
        record.client.jwks = Some(json!({ "keys": [without_alg] }));
        assert!(matches!(
            authenticate(&form, None, record),
            Err(Reason::AssertionUnverifiable)
        ));
    }

    #[test]
    fn assertion_claims_are_checked_with_a_minute_of_skew() {
        // RFC 7523 §3: iss, sub, aud, exp (required here), nbf, iat, jti.
        type Expected = fn(&Reason) -> bool;
        let cases: [(&str, Value, Expected); 9] = [
            ("iss", json!("0oaother"), |r| {
                matches!(r, Reason::AssertionIssuerMismatch)
            }),
            ("aud", json!("https://id.example.com/oauth2/default"), |r| {
                matches!(r, Reason::AssertionAudienceMismatch)
            }),
            ("exp", Value::Null, |r| matches!(r, Reason::AssertionMissingExp)),
            ("exp", json!(i64::MAX), |r| matches!(r, Reason::AssertionExpOutOfRange)),
            ("exp", json!(NOW.unix_timestamp()), |r| {
                matches!(r, Reason::AssertionExpired)
            }),
            ("exp", json!((NOW + Duration::minutes(62)).unix_timestamp()), |r| {
                matches!(r, Reason::AssertionExpTooFar)
            }),
            ("iat", json!((NOW + Duration::seconds(61)).unix_timestamp()), |r| {
                matches!(r, Reason::AssertionIssuedInFuture)
            }),
            ("nbf", json!((NOW + Duration::seconds(61)).unix_timestamp()), |r| {
                matches!(r, Reason::AssertionNotYetValid)
            }),
            ("jti", json!(""), |r| matches!(r, Reason::AssertionMissingJti)),
        ];
        for (claim, value, expected) in cases {
            let mut claims = claims();
            claims[claim] = value;
            let form = format!(
                "client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={}",
                hmac(&claims)
            );
            let refused = authenticate(&form, None, client("client_secret_jwt")).unwrap_err();
            assert!(expected(&refused), "{claim}: {refused:?}");
        }
        // Within the skew, and an `aud` array naming the endpoint.
        let mut lenient = claims();
        lenient["iat"] = json!((NOW + Duration::seconds(60)).unix_timestamp());
        lenient["exp"] = json!((NOW + Duration::minutes(61)).unix_timestamp());
        lenient["aud"] = json!(["api://other", ENDPOINT]);
        let form = format!(
            "client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={}",
            hmac(&lenient)
        );
        assert!(authenticate(&form, None, client("client_secret_jwt")).is_ok());
        // Another secret's signature.
        let forged = jose::sign_hmac(HmacAlgorithm::HS256, &[7u8; 43], &claims()).unwrap();
        let form = format!("client_assertion_type={JWT_BEARER_ASSERTION}&client_assertion={forged}");
        assert!(matches!(
            authenticate(&form, None, client("client_secret_jwt")),
            Err(Reason::AssertionSignatureInvalid)
        ));
    }
}

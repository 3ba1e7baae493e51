//! Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
//! OpenID Connect Core §9, RFC 7523 §3; seed 003 "Token Authentication Methods").
//!
//! | method | what the client sends |
//! |---|---|
//! | `client_secret_basic` | `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1) |
//! | `client_secret_post` | `client_id` and `client_secret` in the form |
//! | `client_secret_jwt` | `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and a `client_assertion` signed HS256/384/512 with the secret |
//! | `private_key_jwt` | the same, signed with a key of the client's registered `jwks` |
//! | `none` | `client_id` only (public clients) |
//!
//! Rules:
//! * **One method per request.** The header together with a form secret or an assertion, or a
//!   form secret together with an assertion, is `invalid_request` ("Cannot supply multiple client
//!   credentials…", 400 as Okta's OpenAPI spec lists it). A `client_id` in the form beside the
//!   header or an assertion is allowed when it names the same client.
//! * **The registered method must be the one used**, the client must be `ACTIVE`, and secrets are
//!   compared in constant time ([`ClientSecret::verify`]); an expired secret
//!   (`client_secret_expires_at` in the past) does not authenticate.
//! * **Refusals** are `invalid_client` 401 with Okta's fixed descriptions; an unknown client and a
//!   wrong secret read alike, so the answer does not tell whether a client exists. The precise
//!   reason goes to the event log (`app.oauth2.as.client.authenticate`). When the client used the
//!   `Authorization` header, [`client_error_response`] adds `WWW-Authenticate: Basic` (RFC 6749
//!   §5.2).
//! * **Credentials in the query string** are refused by [`refuse_query_credentials`] ("Client
//!   credentials cannot be supplied via query parameters.").
//!
//! # Client assertions
//!
//! Claims (seed 003 "Token Claims for Client Authentication with Client Secret JWT", reference
//! §3.5): `iss` and `sub` are the `client_id`; `aud` is the full URL of the endpoint being called
//! (a string, or an array holding it; the issuer alone is not accepted, as the seed asks for the
//! endpoint); `exp` is required, in the future and at most one hour ahead; `iat`, when present,
//! is not in the future; `nbf`, when present, has passed. A clock skew of
//! [`ASSERTION_CLOCK_SKEW`] is tolerated on `iat`, `nbf` and the one-hour bound (clients whose
//! clocks run a little ahead), never on `exp` itself. `jti` is **required** (the seed makes it
//! optional; single use is only enforceable with it, and RFC 7523 §3 lets a server require it)
//! and single use per client until the assertion's `exp` ([`GrantStore::record_assertion_jti`]);
//! it is recorded only after the signature and every other claim verified, so a forged
//! assertion cannot burn a `jti`. The algorithm comes from the key, never from the header:
//! HS256/384/512 for `client_secret_jwt`, the registered key's algorithm for `private_key_jwt`.
//!
//! ## `client_secret_jwt` and hashed secrets
//!
//! Client records keep only the SHA-256 digest of the secret, and an HMAC cannot be verified
//! against a digest: the verifier needs the secret itself. Storing it in plaintext beside the
//! digest would undo the point of hashing, so the key is obtained separately from the directory
//! through [`Directory::client_secret_jwt_key`]:
//! * the host opts in per client and keeps the key encrypted at rest (a KMS, or a key-encryption
//!   key the database never sees); the default implementation keeps none, and such clients fail
//!   with `invalid_client` (reason `client_secret_jwt_key_unavailable` in the event log) rather
//!   than being verified against something weaker;
//! * the key is checked against the record's digest (constant time) before it is used, so a key
//!   left behind after a secret rotation never authenticates;
//! * keys shorter than [`MIN_HMAC_SECRET_LEN`](crate::jose::MIN_HMAC_SECRET_LEN) are refused
//!   ("The client secret is too short to verify a JWT HMAC."); generated secrets are 43 bytes.
//!
//! `private_key_jwt` needs no secret: the assertion verifies against the registered public keys
//! (by `kid`, or the only key when the assertion has no `kid`). A client registered with a
//! `jwks_uri` only cannot authenticate: the library fetches nothing over the network.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::AuthServer;
use crate::endpoint::{EndpointResponse, ErrorCode, OAuthError, Params};
use crate::event::{Entity, Event};
use crate::jose::{self, HmacAlgorithm, JoseError, Jwks};
use crate::model::{ClientRecord, TokenEndpointAuthMethod};
use crate::secret::ClientSecret;
use crate::store::{ConfigStore, Directory, GrantStore};

/// The only `client_assertion_type` (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The event type of a refused client authentication.
pub const CLIENT_AUTH_EVENT_TYPE: &str = "app.oauth2.as.client.authenticate";

/// Clock skew tolerated on a client assertion's `iat`, `nbf` and one-hour `exp` bound.
pub const ASSERTION_CLOCK_SKEW: Duration = Duration::seconds(60);

/// How far ahead a client assertion's `exp` may be (reference §3.5).
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::hours(1);

/// The longest `jti` accepted, in bytes (it is stored until the assertion expires).
pub const MAX_JTI_LEN: usize = 256;

/// The `WWW-Authenticate` challenge sent with `invalid_client` when the client used the
/// `Authorization` header (RFC 6749 §5.2).
pub const BASIC_CHALLENGE: &str = "Basic realm=\"authserver\"";

const CLIENT_AUTH_FAILED: &str =
    "Client authentication failed. Either the client or the client credentials are invalid.";
const NO_CREDENTIALS: &str = "No client credentials found.";
const INVALID_CLIENT_ID: &str = "Invalid value for 'client_id' parameter.";
const BAD_SECRET: &str = "The client secret supplied for a confidential client is invalid.";
const BAD_HEADER: &str = "Found Authentication header but was not valid client credentials.";
const MULTIPLE_CREDENTIALS: &str = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.";
const QUERY_CREDENTIALS: &str = "Client credentials cannot be supplied via query parameters.";
const BAD_ASSERTION_TYPE: &str =
    "The 'client_assertion_type' parameter must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.";
const MISSING_ASSERTION: &str = "The 'client_assertion' parameter is required.";
const ASSERTION_INVALID: &str = "The client_assertion token is invalid.";
const ASSERTION_SIGNATURE: &str = "The client_assertion signature is invalid.";
const ASSERTION_ISSUER: &str =
    "The issuer [iss] and subject [sub] claims of the client_assertion must be the client_id.";
const ASSERTION_AUDIENCE: &str =
    "The audience [aud] claim for client_assertion must be the endpoint invoked for the client.";
const ASSERTION_EXPIRED: &str = "The client_assertion token is expired.";
const ASSERTION_NO_EXP: &str = "The client_assertion token must contain an expiration [exp] claim.";
const ASSERTION_TOO_LONG: &str = "The client_assertion token has an expiration too far into the future.";
const ASSERTION_IAT: &str = "The client_assertion token was issued in the future.";
const ASSERTION_NBF: &str = "The client_assertion token is not valid yet.";
const ASSERTION_NO_JTI: &str = "The client_assertion token must contain a valid 'jti' claim.";
const ASSERTION_REPLAY: &str = "The client_assertion token has already been used.";
const SHORT_SECRET: &str = "The client secret is too short to verify a JWT HMAC.";

/// How the client presented its credentials.
enum Presented<'a> {
    /// `Authorization: Basic`.
    Basic { client_id: String, secret: String },
    /// `client_id` and `client_secret` in the form.
    Post { client_id: &'a str, secret: &'a str },
    /// A `client_assertion` whose (unverified) `sub` names the client.
    Assertion { client_id: String, assertion: &'a str },
    /// `client_id` only.
    None { client_id: &'a str },
}

impl Presented<'_> {
    fn client_id(&self) -> &str {
        match self {
            Presented::Basic { client_id, .. } | Presented::Assertion { client_id, .. } => client_id,
            Presented::Post { client_id, .. } | Presented::None { client_id } => client_id,
        }
    }
}

/// A refusal: what the client sees, and the precise reason for the event log.
struct Refused {
    /// What the client sees.
    error: OAuthError,
    /// The precise reason, for the event log.
    reason: &'static str,
}

fn invalid_client(description: &'static str, reason: &'static str) -> Refused {
    Refused {
        error: OAuthError::new(ErrorCode::InvalidClient, description),
        reason,
    }
}

fn invalid_request(description: &'static str, reason: &'static str) -> Refused {
    Refused {
        error: OAuthError::new(ErrorCode::InvalidRequest, description),
        reason,
    }
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

/// Refuses client credentials in a query string (reference §4.1: "Client credentials cannot be
/// supplied via query parameters."). Call it with the request's raw query string before
/// [`AuthServer::authenticate_client`].
///
/// # Errors
/// `invalid_request` when the query holds `client_secret`, `client_assertion` or
/// `client_assertion_type`.
pub(crate) fn refuse_query_credentials(query: &str) -> Result<(), OAuthError> {
    let credential = url::form_urlencoded::parse(query.as_bytes())
        .any(|(name, _)| matches!(&*name, "client_secret" | "client_assertion" | "client_assertion_type"));
    if credential {
        Err(OAuthError::new(ErrorCode::InvalidRequest, QUERY_CREDENTIALS))
    } else {
        Ok(())
    }
}

/// The response for an error of [`AuthServer::authenticate_client`] (or any error of an endpoint
/// that authenticates clients): the JSON error, plus `WWW-Authenticate: Basic` when it is
/// `invalid_client` and the client used the `Authorization` header (RFC 6749 §5.2).
pub(crate) fn client_error_response(error: &OAuthError, authorization: Option<&str>) -> EndpointResponse {
    let response = error.response();
    if error.code == ErrorCode::InvalidClient && authorization.is_some() {
        response.with_header("WWW-Authenticate", BASIC_CHALLENGE)
    } else {
        response
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// Authenticates the client of a request to `endpoint_url` (the full URL of the endpoint
    /// called, which client assertions must name as `aud`) at `now`; see the
    /// [module documentation](self) for the methods and rules.
    ///
    /// # Errors
    /// `invalid_client` (401) when the client is unknown, inactive or fails authentication;
    /// `invalid_request` (400) when the request carries several kinds of credentials or a
    /// malformed assertion request; `server_error` when a store fails. Refusals are recorded as
    /// `app.oauth2.as.client.authenticate` events with the precise reason. Answer them with
    /// [`client_error_response`].
    pub(crate) async fn authenticate_client(
        &self,
        params: &Params,
        authorization: Option<&str>,
        endpoint_url: &str,
        now: OffsetDateTime,
    ) -> Result<ClientRecord, OAuthError> {
        let presented = match presented(params, authorization) {
            Ok(presented) => presented,
            Err(refused) => return Err(self.refuse(refused, params.get("client_id"), now)),
        };
        let client_id = presented.client_id().to_owned();
        self.verify_presented(presented, endpoint_url, now)
            .await
            .map_err(|refused| self.refuse(refused, Some(&client_id), now))
    }

    /// Records a refused authentication and returns what the client sees.
    fn refuse(&self, refused: Refused, client_id: Option<&str>, now: OffsetDateTime) -> OAuthError {
        if refused.error.code != ErrorCode::ServerError {
            let mut event = Event::failure(
                CLIENT_AUTH_EVENT_TYPE,
                "OAuth2 client authentication refused",
                refused.reason,
                refused.error.description.clone(),
                now,
            );
            if let Some(client_id) = client_id {
                event = event
                    .with_client(client_id)
                    .with_actor(Entity::new("PublicClientApp", client_id));
            }
            self.record(event);
        }
        refused.error
    }

    async fn verify_presented(
        &self,
        presented: Presented<'_>,
        endpoint_url: &str,
        now: OffsetDateTime,
    ) -> Result<ClientRecord, Refused> {
        let internal = || Refused {
            error: OAuthError::internal(),
            reason: "store_failure",
        };
        let client_id = presented.client_id();
        let unknown = match presented {
            Presented::None { .. } => invalid_client(INVALID_CLIENT_ID, "unknown_client"),
            _ => invalid_client(CLIENT_AUTH_FAILED, "unknown_client"),
        };
        let record = self
            .directory()
            .client(client_id)
            .await
            .map_err(|_| internal())?
            .ok_or(unknown)?;
        if !record.client.status.is_active() {
            return Err(invalid_client(CLIENT_AUTH_FAILED, "client_inactive"));
        }
        let registered = record.client.token_endpoint_auth_method;
        match presented {
            Presented::Basic { secret, .. } => {
                expect_method(registered, TokenEndpointAuthMethod::ClientSecretBasic)?;
                check_secret(&record, &secret, now)?;
            }
            Presented::Post { secret, .. } => {
                expect_method(registered, TokenEndpointAuthMethod::ClientSecretPost)?;
                check_secret(&record, secret, now)?;
            }
            Presented::None { .. } => {
                if registered != TokenEndpointAuthMethod::None {
                    // A confidential client that sent no secret.
                    return Err(invalid_client(BAD_SECRET, "missing_client_secret"));
                }
            }
            Presented::Assertion { assertion, .. } => {
                let verified = match registered {
                    TokenEndpointAuthMethod::ClientSecretJwt => {
                        let key = self
                            .directory()
                            .client_secret_jwt_key(client_id)
                            .await
                            .map_err(|_| internal())?
                            .ok_or_else(|| invalid_client(CLIENT_AUTH_FAILED, "client_secret_jwt_key_unavailable"))?;
                        check_secret(&record, key.expose(), now)
                            .map_err(|_| invalid_client(CLIENT_AUTH_FAILED, "client_secret_jwt_key_stale"))?;
                        jose::verify_hmac(assertion, key.expose().as_bytes(), &HmacAlgorithm::ALL)
                    }
                    TokenEndpointAuthMethod::PrivateKeyJwt => verify_with_registered_keys(&record, assertion)?,
                    _ => return Err(invalid_client(CLIENT_AUTH_FAILED, "auth_method_mismatch")),
                };
                let verified = verified.map_err(|error| match error {
                    JoseError::WeakSecret => invalid_client(SHORT_SECRET, "client_secret_too_short"),
                    JoseError::InvalidSignature => invalid_client(ASSERTION_SIGNATURE, "assertion_signature_invalid"),
                    _ => invalid_client(ASSERTION_INVALID, "assertion_unverifiable"),
                })?;
                let claims: AssertionClaims = verified
                    .claims()
                    .map_err(|_| invalid_client(ASSERTION_INVALID, "assertion_claims_malformed"))?;
                let (jti, expires_at) = check_assertion_claims(&claims, client_id, endpoint_url, now)?;
                let first_use = self
                    .grants
                    .record_assertion_jti(client_id, jti, expires_at, now)
                    .await
                    .map_err(|_| internal())?;
                if !first_use {
                    return Err(invalid_client(ASSERTION_REPLAY, "assertion_replayed"));
                }
            }
        }
        Ok(record)
    }
}

/// Works out which credentials the request carries, refusing combinations.
fn presented<'p>(params: &'p Params, authorization: Option<&str>) -> Result<Presented<'p>, Refused> {
    let form_id = params.get("client_id");
    let form_secret = params.get("client_secret");
    let assertion_type = params.get("client_assertion_type");
    let assertion = params.get("client_assertion");
    let uses_assertion = assertion_type.is_some() || assertion.is_some();
    let kinds = usize::from(authorization.is_some()) + usize::from(form_secret.is_some()) + usize::from(uses_assertion);
    if kinds > 1 {
        return Err(invalid_request(MULTIPLE_CREDENTIALS, "multiple_client_credentials"));
    }
    if let Some(header) = authorization {
        let (client_id, secret) = crate::endpoint::basic_credentials(header)
            .ok_or_else(|| invalid_client(BAD_HEADER, "malformed_authorization_header"))?;
        if form_id.is_some_and(|id| id != client_id) {
            return Err(invalid_request(MULTIPLE_CREDENTIALS, "client_id_mismatch"));
        }
        return Ok(Presented::Basic { client_id, secret });
    }
    if uses_assertion {
        if assertion_type != Some(JWT_BEARER_ASSERTION) {
            return Err(invalid_request(BAD_ASSERTION_TYPE, "invalid_client_assertion_type"));
        }
        let assertion = assertion.ok_or_else(|| invalid_request(MISSING_ASSERTION, "missing_client_assertion"))?;
        let claims =
            unverified_claims(assertion).ok_or_else(|| invalid_client(ASSERTION_INVALID, "assertion_malformed"))?;
        let client_id = claims
            .sub
            .ok_or_else(|| invalid_client(ASSERTION_ISSUER, "assertion_missing_sub"))?;
        if form_id.is_some_and(|id| id != client_id) {
            return Err(invalid_client(ASSERTION_ISSUER, "client_id_mismatch"));
        }
        return Ok(Presented::Assertion { client_id, assertion });
    }
    match (form_id, form_secret) {
        (Some(client_id), Some(secret)) => Ok(Presented::Post { client_id, secret }),
        (Some(client_id), None) => Ok(Presented::None { client_id }),
        (None, Some(_)) => Err(invalid_client(INVALID_CLIENT_ID, "missing_client_id")),
        (None, None) => Err(invalid_client(NO_CREDENTIALS, "missing_client_credentials")),
    }
}

/// Refuses a method other than the registered one.
fn expect_method(registered: TokenEndpointAuthMethod, used: TokenEndpointAuthMethod) -> Result<(), Refused> {
    if registered == used {
        Ok(())
    } else {
        Err(invalid_client(CLIENT_AUTH_FAILED, "auth_method_mismatch"))
    }
}

/// Checks a presented secret against the record's digest (constant time) and expiry.
fn check_secret(record: &ClientRecord, secret: &str, now: OffsetDateTime) -> Result<(), Refused> {
    let Some(hash) = record.client_secret_hash.as_ref() else {
        return Err(invalid_client(BAD_SECRET, "client_has_no_secret"));
    };
    if !ClientSecret::from_received(secret).verify(hash) {
        return Err(invalid_client(BAD_SECRET, "invalid_client_secret"));
    }
    let expired = record
        .client_secret_expires_at
        .is_some_and(|at| at != 0 && at <= now.unix_timestamp());
    if expired {
        return Err(invalid_client(BAD_SECRET, "client_secret_expired"));
    }
    Ok(())
}

/// Verifies a `private_key_jwt` assertion with the client's registered `jwks`: by `kid`, or with
/// the only key when the assertion carries none.
fn verify_with_registered_keys(
    record: &ClientRecord,
    assertion: &str,
) -> Result<Result<jose::Verified, JoseError>, Refused> {
    let no_keys = || invalid_client(CLIENT_AUTH_FAILED, "client_has_no_usable_jwks");
    let jwks: Jwks = record
        .client
        .jwks
        .clone()
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or_else(no_keys)?;
    Ok(match jose::verify(assertion, &jwks) {
        Err(JoseError::MissingKid) => match jwks.keys.as_slice() {
            [only] => jose::verify_with_key(assertion, only),
            _ => Err(JoseError::MissingKid),
        },
        other => other,
    })
}

/// Checks a verified assertion's claims; returns its `jti` and expiry for the single-use record.
fn check_assertion_claims<'c>(
    claims: &'c AssertionClaims,
    client_id: &str,
    endpoint_url: &str,
    now: OffsetDateTime,
) -> Result<(&'c str, OffsetDateTime), Refused> {
    if claims.iss.as_deref() != Some(client_id) || claims.sub.as_deref() != Some(client_id) {
        return Err(invalid_client(ASSERTION_ISSUER, "assertion_issuer_mismatch"));
    }
    if !claims.aud.as_ref().is_some_and(|aud| aud.contains(endpoint_url)) {
        return Err(invalid_client(ASSERTION_AUDIENCE, "assertion_audience_mismatch"));
    }
    let exp = claims
        .exp
        .ok_or_else(|| invalid_client(ASSERTION_NO_EXP, "assertion_missing_exp"))?;
    let expires_at = OffsetDateTime::from_unix_timestamp(exp)
        .map_err(|_| invalid_client(ASSERTION_INVALID, "assertion_exp_out_of_range"))?;
    if expires_at <= now {
        return Err(invalid_client(ASSERTION_EXPIRED, "assertion_expired"));
    }
    if expires_at > now + MAX_ASSERTION_LIFETIME + ASSERTION_CLOCK_SKEW {
        return Err(invalid_client(ASSERTION_TOO_LONG, "assertion_exp_too_far"));
    }
    let latest = (now + ASSERTION_CLOCK_SKEW).unix_timestamp();
    if claims.iat.is_some_and(|iat| iat > latest) {
        return Err(invalid_client(ASSERTION_IAT, "assertion_iat_in_future"));
    }
    if claims.nbf.is_some_and(|nbf| nbf > latest) {
        return Err(invalid_client(ASSERTION_NBF, "assertion_not_yet_valid"));
    }
    let jti = claims
        .jti
        .as_deref()
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
        .ok_or_else(|| invalid_client(ASSERTION_NO_JTI, "assertion_missing_jti"))?;
    Ok((jti, expires_at))
}

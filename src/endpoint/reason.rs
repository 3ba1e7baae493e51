//! Why an endpoint refused a request, and the one mapping from that reason to the wire.
//!
//! Errors come in three levels (the split rustls makes):
//!
//! 1. [`ErrorCode`]: the OAuth `error` value on the wire (RFC 6749 §5.2 and its extensions);
//! 2. [`OAuthError`]: what the client receives: code, fixed `error_description` and HTTP status;
//! 3. [`Reason`]: why, precisely: the reason code recorded in the System Log event's
//!    `debugContext.debugData.reasonCode`, and for failures inside the server the error that
//!    caused it ([`ServerFailure`], with its source chain).
//!
//! The mapping is written once, on [`Reason`]: each variant's `Display` is its fixed
//! `error_description` (Okta's, where Okta has one; see Okta's "Error codes" and "OAuth 2.0 and
//! OpenID Connect errors" pages), [`Reason::error`] adds the OAuth error code and HTTP status, and
//! [`Reason::code`] names it for the event log. Descriptions never echo what the client sent. A
//! server failure reaches the client as the generic `server_error` text only; its cause (the
//! error's `source` chain) goes to the event log.
//!
//! How an error is delivered (JSON, a redirect to the client, an error page, a
//! `WWW-Authenticate` challenge) is the endpoint's business, not the reason's.

use std::error::Error;
use std::fmt;

use super::error::{ErrorCode, OAuthError};
use crate::admin::ApiError;
use crate::claims::{ClaimDefinitionError, ClaimError};
use crate::crypto::CryptoError;
use crate::event::Severity;
use crate::jose::JoseError;
use crate::keys::KeyError;
use crate::model::{GrantType, ResponseType};
use crate::policy::Denial;
use crate::store::StoreError;
use crate::store::grants::GrantId;

/// Why a token this server issued is not valid (RFC 7662 §2.2: any of these introspects as
/// `{"active": false}`; RFC 6750 §3.1: `invalid_token` at a resource).
///
/// Implicit revocation follows Okta's "Revoke tokens" rules: a token stops working when the
/// authorization server's configuration, the client or the user changed after it was minted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenInvalid {
    /// Not a JWS this server signed (malformed, unknown key, bad signature), or not an access
    /// token's claims.
    Malformed,
    /// `iss` is not this server's issuer.
    WrongIssuer,
    /// `exp` has passed, or the refresh token's lifetime or idle window ran out.
    Expired,
    /// `iat` lies further in the future than the clock skew allows.
    IssuedInFuture,
    /// The access token's `jti` was revoked (RFC 7009).
    Revoked,
    /// The token's grant (refresh-token family) was revoked.
    GrantRevoked,
    /// The server's configuration changed after the token was minted.
    ConfigurationChanged,
    /// The client is unknown or not `ACTIVE`.
    ClientInactive,
    /// The client was changed after the token was minted.
    ClientChanged,
    /// The user is unknown, not `ACTIVE`, or had their status changed after the token was
    /// minted.
    UserInactive,
    /// The user is no longer assigned to the client.
    UserUnassigned,
    /// No such refresh token.
    Unknown,
    /// The refresh token was rotated away.
    Consumed,
    /// The refresh token was issued by another authorization server.
    OtherServer,
    /// A public client presented another client's token (RFC 7662 §2.1 lets a server decide
    /// which tokens a client may introspect).
    OtherClient,
}

impl TokenInvalid {
    /// The reason code recorded in events.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed_token",
            Self::WrongIssuer => "wrong_issuer",
            Self::Expired => "token_expired",
            Self::IssuedInFuture => "issued_in_future",
            Self::Revoked => "token_revoked",
            Self::GrantRevoked => "grant_revoked",
            Self::ConfigurationChanged => "configuration_changed",
            Self::ClientInactive => "client_inactive",
            Self::ClientChanged => "client_changed",
            Self::UserInactive => "user_inactive",
            Self::UserUnassigned => "user_not_assigned",
            Self::Unknown => "token_unknown",
            Self::Consumed => "token_rotated",
            Self::OtherServer => "other_authorization_server",
            Self::OtherClient => "token_of_another_client",
        }
    }
}

impl fmt::Display for TokenInvalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A failure inside the server: a store, the randomness source, the key material or the signer.
/// The client sees only `server_error`; the event log gets this error and its sources.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerFailure {
    /// The server's claims do not compile (only a store written by other means than the
    /// management API holds such claims).
    #[error("the server's claims do not compile: {}", listed(.0))]
    ClaimsDoNotCompile(Vec<ClaimDefinitionError>),
    /// A store failed.
    #[error("a store failed")]
    Store(#[from] StoreError),
    /// Signing a token failed.
    #[error("signing a token failed")]
    Signing(#[source] JoseError),
    /// The randomness source failed.
    #[error("the randomness source failed")]
    Randomness(#[from] CryptoError),
    /// The key material could not open the signing key.
    #[error("the key material failed")]
    Keys(#[from] KeyError),
    /// Rotating the server's keys failed.
    #[error("rotating the keys failed")]
    KeyRotation(#[source] Box<ApiError>),
    /// A response could not be serialized.
    #[error("a response could not be serialized")]
    Serialization(#[from] serde_json::Error),
    /// The CPU pool gave no answer (the computation panicked).
    #[error("the CPU pool gave no answer")]
    CpuPool(#[source] crate::cpu_pool::PoolError),
}

impl ServerFailure {
    /// The failure and its sources, outermost first, joined by `": "`: what events record.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

/// Why a request was refused: the precise reason behind every refusal of the OAuth endpoints.
///
/// Its `Display` is the fixed description the client receives, [`error`](Self::error) the whole
/// wire error (code, description, status) and [`code`](Self::code) the reason recorded in the
/// event log; [`severity`](Self::severity) says whether the refusal is worth a look. Where one description serves several causes (an unknown
/// client and a wrong secret read alike, so the answer does not tell whether a client exists),
/// the reasons still differ.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    // ---- Reading the request ----
    /// The token endpoint takes only `POST` (RFC 6749 §3.2).
    #[error("The token endpoint accepts only POST requests.")]
    TokenNotPost,
    /// Introspection, revocation, userinfo and logout take only their methods.
    #[error("Invalid request")]
    MethodNotAllowed,
    /// The token request's form is larger than the endpoint reads.
    #[error("The request is too large.")]
    RequestTooLarge,
    /// A parameter was sent twice (RFC 6749 §3.1), at an endpoint that answers in JSON.
    #[error("The request contained multiple parameters with the same name.")]
    RepeatedParameter,
    /// The parameters could not be read (too large).
    #[error("Invalid request")]
    UnreadableParameters,
    /// A parameter was sent twice at the authorize or logout endpoint, which answer with a page.
    #[error("The request contained multiple parameters with the same name.")]
    BrowserRepeatedParameter,
    /// The authorize request's parameters are larger than the endpoint reads.
    #[error("The request parameters are too long.")]
    AuthorizeParametersTooLong,
    /// `token` is missing at introspection or revocation (RFC 7662 §2.1, RFC 7009 §2.1).
    #[error("The 'token' parameter is required.")]
    MissingToken,

    // ---- Client authentication (RFC 6749 §2.3, RFC 7523 §3, OpenID Connect Core §9) ----
    /// Client credentials in the query string.
    #[error("Client credentials cannot be supplied via query parameters.")]
    QueryCredentials,
    /// More than one kind of client credentials in one request.
    #[error(
        "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."
    )]
    MultipleClientCredentials,
    /// The form's `client_id` names another client than the `Authorization` header.
    #[error(
        "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."
    )]
    HeaderClientIdMismatch,
    /// The form's `client_id` names another client than the assertion's `sub`.
    #[error("The issuer [iss] and subject [sub] claims of the client_assertion must be the client_id.")]
    AssertionClientIdMismatch,
    /// An `Authorization` header that is not `Basic` credentials.
    #[error("Found Authentication header but was not valid client credentials.")]
    MalformedAuthorizationHeader,
    /// A `client_assertion_type` other than JWT bearer (RFC 7523 §2.2).
    #[error("The 'client_assertion_type' parameter must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.")]
    InvalidClientAssertionType,
    /// `client_assertion_type` without `client_assertion`.
    #[error("The 'client_assertion' parameter is required.")]
    MissingClientAssertion,
    /// The assertion is not a readable JWS.
    #[error("The client_assertion token is invalid.")]
    AssertionMalformed,
    /// The assertion has no `sub`.
    #[error("The issuer [iss] and subject [sub] claims of the client_assertion must be the client_id.")]
    AssertionMissingSub,
    /// A `client_secret` without a `client_id`.
    #[error("Invalid value for 'client_id' parameter.")]
    MissingClientId,
    /// No client credentials at all.
    #[error("No client credentials found.")]
    MissingClientCredentials,
    /// No such client, for a client that sent credentials.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    UnknownClient,
    /// No such client, for a client that sent only its `client_id`. Okta names the parameter
    /// here; we answer as for every failed authentication, so that whether a client id exists
    /// cannot be told from the answer.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    UnknownPublicClient,
    /// The client is not `ACTIVE`.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    ClientInactive,
    /// The client used another method than its `token_endpoint_auth_method`.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    AuthMethodMismatch,
    /// A confidential client sent no secret. Okta answers "The client secret supplied for a confidential client is
    /// invalid."; we answer as for an unknown client, so client ids cannot be enumerated.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    MissingClientSecret,
    /// The client has no secret to compare with. Okta answers "The client secret supplied for a confidential client is
    /// invalid."; we answer as for an unknown client, so client ids cannot be enumerated.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    ClientHasNoSecret,
    /// The secret does not match. Okta answers "The client secret supplied for a confidential client is
    /// invalid."; we answer as for an unknown client, so client ids cannot be enumerated.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    InvalidClientSecret,
    /// The secret expired (`client_secret_expires_at`). Okta answers "The client secret supplied for a confidential client is
    /// invalid."; we answer as for an unknown client, so client ids cannot be enumerated.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    ClientSecretExpired,
    /// The directory keeps no `client_secret_jwt` key for the client.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    ClientSecretJwtKeyUnavailable,
    /// The directory's `client_secret_jwt` key is not the client's current secret.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    ClientSecretJwtKeyStale,
    /// A `private_key_jwt` client without usable registered keys.
    #[error("Client authentication failed. Either the client or the client credentials are invalid.")]
    ClientHasNoUsableJwks,
    /// The secret is too short for an HMAC.
    #[error("The client secret is too short to verify a JWT HMAC.")]
    ClientSecretTooShort,
    /// The assertion's signature does not verify.
    #[error("The client_assertion signature is invalid.")]
    AssertionSignatureInvalid,
    /// The assertion cannot be verified (no matching key, unsupported algorithm, …).
    #[error("The client_assertion token is invalid.")]
    AssertionUnverifiable,
    /// The verified assertion's claims are not claims.
    #[error("The client_assertion token is invalid.")]
    AssertionClaimsMalformed,
    /// `iss` or `sub` is not the client id.
    #[error("The issuer [iss] and subject [sub] claims of the client_assertion must be the client_id.")]
    AssertionIssuerMismatch,
    /// `aud` does not name the endpoint.
    #[error("The audience [aud] claim for client_assertion must be the endpoint invoked for the client.")]
    AssertionAudienceMismatch,
    /// No `exp`.
    #[error("The client_assertion token must contain an expiration [exp] claim.")]
    AssertionMissingExp,
    /// `exp` is not a representable instant.
    #[error("The client_assertion token is invalid.")]
    AssertionExpOutOfRange,
    /// `exp` has passed.
    #[error("The client_assertion token is expired.")]
    AssertionExpired,
    /// `exp` is more than an hour ahead.
    #[error("The client_assertion token has an expiration too far into the future.")]
    AssertionExpTooFar,
    /// `iat` is in the future.
    #[error("The client_assertion token was issued in the future.")]
    AssertionIssuedInFuture,
    /// `nbf` has not passed.
    #[error("The client_assertion token is not valid yet.")]
    AssertionNotYetValid,
    /// No usable `jti`.
    #[error("The client_assertion token must contain a valid 'jti' claim.")]
    AssertionMissingJti,
    /// The `jti` was used before (RFC 7523 §3).
    #[error("The client_assertion token has already been used.")]
    AssertionReplayed,
    /// Client authentication failed at the token endpoint, for the reason inside (recorded
    /// under its own reason by the client-authentication event).
    #[error("{0}")]
    ClientAuthentication(#[source] Box<Reason>),

    // ---- The token endpoint (RFC 6749 §4, §5.2, §6) ----
    /// No `grant_type`.
    #[error("The 'grant_type' parameter is required.")]
    MissingGrantType,
    /// A `grant_type` this server does not serve.
    #[error(
        "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, password, client_credentials, refresh_token]."
    )]
    UnsupportedGrantType,
    /// The client may not use the grant type; `configured` are its `grant_types`.
    #[error(
        "The client is not authorized to use the provided grant type. Configured grant types: [{}].",
        listed(configured)
    )]
    GrantTypeNotAllowed {
        /// The client's grant types.
        configured: Vec<GrantType>,
    },
    /// `scope` is too long or not RFC 6749 §3.3 syntax.
    #[error("The requested scope is invalid, unknown, or malformed.")]
    MalformedScope,
    /// No `code`.
    #[error("The 'code' parameter is required.")]
    MissingCode,
    /// No `refresh_token`.
    #[error("The 'refresh_token' parameter is required.")]
    MissingRefreshToken,
    /// No `username`.
    #[error("The 'username' parameter is required.")]
    MissingUsername,
    /// No `password`.
    #[error("The 'password' parameter is required.")]
    MissingPassword,
    /// The code is unknown, expired, or of another server.
    #[error("The authorization code is invalid or has expired.")]
    InvalidCode,
    /// The code was redeemed before (RFC 6749 §4.1.2, §10.5): grant `grant` is revoked.
    #[error("The authorization code is invalid or has expired.")]
    AuthorizationCodeReplayed {
        /// The grant the code belonged to.
        grant: GrantId,
    },
    /// The code or refresh token was issued to another client.
    #[error(
        "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request."
    )]
    GrantOfOtherClient,
    /// `redirect_uri` differs from the authorization request's (RFC 6749 §4.1.3).
    #[error("The 'redirect_uri' does not match the redirection URI used in the authorization request.")]
    RedirectUriMismatch,
    /// The `code_verifier` does not match the challenge (RFC 7636 §4.6).
    #[error("PKCE verification failed.")]
    PkceMismatch,
    /// The code has a challenge but no `code_verifier` came.
    #[error("PKCE verification failed.")]
    MissingCodeVerifier,
    /// A `code_verifier` for a code without a challenge (RFC 9700 §2.1.1: a downgrade).
    #[error("PKCE verification failed.")]
    UnexpectedCodeVerifier,
    /// A public client's code without a challenge.
    #[error("PKCE verification failed.")]
    PkceRequired,
    /// The grant's user is unknown or not `ACTIVE`.
    #[error("The user is no longer available.")]
    UserUnavailable,
    /// The user is not assigned to the client.
    #[error("User is not assigned to the client application.")]
    UserNotAssigned,
    /// Wrong username or password, or the user cannot sign in.
    #[error("The credentials provided were invalid.")]
    InvalidCredentials,
    /// A public client asked for client credentials.
    #[error("Client credentials requests require a confidential client.")]
    PublicClientCredentials,
    /// No such refresh token.
    #[error("The refresh token is invalid or expired.")]
    UnknownRefreshToken,
    /// The refresh token's family was revoked.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenRevoked,
    /// The refresh token was issued by another authorization server.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenForOtherServer,
    /// The refresh token's family lifetime ran out.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenExpired,
    /// The refresh token was unused for longer than its idle window.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenIdle,
    /// A rotated-away refresh token was presented after the leeway: grant `grant` is revoked.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenReused {
        /// The refresh token's grant (its family).
        grant: GrantId,
    },
    /// The refresh token's grant names a grant type this server does not know.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenUnknownGrantType,
    /// The refresh token is implicitly revoked, for the reason inside.
    #[error("The refresh token is invalid or expired.")]
    RefreshTokenInvalid(TokenInvalid),
    /// The access policies denied the request (Okta's catalogue id is the reason code).
    #[error("{}", .0.description())]
    PolicyDenied(Denial),
    /// Minting the tokens failed at the token endpoint, for the reason inside.
    #[error("{0}")]
    TokenMinting(#[source] Box<Reason>),

    // ---- The authorize endpoint (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) ----
    /// `client_id` is missing or names no active client: an error page, never a redirect.
    #[error("Invalid value for 'client_id' parameter.")]
    InvalidClientId,
    /// `redirect_uri` is not one of the client's: an error page, never a redirect.
    #[error("The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.")]
    IllegalRedirectUri,
    /// `request_uri`: the library fetches nothing (OpenID Connect Core §6.2 is optional).
    #[error("The 'request_uri' parameter is not supported.")]
    RequestUriNotSupported,
    /// `request` is not a compact JWS with a JSON object as payload.
    #[error("The request object is not a well-formed JWT.")]
    RequestObjectMalformed,
    /// `request` is unsigned (`alg: none`).
    #[error("The request object must be signed.")]
    RequestObjectUnsigned,
    /// The client has no key for the request object's algorithm: no registered `jwks` for RSA
    /// or ECDSA, no secret the directory keeps for HMAC.
    #[error("The client has no key to verify the request object with.")]
    RequestObjectNoKey,
    /// The request object's signature does not verify with the client's keys.
    #[error("The request object's signature is invalid.")]
    RequestObjectSignatureInvalid,
    /// The request object's `iss` is not the client, or its `aud` not the issuer.
    #[error("The request object's 'iss' or 'aud' claim is invalid.")]
    RequestObjectIssuerOrAudience,
    /// The request object is expired, not yet valid, or expires more than an hour ahead.
    #[error("The request object is expired or not yet valid.")]
    RequestObjectExpired,
    /// The request object's `jti` was used before.
    #[error("The request object has already been used.")]
    RequestObjectReplayed,
    /// `client_id` or `response_type` differ between the request object and the query
    /// (OpenID Connect Core §6.1), or a request object holds `request` or `request_uri`.
    #[error("The request object's parameters do not match the request's.")]
    RequestObjectParameterMismatch,
    /// No `response_type`.
    #[error("The 'response_type' parameter is required.")]
    ResponseTypeMissing,
    /// `claims` is not a JSON object whose `id_token` and `userinfo` members name claims
    /// (OpenID Connect Core §5.5).
    #[error("The 'claims' parameter is invalid.")]
    InvalidClaimsParameter,
    /// A `response_type` the client may not use; `configured` are its `response_types`.
    #[error(
        "The response type is not supported by the authorization server. Configured response types: [{}].",
        listed(configured)
    )]
    ResponseTypeNotAllowed {
        /// The client's response types.
        configured: Vec<ResponseType>,
    },
    /// The response type needs a grant type the client may not use.
    #[error(
        "The client is not authorized to use the provided grant type. Configured grant types: [{}].",
        listed(configured)
    )]
    AuthorizeGrantTypeNotAllowed {
        /// The client's grant types.
        configured: Vec<GrantType>,
    },
    /// An unknown `response_mode`.
    #[error(
        "The response mode is not supported by the authorization server. Valid response modes: [query, fragment, form_post, okta_post_message]."
    )]
    UnsupportedResponseMode,
    /// `response_mode=query` with tokens.
    #[error("'query' response mode cannot be used with either the 'id_token' or 'token' response types.")]
    QueryModeWithTokens,
    /// `response_mode=okta_post_message` for the code flow.
    #[error("'okta_post_message' response mode cannot be used with the 'code' response type.")]
    PostMessageWithCode,
    /// `response_mode=okta_post_message` without an http(s) redirect URI.
    #[error("'okta_post_message' response mode requires an http or https redirect URI.")]
    PostMessageNeedsWebOrigin,
    /// `state` is missing, not VSCHAR (RFC 6749 Appendix A.5) or too long.
    #[error("The authentication request has an invalid 'state' parameter.")]
    InvalidState,
    /// `scope` is too long or not RFC 6749 §3.3 syntax, at the authorize endpoint.
    #[error("The requested scope is invalid, unknown, or malformed.")]
    AuthorizeScopeMalformed,
    /// An ID token or OpenID claim scopes without `openid`.
    #[error("Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.")]
    OpenidRequired,
    /// Tokens from the authorize endpoint without `nonce`.
    #[error(
        "The 'nonce' parameter is required for authorize requests with either the 'id_token' or 'token' response types.."
    )]
    NonceRequired,
    /// An invalid `prompt`.
    #[error("The 'prompt' parameter is invalid.")]
    InvalidPrompt,
    /// An invalid `max_age`.
    #[error("The 'max_age' parameter is invalid.")]
    InvalidMaxAge,
    /// A public client without a PKCE challenge.
    #[error("PKCE code challenge is required by the application.")]
    PkceChallengeRequired,
    /// A PKCE method other than `S256`.
    #[error("PKCE code challenge method is invalid. Only S256 is supported.")]
    PkceMethodUnsupported,
    /// A malformed PKCE challenge.
    #[error("PKCE code challenge is invalid.")]
    PkceChallengeInvalid,
    /// A PKCE method without a challenge.
    #[error("PKCE code challenge is required when the code challenge method is specified.")]
    PkceChallengeMissing,
    /// `prompt=none` without a usable session.
    #[error("The client specified not to prompt, but the user is not logged in.")]
    LoginRequired,
    /// The session's user is unknown or not `ACTIVE`.
    #[error("The resource owner or authorization server denied the request.")]
    SessionUserInactive,

    // ---- Userinfo (RFC 6750 §3.1, OpenID Connect Core §5.3.3) ----
    /// The access token came in the query string.
    #[error("The access token cannot be presented in a query string.")]
    AccessTokenInQuery,
    /// The access token came both in `Authorization` and in the form (RFC 6750 §2: "Clients
    /// MUST NOT use more than one method to transmit the token in each request").
    #[error("The access token must be presented in only one way.")]
    AccessTokenTwice,
    /// The access token is not valid, for the reason inside.
    #[error("The access token is invalid.")]
    AccessTokenInvalid(TokenInvalid),
    /// The access token lacks `openid`.
    #[error("The access token must provide access to at least one of these scopes - profile, email, address or phone")]
    InsufficientScope,

    // ---- Logout (OpenID Connect RP-Initiated Logout) ----
    /// A `post_logout_redirect_uri` without an `id_token_hint` or a `client_id` naming the
    /// client it is registered on (RP-Initiated Logout §3).
    #[error("The 'id_token_hint' parameter is required with 'post_logout_redirect_uri'.")]
    MissingIdTokenHint,
    /// `client_id` is not the client the `id_token_hint` was issued to (RP-Initiated Logout §2).
    #[error("The 'client_id' parameter does not match the ID token's audience.")]
    LogoutClientIdMismatch,
    /// `id_token_hint` is not an ID token of this server.
    #[error("The 'id_token_hint' parameter is not a valid ID token.")]
    InvalidIdTokenHint,
    /// `post_logout_redirect_uri` is not registered on the token's client.
    #[error("The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.")]
    IllegalPostLogoutRedirectUri,

    // ---- Failures ----
    /// The CPU pool's queue is full and too many requests already wait for it
    /// ([`PoolError::Overloaded`](crate::cpu_pool::PoolError::Overloaded)): `503
    /// temporarily_unavailable` (RFC 6749 §4.1.2.1's code; nothing is stored or spent), so clients
    /// back off rather than wait in an ever-longer line.
    #[error("The server is temporarily unable to handle the request.")]
    Overloaded,
    /// A claim could not be evaluated (Okta answers `server_error` with HTTP 400 and names the
    /// claim).
    #[error("{}", ClaimError::description(.0))]
    ClaimFailed(#[source] Box<ClaimError>),
    /// Something inside the server failed.
    #[error("The server encountered an internal error.")]
    Server(#[source] ServerFailure),
}

/// `a, b, c` of wire spellings.
fn listed<T: fmt::Display>(items: &[T]) -> String {
    let names: Vec<String> = items.iter().map(ToString::to_string).collect();
    names.join(", ")
}

impl Reason {
    /// The reason code recorded in the event log (`debugContext.debugData.reasonCode`): Okta's
    /// catalogue id for policy denials, the OAuth error code for most refusals at the authorize
    /// endpoint, a precise code elsewhere.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TokenNotPost | Self::MethodNotAllowed => "method_not_allowed",
            Self::RequestTooLarge => "request_too_large",
            Self::RepeatedParameter => "repeated_parameter",
            Self::UnreadableParameters
            | Self::BrowserRepeatedParameter
            | Self::AuthorizeParametersTooLong
            | Self::ResponseTypeMissing
            | Self::InvalidClaimsParameter
            | Self::InvalidState
            | Self::NonceRequired
            | Self::InvalidPrompt
            | Self::InvalidMaxAge
            | Self::PkceChallengeRequired
            | Self::PkceMethodUnsupported
            | Self::PkceChallengeInvalid
            | Self::PkceChallengeMissing => "invalid_request",
            Self::MissingToken => "missing_token",
            Self::QueryCredentials => "query_credentials",
            Self::MultipleClientCredentials => "multiple_client_credentials",
            Self::HeaderClientIdMismatch | Self::AssertionClientIdMismatch => "client_id_mismatch",
            Self::MalformedAuthorizationHeader => "malformed_authorization_header",
            Self::InvalidClientAssertionType => "invalid_client_assertion_type",
            Self::MissingClientAssertion => "missing_client_assertion",
            Self::AssertionMalformed => "assertion_malformed",
            Self::AssertionMissingSub => "assertion_missing_sub",
            Self::MissingClientId => "missing_client_id",
            Self::MissingClientCredentials => "missing_client_credentials",
            Self::UnknownClient | Self::UnknownPublicClient => "unknown_client",
            Self::ClientInactive => "client_inactive",
            Self::AuthMethodMismatch => "auth_method_mismatch",
            Self::MissingClientSecret => "missing_client_secret",
            Self::ClientHasNoSecret => "client_has_no_secret",
            Self::InvalidClientSecret => "invalid_client_secret",
            Self::ClientSecretExpired => "client_secret_expired",
            Self::ClientSecretJwtKeyUnavailable => "client_secret_jwt_key_unavailable",
            Self::ClientSecretJwtKeyStale => "client_secret_jwt_key_stale",
            Self::ClientHasNoUsableJwks => "client_has_no_usable_jwks",
            Self::ClientSecretTooShort => "client_secret_too_short",
            Self::AssertionSignatureInvalid => "assertion_signature_invalid",
            Self::AssertionUnverifiable => "assertion_unverifiable",
            Self::AssertionClaimsMalformed => "assertion_claims_malformed",
            Self::AssertionIssuerMismatch => "assertion_issuer_mismatch",
            Self::AssertionAudienceMismatch => "assertion_audience_mismatch",
            Self::AssertionMissingExp => "assertion_missing_exp",
            Self::AssertionExpOutOfRange => "assertion_exp_out_of_range",
            Self::AssertionExpired => "assertion_expired",
            Self::AssertionExpTooFar => "assertion_exp_too_far",
            Self::AssertionIssuedInFuture => "assertion_iat_in_future",
            Self::AssertionNotYetValid => "assertion_not_yet_valid",
            Self::AssertionMissingJti => "assertion_missing_jti",
            Self::AssertionReplayed => "assertion_replayed",
            Self::MissingGrantType => "missing_grant_type",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::GrantTypeNotAllowed { .. } => "unauthorized_grant_type",
            Self::MalformedScope => "malformed_scope",
            Self::MissingCode => "missing_code",
            Self::MissingRefreshToken => "missing_refresh_token",
            Self::MissingUsername => "missing_username",
            Self::MissingPassword => "missing_password",
            Self::InvalidCode => "invalid_code",
            Self::AuthorizationCodeReplayed { .. } => "authorization_code_replayed",
            Self::GrantOfOtherClient => "client_mismatch",
            Self::RedirectUriMismatch => "redirect_uri_mismatch",
            Self::PkceMismatch => "pkce_mismatch",
            Self::MissingCodeVerifier => "missing_code_verifier",
            Self::UnexpectedCodeVerifier => "unexpected_code_verifier",
            Self::PkceRequired => "pkce_required",
            Self::UserUnavailable => "user_unavailable",
            Self::UserNotAssigned => "user_not_assigned",
            Self::InvalidCredentials => "invalid_credentials",
            Self::PublicClientCredentials => "public_client_credentials",
            Self::UnknownRefreshToken => "unknown_refresh_token",
            Self::RefreshTokenRevoked => "refresh_token_revoked",
            Self::RefreshTokenForOtherServer => "refresh_token_for_other_server",
            Self::RefreshTokenExpired => "refresh_token_expired",
            Self::RefreshTokenIdle => "refresh_token_idle",
            Self::RefreshTokenReused { .. } => "refresh_token_reused",
            Self::RefreshTokenUnknownGrantType => "refresh_token_unknown_grant_type",
            Self::RefreshTokenInvalid(invalid) | Self::AccessTokenInvalid(invalid) => invalid.code(),
            Self::InvalidClientId => "invalid_client_id",
            Self::IllegalRedirectUri => "illegal_redirect_uri",
            Self::ResponseTypeNotAllowed { .. } => "unsupported_response_type",
            Self::AuthorizeGrantTypeNotAllowed { .. } => "unauthorized_client",
            Self::UnsupportedResponseMode
            | Self::QueryModeWithTokens
            | Self::PostMessageWithCode
            | Self::PostMessageNeedsWebOrigin => "unsupported_response_mode",
            Self::AuthorizeScopeMalformed => "invalid_scope",
            Self::OpenidRequired | Self::SessionUserInactive => "access_denied",
            Self::LoginRequired => "login_required",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::RequestObjectMalformed => "request_object_malformed",
            Self::RequestObjectUnsigned => "request_object_unsigned",
            Self::RequestObjectNoKey => "request_object_no_key",
            Self::RequestObjectSignatureInvalid => "request_object_signature_invalid",
            Self::RequestObjectIssuerOrAudience => "request_object_issuer_or_audience",
            Self::RequestObjectExpired => "request_object_expired",
            Self::RequestObjectReplayed => "request_object_replayed",
            Self::RequestObjectParameterMismatch => "request_object_parameter_mismatch",
            Self::AccessTokenInQuery => "access_token_in_query",
            Self::AccessTokenTwice => "access_token_twice",
            Self::InsufficientScope => "insufficient_scope",
            Self::MissingIdTokenHint => "missing_id_token_hint",
            Self::LogoutClientIdMismatch => "logout_client_id_mismatch",
            Self::InvalidIdTokenHint => "invalid_id_token_hint",
            Self::IllegalPostLogoutRedirectUri => "illegal_post_logout_redirect_uri",
            Self::ClientAuthentication(_) => "client_authentication_failed",
            Self::TokenMinting(_) => "token_minting_failed",
            Self::PolicyDenied(denial) => denial.kind.catalogue_id(),
            Self::ClaimFailed(_) | Self::Server(_) => "server_error",
            Self::Overloaded => "overloaded",
        }
    }

    /// What the client receives (RFC 6749 §5.2): the OAuth error code, the fixed description
    /// (the reason's `Display`) and the HTTP status (Okta's, where it answers with another status
    /// than the code's usual one).
    pub fn error(&self) -> OAuthError {
        use ErrorCode::{
            AccessDenied, InsufficientScope, InvalidClient, InvalidGrant, InvalidRequest, InvalidScope, InvalidToken,
            LoginRequired, ServerError, TemporarilyUnavailable, UnauthorizedClient, UnsupportedGrantType,
            UnsupportedResponseMode, UnsupportedResponseType,
        };
        let (error, status) = match self {
            Self::ClientAuthentication(inner) | Self::TokenMinting(inner) => return inner.error(),
            Self::PolicyDenied(denial) => (denial.error(), denial.kind.http_status()),
            Self::AuthorizeGrantTypeNotAllowed { .. }
            | Self::GrantTypeNotAllowed { .. }
            | Self::PublicClientCredentials => (UnauthorizedClient, 400),
            Self::ResponseTypeNotAllowed { .. } => (UnsupportedResponseType, 400),
            Self::ClaimFailed(_) => (ServerError, 400),
            Self::TokenNotPost | Self::MethodNotAllowed => (InvalidRequest, 405),
            Self::AccessTokenInQuery
            | Self::AccessTokenTwice
            | Self::AuthorizeParametersTooLong
            | Self::BrowserRepeatedParameter
            | Self::HeaderClientIdMismatch
            | Self::IllegalPostLogoutRedirectUri
            | Self::IllegalRedirectUri
            | Self::InvalidClientAssertionType
            | Self::InvalidIdTokenHint
            | Self::InvalidClaimsParameter
            | Self::LogoutClientIdMismatch
            | Self::InvalidMaxAge
            | Self::InvalidPrompt
            | Self::InvalidState
            | Self::MissingClientAssertion
            | Self::MissingCode
            | Self::MissingGrantType
            | Self::MissingIdTokenHint
            | Self::MissingPassword
            | Self::MissingRefreshToken
            | Self::MissingToken
            | Self::MissingUsername
            | Self::MultipleClientCredentials
            | Self::NonceRequired
            | Self::PkceChallengeInvalid
            | Self::PkceChallengeMissing
            | Self::PkceChallengeRequired
            | Self::PkceMethodUnsupported
            | Self::QueryCredentials
            | Self::RepeatedParameter
            | Self::RequestTooLarge
            | Self::ResponseTypeMissing
            | Self::UnreadableParameters => (InvalidRequest, 400),
            Self::AssertionAudienceMismatch
            | Self::AssertionClaimsMalformed
            | Self::AssertionClientIdMismatch
            | Self::AssertionExpOutOfRange
            | Self::AssertionExpTooFar
            | Self::AssertionExpired
            | Self::AssertionIssuedInFuture
            | Self::AssertionIssuerMismatch
            | Self::AssertionMalformed
            | Self::AssertionMissingExp
            | Self::AssertionMissingJti
            | Self::AssertionMissingSub
            | Self::AssertionNotYetValid
            | Self::AssertionReplayed
            | Self::AssertionSignatureInvalid
            | Self::AssertionUnverifiable
            | Self::AuthMethodMismatch
            | Self::ClientHasNoSecret
            | Self::ClientHasNoUsableJwks
            | Self::ClientInactive
            | Self::ClientSecretExpired
            | Self::ClientSecretJwtKeyStale
            | Self::ClientSecretJwtKeyUnavailable
            | Self::ClientSecretTooShort
            | Self::InvalidClientSecret
            | Self::MalformedAuthorizationHeader
            | Self::MissingClientCredentials
            | Self::MissingClientId
            | Self::MissingClientSecret
            | Self::UnknownClient
            | Self::UnknownPublicClient => (InvalidClient, 401),
            Self::UnsupportedGrantType => (UnsupportedGrantType, 400),
            Self::MalformedScope | Self::AuthorizeScopeMalformed => (InvalidScope, 400),
            Self::AuthorizationCodeReplayed { .. }
            | Self::GrantOfOtherClient
            | Self::InvalidCode
            | Self::InvalidCredentials
            | Self::MissingCodeVerifier
            | Self::PkceMismatch
            | Self::PkceRequired
            | Self::RedirectUriMismatch
            | Self::RefreshTokenExpired
            | Self::RefreshTokenForOtherServer
            | Self::RefreshTokenIdle
            | Self::RefreshTokenInvalid(_)
            | Self::RefreshTokenReused { .. }
            | Self::RefreshTokenRevoked
            | Self::RefreshTokenUnknownGrantType
            | Self::UnexpectedCodeVerifier
            | Self::UnknownRefreshToken
            | Self::UserUnavailable => (InvalidGrant, 400),
            Self::UserNotAssigned | Self::OpenidRequired => (AccessDenied, 400),
            Self::InvalidClientId => (InvalidClient, 400),
            Self::PostMessageNeedsWebOrigin
            | Self::PostMessageWithCode
            | Self::QueryModeWithTokens
            | Self::UnsupportedResponseMode => (UnsupportedResponseMode, 400),
            Self::LoginRequired => (LoginRequired, 400),
            Self::RequestUriNotSupported => (ErrorCode::RequestUriNotSupported, 400),
            Self::RequestObjectMalformed
            | Self::RequestObjectUnsigned
            | Self::RequestObjectNoKey
            | Self::RequestObjectSignatureInvalid
            | Self::RequestObjectIssuerOrAudience
            | Self::RequestObjectExpired
            | Self::RequestObjectReplayed
            | Self::RequestObjectParameterMismatch => (ErrorCode::InvalidRequestObject, 400),
            Self::SessionUserInactive => (AccessDenied, 403),
            Self::AccessTokenInvalid(_) => (InvalidToken, 401),
            Self::InsufficientScope => (InsufficientScope, 403),
            Self::Server(_) => (ServerError, 500),
            Self::Overloaded => (TemporarilyUnavailable, 503),
        };
        OAuthError::new(error, self.to_string()).with_status(status)
    }

    /// `Warn` for a replayed authorization code or a reused refresh token (each revokes a
    /// grant), `Info` otherwise.
    pub fn severity(&self) -> Severity {
        match self {
            Self::AuthorizationCodeReplayed { .. } | Self::RefreshTokenReused { .. } => Severity::Warn,
            Self::ClientAuthentication(inner) | Self::TokenMinting(inner) => inner.severity(),
            _ => Severity::Info,
        }
    }

    /// The grant a replay or reuse revokes.
    pub fn revokes(&self) -> Option<&GrantId> {
        match self {
            Self::AuthorizationCodeReplayed { grant } | Self::RefreshTokenReused { grant } => Some(grant),
            _ => None,
        }
    }

    /// The failure inside the server behind this reason, if any.
    pub fn server_failure(&self) -> Option<&ServerFailure> {
        match self {
            Self::Server(failure) => Some(failure),
            Self::ClientAuthentication(inner) | Self::TokenMinting(inner) => inner.server_failure(),
            _ => None,
        }
    }

    /// Why a token is not valid, for the reasons that say so.
    pub fn token_invalid(&self) -> Option<TokenInvalid> {
        match self {
            Self::AccessTokenInvalid(invalid) | Self::RefreshTokenInvalid(invalid) => Some(*invalid),
            _ => None,
        }
    }
}

impl From<ServerFailure> for Reason {
    fn from(failure: ServerFailure) -> Self {
        Self::Server(failure)
    }
}

impl From<StoreError> for Reason {
    fn from(error: StoreError) -> Self {
        Self::Server(ServerFailure::Store(error))
    }
}

impl From<CryptoError> for Reason {
    fn from(error: CryptoError) -> Self {
        Self::Server(ServerFailure::Randomness(error))
    }
}

impl From<crate::cpu_pool::PoolError> for Reason {
    /// An overloaded pool is [`Reason::Overloaded`]; an interrupted computation a server failure.
    fn from(error: crate::cpu_pool::PoolError) -> Self {
        match error {
            crate::cpu_pool::PoolError::Overloaded => Self::Overloaded,
            _ => Self::Server(ServerFailure::CpuPool(error)),
        }
    }
}

impl From<ClaimError> for Reason {
    fn from(error: ClaimError) -> Self {
        Self::ClaimFailed(Box::new(error))
    }
}

impl From<Denial> for Reason {
    fn from(denial: Denial) -> Self {
        Self::PolicyDenied(denial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::DenialKind;

    /// The wire and the event code of `reason`, as one tuple.
    fn wire(reason: &Reason) -> (&'static str, &'static str, u16, String) {
        let error = reason.error();
        (
            reason.code(),
            error.code.as_str(),
            error.status,
            error.description.into_owned(),
        )
    }

    #[test]
    fn an_unknown_client_and_bad_credentials_read_alike() {
        // Different answers would let anyone enumerate client ids: an unknown client, with or
        // without a secret, and a known one with a missing, wrong or expired secret all get the
        // same error, status and description. The event log keeps the precise reason.
        let reasons = [
            Reason::UnknownClient,
            Reason::UnknownPublicClient,
            Reason::ClientInactive,
            Reason::MissingClientSecret,
            Reason::ClientHasNoSecret,
            Reason::InvalidClientSecret,
            Reason::ClientSecretExpired,
        ];
        for reason in &reasons {
            assert_eq!(reason.error(), Reason::UnknownClient.error(), "{reason:?}");
        }
        assert_eq!(
            wire(&Reason::InvalidClientSecret).3,
            "Client authentication failed. Either the client or the client credentials are invalid."
        );
        assert_eq!(Reason::InvalidClientSecret.code(), "invalid_client_secret");
        assert_eq!(Reason::UnknownPublicClient.code(), Reason::UnknownClient.code());
    }

    #[test]
    fn wrappers_keep_the_inner_wire_and_source() {
        let inner = Reason::InvalidClientSecret;
        let wrapped = Reason::ClientAuthentication(Box::new(Reason::InvalidClientSecret));
        assert_eq!(wrapped.code(), "client_authentication_failed");
        assert_eq!(wrapped.error(), inner.error());
        assert_eq!(wrapped.source().unwrap().to_string(), inner.to_string());
        let minting = Reason::TokenMinting(Box::new(Reason::Server(ServerFailure::ClaimsDoNotCompile(Vec::new()))));
        assert_eq!(minting.code(), "token_minting_failed");
        assert_eq!(minting.error(), OAuthError::internal());
        assert!(minting.server_failure().is_some());
    }

    #[test]
    fn policy_denials_map_to_oktas_catalogue() {
        // Okta's catalogue: `no_matching_policy` is 401 access_denied, scope problems 400.
        let denied = Reason::PolicyDenied(Denial::new(DenialKind::NoMatchingPolicy));
        assert_eq!(
            wire(&denied),
            (
                "no_matching_policy",
                "access_denied",
                401,
                "Policy evaluation failed for this request, please check the policy configurations.".to_owned()
            )
        );
        let scope = Reason::PolicyDenied(Denial::new(DenialKind::MissingScopes));
        assert_eq!(wire(&scope).1, "invalid_scope");
        assert_eq!(wire(&scope).2, 400);
    }

    #[test]
    fn server_failures_tell_the_client_nothing_and_keep_their_cause() {
        let reason = Reason::from(StoreError::Conflict);
        assert_eq!(reason.error(), OAuthError::internal());
        assert_eq!(reason.code(), "server_error");
        assert_eq!(
            reason.server_failure().unwrap().chain(),
            "a store failed: the key is already stored"
        );
    }

    #[test]
    fn replays_and_reuse_warn_and_name_the_grant_they_revoke() {
        let grant = GrantId::generate(&crate::random::SeededRandom::new(1)).unwrap();
        let replayed = Reason::AuthorizationCodeReplayed { grant: grant.clone() };
        assert_eq!(replayed.severity(), Severity::Warn);
        assert_eq!(replayed.revokes(), Some(&grant));
        assert_eq!(Reason::InvalidCode.severity(), Severity::Info);
        assert_eq!(Reason::InvalidCode.revokes(), None);
        assert_eq!(
            wire(&replayed).3,
            wire(&Reason::InvalidCode).3,
            "a replay reads as an invalid code"
        );
    }

    #[test]
    fn configured_lists_are_spelled_as_on_the_wire() {
        let reason = Reason::GrantTypeNotAllowed {
            configured: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        };
        assert_eq!(
            reason.error().description,
            "The client is not authorized to use the provided grant type. Configured grant types: [authorization_code, refresh_token]."
        );
        assert_eq!(reason.code(), "unauthorized_grant_type");
        let at_authorize = Reason::AuthorizeGrantTypeNotAllowed {
            configured: vec![GrantType::AuthorizationCode],
        };
        assert_eq!(at_authorize.code(), "unauthorized_client");
    }

    #[test]
    fn invalid_tokens_answer_by_kind_and_record_why() {
        let access = Reason::AccessTokenInvalid(TokenInvalid::Expired);
        assert_eq!(
            wire(&access),
            (
                "token_expired",
                "invalid_token",
                401,
                "The access token is invalid.".to_owned()
            )
        );
        let refresh = Reason::RefreshTokenInvalid(TokenInvalid::UserUnassigned);
        assert_eq!(
            wire(&refresh),
            (
                "user_not_assigned",
                "invalid_grant",
                400,
                "The refresh token is invalid or expired.".to_owned()
            )
        );
        assert_eq!(refresh.token_invalid(), Some(TokenInvalid::UserUnassigned));
    }
}

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
//! [`Reason::error`] is the only place that decides what a reason looks like on the wire, and
//! [`Reason::code`] the only place that names it for the event log. Descriptions are fixed texts
//! (Okta's, where Okta has one; see Okta's "Error codes" and "OAuth 2.0 and OpenID Connect
//! errors" pages): they never echo what the client sent. A server failure reaches the client as
//! the generic `server_error` text only; its cause goes to the event log.
//!
//! How an error is delivered (JSON, a redirect to the client, an error page, a
//! `WWW-Authenticate` challenge) is the endpoint's business, not the reason's.

use std::borrow::Cow;
use std::error::Error;
use std::fmt;

use super::error::{ErrorCode, OAuthError};
use crate::admin::ApiError;
use crate::claims::ClaimError;
use crate::crypto::CryptoError;
use crate::event::Severity;
use crate::jose::JoseError;
use crate::keys::KeyError;
use crate::model::{GrantType, ResponseType};
use crate::policy::{self, Denial};
use crate::store::StoreError;
use crate::store::grants::GrantId;

/// Okta's fixed texts, and this crate's where Okta has none. Never client input.
pub(crate) mod text {
    pub(crate) const INTERNAL: &str = "The server encountered an internal error.";
    pub(crate) const INVALID_REQUEST: &str = "Invalid request";
    pub(crate) const REPEATED: &str = "The request contained multiple parameters with the same name.";
    pub(crate) const INVALID_SCOPE: &str = "The requested scope is invalid, unknown, or malformed.";
    pub(crate) const USER_NOT_ASSIGNED: &str = "User is not assigned to the client application.";
    pub(crate) const OTHER_CLIENT: &str = "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.";

    // Client authentication.
    pub(crate) const CLIENT_AUTH_FAILED: &str =
        "Client authentication failed. Either the client or the client credentials are invalid.";
    pub(crate) const NO_CREDENTIALS: &str = "No client credentials found.";
    pub(crate) const INVALID_CLIENT_ID: &str = "Invalid value for 'client_id' parameter.";
    pub(crate) const BAD_SECRET: &str = "The client secret supplied for a confidential client is invalid.";
    pub(crate) const BAD_HEADER: &str = "Found Authentication header but was not valid client credentials.";
    pub(crate) const MULTIPLE_CREDENTIALS: &str = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.";
    pub(crate) const QUERY_CREDENTIALS: &str = "Client credentials cannot be supplied via query parameters.";
    pub(crate) const BAD_ASSERTION_TYPE: &str =
        "The 'client_assertion_type' parameter must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.";
    pub(crate) const MISSING_ASSERTION: &str = "The 'client_assertion' parameter is required.";
    pub(crate) const ASSERTION_INVALID: &str = "The client_assertion token is invalid.";
    pub(crate) const ASSERTION_SIGNATURE: &str = "The client_assertion signature is invalid.";
    pub(crate) const ASSERTION_ISSUER: &str =
        "The issuer [iss] and subject [sub] claims of the client_assertion must be the client_id.";
    pub(crate) const ASSERTION_AUDIENCE: &str =
        "The audience [aud] claim for client_assertion must be the endpoint invoked for the client.";
    pub(crate) const ASSERTION_EXPIRED: &str = "The client_assertion token is expired.";
    pub(crate) const ASSERTION_NO_EXP: &str = "The client_assertion token must contain an expiration [exp] claim.";
    pub(crate) const ASSERTION_TOO_LONG: &str = "The client_assertion token has an expiration too far into the future.";
    pub(crate) const ASSERTION_IAT: &str = "The client_assertion token was issued in the future.";
    pub(crate) const ASSERTION_NBF: &str = "The client_assertion token is not valid yet.";
    pub(crate) const ASSERTION_NO_JTI: &str = "The client_assertion token must contain a valid 'jti' claim.";
    pub(crate) const ASSERTION_REPLAY: &str = "The client_assertion token has already been used.";
    pub(crate) const SHORT_SECRET: &str = "The client secret is too short to verify a JWT HMAC.";

    // The token endpoint.
    pub(crate) const NOT_POST: &str = "The token endpoint accepts only POST requests.";
    pub(crate) const TOO_LARGE: &str = "The request is too large.";
    pub(crate) const MISSING_GRANT_TYPE: &str = "The 'grant_type' parameter is required.";
    pub(crate) const UNSUPPORTED_GRANT_TYPE: &str = "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, password, client_credentials, refresh_token].";
    pub(crate) const USER_UNAVAILABLE: &str = "The user is no longer available.";
    pub(crate) const MISSING_CODE: &str = "The 'code' parameter is required.";
    pub(crate) const INVALID_CODE: &str = "The authorization code is invalid or has expired.";
    pub(crate) const REDIRECT_MISMATCH: &str =
        "The 'redirect_uri' does not match the redirection URI used in the authorization request.";
    pub(crate) const PKCE_FAILED: &str = "PKCE verification failed.";
    pub(crate) const MISSING_REFRESH_TOKEN: &str = "The 'refresh_token' parameter is required.";
    pub(crate) const INVALID_REFRESH_TOKEN: &str = "The refresh token is invalid or expired.";
    pub(crate) const INVALID_CREDENTIALS: &str = "The credentials provided were invalid.";
    pub(crate) const MISSING_USERNAME: &str = "The 'username' parameter is required.";
    pub(crate) const MISSING_PASSWORD: &str = "The 'password' parameter is required.";
    pub(crate) const PUBLIC_CLIENT: &str = "Client credentials requests require a confidential client.";

    // The authorize endpoint.
    pub(crate) const ILLEGAL_REDIRECT_URI: &str =
        "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.";
    pub(crate) const PARAMETERS_TOO_LONG: &str = "The request parameters are too long.";
    pub(crate) const RESPONSE_TYPE_MISSING: &str = "The 'response_type' parameter is required.";
    pub(crate) const INVALID_STATE: &str = "The authentication request has an invalid 'state' parameter.";
    pub(crate) const NONCE_REQUIRED: &str = "The 'nonce' parameter is required for authorize requests with either the 'id_token' or 'token' response types..";
    pub(crate) const QUERY_WITH_TOKENS: &str =
        "'query' response mode cannot be used with either the 'id_token' or 'token' response types.";
    pub(crate) const POST_MESSAGE_WITH_CODE: &str =
        "'okta_post_message' response mode cannot be used with the 'code' response type.";
    pub(crate) const POST_MESSAGE_NEEDS_WEB_ORIGIN: &str =
        "'okta_post_message' response mode requires an http or https redirect URI.";
    pub(crate) const UNSUPPORTED_RESPONSE_MODE: &str = "The response mode is not supported by the authorization \
         server. Valid response modes: [query, fragment, form_post, okta_post_message].";
    pub(crate) const OPENID_REQUIRED: &str =
        "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.";
    pub(crate) const INVALID_PROMPT: &str = "The 'prompt' parameter is invalid.";
    pub(crate) const INVALID_MAX_AGE: &str = "The 'max_age' parameter is invalid.";
    pub(crate) const REQUEST_OBJECT: &str = "The 'request' and 'request_uri' parameters are not supported.";
    pub(crate) const PKCE_REQUIRED: &str = "PKCE code challenge is required by the application.";
    pub(crate) const PKCE_METHOD: &str = "PKCE code challenge method is invalid. Only S256 is supported.";
    pub(crate) const PKCE_CHALLENGE: &str = "PKCE code challenge is invalid.";
    pub(crate) const PKCE_CHALLENGE_MISSING: &str =
        "PKCE code challenge is required when the code challenge method is specified.";
    pub(crate) const LOGIN_REQUIRED: &str = "The client specified not to prompt, but the user is not logged in.";
    pub(crate) const DENIED: &str = "The resource owner or authorization server denied the request.";

    // Introspection, revocation, userinfo and logout.
    pub(crate) const TOKEN_REQUIRED: &str = "The 'token' parameter is required.";
    pub(crate) const INVALID_ACCESS_TOKEN: &str = "The access token is invalid.";
    pub(crate) const INSUFFICIENT_SCOPE: &str =
        "The access token must provide access to at least one of these scopes - profile, email, address or phone";
    pub(crate) const TOKEN_IN_QUERY: &str = "The access token cannot be presented in a query string.";
    pub(crate) const HINT_REQUIRED: &str = "The 'id_token_hint' parameter is required.";
    pub(crate) const HINT_INVALID: &str = "The 'id_token_hint' parameter is not a valid ID token.";
    pub(crate) const ILLEGAL_POST_LOGOUT_REDIRECT: &str =
        "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.";
}

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
    /// A store failed.
    #[error("a store failed")]
    Store(#[from] StoreError),
    /// The randomness source failed.
    #[error("the randomness source failed")]
    Randomness(#[from] CryptoError),
    /// Signing a token failed.
    #[error("signing a token failed")]
    Signing(#[source] JoseError),
    /// The key material could not open the signing key.
    #[error("the key material failed")]
    Keys(#[from] KeyError),
    /// Rotating the server's keys failed.
    #[error("rotating the keys failed")]
    KeyRotation(#[source] ApiError),
    /// The server's claims do not compile (only a store written by other means than the
    /// management API holds such claims).
    #[error("the server's claims do not compile")]
    ClaimsDoNotCompile,
    /// A response could not be serialized.
    #[error("a response could not be serialized")]
    Serialization(#[from] serde_json::Error),
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
/// [`error`](Self::error) is what the client receives (code, description, status) and
/// [`code`](Self::code) the reason recorded in the event log; [`severity`](Self::severity) says
/// whether the refusal is worth a look. Where one description serves several causes (an unknown
/// client and a wrong secret read alike, so the answer does not tell whether a client exists),
/// the reasons still differ.
#[derive(Debug)]
#[non_exhaustive]
pub enum Reason {
    // ---- Reading the request ----
    /// The token endpoint takes only `POST` (RFC 6749 §3.2).
    TokenNotPost,
    /// Introspection, revocation, userinfo and logout take only their methods.
    MethodNotAllowed,
    /// The token request's form is larger than the endpoint reads.
    RequestTooLarge,
    /// A parameter was sent twice (RFC 6749 §3.1), at an endpoint that answers in JSON.
    RepeatedParameter,
    /// The parameters could not be read (too large).
    UnreadableParameters,
    /// A parameter was sent twice at the authorize or logout endpoint, which answer with a page.
    BrowserRepeatedParameter,
    /// The authorize request's parameters are larger than the endpoint reads.
    AuthorizeParametersTooLong,
    /// `token` is missing at introspection or revocation (RFC 7662 §2.1, RFC 7009 §2.1).
    MissingToken,

    // ---- Client authentication (RFC 6749 §2.3, RFC 7523 §3, OpenID Connect Core §9) ----
    /// Client credentials in the query string.
    QueryCredentials,
    /// More than one kind of client credentials in one request.
    MultipleClientCredentials,
    /// The form's `client_id` names another client than the `Authorization` header.
    HeaderClientIdMismatch,
    /// The form's `client_id` names another client than the assertion's `sub`.
    AssertionClientIdMismatch,
    /// An `Authorization` header that is not `Basic` credentials.
    MalformedAuthorizationHeader,
    /// A `client_assertion_type` other than JWT bearer (RFC 7523 §2.2).
    InvalidClientAssertionType,
    /// `client_assertion_type` without `client_assertion`.
    MissingClientAssertion,
    /// The assertion is not a readable JWS.
    AssertionMalformed,
    /// The assertion has no `sub`.
    AssertionMissingSub,
    /// A `client_secret` without a `client_id`.
    MissingClientId,
    /// No client credentials at all.
    MissingClientCredentials,
    /// No such client, for a client that sent credentials.
    UnknownClient,
    /// No such client, for a client that sent only its `client_id` (Okta's answer names the
    /// parameter).
    UnknownPublicClient,
    /// The client is not `ACTIVE`.
    ClientInactive,
    /// The client used another method than its `token_endpoint_auth_method`.
    AuthMethodMismatch,
    /// A confidential client sent no secret.
    MissingClientSecret,
    /// The client has no secret to compare with.
    ClientHasNoSecret,
    /// The secret does not match.
    InvalidClientSecret,
    /// The secret expired (`client_secret_expires_at`).
    ClientSecretExpired,
    /// The directory keeps no `client_secret_jwt` key for the client.
    ClientSecretJwtKeyUnavailable,
    /// The directory's `client_secret_jwt` key is not the client's current secret.
    ClientSecretJwtKeyStale,
    /// A `private_key_jwt` client without usable registered keys.
    ClientHasNoUsableJwks,
    /// The secret is too short for an HMAC.
    ClientSecretTooShort,
    /// The assertion's signature does not verify.
    AssertionSignatureInvalid,
    /// The assertion cannot be verified (no matching key, unsupported algorithm, …).
    AssertionUnverifiable,
    /// The verified assertion's claims are not claims.
    AssertionClaimsMalformed,
    /// `iss` or `sub` is not the client id.
    AssertionIssuerMismatch,
    /// `aud` does not name the endpoint.
    AssertionAudienceMismatch,
    /// No `exp`.
    AssertionMissingExp,
    /// `exp` is not a representable instant.
    AssertionExpOutOfRange,
    /// `exp` has passed.
    AssertionExpired,
    /// `exp` is more than an hour ahead.
    AssertionExpTooFar,
    /// `iat` is in the future.
    AssertionIssuedInFuture,
    /// `nbf` has not passed.
    AssertionNotYetValid,
    /// No usable `jti`.
    AssertionMissingJti,
    /// The `jti` was used before (RFC 7523 §3).
    AssertionReplayed,
    /// Client authentication failed at the token endpoint, for the reason inside (recorded
    /// under its own reason by the client-authentication event).
    ClientAuthentication(Box<Reason>),

    // ---- The token endpoint (RFC 6749 §4, §5.2, §6) ----
    /// No `grant_type`.
    MissingGrantType,
    /// A `grant_type` this server does not serve.
    UnsupportedGrantType,
    /// The client may not use the grant type; `configured` are its `grant_types`.
    GrantTypeNotAllowed {
        /// The client's grant types.
        configured: Vec<GrantType>,
    },
    /// `scope` is too long or not RFC 6749 §3.3 syntax.
    MalformedScope,
    /// No `code`.
    MissingCode,
    /// No `refresh_token`.
    MissingRefreshToken,
    /// No `username`.
    MissingUsername,
    /// No `password`.
    MissingPassword,
    /// The code is unknown, expired, or of another server.
    InvalidCode,
    /// The code was redeemed before (RFC 6749 §4.1.2, §10.5): grant `grant` is revoked.
    AuthorizationCodeReplayed {
        /// The grant the code belonged to.
        grant: GrantId,
    },
    /// The code or refresh token was issued to another client.
    GrantOfOtherClient,
    /// `redirect_uri` differs from the authorization request's (RFC 6749 §4.1.3).
    RedirectUriMismatch,
    /// The `code_verifier` does not match the challenge (RFC 7636 §4.6).
    PkceMismatch,
    /// The code has a challenge but no `code_verifier` came.
    MissingCodeVerifier,
    /// A `code_verifier` for a code without a challenge (RFC 9700 §2.1.1: a downgrade).
    UnexpectedCodeVerifier,
    /// A public client's code without a challenge.
    PkceRequired,
    /// The grant's user is unknown or not `ACTIVE`.
    UserUnavailable,
    /// The user is not assigned to the client.
    UserNotAssigned,
    /// Wrong username or password, or the user cannot sign in.
    InvalidCredentials,
    /// A public client asked for client credentials.
    PublicClientCredentials,
    /// No such refresh token.
    UnknownRefreshToken,
    /// The refresh token's family was revoked.
    RefreshTokenRevoked,
    /// The refresh token was issued by another authorization server.
    RefreshTokenForOtherServer,
    /// The refresh token's family lifetime ran out.
    RefreshTokenExpired,
    /// The refresh token was unused for longer than its idle window.
    RefreshTokenIdle,
    /// A rotated-away refresh token was presented after the leeway: grant `grant` is revoked.
    RefreshTokenReused {
        /// The refresh token's grant (its family).
        grant: GrantId,
    },
    /// The refresh token's grant names a grant type this server does not know.
    RefreshTokenUnknownGrantType,
    /// The refresh token is implicitly revoked, for the reason inside.
    RefreshTokenInvalid(TokenInvalid),
    /// The access policies denied the request (Okta's catalogue id is the reason code).
    PolicyDenied(Denial),
    /// Minting the tokens failed at the token endpoint, for the reason inside.
    TokenMinting(Box<Reason>),

    // ---- The authorize endpoint (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6) ----
    /// `client_id` is missing or names no active client: an error page, never a redirect.
    InvalidClientId,
    /// `redirect_uri` is not one of the client's: an error page, never a redirect.
    IllegalRedirectUri,
    /// `request` or `request_uri`.
    RequestObjectNotSupported,
    /// No `response_type`.
    ResponseTypeMissing,
    /// A `response_type` the client may not use; `configured` are its `response_types`.
    ResponseTypeNotAllowed {
        /// The client's response types.
        configured: Vec<ResponseType>,
    },
    /// The response type needs a grant type the client may not use.
    AuthorizeGrantTypeNotAllowed {
        /// The client's grant types.
        configured: Vec<GrantType>,
    },
    /// An unknown `response_mode`.
    UnsupportedResponseMode,
    /// `response_mode=query` with tokens.
    QueryModeWithTokens,
    /// `response_mode=okta_post_message` for the code flow.
    PostMessageWithCode,
    /// `response_mode=okta_post_message` without an http(s) redirect URI.
    PostMessageNeedsWebOrigin,
    /// `state` is missing or not of Okta's characters.
    InvalidState,
    /// `scope` is too long or not RFC 6749 §3.3 syntax, at the authorize endpoint.
    AuthorizeScopeMalformed,
    /// An ID token or OpenID claim scopes without `openid`.
    OpenidRequired,
    /// Tokens from the authorize endpoint without `nonce`.
    NonceRequired,
    /// An invalid `prompt`.
    InvalidPrompt,
    /// An invalid `max_age`.
    InvalidMaxAge,
    /// A public client without a PKCE challenge.
    PkceChallengeRequired,
    /// A PKCE method other than `S256`.
    PkceMethodUnsupported,
    /// A malformed PKCE challenge.
    PkceChallengeInvalid,
    /// A PKCE method without a challenge.
    PkceChallengeMissing,
    /// `prompt=none` without a usable session.
    LoginRequired,
    /// The session's user is unknown or not `ACTIVE`.
    SessionUserInactive,

    // ---- Userinfo (RFC 6750 §3.1, OpenID Connect Core §5.3.3) ----
    /// The access token came in the query string.
    AccessTokenInQuery,
    /// The access token is not valid, for the reason inside.
    AccessTokenInvalid(TokenInvalid),
    /// The access token lacks `openid`.
    InsufficientScope,

    // ---- Logout (OpenID Connect RP-Initiated Logout) ----
    /// No `id_token_hint`.
    MissingIdTokenHint,
    /// `id_token_hint` is not an ID token of this server.
    InvalidIdTokenHint,
    /// `post_logout_redirect_uri` is not registered on the token's client.
    IllegalPostLogoutRedirectUri,

    // ---- Failures ----
    /// A claim could not be evaluated (Okta answers `server_error` with HTTP 400 and names the
    /// claim).
    ClaimFailed(ClaimError),
    /// Something inside the server failed.
    Server(ServerFailure),
}

/// One row of the mapping: the reason code and the wire error.
struct Row {
    code: &'static str,
    error: ErrorCode,
    status: u16,
    description: Cow<'static, str>,
}

fn row(code: &'static str, error: ErrorCode, status: u16, description: impl Into<Cow<'static, str>>) -> Row {
    Row {
        code,
        error,
        status,
        description: description.into(),
    }
}

/// `[a, b, c]` of wire spellings.
fn listed<T: fmt::Display>(items: &[T]) -> String {
    let names: Vec<String> = items.iter().map(ToString::to_string).collect();
    names.join(", ")
}

impl Reason {
    /// The mapping: every reason's code, OAuth error, status and description.
    fn row(&self) -> Row {
        use ErrorCode::{
            AccessDenied, InsufficientScope, InvalidClient, InvalidGrant, InvalidRequest, InvalidScope, InvalidToken,
            LoginRequired, ServerError, UnauthorizedClient, UnsupportedGrantType, UnsupportedResponseMode,
            UnsupportedResponseType,
        };
        use text::*;
        match self {
            Self::TokenNotPost => row("method_not_allowed", InvalidRequest, 405, NOT_POST),
            Self::MethodNotAllowed => row("method_not_allowed", InvalidRequest, 405, INVALID_REQUEST),
            Self::RequestTooLarge => row("request_too_large", InvalidRequest, 400, TOO_LARGE),
            Self::RepeatedParameter => row("repeated_parameter", InvalidRequest, 400, REPEATED),
            Self::UnreadableParameters => row("invalid_request", InvalidRequest, 400, INVALID_REQUEST),
            Self::BrowserRepeatedParameter => row("invalid_request", InvalidRequest, 400, REPEATED),
            Self::AuthorizeParametersTooLong => row("invalid_request", InvalidRequest, 400, PARAMETERS_TOO_LONG),
            Self::MissingToken => row("missing_token", InvalidRequest, 400, TOKEN_REQUIRED),

            Self::QueryCredentials => row("query_credentials", InvalidRequest, 400, QUERY_CREDENTIALS),
            Self::MultipleClientCredentials => {
                row("multiple_client_credentials", InvalidRequest, 400, MULTIPLE_CREDENTIALS)
            }
            Self::HeaderClientIdMismatch => row("client_id_mismatch", InvalidRequest, 400, MULTIPLE_CREDENTIALS),
            Self::AssertionClientIdMismatch => row("client_id_mismatch", InvalidClient, 401, ASSERTION_ISSUER),
            Self::MalformedAuthorizationHeader => row("malformed_authorization_header", InvalidClient, 401, BAD_HEADER),
            Self::InvalidClientAssertionType => {
                row("invalid_client_assertion_type", InvalidRequest, 400, BAD_ASSERTION_TYPE)
            }
            Self::MissingClientAssertion => row("missing_client_assertion", InvalidRequest, 400, MISSING_ASSERTION),
            Self::AssertionMalformed => row("assertion_malformed", InvalidClient, 401, ASSERTION_INVALID),
            Self::AssertionMissingSub => row("assertion_missing_sub", InvalidClient, 401, ASSERTION_ISSUER),
            Self::MissingClientId => row("missing_client_id", InvalidClient, 401, INVALID_CLIENT_ID),
            Self::MissingClientCredentials => row("missing_client_credentials", InvalidClient, 401, NO_CREDENTIALS),
            Self::UnknownClient => row("unknown_client", InvalidClient, 401, CLIENT_AUTH_FAILED),
            Self::UnknownPublicClient => row("unknown_client", InvalidClient, 401, INVALID_CLIENT_ID),
            Self::ClientInactive => row("client_inactive", InvalidClient, 401, CLIENT_AUTH_FAILED),
            Self::AuthMethodMismatch => row("auth_method_mismatch", InvalidClient, 401, CLIENT_AUTH_FAILED),
            Self::MissingClientSecret => row("missing_client_secret", InvalidClient, 401, BAD_SECRET),
            Self::ClientHasNoSecret => row("client_has_no_secret", InvalidClient, 401, BAD_SECRET),
            Self::InvalidClientSecret => row("invalid_client_secret", InvalidClient, 401, BAD_SECRET),
            Self::ClientSecretExpired => row("client_secret_expired", InvalidClient, 401, BAD_SECRET),
            Self::ClientSecretJwtKeyUnavailable => row(
                "client_secret_jwt_key_unavailable",
                InvalidClient,
                401,
                CLIENT_AUTH_FAILED,
            ),
            Self::ClientSecretJwtKeyStale => row("client_secret_jwt_key_stale", InvalidClient, 401, CLIENT_AUTH_FAILED),
            Self::ClientHasNoUsableJwks => row("client_has_no_usable_jwks", InvalidClient, 401, CLIENT_AUTH_FAILED),
            Self::ClientSecretTooShort => row("client_secret_too_short", InvalidClient, 401, SHORT_SECRET),
            Self::AssertionSignatureInvalid => {
                row("assertion_signature_invalid", InvalidClient, 401, ASSERTION_SIGNATURE)
            }
            Self::AssertionUnverifiable => row("assertion_unverifiable", InvalidClient, 401, ASSERTION_INVALID),
            Self::AssertionClaimsMalformed => row("assertion_claims_malformed", InvalidClient, 401, ASSERTION_INVALID),
            Self::AssertionIssuerMismatch => row("assertion_issuer_mismatch", InvalidClient, 401, ASSERTION_ISSUER),
            Self::AssertionAudienceMismatch => {
                row("assertion_audience_mismatch", InvalidClient, 401, ASSERTION_AUDIENCE)
            }
            Self::AssertionMissingExp => row("assertion_missing_exp", InvalidClient, 401, ASSERTION_NO_EXP),
            Self::AssertionExpOutOfRange => row("assertion_exp_out_of_range", InvalidClient, 401, ASSERTION_INVALID),
            Self::AssertionExpired => row("assertion_expired", InvalidClient, 401, ASSERTION_EXPIRED),
            Self::AssertionExpTooFar => row("assertion_exp_too_far", InvalidClient, 401, ASSERTION_TOO_LONG),
            Self::AssertionIssuedInFuture => row("assertion_iat_in_future", InvalidClient, 401, ASSERTION_IAT),
            Self::AssertionNotYetValid => row("assertion_not_yet_valid", InvalidClient, 401, ASSERTION_NBF),
            Self::AssertionMissingJti => row("assertion_missing_jti", InvalidClient, 401, ASSERTION_NO_JTI),
            Self::AssertionReplayed => row("assertion_replayed", InvalidClient, 401, ASSERTION_REPLAY),
            Self::ClientAuthentication(inner) => Row {
                code: "client_authentication_failed",
                ..inner.row()
            },

            Self::MissingGrantType => row("missing_grant_type", InvalidRequest, 400, MISSING_GRANT_TYPE),
            Self::UnsupportedGrantType => row(
                "unsupported_grant_type",
                UnsupportedGrantType,
                400,
                UNSUPPORTED_GRANT_TYPE,
            ),
            Self::GrantTypeNotAllowed { configured } => row(
                "unauthorized_grant_type",
                UnauthorizedClient,
                400,
                grant_types_not_allowed(configured),
            ),
            Self::MalformedScope => row("malformed_scope", InvalidScope, 400, INVALID_SCOPE),
            Self::MissingCode => row("missing_code", InvalidRequest, 400, MISSING_CODE),
            Self::MissingRefreshToken => row("missing_refresh_token", InvalidRequest, 400, MISSING_REFRESH_TOKEN),
            Self::MissingUsername => row("missing_username", InvalidRequest, 400, MISSING_USERNAME),
            Self::MissingPassword => row("missing_password", InvalidRequest, 400, MISSING_PASSWORD),
            Self::InvalidCode => row("invalid_code", InvalidGrant, 400, INVALID_CODE),
            Self::AuthorizationCodeReplayed { .. } => {
                row("authorization_code_replayed", InvalidGrant, 400, INVALID_CODE)
            }
            Self::GrantOfOtherClient => row("client_mismatch", InvalidGrant, 400, OTHER_CLIENT),
            Self::RedirectUriMismatch => row("redirect_uri_mismatch", InvalidGrant, 400, REDIRECT_MISMATCH),
            Self::PkceMismatch => row("pkce_mismatch", InvalidGrant, 400, PKCE_FAILED),
            Self::MissingCodeVerifier => row("missing_code_verifier", InvalidGrant, 400, PKCE_FAILED),
            Self::UnexpectedCodeVerifier => row("unexpected_code_verifier", InvalidGrant, 400, PKCE_FAILED),
            Self::PkceRequired => row("pkce_required", InvalidGrant, 400, PKCE_FAILED),
            Self::UserUnavailable => row("user_unavailable", InvalidGrant, 400, USER_UNAVAILABLE),
            Self::UserNotAssigned => row("user_not_assigned", AccessDenied, 400, USER_NOT_ASSIGNED),
            Self::InvalidCredentials => row("invalid_credentials", InvalidGrant, 400, INVALID_CREDENTIALS),
            Self::PublicClientCredentials => row("public_client_credentials", UnauthorizedClient, 400, PUBLIC_CLIENT),
            Self::UnknownRefreshToken => row("unknown_refresh_token", InvalidGrant, 400, INVALID_REFRESH_TOKEN),
            Self::RefreshTokenRevoked => row("refresh_token_revoked", InvalidGrant, 400, INVALID_REFRESH_TOKEN),
            Self::RefreshTokenForOtherServer => row(
                "refresh_token_for_other_server",
                InvalidGrant,
                400,
                INVALID_REFRESH_TOKEN,
            ),
            Self::RefreshTokenExpired => row("refresh_token_expired", InvalidGrant, 400, INVALID_REFRESH_TOKEN),
            Self::RefreshTokenIdle => row("refresh_token_idle", InvalidGrant, 400, INVALID_REFRESH_TOKEN),
            Self::RefreshTokenReused { .. } => row("refresh_token_reused", InvalidGrant, 400, INVALID_REFRESH_TOKEN),
            Self::RefreshTokenUnknownGrantType => row(
                "refresh_token_unknown_grant_type",
                InvalidGrant,
                400,
                INVALID_REFRESH_TOKEN,
            ),
            Self::RefreshTokenInvalid(invalid) => row(invalid.code(), InvalidGrant, 400, INVALID_REFRESH_TOKEN),
            Self::PolicyDenied(denial) => {
                let error = match denial.error() {
                    policy::ErrorCode::AccessDenied => AccessDenied,
                    policy::ErrorCode::InvalidScope => InvalidScope,
                };
                row(
                    denial.kind.catalogue_id(),
                    error,
                    denial.kind.http_status(),
                    denial.description(),
                )
            }
            Self::TokenMinting(inner) => Row {
                code: "token_minting_failed",
                ..inner.row()
            },

            Self::InvalidClientId => row("invalid_client_id", InvalidClient, 400, INVALID_CLIENT_ID),
            Self::IllegalRedirectUri => row("illegal_redirect_uri", InvalidRequest, 400, ILLEGAL_REDIRECT_URI),
            Self::RequestObjectNotSupported => row("invalid_request", InvalidRequest, 400, REQUEST_OBJECT),
            Self::ResponseTypeMissing => row("invalid_request", InvalidRequest, 400, RESPONSE_TYPE_MISSING),
            Self::ResponseTypeNotAllowed { configured } => row(
                "unsupported_response_type",
                UnsupportedResponseType,
                400,
                format!(
                    "The response type is not supported by the authorization server. Configured response types: [{}].",
                    listed(configured)
                ),
            ),
            Self::AuthorizeGrantTypeNotAllowed { configured } => row(
                "unauthorized_client",
                UnauthorizedClient,
                400,
                grant_types_not_allowed(configured),
            ),
            Self::UnsupportedResponseMode => row(
                "unsupported_response_mode",
                UnsupportedResponseMode,
                400,
                UNSUPPORTED_RESPONSE_MODE,
            ),
            Self::QueryModeWithTokens => row(
                "unsupported_response_mode",
                UnsupportedResponseMode,
                400,
                QUERY_WITH_TOKENS,
            ),
            Self::PostMessageWithCode => row(
                "unsupported_response_mode",
                UnsupportedResponseMode,
                400,
                POST_MESSAGE_WITH_CODE,
            ),
            Self::PostMessageNeedsWebOrigin => row(
                "unsupported_response_mode",
                UnsupportedResponseMode,
                400,
                POST_MESSAGE_NEEDS_WEB_ORIGIN,
            ),
            Self::InvalidState => row("invalid_request", InvalidRequest, 400, INVALID_STATE),
            Self::AuthorizeScopeMalformed => row("invalid_scope", InvalidScope, 400, INVALID_SCOPE),
            Self::OpenidRequired => row("access_denied", AccessDenied, 400, OPENID_REQUIRED),
            Self::NonceRequired => row("invalid_request", InvalidRequest, 400, NONCE_REQUIRED),
            Self::InvalidPrompt => row("invalid_request", InvalidRequest, 400, INVALID_PROMPT),
            Self::InvalidMaxAge => row("invalid_request", InvalidRequest, 400, INVALID_MAX_AGE),
            Self::PkceChallengeRequired => row("invalid_request", InvalidRequest, 400, PKCE_REQUIRED),
            Self::PkceMethodUnsupported => row("invalid_request", InvalidRequest, 400, PKCE_METHOD),
            Self::PkceChallengeInvalid => row("invalid_request", InvalidRequest, 400, PKCE_CHALLENGE),
            Self::PkceChallengeMissing => row("invalid_request", InvalidRequest, 400, PKCE_CHALLENGE_MISSING),
            Self::LoginRequired => row("login_required", LoginRequired, 400, text::LOGIN_REQUIRED),
            Self::SessionUserInactive => row("access_denied", AccessDenied, 403, DENIED),

            Self::AccessTokenInQuery => row("access_token_in_query", InvalidRequest, 400, TOKEN_IN_QUERY),
            Self::AccessTokenInvalid(invalid) => row(invalid.code(), InvalidToken, 401, INVALID_ACCESS_TOKEN),
            Self::InsufficientScope => row("insufficient_scope", InsufficientScope, 403, INSUFFICIENT_SCOPE),

            Self::MissingIdTokenHint => row("missing_id_token_hint", InvalidRequest, 400, HINT_REQUIRED),
            Self::InvalidIdTokenHint => row("invalid_id_token_hint", InvalidRequest, 400, HINT_INVALID),
            Self::IllegalPostLogoutRedirectUri => row(
                "illegal_post_logout_redirect_uri",
                InvalidRequest,
                400,
                ILLEGAL_POST_LOGOUT_REDIRECT,
            ),

            Self::ClaimFailed(error) => row("server_error", ServerError, 400, error.description()),
            Self::Server(_) => row("server_error", ServerError, 500, INTERNAL),
        }
    }

    /// The reason code recorded in the event log (`debugContext.debugData.reasonCode`): Okta's
    /// catalogue id for policy denials, the OAuth error code for most refusals at the authorize
    /// endpoint, a precise code elsewhere.
    pub fn code(&self) -> &'static str {
        self.row().code
    }

    /// What the client receives: the OAuth error code, the fixed description and the HTTP
    /// status (Okta's, where it answers with another status than the code's usual one).
    pub fn error(&self) -> OAuthError {
        let row = self.row();
        OAuthError::new(row.error, row.description).with_status(row.status)
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

/// `unauthorized_client`'s description, listing the client's grant types.
fn grant_types_not_allowed(configured: &[GrantType]) -> String {
    format!(
        "The client is not authorized to use the provided grant type. Configured grant types: [{}].",
        listed(configured)
    )
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = self.row();
        write!(f, "{} ({}): {}", row.code, row.error, row.description)
    }
}

impl Error for Reason {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::ClientAuthentication(inner) | Self::TokenMinting(inner) => Some(inner.as_ref()),
            Self::ClaimFailed(error) => Some(error),
            Self::Server(failure) => Some(failure),
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

impl From<ClaimError> for Reason {
    fn from(error: ClaimError) -> Self {
        Self::ClaimFailed(error)
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
    fn a_split_reason_keeps_its_event_code_and_differs_on_the_wire() {
        // Okta answers an unknown public client with the parameter's name, a confidential one
        // with the generic text, so that a wrong secret and an unknown client read alike.
        let public = wire(&Reason::UnknownPublicClient);
        let confidential = wire(&Reason::UnknownClient);
        assert_eq!(public.0, confidential.0);
        assert_eq!(public.3, text::INVALID_CLIENT_ID);
        assert_eq!(confidential.3, text::CLIENT_AUTH_FAILED);
        assert_eq!(wire(&Reason::InvalidClientSecret).3, text::BAD_SECRET);
    }

    #[test]
    fn wrappers_keep_the_inner_wire_and_source() {
        let inner = Reason::InvalidClientSecret;
        let wrapped = Reason::ClientAuthentication(Box::new(Reason::InvalidClientSecret));
        assert_eq!(wrapped.code(), "client_authentication_failed");
        assert_eq!(wrapped.error(), inner.error());
        assert_eq!(wrapped.source().unwrap().to_string(), inner.to_string());
        let minting = Reason::TokenMinting(Box::new(Reason::Server(ServerFailure::ClaimsDoNotCompile)));
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
                text::INVALID_ACCESS_TOKEN.to_owned()
            )
        );
        let refresh = Reason::RefreshTokenInvalid(TokenInvalid::UserUnassigned);
        assert_eq!(
            wire(&refresh),
            (
                "user_not_assigned",
                "invalid_grant",
                400,
                text::INVALID_REFRESH_TOKEN.to_owned()
            )
        );
        assert_eq!(refresh.token_invalid(), Some(TokenInvalid::UserUnassigned));
    }
}

//! `POST {issuer}/v1/token` (RFC 6749 §3.2, §4.1.3, §4.3, §4.4, §6; seed 003 "Request a Token").
//!
//! The grants are in their own modules; [`AuthServer::token`] documents the endpoint.

mod authorization_code;
mod client_credentials;
mod password;
mod refresh;

use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::AuthServer;
use super::client_auth::{client_error_response, refuse_query_credentials};
use super::mint::{IdTokenExtras, Identity, MintedAccessToken};
use super::state::ServerState;
use crate::claims::IdTokenClaimSet;
use crate::endpoint::{EndpointRequest, EndpointResponse, ErrorCode, Method, OAuthError, Params, ParamsError};
use crate::event::{Entity, Event, Severity};
use crate::model::{ClientRecord, GrantType, Group, OFFLINE_ACCESS, OPENID, User};
use crate::policy::{self, Decision, PolicyRequest, UserContext};
use crate::random::Randomness;
use crate::secret::RefreshToken;
use crate::store::grants::{Grant, GrantId, RefreshTokenRecord};
use crate::store::{ConfigStore, Directory, GrantStore};

/// The event type of every token-endpoint outcome.
pub const TOKEN_EVENT_TYPE: &str = "app.oauth2.as.token.grant";

/// The event type of a replayed authorization code or a reused refresh token.
pub const REUSE_EVENT_TYPE: &str = "app.oauth2.as.token.detect_reuse";

/// How long a grant stays revoked after a replay or reuse: the longest access-token lifetime a
/// rule can set (24 hours, reference §3.5), so every access token minted from it is covered.
pub const REVOCATION_HORIZON: Duration = Duration::days(1);

/// The longest `scope` accepted, in bytes (reference §3.4: 1024, and 4096 for refresh requests).
pub const MAX_SCOPE_LEN: usize = 1024;

/// The longest `scope` accepted on a refresh request, in bytes (reference §3.4).
pub const MAX_REFRESH_SCOPE_LEN: usize = 4096;

/// The grant types this endpoint serves, as `unsupported_grant_type` lists them.
const SUPPORTED: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::Password,
    GrantType::ClientCredentials,
    GrantType::RefreshToken,
];

const REPEATED: &str = "The request contained multiple parameters with the same name.";
const TOO_LONG: &str = "The request is too large.";
const NOT_POST: &str = "The token endpoint accepts only POST requests.";
const MISSING_GRANT_TYPE: &str = "The 'grant_type' parameter is required.";
const UNSUPPORTED_GRANT_TYPE: &str = "The authorization grant type is not supported by the authorization server. Configured grant types: [authorization_code, password, client_credentials, refresh_token].";
const INVALID_SCOPE: &str = "The requested scope is invalid, unknown, or malformed.";
const USER_UNAVAILABLE: &str = "The user is no longer available.";
const USER_NOT_ASSIGNED: &str = "User is not assigned to the client application.";

/// A refused token request: what the client sees, the reason code for the event log, and who it
/// was about.
pub(crate) struct Refusal {
    /// The OAuth error answered.
    error: OAuthError,
    /// The reason as a code (Okta's catalogue id where there is one).
    reason: &'static str,
    /// The client, once known.
    client_id: Option<String>,
    /// The user, once known.
    user_id: Option<String>,
    /// `Warn` for replays and reuse, else `Info`.
    severity: Severity,
}

impl Refusal {
    /// A refusal with `code` and a fixed description.
    fn new(code: ErrorCode, description: &'static str, reason: &'static str) -> Self {
        Self::from_error(OAuthError::new(code, description), reason)
    }

    /// A refusal answering `error`.
    fn from_error(error: OAuthError, reason: &'static str) -> Self {
        Self {
            error,
            reason,
            client_id: None,
            user_id: None,
            severity: Severity::Info,
        }
    }

    /// `server_error`: a store or the signer failed.
    fn internal() -> Self {
        Self::from_error(OAuthError::internal(), "server_error")
    }

    /// The same refusal with another HTTP status.
    fn status(mut self, status: u16) -> Self {
        self.error = self.error.with_status(status);
        self
    }

    /// Names the user the request was about.
    fn user(mut self, user_id: Option<&str>) -> Self {
        if self.user_id.is_none() {
            self.user_id = user_id.map(str::to_owned);
        }
        self
    }

    /// Names the client.
    fn client(mut self, client_id: Option<&str>) -> Self {
        if self.client_id.is_none() {
            self.client_id = client_id.map(str::to_owned);
        }
        self
    }

    /// Marks the refusal as worth a look (a replay, a reuse).
    fn warn(mut self) -> Self {
        self.severity = Severity::Warn;
        self
    }
}

/// What a successful grant produced.
pub(crate) struct Issued {
    /// The response body.
    body: Map<String, Value>,
    /// The grant the tokens were minted from.
    grant: Grant,
}

/// The tokens minted for one response.
struct Minted {
    /// The access token.
    access: MintedAccessToken,
    /// The ID token, when `openid` was granted to a user.
    id_token: Option<String>,
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// The token endpoint of server `server_id` (`POST {issuer}/v1/token`).
    ///
    /// The request is a `POST` (anything else is `405` with `Allow: POST`, RFC 6749 §3.2) whose form
    /// is read with [`Params::parse`], so a repeated parameter is `invalid_request` ("The request
    /// contained multiple parameters with the same name."). Client credentials in the query string
    /// are refused; the client is authenticated with the method it registered (`client_secret_basic`,
    /// `client_secret_post`, `client_secret_jwt`, `private_key_jwt` or `none`) before anything
    /// about the grant is looked at. Then:
    ///
    /// * `grant_type` missing → `invalid_request`; not one of `authorization_code`, `password`,
    ///   `client_credentials`, `refresh_token` → `unsupported_grant_type`; not among the client's
    ///   `grant_types` → `unauthorized_client` ("…Configured grant types: [..].").
    /// * Grants: `authorization_code` (the code redeemed once, PKCE and `redirect_uri` checked, no
    ///   policy re-evaluation), `password`, `client_credentials`, `refresh_token` (rotation with
    ///   reuse detection, policies re-evaluated).
    ///
    /// Responses follow seed 003's table of grant type × scope: `{"token_type": "Bearer",
    /// "expires_in", "access_token", "scope", "refresh_token"?, "id_token"?}` with `Cache-Control:
    /// no-store` and `Pragma: no-cache`. An ID token is issued when `openid` is granted to a grant
    /// with a user (thin: [`IdTokenClaimSet::AlwaysIncluded`], with `at_hash`); a refresh token when
    /// `offline_access` is granted and the client may use the `refresh_token` grant.
    ///
    /// Every outcome is recorded: a grant as an `app.oauth2.as.token.grant` success event naming the
    /// client, user, grant type, scopes and tokens; a refusal as a failure event of the same type with
    /// a reason code (Okta's catalogue id for policy denials) and the description the client saw.
    /// Policy evaluation records its own `app.oauth2.as.evaluate_policy` event, and a replayed code or
    /// reused refresh token an `app.oauth2.as.token.detect_reuse` warning.
    ///
    /// Error descriptions are fixed texts (Okta's where it has one); nothing the client sent is
    /// echoed.
    ///
    /// An unknown or deactivated server is `404 E0000007`; everything else is an OAuth JSON
    /// answer, never cacheable.
    pub async fn token(&self, server_id: &str, request: &EndpointRequest<'_>) -> EndpointResponse {
        let state = match self.active_state(server_id).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        let now = self.now();
        let outcome = if request.method == Method::Post {
            self.token_request(&state, request, now).await
        } else {
            Err(Refusal::new(ErrorCode::InvalidRequest, NOT_POST, "method_not_allowed").status(405))
        };
        match outcome {
            Ok(issued) => {
                self.record(success_event(&issued, server_id, now));
                EndpointResponse::json(200, Value::Object(issued.body)).no_store()
            }
            Err(refusal) => {
                self.record(failure_event(&refusal, server_id, now));
                let response = client_error_response(&refusal.error, request.authorization);
                if refusal.error.status == 405 {
                    response.with_header("Allow", "POST")
                } else {
                    response
                }
            }
        }
    }

    /// Reads the request, authenticates the client and runs the grant.
    async fn token_request(
        &self,
        state: &ServerState,
        request: &EndpointRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let params = Params::parse(request.form.unwrap_or_default()).map_err(|error| match error {
            ParamsError::TooLong => Refusal::new(ErrorCode::InvalidRequest, TOO_LONG, "request_too_large"),
            _ => Refusal::new(ErrorCode::InvalidRequest, REPEATED, "repeated_parameter"),
        })?;
        refuse_query_credentials(request.query)
            .map_err(|error| Refusal::from_error(error, "query_credentials").client(params.get("client_id")))?;
        let endpoint_url = format!("{}/v1/token", state.issuer);
        let client = self
            .authenticate_client(&params, request.authorization, &endpoint_url, now)
            .await
            .map_err(|error| {
                Refusal::from_error(error, "client_authentication_failed").client(params.get("client_id"))
            })?;
        let client_id = client.client.client_id.clone();
        self.run_grant(state, &params, client, now)
            .await
            .map_err(|refusal| refusal.client(Some(&client_id)))
    }

    /// Dispatches on `grant_type`.
    async fn run_grant(
        &self,
        state: &ServerState,
        params: &Params,
        client: ClientRecord,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let grant_type = params
            .get("grant_type")
            .ok_or_else(|| Refusal::new(ErrorCode::InvalidRequest, MISSING_GRANT_TYPE, "missing_grant_type"))?;
        let grant_type = grant_type
            .parse::<GrantType>()
            .ok()
            .filter(|grant_type| SUPPORTED.contains(grant_type))
            .ok_or_else(|| {
                Refusal::new(
                    ErrorCode::UnsupportedGrantType,
                    UNSUPPORTED_GRANT_TYPE,
                    "unsupported_grant_type",
                )
            })?;
        if !client.client.allows_grant(grant_type) {
            let configured: Vec<&str> = client.client.grant_types.iter().map(|g| g.as_str()).collect();
            let description = format!(
                "The client is not authorized to use the provided grant type. Configured grant types: [{}].",
                configured.join(", ")
            );
            return Err(Refusal::from_error(
                OAuthError::new(ErrorCode::UnauthorizedClient, description),
                "unauthorized_grant_type",
            ));
        }
        match grant_type {
            GrantType::ClientCredentials => self.client_credentials_grant(state, params, client, now).await,
            GrantType::Password => self.password_grant(state, params, client, now).await,
            GrantType::AuthorizationCode => self.authorization_code_grant(state, params, client, now).await,
            _ => self.refresh_token_grant(state, params, client, now).await,
        }
    }

    /// Evaluates the server's access policies, recording the decision or denial as an event; a
    /// denial answers with Okta's error, description and status.
    fn evaluate_policies<'a>(
        &self,
        state: &ServerState,
        request: &PolicyRequest<'a>,
        now: OffsetDateTime,
    ) -> Result<Decision<'a>, Refusal> {
        let server = Entity::new("AuthorizationServer", &state.config.server.id);
        match policy::evaluate(request) {
            Ok(decision) => {
                self.record(decision.event(request, now).with_target(server));
                Ok(decision)
            }
            Err(denial) => {
                self.record(denial.event(request, now).with_target(server));
                Err(denial_refusal(&denial).user(request.user.map(|user| user.id)))
            }
        }
    }

    /// Loads user `user_id` for a grant to `client`: they must exist, be `ACTIVE` and be assigned
    /// to the client. Returns the user and their current groups.
    async fn grant_user(&self, client_id: &str, user_id: &str) -> Result<(User, Vec<Group>), Refusal> {
        let directory = self.directory();
        let unavailable =
            || Refusal::new(ErrorCode::InvalidGrant, USER_UNAVAILABLE, "user_unavailable").user(Some(user_id));
        let user = directory
            .user(user_id)
            .await
            .map_err(|_| Refusal::internal())?
            .ok_or_else(unavailable)?;
        if !user.status.can_sign_in() {
            return Err(unavailable().user(Some(user_id)));
        }
        self.check_assigned(client_id, user_id).await?;
        let groups = directory.user_groups(user_id).await.map_err(|_| Refusal::internal())?;
        Ok((user, groups))
    }

    /// Refuses a user who is not assigned to the client (`access_denied`, 400, reference §4.1).
    async fn check_assigned(&self, client_id: &str, user_id: &str) -> Result<(), Refusal> {
        let assigned = self
            .directory()
            .is_assigned(client_id, user_id)
            .await
            .map_err(|_| Refusal::internal())?;
        if assigned {
            Ok(())
        } else {
            Err(
                Refusal::new(ErrorCode::AccessDenied, USER_NOT_ASSIGNED, "user_not_assigned")
                    .status(400)
                    .user(Some(user_id)),
            )
        }
    }

    /// Mints the access token and, when `openid` was granted to a user, the ID token.
    fn mint_tokens(
        &self,
        state: &ServerState,
        identity: &Identity,
        grant: &Grant,
        nonce: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Minted, Refusal> {
        let minting = |error| Refusal::from_error(error, "token_minting_failed");
        let access = self.mint_access_token(state, identity, grant, now).map_err(minting)?;
        let id_token = if identity.user.is_some() && grant.scopes.iter().any(|s| s == OPENID) {
            let extras = IdTokenExtras {
                nonce,
                access_token: Some(&access.token),
                code: None,
                claim_set: IdTokenClaimSet::AlwaysIncluded,
            };
            Some(
                self.mint_id_token(state, identity, grant, extras, now)
                    .map_err(minting)?,
            )
        } else {
            None
        };
        Ok(Minted { access, id_token })
    }

    /// Starts a refresh-token family for `grant`: a new token, stored as its hash, living for the
    /// grant's refresh lifetime.
    async fn new_refresh_token(&self, grant: &Grant, now: OffsetDateTime) -> Result<RefreshToken, Refusal> {
        let token = RefreshToken::generate(self.random()).map_err(|_| Refusal::internal())?;
        let expires_at = grant
            .refresh_token_lifetime_minutes
            .map(|minutes| now + Duration::minutes(i64::from(minutes)));
        let record = RefreshTokenRecord {
            token_hash: token.hash(),
            grant: grant.clone(),
            issued_at: now,
            expires_at,
            last_used_at: now,
        };
        self.grants
            .insert_refresh_token(record)
            .await
            .map_err(|_| Refusal::internal())?;
        Ok(token)
    }

    /// Revokes grant `grant_id` after a replay or reuse and records the detection.
    async fn revoke_after_reuse(
        &self,
        grant: &GrantId,
        client_id: &str,
        what: &'static str,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        self.grants
            .revoke_grant(grant, now + REVOCATION_HORIZON)
            .await
            .map_err(|_| Refusal::internal())?;
        self.record(
            Event::failure(
                REUSE_EVENT_TYPE,
                "OAuth2 token reuse detected: grant revoked",
                what,
                what,
                now,
            )
            .with_severity(Severity::Warn)
            .with_client(client_id)
            .with_target(Entity::new("Grant", grant.as_str())),
        );
        Ok(())
    }
}

/// Whether a refresh token goes with `grant`: `offline_access` granted and the client allowed
/// to refresh (seed 003 "Refresh Tokens for Web and Native Applications").
fn wants_refresh_token(client: &ClientRecord, grant: &Grant) -> bool {
    grant.scopes.iter().any(|s| s == OFFLINE_ACCESS) && client.client.allows_grant(GrantType::RefreshToken)
}

/// A grant made now from a policy decision.
#[expect(
    clippy::too_many_arguments,
    reason = "a plain constructor of a record with that many parts"
)]
pub(crate) fn grant_from_decision(
    id: GrantId,
    server_id: &str,
    client_id: &str,
    user_id: Option<&str>,
    grant_type: GrantType,
    decision: &Decision<'_>,
    auth_time: Option<OffsetDateTime>,
    amr: Vec<String>,
    now: OffsetDateTime,
) -> Grant {
    Grant {
        id,
        authorization_server_id: server_id.to_owned(),
        client_id: client_id.to_owned(),
        user_id: user_id.map(str::to_owned),
        scopes: decision.scopes.iter().map(|s| (*s).to_owned()).collect(),
        grant_type: grant_type.as_str().to_owned(),
        policy_id: decision.policy_id.to_owned(),
        rule_id: decision.rule_id.to_owned(),
        access_token_lifetime_minutes: decision.access_token_lifetime_minutes,
        refresh_token_lifetime_minutes: decision.refresh_token_lifetime_minutes,
        refresh_token_window_minutes: decision.refresh_token_window_minutes,
        auth_time,
        amr,
        issued_at: now,
    }
}

/// A fresh grant id.
fn new_grant_id(random: &dyn Randomness) -> Result<GrantId, Refusal> {
    GrantId::generate(random).map_err(|_| Refusal::internal())
}

/// The user of a policy request.
fn user_context<'a>(user: &'a User, group_ids: &'a [String]) -> UserContext<'a> {
    UserContext {
        id: &user.id,
        group_ids,
    }
}

/// The ids of `groups`.
fn group_ids(groups: &[Group]) -> Vec<String> {
    groups.iter().map(|group| group.id.clone()).collect()
}

/// The refusal for a policy denial: Okta's code, description and status.
fn denial_refusal(denial: &policy::Denial) -> Refusal {
    let code = match denial.error() {
        policy::ErrorCode::AccessDenied => ErrorCode::AccessDenied,
        policy::ErrorCode::InvalidScope => ErrorCode::InvalidScope,
    };
    Refusal::from_error(
        OAuthError::new(code, denial.description()).with_status(denial.kind.http_status()),
        denial.kind.catalogue_id(),
    )
}

/// The `scope` parameter as a list: `None` when absent. Longer than `max_len` bytes, or holding
/// a scope token outside RFC 6749 §3.3's `NQCHAR`s, is `invalid_scope`.
fn requested_scopes(params: &Params, max_len: usize) -> Result<Option<Vec<String>>, Refusal> {
    let Some(scope) = params.get("scope") else {
        return Ok(None);
    };
    let well_formed = scope.len() <= max_len
        && scope.split(' ').all(|token| {
            token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
        });
    if !well_formed {
        return Err(Refusal::new(ErrorCode::InvalidScope, INVALID_SCOPE, "malformed_scope"));
    }
    Ok(Some(
        scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    ))
}

/// A required parameter, or `invalid_request` with `description`.
fn required<'p>(
    params: &'p Params,
    name: &str,
    description: &'static str,
    reason: &'static str,
) -> Result<&'p str, Refusal> {
    params
        .get(name)
        .ok_or_else(|| Refusal::new(ErrorCode::InvalidRequest, description, reason))
}

/// The response body (seed 003 "Response Parameters").
fn token_body(minted: &Minted, refresh_token: Option<&str>) -> Map<String, Value> {
    let claims = &minted.access.claims;
    let mut body = Map::new();
    body.insert("token_type".to_owned(), json!("Bearer"));
    body.insert("expires_in".to_owned(), json!(claims.exp - claims.iat));
    body.insert("access_token".to_owned(), json!(minted.access.token));
    body.insert("scope".to_owned(), json!(claims.scp.join(" ")));
    if let Some(refresh_token) = refresh_token {
        body.insert("refresh_token".to_owned(), json!(refresh_token));
    }
    if let Some(id_token) = &minted.id_token {
        body.insert("id_token".to_owned(), json!(id_token));
    }
    body
}

/// The event recording a grant.
fn success_event(issued: &Issued, server_id: &str, now: OffsetDateTime) -> Event {
    let grant = &issued.grant;
    let tokens: Vec<&str> = ["access_token", "refresh_token", "id_token"]
        .into_iter()
        .filter(|name| issued.body.contains_key(*name))
        .collect();
    let event = Event::success(TOKEN_EVENT_TYPE, "OAuth2 tokens granted", now)
        .with_client(&grant.client_id)
        .with_target(Entity::new("AuthorizationServer", server_id))
        .with_target(Entity::new("Grant", grant.id.as_str()))
        .with_detail("grantType", &grant.grant_type)
        .with_detail("grantedScopes", &grant.scopes)
        .with_detail("tokens", tokens);
    match &grant.user_id {
        Some(user) => event.with_actor(Entity::new("User", user)),
        None => event.with_actor(Entity::new("PublicClientApp", &grant.client_id)),
    }
}

/// The event recording a refusal.
fn failure_event(refusal: &Refusal, server_id: &str, now: OffsetDateTime) -> Event {
    let mut event = Event::failure(
        TOKEN_EVENT_TYPE,
        "OAuth2 token request refused",
        refusal.reason,
        refusal.error.description.clone(),
        now,
    )
    .with_severity(refusal.severity)
    .with_target(Entity::new("AuthorizationServer", server_id))
    .with_detail("error", refusal.error.code.as_str());
    if let Some(client_id) = &refusal.client_id {
        event = event.with_client(client_id);
    }
    match (&refusal.user_id, &refusal.client_id) {
        (Some(user), _) => event.with_actor(Entity::new("User", user)),
        (None, Some(client)) => event.with_actor(Entity::new("PublicClientApp", client)),
        (None, None) => event,
    }
}

#[cfg(test)]
mod tests;

//! `GET {issuer}/v1/authorize` (seed 003 "Obtain an Authorization Grant from a User"; reference
//! §3.3, §3.4, §4.2): the start of the authorization code, implicit and hybrid flows.
//!
//! The host drives the interaction through an [`AuthorizeOutcome`]: either a response to send to
//! the browser, or [`LoginRequired`], after which the host signs the user in with its own page
//! and calls [`AuthServer::authorize`] again with the same query and the new session.
//!
//! # Order of checks
//!
//! 1. The server must be active (else Okta's `404 E0000007` JSON).
//! 2. `client_id` must name an `ACTIVE` client and `redirect_uri` must equal one of its
//!    registered URIs exactly (case-sensitive, trailing slash included). Otherwise the answer is
//!    a 400 HTML error page: **never a redirect**, since the client cannot be trusted to receive
//!    it. A repeated or oversized parameter is refused the same way.
//! 3. Everything else is delivered to the client by the response mode, with `error`,
//!    `error_description` and `state` (only when `state` itself is valid): `request`, then
//!    `response_type` (allowed by the client's `response_types` and `grant_types`),
//!    `response_mode`, `state`, `scope`, `nonce`, `prompt`, `max_age`, PKCE.
//! 4. The session: none, or too old for `prompt=login` / `max_age` → [`LoginRequired`] (or
//!    `login_required` for `prompt=none`).
//! 5. The user must be `ACTIVE` and assigned to the client; then the access policies are
//!    evaluated (`authorization_code` for a code, `implicit` for tokens, both for hybrid), the
//!    outcome recorded as an event, and a denial delivered to the client.
//! 6. Issue: the code (stored as a hash with its grant, 300 s), the access token, the ID token
//!    (all claims of the scopes when no access token comes with it, else only
//!    `alwaysIncludeInToken` ones; `at_hash`, `c_hash`, `nonce`).
//!
//! # Choices where Okta is silent
//!
//! - `nonce` is required whenever tokens come back from `/authorize` (`token` or `id_token`), as
//!   Okta's error text says.
//! - `okta_post_message` is refused for the pure code flow (seed 003) but allowed for hybrid, and
//!   only for `http`/`https` redirect URIs, whose origin is the message's `targetOrigin`.
//! - `prompt=login` and `max_age`: a session whose `auth_time` is within [`FRESH_LOGIN_WINDOW`]
//!   of now satisfies both, so the request the host repeats right after signing the user in is
//!   accepted instead of asking for a login again. Otherwise `prompt=login` always asks, and
//!   `max_age` asks when the session is older.
//! - `consent` in `prompt` is accepted and changes nothing (consent is not modelled).
//! - `sessionToken` is not redeemed here: the host resolves it to a session before calling, and
//!   otherwise gets it back in [`LoginRequired::session_token`].
//! - A session naming an unknown or inactive user is refused with `access_denied`, not sent back
//!   to the login page (which could loop).
//! - Request objects (`request`, `request_uri`) are refused with `invalid_request`.

mod request;
mod response;

#[cfg(test)]
mod tests;

use std::fmt;

use time::{Duration, OffsetDateTime};
use url::Url;

use super::AuthServer;
use super::mint::{IdTokenExtras, Identity};
use super::state::ServerState;
use crate::claims::IdTokenClaimSet;
use crate::endpoint::{EndpointRequest, EndpointResponse, ErrorCode, Method, OAuthError, Params, ParamsError, Session};
use crate::event::{Entity, Event};
use crate::model::{ClientRecord, GrantType, OFFLINE_ACCESS};
use crate::policy::{self, PolicyRequest, UserContext};
use crate::secret::AuthorizationCode;
use crate::store::grants::{AuthorizationCodeRecord, Grant, GrantId};
use crate::store::{ConfigStore, Directory, GrantStore};
use request::{ResponseMode, ValidRequest, text};

/// How long an authorization code lives (reference §3.5: 300 s).
pub(crate) const AUTHORIZATION_CODE_LIFETIME: Duration = Duration::seconds(300);

/// A sign-in this recent satisfies `prompt=login` and any `max_age`: the host repeats the
/// authorization request right after signing the user in, and that request must not ask again.
pub(crate) const FRESH_LOGIN_WINDOW: Duration = Duration::seconds(30);

/// The event type of refused authorization requests.
pub(crate) const AUTHORIZE_EVENT_TYPE: &str = "app.oauth2.as.authorize";

/// What the authorize endpoint decided.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum AuthorizeOutcome {
    /// Send this response to the user agent: a redirect (302 with `Location`) carrying the result
    /// or an error for the client, a `form_post` / `okta_post_message` HTML page, or an error page
    /// (400 HTML) when the client or redirect URI cannot be trusted.
    Respond(EndpointResponse),
    /// The user must sign in (no session, `prompt=login`, or `max_age` exceeded): the host shows
    /// its login page, then calls `authorize` again with the same query and the new session. A
    /// session whose `auth_time` is at most 30 seconds old satisfies `prompt=login` and any
    /// `max_age`, so that repeated request goes through.
    NeedsLogin(LoginRequired),
}

/// What the host needs to sign the user in. The hints are the client's words, unverified: the
/// host treats them as suggestions (and escapes them when it renders them).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoginRequired {
    /// The client asking (known and active).
    pub client_id: String,
    /// `login_hint`: a username to prefill.
    pub login_hint: Option<String>,
    /// `idp`: the identity provider to sign in with, if not the host's own.
    pub idp: Option<String>,
    /// `idp_scope`: extra scopes for a social identity provider.
    pub idp_scope: Option<String>,
    /// `display`: `page` or `popup` (other values are dropped).
    pub display: Option<String>,
    /// `sessionToken`, if the host did not resolve it to a session before calling.
    pub session_token: Option<String>,
    /// Whether the user must authenticate again although a session exists (`prompt=login`, or
    /// the session is older than `max_age`).
    pub reauthenticate: bool,
    /// `max_age` in seconds, if given.
    pub max_age: Option<u32>,
}

impl fmt::Debug for LoginRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequired")
            .field("client_id", &self.client_id)
            .field("login_hint", &self.login_hint)
            .field("idp", &self.idp)
            .field("idp_scope", &self.idp_scope)
            .field("display", &self.display)
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .field("reauthenticate", &self.reauthenticate)
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// Where and how the outcome goes back to the client, once the client and redirect URI are
/// trusted.
struct Delivery<'a> {
    redirect_uri: Url,
    mode: ResponseMode,
    /// The request's `state`, only if valid by Okta's rule.
    state: Option<&'a str>,
}

impl Delivery<'_> {
    fn error(&self, error: &OAuthError) -> AuthorizeOutcome {
        let mut params = vec![
            ("error", error.code.as_str()),
            ("error_description", error.description.as_ref()),
        ];
        params.extend(self.state.map(|state| ("state", state)));
        AuthorizeOutcome::Respond(response::deliver(&self.redirect_uri, self.mode, &params))
    }

    fn success<'p>(&'p self, mut params: Vec<(&'p str, &'p str)>) -> AuthorizeOutcome {
        params.extend(self.state.map(|state| ("state", state)));
        AuthorizeOutcome::Respond(response::deliver(&self.redirect_uri, self.mode, &params))
    }
}

/// The authorization server as an event target.
fn server_entity(server_id: &str) -> Entity {
    Entity::new("AuthorizationServer", server_id)
}

/// The grants a request is issued under: the code's (`authorization_code`) and the tokens'
/// (`implicit`); a hybrid request has both, sharing one grant id so that revoking it (e.g. on a
/// replayed code) revokes the tokens too.
struct Grants {
    code: Option<Grant>,
    tokens: Option<Grant>,
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// The authorize endpoint of server `server_id` (`GET {issuer}/v1/authorize`; a `POST` with a
    /// form body is read the same way).
    ///
    /// An unknown or inactive client, or a `redirect_uri` that is not exactly one of the client's
    /// registered URIs, gets a 400 HTML page, never a redirect. Other errors go back to the client
    /// by the response mode, with `error`, `error_description` and `state`. Without a usable
    /// session (none, `prompt=login`, `max_age` exceeded) the outcome is
    /// [`AuthorizeOutcome::NeedsLogin`], or `login_required` for `prompt=none`. With one, the user
    /// must be `ACTIVE` and assigned to the client and the access policies must grant the request
    /// (every decision is recorded as an event); then the code is stored (as a hash, for 300 s)
    /// and the tokens are minted. `sessionToken` is not redeemed here: resolve it to a session
    /// before calling.
    pub async fn authorize(&self, server_id: &str, request: &EndpointRequest<'_>) -> AuthorizeOutcome {
        let state = match self.active_state(server_id).await {
            Ok(state) => state,
            Err(unavailable) => return AuthorizeOutcome::Respond(unavailable.response()),
        };
        let raw = match (request.method, request.form) {
            (Method::Post, Some(form)) => form,
            _ => request.query,
        };
        let params = match Params::parse(raw) {
            Ok(params) => params,
            Err(ParamsError::TooLong) => return self.authorize_untrusted(None, text::TOO_LONG),
            Err(_) => return self.authorize_untrusted(None, text::REPEATED),
        };
        let client = match self.authorize_trusted_client(&params).await {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        let client_id = client.client.client_id.clone();
        let Some(redirect_uri) = params
            .get("redirect_uri")
            .filter(|uri| client.client.redirect_uris.iter().any(|registered| registered == uri))
            .and_then(|uri| Url::parse(uri).ok())
        else {
            return self.authorize_untrusted(Some(&client_id), text::ILLEGAL_REDIRECT_URI);
        };
        let web_origin = response::web_origin(&redirect_uri).is_some();
        let delivery = Delivery {
            mode: request::delivery_mode(&params, web_origin),
            state: params.get("state").filter(|state| request::valid_state(state)),
            redirect_uri,
        };
        let valid = match request::validate(&params, &client.client, web_origin) {
            Ok(valid) => valid,
            Err(error) => return self.authorize_refuse(&delivery, &error, &client_id, None),
        };
        let Some(session) = self.authorize_usable_session(request.session, &valid) else {
            return self.authorize_login_required(&params, &valid, &delivery, &client_id, request.session.is_some());
        };
        self.authorize_grant(server_id, &state, client, &valid, &delivery, session)
            .await
    }

    /// The client named by `client_id`, if it exists and is active; else the error page.
    async fn authorize_trusted_client(&self, params: &Params) -> Result<ClientRecord, AuthorizeOutcome> {
        let Some(client_id) = params.get("client_id") else {
            return Err(self.authorize_untrusted(None, text::INVALID_CLIENT));
        };
        match self.directory().client(client_id).await {
            Ok(Some(client)) if client.client.status.is_active() => Ok(client),
            Ok(_) => Err(self.authorize_untrusted(None, text::INVALID_CLIENT)),
            Err(_) => Err(AuthorizeOutcome::Respond(response::error_page(&OAuthError::internal()))),
        }
    }

    /// The 400 error page for a request whose client or redirect URI cannot be trusted, recorded
    /// as an event (naming the client only when it is a known one).
    fn authorize_untrusted(&self, client_id: Option<&str>, description: &'static str) -> AuthorizeOutcome {
        let code = if description == text::INVALID_CLIENT {
            ErrorCode::InvalidClient
        } else {
            ErrorCode::InvalidRequest
        };
        let error = OAuthError::new(code, description).with_status(400);
        let mut event = refusal_event(&error, self.now());
        if let Some(client_id) = client_id {
            event = event.with_client(client_id);
        }
        self.record(event);
        AuthorizeOutcome::Respond(response::error_page(&error))
    }

    /// Delivers `error` to the client and records it.
    fn authorize_refuse(
        &self,
        delivery: &Delivery<'_>,
        error: &OAuthError,
        client_id: &str,
        user_id: Option<&str>,
    ) -> AuthorizeOutcome {
        let mut event = refusal_event(error, self.now()).with_client(client_id);
        if let Some(user_id) = user_id {
            event = event.with_actor(Entity::new("User", user_id));
        }
        self.record(event);
        delivery.error(error)
    }

    /// The session, if there is one recent enough for `prompt=login` and `max_age`.
    fn authorize_usable_session<'s>(
        &self,
        session: Option<&'s Session>,
        valid: &ValidRequest<'_>,
    ) -> Option<&'s Session> {
        let session = session?;
        let age = self.now() - session.auth_time;
        let limit = match (valid.prompt.login, valid.max_age) {
            (true, _) => Some(Duration::ZERO),
            (false, Some(max_age)) => Some(Duration::seconds(i64::from(max_age))),
            (false, None) => None,
        };
        match limit {
            Some(limit) if age > limit.max(FRESH_LOGIN_WINDOW) => None,
            _ => Some(session),
        }
    }

    /// No usable session: `login_required` to the client for `prompt=none`, else ask the host to
    /// sign the user in.
    fn authorize_login_required(
        &self,
        params: &Params,
        valid: &ValidRequest<'_>,
        delivery: &Delivery<'_>,
        client_id: &str,
        has_session: bool,
    ) -> AuthorizeOutcome {
        if valid.prompt.none {
            let error = OAuthError::new(ErrorCode::LoginRequired, text::LOGIN_REQUIRED);
            return self.authorize_refuse(delivery, &error, client_id, None);
        }
        let owned = |name: &str| params.get(name).map(str::to_owned);
        AuthorizeOutcome::NeedsLogin(LoginRequired {
            client_id: client_id.to_owned(),
            login_hint: owned("login_hint"),
            idp: owned("idp"),
            idp_scope: owned("idp_scope"),
            display: params
                .get("display")
                .filter(|display| matches!(*display, "page" | "popup"))
                .map(str::to_owned),
            session_token: owned("sessionToken"),
            reauthenticate: has_session,
            max_age: valid.max_age,
        })
    }

    /// With a usable session: checks the user, evaluates the policies, issues.
    async fn authorize_grant(
        &self,
        server_id: &str,
        state: &ServerState,
        client: ClientRecord,
        valid: &ValidRequest<'_>,
        delivery: &Delivery<'_>,
        session: &Session,
    ) -> AuthorizeOutcome {
        let client_id = client.client.client_id.clone();
        let user_id = session.user_id.as_str();
        let refuse = |error: OAuthError| self.authorize_refuse(delivery, &error, &client_id, Some(user_id));
        let identity = match self.authorize_signed_in_identity(client, user_id).await {
            Ok(identity) => identity,
            Err(error) => return refuse(error),
        };
        let grants = match self.authorize_evaluate_policies(server_id, state, &identity, valid, session) {
            Ok(grants) => grants,
            Err(error) => return delivery.error(&error),
        };
        if let Some(tokens) = &grants.tokens {
            if let Err(error) = request::check_openid(&tokens.scopes, valid.types) {
                return refuse(error);
            }
        }
        match self.authorize_issue(state, &identity, &grants, valid, delivery).await {
            Ok(outcome) => outcome,
            Err(error) => refuse(error),
        }
    }

    /// The client, and the session's user if active and assigned to it.
    async fn authorize_signed_in_identity(&self, client: ClientRecord, user_id: &str) -> Result<Identity, OAuthError> {
        let denied = || OAuthError::new(ErrorCode::AccessDenied, text::DENIED);
        let user = self
            .directory()
            .user(user_id)
            .await
            .map_err(|_| OAuthError::internal())?;
        let user = user.filter(|user| user.status.can_sign_in()).ok_or_else(denied)?;
        let assigned = self
            .directory()
            .is_assigned(&client.client.client_id, user_id)
            .await
            .map_err(|_| OAuthError::internal())?;
        if !assigned {
            return Err(OAuthError::new(ErrorCode::AccessDenied, text::NOT_ASSIGNED).with_status(400));
        }
        let groups = self
            .directory()
            .user_groups(user_id)
            .await
            .map_err(|_| OAuthError::internal())?;
        Ok(Identity {
            client,
            user: Some(user),
            groups,
        })
    }

    /// Evaluates the access policies for each grant type the response type needs, recording
    /// every decision; the first denial is the answer (already recorded).
    fn authorize_evaluate_policies(
        &self,
        server_id: &str,
        state: &ServerState,
        identity: &Identity,
        valid: &ValidRequest<'_>,
        session: &Session,
    ) -> Result<Grants, OAuthError> {
        let now = self.now();
        let client_id = identity.client.client.client_id.as_str();
        let group_ids: Vec<String> = identity.groups.iter().map(|group| group.id.clone()).collect();
        let grant_id = GrantId::generate(self.random()).map_err(|_| OAuthError::internal())?;
        let mut grants = Grants {
            code: None,
            tokens: None,
        };
        for &grant_type in valid.types.grant_types() {
            let policy_request = PolicyRequest {
                policies: &state.config.policies,
                scopes: &state.config.scopes,
                client_id,
                user: Some(UserContext {
                    id: &session.user_id,
                    group_ids: &group_ids,
                }),
                grant_type,
                requested_scopes: valid.scopes.as_deref(),
            };
            let decision = match policy::evaluate(&policy_request) {
                Ok(decision) => decision,
                Err(denial) => {
                    self.events
                        .record(denial.event(&policy_request, now).with_target(server_entity(server_id)));
                    let code = match denial.error() {
                        policy::ErrorCode::AccessDenied => ErrorCode::AccessDenied,
                        policy::ErrorCode::InvalidScope => ErrorCode::InvalidScope,
                    };
                    return Err(OAuthError::new(code, denial.description()).with_status(denial.kind.http_status()));
                }
            };
            self.record(
                decision
                    .event(&policy_request, now)
                    .with_target(server_entity(server_id)),
            );
            let mut scopes: Vec<String> = decision.scopes.iter().map(|scope| (*scope).to_owned()).collect();
            if !valid.types.code {
                // Reference §3.4: `offline_access` without a code is ignored (a default scope too).
                scopes.retain(|scope| scope != OFFLINE_ACCESS);
            }
            let grant = Grant {
                id: grant_id.clone(),
                authorization_server_id: server_id.to_owned(),
                client_id: client_id.to_owned(),
                user_id: Some(session.user_id.clone()),
                scopes,
                grant_type: grant_type.as_str().to_owned(),
                policy_id: decision.policy_id.to_owned(),
                rule_id: decision.rule_id.to_owned(),
                access_token_lifetime_minutes: decision.access_token_lifetime_minutes,
                refresh_token_lifetime_minutes: decision.refresh_token_lifetime_minutes,
                refresh_token_window_minutes: decision.refresh_token_window_minutes,
                auth_time: Some(session.auth_time),
                amr: session.amr.clone(),
                issued_at: now,
            };
            match grant_type {
                GrantType::AuthorizationCode => grants.code = Some(grant),
                _ => grants.tokens = Some(grant),
            }
        }
        Ok(grants)
    }

    /// Stores the code, mints the tokens and delivers them.
    async fn authorize_issue(
        &self,
        state: &ServerState,
        identity: &Identity,
        grants: &Grants,
        valid: &ValidRequest<'_>,
        delivery: &Delivery<'_>,
    ) -> Result<AuthorizeOutcome, OAuthError> {
        let now = self.now();
        let user_id = identity.user.as_ref().map(|user| user.id.as_str()).unwrap_or_default();
        let issued = |event_type: &str, message: &str, grant: &Grant| {
            Event::success(event_type, message, now)
                .with_client(&grant.client_id)
                .with_actor(Entity::new("User", user_id))
                .with_target(Entity::new("AuthorizationServer", &grant.authorization_server_id))
                .with_detail("grantId", grant.id.as_str())
                .with_detail("scopes", &grant.scopes)
        };
        let code = match &grants.code {
            Some(grant) => {
                let code = AuthorizationCode::generate(self.random()).map_err(|_| OAuthError::internal())?;
                let record = AuthorizationCodeRecord {
                    code_hash: code.hash(),
                    grant: grant.clone(),
                    redirect_uri: Some(delivery.redirect_uri.as_str().to_owned()),
                    code_challenge: valid.code_challenge.map(str::to_owned),
                    nonce: valid.nonce.map(str::to_owned),
                    expires_at: now + AUTHORIZATION_CODE_LIFETIME,
                };
                self.grants
                    .insert_code(record)
                    .await
                    .map_err(|_| OAuthError::internal())?;
                self.record(issued(
                    "app.oauth2.as.authorize.code",
                    "OAuth2 authorization code issued",
                    grant,
                ));
                Some(code)
            }
            None => None,
        };
        let mut access_token = None;
        let mut id_token = None;
        if let Some(grant) = &grants.tokens {
            if valid.types.token {
                let minted = self.mint_access_token(state, identity, grant, now)?;
                self.record(
                    issued(
                        "app.oauth2.as.authorize.implicit.access_token",
                        "OAuth2 access token issued",
                        grant,
                    )
                    .with_target(Entity::new("access_token", &minted.claims.jti)),
                );
                access_token = Some(minted);
            }
            if valid.types.id_token {
                let extras = IdTokenExtras {
                    nonce: valid.nonce,
                    access_token: access_token.as_ref().map(|minted| minted.token.as_str()),
                    code: code.as_ref().map(AuthorizationCode::expose),
                    claim_set: if access_token.is_some() {
                        IdTokenClaimSet::AlwaysIncluded
                    } else {
                        IdTokenClaimSet::All
                    },
                };
                id_token = Some(self.mint_id_token(state, identity, grant, extras, now)?);
                self.record(issued(
                    "app.oauth2.as.authorize.implicit.id_token",
                    "OAuth2 ID token issued",
                    grant,
                ));
            }
        }
        let expires_in = access_token
            .as_ref()
            .map(|minted| (minted.claims.exp - minted.claims.iat).to_string());
        let scope = access_token.as_ref().map(|minted| minted.claims.scp.join(" "));
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(code) = &code {
            params.push(("code", code.expose()));
        }
        if let Some(id_token) = &id_token {
            params.push(("id_token", id_token));
        }
        if let (Some(minted), Some(expires_in), Some(scope)) = (&access_token, &expires_in, &scope) {
            params.extend([
                ("access_token", minted.token.as_str()),
                ("token_type", "Bearer"),
                ("expires_in", expires_in.as_str()),
                ("scope", scope.as_str()),
            ]);
        }
        Ok(delivery.success(params))
    }
}

/// The event recording a refused authorization request.
fn refusal_event(error: &OAuthError, now: OffsetDateTime) -> Event {
    // Okta's catalogue ids where they are more specific than the error code.
    let reason_code = match error.description.as_ref() {
        text::INVALID_CLIENT => "invalid_client_id",
        text::ILLEGAL_REDIRECT_URI => "illegal_redirect_uri",
        text::NOT_ASSIGNED => "user_not_assigned",
        _ => error.code.as_str(),
    };
    Event::failure(
        AUTHORIZE_EVENT_TYPE,
        "OAuth2 authorization request refused",
        reason_code,
        error.description.clone(),
        now,
    )
    .with_detail("error", error.code.as_str())
}

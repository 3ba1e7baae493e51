//! `GET {issuer}/v1/authorize`: the start of the authorization code, implicit and hybrid flows,
//! over the decisions of [`crate::authorize`], which documents the order of checks and the
//! choices made where Okta is silent.
//!
//! The host drives the interaction through an [`AuthorizeOutcome`]: either a response to send to
//! the browser, or [`LoginRequired`], after which the host signs the user in with its own page
//! and calls [`AuthServer::authorize`] again with the same query and the new session, marked
//! with [`EndpointRequest::with_fresh_session`] as authenticated in answer to that request.

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use super::AuthServer;
use super::mint::{self, AuthorizeTokens, IdTokenWanted, Identity};
use super::state::ServerState;
use crate::authorize::request::{self, ValidRequest};
use crate::authorize::{self, Delivery, Grants, request_object, response};
use crate::client_auth::AssertionUse;
use crate::endpoint::{EndpointRequest, EndpointResponse, Params, Reason, Refusal, Session};
use crate::event::{Entity, Event};
use crate::grant::{self, IssueContext, NewGrant};
use crate::model::ClientRecord;
use crate::store::grants::{Grant, GrantId};
use crate::store::{ConfigStore, Directory, GrantStore};

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
    /// The user must authenticate ([`LoginRequired::reason`]: no session, `prompt=login`, or
    /// `max_age` exceeded): the host shows its sign-in page, then calls `authorize` again with
    /// the same query and the new session, marked with
    /// [`EndpointRequest::with_fresh_session`] as authenticated in answer to this request. An
    /// existing session, however recent, is not a new authentication: for
    /// [`LoginReason::PromptLogin`] and [`LoginReason::MaxAge`] the host must ask for the
    /// credentials again, not resume with the session it has.
    NeedsLogin(LoginRequired),
}

/// Why the user must authenticate (OpenID Connect Core §3.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginReason {
    /// The browser has no session: sign the user in.
    NoSession,
    /// `prompt=login`: the user must authenticate again although a session exists; the session
    /// must not be reused.
    PromptLogin,
    /// The session's `auth_time` is more than `max_age` seconds ago: the user must authenticate
    /// again; the session must not be reused.
    MaxAge,
}

impl LoginReason {
    /// Whether the user must authenticate afresh although a session exists (`prompt=login` or
    /// `max_age`): the host asks for the credentials again instead of reusing the session.
    pub fn reauthenticate(self) -> bool {
        !matches!(self, LoginReason::NoSession)
    }
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
    /// Why: no session, or a new authentication is required although a session exists
    /// ([`LoginReason::reauthenticate`]).
    pub reason: LoginReason,
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
            .field("reason", &self.reason)
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// The authorize endpoint of server `server_id` (`GET {issuer}/v1/authorize`; a `POST` with a
    /// form body is read the same way).
    ///
    /// An unknown or inactive client, or a `redirect_uri` that is not exactly one of the client's
    /// registered URIs, gets a 400 HTML page, never a redirect. Other errors go back to the client
    /// by the response mode, with `error`, `error_description` and `state`. Without a usable
    /// session (none, `prompt=login`, `max_age` exceeded) the outcome is
    /// [`AuthorizeOutcome::NeedsLogin`], or `login_required` for `prompt=none`; a session marked
    /// [`fresh`](EndpointRequest::with_fresh_session) is always usable. With one, the user
    /// must be `ACTIVE` and assigned to the client and the access policies must grant the request
    /// (every decision is recorded as an event); then the code is stored (as a hash, for 300 s)
    /// and the tokens are minted. `sessionToken` is not redeemed here: resolve it to a session
    /// before calling. An unknown or deactivated server is `404 E0000007`.
    pub async fn authorize(&self, server_id: &str, request: &EndpointRequest<'_>) -> AuthorizeOutcome {
        let now = self.now();
        let state = match self.active_state_at(server_id, now).await {
            Ok(state) => state,
            Err(unavailable) => return AuthorizeOutcome::Respond(unavailable.response()),
        };
        let params = match authorize::parameters(request) {
            Ok(params) => params,
            Err(reason) => return self.authorize_untrusted(reason, None, now),
        };
        let client = match self.authorize_client(&params, now).await {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        let client_id = client.client.client_id.clone();
        let merged = match self.authorize_request_object(&state, &params, &client, now).await {
            Ok(merged) => merged,
            Err(reason) => {
                return match authorize::redirect_uri(&params, &client.client) {
                    Ok(redirect_uri) => {
                        let delivery = Delivery::new(&params, redirect_uri);
                        let refusal = Refusal::from(reason).client(Some(&client_id));
                        self.authorize_refuse(&delivery, &refusal, now)
                    }
                    Err(_) => self.authorize_untrusted(reason, Some(&client_id), now),
                };
            }
        };
        let (params, request_object_jti) = match merged {
            Some((merged, jti)) => (merged, jti),
            None => (params, None),
        };
        let delivery = match authorize::redirect_uri(&params, &client.client) {
            Ok(redirect_uri) => Delivery::new(&params, redirect_uri),
            Err(reason) => return self.authorize_untrusted(reason, Some(&client_id), now),
        };
        let refuse = |reason: Reason| {
            let refusal = Refusal::from(reason).client(Some(&client_id));
            self.authorize_refuse(&delivery, &refusal, now)
        };
        let valid = match request::validate(&params, &client.client, delivery.web_origin) {
            Ok(valid) => valid,
            Err(reason) => return refuse(reason),
        };
        let session = match authorize::usable_session(request.session, request.fresh_session, &valid, now) {
            Ok(session) => session,
            Err(login_reason) => {
                return match authorize::login_required(&params, &valid, &client_id, login_reason) {
                    Ok(login) => AuthorizeOutcome::NeedsLogin(login),
                    Err(reason) => refuse(reason),
                };
            }
        };
        // A request object's `jti` is spent only by the request that is answered, not by the
        // one that sent the user to sign in (the browser comes back with the same object).
        if let Some(jti) = &request_object_jti {
            if let Err(reason) = self.spend_request_object_jti(&client_id, jti, now).await {
                return refuse(reason);
            }
        }
        match self
            .authorize_grant(&state, client, &valid, &delivery, session, now)
            .await
        {
            Ok(outcome) => outcome,
            Err(refusal) => self.authorize_refuse(&delivery, &refusal.client(Some(&client_id)), now),
        }
    }

    /// Load the client named by `client_id` → decide; else the error page.
    async fn authorize_client(
        &self,
        params: &Params,
        now: OffsetDateTime,
    ) -> Result<Arc<ClientRecord>, AuthorizeOutcome> {
        let client_id = authorize::client_id(params).map_err(|reason| self.authorize_untrusted(reason, None, now))?;
        let client = self.directory().client(client_id).await.map_err(|error| {
            let reason = Reason::from(error);
            super::trace_failure(&reason);
            AuthorizeOutcome::Respond(response::error_page(&reason.error()))
        })?;
        authorize::trusted_client(client).map_err(|reason| self.authorize_untrusted(reason, None, now))
    }

    /// `request_uri` → refuse; `request` → load the client's HMAC key if its algorithm needs one
    /// → verify → the merged parameters and the `jti` to spend once the request is answered.
    /// `None` without a request object.
    async fn authorize_request_object(
        &self,
        state: &ServerState,
        params: &Params,
        client: &ClientRecord,
        now: OffsetDateTime,
    ) -> Result<Option<(Params, Option<AssertionUse>)>, Reason> {
        request_object::refuse_request_uri(params)?;
        let Some(request) = params.get("request") else {
            return Ok(None);
        };
        let client_id = client.client.client_id.as_str();
        let secret = match request_object::key_kind(request)? {
            request_object::KeyKind::Secret => self.directory().client_secret_jwt_key(client_id).await?,
            request_object::KeyKind::Registered => None,
        };
        let verified = request_object::verify(request, client, secret.as_ref(), &state.issuer, now)?;
        let merged = request_object::merge(params, &verified.members)?;
        Ok(Some((merged, verified.jti)))
    }

    /// Records a request object's `jti` as used → decide (Okta: a `jti` already processed is
    /// refused).
    async fn spend_request_object_jti(
        &self,
        client_id: &str,
        jti: &AssertionUse,
        now: OffsetDateTime,
    ) -> Result<(), Reason> {
        let first_use = self
            .grants
            .record_assertion_jti(client_id, &jti.jti, jti.expires_at, now)
            .await?;
        request_object::single_use(first_use)
    }

    /// The 400 error page for a request whose client or redirect URI cannot be trusted, recorded
    /// as an event (naming the client only when it is a known one).
    fn authorize_untrusted(&self, reason: Reason, client_id: Option<&str>, now: OffsetDateTime) -> AuthorizeOutcome {
        let refusal = Refusal::from(reason).client(client_id);
        self.record(authorize_event(&refusal, now));
        AuthorizeOutcome::Respond(response::error_page(&refusal.reason.error()))
    }

    /// Delivers the refusal to the client and records it; a policy denial is recorded by the
    /// policy evaluation's own event.
    fn authorize_refuse(&self, delivery: &Delivery<'_>, refusal: &Refusal, now: OffsetDateTime) -> AuthorizeOutcome {
        if !matches!(refusal.reason, Reason::PolicyDenied(_)) {
            self.record(authorize_event(refusal, now));
        }
        delivery.error(&refusal.reason.error())
    }

    /// With a usable session: load the user → decide → evaluate the policies → issue.
    async fn authorize_grant(
        &self,
        state: &Arc<ServerState>,
        client: Arc<ClientRecord>,
        valid: &ValidRequest<'_>,
        delivery: &Delivery<'_>,
        session: &Session,
        now: OffsetDateTime,
    ) -> Result<AuthorizeOutcome, Refusal> {
        let user_id = session.user_id.as_str();
        let refused = |reason: Reason| Refusal::from(reason).user(Some(user_id));
        let directory = self.directory();
        let user = directory.user(user_id).await.map_err(|error| refused(error.into()))?;
        let user = authorize::signed_in_user(user).map_err(refused)?;
        let assigned = directory
            .is_assigned(&client.client.client_id, user_id)
            .await
            .map_err(|error| refused(error.into()))?;
        grant::assigned(assigned).map_err(refused)?;
        let groups = directory
            .user_groups(user_id)
            .await
            .map_err(|error| refused(error.into()))?;
        let identity = Identity {
            client,
            user: Some(user),
            groups,
        };
        let grants = self
            .authorize_grants(state, &identity, valid, session, now)
            .map_err(refused)?;
        grants.check_openid(valid.types).map_err(refused)?;
        self.authorize_issue(state, &identity, &grants, valid, delivery, now)
            .await
            .map_err(refused)
    }

    /// Evaluates the access policies for each grant type the response type needs, recording
    /// every decision; the first denial is the answer.
    fn authorize_grants(
        &self,
        state: &ServerState,
        identity: &Identity,
        valid: &ValidRequest<'_>,
        session: &Session,
        now: OffsetDateTime,
    ) -> Result<Grants, Reason> {
        let client_id = identity.client.client.client_id.as_str();
        let group_ids = grant::group_ids(&identity.groups);
        let user = identity.user.as_ref().map(|user| (user, group_ids.as_slice()));
        let mut grants = Grants::new(GrantId::generate(self.random())?);
        for &grant_type in valid.types.grant_types() {
            let request = grant::policy_request(&state.config, client_id, user, grant_type, valid.scopes.as_deref());
            let decision = self.evaluate_policies(state, &request, now)?;
            let new = NewGrant {
                id: grants.id.clone(),
                server_id: &state.config.server.id,
                client_id,
                user_id: Some(&session.user_id),
                grant_type,
                auth_time: Some(session.auth_time),
                amr: session.amr.clone(),
                now,
            };
            grants.add(new, &decision, valid.types);
        }
        grants.record_request(valid, &session.amr);
        Ok(grants)
    }

    /// Draws the issue context, stores the code, mints the tokens and delivers them.
    async fn authorize_issue(
        &self,
        state: &Arc<ServerState>,
        identity: &Identity,
        grants: &Grants,
        valid: &ValidRequest<'_>,
        delivery: &Delivery<'_>,
        now: OffsetDateTime,
    ) -> Result<AuthorizeOutcome, Reason> {
        let context = IssueContext::draw(self.random(), now, &grants.id, grants.code.is_some())?;
        let user_id = identity.user.as_ref().map(|user| user.id.as_str()).unwrap_or_default();
        let issued = |event_type: &'static str, message: &'static str, grant: &Grant| {
            Event::unnumbered_success(event_type, message, now)
                .with_client(&grant.client_id)
                .with_actor(Entity::new("User", user_id))
                .with_target(Entity::new("AuthorizationServer", &grant.authorization_server_id))
                .with_detail("grantId", grant.id.as_str())
                .with_detail("scopes", &grant.scopes)
        };
        let code = match (&grants.code, &context.code) {
            (Some(grant), Some(code)) => {
                let record = authorize::code_record(code, grant, delivery, valid, now);
                self.grants.insert_code(record).await?;
                self.record(issued(
                    "app.oauth2.as.authorize.code",
                    "OAuth2 authorization code issued",
                    grant,
                ));
                Some(code)
            }
            _ => None,
        };
        let (access_token, id_token) = match &grants.tokens {
            Some(grant) => {
                let wanted = AuthorizeTokens {
                    now: context.now,
                    access_token_id: valid.types.token.then(|| context.access_token_id.clone()),
                    id_token: valid.types.id_token.then(|| IdTokenWanted {
                        jti: context.id_token_id(),
                        nonce: valid.nonce.map(str::to_owned),
                        code: code.map(|code| code.expose().to_owned()),
                        claim_set: authorize::id_token_claim_set(valid.types.token),
                    }),
                };
                let inline = mint::signs_inline(state.signer.algorithm());
                let (access_token, id_token) = self
                    .mint(state, identity, grant, (wanted, now), inline, mint::authorize_tokens)
                    .await?;
                if access_token.is_some() {
                    self.record(
                        issued(
                            "app.oauth2.as.authorize.implicit.access_token",
                            "OAuth2 access token issued",
                            grant,
                        )
                        .with_target(Entity::new("access_token", &context.access_token_id)),
                    );
                }
                if id_token.is_some() {
                    self.record(issued(
                        "app.oauth2.as.authorize.implicit.id_token",
                        "OAuth2 ID token issued",
                        grant,
                    ));
                }
                (access_token, id_token)
            }
            None => (None, None),
        };
        let expires_in = access_token.as_ref().map(|minted| minted.expires_in.to_string());
        // An access token's scopes are its grant's.
        let scope = (grants.tokens.as_ref())
            .filter(|_| access_token.is_some())
            .map(|grant| grant.scopes.join(" "));
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(code) = code {
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

/// The event recording a refused authorization request: the reason's code (Okta's catalogue id
/// where it is more specific than the error code), the description and error code the client
/// saw, the client, and the user as actor once known.
fn authorize_event(refusal: &Refusal, now: OffsetDateTime) -> Event {
    let event = refusal
        .event(AUTHORIZE_EVENT_TYPE, "OAuth2 authorization request refused", now)
        .with_detail("error", refusal.reason.error().code.as_str());
    match &refusal.user_id {
        Some(user_id) => event.with_actor(Entity::new("User", user_id)),
        None => event,
    }
}

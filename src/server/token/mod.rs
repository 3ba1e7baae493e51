//! `POST {issuer}/v1/token` (RFC 6749 §3.2, §4.1.3, §4.3, §4.4, §6; Okta's "Token" endpoint in
//! the OpenID Connect & OAuth 2.0 API reference).
//!
//! Each grant reads the same way: load the facts, decide with [`crate::grant`], then write,
//! record and respond. [`AuthServer::token`] documents the endpoint.

mod authorization_code;
mod client_credentials;
mod password;
mod refresh;

use std::sync::Arc;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::AuthServer;
use super::client_auth::client_error_response;
use super::mint::{self, IdTokenWanted, Identity, ResponseTokens};
use super::state::{ClientAuthEndpoint, ServerState};
use crate::claims::IdTokenClaimSet;
use crate::endpoint::{EndpointRequest, EndpointResponse, Params, Reason, Refusal};
use crate::event::{Detail, Entity, EntityRef, Event, EventRef, OutcomeResult, Severity};
use crate::grant::{self, IssueContext, REVOCATION_HORIZON, RefreshTokenBits};
use crate::model::{ClientRecord, GrantType, Group, User};
use crate::random::Randomness;
use crate::secret::RefreshToken;
use crate::store::grants::{Grant, GrantId};
use crate::store::{ConfigStore, Directory, GrantStore};

/// The event type of every token-endpoint outcome.
pub const TOKEN_EVENT_TYPE: &str = "app.oauth2.as.token.grant";

/// The event type of a replayed authorization code or a reused refresh token.
pub const REUSE_EVENT_TYPE: &str = "app.oauth2.as.token.detect_reuse";

/// A token request whose client authenticated: what every grant starts from.
pub(crate) struct TokenGrant<'a> {
    /// The server asked.
    state: &'a Arc<ServerState>,
    /// The form.
    params: &'a Params,
    /// The authenticated client.
    client: Arc<ClientRecord>,
    /// The request's instant.
    now: OffsetDateTime,
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
    access_token: String,
    /// Its lifetime in seconds.
    expires_in: i64,
    /// The ID token, when `openid` was granted to a user.
    id_token: Option<String>,
}

impl Minted {
    /// The response body for a grant of `scopes`, with `refresh_token` if one was issued; the
    /// tokens move into it.
    fn body(self, scopes: &[String], refresh_token: Option<&str>) -> Map<String, Value> {
        grant::token_body(self.access_token, self.expires_in, scopes, refresh_token, self.id_token)
    }
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
    /// Responses follow Okta's table of grant type × scope ("Token" endpoint, response
    /// properties): `{"token_type": "Bearer", "expires_in", "access_token", "scope",
    /// "refresh_token"?, "id_token"?}` with `Cache-Control: no-store` and `Pragma: no-cache`. An ID
    /// token is issued when `openid` is granted to a grant with a user (thin:
    /// [`IdTokenClaimSet::AlwaysIncluded`], with `at_hash`); a refresh token when
    /// `offline_access` is granted and the client may use the `refresh_token` grant.
    ///
    /// Every outcome is recorded: a grant as an `app.oauth2.as.token.grant` success event naming the
    /// client, user, grant type, scopes and tokens; a refusal as a failure event of the same type with
    /// the [`Reason`]'s code (Okta's catalogue id for policy denials) and the description the client
    /// saw. Policy evaluation records its own `app.oauth2.as.evaluate_policy` event, and a replayed
    /// code or reused refresh token an `app.oauth2.as.token.detect_reuse` warning.
    ///
    /// Error descriptions are fixed texts (Okta's where it has one); nothing the client sent is
    /// echoed.
    ///
    /// An unknown or deactivated server is `404 E0000007`; everything else is an OAuth JSON
    /// answer, never cacheable.
    pub async fn token(&self, server_id: &str, request: &EndpointRequest<'_>) -> EndpointResponse {
        let now = self.now();
        let state = match self.active_state_at(server_id, now).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        match self.token_request(&state, request, now).await {
            Ok(issued) => {
                if self.records_events() {
                    describe_grant(&issued, server_id, now, |event| self.record_ref(event));
                }
                EndpointResponse::json(200, Value::Object(issued.body)).no_store()
            }
            Err(refusal) => {
                let event = refusal
                    .event(TOKEN_EVENT_TYPE, "OAuth2 token request refused", now)
                    .with_target(Entity::new("AuthorizationServer", server_id))
                    .with_detail("error", refusal.reason.error().code.as_str());
                self.record(match refusal.actor() {
                    Some(actor) => event.with_actor(actor),
                    None => event,
                });
                let response = client_error_response(&refusal.reason.error(), request.authorization);
                if matches!(refusal.reason, Reason::TokenNotPost) {
                    response.with_header("Allow", "POST")
                } else {
                    response
                }
            }
        }
    }

    /// Reads the request, authenticates the client and runs the grant; a refusal that revokes a
    /// grant (a replayed code, a reused refresh token) revokes it here.
    async fn token_request(
        &self,
        state: &Arc<ServerState>,
        request: &EndpointRequest<'_>,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let params = grant::token_form(request)?;
        let form_client = params.get("client_id");
        let client = self
            .authenticate_client(
                &params,
                request.authorization,
                state.endpoint_url(ClientAuthEndpoint::Token),
                false,
                now,
            )
            .await
            .map_err(|reason| Refusal::from(Reason::ClientAuthentication(Box::new(reason))).client(form_client))?;
        let client_id = client.client.client_id.clone();
        let asked = TokenGrant {
            state,
            params: &params,
            client,
            now,
        };
        let refusal = match self.run_grant(asked).await {
            Ok(issued) => return Ok(issued),
            Err(refusal) => refusal.client(Some(&client_id)),
        };
        if let Some(grant) = refusal.reason.revokes() {
            if let Err(reason) = self
                .revoke_after_reuse(grant, &client_id, refusal.reason.code(), now)
                .await
            {
                return Err(Refusal { reason, ..refusal });
            }
        }
        Err(refusal)
    }

    /// Dispatches on `grant_type`.
    async fn run_grant(&self, asked: TokenGrant<'_>) -> Result<Issued, Refusal> {
        match grant::grant_type(asked.params, &asked.client.client)? {
            GrantType::ClientCredentials => self.client_credentials_grant(asked).await,
            GrantType::Password => Box::pin(self.password_grant(asked)).await,
            GrantType::AuthorizationCode => Box::pin(self.authorization_code_grant(asked)).await,
            _ => Box::pin(self.refresh_token_grant(asked)).await,
        }
    }

    /// Loads user `user_id` for a grant to `client_id` and decides: they must exist, be able to
    /// sign in and be assigned to the client. Returns the user and their current groups.
    async fn grant_user(&self, client_id: &str, user_id: &str) -> Result<(User, Vec<Group>), Refusal> {
        let refused = |reason: Reason| Refusal::from(reason).user(Some(user_id));
        let user = grant::grant_user(self.directory().user(user_id).await?).map_err(refused)?;
        grant::assigned(self.directory().is_assigned(client_id, user_id).await?).map_err(refused)?;
        let groups = self.directory().user_groups(user_id).await?;
        Ok((user, groups))
    }

    /// Draws the issue context for `grant` from `random` and mints the access token and, when
    /// `openid` was granted to a user, the ID token. Returns them with the random bits of a
    /// refresh token drawn in the same context, for a grant that issues one. Minting failures
    /// are recorded as such; an overloaded CPU pool is `503 temporarily_unavailable`.
    async fn mint_tokens(
        &self,
        state: &Arc<ServerState>,
        identity: &Identity,
        grant: &Grant,
        random: &dyn Randomness,
        nonce: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(Minted, RefreshTokenBits), Refusal> {
        let minting = |reason: Reason| match reason {
            Reason::Overloaded => Refusal::from(reason),
            reason => Refusal::from(Reason::TokenMinting(Box::new(reason))),
        };
        let context = IssueContext::draw(random, now, &grant.id, false).map_err(|e| minting(e.into()))?;
        let wanted = ResponseTokens {
            now: context.now,
            id_token: grant::wants_id_token(grant).then(|| IdTokenWanted {
                jti: context.id_token_id(),
                nonce: nonce.map(str::to_owned),
                code: None,
                claim_set: IdTokenClaimSet::AlwaysIncluded,
            }),
            // Moved, not copied: the context goes no further than the refresh token's bits.
            access_token_id: context.access_token_id,
        };
        let inline = mint::signs_inline(state.signer.algorithm());
        let (access, id_token) = self
            .mint(state, identity, grant, (wanted, now), inline, mint::response_tokens)
            .await
            .map_err(minting)?;
        let minted = Minted {
            access_token: access.token,
            expires_in: access.expires_in,
            id_token,
        };
        Ok((minted, context.refresh_token))
    }

    /// Issues `grant` to `identity`: mints the tokens (their ids drawn from `random`), and starts a
    /// refresh-token family when the grant calls for one (the code and password grants).
    async fn issue(
        &self,
        state: &Arc<ServerState>,
        identity: &Identity,
        grant: Grant,
        random: &dyn Randomness,
        nonce: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Issued, Refusal> {
        let (minted, refresh_token_bits) = self.mint_tokens(state, identity, &grant, random, nonce, now).await?;
        let refresh_token = if grant::wants_refresh_token(&identity.client, &grant) {
            let token = refresh_token_bits.token();
            self.grants
                .insert_refresh_token(grant::first_refresh_token(&token, &grant, now))
                .await?;
            Some(token)
        } else {
            None
        };
        Ok(Issued {
            body: minted.body(&grant.scopes, refresh_token.as_ref().map(RefreshToken::expose)),
            grant,
        })
    }

    /// Revokes grant `grant` after a replay or reuse and records the detection (`what`).
    async fn revoke_after_reuse(
        &self,
        grant: &GrantId,
        client_id: &str,
        what: &'static str,
        now: OffsetDateTime,
    ) -> Result<(), Reason> {
        self.grants
            .revoke_grant(grant, now.saturating_add(REVOCATION_HORIZON))
            .await?;
        self.record(
            Event::unnumbered_failure(
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

/// Calls `record` with the event recording a grant, as borrowed parts: it is recorded on every
/// successful token request, and a sink that packs events then builds no [`Event`].
fn describe_grant(issued: &Issued, server_id: &str, now: OffsetDateTime, record: impl FnOnce(&EventRef<'_>)) {
    let grant = &issued.grant;
    let mut tokens = [""; 3];
    let mut issued_tokens = 0;
    for name in ["access_token", "refresh_token", "id_token"] {
        if issued.body.contains_key(name) {
            tokens[issued_tokens] = name;
            issued_tokens += 1;
        }
    }
    let target = [
        EntityRef::new("AuthorizationServer", server_id),
        EntityRef::new("Grant", grant.id.as_str()),
    ];
    // Keys in increasing order: what a sink that packs events keeps as given.
    let debug_data = [
        ("grantType", Detail::Text(&grant.grant_type)),
        ("grantedScopes", Detail::Strings(&grant.scopes)),
        ("tokens", Detail::Strs(&tokens[..issued_tokens])),
    ];
    record(&EventRef {
        uuid: "",
        published: now,
        event_type: TOKEN_EVENT_TYPE,
        severity: Severity::Info,
        display_message: "OAuth2 tokens granted",
        result: OutcomeResult::Success,
        reason: None,
        actor: Some(match &grant.user_id {
            Some(user) => EntityRef::new("User", user),
            None => EntityRef::new("PublicClientApp", &grant.client_id),
        }),
        client: Some(&grant.client_id),
        target: &target,
        debug_data: &debug_data,
    });
}

#[cfg(test)]
mod tests;

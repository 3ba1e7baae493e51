//! `POST {issuer}/v1/introspect` (RFC 7662; Okta's "Introspect" endpoint in the OpenID Connect &
//! OAuth 2.0 API reference).
//!
//! The client authenticates as at the token endpoint; a public client sends its `client_id` in
//! the form or, as Okta documents, in the query string (any other credential in the query string
//! is refused). Access and refresh tokens are recognised whatever `token_type_hint` says: the
//! hint only decides which kind is tried first (RFC 7662 §2.1).
//!
//! A valid token answers `active: true` with `token_type`, `scope`, `client_id`, `username`,
//! `exp`, `iat`, `sub` and, for access tokens, `aud`, `iss`, `jti`, `uid` and the token's custom
//! claims (Okta's response example). Everything else (unknown, malformed, expired, revoked,
//! implicitly revoked, or another client's token presented by a public client, which may
//! introspect only its own) answers exactly `{"active": false}`. `username` is the user's login;
//! a refresh token's `sub` is the login too (the default `sub` expression's value), or the
//! client id for grants without a user.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::client_auth::client_error_response;
use super::state::{ClientAuthEndpoint, ServerState};
use super::{AuthServer, trace_failure, unrecorded_refusal};
use crate::claims::AccessTokenClaims;
use crate::endpoint::{EndpointRequest, EndpointResponse, Params, Reason, TokenInvalid};
use crate::event::Event;
use crate::model::{ClientRecord, User};
use crate::store::grants::RefreshTokenRecord;
use crate::store::{ConfigStore, Directory, GrantStore};
use crate::validity::{self, TokenKind, refresh_token_expiry};

/// The event type recording why a token introspected inactive (the client only sees
/// `{"active": false}`).
pub(crate) const INTROSPECT_EVENT: &str = "app.oauth2.as.token.introspect";
/// The event's reason in words; its code names the precise cause.
const INACTIVE: &str = "The token is not active.";

/// `{"active": false}`.
fn inactive() -> EndpointResponse {
    EndpointResponse::json(200, json!({ "active": false })).no_store()
}

/// An authenticated request about one token, at `/introspect` or `/revoke`.
pub(crate) struct TokenOperation {
    /// The server.
    pub(crate) state: Arc<ServerState>,
    /// The form, with a query-string `client_id`.
    pub(crate) params: Params,
    /// The authenticated client.
    pub(crate) client: Arc<ClientRecord>,
    /// The request's instant.
    pub(crate) now: OffsetDateTime,
}

impl TokenOperation {
    /// The `token` parameter (checked present).
    pub(crate) fn token(&self) -> &str {
        validity::token_param(&self.params).unwrap_or_default()
    }

    /// The kinds to try, hinted kind first.
    pub(crate) fn kinds(&self) -> [TokenKind; 2] {
        TokenKind::order(self.params.get("token_type_hint"))
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// `POST {issuer}/v1/introspect` of server `server_id` (RFC 7662): the authenticated client
    /// learns whether an access or refresh token is active and, if so, its scope, client, user,
    /// times and claims. Unknown, malformed, expired, revoked and implicitly revoked tokens (the
    /// configuration, the client or the user changed after minting) answer exactly
    /// `{"active": false}`, as does another client's token presented by a public client.
    /// `token_type_hint` only orders the search. An unknown or deactivated server is
    /// `404 E0000007`.
    pub async fn introspect(&self, server_id: &str, request: &EndpointRequest<'_>) -> EndpointResponse {
        let operation = match self
            .token_operation(server_id, request, ClientAuthEndpoint::Introspect)
            .await
        {
            Ok(operation) => operation,
            Err(response) => return response,
        };
        let TokenOperation { state, client, now, .. } = &operation;
        let token = operation.token();
        let mut verdicts = Vec::new();
        for kind in operation.kinds() {
            let introspected = match kind {
                TokenKind::Access => self.introspect_access_token(state, client, token, *now).await,
                TokenKind::Refresh => self.introspect_refresh_token(state, client, token, *now).await,
            };
            match introspected {
                Ok(body) => return EndpointResponse::json(200, Value::Object(body)).no_store(),
                Err(refused) => match refused.token_invalid() {
                    Some(invalid) => verdicts.push((kind, invalid)),
                    None => return unrecorded_refusal(&refused),
                },
            }
        }
        let reason = validity::inactive_reason(token, &verdicts);
        self.record(
            Event::unnumbered_failure(
                INTROSPECT_EVENT,
                "OAuth2 token introspection",
                reason.code(),
                INACTIVE,
                *now,
            )
            .with_client(client.client.client_id.as_str()),
        );
        inactive()
    }

    async fn introspect_access_token(
        &self,
        state: &ServerState,
        client: &ClientRecord,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Map<String, Value>, Reason> {
        let (claims, user) = self.access_token_and_user(state, token, now).await?;
        validity::visible_to(&client.client, &claims.cid).map_err(Reason::AccessTokenInvalid)?;
        access_token_body(claims, user.as_ref()).ok_or(Reason::AccessTokenInvalid(TokenInvalid::Malformed))
    }

    async fn introspect_refresh_token(
        &self,
        state: &ServerState,
        client: &ClientRecord,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Map<String, Value>, Reason> {
        let (record, user) = self.validate_refresh_token(state, token, now).await?;
        validity::visible_to(&client.client, &record.grant.client_id).map_err(Reason::RefreshTokenInvalid)?;
        Ok(refresh_token_body(&record, user.as_ref()))
    }

    /// Reads a `POST` to `endpoint` of server `server_id` about one token
    /// ([`validity::token_operation_form`]) and authenticates its client, at one instant. Errors
    /// come as the response to send.
    pub(crate) async fn token_operation(
        &self,
        server_id: &str,
        request: &EndpointRequest<'_>,
        endpoint: ClientAuthEndpoint,
    ) -> Result<TokenOperation, EndpointResponse> {
        let now = self.now();
        let state = self.active_state_at(server_id, now).await.map_err(|e| e.response())?;
        let params = validity::token_operation_form(request).map_err(|reason| {
            let response = unrecorded_refusal(&reason);
            match reason {
                Reason::MethodNotAllowed => response.with_header("Allow", "POST"),
                _ => response,
            }
        })?;
        let client = self
            .authenticate_client(&params, request.authorization, state.endpoint_url(endpoint), true, now)
            .await
            .map_err(|reason| {
                trace_failure(&reason);
                client_error_response(&reason.error(), request.authorization)
            })?;
        validity::token_param(&params).map_err(|reason| unrecorded_refusal(&reason))?;
        Ok(TokenOperation {
            state,
            params,
            client,
            now,
        })
    }
}

/// An active access token's introspection (RFC 7662 §2.2; Okta's response example): its
/// claims, the user's login, and its custom claims. `None` if `aud` cannot be written.
fn access_token_body(claims: AccessTokenClaims, user: Option<&User>) -> Option<Map<String, Value>> {
    let mut body = active_body(&claims.scp, &claims.cid, user.map(|user| user.profile.login.as_str()));
    body.insert("exp".to_owned(), json!(claims.exp));
    body.insert("iat".to_owned(), json!(claims.iat));
    body.insert("sub".to_owned(), json!(claims.sub));
    body.insert("aud".to_owned(), serde_json::to_value(&claims.aud).ok()?);
    body.insert("iss".to_owned(), json!(claims.iss));
    body.insert("jti".to_owned(), json!(claims.jti));
    if let Some(uid) = &claims.uid {
        body.insert("uid".to_owned(), json!(uid));
    }
    for (name, value) in claims.custom {
        body.entry(name).or_insert(value);
    }
    Some(body)
}

/// An active refresh token's introspection: its grant's scopes and client, the user's login,
/// when it stops working if unused, and `sub` (the login, or the client for grants without a
/// user).
fn refresh_token_body(record: &RefreshTokenRecord, user: Option<&User>) -> Map<String, Value> {
    let grant = &record.grant;
    let login = user.map(|user| user.profile.login.as_str());
    let mut body = active_body(&grant.scopes, &grant.client_id, login);
    body.insert("exp".to_owned(), json!(refresh_token_expiry(record).unix_timestamp()));
    body.insert("iat".to_owned(), json!(record.issued_at.unix_timestamp()));
    body.insert("sub".to_owned(), json!(login.unwrap_or(&grant.client_id)));
    body
}

/// The members every active answer starts with.
fn active_body(scopes: &[String], client_id: &str, login: Option<&str>) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("active".to_owned(), Value::Bool(true));
    body.insert("token_type".to_owned(), json!("Bearer"));
    body.insert("scope".to_owned(), json!(scopes.join(" ")));
    body.insert("client_id".to_owned(), json!(client_id));
    if let Some(login) = login {
        body.insert("username".to_owned(), json!(login));
    }
    body
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::Duration;

    use crate::admin::Method;
    use crate::endpoint::EndpointRequest;
    use crate::event::{EventQuery, OutcomeResult};
    use crate::model::Status;
    use crate::server::validate::fixture::{ALICE, Fixture, OTHER, SPA, WEB, user};
    use crate::store::GrantStore;

    #[tokio::test]
    async fn an_active_access_token_answers_seed_003s_fields_and_custom_claims() {
        // Seed 003 "Introspection Request", response example (access token); RFC 7662 §2.2.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid", "email", "flights"]).await;
        let response = fixture.introspect_as(WEB, &token).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
        let body = response.json_body().unwrap();
        let now = fixture.now().unix_timestamp();
        assert_eq!(body["active"], true);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "openid email flights");
        assert_eq!(body["client_id"], WEB);
        assert_eq!(body["username"], "alice@example.com");
        assert_eq!(body["exp"], now + 3600);
        assert_eq!(body["iat"], now);
        assert_eq!(body["sub"], "alice@example.com");
        assert_eq!(body["aud"], "api://default");
        assert_eq!(body["iss"], "https://id.example.com/oauth2/default");
        assert!(body["jti"].as_str().unwrap().starts_with("AT."));
        assert_eq!(body["uid"], ALICE);
        assert_eq!(body["tier"], "gold", "custom RESOURCE claims are returned");
        assert!(body.get("team").is_none(), "IDENTITY claims are not in access tokens");
    }

    #[tokio::test]
    async fn a_client_credentials_token_has_no_user_fields() {
        let fixture = Fixture::new().await;
        let token = fixture.access_token(&fixture.grant(OTHER, None, &["flights"])).await;
        let body = fixture.introspect_as(WEB, &token).await.json_body().unwrap().clone();
        assert_eq!(body["active"], true);
        assert_eq!(body["sub"], OTHER);
        assert!(body.get("uid").is_none() && body.get("username").is_none());
    }

    #[tokio::test]
    async fn unknown_malformed_and_expired_tokens_are_inactive() {
        // RFC 7662 §2.2 / seed 003: invalid, expired or revoked tokens answer only
        // `{"active": false}`.
        let fixture = Fixture::new().await;
        assert!(!fixture.is_active("unknown-opaque-token").await);
        assert!(!fixture.is_active("a.b.c").await);
        assert!(!fixture.is_active("%%%").await);
        let token = fixture.token_for(WEB, &["openid"]).await;
        assert!(fixture.is_active(&token).await);
        fixture.clock.advance(Duration::hours(1));
        assert!(!fixture.is_active(&token).await);
        let reasons: Vec<_> = fixture
            .events
            .query(&EventQuery {
                event_type: Some(super::INTROSPECT_EVENT.into()),
                ..EventQuery::default()
            })
            .iter()
            .map(|event| event.reason_code().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(
            reasons,
            ["token_unknown", "malformed_token", "token_unknown", "token_expired"]
        );
    }

    #[tokio::test]
    async fn revoked_jtis_and_grants_are_inactive() {
        let fixture = Fixture::new().await;
        let grant = fixture.grant(WEB, Some(ALICE), &["openid"]);
        let token = fixture.access_token(&grant).await;
        let sibling = fixture.access_token(&grant).await;
        let jti = fixture.introspect_as(WEB, &token).await.json_body().unwrap()["jti"]
            .as_str()
            .unwrap()
            .to_owned();
        let until = fixture.now() + Duration::hours(1);
        fixture.server.grants().revoke_access_token(&jti, until).await.unwrap();
        assert!(!fixture.is_active(&token).await);
        assert!(fixture.is_active(&sibling).await);
        fixture.server.grants().revoke_grant(&grant.id, until).await.unwrap();
        assert!(!fixture.is_active(&sibling).await);
    }

    #[tokio::test]
    async fn a_configuration_change_after_minting_makes_tokens_inactive() {
        // Seeds 000/003: "Revocation happens when a configuration is changed"; the change is
        // made through the management API, a second after minting.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid", "flights"]).await;
        let refresh = fixture
            .refresh_token(&fixture.grant(WEB, Some(ALICE), &["offline_access"]))
            .await;
        assert!(fixture.is_active(&token).await && fixture.is_active(&refresh).await);
        fixture.clock.advance(Duration::seconds(1));
        let (_, scopes) = fixture
            .admin(Method::Get, "/api/v1/authorizationServers/default/scopes", json!(null))
            .await;
        let flights = scopes
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "flights")
            .unwrap();
        let path = format!(
            "/api/v1/authorizationServers/default/scopes/{}",
            flights["id"].as_str().unwrap()
        );
        fixture
            .admin(Method::Put, &path, json!({"name": "flights", "description": "Changed"}))
            .await;
        assert!(!fixture.is_active(&token).await);
        assert!(!fixture.is_active(&refresh).await);
    }

    #[tokio::test]
    async fn client_deactivation_and_changes_make_tokens_inactive() {
        // Seed 000: "The client app is deactivated, changed, unassigned, or deleted"; reference
        // §3.2: reactivating the client does not bring its tokens back. (Deletion:
        // validate::tests::client_deactivation_deletion_and_changes_revoke.)
        let fixture = Fixture::new().await;
        let token = fixture.token_for(OTHER, &["openid"]).await;
        let changed = fixture.token_for(SPA, &["openid"]).await;
        fixture.clock.advance(Duration::seconds(1));
        let now = fixture.now();
        fixture
            .change_client(OTHER, |c| {
                c.client.status = Status::Inactive;
                c.last_updated = Some(now);
            })
            .await;
        assert!(!fixture.is_active(&token).await);
        fixture
            .change_client(OTHER, |c| {
                c.client.status = Status::Active;
                c.last_updated = Some(now);
            })
            .await;
        assert!(!fixture.is_active(&token).await, "reactivation does not help");
        assert!(fixture.is_active(&changed).await);
        fixture
            .change_client(SPA, |c| c.client.client_name = "Renamed".into())
            .await;
        assert!(fixture.is_active(&changed).await, "lastUpdated not moved: not a change");
        fixture.change_client(SPA, |c| c.last_updated = Some(now)).await;
        assert!(!fixture.is_active(&changed).await);
    }

    #[tokio::test]
    async fn user_deactivation_and_unassignment_make_tokens_inactive() {
        // Seed 000: "User deactivation or deletion", "unassigned". (Deletion:
        // validate::tests::user_deactivation_deletion_and_unassignment_revoke.)
        let fixture = Fixture::new().await;
        let directory = fixture.server.directory();
        let token = fixture.token_for(WEB, &["openid"]).await;
        let spa_token = fixture.token_for(SPA, &["openid"]).await;
        directory.add_user(user("DEPROVISIONED"), None).unwrap();
        assert!(!fixture.is_active(&token).await);
        directory.add_user(user("ACTIVE"), None).unwrap();
        assert!(fixture.is_active(&token).await);
        assert!(directory.unassign_user(SPA, ALICE));
        assert!(!fixture.is_active(&spa_token).await);
        assert!(fixture.is_active(&token).await, "still assigned to WEB");
    }

    #[tokio::test]
    async fn an_active_refresh_token_answers_its_fields() {
        // Seed 003 response example (refresh token).
        let fixture = Fixture::new().await;
        let mut grant = fixture.grant(WEB, Some(ALICE), &["openid", "offline_access"]);
        grant.refresh_token_window_minutes = 60;
        let token = fixture.refresh_token(&grant).await;
        let response = fixture.introspect_as(WEB, &token).await;
        let body = response.json_body().unwrap();
        assert_eq!(body["active"], true);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "openid offline_access");
        assert_eq!(body["client_id"], WEB);
        assert_eq!(body["username"], "alice@example.com");
        assert_eq!(body["sub"], "alice@example.com");
        assert_eq!(
            body["exp"],
            fixture.now().unix_timestamp() + 3600,
            "the idle window's end"
        );
        assert!(body.get("jti").is_none() && body.get("uid").is_none());
    }

    #[tokio::test]
    async fn the_hint_is_only_a_hint() {
        // RFC 7662 §2.1: a wrong hint makes the server extend its search.
        let fixture = Fixture::new().await;
        let access = fixture.token_for(WEB, &["openid"]).await;
        let refresh = fixture
            .refresh_token(&fixture.grant(WEB, Some(ALICE), &["offline_access"]))
            .await;
        let authorization = fixture.basic(WEB);
        for (token, hint) in [
            (&access, "refresh_token"),
            (&refresh, "access_token"),
            (&access, "id_token"),
        ] {
            let form = format!("token={token}&token_type_hint={hint}");
            let request = EndpointRequest::post(&form).with_authorization(&authorization);
            let response = fixture.server.introspect("default", &request).await;
            assert_eq!(response.json_body().unwrap()["active"], true, "{hint}");
        }
    }

    #[tokio::test]
    async fn a_public_client_introspects_only_its_own_tokens() {
        // Seed 003: "An implicit client can only introspect its own tokens, while a
        // confidential client may inspect all tokens"; reference §3.7: a public client sends
        // `client_id` in the query string.
        let fixture = Fixture::new().await;
        let own = fixture.token_for(SPA, &["openid"]).await;
        let foreign = fixture.token_for(WEB, &["openid"]).await;
        let own_refresh = fixture
            .refresh_token(&fixture.grant(SPA, Some(ALICE), &["offline_access"]))
            .await;
        let foreign_refresh = fixture
            .refresh_token(&fixture.grant(WEB, Some(ALICE), &["offline_access"]))
            .await;
        let active = |token: String, in_query: bool| {
            let fixture = &fixture;
            async move {
                let (query, form) = if in_query {
                    (format!("client_id={SPA}"), format!("token={token}"))
                } else {
                    (String::new(), format!("token={token}&client_id={SPA}"))
                };
                let mut request = EndpointRequest::post(&form);
                request.query = &query;
                let response = fixture.server.introspect("default", &request).await;
                assert_eq!(response.status, 200);
                response.json_body().unwrap()["active"] == json!(true)
            }
        };
        assert!(active(own.clone(), true).await);
        assert!(active(own, false).await);
        assert!(active(own_refresh, true).await);
        assert!(!active(foreign.clone(), true).await);
        assert!(!active(foreign_refresh.clone(), false).await);
        assert!(fixture.introspect_as(OTHER, &foreign).await.json_body().unwrap()["active"] == json!(true));
        assert!(
            fixture.is_active(&foreign_refresh).await,
            "the confidential owner sees it"
        );
    }

    #[tokio::test]
    async fn header_and_form_credentials_together_are_invalid_request() {
        // Seed 003 introspect errors, invalid_request: "both header and form parameters were used
        // for authentication"; invalid_client: "client authentication failed". A malformed Basic
        // header, listed under invalid_request in the seed, answers invalid_client as Okta's
        // catalogue says (reference §4.1; judged conflict in docs/seed-coverage.md).
        let fixture = Fixture::new().await;
        let authorization = fixture.basic(WEB);
        let form = format!("token=x&client_id={WEB}&client_secret={}", fixture.secret);
        let both = fixture
            .server
            .introspect(
                "default",
                &EndpointRequest::post(&form).with_authorization(&authorization),
            )
            .await;
        assert_eq!(both.status, 400);
        assert_eq!(both.json_body().unwrap()["error"], "invalid_request");
        let malformed = fixture
            .server
            .introspect(
                "default",
                &EndpointRequest::post("token=x").with_authorization("Basic !!!"),
            )
            .await;
        assert_eq!(malformed.status, 401);
        assert_eq!(malformed.json_body().unwrap()["error"], "invalid_client");
    }

    #[tokio::test]
    async fn request_errors() {
        // Reference §3.7: 400 invalid_request for a missing token, 401 invalid_client without
        // credentials; credentials in the query string are refused. Seed 003 introspect errors:
        // invalid_client ("The specified client ID wasn't found, or client authentication
        // failed"; "no authentication information was provided" answers invalid_client "No client
        // credentials found.", the seed's own example) and invalid_request.
        let fixture = Fixture::new().await;
        let authorization = fixture.basic(WEB);
        let missing = fixture
            .server
            .introspect(
                "default",
                &EndpointRequest::post("token_type_hint=access_token").with_authorization(&authorization),
            )
            .await;
        assert_eq!(missing.status, 400);
        assert_eq!(
            missing.json_body().unwrap()["error_description"],
            "The 'token' parameter is required."
        );
        let anonymous = fixture
            .server
            .introspect("default", &EndpointRequest::post("token=x"))
            .await;
        assert_eq!(anonymous.status, 401);
        assert_eq!(anonymous.json_body().unwrap()["error"], "invalid_client");
        let wrong = fixture
            .server
            .introspect(
                "default",
                &EndpointRequest::post("token=x").with_authorization("Basic MG9hd2ViOm5vcGU="),
            )
            .await;
        assert_eq!(wrong.status, 401);
        let query_secret = format!("client_id={WEB}&client_secret={}", fixture.secret);
        let mut request = EndpointRequest::post("token=x");
        request.query = &query_secret;
        let refused = fixture.server.introspect("default", &request).await;
        assert_eq!(refused.status, 400);
        assert_eq!(refused.json_body().unwrap()["error"], "invalid_request");
        let get = fixture
            .server
            .introspect("default", &EndpointRequest::get("token=x"))
            .await;
        assert_eq!(get.status, 405);
        let repeated = fixture
            .server
            .introspect(
                "default",
                &EndpointRequest::post("token=a&token=b").with_authorization(&authorization),
            )
            .await;
        assert_eq!(repeated.status, 400);
        assert_eq!(
            fixture
                .server
                .introspect("nope", &EndpointRequest::post("token=x"))
                .await
                .status,
            404
        );
        let failures = fixture.events.query(&EventQuery {
            outcome: Some(OutcomeResult::Failure),
            ..EventQuery::default()
        });
        assert!(
            failures.iter().all(|e| e.event_type != super::INTROSPECT_EVENT),
            "no token was introspected"
        );
    }
}

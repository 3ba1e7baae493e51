//! `GET|POST {issuer}/v1/userinfo` (OpenID Connect Core §5.3; Okta's "Userinfo" endpoint in the
//! OpenID Connect & OAuth 2.0 API reference): the claims about the user an access token was
//! issued for.
//!
//! The token comes in `Authorization: Bearer` (RFC 6750 §2.1), the way Okta documents, or as
//! `access_token` in the form of a `POST` (§2.2, which the OpenID conformance suite's
//! userinfo-post modules use); both at once are `invalid_request` (§2: one method per request),
//! and one in the query string is refused (`invalid_request`, "The access token cannot be
//! presented in a query string."). Errors carry their reason in `WWW-Authenticate` with an
//! empty body, as Okta answers:
//!
//! - no bearer token: 401 `Bearer` without an error code (RFC 6750 §3.1);
//! - an invalid, expired or revoked token (explicitly or implicitly): 401
//!   `Bearer error="invalid_token", error_description="The access token is invalid."`;
//! - a token without `openid`: 403 `insufficient_scope` with Okta's description.
//!
//! A valid token gets `sub` (the user id), the standard claims of its scopes and the `IDENTITY`
//! claims whose condition its scopes meet, whatever `alwaysIncludeInToken` says; a token with
//! only `openid` gets `{"sub": …}`. The standard claims the authorization request's `claims`
//! parameter asked `/userinfo` for (OpenID Connect Core §5.5), which the access token lists, are
//! added when the user has them.

use std::sync::Arc;

use time::OffsetDateTime;

use super::mint::{self, Identity, UserinfoScopes};
use super::state::ServerState;
use super::{AuthServer, unrecorded_refusal};
use crate::endpoint::{Body, EndpointRequest, EndpointResponse, ErrorCode, OAuthError, Reason};
use crate::store::{ConfigStore, Directory, GrantStore};
use crate::validity;

/// A userinfo error: status and the `WWW-Authenticate` challenge (RFC 6750 §3), empty body.
fn challenge(status: u16, error: Option<&OAuthError>) -> EndpointResponse {
    let value = match error {
        Some(error) => {
            format!(
                "Bearer error=\"{}\", error_description=\"{}\"",
                error.code.as_str(),
                error.description
            )
        }
        None => "Bearer".to_owned(),
    };
    EndpointResponse {
        status,
        headers: Vec::new(),
        body: Body::Empty,
    }
    .with_header("WWW-Authenticate", value)
    .no_store()
}

/// A refusal at `/userinfo`: in the challenge, except failures inside the server, which are JSON.
fn refusal_response(reason: &Reason) -> EndpointResponse {
    let error = reason.error();
    if error.code == ErrorCode::ServerError {
        unrecorded_refusal(reason)
    } else {
        challenge(error.status, Some(&error))
    }
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// `GET|POST {issuer}/v1/userinfo` of server `server_id` (OpenID Connect Core §5.3): the
    /// user's claims for the scopes of the access token in `Authorization: Bearer` or a `POST`
    /// form's `access_token` (one of the two; both are 400 `invalid_request`). An invalid
    /// token is 401 and a token without `openid` 403, with the reason in `WWW-Authenticate`
    /// (`invalid_token`, `insufficient_scope`) and an empty body; a token in the query string is
    /// 400 `invalid_request`. An unknown or deactivated server is `404 E0000007`.
    pub async fn userinfo(&self, server_id: &str, request: &EndpointRequest<'_>) -> EndpointResponse {
        let now = self.now();
        let state = match self.active_state_at(server_id, now).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        let token = match validity::userinfo_access_token(request) {
            Ok(Some(token)) => token,
            Ok(None) => return challenge(401, None),
            Err(Reason::MethodNotAllowed) => return Reason::MethodNotAllowed.error().response(),
            Err(reason) => return refusal_response(&reason),
        };
        match self.userinfo_for(&state, &token, now).await {
            Ok(body) => EndpointResponse::json(200, serde_json::Value::Object(body)).no_store(),
            Err(reason) => refusal_response(&reason),
        }
    }

    /// Validate the token and load its user → decide → load the client and groups → the claims.
    async fn userinfo_for(
        &self,
        state: &Arc<ServerState>,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Reason> {
        let (claims, user) = self.access_token_and_user(state, token, now).await?;
        let user = validity::userinfo_user(&claims, user)?;
        let minted_at = validity::access_token_minted_at(&claims).map_err(Reason::AccessTokenInvalid)?;
        let client = validity::check_client(self.directory().client(&claims.cid).await?, minted_at)
            .map_err(Reason::AccessTokenInvalid)?;
        let groups = self.directory().user_groups(&user.id).await?;
        let identity = Identity {
            client,
            user: Some(user),
            groups,
        };
        // The claims the authorization request's `claims` parameter asked `/userinfo` for.
        let requested: Vec<String> = claims
            .custom
            .get(crate::claims::REQUESTED_USERINFO_CLAIMS)
            .and_then(|names| serde_json::from_value(names.clone()).ok())
            .unwrap_or_default();
        let scopes = UserinfoScopes {
            scopes: claims.scp,
            requested,
            now,
        };
        self.mint(state, &identity, &(), (scopes, now), true, mint::userinfo)
            .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::endpoint::{Body, EndpointRequest, EndpointResponse};
    use crate::server::validate::fixture::{ALICE, Fixture, WEB};

    async fn userinfo(fixture: &Fixture, token: &str) -> EndpointResponse {
        let authorization = format!("Bearer {token}");
        fixture
            .server
            .userinfo("default", &EndpointRequest::get("").with_authorization(&authorization))
            .await
    }

    fn assert_challenge(response: &EndpointResponse, status: u16, challenge: &str) {
        assert_eq!(response.status, status);
        assert_eq!(response.header("WWW-Authenticate"), Some(challenge));
        assert_eq!(
            response.body,
            Body::Empty,
            "reference §3.6: the reason is in the header only"
        );
    }

    #[tokio::test]
    async fn claims_of_the_granted_scopes_and_identity_claims() {
        // Reference §3.6 / OIDC Core §5.3.2: `sub` plus every claim of the granted scopes,
        // whatever `alwaysIncludeInToken` says (the fixture's `team` claim has it false).
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid", "profile", "email"]).await;
        let response = userinfo(&fixture, &token).await;
        assert_eq!(response.status, 200);
        let body = response.json_body().unwrap();
        assert_eq!(body["sub"], ALICE);
        assert_eq!(body["email"], "alice@example.com");
        assert_eq!(body["given_name"], "Alice");
        assert_eq!(body["family_name"], "Liddell");
        assert_eq!(body["preferred_username"], "alice@example.com");
        assert_eq!(body["team"], "wonderland");
        assert!(body.get("tier").is_none(), "RESOURCE claims belong to access tokens");
        assert!(body.get("address").is_none());
    }

    #[tokio::test]
    async fn a_post_form_may_carry_the_token_but_not_beside_the_header() {
        // RFC 6750 §2.2 (form-encoded body parameter) and §2 ("Clients MUST NOT use more than
        // one method to transmit the token in each request"); §3.1 `invalid_request` is 400.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let form = format!("access_token={token}");
        let response = fixture.server.userinfo("default", &EndpointRequest::post(&form)).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.json_body().unwrap()["sub"], ALICE);
        let authorization = format!("Bearer {token}");
        let both = EndpointRequest::post(&form).with_authorization(&authorization);
        assert_challenge(
            &fixture.server.userinfo("default", &both).await,
            400,
            "Bearer error=\"invalid_request\", error_description=\"The access token must be presented in only one way.\"",
        );
    }

    #[tokio::test]
    async fn openid_alone_gives_the_subject() {
        // Reference appendix B: `/userinfo` with only `openid` answers `{"sub": …}`.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let response = userinfo(&fixture, &token).await;
        assert_eq!(
            response.json_body().unwrap(),
            &json!({"sub": ALICE, "team": "wonderland"})
        );
    }

    #[tokio::test]
    async fn invalid_tokens_get_invalid_token_in_the_header() {
        // Reference §3.6: 401 `Bearer error="invalid_token", error_description="The access
        // token is invalid."`, empty body; revoked and expired tokens alike. Seed 003 authorize
        // errors, invalid_token: "The provided access token is invalid" (a resource error,
        // answered here).
        let fixture = Fixture::new().await;
        let expected = "Bearer error=\"invalid_token\", error_description=\"The access token is invalid.\"";
        assert_challenge(&userinfo(&fixture, "garbage").await, 401, expected);
        let token = fixture.token_for(WEB, &["openid"]).await;
        fixture.server.directory().unassign_user(WEB, ALICE);
        assert_challenge(&userinfo(&fixture, &token).await, 401, expected);
        fixture.server.directory().assign_user(WEB, ALICE).unwrap();
        assert_eq!(userinfo(&fixture, &token).await.status, 200);
        fixture.clock.advance(time::Duration::hours(1));
        assert_challenge(&userinfo(&fixture, &token).await, 401, expected);
    }

    #[tokio::test]
    async fn a_token_without_openid_is_insufficient_scope() {
        // Reference §3.6: 403 with Okta's `insufficient_scope` description. Seed 003 authorize
        // errors (OpenID), insufficient_scope: "The access token provided does not contain the
        // necessary scopes to access the resource" (a resource error, answered here).
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["profile", "flights"]).await;
        assert_challenge(
            &userinfo(&fixture, &token).await,
            403,
            "Bearer error=\"insufficient_scope\", error_description=\"The access token must provide access to at least one of these scopes - profile, email, address or phone\"",
        );
    }

    #[tokio::test]
    async fn the_token_must_come_in_the_authorization_header() {
        // RFC 6750 §2.1 only; a token in the query string is refused with Okta's text; no
        // token at all is a bare `Bearer` challenge (RFC 6750 §3.1).
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let query = format!("access_token={token}");
        let in_query = fixture.server.userinfo("default", &EndpointRequest::get(&query)).await;
        assert_challenge(
            &in_query,
            400,
            "Bearer error=\"invalid_request\", error_description=\"The access token cannot be presented in a query string.\"",
        );
        let none = fixture.server.userinfo("default", &EndpointRequest::get("")).await;
        assert_challenge(&none, 401, "Bearer");
        let basic = fixture.basic(WEB);
        let wrong_scheme = fixture
            .server
            .userinfo("default", &EndpointRequest::get("").with_authorization(&basic))
            .await;
        assert_challenge(&wrong_scheme, 401, "Bearer");
        let lower = format!("bearer {token}");
        let post = EndpointRequest::post("").with_authorization(&lower);
        assert_eq!(
            fixture.server.userinfo("default", &post).await.status,
            200,
            "POST, any case"
        );
        assert_eq!(
            fixture.server.userinfo("nope", &EndpointRequest::get("")).await.status,
            404
        );
    }
}

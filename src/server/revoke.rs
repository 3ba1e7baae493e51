//! `POST {issuer}/v1/revoke` (RFC 7009; Okta's "Revoke" endpoint in the OpenID Connect & OAuth
//! 2.0 API reference).
//!
//! The client authenticates as at the token endpoint. Whatever the token (valid, expired,
//! unknown, already revoked, or another client's) the answer is 200 with an empty body, so
//! nothing leaks (RFC 7009 §2.2); only the client the token was issued to actually revokes it
//! (Okta: "A client may only revoke a token generated for that client").
//!
//! - An access token's `jti` is revoked until its `exp` (it introspects inactive from then on).
//! - A refresh token revokes its whole family, rotated tokens included, and every access token
//!   minted from its grant (RFC 7009 §2.1 "SHOULD also invalidate all access tokens based on
//!   the same authorization grant"): the access-token `jti`s carry their grant.
//!
//! What to revoke is decided by [`crate::validity::revoke_access_token`] and
//! [`crate::validity::revoke_refresh_token`]. Each revocation is recorded as an
//! `app.oauth2.as.token.revoke` event; a refusal to revoke another client's token is recorded as
//! a failed one.

use super::introspect::TokenOperation;
use super::state::ClientAuthEndpoint;
use super::{AuthServer, unrecorded_refusal};
use crate::endpoint::{Body, EndpointRequest, EndpointResponse, Reason};
use crate::event::{Entity, Event};
use crate::secret::RefreshToken;
use crate::store::{ConfigStore, Directory, GrantStore};
use crate::validity::{self, Revocation, TokenKind};

/// The event type of a revocation.
pub(crate) const REVOKE_EVENT: &str = "app.oauth2.as.token.revoke";

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// `POST {issuer}/v1/revoke` of server `server_id` (RFC 7009): the authenticated client
    /// revokes one of its access tokens (until it expires) or refresh tokens (the whole family
    /// and the access tokens minted from its grant). Any token, valid or not, is answered 200 with
    /// an empty body; another client's token is left alone. An unknown or deactivated server is
    /// `404 E0000007`.
    pub async fn revoke(&self, server_id: &str, request: &EndpointRequest<'_>) -> EndpointResponse {
        let operation = match self
            .token_operation(server_id, request, ClientAuthEndpoint::Revoke)
            .await
        {
            Ok(operation) => operation,
            Err(response) => return response,
        };
        for kind in operation.kinds() {
            match self.revoke_kind(&operation, kind).await {
                Ok(Revocation::NotThisKind) => {}
                Ok(_) => break,
                Err(failure) => return unrecorded_refusal(&failure),
            }
        }
        EndpointResponse {
            status: 200,
            headers: Vec::new(),
            body: Body::Empty,
        }
        .no_store()
    }

    /// Load what the token might be → decide → revoke and record.
    async fn revoke_kind(&self, operation: &TokenOperation, kind: TokenKind) -> Result<Revocation, Reason> {
        let TokenOperation { state, client, now, .. } = operation;
        let (token, now) = (operation.token(), *now);
        let client_id = client.client.client_id.as_str();
        let issuer = self.token_issuer(state);
        let revocation = match kind {
            TokenKind::Access => {
                validity::revoke_access_token(self.verify_access_token(state, &issuer, token, now), client_id, now)
            }
            TokenKind::Refresh => {
                let found = self
                    .grants
                    .find_refresh_token(&RefreshToken::from_received(token).hash())
                    .await?;
                validity::revoke_refresh_token(&issuer, found, client_id, now)
            }
        };
        let token_type = match kind {
            TokenKind::Access => "access_token",
            TokenKind::Refresh => "refresh_token",
        };
        let event = match &revocation {
            Revocation::NotThisKind | Revocation::Expired => None,
            Revocation::OtherClient => Some(
                Event::unnumbered_failure(
                    REVOKE_EVENT,
                    "OAuth2 token revocation request",
                    "token_of_another_client",
                    "The token was issued to another client; nothing was revoked.",
                    now,
                )
                .with_detail("tokenType", token_type),
            ),
            Revocation::AccessToken { jti, until } => {
                self.grants.revoke_access_token(jti, *until).await?;
                Some(
                    Event::unnumbered_success(REVOKE_EVENT, "OAuth2 access token revocation request", now)
                        .with_target(Entity::new(token_type, jti)),
                )
            }
            Revocation::Grant { grant, until } => {
                self.grants.revoke_grant(grant, *until).await?;
                Some(
                    Event::unnumbered_success(REVOKE_EVENT, "OAuth2 refresh token revocation request", now)
                        .with_target(Entity::new(token_type, grant.as_str())),
                )
            }
        };
        if let Some(event) = event {
            self.record(event.with_client(client_id));
        }
        Ok(revocation)
    }
}

#[cfg(test)]
mod tests {
    use crate::endpoint::{Body, EndpointRequest, EndpointResponse};
    use crate::event::{EventQuery, OutcomeResult};
    use crate::secret::RefreshToken;
    use crate::server::validate::fixture::{ALICE, Fixture, OTHER, SPA, WEB};
    use crate::store::GrantStore;
    use crate::store::grants::{RefreshTokenRecord, Rotation};

    async fn revoke_as(fixture: &Fixture, client: &str, form: &str) -> EndpointResponse {
        let authorization = fixture.basic(client);
        fixture
            .server
            .revoke(
                "default",
                &EndpointRequest::post(form).with_authorization(&authorization),
            )
            .await
    }

    fn assert_empty_200(response: &EndpointResponse) {
        assert_eq!(response.status, 200);
        assert_eq!(response.body, Body::Empty);
    }

    fn revocations(fixture: &Fixture, outcome: OutcomeResult) -> usize {
        let query = EventQuery {
            event_type: Some(super::REVOKE_EVENT.into()),
            outcome: Some(outcome),
            ..EventQuery::default()
        };
        fixture.events.query(&query).len()
    }

    #[tokio::test]
    async fn revoking_an_access_token_revokes_its_jti_only() {
        // RFC 7009 §2.1, seed 003 "Revoke a Token": revoked tokens introspect inactive. Seed 000:
        // tokens can "be explicitly revoked at the endpoint".
        let fixture = Fixture::new().await;
        let grant = fixture.grant(WEB, Some(ALICE), &["openid"]);
        let token = fixture.access_token(&grant).await;
        let sibling = fixture.access_token(&grant).await;
        assert_empty_200(&revoke_as(&fixture, WEB, &format!("token={token}&token_type_hint=access_token")).await);
        assert!(!fixture.is_active(&token).await);
        assert!(fixture.is_active(&sibling).await);
        assert_eq!(revocations(&fixture, OutcomeResult::Success), 1);
        let query = EventQuery {
            event_type: Some(super::REVOKE_EVENT.into()),
            ..EventQuery::default()
        };
        let event = fixture.events.query(&query).remove(0);
        assert_eq!(event.client.unwrap().id, WEB);
        assert_eq!(event.target[0].kind, "access_token");
    }

    #[tokio::test]
    async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
        // RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of the
        // same grant; the whole rotation family goes.
        let fixture = Fixture::new().await;
        let grant = fixture.grant(WEB, Some(ALICE), &["openid", "offline_access"]);
        let first = fixture.refresh_token(&grant).await;
        let successor = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        let record = RefreshTokenRecord {
            token_hash: successor.hash(),
            grant: grant.clone(),
            issued_at: fixture.now(),
            expires_at: None,
            last_used_at: fixture.now(),
        };
        let rotation = fixture
            .server
            .grants()
            .rotate_refresh_token(
                &RefreshToken::from_received(first.as_str()).hash(),
                record,
                fixture.now(),
            )
            .await
            .unwrap();
        assert!(matches!(rotation, Rotation::Rotated { .. }));
        let access = fixture.access_token(&grant).await;
        let unrelated = fixture.token_for(WEB, &["openid"]).await;
        assert!(fixture.is_active(successor.expose()).await && fixture.is_active(&access).await);
        // The hint is wrong on purpose: it is only a hint.
        let form = format!("token={}&token_type_hint=access_token", successor.expose());
        assert_empty_200(&revoke_as(&fixture, WEB, &form).await);
        assert!(!fixture.is_active(successor.expose()).await);
        assert!(
            !fixture.is_active(&access).await,
            "access tokens of the grant are revoked"
        );
        assert!(fixture.is_active(&unrelated).await);
        let found = fixture
            .server
            .grants()
            .find_refresh_token(&RefreshToken::from_received(first.as_str()).hash())
            .await
            .unwrap()
            .unwrap();
        assert!(found.family_revoked, "the rotated-away member too");
    }

    #[tokio::test]
    async fn another_clients_token_is_not_revoked_yet_answers_200() {
        // Seed 003: "A client may only revoke a token generated for that client"; the answer
        // does not tell.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let refresh = fixture
            .refresh_token(&fixture.grant(WEB, Some(ALICE), &["offline_access"]))
            .await;
        assert_empty_200(&revoke_as(&fixture, OTHER, &format!("token={token}")).await);
        assert_empty_200(&revoke_as(&fixture, OTHER, &format!("token={refresh}")).await);
        let spa = format!("token={token}&client_id={SPA}");
        assert_empty_200(&fixture.server.revoke("default", &EndpointRequest::post(&spa)).await);
        assert!(fixture.is_active(&token).await && fixture.is_active(&refresh).await);
        assert_eq!(revocations(&fixture, OutcomeResult::Failure), 3);
        assert_eq!(revocations(&fixture, OutcomeResult::Success), 0);
    }

    #[tokio::test]
    async fn unknown_expired_and_revoked_tokens_answer_200() {
        // RFC 7009 §2.2 / seed 003: "revoking an invalid, expired, or revoked token is a success".
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        assert_empty_200(&revoke_as(&fixture, WEB, "token=unknown").await);
        assert_empty_200(&revoke_as(&fixture, WEB, "token=a.b.c").await);
        assert_empty_200(&revoke_as(&fixture, WEB, &format!("token={token}")).await);
        assert_empty_200(&revoke_as(&fixture, WEB, &format!("token={token}")).await);
        fixture.clock.advance(time::Duration::hours(2));
        assert_empty_200(&revoke_as(&fixture, WEB, &format!("token={token}")).await);
        assert_eq!(
            revocations(&fixture, OutcomeResult::Success),
            2,
            "an expired token needs no revocation"
        );
    }

    #[tokio::test]
    async fn a_public_client_revokes_its_own_token_without_a_secret() {
        // Seed 003 "Revoke a Token": "Native applications should not provide … client_secret …
        // They can omit client_secret from the above request parameters when revoking a token."
        let fixture = Fixture::new().await;
        let token = fixture.token_for(SPA, &["openid"]).await;
        assert!(fixture.is_active(&token).await);
        let form = format!("token={token}&client_id={SPA}");
        assert_empty_200(&fixture.server.revoke("default", &EndpointRequest::post(&form)).await);
        assert!(!fixture.is_active(&token).await);
        assert_eq!(revocations(&fixture, OutcomeResult::Success), 1);
    }

    #[tokio::test]
    async fn header_and_form_credentials_together_are_invalid_request() {
        // Seed 003 revoke errors, invalid_request: "both header and form parameters were used for
        // authentication"; credentials in the query string are refused the same way. Nothing is
        // revoked by a refused request.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let authorization = fixture.basic(WEB);
        let form = format!("token={token}&client_id={WEB}&client_secret={}", fixture.secret);
        let both = fixture
            .server
            .revoke(
                "default",
                &EndpointRequest::post(&form).with_authorization(&authorization),
            )
            .await;
        assert_eq!(both.status, 400);
        assert_eq!(both.json_body().unwrap()["error"], "invalid_request");
        let query = format!("client_id={WEB}&client_secret={}", fixture.secret);
        let form = format!("token={token}");
        let mut request = EndpointRequest::post(&form);
        request.query = &query;
        let in_query = fixture.server.revoke("default", &request).await;
        assert_eq!(in_query.status, 400);
        assert_eq!(in_query.json_body().unwrap()["error"], "invalid_request");
        assert!(fixture.is_active(&token).await);
    }

    #[tokio::test]
    async fn client_authentication_and_the_token_are_required() {
        // Reference §3.8: errors as for introspect. Seed 003 revoke errors: invalid_client ("The
        // specified client id wasn't found or client authentication failed") and invalid_request
        // (a missing token).
        let fixture = Fixture::new().await;
        let anonymous = fixture
            .server
            .revoke("default", &EndpointRequest::post("token=x"))
            .await;
        assert_eq!(anonymous.status, 401);
        assert_eq!(anonymous.json_body().unwrap()["error"], "invalid_client");
        let wrong = fixture
            .server
            .revoke(
                "default",
                &EndpointRequest::post("token=x").with_authorization("Basic MG9hd2ViOm5vcGU="),
            )
            .await;
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.json_body().unwrap()["error"], "invalid_client");
        let missing = revoke_as(&fixture, WEB, "token_type_hint=refresh_token").await;
        assert_eq!(missing.status, 400);
        assert_eq!(
            missing.json_body().unwrap()["error_description"],
            "The 'token' parameter is required."
        );
        assert_eq!(
            fixture
                .server
                .revoke("nope", &EndpointRequest::post("token=x"))
                .await
                .status,
            404
        );
    }
}

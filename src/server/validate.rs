//! Token validity at `/introspect`, `/revoke`, `/userinfo` and the refresh grant: the store and
//! directory calls around the decisions of [`crate::validity`], which documents the rules.

use std::sync::Arc;

use time::OffsetDateTime;

use super::AuthServer;
use super::state::ServerState;
use crate::claims::AccessTokenClaims;
use crate::endpoint::{Reason, TokenInvalid};
use crate::model::User;
use crate::secret::RefreshToken;
use crate::store::grants::RefreshTokenRecord;
use crate::store::{ConfigStore, Directory, GrantStore};
use crate::validity::{self, TokenIssuer, TokenKind};

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// What server `state` checks its own tokens against.
    pub(crate) fn token_issuer<'s>(&'s self, state: &'s ServerState) -> TokenIssuer<'s> {
        TokenIssuer {
            issuer: &state.issuer,
            server_id: &state.config.server.id,
            keys: &state.verification_keys,
            ring: &state.ring,
            rotation: self.management.rotation(),
            changed_at: state.config.changed_at,
        }
    }

    /// The claims of `token` if this server signed it as an access token
    /// ([`validity::verify_signed_access_token`]), through `state`'s memory of the tokens it
    /// verified: a token verified before only has its key's publication checked again
    /// ([`validity::still_published`]).
    pub(crate) fn verify_access_token(
        &self,
        state: &ServerState,
        issuer: &TokenIssuer<'_>,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<AccessTokenClaims, TokenInvalid> {
        let digest = crate::crypto::sha256(token.as_bytes());
        if let Some(known) = state.verified_tokens.get(&digest) {
            validity::still_published(issuer, &known, now)?;
            return Ok(known.claims.clone());
        }
        let verified = validity::verify_signed_access_token(issuer, token, now)?;
        let claims = verified.claims.clone();
        state.verified_tokens.insert(digest, Arc::new(verified));
        Ok(claims)
    }

    /// The claims of `token` if it is a valid access token of this server at `now`.
    #[cfg(test)]
    pub(crate) async fn validate_access_token(
        &self,
        state: &ServerState,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<AccessTokenClaims, Reason> {
        self.access_token_and_user(state, token, now)
            .await
            .map(|(claims, _)| claims)
    }

    /// As [`validate_access_token`](Self::validate_access_token), with the token's user as the
    /// directory has them now (`None` for tokens without a user). Verify → check → load the
    /// revocations, deciding after each → the subject's implicit revocation.
    pub(crate) async fn access_token_and_user(
        &self,
        state: &ServerState,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<(AccessTokenClaims, Option<User>), Reason> {
        let invalid = |invalid| TokenKind::Access.invalid(invalid);
        let issuer = self.token_issuer(state);
        let claims = self.verify_access_token(state, &issuer, token, now).map_err(invalid)?;
        let grant = validity::check_access_token(&issuer, &claims, now).map_err(invalid)?;
        let revoked = self.grants.is_access_token_revoked(&claims.jti, now).await?;
        validity::not_revoked(revoked, TokenInvalid::Revoked).map_err(invalid)?;
        let revoked = self.grants.is_grant_revoked(&grant, now).await?;
        validity::not_revoked(revoked, TokenInvalid::GrantRevoked).map_err(invalid)?;
        let minted_at = validity::access_token_minted_at(&claims).map_err(invalid)?;
        let user = self
            .current_subject(TokenKind::Access, &claims.cid, claims.uid.as_deref(), minted_at)
            .await?;
        Ok((claims, user))
    }

    /// The stored record of refresh token `token` if it is valid on this server at `now`, with
    /// its user as the directory has them now.
    pub(crate) async fn validate_refresh_token(
        &self,
        state: &ServerState,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<(RefreshTokenRecord, Option<User>), Reason> {
        let hash = RefreshToken::from_received(token).hash();
        let found = self.grants.find_refresh_token(&hash).await?;
        let record = validity::check_refresh_token(&self.token_issuer(state), found, now)
            .map_err(|invalid| TokenKind::Refresh.invalid(invalid))?;
        let user = self.check_refresh_record(state, &record).await?;
        Ok((record, user))
    }

    /// The implicit revocation of a refresh token, shared by introspection and the refresh grant:
    /// the server's configuration changed after the token was issued, or its client or user did.
    /// Returns the user as the directory has them now.
    pub(crate) async fn check_refresh_record(
        &self,
        state: &ServerState,
        record: &RefreshTokenRecord,
    ) -> Result<Option<User>, Reason> {
        let issued_at = record.issued_at;
        validity::issued_after_change(&self.token_issuer(state), issued_at)
            .map_err(|invalid| TokenKind::Refresh.invalid(invalid))?;
        self.current_subject(
            TokenKind::Refresh,
            &record.grant.client_id,
            record.grant.user_id.as_deref(),
            issued_at,
        )
        .await
    }

    /// The client and user checks of implicit revocation, for a token of `kind` minted at
    /// `issued_at`: load each, decide, and load the next only if needed. Returns the user.
    async fn current_subject(
        &self,
        kind: TokenKind,
        client_id: &str,
        user_id: Option<&str>,
        issued_at: OffsetDateTime,
    ) -> Result<Option<User>, Reason> {
        let invalid = |invalid| kind.invalid(invalid);
        let directory = self.directory();
        validity::check_client(directory.client(client_id).await?, issued_at).map_err(invalid)?;
        let Some(user_id) = user_id else {
            return Ok(None);
        };
        let user = validity::check_user(directory.user(user_id).await?, issued_at).map_err(invalid)?;
        validity::check_assignment(directory.is_assigned(client_id, user_id).await?).map_err(invalid)?;
        Ok(Some(user))
    }
}

/// A host over memory stores with clients, a user and tokens minted directly, for the tests of
/// validation and of the endpoints built on it.
#[cfg(test)]
pub(super) mod fixture {
    use std::sync::Arc;

    use serde_json::{Value, json};
    use time::macros::datetime;
    use time::{Duration, OffsetDateTime};

    use crate::AuthServer;
    use crate::admin::{ApiRequest, Caller, Method};
    use crate::clock::{Clock, ManualClock};

    use crate::endpoint::{EndpointRequest, EndpointResponse};
    use crate::event::MemoryEventLog;
    use crate::grant::IssueContext;

    use crate::model::{ClientRecord, User};
    use crate::secret::{ClientSecret, RefreshToken};
    use crate::store::grants::{Grant, GrantId, RefreshTokenRecord};
    use crate::store::{Directory, GrantStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};

    pub(crate) type TestServer = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

    /// When the fixture is set up; tokens are minted a minute later.
    pub(crate) const START: OffsetDateTime = datetime!(2024-01-01 0:00 UTC);
    /// A confidential web client (`client_secret_basic`), Alice assigned.
    pub(crate) const WEB: &str = "0oaweb";
    /// A public SPA (`none`), Alice assigned.
    pub(crate) const SPA: &str = "0oaspa";
    /// Another confidential client, Alice assigned.
    pub(crate) const OTHER: &str = "0oaother";
    /// The user.
    pub(crate) const ALICE: &str = "00ualice";
    /// Where the web client may be sent after logout.
    pub(crate) const SIGNED_OUT: &str = "https://app.example.com/signed-out";

    pub(crate) struct Fixture {
        pub(crate) server: TestServer,
        pub(crate) clock: Arc<ManualClock>,
        pub(crate) events: Arc<MemoryEventLog>,
        /// The secret of `WEB` and `OTHER`.
        pub(crate) secret: String,
    }

    pub(crate) fn user(status: &str) -> User {
        serde_json::from_value(json!({
            "id": ALICE, "status": status,
            "profile": {"login": "alice@example.com", "email": "alice@example.com",
                        "firstName": "Alice", "lastName": "Liddell"}
        }))
        .unwrap()
    }

    impl Fixture {
        /// The `default` server with a custom scope published to all clients (`flights`), one
        /// that is not (`internal`), a `RESOURCE` claim `tier` and an `IDENTITY` claim `team`.
        pub(crate) async fn new() -> Self {
            let clock = Arc::new(ManualClock::new(START));
            let events = Arc::new(MemoryEventLog::default());
            let server = crate::server::tests::in_memory_server(clock.clone(), events.clone());
            server.management().ensure_default_server().await.unwrap();
            let secret = ClientSecret::generate(&crate::random::SystemRandom).unwrap();
            let fixture = Self {
                server,
                clock,
                events,
                secret: secret.expose().to_owned(),
            };
            let confidential = |id: &str| -> ClientRecord {
                ClientRecord {
                    client: serde_json::from_value(json!({
                        "client_id": id, "client_name": id, "token_endpoint_auth_method": "client_secret_basic",
                        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                        "redirect_uris": ["https://app.example.com/callback"],
                        "post_logout_redirect_uris": [SIGNED_OUT], "application_type": "web"
                    }))
                    .unwrap(),
                    client_secret_hash: Some(secret.hash()),
                    client_secret_expires_at: None,
                    last_updated: Some(START),
                }
            };
            let spa = ClientRecord {
                client: serde_json::from_value(json!({
                    "client_id": SPA, "client_name": "SPA", "token_endpoint_auth_method": "none",
                    "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                    "redirect_uris": ["https://spa.example.com/callback"], "application_type": "browser"
                }))
                .unwrap(),
                client_secret_hash: None,
                client_secret_expires_at: None,
                last_updated: Some(START),
            };
            let directory = fixture.server.directory();
            for record in [confidential(WEB), confidential(OTHER), spa] {
                directory.put_client(record).await.unwrap();
            }
            directory.add_user(user("ACTIVE"), None).unwrap();
            for client in [WEB, SPA, OTHER] {
                directory.assign_user(client, ALICE).unwrap();
            }
            let scopes = "/api/v1/authorizationServers/default/scopes";
            fixture
                .admin(
                    Method::Post,
                    scopes,
                    json!({"name": "flights", "metadataPublish": "ALL_CLIENTS"}),
                )
                .await;
            fixture
                .admin(
                    Method::Post,
                    scopes,
                    json!({"name": "internal", "metadataPublish": "NO_CLIENTS"}),
                )
                .await;
            let claims = "/api/v1/authorizationServers/default/claims";
            let claim = |name: &str, kind: &str, value: &str| {
                json!({"name": name, "status": "ACTIVE", "claimType": kind, "valueType": "EXPRESSION",
                       "value": value, "conditions": {"scopes": []}, "alwaysIncludeInToken": false})
            };
            fixture
                .admin(Method::Post, claims, claim("tier", "RESOURCE", "\"gold\""))
                .await;
            fixture
                .admin(Method::Post, claims, claim("team", "IDENTITY", "\"wonderland\""))
                .await;
            fixture.clock.advance(Duration::minutes(1));
            fixture
        }

        pub(crate) fn now(&self) -> OffsetDateTime {
            self.clock.now()
        }

        /// A management API call; returns the status and the body.
        pub(crate) async fn admin(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
            let caller = Caller { id: "admin".into() };
            let body = body.to_string();
            let request = ApiRequest {
                method,
                path,
                query: "",
                body: (!matches!(method, Method::Get | Method::Delete)).then_some(body.as_bytes()),
                caller: Some(&caller),
            };
            let response = self.server.management().handle(&request).await;
            assert!(response.status < 300, "{path}: {:?}", response.body);
            (response.status, response.body.unwrap_or(Value::Null))
        }

        /// A grant of `scopes` to `client` for `user`, made now.
        pub(crate) fn grant(&self, client: &str, user: Option<&str>, scopes: &[&str]) -> Grant {
            Grant {
                id: GrantId::generate(&crate::random::SystemRandom).unwrap(),
                authorization_server_id: "default".into(),
                client_id: client.into(),
                user_id: user.map(str::to_owned),
                scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
                grant_type: "authorization_code".into(),
                policy_id: "00pdefault".into(),
                rule_id: "0prdefault".into(),
                access_token_lifetime_minutes: 60,
                refresh_token_lifetime_minutes: None,
                refresh_token_window_minutes: 10080,
                auth_time: Some(self.now()),
                amr: vec!["pwd".into()],
                acr: None,
                requested_claims: None,
                issued_at: self.now(),
            }
        }

        /// An access token for `grant`, minted at `at`.
        pub(crate) async fn access_token_at(&self, grant: &Grant, at: OffsetDateTime) -> String {
            let state = self.server.active_state("default").await.unwrap();
            let identity = self
                .server
                .identity(&grant.client_id, grant.user_id.as_deref())
                .await
                .unwrap();
            self.server
                .mint_access_token(&state, &identity, grant, &self.context(grant, at))
                .await
                .unwrap()
                .token
        }

        /// The issue context of a token of `grant` minted at `at`.
        pub(crate) fn context(&self, grant: &Grant, at: OffsetDateTime) -> IssueContext {
            IssueContext::draw(&crate::random::SystemRandom, at, &grant.id, false).unwrap()
        }

        /// An access token for `grant`, minted now.
        pub(crate) async fn access_token(&self, grant: &Grant) -> String {
            self.access_token_at(grant, self.now()).await
        }

        /// Alice's access token for `client` with `scopes`.
        pub(crate) async fn token_for(&self, client: &str, scopes: &[&str]) -> String {
            self.access_token(&self.grant(client, Some(ALICE), scopes)).await
        }

        /// An ID token for `grant`, minted now.
        pub(crate) async fn id_token(&self, grant: &Grant) -> String {
            let state = self.server.active_state("default").await.unwrap();
            let identity = self
                .server
                .identity(&grant.client_id, grant.user_id.as_deref())
                .await
                .unwrap();
            self.server
                .mint_id_token(&state, &identity, grant, &self.context(grant, self.now()))
                .await
                .unwrap()
        }

        /// A refresh token of `grant`, stored now.
        pub(crate) async fn refresh_token(&self, grant: &Grant) -> String {
            let token = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
            let record = RefreshTokenRecord {
                token_hash: token.hash(),
                grant: grant.clone(),
                issued_at: self.now(),
                expires_at: grant
                    .refresh_token_lifetime_minutes
                    .map(|minutes| self.now() + Duration::minutes(i64::from(minutes))),
                last_used_at: self.now(),
            };
            self.server.grants().insert_refresh_token(record).await.unwrap();
            token.expose().to_owned()
        }

        /// `Authorization: Basic` for `client` with the fixture's secret.
        pub(crate) fn basic(&self, client: &str) -> String {
            use base64::Engine as _;
            let credentials = format!("{client}:{}", self.secret);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        }

        /// Introspects `token` as the confidential client `client`.
        pub(crate) async fn introspect_as(&self, client: &str, token: &str) -> EndpointResponse {
            let form = format!("token={token}");
            let authorization = self.basic(client);
            let request = EndpointRequest::post(&form).with_authorization(&authorization);
            self.server.introspect("default", &request).await
        }

        /// Whether `token` introspects active for `WEB`; anything but `{"active": false}` or an
        /// active answer fails the test.
        pub(crate) async fn is_active(&self, token: &str) -> bool {
            let response = self.introspect_as(WEB, token).await;
            assert_eq!(response.status, 200);
            let body = response.json_body().unwrap();
            if body["active"] == json!(false) {
                assert_eq!(body, &json!({"active": false}), "inactive answers carry nothing else");
            }
            body["active"] == json!(true)
        }

        /// Replaces client `id` after `change`.
        pub(crate) async fn change_client(&self, id: &str, change: impl FnOnce(&mut ClientRecord)) {
            let directory = self.server.directory();
            let mut record = std::sync::Arc::unwrap_or_clone(directory.client(id).await.unwrap().unwrap());
            change(&mut record);
            directory.put_client(record).await.unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::Duration;

    use super::fixture::{ALICE, Fixture, OTHER, WEB, user};
    use crate::admin::Method;
    use crate::claims::AccessTokenClaims;
    use crate::endpoint::TokenInvalid as Invalid;
    use crate::model::Status;
    use crate::secret::RefreshToken;
    use crate::store::GrantStore;
    use crate::store::grants::Rotation;

    /// Why a validation failed, when it says the token is not valid (not a store failure).
    fn invalid(reason: crate::endpoint::Reason) -> Invalid {
        reason.token_invalid().expect("a verdict on the token")
    }

    async fn check(fixture: &Fixture, token: &str) -> Result<AccessTokenClaims, Invalid> {
        let state = fixture.server.active_state("default").await.unwrap();
        fixture
            .server
            .validate_access_token(&state, token, fixture.now())
            .await
            .map_err(invalid)
    }

    async fn check_refresh(fixture: &Fixture, token: &str) -> Result<(), Invalid> {
        let state = fixture.server.active_state("default").await.unwrap();
        fixture
            .server
            .validate_refresh_token(&state, token, fixture.now())
            .await
            .map(|_| ())
            .map_err(invalid)
    }

    #[tokio::test]
    async fn a_fresh_access_token_is_valid() {
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let claims = check(&fixture, &token).await.unwrap();
        assert_eq!(claims.uid.as_deref(), Some(ALICE));
        assert_eq!(claims.cid, WEB);
    }

    #[tokio::test]
    async fn malformed_forged_and_foreign_tokens_are_invalid() {
        // RFC 7662 §2.2 / RFC 7519 §7.2: the signature must verify against the server's keys.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        assert_eq!(check(&fixture, "not-a-jwt").await.unwrap_err(), Invalid::Malformed);
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(check(&fixture, &forged).await.unwrap_err(), Invalid::Malformed);
        // An ID token is signed by the same key but is not an access token.
        let id_token = fixture.id_token(&fixture.grant(WEB, Some(ALICE), &["openid"])).await;
        assert_eq!(check(&fixture, &id_token).await.unwrap_err(), Invalid::Malformed);
        // A token of another server on the same host: its keys are not this server's.
        let (_, created) = fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers",
                json!({"name": "other", "description": "Other", "audiences": ["api://other"]}),
            )
            .await;
        let other_id = created["id"].as_str().unwrap().to_owned();
        let state = fixture.server.active_state(&other_id).await.unwrap();
        let grant = fixture.grant(WEB, Some(ALICE), &["openid"]);
        let identity = fixture.server.identity(WEB, Some(ALICE)).await.unwrap();
        let foreign = fixture
            .server
            .mint_access_token(&state, &identity, &grant, &fixture.context(&grant, fixture.now()))
            .await
            .unwrap()
            .token;
        assert_eq!(check(&fixture, &foreign).await.unwrap_err(), Invalid::Malformed);
    }

    #[tokio::test]
    async fn the_state_remembers_the_tokens_that_verified_and_only_those() {
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        let first = check(&fixture, &token).await.unwrap();
        assert_eq!(check(&fixture, &token).await.unwrap(), first, "same answer from memory");
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(check(&fixture, &forged).await.unwrap_err(), Invalid::Malformed);
        assert_eq!(check(&fixture, "not-a-jwt").await.unwrap_err(), Invalid::Malformed);
        let state = fixture.server.active_state("default").await.unwrap();
        assert_eq!(state.verified_tokens.len(), 1, "refused tokens are not remembered");
        // Remembered tokens still expire: only the signature and the claims are remembered.
        fixture.clock.advance(Duration::hours(1));
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::Expired);
    }

    #[tokio::test]
    async fn the_issuer_must_be_the_servers() {
        let fixture = Fixture::new().await;
        let state = fixture.server.active_state("default").await.unwrap();
        let token = fixture.token_for(WEB, &["openid"]).await;
        let mut claims = check(&fixture, &token).await.unwrap();
        claims.iss = "https://id.example.com/oauth2/elsewhere".into();
        let resigned = crate::jose::sign(state.signer.as_ref(), None, &claims).unwrap();
        assert_eq!(check(&fixture, &resigned).await.unwrap_err(), Invalid::WrongIssuer);
    }

    #[tokio::test]
    async fn expiry_and_issue_time_are_checked() {
        // RFC 7662 §2.2: an expired token is not active; `iat` may not lie in the future. Seed 000:
        // "Tokens can expire".
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        fixture.clock.advance(Duration::minutes(59));
        assert!(check(&fixture, &token).await.is_ok());
        fixture.clock.advance(Duration::minutes(1));
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::Expired);

        let grant = fixture.grant(WEB, Some(ALICE), &["openid"]);
        let within_skew = fixture
            .access_token_at(&grant, fixture.now() + Duration::minutes(2))
            .await;
        assert!(check(&fixture, &within_skew).await.is_ok());
        let future = fixture
            .access_token_at(&grant, fixture.now() + Duration::minutes(3))
            .await;
        assert_eq!(check(&fixture, &future).await.unwrap_err(), Invalid::IssuedInFuture);
    }

    #[tokio::test]
    async fn revoked_jtis_and_grants_are_invalid() {
        let fixture = Fixture::new().await;
        let grant = fixture.grant(WEB, Some(ALICE), &["openid"]);
        let token = fixture.access_token(&grant).await;
        let sibling = fixture.access_token(&grant).await;
        let claims = check(&fixture, &token).await.unwrap();
        let until = fixture.now() + Duration::hours(1);
        fixture
            .server
            .grants()
            .revoke_access_token(&claims.jti, until)
            .await
            .unwrap();
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::Revoked);
        assert!(check(&fixture, &sibling).await.is_ok(), "only that jti");
        fixture.server.grants().revoke_grant(&grant.id, until).await.unwrap();
        assert_eq!(check(&fixture, &sibling).await.unwrap_err(), Invalid::GrantRevoked);
    }

    #[tokio::test]
    async fn a_configuration_change_revokes_earlier_tokens() {
        // Seeds 000/003: "Revocation happens when a configuration is changed or deleted".
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        fixture.clock.advance(Duration::seconds(1));
        fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/scopes",
                json!({"name": "new:scope"}),
            )
            .await;
        assert_eq!(
            check(&fixture, &token).await.unwrap_err(),
            Invalid::ConfigurationChanged
        );
        let after = fixture.token_for(WEB, &["openid"]).await;
        assert!(
            check(&fixture, &after).await.is_ok(),
            "tokens minted after the change are valid"
        );
    }

    #[tokio::test]
    async fn within_one_second_the_order_of_mint_and_change_decides() {
        // Okta's "Revoke tokens": a token minted before a configuration change is revoked by
        // it, one minted after it is not, however close together; `iat` stays whole seconds.
        let fixture = Fixture::new().await;
        let second = fixture.now().replace_nanosecond(0).unwrap() + Duration::seconds(1);
        fixture.clock.set(second + Duration::milliseconds(200));
        let before = fixture.token_for(WEB, &["openid"]).await;
        fixture.clock.set(second + Duration::milliseconds(500));
        fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/scopes",
                json!({"name": "same:second"}),
            )
            .await;
        fixture.clock.set(second + Duration::milliseconds(700));
        let after = fixture.token_for(WEB, &["openid"]).await;
        assert_eq!(
            check(&fixture, &before).await.unwrap_err(),
            Invalid::ConfigurationChanged
        );
        let claims = check(&fixture, &after).await.expect("minted after the change");
        assert_eq!(claims.iat, second.unix_timestamp(), "the same second on the wire");
    }

    #[tokio::test]
    async fn client_deactivation_deletion_and_changes_revoke() {
        // Seed 000: "The client app is deactivated, changed, unassigned, or deleted";
        // reference §3.2: a deactivated client's tokens stay invalid.
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        fixture.change_client(WEB, |c| c.client.status = Status::Inactive).await;
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::ClientInactive);
        fixture.change_client(WEB, |c| c.client.status = Status::Active).await;
        assert!(
            check(&fixture, &token).await.is_ok(),
            "status alone; the management API also stamps lastUpdated"
        );

        fixture.clock.advance(Duration::seconds(1));
        let now = fixture.now();
        fixture.change_client(WEB, |c| c.last_updated = Some(now)).await;
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::ClientChanged);

        let other = fixture.token_for(OTHER, &["openid"]).await;
        crate::store::Directory::delete_client(fixture.server.directory(), OTHER)
            .await
            .unwrap();
        assert_eq!(check(&fixture, &other).await.unwrap_err(), Invalid::ClientInactive);
    }

    #[tokio::test]
    async fn user_deactivation_deletion_and_unassignment_revoke() {
        // Seed 000: "User deactivation or deletion"; a user must be assigned to the client.
        let fixture = Fixture::new().await;
        let directory = fixture.server.directory();
        let token = fixture.token_for(WEB, &["openid"]).await;
        directory.add_user(user("SUSPENDED"), None).unwrap();
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::UserInactive);
        directory.add_user(user("ACTIVE"), None).unwrap();
        assert!(check(&fixture, &token).await.is_ok());
        directory.unassign_user(WEB, ALICE);
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::UserUnassigned);
        let other = fixture.token_for(OTHER, &["openid"]).await;
        directory.remove_user(ALICE);
        assert_eq!(check(&fixture, &other).await.unwrap_err(), Invalid::UserInactive);
    }

    #[tokio::test]
    async fn a_reactivated_user_does_not_get_revoked_tokens_back() {
        // Seed 000: "Revocation happens when … User deactivation": a revocation, so reactivating
        // the user does not revive tokens minted before (as reactivating a client does not,
        // reference §3.2). The directory stamps `statusChanged` on every status change.
        let fixture = Fixture::new().await;
        let directory = fixture.server.directory();
        let token = fixture.token_for(WEB, &["openid"]).await;
        fixture.clock.advance(Duration::seconds(1));
        let mut suspended = user("SUSPENDED");
        suspended.status_changed = Some(fixture.now());
        directory.add_user(suspended, None).unwrap();
        assert_eq!(check(&fixture, &token).await.unwrap_err(), Invalid::UserInactive);
        fixture.clock.advance(Duration::seconds(1));
        let mut reactivated = user("ACTIVE");
        reactivated.status_changed = Some(fixture.now());
        directory.add_user(reactivated, None).unwrap();
        assert_eq!(
            check(&fixture, &token).await.unwrap_err(),
            Invalid::UserInactive,
            "revoked by the deactivation"
        );
        let after = fixture.token_for(WEB, &["openid"]).await;
        assert!(check(&fixture, &after).await.is_ok(), "new tokens are fine");
    }

    #[tokio::test]
    async fn deleting_configuration_or_the_server_revokes() {
        // Seed 000: "Configuration in the authorization server is changed or deleted" (changes:
        // a_configuration_change_revokes_earlier_tokens).
        let fixture = Fixture::new().await;
        let token = fixture.token_for(WEB, &["openid"]).await;
        fixture.clock.advance(Duration::seconds(1));
        let scopes = "/api/v1/authorizationServers/default/scopes";
        let (_, listed) = fixture.admin(Method::Get, scopes, json!(null)).await;
        let internal = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|scope| scope["name"] == "internal")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        fixture
            .admin(Method::Delete, &format!("{scopes}/{internal}"), json!(null))
            .await;
        assert_eq!(
            check(&fixture, &token).await.unwrap_err(),
            Invalid::ConfigurationChanged
        );

        // The server itself deleted: its endpoints, and so its tokens, are gone.
        let (_, created) = fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers",
                json!({"name": "other", "description": "Other", "audiences": ["api://other"]}),
            )
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let state = fixture.server.active_state(&id).await.unwrap();
        let mut grant = fixture.grant(WEB, Some(ALICE), &["openid"]);
        grant.authorization_server_id = id.clone();
        let identity = fixture.server.identity(WEB, Some(ALICE)).await.unwrap();
        let minted = fixture
            .server
            .mint_access_token(&state, &identity, &grant, &fixture.context(&grant, fixture.now()))
            .await
            .unwrap()
            .token;
        assert!(
            fixture
                .server
                .validate_access_token(&state, &minted, fixture.now())
                .await
                .is_ok()
        );
        let path = format!("/api/v1/authorizationServers/{id}");
        fixture
            .admin(Method::Post, &format!("{path}/lifecycle/deactivate"), json!(null))
            .await;
        fixture.admin(Method::Delete, &path, json!(null)).await;
        let form = format!("token={minted}");
        let authorization = fixture.basic(WEB);
        let response = fixture
            .server
            .introspect(
                &id,
                &crate::endpoint::EndpointRequest::post(&form).with_authorization(&authorization),
            )
            .await;
        assert_eq!(response.status, 404);
        assert_eq!(response.json_body().unwrap()["errorCode"], "E0000007");
    }

    #[tokio::test]
    async fn client_credentials_tokens_need_no_user() {
        let fixture = Fixture::new().await;
        let token = fixture.access_token(&fixture.grant(WEB, None, &["flights"])).await;
        assert_eq!(check(&fixture, &token).await.unwrap().uid, None);
    }

    #[tokio::test]
    async fn refresh_tokens_unknown_rotated_revoked_and_expired() {
        let fixture = Fixture::new().await;
        let grant = fixture.grant(WEB, Some(ALICE), &["openid", "offline_access"]);
        let token = fixture.refresh_token(&grant).await;
        assert_eq!(check_refresh(&fixture, &token).await, Ok(()));
        assert_eq!(check_refresh(&fixture, "unknown").await, Err(Invalid::Unknown));

        // Rotated away: the old token is consumed, the successor valid.
        let successor = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        let record = crate::store::grants::RefreshTokenRecord {
            token_hash: successor.hash(),
            grant: grant.clone(),
            issued_at: fixture.now(),
            expires_at: None,
            last_used_at: fixture.now(),
        };
        let grants = fixture.server.grants();
        let rotation = grants
            .rotate_refresh_token(
                &RefreshToken::from_received(token.as_str()).hash(),
                record,
                fixture.now(),
            )
            .await
            .unwrap();
        assert!(matches!(rotation, Rotation::Rotated { .. }));
        assert_eq!(check_refresh(&fixture, &token).await, Err(Invalid::Consumed));
        assert_eq!(check_refresh(&fixture, successor.expose()).await, Ok(()));
        grants
            .revoke_grant(&grant.id, fixture.now() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(
            check_refresh(&fixture, successor.expose()).await,
            Err(Invalid::GrantRevoked)
        );

        // Idle window and absolute lifetime.
        let mut windowed = fixture.grant(WEB, Some(ALICE), &["offline_access"]);
        windowed.refresh_token_window_minutes = 10;
        let idle = fixture.refresh_token(&windowed).await;
        let mut limited = fixture.grant(WEB, Some(ALICE), &["offline_access"]);
        limited.refresh_token_lifetime_minutes = Some(5);
        let short = fixture.refresh_token(&limited).await;
        fixture.clock.advance(Duration::minutes(5));
        assert_eq!(check_refresh(&fixture, &short).await, Err(Invalid::Expired));
        assert_eq!(check_refresh(&fixture, &idle).await, Ok(()));
        fixture.clock.advance(Duration::minutes(5));
        assert_eq!(check_refresh(&fixture, &idle).await, Err(Invalid::Expired));
    }

    #[tokio::test]
    async fn refresh_tokens_follow_implicit_revocation_and_stay_on_their_server() {
        let fixture = Fixture::new().await;
        let grant = fixture.grant(WEB, Some(ALICE), &["offline_access"]);
        let token = fixture.refresh_token(&grant).await;
        let mut elsewhere = fixture.grant(WEB, Some(ALICE), &["offline_access"]);
        elsewhere.authorization_server_id = "aus-other".into();
        let foreign = fixture.refresh_token(&elsewhere).await;
        assert_eq!(check_refresh(&fixture, &foreign).await, Err(Invalid::OtherServer));
        fixture.server.directory().unassign_user(WEB, ALICE);
        assert_eq!(check_refresh(&fixture, &token).await, Err(Invalid::UserUnassigned));
        fixture.server.directory().assign_user(WEB, ALICE).unwrap();
        fixture.clock.advance(Duration::seconds(1));
        fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/scopes",
                json!({"name": "x"}),
            )
            .await;
        assert_eq!(
            check_refresh(&fixture, &token).await,
            Err(Invalid::ConfigurationChanged)
        );
    }
}

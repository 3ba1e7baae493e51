//! `GET|POST {issuer}/v1/logout` (OpenID Connect RP-Initiated Logout 1.0; Okta's "Logout"
//! endpoint in the OpenID Connect & OAuth 2.0 API reference): the decisions of
//! [`crate::logout`], answered with a redirect or a page.
//!
//! A refused request (a bad `id_token_hint`, a `client_id` that is not the hint's audience, a
//! `post_logout_redirect_uri` that is not registered on the client the hint or `client_id`
//! names, or one with neither to name a client) is a 400 error page, never a redirect, and
//! nothing else happens. A registered `post_logout_redirect_uri` gets a 302 to it with `state`
//! added. Without one the answer is a small "signed out" page (Okta shows its sign-in page; the
//! host owns sign-in pages here and may replace the response).
//!
//! `id_token_hint` is optional (RP-Initiated Logout §2 only recommends it; Okta requires it):
//! a request with no parameters at all signs the browser's session out and shows the page.
//!
//! The library owns no sessions: [`LogoutOutcome::end_session`] names the host session to end:
//! with a hint, the request's [`Session`] when its user is the ID token's subject (a session of
//! another user is left alone and the browser is still sent on); without one, the request's
//! session.

use serde_json::Value;
use time::OffsetDateTime;

use super::state::ServerState;
use super::{AuthServer, unrecorded_refusal};
use crate::endpoint::{Body, EndpointRequest, EndpointResponse, Params, Reason, Session};
use crate::event::Event;
use crate::logout;
use crate::store::{ConfigStore, Directory, GrantStore};

/// The event type of a logout.
pub(crate) const LOGOUT_EVENT: &str = "user.session.end";
/// The description of an unregistered `post_logout_redirect_uri`, as the tests look for it.
#[cfg(test)]
const ILLEGAL_REDIRECT: &str =
    "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.";

/// What a logout request decided: which session the host should end, and what to answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LogoutOutcome {
    /// The id of the host session to end: the request's session, when its user is the subject
    /// of the ID token or no ID token was sent. `None` when the request had no session, it
    /// belonged to someone other than the ID token's subject, or the request was refused.
    pub end_session: Option<String>,
    /// The user signing out: the subject of the verified ID token, else the user of the session
    /// that ends; `None` when refused or neither is known. For the host's records: ending every
    /// session of this user on the strength of a possibly old ID token is the host's call, not
    /// this library's.
    pub user_id: Option<String>,
    /// What to answer: a redirect, the signed-out page, or an error page.
    pub response: EndpointResponse,
}

impl LogoutOutcome {
    fn refused(response: EndpointResponse) -> Self {
        Self {
            end_session: None,
            user_id: None,
            response,
        }
    }
}

/// An HTML page with fixed text (no request input), not cacheable, framed by nobody.
fn page(status: u16, title: &str, text: &str) -> EndpointResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    EndpointResponse {
        status,
        headers: Vec::new(),
        body: Body::Html(html),
    }
    .with_header("Content-Type", "text/html;charset=UTF-8")
    .with_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    .no_store()
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// `GET|POST {issuer}/v1/logout` of server `server_id` (RP-initiated logout), parameters
    /// from the query (`GET`) or the form (`POST`). `id_token_hint`, when sent, must be an ID
    /// token of this server (an expired one is accepted) and `client_id`, when sent with it, its
    /// audience; `post_logout_redirect_uri` must be registered on the client the hint or
    /// `client_id` names, and then the answer redirects to it with `state`. Otherwise it is a
    /// 400 error page and nothing ends. Without a redirect the answer is a signed-out page. The
    /// outcome names the host session to end: the request's session when its user is the
    /// token's subject, or whoever's it is when no token was sent. An unknown or deactivated
    /// server is `404 E0000007`.
    pub async fn logout(&self, server_id: &str, request: &EndpointRequest<'_>) -> LogoutOutcome {
        let now = self.now();
        let state = match self.active_state_at(server_id, now).await {
            Ok(state) => state,
            Err(unavailable) => return LogoutOutcome::refused(unavailable.response()),
        };
        let refused = match logout::parameters(request) {
            Ok(params) => match self.logout_request(&state, &params, request.session, now).await {
                Ok(outcome) => return outcome,
                Err(reason) => reason,
            },
            Err(Reason::MethodNotAllowed) => {
                let response = Reason::MethodNotAllowed.error().response();
                return LogoutOutcome::refused(response.with_header("Allow", "GET, POST"));
            }
            Err(reason) => reason,
        };
        if refused.server_failure().is_some() {
            return LogoutOutcome::refused(unrecorded_refusal(&refused));
        }
        let description = refused.error().description;
        self.record(Event::unnumbered_failure(
            LOGOUT_EVENT,
            "User logout from authorization server",
            refused.code(),
            description.clone(),
            now,
        ));
        LogoutOutcome::refused(page(400, "400 Bad Request", &description))
    }

    /// Decide on the hint and client → load the client if a redirect is asked for → decide →
    /// record.
    async fn logout_request(
        &self,
        state: &ServerState,
        params: &Params,
        session: Option<&Session>,
        now: OffsetDateTime,
    ) -> Result<LogoutOutcome, Reason> {
        let jwks = state.ring.jwks(self.management.rotation(), now);
        let named = logout::named(params, &jwks, &state.issuer)?;
        let response = match params.get("post_logout_redirect_uri") {
            Some(uri) => {
                let client = self.directory().client(logout::redirect_client(&named)?).await?;
                let target = logout::redirect_target(client.as_deref(), uri, params.get("state"))?;
                EndpointResponse {
                    status: 302,
                    headers: Vec::new(),
                    body: Body::Empty,
                }
                .with_header("Location", String::from(target))
                .no_store()
            }
            None => page(200, "Signed out", "You have been signed out."),
        };
        let ended = logout::session_to_end(session, named.hint.as_ref());
        let user_id = named
            .hint
            .map(|claims| claims.sub)
            .or_else(|| ended.map(|session| session.user_id.clone()));
        let mut event = Event::unnumbered_success(LOGOUT_EVENT, "User logout from authorization server", now)
            .with_detail("sessionEnded", Value::Bool(ended.is_some()));
        if let Some(client_id) = &named.client_id {
            event = event.with_client(client_id.as_str());
        }
        if let Some(user_id) = &user_id {
            event = event.with_actor(crate::event::Entity::new("User", user_id.as_str()));
        }
        self.record(event);
        Ok(LogoutOutcome {
            end_session: ended.map(|session| session.id.clone()),
            user_id,
            response,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use crate::endpoint::{Body, EndpointRequest, Session};
    use crate::event::{EventQuery, OutcomeResult};
    use crate::server::validate::fixture::{ALICE, Fixture, SIGNED_OUT, SPA, WEB};

    fn session(user_id: &str, at: time::OffsetDateTime) -> Session {
        Session {
            id: "sess-1".into(),
            user_id: user_id.into(),
            auth_time: at,
            amr: vec!["pwd".into()],
        }
    }

    async fn hint(fixture: &Fixture, client: &str) -> String {
        fixture.id_token(&fixture.grant(client, Some(ALICE), &["openid"])).await
    }

    fn encode(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }

    #[tokio::test]
    async fn an_expired_id_token_hint_still_ends_the_matching_session() {
        // Reference §5.1: "an expired but otherwise valid token whose subject matches still
        // logs out"; without post_logout_redirect_uri the user is simply signed out.
        let fixture = Fixture::new().await;
        let id_token = hint(&fixture, WEB).await;
        fixture.clock.advance(Duration::hours(3));
        let session = session(ALICE, fixture.now());
        let query = format!("id_token_hint={id_token}");
        let outcome = fixture
            .server
            .logout("default", &EndpointRequest::get(&query).with_session(&session))
            .await;
        assert_eq!(outcome.end_session.as_deref(), Some("sess-1"));
        assert_eq!(outcome.user_id.as_deref(), Some(ALICE));
        assert_eq!(outcome.response.status, 200);
        assert!(matches!(outcome.response.body, Body::Html(_)));
        let ended = fixture.events.query(&EventQuery {
            event_type: Some(super::LOGOUT_EVENT.into()),
            outcome: Some(OutcomeResult::Success),
            ..EventQuery::default()
        });
        assert_eq!(ended.len(), 1);
    }

    #[tokio::test]
    async fn a_registered_post_logout_redirect_uri_gets_the_state_back() {
        // Seed 003 "Logout Request": redirect to the registered URI with `state` unmodified.
        let fixture = Fixture::new().await;
        let id_token = hint(&fixture, WEB).await;
        let form = format!(
            "id_token_hint={id_token}&post_logout_redirect_uri={}&state=a%20b%26c",
            encode(SIGNED_OUT)
        );
        let mut request = EndpointRequest::post(&form);
        let other = session("00uother", fixture.now());
        request.session = Some(&other);
        let outcome = fixture.server.logout("default", &request).await;
        assert_eq!(outcome.response.status, 302);
        assert_eq!(
            outcome.response.header("Location"),
            Some("https://app.example.com/signed-out?state=a+b%26c")
        );
        assert_eq!(outcome.end_session, None, "another user's session is left alone");
    }

    #[tokio::test]
    async fn an_unregistered_post_logout_redirect_uri_is_refused_without_redirecting() {
        // Seed 003: the URI "must match the value preregistered"; reference §5.1
        // `illegal_post_logout_redirect_uri`. Registered on another client is not enough.
        let fixture = Fixture::new().await;
        let session = session(ALICE, fixture.now());
        for (client, uri) in [
            (WEB, "https://evil.example.com/"),
            (WEB, "https://app.example.com/signed-out/"),
            (SPA, SIGNED_OUT),
        ] {
            let id_token = hint(&fixture, client).await;
            let query = format!(
                "id_token_hint={id_token}&post_logout_redirect_uri={}&state=s",
                encode(uri)
            );
            let outcome = fixture
                .server
                .logout("default", &EndpointRequest::get(&query).with_session(&session))
                .await;
            assert_eq!(outcome.response.status, 400, "{client} {uri}");
            assert_eq!(outcome.response.header("Location"), None);
            assert_eq!(outcome.end_session, None, "a refused request changes nothing");
            let Body::Html(html) = &outcome.response.body else {
                panic!("an error page")
            };
            assert!(html.contains(super::ILLEGAL_REDIRECT) && !html.contains("evil"));
        }
    }

    #[tokio::test]
    async fn a_bad_id_token_hint_is_refused_and_keeps_the_session() {
        // RP-Initiated Logout §2: the OP MUST validate that it issued the hint. The suite's
        // `oidcc-rp-initiated-logout-bad-id-token-hint` and `-modified-id-token-hint` expect an
        // error page and no redirect.
        let fixture = Fixture::new().await;
        let session = session(ALICE, fixture.now());
        // An access token is signed by the same key but is not an ID token; a tampered ID
        // token fails its signature; `alg: none` with the real payload verifies nothing.
        let access = fixture.token_for(WEB, &["openid"]).await;
        let id_token = hint(&fixture, WEB).await;
        let mut tampered = id_token.clone().into_bytes();
        let at = tampered.len() - 10;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        let payload = id_token.split('.').nth(1).unwrap();
        let alg_none = format!("{}.{payload}.", crate::jose::b64_encode(br#"{"alg": "none"}"#));
        for (name, bad) in [
            ("access", access),
            ("tampered", tampered),
            ("alg none", alg_none),
            ("garbage", "x.y.z".to_owned()),
        ] {
            let query = format!(
                "id_token_hint={bad}&post_logout_redirect_uri={}&state=s",
                encode(SIGNED_OUT)
            );
            let outcome = fixture
                .server
                .logout("default", &EndpointRequest::get(&query).with_session(&session))
                .await;
            assert_eq!(outcome.response.status, 400, "{name}");
            assert_eq!(outcome.response.header("Location"), None, "{name}");
            assert_eq!((outcome.end_session, outcome.user_id), (None, None));
        }
        let failures = fixture.events.query(&EventQuery {
            event_type: Some(super::LOGOUT_EVENT.into()),
            outcome: Some(OutcomeResult::Failure),
            ..EventQuery::default()
        });
        assert_eq!(failures.len(), 4);
        assert_eq!(
            fixture
                .server
                .logout("nope", &EndpointRequest::get(""))
                .await
                .response
                .status,
            404
        );
    }

    #[tokio::test]
    async fn without_a_hint_the_browsers_session_ends_on_a_signed_out_page() {
        // RP-Initiated Logout §2 only RECOMMENDS `id_token_hint`. The suite's
        // `oidcc-rp-initiated-logout-no-params` sends nothing, `-only-state` only `state`: the
        // user must be logged out and shown a logged-out page, with no redirect.
        let fixture = Fixture::new().await;
        let session = session(ALICE, fixture.now());
        for query in ["", "state=only-state"] {
            let outcome = fixture
                .server
                .logout("default", &EndpointRequest::get(query).with_session(&session))
                .await;
            assert_eq!(outcome.response.status, 200, "{query:?}");
            assert_eq!(outcome.response.header("Location"), None);
            assert!(matches!(&outcome.response.body, Body::Html(html) if html.contains("signed out")));
            assert_eq!(outcome.end_session.as_deref(), Some("sess-1"));
            assert_eq!(outcome.user_id.as_deref(), Some(ALICE));
        }
        // No session: nothing to end, the same page.
        let outcome = fixture.server.logout("default", &EndpointRequest::get("")).await;
        assert_eq!(
            (outcome.response.status, outcome.end_session, outcome.user_id),
            (200, None, None)
        );
    }

    #[tokio::test]
    async fn a_redirect_without_hint_needs_client_id_naming_a_client_it_is_registered_on() {
        // RP-Initiated Logout §3: without the hint the OP MUST NOT redirect "unless the OP has
        // other means of confirming the legitimacy of the post-logout redirection target";
        // §2 `client_id` supplies them. The suite's `oidcc-rp-initiated-logout-no-id-token-hint`
        // sends `post_logout_redirect_uri` and `state` only and expects an error page.
        let fixture = Fixture::new().await;
        let session = session(ALICE, fixture.now());
        let query = format!("post_logout_redirect_uri={}&state=s", encode(SIGNED_OUT));
        let outcome = fixture
            .server
            .logout("default", &EndpointRequest::get(&query).with_session(&session))
            .await;
        assert_eq!(outcome.response.status, 400);
        assert_eq!(outcome.response.header("Location"), None);
        assert_eq!(outcome.end_session, None, "a refused request changes nothing");
        for other in [SPA, "0oanobody"] {
            let query = format!(
                "client_id={other}&post_logout_redirect_uri={}&state=s",
                encode(SIGNED_OUT)
            );
            let outcome = fixture
                .server
                .logout("default", &EndpointRequest::get(&query).with_session(&session))
                .await;
            assert_eq!(outcome.response.status, 400, "{other}");
            assert_eq!(outcome.end_session, None);
        }
        let query = format!(
            "client_id={WEB}&post_logout_redirect_uri={}&state=s",
            encode(SIGNED_OUT)
        );
        let outcome = fixture
            .server
            .logout("default", &EndpointRequest::get(&query).with_session(&session))
            .await;
        assert_eq!(outcome.response.status, 302);
        assert_eq!(
            outcome.response.header("Location"),
            Some("https://app.example.com/signed-out?state=s")
        );
        assert_eq!(outcome.end_session.as_deref(), Some("sess-1"));
    }

    #[tokio::test]
    async fn client_id_beside_a_hint_must_be_its_audience() {
        // RP-Initiated Logout §2: "When both client_id and id_token_hint are present, the OP
        // MUST verify that the Client Identifier matches the one used when issuing the ID
        // Token."
        let fixture = Fixture::new().await;
        let session = session(ALICE, fixture.now());
        let id_token = hint(&fixture, WEB).await;
        for (client_id, status) in [(SPA, 400), (WEB, 200)] {
            let query = format!("id_token_hint={id_token}&client_id={client_id}");
            let outcome = fixture
                .server
                .logout("default", &EndpointRequest::get(&query).with_session(&session))
                .await;
            assert_eq!(outcome.response.status, status, "{client_id}");
            assert_eq!(outcome.end_session.is_some(), status == 200);
        }
    }

    #[tokio::test]
    async fn a_query_added_to_the_registered_uri_is_not_registered() {
        // Suite: `oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri` appends
        // `?foo=bar`; §3 demands an exact match.
        let fixture = Fixture::new().await;
        let id_token = hint(&fixture, WEB).await;
        let query = format!(
            "id_token_hint={id_token}&post_logout_redirect_uri={}&state=s",
            encode(&format!("{SIGNED_OUT}?foo=bar"))
        );
        let outcome = fixture.server.logout("default", &EndpointRequest::get(&query)).await;
        assert_eq!(outcome.response.status, 400);
        assert_eq!(outcome.response.header("Location"), None);
    }
}

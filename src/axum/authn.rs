//! Signing in with a password: `POST /api/v1/authn` (Okta's Authentication API, answered with a
//! one-time `sessionToken`) and `POST /login` (the sign-in page's form, answered with a session
//! cookie). Passwords are checked by the [`Directory`]; every attempt is recorded as Okta's
//! `user.session.start` event.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Shared;
use super::metrics::Endpoint;
use super::sessions::set_cookie;
use super::sign_in::{LOGIN_PATH, SignInForm, is_authorize_path};
use super::wire::{Shape, add_headers, api_error, html, param, peer, read, with_cookie};
use crate::admin::ApiError;
use crate::event::{Entity, Event};
use crate::model::{User, UserStatus, timestamp};
use crate::ratelimit::category;
use crate::store::{ConfigStore, Directory, GrantStore};

type SharedState<C, D, G> = State<Arc<Shared<C, D, G>>>;

impl<C, D, G> Shared<C, D, G>
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    /// The user of `login` if `password` is theirs and they may sign in (they are `ACTIVE`);
    /// the attempt is recorded either way.
    async fn check_password(&self, login: &str, password: &str) -> Option<User> {
        let user = self
            .server
            .directory()
            .check_password(login, password)
            .await
            .ok()
            .flatten()
            .filter(|user| user.status == UserStatus::Active);
        self.record_sign_in(login, user.as_ref().map(|user| user.id.as_str()));
        user
    }

    /// Records a sign-in attempt of `login` as Okta's `user.session.start`.
    fn record_sign_in(&self, login: &str, user_id: Option<&str>) {
        let now = self.clock.now();
        let event = match user_id {
            Some(_) => Event::success("user.session.start", "User login to Okta", now),
            None => Event::failure(
                "user.session.start",
                "User login to Okta",
                "INVALID_CREDENTIALS",
                "Authentication failed",
                now,
            ),
        };
        let mut actor = Entity::new("User", user_id.unwrap_or("unknown"));
        actor.alternate_id = Some(login.to_owned());
        self.server.events().record(event.with_actor(actor));
    }
}

/// `POST /login` from the sign-in page: a session cookie and back to the authorization request
/// (`303`), the session marked as a fresh authentication for that request, or the page again
/// (`401`).
pub(crate) async fn login<C, D, G>(State(shared): SharedState<C, D, G>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::SignIn, &request, None);
    let answer = async {
        let (parts, body) = match read(request, Shape::Text, shared.body_timeout).await {
            Ok(read) => read,
            Err(response) => return response,
        };
        if !shared.addresses.is_same_origin(&parts) {
            return (StatusCode::FORBIDDEN, "sign-in must come from this server's own page").into_response();
        }
        let form = String::from_utf8_lossy(&body);
        let return_to = param(&form, "return_to").unwrap_or_default();
        if !is_authorize_path(&return_to) {
            let message = "return_to must be an authorization request of this server";
            return (StatusCode::BAD_REQUEST, message).into_response();
        }
        let username = param(&form, "username").unwrap_or_default();
        let headers = match shared.limiter.check(category::AUTHN, &peer(&parts)) {
            Ok(headers) => headers,
            Err(response) => return *response,
        };
        let password = param(&form, "password").unwrap_or_default();
        let mut response = match shared.check_password(&username, &password).await {
            // The new session answers the request it returns to: marked fresh for it, so that a
            // `prompt=login` or `max_age` request is not sent back to this page.
            Some(user) => match shared.sessions.start(&user.id, shared.clock.now(), Some(&return_to)) {
                Some((cookie, _)) => {
                    if let Some(old) = shared.sessions.of_request(&parts) {
                        shared.sessions.end(&old.id);
                    }
                    let mut response = StatusCode::SEE_OTHER.into_response();
                    if let Ok(location) = HeaderValue::try_from(return_to) {
                        response.headers_mut().insert(LOCATION, location);
                    }
                    with_cookie(response, Some(set_cookie(&cookie)))
                }
                None => api_error(&ApiError::internal()),
            },
            None => {
                let form = SignInForm {
                    action: LOGIN_PATH,
                    return_to: &return_to,
                    username: Some(&username),
                    failed: true,
                    reauthenticate: false,
                };
                let page = shared.sign_in_page.render(&form);
                html(
                    StatusCode::UNAUTHORIZED,
                    page,
                    shared.sign_in_page.content_security_policy(),
                )
            }
        };
        add_headers(&mut response, &headers);
        response
    };
    shared.finish(&observation, answer).await
}

/// `POST /api/v1/authn` (primary authentication with a password): `SUCCESS` with a one-time
/// `sessionToken`, or `401 E0000004`.
pub(crate) async fn authn<C, D, G>(State(shared): SharedState<C, D, G>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::Authn, &request, None);
    let answer = async {
        let (parts, body) = match read(request, Shape::Okta, shared.body_timeout).await {
            Ok(read) => read,
            Err(response) => return response,
        };
        let headers = match shared.limiter.check(category::AUTHN, &peer(&parts)) {
            Ok(headers) => headers,
            Err(response) => return *response,
        };
        let credentials: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (Some(username), Some(password)) = (credentials["username"].as_str(), credentials["password"].as_str())
        else {
            let mut response = api_error(&ApiError::malformed_body());
            add_headers(&mut response, &headers);
            return response;
        };
        let mut response = match shared.check_password(username, password).await {
            Some(user) => match shared.sessions.issue_token(&user.id) {
                Some((token, expires_at)) => success(&user, &token, expires_at, credentials.get("relayState")),
                None => api_error(&ApiError::internal()),
            },
            None => api_error(&ApiError::authentication_failed()),
        };
        add_headers(&mut response, &headers);
        response
    };
    shared.finish(&observation, answer).await
}

/// Okta's `SUCCESS` transaction: the session token, when it expires, the user, and the caller's
/// `relayState` (if a string) back.
fn success(user: &User, token: &str, expires_at: time::OffsetDateTime, relay_state: Option<&Value>) -> Response {
    let mut body = json!({
        "expiresAt": timestamp::format(expires_at).ok(),
        "status": "SUCCESS",
        "sessionToken": token,
        "_embedded": { "user": {
            "id": user.id,
            "passwordChanged": user.password_changed.and_then(|t| timestamp::format(t).ok()),
            "profile": {
                "login": user.profile.login,
                "firstName": user.profile.first_name,
                "lastName": user.profile.last_name,
                // Okta's defaults for users whose profile has none.
                "locale": user.profile.custom.get("locale").cloned().unwrap_or(json!("en_US")),
                "timeZone": user.profile.custom.get("timezone").cloned().unwrap_or(json!("America/Los_Angeles")),
            }
        }},
    });
    if let Some(relay_state) = relay_state.filter(|value| value.is_string()) {
        body["relayState"] = relay_state.clone();
    }
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    // A session token is a credential: no cache may keep it.
    response
        .headers_mut()
        .insert("Cache-Control", HeaderValue::from_static("no-store"));
    response
}

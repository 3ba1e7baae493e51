//! The routes: Okta's paths onto the handlers, and the handlers of the OAuth endpoints and the
//! management API.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use axum::routing::{any, get, post};

use super::metrics::{Endpoint, Observation};
use super::sessions::{clear_cookie, set_cookie};
use super::sign_in::{LOGIN_PATH, SignInForm, return_to};
use super::wire::{add_headers, api_error, endpoint_request, html, param, peer, read, respond, with_cookie};
use super::{Shared, admit, authn, limits, logs};
use crate::AuthorizeOutcome;
use crate::admin::{ApiError, ApiRequest};
use crate::endpoint::EndpointRequest;
use crate::ratelimit::category;
use crate::store::{ConfigStore, Directory, GrantStore};

type SharedState<C, D, G> = State<Arc<Shared<C, D, G>>>;

/// The router of `shared`, with Okta's paths.
pub(crate) fn router<C, D, G>(shared: Arc<Shared<C, D, G>>) -> Router
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    Router::new()
        .route(
            "/oauth2/{server}/.well-known/openid-configuration",
            get(openid_configuration::<C, D, G>),
        )
        .route(
            "/oauth2/{server}/.well-known/oauth-authorization-server",
            get(authorization_server_metadata::<C, D, G>),
        )
        .route(
            "/.well-known/oauth-authorization-server/oauth2/{server}",
            get(authorization_server_metadata::<C, D, G>),
        )
        .route("/oauth2/{server}/v1/keys", get(keys::<C, D, G>))
        .route(
            "/oauth2/{server}/v1/authorize",
            get(authorize::<C, D, G>).post(authorize::<C, D, G>),
        )
        .route("/oauth2/{server}/v1/token", post(token::<C, D, G>))
        .route("/oauth2/{server}/v1/introspect", post(introspect::<C, D, G>))
        .route("/oauth2/{server}/v1/revoke", post(revoke::<C, D, G>))
        .route(
            "/oauth2/{server}/v1/userinfo",
            get(userinfo::<C, D, G>).post(userinfo::<C, D, G>),
        )
        .route(
            "/oauth2/{server}/v1/logout",
            get(logout::<C, D, G>).post(logout::<C, D, G>),
        )
        .route(LOGIN_PATH, post(authn::login::<C, D, G>))
        .route("/api/v1/authn", post(authn::authn::<C, D, G>))
        .route("/api/v1/logs", get(logs::logs::<C, D, G>))
        .route("/api/v1/authorizationServers", any(management::<C, D, G>))
        .route("/api/v1/authorizationServers/{*rest}", any(management::<C, D, G>))
        .route("/oauth2/v1/clients", any(management::<C, D, G>))
        .route("/oauth2/v1/clients/{*rest}", any(management::<C, D, G>))
        .fallback(not_found::<C, D, G>)
        .with_state(shared)
}

async fn not_found<C, D, G>(State(shared): SharedState<C, D, G>, request: Request) -> Response {
    let observation = shared.observe(Endpoint::NotFound, &request, None);
    shared
        .finish(&observation, async { api_error(&ApiError::path_not_found()) })
        .await
}

async fn openid_configuration<C, D, G>(
    State(shared): SharedState<C, D, G>,
    Path(server): Path<String>,
    request: Request,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::OpenIdConfiguration, &request, Some(&server));
    let query = request.uri().query().unwrap_or("");
    let answer = async {
        let request = EndpointRequest::get(query);
        respond(shared.server.openid_configuration(&server, &request).await)
    };
    shared.finish(&observation, answer).await
}

async fn authorization_server_metadata<C, D, G>(
    State(shared): SharedState<C, D, G>,
    Path(server): Path<String>,
    request: Request,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::AuthorizationServerMetadata, &request, Some(&server));
    let query = request.uri().query().unwrap_or("");
    let answer = async {
        let request = EndpointRequest::get(query);
        respond(shared.server.authorization_server_metadata(&server, &request).await)
    };
    shared.finish(&observation, answer).await
}

async fn keys<C, D, G>(State(shared): SharedState<C, D, G>, Path(server): Path<String>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::Keys, &request, Some(&server));
    let answer = async { respond(shared.server.keys(&server).await) };
    shared.finish(&observation, answer).await
}

/// `/v1/authorize`: redeems a `sessionToken` or finds the browser's session, and shows the
/// sign-in page when the library asks for a login.
async fn authorize<C, D, G>(
    State(shared): SharedState<C, D, G>,
    Path(server): Path<String>,
    request: Request,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::Authorize, &request, Some(&server));
    let answer = authorize_answer(&shared, &server, request, &observation);
    shared.finish(&observation, answer).await
}

async fn authorize_answer<C, D, G>(
    shared: &Shared<C, D, G>,
    server: &str,
    request: Request,
    observation: &Observation,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let (parts, body) = match read(request).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let request = match endpoint_request(&parts, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let input = request.form.unwrap_or(request.query);
    let client = limits::named_client(&request);
    observation.client_id(client.as_deref());
    let headers = match shared
        .limiter
        .check(category::AUTHORIZE, &limits::client_key(&parts, client.as_deref()))
    {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    // A `sessionToken` decides the session: a spent, expired or unknown one signs nobody in,
    // even when the browser has a session of its own (it may be another user's).
    let (session, new_cookie) = match param(input, "sessionToken") {
        Some(token) => match shared.sessions.redeem(&token) {
            Some((cookie, redeemed)) => {
                if let Some(old) = shared.sessions.of_request(&parts) {
                    shared.sessions.end(&old.id);
                }
                (Some(redeemed), Some(set_cookie(&cookie)))
            }
            None => (None, None),
        },
        None => (shared.sessions.of_request(&parts), None),
    };
    let request = match &session {
        Some(session) => request.with_session(session),
        None => request,
    };
    let mut response = match shared.server.authorize(server, &request).await {
        AuthorizeOutcome::Respond(response) => respond(response),
        AuthorizeOutcome::NeedsLogin(login) => {
            // Back to the same request after signing in, without the spent session token.
            let return_to = return_to(parts.uri.path(), input);
            let form = SignInForm {
                action: LOGIN_PATH,
                return_to: &return_to,
                username: login.login_hint.as_deref(),
                failed: false,
            };
            let page = shared.sign_in_page.render(&form);
            html(
                axum::http::StatusCode::OK,
                page,
                shared.sign_in_page.content_security_policy(),
            )
        }
    };
    add_headers(&mut response, &headers);
    with_cookie(response, new_cookie)
}

/// The endpoints a client calls directly, each rate limited per named client and address.
#[derive(Clone, Copy)]
enum ClientEndpoint {
    Token,
    Introspect,
    Revoke,
    Userinfo,
}

impl ClientEndpoint {
    fn category(self) -> &'static str {
        match self {
            ClientEndpoint::Token => category::TOKEN,
            ClientEndpoint::Introspect => category::INTROSPECT,
            ClientEndpoint::Revoke => category::REVOKE,
            ClientEndpoint::Userinfo => category::USERINFO,
        }
    }

    fn endpoint(self) -> Endpoint {
        match self {
            ClientEndpoint::Token => Endpoint::Token,
            ClientEndpoint::Introspect => Endpoint::Introspect,
            ClientEndpoint::Revoke => Endpoint::Revoke,
            ClientEndpoint::Userinfo => Endpoint::Userinfo,
        }
    }
}

/// The token, introspection, revocation and userinfo endpoints.
async fn client_endpoint<C, D, G>(
    shared: &Shared<C, D, G>,
    server: &str,
    endpoint: ClientEndpoint,
    request: Request,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(endpoint.endpoint(), &request, Some(server));
    let answer = async {
        let (parts, body) = match read(request).await {
            Ok(read) => read,
            Err(response) => return response,
        };
        let request = match endpoint_request(&parts, &body) {
            Ok(request) => request,
            Err(response) => return *response,
        };
        let client = limits::named_client(&request);
        observation.client_id(client.as_deref());
        if let ClientEndpoint::Token = endpoint {
            observation.grant_type(request.form.and_then(|form| param(form, "grant_type")).as_deref());
        }
        let headers = match shared
            .limiter
            .check(endpoint.category(), &limits::client_key(&parts, client.as_deref()))
        {
            Ok(headers) => headers,
            Err(response) => return *response,
        };
        let answer = match endpoint {
            ClientEndpoint::Token => shared.server.token(server, &request).await,
            ClientEndpoint::Introspect => shared.server.introspect(server, &request).await,
            ClientEndpoint::Revoke => shared.server.revoke(server, &request).await,
            ClientEndpoint::Userinfo => shared.server.userinfo(server, &request).await,
        };
        let mut response = respond(answer);
        add_headers(&mut response, &headers);
        response
    };
    shared.finish(&observation, answer).await
}

async fn token<C, D, G>(State(shared): SharedState<C, D, G>, Path(server): Path<String>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    client_endpoint(&shared, &server, ClientEndpoint::Token, request).await
}

async fn introspect<C, D, G>(
    State(shared): SharedState<C, D, G>,
    Path(server): Path<String>,
    request: Request,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    client_endpoint(&shared, &server, ClientEndpoint::Introspect, request).await
}

async fn revoke<C, D, G>(State(shared): SharedState<C, D, G>, Path(server): Path<String>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    client_endpoint(&shared, &server, ClientEndpoint::Revoke, request).await
}

async fn userinfo<C, D, G>(
    State(shared): SharedState<C, D, G>,
    Path(server): Path<String>,
    request: Request,
) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    client_endpoint(&shared, &server, ClientEndpoint::Userinfo, request).await
}

/// `/v1/logout`: ends the browser's session when the library says so.
async fn logout<C, D, G>(State(shared): SharedState<C, D, G>, Path(server): Path<String>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::Logout, &request, Some(&server));
    let answer = async {
        let (parts, body) = match read(request).await {
            Ok(read) => read,
            Err(response) => return response,
        };
        let request = match endpoint_request(&parts, &body) {
            Ok(request) => request,
            Err(response) => return *response,
        };
        let headers = match shared.limiter.check(category::LOGOUT, &peer(&parts)) {
            Ok(headers) => headers,
            Err(response) => return *response,
        };
        let session = shared.sessions.of_request(&parts);
        let request = match &session {
            Some(session) => request.with_session(session),
            None => request,
        };
        let outcome = shared.server.logout(&server, &request).await;
        let ended = outcome.end_session.inspect(|id| shared.sessions.end(id)).is_some();
        let mut response = respond(outcome.response);
        add_headers(&mut response, &headers);
        with_cookie(response, ended.then(clear_cookie))
    };
    shared.finish(&observation, answer).await
}

/// The management API, for administrators.
async fn management<C, D, G>(State(shared): SharedState<C, D, G>, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::Management, &request, None);
    let answer = async {
        let admitted = match admit(&shared, category::MANAGEMENT, request).await {
            Ok(admitted) => admitted,
            Err(response) => return response,
        };
        let mut response = match ApiRequest::from_http(&admitted.parts, &admitted.body, Some(&admitted.caller)) {
            Ok(request) => shared
                .server
                .management()
                .handle(&request)
                .await
                .into_http()
                .map(Body::from),
            Err(_) => api_error(&ApiError::method_not_allowed()),
        };
        add_headers(&mut response, &admitted.headers);
        response
    };
    shared.finish(&observation, answer).await
}

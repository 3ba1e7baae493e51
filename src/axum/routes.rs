//! The routes: Okta's paths onto the handlers, and the handlers of the OAuth endpoints and the
//! management API.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::ALLOW;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{MethodRouter, any, get, post};

use super::metrics::{Endpoint, Observation};
use super::sessions::{clear_cookie, set_cookie};
use super::sign_in::{LOGIN_PATH, SignInForm, return_to};
use super::wire::{Shape, add_headers, api_error, endpoint_request, html, param, peer, read, respond, with_cookie};
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
    use Endpoint as E;
    use Shape::{OAuth, Okta};
    Router::new()
        .route(
            "/oauth2/{server}/.well-known/openid-configuration",
            only(
                get(discovery_handler(Discovery::OpenId)),
                E::OpenIdConfiguration,
                OAuth,
                GET,
            ),
        )
        .route(
            "/oauth2/{server}/.well-known/oauth-authorization-server",
            only(
                get(discovery_handler(Discovery::Rfc8414)),
                E::AuthorizationServerMetadata,
                OAuth,
                GET,
            ),
        )
        .route(
            "/.well-known/oauth-authorization-server/oauth2/{server}",
            only(
                get(discovery_handler(Discovery::Rfc8414)),
                E::AuthorizationServerMetadata,
                OAuth,
                GET,
            ),
        )
        .route(
            "/oauth2/{server}/v1/keys",
            only(get(keys::<C, D, G>), E::Keys, OAuth, GET),
        )
        .route(
            "/oauth2/{server}/v1/authorize",
            only(
                get(authorize::<C, D, G>).post(authorize::<C, D, G>),
                E::Authorize,
                OAuth,
                GET_POST,
            ),
        )
        .route(
            "/oauth2/{server}/v1/token",
            only(post(client_handler(ClientEndpoint::Token)), E::Token, OAuth, POST),
        )
        .route(
            "/oauth2/{server}/v1/introspect",
            only(
                post(client_handler(ClientEndpoint::Introspect)),
                E::Introspect,
                OAuth,
                POST,
            ),
        )
        .route(
            "/oauth2/{server}/v1/revoke",
            only(post(client_handler(ClientEndpoint::Revoke)), E::Revoke, OAuth, POST),
        )
        .route(
            "/oauth2/{server}/v1/userinfo",
            only(
                get(client_handler(ClientEndpoint::Userinfo)).post(client_handler(ClientEndpoint::Userinfo)),
                E::Userinfo,
                OAuth,
                GET_POST,
            ),
        )
        .route(
            "/oauth2/{server}/v1/logout",
            only(
                get(logout::<C, D, G>).post(logout::<C, D, G>),
                E::Logout,
                OAuth,
                GET_POST,
            ),
        )
        .route(
            LOGIN_PATH,
            only(post(authn::login::<C, D, G>), E::SignIn, Shape::Text, POST),
        )
        .route(
            "/api/v1/authn",
            only(post(authn::authn::<C, D, G>), E::Authn, Okta, POST),
        )
        .route(
            "/api/v1/logs",
            only(get(logs::logs::<C, D, G>), E::SystemLog, Okta, GET),
        )
        .route("/api/v1/authorizationServers", any(management::<C, D, G>))
        .route("/api/v1/authorizationServers/{*rest}", any(management::<C, D, G>))
        .route("/oauth2/v1/clients", any(management::<C, D, G>))
        .route("/oauth2/v1/clients/{*rest}", any(management::<C, D, G>))
        .fallback(not_found::<C, D, G>)
        .with_state(shared)
}

/// `Allow` of a path that takes `GET` (and so `HEAD`, which axum answers as `GET` without the body).
const GET: &str = "GET, HEAD";
/// `Allow` of a path that takes `POST`.
const POST: &str = "POST";
/// `Allow` of an OAuth endpoint that takes `GET` and `POST` (its `HEAD` is refused by
/// [`endpoint_request`]).
const GET_POST: &str = "GET, POST";

/// `methods`, with every other method answered `405` in `shape` with `Allow: allow`, observed as
/// a request to `endpoint`.
fn only<C, D, G>(
    methods: MethodRouter<Arc<Shared<C, D, G>>>,
    endpoint: Endpoint,
    shape: Shape,
    allow: &'static str,
) -> MethodRouter<Arc<Shared<C, D, G>>>
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    methods.fallback(
        move |State(shared): SharedState<C, D, G>, request: Request| async move {
            let server = server_segment(request.uri().path());
            let observation = shared.observe(endpoint, &request, server.as_deref());
            shared
                .finish(&observation, async { shape.method_not_allowed(allow) })
                .await
        },
    )
}

/// The authorization server an OAuth path names: the segment after the first `oauth2`,
/// percent-decoded, with bytes that are not UTF-8 replaced by U+FFFD. Such an id names no
/// server, so the library answers the request (`404`) rather than the framework (a plain-text
/// `400`, as axum's `Path` extractor would).
fn server_segment(path: &str) -> Option<String> {
    // Split as bytes: a `str` split by a `char` searches with a general matcher, several times
    // the work for a path of a few segments.
    let mut segments = path.as_bytes().split(|&byte| byte == b'/');
    segments.by_ref().find(|segment| *segment == b"oauth2")?;
    let segment = segments.next()?;
    Some(
        percent_encoding::percent_decode(segment)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// The `{server}` of an OAuth path ([`server_segment`]): never a rejection.
struct ServerId(String);

impl<S: Send + Sync> FromRequestParts<S> for ServerId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(ServerId(server_segment(parts.uri.path()).unwrap_or_default()))
    }
}

async fn not_found<C, D, G>(State(shared): SharedState<C, D, G>, request: Request) -> Response {
    let observation = shared.observe(Endpoint::NotFound, &request, None);
    shared
        .finish(&observation, async { api_error(&ApiError::path_not_found()) })
        .await
}

/// Which discovery document a route serves.
#[derive(Clone, Copy)]
enum Discovery {
    /// OpenID Connect Discovery's `openid-configuration`.
    OpenId,
    /// RFC 8414's `oauth-authorization-server`.
    Rfc8414,
}

/// The handler of discovery document `which`.
fn discovery_handler<C, D, G>(
    which: Discovery,
) -> impl Fn(SharedState<C, D, G>, ServerId, Request) -> BoxedResponse + Clone + Send + Sync + 'static
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    move |State(shared), ServerId(server), request| {
        Box::pin(async move {
            let endpoint = match which {
                Discovery::OpenId => Endpoint::OpenIdConfiguration,
                Discovery::Rfc8414 => Endpoint::AuthorizationServerMetadata,
            };
            let observation = shared.observe(endpoint, &request, Some(&server));
            let query = request.uri().query().unwrap_or("");
            let answer = async {
                let request = EndpointRequest::get(query);
                respond(match which {
                    Discovery::OpenId => shared.server.openid_configuration(&server, &request).await,
                    Discovery::Rfc8414 => shared.server.authorization_server_metadata(&server, &request).await,
                })
            };
            shared.finish(&observation, answer).await
        })
    }
}

async fn keys<C, D, G>(State(shared): SharedState<C, D, G>, ServerId(server): ServerId, request: Request) -> Response
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
/// sign-in page when the library asks for a login. A session the sign-in page started for this
/// very request is handed over as fresh (`EndpointRequest::with_fresh_session`), once.
async fn authorize<C, D, G>(
    State(shared): SharedState<C, D, G>,
    ServerId(server): ServerId,
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
    let (parts, body) = match read(request, Shape::OAuth, shared.body_timeout).await {
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
    let reservation = match shared.limiter.reserve(category::AUTHORIZE, &parts, client.as_deref()) {
        Ok(reservation) => reservation,
        Err(response) => return *response,
    };
    // The request as the sign-in page returns to it, without the spent session token: a session
    // marked fresh for exactly this request answered its `prompt=login` or `max_age`.
    let target = return_to(parts.uri.path(), input);
    // A `sessionToken` decides the session: a spent, expired or unknown one signs nobody in,
    // even when the browser has a session of its own (it may be another user's). A redeemed one
    // is a new authentication made for this request (Okta's API-based sign-in flow).
    let (session, fresh, new_cookie) = match param(input, "sessionToken") {
        Some(token) => match shared.sessions.redeem(&token) {
            Some((cookie, redeemed)) => {
                if let Some(old) = shared.sessions.of_request(&parts) {
                    shared.sessions.end(&old.id);
                }
                (Some(redeemed), true, Some(set_cookie(&cookie)))
            }
            None => (None, false, None),
        },
        None => match shared.sessions.of_authorize_request(&parts, &target) {
            Some((session, fresh)) => (Some(session), fresh, None),
            None => (None, false, None),
        },
    };
    let request = match &session {
        Some(session) if fresh => request.with_fresh_session(session),
        Some(session) => request.with_session(session),
        None => request,
    };
    let outcome = shared.server.authorize(server, &request).await;
    // The client exists and the redirect URI is its own unless the answer is the error page.
    let established = match &outcome {
        AuthorizeOutcome::Respond(response) => response.status < 400,
        AuthorizeOutcome::NeedsLogin(_) => true,
    };
    let headers = shared.limiter.settle(reservation, established);
    let mut response = match outcome {
        AuthorizeOutcome::Respond(response) => respond(response),
        AuthorizeOutcome::NeedsLogin(login) => {
            // Back to the same request after signing in; the sign-in asks for the credentials
            // whether or not the browser has a session, and `/login` replaces that session.
            let form = SignInForm {
                action: LOGIN_PATH,
                return_to: &target,
                username: login.login_hint.as_deref(),
                failed: false,
                reauthenticate: login.reason.reauthenticate(),
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

/// The endpoints a client calls directly, each rate limited per client and address when the
/// client authenticates, per address otherwise (see `limits`).
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
        let (parts, body) = match read(request, Shape::OAuth, shared.body_timeout).await {
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
        let reservation = match shared.limiter.reserve(endpoint.category(), &parts, client.as_deref()) {
            Ok(reservation) => reservation,
            Err(response) => return *response,
        };
        let answer = match endpoint {
            ClientEndpoint::Token => shared.server.token(server, &request).await,
            ClientEndpoint::Introspect => shared.server.introspect(server, &request).await,
            ClientEndpoint::Revoke => shared.server.revoke(server, &request).await,
            ClientEndpoint::Userinfo => shared.server.userinfo(server, &request).await,
        };
        // A success at these endpoints means the client authenticated (userinfo names none).
        let headers = shared.limiter.settle(reservation, answer.status < 400);
        let mut response = respond(answer);
        add_headers(&mut response, &headers);
        response
    };
    shared.finish(&observation, answer).await
}

/// A handler's answer, boxed so handlers can be made by functions.
type BoxedResponse = Pin<Box<dyn Future<Output = Response> + Send>>;

/// The handler of client endpoint `which` (token, introspection, revocation or userinfo).
fn client_handler<C, D, G>(
    which: ClientEndpoint,
) -> impl Fn(SharedState<C, D, G>, ServerId, Request) -> BoxedResponse + Clone + Send + Sync + 'static
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    move |State(shared), ServerId(server), request| {
        Box::pin(async move { client_endpoint(&shared, &server, which, request).await })
    }
}

/// `/v1/logout`: ends the browser's session when the library says so.
async fn logout<C, D, G>(State(shared): SharedState<C, D, G>, ServerId(server): ServerId, request: Request) -> Response
where
    C: ConfigStore + 'static,
    D: Directory + 'static,
    G: GrantStore + 'static,
{
    let observation = shared.observe(Endpoint::Logout, &request, Some(&server));
    let answer = async {
        let (parts, body) = match read(request, Shape::OAuth, shared.body_timeout).await {
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
        let path = admitted.parts.uri.path();
        let mut response = match ApiRequest::from_http(&admitted.parts, &admitted.body, Some(&admitted.caller)) {
            Ok(request) => shared
                .server
                .management()
                .handle(&request)
                .await
                .into_http()
                .map(Body::from),
            Err(_) => Shape::Okta.method_not_allowed(management_allow(path)),
        };
        if response.status() == StatusCode::METHOD_NOT_ALLOWED && !response.headers().contains_key(ALLOW) {
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static(management_allow(path)));
        }
        add_headers(&mut response, &admitted.headers);
        response
    };
    shared.finish(&observation, answer).await
}

/// The methods the management API takes at `path`, for the `Allow` header of its `405`s (RFC
/// 9110 §15.5.6). Its paths alternate ids and collection names after the base
/// (`/api/v1/authorizationServers`, `/oauth2/v1/clients`): a collection is listed and added to,
/// a member read, replaced and deleted, a `lifecycle/{action}` posted, signing keys only read,
/// and `credentials/lifecycle/keyRotate` posted.
fn management_allow(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match segments.as_slice() {
        ["api", "v1", "authorizationServers", rest @ ..] | ["oauth2", "v1", "clients", rest @ ..] => rest,
        _ => return "GET, POST",
    };
    match rest {
        [_, "credentials", "keys"] | [_, "credentials", "keys", _] => "GET",
        [_, "credentials", "lifecycle", _] => "POST",
        // `lifecycle` in a collection name's place (odd index), followed by the action.
        [.., "lifecycle", _] if rest.len() % 2 == 1 => "POST",
        // Ids sit at even indexes: an even length ends with a collection (or is the base).
        _ if rest.len() % 2 == 0 => "GET, POST",
        _ => "GET, PUT, DELETE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_segment_follows_oauth2_and_is_decoded() {
        assert_eq!(server_segment("/oauth2/default/v1/keys").as_deref(), Some("default"));
        assert_eq!(
            server_segment("/.well-known/oauth-authorization-server/oauth2/aus1").as_deref(),
            Some("aus1")
        );
        assert_eq!(server_segment("/oauth2/oauth2/v1/keys").as_deref(), Some("oauth2"));
        assert_eq!(server_segment("/oauth2/a%20b/v1/keys").as_deref(), Some("a b"));
        assert_eq!(server_segment("/oauth2/%FF/v1/keys").as_deref(), Some("\u{FFFD}"));
        assert_eq!(server_segment("/api/v1/logs"), None);
        assert_eq!(server_segment("/oauth2"), None);
        assert_eq!(server_segment("/oauth2/").as_deref(), Some(""));
        assert_eq!(server_segment("/x/oauth2x/oauth2/s").as_deref(), Some("s"));
    }

    #[test]
    fn management_paths_allow_what_their_kind_takes() {
        let servers = "/api/v1/authorizationServers";
        for (path, allow) in [
            (servers.to_owned(), "GET, POST"),
            (format!("{servers}/"), "GET, POST"),
            (format!("{servers}/aus1"), "GET, PUT, DELETE"),
            (format!("{servers}/aus1/lifecycle/activate"), "POST"),
            (format!("{servers}/aus1/policies"), "GET, POST"),
            (format!("{servers}/aus1/policies/lifecycle"), "GET, PUT, DELETE"),
            (format!("{servers}/aus1/policies/p1/lifecycle/deactivate"), "POST"),
            (format!("{servers}/aus1/policies/p1/rules"), "GET, POST"),
            (format!("{servers}/aus1/policies/p1/rules/r1"), "GET, PUT, DELETE"),
            (
                format!("{servers}/aus1/policies/p1/rules/r1/lifecycle/activate"),
                "POST",
            ),
            (format!("{servers}/aus1/scopes/s1"), "GET, PUT, DELETE"),
            (format!("{servers}/aus1/claims"), "GET, POST"),
            (format!("{servers}/aus1/credentials/keys"), "GET"),
            (format!("{servers}/aus1/credentials/keys/kid1"), "GET"),
            (format!("{servers}/aus1/credentials/lifecycle/keyRotate"), "POST"),
            ("/oauth2/v1/clients".to_owned(), "GET, POST"),
            ("/oauth2/v1/clients/web-app".to_owned(), "GET, PUT, DELETE"),
            ("/oauth2/v1/clients/web-app/lifecycle/newSecret".to_owned(), "POST"),
            ("/oauth2/v1/clients/lifecycle".to_owned(), "GET, PUT, DELETE"),
        ] {
            assert_eq!(management_allow(&path), allow, "{path}");
        }
    }
}

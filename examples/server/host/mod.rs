//! The HTTP host of the example server: an [`AuthServer`] on memory stores, loaded from an org
//! document, behind an axum router with Okta's paths.
//!
//! The library decides; this module only moves bytes: it reads the request, finds the browser's
//! session, calls the endpoint, and writes the answer back. What the library leaves to hosts
//! lives here: sessions and the sign-in page ([`sessions`], [`pages`]), `POST /api/v1/authn`,
//! the `SSWS` guard of the management API, `/api/v1/logs`, and applying the rate limiter.

pub mod org;
pub mod pages;
pub mod sessions;
pub mod stores;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use authserver::admin::{ApiError, ApiRequest, Caller};
use authserver::clock::{Clock, SystemClock};
use authserver::crypto::PasswordHasher;
use authserver::endpoint::{EndpointRequest, EndpointResponse, Session};
use authserver::event::{Entity, Event};
use authserver::keys::{KeyMaterial, SoftwareKeys};
use authserver::model::{UserStatus, timestamp};
use authserver::ratelimit::{RateLimiter, RateLimits, category};
use authserver::secret::SecretHash;
use authserver::store::{Directory, GrantStore};
use authserver::{AuthServer, AuthorizeOutcome};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use org::{Org, OrgError};
use sessions::Sessions;
use stores::{Backend, Memory, Stores};

/// The authorization server on the stores of `B` (memory by default).
pub type Server<B = Memory> = AuthServer<<B as Backend>::Config, <B as Backend>::Directory, <B as Backend>::Grants>;

/// The largest request body read (form posts and management JSON are far smaller).
const MAX_BODY: usize = 1024 * 1024;

/// How the host is put together. [`Options::new`] gives the defaults: software RS256 keys, the
/// system clock, Okta's password hashing cost, no rate limits.
pub struct Options {
    /// The public origin: issuers are `{base_url}/oauth2/{id}`.
    pub base_url: String,
    /// Where signing keys come from.
    pub key_material: Arc<dyn KeyMaterial>,
    /// The clock of tokens, sessions and rate limits.
    pub clock: Arc<dyn Clock>,
    /// How the org's passwords are hashed.
    pub password_hasher: PasswordHasher,
    /// Requests allowed per client, endpoint and window.
    pub rate_limits: RateLimits,
    /// The management API token, instead of the org document's `apiToken`.
    pub api_token: Option<String>,
    /// The address the server listens on (`127.0.0.1:8080`), accepted in `Host` headers beside
    /// the base URL's authority, for when the base URL names a load balancer in front of it.
    pub listen_authority: Option<String>,
}

impl Options {
    /// The defaults for a host at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            key_material: Arc::new(SoftwareKeys),
            clock: Arc::new(SystemClock),
            password_hasher: PasswordHasher::default(),
            rate_limits: RateLimits::disabled(),
            api_token: None,
            listen_authority: None,
        }
    }
}

/// Everything a request handler needs.
pub struct Host<B: Backend = Memory> {
    /// The authorization server.
    pub server: Server<B>,
    /// Its event log, which `/api/v1/logs` serves.
    pub events: Arc<B::Events>,
    /// Whether this start applied the org document. A database it was applied to before is used
    /// as it is.
    pub seeded: bool,
    sessions: Sessions,
    api_token: SecretHash,
    limiter: Mutex<RateLimiter>,
    clock: Arc<dyn Clock>,
    /// The base URL's origin (`http://127.0.0.1:8080`), which `Origin` headers must match.
    origin: String,
    /// The base URL's authority (`127.0.0.1:8080`), and the listening address when it differs:
    /// the names `Host` headers must match.
    authorities: Vec<String>,
}

impl Host<Memory> {
    /// A host serving `org` from fresh memory stores.
    pub async fn new(org: &Org, options: Options) -> Result<Arc<Self>, OrgError> {
        let stores = Stores::memory(options.password_hasher);
        Self::with_stores(org, options, stores).await
    }
}

impl<B: Backend> Host<B> {
    /// A host serving `org` from `stores`. The org document is applied to stores it was not
    /// applied to before (a start that failed half-way is completed); a database it was applied
    /// to is used as it is, so the document changes nothing there.
    pub async fn with_stores(org: &Org, options: Options, stores: Stores<B>) -> Result<Arc<Self>, OrgError> {
        let database_error = |problem: String| OrgError {
            file: "(database)".into(),
            path: ".".into(),
            problem,
        };
        let applied_before = B::org_applied(&stores.database).await.map_err(&database_error)?;
        let events = Arc::clone(&stores.events);
        let base = url::Url::parse(&options.base_url).map_err(|error| OrgError {
            file: "(options)".into(),
            path: "base_url".into(),
            problem: error.to_string(),
        })?;
        let origin = base.origin().ascii_serialization();
        let authority = match base.port() {
            Some(port) => format!("{}:{port}", base.host_str().unwrap_or_default()),
            None => base.host_str().unwrap_or_default().to_owned(),
        };
        let mut server: Server<B> = AuthServer::new(
            Arc::clone(&stores.config),
            Arc::clone(&stores.directory),
            Arc::clone(&stores.grants),
            options.key_material,
            Arc::clone(&options.clock),
            events.clone(),
            options.base_url,
        );
        if let Some((id, attributes)) = &org.org {
            server = server.with_org(id.clone(), attributes.clone());
        }
        let seeded = !applied_before;
        if seeded {
            org.install::<B>(&server, options.clock.now()).await?;
            B::mark_org_applied(&stores.database).await.map_err(&database_error)?;
        }
        let api_token = options.api_token.as_deref().unwrap_or(&org.api_token).trim();
        Ok(Arc::new(Self {
            server,
            events,
            seeded,
            sessions: Sessions::new(Arc::clone(&options.clock)),
            api_token: SecretHash::of(api_token),
            limiter: Mutex::new(RateLimiter::new(options.rate_limits)),
            clock: options.clock,
            origin,
            authorities: std::iter::once(authority).chain(options.listen_authority).collect(),
        }))
    }
}

/// How often expired codes, refresh tokens, revocations and old events are purged.
const PURGE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// Purges what has expired every [`PURGE_INTERVAL`], starting now, for as long as `host` lives:
/// the grant store's expired entries, and events older than Okta's 90 days.
fn spawn_purges<B: Backend>(host: &Arc<Host<B>>) {
    let host = Arc::downgrade(host);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_INTERVAL);
        loop {
            ticks.tick().await;
            let Some(host) = host.upgrade() else { break };
            let now = host.clock.now();
            // A failure is retried at the next tick; the server keeps answering meanwhile.
            let _ = host.server.grants().purge_expired(now).await;
            let _ = B::purge_events(&host.events, now - time::Duration::days(90)).await;
        }
    });
}

/// Answers connections on `listener` with `host` until `shutdown` completes.
pub async fn serve<B: Backend>(
    listener: TcpListener,
    host: Arc<Host<B>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    spawn_purges(&host);
    let app = router(host).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// The routes, with Okta's paths.
pub fn router<B: Backend>(host: Arc<Host<B>>) -> Router {
    Router::new()
        .route(
            "/oauth2/{server}/.well-known/openid-configuration",
            get(openid_configuration::<B>),
        )
        .route(
            "/oauth2/{server}/.well-known/oauth-authorization-server",
            get(oauth_metadata::<B>),
        )
        .route(
            "/.well-known/oauth-authorization-server/oauth2/{server}",
            get(oauth_metadata::<B>),
        )
        .route("/oauth2/{server}/v1/keys", get(keys::<B>))
        .route(
            "/oauth2/{server}/v1/authorize",
            get(authorize::<B>).post(authorize::<B>),
        )
        .route("/oauth2/{server}/v1/token", post(token::<B>))
        .route("/oauth2/{server}/v1/introspect", post(introspect::<B>))
        .route("/oauth2/{server}/v1/revoke", post(revoke::<B>))
        .route("/oauth2/{server}/v1/userinfo", get(userinfo::<B>).post(userinfo::<B>))
        .route("/oauth2/{server}/v1/logout", get(logout::<B>).post(logout::<B>))
        .route("/login", post(login::<B>))
        .route("/api/v1/authn", post(authn::<B>))
        .route("/api/v1/logs", get(logs::<B>))
        .route("/api/v1/authorizationServers", any(management::<B>))
        .route("/api/v1/authorizationServers/{*rest}", any(management::<B>))
        .route("/oauth2/v1/clients", any(management::<B>))
        .route("/oauth2/v1/clients/{*rest}", any(management::<B>))
        .fallback(|| async { api_error(&ApiError::path_not_found()) })
        .with_state(host)
}

type HostState<B> = State<Arc<Host<B>>>;

/// A library answer as an axum response.
fn respond(response: EndpointResponse) -> Response {
    response.into_http().map(Body::from)
}

/// Okta's error object for `error`.
fn api_error(error: &ApiError) -> Response {
    error.response().into_http().map(Body::from)
}

/// The request's parts and body, at most [`MAX_BODY`] bytes.
async fn read(request: Request) -> Result<(Parts, Bytes), Box<Response>> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(_) => Err(Box::new(
            (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
        )),
    }
}

/// The endpoint request of `parts` and `body`, or the HTTP error that prevents one.
fn endpoint_request<'a>(parts: &'a Parts, body: &'a [u8]) -> Result<EndpointRequest<'a>, Box<Response>> {
    EndpointRequest::from_http(parts, body).map_err(|error| {
        let status = match error {
            authserver::endpoint::HttpRequestError::UnsupportedMethod => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        };
        Box::new((status, error.to_string()).into_response())
    })
}

/// The value of form or query parameter `name` (the first one).
fn param(encoded: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The caller's address, when the server was started with connection info.
fn peer(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Who a rate limit counts a request against: the client it names (HTTP Basic's user, or the
/// `client_id` parameter) *and* the caller's address, as Okta keys client-based limits. The
/// client is not authenticated yet, so the address keeps one caller from spending another's
/// budget by naming its client.
fn rate_limit_key(parts: &Parts, request: &EndpointRequest<'_>) -> String {
    let basic = request
        .authorization
        .and_then(authserver::endpoint::basic_credentials)
        .map(|(id, _)| id);
    let client = basic
        .or_else(|| request.form.and_then(|form| param(form, "client_id")))
        .or_else(|| param(request.query, "client_id"))
        .unwrap_or_default();
    format!("{client}|{}", peer(parts))
}

impl<B: Backend> Host<B> {
    /// Counts a request of `client` at `endpoint` (a [`category`]): the rate-limit headers to
    /// add, or the 429.
    fn limit(&self, endpoint: &str, client: &str) -> Result<Vec<(&'static str, String)>, Box<Response>> {
        let decision =
            self.limiter
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .check(endpoint, client, self.clock.now());
        let Some(decision) = decision else {
            return Ok(Vec::new());
        };
        let headers = decision.headers();
        if decision.allowed {
            return Ok(headers);
        }
        Err(Box::new(respond(decision.too_many_requests_response())))
    }

    /// The browser's session, from its cookie.
    fn session(&self, parts: &Parts) -> Option<Session> {
        let cookies = parts.headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok());
        sessions::cookie_value(cookies).and_then(|cookie| self.sessions.get(cookie))
    }

    /// Whether a form post comes from this server's own pages: a browser's `Origin` (or, without
    /// one, `Sec-Fetch-Site`) must say so. This refuses login CSRF, where another site posts its
    /// own credentials to sign the victim's browser in as the attacker. Clients that send
    /// neither header (curl, test clients) are not browsers and are let through.
    fn is_same_origin(&self, parts: &Parts) -> bool {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        match (header("origin"), header("sec-fetch-site")) {
            (Some(origin), _) => origin == self.origin,
            (None, Some(site)) => site == "same-origin" || site == "none",
            (None, None) => true,
        }
    }

    /// Whether the request was addressed to this server by its own name: a `Host` other than the
    /// base URL's is refused for the management API, so that a web page whose name was rebound
    /// to 127.0.0.1 (DNS rebinding) cannot use a known development token.
    fn is_own_host(&self, parts: &Parts) -> bool {
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|v| v.to_str().ok());
        host.is_none_or(|host| self.authorities.iter().any(|own| host.eq_ignore_ascii_case(own)))
    }

    /// Whether the request carries the management API token (`Authorization: SSWS <token>`).
    fn is_administrator(&self, parts: &Parts) -> bool {
        parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("SSWS "))
            .is_some_and(|token| SecretHash::of(token.trim()).matches(&self.api_token))
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

    /// The user of `login` if `password` is theirs and they may sign in.
    async fn check_password(&self, login: &str, password: &str) -> Option<authserver::model::User> {
        let user = self
            .server
            .directory()
            .check_password(login, password)
            .await
            .ok()
            .flatten();
        let user = user.filter(|user| user.status == UserStatus::Active);
        self.record_sign_in(login, user.as_ref().map(|u| u.id.as_str()));
        user
    }
}

fn add_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::try_from(*name),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
}

fn with_cookie(mut response: Response, cookie: Option<String>) -> Response {
    if let Some(value) = cookie.and_then(|c| HeaderValue::try_from(c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

async fn openid_configuration<B: Backend>(
    State(host): HostState<B>,
    Path(server): Path<String>,
    request: Request,
) -> Response {
    let query = request.uri().query().unwrap_or("").to_owned();
    respond(
        host.server
            .openid_configuration(&server, &EndpointRequest::get(&query))
            .await,
    )
}

async fn oauth_metadata<B: Backend>(
    State(host): HostState<B>,
    Path(server): Path<String>,
    request: Request,
) -> Response {
    let query = request.uri().query().unwrap_or("").to_owned();
    let request = EndpointRequest::get(&query);
    respond(host.server.authorization_server_metadata(&server, &request).await)
}

async fn keys<B: Backend>(State(host): HostState<B>, Path(server): Path<String>) -> Response {
    respond(host.server.keys(&server).await)
}

/// `/v1/authorize`: redeems a `sessionToken`, finds the session, and shows the sign-in page when
/// the library asks for a login.
async fn authorize<B: Backend>(State(host): HostState<B>, Path(server): Path<String>, request: Request) -> Response {
    let (parts, body) = match read(request).await {
        Ok(read) => read,
        Err(response) => return *response,
    };
    let request = match endpoint_request(&parts, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let input = request.form.unwrap_or(request.query);
    let headers = match host.limit(category::AUTHORIZE, &rate_limit_key(&parts, &request)) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    // A `sessionToken` decides the session: a spent, expired or unknown one signs nobody in,
    // even when the browser has a session of its own (it may be another user's).
    let (session, new_cookie) = match param(input, "sessionToken") {
        Some(token) => match host.sessions.redeem(&token) {
            Some((cookie, redeemed)) => {
                if let Some(old) = host.session(&parts) {
                    host.sessions.end(&old.id);
                }
                (Some(redeemed), Some(sessions::set_cookie(&cookie)))
            }
            None => (None, None),
        },
        None => (host.session(&parts), None),
    };
    let request = match &session {
        Some(session) => request.with_session(session),
        None => request,
    };
    let mut response = match host.server.authorize(&server, &request).await {
        AuthorizeOutcome::Respond(response) => respond(response),
        AuthorizeOutcome::NeedsLogin(login) => {
            // Back to the same request after signing in, without the spent session token.
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(url::form_urlencoded::parse(input.as_bytes()).filter(|(k, _)| k != "sessionToken"))
                .finish();
            let return_to = format!("{}?{query}", parts.uri.path());
            let page = pages::sign_in(&return_to, login.login_hint.as_deref(), false);
            html(StatusCode::OK, page)
        }
    };
    add_headers(&mut response, &headers);
    with_cookie(response, new_cookie)
}

fn html(status: StatusCode, page: String) -> Response {
    let mut response = (status, page).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html;charset=UTF-8"));
    response.headers_mut().insert(
        "Content-Security-Policy",
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    response
        .headers_mut()
        .insert("Cache-Control", HeaderValue::from_static("no-store"));
    response
}

/// `POST /login` from the sign-in page: a session cookie and back to the authorization request,
/// or the page again.
async fn login<B: Backend>(State(host): HostState<B>, request: Request) -> Response {
    let (parts, body) = match read(request).await {
        Ok(read) => read,
        Err(response) => return *response,
    };
    if !host.is_same_origin(&parts) {
        return (StatusCode::FORBIDDEN, "sign-in must come from this server's own page").into_response();
    }
    let form = String::from_utf8_lossy(&body);
    let return_to = param(&form, "return_to").unwrap_or_default();
    if !pages::is_authorize_path(&return_to) {
        return (
            StatusCode::BAD_REQUEST,
            "return_to must be an authorization request of this server",
        )
            .into_response();
    }
    let username = param(&form, "username").unwrap_or_default();
    let headers = match host.limit(category::AUTHN, &peer(&parts)) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    let password = param(&form, "password").unwrap_or_default();
    let mut response = match host.check_password(&username, &password).await {
        Some(user) => match host.sessions.start(&user.id, host.clock.now()) {
            Some((cookie, _)) => {
                if let Some(old) = host.session(&parts) {
                    host.sessions.end(&old.id);
                }
                let mut response = StatusCode::SEE_OTHER.into_response();
                if let Ok(location) = HeaderValue::try_from(return_to) {
                    response.headers_mut().insert(LOCATION, location);
                }
                with_cookie(response, Some(sessions::set_cookie(&cookie)))
            }
            None => api_error(&ApiError::internal()),
        },
        None => html(
            StatusCode::UNAUTHORIZED,
            pages::sign_in(&return_to, Some(&username), true),
        ),
    };
    add_headers(&mut response, &headers);
    response
}

/// `POST /api/v1/authn` (Okta's Authentication API, primary authentication with a password):
/// `SUCCESS` with a one-time `sessionToken`, or `401 E0000004`.
async fn authn<B: Backend>(State(host): HostState<B>, request: Request) -> Response {
    let (parts, body) = match read(request).await {
        Ok(read) => read,
        Err(response) => return *response,
    };
    let headers = match host.limit(category::AUTHN, &peer(&parts)) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    let credentials: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (Some(username), Some(password)) = (credentials["username"].as_str(), credentials["password"].as_str()) else {
        let mut response = api_error(&ApiError::malformed_body());
        add_headers(&mut response, &headers);
        return response;
    };
    let mut response = match host.check_password(username, password).await {
        Some(user) => match host.sessions.issue_token(&user.id) {
            Some((token, expires_at)) => {
                let body = json!({
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
                let mut body = body;
                if let Some(relay_state) = credentials.get("relayState").filter(|v| v.is_string()) {
                    body["relayState"] = relay_state.clone();
                }
                let mut response = (StatusCode::OK, axum::Json(body)).into_response();
                // A session token is a credential: no cache may keep it.
                response
                    .headers_mut()
                    .insert("Cache-Control", HeaderValue::from_static("no-store"));
                response
            }
            None => api_error(&ApiError::internal()),
        },
        None => api_error(&ApiError::authentication_failed()),
    };
    add_headers(&mut response, &headers);
    response
}

/// The endpoints a client calls directly, each rate limited per client and address.
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
}

/// The token, introspection, revocation and userinfo endpoints.
async fn client_endpoint<B: Backend>(
    host: &Host<B>,
    server: &str,
    endpoint: ClientEndpoint,
    request: Request,
) -> Response {
    let (parts, body) = match read(request).await {
        Ok(read) => read,
        Err(response) => return *response,
    };
    let request = match endpoint_request(&parts, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let headers = match host.limit(endpoint.category(), &rate_limit_key(&parts, &request)) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    let answer = match endpoint {
        ClientEndpoint::Token => host.server.token(server, &request).await,
        ClientEndpoint::Introspect => host.server.introspect(server, &request).await,
        ClientEndpoint::Revoke => host.server.revoke(server, &request).await,
        ClientEndpoint::Userinfo => host.server.userinfo(server, &request).await,
    };
    let mut response = respond(answer);
    add_headers(&mut response, &headers);
    response
}

async fn token<B: Backend>(State(host): HostState<B>, Path(server): Path<String>, request: Request) -> Response {
    client_endpoint(&host, &server, ClientEndpoint::Token, request).await
}

async fn introspect<B: Backend>(State(host): HostState<B>, Path(server): Path<String>, request: Request) -> Response {
    client_endpoint(&host, &server, ClientEndpoint::Introspect, request).await
}

async fn revoke<B: Backend>(State(host): HostState<B>, Path(server): Path<String>, request: Request) -> Response {
    client_endpoint(&host, &server, ClientEndpoint::Revoke, request).await
}

async fn userinfo<B: Backend>(State(host): HostState<B>, Path(server): Path<String>, request: Request) -> Response {
    client_endpoint(&host, &server, ClientEndpoint::Userinfo, request).await
}

/// `/v1/logout`: ends the browser's session when the library says so.
async fn logout<B: Backend>(State(host): HostState<B>, Path(server): Path<String>, request: Request) -> Response {
    let (parts, body) = match read(request).await {
        Ok(read) => read,
        Err(response) => return *response,
    };
    let request = match endpoint_request(&parts, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let headers = match host.limit(category::LOGOUT, &peer(&parts)) {
        Ok(headers) => headers,
        Err(response) => return *response,
    };
    let session = host.session(&parts);
    let request = match &session {
        Some(session) => request.with_session(session),
        None => request,
    };
    let outcome = host.server.logout(&server, &request).await;
    let ended = outcome.end_session.inspect(|id| host.sessions.end(id)).is_some();
    let mut response = respond(outcome.response);
    add_headers(&mut response, &headers);
    with_cookie(response, ended.then(sessions::clear_cookie))
}

/// Reads an administrator's request to `endpoint`: its parts and body and the rate-limit
/// headers, or the answer that refuses it (`401 E0000011` without the `SSWS` token, or the 429).
async fn admin_request<B: Backend>(
    host: &Host<B>,
    endpoint: &str,
    request: Request,
) -> Result<(Parts, Bytes, Vec<(&'static str, String)>), Box<Response>> {
    let (parts, body) = request.into_parts();
    if !host.is_own_host(&parts) || !host.is_administrator(&parts) {
        // Unauthenticated callers are counted per address, and their bodies never read.
        host.limit(endpoint, &format!("unauthenticated|{}", peer(&parts)))?;
        return Err(Box::new(api_error(&ApiError::invalid_token())));
    }
    let headers = host.limit(endpoint, "api-token")?;
    let (parts, body) = read(Request::from_parts(parts, body)).await?;
    Ok((parts, body, headers))
}

/// The management API, for callers with the `SSWS` token.
async fn management<B: Backend>(State(host): HostState<B>, request: Request) -> Response {
    let (parts, body, headers) = match admin_request(&host, category::MANAGEMENT, request).await {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let caller = Caller { id: "api-token".into() };
    let mut response = match ApiRequest::from_http(&parts, &body, Some(&caller)) {
        Ok(request) => host
            .server
            .management()
            .handle(&request)
            .await
            .into_http()
            .map(Body::from),
        Err(_) => api_error(&ApiError::method_not_allowed()),
    };
    add_headers(&mut response, &headers);
    response
}

/// `GET /api/v1/logs`: the System Log, for callers with the `SSWS` token.
async fn logs<B: Backend>(State(host): HostState<B>, request: Request) -> Response {
    let (parts, _, headers) = match admin_request(&host, category::LOGS, request).await {
        Ok(admitted) => admitted,
        Err(response) => return *response,
    };
    let query = parts.uri.query().unwrap_or("");
    let mut response = authserver::event::system_log::answer(host.events.as_ref(), query, host.clock.now())
        .await
        .into_http()
        .map(Body::from);
    add_headers(&mut response, &headers);
    response
}

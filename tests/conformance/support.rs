//! The harness the modules run on: an `authserver` process over memory seeded from `org.json`
//! beside this file, the plans' variants, a scripted browser that signs users in and lands on the
//! client's redirect URI, the client's calls to the token and userinfo endpoints, and the checks
//! the suite's conditions make, one function per condition (or per sequence of them).
//!
//! The host serves plain http on loopback, so the suite's https-only conditions
//! (`CheckDiscEndpointAllEndpointsAreHttps`, `CheckDiscEndpointDiscoveryUrl`'s scheme rule, the
//! `https` part of `AbstractJsonUriIsValidAndHttps` and `CheckDiscEndpointIssuerIsValidUrl`) are
//! checked for everything but the scheme.

#![allow(dead_code)] // Each module uses its own part of the harness.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

/// A client of `org.json`.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub id: &'static str,
    pub secret: &'static str,
    /// How it authenticates at the token endpoint.
    pub auth: ClientAuth,
    /// Its one registered redirect URI.
    pub redirect_uri: &'static str,
    /// Its one registered post-logout redirect URI.
    pub post_logout_redirect_uri: &'static str,
}

/// The suite's `ClientAuthType` variants the plans use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic with the id and secret.
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form.
    Post,
}

/// The suite's `client`: a confidential client that authenticates with `client_secret_basic`.
pub const CLIENT: Client = Client {
    id: "conformance-basic",
    secret: "conformance-basic-secret-0123456789abcdef",
    auth: ClientAuth::Basic,
    redirect_uri: "https://rp.conformance.example/callback",
    post_logout_redirect_uri: "https://rp.conformance.example/post_logout_redirect",
};

/// The suite's `client_secret_post` client (`OIDCCServerTestClientSecretPost`).
pub const POST_CLIENT: Client = Client {
    id: "conformance-post",
    secret: "conformance-post-secret-0123456789abcdef",
    auth: ClientAuth::Post,
    redirect_uri: "https://rp.conformance.example/callback",
    post_logout_redirect_uri: "https://rp.conformance.example/post_logout_redirect",
};

/// The suite's `client2` (`AbstractOIDCCMultipleClient`).
pub const CLIENT2: Client = Client {
    id: "conformance-second",
    secret: "conformance-second-secret-0123456789abcdef",
    auth: ClientAuth::Basic,
    redirect_uri: "https://rp2.conformance.example/callback",
    post_logout_redirect_uri: "https://rp2.conformance.example/post_logout_redirect",
};

/// A user of `org.json`.
#[derive(Debug, Clone, Copy)]
pub struct User {
    pub id: &'static str,
    pub login: &'static str,
    pub password: &'static str,
}

/// The user the tests sign in as: every standard claim in the profile.
pub const BUFFY: User = User {
    id: "00u1buffy00000000001",
    login: "buffy@conformance.example",
    password: "Buffy-Passw0rd!",
};

// ---------------------------------------------------------------------------------------------
// The host
// ---------------------------------------------------------------------------------------------

/// A running `authserver` (the example host) over memory, on a free loopback port.
pub struct Host {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Host {
    /// Starts the binary with `org.json` and waits until it answers.
    pub async fn start() -> Host {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let log = dir.path().join("authserver.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let org = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/org.json");
        let output = std::fs::File::create(&log).expect("the log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_authserver"));
        command.args([
            "--port",
            &port.to_string(),
            "--database",
            "memory",
            "--org",
            org,
            "--no-rate-limits",
        ]);
        for name in [
            "AUTHSERVER_BASE_URL",
            "AUTHSERVER_DATABASE",
            "AUTHSERVER_KEK",
            "AUTHSERVER_KEK_FILE",
            "AUTHSERVER_KEK_PREVIOUS",
            "AUTHSERVER_API_TOKEN",
        ] {
            command.env_remove(name);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("the log file"))
            .stderr(output)
            .spawn()
            .expect("the authserver binary starts (built by cargo test)");
        let mut host = Host {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        host.wait_until_ready().await;
        host
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/v1/keys", self.issuer());
        loop {
            if let Ok(response) = http().get(&url).send().await {
                if response.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}):\n{}", self.output());
            }
            assert!(Instant::now() < deadline, "the server did not start:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the server printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The `default` server's issuer.
    pub fn issuer(&self) -> String {
        format!("{}/oauth2/default", self.base)
    }

    /// `…/oauth2/default/v1/{name}`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/v1/{name}", self.issuer())
    }

    /// The discovery URL (the suite's `server.discoveryUrl`).
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// `GetDynamicServerConfiguration`: the discovery document, with its status and content type.
    pub async fn discovery_response(&self) -> (u16, String, Value) {
        let response = http().get(self.discovery_url()).send().await.expect("discovery answers");
        let status = response.status().as_u16();
        let content_type = header(response.headers(), "content-type");
        (status, content_type, response.json().await.unwrap_or(Value::Null))
    }

    /// The discovery document, checked as `CheckServerConfiguration` does (FAILURE):
    /// `authorization_endpoint`, `token_endpoint` and `issuer` are URL strings.
    pub async fn discovery(&self) -> Value {
        let (status, _, metadata) = self.discovery_response().await;
        assert_eq!(status, 200, "discovery: {metadata}");
        for key in ["authorization_endpoint", "token_endpoint", "issuer"] {
            let value = metadata[key].as_str().unwrap_or_else(|| panic!("CheckServerConfiguration: no {key}"));
            Url::parse(value).unwrap_or_else(|_| panic!("CheckServerConfiguration: {key} is not a URL"));
        }
        metadata
    }

    /// `FetchServerKeys` from the discovery document's `jwks_uri`, then the checks every
    /// module's setup makes ([`check_server_jwks`]).
    pub async fn server_jwks(&self) -> Value {
        let metadata = self.discovery().await;
        let jwks_uri = metadata["jwks_uri"].as_str().expect("a jwks_uri");
        let jwks: Value = http()
            .get(jwks_uri)
            .send()
            .await
            .expect("the keys endpoint answers")
            .json()
            .await
            .expect("a JWK set");
        check_server_jwks(&jwks);
        jwks
    }

    /// A management API call with the org's token: the status and the JSON answer.
    pub async fn manage(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let response = http()
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", "SSWS 00conformance-api-token-for-tests-only")
            .json(body)
            .send()
            .await
            .expect("the management API answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not follow redirects.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// The plans' variants
// ---------------------------------------------------------------------------------------------

/// One variant a plan runs a module under: its response type and response mode (the client
/// authentication is the module's client, [`CLIENT`] unless it says otherwise).
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// The plan's name.
    pub plan: &'static str,
    /// `response_type`.
    pub response_type: &'static str,
    /// `response_mode=form_post` (the form post plan).
    pub form_post: bool,
}

impl Variant {
    fn has(&self, part: &str) -> bool {
        self.response_type.split(' ').any(|p| p == part)
    }
    /// Whether a code comes from the authorization endpoint.
    pub fn includes_code(&self) -> bool {
        self.has("code")
    }
    /// Whether an ID token comes from the authorization endpoint.
    pub fn includes_id_token(&self) -> bool {
        self.has("id_token")
    }
    /// Whether an access token comes from the authorization endpoint.
    pub fn includes_token(&self) -> bool {
        self.has("token")
    }
    /// `response_type=code`.
    pub fn is_code_flow(&self) -> bool {
        self.response_type == "code"
    }
}

const BASIC_PLAN: &str = "oidcc-basic-certification-test-plan";
const IMPLICIT_PLAN: &str = "oidcc-implicit-certification-test-plan";
const HYBRID_PLAN: &str = "oidcc-hybrid-certification-test-plan";
const FORM_POST_PLAN: &str = "oidcc-formpost-basic-certification-test-plan";

/// Basic: `code`.
pub const BASIC: Variant = Variant { plan: BASIC_PLAN, response_type: "code", form_post: false };
/// Form post basic: `code` with `response_mode=form_post`.
pub const FORM_POST: Variant = Variant { plan: FORM_POST_PLAN, response_type: "code", form_post: true };
/// Implicit: `id_token`.
pub const IMPLICIT_ID_TOKEN: Variant = Variant { plan: IMPLICIT_PLAN, response_type: "id_token", form_post: false };
/// Implicit: `id_token token`.
pub const IMPLICIT_ID_TOKEN_TOKEN: Variant =
    Variant { plan: IMPLICIT_PLAN, response_type: "id_token token", form_post: false };
/// Hybrid: `code id_token`.
pub const HYBRID_CODE_ID_TOKEN: Variant = Variant { plan: HYBRID_PLAN, response_type: "code id_token", form_post: false };
/// Hybrid: `code token`.
pub const HYBRID_CODE_TOKEN: Variant = Variant { plan: HYBRID_PLAN, response_type: "code token", form_post: false };
/// Hybrid: `code id_token token`.
pub const HYBRID_CODE_ID_TOKEN_TOKEN: Variant =
    Variant { plan: HYBRID_PLAN, response_type: "code id_token token", form_post: false };

/// Every variant of the four response-type plans.
pub const ALL_VARIANTS: [Variant; 7] = [
    BASIC,
    FORM_POST,
    IMPLICIT_ID_TOKEN,
    IMPLICIT_ID_TOKEN_TOKEN,
    HYBRID_CODE_ID_TOKEN,
    HYBRID_CODE_TOKEN,
    HYBRID_CODE_ID_TOKEN_TOKEN,
];

/// The variants whose response type includes `code` (modules not applicable to `id_token` and
/// `id_token token`).
pub const CODE_VARIANTS: [Variant; 5] = [BASIC, FORM_POST, HYBRID_CODE_ID_TOKEN, HYBRID_CODE_TOKEN, HYBRID_CODE_ID_TOKEN_TOKEN];

/// The variants that give an access token for userinfo (`AbstractOIDCCUserInfoTest` is not
/// applicable to `id_token`).
pub const USERINFO_VARIANTS: [Variant; 6] = [
    BASIC,
    FORM_POST,
    IMPLICIT_ID_TOKEN_TOKEN,
    HYBRID_CODE_ID_TOKEN,
    HYBRID_CODE_TOKEN,
    HYBRID_CODE_ID_TOKEN_TOKEN,
];

// ---------------------------------------------------------------------------------------------
// Random values as the suite makes them
// ---------------------------------------------------------------------------------------------

/// Alphanumeric characters from SHA-256 of a process-wide counter, the time and the process id:
/// unpredictable enough for a test's state and nonce.
pub fn alphanumeric(length: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(length);
    while out.len() < length {
        let mut hasher = Sha256::new();
        hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        hasher.update(nanos.to_le_bytes());
        for byte in hasher.finalize() {
            if out.len() < length {
                out.push(ALPHABET[usize::from(byte) % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// `CreateRandomStateValue` / `CreateRandomNonceValue`: `length` alphanumerics, or for more
/// than 10, `length - 4` of them followed by `-._~`.
pub fn suite_random(length: usize) -> String {
    if length > 10 {
        format!("{}-._~", alphanumeric(length - 4))
    } else {
        alphanumeric(length)
    }
}

/// `CreateRandomEndSessionState`: 50 visible ASCII characters (RFC 6749 Appendix A's VSCHAR),
/// with `+`, space and `;` replaced by `~`.
pub fn end_session_state() -> String {
    let bytes = Sha256::digest(alphanumeric(32).as_bytes());
    let more = Sha256::digest(bytes);
    bytes
        .iter()
        .chain(more.iter())
        .take(50)
        .map(|byte| {
            let c = (0x20 + byte % 95) as char;
            if matches!(c, '+' | ' ' | ';') { '~' } else { c }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Authorization requests
// ---------------------------------------------------------------------------------------------

/// An authorization request as `CreateAuthorizationRequestSteps` builds it: `client_id`,
/// `redirect_uri`, `scope=openid`, a random `state` and `nonce` (10 characters), the variant's
/// `response_type` and, for form post, `response_mode=form_post`.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client: Client,
    pub variant: Variant,
    params: Vec<(String, String)>,
}

impl AuthRequest {
    /// The module's usual request of `client` under `variant`.
    pub fn new(client: Client, variant: Variant) -> Self {
        let mut request = AuthRequest { client, variant, params: Vec::new() };
        request = request
            .with("client_id", client.id)
            .with("redirect_uri", client.redirect_uri)
            .with("scope", "openid")
            .with("state", &suite_random(10))
            .with("nonce", &suite_random(10))
            .with("response_type", variant.response_type);
        if variant.form_post {
            request = request.with("response_mode", "form_post");
        }
        request
    }

    /// The request with parameter `name` set to `value` (replacing it if present).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(param) => param.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// The request without parameter `name`.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(n, _)| n != name);
        self
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// `BuildPlainRedirectToAuthorizationEndpointReorderedParams`: the parameters reversed.
    pub fn reversed(mut self) -> Self {
        self.params.reverse();
        self
    }
}

/// Where the browser ended up after an authorization request.
#[derive(Debug, Clone)]
pub enum Landing {
    /// At the client's redirect URI: the authorization response.
    Callback(Callback),
    /// On a page of the server (an error page, the sign-in page, the signed-out page).
    Page { status: u16, body: String },
}

impl Landing {
    /// The authorization response; panics with what the browser saw otherwise.
    pub fn callback(self) -> Callback {
        match self {
            Landing::Callback(callback) => callback,
            Landing::Page { status, body } => panic!("expected a redirect to the client, got a {status} page:\n{body}"),
        }
    }

    /// The page; panics if the browser was sent to the client.
    pub fn page(self) -> (u16, String) {
        match self {
            Landing::Page { status, body } => (status, body),
            Landing::Callback(callback) => panic!("expected a page, the server sent the browser to {callback:?}"),
        }
    }
}

/// What reached the client's redirect URI.
#[derive(Debug, Clone)]
pub struct Callback {
    /// The URL the browser was sent to (without the fragment for form post).
    pub url: Url,
    /// `GET`, or `POST` for `form_post`.
    pub method: &'static str,
    /// `Content-Type` of a form post.
    pub content_type: Option<&'static str>,
    /// The URL's query parameters.
    pub query: Vec<(String, String)>,
    /// The URL's fragment parameters.
    pub fragment: Vec<(String, String)>,
    /// The posted form's parameters.
    pub form: Vec<(String, String)>,
    form_post: bool,
    code_flow: bool,
}

impl Callback {
    /// The authorization response's parameters, from where the module reads them: the form
    /// for form post, the query for `code`, the fragment otherwise (`processCallback`).
    pub fn params(&self) -> &[(String, String)] {
        if self.form_post {
            &self.form
        } else if self.code_flow {
            &self.query
        } else {
            &self.fragment
        }
    }

    /// Parameter `name` of the response.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params().iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Parameter `name`, which must be there.
    pub fn require(&self, name: &str) -> String {
        self.get(name)
            .unwrap_or_else(|| panic!("no {name} in the authorization response {:?}", self.params()))
            .to_owned()
    }

    /// The response read from the query, as for `response_type=code` (an error answer to a
    /// request without a response type).
    pub fn from_query(mut self) -> Self {
        self.code_flow = true;
        self
    }

    /// The response's parameter names.
    pub fn names(&self) -> Vec<&str> {
        self.params().iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// A browser: the server's session cookie, and the requests a user agent makes.
pub struct Browser {
    base: String,
    cookie: Option<String>,
}

impl Browser {
    /// A browser without cookies.
    pub fn new(host: &Host) -> Self {
        Browser { base: host.base.clone(), cookie: None }
    }

    /// Forgets the session cookie (the suite's "remove any cookies").
    pub fn clear_cookies(&mut self) {
        self.cookie = None;
    }

    /// Whether the browser holds a session cookie.
    pub fn has_session(&self) -> bool {
        self.cookie.is_some()
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match &self.cookie {
            Some(cookie) => request.header("Cookie", format!("authserver_sid={cookie}")),
            None => request,
        };
        let response = request.send().await.expect("the server answers");
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap_or_default();
            if let Some(rest) = value.strip_prefix("authserver_sid=") {
                let cookie = rest.split(';').next().unwrap_or_default();
                let expired = value.contains("Max-Age=0");
                self.cookie = (!cookie.is_empty() && !expired).then(|| cookie.to_owned());
            }
        }
        response
    }

    /// GETs `url` and follows redirects within the server; where it ends.
    pub async fn visit(&mut self, url: &str) -> Landing {
        let response = self.send(http().get(url)).await;
        self.land(response, None).await
    }

    /// Sends `request` to the authorization endpoint as a redirect does (GET with the query), signs
    /// in as `user` if the server shows its sign-in page, and returns where the browser lands.
    pub async fn authorize(&mut self, host: &Host, request: &AuthRequest, user: Option<&User>) -> Landing {
        let url = Url::parse_with_params(&host.endpoint("authorize"), request.params()).expect("a URL");
        let response = self.send(http().get(url)).await;
        self.after_authorize(response, request, user).await
    }

    /// As [`authorize`](Self::authorize), with the request's parameters in a POST form
    /// (`OIDCCEnsurePostRequestSucceeds`).
    pub async fn authorize_post(&mut self, host: &Host, request: &AuthRequest, user: Option<&User>) -> Landing {
        let response = self.send(http().post(host.endpoint("authorize")).form(request.params())).await;
        self.after_authorize(response, request, user).await
    }

    async fn after_authorize(&mut self, response: reqwest::Response, request: &AuthRequest, user: Option<&User>) -> Landing {
        let landing = self.land(response, Some(request)).await;
        match (&landing, user) {
            (Landing::Page { status: 200, body }, Some(user)) if is_sign_in_page(body) => {
                self.sign_in(body, user, request).await
            }
            _ => landing,
        }
    }

    /// Fills in the sign-in page's form as `user` and follows the server back to the request.
    async fn sign_in(&mut self, page: &str, user: &User, request: &AuthRequest) -> Landing {
        let return_to = hidden_inputs(page)
            .into_iter()
            .find(|(name, _)| name == "return_to")
            .map(|(_, value)| value)
            .expect("the sign-in page's return_to");
        let form = [
            ("return_to", return_to.as_str()),
            ("username", user.login),
            ("password", user.password),
        ];
        let response = self.send(http().post(format!("{}/login", self.base)).form(&form)).await;
        assert_eq!(response.status().as_u16(), 303, "signing in as {}", user.login);
        self.land(response, Some(request)).await
    }

    /// Follows redirects within the server; a redirect elsewhere is the client's callback.
    async fn land(&mut self, mut response: reqwest::Response, request: Option<&AuthRequest>) -> Landing {
        for _ in 0..10 {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = header(response.headers(), "location");
                let target = Url::parse(&self.base).expect("the base URL").join(&location).expect("a Location URL");
                if target.as_str().starts_with(&format!("{}/", self.base)) {
                    response = self.send(http().get(target)).await;
                    continue;
                }
                return Landing::Callback(callback_from_redirect(target, request));
            }
            let body = response.text().await.unwrap_or_default();
            if status == 200 && body.contains("<title>Submit This Form</title>") {
                return Landing::Callback(callback_from_form_post(&body, request));
            }
            return Landing::Page { status, body };
        }
        panic!("more than ten redirects within the server");
    }
}

fn is_sign_in_page(body: &str) -> bool {
    body.contains("action=\"/login\"")
}

fn pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

fn callback_from_redirect(url: Url, request: Option<&AuthRequest>) -> Callback {
    let query = pairs(url.query().unwrap_or_default());
    let fragment = pairs(url.fragment().unwrap_or_default());
    Callback {
        url,
        method: "GET",
        content_type: None,
        query,
        fragment,
        form: Vec::new(),
        form_post: false,
        code_flow: request.is_none_or(|r| r.variant.is_code_flow()),
    }
}

/// The auto-submitting form of `form_post`: the browser posts it (as
/// `application/x-www-form-urlencoded`, the only encoding a form without `enctype` has).
fn callback_from_form_post(body: &str, request: Option<&AuthRequest>) -> Callback {
    let action = regex::Regex::new(r#"<form method="post" action="([^"]*)""#)
        .expect("a regex")
        .captures(body)
        .map(|c| unescape_html(&c[1]))
        .expect("the form's action");
    let url = Url::parse(&action).expect("the form's action is a URL");
    let query = pairs(url.query().unwrap_or_default());
    Callback {
        url,
        method: "POST",
        content_type: Some("application/x-www-form-urlencoded"),
        query,
        fragment: Vec::new(),
        form: hidden_inputs(body),
        form_post: true,
        code_flow: request.is_none_or(|r| r.variant.is_code_flow()),
    }
}

fn hidden_inputs(body: &str) -> Vec<(String, String)> {
    regex::Regex::new(r#"<input type="hidden" name="([^"]*)" value="([^"]*)">"#)
        .expect("a regex")
        .captures_iter(body)
        .map(|c| (unescape_html(&c[1]), unescape_html(&c[2])))
        .collect()
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// The token and userinfo endpoints
// ---------------------------------------------------------------------------------------------

/// An answer of a JSON endpoint.
#[derive(Debug, Clone)]
pub struct JsonAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

async fn json_answer(response: reqwest::Response) -> JsonAnswer {
    let status = response.status().as_u16();
    let content_type = header(response.headers(), "content-type");
    let text = response.text().await.unwrap_or_default();
    JsonAnswer { status, content_type, body: serde_json::from_str(&text).unwrap_or(Value::Null) }
}

/// A token request by `client`, authenticated as it is registered.
pub async fn token_request(host: &Host, client: &Client, form: &[(&str, &str)]) -> JsonAnswer {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = http().post(host.endpoint("token"));
    match client.auth {
        ClientAuth::Basic => request = request.basic_auth(client.id, Some(client.secret)),
        ClientAuth::Post => form.extend([("client_id", client.id), ("client_secret", client.secret)]),
    }
    json_answer(request.form(&form).send().await.expect("the token endpoint answers")).await
}

/// `CreateTokenEndpointRequestForAuthorizationCodeGrant` and the call.
pub async fn redeem_code(host: &Host, client: &Client, code: &str, extra: &[(&str, &str)]) -> JsonAnswer {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri),
    ];
    form.extend_from_slice(extra);
    token_request(host, client, &form).await
}

/// How the userinfo endpoint is called.
#[derive(Debug, Clone, Copy)]
pub enum UserinfoCall {
    /// `CallUserInfoEndpoint`: GET with a bearer header.
    Get,
    /// `SetResourceMethodToPost` + `CallUserInfoEndpoint`: POST with a bearer header.
    PostHeader,
    /// `CallUserInfoEndpointWithBearerTokenInBody`: POST with `access_token` in the form.
    PostBody,
}

/// Calls the userinfo endpoint with `access_token`.
pub async fn userinfo(host: &Host, access_token: &str, call: UserinfoCall) -> JsonAnswer {
    let url = host.endpoint("userinfo");
    let request = match call {
        UserinfoCall::Get => http().get(url).bearer_auth(access_token),
        UserinfoCall::PostHeader => http().post(url).bearer_auth(access_token).form(&[] as &[(&str, &str)]),
        UserinfoCall::PostBody => http().post(url).form(&[("access_token", access_token)]),
    };
    json_answer(request.send().await.expect("userinfo answers")).await
}

// ---------------------------------------------------------------------------------------------
// JWTs and JWKS
// ---------------------------------------------------------------------------------------------

/// A compact JWS, decoded but not yet verified.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub raw: String,
    pub header: Value,
    pub claims: Value,
}

impl Jwt {
    /// Decodes `raw`; panics if it is not a three-part JWS with JSON header and claims.
    pub fn decode(raw: &str) -> Jwt {
        let parts: Vec<&str> = raw.split('.').collect();
        assert_eq!(parts.len(), 3, "a JWS in compact serialization: {raw}");
        let json = |part: &str| -> Value {
            let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
            serde_json::from_slice(&bytes).expect("JSON")
        };
        Jwt { raw: raw.to_owned(), header: json(parts[0]), claims: json(parts[1]) }
    }

    /// Claim `name` as an integer.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.claims[name].as_i64()
    }
}

/// The checks every module's setup makes of the server's JWKS: `CheckServerKeysIsValid`
/// (WARNING; FAILURE in `OIDCCServerRotateKeys`), `ValidateJwksSequence`
/// (`EnsureJwksHasNoPrivateOrSymmetricKeyMaterial`, `ValidateJwksStructure`, `ParseUsableJwksKeys`:
/// FAILURE; `WarnOnUnusableJwksKeys`: WARNING), `CheckForKeyIdInServerJWKs` and
/// `CheckDistinctKeyIdValueInServerJWKs` (FAILURE).
pub fn check_server_jwks(jwks: &Value) {
    let keys = jwks["keys"].as_array().expect("ValidateJwksStructure: a `keys` array");
    assert!(!keys.is_empty(), "ValidateJwksStructure: at least one key");
    let mut kids = Vec::new();
    for key in keys {
        let kty = key["kty"].as_str().expect("ValidateJwksStructure: every key has a kty");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(key.get(private).is_none(), "EnsureJwksHasNoPrivateOrSymmetricKeyMaterial: {private} in {key}");
        }
        assert_ne!(kty, "oct", "EnsureJwksHasNoPrivateOrSymmetricKeyMaterial: a symmetric key");
        // ParseUsableJwksKeys / WarnOnUnusableJwksKeys: a key type, curve and algorithm a client knows.
        match kty {
            "RSA" => {
                assert!(key["n"].is_string() && key["e"].is_string(), "ParseUsableJwksKeys: {key}");
            }
            "EC" => {
                assert!(matches!(key["crv"].as_str(), Some("P-256" | "P-384" | "P-521")), "WarnOnUnusableJwksKeys: {key}");
                assert!(key["x"].is_string() && key["y"].is_string(), "ParseUsableJwksKeys: {key}");
            }
            "OKP" => {
                assert!(matches!(key["crv"].as_str(), Some("Ed25519" | "Ed448")), "WarnOnUnusableJwksKeys: {key}");
                assert!(key["x"].is_string(), "ParseUsableJwksKeys: {key}");
            }
            other => panic!("WarnOnUnusableJwksKeys: unknown kty {other}"),
        }
        if let Some(alg) = key["alg"].as_str() {
            assert!(
                matches!(alg, "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512" | "EdDSA" | "Ed25519"),
                "WarnOnUnusableJwksKeys: alg {alg}"
            );
        }
        // CheckServerKeysIsValid: the set parses as JWKs (jsonwebtoken parses each key).
        serde_json::from_value::<jsonwebtoken::jwk::Jwk>(key.clone())
            .unwrap_or_else(|error| panic!("CheckServerKeysIsValid: {key}: {error}"));
        let kid = key["kid"].as_str().expect("CheckForKeyIdInServerJWKs: every key has a kid");
        assert!(!kids.contains(&kid), "CheckDistinctKeyIdValueInServerJWKs: kid {kid} twice");
        kids.push(kid);
    }
}

/// `ValidateIdTokenSignature` (and `ValidateUserInfo…`'s equivalent): the signature verifies with
/// the key of the header's `kid` in `jwks`, by that key's algorithm.
pub fn verify_signature(jwt: &Jwt, jwks: &Value) {
    let kid = jwt.header["kid"].as_str().expect("a kid in the JWS header");
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .unwrap_or_else(|| panic!("kid {kid} is not in the server's JWKS"));
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).expect("a JWK");
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a verification key");
    let alg: jsonwebtoken::Algorithm = jwt.header["alg"].as_str().expect("an alg").parse().expect("a known alg");
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(&jwt.raw, &decoding, &validation)
        .unwrap_or_else(|error| panic!("ValidateIdTokenSignature: {error}"));
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The suite's allowed clock skew.
const SKEW: i64 = 5 * 60;

/// What an ID token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The request's nonce, if it sent one.
    pub nonce: Option<&'a str>,
}

impl<'a> Expected<'a> {
    /// The expectations for `request`, answered by `host`.
    pub fn of(issuer: &'a str, request: &'a AuthRequest) -> Self {
        Expected { issuer, client_id: request.client.id, nonce: request.get("nonce") }
    }
}

/// `PerformStandardIdTokenChecks` (every condition FAILURE): `ValidateIdToken`,
/// `ValidateIdTokenStandardClaims`, `ValidateIdTokenNonce`, `ValidateIdTokenACRClaimAgainstRequest`,
/// `ValidateIdTokenSignature`, `CheckForSubjectInIdToken`, `EnsureIdTokenUpdatedAtValid`.
pub fn standard_id_token_checks(raw: &str, expected: Expected<'_>, jwks: &Value) -> Jwt {
    let token = Jwt::decode(raw);
    validate_id_token(&token, expected);
    validate_standard_claims(&identity_claims(&token.claims), "id_token");
    validate_nonce(&token, expected.nonce);
    if let Some(acr) = token.claims.get("acr") {
        assert!(acr.is_string(), "ValidateIdTokenACRClaimAgainstRequest: acr is a string");
    }
    verify_signature(&token, jwks);
    check_subject(&token);
    check_updated_at(&token.claims, "id_token");
    token
}

/// `ValidateIdToken`: `iss`, `aud`, `exp`, `iat`, `auth_time`, `acr` and `nbf`.
pub fn validate_id_token(token: &Jwt, expected: Expected<'_>) {
    let claims = &token.claims;
    let now = now();
    assert_eq!(claims["iss"].as_str(), Some(expected.issuer), "ValidateIdToken: iss");
    match &claims["aud"] {
        Value::String(aud) => assert_eq!(aud, expected.client_id, "ValidateIdToken: aud"),
        Value::Array(auds) => assert!(auds.iter().any(|a| a == expected.client_id), "ValidateIdToken: aud {auds:?}"),
        other => panic!("ValidateIdToken: aud {other}"),
    }
    let exp = token.int("exp").expect("ValidateIdToken: exp");
    assert!(exp >= now - SKEW, "ValidateIdToken: expired");
    assert!(exp < now + 50 * 365 * 86_400, "ValidateIdToken: exp unreasonably far");
    let iat = token.int("iat").expect("ValidateIdToken: iat");
    assert!(iat <= now + SKEW, "ValidateIdToken: iat in the future");
    assert!(iat >= now - SKEW, "ValidateIdToken: iat more than 5 minutes in the past");
    if let Some(auth_time) = claims.get("auth_time") {
        let auth_time = auth_time.as_i64().expect("ValidateIdToken: auth_time is a number");
        assert!(auth_time >= now - 365 * 86_400, "ValidateIdToken: auth_time over a year ago");
        assert!(auth_time <= now + SKEW, "ValidateIdToken: auth_time in the future");
    }
    if let Some(acr) = claims.get("acr") {
        assert_ne!(acr, "", "ValidateIdToken: acr is an empty string");
    }
}

/// `ValidateIdTokenNonce`: the request's nonce, or none when the request had none.
pub fn validate_nonce(token: &Jwt, nonce: Option<&str>) {
    assert_eq!(token.claims["nonce"].as_str(), nonce, "ValidateIdTokenNonce");
}

/// `CheckForSubjectInIdToken`: a non-empty `sub` of at most 255 printable ASCII characters.
pub fn check_subject(token: &Jwt) {
    let sub = token.claims["sub"].as_str().expect("CheckForSubjectInIdToken: sub");
    assert!(!sub.is_empty() && sub.len() <= 255, "CheckForSubjectInIdToken: {sub}");
    assert!(sub.chars().all(|c| (' '..='~').contains(&c)), "CheckForSubjectInIdToken: {sub}");
}

/// `EnsureIdTokenUpdatedAtValid` / `EnsureUserInfoUpdatedAtValid`: `updated_at`, if present, is
/// after 1990 and not in the future.
pub fn check_updated_at(claims: &Value, location: &str) {
    if let Some(updated_at) = claims.get("updated_at") {
        let updated_at = updated_at.as_i64().unwrap_or_else(|| panic!("{location}: updated_at is a number"));
        assert!(updated_at <= now() + SKEW, "{location}: updated_at in the future");
        assert!(updated_at >= 631_152_000, "{location}: updated_at before 1990");
    }
}

/// The claims of an ID token that are not about the token itself
/// (`ValidateIdTokenStandardClaims.getIdTokenIdentityClaims`).
pub fn identity_claims(claims: &Value) -> Map<String, Value> {
    const TOKEN_CLAIMS: &[&str] = &[
        "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "c_hash", "at_hash", "s_hash", "jti", "nbf",
        "verified_claims",
    ];
    claims
        .as_object()
        .expect("claims are an object")
        .iter()
        .filter(|(name, _)| !TOKEN_CLAIMS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// `ValidateIdTokenStandardClaims` / `ValidateUserInfoStandardClaims` (OIDC Core §5.1): each
/// standard claim present has its type: non-blank strings, booleans for the `_verified` claims,
/// a number for `updated_at`, `birthdate` as `YYYY-MM-DD`, `0000-MM-DD` or `YYYY`, and `address`
/// an object of strings.
pub fn validate_standard_claims(claims: &Map<String, Value>, location: &str) {
    let is_text = |value: &Value| value.as_str().is_some_and(|s| !s.trim().is_empty() && !s.eq_ignore_ascii_case("null"));
    for (name, value) in claims {
        match name.as_str() {
            "sub" | "name" | "given_name" | "family_name" | "middle_name" | "nickname" | "preferred_username" | "profile"
            | "picture" | "website" | "email" | "gender" | "zoneinfo" | "locale" | "phone_number" => {
                assert!(is_text(value), "{location}: {name} is a string with content: {value}");
            }
            "email_verified" | "phone_number_verified" => {
                assert!(value.is_boolean(), "{location}: {name} is a boolean: {value}");
            }
            "updated_at" => assert!(value.is_number(), "{location}: updated_at is a number"),
            "birthdate" => {
                let text = value.as_str().unwrap_or_default();
                let full = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
                    || (text.len() == 10 && text.starts_with("0000-"));
                let year = text.len() == 4 && text.parse::<i32>().is_ok_and(|y| y >= 1850);
                assert!(full || year, "{location}: birthdate {text}");
            }
            "address" => {
                let address = value.as_object().unwrap_or_else(|| panic!("{location}: address is an object"));
                for (part, value) in address {
                    assert!(
                        matches!(part.as_str(), "formatted" | "street_address" | "locality" | "region" | "postal_code" | "country"),
                        "{location}: address.{part} is not a member of OIDC Core §5.1.1"
                    );
                    assert!(is_text(value), "{location}: address.{part} is a string");
                }
            }
            _ => {}
        }
    }
}

/// The standard claims each scope asks for (OIDC Core §5.4), as `AbstractVerifyScopesReturnedInClaims`
/// and `EnsureIdTokenDoesNotContainNonRequestedClaims` read them.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "openid" => &["sub"],
        "profile" => &[
            "name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website", "gender",
            "birthdate", "zoneinfo", "locale", "updated_at", "preferred_username",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// `VerifyScopesReturnedInUserInfoClaims` / `VerifyScopesReturnedInAuthorizationEndpointIdToken`
/// (WARNING): every standard claim of every requested scope is there.
pub fn verify_scopes_returned(claims: &Value, scope: &str, location: &str) {
    let missing: Vec<&str> = scope
        .split(' ')
        .flat_map(scope_claims)
        .copied()
        .filter(|claim| claims.get(claim).is_none())
        .collect();
    assert!(missing.is_empty(), "VerifyScopesReturnedIn…: {location} lacks {missing:?} of scope {scope}");
}

/// Claims Okta puts in every ID token beyond OIDC Core's: `ver` (the token format's version) and
/// `idp` (the identity provider, the org). Okta documents both as ID token claims, so
/// `EnsureIdTokenDoesNotContainNonRequestedClaims` (WARNING) is checked with them allowed.
pub const OKTA_ID_TOKEN_CLAIMS: &[&str] = &["ver", "idp"];

/// Standard claims Okta keeps in a thin ID token (one issued beside an access token) when their
/// scope is granted: `name`, `email` and `preferred_username`. Okta's own sample thin ID token
/// (its inline hook example, `response_type=token id_token`, scope `openid profile email`) carries
/// them, and Okta SDKs read them there; OIDC Core §5.4 would send them to userinfo only. So
/// `EnsureIdTokenDoesNotContainEmailForScopeEmail` (WARNING) is checked with `email` allowed, as
/// `EnsureIdTokenDoesNotContainNonRequestedClaims` is with [`OKTA_ID_TOKEN_CLAIMS`]: the two
/// WARNINGs of these plans kept for Okta's behaviour.
pub const OKTA_THIN_ID_TOKEN_CLAIMS: &[&str] = &["name", "email", "preferred_username"];

/// Whether Okta makes the ID token "fat" (every claim of the granted scopes): one from the
/// authorization endpoint with no access token beside it (`id_token`, `code id_token`), per the
/// response-type table of Okta's OpenID Connect reference. Others are thin
/// ([`OKTA_THIN_ID_TOKEN_CLAIMS`]); `EnsureIdTokenDoesNotContainEmailForScopeEmail` (WARNING) does
/// not apply to fat ones.
pub fn okta_fat_id_token(variant: Variant, from_authorization_endpoint: bool) -> bool {
    from_authorization_endpoint && !variant.includes_token()
}

/// `EnsureIdTokenDoesNotContainNonRequestedClaims` (WARNING): only the ID token's own claims and the
/// standard claims of the requested scopes (and Okta's [`OKTA_ID_TOKEN_CLAIMS`]).
pub fn ensure_no_unrequested_claims(token: &Jwt, scope: &str) {
    const OWN: &[&str] = &[
        "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "c_hash", "nbf", "jti", "sid",
        "s_hash",
    ];
    let allowed: Vec<&str> = OWN
        .iter()
        .chain(OKTA_ID_TOKEN_CLAIMS)
        .copied()
        .chain(scope.split(' ').flat_map(scope_claims).copied())
        .collect();
    let extra: Vec<&String> = token
        .claims
        .as_object()
        .expect("claims")
        .keys()
        .filter(|name| !allowed.contains(&name.as_str()))
        .collect();
    assert!(extra.is_empty(), "EnsureIdTokenDoesNotContainNonRequestedClaims: {extra:?} (scope {scope})");
}

/// The left half of SHA-256 of `value`, base64url: `at_hash` and `c_hash` for RS256/ES256
/// (OIDC Core §3.3.2.11).
pub fn half_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// `ExtractAtHash` + `ValidateAtHash` (FAILURE when the hash is there or required).
pub fn check_at_hash(token: &Jwt, access_token: &str, required: bool) {
    match token.claims["at_hash"].as_str() {
        Some(at_hash) => assert_eq!(at_hash, half_hash(access_token), "ValidateAtHash"),
        None => assert!(!required, "ExtractAtHash: at_hash is required with token (OIDC Core §3.3.2.11)"),
    }
}

/// `ExtractCHash` + `ValidateCHash` (FAILURE when the hash is there or required).
pub fn check_c_hash(token: &Jwt, code: &str, required: bool) {
    match token.claims["c_hash"].as_str() {
        Some(c_hash) => assert_eq!(c_hash, half_hash(code), "ValidateCHash"),
        None => assert!(!required, "ExtractCHash: c_hash is required with code (OIDC Core §3.3.2.11)"),
    }
}

/// `EnsureMinimum…Length` (128 bits) and `EnsureMinimum…Entropy` (96 bits, the Shannon entropy of
/// its characters times its length), FAILURE, for a code, access token or refresh token
/// (`what`: `AuthorizationCode`, `AccessToken`, `RefreshToken`); RFC 6749 §10.10.
pub fn check_strength(value: &str, what: &str) {
    assert!(value.len() * 8 >= 128, "EnsureMinimum{what}Length: {} bits", value.len() * 8);
    let mut counts = std::collections::HashMap::new();
    for c in value.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let length = value.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&n| {
            let p = n as f64 / length;
            -p * p.log2()
        })
        .sum();
    assert!(per_char * length > 96.0, "EnsureMinimum{what}Entropy: {} bits", per_char * length);
}

/// `ValidateExpiresIn` (FAILURE if present): a positive number of at most a year.
pub fn check_expires_in(body: &Value) {
    if let Some(expires_in) = body.get("expires_in") {
        let seconds = expires_in.as_i64().expect("ValidateExpiresIn: a number");
        assert!(seconds > 0 && seconds <= 31_536_000, "ValidateExpiresIn: {seconds}");
    }
}

/// `ValidateErrorDescriptionFrom…`/`CheckErrorDescription…ContainsCRLFTAB`/`ValidateErrorUri…`:
/// an `error_description`, if present, is printable ASCII other than `"` and `\` (RFC 6749
/// §4.1.2.1, §5.2: FAILURE) without CR, LF or TAB (WARNING); `error_uri`, if present, a URI.
pub fn check_error_fields(params: &[(String, String)]) {
    for (name, value) in params {
        if name == "error_description" {
            assert!(!value.contains(['\r', '\n', '\t']), "CheckErrorDescription…ContainsCRLFTAB: {value}");
            assert!(
                value.chars().all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
                "ValidateErrorDescription…: {value}"
            );
        }
        if name == "error_uri" {
            Url::parse(value).expect("ValidateErrorUri…: a URI");
        }
        if name == "error" {
            assert!(
                value.chars().all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
                "ValidateErrorFrom…: {value}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The flow every module starts with
// ---------------------------------------------------------------------------------------------

/// What a module's authorization flow produced.
#[derive(Debug, Clone)]
pub struct Flow {
    pub request: AuthRequest,
    pub callback: Callback,
    /// The ID token of the authorization response (hybrid and implicit).
    pub authorization_id_token: Option<Jwt>,
    /// The ID token of the token response.
    pub token_id_token: Option<Jwt>,
    /// The access token the client ends with (the token endpoint's when there was a code).
    pub access_token: Option<String>,
    /// The token endpoint's answer.
    pub token_response: Option<Value>,
}

impl Flow {
    /// The ID token the module holds last: the token endpoint's, else the authorization endpoint's.
    pub fn id_token(&self) -> &Jwt {
        self.token_id_token
            .as_ref()
            .or(self.authorization_id_token.as_ref())
            .expect("an ID token")
    }

    /// The access token, which the flow must have produced.
    pub fn access_token(&self) -> &str {
        self.access_token.as_deref().expect("an access token")
    }
}

/// `processCallback` … `onAuthorizationCallbackResponse` of `AbstractOIDCCServerTest` for a
/// successful response: form post arrives as a `POST` of a urlencoded form with nothing in the
/// query (`CheckCallbackHttpMethodIsPost`, `CheckCallbackContentTypeIsFormUrlEncoded`,
/// `RejectAuthCodeInUrlQuery`, `RejectErrorInUrlQuery`); a fragment response has no code or error
/// in the query; `ValidateIssIfPresentInAuthorizationResponse`; no `error`
/// (`CheckIfAuthorizationEndpointError`); `CheckStateInAuthorizationResponse`; the code and
/// access token are there (`ExtractAuthorizationCodeFromAuthorizationResponse`,
/// `ExtractAccessTokenFromAuthorizationResponse`). All FAILURE.
pub fn check_successful_callback(callback: &Callback, request: &AuthRequest, issuer: &str) {
    check_response_location(callback, request);
    if let Some(iss) = callback.get("iss") {
        assert_eq!(iss, issuer, "ValidateIssIfPresentInAuthorizationResponse");
    }
    assert_eq!(callback.get("error"), None, "CheckIfAuthorizationEndpointError: {:?}", callback.params());
    assert_eq!(callback.get("state"), request.get("state"), "CheckStateInAuthorizationResponse");
    let variant = request.variant;
    if variant.includes_code() {
        callback.require("code");
    }
    if variant.includes_token() {
        callback.require("access_token");
    }
    if variant.includes_id_token() {
        callback.require("id_token");
    }
}

/// Where the response's parameters are, and where they must not be (the form post and fragment
/// checks of `processCallback`), and that it reached the redirect URI the request named.
pub fn check_response_location(callback: &Callback, request: &AuthRequest) {
    let mut target = callback.url.clone();
    target.set_query(None);
    target.set_fragment(None);
    assert_eq!(target.as_str(), request.get("redirect_uri").unwrap_or(request.client.redirect_uri), "the redirect URI");
    let in_query = |name: &str| callback.query.iter().any(|(n, _)| n == name);
    if request.variant.form_post {
        assert_eq!(callback.method, "POST", "CheckCallbackHttpMethodIsPost");
        assert_eq!(callback.content_type, Some("application/x-www-form-urlencoded"), "CheckCallbackContentTypeIsFormUrlEncoded");
        assert!(!in_query("code"), "RejectAuthCodeInUrlQuery");
        assert!(!in_query("error"), "RejectErrorInUrlQuery");
    } else if !request.variant.is_code_flow() {
        assert!(!in_query("code"), "RejectAuthCodeInUrlQuery");
        assert!(!in_query("error"), "RejectErrorInUrlQuery");
    }
}

/// `performGenericAuthorizationEndpointErrorResponseValidation` and the expected error: the state
/// comes back, `iss` if present is the issuer, an `error` and no `code`, nothing but `error`,
/// `error_description`, `error_uri`, `state`, `session_state` and `iss` (WARNING), and well-formed
/// error fields. `expected` lists the acceptable `error` values.
pub fn check_error_callback(callback: &Callback, request: &AuthRequest, issuer: &str, expected: &[&str]) {
    check_response_location(callback, request);
    assert_eq!(callback.get("state"), request.get("state"), "CheckStateInAuthorizationResponse");
    if let Some(iss) = callback.get("iss") {
        assert_eq!(iss, issuer, "ValidateIssIfPresentInAuthorizationResponse");
    }
    let error = callback.get("error").unwrap_or_else(|| panic!("EnsureErrorFromAuthorizationEndpointResponse: {:?}", callback.params()));
    assert_eq!(callback.get("code"), None, "RejectAuthCodeInAuthorizationEndpointResponse");
    for name in callback.names() {
        assert!(
            matches!(name, "error" | "error_description" | "error_uri" | "state" | "session_state" | "iss"),
            "CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint: {name}"
        );
    }
    check_error_fields(callback.params());
    assert!(expected.contains(&error), "the error is one of {expected:?}: {error}");
}

/// `AbstractOIDCCServerTest`'s whole happy flow for `request`: the authorization request (signing
/// in as `user` if asked), the callback checks, `PerformStandardIdTokenChecks` on the authorization
/// endpoint's ID token, then for a code: the token request (`CheckTokenEndpointHttpStatus200`,
/// `CheckForAccessTokenValue`, `ValidateExpiresIn`, the ID token's standard checks and
/// `VerifyIdTokenSubConsistentHybridFlow`), and the access token at userinfo
/// (`CallProtectedResource`, `EnsureHttpStatusCodeIs200`). All FAILURE.
pub async fn run_flow(host: &Host, browser: &mut Browser, request: AuthRequest, user: Option<&User>) -> Flow {
    let jwks = host.server_jwks().await;
    let issuer = host.issuer();
    let callback = browser.authorize(host, &request, user).await.callback();
    complete_flow(host, &jwks, &issuer, request, callback, &[]).await
}

/// The part of [`run_flow`] after the callback; `token_extra` goes into the token request.
pub async fn complete_flow(
    host: &Host,
    jwks: &Value,
    issuer: &str,
    request: AuthRequest,
    callback: Callback,
    token_extra: &[(&str, &str)],
) -> Flow {
    check_successful_callback(&callback, &request, issuer);
    let expected = Expected::of(issuer, &request);
    let variant = request.variant;
    let authorization_id_token = callback
        .get("id_token")
        .map(|raw| standard_id_token_checks(raw, expected, jwks));
    let mut access_token = callback.get("access_token").map(str::to_owned);
    let mut token_id_token = None;
    let mut token_response = None;
    if let Some(code) = callback.get("code") {
        let answer = redeem_code(host, &request.client, code, token_extra).await;
        assert_eq!(answer.status, 200, "CheckTokenEndpointHttpStatus200: {:?}", answer.body);
        assert!(answer.body.get("error").is_none(), "CheckIfTokenEndpointResponseError");
        let token = answer.body["access_token"].as_str().expect("CheckForAccessTokenValue").to_owned();
        check_expires_in(&answer.body);
        let raw = answer.body["id_token"].as_str().expect("ExtractIdTokenFromTokenResponse (OIDC Core §3.1.3.3)");
        let id_token = standard_id_token_checks(raw, expected, jwks);
        if let Some(first) = &authorization_id_token {
            assert_eq!(first.claims["sub"], id_token.claims["sub"], "VerifyIdTokenSubConsistentHybridFlow");
        }
        access_token = Some(token);
        token_id_token = Some(id_token);
        token_response = Some(answer.body);
    }
    if let Some(token) = &access_token {
        let answer = userinfo(host, token, UserinfoCall::Get).await;
        assert_eq!(answer.status, 200, "EnsureHttpStatusCodeIs200 (userinfo): {:?}", answer.body);
    }
    let _ = variant;
    Flow { request, callback, authorization_id_token, token_id_token, access_token, token_response }
}

/// `AbstractOIDCCUserInfoTest.validateExtractedUserInfoResponse` and the returned-claims modules'
/// `validateUserInfoResponse` (FAILURE): the standard claims' types, a `sub`, `updated_at`, no
/// `_claim_names` that `_claim_sources` lacks, and the same `sub` as the ID tokens.
pub fn check_userinfo(userinfo: &Value, flow: &Flow) {
    let claims = userinfo.as_object().expect("ExtractUserInfoFromUserInfoEndpointResponse: a JSON object");
    validate_standard_claims(claims, "userinfo");
    let sub = userinfo["sub"].as_str().expect("EnsureUserInfoContainsSub");
    check_updated_at(userinfo, "userinfo");
    if let Some(names) = userinfo.get("_claim_names").and_then(Value::as_object) {
        for source in names.values() {
            let source = source.as_str().expect("a claim source name");
            assert!(userinfo["_claim_sources"].get(source).is_some(), "EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources");
        }
    }
    if let Some(token) = &flow.authorization_id_token {
        assert_eq!(token.claims["sub"], sub, "VerifyUserInfoAndIdTokenInAuthorizationEndpointSameSub");
    }
    if let Some(token) = &flow.token_id_token {
        assert_eq!(token.claims["sub"], sub, "VerifyUserInfoAndIdTokenInTokenEndpointSameSub");
    }
}

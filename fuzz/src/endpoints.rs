//! The `endpoints` target's input format and issuer.
//!
//! An input is up to [`MAX_REQUESTS`] requests separated by lines holding only `---`. Each
//! request is:
//!
//! ```text
//! ENDPOINT [METHOD] [SERVER] [?QUERY]
//! Authorization: …          (optional header lines, `Name: value`)
//! Session: {user_id}        (the host's session for that user, signed in now)
//!
//! form body (for POST)
//! ```
//!
//! `ENDPOINT` is `token`, `authorize`, `introspect`, `revoke`, `userinfo`, `logout`, `keys`,
//! `openid-configuration` or `oauth-authorization-server`; `METHOD` is `GET` (default) or `POST`;
//! `SERVER` is the authorization server id (default `default`). Placeholders in the query, body
//! and header values are replaced before sending, so mutations keep reaching real clients, users
//! and tokens:
//!
//! | Placeholder | Value |
//! |---|---|
//! | `{web_id}`, `{web_secret}`, `{web_basic}` | a confidential web client (code, refresh, password) and its `Basic` header |
//! | `{service_id}`, `{service_secret}`, `{service_basic}` | a client-credentials service client |
//! | `{spa_id}` | a public browser client |
//! | `{user_id}`, `{login}`, `{password}` | a user assigned to every client |
//! | `{redirect_uri}`, `{verifier}`, `{challenge}` | the clients' redirect URI, RFC 7636 B's verifier and its S256 challenge |
//! | `{access_token}`, `{id_token}`, `{refresh_token}` | tokens minted for the user and the web client |
//! | `{code}` | the code of the last `/authorize` redirect of this input |
//! | `{last_access_token}`, `{last_refresh_token}`, `{last_id_token}` | tokens of the last `/token` success of this input |

use authserver::endpoint::{EndpointRequest, EndpointResponse, Method, Session};
use authserver::jose::Jwks;
use authserver::testkit::TestIssuer;
use authserver::testkit::issuer::{ClaimTarget, ClientKind, DEFAULT_PASSWORD, REDIRECT_URI, RegisteredClient};
use authserver::{AuthorizeOutcome, LogoutOutcome};
use base64::Engine as _;

use crate::run;

/// The most requests one input sends.
pub const MAX_REQUESTS: usize = 6;

/// RFC 7636 Appendix B's verifier and challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The endpoints a request can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/token`
    Token,
    /// `/authorize`
    Authorize,
    /// `/introspect`
    Introspect,
    /// `/revoke`
    Revoke,
    /// `/userinfo`
    Userinfo,
    /// `/logout`
    Logout,
    /// `/keys`
    Keys,
    /// `/.well-known/openid-configuration`
    OpenIdConfiguration,
    /// `/.well-known/oauth-authorization-server`
    OAuthMetadata,
}

impl Endpoint {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "token" => Self::Token,
            "authorize" => Self::Authorize,
            "introspect" => Self::Introspect,
            "revoke" => Self::Revoke,
            "userinfo" => Self::Userinfo,
            "logout" => Self::Logout,
            "keys" => Self::Keys,
            "openid-configuration" => Self::OpenIdConfiguration,
            "oauth-authorization-server" => Self::OAuthMetadata,
            _ => return None,
        })
    }
}

/// One request of an input, placeholders not yet replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// `GET` or `POST`.
    pub method: Method,
    /// The authorization server id.
    pub server: String,
    /// The query string.
    pub query: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// Whether the user has a session.
    pub session: bool,
    /// The form body.
    pub form: Option<String>,
}

/// Reads the requests of `input` (see the module documentation).
pub fn parse(input: &[u8]) -> Vec<Request> {
    let Ok(text) = std::str::from_utf8(input) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for block in text.split("\n---\n").take(MAX_REQUESTS) {
        let (head, form) = crate::split_once(block, "\n\n");
        let mut lines = head.lines();
        let first = lines.next().unwrap_or_default();
        let mut words = first.splitn(4, ' ');
        let Some(endpoint) = words.next().and_then(Endpoint::parse) else {
            continue;
        };
        let mut request = Request {
            endpoint,
            method: Method::Get,
            server: "default".to_owned(),
            query: String::new(),
            authorization: None,
            session: false,
            form: None,
        };
        for word in words {
            match word {
                "GET" => request.method = Method::Get,
                "POST" => request.method = Method::Post,
                query if query.starts_with('?') => request.query = query[1..].to_owned(),
                server => request.server = server.to_owned(),
            }
        }
        for line in lines {
            let (name, value) = crate::split_once(line, ": ");
            if name.eq_ignore_ascii_case("authorization") {
                request.authorization = Some(value.to_owned());
            } else if name.eq_ignore_ascii_case("session") {
                request.session = true;
            }
        }
        if request.method == Method::Post {
            request.form = Some(form.to_owned());
        }
        out.push(request);
    }
    out
}

/// The issuer an input runs against, and what it registered.
pub struct Setup {
    /// The issuer.
    pub issuer: TestIssuer,
    /// Its signing keys, to check the tokens it answers with.
    pub jwks: Jwks,
    web: RegisteredClient,
    service: RegisteredClient,
    spa: RegisteredClient,
    user_id: String,
}

/// The login of the user.
pub const LOGIN: &str = "ada@example.com";

impl Setup {
    /// A fresh issuer (fixed keys, fixed clock, seeded ids) with a user in a group, a web, a
    /// service and a browser client, a custom scope and access-token and ID-token claims written
    /// in the expression language.
    pub fn new() -> Self {
        let issuer = TestIssuer::new();
        let user_id = issuer.add_user(LOGIN);
        let group = issuer.add_group("Admins");
        issuer.add_to_group(&user_id, &group);
        issuer.add_scope("orders:read");
        issuer.add_claim("tier", ClaimTarget::AccessToken, "user.login + ':' + app.clientId");
        issuer.add_claim("admin", ClaimTarget::IdToken, "isMemberOfGroupName('Admins')");
        let web = issuer.add_client("Web", ClientKind::Web);
        let service = issuer.add_client("Service", ClientKind::Service);
        let spa = issuer.add_client("SPA", ClientKind::Browser);
        let jwks = serde_json::from_value(issuer.jwks()).expect("the issuer's JWKS");
        Setup {
            issuer,
            jwks,
            web,
            service,
            spa,
            user_id,
        }
    }

    /// Replaces the placeholders of `text`; `last` holds the values this input produced so far.
    pub fn substitute(&self, text: &str, last: &Last) -> String {
        if !text.contains('{') {
            return text.to_owned();
        }
        let basic = |client: &RegisteredClient| {
            let pair = format!(
                "{}:{}",
                client.client_id,
                client.client_secret.as_deref().unwrap_or_default()
            );
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
        };
        let secret = |client: &RegisteredClient| client.client_secret.clone().unwrap_or_default();
        let mut out = text.to_owned();
        let mut replace = |name: &str, value: &dyn Fn() -> String| {
            if out.contains(name) {
                out = out.replace(name, &value());
            }
        };
        replace("{web_id}", &|| self.web.client_id.clone());
        replace("{web_secret}", &|| secret(&self.web));
        replace("{web_basic}", &|| basic(&self.web));
        replace("{service_id}", &|| self.service.client_id.clone());
        replace("{service_secret}", &|| secret(&self.service));
        replace("{service_basic}", &|| basic(&self.service));
        replace("{spa_id}", &|| self.spa.client_id.clone());
        replace("{user_id}", &|| self.user_id.clone());
        replace("{login}", &|| LOGIN.to_owned());
        replace("{password}", &|| DEFAULT_PASSWORD.to_owned());
        replace("{redirect_uri}", &|| REDIRECT_URI.to_owned());
        replace("{verifier}", &|| VERIFIER.to_owned());
        replace("{challenge}", &|| CHALLENGE.to_owned());
        replace("{access_token}", &|| {
            self.issuer
                .access_token()
                .subject(LOGIN)
                .user_id(&self.user_id)
                .client(&self.web.client_id)
                .scopes(["openid", "orders:read"])
                .mint()
        });
        replace("{id_token}", &|| {
            self.issuer
                .id_token()
                .subject(&self.user_id)
                .client(&self.web.client_id)
                .mint()
        });
        replace("{refresh_token}", &|| {
            self.issuer
                .refresh_token()
                .user_id(&self.user_id)
                .client(&self.web.client_id)
                .scopes(["offline_access", "openid"])
                .mint()
        });
        replace("{code}", &|| last.code.clone());
        replace("{last_access_token}", &|| last.access_token.clone());
        replace("{last_refresh_token}", &|| last.refresh_token.clone());
        replace("{last_id_token}", &|| last.id_token.clone());
        out
    }

    /// The session of the user, signed in now.
    pub fn session(&self) -> Session {
        Session {
            id: "fuzz-session".to_owned(),
            user_id: self.user_id.clone(),
            auth_time: self.issuer.now(),
            amr: vec!["pwd".to_owned()],
        }
    }

    /// Sends `request` and returns the response (for `/logout`, the outcome's response).
    pub fn send(&self, request: &Request, last: &Last) -> EndpointResponse {
        let query = self.substitute(&request.query, last);
        let form = request.form.as_deref().map(|form| self.substitute(form, last));
        let authorization = request.authorization.as_deref().map(|a| self.substitute(a, last));
        let session = self.session();
        let endpoint_request = EndpointRequest {
            method: request.method,
            query: &query,
            form: form.as_deref(),
            authorization: authorization.as_deref(),
            session: request.session.then_some(&session),
            fresh_session: false,
        };
        let server = self.issuer.server();
        let id = request.server.as_str();
        run(async {
            match request.endpoint {
                Endpoint::Token => server.token(id, &endpoint_request).await,
                Endpoint::Authorize => match server.authorize(id, &endpoint_request).await {
                    AuthorizeOutcome::Respond(response) => response,
                    AuthorizeOutcome::NeedsLogin(_) => EndpointResponse::json(401, serde_json::json!({})),
                },
                Endpoint::Introspect => server.introspect(id, &endpoint_request).await,
                Endpoint::Revoke => server.revoke(id, &endpoint_request).await,
                Endpoint::Userinfo => server.userinfo(id, &endpoint_request).await,
                Endpoint::Logout => {
                    let LogoutOutcome { response, .. } = server.logout(id, &endpoint_request).await;
                    response
                }
                Endpoint::Keys => server.keys(id).await,
                Endpoint::OpenIdConfiguration => server.openid_configuration(id, &endpoint_request).await,
                Endpoint::OAuthMetadata => server.authorization_server_metadata(id, &endpoint_request).await,
            }
        })
    }
}

impl Default for Setup {
    fn default() -> Self {
        Self::new()
    }
}

/// Values the requests of one input produced, for the `{code}` and `{last_…}` placeholders.
#[derive(Debug, Clone, Default)]
pub struct Last {
    /// The code of the last `/authorize` redirect.
    pub code: String,
    /// `access_token` of the last `/token` success.
    pub access_token: String,
    /// `refresh_token` of the last `/token` success.
    pub refresh_token: String,
    /// `id_token` of the last `/token` success.
    pub id_token: String,
}

impl Last {
    /// Records what `response` to a request at `endpoint` carries.
    pub fn record(&mut self, endpoint: Endpoint, response: &EndpointResponse) {
        match endpoint {
            Endpoint::Authorize => {
                let location = response.header("Location").and_then(|l| url::Url::parse(l).ok());
                if let Some(location) = location {
                    let pairs = location.query_pairs().chain(
                        location
                            .fragment()
                            .map(|f| url::form_urlencoded::parse(f.as_bytes()))
                            .into_iter()
                            .flatten(),
                    );
                    for (name, value) in pairs {
                        if name == "code" {
                            self.code = value.into_owned();
                        }
                    }
                }
            }
            Endpoint::Token if response.status == 200 => {
                if let Some(body) = response.json_body() {
                    let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
                    self.access_token = field("access_token");
                    self.refresh_token = field("refresh_token");
                    self.id_token = field("id_token");
                }
            }
            _ => {}
        }
    }
}

/// Seeds: each endpoint with valid requests (every grant, PKCE, sessions, Basic and form client
/// authentication) and chains (authorize then redeem the code, then refresh, introspect, revoke).
pub fn seeds() -> Vec<String> {
    let authorize = "authorize GET default ?client_id={web_id}&response_type=code&scope=openid%20offline_access%20orders:read&redirect_uri={redirect_uri}&state=s&nonce=n&code_challenge_method=S256&code_challenge={challenge}\nSession: {user_id}";
    let redeem = "token POST\nAuthorization: {web_basic}\n\ngrant_type=authorization_code&code={code}&redirect_uri={redirect_uri}&code_verifier={verifier}";
    let singles = [
        "token POST\nAuthorization: {service_basic}\n\ngrant_type=client_credentials&scope=orders:read",
        "token POST\n\ngrant_type=client_credentials&scope=orders:read&client_id={service_id}&client_secret={service_secret}",
        "token POST\nAuthorization: {web_basic}\n\ngrant_type=password&username={login}&password={password}&scope=openid%20profile%20offline_access",
        "token POST\nAuthorization: {web_basic}\n\ngrant_type=refresh_token&refresh_token={refresh_token}&scope=openid",
        "token POST\n\ngrant_type=authorization_code&code=nope&redirect_uri={redirect_uri}&client_id={spa_id}&code_verifier={verifier}",
        "token POST\nAuthorization: Basic !!!\n\ngrant_type=client_credentials&grant_type=password",
        "token POST\n\nclient_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={id_token}&grant_type=client_credentials",
        authorize,
        "authorize GET default ?client_id={spa_id}&response_type=code&scope=openid&redirect_uri={redirect_uri}&state=s&code_challenge_method=S256&code_challenge={challenge}&response_mode=form_post\nSession: {user_id}",
        "authorize GET default ?client_id={web_id}&response_type=token%20id_token&scope=openid&redirect_uri={redirect_uri}&state=s&nonce=n&prompt=none",
        "authorize GET default ?client_id={web_id}&response_type=code&scope=openid&redirect_uri=https://evil.example/&state=s&max_age=0\nSession: {user_id}",
        "introspect POST\nAuthorization: {web_basic}\n\ntoken={access_token}&token_type_hint=access_token",
        "introspect POST\n\ntoken={refresh_token}&client_id={web_id}&client_secret={web_secret}",
        "revoke POST\nAuthorization: {web_basic}\n\ntoken={refresh_token}&token_type_hint=refresh_token",
        "userinfo GET\nAuthorization: Bearer {access_token}",
        "userinfo POST\n\naccess_token={access_token}",
        "logout GET default ?id_token_hint={id_token}&post_logout_redirect_uri={redirect_uri}&state=s\nSession: {user_id}",
        "keys GET default",
        "keys GET nosuchserver",
        "openid-configuration GET default ?client_id={web_id}",
        "oauth-authorization-server GET default",
    ];
    let mut out: Vec<String> = singles.iter().map(|s| (*s).to_owned()).collect();
    out.push(format!("{authorize}\n---\n{redeem}"));
    out.push(
        "token POST\nAuthorization: {web_basic}\n\ngrant_type=password&username={login}&password={password}&scope=openid\n---\nlogout GET default ?id_token_hint={last_id_token}\nSession: {user_id}\n---\nuserinfo GET\nAuthorization: Bearer {last_access_token}"
            .to_owned(),
    );
    out.push(format!(
        "{authorize}\n---\n{redeem}\n---\ntoken POST\nAuthorization: {{web_basic}}\n\ngrant_type=refresh_token&refresh_token={{last_refresh_token}}\n---\nintrospect POST\nAuthorization: {{web_basic}}\n\ntoken={{last_access_token}}\n---\nrevoke POST\nAuthorization: {{web_basic}}\n\ntoken={{last_refresh_token}}\n---\n{redeem}"
    ));
    out
}

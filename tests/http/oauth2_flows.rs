//! OAuth 2.0 over HTTP, driven by the `oauth2` crate (v5): client credentials (RFC 6749 §4.4),
//! resource owner password (§4.3), refresh (§6), introspection (RFC 7662) and revocation
//! (RFC 7009) against the sample org. Every JWT is verified independently by `jsonwebtoken`
//! against the JWKS the server publishes at `{issuer}/v1/keys`.
//!
//! Two things about the client set-up:
//!
//! * Token and introspection responses are read with extra fields (`id_token` in token responses,
//!   every non-RFC 7662 member of introspection responses), so what `BasicClient` would drop can
//!   be checked.
//! * The test server speaks plain HTTP on loopback, and `oauth2` refuses a revocation URL that is
//!   not `https` (RFC 7009 §2: "Clients MUST verify that the URL is an HTTPS URL"), before sending
//!   anything. The revocation URL is therefore configured as `https://127.0.0.1:{port}/…`, and
//!   [`Http`] — the HTTP client handed to `oauth2` — sends requests for `https://127.0.0.1` to
//!   the same address over plain HTTP (there is no TLS on a test loopback). It also remembers the
//!   last response's status and headers, which `oauth2` does not expose.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use authserver::clock::ManualClock;
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse, BasicTokenType};
use oauth2::http::{HeaderMap, StatusCode};
use oauth2::{
    AccessToken, AsyncHttpClient, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, HttpClientError, HttpRequest, HttpResponse, IntrospectionUrl,
    PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, ResourceOwnerPassword, ResourceOwnerUsername,
    RevocationUrl, Scope, StandardRevocableToken, StandardTokenIntrospectionResponse, StandardTokenResponse,
    TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Duration;

use crate::support::{ALICE, ALICE_ID, BOB, SERVICE, SPA, SPA_REDIRECT, TestServer, WEB_APP, query_param};

/// Bob's user id in the sample org.
const BOB_ID: &str = "00u1bob0000000000001";
/// Carol: SUSPENDED in the sample org.
const CAROL: (&str, &str) = ("carol@example.com", "Carol-Passw0rd!");

// ---------------------------------------------------------------------------------------------
// The `oauth2` client, with Okta's extra members kept
// ---------------------------------------------------------------------------------------------

/// The members of a token response beyond RFC 6749 §5.1 that Okta sends: the ID token.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct OktaTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl ExtraTokenFields for OktaTokenFields {}

/// Every member of an introspection response beyond RFC 7662 §2.2's (`uid`, custom claims, …).
#[derive(Clone, Debug, Deserialize, Serialize)]
struct OktaIntrospectionFields {
    #[serde(flatten)]
    other: Map<String, Value>,
}

impl ExtraTokenFields for OktaIntrospectionFields {}

type Tokens = StandardTokenResponse<OktaTokenFields, BasicTokenType>;
type Introspection = StandardTokenIntrospectionResponse<OktaIntrospectionFields, BasicTokenType>;
type TokenError = RequestTokenError<HttpClientError<reqwest::Error>, BasicErrorResponse>;

/// A client with token, introspection and revocation endpoints (and an authorization endpoint
/// when `A` is [`EndpointSet`]).
type OktaClient<A = EndpointNotSet> = Client<
    BasicErrorResponse,
    Tokens,
    Introspection,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    A,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
    EndpointSet,
>;

/// The HTTP client handed to `oauth2`: reqwest without redirects (as `oauth2`'s docs say, to
/// avoid SSRF), which sends `https://127.0.0.1` requests over plain HTTP (see the module docs)
/// and remembers the last response's status and headers.
struct Http {
    inner: reqwest::Client,
    last: Mutex<Option<(StatusCode, HeaderMap)>>,
}

impl Http {
    fn new() -> Self {
        let inner = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client");
        Self {
            inner,
            last: Mutex::new(None),
        }
    }

    /// The status of the last response.
    fn last_status(&self) -> StatusCode {
        self.last.lock().unwrap().as_ref().expect("a response was received").0
    }

    /// Header `name` of the last response.
    fn last_header(&self, name: &str) -> Option<String> {
        let last = self.last.lock().unwrap();
        let headers = &last.as_ref().expect("a response was received").1;
        headers.get(name).map(|value| value.to_str().unwrap().to_owned())
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let uri = request.uri().to_string();
            if let Some(rest) = uri.strip_prefix("https://127.0.0.1:") {
                *request.uri_mut() = format!("http://127.0.0.1:{rest}")
                    .parse()
                    .map_err(|e: oauth2::http::uri::InvalidUri| HttpClientError::Other(e.to_string()))?;
            }
            let response = AsyncHttpClient::call(&self.inner, request).await?;
            *self.last.lock().unwrap() = Some((response.status(), response.headers().clone()));
            Ok(response)
        })
    }
}

/// The endpoints of authorization server `id` on `server`'s client `client_id`. The revocation
/// URL is `https` (see the module docs).
fn client(server: &TestServer, id: &str, client_id: &str, secret: Option<&str>) -> OktaClient {
    let issuer = server.issuer(id);
    let revoke = issuer.replacen("http://", "https://", 1);
    let client = Client::new(ClientId::new(client_id.to_owned()))
        .set_token_uri(TokenUrl::new(format!("{issuer}/v1/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(format!("{issuer}/v1/introspect")).unwrap())
        .set_revocation_url(RevocationUrl::new(format!("{revoke}/v1/revoke")).unwrap());
    match secret {
        Some(secret) => client.set_client_secret(ClientSecret::new(secret.to_owned())),
        None => client,
    }
}

/// The web app on the `default` server (`client_secret_basic`, `oauth2`'s default auth type).
fn web_app(server: &TestServer) -> OktaClient {
    client(server, "default", WEB_APP.0, Some(WEB_APP.1))
}

/// The reporting service on server `id`.
fn service(server: &TestServer, id: &str) -> OktaClient {
    client(server, id, SERVICE.0, Some(SERVICE.1))
}

fn scopes(names: &[&str]) -> Vec<Scope> {
    names.iter().map(|name| Scope::new((*name).to_owned())).collect()
}

/// The granted scopes of a token response, as strings.
fn granted(tokens: &Tokens) -> Vec<String> {
    tokens
        .scopes()
        .expect("the response names the granted scopes")
        .iter()
        .map(|scope| scope.to_string())
        .collect()
}

/// The password grant of `user` on the web app, asking for `scope`.
async fn password_grant(
    client: &OktaClient,
    http: &Http,
    (username, password): (&str, &str),
    scope: &[&str],
) -> Result<Tokens, TokenError> {
    let username = ResourceOwnerUsername::new(username.to_owned());
    let password = ResourceOwnerPassword::new(password.to_owned());
    client
        .exchange_password(&username, &password)
        .add_scopes(scopes(scope))
        .request_async(http)
        .await
}

/// The OAuth error response of a failed request; anything else (success, transport, parse
/// failure) fails the test.
fn oauth_error<T: std::fmt::Debug>(result: Result<T, TokenError>) -> BasicErrorResponse {
    match result {
        Err(RequestTokenError::ServerResponse(error)) => error,
        Err(other) => panic!("expected an OAuth error response, got {other:?} ({other})"),
        Ok(answer) => panic!("expected an OAuth error response, got success {answer:?}"),
    }
}

/// RFC 6749 §5.1: token responses must not be cached.
fn assert_no_store(http: &Http) {
    assert_eq!(
        http.last_header("cache-control").as_deref(),
        Some("no-store"),
        "RFC 6749 §5.1"
    );
    assert_eq!(http.last_header("pragma").as_deref(), Some("no-cache"), "RFC 6749 §5.1");
}

// ---------------------------------------------------------------------------------------------
// Independent verification with `jsonwebtoken`
// ---------------------------------------------------------------------------------------------

/// The JWKS of server `id`, from `GET {issuer}/v1/keys`.
async fn jwks(server: &TestServer, id: &str) -> JwkSet {
    let response = server
        .http
        .get(format!("{}/v1/keys", server.issuer(id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.expect("the JWKS parses as a jsonwebtoken JwkSet")
}

/// Verifies `token` with `jsonwebtoken`: key by `kid` from the server's JWKS, RS256 only, `iss`,
/// `aud` and `exp` checked. Returns the claims.
async fn verify(server: &TestServer, id: &str, token: &str, audience: &str) -> Map<String, Value> {
    let header = jsonwebtoken::decode_header(token).expect("a JWS header");
    assert_eq!(header.alg, Algorithm::RS256, "Okta signs with RS256");
    let kid = header.kid.expect("the header names its key");
    let keys = jwks(server, id).await;
    let jwk = keys
        .find(&kid)
        .unwrap_or_else(|| panic!("kid {kid} is published at {}/v1/keys", server.issuer(id)));
    let key = DecodingKey::from_jwk(jwk).expect("a usable RSA JWK");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[server.issuer(id)]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("jsonwebtoken rejects the token: {e}"))
        .claims
}

/// The `scp` claim: a JSON array of strings.
fn scp(claims: &Map<String, Value>) -> Vec<&str> {
    claims["scp"]
        .as_array()
        .expect("scp is a JSON array")
        .iter()
        .map(|scope| scope.as_str().expect("scopes are strings"))
        .collect()
}

fn lifetime(claims: &Map<String, Value>) -> i64 {
    claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. Client credentials
// ---------------------------------------------------------------------------------------------

/// RFC 6749 §4.4 with `client_secret_basic`: the reporting service gets a one-hour Bearer token
/// for `reports:read` from `default`; it verifies with `jsonwebtoken`, carries Okta's access-token
/// claims (`cid`, `scp` as an array, `sub` = the client id, no `uid`), and the response is not
/// cacheable.
#[tokio::test]
async fn client_credentials_on_default_verifies_with_jsonwebtoken() {
    let server = TestServer::start().await;
    let http = Http::new();
    let tokens = service(&server, "default")
        .exchange_client_credentials()
        .add_scope(Scope::new("reports:read".into()))
        .request_async(&http)
        .await
        .expect("the reporting service gets a token");
    assert_eq!(http.last_status(), 200);
    assert_no_store(&http);
    assert_eq!(*tokens.token_type(), BasicTokenType::Bearer);
    assert_eq!(tokens.expires_in(), Some(std::time::Duration::from_secs(3600)));
    assert_eq!(granted(&tokens), ["reports:read"]);
    assert!(
        tokens.refresh_token().is_none(),
        "no refresh token for client credentials"
    );
    assert!(
        tokens.extra_fields().id_token.is_none(),
        "no ID token for client credentials"
    );

    let issuer = server.issuer("default");
    let claims = verify(&server, "default", tokens.access_token().secret(), "api://default").await;
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["aud"], "api://default", "a single audience, as a string");
    assert_eq!(claims["cid"], SERVICE.0);
    assert_eq!(claims["sub"], SERVICE.0, "client credentials: sub is the client id");
    assert_eq!(scp(&claims), ["reports:read"]);
    assert_eq!(claims["ver"], 1);
    assert!(claims["jti"].as_str().unwrap().starts_with("AT."), "{claims:?}");
    assert_eq!(lifetime(&claims), 3600);
    assert!(!claims.contains_key("uid"), "no user, no uid: {claims:?}");
    assert!(
        !claims.contains_key("department"),
        "user.department is null without a user, so the claim is left out: {claims:?}"
    );
}

/// The `orders` server: its own audience `api://orders`, its rule's 15-minute lifetime, and a
/// token that does not verify as a `default` token (another issuer).
#[tokio::test]
async fn client_credentials_on_orders_has_its_audience_and_lifetime() {
    let server = TestServer::start().await;
    let http = Http::new();
    let tokens = service(&server, "orders")
        .exchange_client_credentials()
        .add_scope(Scope::new("orders:read".into()))
        .request_async(&http)
        .await
        .expect("the reporting service reads orders");
    assert_eq!(*tokens.token_type(), BasicTokenType::Bearer);
    assert_eq!(tokens.expires_in(), Some(std::time::Duration::from_secs(900)));
    assert_eq!(granted(&tokens), ["orders:read"]);

    let token = tokens.access_token().secret();
    let claims = verify(&server, "orders", token, "api://orders").await;
    assert_eq!(claims["iss"], server.issuer("orders").as_str());
    assert_eq!(claims["aud"], "api://orders");
    assert_eq!(claims["cid"], SERVICE.0);
    assert_eq!(claims["sub"], SERVICE.0);
    assert_eq!(scp(&claims), ["orders:read"]);
    assert_eq!(lifetime(&claims), 900);

    // A resource server of `default` refuses it: wrong issuer and audience.
    let header = jsonwebtoken::decode_header(token).unwrap();
    let keys = jwks(&server, "orders").await;
    let key = DecodingKey::from_jwk(keys.find(&header.kid.unwrap()).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[server.issuer("default")]);
    validation.set_audience(&["api://default"]);
    assert!(jsonwebtoken::decode::<Value>(token, &key, &validation).is_err());
}

/// A scope the `orders` server does not define (`reports:read` lives on `default`) is
/// `invalid_scope` (RFC 6749 §5.2; Okta's `no_matching_scope`), HTTP 400; and a client the
/// orders policy does not name is refused too.
#[tokio::test]
async fn client_credentials_scope_unknown_to_the_server_is_invalid_scope() {
    let server = TestServer::start().await;
    let http = Http::new();
    let result = service(&server, "orders")
        .exchange_client_credentials()
        .add_scope(Scope::new("reports:read".into()))
        .request_async(&http)
        .await;
    assert_refusal(
        &oauth_error(result),
        &http,
        BasicErrorResponseType::InvalidScope,
        "One or more scopes are not configured for the authorization server resource.",
        400,
    );

    // Asking for the orders scope together with it: still refused as a whole.
    let result = service(&server, "orders")
        .exchange_client_credentials()
        .add_scopes(scopes(&["orders:read", "reports:read"]))
        .request_async(&http)
        .await;
    assert_eq!(*oauth_error(result).error(), BasicErrorResponseType::InvalidScope);
}

/// A wrong client secret is `invalid_client` with HTTP 401 and a `WWW-Authenticate: Basic`
/// challenge, since the client authenticated with the Authorization header (RFC 6749 §5.2).
#[tokio::test]
async fn wrong_client_secret_is_invalid_client_401() {
    let server = TestServer::start().await;
    let http = Http::new();
    let result = client(&server, "default", SERVICE.0, Some("not-the-secret"))
        .exchange_client_credentials()
        .add_scope(Scope::new("reports:read".into()))
        .request_async(&http)
        .await;
    assert_refusal(
        &oauth_error(result),
        &http,
        BasicErrorResponseType::InvalidClient,
        // A wrong secret reads like an unknown client (issue 14: no client-id enumeration).
        "Client authentication failed. Either the client or the client credentials are invalid.",
        401,
    );
    let challenge = http
        .last_header("www-authenticate")
        .expect("RFC 6749 §5.2: a challenge with the 401");
    assert!(challenge.starts_with("Basic"), "{challenge}");

    // An unknown client id too.
    let result = client(&server, "default", "no-such-client", Some(SERVICE.1))
        .exchange_client_credentials()
        .add_scope(Scope::new("reports:read".into()))
        .request_async(&http)
        .await;
    assert_eq!(*oauth_error(result).error(), BasicErrorResponseType::InvalidClient);
    assert_eq!(http.last_status(), 401);
}

/// RFC 6749 §2.3.1: with HTTP Basic, the client id and secret are form-urlencoded before base64,
/// which `oauth2` does. A client whose secret holds `:`, `%`, `+`, spaces and non-ASCII still
/// authenticates (the server decodes them), and the same secret sent raw (not encoded) fails.
#[tokio::test]
async fn client_secret_basic_with_reserved_characters_in_the_secret() {
    let server = TestServer::start().await;
    let secret = "p:ss%w rd+é/=&?#-0123456789";
    let body = serde_json::json!({
        "client_id": "odd-secret-service",
        "client_secret": secret,
        "client_name": "Odd secret",
        "application_type": "service",
        "grant_types": ["client_credentials"],
        "response_types": ["token"],
        "token_endpoint_auth_method": "client_secret_basic"
    });
    let created = server.host.import_client(&serde_json::to_vec(&body).unwrap()).await;
    assert_eq!(created.status, 201, "{:?}", created.body);

    let http = Http::new();
    let tokens = client(&server, "default", "odd-secret-service", Some(secret))
        .exchange_client_credentials()
        .add_scope(Scope::new("reports:read".into()))
        .request_async(&http)
        .await
        .expect("the form-urlencoded secret is decoded");
    let claims = verify(&server, "default", tokens.access_token().secret(), "api://default").await;
    assert_eq!(claims["cid"], "odd-secret-service");

    // Not form-urlencoded: `%w ` is not a valid escape and `+` would decode to a space.
    let raw = base64::engine::general_purpose::STANDARD.encode(format!("odd-secret-service:{secret}"));
    let response = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .header("Authorization", format!("Basic {raw}"))
        .form(&[("grant_type", "client_credentials"), ("scope", "reports:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

/// The `orders` policy names only the reporting service, so the web app finds no matching policy
/// there: `access_denied` with Okta's text. Okta's catalogue answers `no_matching_policy` with
/// HTTP 401 (reference §4.1), not RFC 6749 §5.2's 400; `oauth2` reads it as an error response
/// either way.
#[tokio::test]
async fn a_client_no_policy_names_is_access_denied() {
    let server = TestServer::start().await;
    let http = Http::new();
    let orders = client(&server, "orders", WEB_APP.0, Some(WEB_APP.1));
    let username = ResourceOwnerUsername::new(ALICE.0.to_owned());
    let password = ResourceOwnerPassword::new(ALICE.1.to_owned());
    let result = orders
        .exchange_password(&username, &password)
        .add_scope(Scope::new("orders:read".into()))
        .request_async(&http)
        .await;
    // 401 is Okta's status for no_matching_policy.
    assert_refusal(
        &oauth_error(result),
        &http,
        BasicErrorResponseType::Extension("access_denied".into()),
        "Policy evaluation failed for this request, please check the policy configurations.",
        401,
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Resource owner password
// ---------------------------------------------------------------------------------------------

/// RFC 6749 §4.3 on the web app: Alice gets an access token, a refresh token (`offline_access`)
/// and an ID token (`openid`). The access token carries `uid`, `sub` = her login, and the
/// `department` expression claim; the ID token verifies for the web app with `sub` = her id.
#[tokio::test]
async fn password_grant_gives_alice_tokens_with_her_claims() {
    let server = TestServer::start().await;
    let http = Http::new();
    let requested = ["openid", "profile", "offline_access", "reports:read"];
    let tokens = password_grant(&web_app(&server), &http, ALICE, &requested)
        .await
        .expect("Alice signs in with her password");
    assert_no_store(&http);
    assert_eq!(*tokens.token_type(), BasicTokenType::Bearer);
    assert_eq!(tokens.expires_in(), Some(std::time::Duration::from_secs(3600)));
    let mut scope = granted(&tokens);
    scope.sort();
    assert_eq!(scope, ["offline_access", "openid", "profile", "reports:read"]);
    assert!(tokens.refresh_token().is_some(), "offline_access gives a refresh token");

    let claims = verify(&server, "default", tokens.access_token().secret(), "api://default").await;
    assert_eq!(claims["cid"], WEB_APP.0);
    assert_eq!(claims["uid"], ALICE_ID);
    assert_eq!(claims["sub"], ALICE.0, "Okta's default sub: the login");
    assert_eq!(
        claims["department"], "Engineering",
        "the user.department expression claim"
    );
    let mut scp = scp(&claims);
    scp.sort_unstable();
    assert_eq!(scp, ["offline_access", "openid", "profile", "reports:read"]);
    assert!(claims["auth_time"].is_i64(), "user flows carry auth_time: {claims:?}");
    assert_eq!(lifetime(&claims), 3600);

    let id_token = tokens
        .extra_fields()
        .id_token
        .as_deref()
        .expect("openid gives an ID token");
    let id = verify(&server, "default", id_token, WEB_APP.0).await;
    assert_eq!(id["sub"], ALICE_ID, "ID tokens: sub is the user id");
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
}

/// A wrong password is `invalid_grant` (RFC 6749 §5.2), HTTP 400, and says nothing about which
/// half was wrong; so is an unknown login.
#[tokio::test]
async fn password_grant_with_a_wrong_password_is_invalid_grant() {
    let server = TestServer::start().await;
    let http = Http::new();
    let client = web_app(&server);
    for credentials in [(ALICE.0, "Wrong-Passw0rd!"), ("nobody@example.com", ALICE.1)] {
        let error = oauth_error(password_grant(&client, &http, credentials, &["openid"]).await);
        assert_invalid_credentials(&error, &http);
    }
}

/// The password grant's refusal: `invalid_grant`, Okta's words, 400 — the same whether the
/// login is unknown, the password wrong or the user cannot sign in.
fn assert_invalid_credentials(error: &BasicErrorResponse, http: &Http) {
    let invalid = "The credentials provided were invalid.";
    assert_refusal(error, http, BasicErrorResponseType::InvalidGrant, invalid, 400);
}

/// A token-endpoint refusal: its `error`, `error_description` and the HTTP status it came with.
fn assert_refusal(
    error: &BasicErrorResponse,
    http: &Http,
    kind: BasicErrorResponseType,
    description: &str,
    status: u16,
) {
    assert_eq!(*error.error(), kind);
    assert_eq!(error.error_description().map(String::as_str), Some(description));
    assert_eq!(http.last_status(), status);
}

// ---------------------------------------------------------------------------------------------
// 5. Other users
// ---------------------------------------------------------------------------------------------

/// Bob is assigned to the web app through the Sales group: the password grant works and his
/// access token says `department` "Sales".
#[tokio::test]
async fn bob_signs_in_through_his_group_assignment() {
    let server = TestServer::start().await;
    let http = Http::new();
    let tokens = password_grant(&web_app(&server), &http, BOB, &["openid", "reports:read"])
        .await
        .expect("Bob is assigned through Sales");
    let claims = verify(&server, "default", tokens.access_token().secret(), "api://default").await;
    assert_eq!(claims["uid"], BOB_ID);
    assert_eq!(claims["sub"], BOB.0);
    assert_eq!(claims["department"], "Sales");
    assert!(tokens.refresh_token().is_none(), "no offline_access, no refresh token");
}

/// Carol is SUSPENDED: her correct password is refused like a wrong one, `invalid_grant`.
#[tokio::test]
async fn a_suspended_user_is_refused() {
    let server = TestServer::start().await;
    let http = Http::new();
    let error = oauth_error(password_grant(&web_app(&server), &http, CAROL, &["openid"]).await);
    assert_invalid_credentials(&error, &http);
}

// ---------------------------------------------------------------------------------------------
// 3. Refresh
// ---------------------------------------------------------------------------------------------

/// The web app is a `web` application, so its refresh tokens are persistent (`STATIC`, Okta's
/// default for web apps; reference §3.4): a refresh gives a new access token and echoes the same
/// refresh token, which keeps working. A refresh may narrow the scopes but not widen them
/// (`refresh_scopes_denied`, `access_denied`).
#[tokio::test]
async fn refresh_on_the_web_app_keeps_its_static_refresh_token() {
    let server = TestServer::start().await;
    let http = Http::new();
    let client = web_app(&server);
    let requested = ["openid", "profile", "offline_access", "reports:read"];
    let first = password_grant(&client, &http, ALICE, &requested).await.unwrap();
    let refresh_token = first.refresh_token().expect("a refresh token").clone();

    let refreshed = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&http)
        .await
        .expect("the refresh token works");
    assert_no_store(&http);
    assert_ne!(refreshed.access_token().secret(), first.access_token().secret());
    assert_eq!(
        refreshed.refresh_token().map(RefreshToken::secret),
        Some(refresh_token.secret()),
        "STATIC: the same refresh token comes back"
    );
    assert!(refreshed.extra_fields().id_token.is_some(), "openid: a new ID token");
    let claims = verify(&server, "default", refreshed.access_token().secret(), "api://default").await;
    assert_eq!(claims["uid"], ALICE_ID);
    assert_eq!(claims["department"], "Engineering");
    let mut scp = scp(&claims);
    scp.sort_unstable();
    assert_eq!(scp, ["offline_access", "openid", "profile", "reports:read"]);

    // Used again: still valid.
    let again = client
        .exchange_refresh_token(&refresh_token)
        .request_async(&http)
        .await
        .expect("a static refresh token stays valid");
    assert_eq!(
        again.refresh_token().map(RefreshToken::secret),
        Some(refresh_token.secret())
    );

    // Narrower scopes: allowed; the access token has only those.
    let narrower = client
        .exchange_refresh_token(&refresh_token)
        .add_scopes(scopes(&["offline_access", "reports:read"]))
        .request_async(&http)
        .await
        .expect("a subset of the original scopes");
    let mut granted_now = granted(&narrower);
    granted_now.sort();
    assert_eq!(granted_now, ["offline_access", "reports:read"]);
    assert!(narrower.extra_fields().id_token.is_none(), "no openid, no ID token");

    // Wider: refused.
    let wider = client
        .exchange_refresh_token(&refresh_token)
        .add_scopes(scopes(&["offline_access", "reports:write"]))
        .request_async(&http)
        .await;
    let error = oauth_error(wider);
    assert_eq!(
        *error.error(),
        BasicErrorResponseType::Extension("access_denied".into())
    );
    assert_eq!(
        error.error_description().map(String::as_str),
        Some(
            "Some of the scopes requested for the refresh request were not granted in the original authorize \
             request. Denied scopes: reports:write."
        )
    );

    // A refresh token is bound to its client (RFC 6749 §6): another client cannot use it.
    let spa = client_for_spa(&server);
    let stolen = spa.exchange_refresh_token(&refresh_token).request_async(&http).await;
    assert_eq!(*oauth_error(stolen).error(), BasicErrorResponseType::InvalidGrant);
}

/// The SPA on `default` (public, PKCE, no secret).
fn client_for_spa(server: &TestServer) -> OktaClient<EndpointSet> {
    let issuer = server.issuer("default");
    client(server, "default", SPA, None)
        .set_auth_uri(AuthUrl::new(format!("{issuer}/v1/authorize")).unwrap())
        .set_redirect_uri(RedirectUrl::new(SPA_REDIRECT.to_owned()).unwrap())
}

/// The SPA is a `browser` application, so its refresh tokens ROTATE (Okta's default for SPAs,
/// leeway 30 s; reference §3.4). Driven through `oauth2`'s authorization-code flow with PKCE:
///
/// * a refresh returns a new refresh token;
/// * the old one presented again within the 30 s leeway still works (Okta's grace period);
/// * presented again after the leeway it is reuse: `invalid_grant`, and the whole family is
///   revoked, the newest refresh token and the access tokens minted from it included.
#[tokio::test]
async fn refresh_on_the_spa_rotates_with_a_leeway_then_detects_reuse() {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let server = TestServer::start_with(|options| options.clock = clock.clone()).await;
    let http = Http::new();
    let spa = client_for_spa(&server);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = spa
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes(&["openid", "offline_access"]))
        .set_pkce_challenge(challenge)
        .url();
    let (location, _cookie) = server.browser_sign_in(url.as_str(), ALICE).await;
    assert!(location.starts_with(SPA_REDIRECT), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = query_param(&location, "code").expect("an authorization code");
    let tokens = spa
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code redeems with the PKCE verifier");
    let first = tokens.refresh_token().expect("offline_access: a refresh token").clone();

    // Rotation.
    clock.advance(Duration::seconds(5));
    let rotated = spa.exchange_refresh_token(&first).request_async(&http).await.unwrap();
    let second = rotated.refresh_token().expect("a rotated refresh token").clone();
    assert_ne!(second.secret(), first.secret(), "ROTATE: a new refresh token");

    // Within the leeway the old token still works (a response lost in transit).
    clock.advance(Duration::seconds(10));
    let grace = spa
        .exchange_refresh_token(&first)
        .request_async(&http)
        .await
        .expect("reuse within the 30 s leeway is tolerated");
    let sibling = grace.refresh_token().expect("a refresh token").clone();
    assert_ne!(sibling.secret(), first.secret());

    // The successor is still valid.
    let introspected = spa
        .introspect(&AccessToken::new(second.secret().clone()))
        .set_token_type_hint("refresh_token")
        .request_async(&http)
        .await
        .unwrap();
    assert!(
        introspected.active(),
        "the successor survives a reuse within the leeway"
    );

    // After the leeway: reuse. Refused, and the family goes.
    clock.advance(Duration::seconds(30));
    let reuse = spa.exchange_refresh_token(&first).request_async(&http).await;
    let error = oauth_error(reuse);
    assert_eq!(*error.error(), BasicErrorResponseType::InvalidGrant);
    assert_eq!(http.last_status(), 400);
    for token in [&second, &sibling] {
        let result = spa.exchange_refresh_token(token).request_async(&http).await;
        assert_eq!(
            *oauth_error(result).error(),
            BasicErrorResponseType::InvalidGrant,
            "reuse revokes the whole family"
        );
    }
    for access in [tokens.access_token(), rotated.access_token(), grace.access_token()] {
        let info = spa
            .introspect(access)
            .set_token_type_hint("access_token")
            .request_async(&http)
            .await
            .unwrap();
        assert!(!info.active(), "and the access tokens minted from it");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Introspection and revocation
// ---------------------------------------------------------------------------------------------

/// RFC 7662 then RFC 7009, all through `oauth2`:
///
/// * an access token introspects active with `scope`, `client_id`, `username`, `sub`, `exp`,
///   `iat`, `token_type`, `aud`, `iss`, `jti` matching the JWT, plus Okta's `uid`;
/// * a refresh token (hint `refresh_token`) introspects active too;
/// * revoking one access token (200) makes it inactive and leaves the others alone;
/// * revoking the refresh token (200) makes it inactive, and the access token of its grant too
///   (RFC 7009 §2.1 SHOULD); refreshing with it is then `invalid_grant`;
/// * revoking again, or revoking garbage, is still 200 (RFC 7009 §2.2);
/// * introspection requires client authentication: a wrong secret is `invalid_client`, 401.
#[tokio::test]
async fn introspection_and_revocation() {
    let server = TestServer::start().await;
    let http = Http::new();
    let client = web_app(&server);
    let requested = ["openid", "profile", "offline_access", "reports:read"];
    let tokens = password_grant(&client, &http, ALICE, &requested).await.unwrap();
    let access = tokens.access_token().clone();
    let refresh = tokens.refresh_token().unwrap().clone();
    let claims = verify(&server, "default", access.secret(), "api://default").await;

    // The access token.
    let info = client.introspect(&access).request_async(&http).await.unwrap();
    assert_eq!(http.last_status(), 200);
    assert!(info.active());
    assert_eq!(info.token_type(), Some(&BasicTokenType::Bearer));
    let mut scope: Vec<String> = info.scopes().expect("scope").iter().map(|s| s.to_string()).collect();
    scope.sort();
    assert_eq!(scope, ["offline_access", "openid", "profile", "reports:read"]);
    assert_eq!(info.client_id().map(|c| c.as_str()), Some(WEB_APP.0));
    assert_eq!(info.username(), Some(ALICE.0));
    assert_eq!(info.sub(), Some(ALICE.0));
    assert_eq!(info.exp().map(|t| t.timestamp()), claims["exp"].as_i64());
    assert_eq!(info.iat().map(|t| t.timestamp()), claims["iat"].as_i64());
    assert_eq!(info.aud(), Some(&vec!["api://default".to_owned()]));
    assert_eq!(info.iss(), Some(server.issuer("default").as_str()));
    assert_eq!(info.jti(), claims["jti"].as_str());
    assert_eq!(info.extra_fields().other.get("uid"), Some(&Value::from(ALICE_ID)));
    assert_eq!(
        info.extra_fields().other.get("department"),
        Some(&Value::from("Engineering"))
    );

    // The refresh token.
    let refresh_as_token = AccessToken::new(refresh.secret().clone());
    let info = client
        .introspect(&refresh_as_token)
        .set_token_type_hint("refresh_token")
        .request_async(&http)
        .await
        .unwrap();
    assert!(info.active(), "{info:?}");
    assert_eq!(info.client_id().map(|c| c.as_str()), Some(WEB_APP.0));
    assert_eq!(info.username(), Some(ALICE.0));
    assert_eq!(info.sub(), Some(ALICE.0));
    assert_eq!(info.scopes().map(Vec::len), Some(4));

    // A second access token, of another grant, revoked on its own.
    let other = password_grant(&client, &http, ALICE, &["reports:read"]).await.unwrap();
    let other_access = other.access_token().clone();
    client
        .revoke_token(StandardRevocableToken::AccessToken(other_access.clone()))
        .expect("an https revocation URL")
        .request_async(&http)
        .await
        .expect("RFC 7009: 200");
    assert_eq!(http.last_status(), 200);
    let info = client.introspect(&other_access).request_async(&http).await.unwrap();
    assert!(!info.active(), "a revoked access token is inactive");
    assert!(
        info.scopes().is_none() && info.client_id().is_none(),
        "inactive says nothing else: {info:?}"
    );
    let info = client.introspect(&access).request_async(&http).await.unwrap();
    assert!(info.active(), "other tokens are untouched");

    // The refresh token: its family and the access token of its grant.
    client
        .revoke_token(StandardRevocableToken::RefreshToken(refresh.clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("RFC 7009: 200");
    assert_eq!(http.last_status(), 200);
    let info = client
        .introspect(&refresh_as_token)
        .set_token_type_hint("refresh_token")
        .request_async(&http)
        .await
        .unwrap();
    assert!(!info.active(), "a revoked refresh token is inactive");
    let info = client.introspect(&access).request_async(&http).await.unwrap();
    assert!(
        !info.active(),
        "RFC 7009 §2.1: the grant's access tokens go with its refresh token"
    );
    let error = oauth_error(client.exchange_refresh_token(&refresh).request_async(&http).await);
    assert_eq!(*error.error(), BasicErrorResponseType::InvalidGrant);
    assert_eq!(
        error.error_description().map(String::as_str),
        Some("The refresh token is invalid or expired.")
    );

    // Revoking again, or revoking garbage: still 200 (RFC 7009 §2.2).
    for token in [
        StandardRevocableToken::RefreshToken(refresh.clone()),
        StandardRevocableToken::AccessToken(AccessToken::new("not-a-token".into())),
    ] {
        client
            .revoke_token(token)
            .unwrap()
            .request_async(&http)
            .await
            .expect("RFC 7009 §2.2: invalid tokens are answered 200");
        assert_eq!(http.last_status(), 200);
    }

    // Introspection authenticates the client.
    let intruder = self::client(&server, "default", WEB_APP.0, Some("not-the-secret"));
    let result = intruder.introspect(&other_access).request_async(&http).await;
    assert_eq!(*oauth_error(result).error(), BasicErrorResponseType::InvalidClient);
    assert_eq!(http.last_status(), 401);
}

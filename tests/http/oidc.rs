//! OpenID Connect over HTTP, driven by the `openidconnect` crate as a relying party would: it
//! discovers the provider, builds the authorization requests, exchanges the codes, verifies the
//! ID tokens (signature against `/v1/keys`, `iss`, `aud`, `exp`, `nonce`, `at_hash`), calls
//! `/v1/userinfo`, refreshes, and logs out. `reqwest` plays the browser (no redirects followed,
//! cookies carried by hand), and the Okta Authentication API (`/api/v1/authn`) is called directly.

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenClaims, IdTokenFields,
    IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse, SubjectIdentifier,
    TokenResponse, UserInfoClaims,
};
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::support::{ALICE, ALICE_ID, BOB, SPA, SPA_REDIRECT, TestServer, WEB_APP, WEB_REDIRECT, query_param};

/// Bob's user id (the sample org's).
const BOB_ID: &str = "00u1bob0000000000001";
/// Carol: `SUSPENDED`, so she may not sign in.
const CAROL: (&str, &str) = ("carol@example.com", "Carol-Passw0rd!");
/// The sample org's id: the `idp` of its ID tokens.
const ORG_ID: &str = "00o1example0org000001";
/// The web app's registered post-logout redirect URI.
const WEB_POST_LOGOUT: &str = "http://localhost:3000/";

/// The claims Okta adds to ID tokens and userinfo beyond the standard ones.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct OktaClaims {
    /// The `groups` claim of the sample `default` server (an `IDENTITY` claim of scope `profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<String>>,
    /// The org that authenticated the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idp: Option<String>,
    /// Okta's token version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ver: Option<u64>,
}

impl AdditionalClaims for OktaClaims {}

type OktaIdToken = IdToken<OktaClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
type OktaIdTokenClaims = IdTokenClaims<OktaClaims, CoreGenderClaim>;
type OktaTokenResponse = StandardTokenResponse<
    IdTokenFields<
        OktaClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// `CoreClient` with [`OktaClaims`], as `from_provider_metadata` builds it.
type OktaClient = Client<
    OktaClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OktaTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The HTTP client of `openidconnect`, which must not follow redirects (SSRF).
fn oidc_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client builds")
}

/// The discovery document of server `id`, with its `end_session_endpoint`.
async fn discover(server: &TestServer, id: &str) -> ProviderMetadataWithLogout {
    let issuer = IssuerUrl::new(server.issuer(id)).unwrap();
    ProviderMetadataWithLogout::discover_async(issuer, &oidc_http())
        .await
        .unwrap_or_else(|error| panic!("discovery of {id}: {error:?}"))
}

/// The confidential web app (`client_secret_basic`) on discovered `metadata`.
fn web_client(metadata: &ProviderMetadataWithLogout) -> OktaClient {
    OktaClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(WEB_APP.0.into()),
        Some(ClientSecret::new(WEB_APP.1.into())),
    )
    .set_redirect_uri(RedirectUrl::new(WEB_REDIRECT.into()).unwrap())
}

/// The public SPA (no secret) on discovered `metadata`.
fn spa_client(metadata: &ProviderMetadataWithLogout) -> OktaClient {
    OktaClient::from_provider_metadata(metadata.clone(), ClientId::new(SPA.into()), None)
        .set_redirect_uri(RedirectUrl::new(SPA_REDIRECT.into()).unwrap())
}

/// An authorization request and what the client keeps to check its answer.
struct Authorization {
    url: String,
    state: CsrfToken,
    nonce: Nonce,
    verifier: Option<PkceCodeVerifier>,
}

/// A code request of `client` for `scopes`, with an S256 PKCE challenge when `pkce`, and
/// `prompt=none` when `silent`.
fn authorization(client: &OktaClient, scopes: &[&str], pkce: bool, silent: bool) -> Authorization {
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in scopes {
        request = request.add_scope(Scope::new((*scope).into()));
    }
    let mut verifier = None;
    if pkce {
        let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        request = request.set_pkce_challenge(challenge);
        verifier = Some(pkce_verifier);
    }
    if silent {
        request = request.add_prompt(CoreAuthPrompt::None);
    }
    let (url, state, nonce) = request.url();
    Authorization {
        url: url.to_string(),
        state,
        nonce,
        verifier,
    }
}

/// The code of an authorization response `location` to `redirect_uri`, after checking `state`.
fn code_of(location: &str, redirect_uri: &str, state: &CsrfToken) -> AuthorizationCode {
    assert!(
        location.starts_with(&format!("{redirect_uri}?")),
        "sent to the redirect URI: {location}"
    );
    assert_eq!(query_param(location, "error"), None, "no error: {location}");
    assert_eq!(
        query_param(location, "state").as_deref(),
        Some(state.secret().as_str()),
        "the state comes back unchanged"
    );
    AuthorizationCode::new(query_param(location, "code").expect("a code"))
}

/// The `error` and `error_description` of an authorization response `location` to
/// `redirect_uri`, after checking `state` came back.
fn error_of(location: &str, redirect_uri: &str, state: &CsrfToken) -> (String, String) {
    assert!(
        location.starts_with(&format!("{redirect_uri}?")),
        "the error goes to the redirect URI: {location}"
    );
    assert_eq!(query_param(location, "code"), None, "no code with an error");
    assert_eq!(query_param(location, "state").as_deref(), Some(state.secret().as_str()));
    (
        query_param(location, "error").expect("an error"),
        query_param(location, "error_description").unwrap_or_default(),
    )
}

/// Exchanges `code` for tokens, with the PKCE verifier of `authorization` if it had one.
async fn exchange(client: &OktaClient, code: AuthorizationCode, authorization: Authorization) -> OktaTokenResponse {
    let mut request = client.exchange_code(code).expect("a token endpoint");
    if let Some(verifier) = authorization.verifier {
        request = request.set_pkce_verifier(verifier);
    }
    request
        .request_async(&oidc_http())
        .await
        .unwrap_or_else(|error| panic!("the code exchange: {error:?}"))
}

/// Verifies the ID token of `tokens` as an RP must (signature against the discovered JWKS,
/// `iss`, `aud`, `exp`, and `nonce` with `nonce_check`), then its `at_hash` against the access
/// token it came with, as openidconnect's documentation shows.
fn verify_id_token(
    client: &OktaClient,
    tokens: &OktaTokenResponse,
    nonce_check: impl FnOnce(Option<&Nonce>) -> Result<(), String>,
) -> OktaIdTokenClaims {
    let id_token = tokens.id_token().expect("an ID token (the openid scope was granted)");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, nonce_check)
        .unwrap_or_else(|error| panic!("the ID token verifies: {error:?}"))
        .clone();
    let expected = claims
        .access_token_hash()
        .expect("at_hash (issued with an access token)");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("a signing alg"),
        id_token.signing_key(&verifier).expect("the signing key is in the JWKS"),
    )
    .expect("at_hash computes");
    assert_eq!(&actual, expected, "at_hash matches the access token");
    claims
}

/// A nonce check that wants exactly `nonce`.
fn the_nonce(nonce: &Nonce) -> impl FnOnce(Option<&Nonce>) -> Result<(), String> + '_ {
    move |claim: Option<&Nonce>| match claim {
        Some(claim) if claim.secret() == nonce.secret() => Ok(()),
        Some(_) => Err("nonce mismatch".into()),
        None => Err("missing nonce claim".into()),
    }
}

/// The session cookie (`authserver_sid=…`) a response sets, if any.
fn sid_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or_default().trim().to_owned())
        .find(|pair| pair.starts_with("authserver_sid="))
}

/// `GET url` as a browser with `cookie` (if any).
async fn browse(server: &TestServer, url: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = server.http.get(url);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// The `Location` of a 302.
fn redirect_location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), 302, "a redirect");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// Whether `response` is the host's sign-in page (200 HTML with the form).
async fn is_sign_in_page(response: reqwest::Response) -> bool {
    let html = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html");
    let status = response.status();
    let body = response.text().await.unwrap();
    status == 200 && html && body.contains("action=\"/login\"") && body.contains("name=\"return_to\"")
}

/// `POST /api/v1/authn` with `username` and `password`: status and JSON body.
async fn authn(server: &TestServer, (username, password): (&str, &str)) -> (u16, Value) {
    let response = server
        .http
        .post(format!("{}/api/v1/authn", server.base_url))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Alice signed in to the web app through the HTML page: the client, the tokens, their verified
/// ID token claims, and the session cookie.
async fn alice_signed_in_to_the_web_app(
    server: &TestServer,
    metadata: &ProviderMetadataWithLogout,
) -> (OktaClient, OktaTokenResponse, OktaIdTokenClaims, String) {
    let client = web_client(metadata);
    let request = authorization(&client, &["profile", "email", "offline_access"], true, false);
    let (location, cookie) = server.browser_sign_in(&request.url, ALICE).await;
    let code = code_of(&location, WEB_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&client, code, request).await;
    let claims = verify_id_token(&client, &tokens, the_nonce(&nonce));
    (client, tokens, claims, cookie)
}

#[tokio::test]
async fn discovery_gives_each_servers_own_endpoints_and_keys() {
    let server = TestServer::start().await;
    let http = oidc_http();
    for id in ["default", "orders"] {
        let issuer = server.issuer(id);
        // The plain core metadata, as most RPs read it.
        let core = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .unwrap_or_else(|error| panic!("discovery of {id}: {error:?}"));
        assert_eq!(core.issuer().as_str(), issuer, "the issuer is the one asked for");
        assert_eq!(core.authorization_endpoint().as_str(), format!("{issuer}/v1/authorize"));
        assert_eq!(
            core.token_endpoint().map(|url| url.as_str()),
            Some(format!("{issuer}/v1/token").as_str())
        );
        assert_eq!(
            core.userinfo_endpoint().map(|url| url.as_str()),
            Some(format!("{issuer}/v1/userinfo").as_str())
        );
        assert_eq!(core.jwks_uri().as_str(), format!("{issuer}/v1/keys"));
        assert!(
            core.response_types_supported()
                .iter()
                .any(|types| types.as_slice() == [CoreResponseType::Code]),
            "the code flow is advertised"
        );
        assert!(
            core.id_token_signing_alg_values_supported()
                .contains(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
            "RS256"
        );
        let scopes: Vec<&str> = core
            .scopes_supported()
            .expect("scopes_supported")
            .iter()
            .map(|scope| scope.as_str())
            .collect();
        assert!(scopes.contains(&"openid"), "{id}: {scopes:?}");
        // The sample org's custom scopes leave `metadataPublish` at Okta's default, NO_CLIENTS.
        for custom in ["reports:read", "orders:read"] {
            assert!(!scopes.contains(&custom), "{id} does not publish {custom}: {scopes:?}");
        }
        // discover_async fetched the JWKS from jwks_uri too (the ID token checks of the other tests use it).
        assert!(!core.jwks().keys().is_empty(), "{id} publishes signing keys");

        // With RP-Initiated Logout's metadata.
        let with_logout = discover(&server, id).await;
        let end_session = with_logout.additional_metadata().end_session_endpoint.as_ref();
        assert_eq!(
            end_session.map(|url| url.as_str()),
            Some(format!("{issuer}/v1/logout").as_str())
        );
    }
}

#[tokio::test]
async fn the_web_app_signs_alice_in_with_code_and_pkce_then_reads_userinfo_and_refreshes() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let (client, tokens, claims, _cookie) = alice_signed_in_to_the_web_app(&server, &metadata).await;

    // The token response.
    let granted: Vec<&str> = tokens
        .scopes()
        .expect("the granted scopes")
        .iter()
        .map(|scope| scope.as_str())
        .collect();
    for scope in ["openid", "profile", "email", "offline_access"] {
        assert!(granted.contains(&scope), "{scope} granted: {granted:?}");
    }
    assert_eq!(tokens.token_type(), &CoreTokenType::Bearer);
    assert_eq!(tokens.expires_in().map(|lifetime| lifetime.as_secs()), Some(3600));
    let refresh_token = tokens
        .refresh_token()
        .expect("a refresh token for offline_access")
        .clone();

    // The ID token (verified above: signature, iss, aud, exp, nonce, at_hash).
    assert_eq!(claims.issuer().as_str(), server.issuer("default"));
    assert_eq!(claims.subject().as_str(), ALICE_ID);
    assert_eq!(
        claims.audiences().iter().map(|aud| aud.as_str()).collect::<Vec<_>>(),
        [WEB_APP.0]
    );
    assert_eq!(claims.email().map(|email| email.as_str()), Some(ALICE.0));
    assert_eq!(claims.preferred_username().map(|name| name.as_str()), Some(ALICE.0));
    assert_eq!(
        claims.name().and_then(|name| name.get(None)).map(|name| name.as_str()),
        Some("Alice Anderson")
    );
    assert!(claims.auth_time().is_some(), "auth_time of the sign-in");
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .expect("amr")
        .iter()
        .map(|method| method.as_str())
        .collect();
    assert_eq!(amr, ["pwd"]);
    let extra = claims.additional_claims();
    assert_eq!(extra.idp.as_deref(), Some(ORG_ID), "idp is the org");
    assert_eq!(extra.ver, Some(1));
    let groups = extra
        .groups
        .as_ref()
        .expect("groups: alwaysIncludeInToken with profile");
    assert!(groups.iter().any(|group| group == "Engineering"), "{groups:?}");
    assert!(!groups.iter().any(|group| group == "Sales"), "{groups:?}");

    // Userinfo, expecting Alice (openidconnect checks the subject).
    let info: UserInfoClaims<OktaClaims, CoreGenderClaim> = client
        .user_info(
            tokens.access_token().clone(),
            Some(SubjectIdentifier::new(ALICE_ID.into())),
        )
        .expect("a userinfo endpoint")
        .request_async(&oidc_http())
        .await
        .unwrap_or_else(|error| panic!("userinfo: {error:?}"));
    assert_eq!(info.subject().as_str(), ALICE_ID);
    assert_eq!(info.email().map(|email| email.as_str()), Some(ALICE.0));
    assert_eq!(info.email_verified(), Some(true));
    assert_eq!(
        info.name().and_then(|name| name.get(None)).map(|name| name.as_str()),
        Some("Alice Anderson")
    );
    assert_eq!(
        info.given_name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str()),
        Some("Alice")
    );
    assert_eq!(
        info.family_name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str()),
        Some("Anderson")
    );
    assert_eq!(info.preferred_username().map(|name| name.as_str()), Some(ALICE.0));
    assert_eq!(
        info.zoneinfo().map(|zone| zone.as_str()),
        Some("Europe/Paris"),
        "zoneinfo from `timezone`"
    );
    assert!(info.updated_at().is_some(), "updated_at from the user's lastUpdated");
    let info_groups = info.additional_claims().groups.as_ref().expect("groups in userinfo");
    assert!(info_groups.iter().any(|group| group == "Engineering"));

    // Refresh: a new access token and ID token; the web app keeps a STATIC refresh token (Okta's
    // default for apps that are not browser apps).
    let refreshed = client
        .exchange_refresh_token(&refresh_token)
        .expect("a token endpoint")
        .request_async(&oidc_http())
        .await
        .unwrap_or_else(|error| panic!("the refresh: {error:?}"));
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret(),
        "a new access token"
    );
    assert_eq!(
        refreshed.refresh_token().map(|token| token.secret().as_str()),
        Some(refresh_token.secret().as_str()),
        "the web app's refresh token is static"
    );
    // OpenID Connect Core §12.2: same iss, sub, aud; auth_time of the original sign-in; no nonce
    // (a refresh is not an authentication request).
    let again = verify_id_token(&client, &refreshed, |nonce: Option<&Nonce>| match nonce {
        None => Ok(()),
        Some(_) => Err("a refreshed ID token carries no nonce".into()),
    });
    assert_eq!(again.subject().as_str(), ALICE_ID);
    assert_eq!(again.issuer(), claims.issuer());
    assert_eq!(again.audiences(), claims.audiences());
    assert_eq!(
        again.auth_time(),
        claims.auth_time(),
        "auth_time of the original sign-in"
    );

    // The new access token works at userinfo.
    let info: UserInfoClaims<OktaClaims, CoreGenderClaim> = client
        .user_info(refreshed.access_token().clone(), None)
        .unwrap()
        .request_async(&oidc_http())
        .await
        .unwrap_or_else(|error| panic!("userinfo with the refreshed token: {error:?}"));
    assert_eq!(info.subject().as_str(), ALICE_ID);
}

#[tokio::test]
async fn the_spa_signs_in_with_pkce_and_no_secret_and_rotates_its_refresh_token() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let client = spa_client(&metadata);
    let request = authorization(&client, &["profile", "email", "offline_access"], true, false);
    let (location, _cookie) = server.browser_sign_in(&request.url, ALICE).await;
    let code = code_of(&location, SPA_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&client, code, request).await;
    let claims = verify_id_token(&client, &tokens, the_nonce(&nonce));
    assert_eq!(claims.subject().as_str(), ALICE_ID);
    assert_eq!(
        claims.audiences().iter().map(|aud| aud.as_str()).collect::<Vec<_>>(),
        [SPA]
    );

    // A browser app's refresh token rotates (Okta's default for SPAs).
    let refresh_token = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = client
        .exchange_refresh_token(&refresh_token)
        .unwrap()
        .request_async(&oidc_http())
        .await
        .unwrap_or_else(|error| panic!("the SPA's refresh: {error:?}"));
    let rotated = refreshed.refresh_token().expect("a rotated refresh token");
    assert_ne!(rotated.secret(), refresh_token.secret(), "rotated");
    verify_id_token(&client, &refreshed, |_: Option<&Nonce>| Ok(()));
}

#[tokio::test]
async fn the_spa_without_pkce_is_refused_at_the_redirect_uri() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let client = spa_client(&metadata);
    let request = authorization(&client, &["profile"], false, false);
    // Refused before any sign-in: the request itself is invalid for a public client.
    let response = browse(&server, &request.url, None).await;
    let location = redirect_location(&response);
    let (error, description) = error_of(&location, SPA_REDIRECT, &request.state);
    assert_eq!(error, "invalid_request");
    assert_eq!(description, "PKCE code challenge is required by the application.");

    // The confidential web app may go without PKCE (its secret authenticates the exchange).
    let web = web_client(&metadata);
    let request = authorization(&web, &["profile"], false, false);
    let (location, _) = server.browser_sign_in(&request.url, ALICE).await;
    let code = code_of(&location, WEB_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&web, code, request).await;
    verify_id_token(&web, &tokens, the_nonce(&nonce));
}

#[tokio::test]
async fn the_authentication_api_session_token_signs_in_without_the_page_once() {
    let server = TestServer::start().await;
    let (status, body) = authn(&server, ALICE).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "SUCCESS");
    let session_token = body["sessionToken"].as_str().expect("a sessionToken").to_owned();
    let expires_at = body["expiresAt"].as_str().expect("expiresAt");
    let expires_at = time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339)
        .expect("expiresAt is RFC 3339");
    let remaining = expires_at - time::OffsetDateTime::now_utc();
    assert!(
        remaining > time::Duration::minutes(4) && remaining <= time::Duration::minutes(5),
        "a session token lives five minutes: {remaining}"
    );
    let user = &body["_embedded"]["user"];
    assert_eq!(user["id"], ALICE_ID);
    assert_eq!(user["profile"]["login"], ALICE.0);
    assert_eq!(user["profile"]["firstName"], "Alice");
    assert_eq!(user["profile"]["lastName"], "Anderson");
    assert_eq!(user["profile"]["locale"], "en_US");
    assert_eq!(user["profile"]["timeZone"], "Europe/Paris");

    // The authorize request with the session token: straight to the client, and a session.
    let metadata = discover(&server, "default").await;
    let client = web_client(&metadata);
    let request = authorization(&client, &["profile", "email"], true, false);
    let url = format!("{}&sessionToken={session_token}", request.url);
    let response = browse(&server, &url, None).await;
    let location = redirect_location(&response);
    let cookie = sid_cookie(&response).expect("a session cookie");
    assert!(cookie.len() > "authserver_sid=".len(), "{cookie}");
    let code = code_of(&location, WEB_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&client, code, request).await;
    let claims = verify_id_token(&client, &tokens, the_nonce(&nonce));
    assert_eq!(claims.subject().as_str(), ALICE_ID);

    // The session it started works like any other.
    let request = authorization(&client, &["profile"], true, false);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    code_of(&redirect_location(&response), WEB_REDIRECT, &request.state);

    // The session token was single use: the second time, the sign-in page.
    let request = authorization(&client, &["profile"], true, false);
    let url = format!("{}&sessionToken={session_token}", request.url);
    let response = browse(&server, &url, None).await;
    assert_eq!(sid_cookie(&response), None, "no session from a spent token");
    assert!(
        is_sign_in_page(response).await,
        "a spent session token gets the sign-in page"
    );
}

#[tokio::test]
async fn the_authentication_api_refuses_wrong_passwords_and_suspended_users_alike() {
    let server = TestServer::start().await;
    for (who, credentials) in [
        ("a wrong password", (ALICE.0, "not-Alice's-password")),
        ("an unknown user", ("nobody@example.com", "whatever")),
        ("a suspended user", CAROL),
    ] {
        let (status, body) = authn(&server, credentials).await;
        assert_eq!(status, 401, "{who}: {body}");
        assert_eq!(body["errorCode"], "E0000004", "{who}: {body}");
        assert_eq!(body["errorSummary"], "Authentication failed", "{who}: {body}");
        assert!(body.get("sessionToken").is_none(), "{who}");
    }
}

#[tokio::test]
async fn a_session_is_reused_and_prompt_none_needs_one() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let (client, _, first, cookie) = alice_signed_in_to_the_web_app(&server, &metadata).await;

    // The same browser asks again: a code at once, no page.
    let request = authorization(&client, &["profile"], true, false);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    let code = code_of(&redirect_location(&response), WEB_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&client, code, request).await;
    let claims = verify_id_token(&client, &tokens, the_nonce(&nonce));
    assert_eq!(claims.subject().as_str(), ALICE_ID);
    assert_eq!(claims.auth_time(), first.auth_time(), "the same sign-in");

    // prompt=none with the session: a code.
    let request = authorization(&client, &["profile"], true, true);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    let code = code_of(&redirect_location(&response), WEB_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&client, code, request).await;
    verify_id_token(&client, &tokens, the_nonce(&nonce));

    // prompt=none without it: login_required at the client, no page.
    let request = authorization(&client, &["profile"], true, true);
    let response = browse(&server, &request.url, None).await;
    let (error, description) = error_of(&redirect_location(&response), WEB_REDIRECT, &request.state);
    assert_eq!(error, "login_required");
    assert_eq!(
        description,
        "The client specified not to prompt, but the user is not logged in."
    );
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_and_returns_to_the_client() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let (client, tokens, _, cookie) = alice_signed_in_to_the_web_app(&server, &metadata).await;
    let id_token: &OktaIdToken = tokens.id_token().unwrap();

    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint");
    let logout_url = LogoutRequest::from(end_session)
        .set_id_token_hint(id_token)
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(WEB_POST_LOGOUT.into()).unwrap())
        .set_state(CsrfToken::new("xyz".into()))
        .http_get_url();
    assert!(
        logout_url
            .as_str()
            .starts_with(&format!("{}/v1/logout?", server.issuer("default"))),
        "{logout_url}"
    );
    let response = browse(&server, logout_url.as_str(), Some(&cookie)).await;
    let location = redirect_location(&response);
    assert!(location.starts_with(WEB_POST_LOGOUT), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("xyz"));
    let cleared: Vec<&str> = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter(|value| value.starts_with("authserver_sid="))
        .collect();
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(
        cleared[0].starts_with("authserver_sid=;"),
        "the cookie is emptied: {}",
        cleared[0]
    );
    assert!(cleared[0].contains("Max-Age=0"), "and expired: {}", cleared[0]);

    // The old cookie no longer signs anyone in.
    let request = authorization(&client, &["profile"], true, false);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    assert!(is_sign_in_page(response).await, "the session is over: the sign-in page");
    let request = authorization(&client, &["profile"], true, true);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    let (error, _) = error_of(&redirect_location(&response), WEB_REDIRECT, &request.state);
    assert_eq!(error, "login_required");
}

#[tokio::test]
async fn bob_is_refused_by_the_spa_he_is_not_assigned_to() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;

    // Bob reaches the web app through the Sales group.
    let web = web_client(&metadata);
    let request = authorization(&web, &["profile"], true, false);
    let (location, cookie) = server.browser_sign_in(&request.url, BOB).await;
    let code = code_of(&location, WEB_REDIRECT, &request.state);
    let nonce = request.nonce.clone();
    let tokens = exchange(&web, code, request).await;
    let claims = verify_id_token(&web, &tokens, the_nonce(&nonce));
    assert_eq!(claims.subject().as_str(), BOB_ID);
    let groups = claims.additional_claims().groups.clone().unwrap_or_default();
    assert!(groups.iter().any(|group| group == "Sales"), "{groups:?}");

    // The SPA is assigned to Alice only: a fresh sign-in ends in access_denied.
    let spa = spa_client(&metadata);
    let request = authorization(&spa, &["profile"], true, false);
    let (location, _) = server.browser_sign_in(&request.url, BOB).await;
    let (error, description) = error_of(&location, SPA_REDIRECT, &request.state);
    assert_eq!(error, "access_denied");
    assert_eq!(description, "User is not assigned to the client application.");

    // And so does Bob's existing session.
    let request = authorization(&spa, &["profile"], true, false);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    let (error, _) = error_of(&redirect_location(&response), SPA_REDIRECT, &request.state);
    assert_eq!(error, "access_denied");
}

/// A bearer token that is not one of the server's is refused at userinfo, and openidconnect sees
/// the refusal as an error rather than claims.
#[tokio::test]
async fn userinfo_refuses_a_forged_access_token() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let client = web_client(&metadata);
    let result = client
        .user_info(AccessToken::new("not-a-token".into()), None)
        .unwrap()
        .request_async::<OktaClaims, _, CoreGenderClaim>(&oidc_http())
        .await;
    match result {
        Err(openidconnect::UserInfoError::Response(status, _, _)) => assert_eq!(status.as_u16(), 401),
        other => panic!("a forged token is refused: {other:?}"),
    }
    // The reason is in WWW-Authenticate (RFC 6750 §3).
    let response = server
        .http
        .get(format!("{}/v1/userinfo", server.issuer("default")))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// The token endpoint's errors are RFC 6749 §5.2 JSON that openidconnect parses into a server
/// response: a wrong PKCE verifier, then a code used twice.
#[tokio::test]
async fn token_endpoint_errors_reach_openidconnect_as_invalid_grant() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let client = spa_client(&metadata);
    let request = authorization(&client, &["profile"], true, false);
    let (location, _) = server.browser_sign_in(&request.url, ALICE).await;
    let code = code_of(&location, SPA_REDIRECT, &request.state);
    let wrong = client
        .exchange_code(code.clone())
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new("a".repeat(43)))
        .request_async(&oidc_http())
        .await;
    match wrong {
        Err(openidconnect::RequestTokenError::ServerResponse(error)) => {
            assert_eq!(error.error(), &CoreErrorResponseType::InvalidGrant, "{error:?}");
        }
        other => panic!("a wrong verifier is invalid_grant: {other:?}"),
    }
    let replayed = client
        .exchange_code(code)
        .unwrap()
        .set_pkce_verifier(request.verifier.unwrap())
        .request_async(&oidc_http())
        .await;
    match replayed {
        Err(openidconnect::RequestTokenError::ServerResponse(error)) => {
            assert_eq!(error.error(), &CoreErrorResponseType::InvalidGrant, "{error:?}");
        }
        other => panic!("a code tried once already is spent: {other:?}"),
    }
}

/// A `post_logout_redirect_uri` that is not registered on the ID token's client gets a 400 page,
/// never a redirect, and leaves the session alone.
#[tokio::test]
async fn logout_to_another_clients_uri_is_refused_and_keeps_the_session() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let (client, tokens, _, cookie) = alice_signed_in_to_the_web_app(&server, &metadata).await;
    let end_session = metadata.additional_metadata().end_session_endpoint.clone().unwrap();
    let logout_url = LogoutRequest::from(end_session)
        .set_id_token_hint(tokens.id_token().unwrap())
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new("http://localhost:3000/spa/".into()).unwrap())
        .set_state(CsrfToken::new("xyz".into()))
        .http_get_url();
    let response = browse(&server, logout_url.as_str(), Some(&cookie)).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get(LOCATION).is_none(), "no redirect");
    assert_eq!(sid_cookie(&response), None, "the cookie stays");
    let request = authorization(&client, &["profile"], true, true);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    code_of(&redirect_location(&response), WEB_REDIRECT, &request.state);
}

/// RP-Initiated Logout 1.0 §2 only recommends `id_token_hint`. The suite's
/// `oidcc-rp-initiated-logout-no-params` sends the browser to `end_session_endpoint` with nothing
/// and then tries `prompt=none`, which must fail (`CheckErrorFromAuthorizationEndpointIsOneThat
/// RequiredAUserInterface`); `-no-id-token-hint` sends `post_logout_redirect_uri` and `state`
/// without a hint and must get an error page, not a redirect.
#[tokio::test]
async fn logout_without_id_token_hint_signs_out_but_redirects_nowhere() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "default").await;
    let (client, _, _, cookie) = alice_signed_in_to_the_web_app(&server, &metadata).await;
    let end_session = metadata.additional_metadata().end_session_endpoint.clone().unwrap();

    let no_hint = format!(
        "{}?post_logout_redirect_uri={}&state=xyz",
        end_session.url(),
        url::form_urlencoded::byte_serialize(WEB_POST_LOGOUT.as_bytes()).collect::<String>()
    );
    let response = browse(&server, &no_hint, Some(&cookie)).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get(LOCATION).is_none(), "no redirect");
    assert_eq!(sid_cookie(&response), None, "the cookie stays");

    let response = browse(&server, end_session.url().as_str(), Some(&cookie)).await;
    assert_eq!(response.status(), 200, "the signed-out page");
    assert!(response.headers().get(LOCATION).is_none());
    assert_eq!(
        sid_cookie(&response).as_deref(),
        Some("authserver_sid="),
        "the cookie is cleared"
    );
    let request = authorization(&client, &["profile"], true, true);
    let response = browse(&server, &request.url, Some(&cookie)).await;
    let (error, _) = error_of(&redirect_location(&response), WEB_REDIRECT, &request.state);
    assert_eq!(error, "login_required");
}

/// The `orders` server's only policy is for the reporting service: the web app, with a signed-in
/// user, is refused at the client's redirect URI.
#[tokio::test]
async fn the_orders_server_has_no_policy_for_the_web_app() {
    let server = TestServer::start().await;
    let metadata = discover(&server, "orders").await;
    let client = web_client(&metadata);
    let request = authorization(&client, &["profile"], true, false);
    let (location, _) = server.browser_sign_in(&request.url, ALICE).await;
    let (error, description) = error_of(&location, WEB_REDIRECT, &request.state);
    assert_eq!(error, "access_denied", "{description}");
}

//! The `oidcc-rp-initiated-logout-certification-test-plan`'s logout modules
//! (`AbstractOIDCCRpInitiatedLogout`, OpenID Connect RP-Initiated Logout 1.0): a first flow
//! (`code`, `client_secret_basic`) whose state is 128 characters ending in `-._~`, then the browser
//! sent to the end session endpoint with `id_token_hint`, the registered `post_logout_redirect_uri`
//! and a 50-character VSCHAR `state` (`CreateEndSessionEndpointRequest`), changed as each module
//! says. Where the suite waits for a screenshot of the OP's page, the test checks that the browser
//! stayed on a page of the server and was not sent to the client.

use serde_json::json;

use crate::support::*;

/// The first flow of every logout module; its browser (signed in) and ID token.
async fn signed_in(host: &Host) -> (Browser, Jwt) {
    let mut browser = Browser::new(host);
    let request = AuthRequest::new(CLIENT, BASIC).with("state", &suite_random(128));
    let flow = run_flow(host, &mut browser, request, Some(&BUFFY)).await;
    (browser, flow.id_token().clone())
}

/// `CreateEndSessionEndpointRequest`: the ID token as hint, the registered post-logout URI and a
/// fresh VSCHAR state (`CreateRandomEndSessionState`).
fn end_session_request(id_token: &Jwt) -> Vec<(String, String)> {
    vec![
        ("id_token_hint".to_owned(), id_token.raw.clone()),
        (
            "post_logout_redirect_uri".to_owned(),
            CLIENT.post_logout_redirect_uri.to_owned(),
        ),
        ("state".to_owned(), end_session_state()),
    ]
}

/// `BuildRedirectToEndSessionEndpoint` and the browser following it.
async fn end_session(host: &Host, browser: &mut Browser, params: &[(String, String)]) -> Landing {
    let metadata = host.discovery().await;
    let endpoint = metadata["end_session_endpoint"]
        .as_str()
        .expect("an end_session_endpoint");
    let url = url::Url::parse_with_params(endpoint, params).expect("a URL");
    browser.visit(url.as_str()).await
}

fn without(params: &[(String, String)], name: &str) -> Vec<(String, String)> {
    params.iter().filter(|(n, _)| n != name).cloned().collect()
}

fn with(params: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut params = without(params, name);
    params.push((name.to_owned(), value.to_owned()));
    params
}

/// The second authorization of `onAuthorizationCallbackResponse`: `prompt=none` after logging out
/// must fail with an error that needs the user (`CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface`
/// and the generic error checks, FAILURE / WARNING).
async fn check_signed_out(host: &Host, browser: &mut Browser) {
    let request = AuthRequest::new(CLIENT, BASIC)
        .with("state", &suite_random(128))
        .with("prompt", "none");
    let callback = browser.authorize(host, &request, None).await.callback();
    check_error_callback(
        &callback,
        &request,
        &host.issuer(),
        &[
            "interaction_required",
            "login_required",
            "account_selection_required",
            "consent_required",
        ],
    );
}

/// The page-placeholder modules: the browser stays on a page of the server (the module fails if
/// the OP calls `post_logout_redirect`, or any other URI of the client).
fn stays_on_a_page(landing: Landing, what: &str) -> (u16, String) {
    match landing {
        Landing::Page { status, body } => (status, body),
        Landing::Callback(callback) => panic!("{what}: the OP sent the browser to {}", callback.url),
    }
}

/// `ExpectSuccessfulLogoutPage`: a page saying the user is signed out, and the session ended.
async fn successful_logout_page(host: &Host, browser: &mut Browser, landing: Landing) {
    let (status, body) = stays_on_a_page(landing, "ExpectSuccessfulLogoutPage");
    assert!(
        (200..300).contains(&status),
        "ExpectSuccessfulLogoutPage: {status} {body}"
    );
    check_signed_out(host, browser).await;
}

/// An error page (`ExpectInvalidIdTokenHintErrorPage`, `ExpectPostLogoutRedirectUriNotRegisteredErrorPage`).
fn error_page(landing: Landing, what: &str) {
    let (status, body) = stays_on_a_page(landing, what);
    assert!((400..500).contains(&status), "{what}: {status} {body}");
}

/// **`oidcc-rp-initiated-logout`** (`OIDCCRpInitiatedLogout`): the OP redirects to the
/// post-logout URI with the request's state (`CheckPostLogoutState`, FAILURE, OIDC RP-Initiated
/// Logout §2) and nothing else (`CheckForUnexpectedParametersInPostLogoutRedirect`, WARNING); then a
/// `prompt=none` authorization fails with an error that needs the user (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let request = end_session_request(&id_token);
    let callback = end_session(&host, &mut browser, &request).await.callback();
    let mut target = callback.url.clone();
    target.set_query(None);
    assert_eq!(target.as_str(), CLIENT.post_logout_redirect_uri);
    let state = callback
        .query
        .iter()
        .find(|(n, _)| n == "state")
        .map(|(_, v)| v.as_str());
    assert_eq!(state, Some(request[2].1.as_str()), "CheckPostLogoutState");
    assert!(
        callback.query.iter().all(|(n, _)| n == "state"),
        "CheckForUnexpectedParametersInPostLogoutRedirect: {:?}",
        callback.query
    );
    check_signed_out(&host, &mut browser).await;
}

/// **`oidcc-rp-initiated-logout-no-state`** (`OIDCCRpInitiatedLogoutNoState`): without `state`
/// (`RemoveStateFromEndSessionEndpointRequest`) the OP redirects to the post-logout URI without one
/// (`CheckNoPostLogoutState`, FAILURE) and nothing else (`CheckForUnexpectedParametersInPostLogoutRedirect`,
/// WARNING); then `prompt=none` fails with an error that needs the user (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_state() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let request = without(&end_session_request(&id_token), "state");
    let callback = end_session(&host, &mut browser, &request).await.callback();
    assert!(
        callback.query.is_empty(),
        "CheckNoPostLogoutState / CheckForUnexpectedParameters…: {:?}",
        callback.query
    );
    check_signed_out(&host, &mut browser).await;
}

/// **`oidcc-rp-initiated-logout-bad-post-logout-redirect-uri`** (`OIDCCRpInitiatedLogoutBadLogoutRedirectUri`):
/// an unregistered post-logout URI (`AddBadPostLogoutRedirectUriToEndSessionEndpointRequest`) gets
/// an error page (`ExpectPostLogoutRedirectUriNotRegisteredErrorPage`, OIDC RP-Initiated Logout
/// §2); the OP calling the registered URI fails the module.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let request = with(
        &end_session_request(&id_token),
        "post_logout_redirect_uri",
        "https://rp.conformance.example/bad_post_logout_redirect_uri",
    );
    error_page(
        end_session(&host, &mut browser, &request).await,
        "ExpectPostLogoutRedirectUriNotRegisteredErrorPage",
    );
}

/// **`oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri`**
/// (`OIDCCRpInitiatedLogoutQueryAddedToLogoutRedirectUri`): the registered post-logout URI with
/// `?foo=bar` added is not registered (exact matching): an error page
/// (`ExpectPostLogoutRedirectUriNotRegisteredErrorPage`); no redirect to the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let uri = format!("{}?foo=bar", CLIENT.post_logout_redirect_uri);
    let request = with(&end_session_request(&id_token), "post_logout_redirect_uri", &uri);
    error_page(
        end_session(&host, &mut browser, &request).await,
        "ExpectPostLogoutRedirectUriNotRegisteredErrorPage",
    );
}

/// **`oidcc-rp-initiated-logout-modified-id-token-hint`** (`OIDCCRpInitiatedLogoutModifiedIdTokenHint`):
/// the ID token re-headed as `alg: none` without its signature (`ChangeIdTokenToAlgNone`) is not
/// a valid hint: an error page (`ExpectInvalidIdTokenHintErrorPage`); no redirect to the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    use base64::Engine;
    let payload = id_token.raw.split('.').nth(1).expect("a payload");
    let none = format!(
        "{}.{payload}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#)
    );
    let request = with(&end_session_request(&id_token), "id_token_hint", &none);
    error_page(
        end_session(&host, &mut browser, &request).await,
        "ExpectInvalidIdTokenHintErrorPage",
    );
}

/// **`oidcc-rp-initiated-logout-bad-id-token-hint`** (`OIDCCRpInitiatedLogoutBadIdTokenHint`): a hint
/// the client made itself (`GenerateFakeIdTokenClaims`: `iss` the client, `aud` the issuer; signed
/// HS256 with the client's secret, `SignFakeIdToken`) gets an error page
/// (`ExpectInvalidIdTokenHintErrorPage`); no redirect to the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = json!({
        "iss": CLIENT.id, "sub": "SubjectID", "aud": host.issuer(), "nonce": "flibble",
        "iat": now, "exp": now + 300,
    });
    let fake = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(CLIENT.secret.as_bytes()),
    )
    .expect("a fake ID token");
    let request = with(&end_session_request(&id_token), "id_token_hint", &fake);
    error_page(
        end_session(&host, &mut browser, &request).await,
        "ExpectInvalidIdTokenHintErrorPage",
    );
}

/// **`oidcc-rp-initiated-logout-no-id-token-hint`** (`OIDCCRpInitiatedLogoutNoIdTokenHint`): without
/// `id_token_hint` (`RemoveIdTokenHintFromEndSessionEndpointRequest`) the client is not identified,
/// so the OP must not call the post-logout URI; it shows a page
/// (`ExpectIdTokenHintRequiredErrorPage`, or a signed-out page).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let request = without(&end_session_request(&id_token), "id_token_hint");
    stays_on_a_page(
        end_session(&host, &mut browser, &request).await,
        "ExpectIdTokenHintRequiredErrorPage",
    );
}

/// **`oidcc-rp-initiated-logout-no-params`** (`OIDCCRpInitiatedLogoutNoParams`): the end session
/// endpoint without any parameter (`RemoveAllParametersFromEndSessionEndpointRequest`) signs the
/// user out and shows a page (`ExpectSuccessfulLogoutPage`); no redirect to the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_params() {
    let host = Host::start().await;
    let (mut browser, _) = signed_in(&host).await;
    let landing = end_session(&host, &mut browser, &[]).await;
    successful_logout_page(&host, &mut browser, landing).await;
}

/// **`oidcc-rp-initiated-logout-no-post-logout-redirect-uri`**
/// (`OIDCCRpInitiatedLogoutNoPostLogoutRedirectUri`): with a hint and state but no post-logout URI
/// (`RemovePostLogoutRedirectUriFromEndSessionEndpointRequest`) the OP signs the user out and shows a
/// page (`ExpectSuccessfulLogoutPage`); it must not pick a registered URI itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let request = without(&end_session_request(&id_token), "post_logout_redirect_uri");
    let landing = end_session(&host, &mut browser, &request).await;
    successful_logout_page(&host, &mut browser, landing).await;
}

/// **`oidcc-rp-initiated-logout-only-state`** (`OIDCCRpInitiatedLogoutOnlyState`): only `state`
/// (hint and post-logout URI removed): the OP signs the user out and shows a page
/// (`ExpectSuccessfulLogoutPage`); no redirect to the client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_only_state() {
    let host = Host::start().await;
    let (mut browser, id_token) = signed_in(&host).await;
    let request = without(
        &without(&end_session_request(&id_token), "id_token_hint"),
        "post_logout_redirect_uri",
    );
    let landing = end_session(&host, &mut browser, &request).await;
    successful_logout_page(&host, &mut browser, landing).await;
}

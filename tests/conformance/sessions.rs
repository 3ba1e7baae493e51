//! The modules about the browser's session: `prompt`, `max_age` and `id_token_hint`, each over two
//! authorizations in the same browser (`AbstractOIDCCSameAuthTwiceServerTest` and its cousins).
//! Where the suite waits for a screenshot of a second login page, the test sees that page and
//! signs in again.

use std::time::Duration;

use crate::support::*;

/// `CheckIdTokenAuthTimeClaimsSameIfPresent` and `CheckIdTokenSubConsistentForSecondAuthorization`
/// (FAILURE, OIDC Core §2): the session's `auth_time` and the user did not change.
fn same_authentication(first: &Jwt, second: &Jwt) {
    if let (Some(a), Some(b)) = (first.int("auth_time"), second.int("auth_time")) {
        assert_eq!(a, b, "CheckIdTokenAuthTimeClaimsSameIfPresent");
    }
    assert_eq!(
        first.claims["sub"], second.claims["sub"],
        "CheckIdTokenSubConsistentForSecondAuthorization"
    );
}

/// `CheckSecondIdTokenAuthTimeIsLaterIfPresent` (FAILURE, OIDC Core §2): a new login, a later
/// `auth_time`.
fn later_authentication(first: &Jwt, second: &Jwt) {
    if let (Some(a), Some(b)) = (first.int("auth_time"), second.int("auth_time")) {
        assert!(b > a, "CheckSecondIdTokenAuthTimeIsLaterIfPresent: {a} then {b}");
    }
}

/// **`oidcc-prompt-login`** (`OIDCCPromptLogin`), in the basic, implicit, hybrid and form post
/// plans: after a first flow, `WaitForOneSecond` and a second request with `prompt=login`
/// (`AddPromptLoginToAuthorizationEndpointRequest`, OIDC Core §3.1.2.1) must show the login page
/// again (`ExpectSecondLoginPage`); after signing in, the flow's conditions (FAILURE) and
/// `CheckSecondIdTokenAuthTimeIsLaterIfPresent` (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_prompt_login() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let first = run_flow(&host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let request = AuthRequest::new(CLIENT, variant).with("prompt", "login");
        let (status, page) = browser.authorize(&host, &request, None).await.page();
        assert_eq!(status, 200);
        assert!(page.contains("action=\"/login\""), "ExpectSecondLoginPage: {page}");
        let second = run_flow(&host, &mut browser, request, Some(&BUFFY)).await;
        later_authentication(first.id_token(), second.id_token());
    }
}

/// **`oidcc-prompt-none-not-logged-in`** (`OIDCCPromptNoneNotLoggedIn`), in the basic, implicit,
/// hybrid and form post plans: with no session, `prompt=none` and a 128-character state ending in
/// `-._~` is answered with an error at the redirect URI (OIDC Core §3.1.2.6):
/// `CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface` and the generic error
/// checks (FAILURE / WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_prompt_none_not_logged_in() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant)
            .with("state", &suite_random(128))
            .with("prompt", "none");
        let callback = browser.authorize(&host, &request, None).await.callback();
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
}

/// **`oidcc-prompt-none-logged-in`** (`OIDCCPromptNoneLoggedIn`), in the basic, implicit, hybrid and
/// form post plans: after a first flow, `prompt=none` succeeds without asking the user (the flow's
/// conditions, FAILURE), with the same `auth_time` and `sub` (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_prompt_none_logged_in() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let first = run_flow(&host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
        let request = AuthRequest::new(CLIENT, variant).with("prompt", "none");
        let second = run_flow(&host, &mut browser, request, None).await;
        same_authentication(first.id_token(), second.id_token());
    }
}

/// **`oidcc-max-age-1`** (`OIDCCMaxAge1`), in the basic, implicit, hybrid and form post plans:
/// after a first flow, `WaitFor2Seconds` and a request with `max_age=1`
/// (`AddMaxAge1ToAuthorizationEndpointRequest`) must show the login page again
/// (`ExpectSecondLoginPage`, OIDC Core §3.1.2.1); the second ID token has `auth_time`
/// (`CheckIdTokenAuthTimeClaimPresentDueToMaxAge`), later than the first
/// (`CheckSecondIdTokenAuthTimeIsLaterIfPresent`) and recent (`CheckIdTokenAuthTimeIsRecentIfPresent`),
/// all FAILURE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_max_age_1() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let first = run_flow(&host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let request = AuthRequest::new(CLIENT, variant).with("max_age", "1");
        let (status, page) = browser.authorize(&host, &request, None).await.page();
        assert_eq!(status, 200);
        assert!(page.contains("action=\"/login\""), "ExpectSecondLoginPage: {page}");
        let second = run_flow(&host, &mut browser, request, Some(&BUFFY)).await;
        for token in [&second.authorization_id_token, &second.token_id_token]
            .into_iter()
            .flatten()
        {
            let auth_time = token
                .int("auth_time")
                .expect("CheckIdTokenAuthTimeClaimPresentDueToMaxAge");
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            assert!(auth_time >= now - 5 * 60 - 1, "CheckIdTokenAuthTimeIsRecentIfPresent");
            later_authentication(first.id_token(), token);
        }
    }
}

/// **`oidcc-max-age-10000`** (`OIDCCMaxAge10000`), in the basic, implicit, hybrid and form post
/// plans: a first flow with `max_age=15000`, a second with `max_age=10000` that must not ask the
/// user to sign in; both ID tokens carry `auth_time` (`CheckIdTokenAuthTimeClaimPresentDueToMaxAge`,
/// FAILURE, OIDC Core §2, §3.1.2.1), the same one, and the same `sub` (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_max_age_10000() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant).with("max_age", "15000");
        let first = run_flow(&host, &mut browser, request, Some(&BUFFY)).await;
        let request = AuthRequest::new(CLIENT, variant).with("max_age", "10000");
        let second = run_flow(&host, &mut browser, request, None).await;
        for flow in [&first, &second] {
            for token in [&flow.authorization_id_token, &flow.token_id_token]
                .into_iter()
                .flatten()
            {
                token
                    .int("auth_time")
                    .expect("CheckIdTokenAuthTimeClaimPresentDueToMaxAge");
            }
        }
        same_authentication(first.id_token(), second.id_token());
    }
}

/// **`oidcc-id-token-hint`** (`OIDCCIdTokenHint`), in the basic, implicit, hybrid and form post
/// plans: after a first flow, `prompt=none` with the first ID token as `id_token_hint`
/// (`AddIdTokenHintFromFirstLoginToAuthorizationEndpointRequest`, OIDC Core §3.1.2.1, §3.1.2.2)
/// succeeds without user interaction (the flow's conditions, FAILURE), same `auth_time` and `sub`
/// (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_id_token_hint() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let first = run_flow(&host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
        let request = AuthRequest::new(CLIENT, variant)
            .with("prompt", "none")
            .with("id_token_hint", &first.id_token().raw);
        let second = run_flow(&host, &mut browser, request, None).await;
        same_authentication(first.id_token(), second.id_token());
    }
}

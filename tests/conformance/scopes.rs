//! The returned-claims modules (`AbstractOIDCCReturnedClaimsServerTest`): a scope (or the `claims`
//! parameter) asks for standard claims; they come from userinfo, or from the ID token when
//! `response_type=id_token` gives no access token.

use serde_json::json;

use crate::support::*;

/// `AbstractOIDCCReturnedClaimsServerTest` for `request`: the flow (FAILURE), then userinfo
/// (`CallUserInfoEndpoint`, `EnsureHttpStatusCodeIs200`, the checks of `check_userinfo`: FAILURE;
/// `VerifyScopesReturnedInUserInfoClaims`: WARNING), or for `id_token` alone
/// `VerifyScopesReturnedInAuthorizationEndpointIdToken` (WARNING). Returns the flow and the claims
/// the client received (userinfo's, or the ID token's).
async fn returned_claims(host: &Host, request: AuthRequest, check_scopes: bool) -> (Flow, serde_json::Value) {
    let mut browser = Browser::new(host);
    let scope = request.get("scope").unwrap_or("openid").to_owned();
    let flow = run_flow(host, &mut browser, request, Some(&BUFFY)).await;
    if let Some(access_token) = &flow.access_token {
        let answer = userinfo(host, access_token, UserinfoCall::Get).await;
        assert_eq!(answer.status, 200, "EnsureHttpStatusCodeIs200: {:?}", answer.body);
        check_userinfo(&answer.body, &flow);
        if check_scopes {
            verify_scopes_returned(&answer.body, &scope, "userinfo");
        }
        (flow, answer.body)
    } else {
        let claims = flow.id_token().claims.clone();
        if check_scopes {
            verify_scopes_returned(&claims, &scope, "id_token");
        }
        (flow, claims)
    }
}

/// `OIDCCCheckScopesSupportedContainScopeTest` (INFO; the module is skipped otherwise): the
/// scopes are advertised.
async fn scopes_supported(host: &Host, scope: &str) {
    let metadata = host.discovery().await;
    let supported = metadata["scopes_supported"].as_array().expect("scopes_supported");
    for scope in scope.split(' ') {
        assert!(supported.iter().any(|s| s == scope), "scopes_supported lists {scope}");
    }
}

async fn scope_module(scope: &str) -> Vec<(Flow, serde_json::Value)> {
    let host = Host::start().await;
    scopes_supported(&host, scope).await;
    let mut results = Vec::new();
    for variant in ALL_VARIANTS {
        let request = AuthRequest::new(CLIENT, variant).with("scope", scope);
        results.push(returned_claims(&host, request, true).await);
    }
    results
}

/// **`oidcc-scope-profile`** (`OIDCCScopeProfile`), in the basic, implicit, hybrid and form post
/// plans: `scope=openid profile` (`SetScopeInClientConfigurationToOpenIdProfile`); the flow and
/// userinfo checks (FAILURE) and every profile claim of OIDC Core §5.4 returned
/// (`VerifyScopesReturnedInUserInfoClaims` / `…InAuthorizationEndpointIdToken`, WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_profile() {
    scope_module("openid profile").await;
}

/// **`oidcc-scope-email`** (`OIDCCScopeEmail`), in the basic, implicit, hybrid and form post plans:
/// `scope=openid email`; the flow and userinfo checks (FAILURE), `email` and `email_verified`
/// returned (`VerifyScopesReturnedIn…`, WARNING), no `name` in the ID token or userinfo
/// (`EnsureIdTokenDoesNotContainName`, `EnsureUserInfoDoesNotContainName`, WARNING), and, when
/// there is an access token, no `email` in the ID token (`EnsureIdTokenDoesNotContainEmailForScopeEmail`,
/// WARNING; OIDC Core §5.4 returns scope claims from userinfo) with Okta's two exceptions: `email`
/// stays in its thin ID tokens (`support::OKTA_THIN_ID_TOKEN_CLAIMS`), and the authorization
/// endpoint's ID token for `code id_token` is fat (`support::okta_fat_id_token`); the rest of the
/// scope's claims (`email_verified`) stay out of thin tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_email() {
    check_scope_email(scope_module("openid email").await);
}

/// The email module's own checks on each flow.
fn check_scope_email(results: Vec<(Flow, serde_json::Value)>) {
    for (flow, claims) in results {
        let variant = flow.request.variant;
        let ids = [(&flow.authorization_id_token, true), (&flow.token_id_token, false)];
        for (token, from_authorization) in ids.into_iter().filter_map(|(t, a)| t.as_ref().map(|t| (t, a))) {
            assert!(token.claims.get("name").is_none(), "EnsureIdTokenDoesNotContainName");
            let fat = okta_fat_id_token(variant, from_authorization);
            if (variant.includes_code() || variant.includes_token()) && !fat {
                for claim in scope_claims("email")
                    .iter()
                    .filter(|c| !OKTA_THIN_ID_TOKEN_CLAIMS.contains(c))
                {
                    assert!(
                        token.claims.get(*claim).is_none(),
                        "EnsureIdTokenDoesNotContainEmailForScopeEmail: {claim} ({})",
                        variant.response_type
                    );
                }
            }
        }
        if flow.access_token.is_some() {
            assert!(claims.get("name").is_none(), "EnsureUserInfoDoesNotContainName");
        }
    }
}

/// **`oidcc-scope-address`** (`OIDCCScopeAddress`), in the basic, implicit, hybrid and form post
/// plans: `scope=openid address`; the flow and userinfo checks (FAILURE) and `address` returned
/// (`VerifyScopesReturnedIn…`, WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_address() {
    scope_module("openid address").await;
}

/// **`oidcc-scope-phone`** (`OIDCCScopePhone`), in the basic, implicit, hybrid and form post plans:
/// `scope=openid phone`; the flow and userinfo checks (FAILURE) and `phone_number` and
/// `phone_number_verified` returned (`VerifyScopesReturnedIn…`, WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_phone() {
    scope_module("openid phone").await;
}

/// **`oidcc-scope-all`** (`OIDCCScopeAll`), in the basic, implicit, hybrid and form post plans:
/// `scope=openid email phone address profile`; the flow and userinfo checks (FAILURE) and every
/// claim of the four scopes returned (`VerifyScopesReturnedIn…`, WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_scope_all() {
    scope_module("openid email phone address profile").await;
}

/// **`oidcc-alternate-happy-flow`** (`OIDCCAlternateHappyFlow`, an `OIDCCScopeEmail`), in the basic,
/// implicit, hybrid (`code id_token`) and form post plans: the email module with the scope's
/// values reversed (`ReverseScopeOrderInAuthorizationEndpointRequest`, RFC 6749 §3.3: order does
/// not matter) and the query parameters in another order
/// (`BuildPlainRedirectToAuthorizationEndpointReorderedParams`); the email module's conditions
/// (with Okta's thin-token `email`, as there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_alternate_happy_flow() {
    let host = Host::start().await;
    scopes_supported(&host, "openid email").await;
    let mut results = Vec::new();
    for variant in [
        BASIC,
        FORM_POST,
        IMPLICIT_ID_TOKEN,
        IMPLICIT_ID_TOKEN_TOKEN,
        HYBRID_CODE_ID_TOKEN,
    ] {
        let request = AuthRequest::new(CLIENT, variant)
            .with("scope", "email openid")
            .reversed();
        results.push(returned_claims(&host, request, true).await);
    }
    check_scope_email(results);
}

/// **`oidcc-claims-essential`** (`OIDCCClaimsEssential`), in the basic, implicit, hybrid and form
/// post plans: the `claims` parameter asks for `name` as essential, in userinfo
/// (`AddUserInfoEssentialNameClaimToAuthorizationEndpointRequest`) or, for `id_token`, in the ID
/// token (`AddIdTokenEssentialNameClaimToAuthorizationEndpointRequest`) (OIDC Core §5.5). The flow
/// and userinfo checks (FAILURE); `name` in userinfo (`EnsureUserInfoContainsName`, WARNING) and
/// not in the ID token (`EnsureIdTokenDoesNotContainName`, WARNING), or in the ID token for
/// `id_token` (`EnsureIdTokenContainsName`, WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_essential() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let target = if variant.response_type == "id_token" {
            "id_token"
        } else {
            "userinfo"
        };
        let claims = json!({ target: { "name": { "essential": true } } }).to_string();
        let request = AuthRequest::new(CLIENT, variant).with("claims", &claims);
        let (flow, returned) = returned_claims(&host, request, false).await;
        if variant.response_type == "id_token" {
            assert!(flow.id_token().claims["name"].is_string(), "EnsureIdTokenContainsName");
        } else {
            assert!(returned["name"].is_string(), "EnsureUserInfoContainsName: {returned}");
            assert!(
                flow.id_token().claims.get("name").is_none(),
                "EnsureIdTokenDoesNotContainName"
            );
        }
    }
}

//! The userinfo modules (`AbstractOIDCCUserInfoTest`): not applicable to `response_type=id_token`,
//! which gives no access token.

use crate::support::*;

/// The flow of `AbstractOIDCCUserInfoTest` under `variant`, then userinfo called as `call`: its
/// answer.
async fn userinfo_after_flow(host: &Host, variant: Variant, call: UserinfoCall) -> (Flow, JsonAnswer) {
    let mut browser = Browser::new(host);
    let flow = run_flow(host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
    let answer = userinfo(host, flow.access_token(), call).await;
    (flow, answer)
}

/// `EnsureHttpStatusCodeIs200`, `EnsureContentTypeJson` (OIDC Core §5.3.2) and
/// `validateExtractedUserInfoResponse` (all FAILURE).
fn check_userinfo_answer(flow: &Flow, answer: &JsonAnswer) {
    assert_eq!(answer.status, 200, "EnsureHttpStatusCodeIs200: {:?}", answer.body);
    assert!(
        answer.content_type.starts_with("application/json"),
        "EnsureContentTypeJson: {}",
        answer.content_type
    );
    check_userinfo(&answer.body, flow);
}

/// **`oidcc-userinfo-get`** (`OIDCCUserInfoGet`), in the basic, implicit (`id_token token`), hybrid
/// and form post plans: userinfo by GET with a bearer header (`CallUserInfoEndpoint`, OIDC Core
/// §5.3.1) answers 200 JSON (`EnsureHttpStatusCodeIs200`, `EnsureContentTypeJson`), with valid
/// standard claims (`ValidateUserInfoStandardClaims`), a `sub` (`EnsureUserInfoContainsSub`) that
/// matches the ID tokens' (`VerifyUserInfoAndIdTokenIn…SameSub`), `EnsureUserInfoUpdatedAtValid`
/// and `EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources` (all FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_get() {
    let host = Host::start().await;
    for variant in USERINFO_VARIANTS {
        let (flow, answer) = userinfo_after_flow(&host, variant, UserinfoCall::Get).await;
        check_userinfo_answer(&flow, &answer);
    }
}

/// **`oidcc-userinfo-post-header`** (`OIDCCUserInfoPostHeader`), in the basic, implicit (`id_token
/// token`), hybrid and form post plans: userinfo by POST with a bearer header
/// (`SetResourceMethodToPost`, `CallUserInfoEndpoint`), with the checks of `oidcc-userinfo-get`
/// (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_post_header() {
    let host = Host::start().await;
    for variant in USERINFO_VARIANTS {
        let (flow, answer) = userinfo_after_flow(&host, variant, UserinfoCall::PostHeader).await;
        check_userinfo_answer(&flow, &answer);
    }
}

/// **`oidcc-userinfo-post-body`** (`OIDCCUserInfoPostBody`), in the basic, implicit (`id_token
/// token`), hybrid and form post plans: userinfo by POST with `access_token` in the form
/// (`CallUserInfoEndpointWithBearerTokenInBody`, RFC 6750 §2.2). An error answer is
/// `UserInfoEndpointWithAccessTokenInBodyNotSupported` (WARNING); a success gets the checks of
/// `oidcc-userinfo-get` (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_userinfo_post_body() {
    let host = Host::start().await;
    for variant in USERINFO_VARIANTS {
        let (flow, answer) = userinfo_after_flow(&host, variant, UserinfoCall::PostBody).await;
        assert!(
            (200..300).contains(&answer.status),
            "UserInfoEndpointWithAccessTokenInBodyNotSupported: {} {:?}",
            answer.status,
            answer.body
        );
        check_userinfo_answer(&flow, &answer);
    }
}

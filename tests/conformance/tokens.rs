//! The token endpoint's modules: a code used twice, and refresh tokens.

use std::time::Duration;

use crate::support::*;

/// `AbstractOIDCCAuthCodeReuse.checkResponse` (FAILURE, but for the CRLF check's WARNING): the
/// second redemption is a 400 JSON `invalid_grant` (`CheckTokenEndpointHttpStatus400`,
/// `CheckTokenEndpointReturnedJsonContentType`, `CheckErrorFromTokenEndpointResponseErrorInvalidGrant`,
/// RFC 6749 §5.2, OIDC Core §3.1.3.4) with well-formed error fields.
fn check_reuse_refused(answer: &JsonAnswer) {
    assert_eq!(answer.status, 400, "CheckTokenEndpointHttpStatus400: {:?}", answer.body);
    assert!(
        answer.content_type.starts_with("application/json"),
        "CheckTokenEndpointReturnedJsonContentType"
    );
    assert_eq!(
        answer.body["error"], "invalid_grant",
        "CheckErrorFromTokenEndpointResponseErrorInvalidGrant"
    );
    let fields: Vec<(String, String)> = answer
        .body
        .as_object()
        .expect("an error object")
        .iter()
        .filter_map(|(name, value)| value.as_str().map(|v| (name.clone(), v.to_owned())))
        .collect();
    check_error_fields(&fields);
}

/// **`oidcc-codereuse`** (`OIDCCAuthCodeReuse`), in the basic, hybrid and form post plans (not
/// `id_token`, `id_token token`): right after the flow, the same code again; a success would be
/// `ServerAllowedReusingAuthorizationCode` (WARNING), an error gets the checks of
/// `check_reuse_refused` (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_codereuse() {
    let host = Host::start().await;
    for variant in CODE_VARIANTS {
        let mut browser = Browser::new(&host);
        let flow = run_flow(&host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
        let again = redeem_code(&host, &CLIENT, &flow.callback.require("code"), &[]).await;
        assert_ne!(again.status, 200, "ServerAllowedReusingAuthorizationCode");
        check_reuse_refused(&again);
    }
}

/// **`oidcc-codereuse-30seconds`** (`OIDCCAuthCodeReuseAfter30Seconds`), in the basic, hybrid and
/// form post plans (not `id_token`, `id_token token`): `WaitFor30Seconds`, then the same code again
/// is refused (`check_reuse_refused`, FAILURE), and the access token the code gave should be revoked
/// (RFC 6749 §4.1.2): userinfo answers 4xx (`EnsureHttpStatusCodeIs4xx`, WARNING). The variants
/// run concurrently, so the test waits 30 seconds once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_codereuse_30seconds() {
    let host = Host::start().await;
    let runs = CODE_VARIANTS.map(|variant| {
        let host = &host;
        async move {
            let mut browser = Browser::new(host);
            let flow = run_flow(host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            let again = redeem_code(host, &CLIENT, &flow.callback.require("code"), &[]).await;
            check_reuse_refused(&again);
            let answer = userinfo(host, flow.access_token(), UserinfoCall::Get).await;
            assert!(
                (400..500).contains(&answer.status),
                "EnsureHttpStatusCodeIs4xx: {}",
                answer.status
            );
        }
    });
    futures::future::join_all(runs).await;
}

/// `CompareIdTokenClaims` (FAILURE, OIDC Core §12.2): an ID token from a refresh has the same
/// `iss`, `sub`, `aud`, `azp` and `auth_time` as the original.
fn compare_id_token_claims(original: &Jwt, refreshed: &Jwt) {
    for claim in ["iss", "sub", "aud", "azp", "auth_time"] {
        assert_eq!(
            original.claims.get(claim),
            refreshed.claims.get(claim),
            "CompareIdTokenClaims: {claim}"
        );
    }
}

/// The refresh token request of `RefreshTokenRequestSteps`: a 200 JSON answer
/// (`CheckTokenEndpointHttpStatus200`, `CheckTokenEndpointReturnedJsonContentType`), not cached
/// (`CheckTokenEndpointCacheHeaders`), a bearer access token (`CheckTokenTypeIsBearer`) of visible
/// characters (`EnsureAccessTokenContainsAllowedCharactersOnly`) with enough entropy
/// (`EnsureMinimumAccessTokenEntropy`), `ValidateExpiresIn`, and `CompareIdTokenClaims` (all
/// FAILURE); `ExtractExpiresInFromTokenEndpointResponse` (WARNING). The new refresh token, if any.
async fn refresh(
    host: &Host,
    client: &Client,
    refresh_token: &str,
    scope: Option<&str>,
    original: &Jwt,
) -> Option<String> {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    tokio::time::sleep(Duration::from_secs(1)).await; // WaitForOneSecond
    let response = {
        let mut form = form.clone();
        let mut request = http().post(host.endpoint("token"));
        match client.auth {
            ClientAuth::Basic => request = request.basic_auth(client.id, Some(client.secret)),
            ClientAuth::Post => form.extend([("client_id", client.id), ("client_secret", client.secret)]),
        }
        request.form(&form).send().await.expect("the token endpoint answers")
    };
    assert_eq!(response.status().as_u16(), 200, "CheckTokenEndpointHttpStatus200");
    let cache_control = response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        cache_control.contains("no-store"),
        "CheckTokenEndpointCacheHeaders: {cache_control}"
    );
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "CheckTokenEndpointReturnedJsonContentType"
    );
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert!(
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        "CheckTokenTypeIsBearer"
    );
    let access_token = body["access_token"]
        .as_str()
        .expect("ExtractAccessTokenFromTokenResponse");
    assert!(
        access_token.chars().all(|c| (' '..='~').contains(&c)),
        "EnsureAccessTokenContainsAllowedCharactersOnly"
    );
    check_strength(access_token, "AccessToken");
    assert!(
        body["expires_in"].is_number(),
        "ExtractExpiresInFromTokenEndpointResponse"
    );
    check_expires_in(&body);
    if let Some(raw) = body["id_token"].as_str() {
        compare_id_token_claims(original, &Jwt::decode(raw));
    }
    let refreshed = body["refresh_token"].as_str().map(str::to_owned);
    if let Some(refresh_token) = &refreshed {
        check_strength(refresh_token, "RefreshToken");
    }
    // requestProtectedResource with the new access token.
    let answer = userinfo(host, access_token, UserinfoCall::Get).await;
    assert_eq!(
        answer.status, 200,
        "EnsureHttpStatusCodeIs200 (userinfo after the refresh): {:?}",
        answer.body
    );
    refreshed
}

/// **`oidcc-refresh-token`** (`OIDCCRefreshToken`), in the basic, hybrid and form post plans (not
/// `id_token`, `id_token token`): `scope=openid offline_access` (advertised, so
/// `SetScopeInClientConfigurationToOpenIdOfflineAccessIfServerSupportsOfflineAccess`) with
/// `prompt=consent` (OIDC Core §11), for the client and for a second client (whose nonce is 43
/// characters ending in `-._~`). For each: a refresh token is issued (else
/// `EnsureServerConfigurationDoesNotSupportRefreshToken`, WARNING, and the module is skipped),
/// `EnsureServerConfigurationSupportsRefreshToken` (WARNING), `EnsureRefreshTokenContainsAllowedCharactersOnly`
/// (FAILURE, RFC 6749 Appendix A.17), then `RefreshTokenRequestSteps` (see `refresh`) and userinfo
/// with the new access token (FAILURE). Finally the second client's refresh token used by the first
/// client is refused: `invalid_grant`, 400, JSON (`RefreshTokenRequestExpectingErrorSteps`, FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_refresh_token() {
    let host = Host::start().await;
    let metadata = host.discovery().await;
    assert!(
        metadata["grant_types_supported"]
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "refresh_token")),
        "EnsureServerConfigurationSupportsRefreshToken"
    );
    let offline = metadata["scopes_supported"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s == "offline_access"));
    let scope = if offline { "openid offline_access" } else { "openid" };
    for variant in CODE_VARIANTS {
        let mut second_refresh_token = None;
        for (client, nonce_length) in [(CLIENT, 10), (CLIENT2, 43)] {
            let mut browser = Browser::new(&host);
            let request = AuthRequest::new(client, variant)
                .with("scope", scope)
                .with("nonce", &suite_random(nonce_length))
                .with("prompt", "consent");
            let flow = run_flow(&host, &mut browser, request, Some(&BUFFY)).await;
            let body = flow.token_response.as_ref().expect("a token response");
            let refresh_token = body["refresh_token"]
                .as_str()
                .expect("a refresh token (else EnsureServerConfigurationDoesNotSupportRefreshToken, WARNING)")
                .to_owned();
            assert!(
                refresh_token.chars().all(|c| (' '..='~').contains(&c)),
                "EnsureRefreshTokenContainsAllowedCharactersOnly"
            );
            let first_scope = (client.id == CLIENT.id).then_some(scope);
            let rotated = refresh(&host, &client, &refresh_token, first_scope, flow.id_token()).await;
            let current = rotated.unwrap_or(refresh_token);
            if client.id == CLIENT2.id {
                second_refresh_token = Some(current);
            }
        }
        // The first client tries the second client's refresh token.
        let stolen = second_refresh_token.expect("the second client's refresh token");
        let answer = token_request(
            &host,
            &CLIENT,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &stolen),
                ("scope", scope),
            ],
        )
        .await;
        assert_eq!(answer.status, 400, "CheckTokenEndpointHttpStatus400: {:?}", answer.body);
        assert!(
            answer.content_type.starts_with("application/json"),
            "CheckTokenEndpointReturnedJsonContentType"
        );
        assert_eq!(
            answer.body["error"], "invalid_grant",
            "CheckErrorFromTokenEndpointResponseErrorInvalidGrant"
        );
    }
}

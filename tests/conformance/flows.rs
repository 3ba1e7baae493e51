//! The happy flows and the authorization request's parameters: `oidcc-server` and the modules
//! that add one parameter to its request, or take one away.

use serde_json::Value;

use crate::support::*;

/// **`oidcc-server`** (`OIDCCServerTest`), in the basic, implicit, hybrid and form post plans,
/// under every response type: the happy flow.
///
/// Setup (every module): `CheckServerConfiguration`, `FetchServerKeys`, `CheckServerKeysIsValid`
/// (WARNING), `ValidateJwksSequence`, `CheckForKeyIdInServerJWKs`,
/// `CheckDistinctKeyIdValueInServerJWKs` (FAILURE) and `EnsureServerConfigurationSupportsClientSecretBasic`
/// (FAILURE). The callback: `CheckCallbackHttpMethodIsPost`, `CheckCallbackContentTypeIsFormUrlEncoded`
/// (form post), `RejectAuthCodeInUrlQuery`, `RejectErrorInUrlQuery`,
/// `ValidateIssIfPresentInAuthorizationResponse`, `CheckIfAuthorizationEndpointError`,
/// `CheckStateInAuthorizationResponse` (FAILURE). ID tokens: `PerformStandardIdTokenChecks`
/// (FAILURE), `EnsureIdTokenDoesNotContainName` (WARNING); from the authorization endpoint
/// `ExtractAtHash` (FAILURE with `token`) + `ValidateAtHash`, `ExtractCHash` (FAILURE with `code`)
/// + `ValidateCHash` (FAILURE); from the token endpoint the hashes if present (FAILURE) and
/// `ExtractExpiresInFromTokenEndpointResponse` (WARNING). The code: `EnsureMinimumAuthorizationCodeLength`,
/// `EnsureMinimumAuthorizationCodeEntropy` (FAILURE). The token endpoint:
/// `CheckTokenEndpointHttpStatus200`, `CheckForAccessTokenValue`, `ValidateExpiresIn`,
/// `VerifyIdTokenSubConsistentHybridFlow` (FAILURE); userinfo with the access token
/// (`EnsureHttpStatusCodeIs200`, FAILURE); and `EnsureIdTokenDoesNotContainNonRequestedClaims`
/// (WARNING; Okta's `ver` and `idp` allowed, see `support::OKTA_ID_TOKEN_CLAIMS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_server() {
    let host = Host::start().await;
    let metadata = host.discovery().await;
    let methods = &metadata["token_endpoint_auth_methods_supported"];
    assert!(
        methods
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "client_secret_basic")),
        "EnsureServerConfigurationSupportsClientSecretBasic"
    );
    for variant in ALL_VARIANTS {
        server_flow(&host, CLIENT, variant).await;
    }
}

/// The body of `oidcc-server` and `oidcc-server-client-secret-post`.
async fn server_flow(host: &Host, client: Client, variant: Variant) {
    let mut browser = Browser::new(host);
    let flow = run_flow(host, &mut browser, AuthRequest::new(client, variant), Some(&BUFFY)).await;
    if let Some(token) = &flow.authorization_id_token {
        match flow.callback.get("access_token") {
            Some(access_token) => check_at_hash(token, access_token, true),
            None => assert!(
                token.claims.get("at_hash").is_none(),
                "{}: at_hash without an access token",
                variant.plan
            ),
        }
        match flow.callback.get("code") {
            Some(code) => check_c_hash(token, code, true),
            None => assert!(
                token.claims.get("c_hash").is_none(),
                "{}: c_hash without a code",
                variant.plan
            ),
        }
        assert!(token.claims.get("name").is_none(), "EnsureIdTokenDoesNotContainName");
    }
    if let Some(token) = &flow.token_id_token {
        if let Some(access_token) = &flow.access_token {
            check_at_hash(token, access_token, false);
        }
        check_c_hash(token, &flow.callback.require("code"), false);
        assert!(token.claims.get("name").is_none(), "EnsureIdTokenDoesNotContainName");
        let body = flow.token_response.as_ref().expect("a token response");
        assert!(
            body["expires_in"].is_number(),
            "ExtractExpiresInFromTokenEndpointResponse"
        );
    }
    if let Some(code) = flow.callback.get("code") {
        check_strength(code, "AuthorizationCode");
    }
    ensure_no_unrequested_claims(flow.id_token(), "openid");
}

/// **`oidcc-server-client-secret-post`** (`OIDCCServerTestClientSecretPost`), in the basic, hybrid
/// and form post plans (`code`, `code id_token`, `code token`, `code id_token token`): the happy
/// flow with a client that authenticates with `client_secret_post`;
/// `EnsureServerConfigurationSupportsClientSecretPost` (FAILURE) and every condition of
/// `oidcc-server`'s flow (`AbstractOIDCCServerTest`, FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_server_client_secret_post() {
    let host = Host::start().await;
    let metadata = host.discovery().await;
    assert!(
        metadata["token_endpoint_auth_methods_supported"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m == "client_secret_post")),
        "EnsureServerConfigurationSupportsClientSecretPost"
    );
    for variant in CODE_VARIANTS {
        let mut browser = Browser::new(&host);
        run_flow(
            &host,
            &mut browser,
            AuthRequest::new(POST_CLIENT, variant),
            Some(&BUFFY),
        )
        .await;
    }
}

/// **`oidcc-response-type-missing`** (`OIDCCResponseTypeMissing`), in the basic, implicit (`id_token
/// token`), hybrid (`code id_token`) and form post plans: a request without `response_type` is
/// refused on an error page, or redirected with `unsupported_response_type` or `invalid_request`
/// (`CheckErrorFromAuthorizationEndpointErrorInvalidRequestOrUnsupportedResponseType`, FAILURE),
/// with the generic error checks (`CheckStateInAuthorizationResponse`, `EnsureError…`,
/// `RejectAuthCodeIn…`: FAILURE; `CheckForUnexpectedParametersInErrorResponse…`,
/// `CheckErrorDescription…ContainsCRLFTAB`: WARNING) and, in the query (no response type, so no
/// fragment), `RejectAuthCodeInUrlQuery`/`RejectErrorInUrlQuery` for form post (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_response_type_missing() {
    let host = Host::start().await;
    for variant in [BASIC, FORM_POST, IMPLICIT_ID_TOKEN_TOKEN, HYBRID_CODE_ID_TOKEN] {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant).without("response_type");
        match browser.authorize(&host, &request, Some(&BUFFY)).await {
            Landing::Page { status, body } => {
                // The suite's placeholder: an error page saying the response type is missing.
                assert!(
                    (400..500).contains(&status),
                    "{}: an error page, {status}: {body}",
                    variant.plan
                );
                assert!(!body.contains("action=\"/login\""), "not the sign-in page");
            }
            Landing::Callback(callback) => {
                // Without a response type the response mode falls back to the query.
                let mut as_code = request.clone();
                as_code.variant = Variant {
                    response_type: "code",
                    ..variant
                };
                check_error_callback(
                    &callback.read_from_query(),
                    &as_code,
                    &host.issuer(),
                    &["invalid_request", "unsupported_response_type"],
                );
            }
        }
    }
}

/// **`oidcc-idtoken-signature`** (`OIDCCIdTokenSignature`), in the basic, implicit and hybrid
/// plans: ID tokens carry a `kid` (`EnsureIdTokenContainsKid`, FAILURE) and are signed RS256 by
/// default (`EnsureIdTokenSignatureIsRS256`, FAILURE), then `PerformStandardIdTokenChecks`
/// (FAILURE). The suite runs it for dynamically registered clients only; the org's static client
/// gets the same default (no `id_token_signed_response_alg`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_idtoken_signature() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let flow = run_flow(&host, &mut browser, AuthRequest::new(CLIENT, variant), Some(&BUFFY)).await;
        for token in [&flow.authorization_id_token, &flow.token_id_token]
            .into_iter()
            .flatten()
        {
            assert!(token.header["kid"].is_string(), "EnsureIdTokenContainsKid");
            assert_eq!(token.header["alg"], "RS256", "EnsureIdTokenSignatureIsRS256");
        }
    }
}

/// **`oidcc-idtoken-unsigned`** (`OIDCCIdTokenUnsigned`), in the basic and form post plans
/// (`code`): the module is skipped when `id_token_signing_alg_values_supported` lacks `none`
/// (`OIDCCCheckIdTokenSigningAlgValuesSupportedAlgNone`, INFO); servers need not support
/// unsigned ID tokens. The host never signs with `none` (security by default), so the test checks
/// the skip's condition holds and that the ID token is signed (`CheckIdTokenSignatureAlgorithm`
/// would otherwise apply, FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_idtoken_unsigned() {
    let host = Host::start().await;
    let metadata = host.discovery().await;
    let algs = metadata["id_token_signing_alg_values_supported"]
        .as_array()
        .expect("id_token_signing_alg_values_supported");
    assert!(
        !algs.iter().any(|alg| alg == "none"),
        "the module is skipped: no `none`"
    );
    for variant in [BASIC, FORM_POST] {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant);
        let flow = run_flow(&host, &mut browser, request, Some(&BUFFY)).await;
        assert_ne!(flow.id_token().header["alg"], "none");
    }
}

/// **`oidcc-ensure-request-without-nonce-succeeds-for-code-flow`**
/// (`OIDCCEnsureRequestWithoutNonceSucceedsForCodeFlow`), in the basic and form post plans (`code`)
/// and the hybrid plan (`code token`): without a `nonce` the server still issues a code (OIDC Core
/// §3.1.2.1; §3.3.2.11 requires it only when an ID token comes from the authorization endpoint);
/// the callback checks and `ValidateIdTokenNonce` (no nonce in the ID token) hold (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let host = Host::start().await;
    for variant in [BASIC, FORM_POST, HYBRID_CODE_TOKEN] {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant).without("nonce");
        let flow = run_flow(&host, &mut browser, request, Some(&BUFFY)).await;
        validate_nonce(flow.id_token(), None);
    }
}

/// **`oidcc-ensure-request-without-nonce-fails`** (`OIDCCEnsureRequestWithoutNonceFails`), in the
/// implicit (`id_token`, `id_token token`) and hybrid (`code id_token`, `code id_token token`)
/// plans: without a `nonce` the request is refused (OIDC Core §3.2.2.1, §3.3.2.11): an error page,
/// or a redirect with `invalid_request` (`CheckErrorFromAuthorizationEndpointErrorInvalidRequest`,
/// FAILURE) and the generic error checks (FAILURE / WARNING, see `check_error_callback`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_without_nonce_fails() {
    let host = Host::start().await;
    for variant in [
        IMPLICIT_ID_TOKEN,
        IMPLICIT_ID_TOKEN_TOKEN,
        HYBRID_CODE_ID_TOKEN,
        HYBRID_CODE_ID_TOKEN_TOKEN,
    ] {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant).without("nonce");
        match browser.authorize(&host, &request, Some(&BUFFY)).await {
            Landing::Callback(callback) => {
                check_error_callback(&callback, &request, &host.issuer(), &["invalid_request"])
            }
            Landing::Page { status, body } => assert!((400..500).contains(&status), "an error page: {body}"),
        }
    }
}

/// Runs `oidcc-server`'s flow with `name=value` added to the request, under every variant of the
/// four plans: the request must succeed (`AbstractOIDCCServerTest`'s conditions, FAILURE).
async fn flow_with_parameter(name: &str, value: &str) -> Vec<Flow> {
    let host = Host::start().await;
    let mut flows = Vec::new();
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant).with(name, value);
        flows.push(run_flow(&host, &mut browser, request, Some(&BUFFY)).await);
    }
    flows
}

/// **`oidcc-display-page`** (`OIDCCDisplayPage`), in the basic, implicit, hybrid and form post
/// plans: `display=page` (`AddDisplayPageToAuthorizationEndpointRequest`) must not cause an error
/// (OIDC Core §3.1.2.1, §15.1); the flow's conditions hold (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_display_page() {
    flow_with_parameter("display", "page").await;
}

/// **`oidcc-display-popup`** (`OIDCCDisplayPopup`), in the basic, implicit, hybrid and form post
/// plans: `display=popup` must not cause an error (OIDC Core §3.1.2.1, §15.1); the flow's
/// conditions hold (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_display_popup() {
    flow_with_parameter("display", "popup").await;
}

/// **`oidcc-ensure-request-with-unknown-parameter-succeeds`**
/// (`OIDCCEnsureRequestWithUnknownParameterSucceeds`), in the basic, implicit, hybrid and form post
/// plans: `extra=foobar` is ignored (RFC 6749 §3.1: unrecognized parameters MUST be ignored); the
/// flow's conditions hold (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    flow_with_parameter("extra", "foobar").await;
}

/// **`oidcc-login-hint`** (`OIDCCLoginHint`), in the basic, implicit, hybrid and form post plans:
/// `login_hint` (`AddLoginHintFromConfigurationToAuthorizationEndpointRequest`, the user's login)
/// must not cause an error; the flow's conditions hold (FAILURE). The sign-in page also offers
/// the hinted login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_login_hint() {
    let host = Host::start().await;
    let mut page_browser = Browser::new(&host);
    let request = AuthRequest::new(CLIENT, BASIC).with("login_hint", BUFFY.login);
    let (status, page) = page_browser.authorize(&host, &request, None).await.page();
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("value=\"{}\"", BUFFY.login)),
        "the hint prefills the sign-in form"
    );
    drop(host);
    flow_with_parameter("login_hint", BUFFY.login).await;
}

/// **`oidcc-ui-locales`** (`OIDCCUiLocales`), in the basic, implicit, hybrid and form post plans:
/// `ui_locales=se` (the suite's default) must not cause an error (OIDC Core §3.1.2.1); the flow's
/// conditions hold (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ui_locales() {
    flow_with_parameter("ui_locales", "se").await;
}

/// **`oidcc-claims-locales`** (`OIDCCClaimsLocales`), in the basic, implicit, hybrid and form post
/// plans: `claims_locales=se` must not cause an error (OIDC Core §5.2, §15.1); the flow's
/// conditions hold (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_claims_locales() {
    flow_with_parameter("claims_locales", "se").await;
}

/// **`oidcc-ensure-request-with-acr-values-succeeds`** (`OIDCCEnsureRequestWithAcrValuesSucceeds`),
/// in the basic, implicit, hybrid and form post plans: `acr_values` of the discovery document's
/// `acr_values_supported` (or `1 2` when none are advertised, `OIDCCAddAcrValuesToAuthorizationEndpointRequest`)
/// must succeed (FAILURE), and the ID tokens SHOULD carry one of them as `acr`
/// (`ValidateIdTokenACRClaimAgainstAcrValuesRequest`, WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let host = Host::start().await;
    let metadata = host.discovery().await;
    let acr_values = match metadata["acr_values_supported"].as_array() {
        Some(values) => values.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
        None => "1 2".to_owned(),
    };
    drop(host);
    for flow in flow_with_parameter("acr_values", &acr_values).await {
        for token in [&flow.authorization_id_token, &flow.token_id_token]
            .into_iter()
            .flatten()
        {
            let acr = token.claims["acr"]
                .as_str()
                .expect("ValidateIdTokenACRClaimAgainstAcrValuesRequest: an acr");
            assert!(
                acr_values.split(' ').any(|v| v == acr),
                "acr {acr} is one of {acr_values}"
            );
        }
    }
}

/// **`oidcc-ensure-registered-redirect-uri`** (`OIDCCEnsureRegisteredRedirectUri`), in the basic,
/// implicit, hybrid and form post plans: a redirect URI that is not registered
/// (`CreateBadRedirectUriByAppending`) gets an error page (`ExpectRedirectUriErrorPage`); the server
/// must redirect neither to it nor to the registered one (the module fails the test if either
/// is called).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_registered_redirect_uri() {
    let host = Host::start().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let bad = format!("{}/{}", CLIENT.redirect_uri, alphanumeric(10));
        let request = AuthRequest::new(CLIENT, variant).with("redirect_uri", &bad);
        let (status, body) = browser.authorize(&host, &request, Some(&BUFFY)).await.page();
        assert!(
            (400..500).contains(&status),
            "{}: an error page: {status} {body}",
            variant.plan
        );
        assert!(
            body.contains("redirect_uri"),
            "the page says the redirect URI is wrong: {body}"
        );
    }
}

/// **`oidcc-ensure-post-request-succeeds`** (`OIDCCEnsurePostRequestSucceeds`), in the basic and form
/// post plans: the authorization request sent as a POST form must succeed and call the redirect
/// URI (`ExpectRedirectUriHasBeenCalled`, WARNING), with the flow's conditions (FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_post_request_succeeds() {
    let host = Host::start().await;
    let jwks = host.server_jwks().await;
    for variant in [BASIC, FORM_POST] {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant);
        let callback = browser.authorize_post(&host, &request, Some(&BUFFY)).await.callback();
        complete_flow(&host, &jwks, &host.issuer(), request, callback, &[]).await;
    }
}

/// **`oidcc-ensure-request-with-valid-pkce-succeeds`** (`OIDCCEnsureRequestWithValidPkceSucceeds`),
/// in the basic, hybrid (`code id_token`) and form post plans: a request with an S256
/// `code_challenge` (`SetupPkceAndAddToAuthorizationRequest`) and the token request with its
/// `code_verifier` (`AddCodeVerifierToTokenEndpointRequest`, RFC 7636 §4.5) must succeed (the
/// flow's conditions, FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let host = Host::start().await;
    let jwks = host.server_jwks().await;
    for variant in [BASIC, FORM_POST, HYBRID_CODE_ID_TOKEN] {
        let mut browser = Browser::new(&host);
        let verifier = alphanumeric(64);
        let challenge = {
            use base64::Engine;
            use sha2::Digest;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
        };
        let request = AuthRequest::new(CLIENT, variant)
            .with("code_challenge", &challenge)
            .with("code_challenge_method", "S256");
        let callback = browser.authorize(&host, &request, Some(&BUFFY)).await.callback();
        complete_flow(
            &host,
            &jwks,
            &host.issuer(),
            request,
            callback,
            &[("code_verifier", &verifier)],
        )
        .await;
    }
}

//! The flow every module starts with (`AbstractOIDCCServerTest`) and its callback and userinfo
//! checks.

use serde_json::Value;

use super::*;

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
    assert_eq!(
        callback.get("error"),
        None,
        "CheckIfAuthorizationEndpointError: {:?}",
        callback.params()
    );
    assert_eq!(
        callback.get("state"),
        request.get("state"),
        "CheckStateInAuthorizationResponse"
    );
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
/// checks of `processCallback`), and that it reached the redirect URI the request named with that
/// URI's own query parameters kept (`CheckMatchingCallbackParameters`, FAILURE).
pub fn check_response_location(callback: &Callback, request: &AuthRequest) {
    let redirect_uri = request.get("redirect_uri").unwrap_or(request.client.redirect_uri);
    let redirect_uri = url::Url::parse(redirect_uri).expect("the redirect URI is a URL");
    let (mut target, mut requested) = (callback.url.clone(), redirect_uri.clone());
    for url in [&mut target, &mut requested] {
        url.set_query(None);
        url.set_fragment(None);
    }
    assert_eq!(target, requested, "the redirect URI");
    for (name, value) in redirect_uri.query_pairs() {
        assert!(
            callback.query.iter().any(|(n, v)| *n == name && *v == value),
            "CheckMatchingCallbackParameters: the redirect URI's {name}={value}"
        );
    }
    let in_query = |name: &str| callback.query.iter().any(|(n, _)| n == name);
    if request.variant.form_post {
        assert_eq!(callback.method, "POST", "CheckCallbackHttpMethodIsPost");
        assert_eq!(
            callback.content_type,
            Some("application/x-www-form-urlencoded"),
            "CheckCallbackContentTypeIsFormUrlEncoded"
        );
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
    assert_eq!(
        callback.get("state"),
        request.get("state"),
        "CheckStateInAuthorizationResponse"
    );
    if let Some(iss) = callback.get("iss") {
        assert_eq!(iss, issuer, "ValidateIssIfPresentInAuthorizationResponse");
    }
    let error = callback
        .get("error")
        .unwrap_or_else(|| panic!("EnsureErrorFromAuthorizationEndpointResponse: {:?}", callback.params()));
    assert_eq!(
        callback.get("code"),
        None,
        "RejectAuthCodeInAuthorizationEndpointResponse"
    );
    for name in callback.names() {
        assert!(
            matches!(
                name,
                "error" | "error_description" | "error_uri" | "state" | "session_state" | "iss"
            ),
            "CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint: {name}"
        );
    }
    check_error_fields(callback.params());
    assert!(expected.contains(&error), "the error is one of {expected:?}: {error}");
}

/// `AbstractOIDCCServerTest`'s whole happy flow for `request`: the authorization request (signing
/// in as `user` if asked), the callback checks, `PerformStandardIdTokenChecks` on the authorization
/// endpoint's ID token, its access token at userinfo (`requestProtectedResource`), then for a
/// code: the token request (`CheckTokenEndpointHttpStatus200`, `CheckForAccessTokenValue`,
/// `ValidateExpiresIn`, the ID token's standard checks and `VerifyIdTokenSubConsistentHybridFlow`)
/// and its access token at userinfo. All FAILURE.
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
    let authorization_id_token = callback
        .get("id_token")
        .map(|raw| standard_id_token_checks(raw, expected, jwks));
    let mut access_token = callback.get("access_token").map(str::to_owned);
    if let Some(token) = &access_token {
        protected_resource(host, token).await;
    }
    let mut token_id_token = None;
    let mut token_response = None;
    if let Some(code) = callback.get("code") {
        let answer = redeem_code(host, &request.client, code, token_extra).await;
        assert_eq!(answer.status, 200, "CheckTokenEndpointHttpStatus200: {:?}", answer.body);
        assert!(answer.body.get("error").is_none(), "CheckIfTokenEndpointResponseError");
        let token = answer.body["access_token"]
            .as_str()
            .expect("CheckForAccessTokenValue")
            .to_owned();
        check_expires_in(&answer.body);
        let raw = answer.body["id_token"]
            .as_str()
            .expect("ExtractIdTokenFromTokenResponse (OIDC Core §3.1.3.3)");
        let id_token = standard_id_token_checks(raw, expected, jwks);
        if let Some(first) = &authorization_id_token {
            assert_eq!(
                first.claims["sub"], id_token.claims["sub"],
                "VerifyIdTokenSubConsistentHybridFlow"
            );
        }
        protected_resource(host, &token).await;
        access_token = Some(token);
        token_id_token = Some(id_token);
        token_response = Some(answer.body);
    }
    Flow {
        request,
        callback,
        authorization_id_token,
        token_id_token,
        access_token,
        token_response,
    }
}

/// `requestProtectedResource`: the access token works at userinfo (`CallProtectedResource`,
/// `EnsureHttpStatusCodeIs200`, FAILURE).
async fn protected_resource(host: &Host, access_token: &str) {
    let answer = userinfo(host, access_token, UserinfoCall::Get).await;
    assert_eq!(
        answer.status, 200,
        "EnsureHttpStatusCodeIs200 (userinfo): {:?}",
        answer.body
    );
}

/// `AbstractOIDCCUserInfoTest.validateExtractedUserInfoResponse` and the returned-claims modules'
/// `validateUserInfoResponse` (FAILURE): the standard claims' types, a `sub`, `updated_at`, no
/// `_claim_names` that `_claim_sources` lacks, and the same `sub` as the ID tokens.
pub fn check_userinfo(userinfo: &Value, flow: &Flow) {
    let claims = userinfo
        .as_object()
        .expect("ExtractUserInfoFromUserInfoEndpointResponse: a JSON object");
    validate_standard_claims(claims, "userinfo");
    let sub = userinfo["sub"].as_str().expect("EnsureUserInfoContainsSub");
    check_updated_at(userinfo, "userinfo");
    if let Some(names) = userinfo.get("_claim_names").and_then(Value::as_object) {
        for source in names.values() {
            let source = source.as_str().expect("a claim source name");
            assert!(
                userinfo["_claim_sources"].get(source).is_some(),
                "EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources"
            );
        }
    }
    if let Some(token) = &flow.authorization_id_token {
        assert_eq!(
            token.claims["sub"], sub,
            "VerifyUserInfoAndIdTokenInAuthorizationEndpointSameSub"
        );
    }
    if let Some(token) = &flow.token_id_token {
        assert_eq!(
            token.claims["sub"], sub,
            "VerifyUserInfoAndIdTokenInTokenEndpointSameSub"
        );
    }
}

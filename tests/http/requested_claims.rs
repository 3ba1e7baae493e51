//! What an authorization request asks for beyond its scopes, over HTTP through the code flow:
//! the `claims` parameter (OpenID Connect Core §5.5) reaching `/userinfo`, and `acr_values`
//! reaching the ID token from the token endpoint, as the conformance suite's
//! `oidcc-claims-essential` and `oidcc-ensure-request-with-acr-values-succeeds` check them.

use reqwest::header::{AUTHORIZATION, LOCATION};
use serde_json::Value;

use crate::support::{ALICE, TestServer, WEB_APP, WEB_REDIRECT, query_param};

/// The web app's code flow for `scope=openid` with `extra` parameters, signed in as Alice:
/// the token response.
async fn code_flow(server: &TestServer, extra: &[(&str, &str)]) -> Value {
    let mut url = url::Url::parse(&format!("{}/v1/authorize", server.issuer("default"))).unwrap();
    url.query_pairs_mut()
        .extend_pairs([
            ("client_id", WEB_APP.0),
            ("redirect_uri", WEB_REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "st-1"),
        ])
        .extend_pairs(extra);
    let (location, _) = server.browser_sign_in(url.as_str(), ALICE).await;
    let code = query_param(&location, "code").unwrap_or_else(|| panic!("a code: {location}"));
    let response = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(WEB_APP.0, Some(WEB_APP.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", WEB_REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get(LOCATION).is_none());
    response.json().await.unwrap()
}

fn payload(jwt: &str) -> Value {
    use base64::Engine as _;
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn userinfo(server: &TestServer, access_token: &str) -> Value {
    let response = server
        .http
        .get(format!("{}/v1/userinfo", server.issuer("default")))
        .header(AUTHORIZATION, format!("Bearer {access_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `oidcc-claims-essential`: `claims={"userinfo": {"name": {"essential": true}}}` with
/// `scope=openid` (`EnsureUserInfoContainsName`, `EnsureIdTokenDoesNotContainName`), and the
/// discovery document's `claims_parameter_supported` (`CheckDiscEndpointClaimsParameterSupported`).
#[tokio::test]
async fn claims_requested_for_userinfo_are_served_there_only() {
    let server = TestServer::start().await;
    let claims = r#"{"userinfo": {"name": {"essential": true}}}"#;
    let tokens = code_flow(&server, &[("claims", claims)]).await;
    let id_token = payload(tokens["id_token"].as_str().unwrap());
    assert!(
        id_token.get("name").is_none(),
        "asked for in userinfo, not the ID token"
    );
    let answer = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert!(answer["name"].as_str().is_some_and(|name| !name.is_empty()), "{answer}");
    // Without the parameter, scope=openid alone gives the subject only.
    let tokens = code_flow(&server, &[]).await;
    let answer = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert!(answer.get("name").is_none(), "{answer}");

    let metadata: Value = server
        .http
        .get(format!("{}/.well-known/openid-configuration", server.issuer("default")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["claims_parameter_supported"], true);
    assert!(
        metadata["acr_values_supported"]
            .as_array()
            .is_some_and(|values| !values.is_empty())
    );
}

/// `oidcc-ensure-request-with-acr-values-succeeds`: the suite sends the advertised
/// `acr_values_supported`, and the ID token's `acr` must be one of them
/// (`ValidateIdTokenACRClaimAgainstAcrValuesRequest`); Okta reflects the chosen value in the
/// tokens.
#[tokio::test]
async fn acr_values_put_the_chosen_class_in_the_tokens() {
    let server = TestServer::start().await;
    let requested = "urn:okta:loa:2fa:any urn:okta:loa:1fa:pwd";
    let tokens = code_flow(&server, &[("acr_values", requested)]).await;
    let id_token = payload(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], "urn:okta:loa:1fa:pwd", "{id_token}");
    let access_token = payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(access_token["acr"], "urn:okta:loa:1fa:pwd");
    let tokens = code_flow(&server, &[]).await;
    assert!(payload(tokens["id_token"].as_str().unwrap()).get("acr").is_none());
}

//! The request object modules (`AbstractOIDCCRequestObjectServerTest`, OIDC Core §6): the request
//! sent as an unsigned JWT (`SerializeRequestObjectWithNullAlgorithm`), by value or by reference.
//! Each is skipped when the discovery document lists `request_object_signing_alg_values_supported`
//! without `none` (`skipTestIfNoneUnsupported`); the server need not accept unsigned objects.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::support::*;

/// Whether the module is skipped: the server says it takes only signed request objects.
async fn none_unsupported(host: &Host) -> bool {
    let metadata = host.discovery().await;
    metadata["request_object_signing_alg_values_supported"]
        .as_array()
        .is_some_and(|algs| !algs.iter().any(|alg| alg == "none"))
}

/// `ConvertAuthorizationEndpointRequestToRequestObject` + `SerializeRequestObjectWithNullAlgorithm`:
/// the request's parameters as the claims of an unsecured JWT (RFC 7519 §6).
fn unsigned_request_object(request: &AuthRequest) -> String {
    let claims: Map<String, Value> = request
        .params()
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
    )
}

/// `BuildRequestObjectByValueRedirectToAuthorizationEndpoint` /
/// `…ByReference…`: `name=value` and the parameters OAuth requires outside the object
/// (`response_type`, `client_id`, `scope`, `redirect_uri`), with `redirect_uri` as given.
fn outer_request(request: &AuthRequest, name: &str, value: &str, redirect_uri: &str) -> AuthRequest {
    let mut outer = AuthRequest::new(request.client, request.variant);
    for param in ["state", "nonce", "response_mode"] {
        outer = outer.without(param);
    }
    outer
        .with("scope", request.get("scope").unwrap_or("openid"))
        .with("redirect_uri", redirect_uri)
        .with(name, value)
}

/// `CheckDiscEndpointRequestParameterSupported` (WARNING): `request_parameter_supported` is true.
async fn check_request_parameter_supported(host: &Host) {
    let metadata = host.discovery().await;
    assert_eq!(
        metadata["request_parameter_supported"], true,
        "CheckDiscEndpointRequestParameterSupported"
    );
}

/// **`oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported`**
/// (`OIDCCUnsignedRequestObjectSupportedCorrectlyOrRejectedAsUnsupported`), in the basic, implicit,
/// hybrid and form post plans: the request as an unsigned object by value must either be
/// processed (the flow's conditions, with the object's `state` and `nonce`: FAILURE) or refused
/// with `request_not_supported` (the module is then skipped). When processed,
/// `CheckDiscEndpointRequestParameterSupported` (WARNING).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let host = Host::start().await;
    if none_unsupported(&host).await {
        return;
    }
    let jwks = host.server_jwks().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant);
        let object = unsigned_request_object(&request);
        let outer = outer_request(&request, "request", &object, CLIENT.redirect_uri);
        let callback = browser.authorize(&host, &outer, Some(&BUFFY)).await.callback();
        if callback.get("error") == Some("request_not_supported") {
            continue;
        }
        check_request_parameter_supported(&host).await;
        complete_flow(&host, &jwks, &host.issuer(), request, callback, &[]).await;
    }
}

/// **`oidcc-ensure-request-object-with-redirect-uri`** (`OIDCCEnsureRequestObjectWithRedirectUri`),
/// in the basic, implicit, hybrid and form post plans: the object names the registered redirect
/// URI, the query an unregistered one (`AddInvalidRedirectUriToAuthorizationRequest`, OIDC Core
/// §6.1: the object's value wins). The server either processes the object (the flow's conditions at
/// the registered URI, FAILURE; `CheckDiscEndpointRequestParameterSupported`, WARNING) or shows an
/// error page about the redirect URI (`ExpectRedirectUriErrorPage`); answering
/// `request_not_supported` at the registered URI fails
/// (`EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri`, FAILURE).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    let host = Host::start().await;
    if none_unsupported(&host).await {
        return;
    }
    let jwks = host.server_jwks().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant);
        let object = unsigned_request_object(&request);
        let invalid = format!("{}_invalid", CLIENT.redirect_uri);
        let outer = outer_request(&request, "request", &object, &invalid);
        match browser.authorize(&host, &outer, Some(&BUFFY)).await {
            Landing::Page { status, body } => {
                assert!(
                    (400..500).contains(&status),
                    "ExpectRedirectUriErrorPage: {status} {body}"
                );
                assert!(body.contains("redirect_uri"), "ExpectRedirectUriErrorPage: {body}");
            }
            Landing::Callback(callback) => {
                assert_ne!(
                    callback.get("error"),
                    Some("request_not_supported"),
                    "EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri"
                );
                check_request_parameter_supported(&host).await;
                complete_flow(&host, &jwks, &host.issuer(), request, callback, &[]).await;
            }
        }
    }
}

/// Serves `object` as `application/jwt` at a loopback URL (the suite's `request_uri` handler)
/// while the returned task runs.
async fn serve_request_object(object: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    let app = axum::Router::new().route(
        "/request.jwt",
        axum::routing::get(move || {
            let object = object.clone();
            async move { ([("content-type", "application/jwt")], object) }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/request.jwt"), task)
}

/// **`oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported`**
/// (`OIDCCRequestUriUnsignedSupportedCorrectlyOrRejectedAsUnsupported`), in the basic, implicit and
/// hybrid plans (the suite runs it for dynamically registered clients only): the request as an
/// unsigned object by reference (`BuildRequestObjectByReferenceRedirectToAuthorizationEndpoint`,
/// OIDC Core §6.2) must either be processed (the flow's conditions, FAILURE;
/// `CheckDiscEndpointRequestUriParameterSupported`, WARNING) or refused with
/// `request_uri_not_supported` (the module is then skipped).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let host = Host::start().await;
    if none_unsupported(&host).await {
        return;
    }
    let jwks = host.server_jwks().await;
    for variant in ALL_VARIANTS {
        let mut browser = Browser::new(&host);
        let request = AuthRequest::new(CLIENT, variant);
        let (uri, task) = serve_request_object(unsigned_request_object(&request)).await;
        let outer = outer_request(&request, "request_uri", &uri, CLIENT.redirect_uri);
        let callback = browser.authorize(&host, &outer, Some(&BUFFY)).await.callback();
        task.abort();
        if callback.get("error") == Some("request_uri_not_supported") {
            continue;
        }
        let metadata = host.discovery().await;
        assert_ne!(
            metadata["request_uri_parameter_supported"], false,
            "CheckDiscEndpointRequestUriParameterSupported"
        );
        complete_flow(&host, &jwks, &host.issuer(), request, callback, &[]).await;
    }
}

//! The discovery modules: `oidcc-discovery-endpoint-verification` (the config plan) and
//! `oidcc-rp-initiated-logout-discovery-endpoint-verification` (the logout plan). The host serves
//! http on loopback, so the https rules of `CheckDiscEndpointDiscoveryUrl`,
//! `AbstractJsonUriIsValidAndHttps`, `CheckDiscEndpointIssuerIsValidUrl` and
//! `CheckDiscEndpointAllEndpointsAreHttps` are checked for everything but the scheme.

use serde_json::Value;
use url::Url;

use crate::support::*;

/// Members RFC 8414 §2 and OpenID Connect Discovery §3 (and the registries the suite's schema
/// follows) define, with their JSON types.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Url,
    Text,
    Flag,
    Strings,
    Object,
}

fn kind_of(member: &str) -> Option<Kind> {
    use Kind::*;
    let kind = match member {
        "issuer"
        | "authorization_endpoint"
        | "token_endpoint"
        | "userinfo_endpoint"
        | "jwks_uri"
        | "registration_endpoint"
        | "end_session_endpoint"
        | "check_session_iframe"
        | "introspection_endpoint"
        | "revocation_endpoint"
        | "device_authorization_endpoint"
        | "pushed_authorization_request_endpoint"
        | "backchannel_authentication_endpoint"
        | "service_documentation"
        | "op_policy_uri"
        | "op_tos_uri"
        | "signed_jwks_uri"
        | "logo_uri"
        | "organization_uri"
        | "information_uri" => Url,
        "signed_metadata" | "organization_name" | "display_name" | "description" => Text,
        "claims_parameter_supported"
        | "request_parameter_supported"
        | "request_uri_parameter_supported"
        | "require_request_uri_registration"
        | "frontchannel_logout_supported"
        | "frontchannel_logout_session_supported"
        | "backchannel_logout_supported"
        | "backchannel_logout_session_supported"
        | "tls_client_certificate_bound_access_tokens"
        | "require_pushed_authorization_requests"
        | "require_signed_request_object"
        | "authorization_response_iss_parameter_supported"
        | "backchannel_user_code_parameter_supported" => Flag,
        "jwks" | "mtls_endpoint_aliases" => Object,
        "scopes_supported"
        | "response_types_supported"
        | "response_modes_supported"
        | "grant_types_supported"
        | "acr_values_supported"
        | "subject_types_supported"
        | "id_token_signing_alg_values_supported"
        | "id_token_encryption_alg_values_supported"
        | "id_token_encryption_enc_values_supported"
        | "userinfo_signing_alg_values_supported"
        | "userinfo_encryption_alg_values_supported"
        | "userinfo_encryption_enc_values_supported"
        | "request_object_signing_alg_values_supported"
        | "request_object_encryption_alg_values_supported"
        | "request_object_encryption_enc_values_supported"
        | "token_endpoint_auth_methods_supported"
        | "token_endpoint_auth_signing_alg_values_supported"
        | "display_values_supported"
        | "claim_types_supported"
        | "claims_supported"
        | "claims_locales_supported"
        | "ui_locales_supported"
        | "revocation_endpoint_auth_methods_supported"
        | "revocation_endpoint_auth_signing_alg_values_supported"
        | "introspection_endpoint_auth_methods_supported"
        | "introspection_endpoint_auth_signing_alg_values_supported"
        | "code_challenge_methods_supported"
        | "prompt_values_supported"
        | "dpop_signing_alg_values_supported"
        | "authorization_details_types_supported"
        | "backchannel_token_delivery_modes_supported"
        | "backchannel_authentication_request_signing_alg_values_supported"
        | "introspection_signing_alg_values_supported"
        | "introspection_encryption_alg_values_supported"
        | "introspection_encryption_enc_values_supported"
        | "authorization_signing_alg_values_supported"
        | "authorization_encryption_alg_values_supported"
        | "authorization_encryption_enc_values_supported" => Strings,
        _ => return None,
    };
    Some(kind)
}

/// `AbstractJsonUriIsValidAndHttps` without the scheme rule: an absolute URL with a host.
fn check_url(metadata: &Value, member: &str) {
    let text = metadata[member]
        .as_str()
        .unwrap_or_else(|| panic!("{member}: a string"));
    let url = Url::parse(text).unwrap_or_else(|_| panic!("{member}: a URL"));
    assert!(url.host_str().is_some(), "{member}: a URL with a host");
}

/// Whether `array` (a metadata member) holds `value`.
fn lists(metadata: &Value, member: &str, value: &str) -> bool {
    metadata[member]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v == value))
}

/// **`oidcc-discovery-endpoint-verification`** (`OIDCCDiscoveryEndpointVerification`), in
/// `oidcc-config-certification-test-plan` (static client). FAILURE: `EnsureDiscoveryEndpointResponseStatusCodeIs200`,
/// `CheckDiscoveryEndpointReturnedJsonContentType` (OIDC Discovery §4),
/// `OIDCCCheckDiscEndpointResponseTypesSupported` (one of OpenID's response types),
/// `CheckDiscEndpointDiscoveryUrl`, `CheckDiscEndpointIssuer` (the issuer is the discovery URL
/// without `/.well-known/openid-configuration`, §4.3), `CheckDiscEndpointIssuerIsValidUrl` (RFC 8414
/// §2: no query or fragment), `ValidateServerMetadataAgainstSchema` (each known member's type),
/// `CheckDiscEndpointSubjectTypesSupported`, `OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported`
/// (RS256), `OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported` (if present),
/// `CheckDiscEndpointAuthorizationEndpoint`, `CheckDiscEndpointTokenEndpoint`,
/// `CheckDiscEndpointUserinfoEndpoint` (missing: WARNING), `CheckDiscEndpointRegistrationEndpoint`
/// (if present), `CheckJwksUri`, `FetchServerKeys` + `ValidateJwksSequence`,
/// `OIDCCCheckDiscEndpointGrantTypesSupported` (a non-empty array if present),
/// `CheckDiscEndpointScopesSupportedContainsOpenId` (missing: WARNING),
/// `CheckDiscEndpointScopesSupportedSyntax` (RFC 6749 §3.3 scope-tokens),
/// `CheckDiscEndpointLocalesSyntax` (BCP 47), `EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray`.
/// WARNING: `CheckForUnexpectedParametersInServerMetadata` (no member outside the registries),
/// `CheckDiscEndpointRequestObjectSigningAlgValuesSupportedIncludesRS256` (if present),
/// `OIDCCCheckDiscEndpointClaimsSupported` (an array), `CheckDiscEndpointLocalesCanonicalCasing`.
/// INFO only (not asserted): `request_parameter_supported`, `request_uri_parameter_supported`,
/// `claims_parameter_supported`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_discovery_endpoint_verification() {
    let host = Host::start().await;
    let (status, content_type, metadata) = host.discovery_response().await;
    assert_eq!(status, 200, "EnsureDiscoveryEndpointResponseStatusCodeIs200");
    assert!(
        content_type.starts_with("application/json"),
        "CheckDiscoveryEndpointReturnedJsonContentType: {content_type}"
    );

    let openid_types = [
        "code",
        "code id_token",
        "id_token",
        "token id_token",
        "id_token token",
        "code id_token token",
        "code token",
    ];
    let response_types = metadata["response_types_supported"]
        .as_array()
        .expect("OIDCCCheckDiscEndpointResponseTypesSupported");
    assert!(
        response_types
            .iter()
            .any(|t| t.as_str().is_some_and(|t| openid_types.contains(&t))),
        "OIDCCCheckDiscEndpointResponseTypesSupported"
    );

    let discovery_url = Url::parse(&host.discovery_url()).expect("a URL");
    assert!(
        discovery_url.path().ends_with("/.well-known/openid-configuration"),
        "CheckDiscEndpointDiscoveryUrl"
    );
    let issuer = metadata["issuer"].as_str().expect("CheckDiscEndpointIssuer: an issuer");
    let expected = host
        .discovery_url()
        .trim_end_matches(".well-known/openid-configuration")
        .trim_end_matches('/')
        .to_owned();
    assert_eq!(issuer.trim_end_matches('/'), expected, "CheckDiscEndpointIssuer");
    let issuer_url = Url::parse(issuer).expect("CheckDiscEndpointIssuerIsValidUrl: a URL");
    assert!(
        issuer_url.query().is_none() && issuer_url.fragment().is_none(),
        "CheckDiscEndpointIssuerIsValidUrl"
    );

    let members = metadata.as_object().expect("a JSON object");
    for (member, value) in members {
        let kind = kind_of(member).unwrap_or_else(|| panic!("CheckForUnexpectedParametersInServerMetadata: {member}"));
        match kind {
            Kind::Url => check_url(&metadata, member),
            Kind::Text => assert!(value.is_string(), "ValidateServerMetadataAgainstSchema: {member}"),
            Kind::Flag => assert!(value.is_boolean(), "ValidateServerMetadataAgainstSchema: {member}"),
            Kind::Object => assert!(value.is_object(), "ValidateServerMetadataAgainstSchema: {member}"),
            Kind::Strings => assert!(
                value.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
                "ValidateServerMetadataAgainstSchema: {member} is an array of strings"
            ),
        }
    }

    assert!(
        lists(&metadata, "subject_types_supported", "public")
            || lists(&metadata, "subject_types_supported", "pairwise"),
        "CheckDiscEndpointSubjectTypesSupported"
    );
    assert!(
        lists(&metadata, "id_token_signing_alg_values_supported", "RS256"),
        "OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported"
    );
    if let Some(algs) = metadata.get("userinfo_signing_alg_values_supported") {
        assert!(
            algs.is_array(),
            "OIDCCCheckDiscEndpointUserinfoSigningAlgValuesSupported"
        );
    }
    check_url(&metadata, "authorization_endpoint");
    check_url(&metadata, "token_endpoint");
    assert!(
        metadata.get("userinfo_endpoint").is_some(),
        "CheckDiscEndpointUserinfoEndpoint (WARNING when missing)"
    );
    check_url(&metadata, "userinfo_endpoint");
    if metadata.get("registration_endpoint").is_some() {
        check_url(&metadata, "registration_endpoint");
    }
    check_url(&metadata, "jwks_uri");
    host.server_jwks().await;

    if metadata.get("request_object_signing_alg_values_supported").is_some() {
        assert!(
            lists(&metadata, "request_object_signing_alg_values_supported", "RS256"),
            "CheckDiscEndpointRequestObjectSigningAlgValuesSupportedIncludesRS256"
        );
    }
    assert!(
        metadata["claims_supported"].is_array(),
        "OIDCCCheckDiscEndpointClaimsSupported"
    );
    if let Some(grants) = metadata.get("grant_types_supported") {
        assert!(
            grants.as_array().is_some_and(|g| !g.is_empty()),
            "OIDCCCheckDiscEndpointGrantTypesSupported"
        );
    }
    assert!(
        metadata.get("scopes_supported").is_some(),
        "CheckDiscEndpointScopesSupportedContainsOpenId (WARNING when missing)"
    );
    assert!(
        lists(&metadata, "scopes_supported", "openid"),
        "CheckDiscEndpointScopesSupportedContainsOpenId"
    );
    for scope in metadata["scopes_supported"].as_array().into_iter().flatten() {
        let scope = scope
            .as_str()
            .expect("CheckDiscEndpointScopesSupportedSyntax: a string");
        assert!(
            !scope.is_empty()
                && scope
                    .chars()
                    .all(|c| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
            "CheckDiscEndpointScopesSupportedSyntax: {scope}"
        );
    }
    for member in ["ui_locales_supported", "claims_locales_supported"] {
        for tag in metadata[member].as_array().into_iter().flatten() {
            let tag = tag.as_str().expect("CheckDiscEndpointLocalesSyntax: a string");
            let subtags: Vec<&str> = tag.split('-').collect();
            assert!(
                subtags
                    .iter()
                    .all(|s| !s.is_empty() && s.len() <= 8 && s.chars().all(|c| c.is_ascii_alphanumeric())),
                "CheckDiscEndpointLocalesSyntax: {tag}"
            );
            assert!(
                subtags[0].chars().all(|c| c.is_ascii_lowercase()),
                "CheckDiscEndpointLocalesCanonicalCasing: {tag}"
            );
        }
    }
    if let Some(methods) = metadata.get("code_challenge_methods_supported") {
        let methods = methods
            .as_array()
            .expect("EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray");
        assert!(
            methods.is_empty() || methods.iter().any(|m| m == "S256" || m == "plain"),
            "EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray"
        );
    }
}

/// **`oidcc-rp-initiated-logout-discovery-endpoint-verification`**
/// (`OIDCCRpInitiatedLogoutDiscoveryEndpointVerification`), in
/// `oidcc-rp-initiated-logout-certification-test-plan`: `CheckDiscEndSessionEndpoint` (FAILURE,
/// OIDC RP-Initiated Logout §2.1): `end_session_endpoint` is a URL (`CheckDiscEndpointAllEndpointsAreHttps`
/// does not apply on loopback http).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() {
    let host = Host::start().await;
    let metadata = host.discovery().await;
    check_url(&metadata, "end_session_endpoint");
}

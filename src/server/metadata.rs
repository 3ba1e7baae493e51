//! The discovery documents: `{issuer}/.well-known/oauth-authorization-server` (RFC 8414) and
//! `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0), in the shape of
//! Okta's "Retrieve authorization server metadata" and "Retrieve OpenID configuration".
//!
//! They advertise what this crate implements, not Okta's whole catalogue:
//!
//! - endpoints: authorize, token, introspect, revoke, keys, userinfo (OpenID document only) and
//!   `end_session_endpoint` (logout); no device authorization, PAR or CIBA endpoints;
//! - `registration_endpoint` is `{base}/oauth2/v1/clients`, the client registration API the
//!   management API serves (RFC 7591 in Okta's shape). As on Okta, it is advertised by every
//!   server and needs the management API's caller authentication (RFC 7591 §3 allows an
//!   initial access token);
//! - `response_types_supported`: `code`, `token`, `id_token` and their combinations;
//!   `grant_types_supported`: the five grants, in both documents (Okta leaves bare `token` and
//!   `client_credentials` out of the OpenID document; this crate serves them on every server);
//! - `id_token_signing_alg_values_supported`: the algorithms of the server's published keys,
//!   the signing key's first;
//! - `scopes_supported`: the system scopes and the custom scopes published to `ALL_CLIENTS`;
//!   custom claims are never listed;
//! - `token_endpoint_auth_signing_alg_values_supported`, and the same for introspection and
//!   revocation: the algorithms client assertions are verified with (RFC 8414 §2 requires them
//!   whenever `client_secret_jwt` or `private_key_jwt` is listed): `HS256`, `HS384`, `HS512`
//!   and the algorithms of the keys clients can register;
//! - OpenID document: `claims_parameter_supported: true` and `acr_values_supported` (Okta's
//!   classes the server can evaluate from a session's `amr`; see `crate::claims`);
//! - `request_parameter_supported: true` with `request_object_signing_alg_values_supported`
//!   (the HMAC algorithms and those of keys a client can register; never `none`), and
//!   `request_uri_parameter_supported: false` (RFC 8414 §2 / OpenID Connect Discovery §3: it
//!   defaults to `true` when absent, so it is stated).
//!
//! Both take an optional `client_id` query parameter (as Okta's do). Issuers here never vary
//! by client, so it only has to name a registered client; an unknown one is 400 with Okta's
//! management-style object `{"errorCode": "invalid_client", "errorSummary": "Invalid value for
//! `client_id` parameter", …}`. The RFC 8414 host-root form
//! (`{base}/.well-known/oauth-authorization-server/oauth2/{id}`) is the host's route to the same
//! method.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::state::ServerState;
use super::{AuthServer, unrecorded_refusal};
use crate::admin::{ApiError, ApiErrorCode};
use crate::endpoint::{EndpointRequest, EndpointResponse, Params, Reason, ServerFailure, SharedJson};
use crate::model::MetadataPublish;
use crate::store::{ConfigStore, Directory, GrantStore};

/// The algorithms request objects may be signed with (`crate::authorize::request_object`): HMAC
/// with the client's secret, or the algorithm of a key the client registered. Never `none`.
pub const REQUEST_OBJECT_SIGNING_ALGS: &[&str] = &["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"];

/// The response types this crate serves at the authorize endpoint.
pub const RESPONSE_TYPES_SUPPORTED: &[&str] = &[
    "code",
    "token",
    "id_token",
    "code id_token",
    "code token",
    "id_token token",
    "code id_token token",
];

/// The response modes of the authorize endpoint.
pub const RESPONSE_MODES_SUPPORTED: &[&str] = &["query", "fragment", "form_post", "okta_post_message"];

/// The grant types of the token and authorize endpoints.
pub const GRANT_TYPES_SUPPORTED: &[&str] = &[
    "authorization_code",
    "implicit",
    "refresh_token",
    "password",
    "client_credentials",
];

/// The client authentication methods of the token, introspection and revocation endpoints.
pub const AUTH_METHODS_SUPPORTED: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];

/// The access-token claims the OAuth document lists (as Okta's does).
const ACCESS_TOKEN_CLAIMS: &[&str] = &["ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"];

/// The ID-token and userinfo claims the OpenID document lists (as Okta's does).
const ID_TOKEN_CLAIMS: &[&str] = &[
    "iss",
    "ver",
    "sub",
    "aud",
    "iat",
    "exp",
    "jti",
    "auth_time",
    "amr",
    "idp",
    "nonce",
    "name",
    "nickname",
    "preferred_username",
    "given_name",
    "middle_name",
    "family_name",
    "email",
    "email_verified",
    "profile",
    "zoneinfo",
    "locale",
    "address",
    "phone_number",
    "phone_number_verified",
    "picture",
    "website",
    "gender",
    "birthdate",
    "updated_at",
    "at_hash",
    "c_hash",
];

/// Which document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Document {
    OAuth,
    OpenId,
}

impl<C: ConfigStore, D: Directory, G: GrantStore> AuthServer<C, D, G> {
    /// `GET {issuer}/.well-known/oauth-authorization-server` of server `server_id` (RFC 8414):
    /// the endpoints, response types and modes, grant types, client authentication methods,
    /// PKCE methods and published scopes this server supports (no userinfo endpoint, and the
    /// access-token claims). An optional `client_id` query parameter must name a registered
    /// client (else 400 `invalid_client` in Okta's error object). An unknown or deactivated
    /// server is `404 E0000007`.
    pub async fn authorization_server_metadata(
        &self,
        server_id: &str,
        request: &EndpointRequest<'_>,
    ) -> EndpointResponse {
        self.metadata(server_id, request, Document::OAuth).await
    }

    /// `GET {issuer}/.well-known/openid-configuration` of server `server_id` (OpenID Connect
    /// Discovery 1.0 §4): as [`authorization_server_metadata`](Self::authorization_server_metadata)
    /// plus `userinfo_endpoint`, `id_token_signing_alg_values_supported` and the ID-token claims.
    pub async fn openid_configuration(&self, server_id: &str, request: &EndpointRequest<'_>) -> EndpointResponse {
        self.metadata(server_id, request, Document::OpenId).await
    }

    async fn metadata(&self, server_id: &str, request: &EndpointRequest<'_>, document: Document) -> EndpointResponse {
        let now = self.now();
        let state = match self.active_state_at(server_id, now).await {
            Ok(state) => state,
            Err(unavailable) => return unavailable.response(),
        };
        let Ok(params) = Params::parse(request.query) else {
            return Reason::RepeatedParameter.error().response();
        };
        if let Some(client_id) = params.get("client_id") {
            match self.directory().client(client_id).await {
                Ok(Some(_)) => {}
                Ok(None) => return invalid_client_id(),
                Err(error) => return unrecorded_refusal(&Reason::from(error)),
            }
        }
        let cached = match document {
            Document::OAuth => &state.documents.oauth_metadata,
            Document::OpenId => &state.documents.openid_configuration,
        };
        let body = cached.get_or_build(&state.ring, self.management.rotation(), now, || {
            SharedJson::new(Value::Object(self.metadata_document(&state, document, now)))
        });
        match body {
            Ok(body) => EndpointResponse::shared_json(200, body),
            Err(error) => unrecorded_refusal(&Reason::from(ServerFailure::from(error))),
        }
    }

    /// The document's members: a pure function of the server's state, the base URL and the keys
    /// published at `now`, built once per state and published-key set (see
    /// [`documents`](super::documents)), so a field added here is cached with the rest.
    fn metadata_document(&self, state: &ServerState, document: Document, now: OffsetDateTime) -> Map<String, Value> {
        let issuer = &state.issuer;
        let endpoint = |path: &str| Value::String(format!("{issuer}/v1/{path}"));
        let list = |items: &[&str]| json!(items);
        let scopes: Vec<&str> = state
            .config
            .scopes
            .iter()
            .filter(|scope| scope.system || scope.metadata_publish() == MetadataPublish::AllClients)
            .map(|scope| scope.name.as_str())
            .collect();
        let mut doc = Map::new();
        let mut put = |name: &str, value: Value| {
            doc.insert(name.to_owned(), value);
        };
        put("issuer", Value::String(issuer.clone()));
        put("authorization_endpoint", endpoint("authorize"));
        put("token_endpoint", endpoint("token"));
        if document == Document::OpenId {
            put("userinfo_endpoint", endpoint("userinfo"));
        }
        put(
            "registration_endpoint",
            Value::String(format!("{}/oauth2/v1/clients", self.base_url())),
        );
        put("jwks_uri", endpoint("keys"));
        put("response_types_supported", list(RESPONSE_TYPES_SUPPORTED));
        put("response_modes_supported", list(RESPONSE_MODES_SUPPORTED));
        put("grant_types_supported", list(GRANT_TYPES_SUPPORTED));
        put("subject_types_supported", json!(["public"]));
        if document == Document::OpenId {
            put(
                "id_token_signing_alg_values_supported",
                json!(self.signing_algorithms(state, now)),
            );
        }
        put("scopes_supported", json!(scopes));
        let assertion_algorithms = json!(crate::client_auth::assertion_signing_algorithms());
        put("token_endpoint_auth_methods_supported", list(AUTH_METHODS_SUPPORTED));
        put(
            "token_endpoint_auth_signing_alg_values_supported",
            assertion_algorithms.clone(),
        );
        let claims = match document {
            Document::OAuth => ACCESS_TOKEN_CLAIMS,
            Document::OpenId => ID_TOKEN_CLAIMS,
        };
        put("claims_supported", list(claims));
        put("code_challenge_methods_supported", json!(["S256"]));
        put("introspection_endpoint", endpoint("introspect"));
        put(
            "introspection_endpoint_auth_methods_supported",
            list(AUTH_METHODS_SUPPORTED),
        );
        put(
            "introspection_endpoint_auth_signing_alg_values_supported",
            assertion_algorithms.clone(),
        );
        put("revocation_endpoint", endpoint("revoke"));
        put(
            "revocation_endpoint_auth_methods_supported",
            list(AUTH_METHODS_SUPPORTED),
        );
        put(
            "revocation_endpoint_auth_signing_alg_values_supported",
            assertion_algorithms,
        );
        put("end_session_endpoint", endpoint("logout"));
        if document == Document::OpenId {
            put("claims_parameter_supported", Value::Bool(true));
            put("acr_values_supported", list(crate::claims::ACR_VALUES_SUPPORTED));
        }
        put("request_parameter_supported", Value::Bool(true));
        put("request_uri_parameter_supported", Value::Bool(false));
        put(
            "request_object_signing_alg_values_supported",
            list(REQUEST_OBJECT_SIGNING_ALGS),
        );
        doc
    }

    /// The algorithms of the published keys, the signing key's first, without repeats.
    fn signing_algorithms(&self, state: &ServerState, now: OffsetDateTime) -> Vec<String> {
        let mut algorithms = vec![state.signer.algorithm().as_str().to_owned()];
        for alg in state
            .ring
            .jwks(self.management.rotation(), now)
            .keys
            .into_iter()
            .filter_map(|key| key.alg)
        {
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        algorithms
    }
}

/// Okta's answer to an unknown `client_id` at the metadata endpoints: 400 with a
/// management-style error object. Like an unknown server (`Unavailable`), this stays outside
/// [`Reason`]: it is not an OAuth error and is recorded nowhere.
fn invalid_client_id() -> EndpointResponse {
    let error = ApiError::from(ApiErrorCode::InvalidClientId);
    EndpointResponse::json(error.status(), error.body())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::admin::Method;
    use crate::endpoint::EndpointRequest;
    use crate::server::validate::fixture::{Fixture, WEB};

    const ISSUER: &str = "https://id.example.com/oauth2/default";

    async fn document(fixture: &Fixture, openid: bool, query: &str) -> (u16, Value) {
        let request = EndpointRequest::get(query);
        let response = if openid {
            fixture.server.openid_configuration("default", &request).await
        } else {
            fixture.server.authorization_server_metadata("default", &request).await
        };
        (response.status, response.json_body().cloned().unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn oauth_metadata_advertises_what_is_implemented() {
        // RFC 8414 §2 and seed 003 "Retrieve Authorization Server Metadata".
        let fixture = Fixture::new().await;
        let (status, doc) = document(&fixture, false, "").await;
        assert_eq!(status, 200);
        assert_eq!(doc["issuer"], ISSUER);
        for (field, path) in [
            ("authorization_endpoint", "authorize"),
            ("token_endpoint", "token"),
            ("jwks_uri", "keys"),
            ("introspection_endpoint", "introspect"),
            ("revocation_endpoint", "revoke"),
            ("end_session_endpoint", "logout"),
        ] {
            assert_eq!(doc[field], format!("{ISSUER}/v1/{path}"), "{field}");
        }
        assert_eq!(doc["registration_endpoint"], "https://id.example.com/oauth2/v1/clients");
        assert!(doc.get("userinfo_endpoint").is_none(), "OpenID document only");
        assert!(doc.get("claims_parameter_supported").is_none(), "OpenID document only");
        for absent in [
            "device_authorization_endpoint",
            "pushed_authorization_request_endpoint",
            "backchannel_authentication_endpoint",
        ] {
            assert!(doc.get(absent).is_none(), "{absent} is not implemented");
        }
        assert_eq!(
            doc["response_types_supported"],
            json!([
                "code",
                "token",
                "id_token",
                "code id_token",
                "code token",
                "id_token token",
                "code id_token token"
            ])
        );
        assert_eq!(
            doc["response_modes_supported"],
            json!(["query", "fragment", "form_post", "okta_post_message"])
        );
        assert_eq!(
            doc["grant_types_supported"],
            json!([
                "authorization_code",
                "implicit",
                "refresh_token",
                "password",
                "client_credentials"
            ])
        );
        let methods = json!([
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none"
        ]);
        for field in [
            "token_endpoint_auth_methods_supported",
            "introspection_endpoint_auth_methods_supported",
            "revocation_endpoint_auth_methods_supported",
        ] {
            assert_eq!(doc[field], methods, "{field}");
        }
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["subject_types_supported"], json!(["public"]));
        // RFC 9101 §10.5 / OpenID Connect Discovery §3: request objects by value, signed only;
        // request_uri stated unsupported (its default is true).
        assert_eq!(doc["request_parameter_supported"], true);
        assert_eq!(doc["request_uri_parameter_supported"], false);
        assert_eq!(
            doc["request_object_signing_alg_values_supported"],
            json!(["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"])
        );
        assert_eq!(
            doc["claims_supported"],
            json!(["ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"])
        );
    }

    #[tokio::test]
    async fn jwt_client_authentication_comes_with_its_signing_algorithms() {
        // RFC 8414 §2: `token_endpoint_auth_signing_alg_values_supported` "MUST be present if
        // either of these authentication methods [private_key_jwt, client_secret_jwt] are
        // specified in the token_endpoint_auth_methods_supported entry … The value "none" MUST
        // NOT be used"; likewise for introspection and revocation. Authlib's
        // `AuthorizationServerMetadata._validate_alg_values` enforces it.
        let fixture = Fixture::new().await;
        for openid in [false, true] {
            let (_, doc) = document(&fixture, openid, "").await;
            for endpoint in ["token_endpoint", "introspection_endpoint", "revocation_endpoint"] {
                let methods = doc[format!("{endpoint}_auth_methods_supported")].as_array().unwrap();
                assert!(methods.contains(&json!("private_key_jwt")) && methods.contains(&json!("client_secret_jwt")));
                // What client authentication accepts (`client_auth` tests sign with each).
                let algorithms = &doc[format!("{endpoint}_auth_signing_alg_values_supported")];
                assert_eq!(
                    algorithms,
                    &json!(crate::client_auth::assertion_signing_algorithms()),
                    "{endpoint}, openid: {openid}"
                );
                for alg in ["HS256", "RS256", "ES256"] {
                    assert!(algorithms.as_array().unwrap().contains(&json!(alg)), "{alg}");
                }
                assert!(!algorithms.as_array().unwrap().contains(&json!("none")));
            }
        }
    }

    #[tokio::test]
    async fn scopes_supported_lists_system_scopes_and_published_custom_scopes() {
        // Reference §5.2: custom scopes only with `metadataPublish: ALL_CLIENTS`; custom claims
        // never.
        let fixture = Fixture::new().await;
        let (_, doc) = document(&fixture, true, "").await;
        let scopes: Vec<&str> = doc["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for scope in [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
            "flights",
        ] {
            assert!(scopes.contains(&scope), "{scope}");
        }
        assert!(!scopes.contains(&"internal"), "NO_CLIENTS scopes are not listed");
        let claims = doc["claims_supported"].as_array().unwrap();
        assert!(!claims.contains(&json!("team")) && !claims.contains(&json!("tier")));
        // A scope published later appears at once.
        fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/scopes",
                json!({"name": "later", "metadataPublish": "ALL_CLIENTS"}),
            )
            .await;
        let (_, doc) = document(&fixture, false, "").await;
        assert!(doc["scopes_supported"].as_array().unwrap().contains(&json!("later")));
    }

    #[tokio::test]
    async fn openid_configuration_adds_userinfo_signing_algorithms_and_id_token_claims() {
        // OpenID Connect Discovery 1.0 §3; seed 003 "OpenID Connect Metadata".
        let fixture = Fixture::new().await;
        let (status, doc) = document(&fixture, true, "").await;
        assert_eq!(status, 200);
        assert_eq!(doc["userinfo_endpoint"], format!("{ISSUER}/v1/userinfo"));
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            json!(["EdDSA"]),
            "the server's key algorithm"
        );
        // OpenID Connect Discovery §3: the `claims` parameter is served, and the `acr` classes a
        // request may ask for (Okta's, those evaluated from a session's `amr`).
        assert_eq!(doc["claims_parameter_supported"], true);
        assert_eq!(
            doc["acr_values_supported"],
            json!([
                "urn:okta:loa:1fa:any",
                "urn:okta:loa:1fa:pwd",
                "urn:okta:loa:2fa:any",
                "urn:okta:loa:2fa:any:ifpossible"
            ])
        );
        let claims = doc["claims_supported"].as_array().unwrap();
        assert_eq!(claims.len(), 32);
        for claim in [
            "iss",
            "sub",
            "auth_time",
            "amr",
            "idp",
            "nonce",
            "email_verified",
            "phone_number_verified",
            "at_hash",
            "c_hash",
        ] {
            assert!(claims.contains(&json!(claim)), "{claim}");
        }
        assert_eq!(doc["end_session_endpoint"], format!("{ISSUER}/v1/logout"));
    }

    #[tokio::test]
    async fn client_id_must_name_a_registered_client() {
        // Reference §3.10 / §4.1: an unknown `client_id` is 400 with Okta's error object.
        let fixture = Fixture::new().await;
        assert_eq!(document(&fixture, true, &format!("client_id={WEB}")).await.0, 200);
        for openid in [true, false] {
            let (status, body) = document(&fixture, openid, "client_id=0oanope").await;
            assert_eq!(status, 400);
            assert_eq!(body["errorCode"], "invalid_client");
            assert_eq!(body["errorSummary"], "Invalid value for `client_id` parameter");
            assert_eq!(body["errorLink"], "invalid_client");
            assert!(body["errorId"].is_string() && body["errorCauses"] == json!([]));
        }
    }

    #[tokio::test]
    async fn unknown_and_deactivated_servers_are_404() {
        let fixture = Fixture::new().await;
        let request = EndpointRequest::get("");
        assert_eq!(fixture.server.openid_configuration("nope", &request).await.status, 404);
        fixture
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/lifecycle/deactivate",
                json!({}),
            )
            .await;
        let response = fixture.server.authorization_server_metadata("default", &request).await;
        assert_eq!(response.status, 404);
        assert_eq!(response.json_body().unwrap()["errorCode"], "E0000007");
    }
}

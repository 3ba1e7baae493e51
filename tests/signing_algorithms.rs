//! Per-server signing algorithms: `credentials.signing.alg`, this library's extension of Okta's
//! `AuthorizationServerCredentialsSigningConfig` (Okta signs with RS256 only). For each of
//! RS256, PS256, ES256 and EdDSA the keys, the JWKS, the management API and the discovery
//! document follow the server's algorithm, and every token is verified **independently** by the
//! `jsonwebtoken` crate against the JWKS published at `{issuer}/v1/keys`. Unsupported values are
//! refused with `E0000001` and change nothing.
//!
//! Keys come from [`FixedKeys`], so no RSA key is generated; the clock starts at the real
//! current time, since `jsonwebtoken` checks `exp` against the system clock.

use std::sync::Arc;

use authserver::AuthServer;
use authserver::admin::{ApiRequest, ApiResponse, Caller, Method};
use authserver::clock::{Clock, ManualClock};
use authserver::endpoint::{EndpointRequest, EndpointResponse};
use authserver::jose::{self, Algorithm, Signer};
use authserver::keys::RotationSettings;
use authserver::store::{ConfigStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use authserver::testkit::{FixedKeys, fixed_signing_key};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const BASE: &str = "https://id.example.com";
const SERVERS: &str = "/api/v1/authorizationServers";
const DEFAULT: &str = "/api/v1/authorizationServers/default";

/// `jsonwebtoken`'s name for `alg`.
fn independent(alg: Algorithm) -> jsonwebtoken::Algorithm {
    match alg {
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::PS256 => jsonwebtoken::Algorithm::PS256,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
    }
}

/// The JWK `kty` and `crv` of `alg`'s keys (RFC 7518 §6, RFC 8037 §2).
fn key_type(alg: Algorithm) -> (&'static str, Option<&'static str>) {
    match alg {
        Algorithm::RS256 | Algorithm::PS256 => ("RSA", None),
        Algorithm::ES256 => ("EC", Some("P-256")),
        Algorithm::EdDSA => ("OKP", Some("Ed25519")),
    }
}

struct Issuer {
    server: Server,
    clock: Arc<ManualClock>,
}

impl Issuer {
    async fn start(settings: RotationSettings) -> Self {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("0 ns is valid");
        let clock = Arc::new(ManualClock::new(now));
        let server = AuthServer::builder(BASE)
            .key_material(Arc::new(FixedKeys::new()))
            .rotation(settings)
            .clock(clock.clone())
            .build();
        server
            .management()
            .ensure_default_server()
            .await
            .expect("default server");
        Self { server, clock }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> ApiResponse {
        let caller = Caller { id: "admin".into() };
        let bytes = body.map(|body| serde_json::to_vec(&body).expect("JSON"));
        let request = ApiRequest {
            method,
            path,
            query: "",
            body: bytes.as_deref(),
            caller: Some(&caller),
        };
        self.server.management().handle(&request).await
    }

    /// A management call that must succeed; its JSON body.
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let response = self.call(method, path, body).await;
        assert!(response.status < 300, "{path}: {} {:?}", response.status, response.body);
        response.body.unwrap_or_default()
    }

    /// `PUT` of the default server as it is, with `credentials.signing.alg` set to `alg`.
    async fn switch_default_to(&self, alg: &Value) -> ApiResponse {
        let mut server = self.admin(Method::Get, DEFAULT, None).await;
        server["credentials"]["signing"]["alg"] = alg.clone();
        self.call(Method::Put, DEFAULT, Some(server)).await
    }

    /// The JWKS at `{issuer}/v1/keys` of server `id`, as JSON.
    async fn published(&self, id: &str) -> Value {
        let response = self.server.keys(id).await;
        assert_eq!(response.status, 200);
        body(&response).clone()
    }

    /// A `client_credentials` client of the default server with a custom scope `jobs:run`:
    /// its `Authorization` header.
    async fn service_client(&self) -> String {
        let created = self
            .admin(
                Method::Post,
                "/oauth2/v1/clients",
                Some(json!({
                    "client_name": "Service", "application_type": "service",
                    "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"
                })),
            )
            .await;
        self.admin(
            Method::Post,
            &format!("{DEFAULT}/scopes"),
            Some(json!({"name": "jobs:run"})),
        )
        .await;
        let id = created["client_id"].as_str().expect("client_id");
        let secret = created["client_secret"].as_str().expect("client_secret");
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    async fn mint(&self, authorization: &str) -> String {
        let mut request = EndpointRequest::post("grant_type=client_credentials&scope=jobs%3Arun");
        request.authorization = Some(authorization);
        let response = self.server.token("default", &request).await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        body(&response)["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

fn body(response: &EndpointResponse) -> &Value {
    response.json_body().expect("a JSON body")
}

/// Verifies `token` with `jsonwebtoken` alone: the key found by `kid` in `jwks`, the algorithm
/// `alg` (the header must say so), `exp` checked.
fn verify_independently(token: &str, jwks: &Value, alg: Algorithm) -> Value {
    let jwks: JwkSet = serde_json::from_value(jwks.clone()).expect("the JWKS parses as a jsonwebtoken JwkSet");
    let header = jsonwebtoken::decode_header(token).expect("a JWS header");
    assert_eq!(header.alg, independent(alg));
    let kid = header.kid.expect("the header names its key");
    let jwk = jwks.find(&kid).unwrap_or_else(|| panic!("kid {kid} is published"));
    let key = DecodingKey::from_jwk(jwk).expect("a usable JWK");
    let mut validation = Validation::new(independent(alg));
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iss"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("{alg}: jsonwebtoken rejects the token: {e}"))
        .claims
}

/// A server created with each algorithm has an `ACTIVE` and a `NEXT` key of it: the management
/// API reports it in `credentials.signing.alg` and on every key, `/v1/keys` publishes JWKs of
/// the right `kty`, `crv` and `alg`, and the OpenID configuration lists it. Without `alg`, a
/// server gets the host's default (RS256, as Okta).
#[tokio::test]
async fn a_server_created_with_each_algorithm_publishes_keys_of_it() {
    let issuer = Issuer::start(RotationSettings::default()).await;
    for alg in Algorithm::ALL {
        let created = issuer
            .admin(
                Method::Post,
                SERVERS,
                Some(json!({
                    "name": format!("{alg} server"), "description": "d", "audiences": ["api://x"],
                    "credentials": {"signing": {"alg": alg.as_str()}}
                })),
            )
            .await;
        let id = created["id"].as_str().expect("id");
        assert_eq!(created["credentials"]["signing"]["alg"], alg.as_str());
        let shown = issuer.admin(Method::Get, &format!("{SERVERS}/{id}"), None).await;
        assert_eq!(shown["credentials"]["signing"]["alg"], alg.as_str());

        let (kty, crv) = key_type(alg);
        let jwks = issuer.published(id).await;
        let keys = jwks["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 2, "ACTIVE and NEXT");
        for key in keys {
            assert_eq!(key["alg"], alg.as_str(), "{key}");
            assert_eq!(key["kty"], kty, "{key}");
            assert_eq!(key.get("crv").and_then(Value::as_str), crv, "{key}");
            assert_eq!(key["use"], "sig");
        }
        let listed = issuer
            .admin(Method::Get, &format!("{SERVERS}/{id}/credentials/keys"), None)
            .await;
        for key in listed.as_array().expect("a key list") {
            assert_eq!(key["alg"], alg.as_str(), "{key}");
            assert_eq!(key["kty"], kty, "{key}");
        }
        let discovery = issuer.server.openid_configuration(id, &EndpointRequest::get("")).await;
        assert_eq!(
            body(&discovery)["id_token_signing_alg_values_supported"],
            json!([alg.as_str()])
        );
    }
    let plain = issuer
        .admin(
            Method::Post,
            SERVERS,
            Some(json!({"name": "plain", "description": "d", "audiences": ["api://y"]})),
        )
        .await;
    assert_eq!(plain["credentials"]["signing"]["alg"], "RS256", "Okta's default");
    let default = issuer.admin(Method::Get, DEFAULT, None).await;
    assert_eq!(default["credentials"]["signing"]["alg"], "RS256");
}

/// The host's `RotationSettings::algorithm` is the default of servers that name none, the
/// `default` server included; a server that names one gets it.
#[tokio::test]
async fn the_hosts_algorithm_is_the_default_of_servers_that_name_none() {
    let settings = RotationSettings {
        algorithm: Algorithm::EdDSA,
        ..RotationSettings::default()
    };
    let issuer = Issuer::start(settings).await;
    let default = issuer.admin(Method::Get, DEFAULT, None).await;
    assert_eq!(default["credentials"]["signing"]["alg"], "EdDSA");
    let named = issuer
        .admin(
            Method::Post,
            SERVERS,
            Some(json!({
                "name": "n", "description": "d", "audiences": ["api://x"],
                "credentials": {"signing": {"alg": "RS256"}}
            })),
        )
        .await;
    assert_eq!(named["credentials"]["signing"]["alg"], "RS256");
}

/// Switching the default server through every algorithm with `PUT`: each switch rotates at once
/// to keys of the new algorithm, tokens minted afterwards carry it and verify with
/// `jsonwebtoken` against the JWKS, and every earlier token still verifies (its key stays
/// published as `EXPIRED`) and stays active (a switch revokes nothing). Once the retention
/// ends, the old keys leave the JWKS.
#[tokio::test]
async fn switching_algorithms_rotates_and_keeps_old_tokens_verifiable() {
    let issuer = Issuer::start(RotationSettings::default()).await;
    let client = issuer.service_client().await;
    let mut earlier: Vec<(String, Algorithm)> = Vec::new();
    for alg in [Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let ring_before = issuer.server.config_store().key_ring("default").await.unwrap().unwrap();
        let response = issuer.switch_default_to(&json!(alg.as_str())).await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        let shown = response.body.expect("the server");
        assert_eq!(shown["credentials"]["signing"]["alg"], alg.as_str());
        assert_eq!(
            shown["credentials"]["signing"]["lastRotated"],
            json!(authserver::model::timestamp::format(issuer.clock.now()).unwrap()),
            "a switch is a rotation"
        );
        let ring = issuer.server.config_store().key_ring("default").await.unwrap().unwrap();
        assert_eq!(ring.active().algorithm, alg);
        assert_eq!(ring.next_key().algorithm, alg);
        assert!(
            ring.key(&ring_before.active().kid).is_some(),
            "the old ACTIVE key is kept (EXPIRED)"
        );
        assert!(
            ring.key(&ring_before.next_key().kid).is_none(),
            "the old NEXT key never signed and is dropped"
        );

        let token = issuer.mint(&client).await;
        let jwks = issuer.published("default").await;
        let claims = verify_independently(&token, &jwks, alg);
        assert_eq!(claims["scp"], json!(["jobs:run"]));
        for (old, old_alg) in &earlier {
            verify_independently(old, &jwks, *old_alg);
        }
        earlier.push((token, alg));
        issuer.clock.advance(Duration::minutes(1));
    }
    // Every token is still active at introspection: switching revokes nothing.
    for (token, _) in &earlier {
        let form = format!("token={token}");
        let mut request = EndpointRequest::post(&form);
        request.authorization = Some(&client);
        let response = issuer.server.introspect("default", &request).await;
        assert_eq!(body(&response)["active"], true);
    }
    // A PUT naming the algorithm the server has rotates nothing.
    let revision = issuer
        .server
        .config_store()
        .key_ring("default")
        .await
        .unwrap()
        .unwrap()
        .revision();
    let response = issuer.switch_default_to(&json!("RS256")).await;
    assert_eq!(response.status, 200);
    let ring = issuer.server.config_store().key_ring("default").await.unwrap().unwrap();
    assert_eq!(ring.revision(), revision);
    // After the retention (one day by default), only the RS256 keys are published.
    issuer.clock.advance(Duration::days(1));
    let jwks = issuer.published("default").await;
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|k| k["alg"].as_str())
        .collect();
    assert_eq!(algs, ["RS256", "RS256"]);
}

/// RFC 7518 §3.5: PSS signatures are randomized (a fresh salt each time), so two signatures of
/// one input differ, and both verify with an independent verifier.
#[test]
fn ps256_signatures_are_randomized_and_verify_independently() {
    let key = fixed_signing_key(Algorithm::PS256, 0);
    let claims = json!({"iss": "https://id.example.com", "sub": "s", "exp": 4_102_444_800_i64});
    let first = jose::sign(&key, None, &claims).unwrap();
    let second = jose::sign(&key, None, &claims).unwrap();
    let (input, first_sig) = first.rsplit_once('.').unwrap();
    let (same_input, second_sig) = second.rsplit_once('.').unwrap();
    assert_eq!(input, same_input, "same header and payload");
    assert_ne!(first_sig, second_sig, "PSS salts every signature");
    let jwks = json!({ "keys": [key.public_jwk()] });
    for token in [&first, &second] {
        verify_independently(token, &jwks, Algorithm::PS256);
        jose::verify(token, &serde_json::from_value(jwks.clone()).unwrap()).expect("verifies here too");
    }
    // The same RSA key under RS256 is deterministic (RFC 8017 §8.2).
    let rsa = fixed_signing_key(Algorithm::RS256, 0);
    assert_eq!(rsa.kid(), key.kid(), "one RSA key, one thumbprint");
    assert_eq!(
        jose::sign(&rsa, None, &claims).unwrap(),
        jose::sign(&rsa, None, &claims).unwrap()
    );
}

/// An unsupported `credentials.signing.alg` (an unknown or symmetric algorithm, `none`, another
/// spelling, a value that is not a string) is `400 E0000001` with a cause naming the field, on
/// create and on replace, and nothing stored changes. `null` is the same as leaving it out.
#[tokio::test]
async fn an_unsupported_alg_is_refused_and_changes_nothing() {
    let issuer = Issuer::start(RotationSettings::default()).await;
    let store = issuer.server.config_store();
    let default_before = store.load("default").await.unwrap().unwrap();
    let ring_before = store.key_ring("default").await.unwrap().unwrap();
    for bad in [
        json!("HS256"),
        json!("none"),
        json!("RS384"),
        json!("ps256"),
        json!(""),
        json!(256),
        json!(true),
        json!(["ES256"]),
        json!({"alg": "ES256"}),
    ] {
        let create = issuer
            .call(
                Method::Post,
                SERVERS,
                Some(json!({
                    "name": "n", "description": "d", "audiences": ["api://x"],
                    "credentials": {"signing": {"alg": bad}}
                })),
            )
            .await;
        let replace = issuer.switch_default_to(&bad).await;
        for response in [create, replace] {
            assert_eq!(response.status, 400, "{bad}");
            let error = response.body.expect("an error object");
            assert_eq!(error["errorCode"], "E0000001", "{bad}: {error}");
            assert_eq!(error["errorSummary"], "Api validation failed: credentials.signing.alg");
            let cause = error["errorCauses"][0]["errorSummary"].as_str().unwrap();
            assert!(cause.starts_with("credentials.signing.alg: "), "{cause}");
            assert!(cause.contains("RS256, PS256, ES256, EdDSA"), "{cause}");
        }
    }
    assert_eq!(store.servers().await.unwrap().len(), 1, "no server was created");
    assert_eq!(store.load("default").await.unwrap().unwrap(), default_before);
    assert_eq!(store.key_ring("default").await.unwrap().unwrap(), ring_before);

    let response = issuer.switch_default_to(&Value::Null).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(store.key_ring("default").await.unwrap().unwrap(), ring_before);
}

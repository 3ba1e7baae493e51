//! Token endpoint and client authentication, against seed 003 "Request a Token" (parameters,
//! token authentication methods, client_secret_jwt claims, the grant type × scope table, errors),
//! reference §3.4 / §3.5 / §4.1, and RFC 6749 / 7523 / 7636.

use std::sync::Arc;

use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::{REUSE_EVENT_TYPE, TOKEN_EVENT_TYPE};
use crate::admin::{ApiRequest, Caller, Method};
use crate::clock::{Clock, ManualClock};
use crate::cpu_pool::CpuPool;
use crate::endpoint::{EndpointRequest, EndpointResponse};
use crate::event::{MemoryEventLog, OutcomeResult, Severity};
use crate::jose::{self, Algorithm, HmacAlgorithm, Jwks, Signer, SigningKey};
use crate::model::{ClientRecord, User};
use crate::secret::{AuthorizationCode, ClientSecret, SecretHash};
use crate::server::AuthServer;
use crate::server::builder::AuthServerBuilder;
use crate::server::client_auth::CLIENT_AUTH_EVENT_TYPE;
use crate::store::grants::{AuthorizationCodeRecord, Grant, GrantId};
use crate::store::{Directory, GrantStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};

type TestServer = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const SECRET: &str = "Xq2v8r7T0pLk3mN5bC1dE4fG6hJ9kW2yZ0aQ3sR5tU7";
const REDIRECT: &str = "https://app.example.com/callback";
const TOKEN_URL: &str = "https://id.example.com/oauth2/default/v1/token";
const USER: &str = "00u1";
const PASSWORD: &str = "correct horse";
// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Harness {
    server: TestServer,
    clock: Arc<ManualClock>,
    events: Arc<MemoryEventLog>,
}

impl Harness {
    async fn new() -> Self {
        Self::on_pool(CpuPool::default()).await
    }

    /// A harness whose CPU-heavy work runs on `pool`.
    async fn on_pool(pool: CpuPool) -> Self {
        Self::built(pool, |builder| builder).await
    }

    /// A harness whose server is built by `build` from the usual builder.
    async fn built(pool: CpuPool, build: impl FnOnce(AuthServerBuilder) -> AuthServerBuilder) -> Self {
        let clock = Arc::new(ManualClock::new(datetime!(2024-01-01 0:00 UTC)));
        let events = Arc::new(MemoryEventLog::default());
        let builder = crate::server::tests::in_memory_builder(clock.clone(), events.clone(), pool);
        let server = build(builder).build();
        server.management().ensure_default_server().await.unwrap();
        let user: User = serde_json::from_value(json!({
            "id": USER, "status": "ACTIVE",
            "profile": {"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada"}
        }))
        .unwrap();
        server.directory().add_user(user, Some(PASSWORD)).unwrap();
        let harness = Self { server, clock, events };
        harness
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/scopes",
                json!({"name": "api:read", "default": true}),
            )
            .await;
        harness
            .admin(
                Method::Post,
                "/api/v1/authorizationServers/default/scopes",
                json!({"name": "api:write"}),
            )
            .await;
        harness
    }

    async fn admin(&self, method: Method, path: &str, body: Value) -> Value {
        let caller = Caller { id: "admin".into() };
        let body = serde_json::to_vec(&body).unwrap();
        let request = ApiRequest {
            method,
            path,
            query: "",
            body: Some(&body),
            caller: Some(&caller),
        };
        let response = self.server.management().handle(&request).await;
        assert!(response.status < 300, "{path}: {} {:?}", response.status, response.body);
        response.body.unwrap_or_default()
    }

    /// Registers a client directly in the directory, with [`SECRET`] when its method uses one,
    /// and assigns the test user to it.
    async fn client(&self, id: &str, method: &str, grant_types: &[&str], extra: Value) -> ClientRecord {
        let mut body = json!({
            "client_id": id, "client_name": id, "redirect_uris": [REDIRECT],
            "response_types": ["code"], "grant_types": grant_types,
            "token_endpoint_auth_method": method, "application_type": "web"
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let mut record: ClientRecord = serde_json::from_value(body).unwrap();
        if record.client.token_endpoint_auth_method.uses_secret() {
            record.client_secret_hash = Some(SecretHash::of(SECRET));
        }
        self.server.directory().put_client(record.clone()).await.unwrap();
        self.server.directory().assign_user(id, USER).unwrap();
        record
    }

    async fn post(&self, form: &str, authorization: Option<&str>) -> EndpointResponse {
        let mut request = EndpointRequest::post(form);
        request.authorization = authorization;
        self.server.token("default", &request).await
    }

    async fn jwks(&self) -> Jwks {
        serde_json::from_value(self.server.keys("default").await.json_body().cloned().unwrap()).unwrap()
    }

    async fn claims(&self, token: &str) -> Value {
        jose::verify(token, &self.jwks().await).unwrap().claims().unwrap()
    }

    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Inserts an authorization code for `client_id` and [`USER`] with `scopes`.
    async fn code(
        &self,
        client_id: &str,
        scopes: &[&str],
        challenge: Option<&str>,
        nonce: Option<&str>,
    ) -> (String, GrantId) {
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let grant = test_grant(client_id, scopes, self.now());
        let id = grant.id.clone();
        let record = AuthorizationCodeRecord {
            code_hash: code.hash(),
            grant,
            redirect_uri: Some(REDIRECT.to_owned()),
            code_challenge: challenge.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            expires_at: self.now() + Duration::minutes(5),
        };
        self.server.grants().insert_code(record).await.unwrap();
        (code.expose().to_owned(), id)
    }

    fn token_events(&self, outcome: OutcomeResult) -> Vec<crate::event::Event> {
        self.events
            .all()
            .into_iter()
            .filter(|e| e.event_type == TOKEN_EVENT_TYPE && e.outcome.result == outcome)
            .collect()
    }
}

fn test_grant(client_id: &str, scopes: &[&str], now: OffsetDateTime) -> Grant {
    Grant {
        id: GrantId::generate(&crate::random::SystemRandom).unwrap(),
        authorization_server_id: "default".into(),
        client_id: client_id.into(),
        user_id: Some(USER.into()),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        grant_type: "authorization_code".into(),
        policy_id: "pol".into(),
        rule_id: "rul".into(),
        access_token_lifetime_minutes: 60,
        refresh_token_lifetime_minutes: None,
        refresh_token_window_minutes: 10080,
        auth_time: Some(now),
        amr: vec!["pwd".into()],
        acr: None,
        requested_claims: None,
        issued_at: now,
    }
}

/// A seeded randomness source that notes the length of every draw.
struct NotedDraws {
    seed: u64,
    source: crate::random::SeededRandom,
    lengths: std::sync::Mutex<Vec<usize>>,
}

impl crate::random::Randomness for NotedDraws {
    fn fill(&self, out: &mut [u8]) -> Result<(), crate::crypto::CryptoError> {
        self.lengths.lock().unwrap().push(out.len());
        self.source.fill(out)
    }
}

impl NotedDraws {
    /// A harness drawing from a noted source.
    async fn harness() -> (Harness, Arc<Self>) {
        let noted = Arc::new(Self {
            seed: 7,
            source: crate::random::SeededRandom::new(7),
            lengths: std::sync::Mutex::new(Vec::new()),
        });
        let random = Arc::clone(&noted);
        let harness = Harness::built(CpuPool::default(), |builder| builder.randomness(random)).await;
        (harness, noted)
    }

    /// The lengths drawn since the last call, forgotten.
    fn take(&self) -> Vec<usize> {
        std::mem::take(&mut *self.lengths.lock().unwrap())
    }

    /// The same stream past its first `skipped` bytes, and the access token id a grant drawing
    /// from there at `now` makes, part by part (its grant's id, then the token's): the stream is
    /// handed back at the grant's next draw.
    fn replay_access_token_id(&self, skipped: usize, now: OffsetDateTime) -> (crate::random::SeededRandom, String) {
        let replay = crate::random::SeededRandom::new(self.seed);
        let random: &dyn crate::random::Randomness = &replay;
        random.fill(&mut vec![0; skipped]).unwrap();
        let grant = GrantId::generate(random).unwrap();
        let jti = crate::claims::access_token_id(&grant, now, random).unwrap();
        (replay, jti)
    }
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn body(response: &EndpointResponse) -> &Value {
    response.json_body().unwrap()
}

fn assert_error(response: &EndpointResponse, status: u16, error: &str, description: &str) {
    assert_eq!(response.status, status, "{:?}", response.body);
    assert_eq!(body(response)["error"], error, "{:?}", response.body);
    assert_eq!(body(response)["error_description"], description);
}

fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

fn assertion_claims(client_id: &str, now: OffsetDateTime) -> Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": TOKEN_URL,
        "iat": now.unix_timestamp(), "exp": (now + Duration::minutes(5)).unix_timestamp(),
        "jti": format!("jti-{}", AuthorizationCode::generate(&crate::random::SystemRandom).unwrap().expose())
    })
}

fn assertion_form(assertion: &str) -> String {
    format!(
        "grant_type=client_credentials&scope=api%3Awrite&client_assertion_type={}&client_assertion={assertion}",
        enc("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    )
}

const CC: &str = "grant_type=client_credentials&scope=api%3Awrite";

// ---------------------------------------------------------------------------------------------
// Client authentication (seed 003 "Token Authentication Methods"; RFC 6749 §2.3; reference §4.1)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn client_secret_basic_authenticates_and_a_wrong_secret_gets_a_basic_challenge() {
    // RFC 6749 §2.3.1 and §5.2: 401 invalid_client with WWW-Authenticate when the header was used.
    // Seed 003 token errors, invalid_client: "authentication failed". A malformed Basic header is
    // listed under invalid_request in seed 003's tables, but answered invalid_client as in Okta's
    // catalogue (reference §4.1 "Found Authentication header but was not valid client
    // credentials."): a judged spec conflict, see docs/seed-coverage.md.
    let h = Harness::new().await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    let ok = h.post(CC, Some(&basic("svc", SECRET))).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let bad = h.post(CC, Some(&basic("svc", "wrong-secret"))).await;
    assert_error(
        &bad,
        401,
        "invalid_client",
        // Issue 14: a wrong secret reads like an unknown client, so ids cannot be enumerated.
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    assert_eq!(bad.header("WWW-Authenticate"), Some("Basic realm=\"authserver\""));
    let malformed = h.post(CC, Some("Basic !!!")).await;
    assert_error(
        &malformed,
        401,
        "invalid_client",
        "Found Authentication header but was not valid client credentials.",
    );
    assert!(malformed.header("WWW-Authenticate").is_some());
    // The secret was checked against the stored digest, and the failure is in the event log.
    let refused = h
        .events
        .all()
        .into_iter()
        .find(|e| e.event_type == CLIENT_AUTH_EVENT_TYPE)
        .unwrap();
    assert_eq!(refused.reason_code(), Some("invalid_client_secret"));
}

#[tokio::test]
async fn client_secret_post_authenticates_without_a_challenge_header() {
    let h = Harness::new().await;
    h.client("svc", "client_secret_post", &["client_credentials"], json!({}))
        .await;
    let ok = h
        .post(&format!("{CC}&client_id=svc&client_secret={SECRET}"), None)
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let bad = h.post(&format!("{CC}&client_id=svc&client_secret=nope"), None).await;
    assert_error(
        &bad,
        401,
        "invalid_client",
        // Issue 14: a wrong secret reads like an unknown client, so ids cannot be enumerated.
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    assert_eq!(bad.header("WWW-Authenticate"), None, "no Authorization header was used");
}

#[tokio::test]
async fn the_registered_method_must_be_the_one_used() {
    // Seed 003: the client's token_endpoint_auth_method decides; a basic client posting its
    // secret in the form is refused, and so is a confidential client sending only its id.
    let h = Harness::new().await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    let post = h
        .post(&format!("{CC}&client_id=svc&client_secret={SECRET}"), None)
        .await;
    assert_error(
        &post,
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    let id_only = h.post(&format!("{CC}&client_id=svc"), None).await;
    assert_eq!(id_only.status, 401);
}

#[tokio::test]
async fn two_methods_at_once_are_invalid_request() {
    // Seed 003: "Use only one of these methods in a single request or an error will occur."
    // Seed 003 token errors, invalid_request: "both header and form parameters were used for
    // authentication".
    let h = Harness::new().await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    let description = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.";
    let both = h
        .post(
            &format!("{CC}&client_id=svc&client_secret={SECRET}"),
            Some(&basic("svc", SECRET)),
        )
        .await;
    assert_error(&both, 400, "invalid_request", description);
    let secret_and_assertion = h
        .post(
            &format!("{}&client_id=svc&client_secret={SECRET}", assertion_form("a.b.c")),
            None,
        )
        .await;
    assert_error(&secret_and_assertion, 400, "invalid_request", description);
}

#[tokio::test]
async fn missing_unknown_and_inactive_clients_are_invalid_client() {
    // Seed 003 error example: 401 "No client credentials found."
    // Seed 003 token errors, invalid_client: "The specified client ID wasn't found". (The table's
    // invalid_request "no authentication information was provided" is answered invalid_client,
    // as the seed's own error example and reference §4.1 `missing_client_credentials` say.)
    let h = Harness::new().await;
    h.client(
        "off",
        "client_secret_basic",
        &["client_credentials"],
        json!({"status": "INACTIVE"}),
    )
    .await;
    assert_error(
        &h.post(CC, None).await,
        401,
        "invalid_client",
        "No client credentials found.",
    );
    let unknown = h.post(CC, Some(&basic("ghost", SECRET))).await;
    assert_error(
        &unknown,
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    assert_eq!(h.post(CC, Some(&basic("off", SECRET))).await.status, 401);
    let public_unknown = h.post(&format!("{CC}&client_id=ghost"), None).await;
    assert_error(
        &public_unknown,
        401,
        "invalid_client",
        "Client authentication failed. Either the client or the client credentials are invalid.",
    );
    // A known confidential client that sent no secret reads the same.
    let no_secret = h.post(&format!("{CC}&client_id=svc"), None).await;
    assert_eq!(body(&no_secret), body(&public_unknown));
}

#[tokio::test]
async fn credentials_in_the_query_string_are_refused() {
    // Reference §4.1: "Client credentials cannot be supplied via query parameters."
    let h = Harness::new().await;
    h.client("svc", "client_secret_post", &["client_credentials"], json!({}))
        .await;
    let form = format!("{CC}&client_id=svc");
    let mut request = EndpointRequest::post(&form);
    let query = format!("client_secret={SECRET}");
    request.query = &query;
    let response = h.server.token("default", &request).await;
    assert_error(
        &response,
        400,
        "invalid_request",
        "Client credentials cannot be supplied via query parameters.",
    );
}

#[tokio::test]
async fn client_secret_jwt_verifies_with_the_directory_key_and_enforces_the_seed_claims() {
    // Seed 003 "Token Claims for Client Authentication with Client Secret JWT".
    let h = Harness::new().await;
    h.client("jwt", "client_secret_jwt", &["client_credentials"], json!({}))
        .await;
    let now = h.now();
    let sign = |claims: &Value| jose::sign_hmac(HmacAlgorithm::HS256, SECRET.as_bytes(), claims).unwrap();

    // Without a key from the directory the client cannot authenticate (hashed secrets).
    let claims = assertion_claims("jwt", now);
    let no_key = h.post(&assertion_form(&sign(&claims)), None).await;
    assert_eq!(no_key.status, 401);
    h.server
        .directory()
        .set_client_secret_jwt_key("jwt", Some(ClientSecret::from_received(SECRET)));

    let good = h.post(&assertion_form(&sign(&claims)), None).await;
    assert_eq!(good.status, 200, "{:?}", good.body);
    // HS512 too.
    let hs512 = jose::sign_hmac(HmacAlgorithm::HS512, SECRET.as_bytes(), &assertion_claims("jwt", now)).unwrap();
    assert_eq!(h.post(&assertion_form(&hs512), None).await.status, 200);
    // jti single use.
    let replay = h.post(&assertion_form(&sign(&claims)), None).await;
    assert_error(
        &replay,
        401,
        "invalid_client",
        "The client_assertion token has already been used.",
    );

    let cases: [(&str, Value, &str); 7] = [
        (
            "aud",
            json!("https://id.example.com/oauth2/default"),
            "The audience [aud] claim for client_assertion must be the endpoint invoked for the client.",
        ),
        (
            "exp",
            json!((now + Duration::minutes(62)).unix_timestamp()),
            "The client_assertion token has an expiration too far into the future.",
        ),
        (
            "exp",
            json!((now - Duration::seconds(1)).unix_timestamp()),
            "The client_assertion token is expired.",
        ),
        (
            "exp",
            Value::Null,
            "The client_assertion token must contain an expiration [exp] claim.",
        ),
        (
            "iat",
            json!((now + Duration::minutes(5)).unix_timestamp()),
            "The client_assertion token was issued in the future.",
        ),
        (
            "jti",
            Value::Null,
            "The client_assertion token must contain a valid 'jti' claim.",
        ),
        (
            "iss",
            json!("other"),
            "The issuer [iss] and subject [sub] claims of the client_assertion must be the client_id.",
        ),
    ];
    for (claim, value, description) in cases {
        let mut claims = assertion_claims("jwt", now);
        claims[claim] = value;
        let response = h.post(&assertion_form(&sign(&claims)), None).await;
        assert_error(&response, 401, "invalid_client", description);
    }
    // A token signed with another secret.
    let forged = jose::sign_hmac(HmacAlgorithm::HS256, &[7u8; 43], &assertion_claims("jwt", now)).unwrap();
    assert_error(
        &h.post(&assertion_form(&forged), None).await,
        401,
        "invalid_client",
        "The client_assertion signature is invalid.",
    );
    // A key left over from before a secret rotation never authenticates.
    let mut record = std::sync::Arc::unwrap_or_clone(h.server.directory().client("jwt").await.unwrap().unwrap());
    record.client_secret_hash = Some(SecretHash::of("a-rotated-secret-that-is-long-enough-for-hmac"));
    h.server.directory().put_client(record).await.unwrap();
    assert_eq!(
        h.post(&assertion_form(&sign(&assertion_claims("jwt", now))), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn private_key_jwt_verifies_with_the_registered_jwks() {
    // OpenID Connect Core §9, RFC 7523 §3: verified by kid, or with the only key when no kid.
    let h = Harness::new().await;
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let jwks = json!({"keys": [key.public_jwk()]});
    h.client("pkj", "private_key_jwt", &["client_credentials"], json!({"jwks": jwks}))
        .await;
    let now = h.now();
    let signed = jose::sign(&key, None, &assertion_claims("pkj", now)).unwrap();
    assert_eq!(h.post(&assertion_form(&signed), None).await.status, 200);

    // No kid in the header: the only registered key is used.
    let header = jose::b64_encode(br#"{"alg":"EdDSA"}"#);
    let payload = jose::b64_encode(serde_json::to_vec(&assertion_claims("pkj", now)).unwrap());
    let input = format!("{header}.{payload}");
    let signature = jose::b64_encode(key.sign(input.as_bytes()).unwrap());
    assert_eq!(
        h.post(&assertion_form(&format!("{input}.{signature}")), None)
            .await
            .status,
        200
    );

    // Another key does not verify; an HMAC assertion is not accepted for a private_key_jwt client.
    let other = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let foreign = jose::sign(&other, None, &assertion_claims("pkj", now)).unwrap();
    assert_eq!(h.post(&assertion_form(&foreign), None).await.status, 401);
    let hmac = jose::sign_hmac(HmacAlgorithm::HS256, SECRET.as_bytes(), &assertion_claims("pkj", now)).unwrap();
    assert_eq!(h.post(&assertion_form(&hmac), None).await.status, 401);
    // The form's client_id must name the assertion's client.
    let signed = jose::sign(&key, None, &assertion_claims("pkj", now)).unwrap();
    assert_eq!(
        h.post(&format!("{}&client_id=other", assertion_form(&signed)), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn public_clients_authenticate_with_their_id_only_and_cannot_use_a_secret() {
    let h = Harness::new().await;
    h.client("spa", "none", &["password"], json!({"application_type": "browser"}))
        .await;
    let form = format!(
        "grant_type=password&username=ada%40example.com&password={}&client_id=spa",
        enc(PASSWORD)
    );
    assert_eq!(h.post(&form, None).await.status, 200);
    let with_secret = h.post(&format!("{form}&client_secret={SECRET}"), None).await;
    assert_eq!(with_secret.status, 401);
}

#[tokio::test]
async fn a_secret_issued_by_the_management_api_authenticates() {
    // src/admin/clients.rs returns the plaintext secret once; only its digest is stored.
    let h = Harness::new().await;
    let created = h
        .admin(
            Method::Post,
            "/oauth2/v1/clients",
            json!({"client_name": "svc", "grant_types": ["client_credentials"], "response_types": ["token"],
                   "application_type": "service", "redirect_uris": []}),
        )
        .await;
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    assert_eq!(h.post(CC, Some(&basic(id, secret))).await.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Request handling and grant-type errors (RFC 6749 §3.1, §3.2, §5.2; reference §4.1)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn only_post_is_accepted_and_repeated_parameters_are_refused() {
    let h = Harness::new().await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    let get = h
        .server
        .token(
            "default",
            &EndpointRequest::get(CC).with_authorization(&basic("svc", SECRET)),
        )
        .await;
    assert_eq!(get.status, 405);
    assert_eq!(get.header("Allow"), Some("POST"));
    let repeated = h
        .post(&format!("{CC}&scope=api%3Aread"), Some(&basic("svc", SECRET)))
        .await;
    assert_error(
        &repeated,
        400,
        "invalid_request",
        "The request contained multiple parameters with the same name.",
    );
}

#[tokio::test]
async fn grant_type_errors() {
    // Seed 003 token errors, unsupported_grant_type: "The grant_type is not supported."; a
    // missing grant_type is invalid_request ("The request structure was invalid"). Reference
    // §4.1 texts.
    let h = Harness::new().await;
    h.client(
        "svc",
        "client_secret_basic",
        &["client_credentials", "authorization_code"],
        json!({}),
    )
    .await;
    let auth = basic("svc", SECRET);
    assert_error(
        &h.post("scope=api%3Aread", Some(&auth)).await,
        400,
        "invalid_request",
        "The 'grant_type' parameter is required.",
    );
    for unsupported in [
        "implicit",
        "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code",
        "<script>",
    ] {
        let response = h.post(&format!("grant_type={unsupported}"), Some(&auth)).await;
        assert_eq!(body(&response)["error"], "unsupported_grant_type");
        assert!(
            !body(&response)["error_description"]
                .as_str()
                .unwrap()
                .contains("script")
        );
    }
    let password = h.post("grant_type=password&username=a&password=b", Some(&auth)).await;
    assert_error(
        &password,
        400,
        "unauthorized_client",
        "The client is not authorized to use the provided grant type. Configured grant types: [client_credentials, authorization_code].",
    );
}

// ---------------------------------------------------------------------------------------------
// client_credentials (RFC 6749 §4.4; seed 003 table row "client_credentials")
// ---------------------------------------------------------------------------------------------

/// A client-credentials grant draws its grant's id and its tokens' ids in one call to the source
/// (each call to the system's costs a system call), between the two events' ids; the values are
/// those that drawing the grant's id, then the tokens' ids, would give.
#[tokio::test]
async fn a_client_credentials_grant_draws_its_ids_in_one_call() {
    let (h, noted) = NotedDraws::harness().await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    let drawn_before: usize = noted.take().iter().sum();
    let ok = h.post(CC, Some(&basic("svc", SECRET))).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(noted.take(), [16, 16 + 80, 16], "decision event, ids, grant event");
    // Part by part: the decision event's id, then the grant's id and the access token's.
    let (_, jti) = noted.replay_access_token_id(drawn_before + 16, h.clock.now());
    let claims = h.claims(body(&ok)["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["jti"], jti.as_str());
}

#[tokio::test]
async fn client_credentials_returns_an_access_token_with_default_and_requested_scopes() {
    // Seed 003 token table: client_credentials + "Any or no scope" → Access Token. "Contains
    // default scopes granted by policy in addition to requested scopes."
    let h = Harness::new().await;
    h.client(
        "svc",
        "client_secret_basic",
        &["client_credentials", "refresh_token"],
        json!({}),
    )
    .await;
    let response = h
        .post(&format!("{CC}%20offline_access"), Some(&basic("svc", SECRET)))
        .await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    assert_eq!(response.header("Pragma"), Some("no-cache"));
    let json = body(&response);
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 3600);
    assert_eq!(
        json["scope"], "api:write offline_access api:read",
        "requested, then the default scope"
    );
    assert!(
        json.get("refresh_token").is_none() && json.get("id_token").is_none(),
        "access token only"
    );
    let claims = h.claims(json["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["cid"], "svc");
    assert!(claims.get("uid").is_none());
}

#[tokio::test]
async fn client_credentials_refuses_openid_and_public_clients() {
    // Seed 003 token errors, invalid_scope: "The scopes list contains an invalid value"
    // (reference §2.1 `openid_not_allowed_client_creds`).
    let h = Harness::new().await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    let openid = h
        .post(
            "grant_type=client_credentials&scope=openid",
            Some(&basic("svc", SECRET)),
        )
        .await;
    assert_error(
        &openid,
        400,
        "invalid_scope",
        "Cannot request 'openid' scopes using client credentials.",
    );
    let malformed = h
        .post("grant_type=client_credentials&scope=a%22b", Some(&basic("svc", SECRET)))
        .await;
    assert_eq!(body(&malformed)["error"], "invalid_scope");
    h.client("pub", "none", &["client_credentials"], json!({})).await;
    let public = h.post(&format!("{CC}&client_id=pub"), None).await;
    assert_eq!(body(&public)["error"], "unauthorized_client");
}

// ---------------------------------------------------------------------------------------------
// password (RFC 6749 §4.3; seed 003 table rows "password")
// ---------------------------------------------------------------------------------------------

fn password_form(scope: Option<&str>) -> String {
    let mut form = format!(
        "grant_type=password&username=ada%40example.com&password={}",
        enc(PASSWORD)
    );
    if let Some(scope) = scope {
        form.push_str(&format!("&scope={}", enc(scope)));
    }
    form
}

#[tokio::test]
async fn password_grant_follows_the_response_table() {
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    // Seed 003 token table: password + None → Access Token. "Contains default scopes granted by
    // policy."
    let plain = h.post(&password_form(None), Some(&auth)).await;
    assert_eq!(plain.status, 200, "{:?}", plain.body);
    assert_eq!(body(&plain)["scope"], "api:read");
    assert!(body(&plain).get("refresh_token").is_none() && body(&plain).get("id_token").is_none());
    let claims = h.claims(body(&plain)["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["uid"], USER);
    // Seed 003 token table: password + "Any or no scopes plus offline_access" → Access Token,
    // Refresh Token. "Contains specified scopes."
    let offline = h
        .post(&password_form(Some("api:write offline_access")), Some(&auth))
        .await;
    assert!(body(&offline)["refresh_token"].is_string() && body(&offline).get("id_token").is_none());
    assert_eq!(body(&offline)["scope"], "api:write offline_access");
    // Seed 003 token table: password + "Any or no scopes plus openid" → Access Token, ID Token.
    let openid = h.post(&password_form(Some("openid")), Some(&auth)).await;
    assert!(body(&openid)["id_token"].is_string() && body(&openid).get("refresh_token").is_none());
    let id_token = h.claims(body(&openid)["id_token"].as_str().unwrap()).await;
    assert_eq!(id_token["sub"], USER);
    assert_eq!(id_token["aud"], "web");
    assert_eq!(id_token["amr"], json!(["pwd"]));
    assert!(id_token["at_hash"].is_string());
    // Seed 003 token table: password + "Any or no scopes plus openid and offline_access" →
    // Access Token, ID Token, Refresh Token.
    let all = h.post(&password_form(Some("openid offline_access")), Some(&auth)).await;
    assert!(body(&all)["id_token"].is_string() && body(&all)["refresh_token"].is_string());
}

/// A password grant draws its grant's id and its tokens' ids (access token, ID token, refresh
/// token) in one call to the source; the values are those that drawing them part by part gives.
#[tokio::test]
async fn a_password_grant_draws_its_ids_in_one_call() {
    let (h, noted) = NotedDraws::harness().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let drawn_before: usize = noted.take().iter().sum();
    let all = h
        .post(
            &password_form(Some("openid offline_access")),
            Some(&basic("web", SECRET)),
        )
        .await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert_eq!(noted.take(), [16, 16 + 80, 16], "decision event, ids, grant event");
    let (replay, jti) = noted.replay_access_token_id(drawn_before + 16, h.clock.now());
    let replay: &dyn crate::random::Randomness = &replay;
    let id_token_jti = crate::claims::token_id("ID.", replay).unwrap();
    let refresh_token = crate::secret::RefreshToken::generate(replay).unwrap();
    let access = h.claims(body(&all)["access_token"].as_str().unwrap()).await;
    let id_token = h.claims(body(&all)["id_token"].as_str().unwrap()).await;
    assert_eq!(access["jti"], jti.as_str());
    assert_eq!(id_token["jti"], id_token_jti.as_str());
    assert_eq!(body(&all)["refresh_token"], refresh_token.expose());
}

#[tokio::test]
async fn password_grant_needs_the_refresh_token_grant_type_for_a_refresh_token() {
    // Seed 003 "Refresh Tokens for Web and Native Applications".
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    let response = h
        .post(&password_form(Some("offline_access")), Some(&basic("web", SECRET)))
        .await;
    assert_eq!(response.status, 200);
    assert!(body(&response).get("refresh_token").is_none());
}

#[tokio::test]
async fn password_grant_errors() {
    // Seed 003 token errors, invalid_grant: "the username and password combination is invalid
    // … or the resource owner password is wrong"; a missing password is invalid_request.
    // Seed 000 subtle behaviour: "A user must be assigned to the client".
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    let auth = basic("web", SECRET);
    let wrong = h
        .post(
            "grant_type=password&username=ada%40example.com&password=nope",
            Some(&auth),
        )
        .await;
    assert_error(&wrong, 400, "invalid_grant", "The credentials provided were invalid.");
    let unknown = h
        .post("grant_type=password&username=nobody&password=nope", Some(&auth))
        .await;
    assert_error(&unknown, 400, "invalid_grant", "The credentials provided were invalid.");
    let missing = h
        .post("grant_type=password&username=ada%40example.com", Some(&auth))
        .await;
    assert_eq!(body(&missing)["error"], "invalid_request");
    // Not assigned: access_denied with status 400 (reference §4.1 `user_not_assigned`).
    h.client("other", "client_secret_basic", &["password"], json!({})).await;
    h.server.directory().unassign_user("other", USER);
    let unassigned = h.post(&password_form(None), Some(&basic("other", SECRET))).await;
    assert_error(
        &unassigned,
        400,
        "access_denied",
        "User is not assigned to the client application.",
    );
    // A suspended user is refused like a wrong password.
    let mut user = h.server.directory().user(USER).await.unwrap().unwrap();
    user.status = crate::model::UserStatus::Suspended;
    h.server.directory().add_user(user, Some(PASSWORD)).unwrap();
    let suspended = h.post(&password_form(None), Some(&auth)).await;
    assert_error(
        &suspended,
        400,
        "invalid_grant",
        "The credentials provided were invalid.",
    );
}

// ---------------------------------------------------------------------------------------------
// authorization_code (RFC 6749 §4.1.3, RFC 7636; seed 003 table rows "authorization_code")
// ---------------------------------------------------------------------------------------------

fn code_form(code: &str) -> String {
    format!(
        "grant_type=authorization_code&code={}&redirect_uri={}",
        enc(code),
        enc(REDIRECT)
    )
}

#[tokio::test]
async fn authorization_code_follows_the_response_table_without_re_evaluating_policies() {
    let h = Harness::new().await;
    h.client(
        "web",
        "client_secret_basic",
        &["authorization_code", "refresh_token"],
        json!({}),
    )
    .await;
    let auth = basic("web", SECRET);
    // The code's grant names a policy that does not exist: it is used as is, not re-evaluated
    // (seed 000 subtle behaviour: "the policy is not evaluated again" for authorization_code;
    // end to end with a real policy change: authorize::tests::the_code_exchange_does_not_re_evaluate_policies).
    // The scopes are those requested at /authorize (here, stored in the code).
    let rows: [(&[&str], bool, bool); 4] = [
        // Seed 003 token table: authorization_code + None → Access Token. "Contains scopes
        // requested in the /authorize endpoint."
        (&["api:read"], false, false),
        // Seed 003 token table: authorization_code + offline_access → Access Token, Refresh Token.
        (&["api:read", "offline_access"], false, true),
        // Seed 003 token table: authorization_code + openid → Access Token, ID Token.
        (&["openid", "profile"], true, false),
        // Seed 003 token table: authorization_code + openid and offline_access → all three.
        (&["openid", "offline_access"], true, true),
    ];
    for (scopes, id_token, refresh_token) in rows {
        let (code, _) = h.code("web", scopes, None, Some("n-0S6_WzA2Mj")).await;
        let response = h.post(&code_form(&code), Some(&auth)).await;
        assert_eq!(response.status, 200, "{scopes:?}: {:?}", response.body);
        let json = body(&response);
        assert_eq!(json["scope"], scopes.join(" "));
        assert_eq!(json.get("id_token").is_some(), id_token, "{scopes:?}");
        assert_eq!(json.get("refresh_token").is_some(), refresh_token, "{scopes:?}");
        if id_token {
            let claims = h.claims(json["id_token"].as_str().unwrap()).await;
            assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
        }
    }
}

#[tokio::test]
async fn authorization_code_errors() {
    // Seed 003 token errors, invalid_grant: "The code … is invalid, or the redirect_uri does not
    // match the one used in the authorization request"; a missing code is invalid_request.
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["authorization_code"], json!({}))
        .await;
    h.client("evil", "client_secret_basic", &["authorization_code"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    let invalid = "The authorization code is invalid or has expired.";
    assert_error(
        &h.post(&code_form("never-issued"), Some(&auth)).await,
        400,
        "invalid_grant",
        invalid,
    );

    let (code, _) = h.code("web", &["api:read"], None, None).await;
    h.clock.advance(Duration::minutes(5));
    assert_error(
        &h.post(&code_form(&code), Some(&auth)).await,
        400,
        "invalid_grant",
        invalid,
    );

    let (code, _) = h.code("web", &["api:read"], None, None).await;
    let other = h.post(&code_form(&code), Some(&basic("evil", SECRET))).await;
    assert_error(
        &other,
        400,
        "invalid_grant",
        "The grant was issued to another client. Please make sure the 'client_id' matches the one used at the authorize request.",
    );

    let (code, _) = h.code("web", &["api:read"], None, None).await;
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}",
        enc(&code),
        enc("https://app.example.com/other")
    );
    assert_error(
        &h.post(&form, Some(&auth)).await,
        400,
        "invalid_grant",
        "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
    );
    let (code, _) = h.code("web", &["api:read"], None, None).await;
    let form = format!("grant_type=authorization_code&code={}", enc(&code));
    assert_eq!(
        body(&h.post(&form, Some(&auth)).await)["error"],
        "invalid_grant",
        "redirect_uri must be repeated"
    );
    assert_eq!(
        body(&h.post("grant_type=authorization_code", Some(&auth)).await)["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn pkce_is_verified_when_the_code_has_a_challenge() {
    // RFC 7636 §4.6 (Appendix B vector); RFC 9700 §2.1.1 (no verifier without a challenge).
    let h = Harness::new().await;
    h.client(
        "spa",
        "none",
        &["authorization_code"],
        json!({"application_type": "browser"}),
    )
    .await;
    let pkce_failed = "PKCE verification failed.";
    let (code, _) = h.code("spa", &["api:read"], Some(CHALLENGE), None).await;
    let ok = h
        .post(
            &format!("{}&client_id=spa&code_verifier={VERIFIER}", code_form(&code)),
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);

    let (code, _) = h.code("spa", &["api:read"], Some(CHALLENGE), None).await;
    let wrong = format!("{}&client_id=spa&code_verifier={}", code_form(&code), "a".repeat(43));
    assert_error(&h.post(&wrong, None).await, 400, "invalid_grant", pkce_failed);
    let (code, _) = h.code("spa", &["api:read"], Some(CHALLENGE), None).await;
    assert_error(
        &h.post(&format!("{}&client_id=spa", code_form(&code)), None).await,
        400,
        "invalid_grant",
        pkce_failed,
    );
    let (code, _) = h.code("spa", &["api:read"], None, None).await;
    let unexpected = format!("{}&client_id=spa&code_verifier={VERIFIER}", code_form(&code));
    assert_error(&h.post(&unexpected, None).await, 400, "invalid_grant", pkce_failed);
    let (code, _) = h.code("spa", &["api:read"], None, None).await;
    assert_error(
        &h.post(&format!("{}&client_id=spa", code_form(&code)), None).await,
        400,
        "invalid_grant",
        pkce_failed,
    );
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    // RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization
    // server MUST deny the request and SHOULD revoke (when possible) all tokens previously issued
    // based on that authorization code."
    let h = Harness::new().await;
    h.client(
        "web",
        "client_secret_basic",
        &["authorization_code", "refresh_token"],
        json!({}),
    )
    .await;
    let auth = basic("web", SECRET);
    let (code, grant_id) = h.code("web", &["api:read", "offline_access"], None, None).await;
    let first = h.post(&code_form(&code), Some(&auth)).await;
    assert_eq!(first.status, 200);
    let refresh_token = body(&first)["refresh_token"].as_str().unwrap().to_owned();
    assert!(!h.server.grants().is_grant_revoked(&grant_id, h.now()).await.unwrap());

    let replay = h.post(&code_form(&code), Some(&auth)).await;
    assert_error(
        &replay,
        400,
        "invalid_grant",
        "The authorization code is invalid or has expired.",
    );
    assert!(h.server.grants().is_grant_revoked(&grant_id, h.now()).await.unwrap());
    let refresh = h
        .post(
            &format!("grant_type=refresh_token&refresh_token={refresh_token}"),
            Some(&auth),
        )
        .await;
    assert_eq!(
        body(&refresh)["error"],
        "invalid_grant",
        "the first redemption's refresh token is revoked"
    );
    let warning = h
        .events
        .all()
        .into_iter()
        .find(|e| e.event_type == REUSE_EVENT_TYPE)
        .unwrap();
    assert_eq!(warning.severity, Severity::Warn);
}

// ---------------------------------------------------------------------------------------------
// refresh_token (RFC 6749 §6; reference §3.4; seed 003 table rows "refresh_token")
// ---------------------------------------------------------------------------------------------

async fn refresh_token_for(h: &Harness, client: &str, scope: &str) -> String {
    let response = h.post(&password_form(Some(scope)), Some(&basic(client, SECRET))).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    body(&response)["refresh_token"].as_str().unwrap().to_owned()
}

fn refresh_form(token: &str, scope: Option<&str>) -> String {
    let mut form = format!("grant_type=refresh_token&refresh_token={}", enc(token));
    if let Some(scope) = scope {
        form.push_str(&format!("&scope={}", enc(scope)));
    }
    form
}

#[tokio::test]
async fn static_refresh_tokens_are_echoed() {
    // Seed 003 token table: refresh_token + None → Access Token, Refresh Token. "Contains scopes
    // used to generate the Refresh Token." (With openid among them, an ID token too.) Seed 000
    // subtle behaviour: "OpenID scopes can be requested with custom scopes" (openid api:write).
    let h = Harness::new().await;
    h.client(
        "web",
        "client_secret_basic",
        &["password", "refresh_token"],
        json!({"refresh_token": {"rotation_type": "STATIC"}}),
    )
    .await;
    let auth = basic("web", SECRET);
    let token = refresh_token_for(&h, "web", "openid api:write offline_access").await;
    for _ in 0..2 {
        h.clock.advance(Duration::minutes(10));
        let response = h.post(&refresh_form(&token, None), Some(&auth)).await;
        assert_eq!(response.status, 200, "{:?}", response.body);
        let json = body(&response);
        assert_eq!(json["refresh_token"], token.as_str());
        assert_eq!(json["scope"], "openid api:write offline_access");
        assert!(json["id_token"].is_string());
    }
}

#[tokio::test]
async fn rotated_tokens_are_replaced_and_reuse_within_the_leeway_is_tolerated() {
    // Reference §3.4: ROTATE gives a new token with the same expiry; a grace period (leeway,
    // default 30 s) keeps the old token usable without invalidating its successor.
    let h = Harness::new().await;
    h.client(
        "spa",
        "client_secret_basic",
        &["password", "refresh_token"],
        json!({"refresh_token": {"rotation_type": "ROTATE"}}),
    )
    .await;
    let auth = basic("spa", SECRET);
    let first = refresh_token_for(&h, "spa", "api:write offline_access").await;
    let rotated = h.post(&refresh_form(&first, None), Some(&auth)).await;
    let second = body(&rotated)["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let old = h
        .server
        .grants()
        .find_refresh_token(&SecretHash::of(&first))
        .await
        .unwrap()
        .unwrap();
    let new = h
        .server
        .grants()
        .find_refresh_token(&SecretHash::of(&second))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.record.expires_at, old.record.expires_at);
    assert_eq!(new.record.grant.id, old.record.grant.id, "same family");

    h.clock.advance(Duration::seconds(30));
    let grace = h.post(&refresh_form(&first, None), Some(&auth)).await;
    assert_eq!(grace.status, 200, "within the leeway: {:?}", grace.body);
    let sibling = body(&grace)["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        h.post(&refresh_form(&second, None), Some(&auth)).await.status,
        200,
        "the successor still works"
    );
    assert_eq!(h.post(&refresh_form(&sibling, None), Some(&auth)).await.status, 200);
}

#[tokio::test]
async fn reuse_after_the_leeway_revokes_the_family() {
    // Reference §3.4: reuse after the grace period invalidates the newest token and the access
    // tokens, with System Log event app.oauth2.as.token.detect_reuse.
    let h = Harness::new().await;
    h.client(
        "spa",
        "client_secret_basic",
        &["password", "refresh_token"],
        json!({"refresh_token": {"rotation_type": "ROTATE", "leeway": 0}}),
    )
    .await;
    let auth = basic("spa", SECRET);
    let first = refresh_token_for(&h, "spa", "api:write offline_access").await;
    let grant_id = h
        .server
        .grants()
        .find_refresh_token(&SecretHash::of(&first))
        .await
        .unwrap()
        .unwrap()
        .record
        .grant
        .id;
    let rotated = h.post(&refresh_form(&first, None), Some(&auth)).await;
    let second = body(&rotated)["refresh_token"].as_str().unwrap().to_owned();
    h.clock.advance(Duration::seconds(1));
    let reuse = h.post(&refresh_form(&first, None), Some(&auth)).await;
    assert_error(&reuse, 400, "invalid_grant", "The refresh token is invalid or expired.");
    assert!(h.server.grants().is_grant_revoked(&grant_id, h.now()).await.unwrap());
    assert_eq!(
        body(&h.post(&refresh_form(&second, None), Some(&auth)).await)["error"],
        "invalid_grant"
    );
    let detected = h
        .events
        .all()
        .into_iter()
        .find(|e| e.event_type == REUSE_EVENT_TYPE)
        .unwrap();
    assert_eq!(detected.reason_code(), Some("refresh_token_reused"));
}

#[tokio::test]
async fn the_idle_window_and_the_lifetime_end_a_refresh_token() {
    // Reference §3.4 / §3.5: idle window (default 7 days) and the family's absolute lifetime.
    // Seed 000 expiry: refresh tokens expire by lifetime, and when not exercised within the window.
    // Seed 003 token errors, invalid_grant: "The refresh_token … is invalid".
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    let idle = refresh_token_for(&h, "web", "api:write offline_access").await;
    h.clock.advance(Duration::days(7) - Duration::seconds(1));
    assert_eq!(
        h.post(&refresh_form(&idle, None), Some(&auth)).await.status,
        200,
        "used just in time: window restarts"
    );
    h.clock.advance(Duration::days(7));
    assert_error(
        &h.post(&refresh_form(&idle, None), Some(&auth)).await,
        400,
        "invalid_grant",
        "The refresh token is invalid or expired.",
    );

    let token = crate::secret::RefreshToken::generate(&crate::random::SystemRandom).unwrap();
    let now = h.now();
    let mut grant = test_grant("web", &["api:write", "offline_access"], now);
    grant.grant_type = "password".into();
    h.server
        .grants()
        .insert_refresh_token(crate::store::grants::RefreshTokenRecord {
            token_hash: token.hash(),
            grant,
            issued_at: now,
            expires_at: Some(now + Duration::hours(1)),
            last_used_at: now,
        })
        .await
        .unwrap();
    assert_eq!(
        h.post(&refresh_form(token.expose(), None), Some(&auth)).await.status,
        200
    );
    h.clock.advance(Duration::hours(1));
    assert_eq!(
        body(&h.post(&refresh_form(token.expose(), None), Some(&auth)).await)["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn refresh_scopes_must_be_a_subset_and_narrowing_drops_the_refresh_token() {
    // Seed 003 token table: refresh_token + "Subset of scopes used to generate Refresh Token
    // excluding offline_access" → Access Token. "Contains specified scopes." Reference §3.4
    // `refresh_scopes_denied`; seed 003 token errors, invalid_grant: "The refresh_token … is
    // invalid" (another client's).
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    h.client("evil", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    let token = refresh_token_for(&h, "web", "api:read api:write offline_access").await;
    let narrowed = h.post(&refresh_form(&token, Some("api:read")), Some(&auth)).await;
    assert_eq!(narrowed.status, 200);
    assert_eq!(body(&narrowed)["scope"], "api:read");
    assert!(body(&narrowed).get("refresh_token").is_none());
    let wider = h
        .post(&refresh_form(&token, Some("api:read openid")), Some(&auth))
        .await;
    assert_error(
        &wider,
        400,
        "access_denied",
        "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: openid.",
    );
    let stolen = h.post(&refresh_form(&token, None), Some(&basic("evil", SECRET))).await;
    assert_eq!(body(&stolen)["error"], "invalid_grant");
    // Seed 000: unassigning the user revokes their tokens, so the refresh token is dead (the same
    // implicit revocation introspection applies).
    h.server.directory().unassign_user("web", USER);
    let unassigned = h.post(&refresh_form(&token, None), Some(&auth)).await;
    assert_error(
        &unassigned,
        400,
        "invalid_grant",
        "The refresh token is invalid or expired.",
    );
}

// ---------------------------------------------------------------------------------------------
// Events ("Always start with the System Log", seed 000)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn grants_and_refusals_are_recorded() {
    // Seed 000: "Always Start with the System Log … detailed information about why a request was
    // denied".
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    let auth = basic("web", SECRET);
    assert_eq!(h.post(&password_form(Some("openid")), Some(&auth)).await.status, 200);
    let granted = h.token_events(OutcomeResult::Success);
    assert_eq!(granted.len(), 1);
    let event = &granted[0];
    assert_eq!(event.client.as_ref().unwrap().id, "web");
    assert_eq!(event.actor.as_ref().unwrap().id, USER);
    assert_eq!(event.debug_context.debug_data["grantType"], "password");
    assert_eq!(
        event.debug_context.debug_data["tokens"],
        json!(["access_token", "id_token"])
    );
    assert_eq!(event.debug_context.debug_data["grantedScopes"], json!(["openid"]));
    let targets: Vec<&str> = event.target.iter().map(|target| &*target.kind).collect();
    assert_eq!(targets, ["AuthorizationServer", "Grant"]);
    assert_eq!(event.actor.as_ref().map(|actor| &*actor.kind), Some("User"));
    assert_eq!(event.display_message, "OAuth2 tokens granted");
    assert_eq!(event.uuid.len(), 36, "numbered: {}", event.uuid);

    h.post(
        "grant_type=password&username=ada%40example.com&password=nope",
        Some(&auth),
    )
    .await;
    let refused = h.token_events(OutcomeResult::Failure);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].reason_code(), Some("invalid_credentials"));
    assert_eq!(refused[0].client.as_ref().unwrap().id, "web");
}

#[tokio::test]
async fn a_refresh_token_issued_before_a_configuration_change_is_refused() {
    // Seed 000 / 003: "Revocation happens when a configuration is changed or deleted" — the refresh
    // grant applies the same implicit revocation as introspection.
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    let token = refresh_token_for(&h, "web", "openid offline_access").await;
    h.clock.advance(Duration::minutes(1));
    h.admin(
        Method::Post,
        "/api/v1/authorizationServers/default/scopes",
        json!({"name": "reports:read", "description": "Read reports"}),
    )
    .await;
    h.clock.advance(Duration::minutes(1));
    let response = h.post(&refresh_form(&token, None), Some(&auth)).await;
    assert_error(
        &response,
        400,
        "invalid_grant",
        "The refresh token is invalid or expired.",
    );
    // A refresh token issued after the change works.
    let fresh = refresh_token_for(&h, "web", "openid offline_access").await;
    let response = h.post(&refresh_form(&fresh, None), Some(&auth)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
}

#[tokio::test]
async fn within_one_second_a_refresh_token_is_judged_by_its_exact_issue_instant() {
    // As for access tokens: the refresh token's stored `issued_at` (to the nanosecond) against
    // the change's, not whole seconds.
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    let second = h.clock.now().replace_nanosecond(0).unwrap() + Duration::seconds(1);
    h.clock.set(second + Duration::milliseconds(200));
    let before = refresh_token_for(&h, "web", "openid offline_access").await;
    h.clock.set(second + Duration::milliseconds(500));
    h.admin(
        Method::Post,
        "/api/v1/authorizationServers/default/scopes",
        json!({"name": "reports:read", "description": "Read reports"}),
    )
    .await;
    h.clock.set(second + Duration::milliseconds(700));
    let after = refresh_token_for(&h, "web", "openid offline_access").await;
    let response = h.post(&refresh_form(&before, None), Some(&auth)).await;
    assert_error(
        &response,
        400,
        "invalid_grant",
        "The refresh token is invalid or expired.",
    );
    let response = h.post(&refresh_form(&after, None), Some(&auth)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
}

// ---------------------------------------------------------------------------------------------
// Seed 003 token table rows not covered above, and seed 000 ("Troubleshooting for API Access
// Management": expiry, scope subsets, assignment, subtle behaviour) at the token endpoint.
// ---------------------------------------------------------------------------------------------

impl Harness {
    /// Edits the `default` server's configuration directly in the store: no `changed_at` stamp,
    /// so tokens issued before are not implicitly revoked by the edit.
    async fn edit_config(&self, edit: impl FnOnce(&mut crate::store::ServerConfig)) {
        use crate::store::ConfigStore as _;
        let mut config = self.server.config_store().load("default").await.unwrap().unwrap();
        edit(&mut config);
        let revision = config.revision;
        let saved = self.server.config_store().save(config, revision).await.unwrap();
        assert!(matches!(saved, crate::store::Saved::Saved { .. }));
    }

    /// Edits the rule of the `default` server's default policy.
    async fn edit_default_rule(&self, edit: impl FnOnce(&mut crate::model::Rule)) {
        self.edit_config(|config| edit(&mut config.policies[0].rules[0])).await;
    }
}

#[tokio::test]
async fn refresh_with_a_subset_including_offline_access_returns_both_tokens() {
    // Seed 003 token table: refresh_token + "Subset of scopes used to generate Refresh Token
    // including offline_access" → Access Token, Refresh Token. RFC 6749 §6: a new refresh token
    // has exactly the scope of the one presented, so narrowing one request narrows nothing else.
    let h = Harness::new().await;
    h.client(
        "spa",
        "client_secret_basic",
        &["password", "refresh_token"],
        json!({"refresh_token": {"rotation_type": "ROTATE"}}),
    )
    .await;
    let auth = basic("spa", SECRET);
    let token = refresh_token_for(&h, "spa", "api:read api:write offline_access").await;
    let narrowed = h
        .post(&refresh_form(&token, Some("api:write offline_access")), Some(&auth))
        .await;
    assert_eq!(narrowed.status, 200, "{:?}", narrowed.body);
    let json = body(&narrowed);
    assert_eq!(
        json["scope"], "api:write offline_access",
        "contains the specified scopes"
    );
    assert!(json.get("id_token").is_none());
    let successor = json["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(successor, token, "rotated");
    // The successor still carries the original scopes.
    let wide = h.post(&refresh_form(&successor, None), Some(&auth)).await;
    assert_eq!(wide.status, 200, "{:?}", wide.body);
    assert_eq!(body(&wide)["scope"], "api:read api:write offline_access");
}

#[tokio::test]
async fn token_lifetimes_come_from_the_matched_rule_and_the_id_token_lives_an_hour() {
    // Seed 000 expiry: "ID Token expires after one hour"; "Access Token expiration is configured
    // in a policy, but is always between five minutes and one day"; the Refresh Token's lifetime
    // is configured in the access policy (≥ the access lifetime), and it is revoked "if the
    // Refresh Token isn't exercised within a specified time" (the window, minimum ten minutes).
    // Seed 000 subtle behaviour: "Token expiration times depend on how they are defined in the
    // rules". The bounds themselves are validated in src/model/lifetimes.rs and src/admin/rules.rs.
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    h.edit_default_rule(|rule| {
        rule.actions.token.access_token_lifetime_minutes = 5;
        rule.actions.token.refresh_token_lifetime_minutes = Some(30);
        rule.actions.token.refresh_token_window_minutes = 10;
    })
    .await;
    let response = h.post(&password_form(Some("openid offline_access")), Some(&auth)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let json = body(&response);
    assert_eq!(json["expires_in"], 300, "the rule's five minutes");
    let lifetime = |claims: &Value| claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime(&h.claims(json["access_token"].as_str().unwrap()).await), 300);
    assert_eq!(
        lifetime(&h.claims(json["id_token"].as_str().unwrap()).await),
        3600,
        "one hour, whatever the rule says"
    );
    // Exercised every nine minutes, the refresh token lives until its 30-minute lifetime ends.
    let mut token = json["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        h.clock.advance(Duration::minutes(9));
        let refreshed = h.post(&refresh_form(&token, None), Some(&auth)).await;
        assert_eq!(refreshed.status, 200, "{:?}", refreshed.body);
        assert_eq!(body(&refreshed)["expires_in"], 300);
        token = body(&refreshed)["refresh_token"].as_str().unwrap().to_owned();
    }
    h.clock.advance(Duration::minutes(3));
    assert_error(
        &h.post(&refresh_form(&token, None), Some(&auth)).await,
        400,
        "invalid_grant",
        "The refresh token is invalid or expired.",
    );
    // Not exercised for the ten-minute window: gone.
    let idle = refresh_token_for(&h, "web", "offline_access").await;
    h.clock.advance(Duration::minutes(10));
    assert_error(
        &h.post(&refresh_form(&idle, None), Some(&auth)).await,
        400,
        "invalid_grant",
        "The refresh token is invalid or expired.",
    );
    // The longest access lifetime a rule can set: one day.
    h.edit_default_rule(|rule| rule.actions.token.access_token_lifetime_minutes = 1440)
        .await;
    assert_eq!(
        body(&h.post(&password_form(None), Some(&auth)).await)["expires_in"],
        86400
    );
}

#[tokio::test]
async fn a_request_the_policy_allows_only_in_part_mints_nothing() {
    // Seed 000: "If a client requests multiple scopes, but the policy for that client only allows
    // for a subset of the scopes, then the token isn't minted and an error is returned. The
    // system log contains the details about the error." (reference §2.1 `scope_denied`).
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    let auth = basic("web", SECRET);
    h.edit_default_rule(|rule| {
        rule.conditions.scopes = Some(crate::model::ScopeCondition {
            include: vec!["api:read".into()],
        });
    })
    .await;
    let response = h.post(&password_form(Some("api:read api:write")), Some(&auth)).await;
    assert_error(
        &response,
        400,
        "access_denied",
        "Some of the requested scopes were denied by the policy. Denied scopes: [api:write].",
    );
    assert!(body(&response).get("access_token").is_none(), "no token is minted");
    assert!(h.token_events(OutcomeResult::Success).is_empty());
    let refused = h.token_events(OutcomeResult::Failure);
    assert_eq!(refused.last().unwrap().reason_code(), Some("scope_denied"));
    let details = h
        .events
        .all()
        .into_iter()
        .filter(|e| e.event_type == crate::policy::POLICY_EVENT_TYPE && e.outcome.result == OutcomeResult::Failure)
        .count();
    assert_eq!(details, 1, "the policy evaluation is in the log too");
    // The allowed scope alone is granted.
    assert_eq!(h.post(&password_form(Some("api:read")), Some(&auth)).await.status, 200);
}

#[tokio::test]
async fn without_a_rule_for_the_client_user_and_scope_the_request_fails() {
    // Seed 000 subtle behaviour: "If you haven't created a rule in a policy in the authorization
    // server to allow the client, user, and scope combination that you want, the request fails."
    // Reference §2.1 `no_matching_policy`: access_denied, 401.
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    h.edit_default_rule(|rule| {
        rule.conditions.grant_types = Some(crate::model::GrantTypeCondition {
            include: vec![crate::model::GrantType::ClientCredentials],
        });
    })
    .await;
    assert_error(
        &h.post(&password_form(Some("openid")), Some(&basic("web", SECRET)))
            .await,
        401,
        "access_denied",
        "Policy evaluation failed for this request, please check the policy configurations.",
    );
}

#[tokio::test]
async fn oidc_scopes_need_no_rule_entry_and_mix_with_custom_scopes_but_need_a_policy() {
    // Seed 000 subtle behaviour: "OpenID Connect scopes are granted by default … you don't need
    // to define any scopes for them, but you still need a policy and rule … The rule grants the
    // OpenID Connect scopes by default, so they don't need to be configured in the rule", and
    // "OpenID scopes can be requested with custom scopes". (Unit level, without definitions:
    // policy::evaluate::tests::oidc_scopes_need_no_definition_and_no_rule_entry_but_need_a_rule.)
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    h.edit_default_rule(|rule| {
        rule.conditions.scopes = Some(crate::model::ScopeCondition {
            include: vec!["api:write".into()],
        });
    })
    .await;
    let all = "openid profile email address phone offline_access api:write";
    let response = h.post(&password_form(Some(all)), Some(&auth)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    assert_eq!(body(&response)["scope"], all);
    assert!(body(&response)["id_token"].is_string() && body(&response)["refresh_token"].is_string());
    // Without any policy, even a request for OIDC scopes only fails.
    h.edit_config(|config| config.policies.clear()).await;
    assert_error(
        &h.post(&password_form(Some("openid")), Some(&auth)).await,
        401,
        "access_denied",
        "Policy evaluation failed for this request, please check the policy configurations.",
    );
}

#[tokio::test]
async fn a_group_assignment_is_as_good_as_a_direct_one() {
    // Seed 000 subtle behaviour: "A user must be assigned to the client in Okta for the client
    // to get Access Tokens from that client. You can assign the client directly (direct user
    // assignment) or indirectly (group assignment)."
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    let auth = basic("web", SECRET);
    let directory = h.server.directory();
    assert!(directory.unassign_user("web", USER));
    assert_error(
        &h.post(&password_form(None), Some(&auth)).await,
        400,
        "access_denied",
        "User is not assigned to the client application.",
    );
    let group: crate::model::Group =
        serde_json::from_value(json!({"id": "00gstaff", "type": "OKTA_GROUP", "profile": {"name": "Staff"}})).unwrap();
    directory.add_group(group);
    directory.add_member("00gstaff", USER).unwrap();
    directory.assign_group("web", "00gstaff").unwrap();
    let granted = h.post(&password_form(None), Some(&auth)).await;
    assert_eq!(granted.status, 200, "{:?}", granted.body);
    assert!(directory.unassign_group("web", "00gstaff"));
    assert_eq!(
        body(&h.post(&password_form(None), Some(&auth)).await)["error"],
        "access_denied"
    );
}

#[tokio::test]
async fn user_and_client_changes_end_refresh_tokens() {
    // Seed 000 "Revocation happens when a configuration is changed or deleted": "User
    // deactivation or deletion"; "The client app is deactivated, changed, unassigned, or
    // deleted" (unassignment: refresh_scopes_must_be_a_subset_and_narrowing_drops_the_refresh_token).
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password", "refresh_token"], json!({}))
        .await;
    let auth = basic("web", SECRET);
    let invalid = "The refresh token is invalid or expired.";
    let directory = h.server.directory();

    // The user is deactivated, or deleted.
    let token = refresh_token_for(&h, "web", "offline_access").await;
    let active = directory.user(USER).await.unwrap().unwrap();
    let mut deactivated = active.clone();
    deactivated.status = crate::model::UserStatus::Deprovisioned;
    directory.add_user(deactivated, Some(PASSWORD)).unwrap();
    assert_error(
        &h.post(&refresh_form(&token, None), Some(&auth)).await,
        400,
        "invalid_grant",
        invalid,
    );
    directory.add_user(active, Some(PASSWORD)).unwrap();
    let token = refresh_token_for(&h, "web", "offline_access").await;
    assert!(directory.remove_user(USER));
    assert_error(
        &h.post(&refresh_form(&token, None), Some(&auth)).await,
        400,
        "invalid_grant",
        invalid,
    );
    let user: User = serde_json::from_value(json!({
        "id": USER, "status": "ACTIVE", "profile": {"login": "ada@example.com"}
    }))
    .unwrap();
    directory.add_user(user, Some(PASSWORD)).unwrap();
    directory.assign_user("web", USER).unwrap();

    // The client is changed (its lastUpdated moves past the token's issue).
    let token = refresh_token_for(&h, "web", "offline_access").await;
    h.clock.advance(Duration::seconds(1));
    let mut record = std::sync::Arc::unwrap_or_clone(directory.client("web").await.unwrap().unwrap());
    record.last_updated = Some(h.now());
    directory.put_client(record.clone()).await.unwrap();
    assert_error(
        &h.post(&refresh_form(&token, None), Some(&auth)).await,
        400,
        "invalid_grant",
        invalid,
    );

    // The client is deactivated, or deleted: it cannot even authenticate.
    let token = refresh_token_for(&h, "web", "offline_access").await;
    record.client.status = crate::model::Status::Inactive;
    directory.put_client(record.clone()).await.unwrap();
    assert_eq!(
        body(&h.post(&refresh_form(&token, None), Some(&auth)).await)["error"],
        "invalid_client"
    );
    directory.delete_client("web").await.unwrap();
    assert_eq!(
        body(&h.post(&refresh_form(&token, None), Some(&auth)).await)["error"],
        "invalid_client"
    );
}

#[tokio::test]
async fn invalid_scope_at_the_token_endpoint() {
    // Seed 003 token "List of Errors": invalid_scope, "The scopes list contains an invalid
    // value" (reference §2.1: `no_matching_scope`, `missing_scopes`; RFC 6749 §3.3 syntax).
    // client_credentials + openid: client_credentials_refuses_openid_and_public_clients.
    let h = Harness::new().await;
    h.client("web", "client_secret_basic", &["password"], json!({})).await;
    let auth = basic("web", SECRET);
    assert_error(
        &h.post(&password_form(Some("openid api:unknown")), Some(&auth)).await,
        400,
        "invalid_scope",
        "One or more scopes are not configured for the authorization server resource.",
    );
    // A scope of blanks names no scope; `scope=` is no scope parameter at all (RFC 6749 §3.1:
    // empty values are treated as omitted), which means the default scopes.
    assert_error(
        &h.post(&format!("{}&scope=+", password_form(None)), Some(&auth)).await,
        400,
        "invalid_scope",
        "No scopes were requested.",
    );
    let omitted = h.post(&format!("{}&scope=", password_form(None)), Some(&auth)).await;
    assert_eq!(body(&omitted)["scope"], "api:read");
    assert_error(
        &h.post(&password_form(Some("api:read\\x")), Some(&auth)).await,
        400,
        "invalid_scope",
        "The requested scope is invalid, unknown, or malformed.",
    );
}

/// Issue 15: CPU-heavy minting runs on the bounded pool, and a pool with neither a free thread nor
/// room in its queue nor a place to wait refuses at once with `503 temporarily_unavailable`
/// (RFC 6749 §4.1.2.1's code) instead of lining requests up without bound. A token signed with
/// EdDSA whose claims are cheap is minted inline and never needs the pool; one whose claim needs
/// more than the inline budget does.
#[tokio::test]
async fn a_full_cpu_pool_refuses_heavy_tokens_with_503_and_cheap_ones_are_minted_inline() {
    use futures::FutureExt;

    let pool = CpuPool::with_limits(1, 1, 0);
    let h = Harness::on_pool(pool.clone()).await;
    h.client("svc", "client_secret_basic", &["client_credentials"], json!({}))
        .await;
    // 150 × 150 projected elements: more than the inline budget, far less than a token's.
    let list = format!("{{{}0}}", "0,".repeat(149));
    h.admin(
        Method::Post,
        "/api/v1/authorizationServers/default/claims",
        json!({"name": "heavy", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": format!("Arrays.size({list}.![{list}.![1]])"), "conditions": {"scopes": ["api:write"]}}),
    )
    .await;
    let auth = basic("svc", SECRET);

    // Hold the pool's one thread and fill its one place in the queue.
    let (release, blocked) = std::sync::mpsc::channel::<()>();
    let (started, running) = std::sync::mpsc::channel::<()>();
    let mut holding = Box::pin(pool.run(move || {
        started.send(()).unwrap();
        blocked.recv().unwrap();
    }));
    assert!((&mut holding).now_or_never().is_none());
    running.recv().unwrap();
    let mut queued = Box::pin(pool.run(|| ()));
    assert!((&mut queued).now_or_never().is_none());

    let cheap = h
        .post("grant_type=client_credentials&scope=api%3Aread", Some(&auth))
        .await;
    assert_eq!(cheap.status, 200, "{:?}", cheap.body);
    let heavy = h.post(CC, Some(&auth)).await;
    assert_error(
        &heavy,
        503,
        "temporarily_unavailable",
        "The server is temporarily unable to handle the request.",
    );

    release.send(()).unwrap();
    holding.await.unwrap();
    queued.await.unwrap();
    let heavy = h.post(CC, Some(&auth)).await;
    assert_eq!(heavy.status, 200, "{:?}", heavy.body);
    let token = body(&heavy)["access_token"].as_str().unwrap().to_owned();
    assert_eq!(h.claims(&token).await["heavy"], json!(150));
}

//! The `management` target's input format, server and snapshot.
//!
//! An input is up to [`MAX_REQUESTS`] requests separated by lines holding only `---`. Each
//! request is a first line `METHOD PATH[?QUERY]` (a `!` before the method sends it without a
//! caller) and a body made of the lines after it (none when empty). Unknown methods skip the
//! request. In the path, placeholders name objects that exist when the request is sent, so
//! mutations keep reaching real objects:
//!
//! | Placeholder | Replaced with |
//! |---|---|
//! | `{server}` | the id of the last server listed |
//! | `{policy}` | the last policy of the server named earlier in the path (or `default`) |
//! | `{rule}` | the last rule of the policy named earlier in the path (or that server's last policy) |
//! | `{scope}`, `{claim}` | that server's last scope or claim |
//! | `{key}` | the `kid` of that server's first key |
//! | `{client}` | the last client's `client_id` |
//!
//! Every input starts from the same memory-backed API, seeded as the bad-input table of
//! `tests/bad_input.rs` seeds it: Okta's `default` server with its policy and rule, a custom scope
//! and claim, a rule naming the scope, a confidential web client `web-app` and a public `spa`.

use std::sync::Arc;

use authserver::admin::{ApiRequest, ApiResponse, Caller, ManagementApi, Method};
use authserver::clock::ManualClock;
use authserver::crypto::PasswordHasher;
use authserver::jose::Algorithm;
use authserver::keys::{KeyRing, RotationSettings};
use authserver::model::ClientRecord;
use authserver::random::SeededRandom;
use authserver::store::{ConfigStore, MemoryConfigStore, MemoryDirectory, ServerConfig};
use authserver::testkit::FixedKeys;
use serde_json::json;
use time::macros::datetime;

use crate::run;

/// The API under test.
pub type Api = ManagementApi<MemoryConfigStore, MemoryDirectory>;

/// The most requests one input sends.
pub const MAX_REQUESTS: usize = 8;

const DEFAULT: &str = "/api/v1/authorizationServers/default";

/// One request of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Whether a caller is authenticated.
    pub caller: bool,
    /// The path with its placeholders, and the query.
    pub target: String,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// Reads the requests of `input` (see the module documentation).
pub fn parse(input: &[u8]) -> Vec<Request> {
    let text = String::from_utf8_lossy(input);
    let mut out = Vec::new();
    for block in text.split("\n---\n").take(MAX_REQUESTS) {
        let (first, body) = crate::split_once(block, "\n");
        let (anonymous, first) = match first.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, first),
        };
        let (method, target) = crate::split_once(first, " ");
        let Some(method) = Method::parse(method) else {
            continue;
        };
        // The body keeps its bytes as given, not the lossy text, when the input was UTF-8.
        let body = (!body.is_empty()).then(|| body.as_bytes().to_vec());
        out.push(Request {
            method,
            caller: !anonymous,
            target: target.to_owned(),
            body,
        });
    }
    out
}

/// Writes `requests` in the input format.
pub fn format(requests: &[(&str, &str, Option<serde_json::Value>)]) -> String {
    requests
        .iter()
        .map(|(method, target, body)| match body {
            Some(body) => format!("{method} {target}\n{body}"),
            None => format!("{method} {target}"),
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// A fresh API over memory stores at a fixed instant, with fixed keys and seeded ids, seeded
/// with the objects listed in the module documentation.
pub fn seeded_api() -> Api {
    let api = ManagementApi::new(
        Arc::new(MemoryConfigStore::new()),
        Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1))),
        Arc::new(FixedKeys::new()),
        Arc::new(ManualClock::new(datetime!(2025-01-01 0:00 UTC))),
        "https://id.example.com",
    )
    .with_randomness(Arc::new(SeededRandom::new(7)))
    .with_rotation_settings(RotationSettings {
        algorithm: Algorithm::EdDSA,
        ..RotationSettings::default()
    });
    run(async {
        api.ensure_default_server().await.expect("the default server");
        let admin = Caller { id: "admin".into() };
        let post = |path: String, body: serde_json::Value| {
            let body = body.to_string();
            let api = &api;
            let admin = &admin;
            async move {
                let request = ApiRequest {
                    method: Method::Post,
                    path: &path,
                    query: "",
                    body: Some(body.as_bytes()),
                    caller: Some(admin),
                };
                let response = api.handle(&request).await;
                assert!(response.status < 300, "seeding {path}: {:?}", response.body);
                response
            }
        };
        post(format!("{DEFAULT}/scopes"), json!({"name": "orders:read"})).await;
        post(
            format!("{DEFAULT}/claims"),
            json!({"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"gold\""}),
        )
        .await;
        let config = api
            .config_store()
            .load("default")
            .await
            .ok()
            .flatten()
            .expect("default");
        let policy = config.policies[0].policy.id.clone();
        post(
            format!("{DEFAULT}/policies/{policy}/rules"),
            json!({"type": "RESOURCE_ACCESS", "name": "Order readers",
                   "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["orders:read"]}}}),
        )
        .await;
        for client in [
            json!({"client_id": "web-app", "client_name": "Web app", "application_type": "web",
                   "redirect_uris": ["https://web.example.com/callback"], "grant_types": ["authorization_code"],
                   "token_endpoint_auth_method": "client_secret_basic"}),
            json!({"client_id": "spa", "client_name": "SPA", "application_type": "browser",
                   "redirect_uris": ["https://spa.example.com/callback"], "grant_types": ["authorization_code"],
                   "token_endpoint_auth_method": "none"}),
        ] {
            let response = api.import_client_json(client.to_string().as_bytes()).await;
            assert_eq!(response.status, 201, "{:?}", response.body);
        }
    });
    api
}

/// What the stores hold: every server's configuration and key ring, and every client.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Each server's configuration and key ring, in listing order.
    pub servers: Vec<(ServerConfig, Option<KeyRing>)>,
    /// Every client.
    pub clients: Vec<ClientRecord>,
}

/// Reads [`Snapshot`] through the API's typed listing and the configuration store.
pub async fn snapshot(api: &Api) -> Snapshot {
    let mut servers = Vec::new();
    for server in api.list_servers(None).await.expect("servers list") {
        let config = api
            .config_store()
            .load(&server.id)
            .await
            .expect("a listed server loads")
            .expect("a listed server exists");
        let ring = api.config_store().key_ring(&server.id).await.expect("key ring");
        servers.push((config, ring));
    }
    let clients = api.list_clients(None).await.expect("clients list");
    Snapshot { servers, clients }
}

/// `target` with its placeholders replaced from `snapshot`.
pub fn resolve(target: &str, snapshot: &Snapshot) -> String {
    if !target.contains('{') {
        return target.to_owned();
    }
    let last_server = snapshot.servers.last().map(|(config, _)| config.server.id.clone());
    let mut out = target.replace("{server}", last_server.as_deref().unwrap_or("default"));
    let named_server = out
        .split('/')
        .skip_while(|segment| *segment != "authorizationServers")
        .nth(1)
        .unwrap_or("default")
        .to_owned();
    let server = snapshot
        .servers
        .iter()
        .find(|(config, _)| config.server.id == named_server)
        .or_else(|| snapshot.servers.first());
    if let Some((config, ring)) = server {
        if out.contains("{policy}") {
            let id = config.policies.last().map(|p| p.policy.id.as_str()).unwrap_or("none");
            out = out.replace("{policy}", id);
        }
        if out.contains("{rule}") {
            let named_policy = out.split('/').skip_while(|s| *s != "policies").nth(1).unwrap_or("");
            let policy = config
                .policies
                .iter()
                .find(|p| p.policy.id == named_policy)
                .or(config.policies.last());
            let id = policy
                .and_then(|p| p.rules.last())
                .map(|r| r.id.clone())
                .unwrap_or_default();
            out = out.replace("{rule}", &id);
        }
        if let Some(scope) = config.scopes.last() {
            out = out.replace("{scope}", &scope.id);
        }
        if let Some(claim) = config.claims.last() {
            out = out.replace("{claim}", &claim.id);
        }
        if out.contains("{key}") {
            let kid = ring
                .as_ref()
                .and_then(|ring| serde_json::to_value(ring).ok())
                .and_then(|ring| ring["keys"][0]["kid"].as_str().map(str::to_owned))
                .unwrap_or_default();
            out = out.replace("{key}", &kid);
        }
    }
    if let Some(client) = snapshot.clients.last() {
        out = out.replace("{client}", &client.client.client_id);
    }
    out
}

/// Sends `request` (placeholders resolved against `snapshot`).
pub async fn send(api: &Api, request: &Request, snapshot: &Snapshot) -> ApiResponse {
    let admin = Caller { id: "admin".into() };
    let target = resolve(&request.target, snapshot);
    let (path, query) = crate::split_once(&target, "?");
    let api_request = ApiRequest {
        method: request.method,
        path,
        query,
        body: request.body.as_deref(),
        caller: request.caller.then_some(&admin),
    };
    api.handle(&api_request).await
}

/// Seeds: one or more requests on every route, valid ones (so mutations start from requests
/// that reach the stores) and rows of the bad-input table.
pub fn seeds() -> Vec<String> {
    let s = "/api/v1/authorizationServers";
    let d = DEFAULT;
    let c = "/oauth2/v1/clients";
    let server = json!({"name": "Orders", "description": "Orders API", "audiences": ["api://orders"]});
    let rule = json!({"type": "RESOURCE_ACCESS", "name": "r", "priority": 1,
                      "conditions": {"people": {"users": {"include": [], "exclude": ["00u1"]}, "groups": {"include": ["EVERYONE"]}},
                                     "grantTypes": {"include": ["client_credentials", "password"]}, "scopes": {"include": ["*"]}},
                      "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0, "refreshTokenWindowMinutes": 10080}}});
    let policy = json!({"name": "p", "description": "d", "priority": 1, "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
    let claim = json!({"name": "c", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.email", "conditions": {"scopes": []}});
    let group_claim = json!({"name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS", "group_filter_type": "STARTS_WITH", "value": "Admin"});
    let client = json!({"client_name": "New app", "application_type": "web",
                        "redirect_uris": ["https://new.example.com/callback"], "grant_types": ["authorization_code", "refresh_token"],
                        "response_types": ["code"], "token_endpoint_auth_method": "client_secret_post",
                        "refresh_token": {"rotation_type": "ROTATE", "leeway": 30}});
    let jwks_client = json!({"client_name": "Key app", "application_type": "service", "grant_types": ["client_credentials"],
                             "token_endpoint_auth_method": "private_key_jwt",
                             "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}});
    let many: Vec<(&str, String, Option<serde_json::Value>)> = vec![
        ("GET", s.to_owned(), None),
        ("GET", format!("{s}?limit=1&after=default"), None),
        ("POST", s.to_owned(), Some(server.clone())),
        (
            "PUT",
            d.to_owned(),
            Some(
                json!({"name": "default", "description": "Default Authorization Server", "audiences": ["api://default"], "issuerMode": "ORG_URL"}),
            ),
        ),
        ("DELETE", format!("{s}/{{server}}"), None),
        ("POST", format!("{s}/{{server}}/lifecycle/deactivate"), None),
        ("GET", format!("{d}/policies"), None),
        ("POST", format!("{d}/policies"), Some(policy.clone())),
        ("PUT", format!("{d}/policies/{{policy}}"), Some(policy)),
        ("POST", format!("{d}/policies/{{policy}}/lifecycle/deactivate"), None),
        ("DELETE", format!("{d}/policies/{{policy}}"), None),
        ("GET", format!("{d}/policies/{{policy}}/rules"), None),
        ("POST", format!("{d}/policies/{{policy}}/rules"), Some(rule.clone())),
        ("PUT", format!("{d}/policies/{{policy}}/rules/{{rule}}"), Some(rule)),
        (
            "POST",
            format!("{d}/policies/{{policy}}/rules/{{rule}}/lifecycle/activate"),
            None,
        ),
        ("DELETE", format!("{d}/policies/{{policy}}/rules/{{rule}}"), None),
        ("GET", format!("{d}/scopes?q=orders&limit=2"), None),
        (
            "POST",
            format!("{d}/scopes"),
            Some(
                json!({"name": "reports:read", "displayName": "Reports", "description": "Read reports", "consent": "REQUIRED", "metadataPublish": "ALL_CLIENTS", "default": true}),
            ),
        ),
        (
            "PUT",
            format!("{d}/scopes/{{scope}}"),
            Some(json!({"name": "orders:write"})),
        ),
        ("DELETE", format!("{d}/scopes/{{scope}}"), None),
        ("GET", format!("{d}/claims"), None),
        ("POST", format!("{d}/claims"), Some(claim.clone())),
        ("POST", format!("{d}/claims"), Some(group_claim)),
        ("PUT", format!("{d}/claims/{{claim}}"), Some(claim)),
        ("DELETE", format!("{d}/claims/{{claim}}"), None),
        ("GET", format!("{d}/credentials/keys"), None),
        ("GET", format!("{d}/credentials/keys/{{key}}"), None),
        (
            "POST",
            format!("{d}/credentials/lifecycle/keyRotate"),
            Some(json!({"use": "sig"})),
        ),
        ("GET", format!("{c}?q=web&limit=1"), None),
        ("POST", c.to_owned(), Some(client.clone())),
        ("POST", c.to_owned(), Some(jwks_client)),
        ("GET", format!("{c}/{{client}}"), None),
        ("PUT", format!("{c}/web-app"), Some(client)),
        ("POST", format!("{c}/web-app/lifecycle/newSecret"), None),
        ("DELETE", format!("{c}/{{client}}"), None),
    ];
    let mut out: Vec<String> = many
        .iter()
        .map(|(method, target, body)| format(&[(method, target, body.clone())]))
        .collect();
    // Sequences: create then use.
    out.push(format(&[
        ("POST", s, Some(server)),
        ("POST", &format!("{s}/{{server}}/scopes"), Some(json!({"name": "a:b"}))),
        ("GET", &format!("{s}/{{server}}/policies"), None),
        ("DELETE", &format!("{s}/{{server}}"), None),
    ]));
    // Rows of the bad-input table.
    for (method, target, body) in [
        ("!GET", s.to_owned(), None),
        ("POST", s.to_owned(), Some("{not json")),
        ("POST", s.to_owned(), Some("[]")),
        ("POST", format!("{d}/scopes"), Some(r#"{"name": "okta.users.read"}"#)),
        (
            "POST",
            format!("{d}/claims"),
            Some(r#"{"name": "c", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.("}"#),
        ),
        (
            "POST",
            format!("{d}/policies/{{policy}}/rules"),
            Some(
                r#"{"type": "RESOURCE_ACCESS", "name": "r", "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["*"]}}, "actions": {"token": {"refreshTokenLifetimeMinutes": 18446744073709551615}}}"#,
            ),
        ),
        (
            "POST",
            c.to_owned(),
            Some(
                r#"{"client_name": "x", "application_type": "web", "redirect_uris": ["javascript:alert(1)"], "grant_types": ["authorization_code"]}"#,
            ),
        ),
        ("POST", format!("{c}/spa/lifecycle/newSecret"), None),
        ("DELETE", d.to_owned(), None),
        ("GET", format!("{c}?limit=0"), None),
    ] {
        out.push(match body {
            Some(body) => format!("{method} {target}\n{body}"),
            None => format!("{method} {target}"),
        });
    }
    out
}

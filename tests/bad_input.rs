//! Bad input to the management API, as a table: each case is one request (bad JSON, wrong types,
//! missing fields, values out of range, hostile strings, unknown ids, wrong methods, no caller)
//! with the status and error it is documented to get, and every case must leave the stores
//! exactly as they were (design principle: "A bad input gets a clear error of the documented kind
//! and changes nothing stored").
//!
//! The stores are snapshotted once, after seeding: the configuration of every server
//! (`ConfigStore::load`), its key ring, and every client record of the directory. Each case is
//! sent through `ManagementApi::handle`, as a host's router would, and the snapshot is compared
//! afterwards. The limits the cases probe are listed in the "Limits" section of
//! `authserver::admin`.
//!
//! Okta's error objects are checked by `errorCode` and the exact `errorSummary`; client
//! registration errors (RFC 7591 §3.2.2) by `error` and how `error_description` starts (it names
//! the field first). The endpoint (OAuth) half of the table is the `endpoints` module
//! (`tests/bad_input/endpoints.rs`).

use std::sync::Arc;

#[path = "bad_input/endpoints.rs"]
mod endpoints;

use authserver::admin::{ApiRequest, ApiResponse, Caller, ManagementApi, Method};
use authserver::clock::ManualClock;
use authserver::crypto::PasswordHasher;
use authserver::jose::Algorithm;
use authserver::keys::{KeyRing, RotationSettings, SoftwareKeys};
use authserver::model::ClientRecord;
use authserver::store::{ConfigStore, MemoryConfigStore, MemoryDirectory, ServerConfig};
use serde_json::{Value, json};
use time::macros::datetime;

type Api = ManagementApi<MemoryConfigStore, MemoryDirectory>;

const SERVERS: &str = "/api/v1/authorizationServers";
const DEFAULT: &str = "/api/v1/authorizationServers/default";
const CLIENTS: &str = "/oauth2/v1/clients";

/// A request body.
enum Body {
    /// No body at all.
    None,
    /// JSON.
    Json(Value),
    /// Raw bytes: not JSON, or not UTF-8.
    Bytes(Vec<u8>),
}

/// What a case must be answered.
enum Expect {
    /// Okta's error object: status, `errorCode`, exact `errorSummary`.
    Okta(u16, &'static str, String),
    /// RFC 7591 §3.2.2 (`400`): `error`, and the start of `error_description`.
    Registration(&'static str, String),
}

/// One row of the table.
struct Case {
    /// What is wrong with the request.
    what: &'static str,
    method: Method,
    path: String,
    body: Body,
    /// Whether the host authenticated a caller.
    caller: bool,
    expect: Expect,
}

fn case(what: &'static str, method: Method, path: impl Into<String>, body: Body, expect: Expect) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        body,
        caller: true,
        expect,
    }
}

fn json(value: Value) -> Body {
    Body::Json(value)
}

fn bytes(raw: &[u8]) -> Body {
    Body::Bytes(raw.to_vec())
}

/// `400 E0000001 Api validation failed: <fields>`.
fn invalid(fields: &str) -> Expect {
    Expect::Okta(400, "E0000001", format!("Api validation failed: {fields}"))
}

/// `400 E0000003 The request body was not well-formed.`
fn malformed() -> Expect {
    Expect::Okta(400, "E0000003", "The request body was not well-formed.".into())
}

/// `404 E0000007 Not found: Resource not found: <id> (<kind>)`.
fn not_found(id: &str, kind: &str) -> Expect {
    Expect::Okta(404, "E0000007", format!("Not found: Resource not found: {id} ({kind})"))
}

/// `404 E0000008 The requested path was not found`.
fn no_path() -> Expect {
    Expect::Okta(404, "E0000008", "The requested path was not found".into())
}

/// `405 E0000022`.
fn wrong_method() -> Expect {
    Expect::Okta(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method".into(),
    )
}

/// `403 E0000006`, with what follows Okta's summary.
fn forbidden(rest: &str) -> Expect {
    Expect::Okta(
        403,
        "E0000006",
        format!("You do not have permission to perform the requested action{rest}"),
    )
}

/// `400 E0000029 Invalid paging request.`
fn bad_paging() -> Expect {
    Expect::Okta(400, "E0000029", "Invalid paging request.".into())
}

/// An RFC 7591 error whose description starts with `` `<field>`: ``.
fn registration(error: &'static str, field: &str) -> Expect {
    Expect::Registration(error, format!("`{field}`:"))
}

/// What the stores hold: every server's configuration and key ring, and every client.
#[derive(Debug, PartialEq)]
struct Snapshot {
    servers: Vec<(ServerConfig, Option<KeyRing>)>,
    clients: Vec<ClientRecord>,
}

async fn snapshot(api: &Api) -> Snapshot {
    let mut servers = Vec::new();
    for server in api.list_servers(None).await.expect("servers") {
        let config = api
            .config_store()
            .load(&server.id)
            .await
            .expect("load")
            .expect("config");
        let ring = api.config_store().key_ring(&server.id).await.expect("key ring");
        servers.push((config, ring));
    }
    let clients = api.list_clients(None).await.expect("clients");
    Snapshot { servers, clients }
}

async fn send(api: &Api, case: &Case) -> ApiResponse {
    let admin = Caller { id: "admin".into() };
    let raw;
    let body = match &case.body {
        Body::None => None,
        Body::Json(value) => {
            raw = serde_json::to_vec(value).expect("JSON");
            Some(raw.as_slice())
        }
        Body::Bytes(bytes) => Some(bytes.as_slice()),
    };
    let (path, query) = case.path.split_once('?').unwrap_or((&case.path, ""));
    let request = ApiRequest {
        method: case.method,
        path,
        query,
        body,
        caller: case.caller.then_some(&admin),
    };
    api.handle(&request).await
}

/// Ids the cases refer to, made by seeding.
struct Seeded {
    policy: String,
    rule: String,
    openid: String,
    sub: String,
    orders_read: String,
}

/// The `default` server (Okta's, with its policy and rule), a custom scope and claim, a rule that
/// names the scope, a confidential web client `web-app` and a public client `spa`.
async fn seed(api: &Api) -> Seeded {
    api.ensure_default_server().await.expect("default server");
    let created = |response: ApiResponse| {
        assert!(
            matches!(response.status, 200 | 201),
            "seeding failed: {:?}",
            response.body
        );
        response.body.unwrap_or_default()
    };
    let post = |path: String, body: Value| async move {
        let case = case("seed", Method::Post, path, json(body), no_path());
        send(api, &case).await
    };
    created(post(format!("{DEFAULT}/scopes"), json!({"name": "orders:read"})).await);
    created(
        post(
            format!("{DEFAULT}/claims"),
            json!({"name": "tier", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"gold\""}),
        )
        .await,
    );
    let config = api.config_store().load("default").await.unwrap().unwrap();
    let policy = config.policies[0].policy.id.clone();
    let rule = created(
        post(
            format!("{DEFAULT}/policies/{policy}/rules"),
            json!({"type": "RESOURCE_ACCESS", "name": "Order readers",
                   "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["orders:read"]}}}),
        )
        .await,
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let web = json!({"client_id": "web-app", "client_name": "Web app", "application_type": "web",
                     "redirect_uris": ["https://web.example.com/callback"], "grant_types": ["authorization_code"],
                     "token_endpoint_auth_method": "client_secret_basic"});
    assert_eq!(
        api.import_client_json(&serde_json::to_vec(&web).unwrap()).await.status,
        201
    );
    let spa = json!({"client_id": "spa", "client_name": "SPA", "application_type": "browser",
                     "redirect_uris": ["https://spa.example.com/callback"], "grant_types": ["authorization_code"],
                     "token_endpoint_auth_method": "none"});
    assert_eq!(
        api.import_client_json(&serde_json::to_vec(&spa).unwrap()).await.status,
        201
    );
    let config = api.config_store().load("default").await.unwrap().unwrap();
    let id_of = |name: &str| -> String {
        let scope = config.scopes.iter().find(|s| s.name == name).map(|s| s.id.clone());
        let claim = config.claims.iter().find(|c| c.name == name).map(|c| c.id.clone());
        scope.or(claim).expect("seeded")
    };
    Seeded {
        policy,
        rule,
        openid: id_of("openid"),
        sub: id_of("sub"),
        orders_read: id_of("orders:read"),
    }
}

/// A valid server body with `changes` applied.
fn server_with(changes: Value) -> Value {
    let mut body = json!({"name": "Orders", "description": "Orders API", "audiences": ["api://orders"]});
    merge(&mut body, changes);
    body
}

/// A valid client-credentials rule body with `changes` applied (`conditions` members merged).
fn rule_with(changes: Value) -> Value {
    let mut body = json!({"type": "RESOURCE_ACCESS", "name": "r",
                          "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["*"]}}});
    merge(&mut body, changes);
    body
}

/// A valid web client body with `changes` applied.
fn client_with(changes: Value) -> Value {
    let mut body = json!({"client_name": "New app", "application_type": "web",
                          "redirect_uris": ["https://new.example.com/callback"], "grant_types": ["authorization_code"]});
    merge(&mut body, changes);
    body
}

/// Sets each member of `changes` in `body`, merging objects one level down.
fn merge(body: &mut Value, changes: Value) {
    for (key, value) in changes.as_object().expect("an object of changes") {
        match (body.get_mut(key), value) {
            (Some(Value::Object(into)), Value::Object(from)) => {
                for (k, v) in from {
                    into.insert(k.clone(), v.clone());
                }
            }
            _ => body[key] = value.clone(),
        }
    }
}

fn long(n: usize) -> String {
    "x".repeat(n)
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("id{i}")).collect()
}

#[rustfmt::skip] // A table: one case a line.
fn cases(seeded: &Seeded) -> Vec<Case> {
    use Method::{Delete, Get, Post, Put};
    let Seeded {
        policy,
        rule,
        openid,
        sub,
        orders_read,
    } = seeded;
    let scopes = format!("{DEFAULT}/scopes");
    let claims = format!("{DEFAULT}/claims");
    let policies = format!("{DEFAULT}/policies");
    let rules = format!("{policies}/{policy}/rules");
    let rotate = format!("{DEFAULT}/credentials/lifecycle/keyRotate");
    let claim = |changes: Value| {
        let mut body = json!({"name": "c", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"v\""});
        merge(&mut body, changes);
        body
    };
    let policy_body = |changes: Value| {
        let mut body =
            json!({"name": "p", "description": "d", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}});
        merge(&mut body, changes);
        body
    };
    let key = json!({"kty": "RSA", "kid": "k", "e": "AQAB", "n": "AJnc"});
    vec![
        // Every request needs a caller, and a path the API knows.
        Case { caller: false, ..case("no caller", Get, SERVERS, Body::None, forbidden("")) },
        Case { caller: false, ..case("no caller, a write", Post, SERVERS, json(server_with(json!({}))), forbidden("")) },
        case("an unknown API", Get, "/api/v1/somethingElse", Body::None, no_path()),
        case("an unknown sub-resource", Get, format!("{DEFAULT}/widgets"), Body::None, no_path()),
        // Authorization servers.
        case("no body", Post, SERVERS, Body::None, malformed()),
        case("not JSON", Post, SERVERS, bytes(b"{not json"), malformed()),
        case("not UTF-8", Post, SERVERS, bytes(&[0xff, 0xfe, 0x7b, 0x7d]), malformed()),
        case("a JSON array", Post, SERVERS, bytes(b"[]"), malformed()),
        case("a JSON string", Post, SERVERS, bytes(b"\"server\""), malformed()),
        case("truncated JSON", Post, SERVERS, bytes(br#"{"name": "Orders""#), malformed()),
        case("every required field missing", Post, SERVERS, json(json!({})), invalid("name, description, audiences")),
        case("name of the wrong type", Post, SERVERS, json(server_with(json!({"name": 5}))), malformed()),
        case("audiences of the wrong type", Post, SERVERS, json(server_with(json!({"audiences": 5}))), malformed()),
        case("an unknown status", Post, SERVERS, json(server_with(json!({"status": "PAUSED"}))), malformed()),
        case("an unknown issuerMode", Post, SERVERS, json(server_with(json!({"issuerMode": "ANY_URL"}))), malformed()),
        case("an unknown rotationMode", Post, SERVERS, json(server_with(json!({"credentials": {"signing": {"rotationMode": "SOMETIMES"}}}))), malformed()),
        case("two audiences", Post, SERVERS, json(server_with(json!({"audiences": ["api://a", "api://b"]}))), invalid("audiences")),
        case("a blank audience", Post, SERVERS, json(server_with(json!({"audiences": ["  "]}))), invalid("audiences")),
        case("an audience that is not a URI", Post, SERVERS, json(server_with(json!({"audiences": ["a:b c"]}))), invalid("audiences")),
        case("a blank name", Post, SERVERS, json(server_with(json!({"name": " \t "}))), invalid("name")),
        case("a name of 256 characters", Post, SERVERS, json(server_with(json!({"name": long(256)}))), invalid("name")),
        case("a name with a NUL", Post, SERVERS, json(server_with(json!({"name": "Or\u{0}ders"}))), invalid("name")),
        case("a name with an escape sequence", Post, SERVERS, json(server_with(json!({"name": "\u{1b}[2J"}))), invalid("name")),
        case("a description of 1025 characters", Post, SERVERS, json(server_with(json!({"description": long(1025)}))), invalid("description")),
        case("an audience of 1025 characters", Post, SERVERS, json(server_with(json!({"audiences": [format!("api://{}", long(1019))]}))), invalid("audiences")),
        case("an audience with a line break", Post, SERVERS, json(server_with(json!({"audiences": ["api://a\nb"]}))), invalid("audiences")),
        case("a limit of 0", Get, format!("{SERVERS}?limit=0"), Body::None, bad_paging()),
        case("a limit that is not a number", Get, format!("{SERVERS}?limit=ten"), Body::None, bad_paging()),
        case("a cursor that names no server", Get, format!("{SERVERS}?after=ausNoSuchServer"), Body::None, bad_paging()),
        case("PUT on the collection", Put, SERVERS, json(server_with(json!({}))), wrong_method()),
        case("an unknown server", Get, format!("{SERVERS}/ausNope"), Body::None, not_found("ausNope", "AuthorizationServer")),
        case("replacing an unknown server", Put, format!("{SERVERS}/ausNope"), json(server_with(json!({}))), not_found("ausNope", "AuthorizationServer")),
        case("a bad body for an unknown server", Put, format!("{SERVERS}/ausNope"), bytes(b"nope"), not_found("ausNope", "AuthorizationServer")),
        case("deleting an unknown server", Delete, format!("{SERVERS}/ausNope"), Body::None, not_found("ausNope", "AuthorizationServer")),
        case("activating an unknown server", Post, format!("{SERVERS}/ausNope/lifecycle/activate"), Body::None, not_found("ausNope", "AuthorizationServer")),
        case("an unknown lifecycle action", Post, format!("{DEFAULT}/lifecycle/suspend"), Body::None, no_path()),
        case("GET on a lifecycle action", Get, format!("{DEFAULT}/lifecycle/activate"), Body::None, wrong_method()),
        case("replacing with every field missing", Put, DEFAULT, json(json!({})), invalid("name, description, audiences")),
        case("replacing with a hostile name", Put, DEFAULT, json(server_with(json!({"name": long(100_000)}))), invalid("name")),
        case("deleting the default server", Delete, DEFAULT, Body::None, forbidden(": the default authorization server is a system object")),
        // Scopes.
        case("no body", Post, scopes.clone(), Body::None, malformed()),
        case("no name", Post, scopes.clone(), json(json!({})), invalid("name")),
        case("a name of the wrong type", Post, scopes.clone(), json(json!({"name": 5})), malformed()),
        case("a name starting with okta.", Post, scopes.clone(), json(json!({"name": "okta.users.read"})), invalid("name")),
        case("the name *", Post, scopes.clone(), json(json!({"name": "*"})), invalid("name")),
        case("a name with a space", Post, scopes.clone(), json(json!({"name": "orders read"})), invalid("name")),
        case("a name with a NUL", Post, scopes.clone(), json(json!({"name": "orders\u{0}"})), invalid("name")),
        case("a name beyond ASCII", Post, scopes.clone(), json(json!({"name": "commandes:lire→"})), invalid("name")),
        case("a name of 256 characters", Post, scopes.clone(), json(json!({"name": long(256)})), invalid("name")),
        case("a taken name", Post, scopes.clone(), json(json!({"name": "orders:read"})), invalid("name")),
        case("an unknown consent", Post, scopes.clone(), json(json!({"name": "s", "consent": "SOMETIMES"})), invalid("consent")),
        case("an unknown metadataPublish", Post, scopes.clone(), json(json!({"name": "s", "metadataPublish": "EVERYONE"})), invalid("metadataPublish")),
        case("a displayName of 256 characters", Post, scopes.clone(), json(json!({"name": "s", "displayName": long(256)})), invalid("displayName")),
        case("a description of 1025 characters", Post, scopes.clone(), json(json!({"name": "s", "description": long(1025)})), invalid("description")),
        case("a description with a bell", Post, scopes.clone(), json(json!({"name": "s", "description": "ding\u{7}"})), invalid("description")),
        case("an unknown scope", Get, format!("{scopes}/scpNope"), Body::None, not_found("scpNope", "OAuth2Scope")),
        case("replacing an unknown scope", Put, format!("{scopes}/scpNope"), json(json!({"name": "s"})), not_found("scpNope", "OAuth2Scope")),
        case("deleting an unknown scope", Delete, format!("{scopes}/scpNope"), Body::None, not_found("scpNope", "OAuth2Scope")),
        case("a scope of an unknown server", Post, format!("{SERVERS}/ausNope/scopes"), json(json!({"name": "s"})), not_found("ausNope", "AuthorizationServer")),
        case("deleting a system scope", Delete, format!("{scopes}/{openid}"), Body::None, forbidden(": OAuth2Scope is a system object")),
        case("renaming a system scope", Put, format!("{scopes}/{openid}"), json(json!({"name": "openid2"})), invalid("name")),
        case("a limit below 1", Get, format!("{scopes}?limit=-1"), Body::None, bad_paging()),
        // Claims.
        case("every required field missing", Post, claims.clone(), json(json!({})), invalid("name, claimType, valueType")),
        case("an unknown claimType", Post, claims.clone(), json(claim(json!({"claimType": "BOTH"}))), invalid("claimType")),
        case("an unknown valueType", Post, claims.clone(), json(claim(json!({"valueType": "MAGIC"}))), invalid("valueType")),
        case("an unknown group_filter_type", Post, claims.clone(), json(claim(json!({"group_filter_type": "FUZZY"}))), invalid("group_filter_type")),
        case("a value of the wrong type", Post, claims.clone(), json(claim(json!({"value": 5}))), malformed()),
        case("alwaysIncludeInToken that is no boolean", Post, claims.clone(), json(claim(json!({"alwaysIncludeInToken": "maybe"}))), malformed()),
        case("an expression that does not parse", Post, claims.clone(), json(claim(json!({"value": "user.("}))), invalid("value")),
        case("a value of 1025 characters", Post, claims.clone(), json(claim(json!({"value": format!("\"{}\"", long(1023))}))), invalid("value")),
        case("a reserved claim name", Post, claims.clone(), json(claim(json!({"name": "iss"}))), invalid("name")),
        case("a name of 256 characters", Post, claims.clone(), json(claim(json!({"name": long(256)}))), invalid("name")),
        case("a name with a line break", Post, claims.clone(), json(claim(json!({"name": "ti\ner"}))), invalid("name")),
        case("a taken name", Post, claims.clone(), json(claim(json!({"name": "tier"}))), invalid("name")),
        case("a custom SYSTEM claim", Post, claims.clone(), json(claim(json!({"valueType": "SYSTEM"}))), invalid("valueType")),
        case("a GROUPS claim without a filter type", Post, claims.clone(), json(claim(json!({"valueType": "GROUPS", "value": "Admins"}))), invalid("group_filter_type")),
        case("a condition on an unknown scope", Post, claims.clone(), json(claim(json!({"conditions": {"scopes": ["nope:scope"]}}))), invalid("conditions.scopes")),
        case("101 condition scopes", Post, claims.clone(), json(claim(json!({"conditions": {"scopes": vec!["openid"; 101]}}))), invalid("conditions.scopes")),
        case("an unknown claim", Get, format!("{claims}/oclNope"), Body::None, not_found("oclNope", "OAuth2Claim")),
        case("deleting a system claim", Delete, format!("{claims}/{sub}"), Body::None, forbidden(": OAuth2Claim is a system object")),
        case("renaming a system claim", Put, format!("{claims}/{sub}"), json(json!({"name": "subject", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.id"})), invalid("name")),
        // Policies.
        case("every required field missing", Post, policies.clone(), json(json!({})), invalid("name, description, conditions.clients.include")),
        case("a name of 101 characters", Post, policies.clone(), json(policy_body(json!({"name": long(101)}))), invalid("name")),
        case("a description of 256 characters", Post, policies.clone(), json(policy_body(json!({"description": long(256)}))), invalid("description")),
        case("no clients", Post, policies.clone(), json(policy_body(json!({"conditions": {"clients": {"include": []}}}))), invalid("conditions.clients.include")),
        case("a blank client id", Post, policies.clone(), json(policy_body(json!({"conditions": {"clients": {"include": [""]}}}))), invalid("conditions.clients.include")),
        case("101 clients", Post, policies.clone(), json(policy_body(json!({"conditions": {"clients": {"include": ids(101)}}}))), invalid("conditions.clients.include")),
        case("a negative priority", Post, policies.clone(), json(policy_body(json!({"priority": -1}))), malformed()),
        case("a priority of the wrong type", Post, policies.clone(), json(policy_body(json!({"priority": "first"}))), malformed()),
        case("an unknown policy type", Post, policies.clone(), json(policy_body(json!({"type": "OKTA_SIGN_ON"}))), malformed()),
        case("an unknown policy", Get, format!("{policies}/00pNope"), Body::None, not_found("00pNope", "AuthorizationServerPolicy")),
        case("replacing an unknown policy", Put, format!("{policies}/00pNope"), json(policy_body(json!({}))), not_found("00pNope", "AuthorizationServerPolicy")),
        case("deleting an unknown policy", Delete, format!("{policies}/00pNope"), Body::None, not_found("00pNope", "AuthorizationServerPolicy")),
        case("activating an unknown policy", Post, format!("{policies}/00pNope/lifecycle/activate"), Body::None, not_found("00pNope", "AuthorizationServerPolicy")),
        case("GET on a policy lifecycle action", Get, format!("{policies}/{policy}/lifecycle/activate"), Body::None, wrong_method()),
        // Rules.
        case("every required field missing", Post, rules.clone(), json(json!({})), invalid("name, type, conditions")),
        case("an unknown grant type", Post, rules.clone(), json(rule_with(json!({"conditions": {"grantTypes": {"include": ["client-credentials"]}}}))), invalid("conditions.grantTypes")),
        case("no grant types", Post, rules.clone(), json(rule_with(json!({"conditions": {"grantTypes": {"include": []}}}))), invalid("conditions.grantTypes")),
        case("a user grant without people", Post, rules.clone(), json(rule_with(json!({"conditions": {"grantTypes": {"include": ["password"]}}}))), invalid("conditions.people")),
        case("an unknown scope", Post, rules.clone(), json(rule_with(json!({"conditions": {"scopes": {"include": ["nope:scope"]}}}))), invalid("conditions.scopes")),
        case("an access lifetime of 4 minutes", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"accessTokenLifetimeMinutes": 4}}}))), invalid("actions.token.accessTokenLifetimeMinutes")),
        case("an access lifetime of 1441 minutes", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"accessTokenLifetimeMinutes": 1441}}}))), invalid("actions.token.accessTokenLifetimeMinutes")),
        case("a refresh lifetime of u32::MAX minutes", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenLifetimeMinutes": 4_294_967_295_u64}}}))), invalid("actions.token.refreshTokenLifetimeMinutes")),
        case("a refresh lifetime of 2^64-1 minutes", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenLifetimeMinutes": u64::MAX}}}))), invalid("actions.token.refreshTokenLifetimeMinutes")),
        case("a negative refresh lifetime", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenLifetimeMinutes": -1}}}))), invalid("actions.token.refreshTokenLifetimeMinutes")),
        case("a refresh lifetime below the access lifetime", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenLifetimeMinutes": 30}}}))), invalid("actions.token.refreshTokenLifetimeMinutes")),
        case("a refresh window of 9 minutes", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenWindowMinutes": 9}}}))), invalid("actions.token.refreshTokenWindowMinutes")),
        case("a refresh window beyond five years", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenWindowMinutes": 2_628_001}}}))), invalid("actions.token.refreshTokenWindowMinutes")),
        case("a fractional window", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"refreshTokenWindowMinutes": 10.5}}}))), invalid("actions.token.refreshTokenWindowMinutes")),
        case("a lifetime as a string", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"accessTokenLifetimeMinutes": "60"}}}))), malformed()),
        case("token and actions.token disagreeing", Post, rules.clone(), json(rule_with(json!({"token": {"accessTokenLifetimeMinutes": 30}, "actions": {"token": {"accessTokenLifetimeMinutes": 60}}}))), invalid("actions.token")),
        case("101 users", Post, rules.clone(), json(rule_with(json!({"conditions": {"people": {"users": {"include": ids(101)}}}}))), invalid("conditions.people.users.include")),
        case("17 grant types", Post, rules.clone(), json(rule_with(json!({"conditions": {"grantTypes": {"include": vec!["client_credentials"; 17]}}}))), invalid("conditions.grantTypes")),
        case("1001 scopes", Post, rules.clone(), json(rule_with(json!({"conditions": {"scopes": {"include": vec!["openid"; 1001]}}}))), invalid("conditions.scopes")),
        case("an inline hook id of 256 characters", Post, rules.clone(), json(rule_with(json!({"actions": {"token": {"inlineHook": {"id": long(256)}}}}))), invalid("actions.token.inlineHook.id")),
        case("a name with a NUL", Post, rules.clone(), json(rule_with(json!({"name": "r\u{0}"}))), invalid("name")),
        case("an unknown rule type", Post, rules.clone(), json(rule_with(json!({"type": "SIGN_ON"}))), malformed()),
        case("people of the wrong type", Post, rules.clone(), json(rule_with(json!({"conditions": {"people": {"users": {"include": "u1"}}}}))), malformed()),
        case("an unknown rule", Get, format!("{rules}/0prNope"), Body::None, not_found("0prNope", "AuthorizationServerPolicyRule")),
        case("deleting an unknown rule", Delete, format!("{rules}/0prNope"), Body::None, not_found("0prNope", "AuthorizationServerPolicyRule")),
        case("a rule of an unknown policy", Post, format!("{policies}/00pNope/rules"), json(rule_with(json!({}))), not_found("00pNope", "AuthorizationServerPolicy")),
        case("an unknown rule lifecycle action", Post, format!("{rules}/{rule}/lifecycle/suspend"), Body::None, no_path()),
        case("replacing a rule with a lifetime beyond five years", Put, format!("{rules}/{rule}"), json(rule_with(json!({"actions": {"token": {"refreshTokenLifetimeMinutes": 2_628_001}}}))), invalid("actions.token.refreshTokenLifetimeMinutes")),
        case("deleting a scope a rule names", Delete, format!("{scopes}/{orders_read}"), Body::None, invalid("name")),
        // Signing keys.
        case("keyRotate without a body", Post, rotate.clone(), Body::None, Expect::Okta(400, "E0000001", "Api validation failed: rotateKeys".into())),
        case("keyRotate for encryption keys", Post, rotate.clone(), json(json!({"use": "enc"})), Expect::Okta(400, "E0000001", "Api validation failed: rotateKeys".into())),
        case("keyRotate with a body that is not JSON", Post, rotate.clone(), bytes(b"{use: sig}"), malformed()),
        case("keyRotate of an unknown server", Post, format!("{SERVERS}/ausNope/credentials/lifecycle/keyRotate"), json(json!({"use": "sig"})), not_found("ausNope", "AuthorizationServer")),
        case("an unknown key", Get, format!("{DEFAULT}/credentials/keys/nope"), Body::None, not_found("nope", "AuthorizationServerKey")),
        case("POST on the key list", Post, format!("{DEFAULT}/credentials/keys"), json(json!({})), wrong_method()),
        // Clients (RFC 7591 errors for metadata, Okta's objects otherwise).
        case("no body", Post, CLIENTS, Body::None, malformed()),
        case("not JSON", Post, CLIENTS, bytes(b"client_name=x"), malformed()),
        case("no client_name", Post, CLIENTS, json(json!({})), registration("invalid_client_metadata", "client_name")),
        case("a client_name of the wrong type", Post, CLIENTS, json(client_with(json!({"client_name": 5}))), registration("invalid_client_metadata", "client_name")),
        case("a client_name of 256 characters", Post, CLIENTS, json(client_with(json!({"client_name": long(256)}))), registration("invalid_client_metadata", "client_name")),
        case("a client_name with a bell", Post, CLIENTS, json(client_with(json!({"client_name": "app\u{7}"}))), registration("invalid_client_metadata", "client_name")),
        case("no redirect URI for the code grant", Post, CLIENTS, json(client_with(json!({"redirect_uris": []}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a javascript: redirect URI", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["javascript:alert(document.cookie)"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a data: redirect URI", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["data:text/html,<script>alert(1)</script>"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a VBScript: redirect URI", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["VBScript:msgbox(1)"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a file: redirect URI", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["file:///etc/passwd"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a javascript: post-logout URI", Post, CLIENTS, json(client_with(json!({"post_logout_redirect_uris": ["JAVASCRIPT:alert(1)"]}))), registration("invalid_redirect_uri", "post_logout_redirect_uris")),
        case("a data: initiate_login_uri", Post, CLIENTS, json(client_with(json!({"initiate_login_uri": "data:,hello"}))), registration("invalid_redirect_uri", "initiate_login_uri")),
        case("a javascript: logo_uri", Post, CLIENTS, json(client_with(json!({"logo_uri": "javascript:alert(1)"}))), registration("invalid_client_metadata", "logo_uri")),
        case("a redirect URI with a fragment", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["https://a.example/cb#x"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a relative redirect URI", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["/callback"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a redirect URI with a line break", Post, CLIENTS, json(client_with(json!({"redirect_uris": ["https://a.example/cb\n"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("a redirect URI of 1025 characters", Post, CLIENTS, json(client_with(json!({"redirect_uris": [format!("https://a.example/{}", long(1007))]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("101 redirect URIs", Post, CLIENTS, json(client_with(json!({"redirect_uris": (0..101).map(|n| format!("https://a.example/{n}")).collect::<Vec<_>>()}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("redirect_uris as a string", Post, CLIENTS, json(client_with(json!({"redirect_uris": "https://a.example/cb"}))), registration("invalid_client_metadata", "body")),
        case("an unknown auth method", Post, CLIENTS, json(client_with(json!({"token_endpoint_auth_method": "client_secret"}))), registration("invalid_client_metadata", "token_endpoint_auth_method")),
        case("an unknown grant type", Post, CLIENTS, json(client_with(json!({"grant_types": ["client-credentials"]}))), registration("invalid_client_metadata", "grant_types")),
        case("17 grant types", Post, CLIENTS, json(client_with(json!({"grant_types": vec!["authorization_code"; 17]}))), registration("invalid_client_metadata", "grant_types")),
        case("a leeway of 61 seconds", Post, CLIENTS, json(client_with(json!({"refresh_token": {"rotation_type": "ROTATE", "leeway": 61}}))), registration("invalid_client_metadata", "refresh_token.leeway")),
        case("a negative leeway", Post, CLIENTS, json(client_with(json!({"refresh_token": {"rotation_type": "ROTATE", "leeway": -1}}))), registration("invalid_client_metadata", "refresh_token.leeway")),
        case("a JWK Set of 21 keys", Post, CLIENTS, json(client_with(json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": vec![key; 21]}}))), registration("invalid_client_metadata", "jwks")),
        case("a browser client with a secret method", Post, CLIENTS, json(client_with(json!({"application_type": "browser"}))), registration("invalid_client_metadata", "token_endpoint_auth_method")),
        case("an unknown client", Get, format!("{CLIENTS}/0oaNope"), Body::None, not_found("0oaNope", "OAuth2Client")),
        case("replacing an unknown client", Put, format!("{CLIENTS}/0oaNope"), json(client_with(json!({}))), not_found("0oaNope", "OAuth2Client")),
        case("deleting an unknown client", Delete, format!("{CLIENTS}/0oaNope"), Body::None, not_found("0oaNope", "OAuth2Client")),
        case("a new secret for an unknown client", Post, format!("{CLIENTS}/0oaNope/lifecycle/newSecret"), Body::None, not_found("0oaNope", "OAuth2Client")),
        case("a new secret for a public client", Post, format!("{CLIENTS}/spa/lifecycle/newSecret"), Body::None, registration("invalid_client_metadata", "token_endpoint_auth_method")),
        case("GET on newSecret", Get, format!("{CLIENTS}/web-app/lifecycle/newSecret"), Body::None, wrong_method()),
        case("replacing with another client_id", Put, format!("{CLIENTS}/web-app"), json(client_with(json!({"client_id": "0oaOther"}))), registration("invalid_client_metadata", "client_id")),
        case("replacing with a javascript: redirect URI", Put, format!("{CLIENTS}/web-app"), json(client_with(json!({"redirect_uris": ["javascript:alert(1)"]}))), registration("invalid_redirect_uri", "redirect_uris")),
        case("replacing with a body that is not JSON", Put, format!("{CLIENTS}/web-app"), bytes(b"\xff\xfe"), malformed()),
        case("a client limit of 0", Get, format!("{CLIENTS}?limit=0"), Body::None, bad_paging()),
        case("DELETE on the client collection", Delete, CLIENTS, Body::None, wrong_method()),
    ]
}

#[tokio::test]
async fn every_bad_input_gets_its_documented_error_and_changes_nothing() {
    let clock = Arc::new(ManualClock::new(datetime!(2025-01-01 0:00 UTC)));
    let api = ManagementApi::new(
        Arc::new(MemoryConfigStore::new()),
        Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))),
        Arc::new(SoftwareKeys),
        clock,
        "https://id.example.com",
    )
    .with_rotation_settings(RotationSettings {
        algorithm: Algorithm::EdDSA,
        ..RotationSettings::default()
    });
    let table = cases(&seed(&api).await);
    assert!(table.len() >= 100, "the table has {} cases", table.len());
    let before = snapshot(&api).await;
    let mut failures = Vec::new();
    for case in &table {
        let response = send(&api, case).await;
        let body = response.body.clone().unwrap_or(Value::Null);
        let label = format!(
            "{} {} {} ({})",
            case.method.as_str(),
            case.path.chars().take(120).collect::<String>(),
            case.what,
            body
        );
        match &case.expect {
            Expect::Okta(status, code, summary) => {
                if (
                    response.status,
                    body["errorCode"].as_str(),
                    body["errorSummary"].as_str(),
                ) != (*status, Some(*code), Some(summary.as_str()))
                {
                    failures.push(format!(
                        "{label}: expected {status} {code} {summary:?}, got {}",
                        response.status
                    ));
                }
                if body["errorLink"] != body["errorCode"] || !body["errorCauses"].is_array() {
                    failures.push(format!("{label}: not Okta's error object"));
                }
                if *code == "E0000001" && body["errorCauses"].as_array().is_none_or(Vec::is_empty) {
                    failures.push(format!("{label}: E0000001 without a cause naming the field"));
                }
            }
            Expect::Registration(error, start) => {
                let description = body["error_description"].as_str().unwrap_or_default();
                if (response.status, body["error"].as_str()) != (400, Some(*error))
                    || !description.starts_with(start.as_str())
                {
                    failures.push(format!(
                        "{label}: expected 400 {error} starting {start:?}, got {}",
                        response.status
                    ));
                }
            }
        }
        if snapshot(&api).await != before {
            failures.push(format!("{label}: the stores changed"));
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

use std::sync::Arc;

use base64::Engine as _;
use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::AuthServer;
use crate::clock::ManualClock;
use crate::crypto::PasswordHasher;
use crate::endpoint::EndpointRequest;
use crate::jose::Algorithm;
use crate::keys::RotationSettings;
use crate::secret::ClientSecret;
use crate::store::{Directory, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const NOW: OffsetDateTime = datetime!(2024-01-01 0:00 UTC);

/// The example host's org document.
const SAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json"));

fn error_of(text: &str) -> OrgError {
    match Org::parse(text, "org.json") {
        Ok(_) => panic!("{text} parsed"),
        Err(error) => error,
    }
}

/// A host on empty memory stores, with EdDSA keys (instant to generate) and a cheap hash.
fn server() -> Server {
    AuthServer::builder("https://id.test")
        .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
        .clock(Arc::new(ManualClock::new(NOW)))
        .rotation(RotationSettings {
            algorithm: Algorithm::EdDSA,
            ..RotationSettings::default()
        })
        .build()
}

/// Parses `text` and installs it into `server`.
async fn install(server: &Server, text: &str) -> Result<Org, OrgError> {
    let org = Org::parse(text, "org.json")?;
    org.install(server.management(), NOW).await?;
    Ok(org)
}

#[test]
fn errors_name_the_file_the_path_and_the_problem() {
    let error = error_of(r#"{"apiToken": "t", "users": [{"id": "00u1", "status": "ACTIVE", "profile": {}}]}"#);
    assert_eq!(error.path, "users[0].profile");
    assert!(error.problem.contains("login"), "{error}");
    assert!(error.to_string().starts_with("org.json: at users[0].profile: "));

    let error = error_of(r#"{"apiToken": "t", "users": [], "grups": []}"#);
    assert!(error.problem.contains("grups"), "{error}");

    let error = error_of(r#"{"users": []}"#);
    assert!(error.problem.contains("apiToken"), "{error}");

    let error = error_of(r#"{"apiToken": "t", "groups": [{"id": "00g1", "profile": {"name": "G"}, "members": [1]}]}"#);
    assert_eq!(error.path, "groups[0].members[0]");

    let group = |id: &str, name: &str| format!(r#"{{"id": "{id}", "profile": {{"name": "{name}"}}}}"#);
    let twice = format!(
        r#"{{"apiToken": "t", "groups": [{}, {}]}}"#,
        group("00g1", "A"),
        group("00g1", "B")
    );
    assert_eq!(error_of(&twice).path, "groups[1].id");
    let twice = format!(
        r#"{{"apiToken": "t", "groups": [{}, {}]}}"#,
        group("00g1", "A"),
        group("00g2", "A")
    );
    assert_eq!(error_of(&twice).path, "groups[1].profile.name");

    let error = error_of(r#"{"apiToken": "t", "clients": [{"client_id": "c", "client_name": "C"}]}"#);
    assert_eq!(error.path, "clients[0].client_secret");

    let error = error_of("{\"apiToken\": \"t\",");
    assert!(error.problem.contains("EOF"), "{error}");
}

#[test]
fn a_login_used_twice_is_refused_whatever_its_case() {
    let user = |id: &str, login: &str| json!({"id": id, "status": "ACTIVE", "profile": {"login": login}});
    let document =
        json!({"apiToken": "t", "users": [user("00u1", "ada@example.com"), user("00u2", "ADA@example.com")]});
    let error = error_of(&document.to_string());
    assert_eq!(
        (error.path.as_str(), error.problem.as_str()),
        ("users[1].profile.login", "the login 'ADA@example.com' is used twice")
    );
}

#[tokio::test]
async fn the_sample_org_installs_into_a_server_that_mints_its_tokens() {
    let server = server();
    let org = install(&server, SAMPLE).await.unwrap();
    let api = server.management();
    let directory = server.directory();

    // Users with their passwords, groups with their members, client assignments.
    let alice = directory
        .check_password("Alice@example.com", "Alice-Passw0rd!")
        .await
        .unwrap();
    assert_eq!(
        alice.as_ref().map(|u| u.last_updated),
        Some(Some(NOW)),
        "stamped when not given"
    );
    let groups = directory.user_groups("00u1alice00000000001").await.unwrap();
    assert_eq!(
        groups.iter().map(|g| g.profile.name.as_str()).collect::<Vec<_>>(),
        ["Engineering"]
    );
    assert!(
        directory.is_assigned("web-app", "00u1bob0000000000001").await.unwrap(),
        "through Sales"
    );
    assert!(directory.is_assigned("spa", "00u1alice00000000001").await.unwrap());
    assert!(!directory.is_assigned("spa", "00u1bob0000000000001").await.unwrap());

    // Clients keep the document's ids and secrets.
    assert_eq!(org.clients().count(), 3);
    for (client_id, secret) in org.clients() {
        let stored = api.get_client(client_id).await.unwrap();
        let hash = stored.client_secret_hash;
        assert_eq!(hash.is_some(), secret.is_some(), "{client_id}");
        if let (Some(secret), Some(hash)) = (secret, hash) {
            assert!(ClientSecret::from_received(secret).verify(&hash), "{client_id}");
        }
    }

    // Servers with their scopes (a custom one next to the system ones), claims, policies, rules.
    let servers = api.list_servers(None).await.unwrap();
    assert_eq!(
        servers.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["default", "orders"]
    );
    let scopes = api.list_scopes("default", Some("reports")).await.unwrap();
    assert_eq!(scopes.len(), 2);
    assert!(api.list_scopes("default", Some("openid")).await.unwrap()[0].system);
    let claims = api.list_claims("default").await.unwrap();
    assert!(claims.iter().any(|c| c.name == "department" && !c.system));
    let policies = api.list_policies("orders").await.unwrap();
    let rules = api.list_rules("orders", &policies[0].id).await.unwrap();
    assert_eq!((policies.len(), rules[0].name.as_str()), (1, "Read orders"));

    // The reporting service gets an `orders:read` token from the orders server.
    let credentials = "reporting-service:reporting-service-secret-for-local-development";
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    );
    let form = "grant_type=client_credentials&scope=orders%3Aread";
    let response = server
        .token("orders", &EndpointRequest::post(form).with_authorization(&basic))
        .await;
    let body = response.json_body().cloned().unwrap_or_default();
    assert_eq!(
        (response.status, &body["scope"]),
        (200, &json!("orders:read")),
        "{body}"
    );
    assert_eq!(body["expires_in"], 900, "the rule's 15 minutes");
}

#[tokio::test]
async fn installing_again_changes_nothing() {
    let server = server();
    install(&server, SAMPLE).await.unwrap();
    let api = server.management();
    let before = (
        api.list_servers(None).await.unwrap(),
        api.list_scopes("default", None).await.unwrap(),
        api.list_policies("default").await.unwrap(),
        api.list_clients(None).await.unwrap(),
    );
    install(&server, SAMPLE).await.unwrap();
    let after = (
        api.list_servers(None).await.unwrap(),
        api.list_scopes("default", None).await.unwrap(),
        api.list_policies("default").await.unwrap(),
        api.list_clients(None).await.unwrap(),
    );
    assert_eq!(before, after);
}

#[tokio::test]
async fn refusals_name_the_object_at_fault_and_a_repeated_install_completes() {
    // The second server's rule is refused after the server and its policy were stored; the
    // users and the first server were written before.
    let rule = json!({"type": "RESOURCE_ACCESS", "name": "r", "conditions": {"grantTypes": {"include": ["password"]}}});
    let servers = json!([
        {"id": "first", "name": "First", "description": "d", "audiences": ["api://first"],
         "scopes": [{"name": "first:read"}]},
        {"id": "second", "name": "Second", "description": "d", "audiences": ["api://second"],
         "policies": [{"name": "P", "description": "d", "conditions": {"clients": {"include": ["ALL_CLIENTS"]}},
                       "rules": [rule]}]}
    ]);
    let document = json!({"apiToken": "t", "users": [{"id": "00u1", "status": "ACTIVE", "profile": {"login": "ada"}}],
                          "authorizationServers": servers});
    let server = server();
    let error = install(&server, &document.to_string()).await.unwrap_err();
    assert_eq!(error.path, "authorizationServers[1].policies[0].rules[0]");
    assert!(
        error
            .problem
            .starts_with("Api validation failed: conditions.people (conditions.people: At least one of"),
        "{error}"
    );
    let api = server.management();
    assert!(server.directory().user("00u1").await.unwrap().is_some());
    assert_eq!(api.list_scopes("first", Some("first:")).await.unwrap().len(), 1);

    // Installing again keeps what is stored (the half-built server included) and completes.
    install(&server, &document.to_string()).await.unwrap();
    assert_eq!(api.list_scopes("first", Some("first:")).await.unwrap().len(), 1);
    assert_eq!(api.list_policies("second").await.unwrap().len(), 1);
    assert!(
        api.get_server("default").await.is_ok(),
        "default is created once the rest is in"
    );

    // A client naming a user the document lacks, and one the registration rules refuse.
    let client = json!({"client_id": "svc", "client_secret": "a-secret-of-length", "client_name": "Svc",
                        "application_type": "service", "grant_types": ["client_credentials"],
                        "response_types": ["token"]});
    let mut unknown = client.clone();
    unknown["users"] = json!(["bob"]);
    let error = install(&server, &json!({"apiToken": "t", "clients": [unknown]}).to_string())
        .await
        .unwrap_err();
    assert_eq!(
        (error.path.as_str(), error.problem.as_str()),
        ("clients[0].users[0]", "no user 'bob' in this document")
    );
    let mut refused = client;
    refused["client_id"] = json!("other");
    refused["grant_types"] = json!(["password"]);
    let error = install(&server, &json!({"apiToken": "t", "clients": [refused]}).to_string())
        .await
        .unwrap_err();
    assert_eq!(error.path, "clients[0]");
    assert!(error.problem.starts_with("invalid_client_metadata: `"), "{error}");
}

/// `credentials.signing.alg` (this library's extension) picks a server's algorithm in an org
/// document; without it the host's default applies. An unsupported value stops the install at
/// that server, naming the field, before the server is stored.
#[tokio::test]
async fn servers_sign_with_the_algorithm_the_document_names() {
    let servers = json!([
        {"id": "pss", "name": "PSS", "description": "d", "audiences": ["api://pss"],
         "credentials": {"signing": {"alg": "PS256", "rotationMode": "MANUAL"}}},
        {"id": "plain", "name": "Plain", "description": "d", "audiences": ["api://plain"]}
    ]);
    let server = server();
    install(
        &server,
        &json!({"apiToken": "t", "authorizationServers": servers}).to_string(),
    )
    .await
    .unwrap();
    let api = server.management();
    let signing = |shown: crate::model::AuthorizationServer| shown.credentials.unwrap().signing.unwrap();
    let pss = signing(api.get_server("pss").await.unwrap());
    assert_eq!(
        (pss.alg, pss.rotation_mode),
        (Some(Algorithm::PS256), Some(crate::model::RotationMode::Manual))
    );
    let keys = server.keys("pss").await;
    let jwks = keys.json_body().unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|key| key["alg"] == "PS256" && key["kty"] == "RSA")
    );
    assert_eq!(
        signing(api.get_server("plain").await.unwrap()).alg,
        Some(Algorithm::EdDSA),
        "the host's default"
    );

    let refused = json!([{"id": "bad", "name": "Bad", "description": "d", "audiences": ["api://bad"],
                          "credentials": {"signing": {"alg": "HS256"}}}]);
    let error = install(
        &server,
        &json!({"apiToken": "t", "authorizationServers": refused}).to_string(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.path, "authorizationServers[0]");
    assert!(
        error.problem.starts_with(
            "Api validation failed: credentials.signing.alg (credentials.signing.alg: \"HS256\" is not a valid value"
        ),
        "{error}"
    );
    assert!(
        api.get_server("bad").await.unwrap_err().is_not_found(),
        "nothing stored"
    );
}

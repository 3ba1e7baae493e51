//! Quick start: an in-process Okta-style authorization server on memory stores, and the two flows
//! a newcomer wants to see.
//!
//! 1. **Client credentials** (machine to machine): register a service client, add a scope, get a
//!    token with HTTP Basic client authentication, verify it against the published JWKS.
//! 2. **Authorization code + PKCE** (a browser app signing a user in): `/authorize` asks the host
//!    to sign the user in, the host hands back a [`Session`], the redirect carries a code, the
//!    code and the PKCE verifier are exchanged for an access token and an ID token, and
//!    `/userinfo` answers with the user's claims.
//!
//! Everything goes through the same calls an HTTP host would make: the library takes the method,
//! query, form, `Authorization` header and session, and answers status, headers and body.
//!
//! Run with `cargo run --example quickstart`.

use std::error::Error;

use authserver::admin::{ApiRequest, Caller, Method};
use authserver::endpoint::{EndpointRequest, EndpointResponse, Session};
use authserver::jose::{self, Jwks};
use authserver::model::User;
use authserver::store::{MemoryConfigStore, MemoryDirectory, MemoryGrantStore};
use authserver::{AuthServer, AuthorizeOutcome};
use base64::Engine as _;
use serde_json::{Value, json};

type Server = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const BASE_URL: &str = "http://localhost:8080";
const REDIRECT_URI: &str = "http://localhost:3000/callback";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // The host: memory stores, the system clock, software keys. Tokens are signed with RS256, as
    // Okta signs them (generating the two 2048-bit keys takes a few hundred milliseconds);
    // `AuthServer::builder(BASE_URL).rotation(RotationSettings { algorithm: Algorithm::EdDSA,
    // ..Default::default() }).build()` would sign with Ed25519 instead.
    let server: Server = AuthServer::in_memory(BASE_URL);
    // Okta's `default` server: audience `api://default`, a Default Policy for every client.
    server.management().ensure_default_server().await?;
    let issuer = server.issuer("default");
    let discovery = server.openid_configuration("default", &EndpointRequest::get("")).await;
    let discovery = json_of(&discovery)?;
    section("The issuer");
    println!("issuer:    {issuer}");
    println!("discovery: {issuer}/.well-known/openid-configuration");
    for name in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        println!("  {name:<23} {}", discovery[name].as_str().unwrap_or_default());
    }

    client_credentials(&server).await?;
    authorization_code_with_pkce(&server).await?;

    section("The JWKS a resource server fetches");
    println!("GET {}", discovery["jwks_uri"].as_str().unwrap_or_default());
    println!("{}", pretty(json_of(&server.keys("default").await)?));
    Ok(())
}

/// Flow 1: client credentials with `client_secret_basic` (RFC 6749 §4.4).
async fn client_credentials(server: &Server) -> Result<(), Box<dyn Error>> {
    section("Flow 1: client credentials");
    let client = admin(
        server,
        Method::Post,
        "/oauth2/v1/clients",
        json!({
            "client_name": "Reporting service", "application_type": "service",
            "grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic"
        }),
    )
    .await?;
    let client_id = client["client_id"].as_str().unwrap_or_default();
    // The plaintext secret is in this response only; the server keeps its SHA-256.
    let secret = client["client_secret"].as_str().unwrap_or_default();
    println!("registered client (POST /oauth2/v1/clients):\n{}", pretty(&client));

    admin(
        server,
        Method::Post,
        "/api/v1/authorizationServers/default/scopes",
        json!({"name": "reports:read", "description": "Read reports"}),
    )
    .await?;
    println!("\nadded scope reports:read");

    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    );
    let form = "grant_type=client_credentials&scope=reports%3Aread";
    let response = server
        .token(
            "default",
            &EndpointRequest::post(form).with_authorization(&authorization),
        )
        .await;
    println!("\nPOST /oauth2/default/v1/token  {form}  (Authorization: Basic …)");
    let tokens = json_of(&response)?;
    println!("→ {}\n{}", response.status, pretty(tokens));
    show_token(
        server,
        "access token",
        tokens["access_token"].as_str().unwrap_or_default(),
    )
    .await
}

/// Flow 2: authorization code with PKCE for a browser app (RFC 6749 §4.1, RFC 7636).
async fn authorization_code_with_pkce(server: &Server) -> Result<(), Box<dyn Error>> {
    section("Flow 2: authorization code + PKCE");
    // A user in the directory (the host's users; here the in-memory directory).
    let user: User = serde_json::from_value(json!({
        "id": "00uada", "status": "ACTIVE",
        "profile": {"login": "ada@example.com", "email": "ada@example.com",
                    "firstName": "Ada", "lastName": "Lovelace"}
    }))?;
    server.directory().add_user(user, None)?;

    let client = admin(
        server,
        Method::Post,
        "/oauth2/v1/clients",
        json!({
            "client_name": "Single-page app", "application_type": "browser",
            "grant_types": ["authorization_code"], "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none"
        }),
    )
    .await?;
    let client_id = client["client_id"].as_str().unwrap_or_default().to_owned();
    println!("registered public client: {client_id}");
    // Users get tokens only for clients they are assigned to.
    server.directory().assign_user(&client_id, "00uada")?;

    // PKCE: the app keeps the verifier and sends its S256 challenge. (RFC 7636 Appendix B's
    // pair; a real app makes a fresh random verifier per request.)
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = authserver::pkce::s256_challenge(verifier);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", client_id.as_str()),
            ("response_type", "code"),
            ("scope", "openid profile email"),
            ("redirect_uri", REDIRECT_URI),
            ("state", "af0ifjsldkj"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    println!("\nGET /oauth2/default/v1/authorize?{query}");

    // No session yet: the library asks the host to sign the user in (it renders no login page).
    match server.authorize("default", &EndpointRequest::get(&query)).await {
        AuthorizeOutcome::NeedsLogin(login) => {
            println!(
                "→ needs login (for client {}): the host shows its sign-in page",
                login.client_id
            );
        }
        AuthorizeOutcome::Respond(response) => return Err(format!("unexpected {response:?}").into()),
    }

    // The host signed Ada in; it repeats the same request with her session.
    let session = Session {
        id: "host-session-1".into(),
        user_id: "00uada".into(),
        auth_time: time::OffsetDateTime::now_utc(),
        amr: vec!["pwd".into()],
    };
    let response = match server
        .authorize("default", &EndpointRequest::get(&query).with_session(&session))
        .await
    {
        AuthorizeOutcome::Respond(response) => response,
        AuthorizeOutcome::NeedsLogin(_) => return Err("still asks for a login".into()),
    };
    let location = response.header("Location").ok_or("no redirect")?;
    println!("→ with the session: {} Location: {location}", response.status);
    let location = url::Url::parse(location)?;
    let code = location
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .ok_or("no code in the redirect")?;

    // The app exchanges the code with the verifier (a public client: no secret, its client_id).
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("client_id", client_id.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .finish();
    let response = server.token("default", &EndpointRequest::post(&form)).await;
    println!("\nPOST /oauth2/default/v1/token  grant_type=authorization_code&code=…&code_verifier=…");
    let tokens = json_of(&response)?;
    println!("→ {}\n{}", response.status, pretty(tokens));
    let access_token = tokens["access_token"].as_str().unwrap_or_default();
    show_token(server, "access token", access_token).await?;
    show_token(server, "ID token", tokens["id_token"].as_str().unwrap_or_default()).await?;

    let bearer = format!("Bearer {access_token}");
    let response = server
        .userinfo("default", &EndpointRequest::get("").with_authorization(&bearer))
        .await;
    println!("\nGET /oauth2/default/v1/userinfo  (Authorization: Bearer …)");
    println!("→ {}\n{}", response.status, pretty(json_of(&response)?));
    Ok(())
}

/// Verifies `token` against the server's JWKS, as a resource server would, and prints it.
async fn show_token(server: &Server, what: &str, token: &str) -> Result<(), Box<dyn Error>> {
    let jwks: Jwks = serde_json::from_value(json_of(&server.keys("default").await)?.clone())?;
    let verified = jose::verify(token, &jwks)?;
    let claims: Value = verified.claims()?;
    println!("\n{what} (verified with the JWKS):");
    println!("  header: {}", serde_json::to_string(&verified.header)?);
    println!("  claims: {}", pretty(&claims).replace('\n', "\n  "));
    Ok(())
}

/// A management API call (the host authenticates its administrators; here, "quickstart").
async fn admin(server: &Server, method: Method, path: &str, body: Value) -> Result<Value, Box<dyn Error>> {
    let caller = Caller {
        id: "quickstart".into(),
    };
    let body = serde_json::to_vec(&body)?;
    let response = server
        .management()
        .handle(&ApiRequest {
            method,
            path,
            query: "",
            body: Some(&body),
            caller: Some(&caller),
        })
        .await;
    if response.status >= 300 {
        return Err(format!("{path}: {} {:?}", response.status, response.body).into());
    }
    Ok(response.body.unwrap_or_default())
}

fn json_of(response: &EndpointResponse) -> Result<&Value, Box<dyn Error>> {
    response
        .json_body()
        .ok_or_else(|| format!("expected JSON, got {} {:?}", response.status, response.body).into())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn section(title: &str) {
    println!("\n=== {title} ===\n");
}

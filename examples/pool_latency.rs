//! How long cheap requests wait while CPU-heavy ones run (issues 14 and 15): a measurement, not a
//! test. It serves the axum host (`authserver::axum::Okta`) on a loopback port with RS256 keys
//! (Okta's default), a confidential client and a user, and then, by mode:
//!
//! * `hostile [REQUESTS] [PROBES]`: configures issue 14's hostile claim (nested projections
//!   matching against a regex built per element), keeps REQUESTS (default 4) password-grant token
//!   requests for it in flight over HTTP, and meanwhile GETs `/v1/keys` one after the other (at
//!   least PROBES times, default 200, and until every token request is answered), printing the latency of those GETs (p50, p99, max) and how long
//!   the hostile token requests took and what they answered.
//! * `serve [THREADS]`: prints the base URL and a client's Basic credentials and serves until killed, for
//!   `wrk` (see `bench/pool/run.sh`: RS256 client credentials at c=16 while JWKS and discovery
//!   are measured). THREADS sizes the CPU pool (default: a thread per core).
//!
//! ```sh
//! cargo run --release --example pool_latency --features testkit,axum -- hostile
//! bench/pool/run.sh
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use authserver::AuthServer;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::axum::{ApiToken, Okta};
use authserver::cpu_pool::CpuPool;
use authserver::crypto::PasswordHasher;
use authserver::model::User;
use authserver::store::MemoryDirectory;
use serde_json::{Value, json};

const CLIENT_ID: &str = "bench-client";
/// A web client for the password grant (a service client may not use it).
const WEB_CLIENT_ID: &str = "bench-web";
const CLIENT_SECRET: &str = "bench-secret-0123456789abcdef0123456789abcdef";
const USER_ID: &str = "00u1bench0000000001";
const LOGIN: &str = "bench@example.com";
const PASSWORD: &str = "Bench-Passw0rd!";

/// Issue 14's hostile claim: for each of 300 profile items, for each of 300 items, a regex built
/// from the item and matched: 90,000 regexes to compile without a budget.
const HOSTILE_CLAIM: &str = r"user.items.![user.items.!['x' matches ('\\pL{40}' + n)]]";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map_or("hostile", String::as_str);
    let number = |index: usize, default: usize| args.get(index).and_then(|n| n.parse().ok()).unwrap_or(default);
    let threads = (mode == "serve")
        .then(|| args.get(1).and_then(|n| n.parse().ok()))
        .flatten();
    let (base_url, server) = start(threads).await;
    match mode {
        "serve" => {
            println!("BASE_URL={base_url}");
            println!("ISSUER={base_url}/oauth2/default");
            println!("CLIENT={CLIENT_ID}:{CLIENT_SECRET}");
            println!("CPU_POOL_THREADS={}", server.cpu_pool().threads());
            std::future::pending::<()>().await;
        }
        "hostile" => hostile(&base_url, &server, number(1, 4), number(2, 200)).await,
        other => eprintln!("unknown mode {other:?}: use `hostile [REQUESTS] [PROBES]` or `serve [THREADS]`"),
    }
}

/// The host on a loopback port: RS256 keys, the bench clients (a service client for client
/// credentials, a web client for the password grant), a user with 300 profile items assigned to
/// the web client, and a `read` scope.
async fn start(threads: Option<usize>) -> (String, Arc<AuthServer>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base_url = format!("http://{}", listener.local_addr().expect("an address"));
    let server = Arc::new(
        AuthServer::builder(base_url.clone())
            .directory(Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000))))
            .cpu_pool(threads.map_or_else(CpuPool::default, CpuPool::new))
            .build(),
    );
    server
        .management()
        .ensure_default_server()
        .await
        .expect("the default server");
    let service = json!({
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "client_name": "Bench",
        "application_type": "service", "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"], "response_types": ["token"],
    });
    let web = json!({
        "client_id": WEB_CLIENT_ID, "client_secret": CLIENT_SECRET, "client_name": "Bench web",
        "application_type": "web", "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": ["http://localhost/callback"], "response_types": ["code"],
        "grant_types": ["authorization_code", "password"],
    });
    for client in [service, web] {
        let imported = server
            .management()
            .import_client_json(client.to_string().as_bytes())
            .await;
        assert_eq!(imported.status, 201, "{:?}", imported.body);
    }
    let items: Vec<Value> = (0..300).map(|n| json!({ "n": n.to_string() })).collect();
    let user: User = serde_json::from_value(json!({
        "id": USER_ID, "status": "ACTIVE", "profile": { "login": LOGIN, "items": items }
    }))
    .expect("a user");
    server.directory().add_user(user, Some(PASSWORD)).expect("the user");
    server
        .directory()
        .assign_user(WEB_CLIENT_ID, USER_ID)
        .expect("the assignment");
    admin(
        &server,
        "/api/v1/authorizationServers/default/scopes",
        json!({"name": "read"}),
    )
    .await;
    let router = Okta::new(Arc::clone(&server))
        .admin(ApiToken::new("00bench-api-token"))
        .router();
    tokio::spawn(authserver::axum::serve(listener, router).run());
    (base_url, server)
}

/// POSTs `body` to the management API at `path`.
async fn admin(server: &AuthServer, path: &str, body: Value) {
    let caller = Caller { id: "bench".into() };
    let body = body.to_string();
    let request = ApiRequest {
        method: Method::Post,
        path,
        query: "",
        body: Some(body.as_bytes()),
        caller: Some(&caller),
    };
    let response = server.management().handle(&request).await;
    assert!(response.status < 300, "{path}: {} {:?}", response.status, response.body);
}

/// `hostile` mode: REQUESTS hostile token requests in flight while `/v1/keys` is probed.
async fn hostile(base_url: &str, server: &AuthServer, requests: usize, probes: usize) {
    admin(
        server,
        "/api/v1/authorizationServers/default/claims",
        json!({"name": "hostile", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": HOSTILE_CLAIM, "conditions": {"scopes": []}}),
    )
    .await;
    let http = reqwest::Client::new();
    let issuer = format!("{base_url}/oauth2/default");
    let keys = format!("{issuer}/v1/keys");
    // Warm up: the server's state is prepared and the connection pool filled.
    for _ in 0..20 {
        http.get(&keys)
            .send()
            .await
            .expect("keys")
            .bytes()
            .await
            .expect("keys body");
    }
    let started = Instant::now();
    let in_flight: Vec<_> = (0..requests)
        .map(|_| {
            let (http, token_url) = (http.clone(), format!("{issuer}/v1/token"));
            tokio::spawn(async move {
                let sent = Instant::now();
                let response = http
                    .post(token_url)
                    .basic_auth(WEB_CLIENT_ID, Some(CLIENT_SECRET))
                    .form(&[
                        ("grant_type", "password"),
                        ("username", LOGIN),
                        ("password", PASSWORD),
                        ("scope", "read"),
                    ])
                    .send()
                    .await
                    .expect("a token answer");
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                (status, body["error"].as_str().map(str::to_owned), sent.elapsed())
            })
        })
        .collect();
    // Probes one after the other while any hostile request is in flight (and at least PROBES).
    let mut latencies = Vec::with_capacity(probes);
    while latencies.len() < probes || in_flight.iter().any(|request| !request.is_finished()) {
        let sent = Instant::now();
        let response = http.get(&keys).send().await.expect("keys");
        assert_eq!(response.status(), 200);
        response.bytes().await.expect("keys body");
        latencies.push(sent.elapsed());
    }
    let probed_for = started.elapsed();
    let mut answers = Vec::new();
    for request in in_flight {
        answers.push(request.await.expect("a token task"));
    }
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1];
    println!(
        "hostile claim, {requests} token requests in flight, CPU pool of {} threads",
        server.cpu_pool().threads()
    );
    println!(
        "/v1/keys over {} probes in {:.0?}: p50={} p99={} max={}",
        latencies.len(),
        probed_for,
        micros(percentile(0.50)),
        micros(percentile(0.99)),
        micros(*latencies.last().expect("probes")),
    );
    for (status, error, took) in answers {
        println!(
            "token request: {status} {} in {}",
            error.unwrap_or_else(|| "(token)".into()),
            micros(took)
        );
    }
}

fn micros(duration: Duration) -> String {
    format!("{}us", duration.as_micros())
}

//! An Okta-compatible authorization server over HTTP: the library behind axum, serving the
//! sample org in `examples/org.json`.
//!
//! ```sh
//! cargo run --example server                      # 127.0.0.1:8080, examples/org.json
//! cargo run --example server -- --port 9000 --org my-org.json
//! ```
//!
//! It serves, with Okta's paths: every authorization server's OAuth endpoints
//! (`/oauth2/{id}/v1/…`, `/oauth2/{id}/.well-known/…`), the management API
//! (`/api/v1/authorizationServers/…`, `/oauth2/v1/clients`) behind `Authorization: SSWS <token>`
//! (the org's `apiToken`, or `AUTHSERVER_API_TOKEN`), `POST /api/v1/authn`, a sign-in page for
//! browsers, the System Log at `/api/v1/logs`, and per-client rate limits with Okta's headers.
//! State is kept in a SQLite file, `authserver.db` in the working directory, unless `--database`
//! (or `AUTHSERVER_DATABASE`) names another: `sqlite:PATH`, `postgres://…` (several instances
//! over one database) or `memory` (nothing kept). The org file is applied once to a database (a
//! start that failed half-way completes it); afterwards the database is used as it is.
//!
//! Private signing keys are stored sealed under a key-encryption key: `AUTHSERVER_KEK` (43
//! base64url characters or 64 hex digits) or the file `AUTHSERVER_KEK_FILE` names. Without
//! either, a SQLite database gets one generated beside it (`PATH.kek`), with a warning;
//! PostgreSQL needs one. During a KEK rotation, `AUTHSERVER_KEK_PREVIOUS` lists the old keys
//! (comma-separated): keys sealed under them are resealed under the new one at start.

mod database;
mod host;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use authserver::admin::{ApiRequest, Caller, Method};
use authserver::ratelimit::RateLimits;
use tokio::net::TcpListener;

use host::org::{Org, OrgError};
use host::stores::{Backend, Stores};
use host::{Host, Options};

const USAGE: &str =
    "usage: cargo run --example server -- [--port N] [--base-url URL] [--org PATH] [--database URL] [--no-rate-limits]

  --port N          listen on 127.0.0.1:N (default 8080)
  --base-url URL    the public origin issuers are named after, e.g. a load balancer's
                    (default: $AUTHSERVER_BASE_URL, else http://127.0.0.1:N)
  --org PATH        the org document that seeds an empty database (default examples/org.json)
  --database URL    sqlite:PATH, postgres://USER@HOST:PORT/DB or memory
                    (default: $AUTHSERVER_DATABASE, else sqlite:authserver.db)
  --no-rate-limits  answer every request

environment: AUTHSERVER_BASE_URL, AUTHSERVER_DATABASE, AUTHSERVER_KEK, AUTHSERVER_KEK_FILE, AUTHSERVER_KEK_PREVIOUS,
AUTHSERVER_API_TOKEN";

/// The database when neither `--database` nor `AUTHSERVER_DATABASE` names one.
const DEFAULT_DATABASE: &str = "sqlite:authserver.db";

struct Args {
    port: u16,
    base_url: Option<String>,
    org: PathBuf,
    database: String,
    rate_limits: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8080,
        org: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json")),
        base_url: std::env::var("AUTHSERVER_BASE_URL").ok().filter(|url| !url.is_empty()),
        database: std::env::var("AUTHSERVER_DATABASE")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
        rate_limits: true,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--port" => {
                let value = given.next().ok_or("--port needs a number")?;
                args.port = value
                    .parse()
                    .map_err(|_| format!("--port: '{value}' is not a port number"))?;
            }
            "--org" => args.org = given.next().ok_or("--org needs a path")?.into(),
            "--base-url" => args.base_url = Some(given.next().ok_or("--base-url needs a URL")?),
            "--database" => args.database = given.next().ok_or("--database needs a URL")?,
            "--no-rate-limits" => args.rate_limits = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument '{other}'\n{USAGE}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let org = match Org::from_file(&args.org) {
        Ok(org) => org,
        Err(error) => {
            eprintln!("error: the org file cannot be loaded: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on 127.0.0.1:{}: {error}", args.port);
            return ExitCode::FAILURE;
        }
    };
    let listen = format!("127.0.0.1:{}", args.port);
    let base_url = args.base_url.as_deref().map_or_else(
        || format!("http://{listen}"),
        |url| url.trim_end_matches('/').to_owned(),
    );
    let mut options = Options::new(&base_url);
    options.listen_authority = Some(listen);
    options.api_token = std::env::var("AUTHSERVER_API_TOKEN").ok().filter(|t| !t.is_empty());
    if args.rate_limits {
        options.rate_limits = RateLimits::okta_defaults();
    }
    let api_token = options.api_token.clone().unwrap_or_else(|| org.api_token.clone());
    let hasher = options.password_hasher;
    if args.database == "memory" {
        let host = Host::new(&org, options).await;
        return run(host, &org, listener, &base_url, &api_token).await;
    }
    let database = match database::open(&args.database).await {
        Ok(database) => database,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let stores = Stores::sql(&database, hasher);
    let events = Arc::clone(&stores.events);
    let host = Host::with_stores(&org, options, stores).await;
    let code = run(host, &org, listener, &base_url, &api_token).await;
    // Events are written in batches: write what is queued before leaving.
    if let Err(error) = events.flush().await {
        eprintln!("warning: some events could not be written: {error}");
    }
    database.close().await;
    code
}

/// Serves the host that loading `org` gave until Ctrl-C.
async fn run<B: Backend>(
    host: Result<Arc<Host<B>>, OrgError>,
    org: &Org,
    listener: TcpListener,
    base_url: &str,
    api_token: &str,
) -> ExitCode {
    let host = match host {
        Ok(host) => host,
        Err(error) => {
            eprintln!("error: the org file cannot be loaded: {error}");
            return ExitCode::FAILURE;
        }
    };
    print_banner(&host, base_url, api_token, org).await;
    let shutdown = stop_signal();
    if let Err(error) = host::serve(listener, host, shutdown).await {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM (what container runtimes and service managers send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// An error and its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn print_banner<B: Backend>(host: &Host<B>, base_url: &str, api_token: &str, org: &Org) {
    println!("authserver example serving {base_url}\n");
    if !host.seeded {
        println!("The database already holds the org: the org file was not applied again.\n");
    }
    println!("Authorization servers (issuer, discovery):");
    let caller = Caller { id: "banner".into() };
    let list = ApiRequest {
        method: Method::Get,
        path: "/api/v1/authorizationServers",
        query: "",
        body: None,
        caller: Some(&caller),
    };
    let servers = host.server.management().handle(&list).await.body.unwrap_or_default();
    for id in servers
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
    {
        let issuer = host.server.issuer(id);
        println!("  {issuer}\n      {issuer}/.well-known/openid-configuration");
    }
    println!("\nManagement API token:  Authorization: SSWS {api_token}");
    println!("\nSample accounts (username / password):");
    for account in &org.accounts {
        let password = account.password.as_deref().unwrap_or("(no password)");
        let status = serde_json::to_value(account.user.status).unwrap_or_default();
        let status = status.as_str().unwrap_or_default().to_owned();
        println!("  {:<24} {password:<18} {status}", account.user.profile.login);
    }
    println!("\nClients (client_id / client_secret):");
    for (client_id, secret) in org.clients() {
        println!(
            "  {client_id:<24} {}",
            secret.unwrap_or("(public client: PKCE, no secret)")
        );
    }
    println!("\nSee the README for a curl command per flow. Ctrl-C stops.");
}

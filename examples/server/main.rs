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
//! Everything is in memory: a restart starts from the org file again.

mod host;

use std::path::PathBuf;
use std::process::ExitCode;

use authserver::admin::{ApiRequest, Caller, Method};
use authserver::ratelimit::RateLimits;
use tokio::net::TcpListener;

use host::org::Org;
use host::{Host, Options};

const USAGE: &str = "usage: cargo run --example server -- [--port N] [--org PATH] [--no-rate-limits]";

struct Args {
    port: u16,
    org: PathBuf,
    rate_limits: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8080,
        org: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json")),
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
    let base_url = format!("http://127.0.0.1:{}", args.port);
    let mut options = Options::new(&base_url);
    options.api_token = std::env::var("AUTHSERVER_API_TOKEN").ok().filter(|t| !t.is_empty());
    if args.rate_limits {
        options.rate_limits = RateLimits::okta_defaults();
    }
    let api_token = options.api_token.clone().unwrap_or_else(|| org.api_token.clone());
    let host = match Host::new(&org, options).await {
        Ok(host) => host,
        Err(error) => {
            eprintln!("error: the org file cannot be loaded: {error}");
            return ExitCode::FAILURE;
        }
    };
    print_banner(&host, &base_url, &api_token, &org).await;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = host::serve(listener, host, shutdown).await {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

async fn print_banner(host: &Host, base_url: &str, api_token: &str, org: &Org) {
    println!("authserver example listening on {base_url}\n");
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

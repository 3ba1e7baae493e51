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
//! over one database) or `memory` (nothing kept). The org file seeds an empty database; a
//! database that already holds authorization servers is used as it is.
//!
//! Private signing keys are stored sealed under a key-encryption key: `AUTHSERVER_KEK` (43
//! base64url characters or 64 hex digits) or the file `AUTHSERVER_KEK_FILE` names. Without
//! either, a SQLite database gets one generated beside it (`PATH.kek`), with a warning;
//! PostgreSQL needs one. During a KEK rotation, `AUTHSERVER_KEK_PREVIOUS` lists the old keys
//! (comma-separated): keys sealed under them are resealed under the new one at start.

mod host;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use authserver::admin::{ApiRequest, Caller, Method};
use authserver::ratelimit::RateLimits;
use authserver::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
use authserver::store::sql::SqlDatabase;
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
    let database = match open_database(&args.database).await {
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
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = host::serve(listener, host, shutdown).await {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Opens (and migrates) the SQL database at `url`, with the key-encryption keys from the
/// environment, and reseals keys sealed under a previous KEK.
async fn open_database(url: &str) -> Result<SqlDatabase, String> {
    let keys = key_encryption_keys(url)?;
    let rotating = std::env::var("AUTHSERVER_KEK_PREVIOUS").is_ok_and(|previous| !previous.trim().is_empty());
    let database = SqlDatabase::connect(url, keys)
        .await
        .map_err(|error| format!("cannot open the database {url}: {}", error_chain(&error)))?;
    if rotating {
        let resealed = database
            .reseal()
            .await
            .map_err(|error| format!("cannot reseal the stored keys: {}", error_chain(&error)))?;
        println!("Resealed {resealed} stored key(s) under the current key-encryption key.");
    }
    Ok(database)
}

/// The key-encryption keys: `AUTHSERVER_KEK`, or the file `AUTHSERVER_KEK_FILE`, or for SQLite a
/// key file beside the database (generated on first use, with a warning), plus the previous keys
/// of `AUTHSERVER_KEK_PREVIOUS`.
fn key_encryption_keys(url: &str) -> Result<KeyEncryptionKeys, String> {
    let parse = |text: &str, source: &str| KeyEncryptionKey::parse(text).map_err(|error| format!("{source}: {error}"));
    let current = if let Some(text) = std::env::var("AUTHSERVER_KEK").ok().filter(|t| !t.trim().is_empty()) {
        parse(&text, "AUTHSERVER_KEK")?
    } else if let Some(path) = std::env::var_os("AUTHSERVER_KEK_FILE") {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("AUTHSERVER_KEK_FILE {}: {error}", PathBuf::from(&path).display()))?;
        parse(&text, "AUTHSERVER_KEK_FILE")?
    } else if let Some(path) = url.strip_prefix("sqlite:") {
        local_key_file(path.split('?').next().unwrap_or(path))?
    } else {
        return Err(
            "a PostgreSQL database needs a key-encryption key: set AUTHSERVER_KEK (32 random bytes, \
             e.g. `openssl rand -hex 32`) or AUTHSERVER_KEK_FILE, the same on every instance"
                .into(),
        );
    };
    let mut keys = KeyEncryptionKeys::new(current);
    for (i, text) in std::env::var("AUTHSERVER_KEK_PREVIOUS")
        .unwrap_or_default()
        .split(',')
        .filter(|text| !text.trim().is_empty())
        .enumerate()
    {
        keys = keys.with_previous(parse(text, &format!("AUTHSERVER_KEK_PREVIOUS[{i}]"))?);
    }
    Ok(keys)
}

/// For local development: the KEK in `DATABASE.kek`, generated (readable by this user only) if
/// it does not exist. Anyone who has both files has the private keys.
fn local_key_file(database: &str) -> Result<KeyEncryptionKey, String> {
    let path = PathBuf::from(format!("{database}.kek"));
    if let Ok(text) = std::fs::read_to_string(&path) {
        return KeyEncryptionKey::parse(&text).map_err(|error| format!("{}: {error}", path.display()));
    }
    let key = KeyEncryptionKey::generate().map_err(|error| format!("cannot generate a key-encryption key: {error}"))?;
    write_private(&path, key.encode().as_bytes())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    eprintln!(
        "warning: generated the key-encryption key {} for local development; in production set \
         AUTHSERVER_KEK or AUTHSERVER_KEK_FILE and keep the key away from the database's backups",
        path.display()
    );
    Ok(key)
}

/// Creates `path` with `contents`, readable and writable by its owner only.
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
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
        println!("The database already holds authorization servers: the org file was not applied.\n");
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

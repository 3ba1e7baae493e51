//! `authserver`: an Okta-compatible authorization server over HTTP, `authserver::axum` on an org
//! document's users, clients and servers (`examples/org.json` by default).
//!
//! ```sh
//! cargo run -F server                      # 127.0.0.1:8080, examples/org.json, ./authserver.db
//! cargo run -F server -- --port 9000 --org my-org.json --database memory
//! ```
//!
//! `--help` lists the flags and environment variables.

mod database;
mod org;
mod stores;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use authserver::AuthServer;
use authserver::admin::{ApiRequest, Caller, Method};
use authserver::axum::{Okta, PurgeEvents};
use authserver::clock::{Clock, SystemClock};
use authserver::crypto::PasswordHasher;
use authserver::event::EventLog;
use authserver::keys::SoftwareKeys;
use authserver::ratelimit::RateLimits;
use authserver::store::sql::SqlDatabase;
use authserver::store::{ConfigStore, GrantStore};
use tokio::net::TcpListener;

use org::{Org, SeedDirectory};
use stores::Stores;

const HELP: &str = "\
authserver: an Okta-compatible OAuth 2.0 / OpenID Connect authorization server

usage: authserver [--bind ADDR] [--port N] [--base-url URL] [--org PATH] [--database URL] [--no-rate-limits]
       (from the source tree: cargo run -F server -- [flags])

flags:
  --bind ADDR       the address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every
                    interface, which needs --base-url)
  --port N          the port to listen on (default 8080)
  --base-url URL    the public origin: issuers are URL/oauth2/{id}, and management requests must
                    name its host (or the listening address) in their Host header
                    (default: $AUTHSERVER_BASE_URL, else http://ADDR:N)
  --org PATH        the org document applied to a new database (default examples/org.json)
  --database URL    sqlite:PATH, postgres://USER@HOST:PORT/DB (feature postgres) or memory
                    (default: $AUTHSERVER_DATABASE, else sqlite:authserver.db)
  --no-rate-limits  answer every request (default: Okta-like per-minute limits)
  -h, --help        this help

environment:
  AUTHSERVER_BASE_URL      as --base-url
  AUTHSERVER_DATABASE      as --database
  AUTHSERVER_API_TOKEN     the management API token (Authorization: SSWS <token>), instead of
                           the org document's apiToken
  AUTHSERVER_KEK           the key-encryption key sealing private keys: 32 bytes as 43 base64url
                           characters or 64 hex digits (openssl rand -hex 32)
  AUTHSERVER_KEK_FILE      a file holding it instead; without either a new SQLite database gets
                           one beside it (PATH.kek), PostgreSQL needs one
  AUTHSERVER_KEK_PREVIOUS  earlier keys during a rotation, comma-separated: what they sealed is
                           resealed under the current one at start
  RUST_LOG                 what is logged to stderr (default warn,authserver=info: one line per
                           request), e.g. RUST_LOG=debug";

/// The database when neither `--database` nor `AUTHSERVER_DATABASE` names one.
const DEFAULT_DATABASE: &str = "sqlite:authserver.db";
/// The log filter when `RUST_LOG` is not set.
const DEFAULT_LOG: &str = "warn,authserver=info";

struct Args {
    bind: IpAddr,
    port: u16,
    base_url: Option<String>,
    org: PathBuf,
    database: String,
    rate_limits: bool,
}

/// The arguments, `Ok(None)` for `--help`, or what is wrong with them.
fn parse_args(given: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let mut args = Args {
        bind: IpAddr::from([127, 0, 0, 1]),
        port: 8080,
        org: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json")),
        base_url: env("AUTHSERVER_BASE_URL"),
        database: env("AUTHSERVER_DATABASE").unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
        rate_limits: true,
    };
    let mut given = given.into_iter();
    while let Some(arg) = given.next() {
        let mut value = |what: &str| given.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--bind" => {
                let text = value("an address")?;
                args.bind = text
                    .parse()
                    .map_err(|_| format!("--bind: '{text}' is not an IP address"))?;
            }
            "--port" => {
                let text = value("a number")?;
                args.port = text
                    .parse()
                    .map_err(|_| format!("--port: '{text}' is not a port number"))?;
            }
            "--base-url" => args.base_url = Some(value("a URL")?),
            "--org" => args.org = value("a path")?.into(),
            "--database" => args.database = value("a URL")?,
            "--no-rate-limits" => args.rate_limits = false,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument '{other}' (--help lists them)")),
        }
    }
    Ok(Some(args))
}

/// The public base URL, without a trailing slash: the one given (an absolute http(s) URL with a
/// host), else the listening address's.
fn base_url(given: Option<&str>, listen: SocketAddr) -> Result<String, String> {
    let Some(given) = given else {
        if listen.ip().is_unspecified() {
            return Err(format!(
                "--bind {} listens on every interface: give --base-url (or AUTHSERVER_BASE_URL) with the \
                 name clients reach this server by",
                listen.ip()
            ));
        }
        return Ok(format!("http://{listen}"));
    };
    match url::Url::parse(given) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(given.trim_end_matches('/').to_owned())
        }
        _ => Err(format!(
            "--base-url: '{given}' is not an absolute http(s) URL such as https://id.example.com"
        )),
    }
}

/// What the server needs besides its stores.
struct Settings {
    org: Org,
    listener: TcpListener,
    listen: SocketAddr,
    base_url: String,
    rate_limits: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let listen = SocketAddr::new(args.bind, args.port);
    let base_url = match base_url(args.base_url.as_deref(), listen) {
        Ok(url) => url,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let org = match Org::from_file(&args.org) {
        Ok(org) => org,
        Err(error) => return fail(&format!("the org file cannot be loaded: {error}")),
    };
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => return fail(&format!("cannot listen on {listen}: {error}")),
    };
    let settings = Settings {
        org,
        listener,
        listen,
        base_url,
        rate_limits: args.rate_limits,
    };
    let hasher = PasswordHasher::default();
    if args.database == "memory" {
        return serve(stores::memory(hasher), None, settings).await;
    }
    let database = match database::open(&args.database).await {
        Ok(database) => database,
        Err(message) => return fail(&message),
    };
    let stores = stores::sql(&database, hasher);
    let events = Arc::clone(&stores.events);
    let code = serve(stores, Some(&database), settings).await;
    // Events are written in batches: write what is queued before leaving.
    if let Err(error) = events.flush().await {
        eprintln!("warning: some events could not be written: {error}");
    }
    database.close().await;
    code
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// Applies the org document to stores it was not applied to before (`database` records that;
/// memory stores are always new), then serves them until Ctrl-C or SIGTERM.
async fn serve<C, D, G, L>(stores: Stores<C, D, G, L>, database: Option<&SqlDatabase>, settings: Settings) -> ExitCode
where
    C: ConfigStore + 'static,
    D: SeedDirectory + 'static,
    G: GrantStore + 'static,
    L: EventLog + PurgeEvents,
{
    let Settings {
        org,
        listener,
        listen,
        base_url,
        rate_limits,
    } = settings;
    let applied_before = match database {
        Some(database) => match stores::org_applied(database).await {
            Ok(applied) => applied,
            Err(error) => return fail(&format!("the database cannot be read: {error}")),
        },
        None => false,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut server = AuthServer::new(
        stores.config,
        stores.directory,
        stores.grants,
        Arc::new(SoftwareKeys),
        Arc::clone(&clock),
        stores.events.clone(),
        &base_url,
    );
    if let Some((id, attributes)) = &org.org {
        server = server.with_org(id.clone(), attributes.clone());
    }
    if !applied_before {
        if let Err(error) = org.install(&server, clock.now()).await {
            return fail(&format!("the org file cannot be loaded: {error}"));
        }
        if let Some(Err(error)) = match database {
            Some(database) => Some(stores::mark_org_applied(database).await),
            None => None,
        } {
            return fail(&format!("the database cannot be written: {error}"));
        }
    }
    let server = Arc::new(server);
    let api_token = std::env::var("AUTHSERVER_API_TOKEN")
        .ok()
        .filter(|token| !token.trim().is_empty())
        .unwrap_or_else(|| org.api_token.clone());
    let mut okta = Okta::new(Arc::clone(&server))
        .clock(clock)
        .api_token(&api_token)
        .system_log(Arc::clone(&stores.events))
        .allowed_authority(listen.to_string());
    if listen.ip().is_loopback() {
        okta = okta.allowed_authority(format!("localhost:{}", listen.port()));
    }
    if rate_limits {
        okta = okta.rate_limits(RateLimits::okta_defaults());
    }
    let _purges = okta.purges().events(stores.events).spawn();
    print_banner(&server, &base_url, &api_token, &org, applied_before).await;
    let app = okta.router().into_make_service_with_connect_info::<SocketAddr>();
    if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stop_signal()).await {
        return fail(&error.to_string());
    }
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM (what container runtimes and service managers send).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
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

/// The issuers, the API token, the sample accounts and clients.
async fn print_banner<C, D, G>(
    server: &AuthServer<C, D, G>,
    base_url: &str,
    api_token: &str,
    org: &Org,
    applied_before: bool,
) where
    C: ConfigStore,
    D: SeedDirectory,
    G: GrantStore,
{
    println!("authserver serving {base_url}\n");
    if applied_before {
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
    let servers = server.management().handle(&list).await.body.unwrap_or_default();
    for id in servers
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["id"].as_str())
    {
        let issuer = server.issuer(id);
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
    for client in &org.clients {
        let Some(client_id) = client["client_id"].as_str() else {
            continue;
        };
        let secret = client["client_secret"].as_str();
        println!(
            "  {client_id:<24} {}",
            secret.unwrap_or("(public client: PKCE, no secret)")
        );
    }
    println!("\nSee the README for a curl command per flow. Ctrl-C stops.");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn flags_are_read_and_mistakes_named() {
        let args = parse(&[
            "--bind",
            "::1",
            "--port",
            "9000",
            "--no-rate-limits",
            "--database",
            "memory",
        ])
        .unwrap()
        .unwrap();
        assert_eq!((args.bind.to_string().as_str(), args.port), ("::1", 9000));
        assert!(!args.rate_limits);
        assert_eq!(args.database, "memory");
        assert!(parse(&["--help"]).unwrap().is_none());
        assert_eq!(parse(&["--port"]).err().unwrap(), "--port needs a number");
        assert!(
            parse(&["--bind", "localhost"])
                .err()
                .unwrap()
                .contains("not an IP address")
        );
        assert!(parse(&["--frobnicate"]).err().unwrap().contains("--help"));
    }

    #[test]
    fn the_base_url_defaults_to_the_listening_address() {
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(base_url(None, loopback).unwrap(), "http://127.0.0.1:8080");
        let ipv6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert_eq!(base_url(None, ipv6).unwrap(), "http://[::1]:8080");
        assert_eq!(
            base_url(Some("https://id.example.com/"), loopback).unwrap(),
            "https://id.example.com"
        );
        let everywhere: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(base_url(None, everywhere).unwrap_err().contains("--base-url"));
        assert!(base_url(Some("https://id.example.com"), everywhere).is_ok());
        for wrong in ["id.example.com", "ftp://id.example.com", "https://"] {
            assert!(base_url(Some(wrong), loopback).is_err(), "{wrong}");
        }
    }
}

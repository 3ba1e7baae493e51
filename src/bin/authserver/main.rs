//! `authserver`: an Okta-compatible authorization server over HTTP, `authserver::axum` on an org
//! document's users, clients and servers (`examples/org.json` by default).
//!
//! ```sh
//! cargo run -F server                      # 127.0.0.1:8080, examples/org.json, ./authserver.db
//! cargo run -F server -- --port 9000 --org my-org.json --database memory
//! ```
//!
//! `--help` lists the flags and environment variables.

mod args;
mod banner;
mod database;
mod stores;

use std::process::ExitCode;
use std::sync::Arc;

use authserver::AuthServer;
use authserver::axum::{Okta, PurgeEvents};
use authserver::clock::Clock;
use authserver::crypto::PasswordHasher;
use authserver::event::EventLog;
use authserver::ratelimit::RateLimits;
use authserver::store::sql::SqlDatabase;
use authserver::store::{ConfigStore, GrantStore};
use tokio::net::TcpListener;

use args::Args;
use authserver::org::Org;
use authserver::store::DirectoryWrites;
use stores::Stores;

/// mimalloc rather than the system allocator: see the README's "Performance" section.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(args::DEFAULT_LOG));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = match args::parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{}", args::HELP);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let org = match Org::from_file(&args.org) {
        Ok(org) => org,
        Err(error) => return fail(&format!("the org file cannot be loaded: {error}")),
    };
    let listener = match TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(error) => return fail(&format!("cannot listen on {}: {error}", args.listen)),
    };
    let hasher = PasswordHasher::default();
    if args.database == "memory" {
        return serve(stores::memory(hasher), None, &args, org, listener).await;
    }
    let database = match database::open(&args.database).await {
        Ok(database) => database,
        Err(message) => return fail(&message),
    };
    let stores = stores::sql(&database, hasher);
    let events = Arc::clone(&stores.events);
    let code = serve(stores, Some(&database), &args, org, listener).await;
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
async fn serve<C, D, G, L>(
    stores: Stores<C, D, G, L>,
    database: Option<&SqlDatabase>,
    args: &Args,
    org: Org,
    listener: TcpListener,
) -> ExitCode
where
    C: ConfigStore + 'static,
    D: DirectoryWrites + 'static,
    G: GrantStore + 'static,
    L: EventLog + PurgeEvents,
{
    let (listen, base_url) = (args.listen, args.base_url.as_str());
    let applied_before = match database {
        Some(database) => match stores::org_applied(database).await {
            Ok(applied) => applied,
            Err(error) => return fail(&format!("the database cannot be read: {error}")),
        },
        None => false,
    };
    let mut builder = AuthServer::builder(base_url)
        .config_store(stores.config)
        .directory(stores.directory)
        .grant_store(stores.grants)
        .events(stores.events.clone());
    if let Some((id, attributes)) = &org.org {
        builder = builder.org(id.clone(), attributes.clone());
    }
    let server = builder.build();
    if !applied_before {
        if let Err(error) = org.install(server.management(), server.clock().now()).await {
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
        .api_token(&api_token)
        .system_log(Arc::clone(&stores.events))
        .allowed_authority(listen.to_string());
    if listen.ip().is_loopback() {
        okta = okta.allowed_authority(format!("localhost:{}", listen.port()));
    }
    if args.rate_limits {
        okta = okta.rate_limits(RateLimits::okta_defaults());
    }
    let _purges = okta.purges().events(stores.events).spawn();
    banner::print(&server, base_url, &api_token, &org, applied_before).await;
    // The library's serving loop rather than `axum::serve`: it times out slow headers (and idle
    // keep-alive connections) at `DEFAULT_HEADER_TIMEOUT`; the router times out slow bodies.
    authserver::axum::serve(listener, okta.router())
        .run_until(stop_signal())
        .await;
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

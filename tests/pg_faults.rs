//! A database that goes away: the example server over PostgreSQL answers with the documented
//! errors while it is down (OAuth `server_error`/`temporarily_unavailable` with 500/503, the
//! management API's `E0000009`), within a bounded time, writes nothing half-way, and recovers by
//! itself when the database comes back.
//!
//! Stops and starts the PostgreSQL cluster of `AUTHSERVER_TEST_POSTGRES` through `.ci/postgres`,
//! so it needs `AUTHSERVER_TEST_POSTGRES_DIR` (the cluster's data directory) too, and runs alone
//! in its own test binary (cargo runs test binaries one after another).

mod sql_support;
#[path = "deploy/support.rs"]
#[allow(dead_code, reason = "the support module serves several test binaries")]
mod support;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use support::{SERVICE, ServerProcess, manage, service_token, token};

/// Runs `.ci/postgres COMMAND` on the test cluster; whether it succeeded.
fn try_postgres_ctl(command: &str) -> bool {
    let (Ok(dir), Ok(url)) = (
        std::env::var("AUTHSERVER_TEST_POSTGRES_DIR"),
        std::env::var("AUTHSERVER_TEST_POSTGRES"),
    ) else {
        return false;
    };
    let port = url
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or("5433")
        .to_owned();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/postgres");
    std::process::Command::new("bash")
        .args([script, command, &dir, &port])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn postgres_ctl(command: &str) {
    assert!(try_postgres_ctl(command), ".ci/postgres {command} failed");
}

/// Starts the cluster again if the test fails while it is stopped, so that the test binaries
/// after this one find it running.
struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Already running if the test failed after starting it: that answer is ignored.
            let _ = try_postgres_ctl("start");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_a_database_outage() {
    let Some(databases) = sql_support::Databases::postgres() else {
        return;
    };
    if std::env::var_os("AUTHSERVER_TEST_POSTGRES_DIR").is_none() {
        eprintln!("note: AUTHSERVER_TEST_POSTGRES_DIR is not set; skipping the outage test");
        return;
    }
    let url = databases.fresh_url().await;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&url, dir.path().join("server.log")).await;
    let issuer = server.issuer();
    service_token(&issuer).await;

    let _restart = RestartOnDrop;
    postgres_ctl("stop");
    // Cached configuration may serve a few seconds; past the staleness bound every request that
    // needs the database fails cleanly, and none hangs.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let started = Instant::now();
    let (status, body) = token(
        &issuer,
        SERVICE,
        &[("grant_type", "client_credentials"), ("scope", "reports:read")],
    )
    .await;
    assert!(
        matches!(
            (status, body["error"].as_str()),
            (500, Some("server_error")) | (503, Some("temporarily_unavailable"))
        ),
        "a token request while the database is down: {status} {body}"
    );
    eprintln!(
        "token request refused with {status} after {:?} while the database was down",
        started.elapsed()
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the refusal came in bounded time"
    );
    let scope = json!({"name": "written:during-outage", "description": "must not exist"});
    let (status, body) = manage(
        &server.base,
        Method::POST,
        "/api/v1/authorizationServers/default/scopes",
        Some(&scope),
    )
    .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (500, Some("E0000009")),
        "management: {body}"
    );

    postgres_ctl("start");
    let restarted = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = token(
            &issuer,
            SERVICE,
            &[("grant_type", "client_credentials"), ("scope", "reports:read")],
        )
        .await;
        if status == 200 {
            eprintln!("recovered {:?} after the database came back", restarted.elapsed());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not recover:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, scopes) = manage(
        &server.base,
        Method::GET,
        "/api/v1/authorizationServers/default/scopes",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        scopes
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "written:during-outage"),
        "the write refused during the outage left nothing behind"
    );
}

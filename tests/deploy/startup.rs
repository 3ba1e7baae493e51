//! How the `authserver` binary starts over an existing database: it refuses a key-encryption key that
//! cannot open what the database holds, and it completes an org file that a failed start applied
//! only in part.

use super::support::{API_TOKEN, KEK, ServerProcess, http};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_database_is_refused_without_its_key_encryption_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("authserver.db");
    let database = format!("sqlite:{}", path.display());
    let log = |name: &str| dir.path().join(name);

    // A new database without AUTHSERVER_KEK gets a key file beside it, readable by its owner only.
    let first = ServerProcess::spawn(&["--database", &database], &[], log("first.log"));
    let first = {
        let mut first = first;
        first.wait_ready().await;
        first
    };
    let kek_file = dir.path().join("authserver.db.kek");
    assert!(
        first.output().contains("generated the key-encryption key"),
        "{}",
        first.output()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&kek_file, &path] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is private", file.display());
        }
    }
    first.kill();

    // Without its key file, the database is refused, and no new key is made for it.
    let moved = dir.path().join("moved.kek");
    std::fs::rename(&kek_file, &moved).unwrap();
    let (status, output) = ServerProcess::spawn(&["--database", &database], &[], log("second.log"))
        .exit()
        .await;
    assert!(!status.success(), "{output}");
    assert!(output.contains("exists but its key-encryption key"), "{output}");
    assert!(!kek_file.exists(), "no new key file was made");

    // Another key is refused by the database's own record of its keys.
    let (status, output) =
        ServerProcess::spawn(&["--database", &database], &[("AUTHSERVER_KEK", KEK)], log("third.log"))
            .exit()
            .await;
    assert!(!status.success(), "{output}");
    assert!(output.contains("sealed under key-encryption key"), "{output}");

    // The right key opens it again, whichever way it is given.
    let kek_text = std::fs::read_to_string(&moved).unwrap();
    let mut again = ServerProcess::spawn(
        &["--database", &database],
        &[("AUTHSERVER_KEK", kek_text.trim())],
        log("fourth.log"),
    );
    again.wait_ready().await;
    let keys = http().get(format!("{}/v1/keys", again.issuer())).send().await.unwrap();
    assert_eq!(keys.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_that_failed_half_way_is_completed_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("authserver.db").display());
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json")).unwrap(),
    )
    .unwrap();
    // The same org with a broken second server: users, clients and `default` are stored, then
    // the start fails on `orders`.
    let mut broken = sample.clone();
    broken["authorizationServers"][1]["scopes"][0]["name"] = "".into();
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, broken.to_string()).unwrap();
    let good_path = dir.path().join("org.json");
    std::fs::write(&good_path, sample.to_string()).unwrap();
    let env = [("AUTHSERVER_KEK", KEK)];

    let (status, output) = ServerProcess::spawn(
        &["--database", &database, "--org", broken_path.to_str().unwrap()],
        &env,
        dir.path().join("broken.log"),
    )
    .exit()
    .await;
    assert!(!status.success(), "the broken org stops the start: {output}");
    assert!(output.contains("authorizationServers[1]"), "{output}");

    let mut fixed = ServerProcess::spawn(
        &["--database", &database, "--org", good_path.to_str().unwrap()],
        &env,
        dir.path().join("fixed.log"),
    );
    fixed.wait_ready().await;
    assert!(!fixed.output().contains("already holds"), "{}", fixed.output());
    let orders = http()
        .get(format!("{}/oauth2/orders/.well-known/openid-configuration", fixed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(orders.status(), 200, "the server the failed start missed is there");
    fixed.kill();

    let again = ServerProcess::start(&database, dir.path().join("again.log")).await;
    assert!(again.output().contains("already holds"), "{}", again.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_url_with_slashes_keeps_its_key_beside_the_database_and_passwords_are_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    // sqlx reads `sqlite://name.db` as the relative path `name.db`; the key file goes beside it.
    let mut server = ServerProcess::spawn_in(
        Some(dir.path()),
        &["--database", "sqlite://relative.db"],
        &[],
        dir.path().join("relative.log"),
    );
    server.wait_ready().await;
    assert!(dir.path().join("relative.db").exists());
    assert!(dir.path().join("relative.db.kek").exists(), "{}", server.output());
    server.kill();

    let (status, output) = ServerProcess::spawn(
        &["--database", "postgres://auth:s3cret-password@127.0.0.1:1/authserver"],
        &[("AUTHSERVER_KEK", KEK)],
        dir.path().join("refused.log"),
    )
    .exit()
    .await;
    assert!(!status.success(), "{output}");
    assert!(output.contains("auth:***@127.0.0.1:1"), "{output}");
    assert!(
        !output.contains("s3cret"),
        "the database password is not printed: {output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_names_every_flag_and_variable_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (status, output) = ServerProcess::spawn(&["--help"], &[], dir.path().join("help.log"))
        .exit()
        .await;
    assert!(status.success(), "{output}");
    for name in [
        "--bind",
        "--port",
        "--base-url",
        "--org",
        "--database",
        "--no-rate-limits",
        "AUTHSERVER_BASE_URL",
        "AUTHSERVER_DATABASE",
        "AUTHSERVER_API_TOKEN",
        "AUTHSERVER_KEK",
        "AUTHSERVER_KEK_FILE",
        "AUTHSERVER_KEK_PREVIOUS",
        "RUST_LOG",
    ] {
        assert!(output.contains(name), "--help does not mention {name}:\n{output}");
    }
    let (status, output) = ServerProcess::spawn(&["--bogus"], &[], dir.path().join("bogus.log"))
        .exit()
        .await;
    assert_eq!(status.code(), Some(2), "{output}");
    assert!(output.contains("unknown argument '--bogus'"), "{output}");
}

/// The management API answers requests addressed to the public base URL's host, the listening
/// address, or (listening on loopback) `localhost`; any other name gets an error that says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_requests_are_accepted_at_the_servers_own_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start("memory", dir.path().join("names.log")).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let call = |host: String| {
        http()
            .get(format!("{}/api/v1/authorizationServers", server.base))
            .header("Host", host)
            .header("Authorization", format!("SSWS {API_TOKEN}"))
            .send()
    };
    for own in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "id.example.test".into(),
    ] {
        let response = call(own.clone()).await.unwrap();
        assert_eq!(response.status(), 200, "{own}");
    }
    let foreign = call(format!("attacker.example:{port}")).await.unwrap();
    assert_eq!(foreign.status(), 401);
    let body: serde_json::Value = foreign.json().await.unwrap();
    let cause = body["errorCauses"][0]["errorSummary"].as_str().unwrap_or_default();
    assert!(cause.contains(&format!("localhost:{port}")), "{body}");
    assert!(
        server.output().contains("its Host header does not name this server"),
        "{}",
        server.output()
    );
}

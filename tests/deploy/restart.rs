//! Nothing is lost on restart: after `kill -9` and a start on the same SQLite file, old access
//! tokens still verify against the JWKS and introspect active, refresh tokens still refresh,
//! registered clients still authenticate, and the System Log still holds what a clean shutdown
//! wrote.

use serde_json::Value;

use super::support::{
    API_TOKEN, ServerProcess, WEB_APP, alice_tokens, http, is_active, jwks, register_service_client, service_token,
    token, verify,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_and_restart_on_the_same_sqlite_file_keeps_keys_tokens_and_clients() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("authserver.db").display());
    let log = |n: u32| dir.path().join(format!("server{n}.log"));

    let first = ServerProcess::start(&database, log(1)).await;
    let issuer = first.issuer();
    let access = service_token(&issuer).await;
    let alice = alice_tokens(&issuer).await;
    let refresh = alice["refresh_token"].as_str().unwrap().to_owned();
    let (client_id, secret) = register_service_client(&first.base, "Registered before the crash").await;
    let keys_before = jwks(&issuer).await;
    first.kill();

    let second = ServerProcess::start(&database, log(2)).await;
    assert!(
        second.output().contains("already holds"),
        "a restart does not seed the org again:\n{}",
        second.output()
    );
    let issuer = second.issuer();
    let keys_after = jwks(&issuer).await;
    assert_eq!(
        keys_before
            .keys
            .iter()
            .map(|k| k.common.key_id.clone())
            .collect::<Vec<_>>(),
        keys_after
            .keys
            .iter()
            .map(|k| k.common.key_id.clone())
            .collect::<Vec<_>>(),
        "the signing keys survive the restart"
    );
    let claims = verify(&access, &keys_after);
    assert_eq!(claims["cid"], "reporting-service");
    assert!(
        is_active(&issuer, &access).await,
        "an access token minted before the crash is active"
    );

    let (status, refreshed) = token(
        &issuer,
        WEB_APP,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(
        status, 200,
        "a refresh token issued before the crash refreshes: {refreshed}"
    );
    verify(refreshed["access_token"].as_str().unwrap(), &keys_after);

    let (status, body) = token(
        &issuer,
        (&client_id, &secret),
        &[("grant_type", "client_credentials"), ("scope", "reports:read")],
    )
    .await;
    assert_eq!(
        status, 200,
        "a client registered before the crash authenticates: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_writes_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("authserver.db").display());
    let first = ServerProcess::start(&database, dir.path().join("server1.log")).await;
    let issuer = first.issuer();
    for _ in 0..20 {
        service_token(&issuer).await;
    }
    first.interrupt().await;

    let second = ServerProcess::start(&database, dir.path().join("server2.log")).await;
    let events: Value = http()
        .get(format!(
            "{}/api/v1/logs?filter=eventType+eq+%22app.oauth2.as.token.grant%22&limit=1000",
            second.base
        ))
        .header("Authorization", format!("SSWS {API_TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let count = events.as_array().map_or(0, Vec::len);
    assert!(
        count >= 20,
        "the 20 token grants before the shutdown are in the System Log: {count}"
    );
}

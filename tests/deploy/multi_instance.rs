//! Two `authserver` processes over one PostgreSQL database (`AUTHSERVER_TEST_POSTGRES`), as
//! behind a load balancer. Each instance polls the database's revisions every second, so a
//! change through one is seen by the other within about a second; the tests measure and print
//! that delay.

use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::sql_support::Databases;
use super::support::{
    ServerProcess, WEB_APP, alice_code, alice_tokens, is_active, jwks, manage, register_service_client, service_token,
    token,
};

/// How long a change may take to reach the other instance before the test fails: the poll
/// interval (1 s) with a wide margin for a loaded machine.
const PROPAGATION_LIMIT: Duration = Duration::from_secs(10);

/// Waits until `check` holds; returns how long that took.
async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            let elapsed = start.elapsed();
            eprintln!("{what}: seen by the other instance after {elapsed:?}");
            return elapsed;
        }
        assert!(
            start.elapsed() < PROPAGATION_LIMIT,
            "{what}: not seen within {PROPAGATION_LIMIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two instances over a fresh database, the first having seeded it.
async fn two_instances() -> Option<(ServerProcess, ServerProcess, tempfile::TempDir)> {
    let databases = Databases::postgres()?;
    let url = databases.fresh_url().await;
    let dir = tempfile::tempdir().unwrap();
    let a = ServerProcess::start(&url, dir.path().join("a.log")).await;
    let b = ServerProcess::start(&url, dir.path().join("b.log")).await;
    assert!(
        b.output().contains("already holds"),
        "the second instance does not seed again:\n{}",
        b.output()
    );
    Some((a, b, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_codes_refresh_tokens_keys_policies_and_clients() {
    let Some((a, b, _dir)) = two_instances().await else {
        return;
    };

    // A code redeemed concurrently through both instances yields exactly one token set.
    let code = alice_code(&a).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://localhost:3000/callback"),
    ];
    let redemptions = (0..16)
        .flat_map(|_| [a.issuer(), b.issuer()])
        .map(|issuer| async move { token(&issuer, WEB_APP, &form).await });
    let outcomes = futures::future::join_all(redemptions).await;
    let winners = outcomes.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(
        winners, 1,
        "one of 32 concurrent redemptions over two instances wins: {outcomes:?}"
    );
    for (status, body) in outcomes.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")));
    }

    // A client registered through one instance authenticates at the other.
    let (client_id, secret) = register_service_client(&a.base, "Registered at A").await;
    let (status, body) = token(
        &b.issuer(),
        (&client_id, &secret),
        &[("grant_type", "client_credentials"), ("scope", "reports:read")],
    )
    .await;
    assert_eq!(status, 200, "a client registered at A gets a token at B: {body}");

    // A key rotated through one instance is published, and signs, at the other.
    let (status, rotated) = manage(
        &a.base,
        Method::POST,
        "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate",
        Some(&serde_json::json!({"use": "sig"})),
    )
    .await;
    assert_eq!(status, 200, "key rotation: {rotated}");
    let active = rotated
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["status"] == "ACTIVE"))
        .and_then(|key| key["kid"].as_str())
        .expect("an ACTIVE key after rotation")
        .to_owned();
    let b_issuer = b.issuer();
    eventually("key rotation", || {
        let (issuer, active) = (b_issuer.clone(), active.clone());
        async move {
            let published = jwks(&issuer).await.find(&active).is_some();
            let token = service_token(&issuer).await;
            let kid = jsonwebtoken::decode_header(&token).unwrap().kid;
            published && kid.as_deref() == Some(active.as_str())
        }
    })
    .await;

    // A policy change through one instance makes older tokens inactive at the other.
    let old = service_token(&b.issuer()).await;
    assert!(is_active(&b.issuer(), &old).await);
    tokio::time::sleep(Duration::from_millis(1100)).await; // implicit revocation compares seconds
    let (_, policies) = manage(
        &a.base,
        Method::GET,
        "/api/v1/authorizationServers/default/policies",
        None,
    )
    .await;
    let mut policy = policies[0].clone();
    let policy_id = policy["id"].as_str().unwrap().to_owned();
    policy["description"] = Value::String("Changed through instance A".into());
    let path = format!("/api/v1/authorizationServers/default/policies/{policy_id}");
    let (status, body) = manage(&a.base, Method::PUT, &path, Some(&policy)).await;
    assert_eq!(status, 200, "policy update: {body}");
    eventually("policy change", || {
        let (issuer, old) = (b_issuer.clone(), old.clone());
        async move { !is_active(&issuer, &old).await }
    })
    .await;
    let fresh = service_token(&b.issuer()).await;
    assert!(
        is_active(&a.issuer(), &fresh).await,
        "a token minted after the change is active"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_rotated_through_one_instance_is_stale_at_the_other() {
    let Some((a, b, _dir)) = two_instances().await else {
        return;
    };
    // The web app's refresh tokens rotate, with no leeway for reuse.
    let (_, mut client) = manage(&a.base, Method::GET, "/oauth2/v1/clients/web-app", None).await;
    client["refresh_token"] = serde_json::json!({"rotation_type": "ROTATE", "leeway": 0});
    for field in [
        "client_secret",
        "client_secret_expires_at",
        "client_id_issued_at",
        "_links",
    ] {
        client.as_object_mut().unwrap().remove(field);
    }
    let (status, body) = manage(&a.base, Method::PUT, "/oauth2/v1/clients/web-app", Some(&client)).await;
    assert_eq!(status, 200, "client update: {body}");
    tokio::time::sleep(Duration::from_millis(1100)).await; // the change revokes older tokens
    let b_issuer = b.issuer();
    eventually("client update", || {
        let issuer = b_issuer.clone();
        async move {
            let first = alice_tokens(&issuer).await["refresh_token"]
                .as_str()
                .unwrap()
                .to_owned();
            let form = [("grant_type", "refresh_token"), ("refresh_token", first.as_str())];
            let (rotated, _) = token(&issuer, WEB_APP, &form).await;
            let (reused, _) = token(&issuer, WEB_APP, &form).await;
            rotated == 200 && reused == 400
        }
    })
    .await;

    let issued = alice_tokens(&a.issuer()).await;
    let presented = issued["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", presented)];
    let (status, rotated) = token(&a.issuer(), WEB_APP, &form).await;
    assert_eq!(status, 200, "rotation at A: {rotated}");
    assert_ne!(
        rotated["refresh_token"].as_str(),
        Some(presented),
        "A rotated the token"
    );
    let (status, stale) = token(&b.issuer(), WEB_APP, &form).await;
    assert_eq!(
        (status, stale["error"].as_str()),
        (400, Some("invalid_grant")),
        "B: {stale}"
    );
}

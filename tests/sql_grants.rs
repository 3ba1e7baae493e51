//! The grant store's conformance suite (`testkit::grants`) against SQLite and PostgreSQL, each
//! check on a fresh database; and races between two instances sharing one database.

mod sql_support;

use std::sync::Arc;

use authserver::secret::{AuthorizationCode, RefreshToken};
use authserver::store::GrantStore;
use authserver::store::grants::{CodeRedemption, Grant, GrantId, RefreshTokenRecord, Rotation};
use authserver::store::sql::SqlDatabase;
use authserver::testkit::grants;
use sql_support::Databases;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);
const RACERS: usize = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sql_grant_store_passes_the_conformance_suite_and_races() {
    for databases in Databases::all() {
        eprintln!("grant suite on {}", databases.name());
        grants::run_all_async(|| async { databases.fresh().await.grant_store() }).await;
        eprintln!("instance races on {}", databases.name());
        two_instances_race_and_one_wins(&databases).await;
        eprintln!("revocation races on {}", databases.name());
        a_revocation_racing_rotations_revokes_the_whole_family(&databases).await;
    }
}

fn grant(id: &str) -> Grant {
    Grant {
        id: GrantId::new(id),
        authorization_server_id: "aus1".into(),
        client_id: "client1".into(),
        user_id: Some("user1".into()),
        scopes: vec!["openid".into(), "offline_access".into()],
        grant_type: "authorization_code".into(),
        policy_id: "pol1".into(),
        rule_id: "rul1".into(),
        access_token_lifetime_minutes: 60,
        refresh_token_lifetime_minutes: None,
        refresh_token_window_minutes: 10080,
        auth_time: Some(NOW),
        amr: vec!["pwd".into()],
        acr: None,
        requested_claims: None,
        issued_at: NOW,
    }
}

fn token_record(token: &RefreshToken, grant_id: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: token.hash(),
        grant: grant(grant_id),
        issued_at: NOW,
        expires_at: None,
        last_used_at: NOW,
    }
}

/// Two instances (two pools) on one database.
async fn two_instances(databases: &Databases) -> (SqlDatabase, SqlDatabase) {
    let url = databases.fresh_url().await;
    let open = async || {
        SqlDatabase::connect_with(&url, sql_support::kek(), sql_support::options())
            .await
            .unwrap_or_else(|error| panic!("cannot open {url}: {error:?}"))
    };
    (open().await, open().await)
}

/// Spawned tasks on two instances race to redeem one code and to rotate one token: one wins
/// each race, and the losers are told who won.
async fn two_instances_race_and_one_wins(databases: &Databases) {
    let (a, b) = two_instances(databases).await;
    let stores = [a.grant_store(), b.grant_store()];
    for round in 0..5 {
        let family = format!("g-race-{round}");
        let code = AuthorizationCode::generate(&authserver::random::SystemRandom).unwrap();
        let presented = RefreshToken::generate(&authserver::random::SystemRandom).unwrap();
        stores[0]
            .insert_code(authserver::store::grants::AuthorizationCodeRecord {
                code_hash: code.hash(),
                grant: grant(&family),
                redirect_uri: None,
                code_challenge: None,
                nonce: None,
                expires_at: NOW + Duration::minutes(5),
            })
            .await
            .unwrap();
        stores[1]
            .insert_refresh_token(token_record(&presented, &family))
            .await
            .unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
        let tasks: Vec<_> = (0..RACERS)
            .map(|i| {
                let store = stores[i % 2].clone();
                let barrier = Arc::clone(&barrier);
                let (code, presented) = (code.hash(), presented.hash());
                let successor = RefreshToken::generate(&authserver::random::SystemRandom).unwrap();
                let record = token_record(&successor, &family);
                tokio::spawn(async move {
                    barrier.wait().await;
                    let redemption = store.redeem_code(&code, NOW).await.unwrap();
                    let rotation = store.rotate_refresh_token(&presented, record, NOW).await.unwrap();
                    (redemption, rotation, successor.hash())
                })
            })
            .collect();
        let (mut redeemed, mut winners, mut named) = (0, Vec::new(), Vec::new());
        for task in tasks {
            let (redemption, rotation, successor) = task.await.unwrap();
            match redemption {
                CodeRedemption::Redeemed(_) => redeemed += 1,
                CodeRedemption::AlreadyRedeemed { grant_id } => assert_eq!(grant_id.as_str(), family),
                CodeRedemption::Unknown => panic!("a racer found the code unknown"),
            }
            match rotation {
                Rotation::Rotated { .. } => winners.push(successor),
                Rotation::AlreadyRotated { successor, .. } => named.push(successor),
                other => panic!("unexpected rotation outcome {other:?}"),
            }
        }
        assert_eq!(redeemed, 1, "exactly one redemption wins");
        assert_eq!(winners.len(), 1, "exactly one rotation wins");
        assert!(
            named.iter().all(|s| *s == winners[0]),
            "the losers name the winner's successor"
        );
    }
}

/// Rotations in a family race its revocation on another instance: once all is
/// done, every token of the family is revoked, and stays so after the revocation is purged.
async fn a_revocation_racing_rotations_revokes_the_whole_family(databases: &Databases) {
    let (a, b) = two_instances(databases).await;
    let (rotating, revoking) = (a.grant_store(), b.grant_store());
    for round in 0..5 {
        let family = GrantId::new(format!("g-revoke-{round}"));
        let chains: Vec<RefreshToken> = (0..8)
            .map(|_| RefreshToken::generate(&authserver::random::SystemRandom).unwrap())
            .collect();
        for token in &chains {
            rotating
                .insert_refresh_token(token_record(token, family.as_str()))
                .await
                .unwrap();
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(chains.len() + 1));
        let mut tasks = Vec::new();
        for token in &chains {
            let store = rotating.clone();
            let barrier = Arc::clone(&barrier);
            let family = family.clone();
            let mut current = token.hash();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let mut seen = vec![current];
                // Rotate along the chain until the revocation stops it.
                for _ in 0..20 {
                    let next = RefreshToken::generate(&authserver::random::SystemRandom).unwrap();
                    match store
                        .rotate_refresh_token(&current, token_record(&next, family.as_str()), NOW)
                        .await
                        .unwrap()
                    {
                        Rotation::Rotated { .. } => {
                            current = next.hash();
                            seen.push(current);
                        }
                        Rotation::FamilyRevoked => break,
                        other => panic!("unexpected rotation outcome {other:?}"),
                    }
                }
                seen
            }));
        }
        let revoker = {
            let barrier = Arc::clone(&barrier);
            let family = family.clone();
            let store = revoking.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                tokio::task::yield_now().await;
                store.revoke_grant(&family, NOW + Duration::hours(1)).await.unwrap();
            })
        };
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        revoker.await.unwrap();
        for hash in &all {
            let state = rotating.find_refresh_token(hash).await.unwrap().unwrap();
            assert!(state.family_revoked, "a token of the revoked family is usable");
        }
        revoking.purge_expired(NOW + Duration::hours(2)).await.unwrap();
        for hash in &all {
            let state = rotating.find_refresh_token(hash).await.unwrap().unwrap();
            assert!(state.family_revoked, "a purged revocation revived a token");
            assert!(!rotating.touch_refresh_token(hash, NOW).await.unwrap());
        }
    }
}

/// A statement that waits on a lock gives up after `SqlOptions::statement_timeout` with
/// `StoreError::Unavailable` instead of hanging (here a table locked by another session, as a
/// migration or `VACUUM FULL` would lock it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_blocked_by_a_lock_times_out_as_unavailable() {
    use sqlx::Connection;
    let Some(databases) = Databases::postgres() else { return };
    let url = databases.fresh_url().await;
    let mut options = sql_support::options();
    options.statement_timeout = std::time::Duration::from_millis(300);
    let db = SqlDatabase::connect_with(&url, sql_support::kek(), options)
        .await
        .unwrap();
    let store = db.grant_store();
    let code = AuthorizationCode::generate(&authserver::random::SystemRandom).unwrap();

    let mut locker = sqlx::AnyConnection::connect(&url).await.unwrap();
    let mut lock = locker.begin().await.unwrap();
    sqlx::query("LOCK TABLE codes IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(5), store.redeem_code(&code.hash(), NOW))
        .await
        .expect("the blocked statement gave up by itself");
    let waited = started.elapsed();
    lock.rollback().await.unwrap();
    assert!(
        matches!(outcome, Err(authserver::store::StoreError::Unavailable(_))),
        "{outcome:?}"
    );
    assert!(waited < std::time::Duration::from_secs(5), "gave up after {waited:?}");
    assert!(matches!(
        store.redeem_code(&code.hash(), NOW).await,
        Ok(CodeRedemption::Unknown)
    ));
}

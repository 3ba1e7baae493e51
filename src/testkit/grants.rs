//! Conformance suite for [`GrantStore`] implementations.
//!
//! Each function takes a fresh, empty store, exercises one part of the contract documented on
//! [`GrantStore`], and panics with a message naming the violated rule. Run them all with
//! [`run_all`]:
//!
//! ```
//! # async fn check() {
//! use authserver::store::memory::MemoryGrantStore;
//! authserver::testkit::grants::run_all(MemoryGrantStore::new).await;
//! # }
//! # futures::executor::block_on(check());
//! ```
//!
//! The suite uses fixed timestamps (in 2025) and calls [`GrantStore::purge_expired`] to make
//! time pass, so a store whose entries expire by a wall clock should map `now` accordingly.

use futures::future::join_all;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::secret::{AuthorizationCode, RefreshToken, SecretHash};
use crate::store::StoreError;
use crate::store::grants::{
    AuthorizationCodeRecord, CODE_TOMBSTONE_RETENTION, CodeRedemption, Consumption, Grant, GrantId, GrantStore,
    RefreshTokenRecord, Rotation,
};

/// How many concurrent callers the race checks use.
pub const RACERS: usize = 32;

const NOW: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

fn minutes(n: i64) -> OffsetDateTime {
    NOW + Duration::minutes(n)
}

fn grant(id: &str) -> Grant {
    Grant {
        id: GrantId::new(id),
        authorization_server_id: "aus-testkit".into(),
        client_id: "client-testkit".into(),
        user_id: Some("user-testkit".into()),
        scopes: vec!["openid".into(), "offline_access".into(), "orders:read".into()],
        grant_type: "authorization_code".into(),
        policy_id: "policy-testkit".into(),
        rule_id: "rule-testkit".into(),
        access_token_lifetime_minutes: 60,
        refresh_token_lifetime_minutes: Some(1440),
        refresh_token_window_minutes: 10080,
        auth_time: Some(NOW),
        amr: vec!["pwd".into(), "mfa".into()],
        acr: None,
        requested_claims: None,
        issued_at: NOW,
    }
}

fn new_code() -> AuthorizationCode {
    AuthorizationCode::generate(&crate::random::SystemRandom).expect("the random source failed")
}

fn new_token() -> RefreshToken {
    RefreshToken::generate(&crate::random::SystemRandom).expect("the random source failed")
}

fn code_record(code: &AuthorizationCode, grant_id: &str, expires_at: OffsetDateTime) -> AuthorizationCodeRecord {
    AuthorizationCodeRecord {
        code_hash: code.hash(),
        grant: grant(grant_id),
        redirect_uri: Some("https://app.example/callback".into()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        expires_at,
    }
}

fn refresh_record(token: &RefreshToken, grant_id: &str, expires_at: Option<OffsetDateTime>) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: token.hash(),
        grant: grant(grant_id),
        issued_at: NOW,
        expires_at,
        last_used_at: NOW,
    }
}

fn ok<T>(result: Result<T, StoreError>, operation: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("GrantStore: {operation} failed: {error:?}"),
    }
}

async fn insert_code<S: GrantStore>(store: &S, record: AuthorizationCodeRecord) {
    ok(store.insert_code(record).await, "insert_code");
}

async fn redeem<S: GrantStore>(store: &S, hash: &SecretHash, now: OffsetDateTime) -> CodeRedemption {
    ok(store.redeem_code(hash, now).await, "redeem_code")
}

async fn insert_token<S: GrantStore>(store: &S, record: RefreshTokenRecord) {
    ok(store.insert_refresh_token(record).await, "insert_refresh_token");
}

async fn rotate<S: GrantStore>(
    store: &S,
    presented: &SecretHash,
    successor: RefreshTokenRecord,
    now: OffsetDateTime,
) -> Rotation {
    ok(
        store.rotate_refresh_token(presented, successor, now).await,
        "rotate_refresh_token",
    )
}

/// A code is redeemed exactly once; afterwards it reports [`CodeRedemption::AlreadyRedeemed`]
/// with its grant id (RFC 6749 §4.1.2), and its hash cannot be inserted again.
pub async fn code_is_redeemed_once<S: GrantStore>(store: &S) {
    let code = new_code();
    let record = code_record(&code, "grant-code-once", minutes(5));
    insert_code(store, record.clone()).await;
    assert_eq!(
        redeem(store, &code.hash(), minutes(1)).await,
        CodeRedemption::Redeemed(record),
        "GrantStore: the first redemption must return the stored record unchanged"
    );
    for attempt in [minutes(1), minutes(2), minutes(10)] {
        assert_eq!(
            redeem(store, &code.hash(), attempt).await,
            CodeRedemption::AlreadyRedeemed {
                grant_id: GrantId::new("grant-code-once")
            },
            "GrantStore: a redeemed code must report AlreadyRedeemed with its grant id"
        );
    }
    assert!(
        matches!(
            store
                .insert_code(code_record(&code, "grant-code-once", minutes(5)))
                .await,
            Err(StoreError::Conflict)
        ),
        "GrantStore: inserting a redeemed code's hash again must be a Conflict"
    );
}

/// A code that was never stored is [`CodeRedemption::Unknown`], and a duplicate insert is a
/// [`StoreError::Conflict`] that leaves the first record in place.
pub async fn unknown_and_duplicate_codes<S: GrantStore>(store: &S) {
    assert_eq!(
        redeem(store, &new_code().hash(), NOW).await,
        CodeRedemption::Unknown,
        "GrantStore: an unknown code must be Unknown"
    );
    let code = new_code();
    let first = code_record(&code, "grant-first", minutes(5));
    insert_code(store, first.clone()).await;
    assert!(
        matches!(
            store.insert_code(code_record(&code, "grant-second", minutes(5))).await,
            Err(StoreError::Conflict)
        ),
        "GrantStore: inserting a code hash twice must be a Conflict"
    );
    assert_eq!(
        redeem(store, &code.hash(), NOW).await,
        CodeRedemption::Redeemed(first),
        "GrantStore: a rejected duplicate insert must not replace the stored code"
    );
}

/// [`RACERS`] concurrent redemptions of one code: exactly one gets
/// [`CodeRedemption::Redeemed`], all others [`CodeRedemption::AlreadyRedeemed`]
/// (the race of ory/fosite#778).
pub async fn concurrent_redemptions_have_one_winner<S: GrantStore>(store: &S) {
    let code = new_code();
    insert_code(store, code_record(&code, "grant-race", minutes(5))).await;
    let hash = code.hash();
    let outcomes = join_all((0..RACERS).map(|_| store.redeem_code(&hash, minutes(1)))).await;
    let mut winners = 0;
    for outcome in outcomes {
        match ok(outcome, "redeem_code") {
            CodeRedemption::Redeemed(record) => {
                winners += 1;
                assert_eq!(record.grant.id, GrantId::new("grant-race"));
            }
            CodeRedemption::AlreadyRedeemed { grant_id } => assert_eq!(
                grant_id,
                GrantId::new("grant-race"),
                "GrantStore: AlreadyRedeemed must name the code's grant"
            ),
            CodeRedemption::Unknown => {
                panic!("GrantStore: a concurrent redeemer found a stored code Unknown")
            }
        }
    }
    assert_eq!(
        winners, 1,
        "GrantStore: exactly one of {RACERS} concurrent redemptions must win, {winners} did"
    );
}

/// A redeemed code's tombstone survives purges until the code's expiry plus
/// [`CODE_TOMBSTONE_RETENTION`], and is dropped by the first purge after that.
pub async fn code_tombstone_lives_until_retention<S: GrantStore>(store: &S) {
    let code = new_code();
    let expires_at = minutes(5);
    insert_code(store, code_record(&code, "grant-tombstone", expires_at)).await;
    assert!(matches!(
        redeem(store, &code.hash(), minutes(1)).await,
        CodeRedemption::Redeemed(_)
    ));
    let before_end = expires_at + CODE_TOMBSTONE_RETENTION - Duration::seconds(1);
    ok(store.purge_expired(expires_at).await, "purge_expired");
    ok(store.purge_expired(before_end).await, "purge_expired");
    assert_eq!(
        redeem(store, &code.hash(), before_end).await,
        CodeRedemption::AlreadyRedeemed {
            grant_id: GrantId::new("grant-tombstone")
        },
        "GrantStore: a tombstone must outlive the code's expiry by CODE_TOMBSTONE_RETENTION"
    );
    let end = expires_at + CODE_TOMBSTONE_RETENTION;
    let removed = ok(store.purge_expired(end).await, "purge_expired");
    assert!(
        removed >= 1,
        "GrantStore: purge_expired must count the tombstone it removed"
    );
    assert_eq!(
        redeem(store, &code.hash(), end).await,
        CodeRedemption::Unknown,
        "GrantStore: purge_expired must drop a tombstone past expiry plus retention"
    );
}

/// A refresh token rotates once: the successor is stored as given, the old token is consumed
/// and then reports [`Rotation::AlreadyRotated`] naming the successor (RFC 9700 §4.14.2).
pub async fn refresh_token_rotates_once<S: GrantStore>(store: &S) {
    let first = new_token();
    let second = new_token();
    let third = new_token();
    let expiry = Some(minutes(1440));
    let first_record = refresh_record(&first, "grant-rotate", expiry);
    insert_token(store, first_record.clone()).await;

    let mut second_record = refresh_record(&second, "grant-rotate", expiry);
    second_record.grant.scopes = vec!["offline_access".into()];
    second_record.issued_at = minutes(1);
    second_record.last_used_at = minutes(1);
    assert_eq!(
        rotate(store, &first.hash(), second_record.clone(), minutes(1)).await,
        Rotation::Rotated {
            previous: first_record.clone()
        },
        "GrantStore: rotating a fresh token must succeed and return its record"
    );
    let old = ok(store.find_refresh_token(&first.hash()).await, "find_refresh_token")
        .expect("GrantStore: a rotated token must still be found (for reuse detection)");
    assert_eq!(
        old.consumed,
        Some(Consumption {
            at: minutes(1),
            successor: second.hash()
        }),
        "GrantStore: a rotated token must be consumed at `now` with the successor's hash"
    );
    assert!(!old.family_revoked);
    let new = ok(store.find_refresh_token(&second.hash()).await, "find_refresh_token")
        .expect("GrantStore: the successor must be stored");
    assert_eq!(
        new.record, second_record,
        "GrantStore: the successor must be stored as given"
    );
    assert_eq!(new.consumed, None);

    assert_eq!(
        rotate(
            store,
            &first.hash(),
            refresh_record(&third, "grant-rotate", expiry),
            minutes(2)
        )
        .await,
        Rotation::AlreadyRotated {
            record: first_record,
            rotated_at: minutes(1),
            successor: second.hash(),
        },
        "GrantStore: a consumed token must report AlreadyRotated with its successor"
    );
    assert_eq!(
        ok(store.find_refresh_token(&third.hash()).await, "find_refresh_token"),
        None,
        "GrantStore: a failed rotation must not store its successor"
    );
    assert!(
        matches!(
            rotate(
                store,
                &second.hash(),
                refresh_record(&third, "grant-rotate", expiry),
                minutes(3)
            )
            .await,
            Rotation::Rotated { .. }
        ),
        "GrantStore: the successor must itself rotate"
    );
}

/// Unknown refresh tokens are not found and rotate to [`Rotation::Unknown`]; a duplicate insert
/// or a successor whose hash is stored is a [`StoreError::Conflict`] that changes nothing.
pub async fn unknown_and_conflicting_refresh_tokens<S: GrantStore>(store: &S) {
    let unknown = new_token();
    let successor = new_token();
    assert_eq!(
        ok(store.find_refresh_token(&unknown.hash()).await, "find_refresh_token"),
        None
    );
    assert_eq!(
        rotate(store, &unknown.hash(), refresh_record(&successor, "g", None), NOW).await,
        Rotation::Unknown,
        "GrantStore: rotating an unknown token must be Unknown"
    );
    assert_eq!(
        ok(store.find_refresh_token(&successor.hash()).await, "find_refresh_token"),
        None,
        "GrantStore: rotating an unknown token must not store the successor"
    );

    let token = new_token();
    let other = new_token();
    insert_token(store, refresh_record(&token, "grant-a", None)).await;
    insert_token(store, refresh_record(&other, "grant-b", None)).await;
    assert!(
        matches!(
            store
                .insert_refresh_token(refresh_record(&token, "grant-c", None))
                .await,
            Err(StoreError::Conflict)
        ),
        "GrantStore: inserting a refresh token hash twice must be a Conflict"
    );
    assert!(
        matches!(
            store
                .rotate_refresh_token(&token.hash(), refresh_record(&other, "grant-a", None), NOW)
                .await,
            Err(StoreError::Conflict)
        ),
        "GrantStore: rotating to a stored hash must be a Conflict"
    );
    let state = ok(store.find_refresh_token(&token.hash()).await, "find_refresh_token")
        .expect("GrantStore: the token must still be stored");
    assert_eq!(state.record.grant.id, GrantId::new("grant-a"));
    assert_eq!(
        state.consumed, None,
        "GrantStore: a rotation that failed with Conflict must not consume the token"
    );
    let other_state = ok(store.find_refresh_token(&other.hash()).await, "find_refresh_token")
        .expect("GrantStore: the other token must still be stored");
    assert_eq!(other_state.record.grant.id, GrantId::new("grant-b"));
}

/// [`RACERS`] concurrent rotations of one refresh token, each with its own successor: exactly
/// one gets [`Rotation::Rotated`], the others [`Rotation::AlreadyRotated`] naming the winner's
/// successor, and only the winner's successor is stored.
pub async fn concurrent_rotations_have_one_winner<S: GrantStore>(store: &S) {
    let presented = new_token();
    insert_token(store, refresh_record(&presented, "grant-rotate-race", None)).await;
    let successors: Vec<RefreshToken> = (0..RACERS).map(|_| new_token()).collect();
    let hash = presented.hash();
    let outcomes = join_all(successors.iter().map(|successor| {
        store.rotate_refresh_token(&hash, refresh_record(successor, "grant-rotate-race", None), minutes(1))
    }))
    .await;
    let mut winners = Vec::new();
    let mut named = Vec::new();
    for (successor, outcome) in successors.iter().zip(outcomes) {
        match ok(outcome, "rotate_refresh_token") {
            Rotation::Rotated { .. } => winners.push(successor.hash()),
            Rotation::AlreadyRotated { successor, .. } => named.push(successor),
            other => panic!("GrantStore: a concurrent rotation returned {other:?}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "GrantStore: exactly one of {RACERS} concurrent rotations must win, {} did",
        winners.len()
    );
    let winner = winners[0];
    assert!(
        named.iter().all(|s| *s == winner),
        "GrantStore: AlreadyRotated must name the winning rotation's successor"
    );
    for successor in &successors {
        let found = ok(store.find_refresh_token(&successor.hash()).await, "find_refresh_token");
        assert_eq!(
            found.is_some(),
            successor.hash() == winner,
            "GrantStore: only the winning rotation's successor may be stored"
        );
    }
}

/// Touching a refresh token (rotation `STATIC`) moves `last_used_at` forward only, and fails
/// for unknown and consumed tokens.
pub async fn touch_records_use<S: GrantStore>(store: &S) {
    let token = new_token();
    insert_token(store, refresh_record(&token, "grant-touch", None)).await;
    let last_used = async |store: &S| {
        ok(store.find_refresh_token(&token.hash()).await, "find_refresh_token")
            .expect("GrantStore: a touched token must still be stored")
            .record
            .last_used_at
    };
    assert!(ok(store.touch_refresh_token(&token.hash(), minutes(5)).await, "touch"));
    assert_eq!(
        last_used(store).await,
        minutes(5),
        "GrantStore: touch must set last_used_at to now"
    );
    assert!(ok(store.touch_refresh_token(&token.hash(), minutes(1)).await, "touch"));
    assert_eq!(
        last_used(store).await,
        minutes(5),
        "GrantStore: touch must never move last_used_at backwards"
    );
    assert!(
        !ok(store.touch_refresh_token(&new_token().hash(), NOW).await, "touch"),
        "GrantStore: touching an unknown token must return false"
    );
    let successor = new_token();
    let _ = rotate(
        store,
        &token.hash(),
        refresh_record(&successor, "grant-touch", None),
        minutes(6),
    )
    .await;
    assert!(
        !ok(store.touch_refresh_token(&token.hash(), minutes(7)).await, "touch"),
        "GrantStore: touching a consumed token must return false"
    );
    assert_eq!(
        last_used(store).await,
        minutes(5),
        "GrantStore: a failed touch changes nothing"
    );
}

/// Revoking a grant makes every refresh token of its family unusable — consumed or not, and
/// inserted later too — and reports the grant revoked until `until`; other grants are untouched.
pub async fn revoke_grant_revokes_the_family<S: GrantStore>(store: &S) {
    let family = GrantId::new("grant-revoked");
    let first = new_token();
    let second = new_token();
    let bystander = new_token();
    insert_token(store, refresh_record(&first, "grant-revoked", None)).await;
    let _ = rotate(
        store,
        &first.hash(),
        refresh_record(&second, "grant-revoked", None),
        minutes(1),
    )
    .await;
    insert_token(store, refresh_record(&bystander, "grant-bystander", None)).await;
    assert!(
        !ok(store.is_grant_revoked(&family, NOW).await, "is_grant_revoked"),
        "GrantStore: a grant is not revoked before revoke_grant"
    );

    ok(store.revoke_grant(&family, minutes(60)).await, "revoke_grant");
    // Revoking again with an earlier end keeps the later one.
    ok(store.revoke_grant(&family, minutes(30)).await, "revoke_grant");

    for (now, revoked) in [(minutes(2), true), (minutes(59), true), (minutes(60), false)] {
        assert_eq!(
            ok(store.is_grant_revoked(&family, now).await, "is_grant_revoked"),
            revoked,
            "GrantStore: is_grant_revoked must be true exactly while now < the latest until"
        );
    }
    assert!(
        !ok(
            store
                .is_grant_revoked(&GrantId::new("grant-bystander"), minutes(2))
                .await,
            "is_grant_revoked"
        ),
        "GrantStore: revoking one grant must not revoke another"
    );
    for token in [&first, &second] {
        let state = ok(store.find_refresh_token(&token.hash()).await, "find_refresh_token")
            .expect("GrantStore: revocation must not make tokens unknown");
        assert!(
            state.family_revoked,
            "GrantStore: every token of a revoked family must report family_revoked"
        );
        assert_eq!(
            rotate(
                store,
                &token.hash(),
                refresh_record(&new_token(), "grant-revoked", None),
                minutes(2)
            )
            .await,
            Rotation::FamilyRevoked,
            "GrantStore: rotating any token of a revoked family must be FamilyRevoked"
        );
        assert!(
            !ok(store.touch_refresh_token(&token.hash(), minutes(2)).await, "touch"),
            "GrantStore: touching a token of a revoked family must return false"
        );
    }
    let late = new_token();
    insert_token(store, refresh_record(&late, "grant-revoked", None)).await;
    assert_eq!(
        rotate(
            store,
            &late.hash(),
            refresh_record(&new_token(), "grant-revoked", None),
            minutes(3)
        )
        .await,
        Rotation::FamilyRevoked,
        "GrantStore: a token inserted into a revoked family must be born revoked"
    );
    // Revocation of refresh tokens is for good, even after the revocation entry is purged.
    ok(store.purge_expired(minutes(61)).await, "purge_expired");
    assert_eq!(
        rotate(
            store,
            &second.hash(),
            refresh_record(&new_token(), "grant-revoked", None),
            minutes(61)
        )
        .await,
        Rotation::FamilyRevoked,
        "GrantStore: a revoked family must stay revoked after its revocation entry is purged"
    );
    assert!(
        matches!(
            rotate(
                store,
                &bystander.hash(),
                refresh_record(&new_token(), "grant-bystander", None),
                minutes(2)
            )
            .await,
            Rotation::Rotated { .. }
        ),
        "GrantStore: revoking one grant must not affect another grant's tokens"
    );
}

/// Access tokens are revoked by `jti` (RFC 7009) while `now < until`; revoking again keeps the
/// later `until`.
pub async fn access_token_revocation<S: GrantStore>(store: &S) {
    let revoked = async |jti: &str, now: OffsetDateTime| {
        ok(store.is_access_token_revoked(jti, now).await, "is_access_token_revoked")
    };
    assert!(!revoked("AT.one", NOW).await);
    ok(
        store.revoke_access_token("AT.one", minutes(60)).await,
        "revoke_access_token",
    );
    ok(
        store.revoke_access_token("AT.one", minutes(10)).await,
        "revoke_access_token",
    );
    assert!(
        revoked("AT.one", NOW).await && revoked("AT.one", minutes(59)).await,
        "GrantStore: a revoked access token must be revoked until the latest until"
    );
    assert!(
        !revoked("AT.one", minutes(60)).await,
        "GrantStore: an access-token revocation ends at until"
    );
    assert!(
        !revoked("AT.two", NOW).await,
        "GrantStore: revoking one jti must not revoke another"
    );
}

/// A client assertion's `jti` is accepted once per client while its entry lives, and again only
/// once the entry has expired (RFC 7523 §3).
pub async fn assertion_jti_is_single_use<S: GrantStore>(store: &S) {
    let record = async |client: &str, jti: &str, expires_at, now| {
        ok(
            store.record_assertion_jti(client, jti, expires_at, now).await,
            "record_assertion_jti",
        )
    };
    assert!(
        record("client-a", "jti-1", minutes(5), NOW).await,
        "GrantStore: the first use of a jti must be accepted"
    );
    assert!(
        !record("client-a", "jti-1", minutes(5), NOW).await,
        "GrantStore: a replayed jti must be refused"
    );
    assert!(
        !record("client-a", "jti-1", minutes(9), minutes(4)).await,
        "GrantStore: a jti must be refused until its entry expires"
    );
    assert!(
        record("client-b", "jti-1", minutes(5), NOW).await,
        "GrantStore: jtis are scoped by client"
    );
    assert!(
        record("client-a", "jti-2", minutes(5), NOW).await,
        "GrantStore: a different jti must be accepted"
    );
    assert!(
        record("client-a", "jti-1", minutes(10), minutes(5)).await,
        "GrantStore: an entry whose expires_at <= now counts as absent"
    );
    assert!(
        !record("client-a", "jti-1", minutes(10), minutes(6)).await,
        "GrantStore: a jti accepted again is single-use again"
    );
    let racers =
        join_all((0..RACERS).map(|_| store.record_assertion_jti("client-a", "jti-race", minutes(5), NOW))).await;
    let accepted = racers.into_iter().filter(|outcome| matches!(outcome, Ok(true))).count();
    assert_eq!(
        accepted, 1,
        "GrantStore: exactly one of {RACERS} concurrent uses of a jti must be accepted"
    );
}

/// [`GrantStore::purge_expired`] removes what has expired and keeps what is live: codes,
/// refresh tokens (never those without expiry), revocations and assertion `jti`s.
pub async fn purge_removes_expired_and_keeps_live<S: GrantStore>(store: &S) {
    let live_code = new_code();
    let expired_code = new_code();
    let expired_token = new_token();
    let live_token = new_token();
    let unlimited_token = new_token();
    insert_code(store, code_record(&live_code, "grant-purge", minutes(30))).await;
    insert_code(store, code_record(&expired_code, "grant-purge", minutes(5))).await;
    insert_token(store, refresh_record(&expired_token, "grant-purge", Some(minutes(10)))).await;
    insert_token(store, refresh_record(&live_token, "grant-purge", Some(minutes(60)))).await;
    insert_token(store, refresh_record(&unlimited_token, "grant-purge", None)).await;
    ok(
        store.revoke_access_token("AT.purge", minutes(10)).await,
        "revoke_access_token",
    );
    ok(
        store.revoke_grant(&GrantId::new("grant-other"), minutes(10)).await,
        "revoke_grant",
    );
    assert!(ok(
        store
            .record_assertion_jti("client-purge", "jti-purge", minutes(10), NOW)
            .await,
        "record_assertion_jti"
    ));

    assert_eq!(
        ok(store.purge_expired(minutes(4)).await, "purge_expired"),
        0,
        "GrantStore: purge_expired must remove nothing while everything is live"
    );
    let removed = ok(store.purge_expired(minutes(20)).await, "purge_expired");
    assert!(
        removed >= 2,
        "GrantStore: purge_expired must count what it removed (got {removed})"
    );
    assert_eq!(
        redeem(store, &expired_code.hash(), minutes(20)).await,
        CodeRedemption::Unknown,
        "GrantStore: purge_expired must drop an expired, unredeemed code"
    );
    assert!(
        matches!(
            redeem(store, &live_code.hash(), minutes(20)).await,
            CodeRedemption::Redeemed(_)
        ),
        "GrantStore: purge_expired must keep a live code"
    );
    assert_eq!(
        ok(
            store.find_refresh_token(&expired_token.hash()).await,
            "find_refresh_token"
        ),
        None,
        "GrantStore: purge_expired must drop a refresh token past its expires_at"
    );
    for token in [&live_token, &unlimited_token] {
        assert!(
            ok(store.find_refresh_token(&token.hash()).await, "find_refresh_token").is_some(),
            "GrantStore: purge_expired must keep live refresh tokens and those without expiry"
        );
    }
    assert!(!ok(
        store.is_access_token_revoked("AT.purge", minutes(20)).await,
        "is_access_token_revoked"
    ));
    assert!(ok(
        store
            .record_assertion_jti("client-purge", "jti-purge", minutes(30), minutes(20))
            .await,
        "record_assertion_jti"
    ));
    // A family without an absolute lifetime still has an idle window (the rule's
    // refreshTokenWindowMinutes, 10080 here): a token unused past it goes, one used since stays.
    assert!(ok(
        store.touch_refresh_token(&unlimited_token.hash(), minutes(100)).await,
        "touch_refresh_token"
    ));
    let window = 10080;
    ok(store.purge_expired(minutes(window + 50)).await, "purge_expired");
    assert!(
        ok(
            store.find_refresh_token(&unlimited_token.hash()).await,
            "find_refresh_token"
        )
        .is_some(),
        "GrantStore: purge_expired must keep a refresh token used within its idle window"
    );
    ok(store.purge_expired(minutes(window + 100)).await, "purge_expired");
    assert_eq!(
        ok(
            store.find_refresh_token(&unlimited_token.hash()).await,
            "find_refresh_token"
        ),
        None,
        "GrantStore: purge_expired must drop a refresh token unused past its idle window"
    );
}

/// Runs every check, each against a fresh store from `make`.
pub async fn run_all<S: GrantStore + 'static>(make: impl Fn() -> S) {
    run_all_async(|| std::future::ready(make())).await;
}

/// Runs every check, each against a fresh store that `make` opens: for stores whose opening is
/// asynchronous (a new database per check).
pub async fn run_all_async<S, M, F>(make: M)
where
    S: GrantStore + 'static,
    M: Fn() -> F,
    F: std::future::Future<Output = S>,
{
    code_is_redeemed_once(&make().await).await;
    unknown_and_duplicate_codes(&make().await).await;
    concurrent_redemptions_have_one_winner(&make().await).await;
    code_tombstone_lives_until_retention(&make().await).await;
    refresh_token_rotates_once(&make().await).await;
    unknown_and_conflicting_refresh_tokens(&make().await).await;
    concurrent_rotations_have_one_winner(&make().await).await;
    touch_records_use(&make().await).await;
    revoke_grant_revokes_the_family(&make().await).await;
    access_token_revocation(&make().await).await;
    assertion_jti_is_single_use(&make().await).await;
    purge_removes_expired_and_keeps_live(&make().await).await;
}

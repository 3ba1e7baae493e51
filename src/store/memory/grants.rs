//! The in-memory [`GrantStore`]: the reference implementation of the grant store's contract.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;

use crate::secret::SecretHash;
use crate::store::StoreError;
use crate::store::grants::{
    AuthorizationCodeRecord, CODE_TOMBSTONE_RETENTION, CodeRedemption, Consumption, GrantId, GrantStore,
    RefreshTokenRecord, RefreshTokenState, Rotation,
};

/// A [`GrantStore`] in process memory.
///
/// Each operation does its whole read-modify-write under one lock acquisition and never awaits
/// while holding it, which makes redemption and rotation atomic. Refresh tokens and grant
/// revocations share one lock, so a rotation and a revocation of the same family are ordered.
/// A poisoned lock is recovered: every operation leaves the maps consistent before it could
/// panic, and none panics.
///
/// `Debug` shows how many entries are stored, nothing else.
///
/// It purges itself: every 1024 writes of codes and refresh tokens, what has expired
/// by the written record's time is forgotten, as [`GrantStore::purge_expired`] does, so the
/// store stays bounded by what is live even when the host never purges.
#[derive(Default)]
pub struct MemoryGrantStore {
    codes: Mutex<HashMap<SecretHash, CodeEntry>>,
    refresh: Mutex<RefreshState>,
    revoked_access_tokens: Mutex<HashMap<String, OffsetDateTime>>,
    assertion_jtis: Mutex<HashMap<JtiKey, OffsetDateTime>>,
    /// Writes since the store was made, for the automatic purge.
    writes: AtomicU64,
}

/// How many writes of codes and refresh tokens pass between two automatic purges: a purge visits
/// every entry, so its cost spread over the writes is a few entries per write.
pub(crate) const PURGE_EVERY: u64 = 1024;

/// A stored code, or the tombstone a redemption leaves.
#[derive(Debug, Serialize)]
enum CodeEntry {
    /// Boxed: tombstones outlive codes, so most entries are small.
    Live(Box<AuthorizationCodeRecord>),
    Redeemed {
        grant_id: GrantId,
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
}

#[derive(Debug, Default, Serialize)]
struct RefreshState {
    tokens: HashMap<SecretHash, RefreshEntry>,
    /// Grant id → the end of its access tokens' revocation.
    #[serde(serialize_with = "serialize_times")]
    revoked_grants: HashMap<GrantId, OffsetDateTime>,
}

#[derive(Debug, Serialize)]
struct RefreshEntry {
    record: RefreshTokenRecord,
    consumed: Option<Consumption>,
    family_revoked: bool,
}

impl RefreshEntry {
    fn state(&self) -> RefreshTokenState {
        RefreshTokenState {
            record: self.record.clone(),
            consumed: self.consumed,
            family_revoked: self.family_revoked,
        }
    }
}

/// `(client_id, jti)`.
type JtiKey = (String, String);

fn serialize_times<K: Serialize, S: serde::Serializer>(
    map: &HashMap<K, OffsetDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // Unix seconds: total, unlike RFC 3339, which rejects years past 9999.
    serializer.collect_map(map.iter().map(|(k, t)| (k, t.unix_timestamp())))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The moment a redeemed code's tombstone may be purged (saturating far in the future).
fn tombstone_end(expires_at: OffsetDateTime) -> Option<OffsetDateTime> {
    expires_at.checked_add(CODE_TOMBSTONE_RETENTION)
}

impl MemoryGrantStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything stored, as JSON (codes and tombstones, refresh tokens, revoked grants and
    /// access tokens, assertion `jti`s), keyed and sorted: for tests that check a request
    /// changed nothing.
    #[cfg(feature = "testkit")]
    pub fn contents(&self) -> serde_json::Value {
        let seconds = |map: &HashMap<String, OffsetDateTime>| -> std::collections::BTreeMap<String, i64> {
            map.iter().map(|(k, t)| (k.clone(), t.unix_timestamp())).collect()
        };
        let jtis: std::collections::BTreeMap<String, i64> = lock(&self.assertion_jtis)
            .iter()
            .map(|((client, jti), t)| (format!("{client} {jti}"), t.unix_timestamp()))
            .collect();
        serde_json::json!({
            "codes": serde_json::to_value(&*lock(&self.codes)).unwrap_or_default(),
            "refresh": serde_json::to_value(&*lock(&self.refresh)).unwrap_or_default(),
            "revoked_access_tokens": seconds(&lock(&self.revoked_access_tokens)),
            "assertion_jtis": jtis,
        })
    }
}

impl fmt::Debug for MemoryGrantStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (codes, redeemed) = {
            let codes = lock(&self.codes);
            let redeemed = codes
                .values()
                .filter(|entry| matches!(entry, CodeEntry::Redeemed { .. }))
                .count();
            (codes.len() - redeemed, redeemed)
        };
        let (refresh_tokens, revoked_grants) = {
            let refresh = lock(&self.refresh);
            (refresh.tokens.len(), refresh.revoked_grants.len())
        };
        // One lock at a time, none held while formatting.
        let revoked_access_tokens = lock(&self.revoked_access_tokens).len();
        let assertion_jtis = lock(&self.assertion_jtis).len();
        f.debug_struct("MemoryGrantStore")
            .field("codes", &codes)
            .field("redeemed_codes", &redeemed)
            .field("refresh_tokens", &refresh_tokens)
            .field("revoked_grants", &revoked_grants)
            .field("revoked_access_tokens", &revoked_access_tokens)
            .field("assertion_jtis", &assertion_jtis)
            .finish()
    }
}

impl GrantStore for MemoryGrantStore {
    async fn insert_code(&self, record: AuthorizationCodeRecord) -> Result<(), StoreError> {
        self.purge_now_and_then(record.grant.issued_at);
        match lock(&self.codes).entry(record.code_hash) {
            Entry::Occupied(_) => Err(StoreError::Conflict),
            Entry::Vacant(slot) => {
                slot.insert(CodeEntry::Live(Box::new(record)));
                Ok(())
            }
        }
    }

    async fn redeem_code(&self, hash: &SecretHash, _now: OffsetDateTime) -> Result<CodeRedemption, StoreError> {
        let mut codes = lock(&self.codes);
        let Some(entry) = codes.get_mut(hash) else {
            return Ok(CodeRedemption::Unknown);
        };
        let outcome = match entry {
            CodeEntry::Redeemed { grant_id, .. } => CodeRedemption::AlreadyRedeemed {
                grant_id: grant_id.clone(),
            },
            CodeEntry::Live(record) => {
                let tombstone = CodeEntry::Redeemed {
                    grant_id: record.grant.id.clone(),
                    expires_at: record.expires_at,
                };
                match std::mem::replace(entry, tombstone) {
                    CodeEntry::Live(record) => CodeRedemption::Redeemed(*record),
                    // Unreachable: the entry was matched as live under the same lock.
                    CodeEntry::Redeemed { grant_id, .. } => CodeRedemption::AlreadyRedeemed { grant_id },
                }
            }
        };
        Ok(outcome)
    }

    async fn insert_refresh_token(&self, record: RefreshTokenRecord) -> Result<(), StoreError> {
        self.purge_now_and_then(record.issued_at);
        let mut refresh = lock(&self.refresh);
        let family_revoked = refresh.revoked_grants.contains_key(&record.grant.id);
        match refresh.tokens.entry(record.token_hash) {
            Entry::Occupied(_) => Err(StoreError::Conflict),
            Entry::Vacant(slot) => {
                slot.insert(RefreshEntry {
                    record,
                    consumed: None,
                    family_revoked,
                });
                Ok(())
            }
        }
    }

    async fn find_refresh_token(&self, hash: &SecretHash) -> Result<Option<RefreshTokenState>, StoreError> {
        Ok(lock(&self.refresh).tokens.get(hash).map(RefreshEntry::state))
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: RefreshTokenRecord,
        now: OffsetDateTime,
    ) -> Result<Rotation, StoreError> {
        let mut refresh = lock(&self.refresh);
        // Check everything before changing anything: all or nothing.
        let Some(entry) = refresh.tokens.get(presented) else {
            return Ok(Rotation::Unknown);
        };
        if entry.family_revoked {
            return Ok(Rotation::FamilyRevoked);
        }
        if let Some(consumed) = entry.consumed {
            return Ok(Rotation::AlreadyRotated {
                record: entry.record.clone(),
                rotated_at: consumed.at,
                successor: consumed.successor,
            });
        }
        if refresh.tokens.contains_key(&successor.token_hash) {
            return Err(StoreError::Conflict);
        }
        let successor_hash = successor.token_hash;
        let family_revoked = refresh.revoked_grants.contains_key(&successor.grant.id);
        refresh.tokens.insert(
            successor_hash,
            RefreshEntry {
                record: successor,
                consumed: None,
                family_revoked,
            },
        );
        let Some(entry) = refresh.tokens.get_mut(presented) else {
            // Unreachable: the presented token was found above under the same lock.
            return Ok(Rotation::Unknown);
        };
        entry.consumed = Some(Consumption {
            at: now,
            successor: successor_hash,
        });
        Ok(Rotation::Rotated {
            previous: entry.record.clone(),
        })
    }

    async fn touch_refresh_token(&self, hash: &SecretHash, now: OffsetDateTime) -> Result<bool, StoreError> {
        let mut refresh = lock(&self.refresh);
        match refresh.tokens.get_mut(hash) {
            Some(entry) if entry.consumed.is_none() && !entry.family_revoked => {
                entry.record.last_used_at = entry.record.last_used_at.max(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_grant(&self, grant_id: &GrantId, until: OffsetDateTime) -> Result<(), StoreError> {
        let mut refresh = lock(&self.refresh);
        refresh
            .revoked_grants
            .entry(grant_id.clone())
            .and_modify(|end| *end = (*end).max(until))
            .or_insert(until);
        for entry in refresh.tokens.values_mut() {
            if entry.record.grant.id == *grant_id {
                entry.family_revoked = true;
            }
        }
        Ok(())
    }

    async fn is_grant_revoked(&self, grant_id: &GrantId, now: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(lock(&self.refresh)
            .revoked_grants
            .get(grant_id)
            .is_some_and(|until| now < *until))
    }

    async fn revoke_access_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        lock(&self.revoked_access_tokens)
            .entry(jti.to_owned())
            .and_modify(|end| *end = (*end).max(until))
            .or_insert(until);
        Ok(())
    }

    async fn is_access_token_revoked(&self, jti: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(lock(&self.revoked_access_tokens)
            .get(jti)
            .is_some_and(|until| now < *until))
    }

    async fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut jtis = lock(&self.assertion_jtis);
        match jtis.entry((client_id.to_owned(), jti.to_owned())) {
            Entry::Occupied(mut slot) => {
                if *slot.get() > now {
                    Ok(false)
                } else {
                    slot.insert(expires_at);
                    Ok(true)
                }
            }
            Entry::Vacant(slot) => {
                slot.insert(expires_at);
                Ok(true)
            }
        }
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        Ok(self.purge(now))
    }
}

impl MemoryGrantStore {
    /// Every [`PURGE_EVERY`]th write purges what has expired at `now`.
    fn purge_now_and_then(&self, now: OffsetDateTime) {
        if self.writes.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
            self.purge(now);
        }
    }

    /// Forgets what has expired at `now`; returns how many entries went. A refresh token goes
    /// when its family's lifetime or its idle window has passed, whichever comes first.
    fn purge(&self, now: OffsetDateTime) -> usize {
        let mut removed = 0;
        {
            let mut codes = lock(&self.codes);
            let before = codes.len();
            codes.retain(|_, entry| match entry {
                CodeEntry::Live(record) => record.expires_at > now,
                CodeEntry::Redeemed { expires_at, .. } => tombstone_end(*expires_at).is_none_or(|end| end > now),
            });
            removed += before - codes.len();
        }
        {
            let mut refresh = lock(&self.refresh);
            let before = refresh.tokens.len() + refresh.revoked_grants.len();
            refresh
                .tokens
                .retain(|_, entry| crate::validity::refresh_token_expiry(&entry.record) > now);
            refresh.revoked_grants.retain(|_, until| *until > now);
            removed += before - (refresh.tokens.len() + refresh.revoked_grants.len());
        }
        {
            let mut revoked = lock(&self.revoked_access_tokens);
            let before = revoked.len();
            revoked.retain(|_, until| *until > now);
            removed += before - revoked.len();
        }
        {
            let mut jtis = lock(&self.assertion_jtis);
            let before = jtis.len();
            jtis.retain(|_, expires_at| *expires_at > now);
            removed += before - jtis.len();
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::Duration;
    use time::macros::datetime;

    use super::*;
    use crate::secret::{AuthorizationCode, RefreshToken};
    use crate::store::grants::Grant;

    const NOW: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

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
            refresh_token_lifetime_minutes: Some(1440),
            refresh_token_window_minutes: 10080,
            auth_time: Some(NOW),
            amr: vec!["pwd".into()],
            acr: None,
            requested_claims: None,
            issued_at: NOW,
        }
    }

    fn code_record(code: &AuthorizationCode, grant_id: &str) -> AuthorizationCodeRecord {
        AuthorizationCodeRecord {
            code_hash: code.hash(),
            grant: grant(grant_id),
            redirect_uri: Some("https://app.example/cb".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            nonce: Some("n-0S6_WzA2Mj".into()),
            expires_at: NOW + Duration::minutes(5),
        }
    }

    fn refresh_record(token: &RefreshToken, grant_id: &str) -> RefreshTokenRecord {
        RefreshTokenRecord {
            token_hash: token.hash(),
            grant: grant(grant_id),
            issued_at: NOW,
            expires_at: Some(NOW + Duration::days(1)),
            last_used_at: NOW,
        }
    }

    /// Everything the store holds — keys, records, tombstones, revocations, `jti`s — as text.
    fn dump(store: &MemoryGrantStore) -> String {
        let codes = serde_json::to_string(&*lock(&store.codes)).expect("codes serialize");
        let refresh = serde_json::to_string(&*lock(&store.refresh)).expect("tokens serialize");
        format!(
            "{codes}\n{refresh}\n{:?}\n{:?}\n{:?}\n{:?}",
            lock(&store.codes),
            lock(&store.refresh),
            lock(&store.revoked_access_tokens),
            lock(&store.assertion_jtis),
        )
    }

    #[tokio::test]
    async fn stores_no_plaintext_secrets() {
        let store = MemoryGrantStore::new();
        let codes: Vec<_> = (0..4)
            .map(|_| AuthorizationCode::generate(&crate::random::SystemRandom).unwrap())
            .collect();
        let tokens: Vec<_> = (0..4)
            .map(|_| RefreshToken::generate(&crate::random::SystemRandom).unwrap())
            .collect();
        for (i, code) in codes.iter().enumerate() {
            store.insert_code(code_record(code, &format!("g{i}"))).await.unwrap();
        }
        // Redeem one code so a tombstone is stored too.
        assert!(matches!(
            store.redeem_code(&codes[0].hash(), NOW).await.unwrap(),
            CodeRedemption::Redeemed(_)
        ));
        store
            .insert_refresh_token(refresh_record(&tokens[0], "g0"))
            .await
            .unwrap();
        let rotation = store
            .rotate_refresh_token(&tokens[0].hash(), refresh_record(&tokens[1], "g0"), NOW)
            .await
            .unwrap();
        assert!(matches!(rotation, Rotation::Rotated { .. }));
        for token in &tokens[2..] {
            store.insert_refresh_token(refresh_record(token, "g2")).await.unwrap();
        }
        store
            .revoke_grant(&GrantId::new("g2"), NOW + Duration::hours(1))
            .await
            .unwrap();

        let state = dump(&store);
        // The dump covers the keys: every stored hash appears in it in full.
        for hash in codes.iter().map(|c| c.hash()).chain(tokens.iter().map(|t| t.hash())) {
            assert!(state.contains(&hash.to_string()), "dump misses {hash:?}");
        }
        for secret in codes
            .iter()
            .map(|c| c.expose())
            .chain(tokens.iter().map(|t| t.expose()))
        {
            assert!(!state.contains(secret), "the store holds a plaintext secret");
        }
        let debug = format!("{store:?}");
        assert!(codes.iter().all(|c| !debug.contains(c.expose())));
    }

    #[tokio::test]
    async fn the_plaintext_check_detects_a_stored_plaintext() {
        // A control for `stores_no_plaintext_secrets`: if a plaintext reaches any stored field,
        // the dump shows it.
        let store = MemoryGrantStore::new();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let token = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        let mut record = code_record(&code, "g1");
        record.nonce = Some(code.expose().to_owned());
        store.insert_code(record).await.unwrap();
        let mut record = refresh_record(&token, "g1");
        record.grant.scopes.push(token.expose().to_owned());
        store.insert_refresh_token(record).await.unwrap();
        let state = dump(&store);
        assert!(state.contains(code.expose()));
        assert!(state.contains(token.expose()));
    }

    #[tokio::test]
    async fn debug_shows_counts_only() {
        let store = MemoryGrantStore::new();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        store.insert_code(code_record(&code, "grant-secret-id")).await.unwrap();
        let shown = format!("{store:?}");
        assert_eq!(
            shown,
            "MemoryGrantStore { codes: 1, redeemed_codes: 0, refresh_tokens: 0, \
             revoked_grants: 0, revoked_access_tokens: 0, assertion_jtis: 0 }"
        );
    }

    #[tokio::test]
    async fn code_is_redeemed_once() {
        let store = MemoryGrantStore::new();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let record = code_record(&code, "g1");
        store.insert_code(record.clone()).await.unwrap();
        assert_eq!(
            store.redeem_code(&code.hash(), NOW).await.unwrap(),
            CodeRedemption::Redeemed(record)
        );
        assert_eq!(
            store.redeem_code(&code.hash(), NOW).await.unwrap(),
            CodeRedemption::AlreadyRedeemed {
                grant_id: GrantId::new("g1")
            }
        );
        // Re-inserting a redeemed code's hash is a conflict, not a revival.
        assert!(matches!(
            store.insert_code(code_record(&code, "g1")).await,
            Err(StoreError::Conflict)
        ));
    }

    #[tokio::test]
    async fn rotation_conflict_changes_nothing() {
        let store = MemoryGrantStore::new();
        let old = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        let other = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        store.insert_refresh_token(refresh_record(&old, "g1")).await.unwrap();
        store.insert_refresh_token(refresh_record(&other, "g9")).await.unwrap();
        let clash = store
            .rotate_refresh_token(&old.hash(), refresh_record(&other, "g1"), NOW)
            .await;
        assert!(matches!(clash, Err(StoreError::Conflict)));
        let state = store.find_refresh_token(&old.hash()).await.unwrap().unwrap();
        assert_eq!(state.consumed, None);
        let other_state = store.find_refresh_token(&other.hash()).await.unwrap().unwrap();
        assert_eq!(other_state.record.grant.id, GrantId::new("g9"));
    }

    #[tokio::test]
    async fn purge_counts_every_kind_of_entry() {
        let store = MemoryGrantStore::new();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let redeemed = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let token = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        store.insert_code(code_record(&code, "g1")).await.unwrap();
        store.insert_code(code_record(&redeemed, "g2")).await.unwrap();
        let _ = store.redeem_code(&redeemed.hash(), NOW).await.unwrap();
        store.insert_refresh_token(refresh_record(&token, "g1")).await.unwrap();
        store
            .revoke_grant(&GrantId::new("g1"), NOW + Duration::hours(1))
            .await
            .unwrap();
        store
            .revoke_access_token("AT.1", NOW + Duration::hours(1))
            .await
            .unwrap();
        assert!(
            store
                .record_assertion_jti("c", "j", NOW + Duration::minutes(5), NOW)
                .await
                .unwrap()
        );
        // Codes expired, tombstone within its retention, the rest live.
        let at = NOW + Duration::minutes(6);
        assert_eq!(store.purge_expired(at).await.unwrap(), 2);
        let at = NOW + Duration::minutes(5) + CODE_TOMBSTONE_RETENTION;
        // Tombstone, grant revocation, access-token revocation.
        assert_eq!(store.purge_expired(at).await.unwrap(), 3);
        assert_eq!(store.purge_expired(NOW + Duration::days(1)).await.unwrap(), 1);
        assert_eq!(
            format!("{store:?}"),
            "MemoryGrantStore { codes: 0, redeemed_codes: 0, refresh_tokens: 0, \
             revoked_grants: 0, revoked_access_tokens: 0, assertion_jtis: 0 }"
        );
    }

    #[tokio::test]
    async fn far_future_expiry_does_not_overflow() {
        let end = datetime!(9999-12-31 23:59:59 UTC);
        let store = MemoryGrantStore::new();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let mut record = code_record(&code, "g1");
        record.expires_at = end;
        store.insert_code(record).await.unwrap();
        let _ = store.redeem_code(&code.hash(), NOW).await.unwrap();
        // The tombstone's end is past the largest date: it is kept, nothing panics.
        assert_eq!(store.purge_expired(end).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn poisoned_lock_is_recovered() {
        let store = Arc::new(MemoryGrantStore::new());
        let poisoner = Arc::clone(&store);
        let panicked = std::thread::spawn(move || {
            let _guard = poisoner.codes.lock();
            panic!("poison the lock");
        })
        .join();
        assert!(panicked.is_err());
        assert!(store.codes.is_poisoned());
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        store.insert_code(code_record(&code, "g1")).await.unwrap();
        assert!(matches!(
            store.redeem_code(&code.hash(), NOW).await.unwrap(),
            CodeRedemption::Redeemed(_)
        ));
    }

    /// 32 tasks on a multi-threaded runtime redeem one code at once: exactly one wins
    /// (single use, RFC 6749 §4.1.2; the fosite#778 race).
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn threads_race_to_redeem_one_code_and_one_wins() {
        const RACERS: usize = 32;
        for _round in 0..20 {
            let store = Arc::new(MemoryGrantStore::new());
            let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
            store.insert_code(code_record(&code, "g1")).await.unwrap();
            let hash = code.hash();
            let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
            let tasks: Vec<_> = (0..RACERS)
                .map(|_| {
                    let store = Arc::clone(&store);
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        barrier.wait().await;
                        store.redeem_code(&hash, NOW).await
                    })
                })
                .collect();
            let mut won = 0;
            for task in tasks {
                match task.await.unwrap().unwrap() {
                    CodeRedemption::Redeemed(_) => won += 1,
                    CodeRedemption::AlreadyRedeemed { grant_id } => {
                        assert_eq!(grant_id, GrantId::new("g1"));
                    }
                    CodeRedemption::Unknown => panic!("a racer found the code unknown"),
                }
            }
            assert_eq!(won, 1, "exactly one redeemer must win");
        }
    }

    /// 32 tasks on a multi-threaded runtime rotate one refresh token at once: exactly one wins,
    /// and only its successor is stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 8)]
    async fn threads_race_to_rotate_one_token_and_one_wins() {
        const RACERS: usize = 32;
        for _round in 0..20 {
            let store = Arc::new(MemoryGrantStore::new());
            let old = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
            store.insert_refresh_token(refresh_record(&old, "g1")).await.unwrap();
            let successors: Vec<_> = (0..RACERS)
                .map(|_| RefreshToken::generate(&crate::random::SystemRandom).unwrap())
                .collect();
            let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
            let tasks: Vec<_> = successors
                .iter()
                .map(|successor| {
                    let store = Arc::clone(&store);
                    let barrier = Arc::clone(&barrier);
                    let presented = old.hash();
                    let record = refresh_record(successor, "g1");
                    tokio::spawn(async move {
                        barrier.wait().await;
                        store.rotate_refresh_token(&presented, record, NOW).await
                    })
                })
                .collect();
            let mut winners = Vec::new();
            let mut reported = Vec::new();
            for (i, task) in tasks.into_iter().enumerate() {
                match task.await.unwrap().unwrap() {
                    Rotation::Rotated { .. } => winners.push(successors[i].hash()),
                    Rotation::AlreadyRotated { successor, .. } => reported.push(successor),
                    other => panic!("unexpected rotation outcome {other:?}"),
                }
            }
            assert_eq!(winners.len(), 1, "exactly one rotation must win");
            assert!(reported.iter().all(|s| *s == winners[0]));
            let stored = lock(&store.refresh).tokens.len();
            assert_eq!(stored, 2, "only the winner's successor is stored");
        }
    }

    #[cfg(feature = "testkit")]
    #[tokio::test]
    async fn conforms_to_the_grant_store_contract() {
        crate::testkit::grants::run_all(MemoryGrantStore::new).await;
    }

    #[cfg(feature = "testkit")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn conforms_on_a_multi_threaded_runtime() {
        // Spawning also proves the suite's futures are `Send`.
        tokio::spawn(crate::testkit::grants::run_all(MemoryGrantStore::new))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_store_purges_itself_as_it_is_written() {
        // Issue 14: nothing purged expired codes when the host never called purge_expired. Codes
        // live five minutes; writing PURGE_EVERY more a day later forgets the first ones.
        let store = MemoryGrantStore::new();
        let old: Vec<AuthorizationCode> = (0..10)
            .map(|i| AuthorizationCode::from_received(format!("old-{i}")))
            .collect();
        for code in &old {
            store.insert_code(code_record(code, "g-old")).await.unwrap();
        }
        let later = NOW + Duration::days(1);
        for i in 0..PURGE_EVERY {
            let mut record = code_record(&AuthorizationCode::from_received(format!("new-{i}")), "g-new");
            record.grant.issued_at = later;
            record.expires_at = later + Duration::minutes(5);
            store.insert_code(record).await.unwrap();
        }
        let codes = lock(&store.codes);
        assert!(
            old.iter().all(|code| !codes.contains_key(&code.hash())),
            "expired codes are gone"
        );
        assert!(codes.len() as u64 >= PURGE_EVERY - 10, "live codes stay");
    }
}

//! [`SqlGrantStore`]: codes, refresh tokens, revocations and assertion `jti`s in SQL.
//!
//! Records are stored whole as JSON; the other columns serve the `WHERE` clauses. Every
//! operation is one statement, or one transaction whose first statement writes (so SQLite takes
//! its write lock, waiting for it, before reading anything):
//!
//! - a code is redeemed by `UPDATE codes SET redeemed = 1 WHERE hash = $1 AND redeemed = 0
//!   RETURNING record`, which one caller wins; the redeemed row is the tombstone;
//! - a refresh token rotates by a compare-and-swap (`UPDATE … SET consumed_at … WHERE consumed_at
//!   IS NULL AND <not revoked>`) and the successor's `INSERT` in one transaction, so a conflict
//!   on the successor undoes the swap;
//! - a family is revoked when its token's `revoked` flag is set *or* `revoked_grants` holds its
//!   grant: a successor inserted concurrently with a revocation, which the revocation's `UPDATE`
//!   may miss, is still seen revoked. Purging a revocation first sets the flag on its family;
//! - an assertion `jti` is recorded by an upsert that replaces only an expired entry and returns
//!   a row only when it inserted or replaced.
//!
//! Outcomes other than success (a replayed code, a reused or revoked token) are classified by a
//! read after the write matched nothing; those states never revert, so the read is accurate.

use std::sync::Arc;

use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::{Shared, column, corrupt, from_json, from_nanos, nanos, store_error, to_json};
use crate::secret::SecretHash;
use crate::store::StoreError;
use crate::store::grants::{
    AuthorizationCodeRecord, CODE_TOMBSTONE_RETENTION, CodeRedemption, Consumption, GrantId, GrantStore,
    RefreshTokenRecord, RefreshTokenState, Rotation,
};

/// A [`GrantStore`] in SQL. A redemption is one conditional `UPDATE … RETURNING`; a rotation is
/// a compare-and-swap `UPDATE` and the successor's `INSERT` in one transaction; nothing holds a
/// lock across calls. See the [module documentation](super).
#[derive(Clone)]
pub struct SqlGrantStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SqlGrantStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlGrantStore")
            .field("backend", &self.shared.backend)
            .finish()
    }
}

/// A refresh token's row with its family's revocation, if any (`revoked_until`).
const FIND_REFRESH_TOKEN: &str = "SELECT t.record, t.last_used_at, t.consumed_at, t.successor, t.revoked, \
     g.until AS revoked_until \
     FROM refresh_tokens t LEFT JOIN revoked_grants g ON g.grant_id = t.grant_id WHERE t.hash = $1";

/// Inserts a refresh token, born revoked if its family has a revocation.
const INSERT_REFRESH_TOKEN: &str = "INSERT INTO refresh_tokens \
     (hash, grant_id, record, expires_at, last_used_at, consumed_at, successor, revoked, idle_window) \
     VALUES ($1, $2, $3, $4, $5, NULL, NULL, \
     CASE WHEN EXISTS (SELECT 1 FROM revoked_grants WHERE grant_id = $2) THEN 1 ELSE 0 END, $6)";

/// The longest idle window a row records: ten years, in minutes (the management API allows five),
/// so that adding it to a time in nanoseconds cannot overflow.
const MAX_IDLE_WINDOW_MINUTES: i64 = 5_256_000;

/// The most rows of one table a purge deletes, so one run's cost is bounded; what is left goes at
/// the next run.
pub const PURGE_BATCH: i64 = 10_000;

/// How often a rotation is attempted when its compare-and-swap matched nothing yet the token
/// reads as usable (which the monotonic states should rule out).
const ROTATION_ATTEMPTS: usize = 3;

impl SqlGrantStore {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// One rotation attempt: `None` when the compare-and-swap matched nothing and the token
    /// reads as usable, so the attempt should be repeated.
    async fn try_rotate(
        &self,
        presented: &SecretHash,
        successor: &RefreshTokenRecord,
        now: OffsetDateTime,
    ) -> Result<Option<Rotation>, StoreError> {
        let mut tx = self.shared.begin().await?;
        self.shared.round_trip();
        let row = sqlx::query(
            "UPDATE refresh_tokens SET consumed_at = $1, successor = $2 \
             WHERE hash = $3 AND consumed_at IS NULL AND revoked = 0 \
             AND NOT EXISTS (SELECT 1 FROM revoked_grants g WHERE g.grant_id = refresh_tokens.grant_id) \
             RETURNING record, last_used_at",
        )
        .bind(nanos(now))
        .bind(hash_to_db(&successor.token_hash))
        .bind(hash_to_db(presented))
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(row) = row else {
            self.shared.round_trip();
            // Nothing was written; a failed rollback leaves nothing behind either.
            let _ = tx.rollback().await;
            return self.classify_rotation(presented).await;
        };
        let previous = refresh_record(&row)?;
        self.shared.round_trip();
        let inserted = bind_refresh_token(sqlx::query(INSERT_REFRESH_TOKEN), successor)?
            .execute(&mut *tx)
            .await;
        if let Err(error) = inserted {
            self.shared.round_trip();
            // Dropping the transaction rolls it back too, should the explicit rollback fail.
            let _ = tx.rollback().await;
            return Err(store_error(error));
        }
        self.shared.round_trip();
        tx.commit().await.map_err(store_error)?;
        Ok(Some(Rotation::Rotated { previous }))
    }

    /// Why a rotation's compare-and-swap matched nothing: revoked family (first), rotated before,
    /// or unknown; `None` if the token reads as usable.
    async fn classify_rotation(&self, presented: &SecretHash) -> Result<Option<Rotation>, StoreError> {
        let Some(state) = self.find_state(presented).await? else {
            return Ok(Some(Rotation::Unknown));
        };
        if state.family_revoked {
            return Ok(Some(Rotation::FamilyRevoked));
        }
        Ok(state.consumed.map(|consumed| Rotation::AlreadyRotated {
            record: state.record,
            rotated_at: consumed.at,
            successor: consumed.successor,
        }))
    }

    async fn find_state(&self, hash: &SecretHash) -> Result<Option<RefreshTokenState>, StoreError> {
        let row = sqlx::query(FIND_REFRESH_TOKEN)
            .bind(hash_to_db(hash))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        row.as_ref().map(refresh_state).transpose()
    }
}

impl GrantStore for SqlGrantStore {
    async fn insert_code(&self, record: AuthorizationCodeRecord) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO codes (hash, grant_id, record, expires_at, redeemed) VALUES ($1, $2, $3, $4, 0)")
            .bind(hash_to_db(&record.code_hash))
            .bind(record.grant.id.as_str().to_owned())
            .bind(to_json("authorization code", &record)?)
            .bind(nanos(record.expires_at))
            .execute(self.shared.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn redeem_code(&self, hash: &SecretHash, _now: OffsetDateTime) -> Result<CodeRedemption, StoreError> {
        let row = sqlx::query("UPDATE codes SET redeemed = 1 WHERE hash = $1 AND redeemed = 0 RETURNING record")
            .bind(hash_to_db(hash))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        if let Some(row) = row {
            let record = from_json("authorization code", &column::<String>(&row, "record")?)?;
            return Ok(CodeRedemption::Redeemed(record));
        }
        // `redeemed = 1`: a code inserted after the update missed it was not redeemed.
        let tombstone = sqlx::query("SELECT grant_id FROM codes WHERE hash = $1 AND redeemed = 1")
            .bind(hash_to_db(hash))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        match tombstone {
            Some(row) => Ok(CodeRedemption::AlreadyRedeemed {
                grant_id: GrantId::new(column::<String>(&row, "grant_id")?),
            }),
            None => Ok(CodeRedemption::Unknown),
        }
    }

    async fn insert_refresh_token(&self, record: RefreshTokenRecord) -> Result<(), StoreError> {
        bind_refresh_token(sqlx::query(INSERT_REFRESH_TOKEN), &record)?
            .execute(self.shared.pool())
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn find_refresh_token(&self, hash: &SecretHash) -> Result<Option<RefreshTokenState>, StoreError> {
        self.find_state(hash).await
    }

    async fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: RefreshTokenRecord,
        now: OffsetDateTime,
    ) -> Result<Rotation, StoreError> {
        for _ in 0..ROTATION_ATTEMPTS {
            if let Some(rotation) = self.try_rotate(presented, &successor, now).await? {
                return Ok(rotation);
            }
        }
        Err(StoreError::Unavailable(
            "the refresh token's rotation kept failing although the token reads as usable".into(),
        ))
    }

    async fn touch_refresh_token(&self, hash: &SecretHash, now: OffsetDateTime) -> Result<bool, StoreError> {
        // A later `last_used_at` is set to itself: the row still matches, and the answer is true.
        let updated = sqlx::query(
            "UPDATE refresh_tokens \
             SET last_used_at = CASE WHEN last_used_at < $1 THEN $1 ELSE last_used_at END \
             WHERE hash = $2 AND consumed_at IS NULL AND revoked = 0 \
             AND NOT EXISTS (SELECT 1 FROM revoked_grants g WHERE g.grant_id = refresh_tokens.grant_id)",
        )
        .bind(nanos(now))
        .bind(hash_to_db(hash))
        .execute(self.shared.pool())
        .await
        .map_err(store_error)?;
        Ok(updated.rows_affected() == 1)
    }

    async fn revoke_grant(&self, grant_id: &GrantId, until: OffsetDateTime) -> Result<(), StoreError> {
        let mut tx = self.shared.begin().await?;
        self.shared.round_trip();
        sqlx::query(
            "INSERT INTO revoked_grants (grant_id, until) VALUES ($1, $2) \
             ON CONFLICT (grant_id) DO UPDATE SET until = \
             CASE WHEN excluded.until > revoked_grants.until THEN excluded.until ELSE revoked_grants.until END",
        )
        .bind(grant_id.as_str().to_owned())
        .bind(nanos(until))
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        self.shared.round_trip();
        sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE grant_id = $1 AND revoked = 0")
            .bind(grant_id.as_str().to_owned())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        self.shared.round_trip();
        tx.commit().await.map_err(store_error)
    }

    async fn is_grant_revoked(&self, grant_id: &GrantId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT grant_id FROM revoked_grants WHERE grant_id = $1 AND until > $2")
            .bind(grant_id.as_str().to_owned())
            .bind(nanos(now))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        Ok(row.is_some())
    }

    async fn revoke_access_token(&self, jti: &str, until: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO revoked_access_tokens (jti, until) VALUES ($1, $2) \
             ON CONFLICT (jti) DO UPDATE SET until = \
             CASE WHEN excluded.until > revoked_access_tokens.until \
             THEN excluded.until ELSE revoked_access_tokens.until END",
        )
        .bind(jti.to_owned())
        .bind(nanos(until))
        .execute(self.shared.pool())
        .await
        .map_err(store_error)?;
        Ok(())
    }

    async fn is_access_token_revoked(&self, jti: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT jti FROM revoked_access_tokens WHERE jti = $1 AND until > $2")
            .bind(jti.to_owned())
            .bind(nanos(now))
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        Ok(row.is_some())
    }

    async fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at \
             WHERE assertion_jtis.expires_at <= $4 RETURNING client_id",
        )
        .bind(client_id.to_owned())
        .bind(jti.to_owned())
        .bind(nanos(expires_at))
        .bind(nanos(now))
        .fetch_optional(self.shared.pool())
        .await
        .map_err(store_error)?;
        Ok(row.is_some())
    }

    async fn purge_expired(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let now_db = nanos(now);
        // Tombstones whose `expires_at` is at most this are past their retention; none if `now`
        // is too early for the subtraction.
        let tombstones_before: Option<i64> = now.checked_sub(CODE_TOMBSTONE_RETENTION).map(nanos);
        let mut tx = self.shared.begin().await?;
        // First, and writing: a family whose revocation goes stays revoked through its flag.
        self.shared.round_trip();
        sqlx::query(
            "UPDATE refresh_tokens SET revoked = 1 WHERE revoked = 0 \
             AND grant_id IN (SELECT grant_id FROM revoked_grants WHERE until <= $1)",
        )
        .bind(now_db)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        self.shared.round_trip();
        let codes = sqlx::query(
            "DELETE FROM codes WHERE hash IN (SELECT hash FROM codes \
             WHERE (redeemed = 0 AND expires_at <= $1) OR (redeemed = 1 AND expires_at <= $2) LIMIT $3)",
        )
        .bind(now_db)
        .bind(tombstones_before)
        .bind(PURGE_BATCH)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?
        .rows_affected();
        let mut removed = codes;
        for statement in [
            // Past the family's lifetime, or unused past the idle window.
            "DELETE FROM refresh_tokens WHERE hash IN (SELECT hash FROM refresh_tokens \
             WHERE (expires_at IS NOT NULL AND expires_at <= $1) \
             OR (idle_window IS NOT NULL AND last_used_at <= $1 - idle_window) LIMIT $2)",
            "DELETE FROM revoked_grants WHERE grant_id IN \
             (SELECT grant_id FROM revoked_grants WHERE until <= $1 LIMIT $2)",
            "DELETE FROM revoked_access_tokens WHERE jti IN \
             (SELECT jti FROM revoked_access_tokens WHERE until <= $1 LIMIT $2)",
            "DELETE FROM assertion_jtis WHERE (client_id, jti) IN \
             (SELECT client_id, jti FROM assertion_jtis WHERE expires_at <= $1 LIMIT $2)",
        ] {
            self.shared.round_trip();
            let deleted = sqlx::query(statement)
                .bind(now_db)
                .bind(PURGE_BATCH)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?
                .rows_affected();
            removed = removed.saturating_add(deleted);
        }
        self.shared.round_trip();
        tx.commit().await.map_err(store_error)?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}

/// A hash as stored: its 32 bytes.
fn hash_to_db(hash: &SecretHash) -> Vec<u8> {
    hash.as_bytes().to_vec()
}

/// A stored hash.
fn hash_from_db(bytes: Vec<u8>) -> Result<SecretHash, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(SecretHash::from_bytes)
        .map_err(|bytes| corrupt("hash", format!("a hash of {} bytes", bytes.len())))
}

/// Purges the grant tables every [`SqlOptions::purge_interval`](super::SqlOptions), by the system
/// clock, for as long as the database is open. A failed purge is tried again at the next tick.
pub(super) fn spawn_purges(shared: &Arc<Shared>) {
    let Some(interval) = shared.options.purge_interval else {
        return;
    };
    let interval = interval.max(std::time::Duration::from_secs(1));
    super::watch::spawn_periodic(shared, interval, |shared| async move {
        let _ = SqlGrantStore::new(shared)
            .purge_expired(OffsetDateTime::now_utc())
            .await;
    });
}

/// Binds a refresh token's columns to [`INSERT_REFRESH_TOKEN`].
fn bind_refresh_token<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    record: &RefreshTokenRecord,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>, StoreError> {
    Ok(query
        .bind(hash_to_db(&record.token_hash))
        .bind(record.grant.id.as_str().to_owned())
        .bind(to_json("refresh token", record)?)
        .bind(record.expires_at.map(nanos))
        .bind(nanos(record.last_used_at))
        .bind(idle_window_nanos(record)))
}

/// The idle window of `record`'s grant in nanoseconds, at most [`MAX_IDLE_WINDOW_MINUTES`].
fn idle_window_nanos(record: &RefreshTokenRecord) -> i64 {
    i64::from(record.grant.refresh_token_window_minutes).min(MAX_IDLE_WINDOW_MINUTES) * 60_000_000_000
}

/// A refresh token's record from a row with `record` and `last_used_at`, with the latter (which
/// [`GrantStore::touch_refresh_token`] moves) patched in.
fn refresh_record(row: &AnyRow) -> Result<RefreshTokenRecord, StoreError> {
    let mut record: RefreshTokenRecord = from_json("refresh token", &column::<String>(row, "record")?)?;
    let last_used_at: i64 = column(row, "last_used_at")?;
    // Unchanged (as stored) keeps the record's own value, offset and precision beyond the column's
    // range included.
    if last_used_at != nanos(record.last_used_at) {
        record.last_used_at = from_nanos(last_used_at);
    }
    Ok(record)
}

/// A refresh token's state from a row of [`FIND_REFRESH_TOKEN`].
fn refresh_state(row: &AnyRow) -> Result<RefreshTokenState, StoreError> {
    let record = refresh_record(row)?;
    let consumed_at: Option<i64> = column(row, "consumed_at")?;
    let successor: Option<Vec<u8>> = column(row, "successor")?;
    let consumed = match (consumed_at, successor) {
        (Some(at), Some(successor)) => Some(Consumption {
            at: from_nanos(at),
            successor: hash_from_db(successor)?,
        }),
        (None, None) => None,
        _ => return Err(corrupt("refresh token", "a consumption without its time or successor")),
    };
    let revoked: i64 = column(row, "revoked")?;
    let revoked_until: Option<i64> = column(row, "revoked_until")?;
    Ok(RefreshTokenState {
        record,
        consumed,
        family_revoked: revoked != 0 || revoked_until.is_some(),
    })
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use std::sync::Arc;

    use sqlx::Row;
    use time::Duration;
    use time::macros::datetime;

    use super::*;
    use crate::secret::{AuthorizationCode, RefreshToken};
    use crate::store::grants::Grant;
    use crate::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
    use crate::store::sql::{SqlDatabase, SqlOptions, test_database};

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
            code_challenge: None,
            nonce: None,
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

    /// Every grant table's rows, as text (blobs in hex).
    async fn dump(db: &SqlDatabase) -> String {
        let mut text = String::new();
        for table in [
            "codes",
            "refresh_tokens",
            "revoked_grants",
            "revoked_access_tokens",
            "assertion_jtis",
        ] {
            let rows = sqlx::query(&format!("SELECT * FROM {table}"))
                .fetch_all(&db.shared.pool)
                .await
                .unwrap();
            for row in rows {
                for i in 0..row.len() {
                    if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                        text.push_str(&hex(&bytes));
                    } else if let Ok(Some(value)) = row.try_get::<Option<String>, _>(i) {
                        text.push_str(&value);
                    } else if let Ok(Some(value)) = row.try_get::<Option<i64>, _>(i) {
                        text.push_str(&value.to_string());
                    }
                    text.push('\t');
                }
                text.push('\n');
            }
        }
        text
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[tokio::test]
    async fn stores_no_plaintext_secrets() {
        let (db, _dir) = test_database().await;
        let store = db.grant_store();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let tokens: Vec<_> = (0..2)
            .map(|_| RefreshToken::generate(&crate::random::SystemRandom).unwrap())
            .collect();
        store.insert_code(code_record(&code, "g1")).await.unwrap();
        assert!(matches!(
            store.redeem_code(&code.hash(), NOW).await.unwrap(),
            CodeRedemption::Redeemed(_)
        ));
        store
            .insert_refresh_token(refresh_record(&tokens[0], "g1"))
            .await
            .unwrap();
        let rotation = store
            .rotate_refresh_token(&tokens[0].hash(), refresh_record(&tokens[1], "g1"), NOW)
            .await
            .unwrap();
        assert!(matches!(rotation, Rotation::Rotated { .. }));
        let state = dump(&db).await;
        for hash in [code.hash(), tokens[0].hash(), tokens[1].hash()] {
            assert!(state.contains(&hex(hash.as_bytes())), "the dump misses a hash");
        }
        for secret in [code.expose(), tokens[0].expose(), tokens[1].expose()] {
            assert!(!state.contains(secret), "the database holds a plaintext secret");
        }
    }

    #[tokio::test]
    async fn each_operation_costs_the_round_trips_it_should() {
        let (db, dir) = test_database().await;
        // A second instance whose revision poller stays quiet while the costs are measured.
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        let keys = KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([7; 32]));
        // Connections are not pinged before use, so that the counts are the statements alone.
        let options = SqlOptions {
            refresh_interval: std::time::Duration::from_secs(3600),
            test_before_acquire: false,
            ..SqlOptions::default()
        };
        let db = {
            drop(db);
            SqlDatabase::connect_with(&url, keys, options).await.unwrap()
        };
        let store = db.grant_store();
        let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
        let (old, new) = (
            RefreshToken::generate(&crate::random::SystemRandom).unwrap(),
            RefreshToken::generate(&crate::random::SystemRandom).unwrap(),
        );
        store.insert_code(code_record(&code, "g1")).await.unwrap();
        store.insert_refresh_token(refresh_record(&old, "g1")).await.unwrap();

        let before = db.round_trips();
        let _ = store.redeem_code(&code.hash(), NOW).await.unwrap();
        assert_eq!(db.round_trips() - before, 1, "a redemption is one statement");
        let before = db.round_trips();
        let _ = store.redeem_code(&code.hash(), NOW).await.unwrap();
        assert_eq!(db.round_trips() - before, 2, "a replay is the update and a read");
        let before = db.round_trips();
        let _ = store
            .rotate_refresh_token(&old.hash(), refresh_record(&new, "g1"), NOW)
            .await
            .unwrap();
        assert_eq!(
            db.round_trips() - before,
            4,
            "a rotation is begin, update, insert, commit"
        );
        let before = db.round_trips();
        assert!(store.touch_refresh_token(&new.hash(), NOW).await.unwrap());
        assert_eq!(db.round_trips() - before, 1, "a touch is one statement");
        let before = db.round_trips();
        store.revoke_grant(&GrantId::new("g1"), NOW).await.unwrap();
        assert_eq!(
            db.round_trips() - before,
            4,
            "a revocation is begin, upsert, update, commit"
        );
        let before = db.round_trips();
        let _ = store.purge_expired(NOW).await.unwrap();
        assert_eq!(db.round_trips() - before, 8, "a purge is begin, six statements, commit");
    }

    #[tokio::test]
    async fn purge_counts_every_kind_of_entry() {
        let (db, _dir) = test_database().await;
        let store = db.grant_store();
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
        // The code and the jti expired; the tombstone is within its retention.
        assert_eq!(store.purge_expired(NOW + Duration::minutes(6)).await.unwrap(), 2);
        let at = NOW + Duration::minutes(5) + CODE_TOMBSTONE_RETENTION;
        // The tombstone, the grant revocation, the access-token revocation.
        assert_eq!(store.purge_expired(at).await.unwrap(), 3);
        assert_eq!(store.purge_expired(NOW + Duration::days(1)).await.unwrap(), 1);
        assert_eq!(store.purge_expired(NOW + Duration::days(2)).await.unwrap(), 0);
    }

    /// A successor inserted while its family was being revoked may miss the revocation's
    /// `UPDATE`; the `revoked_grants` row still revokes it, and a purge of that row sets its flag.
    #[tokio::test]
    async fn a_token_missed_by_the_revocation_update_is_still_revoked() {
        let (db, _dir) = test_database().await;
        let store = db.grant_store();
        let token = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        store.insert_refresh_token(refresh_record(&token, "g1")).await.unwrap();
        store
            .revoke_grant(&GrantId::new("g1"), NOW + Duration::hours(1))
            .await
            .unwrap();
        // Simulate the race: the token's flag was never set.
        sqlx::query("UPDATE refresh_tokens SET revoked = 0")
            .execute(&db.shared.pool)
            .await
            .unwrap();
        let state = store.find_refresh_token(&token.hash()).await.unwrap().unwrap();
        assert!(state.family_revoked);
        assert!(!store.touch_refresh_token(&token.hash(), NOW).await.unwrap());
        let successor = refresh_record(&RefreshToken::generate(&crate::random::SystemRandom).unwrap(), "g1");
        assert_eq!(
            store
                .rotate_refresh_token(&token.hash(), successor.clone(), NOW)
                .await
                .unwrap(),
            Rotation::FamilyRevoked
        );
        assert_eq!(store.purge_expired(NOW + Duration::hours(2)).await.unwrap(), 1);
        let state = store.find_refresh_token(&token.hash()).await.unwrap().unwrap();
        assert!(
            state.family_revoked,
            "the family stays revoked after its revocation row goes"
        );
        assert_eq!(
            store.rotate_refresh_token(&token.hash(), successor, NOW).await.unwrap(),
            Rotation::FamilyRevoked
        );
    }

    #[tokio::test]
    async fn touch_is_patched_into_the_record_and_keeps_it_otherwise() {
        let (db, _dir) = test_database().await;
        let store = db.grant_store();
        let token = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
        let mut record = refresh_record(&token, "g1");
        // Not UTC, and not representable in the column: kept as given while untouched.
        record.last_used_at = datetime!(2300-01-01 0:00 +02:00);
        store.insert_refresh_token(record.clone()).await.unwrap();
        let state = store.find_refresh_token(&token.hash()).await.unwrap().unwrap();
        assert_eq!(state.record, record);
        assert_eq!(state.record.last_used_at.offset(), record.last_used_at.offset());
    }

    #[tokio::test]
    async fn extreme_times_do_not_panic() {
        let (db, _dir) = test_database().await;
        let store = db.grant_store();
        for (i, at) in [
            datetime!(0000-01-01 0:00 UTC),
            OffsetDateTime::UNIX_EPOCH,
            datetime!(9999-12-31 23:59:59.999999999 UTC),
        ]
        .into_iter()
        .enumerate()
        {
            let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
            let mut record = code_record(&code, "g1");
            record.expires_at = at;
            store.insert_code(record).await.unwrap();
            let _ = store.redeem_code(&code.hash(), at).await.unwrap();
            let token = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
            let mut record = refresh_record(&token, "g1");
            record.expires_at = Some(at);
            record.last_used_at = at;
            store.insert_refresh_token(record).await.unwrap();
            assert!(store.touch_refresh_token(&token.hash(), at).await.unwrap());
            store.revoke_access_token(&format!("AT.{i}"), at).await.unwrap();
            let _ = store.record_assertion_jti("c", &format!("j{i}"), at, at).await.unwrap();
            let _ = store.purge_expired(at).await.unwrap();
        }
        store
            .revoke_grant(&GrantId::new("g1"), datetime!(9999-12-31 0:00 UTC))
            .await
            .unwrap();
        let _ = store.purge_expired(datetime!(-9999-01-01 0:00 UTC)).await.unwrap();
    }

    /// 32 spawned tasks over two pools on one SQLite file (two instances) race to redeem one
    /// code and to rotate one token: one wins each race.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_race_and_one_wins() {
        const RACERS: usize = 32;
        let (first, dir) = test_database().await;
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        let keys = KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([7; 32]));
        let second = SqlDatabase::connect(&url, keys).await.unwrap();
        let stores = [first.grant_store(), second.grant_store()];
        for _round in 0..5 {
            let code = AuthorizationCode::generate(&crate::random::SystemRandom).unwrap();
            let old = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
            stores[0].insert_code(code_record(&code, "g1")).await.unwrap();
            stores[1]
                .insert_refresh_token(refresh_record(&old, "g1"))
                .await
                .unwrap();
            let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
            let tasks: Vec<_> = (0..RACERS)
                .map(|i| {
                    let store = stores[i % 2].clone();
                    let barrier = Arc::clone(&barrier);
                    let (code, old) = (code.hash(), old.hash());
                    let successor = RefreshToken::generate(&crate::random::SystemRandom).unwrap();
                    let record = refresh_record(&successor, "g1");
                    tokio::spawn(async move {
                        barrier.wait().await;
                        let redeemed = store.redeem_code(&code, NOW).await.unwrap();
                        let rotated = store.rotate_refresh_token(&old, record, NOW).await.unwrap();
                        (redeemed, rotated, successor.hash())
                    })
                })
                .collect();
            let (mut redeemed, mut winners, mut named) = (0, Vec::new(), Vec::new());
            for task in tasks {
                let (redemption, rotation, successor) = task.await.unwrap();
                match redemption {
                    CodeRedemption::Redeemed(_) => redeemed += 1,
                    CodeRedemption::AlreadyRedeemed { grant_id } => assert_eq!(grant_id, GrantId::new("g1")),
                    CodeRedemption::Unknown => panic!("a racer found the code unknown"),
                }
                match rotation {
                    Rotation::Rotated { .. } => winners.push(successor),
                    Rotation::AlreadyRotated { successor, .. } => named.push(successor),
                    other => panic!("unexpected rotation outcome {other:?}"),
                }
            }
            assert_eq!(redeemed, 1);
            assert_eq!(winners.len(), 1);
            assert!(named.iter().all(|s| *s == winners[0]));
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM refresh_tokens")
            .fetch_one(&first.shared.pool)
            .await
            .unwrap()
            .get("n");
        assert_eq!(count, 10, "only the winners' successors are stored");
    }
}

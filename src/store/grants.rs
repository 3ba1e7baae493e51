//! The grant store: authorization codes, refresh tokens, revocations and used client-assertion
//! `jti`s.
//!
//! # Contract
//!
//! - **Hashes only.** Codes and refresh tokens are keyed by their [`SecretHash`]; a store never
//!   sees, let alone keeps, the plaintext.
//! - **Single use is atomic.** [`GrantStore::redeem_code`] hands a code's record to exactly one
//!   caller, however many redeem it concurrently; [`GrantStore::rotate_refresh_token`] is a
//!   compare-and-swap that succeeds for exactly one caller. Each is one round trip to the backing
//!   store (one statement, one transaction or one script): no lock is held across two calls.
//! - **Time is an argument.** Operations that depend on time take `now`; a store never reads a
//!   clock. Expiry of codes and refresh tokens is checked by the caller (a pure function of the
//!   record and `now`); the store only forgets expired entries in [`GrantStore::purge_expired`].
//! - **Outcomes are values.** A replayed code or a reused refresh token is an ordinary outcome
//!   ([`CodeRedemption`], [`Rotation`]); [`StoreError`] is for the store failing.
//!
//! The in-memory [`MemoryGrantStore`](crate::store::memory::MemoryGrantStore) is the reference
//! implementation; the conformance suite in `testkit::grants` (feature `testkit`) checks any
//! implementation against this contract.

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::StoreError;
use crate::secret::SecretHash;

/// How long a redeemed code's tombstone outlives the code's `expires_at`.
///
/// While the tombstone lives, a replayed code is reported as [`CodeRedemption::AlreadyRedeemed`]
/// so the caller can revoke what the first redemption issued (RFC 6749 §4.1.2);
/// [`GrantStore::purge_expired`] drops it once `expires_at + CODE_TOMBSTONE_RETENTION <= now`.
pub const CODE_TOMBSTONE_RETENTION: Duration = Duration::hours(1);

/// Identifies a grant: one sign-in or authorization. Its refresh tokens form a family sharing
/// this id, and access tokens minted from it are revoked with it.
///
/// The value is opaque; generating it (randomly) is the caller's job.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GrantId(String);

impl GrantId {
    /// The length of a generated id: 128 random bits in base64url.
    pub const GENERATED_LEN: usize = 22;

    /// The random bytes [`GrantId::generate`] draws.
    pub(crate) const RANDOM_BYTES: usize = 16;

    /// A new id of [`GrantId::GENERATED_LEN`] characters drawn from `random`.
    ///
    /// # Errors
    /// [`CryptoError::Random`](crate::crypto::CryptoError::Random) if the random source fails.
    pub fn generate(random: &dyn crate::random::Randomness) -> Result<Self, crate::crypto::CryptoError> {
        Ok(Self(crate::jose::b64_encode(random.array::<{ Self::RANDOM_BYTES }>()?)))
    }

    /// Wraps an id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What was authorized at sign-in. It travels with the authorization code and the refresh tokens,
/// so the token endpoint does not re-evaluate policies for `authorization_code`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The grant's id, shared by its refresh-token family.
    pub id: GrantId,
    /// The authorization server that issued the grant.
    pub authorization_server_id: String,
    /// The client the grant was issued to.
    pub client_id: String,
    /// The signed-in user; `None` for grants without a user (e.g. `client_credentials`).
    pub user_id: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// The grant type the grant was originally obtained with (e.g. `authorization_code`).
    pub grant_type: String,
    /// The access policy that granted it.
    pub policy_id: String,
    /// The rule of that policy that granted it.
    pub rule_id: String,
    /// Lifetime of access tokens minted from the grant, in minutes.
    pub access_token_lifetime_minutes: u32,
    /// Lifetime of the refresh-token family, in minutes; `None` means unlimited.
    pub refresh_token_lifetime_minutes: Option<u32>,
    /// Idle window of refresh tokens, in minutes: a token unused for longer is expired.
    pub refresh_token_window_minutes: u32,
    /// When the user authenticated (the ID token's `auth_time`).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub auth_time: Option<OffsetDateTime>,
    /// Authentication methods references (the ID token's `amr`).
    pub amr: Vec<String>,
    /// The authentication context class chosen for the request's `acr_values` (the ID token's
    /// `acr`), if it asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The individual claims the request's `claims` parameter asked for (OpenID Connect Core
    /// §5.5), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_claims: Option<crate::claims::RequestedClaims>,
    /// When the grant was made.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
}

/// A stored authorization code (RFC 6749 §4.1.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCodeRecord {
    /// SHA-256 of the code: the key.
    pub code_hash: SecretHash,
    /// What the code grants.
    pub grant: Grant,
    /// The `redirect_uri` of the authorization request, which the token request must repeat
    /// (RFC 6749 §4.1.3); `None` if the request had none.
    pub redirect_uri: Option<String>,
    /// The PKCE `code_challenge` (method `S256`, RFC 7636 §4.2), if the request had one.
    pub code_challenge: Option<String>,
    /// The OpenID Connect `nonce` to put in the ID token, if the request had one.
    pub nonce: Option<String>,
    /// When the code expires. Checked by the caller, not by the store.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A stored refresh token (RFC 6749 §1.5, §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenRecord {
    /// SHA-256 of the token: the key.
    pub token_hash: SecretHash,
    /// What the token grants. `grant.id` names the token's family; scopes may be narrowed on
    /// refresh.
    pub grant: Grant,
    /// When this token was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// Absolute end of the family's lifetime; a rotated token keeps the original expiry. `None`
    /// means unlimited.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expires_at: Option<OffsetDateTime>,
    /// When the token was last used, for the idle window.
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
}

/// How a refresh token was consumed by rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumption {
    /// When it was rotated away.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The hash of the token that replaced it.
    pub successor: SecretHash,
}

/// A stored refresh token and what has happened to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenState {
    /// The record as stored (with its latest `last_used_at`).
    pub record: RefreshTokenRecord,
    /// `Some` once the token was rotated away.
    pub consumed: Option<Consumption>,
    /// Whether its family (grant) was revoked; if so, the token is unusable for good.
    pub family_revoked: bool,
}

/// The outcome of [`GrantStore::redeem_code`].
#[must_use]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per token request and matched at once; boxing would only add an allocation"
)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeRedemption {
    /// This caller redeemed the code; nobody else ever will. The caller still checks
    /// `expires_at`, the redirect URI and PKCE.
    Redeemed(AuthorizationCodeRecord),
    /// The code was redeemed before: a replay. The caller rejects the request and should revoke
    /// what the first redemption issued (RFC 6749 §4.1.2), i.e. the grant `grant_id`.
    AlreadyRedeemed {
        /// The grant the code belonged to.
        grant_id: GrantId,
    },
    /// No such code (never issued, or purged).
    Unknown,
}

/// The outcome of [`GrantStore::rotate_refresh_token`].
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// This caller rotated the token: it is now consumed and the successor is stored.
    Rotated {
        /// The presented token's record as it was before rotation.
        previous: RefreshTokenRecord,
    },
    /// The token was rotated before. Presenting it again is reuse; the caller decides (purely,
    /// from `rotated_at` and its leeway) whether to tolerate it or revoke the family. Nothing
    /// was changed.
    AlreadyRotated {
        /// The presented token's record.
        record: RefreshTokenRecord,
        /// When it was rotated away.
        rotated_at: OffsetDateTime,
        /// The hash of the token that replaced it.
        successor: SecretHash,
    },
    /// The token's family was revoked (this takes precedence over `AlreadyRotated`). Nothing
    /// was changed.
    FamilyRevoked,
    /// No such token (never issued, or purged). Nothing was changed.
    Unknown,
}

/// Storage for grants: authorization codes, refresh tokens, revocations and used
/// client-assertion `jti`s. See the [module documentation](self) for the contract.
///
/// Each method's documentation sketches how it maps onto PostgreSQL and Redis, the stores users
/// scale out with; a sketch, not a schema.
pub trait GrantStore: Send + Sync {
    /// Stores a new authorization code.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if a code (or a redeemed code's tombstone) with the same hash is
    /// stored; nothing is changed.
    ///
    /// PostgreSQL: `INSERT INTO codes …` (primary key on the hash). Redis:
    /// `SET code:{hash} {record} NX PXAT {expires_at}`, failing if the tombstone key exists.
    fn insert_code(&self, record: AuthorizationCodeRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Redeems a code, atomically: exactly one caller ever gets [`CodeRedemption::Redeemed`] for
    /// a given code, however many race. The code is replaced by a tombstone that remembers its
    /// grant, so later callers get [`CodeRedemption::AlreadyRedeemed`] for as long as the
    /// tombstone lives: at least until the code's `expires_at` plus
    /// [`CODE_TOMBSTONE_RETENTION`], after which [`purge_expired`](Self::purge_expired) may drop
    /// it (and the code is then [`Unknown`](CodeRedemption::Unknown)).
    ///
    /// The store does not check expiry: an expired code that was not purged yet is redeemed
    /// (and tombstoned) like any other, and the caller rejects it.
    ///
    /// PostgreSQL: `UPDATE codes SET redeemed = true WHERE hash = $1 AND NOT redeemed
    /// RETURNING …`; if no row, `SELECT grant_id FROM codes WHERE hash = $1` tells
    /// `AlreadyRedeemed` from `Unknown` (or `DELETE … RETURNING` plus a tombstone row, in one
    /// transaction). Redis: `GETDEL code:{hash}`, then `SET redeemed:{hash} {grant_id} PXAT
    /// {expires_at + retention}`; on a miss, `GET redeemed:{hash}`. No lock is held across calls.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    fn redeem_code(
        &self,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<CodeRedemption, StoreError>> + Send;

    /// Stores a new refresh token, starting or joining the family `record.grant.id`. A token
    /// inserted into a family that has a (not yet purged) revocation from
    /// [`revoke_grant`](Self::revoke_grant) is stored revoked, so a late insert cannot revive a
    /// revoked grant.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if a token with the same hash is stored; nothing is changed.
    ///
    /// PostgreSQL: `INSERT INTO refresh_tokens (…, revoked) VALUES (…, EXISTS (SELECT 1 FROM
    /// revoked_grants WHERE grant_id = $g))`. Redis: a script that `SET … NX`s the token and adds
    /// its hash to the family set `family:{grant_id}`.
    fn insert_refresh_token(&self, record: RefreshTokenRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Looks a refresh token up: its record, whether it was rotated away (and to what), and
    /// whether its family is revoked. `None` if unknown. Changes nothing.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    ///
    /// PostgreSQL: `SELECT … FROM refresh_tokens WHERE hash = $1`. Redis: `GET`.
    fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> impl Future<Output = Result<Option<RefreshTokenState>, StoreError>> + Send;

    /// Rotates a refresh token, atomically (a compare-and-swap): succeeds only if `presented` is
    /// stored, not consumed, and its family is not revoked; then marks it consumed at `now` with
    /// `successor.token_hash` as successor and stores `successor`, all or nothing. Exactly one of
    /// any number of concurrent rotations of one token succeeds; the others get
    /// [`Rotation::AlreadyRotated`] naming the winner's successor.
    ///
    /// The successor joins the family `successor.grant.id`, which the caller keeps equal to the
    /// presented token's `grant.id` (scopes may be narrowed; `expires_at` is kept).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] if a token with the successor's hash is already stored; nothing
    /// is changed (the presented token stays usable).
    ///
    /// PostgreSQL, in one transaction: `UPDATE refresh_tokens SET consumed_at = $now, successor
    /// = $s WHERE hash = $p AND consumed_at IS NULL AND NOT revoked RETURNING …`, then `INSERT`
    /// the successor; no row means read the token to tell `AlreadyRotated`, `FamilyRevoked` and
    /// `Unknown` apart. (Revocation takes the family's row lock first, so a successor cannot
    /// slip past a concurrent [`revoke_grant`](Self::revoke_grant).) Redis: one Lua script
    /// (atomic) doing the same checks and writes.
    fn rotate_refresh_token(
        &self,
        presented: &SecretHash,
        successor: RefreshTokenRecord,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Rotation, StoreError>> + Send;

    /// Records a use of a refresh token that is not rotated (rotation `STATIC`), for the idle
    /// window: sets `last_used_at` to `now` (never moving it backwards). Returns `false`, and
    /// changes nothing, if the token is unknown, consumed or its family is revoked.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    ///
    /// PostgreSQL: `UPDATE refresh_tokens SET last_used_at = greatest(last_used_at, $now) WHERE
    /// hash = $1 AND consumed_at IS NULL AND NOT revoked`. Redis: a script.
    fn touch_refresh_token(
        &self,
        hash: &SecretHash,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes a grant: every refresh token of the family, consumed or not, becomes unusable for
    /// good (including tokens inserted into it later), and
    /// [`is_grant_revoked`](Self::is_grant_revoked) reports the grant revoked while
    /// `now < until`. `until` is the latest moment any access token minted from the grant could
    /// still be live; [`purge_expired`](Self::purge_expired) drops the entry after it. Revoking
    /// again keeps the later `until`.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    ///
    /// PostgreSQL, in one transaction: upsert `revoked_grants (grant_id, until)` with
    /// `greatest(until)`, then `UPDATE refresh_tokens SET revoked = true WHERE grant_id = $1`.
    /// Redis: a script marking every member of `family:{grant_id}` and setting
    /// `revoked-grant:{grant_id}`.
    fn revoke_grant(
        &self,
        grant_id: &GrantId,
        until: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether access tokens minted from the grant are revoked at `now`: true from
    /// [`revoke_grant`](Self::revoke_grant) until its `until`.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    fn is_grant_revoked(
        &self,
        grant_id: &GrantId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes one access token by its `jti` (RFC 7009) until `until`, its expiry; revoking
    /// again keeps the later `until`.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    ///
    /// PostgreSQL: upsert `revoked_access_tokens (jti, until)`. Redis: `SET revoked-at:{jti} 1
    /// PXAT {until}`.
    fn revoke_access_token(
        &self,
        jti: &str,
        until: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether the access token `jti` is revoked at `now` (`now < until`).
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    fn is_access_token_revoked(
        &self,
        jti: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records the `jti` of a client assertion (`client_secret_jwt`, `private_key_jwt`; RFC 7523
    /// §3) to enforce single use, atomically (insert if absent): `true` on first use, `false` on
    /// a replay while the entry lives. `jti`s are scoped by client. An entry whose `expires_at
    /// <= now` counts as absent and is replaced.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    ///
    /// PostgreSQL: `INSERT INTO assertion_jtis … ON CONFLICT (client_id, jti) DO UPDATE SET
    /// expires_at = $e WHERE assertion_jtis.expires_at <= $now RETURNING 1`. Redis: `SET
    /// jti:{client}:{jti} 1 NX PXAT {expires_at}`.
    fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Forgets what has expired at `now` and returns how many entries were removed: unredeemed
    /// codes with `expires_at <= now`; tombstones of redeemed codes with `expires_at +`
    /// [`CODE_TOMBSTONE_RETENTION`] `<= now`; refresh tokens with `expires_at <= now`, or unused
    /// for their grant's `refresh_token_window_minutes` (`last_used_at + window <= now`, also
    /// when `expires_at` is `None`); revocations with `until <= now`; assertion `jti`s with
    /// `expires_at <= now`. Live entries are kept. An implementation may bound the work of one
    /// call (the SQL stores delete at most `PURGE_BATCH` rows per table) and leave the rest to
    /// the next.
    ///
    /// # Errors
    /// [`StoreError`] if the store fails.
    ///
    /// PostgreSQL: one `DELETE … WHERE expires_at <= $now` per table. Redis: keys expire by
    /// themselves (`PXAT`), so this may return 0.
    fn purge_expired(&self, now: OffsetDateTime) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

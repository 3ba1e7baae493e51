//! The key ring of one authorization server and its pure state transitions.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::{NewKey, PrivateKey};
use crate::jose::{Algorithm, Jwk, Jwks};
use crate::model::{KeyUse, RotationMode, SigningCredentials};

/// The status of a signing key, as Okta's key store reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyStatus {
    /// Signs new tokens. Exactly one per ring.
    Active,
    /// Published, not yet signing; becomes `ACTIVE` at the next rotation.
    Next,
    /// Signed tokens before the last rotation; published until its retention ends.
    Expired,
}

/// Rotation timing. Okta rotates about every 90 days (Okta's OpenID Connect & OAuth 2.0 API
/// reference, "Best practices"); Okta does not document how long a retired key stays published,
/// so that default is ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSettings {
    /// Time from one rotation to the next in `AUTO` mode. Default 90 days.
    pub interval: Duration,
    /// How long an `EXPIRED` key stays published after the rotation that retired it: at least
    /// the longest lifetime of a token it signed. Default 1 day, the longest access-token
    /// lifetime a rule can set (ID tokens live one hour).
    pub expired_retention: Duration,
    /// The signing algorithm of servers created without `credentials.signing.alg`. Default
    /// RS256, as Okta. A server keeps the algorithm it was created with through its rotations
    /// until it is replaced with another `credentials.signing.alg`
    /// ([`KeyRing::switch_algorithm`]): changing this default changes no existing server.
    pub algorithm: Algorithm,
}

impl Default for RotationSettings {
    fn default() -> Self {
        Self {
            interval: Duration::days(90),
            expired_retention: Duration::days(1),
            algorithm: Algorithm::RS256,
        }
    }
}

/// One signing key as the configuration store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// Key ID: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The key's status.
    pub status: KeyStatus,
    /// The algorithm the key signs with.
    pub algorithm: Algorithm,
    /// The public key as published.
    pub public_jwk: Jwk,
    /// When the key was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When the key became `ACTIVE`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub activated: Option<OffsetDateTime>,
    /// When the key became `EXPIRED`.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expired: Option<OffsetDateTime>,
    /// The private key, or a reference to it.
    pub private: PrivateKey,
}

impl KeyRecord {
    fn new(key: NewKey, status: KeyStatus, now: OffsetDateTime) -> Self {
        let public_jwk = key.signer.public_jwk();
        Self {
            kid: key.signer.kid().to_owned(),
            status,
            algorithm: key.signer.algorithm(),
            public_jwk,
            created: now,
            activated: (status == KeyStatus::Active).then_some(now),
            expired: None,
            private: key.private,
        }
    }
}

/// The keys of one authorization server: exactly one `ACTIVE`, one `NEXT`, and the `EXPIRED`
/// keys still within their retention. Deserializing checks these invariants, so a ring read
/// from a store is as sound as one built here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "KeyRingData")]
pub struct KeyRing {
    rotation_mode: RotationMode,
    #[serde(with = "time::serde::rfc3339")]
    last_rotated: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    next_rotation: Option<OffsetDateTime>,
    keys: Vec<KeyRecord>,
    revision: u64,
}

/// The unchecked shape of a stored [`KeyRing`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyRingData {
    rotation_mode: RotationMode,
    #[serde(with = "time::serde::rfc3339")]
    last_rotated: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    next_rotation: Option<OffsetDateTime>,
    keys: Vec<KeyRecord>,
    revision: u64,
}

/// A stored key ring breaks the ring's invariants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a key ring needs exactly one ACTIVE and one NEXT key with distinct kids, and nextRotation exactly in AUTO mode"
)]
pub struct InvalidKeyRing;

impl TryFrom<KeyRingData> for KeyRing {
    type Error = InvalidKeyRing;

    fn try_from(data: KeyRingData) -> Result<Self, Self::Error> {
        let count = |status| data.keys.iter().filter(|key| key.status == status).count();
        let mut kids: Vec<&str> = data.keys.iter().map(|key| key.kid.as_str()).collect();
        kids.sort_unstable();
        kids.dedup();
        let sound = count(KeyStatus::Active) == 1
            && count(KeyStatus::Next) == 1
            && kids.len() == data.keys.len()
            && (data.rotation_mode == RotationMode::Auto) == data.next_rotation.is_some();
        if !sound {
            return Err(InvalidKeyRing);
        }
        let mut ring = KeyRing {
            rotation_mode: data.rotation_mode,
            last_rotated: data.last_rotated,
            next_rotation: data.next_rotation,
            keys: data.keys,
            revision: data.revision,
        };
        ring.sort();
        Ok(ring)
    }
}

impl KeyRing {
    /// A new ring with `active` signing from `now` and `next` published.
    pub fn new(
        active: NewKey,
        next: NewKey,
        mode: RotationMode,
        settings: &RotationSettings,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            rotation_mode: mode,
            last_rotated: now,
            next_rotation: (mode == RotationMode::Auto).then(|| now + settings.interval),
            keys: vec![
                KeyRecord::new(active, KeyStatus::Active, now),
                KeyRecord::new(next, KeyStatus::Next, now),
            ],
            revision: 0,
        }
    }

    /// The key that signs.
    pub fn active(&self) -> &KeyRecord {
        // Every constructor and transition keeps the ACTIVE key first (see `sort`).
        &self.keys[0]
    }

    /// The key that signs after the next rotation.
    pub fn next_key(&self) -> &KeyRecord {
        &self.keys[1]
    }

    /// All keys: `ACTIVE`, `NEXT`, then `EXPIRED` newest first.
    pub fn keys(&self) -> &[KeyRecord] {
        &self.keys
    }

    /// `AUTO` or `MANUAL`.
    pub fn rotation_mode(&self) -> RotationMode {
        self.rotation_mode
    }

    /// When the `ACTIVE` key started signing.
    pub fn last_rotated(&self) -> OffsetDateTime {
        self.last_rotated
    }

    /// When an `AUTO` ring rotates next; `None` in `MANUAL` mode.
    pub fn next_rotation(&self) -> Option<OffsetDateTime> {
        self.next_rotation
    }

    /// Incremented by every change, so a store can replace a ring with compare-and-swap.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The key with `kid`, whatever its status.
    pub fn key(&self, kid: &str) -> Option<&KeyRecord> {
        self.keys.iter().find(|key| key.kid == kid)
    }

    /// The algorithm the server signs with: the `ACTIVE` key's.
    pub fn algorithm(&self) -> Algorithm {
        self.active().algorithm
    }

    /// The algorithm the new `NEXT` key of a [`rotate`](Self::rotate) must have: the current
    /// `NEXT` key's, which becomes `ACTIVE`, so that both signing keys share one algorithm.
    pub fn rotation_algorithm(&self) -> Algorithm {
        self.next_key().algorithm
    }

    /// Whether the `ACTIVE` and the `NEXT` key both sign with `algorithm`.
    pub fn signs_with(&self, algorithm: Algorithm) -> bool {
        self.active().algorithm == algorithm && self.next_key().algorithm == algorithm
    }

    /// `credentials.signing` as Okta reports it, with this library's `alg`.
    pub fn credentials(&self) -> SigningCredentials {
        SigningCredentials {
            kid: Some(self.active().kid.clone()),
            rotation_mode: Some(self.rotation_mode),
            last_rotated: Some(self.last_rotated),
            next_rotation: self.next_rotation,
            key_use: Some(KeyUse::Sig),
            alg: Some(self.algorithm()),
        }
    }

    /// Whether an `AUTO` ring is due to rotate at `now`.
    pub fn rotation_due(&self, now: OffsetDateTime) -> bool {
        self.rotation_mode == RotationMode::Auto && self.next_rotation.is_some_and(|at| now >= at)
    }

    /// Rotates: `ACTIVE` → `EXPIRED`, `NEXT` → `ACTIVE`, `new_next` → `NEXT`; drops `EXPIRED`
    /// keys whose retention has ended. Allowed in both modes. `new_next` should have the
    /// [`rotation_algorithm`](Self::rotation_algorithm).
    pub fn rotate(&mut self, new_next: NewKey, settings: &RotationSettings, now: OffsetDateTime) {
        for key in &mut self.keys {
            match key.status {
                KeyStatus::Active => {
                    key.status = KeyStatus::Expired;
                    key.expired = Some(now);
                }
                KeyStatus::Next => {
                    key.status = KeyStatus::Active;
                    key.activated = Some(now);
                }
                KeyStatus::Expired => {}
            }
        }
        self.keys.push(KeyRecord::new(new_next, KeyStatus::Next, now));
        self.rotated(settings, now);
    }

    /// What every rotation ends with: `lastRotated` is `now`, an `AUTO` ring's next rotation one
    /// interval later, keys past their retention dropped, and a new revision.
    fn rotated(&mut self, settings: &RotationSettings, now: OffsetDateTime) {
        self.last_rotated = now;
        if self.rotation_mode == RotationMode::Auto {
            self.next_rotation = Some(now + settings.interval);
        }
        self.drop_retired(settings, now);
        self.sort();
        self.revision += 1;
    }

    /// Changes the server's signing algorithm at `now`, a rotation to keys of the new algorithm:
    /// `active` signs from now on and `next` is published as `NEXT` (both of the new algorithm);
    /// the old `ACTIVE` key becomes `EXPIRED` and stays published for its retention, so tokens it
    /// signed still verify until they expire; the old `NEXT` key, which never signed anything, is
    /// dropped. As at a rotation, `lastRotated` becomes `now` and an `AUTO` ring's next rotation
    /// is one interval later. Verifiers that cached the JWKS meet an unknown `kid` and fetch it
    /// again, as after any rotation.
    pub fn switch_algorithm(&mut self, active: NewKey, next: NewKey, settings: &RotationSettings, now: OffsetDateTime) {
        self.keys.retain(|key| key.status != KeyStatus::Next);
        for key in &mut self.keys {
            if key.status == KeyStatus::Active {
                key.status = KeyStatus::Expired;
                key.expired = Some(now);
            }
        }
        self.keys.push(KeyRecord::new(active, KeyStatus::Active, now));
        self.keys.push(KeyRecord::new(next, KeyStatus::Next, now));
        self.rotated(settings, now);
    }

    /// Switches the rotation mode without touching the keys: the `ACTIVE` key stays ("Switching
    /// between rotation modes won't change the active signing key", Okta's 2017 OAuth 2.0 API
    /// reference).
    /// Switching to `AUTO` schedules the next rotation one interval after the last one, or one
    /// interval from `now` if that moment has already passed (so switching never rotates at once).
    pub fn set_mode(&mut self, mode: RotationMode, settings: &RotationSettings, now: OffsetDateTime) {
        if mode == self.rotation_mode {
            return;
        }
        self.rotation_mode = mode;
        self.next_rotation = match mode {
            RotationMode::Manual => None,
            RotationMode::Auto => {
                let scheduled = self.last_rotated + settings.interval;
                Some(if scheduled > now {
                    scheduled
                } else {
                    now + settings.interval
                })
            }
        };
        self.revision += 1;
    }

    /// Drops `EXPIRED` keys whose retention has ended. Returns whether anything changed.
    pub fn drop_retired(&mut self, settings: &RotationSettings, now: OffsetDateTime) -> bool {
        let before = self.keys.len();
        self.keys.retain(|key| !is_retired(key, settings, now));
        let changed = self.keys.len() != before;
        if changed {
            self.revision += 1;
        }
        changed
    }

    /// Whether key `kid` is published at `now`: it is in the ring and, if `EXPIRED`, still within
    /// its retention.
    pub fn is_published(&self, kid: &str, settings: &RotationSettings, now: OffsetDateTime) -> bool {
        self.key(kid).is_some_and(|key| !is_retired(key, settings, now))
    }

    /// The JWKS published at `now`: `ACTIVE`, `NEXT`, and `EXPIRED` keys within retention
    /// (whether or not they have been dropped yet).
    pub fn jwks(&self, settings: &RotationSettings, now: OffsetDateTime) -> Jwks {
        Jwks {
            keys: self
                .keys
                .iter()
                .filter(|key| !is_retired(key, settings, now))
                .map(|key| key.public_jwk.clone())
                .collect(),
        }
    }

    fn sort(&mut self) {
        let rank = |status| match status {
            KeyStatus::Active => 0,
            KeyStatus::Next => 1,
            KeyStatus::Expired => 2,
        };
        self.keys
            .sort_by(|a, b| rank(a.status).cmp(&rank(b.status)).then(b.expired.cmp(&a.expired)));
    }
}

fn is_retired(key: &KeyRecord, settings: &RotationSettings, now: OffsetDateTime) -> bool {
    key.status == KeyStatus::Expired && key.expired.is_some_and(|at| now >= at + settings.expired_retention)
}

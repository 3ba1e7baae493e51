//! [`SqlConfigStore`]: servers as JSON documents with compare-and-swap revisions, and key rings
//! whose private keys are sealed under the key-encryption key.

use std::sync::Arc;

use serde_json::Value;
use sqlx::Row;
use zeroize::Zeroizing;

use super::{Shared, column, corrupt, from_json, revision_from_db, revision_to_db, store_error, to_json};
use crate::jose::{b64_decode, b64_encode};
use crate::keys::KeyRing;
use crate::model::AuthorizationServer;
use crate::store::sealing::{KeyEncryptionKeys, Sealed};
use crate::store::{ConfigStore, Revisions, Saved, ServerConfig, StoreError};

/// A [`ConfigStore`] in SQL. See the [module documentation](super).
#[derive(Clone)]
pub struct SqlConfigStore {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SqlConfigStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlConfigStore")
            .field("backend", &self.shared.backend)
            .finish()
    }
}

impl SqlConfigStore {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Reseals every key ring holding a key sealed under a previous KEK. Returns how many rings
    /// were rewritten.
    pub(super) async fn reseal(&self) -> Result<usize, StoreError> {
        let rows = sqlx::query("SELECT id, key_ring FROM servers")
            .fetch_all(self.shared.pool())
            .await
            .map_err(store_error)?;
        let mut resealed = 0;
        for row in rows {
            let id: String = column(&row, "id")?;
            let stored: String = column(&row, "key_ring")?;
            if !has_stale_seal(&self.shared.keys, &stored)? {
                continue;
            }
            let ring = open_ring(&self.shared.keys, &id, &stored)?;
            let text = seal_ring(&self.shared.keys, &id, &ring)?;
            // Compare-and-swap on the exact stored text: a concurrent save or reseal wins.
            let updated = sqlx::query("UPDATE servers SET key_ring = $1 WHERE id = $2 AND key_ring = $3")
                .bind(text)
                .bind(&id)
                .bind(stored)
                .execute(self.shared.pool())
                .await
                .map_err(store_error)?;
            resealed += usize::from(updated.rows_affected() == 1);
        }
        Ok(resealed)
    }

    async fn exists(&self, id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT id FROM servers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        Ok(row.is_some())
    }
}

impl ConfigStore for SqlConfigStore {
    async fn servers(&self) -> Result<Vec<AuthorizationServer>, StoreError> {
        let rows = sqlx::query("SELECT config FROM servers ORDER BY position, id")
            .fetch_all(self.shared.pool())
            .await
            .map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let config: ServerConfig = from_json("server configuration", &column::<String>(row, "config")?)?;
                Ok(config.server)
            })
            .collect()
    }

    async fn load(&self, id: &str) -> Result<Option<ServerConfig>, StoreError> {
        let row = sqlx::query("SELECT config FROM servers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| from_json("server configuration", &column::<String>(&row, "config")?))
            .transpose()
    }

    async fn revisions(&self, id: &str) -> Result<Option<Revisions>, StoreError> {
        if let Some(known) = self.shared.watch.server(id, self.shared.options.stale_after) {
            return Ok(known);
        }
        let row = sqlx::query("SELECT revision, keys_revision FROM servers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        // Not put into the snapshot: it is untrusted now, and the next poll replaces it.
        row.map(|row| {
            Ok(Revisions {
                config: revision_from_db(column(&row, "revision")?)?,
                keys: revision_from_db(column(&row, "keys_revision")?)?,
            })
        })
        .transpose()
    }

    async fn create(&self, config: ServerConfig, keys: KeyRing) -> Result<(), StoreError> {
        let id = config.server.id.clone();
        let revisions = Revisions {
            config: config.revision,
            keys: keys.revision(),
        };
        sqlx::query(
            "INSERT INTO servers (id, position, config, revision, key_ring, keys_revision) \
             VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM servers), $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(to_json("server configuration", &config)?)
        .bind(revision_to_db(revisions.config)?)
        .bind(seal_ring(&self.shared.keys, &id, &keys)?)
        .bind(revision_to_db(revisions.keys)?)
        .execute(self.shared.pool())
        .await
        .map_err(store_error)?;
        self.shared.watch.set_server(&id, Some(revisions));
        Ok(())
    }

    async fn save(&self, mut config: ServerConfig, expected_revision: u64) -> Result<Saved, StoreError> {
        let Some(revision) = expected_revision.checked_add(1) else {
            return Err(corrupt("revision", "the revision cannot be incremented any further"));
        };
        config.revision = revision;
        let id = config.server.id.clone();
        let row = sqlx::query(
            "UPDATE servers SET config = $1, revision = $2 WHERE id = $3 AND revision = $4 RETURNING keys_revision",
        )
        .bind(to_json("server configuration", &config)?)
        .bind(revision_to_db(revision)?)
        .bind(&id)
        .bind(revision_to_db(expected_revision)?)
        .fetch_optional(self.shared.pool())
        .await
        .map_err(store_error)?;
        match row {
            Some(row) => {
                let keys = revision_from_db(column(&row, "keys_revision")?)?;
                self.shared
                    .watch
                    .set_server(&id, Some(Revisions { config: revision, keys }));
                Ok(Saved::Saved { revision })
            }
            None if self.exists(&id).await? => Ok(Saved::Stale),
            None => Ok(Saved::Missing),
        }
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM servers WHERE id = $1")
            .bind(id)
            .execute(self.shared.pool())
            .await
            .map_err(store_error)?;
        self.shared.watch.set_server(id, None);
        Ok(deleted.rows_affected() > 0)
    }

    async fn key_ring(&self, id: &str) -> Result<Option<KeyRing>, StoreError> {
        let row = sqlx::query("SELECT key_ring FROM servers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.shared.pool())
            .await
            .map_err(store_error)?;
        row.map(|row| open_ring(&self.shared.keys, id, &column::<String>(&row, "key_ring")?))
            .transpose()
    }

    async fn save_key_ring(&self, id: &str, ring: KeyRing, expected_revision: u64) -> Result<Saved, StoreError> {
        let revision = ring.revision();
        let row = sqlx::query(
            "UPDATE servers SET key_ring = $1, keys_revision = $2 WHERE id = $3 AND keys_revision = $4 RETURNING revision",
        )
        .bind(seal_ring(&self.shared.keys, id, &ring)?)
        .bind(revision_to_db(revision)?)
        .bind(id)
        .bind(revision_to_db(expected_revision)?)
        .fetch_optional(self.shared.pool())
        .await
        .map_err(store_error)?;
        match row {
            Some(row) => {
                let config = revision_from_db(row.try_get("revision").map_err(|e| corrupt("row", e))?)?;
                self.shared
                    .watch
                    .set_server(id, Some(Revisions { config, keys: revision }));
                Ok(Saved::Saved { revision })
            }
            None if self.exists(id).await? => Ok(Saved::Stale),
            None => Ok(Saved::Missing),
        }
    }
}

/// Where a key's sealed private key belongs: its server and `kid`.
fn seal_context(server_id: &str, kid: &str) -> String {
    format!("authserver key ring\0{server_id}\0{kid}")
}

/// The keys of a serialized ring, each `{…, "kid", "private": {…}}`.
fn ring_keys(ring: &mut Value) -> Result<&mut Vec<Value>, StoreError> {
    ring.get_mut("keys")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| corrupt("key ring", "a key ring without keys"))
}

fn kid_of(key: &Value) -> Result<String, StoreError> {
    key.get("kid")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| corrupt("key ring", "a key without a kid"))
}

/// The ring as stored: its JSON with every PKCS#8 private key replaced by
/// `{"type": "sealed", "sealed": "v1.…"}`. Keys held elsewhere (`external`) are kept as they are.
fn seal_ring(keys: &KeyEncryptionKeys, server_id: &str, ring: &KeyRing) -> Result<String, StoreError> {
    let mut value = serde_json::to_value(ring).map_err(|error| corrupt("key ring", error))?;
    for key in ring_keys(&mut value)? {
        let kid = kid_of(key)?;
        let Some(private) = key.get_mut("private") else {
            continue;
        };
        if private.get("type").and_then(Value::as_str) != Some("pkcs8") {
            continue;
        }
        let der = private
            .get_mut("der")
            .map(Value::take)
            .and_then(|der| der.as_str().map(|text| Zeroizing::new(text.to_owned())))
            .and_then(|text| b64_decode(text.as_bytes()).map(Zeroizing::new))
            .ok_or_else(|| corrupt("key ring", "a PKCS#8 key without DER"))?;
        let sealed = keys
            .seal(&seal_context(server_id, &kid), &der)
            .map_err(|error| StoreError::Other(Box::new(error)))?;
        *private = serde_json::json!({"type": "sealed", "sealed": sealed.encode()});
    }
    to_json("key ring", &value)
}

/// Opens a stored ring: unseals its private keys and checks the ring's invariants.
fn open_ring(keys: &KeyEncryptionKeys, server_id: &str, stored: &str) -> Result<KeyRing, StoreError> {
    let mut value: Value = from_json("key ring", stored)?;
    for key in ring_keys(&mut value)? {
        let kid = kid_of(key)?;
        let Some(private) = key.get_mut("private") else {
            continue;
        };
        let Some(sealed) = sealed_of(private)? else { continue };
        let der = keys
            .open(&seal_context(server_id, &kid), &sealed)
            .map_err(|error| corrupt("sealed private key", error))?;
        *private = serde_json::json!({"type": "pkcs8", "der": b64_encode(der.as_slice())});
    }
    serde_json::from_value(value).map_err(|error| corrupt("key ring", error))
}

/// The sealed value of a stored private key, if it is sealed.
fn sealed_of(private: &Value) -> Result<Option<Sealed>, StoreError> {
    if private.get("type").and_then(Value::as_str) != Some("sealed") {
        return Ok(None);
    }
    let text = private
        .get("sealed")
        .and_then(Value::as_str)
        .ok_or_else(|| corrupt("key ring", "a sealed key without its value"))?;
    Sealed::decode(text)
        .map(Some)
        .map_err(|error| corrupt("sealed private key", error))
}

/// Whether a stored ring holds a key sealed under another KEK than the current one.
fn has_stale_seal(keys: &KeyEncryptionKeys, stored: &str) -> Result<bool, StoreError> {
    let mut value: Value = from_json("key ring", stored)?;
    for key in ring_keys(&mut value)? {
        if let Some(sealed) = key.get("private").map(sealed_of).transpose()?.flatten() {
            if !keys.is_current(&sealed) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyMaterial, RotationSettings};
    use crate::store::sealing::KeyEncryptionKey;
    use time::macros::datetime;

    fn ring() -> KeyRing {
        let keys = crate::keys::SoftwareKeys;
        KeyRing::new(
            keys.generate(crate::jose::Algorithm::ES256).unwrap(),
            keys.generate(crate::jose::Algorithm::ES256).unwrap(),
            crate::model::RotationMode::Auto,
            &RotationSettings::default(),
            datetime!(2026-01-01 0:00 UTC),
        )
    }

    #[test]
    fn a_stored_ring_holds_no_private_key_and_opens_back() {
        let keys = KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([3; 32]));
        let ring = ring();
        let stored = seal_ring(&keys, "default", &ring).unwrap();
        let plain = serde_json::to_string(&ring).unwrap();
        let der = serde_json::to_value(&ring).unwrap()["keys"][0]["private"]["der"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(plain.contains(&der));
        assert!(!stored.contains(&der), "the DER is not in the stored ring");
        assert!(!stored.contains("pkcs8"));
        assert_eq!(open_ring(&keys, "default", &stored).unwrap(), ring);
        assert!(
            open_ring(&keys, "other", &stored).is_err(),
            "a ring copied to another server does not open"
        );
        let other = KeyEncryptionKeys::new(KeyEncryptionKey::from_bytes([4; 32]));
        assert!(
            open_ring(&other, "default", &stored).is_err(),
            "another KEK cannot open it"
        );
        assert!(!has_stale_seal(&keys, &stored).unwrap());
        assert!(has_stale_seal(&other.with_previous(KeyEncryptionKey::from_bytes([3; 32])), &stored).unwrap());
    }
}

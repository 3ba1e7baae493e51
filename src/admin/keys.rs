//! Signing keys: list, get, rotate (Okta Authorization Servers API,
//! `/api/v1/authorizationServers/{id}/credentials/…`), and [`ManagementApi::rotate_keys_if_due`].
//!
//! The key ring is a document of its own, saved with compare-and-swap on its revision
//! ([`ConfigStore::save_key_ring`]); rotating keys or switching the rotation mode is not a
//! configuration change and revokes nothing.
//!
//! Choices where Okta's documents disagree or are silent:
//! * The key list is a JSON array, as the current management API returns it
//!   (`listAuthorizationServerKeys`, whose SDKs read an array); Okta's 2017 OAuth 2.0 API
//!   reference wraps it in `{"keys": […]}`. Each key is its public JWK plus `status` and
//!   `_links.self`, as in both.
//! * The list shows the keys the JWKS publishes: `ACTIVE`, `NEXT`, and `EXPIRED` keys still
//!   within their retention.
//! * `keyRotate` needs `{"use": "sig"}`; any other or no `use` (an absent body included) is
//!   `400 E0000001 Api validation failed: rotateKeys` with the cause exactly as Okta's example
//!   prints it (`Invalid value specified for key 'use' parameter`). A body that is not JSON is
//!   `E0000003`.
//! * An unknown `kid` is `404 E0000007 … (AuthorizationServerKey)`.
//! * Every key is of the server's algorithm (`credentials.signing.alg`, this library's
//!   extension): a rotation generates the new `NEXT` key with the algorithm of the key that
//!   becomes `ACTIVE`. After the server's algorithm changed, the `EXPIRED` keys of the old one
//!   are listed, with their own `alg`, until their retention ends.

use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::links::{link, server_href};
use super::servers::SERVER_KIND;
use super::{Answer, ApiError, ApiErrorCode, ApiRequest, FieldError, ManagementApi, Method, SAVE_ATTEMPTS, respond};
use crate::jose::{Algorithm, Jwk};
use crate::keys::{KeyRecord, KeyRing, KeyStatus, NewKey, RotationMode, generate_off_executor};
use crate::store::{ConfigStore, Directory, Saved};

/// The cause Okta gives for a `keyRotate` request whose `use` is not `sig` (the Okta Management
/// API's `InvalidRotateUse` example).
const INVALID_USE: &str = "Invalid value specified for key 'use' parameter";

/// A signing key of an authorization server as the management API shows it (the key store
/// object of the Okta Authorization Servers API): its public JWK, with `kid`, `alg` and `use`
/// always given, its `status` and a `self` link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerKey {
    /// The public key.
    #[serde(flatten)]
    pub jwk: Jwk,
    /// `ACTIVE`, `NEXT` or `EXPIRED`.
    pub status: KeyStatus,
    /// `{"self": …}`.
    #[serde(rename = "_links")]
    pub links: Value,
}

/// A second handle on a generated key, so a rotation that lost a compare-and-swap race can be
/// retried with the same key instead of generating another.
fn copy_key(key: &NewKey) -> NewKey {
    NewKey {
        private: key.private.clone(),
        signer: key.signer.clone(),
    }
}

/// `400 E0000001 Api validation failed: rotateKeys`, with Okta's cause.
fn invalid_use() -> ApiError {
    ApiError::new(ApiErrorCode::ValidationFailed, "Api validation failed: rotateKeys")
        .with_causes(vec![FieldError::new("", INVALID_USE)])
}

/// Checks a `keyRotate` body: `{"use": "sig"}`.
fn check_rotate_body(body: Option<&[u8]>) -> Result<(), ApiError> {
    let bytes = body.ok_or_else(invalid_use)?;
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::malformed_body())?;
    match value.get("use").and_then(Value::as_str) {
        Some("sig") => Ok(()),
        _ => Err(invalid_use()),
    }
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// `GET /api/v1/authorizationServers/{serverId}/credentials/keys`: the keys the server
    /// publishes (`ACTIVE`, `NEXT`, and `EXPIRED` keys within their retention).
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn list_keys(&self, server_id: &str) -> Result<Vec<ServerKey>, ApiError> {
        let ring = self.key_ring_of(server_id).await?;
        Ok(self.shown_keys(server_id, &ring))
    }

    /// `GET /api/v1/authorizationServers/{serverId}/credentials/keys/{kid}`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server or key; `E0000009` when the store fails.
    pub async fn get_key(&self, server_id: &str, kid: &str) -> Result<ServerKey, ApiError> {
        let ring = self.key_ring_of(server_id).await?;
        let record = ring
            .key(kid)
            .ok_or_else(|| ApiError::not_found(kid, "AuthorizationServerKey"))?;
        Ok(self.show_key(server_id, record))
    }

    /// `POST /api/v1/authorizationServers/{serverId}/credentials/lifecycle/keyRotate` (with
    /// `{"use": "sig"}`): the `ACTIVE` key expires, `NEXT` becomes `ACTIVE` and a new `NEXT` is
    /// generated. Answers the keys after the rotation.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails, a key cannot be
    /// generated, or other writers keep winning.
    pub async fn rotate_keys(&self, server_id: &str) -> Result<Vec<ServerKey>, ApiError> {
        let mut key = self
            .generate_key(self.key_ring_of(server_id).await?.rotation_algorithm())
            .await?;
        for _ in 0..SAVE_ATTEMPTS {
            let mut ring = self.key_ring_of(server_id).await?;
            if key.signer.algorithm() != ring.rotation_algorithm() {
                // The server's algorithm changed meanwhile.
                key = self.generate_key(ring.rotation_algorithm()).await?;
            }
            let expected = ring.revision();
            ring.rotate(copy_key(&key), &self.rotation, self.now());
            match self.config.save_key_ring(server_id, ring.clone(), expected).await? {
                Saved::Saved { .. } => return Ok(self.shown_keys(server_id, &ring)),
                Saved::Stale => continue,
                Saved::Missing => return Err(ApiError::not_found(server_id, SERVER_KIND)),
            }
        }
        Err(ApiError::internal())
    }

    /// Rotates server `server_id`'s keys if its ring is in `AUTO` mode and `nextRotation` has
    /// passed, and drops `EXPIRED` keys whose retention has ended. Returns whether it rotated.
    /// Safe to call from many places at once: when another caller saved the ring first, the
    /// fresh ring is checked again (and is then normally no longer due).
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails, keys cannot be
    /// generated, or other writers keep winning.
    pub async fn rotate_keys_if_due(&self, server_id: &str) -> Result<bool, ApiError> {
        let mut generated: Option<NewKey> = None;
        for _ in 0..SAVE_ATTEMPTS {
            let mut ring = self.key_ring_of(server_id).await?;
            let expected = ring.revision();
            let now = self.now();
            if !ring.rotation_due(now) {
                if ring.drop_retired(&self.rotation, now) {
                    // A lost race is fine: the keys are dropped by a later call.
                    match self.config.save_key_ring(server_id, ring, expected).await? {
                        Saved::Missing => return Err(ApiError::not_found(server_id, SERVER_KIND)),
                        Saved::Saved { .. } | Saved::Stale => {}
                    }
                }
                return Ok(false);
            }
            let key = match generated.take() {
                Some(key) if key.signer.algorithm() == ring.rotation_algorithm() => key,
                _ => self.generate_key(ring.rotation_algorithm()).await?,
            };
            ring.rotate(copy_key(&key), &self.rotation, now);
            match self.config.save_key_ring(server_id, ring, expected).await? {
                Saved::Saved { .. } => return Ok(true),
                Saved::Stale => generated = Some(key),
                Saved::Missing => return Err(ApiError::not_found(server_id, SERVER_KIND)),
            }
        }
        Err(ApiError::internal())
    }

    /// Routes `/api/v1/authorizationServers/{id}/credentials/…`.
    pub(super) async fn route_keys(&self, request: &ApiRequest<'_>, server_id: &str, rest: &[&str]) -> Answer {
        match (request.method, rest) {
            (Method::Get, ["keys"]) => respond(200, &self.list_keys(server_id).await?),
            (Method::Get, ["keys", kid]) => respond(200, &self.get_key(server_id, kid).await?),
            (Method::Post, ["lifecycle", "keyRotate"]) => {
                self.key_ring_of(server_id).await?;
                check_rotate_body(request.body)?;
                respond(200, &self.rotate_keys(server_id).await?)
            }
            (_, ["keys"] | ["keys", _] | ["lifecycle", "keyRotate"]) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// A new signing key for `algorithm`, generated on the CPU pool. A key of another
    /// algorithm (from a host's [`KeyMaterial`](crate::keys::KeyMaterial) that ignored the
    /// request) is refused as an internal error.
    pub(super) async fn generate_key(&self, algorithm: Algorithm) -> Result<NewKey, ApiError> {
        let key = generate_off_executor(&self.cpu, self.key_material.clone(), algorithm)
            .await
            .map_err(|_| ApiError::internal())?;
        if key.signer.algorithm() != algorithm {
            return Err(ApiError::internal());
        }
        Ok(key)
    }

    /// A new key ring (`ACTIVE` and `NEXT` keys of `algorithm`) for a server created at `now`.
    pub(super) async fn new_key_ring(
        &self,
        mode: RotationMode,
        algorithm: Algorithm,
        now: OffsetDateTime,
    ) -> Result<KeyRing, ApiError> {
        let active = self.generate_key(algorithm).await?;
        let next = self.generate_key(algorithm).await?;
        Ok(KeyRing::new(active, next, mode, &self.rotation, now))
    }

    /// Switches server `server_id` to sign with `algorithm`: nothing when its `ACTIVE` and
    /// `NEXT` keys already do, otherwise a rotation to two new keys of `algorithm`
    /// ([`KeyRing::switch_algorithm`]).
    pub(super) async fn switch_algorithm(&self, server_id: &str, algorithm: Algorithm) -> Result<(), ApiError> {
        let mut keys: Option<(NewKey, NewKey)> = None;
        for _ in 0..SAVE_ATTEMPTS {
            let mut ring = self.key_ring_of(server_id).await?;
            if ring.signs_with(algorithm) {
                return Ok(());
            }
            let (active, next) = match keys.take() {
                Some(keys) => keys,
                None => (self.generate_key(algorithm).await?, self.generate_key(algorithm).await?),
            };
            let expected = ring.revision();
            ring.switch_algorithm(copy_key(&active), copy_key(&next), &self.rotation, self.now());
            match self.config.save_key_ring(server_id, ring, expected).await? {
                Saved::Saved { .. } => return Ok(()),
                Saved::Stale => keys = Some((active, next)),
                Saved::Missing => return Err(ApiError::not_found(server_id, SERVER_KIND)),
            }
        }
        Err(ApiError::internal())
    }

    /// Switches server `server_id`'s rotation mode, keeping its `ACTIVE` key.
    pub(super) async fn set_rotation_mode(&self, server_id: &str, mode: RotationMode) -> Result<(), ApiError> {
        for _ in 0..SAVE_ATTEMPTS {
            let mut ring = self.key_ring_of(server_id).await?;
            if ring.rotation_mode() == mode {
                return Ok(());
            }
            let expected = ring.revision();
            ring.set_mode(mode, &self.rotation, self.now());
            match self.config.save_key_ring(server_id, ring, expected).await? {
                Saved::Saved { .. } => return Ok(()),
                Saved::Stale => continue,
                Saved::Missing => return Err(ApiError::not_found(server_id, SERVER_KIND)),
            }
        }
        Err(ApiError::internal())
    }

    /// The key ring of server `server_id`, or `E0000007`.
    async fn key_ring_of(&self, server_id: &str) -> Result<KeyRing, ApiError> {
        self.config
            .key_ring(server_id)
            .await?
            .ok_or_else(|| ApiError::not_found(server_id, SERVER_KIND))
    }

    /// The published keys of `ring` (`ACTIVE`, `NEXT`, `EXPIRED` within retention) as the
    /// management API lists them.
    fn shown_keys(&self, server_id: &str, ring: &KeyRing) -> Vec<ServerKey> {
        let published = ring.jwks(&self.rotation, self.now());
        ring.keys()
            .iter()
            .filter(|record| published.find(&record.kid).is_some())
            .map(|record| self.show_key(server_id, record))
            .collect()
    }

    /// One key: its public JWK (with `kid`, `alg` and `use`), `status` and a `self` link.
    fn show_key(&self, server_id: &str, record: &KeyRecord) -> ServerKey {
        let mut jwk = record.public_jwk.clone();
        jwk.kid.get_or_insert_with(|| record.kid.clone());
        jwk.alg.get_or_insert_with(|| record.algorithm.as_str().to_owned());
        jwk.key_use.get_or_insert_with(|| "sig".to_owned());
        let href = format!(
            "{}/credentials/keys/{}",
            server_href(&self.base_url, server_id),
            record.kid
        );
        ServerKey {
            jwk,
            status: record.status,
            links: json!({ "self": link(href, &[Method::Get]) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::Duration;

    use crate::admin::tests::{TestApi, api, call, call_raw, with_default_server};
    use crate::admin::{ApiResponse, Method};
    use crate::keys::{KeyRing, RotationMode, RotationSettings};
    use crate::store::ConfigStore;

    const KEYS: &str = "/api/v1/authorizationServers/default/credentials/keys";
    const ROTATE: &str = "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate";

    async fn ring(api: &TestApi) -> KeyRing {
        api.config.key_ring("default").await.unwrap().unwrap()
    }

    fn statuses(response: &ApiResponse) -> Vec<(String, String)> {
        response
            .body
            .as_ref()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|key| {
                (
                    key["kid"].as_str().unwrap().to_owned(),
                    key["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn pair(kid: &str, status: &str) -> (String, String) {
        (kid.to_owned(), status.to_owned())
    }

    #[tokio::test]
    async fn keys_are_listed_with_status_and_self_links() {
        // Seed 003 "Get Authorization Server Keys": each key is its public JWK plus `status`
        // and a `self` link allowing GET.
        let (api, _) = api();
        with_default_server(&api).await;
        let ring = ring(&api).await;
        let response = call(&api, Method::Get, KEYS, None).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            statuses(&response),
            [pair(&ring.active().kid, "ACTIVE"), pair(&ring.next_key().kid, "NEXT")]
        );
        let keys = response.body.unwrap();
        for key in keys.as_array().unwrap() {
            let kid = key["kid"].as_str().unwrap();
            assert_eq!(key["use"], "sig");
            assert_eq!(key["alg"], "EdDSA");
            assert_eq!(key["kty"], "OKP");
            assert_eq!(
                key["_links"],
                json!({"self": {"href": format!("https://id.example.com{KEYS}/{kid}"), "hints": {"allow": ["GET"]}}})
            );
            let one = call(&api, Method::Get, &format!("{KEYS}/{kid}"), None).await;
            assert_eq!(one.status, 200);
            assert_eq!(&one.body.unwrap(), key);
        }
        let server = call(&api, Method::Get, "/api/v1/authorizationServers/default", None)
            .await
            .body
            .unwrap();
        assert_eq!(
            server["credentials"]["signing"]["kid"], keys[0]["kid"],
            "the ACTIVE key signs"
        );

        let unknown = call(&api, Method::Get, &format!("{KEYS}/nope"), None).await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            unknown.body.unwrap()["errorSummary"],
            "Not found: Resource not found: nope (AuthorizationServerKey)"
        );
    }

    #[tokio::test]
    async fn rsa_keys_have_the_seed_shape() {
        // Seed 003's keys: exactly status, alg RS256, e, n, kid, kty RSA, use sig, _links.
        let (api, _) = api();
        let api = api.with_rotation_settings(RotationSettings::default());
        api.ensure_default_server().await.unwrap();
        let keys = call(&api, Method::Get, KEYS, None).await.body.unwrap();
        for key in keys.as_array().unwrap() {
            let mut names: Vec<&str> = key.as_object().unwrap().keys().map(String::as_str).collect();
            names.sort_unstable();
            assert_eq!(names, ["_links", "alg", "e", "kid", "kty", "n", "status", "use"]);
            assert_eq!(
                (&key["alg"], &key["kty"], &key["e"]),
                (&json!("RS256"), &json!("RSA"), &json!("AQAB"))
            );
        }
    }

    #[tokio::test]
    async fn rotation_moves_the_statuses_and_keeps_the_old_key_listed() {
        // Seed 003 "Rotate Authorization Server Keys": ACTIVE → EXPIRED, NEXT → ACTIVE, a new
        // NEXT; the response is the key list. Rotating keys is no configuration change.
        let (api, clock) = api();
        with_default_server(&api).await;
        let before = ring(&api).await;
        let config_before = api.config.load("default").await.unwrap().unwrap();
        clock.advance(Duration::days(3));

        let response = call(&api, Method::Post, ROTATE, Some(json!({"use": "sig"}))).await;
        assert_eq!(response.status, 200);
        let after = ring(&api).await;
        assert_eq!(after.active().kid, before.next_key().kid);
        assert_ne!(after.next_key().kid, before.active().kid);
        assert_ne!(after.next_key().kid, before.next_key().kid);
        let expected = [
            pair(&before.next_key().kid, "ACTIVE"),
            pair(&after.next_key().kid, "NEXT"),
            pair(&before.active().kid, "EXPIRED"),
        ];
        assert_eq!(statuses(&response), expected);
        assert_eq!(statuses(&call(&api, Method::Get, KEYS, None).await), expected);
        let expired = call(&api, Method::Get, &format!("{KEYS}/{}", before.active().kid), None).await;
        assert_eq!(expired.body.unwrap()["status"], "EXPIRED");

        let server = call(&api, Method::Get, "/api/v1/authorizationServers/default", None)
            .await
            .body
            .unwrap();
        assert_eq!(server["credentials"]["signing"]["kid"], before.next_key().kid.as_str());
        assert_eq!(
            server["credentials"]["signing"]["lastRotated"],
            "2024-01-04T00:00:00.000Z"
        );
        assert_eq!(
            api.config.load("default").await.unwrap().unwrap(),
            config_before,
            "changed_at not stamped"
        );

        // Once its retention (one day by default) has passed, the EXPIRED key is no longer listed.
        clock.advance(Duration::days(2));
        assert_eq!(statuses(&call(&api, Method::Get, KEYS, None).await), expected[..2]);
    }

    #[tokio::test]
    async fn rotation_needs_use_sig_and_changes_nothing_otherwise() {
        // Reference §2.3 / [MGMT InvalidRotateUse]: 400 E0000001 "Api validation failed:
        // rotateKeys", cause "Invalid value specified for key 'use' parameter".
        let (api, _) = api();
        with_default_server(&api).await;
        let before = ring(&api).await;
        for body in [
            Some(json!({"use": "enc"})),
            Some(json!({})),
            Some(json!({"use": 5})),
            Some(json!([])),
            None,
        ] {
            let response = call(&api, Method::Post, ROTATE, body.clone()).await;
            assert_eq!(response.status, 400, "{body:?}");
            let error = response.body.unwrap();
            assert_eq!(error["errorCode"], "E0000001");
            assert_eq!(error["errorSummary"], "Api validation failed: rotateKeys");
            assert_eq!(
                error["errorCauses"],
                json!([{"errorSummary": "Invalid value specified for key 'use' parameter"}])
            );
        }
        let response = call_raw(&api, Method::Post, ROTATE, b"{use").await;
        assert_eq!(response.body.unwrap()["errorCode"], "E0000003");
        assert_eq!(ring(&api).await, before);
    }

    #[tokio::test]
    async fn rotate_keys_if_due_follows_the_auto_schedule() {
        // Reference §3.9: AUTO rotates every 90 days; MANUAL only through keyRotate.
        let (api, clock) = api();
        with_default_server(&api).await;
        let before = ring(&api).await;
        clock.advance(Duration::days(89));
        assert!(!api.rotate_keys_if_due("default").await.unwrap());
        assert_eq!(ring(&api).await, before);

        clock.advance(Duration::days(1));
        assert!(api.rotate_keys_if_due("default").await.unwrap());
        let rotated = ring(&api).await;
        assert_eq!(rotated.active().kid, before.next_key().kid);
        assert_eq!(rotated.keys().len(), 3);
        assert!(
            !api.rotate_keys_if_due("default").await.unwrap(),
            "not due again for 90 days"
        );

        // After the retention the EXPIRED key is dropped from the ring.
        clock.advance(Duration::days(1));
        assert!(!api.rotate_keys_if_due("default").await.unwrap());
        assert_eq!(ring(&api).await.keys().len(), 2);

        assert_eq!(
            api.rotate_keys_if_due("ausUnknown").await.unwrap_err().code.as_str(),
            "E0000007"
        );
    }

    #[tokio::test]
    async fn manual_rings_are_never_due() {
        let (api, clock) = api();
        with_default_server(&api).await;
        api.set_rotation_mode("default", RotationMode::Manual).await.unwrap();
        clock.advance(Duration::days(365));
        assert!(!api.rotate_keys_if_due("default").await.unwrap());
        assert_eq!(ring(&api).await.rotation_mode(), RotationMode::Manual);
        // Manual rotation still works in MANUAL mode (seed 003).
        assert_eq!(
            call(&api, Method::Post, ROTATE, Some(json!({"use": "sig"})))
                .await
                .status,
            200
        );
    }

    #[tokio::test]
    async fn concurrent_due_rotations_rotate_once() {
        let (api, clock) = api();
        with_default_server(&api).await;
        clock.advance(Duration::days(90));
        let (a, b) = tokio::join!(api.rotate_keys_if_due("default"), api.rotate_keys_if_due("default"));
        assert_eq!([a.unwrap(), b.unwrap()].iter().filter(|rotated| **rotated).count(), 1);
        let expired = ring(&api)
            .await
            .keys()
            .iter()
            .filter(|k| k.status == crate::keys::KeyStatus::Expired)
            .count();
        assert_eq!(expired, 1);
    }

    #[tokio::test]
    async fn rotation_settings_are_kept_within_bounds() {
        // Issue 14: a huge interval made creating a server panic (scheduling its first rotation
        // overflowed the timestamp), and a zero or negative interval would rotate on every
        // check. The settings are clamped to one hour … five years.
        let (api, clock) = api();
        let hostile = RotationSettings {
            interval: Duration::MAX,
            expired_retention: Duration::MAX,
            ..*api.rotation()
        };
        let api = api.with_rotation_settings(hostile);
        assert_eq!(api.rotation().interval, crate::admin::MAX_ROTATION_PERIOD);
        assert_eq!(api.rotation().expired_retention, crate::admin::MAX_ROTATION_PERIOD);
        api.ensure_default_server().await.unwrap();
        assert_eq!(
            call(&api, Method::Post, ROTATE, Some(json!({"use": "sig"})))
                .await
                .status,
            200
        );
        clock.advance(Duration::days(5 * 366));
        assert!(api.rotate_keys_if_due("default").await.unwrap());

        let (api, clock) = crate::admin::tests::api();
        let negative = RotationSettings {
            interval: Duration::seconds(-5),
            expired_retention: Duration::seconds(-5),
            ..*api.rotation()
        };
        let api = api.with_rotation_settings(negative);
        assert_eq!(api.rotation().interval, Duration::hours(1));
        assert_eq!(api.rotation().expired_retention, Duration::ZERO);
        api.ensure_default_server().await.unwrap();
        assert!(!api.rotate_keys_if_due("default").await.unwrap(), "not due at once");
        clock.advance(Duration::hours(1));
        assert!(api.rotate_keys_if_due("default").await.unwrap());
    }

    #[tokio::test]
    async fn unsupported_methods_and_paths() {
        let (api, _) = api();
        with_default_server(&api).await;
        let code = |response: ApiResponse| response.body.unwrap()["errorCode"].clone();
        assert_eq!(
            code(call(&api, Method::Post, KEYS, None).await),
            Value::from("E0000022")
        );
        assert_eq!(
            code(call(&api, Method::Get, ROTATE, None).await),
            Value::from("E0000022")
        );
        let other = "/api/v1/authorizationServers/default/credentials/other";
        assert_eq!(
            code(call(&api, Method::Get, other, None).await),
            Value::from("E0000008")
        );
    }
}

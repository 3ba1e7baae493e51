//! The authorization server object (`/api/v1/authorizationServers/{id}`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Links, Status, lenient, timestamp};
use crate::jose::Algorithm;

/// A custom authorization server, in Okta's JSON shape.
///
/// `audiences` accepts a single string on input (Okta's 2017 OAuth 2.0 API reference prints one)
/// and is always written as an array. Okta supports only one audience; enforcing that is the
/// management layer's job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationServer {
    /// Server id (`aus…`, or `default`); empty on create requests, then omitted on output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Display name (required on create).
    pub name: String,
    /// Description (required on create by Okta; optional here so requests can be validated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Token audiences; the first becomes the access token's `aud`.
    #[serde(default, deserialize_with = "lenient::string_or_vec")]
    pub audiences: Vec<String>,
    /// The issuer URL (read-only, computed from `issuerMode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Which base URL the issuer uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_mode: Option<IssuerMode>,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default)]
    pub status: Status,
    /// Read-only `true` for the `default` server; omitted when unknown.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::option_bool"
    )]
    pub default: Option<bool>,
    /// Creation time (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Last modification time (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_updated: Option<OffsetDateTime>,
    /// Signing-key configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// HAL links (`scopes`, `claims`, `policies`, `self`, `metadata`, `rotateKey`, lifecycle).
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

/// `issuerMode`: which domain the `issuer` (and token `iss`) uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IssuerMode {
    /// The Okta org domain.
    OrgUrl,
    /// The configured custom domain.
    CustomUrl,
    /// Whichever domain the request arrived on.
    Dynamic,
}

/// `credentials` of an authorization server.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Credentials {
    /// The signing-key configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<SigningCredentials>,
}

/// `credentials.signing`: the current signing key, its algorithm and its rotation schedule
/// (Okta's `AuthorizationServerCredentialsSigningConfig`, plus `alg`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCredentials {
    /// Id of the ACTIVE signing key (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `AUTO` or `MANUAL` (the only updatable field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_mode: Option<RotationMode>,
    /// When the current key started signing (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_rotated: Option<OffsetDateTime>,
    /// When the key rotates next; only reported in `AUTO` mode (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub next_rotation: Option<OffsetDateTime>,
    /// Key use; only `sig` exists.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<KeyUse>,
    /// The algorithm the server signs tokens with: `RS256` (Okta's, the default), `PS256`,
    /// `ES256` or `EdDSA`. An extension of this library to Okta's
    /// `AuthorizationServerCredentialsSigningConfig`, which has no such field (Okta always signs
    /// with `RS256`): writable on create and replace, always reported. Without it, a new server
    /// signs with the host's default ([`RotationSettings::algorithm`](crate::keys::RotationSettings)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<Algorithm>,
}

/// Signing-key rotation mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RotationMode {
    /// Okta-style automatic rotation (the default).
    #[default]
    Auto,
    /// Rotation only through `keyRotate`.
    Manual,
}

/// JWK `use` of a signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyUse {
    /// Signature.
    #[serde(rename = "sig")]
    Sig,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// Seed 003 "Authorization Server Object", with its JSON syntax repaired: the seed closes
    /// `_links` early (so `self`, `metadata`, `rotateKey` and `deactivate` fall outside it); they
    /// are moved back inside. Values are unchanged.
    fn seed_server() -> Value {
        let link = |href: &str, allow: &[&str]| json!({"href": href, "hints": {"allow": allow}});
        json!({
          "id": "ausain6z9zIedDCxB0h7",
          "name": "Sample Authorization Server",
          "description": "Authorization Server Description",
          "audiences": "https://api.resource.com",
          "issuer": "https://${org}.okta.com/oauth2/ausain6z9zIedDCxB0h7",
          "status": "ACTIVE",
          "created": "2017-05-17T22:25:57.000Z",
          "lastUpdated": "2017-05-17T22:25:57.000Z",
          "credentials": {
            "signing": {
              "rotationMode": "AUTO",
              "lastRotated": "2017-05-17T22:25:57.000Z",
              "nextRotation": "2017-08-15T22:25:57.000Z",
              "kid": "WYQxoK4XAwGFn5Zw5AzLxFvqEKLP79BbsKmWeuc5TB4"
            }
          },
          "_links": {
            "scopes": link("https://${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/scopes", &["GET"]),
            "claims": link("https://${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/claims", &["GET"]),
            "policies": link("https://${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/policies", &["GET"]),
            "self": link("https:${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7", &["GET", "DELETE", "PUT"]),
            "metadata": [
              {"name": "oauth-authorization-server", "href": "https:${org}.okta.com/oauth2/ausain6z9zIedDCxB0h7/.well-known/oauth-authorization-server", "hints": {"allow": ["GET"]}},
              {"name": "openid-configuration", "href": "${org}.okta.com/oauth2/ausain6z9zIedDCxB0h7/.well-known/openid-configuration", "hints": {"allow": ["GET"]}}
            ],
            "rotateKey": link("https://${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/credentials/lifecycle/keyRotate", &["POST"]),
            "deactivate": link("https://${org}.okta.com/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/lifecycle/deactivate", &["POST"])
          }
        })
    }

    #[test]
    fn seed_003_server_round_trips() {
        let seed = seed_server();
        let server: AuthorizationServer = serde_json::from_value(seed.clone()).unwrap();
        assert_eq!(server.audiences, vec!["https://api.resource.com".to_string()]);
        assert_eq!(server.status, Status::Active);
        let signing = server.credentials.as_ref().unwrap().signing.as_ref().unwrap();
        assert_eq!(signing.rotation_mode, Some(RotationMode::Auto));
        // Only normalisation: the single-string audience is written as an array.
        let mut expected = seed;
        expected["audiences"] = json!(["https://api.resource.com"]);
        assert_eq!(serde_json::to_value(&server).unwrap(), expected);
    }

    #[test]
    fn current_api_shape_round_trips_exactly() {
        let v = json!({
            "id": "default",
            "name": "default",
            "description": "Default Authorization Server for your Applications",
            "audiences": ["api://default"],
            "issuer": "https://example.okta.com/oauth2/default",
            "issuerMode": "DYNAMIC",
            "status": "INACTIVE",
            "default": true,
            "created": "2017-05-17T22:25:57.000Z",
            "lastUpdated": "2017-05-17T22:25:57.000Z",
            "credentials": {"signing": {"kid": "k1", "rotationMode": "MANUAL", "use": "sig", "alg": "PS256"}}
        });
        let s: AuthorizationServer = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(s.issuer_mode, Some(IssuerMode::Dynamic));
        let signing = s.credentials.as_ref().and_then(|c| c.signing.as_ref()).unwrap();
        assert_eq!(signing.alg, Some(Algorithm::PS256), "the `alg` extension");
        assert_eq!(serde_json::to_value(&s).unwrap(), v);
    }

    #[test]
    fn create_request_without_read_only_fields() {
        let s: AuthorizationServer = serde_json::from_value(json!({
            "name": "n", "description": "d", "audiences": ["api://x"]
        }))
        .unwrap();
        assert!(s.id.is_empty());
        assert_eq!(s.status, Status::Active);
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"name": "n", "description": "d", "audiences": ["api://x"], "status": "ACTIVE"})
        );
    }

    #[test]
    fn unknown_enum_values_are_errors() {
        for (field, value) in [
            ("issuerMode", json!("ORG")),
            ("status", json!("DELETED")),
            ("credentials", json!({"signing": {"rotationMode": "SOMETIMES"}})),
            ("credentials", json!({"signing": {"use": "enc"}})),
            ("credentials", json!({"signing": {"alg": "HS256"}})),
            ("credentials", json!({"signing": {"alg": "none"}})),
        ] {
            let mut v = json!({"name": "n", "audiences": []});
            v[field] = value;
            assert!(serde_json::from_value::<AuthorizationServer>(v).is_err(), "{field}");
        }
    }
}

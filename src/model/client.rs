//! OAuth clients in Okta's `/oauth2/v1/clients` shape (snake_case, RFC 7591 names).
//!
//! # Secrets
//!
//! A client secret is never stored in plaintext. Three types keep the forms apart:
//! * [`Client`]: the client as Okta reports it on `GET`; it has **no secret field at all**, so
//!   serializing it can never leak one.
//! * [`ClientRecord`]: what a store keeps: the [`Client`] plus the SHA-256 digest of its secret
//!   ([`SecretHash`], see [`crate::secret`]) and the modification time used for implicit token
//!   revocation.
//! * [`ClientCreated`]: the response to creating a client or rotating its secret, the only place
//!   the plaintext [`ClientSecret`] appears (Okta: "shown only on the response of the creation or
//!   update of a client app").
//!
//! Extensions beyond Okta's DCR shape: `status` (Okta keeps it on the app object) and
//! `refresh_token` (Okta's `settings.oauthClient.refresh_token`).

use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use super::{GrantType, Links, ResponseType, Status, timestamp};
use crate::secret::{ClientSecret, SecretHash};

/// An OAuth 2.0 / OpenID Connect client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// The client id; empty on create requests, then omitted on output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_id: String,
    /// When the id was issued, in Unix seconds (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id_issued_at: Option<i64>,
    /// Human-readable name (required).
    pub client_name: String,
    /// Home page of the client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    /// Logo shown on the consent screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    /// Registered redirect URIs, matched exactly.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs.
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Allowed response types (default `[code]`).
    #[serde(default = "default_response_types")]
    pub response_types: Vec<ResponseType>,
    /// Allowed grant types (default `[authorization_code]`).
    #[serde(default = "default_grant_types")]
    pub grant_types: Vec<GrantType>,
    /// How the client authenticates at the token endpoint (default `client_secret_basic`).
    #[serde(default)]
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// The kind of app (default `web`).
    #[serde(default)]
    pub application_type: ApplicationType,
    /// The client's public keys (a JWK Set) for `private_key_jwt`; parsed by `crate::jose`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// Where to fetch the client's JWK Set instead of `jwks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Third-party-initiated login URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiate_login_uri: Option<String>,
    /// Refresh-token rotation; `None` = the default for the application type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshTokenSettings>,
    /// `ACTIVE` (default) or `INACTIVE`; an inactive client gets no tokens.
    #[serde(default)]
    pub status: Status,
    /// HAL links.
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

impl Client {
    /// The effective refresh-token settings: the configured ones, or Okta's defaults (SPAs
    /// rotate, other apps keep a static token; leeway 30 s).
    pub fn refresh_token_settings(&self) -> RefreshTokenSettings {
        self.refresh_token.unwrap_or(RefreshTokenSettings {
            rotation_type: if self.application_type == ApplicationType::Browser {
                RotationType::Rotate
            } else {
                RotationType::Static
            },
            leeway: DEFAULT_LEEWAY_SECONDS,
        })
    }

    /// Whether the client may use `grant`.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// Whether the client is public (authenticates with `none`).
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }
}

fn default_response_types() -> Vec<ResponseType> {
    vec![ResponseType::Code]
}

fn default_grant_types() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode]
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// `token_endpoint_auth_method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    /// Public client, no authentication (PKCE required).
    None,
    /// HTTP Basic with id and secret (the default).
    #[default]
    ClientSecretBasic,
    /// Id and secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the secret (HMAC).
    ClientSecretJwt,
    /// A JWT signed with the client's private key.
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    /// Whether the method needs a client secret.
    pub const fn uses_secret(self) -> bool {
        matches!(
            self,
            Self::ClientSecretBasic | Self::ClientSecretPost | Self::ClientSecretJwt
        )
    }
}

/// `application_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// Server-side web app (the default).
    #[default]
    Web,
    /// Native / mobile app.
    Native,
    /// Single-page app.
    Browser,
    /// Machine-to-machine service.
    Service,
}

/// Default refresh-token rotation grace period, in seconds.
pub const DEFAULT_LEEWAY_SECONDS: u8 = 30;
/// Largest allowed rotation grace period, in seconds.
pub const MAX_LEEWAY_SECONDS: u8 = 60;

/// Refresh-token rotation settings (Okta's `settings.oauthClient.refresh_token`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshTokenSettings {
    /// `ROTATE` or `STATIC`.
    pub rotation_type: RotationType,
    /// Seconds a rotated token stays valid, 0–60 (default 30); larger values are rejected on
    /// input.
    #[serde(default = "default_leeway", deserialize_with = "leeway")]
    pub leeway: u8,
}

fn default_leeway() -> u8 {
    DEFAULT_LEEWAY_SECONDS
}

fn leeway<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let v = u64::deserialize(d)?;
    match u8::try_from(v) {
        Ok(v) if v <= MAX_LEEWAY_SECONDS => Ok(v),
        _ => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Unsigned(v),
            &"a leeway between 0 and 60 seconds",
        )),
    }
}

/// `rotation_type` of refresh tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RotationType {
    /// A new refresh token on every use (SPA default).
    Rotate,
    /// The same refresh token until it expires (default for other apps).
    Static,
}

/// Serde for an optional plaintext [`ClientSecret`] (it has no serde impls of its own, so that
/// it cannot end up in a stored record by accident).
mod plaintext_secret {
    use super::*;

    pub fn serialize<S: serde::Serializer>(v: &Option<ClientSecret>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(secret) => s.serialize_some(secret.expose()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ClientSecret>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(ClientSecret::from_received))
    }
}

/// The stored form of a client: the public view plus the secret hash and modification time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The client as reported by the API.
    #[serde(flatten)]
    pub client: Client,
    /// SHA-256 digest of the current secret ([`ClientSecret::verify`] checks a presented secret
    /// against it); `None` for clients without a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_hash: Option<SecretHash>,
    /// When the secret expires, in Unix seconds; `None` or `0` = never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    /// Last modification, for implicit revocation of tokens minted before it.
    #[serde(
        rename = "lastUpdated",
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::option"
    )]
    pub last_updated: Option<OffsetDateTime>,
}

/// The response to creating a client (or rotating its secret): the client and, once, its
/// plaintext secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientCreated {
    /// The client.
    #[serde(flatten)]
    pub client: Client,
    /// The new secret (absent for `none` and `private_key_jwt` clients).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "plaintext_secret")]
    pub client_secret: Option<ClientSecret>,
    /// When the secret expires in Unix seconds; Okta reports `0` = never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Okta OAuth API example `ClientResponseWeb` (without the secret, which `Client` lacks).
    fn okta_web_client() -> serde_json::Value {
        json!({
            "client_id": "0jrabyQWm4B9zVJPbotY",
            "client_id_issued_at": 1453913425,
            "client_name": "Example OAuth 2.0 client",
            "client_uri": "https://www.example.com",
            "logo_uri": "https://www.example.com/logo.png",
            "redirect_uris": ["https://www.example.com/oauth2/redirectUri"],
            "post_logout_redirect_uris": ["https://www.example.com/oauth2/postLogoutRedirectUri"],
            "response_types": ["id_token", "code"],
            "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_post",
            "application_type": "web",
            "initiate_login_uri": "https://www.example.com/oauth2/login",
            "status": "ACTIVE"
        })
    }

    #[test]
    fn okta_client_shape_round_trips() {
        let v = okta_web_client();
        let c: Client = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(c.token_endpoint_auth_method, TokenEndpointAuthMethod::ClientSecretPost);
        assert!(c.allows_grant(GrantType::AuthorizationCode));
        assert!(!c.allows_grant(GrantType::Password));
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }

    #[test]
    fn okta_service_client_with_nulls_parses() {
        // Okta `ClientResponseServiceJwks`: null URIs, empty redirects, a JWK set.
        let c: Client = serde_json::from_value(json!({
            "client_id": "0oanq59zytBKVwQQ80h7", "client_id_issued_at": 1570131438,
            "client_name": "Example service client", "client_uri": null, "logo_uri": null,
            "redirect_uris": [], "response_types": ["token"], "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt", "application_type": "service",
            "jwks": {"keys": [{"kty": "RSA", "kid": "key1", "use": null, "e": "AQAB", "n": "AJnc"}]}
        }))
        .unwrap();
        assert_eq!(c.client_uri, None);
        assert!(c.jwks.is_some());
        assert!(!c.token_endpoint_auth_method.uses_secret());
        assert_eq!(c.refresh_token_settings().rotation_type, RotationType::Static);
    }

    #[test]
    fn defaults_follow_okta_dcr() {
        let c: Client = serde_json::from_value(json!({"client_name": "x"})).unwrap();
        assert_eq!(c.response_types, vec![ResponseType::Code]);
        assert_eq!(c.grant_types, vec![GrantType::AuthorizationCode]);
        assert_eq!(c.token_endpoint_auth_method, TokenEndpointAuthMethod::ClientSecretBasic);
        assert_eq!(c.application_type, ApplicationType::Web);
        assert_eq!(c.status, Status::Active);
    }

    #[test]
    fn refresh_token_defaults_and_leeway_limits() {
        let mut c: Client =
            serde_json::from_value(json!({"client_name": "spa", "application_type": "browser"})).unwrap();
        assert_eq!(
            c.refresh_token_settings(),
            RefreshTokenSettings {
                rotation_type: RotationType::Rotate,
                leeway: 30
            }
        );
        c = serde_json::from_value(json!({
            "client_name": "x", "refresh_token": {"rotation_type": "STATIC"}
        }))
        .unwrap();
        assert_eq!(c.refresh_token.unwrap().leeway, 30);
        for bad in [json!(61), json!(-1), json!(300)] {
            let r = serde_json::from_value::<Client>(json!({
                "client_name": "x", "refresh_token": {"rotation_type": "ROTATE", "leeway": bad}
            }));
            assert!(r.is_err());
        }
        let ok: Client = serde_json::from_value(json!({
            "client_name": "x", "refresh_token": {"rotation_type": "ROTATE", "leeway": 0}
        }))
        .unwrap();
        assert_eq!(ok.refresh_token.unwrap().leeway, 0);
    }

    #[test]
    fn unknown_enum_values_are_errors() {
        for (k, v) in [
            ("token_endpoint_auth_method", json!("client_secret")),
            ("application_type", json!("spa")),
            ("grant_types", json!(["client-credentials"])),
            ("response_types", json!(["code id_token"])),
        ] {
            let mut b = json!({"client_name": "x"});
            b[k] = v;
            assert!(serde_json::from_value::<Client>(b).is_err(), "{k}");
        }
    }

    #[test]
    fn secrets_never_leak_through_client_or_debug() {
        let rec = ClientRecord {
            client: serde_json::from_value(okta_web_client()).unwrap(),
            client_secret_hash: Some(ClientSecret::from_received("5W7XULCEs4BJKnWUXwh8").hash()),
            client_secret_expires_at: None,
            last_updated: None,
        };
        // The public view has no secret field at all.
        let public = serde_json::to_value(&rec.client).unwrap();
        assert!(public.get("client_secret").is_none());
        assert!(public.get("client_secret_hash").is_none());
        // The stored form keeps the hash and reads back.
        let stored = serde_json::to_value(&rec).unwrap();
        assert!(stored["client_secret_hash"].is_string());
        assert!(!stored.to_string().contains("5W7X"));
        let back: ClientRecord = serde_json::from_value(stored).unwrap();
        assert_eq!(back, rec);
        assert!(ClientSecret::from_received("5W7XULCEs4BJKnWUXwh8").verify(&back.client_secret_hash.unwrap()));

        let created = ClientCreated {
            client: rec.client.clone(),
            client_secret: Some(ClientSecret::from_received("5W7XULCEs4BJKnWUXwh8")),
            client_secret_expires_at: Some(0),
        };
        let json = serde_json::to_value(&created).unwrap();
        assert_eq!(json["client_secret"], json!("5W7XULCEs4BJKnWUXwh8"));
        assert_eq!(json["client_secret_expires_at"], json!(0));
        assert!(!format!("{created:?}").contains("5W7X"));
        let back: ClientCreated = serde_json::from_value(json).unwrap();
        assert_eq!(back.client_secret.unwrap().expose(), "5W7XULCEs4BJKnWUXwh8");
    }
}

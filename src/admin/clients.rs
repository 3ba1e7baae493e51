//! OAuth clients (Okta's dynamic client registration API at `/oauth2/v1/clients`, RFC 7591 in
//! Okta's shape).
//!
//! Errors follow Okta's OpenAPI description of these endpoints: invalid metadata is answered
//! `400` with RFC 7591 §3.2.2's body (`{"error": "invalid_client_metadata" | "invalid_redirect_uri",
//! "error_description": "`field`: …"}`, Okta's `ErrorInvalidClientMetadata` example), while a
//! missing caller, an unknown client, a body that is not a JSON object and a wrong method keep
//! Okta's error objects (`E0000006`, `E0000007`, `E0000003`, `E0000022`).
//!
//! Registration rules (RFC 7591 §2, Okta's app-type table for `createClient`):
//! * `client_name` is required; `client_id`, `client_id_issued_at`, `client_secret` and
//!   `client_secret_expires_at` in a body are ignored (the server issues them);
//! * `redirect_uris` are required for `authorization_code` and `implicit`; every URI field holds
//!   absolute URIs, and redirect URIs have no fragment;
//! * `grant_types` must not be empty. Omitted `response_types` are derived from them (`code` for
//!   `authorization_code`, `token` + `id_token` for `implicit`, `token` for a client-credentials
//!   client); given ones must agree: `code` ⇔ `authorization_code`, `token` needs `implicit` or
//!   `client_credentials` (Okta's service clients register `token`), `id_token` needs `implicit`
//!   or `authorization_code` (Okta's web example registers `[code, id_token]` with only
//!   `authorization_code`), and `implicit` needs `token` or `id_token`;
//! * `web` and `native` clients need `authorization_code`; `browser` and `native` clients cannot
//!   use `client_credentials`; `browser` and `service` clients cannot use `password`; `service`
//!   clients cannot use user grants; `browser` clients authenticate with `none`, and `none`
//!   clients cannot use `client_credentials`;
//! * `private_key_jwt` needs exactly one of `jwks` (a JWK Set with at least one key) and
//!   `jwks_uri`.
//!
//! Secrets: `client_secret_basic`, `client_secret_post` and `client_secret_jwt` clients get a
//! generated secret; only its SHA-256 digest is stored, and the plaintext appears once, in the
//! response to the registration (`201`), to `lifecycle/newSecret` (`200`) or to a replace that
//! switches to a secret method (`200`), with `client_secret_expires_at: 0`. Otherwise a replace
//! keeps the secret (unlike Okta's example, the response cannot echo it). Reads show
//! `client_secret_expires_at: 0` for clients with a secret, never the secret. Every change stamps
//! the record's `lastUpdated`, which implicitly revokes tokens minted before it.
//!
//! Writes are compare-and-swap on the client's revision (see [`crate::store::directory`]): a
//! replace or a new secret reads the client, builds the new record and writes it only if no other
//! write came between, else reads again and retries (a few times, then `E0000009`). So a new
//! secret and a replace racing each other both take effect, in some order, and the secret the
//! new-secret answer shows is the one that works; a replace or new secret racing a delete answers
//! `E0000007` and does not bring the client back. Registration inserts only under a free id. A
//! `client_secret_jwt` client's key is written with its record, in one step.
//!
//! `GET /oauth2/v1/clients` takes `q` (case-insensitive prefix of `client_name`), `limit` (1–200,
//! default 20) and `after` (the last `client_id` of the previous page).

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::fields::parse_object;
use super::ids::{CLIENT, object_id};
use super::limits::{
    FORBIDDEN_URI_SCHEMES, JWKS_BYTES_MAX, JWKS_KEYS_MAX, NAME_MAX, REDIRECT_URIS_MAX, TYPES_MAX, URI_MAX,
};
use super::paging::{CursorPlace, Page, PageRequest};
use super::{
    Answer, ApiError, ApiRequest, ApiResponse, FieldError, ManagementApi, Method, SAVE_ATTEMPTS, no_content, respond,
    to_json,
};
use crate::jose::Jwks;
use crate::model::client::MAX_LEEWAY_SECONDS;
use crate::model::{
    ApplicationType, Client, ClientCreated, ClientRecord, GrantType, RefreshTokenSettings, ResponseType,
    TokenEndpointAuthMethod,
};
use crate::secret::ClientSecret;
use crate::store::directory::JwtKeyChange;
use crate::store::{ConfigStore, Directory, Saved, StoreError};

/// The `not_found` kind of clients.
const KIND: &str = "OAuth2Client";
/// Default page size of the client list (Okta's `queryLimit`).
const DEFAULT_LIMIT: usize = 20;
/// How many fresh ids are tried before registration gives up.
const ID_ATTEMPTS: usize = 3;
/// The problem with a `refresh_token.leeway` outside 0–60 seconds (Okta's refresh token guide).
const LEEWAY_RANGE: &str = "The leeway must be between 0 and 60 seconds.";

/// The problems of a client registration, gathered for one RFC 7591 §3.2.2 error.
struct Metadata {
    problems: Vec<FieldError>,
}

impl Metadata {
    fn new() -> Self {
        Self { problems: Vec::new() }
    }

    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(FieldError::new(field, message));
    }

    /// `Err` with the problems, if there are any.
    fn into_result(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::client_metadata(self.problems))
        }
    }
}

/// An RFC 7591 error for one problem with `field`.
fn metadata(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::client_metadata(vec![FieldError::new(field, message)])
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// `GET /oauth2/v1/clients?q=…`: the clients whose `client_name` starts with `q`
    /// (case-insensitively; every client without `q`), in registration order.
    ///
    /// # Errors
    /// `E0000009` when the directory fails.
    pub async fn list_clients(&self, q: Option<&str>) -> Result<Vec<ClientRecord>, ApiError> {
        Ok(self.client_page(q, &PageRequest::unlimited()).await?.0)
    }

    /// `POST /oauth2/v1/clients`: registers `client` (its `client_id` and `client_id_issued_at`
    /// are ignored; `response_types` are taken as given) with a new `0oa…` id and, for the
    /// secret methods, a generated secret, which the answer shows this once.
    ///
    /// # Errors
    /// `invalid_client_metadata` or `invalid_redirect_uri` (RFC 7591 §3.2.2) for metadata the
    /// registration rules refuse; `E0000009` when the directory fails.
    pub async fn create_client(&self, client: Client) -> Result<ClientCreated, ApiError> {
        validate(&client)?;
        self.check_jwt_keys_kept(&client)?;
        for _ in 0..ID_ATTEMPTS {
            let client_id = object_id(CLIENT, self.random());
            // `None`: an id collision; draw another.
            if let Some(created) = self.register(client.clone(), client_id, None).await? {
                return Ok(created);
            }
        }
        Err(ApiError::internal())
    }

    /// Registers `client` with the `client_id` it gives and, for the secret methods, `secret`
    /// (a generated secret when `None`), instead of drawing them: for hosts that load an org
    /// from a document, and test harnesses whose clients have fixed credentials. Otherwise as
    /// [`create_client`](Self::create_client) (`POST /oauth2/v1/clients`).
    ///
    /// # Errors
    /// `invalid_client_metadata` for a taken or malformed `client_id` (1–100 letters, digits,
    /// `-`, `_` and `.`), and for a secret shorter than 14 or longer than 100 characters or given
    /// to a client without a secret method; as [`create_client`](Self::create_client) otherwise.
    pub async fn import_client(&self, client: Client, secret: Option<ClientSecret>) -> Result<ClientCreated, ApiError> {
        if !is_importable_id(&client.client_id) {
            return Err(metadata(
                "client_id",
                "An imported client needs a client_id of 1 to 100 letters, digits, '-', '_' and '.'.",
            ));
        }
        if secret
            .as_ref()
            .is_some_and(|secret| !(14..=100).contains(&secret.expose().chars().count()))
        {
            return Err(metadata("client_secret", "A client secret is 14 to 100 characters."));
        }
        validate(&client)?;
        if secret.is_some() && !client.token_endpoint_auth_method.uses_secret() {
            return Err(metadata(
                "client_secret",
                format!(
                    "A client that authenticates with {} has no client secret.",
                    wire(&client.token_endpoint_auth_method)
                ),
            ));
        }
        self.check_jwt_keys_kept(&client)?;
        let client_id = client.client_id.clone();
        self.register(client, client_id, secret)
            .await?
            .ok_or_else(|| metadata("client_id", "A client with this client_id already exists."))
    }

    /// [`import_client`](Self::import_client) from the client's registration JSON with its
    /// `client_id` and, optionally, its `client_secret`, answered as the management API
    /// answers: `201` with the client and its secret, or the error object.
    pub async fn import_client_json(&self, body: &[u8]) -> ApiResponse {
        let imported = async {
            let (client, secret) = imported_client_from_json(parse_object(Some(body))?)?;
            respond(201, &self.import_client(client, secret).await?)
        };
        imported.await.unwrap_or_else(|error| error.response())
    }

    /// `GET /oauth2/v1/clients/{clientId}`: the stored client.
    ///
    /// # Errors
    /// `E0000007` for an unknown client; `E0000009` when the directory fails.
    pub async fn get_client(&self, client_id: &str) -> Result<ClientRecord, ApiError> {
        self.directory
            .client(client_id)
            .await?
            .map(Arc::unwrap_or_clone)
            .ok_or_else(|| ApiError::not_found(client_id, KIND))
    }

    /// `PUT /oauth2/v1/clients/{clientId}`: replaces the client's metadata with `client`'s (whose
    /// `client_id`, if not empty, must be `client_id`). The client keeps its secret, unless it
    /// switches to a secret method without one or to `client_secret_jwt`: then it gets a new
    /// secret, which the answer shows this once.
    ///
    /// # Errors
    /// `E0000007` for an unknown client; `invalid_client_metadata` or `invalid_redirect_uri` for
    /// refused metadata or another `client_id`; `E0000009` when the directory fails.
    pub async fn replace_client(&self, client_id: &str, client: Client) -> Result<ClientCreated, ApiError> {
        let mut loaded = Some(self.client_and_revision(client_id).await?);
        check_same_id(&client.client_id, client_id)?;
        validate(&client)?;
        self.check_jwt_keys_kept(&client)?;
        // A secret issued by this replace, kept across retries (it is shown only on success).
        let mut fresh: Option<ClientSecret> = None;
        for _ in 0..SAVE_ATTEMPTS {
            let (stored, revision) = match loaded.take() {
                Some(loaded) => loaded,
                None => self.client_and_revision(client_id).await?,
            };
            let client = Client {
                client_id: stored.client.client_id.clone(),
                client_id_issued_at: stored.client.client_id_issued_at,
                ..client.clone()
            };
            // A client switching to client_secret_jwt needs a secret whose key the directory
            // keeps, so it gets a fresh one (the stored digest cannot verify an HMAC).
            let method = client.token_endpoint_auth_method;
            let becomes_jwt = method == TokenEndpointAuthMethod::ClientSecretJwt
                && stored.client.token_endpoint_auth_method != TokenEndpointAuthMethod::ClientSecretJwt;
            let stored_hash = stored.client_secret_hash.filter(|_| !becomes_jwt);
            let mut issued = None;
            let (hash, expires_at) = match (method.uses_secret(), stored_hash) {
                (true, Some(hash)) => (Some(hash), stored.client_secret_expires_at.or(Some(0))),
                (true, None) => {
                    let secret = match &fresh {
                        Some(secret) => secret.clone(),
                        None => fresh.insert(generate_secret(self.random())?).clone(),
                    };
                    let hash = secret.hash();
                    issued = Some(secret);
                    (Some(hash), Some(0))
                }
                (false, _) => (None, None),
            };
            let record = ClientRecord {
                client: client.clone(),
                client_secret_hash: hash,
                client_secret_expires_at: expires_at,
                last_updated: Some(self.now()),
            };
            let key = match (&issued, method) {
                (_, m) if m != TokenEndpointAuthMethod::ClientSecretJwt => JwtKeyChange::Forget,
                (Some(secret), _) => JwtKeyChange::Set(secret),
                (None, _) => JwtKeyChange::Keep,
            };
            match self.directory.replace_client(record.clone(), key, revision).await? {
                Saved::Saved { .. } => {
                    return Ok(match issued {
                        Some(secret) => created(client, Some(secret)),
                        None => shown(record),
                    });
                }
                Saved::Stale => continue,
                Saved::Missing => return Err(ApiError::not_found(client_id, KIND)),
            }
        }
        Err(ApiError::internal())
    }

    /// `DELETE /oauth2/v1/clients/{clientId}`.
    ///
    /// # Errors
    /// `E0000007` for an unknown client; `E0000009` when the directory fails.
    pub async fn delete_client(&self, client_id: &str) -> Result<(), ApiError> {
        if self.directory.delete_client(client_id).await? {
            Ok(())
        } else {
            Err(ApiError::not_found(client_id, KIND))
        }
    }

    /// `POST /oauth2/v1/clients/{clientId}/lifecycle/newSecret`: a new secret replaces the
    /// client's; the answer shows it this once.
    ///
    /// # Errors
    /// `E0000007` for an unknown client; `invalid_client_metadata` for a client without a secret
    /// method; `E0000009` when the directory fails.
    pub async fn new_client_secret(&self, client_id: &str) -> Result<ClientCreated, ApiError> {
        // The new secret, kept across retries (it is shown only on success).
        let mut fresh: Option<ClientSecret> = None;
        for _ in 0..SAVE_ATTEMPTS {
            let (mut record, revision) = self.client_and_revision(client_id).await?;
            let method = record.client.token_endpoint_auth_method;
            if !method.uses_secret() {
                return Err(metadata(
                    "token_endpoint_auth_method",
                    format!(
                        "A client that authenticates with {} has no client secret.",
                        wire(&method)
                    ),
                ));
            }
            let secret = match &fresh {
                Some(secret) => secret.clone(),
                None => fresh.insert(generate_secret(self.random())?).clone(),
            };
            record.client_secret_hash = Some(secret.hash());
            record.client_secret_expires_at = Some(0);
            record.last_updated = Some(self.now());
            let client = record.client.clone();
            let key = if method == TokenEndpointAuthMethod::ClientSecretJwt {
                JwtKeyChange::Set(&secret)
            } else {
                JwtKeyChange::Forget
            };
            match self.directory.replace_client(record, key, revision).await? {
                Saved::Saved { .. } => return Ok(created(client, Some(secret))),
                Saved::Stale => continue,
                Saved::Missing => return Err(ApiError::not_found(client_id, KIND)),
            }
        }
        Err(ApiError::internal())
    }

    /// Routes `/oauth2/v1/clients{rest}`.
    pub(super) async fn route_clients(&self, request: &ApiRequest<'_>, rest: &[&str]) -> Answer {
        match (rest, request.method) {
            ([], Method::Get) => {
                let page = PageRequest::from_request(request, DEFAULT_LIMIT)?;
                let query = request.query_param("q");
                let (records, next) = self.client_page(query.as_deref(), &page).await?;
                let shown: Vec<ClientCreated> = records.into_iter().map(shown).collect();
                let href = format!("{}/oauth2/v1/clients", self.base_url);
                let extra = [("q", query)];
                Ok(page.response(to_json(&shown)?, &href, &extra, CursorPlace::AfterLimit, next))
            }
            ([], Method::Post) => respond(201, &self.create_client(parse_client(request.body)?).await?),
            ([client_id], Method::Get) => respond(200, &shown(self.get_client(client_id).await?)),
            ([client_id], Method::Put) => {
                self.get_client(client_id).await?;
                let object = parse_object(request.body)?;
                let given = object.get("client_id").and_then(Value::as_str).unwrap_or_default();
                check_same_id(given, client_id)?;
                let client = client_from_object(object)?;
                respond(200, &self.replace_client(client_id, client).await?)
            }
            ([client_id], Method::Delete) => no_content(self.delete_client(client_id).await),
            ([client_id, "lifecycle", "newSecret"], Method::Post) => {
                respond(200, &self.new_client_secret(client_id).await?)
            }
            ([] | [_] | [_, "lifecycle", "newSecret"], _) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// The page of clients whose name starts with `q` after `page`'s cursor, and the cursor of
    /// the next page.
    async fn client_page(&self, q: Option<&str>, page: &PageRequest) -> Page<ClientRecord> {
        let prefix = q.map(str::to_lowercase);
        let matching: Vec<ClientRecord> = self
            .directory
            .clients()
            .await?
            .into_iter()
            .filter(|r| {
                prefix
                    .as_deref()
                    .is_none_or(|p| r.client.client_name.to_lowercase().starts_with(p))
            })
            .collect();
        page.apply(matching, |r| &r.client.client_id)
    }

    /// Stores a validated new `client` as `client_id` with `secret` (generated when its method
    /// uses one and none is given), if no client has that id: the client and the secret, shown
    /// this once; `None` when the id is taken.
    async fn register(
        &self,
        mut client: Client,
        client_id: String,
        secret: Option<ClientSecret>,
    ) -> Result<Option<ClientCreated>, ApiError> {
        client.client_id = client_id;
        client.client_id_issued_at = Some(self.now().unix_timestamp());
        let method = client.token_endpoint_auth_method;
        let secret = match (method.uses_secret(), secret) {
            (false, _) => None,
            (true, Some(secret)) => Some(secret),
            (true, None) => Some(generate_secret(self.random())?),
        };
        let record = ClientRecord {
            client: client.clone(),
            client_secret_hash: secret.as_ref().map(ClientSecret::hash),
            client_secret_expires_at: secret.as_ref().map(|_| 0),
            last_updated: Some(self.now()),
        };
        let jwt_key = secret
            .as_ref()
            .filter(|_| method == TokenEndpointAuthMethod::ClientSecretJwt);
        match self.directory.insert_client(record, jwt_key).await {
            Ok(_) => Ok(Some(created(client, secret))),
            Err(StoreError::Conflict) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The stored client `client_id` with its revision, or `E0000007`.
    async fn client_and_revision(&self, client_id: &str) -> Result<(ClientRecord, u64), ApiError> {
        self.directory
            .client_revision(client_id)
            .await?
            .ok_or_else(|| ApiError::not_found(client_id, KIND))
    }

    /// `invalid_client_metadata` for a `client_secret_jwt` client when the directory keeps no
    /// keys for such clients ([`Directory::keeps_client_secret_jwt_keys`]): the client could
    /// never authenticate.
    fn check_jwt_keys_kept(&self, client: &Client) -> Result<(), ApiError> {
        if client.token_endpoint_auth_method == TokenEndpointAuthMethod::ClientSecretJwt
            && !self.directory.keeps_client_secret_jwt_keys()
        {
            return Err(metadata(
                "token_endpoint_auth_method",
                "This server's directory cannot keep the keys client_secret_jwt needs; register the client with private_key_jwt or client_secret_basic.",
            ));
        }
        Ok(())
    }
}

/// `invalid_client_metadata` unless `given` (a body's `client_id`) is empty or `client_id`.
fn check_same_id(given: &str, client_id: &str) -> Result<(), ApiError> {
    if given.is_empty() || given == client_id {
        Ok(())
    } else {
        Err(metadata("client_id", "The client_id cannot be changed."))
    }
}

/// Whether `id` can be an imported `client_id`: 1–100 letters, digits, `-`, `_` and `.`.
fn is_importable_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn generate_secret(random: &dyn crate::random::Randomness) -> Result<ClientSecret, ApiError> {
    ClientSecret::generate(random).map_err(|_| ApiError::internal())
}

/// A client with a new secret, shown once.
fn created(client: Client, secret: Option<ClientSecret>) -> ClientCreated {
    let expires_at = secret.as_ref().map(|_| 0);
    ClientCreated {
        client,
        client_secret: secret,
        client_secret_expires_at: expires_at,
    }
}

/// A stored client as reads show it: never the secret or its digest, and
/// `client_secret_expires_at` for a client with a secret.
fn shown(record: ClientRecord) -> ClientCreated {
    let expires_at = record
        .client_secret_hash
        .map(|_| record.client_secret_expires_at.unwrap_or(0));
    ClientCreated {
        client: record.client,
        client_secret: None,
        client_secret_expires_at: expires_at,
    }
}

/// The wire spelling of an enum value.
fn wire<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn parse_client(body: Option<&[u8]>) -> Result<Client, ApiError> {
    client_from_object(parse_object(body)?)
}

/// An imported client's registration JSON: the client with its `client_id` (empty when the
/// JSON gives none), and its `client_secret` if given. A `client_secret` that is not a string is
/// `invalid_client_metadata`.
pub(crate) fn imported_client_from_json(
    object: Map<String, Value>,
) -> Result<(Client, Option<ClientSecret>), ApiError> {
    let client_id = object
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let secret = match object.get("client_secret") {
        None | Some(Value::Null) => None,
        Some(Value::String(secret)) => Some(ClientSecret::from_received(secret.clone())),
        Some(_) => return Err(metadata("client_secret", "A client secret is 14 to 100 characters.")),
    };
    let client = client_from_object(object)?;
    Ok((Client { client_id, ..client }, secret))
}

/// A client from a registration body: `client_name` required, enum fields checked one by one,
/// server-issued fields dropped, omitted `response_types` derived from the grant types.
fn client_from_object(mut object: Map<String, Value>) -> Result<Client, ApiError> {
    let mut failure = Metadata::new();
    match object.get("client_name") {
        Some(Value::String(name)) if !name.trim().is_empty() => {}
        None | Some(Value::Null) | Some(Value::String(_)) => {
            failure.add("client_name", "The field can't be left blank.")
        }
        Some(_) => failure.add("client_name", "The field must be a string."),
    }
    check_field::<ApplicationType>(&object, "application_type", &mut failure);
    check_field::<TokenEndpointAuthMethod>(&object, "token_endpoint_auth_method", &mut failure);
    check_field::<Vec<GrantType>>(&object, "grant_types", &mut failure);
    check_field::<Vec<ResponseType>>(&object, "response_types", &mut failure);
    let leeway = object.get("refresh_token").and_then(|settings| settings.get("leeway"));
    let leeway_in_range = |value: &Value| value.as_u64().is_some_and(|n| n <= u64::from(MAX_LEEWAY_SECONDS));
    match leeway {
        Some(value) if value.is_number() && !leeway_in_range(value) => {
            failure.add("refresh_token.leeway", LEEWAY_RANGE)
        }
        _ => check_field::<RefreshTokenSettings>(&object, "refresh_token", &mut failure),
    }
    failure.into_result()?;
    let response_types_given = object.get("response_types").is_some_and(|v| !v.is_null());
    for read_only in [
        "client_id",
        "client_id_issued_at",
        "client_secret",
        "client_secret_expires_at",
        "_links",
    ] {
        object.remove(read_only);
    }
    let mut client: Client = serde_json::from_value(Value::Object(object))
        .map_err(|error| metadata("body", format!("The client metadata is not valid: {error}")))?;
    if !response_types_given {
        client.response_types = derived_response_types(&client.grant_types);
    }
    Ok(client)
}

/// Adds a problem when `field` is present, not null and not a `T`.
fn check_field<T: DeserializeOwned>(object: &Map<String, Value>, field: &str, failure: &mut Metadata) {
    if let Some(value) = object.get(field).filter(|v| !v.is_null()) {
        if let Err(error) = serde_json::from_value::<T>(value.clone()) {
            failure.add(field, format!("Invalid value {value}: {error}."));
        }
    }
}

fn derived_response_types(grants: &[GrantType]) -> Vec<ResponseType> {
    let mut types = Vec::new();
    if grants.contains(&GrantType::AuthorizationCode) {
        types.push(ResponseType::Code);
    }
    if grants.contains(&GrantType::Implicit) {
        types.extend([ResponseType::Token, ResponseType::IdToken]);
    }
    if types.is_empty() && grants.contains(&GrantType::ClientCredentials) {
        types.push(ResponseType::Token);
    }
    types
}

/// Why `uri` is not acceptable as a client URI, if it is not: longer than [`URI_MAX`], not an
/// absolute URI, holding whitespace or control characters (which URL parsers drop, so the URI
/// would not be matched as registered), using one of the [`FORBIDDEN_URI_SCHEMES`] (compared
/// case-insensitively), or, unless `allow_fragment`, with a fragment.
fn uri_problem(uri: &str, allow_fragment: bool) -> Option<String> {
    if uri.chars().count() > URI_MAX {
        return Some(format!("A URI cannot be longer than {URI_MAX} characters."));
    }
    let url = match url::Url::parse(uri) {
        Err(_) => return Some(format!("'{uri}' is not an absolute URI.")),
        Ok(url) => url,
    };
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("A URI cannot contain whitespace or control characters.".to_owned());
    }
    let scheme = url.scheme();
    if FORBIDDEN_URI_SCHEMES
        .iter()
        .any(|forbidden| scheme.eq_ignore_ascii_case(forbidden))
    {
        return Some(format!("'{uri}' uses the '{scheme}' scheme, which is not allowed."));
    }
    if !allow_fragment && url.fragment().is_some() {
        return Some(format!("'{uri}' must not contain a fragment."));
    }
    None
}

/// Checks a list of redirect URIs of `field`: at most [`REDIRECT_URIS_MAX`], each acceptable
/// to [`uri_problem`] without a fragment.
fn check_redirect_uris(failure: &mut Metadata, field: &str, uris: &[String]) {
    if uris.len() > REDIRECT_URIS_MAX {
        failure.add(field, format!("At most {REDIRECT_URIS_MAX} URIs are allowed."));
        return;
    }
    for uri in uris {
        if let Some(problem) = uri_problem(uri, false) {
            failure.add(field, problem);
        }
    }
}

/// Checks a parsed client against the registration rules of the module documentation.
fn validate(client: &Client) -> Result<(), ApiError> {
    use ApplicationType as App;
    use GrantType as G;
    let mut failure = Metadata::new();
    let grants = &client.grant_types;
    let responses = &client.response_types;
    let has = |g: G| grants.contains(&g);
    let responds = |r: ResponseType| responses.contains(&r);

    if (has(G::AuthorizationCode) || has(G::Implicit)) && client.redirect_uris.is_empty() {
        failure.add(
            "redirect_uris",
            "At least one redirect URI is required for the authorization_code and implicit grants.",
        );
    }
    check_redirect_uris(&mut failure, "redirect_uris", &client.redirect_uris);
    check_redirect_uris(
        &mut failure,
        "post_logout_redirect_uris",
        &client.post_logout_redirect_uris,
    );
    let single_uris = [
        ("client_uri", &client.client_uri),
        ("logo_uri", &client.logo_uri),
        ("initiate_login_uri", &client.initiate_login_uri),
        ("jwks_uri", &client.jwks_uri),
    ];
    for (field, uri) in single_uris {
        if let Some(problem) = uri.as_deref().and_then(|uri| uri_problem(uri, true)) {
            failure.add(field, problem);
        }
    }
    let name = &client.client_name;
    if name.trim().is_empty() {
        failure.add("client_name", "The field can't be left blank.");
    } else if name.chars().count() > NAME_MAX {
        failure.add(
            "client_name",
            format!("The name cannot be longer than {NAME_MAX} characters."),
        );
    } else if name.chars().any(char::is_control) {
        failure.add("client_name", "The name cannot contain control characters.");
    }
    if grants.len() > TYPES_MAX {
        failure.add("grant_types", format!("At most {TYPES_MAX} grant types are allowed."));
    }
    if responses.len() > TYPES_MAX {
        failure.add(
            "response_types",
            format!("At most {TYPES_MAX} response types are allowed."),
        );
    }
    if client
        .refresh_token
        .is_some_and(|settings| settings.leeway > MAX_LEEWAY_SECONDS)
    {
        failure.add("refresh_token.leeway", LEEWAY_RANGE);
    }

    if grants.is_empty() {
        failure.add("grant_types", "At least one grant type is required.");
    }
    if responds(ResponseType::Code) && !has(G::AuthorizationCode) {
        failure.add("response_types", "'code' requires the 'authorization_code' grant type.");
    }
    if has(G::AuthorizationCode) && !responds(ResponseType::Code) {
        failure.add(
            "response_types",
            "The 'authorization_code' grant type requires the 'code' response type.",
        );
    }
    if responds(ResponseType::Token) && !has(G::Implicit) && !has(G::ClientCredentials) {
        failure.add(
            "response_types",
            "'token' requires the 'implicit' or 'client_credentials' grant type.",
        );
    }
    if responds(ResponseType::IdToken) && !has(G::Implicit) && !has(G::AuthorizationCode) {
        failure.add(
            "response_types",
            "'id_token' requires the 'implicit' or 'authorization_code' grant type.",
        );
    }
    if has(G::Implicit) && !responds(ResponseType::Token) && !responds(ResponseType::IdToken) {
        failure.add(
            "response_types",
            "The 'implicit' grant type requires 'token' or 'id_token'.",
        );
    }

    let app = client.application_type;
    let app_name = wire(&app);
    let mut forbidden = |grant: G| {
        if has(grant) {
            failure.add(
                "grant_types",
                format!("A {app_name} client cannot use the '{grant}' grant type."),
            );
        }
    };
    match app {
        App::Browser => [G::ClientCredentials, G::Password].into_iter().for_each(&mut forbidden),
        App::Native => forbidden(G::ClientCredentials),
        App::Service => [
            G::AuthorizationCode,
            G::Implicit,
            G::Password,
            G::RefreshToken,
            G::InteractionCode,
            G::DeviceCode,
            G::Ciba,
        ]
        .into_iter()
        .for_each(&mut forbidden),
        App::Web => {}
    }
    if matches!(app, App::Web | App::Native) && !grants.is_empty() && !has(G::AuthorizationCode) {
        failure.add(
            "grant_types",
            format!("A {app_name} client must have the 'authorization_code' grant type."),
        );
    }

    let method = client.token_endpoint_auth_method;
    if app == App::Browser && method != TokenEndpointAuthMethod::None {
        failure.add("token_endpoint_auth_method", "A browser client must use 'none'.");
    }
    if method == TokenEndpointAuthMethod::None && has(G::ClientCredentials) {
        failure.add(
            "token_endpoint_auth_method",
            "The 'client_credentials' grant type needs client authentication.",
        );
    }
    if method == TokenEndpointAuthMethod::PrivateKeyJwt {
        match (&client.jwks, &client.jwks_uri) {
            (None, None) => failure.add("jwks", "private_key_jwt requires 'jwks' or 'jwks_uri'."),
            (Some(_), Some(_)) => failure.add("jwks", "Give 'jwks' or 'jwks_uri', not both."),
            _ => {}
        }
    }
    if let Some(jwks) = &client.jwks {
        let size = serde_json::to_vec(jwks).map_or(usize::MAX, |json| json.len());
        let set = serde_json::from_value::<Jwks>(jwks.clone());
        if size > JWKS_BYTES_MAX {
            failure.add(
                "jwks",
                format!("A JWK Set cannot be larger than {JWKS_BYTES_MAX} bytes."),
            );
        } else if set.as_ref().is_ok_and(|set| set.keys.len() > JWKS_KEYS_MAX) {
            failure.add("jwks", format!("A JWK Set cannot hold more than {JWKS_KEYS_MAX} keys."));
        } else if !set.is_ok_and(|set| !set.keys.is_empty()) {
            failure.add("jwks", "Expected a JWK Set with at least one key.");
        }
    }
    failure.into_result()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::admin::tests::{TestApi, api, call, call_raw};
    use crate::admin::{ApiResponse, Method};
    use crate::secret::ClientSecret;
    use crate::store::Directory;

    const CLIENTS: &str = "/oauth2/v1/clients";

    /// Okta OpenAPI example `ClientRequestWeb`.
    fn web_request() -> Value {
        json!({
            "client_name": "Example OAuth 2.0 client",
            "client_uri": "https://www.example.com",
            "logo_uri": "https://www.example.com/logo.png",
            "application_type": "web",
            "redirect_uris": ["https://www.example.com/oauth2/redirectUri"],
            "post_logout_redirect_uris": ["https://www.example.com/oauth2/postLogoutRedirectUri"],
            "response_types": ["code", "id_token"],
            "grant_types": ["authorization_code", "refresh_token", "implicit"],
            "token_endpoint_auth_method": "client_secret_post",
            "initiate_login_uri": "https://www.example.com/oauth2/login"
        })
    }

    async fn register(api: &TestApi, body: Value) -> ApiResponse {
        call(api, Method::Post, CLIENTS, Some(body)).await
    }

    fn with(changes: Value) -> Value {
        let mut body = web_request();
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    }

    /// The RFC 7591 error of a rejected registration: `(error, error_description)`.
    fn rejection(response: &ApiResponse) -> (String, String) {
        assert_eq!(response.status, 400, "{:?}", response.body);
        let body = response.body.as_ref().unwrap();
        (
            body["error"].as_str().unwrap().to_owned(),
            body["error_description"].as_str().unwrap().to_owned(),
        )
    }

    #[tokio::test]
    async fn round_trip_register_get_replace_list_delete() {
        let (api, clock) = api();
        let created = register(&api, web_request()).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let body = created.body.unwrap();
        let id = body["client_id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("0oa") && id.len() == 20);
        assert_eq!(body["client_id_issued_at"], json!(1_704_067_200));
        assert_eq!(body["client_secret_expires_at"], json!(0));
        let secret = body["client_secret"].as_str().unwrap().to_owned();
        // Okta's `ClientResponseWeb` keys (its `frontchannel_*` extras aside) with the request's values.
        for key in [
            "client_name",
            "client_uri",
            "logo_uri",
            "application_type",
            "redirect_uris",
            "grant_types",
        ] {
            assert_eq!(body[key], web_request()[key], "{key}");
        }
        assert_eq!(body["status"], "ACTIVE");

        // The store keeps only the digest, which the secret verifies against.
        let record = api.directory.client(&id).await.unwrap().unwrap();
        let hash = record.client_secret_hash.unwrap();
        assert!(ClientSecret::from_received(secret.clone()).verify(&hash));
        assert!(!serde_json::to_string(&*record).unwrap().contains(&secret));

        // Reads never show the secret.
        let got = call(&api, Method::Get, &format!("{CLIENTS}/{id}"), None).await;
        assert_eq!(got.status, 200);
        let got = got.body.unwrap();
        assert!(got.get("client_secret").is_none());
        assert!(!got.to_string().contains(&secret));
        assert_eq!(got["client_secret_expires_at"], json!(0));
        assert_eq!(got["client_name"], "Example OAuth 2.0 client");

        // Okta's `ClientRequestWebUpdate`.
        clock.advance(time::Duration::minutes(1));
        let update = json!({
            "client_id": id, "client_name": "Updated OAuth 2.0 client", "client_uri": "https://www.example.com",
            "logo_uri": "https://www.example.com/logo.png", "application_type": "web",
            "redirect_uris": ["https://www.example.com/oauth2/redirectUri"],
            "post_logout_redirect_uris": ["https://www.example.com/oauth2/postLogoutRedirectUri"],
            "response_types": ["id_token", "code"], "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "client_secret_post",
            "initiate_login_uri": "https://www.example.com/oauth2/login"
        });
        let replaced = call(&api, Method::Put, &format!("{CLIENTS}/{id}"), Some(update)).await;
        assert_eq!(replaced.status, 200, "{:?}", replaced.body);
        let replaced = replaced.body.unwrap();
        assert_eq!(replaced["client_name"], "Updated OAuth 2.0 client");
        assert_eq!(replaced["client_id_issued_at"], json!(1_704_067_200));
        assert!(replaced.get("client_secret").is_none());
        let record = api.directory.client(&id).await.unwrap().unwrap();
        assert!(
            ClientSecret::from_received(secret.clone()).verify(&record.client_secret_hash.unwrap()),
            "kept"
        );
        assert_eq!(record.last_updated, Some(api.now()));

        let list = call(&api, Method::Get, CLIENTS, None).await;
        assert_eq!(list.status, 200);
        assert_eq!(list.body.unwrap(), json!([replaced]));

        assert_eq!(
            call(&api, Method::Delete, &format!("{CLIENTS}/{id}"), None)
                .await
                .status,
            204
        );
        let gone = call(&api, Method::Get, &format!("{CLIENTS}/{id}"), None).await;
        assert_eq!(gone.status, 404);
        assert_eq!(gone.body.unwrap()["errorCode"], "E0000007");
        assert_eq!(
            call(&api, Method::Delete, &format!("{CLIENTS}/{id}"), None)
                .await
                .status,
            404
        );
    }

    #[tokio::test]
    async fn client_secret_jwt_keys_follow_the_secret() {
        // client_secret_jwt assertions are HMACs keyed with the secret, which the stored digest
        // cannot verify: registration keeps the key in the directory, a new secret replaces it,
        // and switching to another method forgets it.
        let (api, _) = api();
        let key_of = |id: String| {
            let directory = api.directory.clone();
            async move { directory.client_secret_jwt_key(&id).await.unwrap() }
        };
        let body = register(&api, with(json!({"token_endpoint_auth_method": "client_secret_jwt"})))
            .await
            .body
            .unwrap();
        let id = body["client_id"].as_str().unwrap().to_owned();
        let issued = ClientSecret::from_received(body["client_secret"].as_str().unwrap());
        assert_eq!(key_of(id.clone()).await, Some(issued.clone()));

        let rotated = call(&api, Method::Post, &format!("{CLIENTS}/{id}/lifecycle/newSecret"), None).await;
        let rotated = ClientSecret::from_received(rotated.body.unwrap()["client_secret"].as_str().unwrap());
        assert_eq!(key_of(id.clone()).await, Some(rotated));

        let basic = with(json!({"token_endpoint_auth_method": "client_secret_basic"}));
        assert_eq!(
            call(&api, Method::Put, &format!("{CLIENTS}/{id}"), Some(basic))
                .await
                .status,
            200
        );
        assert_eq!(
            key_of(id.clone()).await,
            None,
            "a client that stops using client_secret_jwt loses its key"
        );

        // Switching back issues a fresh secret, since the stored digest cannot become a key.
        let jwt = with(json!({"token_endpoint_auth_method": "client_secret_jwt"}));
        let switched = call(&api, Method::Put, &format!("{CLIENTS}/{id}"), Some(jwt))
            .await
            .body
            .unwrap();
        let fresh = ClientSecret::from_received(switched["client_secret"].as_str().unwrap());
        assert_eq!(key_of(id).await, Some(fresh));
    }

    #[tokio::test]
    async fn new_secret_replaces_the_old_one() {
        let (api, _) = api();
        let body = register(&api, web_request()).await.body.unwrap();
        let id = body["client_id"].as_str().unwrap();
        let old = ClientSecret::from_received(body["client_secret"].as_str().unwrap());
        let rotated = call(&api, Method::Post, &format!("{CLIENTS}/{id}/lifecycle/newSecret"), None).await;
        assert_eq!(rotated.status, 200);
        let rotated = rotated.body.unwrap();
        assert_eq!(rotated["client_id"], id);
        assert_eq!(rotated["client_secret_expires_at"], json!(0));
        let new = ClientSecret::from_received(rotated["client_secret"].as_str().unwrap());
        assert_ne!(new, old);
        let hash = api
            .directory
            .client(id)
            .await
            .unwrap()
            .unwrap()
            .client_secret_hash
            .unwrap();
        assert!(new.verify(&hash));
        assert!(!old.verify(&hash), "the old secret stops working");
        let unknown = call(
            &api,
            Method::Post,
            &format!("{CLIENTS}/0oanope/lifecycle/newSecret"),
            None,
        )
        .await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            call(&api, Method::Get, &format!("{CLIENTS}/{id}/lifecycle/newSecret"), None)
                .await
                .status,
            405
        );
    }

    #[tokio::test]
    async fn public_and_key_clients_get_no_secret() {
        let (api, _) = api();
        let browser = register(
            &api,
            json!({"client_name": "Browser client", "application_type": "browser",
                   "redirect_uris": ["https://httpbin.org/get"], "token_endpoint_auth_method": "none"}),
        )
        .await;
        assert_eq!(browser.status, 201, "{:?}", browser.body);
        let browser = browser.body.unwrap();
        assert!(browser.get("client_secret").is_none() && browser.get("client_secret_expires_at").is_none());
        assert_eq!(
            browser["response_types"],
            json!(["code"]),
            "derived from the grant types"
        );
        let id = browser["client_id"].as_str().unwrap();
        assert!(
            api.directory
                .client(id)
                .await
                .unwrap()
                .unwrap()
                .client_secret_hash
                .is_none()
        );
        let rotated = call(&api, Method::Post, &format!("{CLIENTS}/{id}/lifecycle/newSecret"), None).await;
        assert_eq!(rejection(&rotated).0, "invalid_client_metadata");

        // Okta's `ClientResponseServiceJwks` as a request.
        let service = register(
            &api,
            json!({"client_name": "Example service client", "client_uri": null, "logo_uri": null,
                   "redirect_uris": [], "response_types": ["token"], "grant_types": ["client_credentials"],
                   "token_endpoint_auth_method": "private_key_jwt", "application_type": "service",
                   "jwks": {"keys": [{"kty": "RSA", "kid": "key1", "use": null, "e": "AQAB", "n": "AJnc"}]}}),
        )
        .await;
        assert_eq!(service.status, 201, "{:?}", service.body);
        assert!(service.body.unwrap().get("client_secret").is_none());
        let no_keys = register(
            &api,
            json!({"client_name": "svc", "grant_types": ["client_credentials"], "application_type": "service",
                   "token_endpoint_auth_method": "private_key_jwt"}),
        )
        .await;
        assert!(rejection(&no_keys).1.starts_with("`jwks`"));
    }

    #[tokio::test]
    async fn switching_to_a_secret_method_shows_a_new_secret_once() {
        let (api, _) = api();
        let service = json!({"client_name": "svc", "grant_types": ["client_credentials"], "application_type": "service",
                             "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://svc.example.com/jwks"});
        let body = register(&api, service.clone()).await.body.unwrap();
        let id = body["client_id"].as_str().unwrap().to_owned();
        let mut update = service;
        update["token_endpoint_auth_method"] = json!("client_secret_basic");
        let replaced = call(&api, Method::Put, &format!("{CLIENTS}/{id}"), Some(update)).await;
        assert_eq!(replaced.status, 200, "{:?}", replaced.body);
        let secret = ClientSecret::from_received(replaced.body.unwrap()["client_secret"].as_str().unwrap());
        let record = api.directory.client(&id).await.unwrap().unwrap();
        assert!(secret.verify(&record.client_secret_hash.unwrap()));
    }

    #[tokio::test]
    async fn invalid_metadata_is_an_rfc_7591_error_and_stores_nothing() {
        // Okta OpenAPI `ErrorInvalidClientMetadata`, RFC 7591 §3.2.2.
        let (api, _) = api();
        let missing = register(&api, json!({"redirect_uris": ["https://a.example/cb"]})).await;
        assert_eq!(
            missing.body.clone().unwrap(),
            json!({"error": "invalid_client_metadata", "error_description": "`client_name`: The field can't be left blank."})
        );
        assert_eq!(
            rejection(&register(&api, with(json!({"redirect_uris": []}))).await).0,
            "invalid_redirect_uri"
        );
        for uri in ["/relative/cb", "https://a.example/cb#frag", "not a uri"] {
            let (error, description) = rejection(&register(&api, with(json!({"redirect_uris": [uri]}))).await);
            assert_eq!(error, "invalid_redirect_uri", "{uri}");
            assert!(description.contains(uri), "{description}");
        }
        let cases = [
            (
                json!({"token_endpoint_auth_method": "client_secret"}),
                "`token_endpoint_auth_method`",
            ),
            (json!({"application_type": "spa"}), "`application_type`"),
            (json!({"grant_types": ["client-credentials"]}), "`grant_types`"),
            (json!({"grant_types": []}), "`grant_types`"),
            (
                json!({"response_types": ["token"], "grant_types": ["authorization_code"]}),
                "`response_types`",
            ),
            (
                json!({"response_types": ["code"], "grant_types": ["implicit"]}),
                "`response_types`",
            ),
            (json!({"grant_types": ["client_credentials"]}), "`response_types`"),
            (
                json!({"application_type": "native", "grant_types": ["authorization_code", "client_credentials"]}),
                "`grant_types`",
            ),
            (json!({"application_type": "browser"}), "`token_endpoint_auth_method`"),
            (json!({"client_uri": "www.example.com"}), "`client_uri`"),
            (json!({"jwks": {"keys": []}}), "`jwks`"),
        ];
        for (changes, field) in cases {
            let (error, description) = rejection(&register(&api, with(changes.clone())).await);
            assert_eq!(error, "invalid_client_metadata", "{changes}");
            assert!(description.starts_with(field), "{changes}: {description}");
        }
        assert!(api.directory.clients().await.unwrap().is_empty());
        // Not JSON at all is Okta's E0000003.
        let response = call_raw(&api, Method::Post, CLIENTS, b"{nope").await;
        assert_eq!(response.body.unwrap()["errorCode"], "E0000003");
    }

    #[tokio::test]
    async fn script_and_file_schemes_are_refused_in_every_uri() {
        // Issue 14: `javascript:`, `data:` and `vbscript:` URIs were registered as redirect URIs
        // (and post-logout redirect URIs, and `initiate_login_uri`): the server would send
        // browsers to them. RFC 7591 §3.2.2: `invalid_redirect_uri`. `file:` too, any case.
        let (api, _) = api();
        let hostile = [
            "javascript:alert(document.domain)",
            "JavaScript://example.com/%0Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "VBScript:msgbox(1)",
            "file:///etc/passwd",
            "FILE://host/share",
        ];
        for uri in hostile {
            for field in ["redirect_uris", "post_logout_redirect_uris"] {
                let response = register(&api, with(json!({ field: [uri] }))).await;
                let (error, description) = rejection(&response);
                assert_eq!(error, "invalid_redirect_uri", "{field} {uri}");
                assert!(description.starts_with(&format!("`{field}`:")), "{description}");
                assert!(description.contains("scheme, which is not allowed"), "{description}");
            }
            let (error, description) = rejection(&register(&api, with(json!({"initiate_login_uri": uri}))).await);
            assert_eq!(error, "invalid_redirect_uri", "initiate_login_uri {uri}");
            assert!(description.starts_with("`initiate_login_uri`:"), "{description}");
            for field in ["client_uri", "logo_uri"] {
                let (error, description) = rejection(&register(&api, with(json!({ field: uri }))).await);
                assert_eq!(error, "invalid_client_metadata", "{field} {uri}");
                assert!(description.starts_with(&format!("`{field}`:")), "{description}");
            }
        }
        // Whitespace and control characters, which URL parsers drop before reading the scheme.
        for uri in [
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "https://a.example/cb\n",
            "https://a.example/c b",
        ] {
            let (error, _) = rejection(&register(&api, with(json!({"redirect_uris": [uri]}))).await);
            assert_eq!(error, "invalid_redirect_uri", "{uri:?}");
        }
        // A replace is held to the same rules.
        let id = register(&api, web_request()).await.body.unwrap()["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let before = api.directory.client(&id).await.unwrap();
        let replaced = call(
            &api,
            Method::Put,
            &format!("{CLIENTS}/{id}"),
            Some(with(json!({"redirect_uris": ["javascript:alert(1)"]}))),
        )
        .await;
        assert_eq!(rejection(&replaced).0, "invalid_redirect_uri");
        assert_eq!(api.directory.client(&id).await.unwrap(), before);
        assert_eq!(
            api.directory.clients().await.unwrap().len(),
            1,
            "refusals store nothing"
        );
    }

    #[tokio::test]
    async fn native_apps_keep_their_custom_schemes() {
        // Okta (and RFC 8252 §7.1) let native apps redirect to private-use schemes.
        let (api, _) = api();
        let native = json!({
            "client_name": "Native app", "application_type": "native", "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "redirect_uris": ["com.example.app:/callback", "com.okta.dev-123:/oauth2/cb", "http://127.0.0.1:8080/cb"],
            "post_logout_redirect_uris": ["com.example.app:/signed-out"]
        });
        let response = register(&api, native).await;
        assert_eq!(response.status, 201, "{:?}", response.body);
        assert_eq!(response.body.unwrap()["redirect_uris"][0], "com.example.app:/callback");
    }

    #[tokio::test]
    async fn sizes_and_counts_are_bounded() {
        use crate::admin::limits::{NAME_MAX, REDIRECT_URIS_MAX, URI_MAX};
        // Issue 14: no field had a size limit. See the Limits table of the module docs.
        let (api, _) = api();
        let long_uri = format!("https://a.example/{}", "x".repeat(URI_MAX));
        let many: Vec<String> = (0..=REDIRECT_URIS_MAX)
            .map(|n| format!("https://a.example/{n}"))
            .collect();
        let key = json!({"kty": "RSA", "kid": "k", "e": "AQAB", "n": "AJnc"});
        let cases = [
            (
                json!({"client_name": "n".repeat(NAME_MAX + 1)}),
                "invalid_client_metadata",
                "`client_name`: The name cannot be longer than 255 characters.",
            ),
            (
                json!({"client_name": "tab\tname"}),
                "invalid_client_metadata",
                "`client_name`: The name cannot contain control characters.",
            ),
            (
                json!({"redirect_uris": [long_uri]}),
                "invalid_redirect_uri",
                "`redirect_uris`: A URI cannot be longer than 1024 characters.",
            ),
            (
                json!({"redirect_uris": many}),
                "invalid_redirect_uri",
                "`redirect_uris`: At most 100 URIs are allowed.",
            ),
            (
                json!({"post_logout_redirect_uris": many}),
                "invalid_redirect_uri",
                "`post_logout_redirect_uris`: At most 100 URIs are allowed.",
            ),
            (
                json!({"logo_uri": long_uri}),
                "invalid_client_metadata",
                "`logo_uri`: A URI cannot be longer than 1024 characters.",
            ),
            (
                json!({"grant_types": vec!["authorization_code"; 17]}),
                "invalid_client_metadata",
                "`grant_types`: At most 16 grant types are allowed.",
            ),
            (
                json!({"response_types": vec!["code"; 17], "grant_types": ["authorization_code"]}),
                "invalid_client_metadata",
                "`response_types`: At most 16 response types are allowed.",
            ),
            (
                json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": vec![key.clone(); 21]}}),
                "invalid_client_metadata",
                "`jwks`: A JWK Set cannot hold more than 20 keys.",
            ),
            (
                json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "RSA", "kid": "k", "e": "AQAB", "n": "A".repeat(40_000)}]}}),
                "invalid_client_metadata",
                "`jwks`: A JWK Set cannot be larger than 32768 bytes.",
            ),
        ];
        for (changes, error, description) in cases {
            let response = register(&api, with(changes.clone())).await;
            assert_eq!(
                rejection(&response),
                (error.to_owned(), description.to_owned()),
                "{changes}"
            );
        }
        assert!(
            api.directory.clients().await.unwrap().is_empty(),
            "refusals store nothing"
        );
        let at_limit = with(json!({"client_name": "n".repeat(NAME_MAX), "redirect_uris": many[..REDIRECT_URIS_MAX]}));
        assert_eq!(register(&api, at_limit).await.status, 201);
    }

    #[tokio::test]
    async fn refresh_token_leeway_is_0_to_60_seconds_through_either_door() {
        // Okta's refresh token guide: `leeway` 0–60 s. The JSON door refused larger values, the
        // typed one stored any u8 (up to 255 s of reuse grace).
        let (api, _) = api();
        for leeway in [
            json!(61),
            json!(300),
            json!(-1),
            json!(1e9),
            json!(18_446_744_073_709_551_615_u64),
        ] {
            let body = with(json!({"refresh_token": {"rotation_type": "ROTATE", "leeway": leeway}}));
            let (error, description) = rejection(&register(&api, body).await);
            assert_eq!(
                (error.as_str(), description.as_str()),
                (
                    "invalid_client_metadata",
                    "`refresh_token.leeway`: The leeway must be between 0 and 60 seconds."
                ),
                "{leeway}"
            );
        }
        let mut client: crate::model::Client = serde_json::from_value(web_request()).unwrap();
        client.refresh_token = Some(crate::model::RefreshTokenSettings {
            rotation_type: crate::model::RotationType::Rotate,
            leeway: 255,
        });
        let refused = api.create_client(client.clone()).await.unwrap_err();
        assert_eq!(refused.code, crate::admin::ApiErrorCode::InvalidClientMetadata);
        assert_eq!(refused.causes[0].field, "refresh_token.leeway");
        assert!(api.directory.clients().await.unwrap().is_empty());
        client.refresh_token = Some(crate::model::RefreshTokenSettings {
            rotation_type: crate::model::RotationType::Rotate,
            leeway: 60,
        });
        api.create_client(client).await.unwrap();
    }

    /// Runs `first`, then after `delay` yields `second`, concurrently on this task.
    async fn race<A: std::future::Future, B: std::future::Future>(
        first: A,
        second: B,
        delay: usize,
    ) -> (A::Output, B::Output) {
        let second = async {
            for _ in 0..delay {
                tokio::task::yield_now().await;
            }
            second.await
        };
        tokio::join!(first, second)
    }

    #[tokio::test]
    async fn a_new_secret_racing_a_replace_is_the_secret_that_works() {
        // Issue 14: `newSecret` racing a `PUT` of the same client sometimes answered 200 with a
        // secret that never worked, while the old secret kept working: the PUT wrote back the
        // record it had read before the rotation. Client writes are compare-and-swap now.
        use crate::admin::tests::yielding_api;
        for method in ["client_secret_basic", "client_secret_jwt"] {
            for delay in 0..8 {
                let api = yielding_api();
                let request = with(json!({"token_endpoint_auth_method": method}));
                let created = api
                    .create_client(serde_json::from_value(request.clone()).unwrap())
                    .await
                    .unwrap();
                let id = created.client.client_id.clone();
                let old = created.client_secret.unwrap();
                let mut renamed: crate::model::Client = serde_json::from_value(request).unwrap();
                renamed.client_name = "Renamed".into();
                let (rotated, replaced) =
                    race(api.new_client_secret(&id), api.replace_client(&id, renamed), delay).await;
                let new = rotated.unwrap().client_secret.unwrap();
                replaced.unwrap();
                let stored = api.get_client(&id).await.unwrap();
                let hash = stored.client_secret_hash.unwrap();
                assert!(
                    new.verify(&hash),
                    "{method}, delay {delay}: the secret newSecret answered must work"
                );
                assert!(
                    !old.verify(&hash),
                    "{method}, delay {delay}: the old secret must stop working"
                );
                assert_eq!(
                    stored.client.client_name, "Renamed",
                    "{method}, delay {delay}: the replace is kept"
                );
                if method == "client_secret_jwt" {
                    let key = api.directory().client_secret_jwt_key(&id).await.unwrap();
                    assert_eq!(
                        key,
                        Some(new),
                        "{method}, delay {delay}: the HMAC key is the new secret"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn a_replace_racing_a_delete_does_not_bring_the_client_back() {
        // Issue 14: DELETE racing a PUT answered 204, yet the PUT then wrote the client back and
        // its old secret kept working.
        use crate::admin::tests::yielding_api;
        for delay in 0..8 {
            let api = yielding_api();
            let created = api
                .create_client(serde_json::from_value(web_request()).unwrap())
                .await
                .unwrap();
            let id = created.client.client_id.clone();
            let replacement: crate::model::Client = serde_json::from_value(web_request()).unwrap();
            let (replaced, deleted) = race(api.replace_client(&id, replacement), api.delete_client(&id), delay).await;
            deleted.unwrap();
            if let Err(error) = replaced {
                assert!(error.is_not_found(), "delay {delay}: {error:?}");
            }
            assert!(
                api.get_client(&id).await.unwrap_err().is_not_found(),
                "delay {delay}: a deleted client stays deleted"
            );
            // The same for a new secret racing the delete.
            let created = api
                .create_client(serde_json::from_value(web_request()).unwrap())
                .await
                .unwrap();
            let id = created.client.client_id.clone();
            let (rotated, deleted) = race(api.new_client_secret(&id), api.delete_client(&id), delay).await;
            deleted.unwrap();
            if let Err(error) = rotated {
                assert!(error.is_not_found(), "delay {delay}: {error:?}");
            }
            assert!(api.get_client(&id).await.unwrap_err().is_not_found(), "delay {delay}");
            assert!(api.directory().client_secret_jwt_key(&id).await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn a_failed_replace_changes_nothing() {
        let (api, _) = api();
        let id = register(&api, web_request()).await.body.unwrap()["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let before = api.directory.client(&id).await.unwrap();
        let bad = call(
            &api,
            Method::Put,
            &format!("{CLIENTS}/{id}"),
            Some(with(json!({"redirect_uris": []}))),
        )
        .await;
        assert_eq!(rejection(&bad).0, "invalid_redirect_uri");
        let other_id = call(
            &api,
            Method::Put,
            &format!("{CLIENTS}/{id}"),
            Some(with(json!({"client_id": "0oaother"}))),
        )
        .await;
        assert_eq!(rejection(&other_id).0, "invalid_client_metadata");
        assert_eq!(api.directory.client(&id).await.unwrap(), before);
        let unknown = call(&api, Method::Put, &format!("{CLIENTS}/0oanope"), Some(web_request())).await;
        assert_eq!(unknown.status, 404);
    }

    #[tokio::test]
    async fn list_filters_by_name_prefix_and_pages() {
        let (api, _) = api();
        for name in ["Alpha app", "alpine", "Beta"] {
            assert_eq!(register(&api, with(json!({"client_name": name}))).await.status, 201);
        }
        let names = crate::admin::tests::listed_field(&api, &format!("{CLIENTS}?q=alp"), "client_name").await;
        assert_eq!(names, ["Alpha app", "alpine"]);
        let first = call(&api, Method::Get, &format!("{CLIENTS}?limit=2"), None).await;
        assert_eq!(first.body.as_ref().unwrap().as_array().unwrap().len(), 2);
        let last_id = first.body.as_ref().unwrap()[1]["client_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            first
                .headers
                .iter()
                .any(|(k, v)| k == "Link" && v.contains(&format!("after={last_id}")))
        );
        let rest = call(&api, Method::Get, &format!("{CLIENTS}?limit=2&after={last_id}"), None)
            .await
            .body
            .unwrap();
        assert_eq!(rest[0]["client_name"], "Beta");
        assert!(
            rest.as_array()
                .unwrap()
                .iter()
                .all(|c| c.get("client_secret").is_none())
        );
    }

    #[tokio::test]
    async fn import_keeps_the_given_id_and_secret() {
        let (api, _) = api();
        let body = with(json!({"client_id": "web-app", "client_secret": "a-given-secret-of-some-length"}));
        let response = api.import_client_json(&serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(response.status, 201, "{:?}", response.body);
        assert_eq!(response.body.as_ref().unwrap()["client_id"], "web-app");
        let stored = api.directory.client("web-app").await.unwrap().unwrap();
        let hash = stored.client_secret_hash.unwrap();
        assert!(ClientSecret::from_received("a-given-secret-of-some-length").verify(&hash));
        assert_eq!(stored.client.client_name, "Example OAuth 2.0 client");

        // The same id again, a short secret, a bad id, a secret for a public client.
        let again = api.import_client_json(&serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(again.body.unwrap()["error"], "invalid_client_metadata");
        for bad in [
            with(json!({"client_id": "other", "client_secret": "short"})),
            with(json!({"client_id": "has space"})),
            with(json!({"client_secret": "a-given-secret-of-some-length"})),
            json!({"client_id": "spa", "client_name": "SPA", "application_type": "browser",
                   "redirect_uris": ["https://spa.example.com/cb"], "grant_types": ["authorization_code"],
                   "token_endpoint_auth_method": "none", "client_secret": "a-given-secret-of-some-length"}),
        ] {
            let refused = api.import_client_json(&serde_json::to_vec(&bad).unwrap()).await;
            assert_eq!(refused.status, 400, "{bad}");
            assert_eq!(refused.body.unwrap()["error"], "invalid_client_metadata", "{bad}");
        }
        assert_eq!(
            api.directory.clients().await.unwrap().len(),
            1,
            "refusals store nothing"
        );
    }

    #[tokio::test]
    async fn import_without_a_secret_generates_one() {
        let (api, _) = api();
        let body = with(json!({"client_id": "web-app"}));
        let response = api.import_client_json(&serde_json::to_vec(&body).unwrap()).await;
        assert_eq!(response.status, 201);
        let secret = response.body.unwrap()["client_secret"].as_str().unwrap().to_owned();
        let stored = api.directory.client("web-app").await.unwrap().unwrap();
        assert!(ClientSecret::from_received(secret).verify(&stored.client_secret_hash.unwrap()));
    }
}

//! Authorization servers: list, create, get, replace, delete, activate, deactivate (Okta
//! Authorization Servers API, `/api/v1/authorizationServers`), import with a given id, and
//! [`ManagementApi::ensure_default_server`].
//!
//! Choices where Okta's documents are silent or disagree:
//! * Create and replace both require `name`, `description` and exactly one `audiences` value
//!   (the Authorization Servers API's object table marks `description` required, its update
//!   table optional). An audience containing `:` must be an RFC 3986 URI.
//! * Replace ignores read-only fields (`id`, `issuer`, `created`, `lastUpdated`, `_links`,
//!   `credentials.signing` other than `rotationMode`) and `status`, which only the lifecycle
//!   operations change. A replace that changes nothing saves nothing (so it revokes nothing);
//!   one that changes anything stamps `changed_at`. Switching `rotationMode` alone is a key-ring
//!   change, not a configuration change, and keeps the `ACTIVE` key.
//! * Create honours `status` (default `ACTIVE`), `issuerMode`,
//!   `credentials.signing.rotationMode` (default `AUTO`) and `credentials.signing.alg`.
//! * `credentials.signing.alg` is this library's extension of Okta's
//!   `AuthorizationServerCredentialsSigningConfig` (Okta signs with `RS256` only): `RS256`,
//!   `PS256`, `ES256` or `EdDSA`, the algorithm of the server's keys. Without it a new server
//!   gets the host's default ([`RotationSettings::algorithm`](crate::keys::RotationSettings),
//!   `RS256` unless the host changes it) and a replace keeps the server's. Any other value, or
//!   one that is not a string, is `400 E0000001` with a cause for `credentials.signing.alg`, and
//!   nothing is stored. A replace that names another algorithm rotates at once to two new keys
//!   of it ([`KeyRing::switch_algorithm`]): the old `ACTIVE` key stays published as `EXPIRED`
//!   until its retention ends, so the tokens it signed verify until they expire; like a
//!   rotation, this is a key-ring change and revokes nothing.
//! * The configuration and the key ring are separate documents: a replace saves the
//!   configuration first, then the rotation mode. Should the store fail in between, repeating
//!   the (idempotent) replace completes it.
//! * `GET` list: `q` matches, case-insensitively, servers whose `name` or an audience *starts
//!   with* it (Okta's usual `q` semantics); `limit` defaults to 200, larger values are clamped to
//!   200, and a value that is not a positive integer is `400 E0000029`; `after` is the id of the
//!   last server of the previous page, and an unknown cursor is `400 E0000029`.
//! * The `default` server cannot be deleted (Okta: it can be renamed, not deleted):
//!   `403 E0000006` (Okta's code for operations on system objects), and its `self` link does not
//!   offer `DELETE`.
//! * `issuerMode` is stored as given (default `ORG_URL`); the issuer is always
//!   `{base}/oauth2/{id}`, since the host has one base URL.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::defaults::{DEFAULT_SERVER_ID, default_server_config, system_claims, system_scopes};
use super::fields::{BLANK, CONTROL, check_description, check_text, fail_on, from_object, parse_object};
use super::ids::{SERVER, object_id};
use super::limits::{AUDIENCE_MAX, DESCRIPTION_MAX, NAME_MAX};
use super::links::{issuer, link, server_href};
use super::paging::{CursorPlace, MAX_LIMIT, Page, PageRequest};
use super::{
    Answer, ApiError, ApiRequest, ApiResponse, FieldError, ManagementApi, Method, SAVE_ATTEMPTS, lifecycle, no_content,
    respond, to_json, unless_missing,
};
use crate::jose::Algorithm;
use crate::keys::{KeyRing, RotationMode};
use crate::model::{AuthorizationServer, Credentials, IssuerMode, Status};
use crate::store::{ConfigStore, Directory, ServerConfig, ServerOptions, StoreError};

/// The `not_found` kind of servers.
pub(super) const SERVER_KIND: &str = "AuthorizationServer";

/// `audiences` as sent: one string (the Authorization Servers API's examples print one) or an
/// array.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// The writable fields of a create or replace request. Absent fields are `None` so that they
/// are reported as validation failures (`E0000001`), while wrongly typed ones fail to parse
/// (`E0000003`). Unknown and read-only fields are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    audiences: Option<OneOrMany>,
    #[serde(default)]
    issuer_mode: Option<IssuerMode>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(default)]
    credentials: Option<Credentials>,
}

/// A validated create or replace request.
#[derive(Debug, Clone, PartialEq)]
struct ServerInput {
    name: String,
    description: String,
    audience: String,
    issuer_mode: Option<IssuerMode>,
    status: Status,
    rotation_mode: Option<RotationMode>,
    alg: Option<Algorithm>,
}

/// Where a server body names its signing algorithm, as error causes name it.
const ALG_FIELD: &str = "credentials.signing.alg";

/// Checks `credentials.signing.alg` of a create or replace body before the body is read: a value
/// that is not the name of a supported algorithm, or not a string, is `E0000001` with a cause
/// naming the field (where other wrongly typed fields are `E0000003`), never ignored.
fn check_signing_alg(object: &Map<String, Value>) -> Result<(), ApiError> {
    let alg = object
        .get("credentials")
        .and_then(|credentials| credentials.get("signing"))
        .and_then(|signing| signing.get("alg"))
        .filter(|alg| !alg.is_null());
    match alg {
        None => Ok(()),
        Some(Value::String(name)) if name.parse::<Algorithm>().is_ok() => Ok(()),
        Some(other) => {
            let expected: Vec<&str> = Algorithm::ALL.iter().map(|alg| alg.as_str()).collect();
            let message = format!("{other} is not a valid value: expected one of {}", expected.join(", "));
            Err(ApiError::invalid(ALG_FIELD, message))
        }
    }
}

/// A create, replace or import body as a server: not a JSON object, or wrongly typed fields, is
/// `E0000003`, an unsupported `credentials.signing.alg` `E0000001`; absent fields are left blank
/// for validation to report. `id` is kept when it is a string (imports use it); other read-only
/// and unknown fields are ignored.
pub(crate) fn server_from_json(object: Map<String, Value>) -> Result<AuthorizationServer, ApiError> {
    check_signing_alg(&object)?;
    let id = match object.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => String::new(),
    };
    let body: ServerBody = from_object(object)?;
    let audiences = match body.audiences {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    };
    Ok(AuthorizationServer {
        id,
        name: body.name.unwrap_or_default(),
        description: body.description,
        audiences,
        issuer: None,
        issuer_mode: body.issuer_mode,
        status: body.status.unwrap_or_default(),
        default: None,
        created: None,
        last_updated: None,
        credentials: body.credentials,
        links: None,
    })
}

/// A request body as a server (see [`server_from_json`]).
fn parse_server(body: Option<&[u8]>) -> Result<AuthorizationServer, ApiError> {
    server_from_json(parse_object(body)?)
}

/// Checks the required fields and the audience rules: missing or invalid values are `E0000001`
/// with one cause per field.
fn validate(server: &AuthorizationServer) -> Result<ServerInput, ApiError> {
    let mut failures = Vec::new();
    check_text(&mut failures, "name", Some(&server.name), NAME_MAX);
    check_description(
        &mut failures,
        "description",
        server.description.as_deref(),
        DESCRIPTION_MAX,
    );
    let name = server.name.clone();
    let description = server.description.clone().unwrap_or_default();
    let audience = match server.audiences.as_slice() {
        [] => {
            failures.push(FieldError::new("audiences", BLANK));
            String::new()
        }
        [one] if one.trim().is_empty() => {
            failures.push(FieldError::new("audiences", "An audience cannot be blank"));
            String::new()
        }
        [one] if one.chars().count() > AUDIENCE_MAX => {
            let message = format!("An audience cannot be longer than {AUDIENCE_MAX} characters");
            failures.push(FieldError::new("audiences", message));
            String::new()
        }
        [one] if one.chars().any(char::is_control) => {
            failures.push(FieldError::new("audiences", CONTROL));
            String::new()
        }
        [one] => {
            if one.contains(':') && !is_uri(one) {
                failures.push(FieldError::new("audiences", format!("'{one}' is not a valid URI")));
            }
            one.clone()
        }
        _ => {
            failures.push(FieldError::new("audiences", "Only one audience is supported"));
            String::new()
        }
    };
    fail_on(failures)?;
    let signing = server.credentials.as_ref().and_then(|c| c.signing.as_ref());
    Ok(ServerInput {
        name,
        description,
        audience,
        issuer_mode: server.issuer_mode,
        status: server.status,
        rotation_mode: signing.and_then(|s| s.rotation_mode),
        alg: signing.and_then(|s| s.alg),
    })
}

/// Whether `value` is an absolute URI: only RFC 3986 characters, and a scheme the `url` crate
/// accepts (`api://default`, `https://api.example.com`, `urn:example:api`).
fn is_uri(value: &str) -> bool {
    const ALLOWED: &str = "-._~:/?#[]@!$&'()*+,;=%";
    value.chars().all(|c| c.is_ascii_alphanumeric() || ALLOWED.contains(c)) && url::Url::parse(value).is_ok()
}

/// Whether `id` can be an imported server's id: 1–64 letters, digits, `-` and `_`.
fn is_importable_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Applies a validated replace request to `server`; returns whether anything changed.
fn apply_replacement(server: &mut AuthorizationServer, input: &ServerInput) -> bool {
    let before = server.clone();
    server.name.clone_from(&input.name);
    server.description = Some(input.description.clone());
    server.audiences = vec![input.audience.clone()];
    if let Some(mode) = input.issuer_mode {
        server.issuer_mode = Some(mode);
    }
    *server != before
}

/// Whether `server` matches the list's `q`: its name or an audience starts with it,
/// case-insensitively.
fn matches_query(server: &AuthorizationServer, query: &str) -> bool {
    let query = query.to_lowercase();
    std::iter::once(&server.name)
        .chain(&server.audiences)
        .any(|value| value.to_lowercase().starts_with(&query))
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// The servers whose name or an audience starts with `q` (case-insensitively; every server
    /// without `q`), as shown by `GET /api/v1/authorizationServers?q=…`: with
    /// `credentials.signing` and `_links`.
    ///
    /// # Errors
    /// `E0000009` when the store fails.
    pub async fn list_servers(&self, q: Option<&str>) -> Result<Vec<AuthorizationServer>, ApiError> {
        Ok(self.server_page(q, &PageRequest::unlimited()).await?.0)
    }

    /// `POST /api/v1/authorizationServers`: creates a server with a new `aus…` id, its keys
    /// (`ACTIVE` and `NEXT`, in `credentials.signing.rotationMode`, `AUTO` by default, of
    /// `credentials.signing.alg`, the host's default algorithm if absent), the system scopes and
    /// claims, and no policies. Of `server`, only `name`, `description`, `audiences` (exactly
    /// one), `issuerMode`, `status`, `credentials.signing.rotationMode` and
    /// `credentials.signing.alg` are read. Answers the server as shown.
    ///
    /// # Errors
    /// `E0000001` with one cause per invalid field; `E0000009` when the store fails or keys
    /// cannot be generated.
    pub async fn create_server(&self, server: AuthorizationServer) -> Result<AuthorizationServer, ApiError> {
        let input = validate(&server)?;
        let ring = self.new_server_key_ring(&input).await?;
        for _ in 0..SAVE_ATTEMPTS {
            match self
                .insert_server(&input, object_id(SERVER, self.random()), ring.clone())
                .await
            {
                // An id collision: draw another.
                Err(StoreError::Conflict) => continue,
                outcome => return outcome.map_err(ApiError::from),
            }
        }
        Err(ApiError::internal())
    }

    /// Creates a server with the `id` that `server` gives instead of drawing one: for hosts that
    /// load an org from a document, and test harnesses that want stable issuers. Otherwise as
    /// [`create_server`](Self::create_server) (`POST /api/v1/authorizationServers`). The
    /// `default` id creates a server without Okta's default policy (add policies with
    /// [`create_policy`](Self::create_policy)).
    ///
    /// # Errors
    /// `E0000001` for an `id` that is missing, taken, or not 1–64 letters, digits, `-` and `_`,
    /// and as [`create_server`](Self::create_server).
    pub async fn import_server(&self, server: AuthorizationServer) -> Result<AuthorizationServer, ApiError> {
        let id = server.id.as_str();
        if !is_importable_id(id) {
            let rule = "An imported authorization server needs an id of 1 to 64 letters, digits, '-' and '_'.";
            return Err(ApiError::invalid("id", rule));
        }
        let input = validate(&server)?;
        let taken = || ApiError::invalid("id", "An authorization server with this id already exists.");
        // Checked before generating keys, the costly part; the store's `create` still decides a
        // race.
        if self.config.load(id).await?.is_some() {
            return Err(taken());
        }
        let ring = self.new_server_key_ring(&input).await?;
        match self.insert_server(&input, id.to_owned(), ring).await {
            Err(StoreError::Conflict) => Err(taken()),
            outcome => outcome.map_err(ApiError::from),
        }
    }

    /// [`import_server`](Self::import_server) from the server's JSON (a create body with an
    /// `id`), answered as the management API answers: `201` with the server, or the error
    /// object.
    pub async fn import_server_json(&self, body: &[u8]) -> ApiResponse {
        let imported = async {
            let server = parse_server(Some(body))?;
            respond(201, &self.import_server(server).await?)
        };
        imported.await.unwrap_or_else(|error| error.response())
    }

    /// `GET /api/v1/authorizationServers/{id}`: the server as shown, with `credentials.signing`
    /// and `_links`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn get_server(&self, id: &str) -> Result<AuthorizationServer, ApiError> {
        let config = self.load(id).await?;
        self.show_server(&config.server).await
    }

    /// `PUT /api/v1/authorizationServers/{id}`: replaces the server's `name`, `description`,
    /// `audiences` and `issuerMode`, switches its keys to `credentials.signing.rotationMode` if
    /// given (keeping the `ACTIVE` key), and to `credentials.signing.alg` if given and not the
    /// server's (a rotation to new keys of that algorithm, see [`KeyRing::switch_algorithm`]).
    /// Read-only fields and `status` are ignored. Answers the server as shown.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000001` with one cause per invalid field; `E0000009`
    /// when the store fails.
    pub async fn replace_server(&self, id: &str, server: AuthorizationServer) -> Result<AuthorizationServer, ApiError> {
        let current = self.load(id).await?;
        let input = validate(&server)?;
        let mut probe = current.server.clone();
        if apply_replacement(&mut probe, &input) {
            self.edit(id, |config, now| {
                apply_replacement(&mut config.server, &input);
                config.server.last_updated = Some(now);
                Ok(())
            })
            .await?;
        }
        if let Some(mode) = input.rotation_mode {
            self.set_rotation_mode(id, mode).await?;
        }
        if let Some(alg) = input.alg {
            self.switch_algorithm(id, alg).await?;
        }
        self.get_server(id).await
    }

    /// `DELETE /api/v1/authorizationServers/{id}`: deletes the server with its policies, rules,
    /// scopes, claims and keys.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000006` for the `default` server, which cannot be
    /// deleted; `E0000009` when the store fails.
    pub async fn delete_server(&self, id: &str) -> Result<(), ApiError> {
        if id == DEFAULT_SERVER_ID {
            self.load(id).await?;
            return Err(ApiError::system_object("the default authorization server"));
        }
        if self.config.delete(id).await? {
            Ok(())
        } else {
            Err(ApiError::not_found(id, SERVER_KIND))
        }
    }

    /// `POST /api/v1/authorizationServers/{id}/lifecycle/activate` (`status` `ACTIVE`) or
    /// `…/lifecycle/deactivate` (`INACTIVE`). Setting the status a server already has saves
    /// nothing.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn set_server_status(&self, id: &str, status: Status) -> Result<(), ApiError> {
        let current = self.load(id).await?;
        if current.server.status != status {
            self.edit(id, |config, now| {
                config.server.status = status;
                config.server.last_updated = Some(now);
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// The options of server `id` that Okta's server object has no field for.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn server_options(&self, id: &str) -> Result<ServerOptions, ApiError> {
        Ok(self.load(id).await?.options)
    }

    /// Sets the options of server `id` that Okta's server object has no field for (an extension
    /// of this library, with no management URL). Like every configuration change it revokes the
    /// tokens minted before it; setting the options a server already has saves nothing, so a
    /// host may call it at every start.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn set_server_options(&self, id: &str, options: ServerOptions) -> Result<(), ApiError> {
        if self.load(id).await?.options != options {
            self.edit(id, |config, _| {
                config.options = options;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }

    /// Creates the `default` server (as Okta ships it, with generated `AUTO` keys) unless it
    /// exists. Idempotent and safe to race: hosts call it at startup.
    ///
    /// # Errors
    /// `E0000009` when the store fails or keys cannot be generated.
    pub async fn ensure_default_server(&self) -> Result<(), ApiError> {
        if self.config.load(DEFAULT_SERVER_ID).await?.is_some() {
            return Ok(());
        }
        let now = self.now();
        let ring = self
            .new_key_ring(RotationMode::Auto, self.rotation.algorithm, now)
            .await?;
        let config = default_server_config(&self.base_url, now, self.random());
        match self.config.create(config, ring).await {
            // Conflict: another caller created it first, which is just as good.
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Routes `/api/v1/authorizationServers[/{id}[/lifecycle/{action}]]`.
    pub(super) async fn route_servers(&self, request: &ApiRequest<'_>, rest: &[&str]) -> Answer {
        match (request.method, rest) {
            (Method::Get, []) => {
                let page = PageRequest::from_request(request, MAX_LIMIT)?;
                let query = request.query_param("q").filter(|q| !q.is_empty());
                let (servers, next) = self.server_page(query.as_deref(), &page).await?;
                let href = format!("{}/api/v1/authorizationServers", self.base_url);
                let extra = [("q", query)];
                Ok(page.response(to_json(&servers)?, &href, &extra, CursorPlace::BeforeLimit, next))
            }
            (Method::Post, []) => respond(201, &self.create_server(parse_server(request.body)?).await?),
            (_, []) => Err(ApiError::method_not_allowed()),
            (Method::Get, [id]) => respond(200, &self.get_server(id).await?),
            (Method::Put, [id]) => {
                let server = unless_missing(parse_server(request.body), self.load(id)).await?;
                respond(200, &self.replace_server(id, server).await?)
            }
            (Method::Delete, [id]) => no_content(self.delete_server(id).await),
            (_, [_]) => Err(ApiError::method_not_allowed()),
            (method, [id, "lifecycle", action]) => {
                no_content(self.set_server_status(id, lifecycle(method, action)?).await)
            }
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// The page of servers after `page`'s cursor that match `q`, as shown, and the cursor of the
    /// next page. The cursor is looked up among all servers; `q` filters those after it.
    async fn server_page(&self, q: Option<&str>, page: &PageRequest) -> Page<AuthorizationServer> {
        let all = self.config.servers().await?;
        let start = page.start(&all, |s| &s.id)?;
        let matching = all[start..].iter().filter(|s| q.is_none_or(|q| matches_query(s, q)));
        let (servers, next) = page.take(matching, |s| &s.id);
        let mut shown = Vec::with_capacity(servers.len());
        for server in servers {
            shown.push(self.show_server(server).await?);
        }
        Ok((shown, next))
    }

    /// The keys of a server created from `input`: its rotation mode (`AUTO` by default) and
    /// algorithm (the host's default if absent).
    async fn new_server_key_ring(&self, input: &ServerInput) -> Result<KeyRing, ApiError> {
        let mode = input.rotation_mode.unwrap_or_default();
        let alg = input.alg.unwrap_or(self.rotation.algorithm);
        self.new_key_ring(mode, alg, self.now()).await
    }

    /// Stores a new server `id` from `input` with the keys `ring`, and answers it as shown; the
    /// store's `Conflict` when the id is taken.
    async fn insert_server(
        &self,
        input: &ServerInput,
        id: String,
        ring: KeyRing,
    ) -> Result<AuthorizationServer, StoreError> {
        let now = self.now();
        let server = AuthorizationServer {
            issuer: Some(issuer(&self.base_url, &id)),
            id,
            name: input.name.clone(),
            description: Some(input.description.clone()),
            audiences: vec![input.audience.clone()],
            issuer_mode: Some(input.issuer_mode.unwrap_or(IssuerMode::OrgUrl)),
            status: input.status,
            default: None,
            created: Some(now),
            last_updated: Some(now),
            credentials: None,
            links: None,
        };
        let shown = self.shown_server(&server, Some(&ring));
        let config = ServerConfig {
            server,
            policies: Vec::new(),
            scopes: system_scopes(self.random()),
            claims: system_claims(self.random()),
            revision: 0,
            changed_at: now,
            options: Default::default(),
        };
        self.config.create(config, ring).await?;
        Ok(shown)
    }

    /// The server as the API shows it, with its key ring loaded (see [`Self::shown_server`]).
    async fn show_server(&self, server: &AuthorizationServer) -> Result<AuthorizationServer, ApiError> {
        let ring = self.config.key_ring(&server.id).await?;
        Ok(self.shown_server(server, ring.as_ref()))
    }

    /// The server as the API shows it: `credentials.signing` from its key ring, `default` for
    /// the default server, and `_links`.
    fn shown_server(&self, server: &AuthorizationServer, ring: Option<&KeyRing>) -> AuthorizationServer {
        let mut shown = server.clone();
        shown.credentials = ring.map(|ring| Credentials {
            signing: Some(ring.credentials()),
        });
        if server.id == DEFAULT_SERVER_ID {
            shown.default = Some(true);
        }
        shown.links = Some(server_links(&self.base_url, server));
        shown
    }
}

/// A server's `_links` as in the Authorization Servers API's "Authorization Server Object".
fn server_links(base_url: &str, server: &AuthorizationServer) -> Value {
    let href = server_href(base_url, &server.id);
    let issuer_url = server.issuer.clone().unwrap_or_else(|| issuer(base_url, &server.id));
    let metadata = |name: &str| {
        let mut entry = link(format!("{issuer_url}/.well-known/{name}"), &[Method::Get]);
        entry["name"] = json!(name);
        entry
    };
    let self_allow: &[Method] = if server.id == DEFAULT_SERVER_ID {
        &[Method::Get, Method::Put]
    } else {
        &[Method::Get, Method::Delete, Method::Put]
    };
    let mut links = json!({
        "scopes": link(format!("{href}/scopes"), &[Method::Get]),
        "claims": link(format!("{href}/claims"), &[Method::Get]),
        "policies": link(format!("{href}/policies"), &[Method::Get]),
        "self": link(href.clone(), self_allow),
        "metadata": [metadata("oauth-authorization-server"), metadata("openid-configuration")],
        "rotateKey": link(format!("{href}/credentials/lifecycle/keyRotate"), &[Method::Post]),
    });
    let action = if server.status.is_active() {
        "deactivate"
    } else {
        "activate"
    };
    links[action] = link(format!("{href}/lifecycle/{action}"), &[Method::Post]);
    links
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::Duration;

    use crate::admin::tests::{api, call, call_raw, create, keys, stored, with_default_server};
    use crate::admin::{ApiResponse, Method};
    use crate::model::timestamp;
    use crate::store::ConfigStore;

    const SERVERS: &str = "/api/v1/authorizationServers";

    /// Seed 003's "Create Authorization Server" request body.
    fn seed_create_body() -> Value {
        json!({ "name": "Sample Authorization Server",
                "description": "Sample Authorization Server description",
                "audiences": ["https://test.com"] })
    }

    fn body(name: &str, audience: &str) -> Value {
        json!({ "name": name, "description": format!("{name} description"), "audiences": [audience] })
    }

    fn id_of(server: &Value) -> String {
        server["id"].as_str().unwrap().to_owned()
    }

    fn error_code(response: &ApiResponse) -> &str {
        response
            .body
            .as_ref()
            .and_then(|b| b["errorCode"].as_str())
            .unwrap_or("")
    }

    fn links(response: &ApiResponse) -> Vec<&str> {
        response
            .headers
            .iter()
            .filter(|(k, _)| k == "Link")
            .map(|(_, v)| &**v)
            .collect()
    }

    #[tokio::test]
    async fn seed_003_create_example_gets_the_seed_shape() {
        // Seed 003 "Create Authorization Server" request → "Authorization Server Object" shape;
        // reference §2.2: create answers 201, keys rotate AUTO, `nextRotation` 90 days on.
        let (api, clock) = api();
        let server = create(&api, SERVERS, seed_create_body()).await;
        let id = id_of(&server);
        assert!(id.starts_with("aus") && id.len() == 20, "{id}");
        assert_eq!(server["name"], "Sample Authorization Server");
        assert_eq!(server["description"], "Sample Authorization Server description");
        assert_eq!(server["audiences"], json!(["https://test.com"]));
        assert_eq!(server["issuer"], format!("https://id.example.com/oauth2/{id}"));
        assert_eq!(server["issuerMode"], "ORG_URL");
        assert_eq!(server["status"], "ACTIVE");
        assert_eq!(server["created"], "2024-01-01T00:00:00.000Z");
        assert_eq!(server["lastUpdated"], "2024-01-01T00:00:00.000Z");
        // The seed's keys, plus `issuerMode` (seed 002, the current API).
        assert_eq!(
            keys(&server),
            [
                "_links",
                "audiences",
                "created",
                "credentials",
                "description",
                "id",
                "issuer",
                "issuerMode",
                "lastUpdated",
                "name",
                "status"
            ]
        );
        let signing = &server["credentials"]["signing"];
        assert_eq!(signing["rotationMode"], "AUTO");
        assert_eq!(signing["lastRotated"], "2024-01-01T00:00:00.000Z");
        assert_eq!(
            signing["nextRotation"], "2024-03-31T00:00:00.000Z",
            "90 days on, as in the seed"
        );
        assert_eq!(signing["use"], "sig");
        let ring = api.config.key_ring(&id).await.unwrap().unwrap();
        assert_eq!(signing["kid"], ring.active().kid.as_str());
        assert_eq!(ring.keys().len(), 2, "ACTIVE and NEXT");

        let links = &server["_links"];
        assert_eq!(
            keys(links),
            [
                "claims",
                "deactivate",
                "metadata",
                "policies",
                "rotateKey",
                "scopes",
                "self"
            ]
        );
        let href = format!("https://id.example.com/api/v1/authorizationServers/{id}");
        assert_eq!(
            links["self"],
            json!({"href": href, "hints": {"allow": ["GET", "DELETE", "PUT"]}})
        );
        assert_eq!(
            links["scopes"],
            json!({"href": format!("{href}/scopes"), "hints": {"allow": ["GET"]}})
        );
        assert_eq!(links["claims"]["href"], format!("{href}/claims"));
        assert_eq!(links["policies"]["href"], format!("{href}/policies"));
        assert_eq!(
            links["rotateKey"],
            json!({"href": format!("{href}/credentials/lifecycle/keyRotate"), "hints": {"allow": ["POST"]}})
        );
        assert_eq!(
            links["deactivate"],
            json!({"href": format!("{href}/lifecycle/deactivate"), "hints": {"allow": ["POST"]}})
        );
        let issuer = format!("https://id.example.com/oauth2/{id}");
        assert_eq!(
            links["metadata"],
            json!([
                {"name": "oauth-authorization-server", "href": format!("{issuer}/.well-known/oauth-authorization-server"),
                 "hints": {"allow": ["GET"]}},
                {"name": "openid-configuration", "href": format!("{issuer}/.well-known/openid-configuration"),
                 "hints": {"allow": ["GET"]}}
            ])
        );

        // Okta creates new servers with the system scopes and claims and no policies.
        let config = stored(&api, &id).await;
        assert!(config.policies.is_empty());
        assert!(config.scopes.iter().any(|s| s.name == "openid") && config.scopes.iter().all(|s| s.system));
        assert!(config.claims.iter().any(|c| c.name == "sub") && config.claims.iter().all(|c| c.system));
        assert_eq!(config.changed_at, clock_now(&clock));

        // GET answers the same object.
        let got = call(&api, Method::Get, &format!("{SERVERS}/{id}"), None).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body.unwrap(), server);
    }

    fn clock_now(clock: &crate::clock::ManualClock) -> time::OffsetDateTime {
        crate::clock::Clock::now(clock)
    }

    #[tokio::test]
    async fn round_trip_create_get_replace_list_delete() {
        let (api, clock) = api();
        let server = create(&api, SERVERS, body("Orders", "api://orders")).await;
        let id = id_of(&server);
        let path = format!("{SERVERS}/{id}");

        clock.advance(Duration::minutes(5));
        // Seed 003 "Update Authorization Server" example body; read-only fields are ignored.
        let mut replacement = json!({
            "name": "New Authorization Server",
            "description": "Authorization Server New Description",
            "audiences": ["https://api.new-resource.com"],
            "id": "ausSomethingElse0000", "issuer": "https://evil.example.com", "created": "2001-01-01T00:00:00.000Z",
            "status": "INACTIVE"
        });
        replacement["_links"] = json!({"self": {"href": "x"}});
        let replaced = call(&api, Method::Put, &path, Some(replacement)).await;
        assert_eq!(replaced.status, 200, "{:?}", replaced.body);
        let replaced = replaced.body.unwrap();
        assert_eq!(replaced["id"], id.as_str());
        assert_eq!(replaced["name"], "New Authorization Server");
        assert_eq!(replaced["description"], "Authorization Server New Description");
        assert_eq!(replaced["audiences"], json!(["https://api.new-resource.com"]));
        assert_eq!(replaced["issuer"], server["issuer"]);
        assert_eq!(replaced["created"], server["created"]);
        assert_eq!(
            replaced["status"], "ACTIVE",
            "status changes only through the lifecycle operations"
        );
        assert_eq!(replaced["lastUpdated"], "2024-01-01T00:05:00.000Z");

        let got = call(&api, Method::Get, &path, None).await;
        assert_eq!(got.body.unwrap(), replaced);

        let list = call(&api, Method::Get, SERVERS, None).await;
        assert_eq!(list.status, 200);
        assert_eq!(list.body.unwrap(), json!([replaced]));

        let deleted = call(&api, Method::Delete, &path, None).await;
        assert_eq!(deleted.status, 204);
        assert_eq!(deleted.body, None);
        assert_eq!(error_code(&call(&api, Method::Get, &path, None).await), "E0000007");
        assert!(api.config.key_ring(&id).await.unwrap().is_none(), "its keys go with it");
        assert_eq!(call(&api, Method::Get, SERVERS, None).await.body.unwrap(), json!([]));
    }

    #[tokio::test]
    async fn validation_errors_name_each_field() {
        // Reference §2.2: name, description and audiences are required; one audience only; an
        // audience containing ':' must be a valid URI. §2.3: one cause per field. Seed 000: "Each
        // authorization server can have only one resource"; "The resource URI … must be an
        // absolute path" is applied as reference §2.2's current rule (see docs/seed-coverage.md).
        let (api, _) = api();
        let cases: Vec<(Value, &str, Vec<&str>)> = vec![
            (
                json!({"description": "d", "audiences": ["api://x"]}),
                "Api validation failed: name",
                vec!["name: The field cannot be left blank"],
            ),
            (
                json!({"name": "  ", "description": "d", "audiences": ["api://x"]}),
                "Api validation failed: name",
                vec!["name: The field cannot be left blank"],
            ),
            (
                json!({"name": "n", "audiences": ["api://x"]}),
                "Api validation failed: description",
                vec!["description: The field cannot be left blank"],
            ),
            (
                json!({"name": "n", "description": "d"}),
                "Api validation failed: audiences",
                vec!["audiences: The field cannot be left blank"],
            ),
            (
                json!({"name": "n", "description": "d", "audiences": []}),
                "Api validation failed: audiences",
                vec!["audiences: The field cannot be left blank"],
            ),
            (
                json!({"name": "n", "description": "d", "audiences": [""]}),
                "Api validation failed: audiences",
                vec!["audiences: An audience cannot be blank"],
            ),
            (
                json!({"name": "n", "description": "d", "audiences": ["a:b c"]}),
                "Api validation failed: audiences",
                vec!["audiences: 'a:b c' is not a valid URI"],
            ),
            (
                json!({"name": "n", "description": "d", "audiences": ["1api:x"]}),
                "Api validation failed: audiences",
                vec!["audiences: '1api:x' is not a valid URI"],
            ),
            (
                json!({"name": "n", "description": "d", "audiences": ["api://a", "api://b"]}),
                "Api validation failed: audiences",
                vec!["audiences: Only one audience is supported"],
            ),
            (
                json!({"audiences": "http://a b"}),
                "Api validation failed: name, description, audiences",
                vec![
                    "name: The field cannot be left blank",
                    "description: The field cannot be left blank",
                    "audiences: 'http://a b' is not a valid URI",
                ],
            ),
        ];
        for (request, summary, causes) in cases {
            let response = call(&api, Method::Post, SERVERS, Some(request.clone())).await;
            assert_eq!(response.status, 400, "{request}");
            let body = response.body.unwrap();
            assert_eq!(body["errorCode"], "E0000001", "{request}");
            assert_eq!(body["errorSummary"], summary, "{request}");
            let got: Vec<&str> = body["errorCauses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["errorSummary"].as_str().unwrap())
                .collect();
            assert_eq!(got, causes, "{request}");
        }
        assert!(
            api.config.servers().await.unwrap().is_empty(),
            "a failed create stores nothing"
        );
    }

    #[tokio::test]
    async fn malformed_bodies_are_e0000003() {
        let (api, _) = api();
        for raw in [&b"{not json"[..], b"", b"[\"n\", \"d\", [\"api://x\"]]", b"\"name\""] {
            let response = call_raw(&api, Method::Post, SERVERS, raw).await;
            assert_eq!(
                (response.status, error_code(&response)),
                (400, "E0000003"),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        for wrong in [
            json!({"name": 5, "description": "d", "audiences": ["api://x"]}),
            json!({"name": "n", "description": "d", "audiences": 5}),
            json!({"name": "n", "description": "d", "audiences": [1]}),
            json!({"name": "n", "description": "d", "audiences": ["api://x"], "issuerMode": "ORG"}),
            json!({"name": "n", "description": "d", "audiences": ["api://x"], "credentials": {"signing": {"rotationMode": "SOMETIMES"}}}),
        ] {
            let response = call(&api, Method::Post, SERVERS, Some(wrong.clone())).await;
            assert_eq!((response.status, error_code(&response)), (400, "E0000003"), "{wrong}");
        }
        let response = call(&api, Method::Post, SERVERS, None).await;
        assert_eq!(error_code(&response), "E0000003");
        assert!(api.config.servers().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn audiences_that_are_accepted() {
        // Without ':' any value goes; with ':' it must be a URI. Seed 003 prints a single string.
        let (api, _) = api();
        for audience in [
            json!("api://default"),
            json!(["urn:example:api"]),
            json!(["orders"]),
            json!("https://test.com/x?y=1"),
        ] {
            let server = create(
                &api,
                SERVERS,
                json!({"name": "n", "description": "d", "audiences": audience.clone()}),
            )
            .await;
            assert_eq!(server["audiences"].as_array().map(Vec::len), Some(1), "{audience}");
        }
    }

    #[tokio::test]
    async fn a_failed_replace_changes_nothing() {
        let (api, clock) = api();
        let id = id_of(&create(&api, SERVERS, body("Orders", "api://orders")).await);
        let path = format!("{SERVERS}/{id}");
        let before = stored(&api, &id).await;
        let ring_before = api.config.key_ring(&id).await.unwrap().unwrap();
        clock.advance(Duration::minutes(1));
        let invalid = json!({"name": "", "description": "d", "audiences": ["api://a", "api://b"],
                             "credentials": {"signing": {"rotationMode": "MANUAL"}}});
        let response = call(&api, Method::Put, &path, Some(invalid)).await;
        assert_eq!((response.status, error_code(&response)), (400, "E0000001"));
        let response = call_raw(&api, Method::Put, &path, b"{oops").await;
        assert_eq!(error_code(&response), "E0000003");
        assert_eq!(
            stored(&api, &id).await,
            before,
            "configuration, revision and changed_at unchanged"
        );
        assert_eq!(
            api.config.key_ring(&id).await.unwrap().unwrap(),
            ring_before,
            "rotation mode unchanged"
        );
    }

    #[tokio::test]
    async fn a_changed_configuration_stamps_changed_at() {
        // Seeds 000/003: "Revocation happens when a configuration is changed"; the implicit
        // revocation compares token issue times with `changed_at`.
        let (api, clock) = api();
        let id = id_of(&create(&api, SERVERS, body("Orders", "api://orders")).await);
        let path = format!("{SERVERS}/{id}");
        let before = stored(&api, &id).await;
        clock.advance(Duration::minutes(10));
        let response = call(&api, Method::Put, &path, Some(body("Orders", "api://orders-v2"))).await;
        assert_eq!(response.status, 200);
        let after = stored(&api, &id).await;
        assert!(after.changed_at > before.changed_at);
        assert_eq!(after.changed_at, clock_now(&clock));
        assert_eq!(after.revision, before.revision + 1);

        // Replacing with the same values is no change: nothing saved, nothing revoked.
        clock.advance(Duration::minutes(10));
        let response = call(&api, Method::Put, &path, Some(body("Orders", "api://orders-v2"))).await;
        assert_eq!(response.status, 200);
        assert_eq!(stored(&api, &id).await, after);

        // Deactivation is a change too.
        clock.advance(Duration::minutes(10));
        call(&api, Method::Post, &format!("{path}/lifecycle/deactivate"), None).await;
        assert_eq!(stored(&api, &id).await.changed_at, clock_now(&clock));
    }

    #[tokio::test]
    async fn switching_rotation_mode_keeps_the_active_key() {
        // Seed 003 "Update Authorization Server": "Switching between rotation modes won't change
        // the active signing key." `nextRotation` is only reported in AUTO mode.
        let (api, clock) = api();
        let server = create(&api, SERVERS, body("Orders", "api://orders")).await;
        let id = id_of(&server);
        let path = format!("{SERVERS}/{id}");
        let kid = server["credentials"]["signing"]["kid"].clone();
        let config_before = stored(&api, &id).await;
        clock.advance(Duration::days(1));

        let mut manual = body("Orders", "api://orders");
        manual["credentials"] = json!({"signing": {"rotationMode": "MANUAL", "use": "sig"}});
        let response = call(&api, Method::Put, &path, Some(manual)).await;
        assert_eq!(response.status, 200);
        let signing = &response.body.as_ref().unwrap()["credentials"]["signing"];
        assert_eq!(signing["rotationMode"], "MANUAL");
        assert_eq!(signing["kid"], kid);
        assert_eq!(signing["lastRotated"], "2024-01-01T00:00:00.000Z");
        assert!(signing.get("nextRotation").is_none());
        assert_eq!(
            stored(&api, &id).await,
            config_before,
            "a mode switch is not a configuration change"
        );

        // Back to AUTO, with a GET response as the body (read-only fields ignored).
        let mut auto = call(&api, Method::Get, &path, None).await.body.unwrap();
        auto["credentials"]["signing"]["rotationMode"] = json!("AUTO");
        let response = call(&api, Method::Put, &path, Some(auto)).await;
        let signing = &response.body.as_ref().unwrap()["credentials"]["signing"];
        assert_eq!(signing["rotationMode"], "AUTO");
        assert_eq!(signing["kid"], kid);
        assert_eq!(signing["nextRotation"], "2024-03-31T00:00:00.000Z");
    }

    #[tokio::test]
    async fn create_honours_a_requested_rotation_mode() {
        let (api, _) = api();
        let mut request = body("Orders", "api://orders");
        request["credentials"] = json!({"signing": {"rotationMode": "MANUAL"}});
        let server = create(&api, SERVERS, request).await;
        assert_eq!(server["credentials"]["signing"]["rotationMode"], "MANUAL");
        assert!(server["credentials"]["signing"].get("nextRotation").is_none());
    }

    #[tokio::test]
    async fn unknown_ids_are_e0000007_on_every_operation() {
        let (api, _) = api();
        let path = format!("{SERVERS}/ausUnknown");
        let requests = [
            (Method::Get, path.clone(), None),
            (Method::Put, path.clone(), Some(body("n", "api://n"))),
            (Method::Delete, path.clone(), None),
            (Method::Post, format!("{path}/lifecycle/activate"), None),
            (Method::Post, format!("{path}/lifecycle/deactivate"), None),
            (Method::Get, format!("{path}/credentials/keys"), None),
            (
                Method::Post,
                format!("{path}/credentials/lifecycle/keyRotate"),
                Some(json!({"use": "sig"})),
            ),
        ];
        for (method, path, body) in requests {
            let response = call(&api, method, &path, body).await;
            assert_eq!(response.status, 404, "{method:?} {path}");
            let body = response.body.unwrap();
            assert_eq!(body["errorCode"], "E0000007");
            assert_eq!(
                body["errorSummary"],
                "Not found: Resource not found: ausUnknown (AuthorizationServer)"
            );
        }
    }

    #[tokio::test]
    async fn activate_and_deactivate_change_the_status() {
        // Seed 003 / reference §2.2: lifecycle operations answer 204 (current API).
        let (api, clock) = api();
        let id = id_of(&create(&api, SERVERS, body("Orders", "api://orders")).await);
        let path = format!("{SERVERS}/{id}");
        clock.advance(Duration::minutes(1));
        let response = call(&api, Method::Post, &format!("{path}/lifecycle/deactivate"), None).await;
        assert_eq!((response.status, response.body), (204, None));
        let server = call(&api, Method::Get, &path, None).await.body.unwrap();
        assert_eq!(server["status"], "INACTIVE");
        assert_eq!(server["lastUpdated"], "2024-01-01T00:01:00.000Z");
        assert!(server["_links"].get("deactivate").is_none());
        assert_eq!(
            server["_links"]["activate"]["href"],
            format!("https://id.example.com{path}/lifecycle/activate")
        );

        // Deactivating again saves nothing.
        let revision = stored(&api, &id).await.revision;
        assert_eq!(
            call(&api, Method::Post, &format!("{path}/lifecycle/deactivate"), None)
                .await
                .status,
            204
        );
        assert_eq!(stored(&api, &id).await.revision, revision);

        assert_eq!(
            call(&api, Method::Post, &format!("{path}/lifecycle/activate"), None)
                .await
                .status,
            204
        );
        let server = call(&api, Method::Get, &path, None).await.body.unwrap();
        assert_eq!(server["status"], "ACTIVE");
        assert!(server["_links"].get("activate").is_none());

        assert_eq!(
            error_code(&call(&api, Method::Get, &format!("{path}/lifecycle/activate"), None).await),
            "E0000022"
        );
        assert_eq!(
            error_code(&call(&api, Method::Post, &format!("{path}/lifecycle/suspend"), None).await),
            "E0000008"
        );
    }

    #[tokio::test]
    async fn the_default_server_cannot_be_deleted() {
        // Reference §2.4: the default server cannot be deleted, but can be renamed.
        let (api, _) = api();
        with_default_server(&api).await;
        let path = format!("{SERVERS}/default");
        let response = call(&api, Method::Delete, &path, None).await;
        assert_eq!((response.status, error_code(&response)), (403, "E0000006"));
        assert!(api.config.load("default").await.unwrap().is_some());

        let server = call(&api, Method::Get, &path, None).await.body.unwrap();
        assert_eq!(server["default"], true);
        assert_eq!(server["issuer"], "https://id.example.com/oauth2/default");
        assert_eq!(server["_links"]["self"]["hints"]["allow"], json!(["GET", "PUT"]));

        let renamed = call(&api, Method::Put, &path, Some(body("Renamed", "api://default"))).await;
        assert_eq!(renamed.status, 200);
        assert_eq!(renamed.body.unwrap()["name"], "Renamed");
    }

    #[tokio::test]
    async fn ensure_default_server_is_idempotent() {
        let (api, clock) = api();
        api.ensure_default_server().await.unwrap();
        let config = stored(&api, "default").await;
        let ring = api.config.key_ring("default").await.unwrap().unwrap();
        assert_eq!(config.server.audiences, ["api://default"]);
        assert_eq!(
            config.policies.len(),
            1,
            "the default server ships with its Default Policy"
        );
        assert_eq!(ring.keys().len(), 2);

        clock.advance(Duration::hours(1));
        api.ensure_default_server().await.unwrap();
        assert_eq!(stored(&api, "default").await, config);
        assert_eq!(api.config.key_ring("default").await.unwrap().unwrap(), ring);
        assert_eq!(api.config.servers().await.unwrap().len(), 1);

        let response = call(&api, Method::Get, &format!("{SERVERS}/default"), None).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.body.unwrap()["credentials"]["signing"]["kid"],
            ring.active().kid.as_str()
        );
    }

    #[tokio::test]
    async fn list_pages_with_link_headers() {
        let (api, _) = api();
        let mut ids = Vec::new();
        for (name, audience) in [
            ("Orders", "api://orders"),
            ("Payments", "api://payments"),
            ("Inventory", "https://inventory.test"),
        ] {
            ids.push(id_of(&create(&api, SERVERS, body(name, audience)).await));
        }
        let base = "https://id.example.com/api/v1/authorizationServers";

        let first = call(&api, Method::Get, &format!("{SERVERS}?limit=2"), None).await;
        assert_eq!(first.status, 200);
        let page: Vec<String> = first
            .body
            .as_ref()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(page, ids[..2]);
        assert_eq!(
            links(&first),
            [
                format!("<{base}?limit=2>; rel=\"self\""),
                format!("<{base}?after={}&limit=2>; rel=\"next\"", ids[1])
            ]
        );

        let second = call(&api, Method::Get, &format!("{SERVERS}?after={}&limit=2", ids[1]), None).await;
        let page: Vec<String> = second
            .body
            .as_ref()
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(page, ids[2..]);
        assert_eq!(
            links(&second),
            [format!("<{base}?after={}&limit=2>; rel=\"self\"", ids[1])],
            "no next page"
        );

        // Exactly a page full: no next link.
        let full = call(&api, Method::Get, &format!("{SERVERS}?limit=3"), None).await;
        assert_eq!(links(&full).len(), 1);
        // Default and clamped limits.
        let all = call(&api, Method::Get, SERVERS, None).await;
        assert_eq!(all.body.as_ref().unwrap().as_array().unwrap().len(), 3);
        assert_eq!(links(&all), [format!("<{base}?limit=200>; rel=\"self\"")]);
        let clamped = call(&api, Method::Get, &format!("{SERVERS}?limit=1000"), None).await;
        assert_eq!(links(&clamped), [format!("<{base}?limit=200>; rel=\"self\"")]);

        for bad in ["limit=0", "limit=-1", "limit=abc", "after=ausNoSuchServer0000"] {
            let response = call(&api, Method::Get, &format!("{SERVERS}?{bad}"), None).await;
            assert_eq!((response.status, error_code(&response)), (400, "E0000029"), "{bad}");
        }
    }

    #[tokio::test]
    async fn list_filters_by_name_or_audience_prefix() {
        let (api, _) = api();
        let orders = id_of(&create(&api, SERVERS, body("Orders", "api://orders")).await);
        let payments = id_of(&create(&api, SERVERS, body("Payments", "https://pay.test")).await);
        let found = |query: &'static str| {
            let api = &api;
            async move {
                let response = call(api, Method::Get, &format!("{SERVERS}?{query}"), None).await;
                response
                    .body
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(id_of)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(found("q=ord").await, [orders.as_str()]);
        assert_eq!(found("q=ORDERS").await, [orders.as_str()], "case-insensitive");
        assert_eq!(
            found("q=https%3A%2F%2Fpay").await,
            [payments.as_str()],
            "audience prefix"
        );
        assert_eq!(found("q=api").await, [orders.as_str()]);
        assert!(found("q=rders").await.is_empty(), "prefix, not substring");
        assert_eq!(found("q=").await.len(), 2);
        // Paging keeps the query.
        let response = call(&api, Method::Get, &format!("{SERVERS}?q=p&limit=1"), None).await;
        assert_eq!(
            links(&response)[0],
            "<https://id.example.com/api/v1/authorizationServers?q=p&limit=1>; rel=\"self\""
        );
    }

    #[tokio::test]
    async fn paging_keeps_the_query_in_the_next_link() {
        let (api, _) = api();
        let first = id_of(&create(&api, SERVERS, body("Alpha", "api://alpha")).await);
        create(&api, SERVERS, body("Beta", "api://beta")).await;
        let third = id_of(&create(&api, SERVERS, body("Alpha two", "api://alpha2")).await);
        let response = call(&api, Method::Get, &format!("{SERVERS}?q=alpha&limit=1"), None).await;
        assert_eq!(
            links(&response)[1],
            format!("<https://id.example.com/api/v1/authorizationServers?q=alpha&after={first}&limit=1>; rel=\"next\"")
        );
        let next = call(
            &api,
            Method::Get,
            &format!("{SERVERS}?q=alpha&after={first}&limit=1"),
            None,
        )
        .await;
        assert_eq!(
            next.body
                .as_ref()
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(id_of)
                .collect::<Vec<_>>(),
            [third]
        );
        assert_eq!(links(&next).len(), 1);
    }

    #[tokio::test]
    async fn unsupported_methods_are_e0000022() {
        let (api, _) = api();
        let id = id_of(&create(&api, SERVERS, body("Orders", "api://orders")).await);
        for (method, path) in [
            (Method::Delete, SERVERS.to_owned()),
            (Method::Put, SERVERS.to_owned()),
            (Method::Post, format!("{SERVERS}/{id}")),
        ] {
            let response = call(&api, method, &path, Some(json!({}))).await;
            assert_eq!(
                (response.status, error_code(&response)),
                (405, "E0000022"),
                "{method:?} {path}"
            );
        }
    }

    #[test]
    fn timestamps_in_responses_are_oktas() {
        // Guard for the shape assertions above: Okta prints milliseconds and `Z`.
        let at = time::macros::datetime!(2024-03-31 0:00 UTC);
        assert_eq!(timestamp::format(at).unwrap(), "2024-03-31T00:00:00.000Z");
    }

    #[tokio::test]
    async fn import_creates_a_server_with_the_given_id() {
        let (api, _) = api();
        let mut orders = body("Orders", "api://orders");
        orders["id"] = json!("orders");
        let bytes = serde_json::to_vec(&orders).unwrap();
        let created = api.import_server_json(&bytes).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let created = created.body.unwrap();
        assert_eq!(created["id"], "orders");
        assert_eq!(created["issuer"], "https://id.example.com/oauth2/orders");
        let got = call(&api, Method::Get, "/api/v1/authorizationServers/orders", None).await;
        assert_eq!(got.body.unwrap()["audiences"], json!(["api://orders"]));
        let scopes = call(&api, Method::Get, "/api/v1/authorizationServers/orders/scopes", None).await;
        assert!(!scopes.body.unwrap().as_array().unwrap().is_empty(), "system scopes");

        let taken = api.import_server_json(&bytes).await;
        assert_eq!((taken.status, error_code(&taken)), (400, "E0000001"));
        orders["id"] = json!("no/slash");
        let bad_id = api.import_server_json(&serde_json::to_vec(&orders).unwrap()).await;
        assert_eq!((bad_id.status, error_code(&bad_id)), (400, "E0000001"));
        let invalid = api.import_server_json(br#"{"id": "other", "name": "Other"}"#).await;
        assert_eq!((invalid.status, error_code(&invalid)), (400, "E0000001"));
        assert!(
            api.config.load("other").await.unwrap().is_none(),
            "a refused import stores nothing"
        );
    }
}

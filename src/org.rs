//! Org documents: an API token, users, groups, OAuth clients and authorization servers in
//! Okta's JSON shapes, parsed with [`Org::parse`] and installed into a host's stores with
//! [`Org::install`].
//!
//! ```text
//! {
//!   "apiToken": "…",                       // the SSWS token of the management API
//!   "org": { "id": "00o…", "name": "…" },  // optional: the `idp` of ID tokens, `org.*` in expressions
//!   "users": [ { "id": "00u…", "status": "ACTIVE", "profile": { "login": "…", … },
//!                "credentials": { "password": { "value": "…" } } } ],
//!   "groups": [ { "id": "00g…", "profile": { "name": "…" }, "members": ["00u… or login"] } ],
//!   "clients": [ { "client_id": "…", "client_secret": "…", …registration fields…,
//!                  "users": ["00u… or login"], "groups": ["00g… or name"] } ],
//!   "authorizationServers": [ { "id": "default", "name": "…", "description": "…", "audiences": ["…"],
//!                               "scopes": […], "claims": […], "policies": [ { …, "rules": […] } ] } ]
//! }
//! ```
//!
//! Users are Okta's user objects, groups its group objects (`type` defaults to `OKTA_GROUP`),
//! clients the bodies of Okta's client registration API (RFC 7591) and servers, scopes, claims,
//! policies and rules the bodies of the Okta Authorization Servers API. Servers, scopes, claims,
//! policies, rules and clients go through the typed operations of [`ManagementApi`] (imports
//! keep the document's ids and secrets) and are validated exactly as API calls are. A server
//! `default` that the document does not give is created as Okta's. Every problem is reported
//! with the file, the JSON path (`authorizationServers[0].policies[1].rules[0]`) and what is
//! wrong: `org.json: at users[0].profile: missing field `login``.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//!
//! use authserver::AuthServer;
//! use authserver::crypto::PasswordHasher;
//! use authserver::jose::Algorithm;
//! use authserver::keys::RotationSettings;
//! use authserver::org::Org;
//! use authserver::store::{Directory, MemoryDirectory};
//!
//! let org = Org::parse(
//!     r#"{"apiToken": "00example",
//!         "users": [{"id": "00u1", "status": "ACTIVE", "profile": {"login": "ada@example.com"},
//!                    "credentials": {"password": {"value": "correct horse"}}}]}"#,
//!     "org.json",
//! )?;
//! let directory = Arc::new(MemoryDirectory::new(PasswordHasher::with_iterations(1_000)));
//! let server = AuthServer::builder("https://id.example.com")
//!     .directory(directory.clone())
//!     .rotation(RotationSettings { algorithm: Algorithm::EdDSA, ..Default::default() })
//!     .build();
//! org.install(server.management(), server.clock().now()).await?;
//! assert!(directory.check_password("ada@example.com", "correct horse").await?.is_some());
//! assert_eq!(server.management().get_server("default").await?.name, "default");
//! # Ok(())
//! # }
//! # futures::executor::block_on(demo()).unwrap();
//! ```

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::admin::{
    ApiError, ManagementApi, claim_from_json, imported_client_from_json, policy_from_json, rule_from_json,
    scope_from_json, server_from_json,
};
use crate::model::{Group, User};
use crate::store::{ConfigStore, DirectoryWrites, StoreError};

/// Why an org document cannot be loaded: which file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgError {
    /// The file (or the name the text was given).
    pub file: String,
    /// The JSON path of the offending value (`.` for the whole document).
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for OrgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: at {}: {}", self.file, self.path, self.problem)
    }
}

impl std::error::Error for OrgError {}

/// The document's top level. Unknown members are refused, to catch misspellings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Document {
    api_token: String,
    #[serde(default)]
    org: Option<OrgInfo>,
    #[serde(default)]
    users: Vec<Value>,
    #[serde(default)]
    groups: Vec<Value>,
    #[serde(default)]
    clients: Vec<Value>,
    #[serde(default)]
    authorization_servers: Vec<Value>,
}

/// The organization: its id (`idp` of ID tokens) and what expressions see as `org.*`.
#[derive(Deserialize)]
struct OrgInfo {
    id: String,
    #[serde(flatten)]
    attributes: Map<String, Value>,
}

/// `credentials.password.value` of a user.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    password: Option<Password>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Password {
    value: String,
}

/// A user of the document, with the password it signs in with.
#[derive(Debug, Clone)]
pub struct Account {
    /// The user.
    pub user: User,
    /// The plaintext password from the document, if any.
    pub password: Option<String>,
}

/// A parsed org document, ready to be installed.
#[derive(Debug, Clone)]
pub struct Org {
    file: String,
    /// The management API token (`apiToken`).
    pub api_token: String,
    /// The organization's id and `org.*` attributes, if given (see
    /// [`AuthServerBuilder::org`](crate::AuthServerBuilder::org)).
    pub org: Option<(String, Map<String, Value>)>,
    /// The users, with their passwords.
    pub accounts: Vec<Account>,
    groups: Vec<(Group, Vec<String>)>,
    clients: Vec<Value>,
    servers: Vec<Value>,
}

impl Org {
    /// Reads and parses the org document at `path`.
    ///
    /// # Errors
    /// An [`OrgError`] at `.` when the file cannot be read, otherwise as [`parse`](Self::parse).
    pub fn from_file(path: &Path) -> Result<Self, OrgError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| OrgError {
            file: file.clone(),
            path: ".".into(),
            problem: format!("cannot read the file: {error}"),
        })?;
        Self::parse(&text, &file)
    }

    /// Parses an org document; `file` names it in errors.
    ///
    /// # Errors
    /// An [`OrgError`] with the JSON path of the first problem: JSON that does not parse, an
    /// unknown top-level member, a blank `apiToken`, a user or group that is not Okta's shape, an
    /// id, login or group name used twice, or a client that authenticates with a secret without
    /// its `client_secret`.
    pub fn parse(text: &str, file: &str) -> Result<Self, OrgError> {
        let at = |path: &str, problem: String| OrgError {
            file: file.to_owned(),
            path: if path.is_empty() { ".".into() } else { path.to_owned() },
            problem,
        };
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        let document: Document = serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = error.path().to_string();
            at(&path, error.into_inner().to_string())
        })?;
        if document.api_token.trim().is_empty() {
            return Err(at("apiToken", "the API token cannot be blank".into()));
        }
        let mut accounts: Vec<Account> = Vec::with_capacity(document.users.len());
        for (i, entry) in document.users.iter().enumerate() {
            let path = format!("users[{i}]");
            let user: User = parse_at(entry, &path, file)?;
            let password = match entry.get("credentials") {
                None | Some(Value::Null) => None,
                Some(credentials) => parse_at::<Credentials>(credentials, &format!("{path}.credentials"), file)?
                    .password
                    .map(|p| p.value),
            };
            if accounts.iter().any(|a| a.user.id == user.id) {
                return Err(at(&format!("{path}.id"), format!("the id '{}' is used twice", user.id)));
            }
            let login = user.profile.login.to_lowercase();
            if accounts.iter().any(|a| a.user.profile.login.to_lowercase() == login) {
                let problem = format!("the login '{}' is used twice", user.profile.login);
                return Err(at(&format!("{path}.profile.login"), problem));
            }
            accounts.push(Account { user, password });
        }
        let mut groups: Vec<(Group, Vec<String>)> = Vec::with_capacity(document.groups.len());
        for (i, entry) in document.groups.iter().enumerate() {
            let path = format!("groups[{i}]");
            let mut object = entry.clone();
            let members = match object.as_object_mut().and_then(|o| o.remove("members")) {
                None => Vec::new(),
                Some(members) => parse_at::<Vec<String>>(&members, &format!("{path}.members"), file)?,
            };
            if let Some(o) = object.as_object_mut() {
                o.entry("type").or_insert_with(|| Value::String("OKTA_GROUP".into()));
            }
            let group: Group = parse_at(&object, &path, file)?;
            if groups.iter().any(|(g, _)| g.id == group.id) {
                return Err(at(
                    &format!("{path}.id"),
                    format!("the id '{}' is used twice", group.id),
                ));
            }
            if groups.iter().any(|(g, _)| g.profile.name == group.profile.name) {
                let problem = format!("the name '{}' is used twice", group.profile.name);
                return Err(at(&format!("{path}.profile.name"), problem));
            }
            groups.push((group, members));
        }
        for (i, client) in document.clients.iter().enumerate() {
            let uses_secret = matches!(
                client.get("token_endpoint_auth_method").and_then(Value::as_str),
                None | Some("client_secret_basic" | "client_secret_post" | "client_secret_jwt")
            );
            if uses_secret && client.get("client_secret").is_none() {
                let problem = "a client that authenticates with a secret needs its client_secret here";
                return Err(at(&format!("clients[{i}].client_secret"), problem.into()));
            }
        }
        Ok(Self {
            file: file.to_owned(),
            api_token: document.api_token,
            org: document.org.map(|org| (org.id, org.attributes)),
            accounts,
            groups,
            clients: document.clients,
            servers: document.authorization_servers,
        })
    }

    /// Installs the document through `api` (an [`AuthServer`](crate::AuthServer)'s
    /// [`management`](crate::AuthServer::management) API, for one) and its directory: users,
    /// groups and memberships, clients and their assignments, then the authorization servers
    /// (and `default` unless given). Users without `created` and `lastUpdated` get `now`, as
    /// Okta stamps every user.
    ///
    /// Installing again after a failure (a start that stopped half-way) completes it: users,
    /// groups, memberships and assignments are written again, and clients and servers already
    /// stored are kept as they are. A server that the interrupted install left half-built stays
    /// so; empty the stores to start over.
    ///
    /// # Errors
    /// An [`OrgError`] at the path of the first object the API or the directory refuses (with
    /// the API's summary and causes), or that names a user or group the document does not have.
    pub async fn install<C: ConfigStore, D: DirectoryWrites>(
        &self,
        api: &ManagementApi<C, D>,
        now: OffsetDateTime,
    ) -> Result<(), OrgError> {
        let directory = api.directory();
        for (i, account) in self.accounts.iter().enumerate() {
            let mut user = account.user.clone();
            user.created.get_or_insert(now);
            user.last_updated.get_or_insert(now);
            directory
                .put_user(user, account.password.as_deref())
                .await
                .map_err(|error| self.store_error(&format!("users[{i}]"), &error))?;
        }
        for (i, (group, members)) in self.groups.iter().enumerate() {
            let path = format!("groups[{i}]");
            let written = directory.put_group(group.clone()).await;
            written.map_err(|error| self.store_error(&path, &error))?;
            for (j, member) in members.iter().enumerate() {
                let path = format!("{path}.members[{j}]");
                let user_id = self.user_id(&path, member)?;
                let written = directory.put_member(&group.id, &user_id).await;
                written.map_err(|error| self.store_error(&path, &error))?;
            }
        }
        for (i, client) in self.clients.iter().enumerate() {
            self.install_client(api, client, &format!("clients[{i}]")).await?;
        }
        let mut has_default = false;
        for (i, entry) in self.servers.iter().enumerate() {
            has_default |= entry.get("id").and_then(Value::as_str) == Some("default");
            let path = format!("authorizationServers[{i}]");
            let object = self.object(entry, &path, "an authorization server")?;
            self.install_server(api, object, &path).await?;
        }
        if !has_default {
            let ensured = api.ensure_default_server().await;
            ensured.map_err(|error| self.api_error("authorizationServers", &error))?;
        }
        Ok(())
    }

    /// The document's clients: `client_id` and, for confidential clients, `client_secret`.
    pub fn clients(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.clients.iter().filter_map(|client| {
            let id = client["client_id"].as_str()?;
            Some((id, client["client_secret"].as_str()))
        })
    }

    /// The id of the user a member reference (at `path`) names: a user id, or a login.
    fn user_id(&self, path: &str, reference: &str) -> Result<String, OrgError> {
        let login = reference.to_lowercase();
        self.accounts
            .iter()
            .find(|a| a.user.id == reference || a.user.profile.login.to_lowercase() == login)
            .map(|a| a.user.id.clone())
            .ok_or_else(|| self.error(path, format!("no user '{reference}' in this document")))
    }

    /// The id of the group a reference (at `path`) names: a group id, or a group name.
    fn group_id(&self, path: &str, reference: &str) -> Result<String, OrgError> {
        self.groups
            .iter()
            .find(|(g, _)| g.id == reference || g.profile.name == reference)
            .map(|(g, _)| g.id.clone())
            .ok_or_else(|| self.error(path, format!("no group '{reference}' in this document")))
    }

    async fn install_client<C: ConfigStore, D: DirectoryWrites>(
        &self,
        api: &ManagementApi<C, D>,
        entry: &Value,
        path: &str,
    ) -> Result<(), OrgError> {
        let mut object = self.object(entry, path, "a client")?;
        let users = take_list(&mut object, "users").map_err(|p| self.error(&format!("{path}.users"), p))?;
        let groups = take_list(&mut object, "groups").map_err(|p| self.error(&format!("{path}.groups"), p))?;
        let given_id = object.get("client_id").and_then(Value::as_str).map(str::to_owned);
        let stored = match &given_id {
            Some(id) => self.found(api.get_client(id).await, path)?,
            None => None,
        };
        // A client stored by an earlier, interrupted install is kept as it is.
        let client_id = match (stored, given_id) {
            (Some(_), Some(id)) => id,
            _ => {
                let (client, secret) = imported_client_from_json(object).map_err(|e| self.api_error(path, &e))?;
                let imported = api.import_client(client, secret).await;
                imported.map_err(|e| self.api_error(path, &e))?.client.client_id
            }
        };
        // Every reference is resolved before anything is assigned.
        let user_ids = users.iter().enumerate().map(|(j, user)| {
            let at = format!("{path}.users[{j}]");
            self.user_id(&at, user).map(|id| (at, id, true))
        });
        let group_ids = groups.iter().enumerate().map(|(j, group)| {
            let at = format!("{path}.groups[{j}]");
            self.group_id(&at, group).map(|id| (at, id, false))
        });
        let assignees = user_ids.chain(group_ids).collect::<Result<Vec<_>, _>>()?;
        let directory = api.directory();
        for (at, id, is_user) in assignees {
            let assigned = if is_user {
                directory.put_user_assignment(&client_id, &id).await
            } else {
                directory.put_group_assignment(&client_id, &id).await
            };
            assigned.map_err(|error| self.store_error(&at, &error))?;
        }
        Ok(())
    }

    async fn install_server<C: ConfigStore, D: DirectoryWrites>(
        &self,
        api: &ManagementApi<C, D>,
        mut object: Map<String, Value>,
        path: &str,
    ) -> Result<(), OrgError> {
        let id = match object.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Err(self.error(&format!("{path}.id"), "an authorization server needs an id".into())),
        };
        let scopes = take_objects(&mut object, "scopes").map_err(|p| self.error(&format!("{path}.scopes"), p))?;
        let claims = take_objects(&mut object, "claims").map_err(|p| self.error(&format!("{path}.claims"), p))?;
        let policies = take_objects(&mut object, "policies").map_err(|p| self.error(&format!("{path}.policies"), p))?;
        if self.found(api.get_server(&id).await, path)?.is_some() {
            // Stored by an earlier, interrupted install: kept as that install left it.
            return Ok(());
        }
        api.import_server(server_from_json(object).map_err(self.refused(path))?)
            .await
            .map_err(self.refused(path))?;

        // The system scopes exist already: a scope of the same name replaces one.
        let existing = api.list_scopes(&id, None).await.map_err(self.refused(path))?;
        for (j, scope) in scopes.into_iter().enumerate() {
            let at = format!("{path}.scopes[{j}]");
            let same = existing
                .iter()
                .find(|s| scope.get("name").and_then(Value::as_str) == Some(&s.name));
            match same {
                Some(stored) => {
                    let mut merged = serde_json::to_value(stored).map_err(|e| self.error(&at, e.to_string()))?;
                    if let Value::Object(merged) = &mut merged {
                        merged.extend(scope);
                    }
                    let merged = merged.as_object().cloned().unwrap_or_default();
                    let input = scope_from_json(merged).map_err(self.refused(&at))?;
                    api.replace_scope(&id, &stored.id, input)
                        .await
                        .map_err(self.refused(&at))?;
                }
                None => {
                    let input = scope_from_json(scope).map_err(self.refused(&at))?;
                    api.create_scope(&id, input).await.map_err(self.refused(&at))?;
                }
            }
        }
        for (j, claim) in claims.into_iter().enumerate() {
            let at = format!("{path}.claims[{j}]");
            let input = claim_from_json(claim).map_err(self.refused(&at))?;
            api.create_claim(&id, input).await.map_err(self.refused(&at))?;
        }
        for (j, mut policy) in policies.into_iter().enumerate() {
            let at = format!("{path}.policies[{j}]");
            let rules = take_objects(&mut policy, "rules").map_err(|p| self.error(&format!("{at}.rules"), p))?;
            let input = policy_from_json(policy).map_err(self.refused(&at))?;
            let created = api.create_policy(&id, input).await.map_err(self.refused(&at))?;
            for (k, rule) in rules.into_iter().enumerate() {
                let at = format!("{at}.rules[{k}]");
                let input = rule_from_json(rule).map_err(self.refused(&at))?;
                api.create_rule_from(&id, &created.id, input)
                    .await
                    .map_err(self.refused(&at))?;
            }
        }
        Ok(())
    }

    /// `entry` (at `path`) as a JSON object, or an error naming what it should be.
    fn object(&self, entry: &Value, path: &str, what: &str) -> Result<Map<String, Value>, OrgError> {
        entry
            .as_object()
            .cloned()
            .ok_or_else(|| self.error(path, format!("{what} is a JSON object")))
    }

    /// What a read found: `Some` value, `None` for `E0000007`, or the error reported at `path`.
    fn found<T>(&self, read: Result<T, ApiError>, path: &str) -> Result<Option<T>, OrgError> {
        match read {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(self.api_error(path, &error)),
        }
    }

    /// An API refusal reported at `path`: Okta's summary and causes, or RFC 7591's error and
    /// description.
    fn api_error(&self, path: &str, error: &ApiError) -> OrgError {
        let causes: Vec<String> = error.causes.iter().map(|cause| cause.summary()).collect();
        let problem = if error.code.is_registration_error() {
            format!("{}: {}", error.code, error.summary)
        } else if causes.is_empty() {
            error.summary.clone()
        } else {
            format!("{} ({})", error.summary, causes.join("; "))
        };
        self.error(path, problem)
    }

    /// A directory refusal reported at `path`: a taken login (the only `Conflict` of
    /// [`DirectoryWrites`]), or the error and its source.
    fn store_error(&self, path: &str, error: &StoreError) -> OrgError {
        let problem = match (error, std::error::Error::source(error)) {
            (StoreError::Conflict, _) => "another user has the same login".to_owned(),
            (_, Some(source)) => format!("{error}: {source}"),
            (_, None) => error.to_string(),
        };
        self.error(path, problem)
    }

    /// Reports an API refusal at `path` (see [`Self::api_error`]).
    fn refused<'a>(&'a self, path: &'a str) -> impl Fn(ApiError) -> OrgError + 'a {
        move |error| self.api_error(path, &error)
    }

    fn error(&self, path: &str, problem: String) -> OrgError {
        OrgError {
            file: self.file.clone(),
            path: path.to_owned(),
            problem,
        }
    }
}

/// Deserializes `value` (found at `path` in `file`) into `T`, with the path of any failure.
fn parse_at<T: DeserializeOwned>(value: &Value, path: &str, file: &str) -> Result<T, OrgError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        OrgError {
            file: file.to_owned(),
            path: match inner.as_str() {
                "." => path.to_owned(),
                index if index.starts_with('[') => format!("{path}{index}"),
                member => format!("{path}.{member}"),
            },
            problem: error.into_inner().to_string(),
        }
    })
}

/// Removes member `name` (a list of strings) from `object`.
fn take_list(object: &mut Map<String, Value>, name: &str) -> Result<Vec<String>, String> {
    match object.remove(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => serde_json::from_value(value).map_err(|_| "expected a list of strings".to_owned()),
    }
}

/// Removes member `name` (a list of objects) from `object`.
fn take_objects(object: &mut Map<String, Value>, name: &str) -> Result<Vec<Map<String, Value>>, String> {
    let expected = || "expected a list of objects".to_owned();
    match object.remove(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(item) => Ok(item),
                _ => Err(expected()),
            })
            .collect(),
        Some(_) => Err(expected()),
    }
}

#[cfg(test)]
mod tests;

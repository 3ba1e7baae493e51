//! The org document (`examples/org.json`): an API token, users, groups, OAuth clients and
//! authorization servers in Okta's shapes, loaded into the memory stores.
//!
//! ```json
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
//! Servers, scopes, claims, policies, rules and clients go through the management API (imports
//! keep the document's ids and secrets), so they are validated exactly as API calls are. A server
//! `default` that the document does not give is created as Okta's. Every problem is reported
//! with the file, the JSON path (`authorizationServers[0].policies[1].rules[0]`) and what is wrong.

use std::fmt;
use std::path::Path;

use authserver::admin::{ApiRequest, ApiResponse, Caller, Method};
use authserver::model::{Group, User};
use authserver::store::Directory;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::Server;
use super::stores::{Backend, SeedDirectory};

/// Why an org document cannot be loaded: which file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A parsed org document, ready to be installed into a host.
pub struct Org {
    file: String,
    /// The management API token (`apiToken`).
    pub api_token: String,
    /// The organization's id and `org.*` attributes, if given.
    pub org: Option<(String, Map<String, Value>)>,
    /// The users, with their passwords.
    pub accounts: Vec<Account>,
    groups: Vec<(Group, Vec<String>)>,
    clients: Vec<Value>,
    servers: Vec<Value>,
}

impl Org {
    /// Reads and parses the org document at `path`.
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
        let mut accounts = Vec::with_capacity(document.users.len());
        for (i, entry) in document.users.iter().enumerate() {
            let path = format!("users[{i}]");
            let user: User = parse_at(entry, &path, file)?;
            let password = match entry.get("credentials") {
                None | Some(Value::Null) => None,
                Some(credentials) => parse_at::<Credentials>(credentials, &format!("{path}.credentials"), file)?
                    .password
                    .map(|p| p.value),
            };
            if accounts.iter().any(|a: &Account| a.user.id == user.id) {
                return Err(at(&format!("{path}.id"), format!("the id '{}' is used twice", user.id)));
            }
            accounts.push(Account { user, password });
        }
        let mut groups = Vec::with_capacity(document.groups.len());
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
            if groups.iter().any(|(g, _): &(Group, _)| g.id == group.id) {
                return Err(at(
                    &format!("{path}.id"),
                    format!("the id '{}' is used twice", group.id),
                ));
            }
            if groups
                .iter()
                .any(|(g, _): &(Group, _)| g.profile.name == group.profile.name)
            {
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

    /// Loads the document into `server`'s stores: users, groups and memberships, clients and
    /// their assignments, then the authorization servers (and `default` unless given). Users
    /// without `created` and `lastUpdated` get `now`, as Okta stamps every user.
    ///
    /// Loading again after a failure (a start that stopped half-way) completes it: users,
    /// groups, memberships and assignments are written again, and clients and servers already
    /// stored are kept as they are. A server that the interrupted start left half-built stays
    /// so; delete the database to start over.
    pub async fn install<B: Backend>(&self, server: &Server<B>, now: OffsetDateTime) -> Result<(), OrgError> {
        let directory = server.directory();
        for (i, account) in self.accounts.iter().enumerate() {
            let mut user = account.user.clone();
            user.created.get_or_insert(now);
            user.last_updated.get_or_insert(now);
            directory
                .seed_user(user, account.password.as_deref())
                .await
                .map_err(|error| self.error(&format!("users[{i}]"), error))?;
        }
        for (i, (group, members)) in self.groups.iter().enumerate() {
            directory
                .seed_group(group.clone())
                .await
                .map_err(|error| self.error(&format!("groups[{i}]"), error))?;
            for (j, member) in members.iter().enumerate() {
                let path = format!("groups[{i}].members[{j}]");
                let user_id = self
                    .user_id(member)
                    .ok_or_else(|| self.error(&path, unknown("user", member)))?;
                directory
                    .seed_member(&group.id, &user_id)
                    .await
                    .map_err(|error| self.error(&path, error))?;
            }
        }
        for (i, client) in self.clients.iter().enumerate() {
            self.install_client::<B>(server, client, &format!("clients[{i}]"))
                .await?;
        }
        let mut has_default = false;
        for (i, entry) in self.servers.iter().enumerate() {
            let path = format!("authorizationServers[{i}]");
            has_default |= entry.get("id").and_then(Value::as_str) == Some("default");
            self.install_server::<B>(server, entry, &path).await?;
        }
        if !has_default {
            server
                .management()
                .ensure_default_server()
                .await
                .map_err(|error| self.error("authorizationServers", error.to_string()))?;
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

    /// A user id for a member reference: a user id, or a login.
    fn user_id(&self, reference: &str) -> Option<String> {
        self.accounts
            .iter()
            .find(|a| a.user.id == reference || a.user.profile.login.to_lowercase() == reference.to_lowercase())
            .map(|a| a.user.id.clone())
    }

    /// A group id for a reference: a group id, or a group name.
    fn group_id(&self, reference: &str) -> Option<String> {
        self.groups
            .iter()
            .find(|(g, _)| g.id == reference || g.profile.name == reference)
            .map(|(g, _)| g.id.clone())
    }

    async fn install_client<B: Backend>(&self, server: &Server<B>, entry: &Value, path: &str) -> Result<(), OrgError> {
        let mut object = entry
            .as_object()
            .cloned()
            .ok_or_else(|| self.error(path, "a client is a JSON object".into()))?;
        let users = take_list(&mut object, "users").map_err(|p| self.error(&format!("{path}.users"), p))?;
        let groups = take_list(&mut object, "groups").map_err(|p| self.error(&format!("{path}.groups"), p))?;
        let given_id = object.get("client_id").and_then(Value::as_str).map(str::to_owned);
        let stored = match &given_id {
            Some(id) => server
                .directory()
                .client(id)
                .await
                .map_err(|error| self.error(path, format!("the stored client cannot be read: {error}")))?,
            None => None,
        };
        // A client stored by an earlier, interrupted start is kept as it is.
        let client_id = match (stored, given_id) {
            (Some(_), Some(id)) => id,
            _ => {
                let body = serde_json::to_vec(&object).unwrap_or_default();
                let response = server.management().import_client_json(&body).await;
                let created = self.accepted(response, path)?;
                created["client_id"].as_str().unwrap_or_default().to_owned()
            }
        };
        let client_id = client_id.as_str();
        let directory = server.directory();
        for (j, user) in users.iter().enumerate() {
            let at = format!("{path}.users[{j}]");
            let id = self
                .user_id(user)
                .ok_or_else(|| self.error(&at, unknown("user", user)))?;
            directory
                .seed_user_assignment(client_id, &id)
                .await
                .map_err(|error| self.error(&at, error))?;
        }
        for (j, group) in groups.iter().enumerate() {
            let at = format!("{path}.groups[{j}]");
            let id = self
                .group_id(group)
                .ok_or_else(|| self.error(&at, unknown("group", group)))?;
            directory
                .seed_group_assignment(client_id, &id)
                .await
                .map_err(|error| self.error(&at, error))?;
        }
        Ok(())
    }

    async fn install_server<B: Backend>(&self, server: &Server<B>, entry: &Value, path: &str) -> Result<(), OrgError> {
        let mut object = entry
            .as_object()
            .cloned()
            .ok_or_else(|| self.error(path, "an authorization server is a JSON object".into()))?;
        let id = match object.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Err(self.error(&format!("{path}.id"), "an authorization server needs an id".into())),
        };
        let scopes = take_objects(&mut object, "scopes").map_err(|p| self.error(&format!("{path}.scopes"), p))?;
        let claims = take_objects(&mut object, "claims").map_err(|p| self.error(&format!("{path}.claims"), p))?;
        let policies = take_objects(&mut object, "policies").map_err(|p| self.error(&format!("{path}.policies"), p))?;
        let base = format!("/api/v1/authorizationServers/{id}");
        if self.exists::<B>(server, &base).await {
            // Stored by an earlier, interrupted start: kept as that start left it.
            return Ok(());
        }
        let body = serde_json::to_vec(&object).unwrap_or_default();
        self.accepted(server.management().import_server_json(&body).await, path)?;

        let existing = self
            .call::<B>(server, Method::Get, &format!("{base}/scopes"), None, path)
            .await?;
        for (j, scope) in scopes.iter().enumerate() {
            let at = format!("{path}.scopes[{j}]");
            // The system scopes exist already: a scope of the same name replaces one.
            let same = existing
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["name"] == scope["name"] && scope["name"].is_string());
            match same.and_then(|s| s["id"].as_str()) {
                Some(scope_id) => {
                    let mut merged = same.cloned().unwrap_or_default();
                    merge(&mut merged, scope);
                    self.call::<B>(
                        server,
                        Method::Put,
                        &format!("{base}/scopes/{scope_id}"),
                        Some(&merged),
                        &at,
                    )
                    .await?
                }
                None => {
                    self.call::<B>(server, Method::Post, &format!("{base}/scopes"), Some(scope), &at)
                        .await?
                }
            };
        }
        for (j, claim) in claims.iter().enumerate() {
            let at = format!("{path}.claims[{j}]");
            self.call::<B>(server, Method::Post, &format!("{base}/claims"), Some(claim), &at)
                .await?;
        }
        for (j, policy) in policies.iter().enumerate() {
            let at = format!("{path}.policies[{j}]");
            let mut policy = policy.clone();
            let rules = policy
                .as_object_mut()
                .map(|o| take_objects(o, "rules"))
                .transpose()
                .map_err(|p| self.error(&format!("{at}.rules"), p))?
                .unwrap_or_default();
            let created = self
                .call::<B>(server, Method::Post, &format!("{base}/policies"), Some(&policy), &at)
                .await?;
            let policy_id = created["id"].as_str().unwrap_or_default();
            for (k, rule) in rules.iter().enumerate() {
                let rule_path = format!("{at}.rules[{k}]");
                let rules_path = format!("{base}/policies/{policy_id}/rules");
                self.call::<B>(server, Method::Post, &rules_path, Some(rule), &rule_path)
                    .await?;
            }
        }
        Ok(())
    }

    /// One management call as the org's administrator; a refusal is reported at `path`.
    async fn call<B: Backend>(
        &self,
        server: &Server<B>,
        method: Method,
        api_path: &str,
        body: Option<&Value>,
        path: &str,
    ) -> Result<Value, OrgError> {
        let caller = Caller { id: "org-file".into() };
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let request = ApiRequest {
            method,
            path: api_path,
            query: "",
            body: bytes.as_deref(),
            caller: Some(&caller),
        };
        self.accepted(server.management().handle(&request).await, path)
    }

    /// Whether `GET api_path` finds the object.
    async fn exists<B: Backend>(&self, server: &Server<B>, api_path: &str) -> bool {
        let caller = Caller { id: "org-file".into() };
        let request = ApiRequest {
            method: Method::Get,
            path: api_path,
            query: "",
            body: None,
            caller: Some(&caller),
        };
        server.management().handle(&request).await.status == 200
    }

    /// The body of a successful answer, or the error it describes, reported at `path`.
    fn accepted(&self, response: ApiResponse, path: &str) -> Result<Value, OrgError> {
        let body = response.body.unwrap_or(Value::Null);
        if response.status < 400 {
            return Ok(body);
        }
        Err(self.error(path, describe(&body)))
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

/// An API error body in words: Okta's `errorSummary` and causes, or RFC 7591's description.
fn describe(body: &Value) -> String {
    if let Some(summary) = body["errorSummary"].as_str() {
        let causes: Vec<&str> = body["errorCauses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["errorSummary"].as_str())
            .collect();
        if causes.is_empty() {
            return summary.to_owned();
        }
        return format!("{summary} ({})", causes.join("; "));
    }
    match (body["error"].as_str(), body["error_description"].as_str()) {
        (Some(error), Some(description)) => format!("{error}: {description}"),
        _ => body.to_string(),
    }
}

fn unknown(kind: &str, reference: &str) -> String {
    format!("no {kind} '{reference}' in this document")
}

/// Removes member `name` (a list of strings) from `object`.
fn take_list(object: &mut Map<String, Value>, name: &str) -> Result<Vec<String>, String> {
    match object.remove(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => serde_json::from_value(value).map_err(|_| "expected a list of strings".to_owned()),
    }
}

/// Removes member `name` (a list of objects) from `object`.
fn take_objects(object: &mut Map<String, Value>, name: &str) -> Result<Vec<Value>, String> {
    match object.remove(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items),
        Some(_) => Err("expected a list of objects".to_owned()),
    }
}

/// Overwrites `target`'s members with `changes`' (one level deep).
fn merge(target: &mut Value, changes: &Value) {
    if let (Some(target), Some(changes)) = (target.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            target.insert(key.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> OrgError {
        match Org::parse(text, "org.json") {
            Ok(_) => panic!("{text} parsed"),
            Err(error) => error,
        }
    }

    #[test]
    fn errors_name_the_file_the_path_and_the_problem() {
        let error = error_of(r#"{"apiToken": "t", "users": [{"id": "00u1", "status": "ACTIVE", "profile": {}}]}"#);
        assert_eq!(error.path, "users[0].profile");
        assert!(error.problem.contains("login"), "{error}");
        assert!(error.to_string().starts_with("org.json: at users[0].profile: "));

        let error = error_of(r#"{"apiToken": "t", "users": [], "grups": []}"#);
        assert!(error.problem.contains("grups"), "{error}");

        let error = error_of(r#"{"users": []}"#);
        assert!(error.problem.contains("apiToken"), "{error}");

        let error =
            error_of(r#"{"apiToken": "t", "groups": [{"id": "00g1", "profile": {"name": "G"}, "members": [1]}]}"#);
        assert_eq!(error.path, "groups[0].members[0]");

        let group = |id: &str, name: &str| format!(r#"{{"id": "{id}", "profile": {{"name": "{name}"}}}}"#);
        let twice = format!(
            r#"{{"apiToken": "t", "groups": [{}, {}]}}"#,
            group("00g1", "A"),
            group("00g1", "B")
        );
        assert_eq!(error_of(&twice).path, "groups[1].id");
        let twice = format!(
            r#"{{"apiToken": "t", "groups": [{}, {}]}}"#,
            group("00g1", "A"),
            group("00g2", "A")
        );
        assert_eq!(error_of(&twice).path, "groups[1].profile.name");

        let error = error_of(r#"{"apiToken": "t", "clients": [{"client_id": "c", "client_name": "C"}]}"#);
        assert_eq!(error.path, "clients[0].client_secret");

        let error = error_of("{\"apiToken\": \"t\",");
        assert!(error.problem.contains("EOF"), "{error}");
    }
}

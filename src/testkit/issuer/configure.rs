//! Configuring a [`TestIssuer`] in code: users, groups, clients, scopes, claims, policies, rules.
//!
//! Configuration goes through the management API's typed operations, so it is validated exactly as an
//! administrator's calls are; a rejected change panics with Okta's error, which is what a test
//! wants to see. Every user is assigned to every client, as if through Okta's Everyone group;
//! [`TestIssuer::unassign`] takes one assignment away.

use serde_json::{Value, json};

use super::{SERVER_ID, TestIssuer, run};
use crate::admin::{ApiError, ids};
use crate::model::{Claim, Client, Group, Policy, Rule, Scope, User};

/// The password of users added without one.
pub const DEFAULT_PASSWORD: &str = "correct horse battery staple";

/// The redirect URI of clients that sign users in.
pub const REDIRECT_URI: &str = "https://app.example.com/callback";

/// The kind of client to register, with Okta's settings for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientKind {
    /// A service: `client_credentials` with `client_secret_basic`.
    Service,
    /// A web app: authorization code, refresh token and password grants, `client_secret_basic`,
    /// redirecting to [`REDIRECT_URI`].
    Web,
    /// A single-page app: a public client (`none`), authorization code with PKCE and refresh
    /// tokens, redirecting to [`REDIRECT_URI`].
    Browser,
}

/// A client the issuer registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredClient {
    /// Its `client_id`.
    pub client_id: String,
    /// Its secret, for confidential clients.
    pub client_secret: Option<String>,
}

/// Where a custom claim goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimTarget {
    /// The access token (Okta's `RESOURCE` claims).
    AccessToken,
    /// The ID token (Okta's `IDENTITY` claims).
    IdToken,
}

/// A user to add: [`TestIssuer::add_user_with`].
#[derive(Debug, Clone)]
#[must_use]
pub struct UserSpec {
    login: String,
    password: String,
    profile: serde_json::Map<String, Value>,
}

impl UserSpec {
    /// A user who signs in as `login` (also their email) with [`DEFAULT_PASSWORD`].
    pub fn new(login: impl Into<String>) -> Self {
        let login = login.into();
        let mut profile = serde_json::Map::new();
        profile.insert("login".into(), json!(login));
        profile.insert("email".into(), json!(login));
        Self {
            login,
            password: DEFAULT_PASSWORD.to_owned(),
            profile,
        }
    }

    /// Signs in with `password`.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Sets profile attribute `name` (`firstName`, `department`, any custom attribute), which
    /// claim expressions read as `user.profile.{name}`.
    pub fn profile(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.profile.insert(name.into(), value.into());
        self
    }
}

impl TestIssuer {
    /// Adds an active user who signs in as `login` with [`DEFAULT_PASSWORD`]; returns the id.
    pub fn add_user(&self, login: &str) -> String {
        self.add_user_with(UserSpec::new(login))
    }

    /// Adds the active user `spec` describes; returns the id (`00u…`).
    ///
    /// # Panics
    /// If the profile is not a valid Okta user profile, or the login is taken.
    pub fn add_user_with(&self, spec: UserSpec) -> String {
        let id = ids::object_id("00u", self.server.random());
        let mut user: User = serde_json::from_value(json!({ "id": id, "status": "ACTIVE", "profile": spec.profile }))
            .unwrap_or_else(|error| panic!("user {}: {error}", spec.login));
        user.created = Some(self.now());
        user.last_updated = Some(self.now());
        self.server
            .directory()
            .add_user(user, Some(&spec.password))
            .unwrap_or_else(|error| panic!("user {}: {error}", spec.login));
        self.lock_registry().users.push(id.clone());
        self.assign_everything();
        id
    }

    /// Adds a group named `name`; returns its id (`00g…`).
    pub fn add_group(&self, name: &str) -> String {
        let id = ids::object_id("00g", self.server.random());
        let group: Group = serde_json::from_value(json!({
            "id": id, "type": "OKTA_GROUP", "profile": {"name": name}
        }))
        .unwrap_or_else(|error| panic!("group {name}: {error}"));
        self.server.directory().add_group(group);
        id
    }

    /// Makes user `user_id` a member of group `group_id`.
    ///
    /// # Panics
    /// If either is unknown.
    pub fn add_to_group(&self, user_id: &str, group_id: &str) {
        self.server
            .directory()
            .add_member(group_id, user_id)
            .unwrap_or_else(|error| panic!("membership of {user_id} in {group_id}: {error}"));
    }

    /// Takes user `user_id`'s assignment to client `client_id` away: the user can no longer get
    /// its tokens ("User is not assigned to the client application.").
    pub fn unassign(&self, client_id: &str, user_id: &str) {
        self.server.directory().unassign_user(client_id, user_id);
    }

    /// Registers a client of `kind` named `name` (RFC 7591 through Okta's `/oauth2/v1/clients`).
    pub fn add_client(&self, name: &str, kind: ClientKind) -> RegisteredClient {
        let metadata = match kind {
            ClientKind::Service => json!({
                "client_name": name, "application_type": "service", "grant_types": ["client_credentials"],
                "response_types": ["token"], "token_endpoint_auth_method": "client_secret_basic"
            }),
            ClientKind::Web => json!({
                "client_name": name, "application_type": "web",
                "grant_types": ["authorization_code", "refresh_token", "password"], "response_types": ["code"],
                "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "client_secret_basic"
            }),
            ClientKind::Browser => json!({
                "client_name": name, "application_type": "browser",
                "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
                "redirect_uris": [REDIRECT_URI], "token_endpoint_auth_method": "none"
            }),
        };
        self.add_client_json(metadata)
    }

    /// Registers a client from its RFC 7591 metadata, in Okta's shape.
    ///
    /// # Panics
    /// If the metadata is refused, with Okta's `error_description`.
    pub fn add_client_json(&self, metadata: Value) -> RegisteredClient {
        let client: Client = parse(metadata, "client metadata");
        let created = accepted(run(self.server.management().create_client(client)), "the client");
        let client = RegisteredClient {
            client_id: created.client.client_id.clone(),
            client_secret: created.client_secret.as_ref().map(|secret| secret.expose().to_owned()),
        };
        if let Some(secret) = &client.client_secret {
            self.lock_registry()
                .secrets
                .push((client.client_id.clone(), secret.clone()));
        }
        self.lock_registry().clients.push(client.client_id.clone());
        self.assign_everything();
        client
    }

    /// Adds a custom scope `name` to the `default` server.
    pub fn add_scope(&self, name: &str) {
        let scope: Scope = parse(json!({ "name": name }), "scope");
        accepted(run(self.server.management().create_scope(SERVER_ID, scope)), name);
    }

    /// Adds a custom claim `name` whose value is the expression `value` (Okta Expression
    /// Language, e.g. `user.profile.department` or `"literal"`), always included in `target`.
    pub fn add_claim(&self, name: &str, target: ClaimTarget, value: &str) {
        let claim_type = match target {
            ClaimTarget::AccessToken => "RESOURCE",
            ClaimTarget::IdToken => "IDENTITY",
        };
        self.add_claim_json(json!({
            "name": name, "status": "ACTIVE", "claimType": claim_type, "valueType": "EXPRESSION",
            "value": value, "conditions": {"scopes": []}, "alwaysIncludeInToken": true
        }));
    }

    /// Adds a claim from Okta's JSON (`POST /api/v1/authorizationServers/default/claims`).
    pub fn add_claim_json(&self, claim: Value) {
        let claim: Claim = parse(claim, "claim");
        accepted(
            run(self.server.management().create_claim(SERVER_ID, claim)),
            "the claim",
        );
    }

    /// Adds an access policy from Okta's JSON; returns its id. New policies come first
    /// (priority 1) unless the JSON says otherwise.
    pub fn add_policy(&self, policy: Value) -> String {
        let policy: Policy = parse(policy, "policy");
        accepted(
            run(self.server.management().create_policy(SERVER_ID, policy)),
            "the policy",
        )
        .id
    }

    /// Adds a rule to policy `policy_id` from Okta's JSON; returns its id.
    pub fn add_rule(&self, policy_id: &str, rule: Value) -> String {
        let rule: Rule = parse(rule, "rule");
        let created = run(self.server.management().create_rule(SERVER_ID, policy_id, rule));
        accepted(created, "the rule").id
    }

    /// The secret of client `client_id`, if this issuer registered it as confidential.
    pub(super) fn secret_of(&self, client_id: &str) -> Option<String> {
        self.lock_registry()
            .secrets
            .iter()
            .find(|(id, _)| id == client_id)
            .map(|(_, secret)| secret.clone())
    }

    /// Assigns every user to every client.
    fn assign_everything(&self) {
        let registry = self.lock_registry();
        let directory = self.server.directory();
        for client in &registry.clients {
            for user in &registry.users {
                // Both exist: they were added through this issuer.
                let _ = directory.assign_user(client, user);
            }
        }
    }
}

/// `value` in Okta's JSON shape of `what`.
///
/// # Panics
/// When it is not.
fn parse<T: serde::de::DeserializeOwned>(value: Value, what: &str) -> T {
    serde_json::from_value(value).unwrap_or_else(|error| panic!("the {what} is not valid JSON for it: {error}"))
}

/// What the management API created, or a panic with its error.
fn accepted<T>(result: Result<T, ApiError>, what: &str) -> T {
    result.unwrap_or_else(|error| panic!("{what} was refused: {error} {:?}", error.causes))
}

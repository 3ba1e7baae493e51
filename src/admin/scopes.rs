//! Scopes: list, get, create, replace, delete (Okta Authorization Servers API,
//! `/api/v1/authorizationServers/{id}/scopes`).
//!
//! Rules (the Authorization Servers API's scope properties and limits):
//! * names are printable ASCII without space, `"` or `\` (RFC 6749 §3.3), may hold `<` or `>` but
//!   not both, must not be `okta`, `*`, or start with `okta.`/`okta:` (checked case-insensitively),
//!   and are unique per server (exact match);
//! * `system` is server-controlled: ignored on input. System scopes cannot be deleted and keep
//!   their name; their other fields may change;
//! * `consent`, `metadataPublish` and `optional` are stored as given, so a scope created without
//!   them reads back in the shape Okta's examples print; omitted means `IMPLICIT`, `NO_CLIENTS`,
//!   `false`;
//! * a scope named by a rule's `conditions.scopes.include` or a claim's `conditions.scopes`
//!   cannot be deleted or renamed (`E0000001`): Okta leaves this undocumented, and refusing keeps
//!   rules and claims from silently pointing at nothing.
//!
//! `GET …/scopes` takes `q` (case-insensitive substring of the name), `limit` (1–200, default 200;
//! larger values are capped) and `after` (the id of the last scope of the previous page), and
//! answers `Link` headers (`rel="self"`, and `rel="next"` when more remain). `filter` is ignored.

use serde_json::{Map, Value};

use super::error::FieldError;
use super::fields::{BLANK, check_enum, check_optional_text, check_room, fail_on, from_object};
use super::limits::{DESCRIPTION_MAX, NAME_MAX, SCOPES_PER_SERVER_MAX};
use super::links::server_href;
use super::members::{Member, member_operations};
use super::paging::{CursorPlace, MAX_LIMIT, Page, PageRequest};
use super::{Answer, ApiError, ApiRequest, ManagementApi, Method, to_json};
use crate::model::{ALL_SCOPES, MetadataPublish, Scope, ScopeConsent};
use crate::store::{ConfigStore, Directory, ServerConfig};

impl Member for Scope {
    fn new_member(input: Self) -> Self {
        Scope {
            id: String::new(),
            system: false,
            links: None,
            ..input
        }
    }

    fn check_new(config: &ServerConfig, new: &Self) -> Result<(), ApiError> {
        check_scope(new)?;
        check_unique(config, &new.name, None)?;
        check_room(
            "scopes",
            config.scopes.len(),
            SCOPES_PER_SERVER_MAX,
            "scopes per authorization server",
        )
    }

    fn replacement(config: &ServerConfig, stored: &Self, input: &Self) -> Result<Self, ApiError> {
        check_scope(input)?;
        if input.name != stored.name {
            if stored.system {
                return Err(ApiError::invalid(
                    "name",
                    "The name of a system scope cannot be changed",
                ));
            }
            check_unreferenced(config, &stored.name, "renamed")?;
            check_unique(config, &input.name, Some(&stored.id))?;
        }
        Ok(Scope {
            system: stored.system,
            links: None,
            ..input.clone()
        })
    }

    fn check_delete(config: &ServerConfig, stored: &Self) -> Result<(), ApiError> {
        check_unreferenced(config, &stored.name, "deleted")
    }
}

member_operations! { Scope(scope, scope_id) under "scopes", create_scope: " (`scp…`)", "for an invalid or taken name";
get_scope; replace_scope: "A system scope keeps its name, and one that a rule or claim names cannot be renamed.";
delete_scope: "; `E0000001` for a scope that a rule or claim names" }

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// `GET /api/v1/authorizationServers/{serverId}/scopes?q=…`: the scopes of server
    /// `server_id` whose name contains `q` (case-insensitively; every scope without `q`), as
    /// shown, with `_links`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn list_scopes(&self, server_id: &str, q: Option<&str>) -> Result<Vec<Scope>, ApiError> {
        Ok(self.scope_page(server_id, q, &PageRequest::unlimited()).await?.0)
    }

    /// Routes `…/scopes{rest}`.
    pub(super) async fn route_scopes(&self, request: &ApiRequest<'_>, server_id: &str, rest: &[&str]) -> Answer {
        if !(rest.is_empty() && request.method == Method::Get) {
            return self.route_members::<Scope>(request, server_id, rest).await;
        }
        let page = PageRequest::from_request(request, MAX_LIMIT)?;
        let query = request.query_param("q");
        let (scopes, next) = self.scope_page(server_id, query.as_deref(), &page).await?;
        let href = format!("{}/scopes", server_href(&self.base_url, server_id));
        let extra = [("q", query)];
        Ok(page.response(to_json(&scopes)?, &href, &extra, CursorPlace::AfterLimit, next))
    }

    /// The page of scopes whose name contains `q` after `page`'s cursor, as shown, and the cursor
    /// of the next page.
    async fn scope_page(&self, server_id: &str, q: Option<&str>, page: &PageRequest) -> Page<Scope> {
        let all: Vec<Scope> = self.members(server_id).await?;
        let query = q.map(str::to_lowercase);
        let matching: Vec<Scope> = all
            .into_iter()
            .filter(|scope| query.as_deref().is_none_or(|q| scope.name.to_lowercase().contains(q)))
            .collect();
        page.apply(matching, |scope| &scope.id)
    }
}

/// `E0000001` for a name that [`scope_name_problem`] refuses, a `displayName` longer than
/// [`NAME_MAX`] or a `description` longer than [`DESCRIPTION_MAX`], or either with control
/// characters (line breaks and tabs are allowed in descriptions).
fn check_scope(scope: &Scope) -> Result<(), ApiError> {
    let mut failures = Vec::new();
    if let Some(problem) = scope_name_problem(&scope.name) {
        failures.push(FieldError::new("name", problem));
    }
    check_optional_text(
        &mut failures,
        "displayName",
        scope.display_name.as_deref(),
        NAME_MAX,
        false,
    );
    check_optional_text(
        &mut failures,
        "description",
        scope.description.as_deref(),
        DESCRIPTION_MAX,
        true,
    );
    fail_on(failures)
}

/// `E0000001` if another scope of the server (other than `except`) is called `name`.
fn check_unique(config: &ServerConfig, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if config
        .scopes
        .iter()
        .any(|s| s.name == name && Some(s.id.as_str()) != except)
    {
        return Err(ApiError::invalid(
            "name",
            format!("A scope named '{name}' already exists. Scopes are unique per authorization server."),
        ));
    }
    Ok(())
}

/// `E0000001` if a rule or claim of the server names scope `name`.
fn check_unreferenced(config: &ServerConfig, name: &str, action: &str) -> Result<(), ApiError> {
    for entry in &config.policies {
        for rule in &entry.rules {
            let named = rule
                .conditions
                .scopes
                .as_ref()
                .is_some_and(|c| c.include.iter().any(|s| s == name));
            if named {
                return Err(ApiError::invalid(
                    "name",
                    format!(
                        "The scope '{name}' cannot be {action}: rule '{}' of policy '{}' uses it",
                        rule.name, entry.policy.name
                    ),
                ));
            }
        }
    }
    if let Some(claim) = config
        .claims
        .iter()
        .find(|c| c.condition_scopes().iter().any(|s| s == name))
    {
        return Err(ApiError::invalid(
            "name",
            format!(
                "The scope '{name}' cannot be {action}: claim '{}' is conditioned on it",
                claim.name
            ),
        ));
    }
    Ok(())
}

/// Reads a create or replace body (a JSON object) as a scope: a missing or invalid name and
/// unknown `consent` or `metadataPublish` values are `E0000001`, wrong types `E0000003`.
pub(crate) fn scope_from_json(object: Map<String, Value>) -> Result<Scope, ApiError> {
    let mut failures = Vec::new();
    match object.get("name") {
        None | Some(Value::Null) => failures.push(FieldError::new("name", BLANK)),
        Some(Value::String(name)) => {
            if let Some(problem) = scope_name_problem(name) {
                failures.push(FieldError::new("name", problem));
            }
        }
        Some(_) => return Err(ApiError::malformed_body()),
    }
    check_enum::<ScopeConsent>(&object, "consent", "REQUIRED, IMPLICIT, FLEXIBLE", &mut failures);
    check_enum::<MetadataPublish>(&object, "metadataPublish", "ALL_CLIENTS, NO_CLIENTS", &mut failures);
    fail_on(failures)?;
    from_object(object)
}

/// Why `name` is not a valid scope name, if it is not (the Authorization Servers API's
/// scope-name rules).
pub(super) fn scope_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some(BLANK.to_owned());
    }
    if name.chars().count() > NAME_MAX {
        return Some(format!("Scope names cannot be longer than {NAME_MAX} characters"));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| !matches!(c, '\x21'..='\x7e') || c == '"' || c == '\\')
    {
        return Some(format!(
            "Scope names may only contain printable ASCII characters other than space, '\"' and '\\', not {bad:?}"
        ));
    }
    let lower = name.to_ascii_lowercase();
    if lower == "okta" || lower.starts_with("okta.") || lower.starts_with("okta:") {
        return Some("Scope names cannot be 'okta' or start with 'okta.' or 'okta:'".to_owned());
    }
    if name == ALL_SCOPES {
        return Some("'*' is reserved: in rules it stands for every scope".to_owned());
    }
    if name.contains('<') && name.contains('>') {
        return Some("A scope name may contain '<' or '>' but not both".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::admin::Method;
    use crate::admin::tests::{api, call, causes, each_change_advances_changed_at, keys, with_default_server};

    const SCOPES: &str = "/api/v1/authorizationServers/default/scopes";

    async fn create(api: &crate::admin::tests::TestApi, body: Value) -> crate::admin::ApiResponse {
        call(api, Method::Post, SCOPES, Some(body)).await
    }

    #[tokio::test]
    async fn seed_003_round_trip_create_get_replace_list_delete() {
        let (api, clock) = api();
        with_default_server(&api).await;
        // Seed 003 "Create a Scope" request.
        let created = create(&api, json!({"description": "Drive car", "name": "car:drive"})).await;
        assert_eq!(created.status, 201);
        let body = created.body.unwrap();
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("scp") && id.len() == 20);
        // Seed 003 "Scopes Object": same keys (plus the current API's `_links`) and values.
        let seed = json!({"id": "scpainazg3Ekay92V0h7", "name": "car:drive", "description": "Drive car",
                          "system": false, "default": false});
        let mut expected = keys(&seed);
        expected.push("_links");
        expected.sort_unstable();
        assert_eq!(keys(&body), expected);
        for key in ["name", "description", "system", "default"] {
            assert_eq!(body[key], seed[key], "{key}");
        }
        let href = format!("https://id.example.com{SCOPES}/{id}");
        assert_eq!(body["_links"]["self"]["href"], href.as_str());
        assert_eq!(
            body["_links"]["self"]["hints"]["allow"],
            json!(["GET", "PUT", "DELETE"])
        );
        // Defaults (reference §2.2): IMPLICIT, NO_CLIENTS.
        let stored = api.load("default").await.unwrap();
        let scope = stored.scopes.iter().find(|s| s.id == id).unwrap();
        assert_eq!(scope.consent(), crate::model::ScopeConsent::Implicit);
        assert_eq!(scope.metadata_publish(), crate::model::MetadataPublish::NoClients);

        let got = call(&api, Method::Get, &format!("{SCOPES}/{id}"), None).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.body.unwrap(), body);

        // Seed 003 "Update a Scope" (its body repaired).
        clock.advance(time::Duration::minutes(1));
        let replaced = call(
            &api,
            Method::Put,
            &format!("{SCOPES}/{id}"),
            Some(json!({"description": "Order car", "name": "car:order"})),
        )
        .await;
        assert_eq!(replaced.status, 200);
        let replaced = replaced.body.unwrap();
        assert_eq!(replaced["name"], "car:order");
        assert_eq!(replaced["id"], id.as_str());
        assert_eq!(keys(&replaced), expected);

        let list = call(&api, Method::Get, SCOPES, None).await;
        assert_eq!(list.status, 200);
        let list = list.body.unwrap();
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"car:order") && names.contains(&"openid") && !names.contains(&"car:drive"));

        let deleted = call(&api, Method::Delete, &format!("{SCOPES}/{id}"), None).await;
        assert_eq!(deleted.status, 204);
        assert!(deleted.body.is_none());
        let gone = call(&api, Method::Get, &format!("{SCOPES}/{id}"), None).await;
        assert_eq!(gone.status, 404);
        assert_eq!(gone.body.unwrap()["errorCode"], "E0000007");
    }

    #[tokio::test]
    async fn duplicate_names_are_rejected_and_change_nothing() {
        // Seed 003 "Limits" and seed 000: "Scopes are unique per authorization server".
        let (api, clock) = api();
        with_default_server(&api).await;
        assert_eq!(create(&api, json!({"name": "car:drive"})).await.status, 201);
        let before = api.load("default").await.unwrap();
        clock.advance(time::Duration::minutes(1));
        for name in ["car:drive", "openid"] {
            let response = create(&api, json!({"name": name})).await;
            assert_eq!(response.status, 400);
            assert_eq!(response.body.as_ref().unwrap()["errorCode"], "E0000001");
            assert_eq!(
                response.body.as_ref().unwrap()["errorSummary"],
                "Api validation failed: name"
            );
            assert!(
                causes(&response)[0].contains("unique per authorization server"),
                "{:?}",
                causes(&response)
            );
        }
        assert_eq!(
            api.load("default").await.unwrap(),
            before,
            "config and revision unchanged"
        );
    }

    #[tokio::test]
    async fn invalid_names_are_rejected() {
        // Reference §2.2 scope-name rules.
        let (api, _) = api();
        with_default_server(&api).await;
        let before = api.load("default").await.unwrap();
        for name in [
            "car drive",
            "okta.x",
            "okta:users",
            "okta",
            "OKTA.read",
            "*",
            "a\"b",
            "a\\b",
            "a<b>",
            "",
            "é",
        ] {
            let response = create(&api, json!({"name": name})).await;
            assert_eq!(response.status, 400, "{name}");
            let body = response.body.as_ref().unwrap();
            assert_eq!(body["errorCode"], "E0000001", "{name}");
            assert!(causes(&response)[0].starts_with("name: "), "{name}");
        }
        let missing = create(&api, json!({"description": "no name"})).await;
        assert_eq!(causes(&missing), ["name: The field cannot be left blank"]);
        let bad_enum = create(&api, json!({"name": "ok", "consent": "ADMIN"})).await;
        assert_eq!(bad_enum.status, 400);
        assert!(causes(&bad_enum)[0].starts_with("consent: "));
        for name in ["a<b", "a>b", "urn:x/y?z=1", "okta_like"] {
            assert_eq!(create(&api, json!({"name": name})).await.status, 201, "{name}");
        }
        assert_eq!(api.load("default").await.unwrap().scopes.len(), before.scopes.len() + 4);
    }

    #[tokio::test]
    async fn system_scopes_cannot_be_deleted_or_renamed() {
        let (api, _) = api();
        with_default_server(&api).await;
        let config = api.load("default").await.unwrap();
        let openid = config.scopes.iter().find(|s| s.name == "openid").unwrap().id.clone();
        let deleted = call(&api, Method::Delete, &format!("{SCOPES}/{openid}"), None).await;
        assert_eq!(deleted.status, 403);
        assert_eq!(deleted.body.unwrap()["errorCode"], "E0000006");
        let renamed = call(
            &api,
            Method::Put,
            &format!("{SCOPES}/{openid}"),
            Some(json!({"name": "oidc"})),
        )
        .await;
        assert_eq!(renamed.status, 400);
        assert_eq!(api.load("default").await.unwrap(), config);
        // Other fields of a system scope may change; `system` stays true.
        let edited = call(
            &api,
            Method::Put,
            &format!("{SCOPES}/{openid}"),
            Some(json!({"name": "openid", "description": "OIDC", "system": false, "default": true})),
        )
        .await;
        assert_eq!(edited.status, 200);
        let edited = edited.body.unwrap();
        assert_eq!(edited["system"], true);
        assert_eq!(edited["default"], true);
        assert_eq!(edited["_links"]["self"]["hints"]["allow"], json!(["GET", "PUT"]));
    }

    #[tokio::test]
    async fn scopes_used_by_rules_cannot_be_deleted() {
        let (api, _) = api();
        with_default_server(&api).await;
        let id = create(&api, json!({"name": "car:drive"})).await.body.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // Make the default rule name the scope explicitly (stored directly: rules are another file's job).
        let mut config = api.load("default").await.unwrap();
        let revision = config.revision;
        config.policies[0].rules[0].conditions.scopes.as_mut().unwrap().include = vec!["car:drive".to_owned()];
        assert!(matches!(
            crate::store::ConfigStore::save(api.config.as_ref(), config, revision)
                .await
                .unwrap(),
            crate::store::Saved::Saved { .. }
        ));
        let before = api.load("default").await.unwrap();
        let response = call(&api, Method::Delete, &format!("{SCOPES}/{id}"), None).await;
        assert_eq!(response.status, 400);
        assert!(causes(&response)[0].contains("Default Policy Rule"));
        let renamed = call(
            &api,
            Method::Put,
            &format!("{SCOPES}/{id}"),
            Some(json!({"name": "car:ride"})),
        )
        .await;
        assert_eq!(renamed.status, 400);
        assert_eq!(api.load("default").await.unwrap(), before);
    }

    #[tokio::test]
    async fn every_change_advances_changed_at() {
        let (api, clock) = api();
        with_default_server(&api).await;
        let bodies = (json!({"name": "a"}), json!({"name": "b"}));
        each_change_advances_changed_at(&api, &clock, SCOPES, bodies).await;
    }

    #[tokio::test]
    async fn list_filters_and_pages() {
        let (api, _) = api();
        with_default_server(&api).await;
        for name in ["car:drive", "car:order", "boat:sail"] {
            assert_eq!(create(&api, json!({"name": name})).await.status, 201);
        }
        let names = crate::admin::tests::listed_field(&api, &format!("{SCOPES}?q=CAR"), "name").await;
        assert_eq!(names, ["car:drive", "car:order"]);

        let first = call(&api, Method::Get, &format!("{SCOPES}?q=car&limit=1"), None).await;
        assert_eq!(first.body.as_ref().unwrap().as_array().unwrap().len(), 1);
        let next = first
            .headers
            .iter()
            .find(|(k, v)| k == "Link" && v.contains("rel=\"next\""))
            .unwrap()
            .1
            .clone();
        let url = next.trim_start_matches('<').split('>').next().unwrap();
        let path = url.trim_start_matches("https://id.example.com");
        let second = call(&api, Method::Get, path, None).await;
        assert_eq!(second.body.as_ref().unwrap()[0]["name"], "car:order");
        assert!(!second.headers.iter().any(|(_, v)| v.contains("rel=\"next\"")));

        assert_eq!(
            call(&api, Method::Get, &format!("{SCOPES}?limit=x"), None).await.status,
            400
        );
        assert_eq!(
            call(&api, Method::Get, &format!("{SCOPES}?after=scpnope"), None)
                .await
                .status,
            400
        );
        let unknown = call(&api, Method::Get, "/api/v1/authorizationServers/nope/scopes", None).await;
        assert_eq!(unknown.status, 404);
    }

    #[tokio::test]
    async fn malformed_bodies_and_methods() {
        let (api, _) = api();
        with_default_server(&api).await;
        assert_eq!(
            create(&api, json!(["car:drive"])).await.body.unwrap()["errorCode"],
            "E0000003"
        );
        assert_eq!(
            create(&api, json!({"name": 5})).await.body.unwrap()["errorCode"],
            "E0000003"
        );
        let config = api.load("default").await.unwrap();
        let id = &config.scopes[0].id;
        assert_eq!(
            call(&api, Method::Post, &format!("{SCOPES}/{id}"), None).await.status,
            405
        );
        assert_eq!(
            call(
                &api,
                Method::Put,
                &format!("{SCOPES}/scpnope"),
                Some(json!({"name": "x"}))
            )
            .await
            .status,
            404
        );
        assert_eq!(
            call(&api, Method::Delete, &format!("{SCOPES}/scpnope"), None)
                .await
                .status,
            404
        );
    }
}

//! Claims: list, get, create, replace, delete (Okta Authorization Servers API,
//! `/api/v1/authorizationServers/{id}/claims`).
//!
//! Rules (the Authorization Servers API's claim properties; Okta's "Customize tokens" guides for
//! the limits):
//! * `name`, `claimType` and `valueType` are required; `value` is required for `EXPRESSION` and
//!   `GROUPS` claims and holds at most 1024 characters;
//! * the definition must compile ([`compile_claim`]): each [`ClaimDefinitionError`] is one
//!   `E0000001` cause (`name:` reserved name, `value:` the parser's positioned message or the
//!   regex error, `group_filter_type:` a `GROUPS` claim without a filter type);
//! * `name` + `claimType` are unique per server; `conditions.scopes` entries must be scopes of the
//!   server or OpenID Connect scopes; custom claims cannot have `valueType: SYSTEM`;
//! * `system` is server-controlled (ignored on input). A system claim cannot be deleted, and a
//!   replace may change only its `alwaysIncludeInToken` (omitted = unchanged) and, for the
//!   `EXPRESSION` claim `sub`, its `value`; any other difference (status included) is `E0000001`;
//! * custom claims are stored with `alwaysIncludeInToken` (default `true`) and `conditions`
//!   (default `{"scopes": []}`) filled in, so they read back in the shape of Okta's examples.
//!
//! Output writes `group_filter_type` (snake_case); input also accepts `groupFilterType`.

use serde_json::{Map, Value};

use super::error::FieldError;
use super::fields::{BLANK, check_entries, check_enum, check_room, check_text, fail_on, from_object, required};
use super::limits::{CLAIM_VALUE_MAX, CLAIMS_PER_SERVER_MAX, CONDITION_ENTRIES_MAX, CONDITION_ENTRY_MAX, NAME_MAX};
use super::members::{Member, member_operations};
use super::{Answer, ApiError, ApiRequest, ManagementApi, Method, respond};
use crate::claims::{ClaimDefinitionError, compile_claim};
use crate::model::{Claim, ClaimConditions, ClaimType, ClaimValueType, GroupFilterType, Status, is_oidc_scope};
use crate::store::{ConfigStore, Directory, ServerConfig};

/// Longest claim value, in characters (Okta's limit for claim expressions).
pub const MAX_VALUE_CHARS: usize = CLAIM_VALUE_MAX;

impl Member for Claim {
    fn new_member(input: Self) -> Self {
        let mut claim = Claim {
            id: String::new(),
            system: false,
            links: None,
            ..input
        };
        claim.always_include_in_token.get_or_insert(true);
        claim.conditions.get_or_insert_with(ClaimConditions::default);
        claim
    }

    fn check_new(config: &ServerConfig, new: &Self) -> Result<(), ApiError> {
        validate(config, new, None)?;
        check_room(
            "claims",
            config.claims.len(),
            CLAIMS_PER_SERVER_MAX,
            "claims per authorization server",
        )
    }

    fn replacement(config: &ServerConfig, stored: &Self, input: &Self) -> Result<Self, ApiError> {
        let claim = if stored.system {
            replace_system(stored, input)?
        } else {
            Self::new_member(input.clone())
        };
        validate(config, &claim, Some(&stored.id))?;
        Ok(claim)
    }
}

member_operations! {
    Claim(claim, claim_id) under "claims",
    create_claim: ", `alwaysIncludeInToken` `true` and `conditions` `{\"scopes\": []}` unless given",
        "with one cause per problem (a definition that does not compile, a taken name, unknown condition scopes…)";
    get_claim; replace_claim: "Of a system claim only `alwaysIncludeInToken` and the `sub` expression may change.";
    delete_claim: ""
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// `GET /api/v1/authorizationServers/{serverId}/claims`: the claims of server `server_id`,
    /// system claims included, as shown, with `_links`.
    ///
    /// # Errors
    /// `E0000007` for an unknown server; `E0000009` when the store fails.
    pub async fn list_claims(&self, server_id: &str) -> Result<Vec<Claim>, ApiError> {
        self.members(server_id).await
    }

    /// Routes `…/claims{rest}`.
    pub(super) async fn route_claims(&self, request: &ApiRequest<'_>, server_id: &str, rest: &[&str]) -> Answer {
        if rest.is_empty() && request.method == Method::Get {
            respond(200, &self.list_claims(server_id).await?)
        } else {
            self.route_members::<Claim>(request, server_id, rest).await
        }
    }
}

/// Reads a create or replace body (a JSON object) as a claim: missing required fields and
/// unknown enum values are `E0000001`, JSON of the wrong types `E0000003`.
pub(crate) fn claim_from_json(object: Map<String, Value>) -> Result<Claim, ApiError> {
    let mut failures = Vec::new();
    for field in ["name", "claimType", "valueType"] {
        match object.get(field) {
            None | Some(Value::Null) => failures.push(FieldError::new(field, BLANK)),
            Some(Value::String(text)) if text.trim().is_empty() => failures.push(FieldError::new(field, BLANK)),
            _ => {}
        }
    }
    check_enum::<Status>(&object, "status", "ACTIVE, INACTIVE", &mut failures);
    check_enum::<ClaimType>(&object, "claimType", "RESOURCE, IDENTITY", &mut failures);
    check_enum::<ClaimValueType>(&object, "valueType", "EXPRESSION, GROUPS, SYSTEM", &mut failures);
    let filter_types = "STARTS_WITH, EQUALS, CONTAINS, REGEX";
    check_enum::<GroupFilterType>(&object, "group_filter_type", filter_types, &mut failures);
    check_enum::<GroupFilterType>(&object, "groupFilterType", filter_types, &mut failures);
    fail_on(failures)?;
    from_object(object)
}

/// The system claim `stored` after a replace with `input`: only `alwaysIncludeInToken` (and the
/// `sub` expression's `value`) may differ.
fn replace_system(stored: &Claim, input: &Claim) -> Result<Claim, ApiError> {
    let value_editable = stored.name == "sub" && stored.value_type == ClaimValueType::Expression;
    let mut failures = Vec::new();
    let mut differs = |field: &str, same: bool| {
        if !same {
            failures.push(FieldError::new(
                field,
                format!("The {field} of a system claim cannot be changed"),
            ));
        }
    };
    differs("name", input.name == stored.name);
    differs("status", input.status == stored.status);
    differs("claimType", input.claim_type == stored.claim_type);
    differs("valueType", input.value_type == stored.value_type);
    differs("value", value_editable || input.value == stored.value);
    differs("group_filter_type", input.group_filter_type == stored.group_filter_type);
    differs(
        "conditions.scopes",
        input.condition_scopes() == stored.condition_scopes(),
    );
    fail_on(failures)?;
    let mut claim = stored.clone();
    if value_editable {
        claim.value = input.value.clone();
    }
    if input.always_include_in_token.is_some() {
        claim.always_include_in_token = input.always_include_in_token;
    }
    Ok(claim)
}

/// Checks `claim` against the rules of the module documentation, as it would be stored in
/// `config` (`except` is its own id on replace).
fn validate(config: &ServerConfig, claim: &Claim, except: Option<&str>) -> Result<(), ApiError> {
    let mut failures = Vec::new();
    check_text(&mut failures, "name", Some(&claim.name), NAME_MAX);
    check_entries(
        &mut failures,
        "conditions.scopes",
        claim.condition_scopes(),
        CONDITION_ENTRIES_MAX,
        CONDITION_ENTRY_MAX,
    );
    match claim.value_type {
        ClaimValueType::Expression | ClaimValueType::Groups => {
            let value = required(&mut failures, "value", Some(&claim.value));
            if value.is_some_and(|value| value.chars().count() > MAX_VALUE_CHARS) {
                failures.push(FieldError::new(
                    "value",
                    format!("The value cannot exceed {MAX_VALUE_CHARS} characters"),
                ));
            }
        }
        ClaimValueType::System if !claim.system => failures.push(FieldError::new(
            "valueType",
            "SYSTEM claims are defined by the server; use EXPRESSION or GROUPS",
        )),
        ClaimValueType::System => {}
    }
    if failures.is_empty() {
        if let Err(error) = compile_claim(claim) {
            failures.push(definition_failure(&error));
        }
    }
    let duplicate = config
        .claims
        .iter()
        .any(|c| c.name == claim.name && c.claim_type == claim.claim_type && Some(c.id.as_str()) != except);
    if duplicate {
        let token = match claim.claim_type {
            ClaimType::Resource => "access",
            ClaimType::Identity => "ID",
        };
        failures.push(FieldError::new(
            "name",
            format!(
                "A claim named '{}' already exists for {token} tokens on this authorization server",
                claim.name
            ),
        ));
    }
    let listed = if failures.iter().any(|f| f.field == "conditions.scopes") {
        &[][..]
    } else {
        claim.condition_scopes()
    };
    for scope in listed {
        if !is_oidc_scope(scope) && !config.scopes.iter().any(|s| &s.name == scope) {
            failures.push(FieldError::new(
                "conditions.scopes",
                format!("'{scope}' is not a scope of this authorization server"),
            ));
        }
    }
    fail_on(failures)
}

/// The `E0000001` cause for a definition that does not compile.
fn definition_failure(error: &ClaimDefinitionError) -> FieldError {
    match error {
        ClaimDefinitionError::ReservedName(_) => FieldError::new("name", error.to_string()),
        ClaimDefinitionError::MissingName => FieldError::new("name", BLANK),
        ClaimDefinitionError::Expression { error, .. } => {
            FieldError::new("value", format!("The expression does not parse: {error}"))
        }
        ClaimDefinitionError::MissingGroupFilterType(_) => {
            FieldError::new("group_filter_type", "A GROUPS claim needs a group_filter_type")
        }
        ClaimDefinitionError::GroupRegex { error, .. } => FieldError::new("value", error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::admin::tests::{TestApi, api, call, each_change_advances_changed_at, keys, with_default_server};
    use crate::admin::{ApiResponse, Method};

    const CLAIMS: &str = "/api/v1/authorizationServers/default/claims";

    /// The causes of a response that must be `E0000001`.
    fn causes(response: &ApiResponse) -> Vec<String> {
        let body = response.body.as_ref().unwrap();
        assert_eq!(body["errorCode"], "E0000001", "{body}");
        crate::admin::tests::causes(response)
    }

    async fn setup() -> (TestApi, std::sync::Arc<crate::clock::ManualClock>) {
        let (api, clock) = api();
        with_default_server(&api).await;
        let scope = call(
            &api,
            Method::Post,
            "/api/v1/authorizationServers/default/scopes",
            Some(json!({"name": "car:drive"})),
        )
        .await;
        assert_eq!(scope.status, 201);
        (api, clock)
    }

    /// Seed 003 "Create a Claim" request.
    fn seed_create() -> Value {
        json!({
            "name": "carDriving", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": "\"driving!\"", "conditions": {"scopes": ["car:drive"]}
        })
    }

    async fn create(api: &TestApi, body: Value) -> ApiResponse {
        call(api, Method::Post, CLAIMS, Some(body)).await
    }

    #[tokio::test]
    async fn seed_003_round_trip_create_get_replace_list_delete() {
        let (api, clock) = setup().await;
        let created = create(&api, seed_create()).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let body = created.body.unwrap();
        let id = body["id"].as_str().unwrap().to_owned();
        assert!(id.starts_with("ocl") && id.len() == 20);
        // Seed 003 "Claims Object" keys, plus the current API's `_links`.
        let seed_keys = [
            "id",
            "name",
            "status",
            "claimType",
            "valueType",
            "value",
            "alwaysIncludeInToken",
            "conditions",
            "system",
            "_links",
        ];
        let mut expected: Vec<String> = seed_keys.iter().map(|k| (*k).to_owned()).collect();
        expected.sort();
        assert_eq!(keys(&body), expected);
        assert_eq!(body["value"], "\"driving!\"");
        assert_eq!(body["alwaysIncludeInToken"], true);
        assert_eq!(body["system"], false);
        assert_eq!(body["conditions"], json!({"scopes": ["car:drive"]}));
        assert_eq!(
            body["_links"]["self"]["href"],
            format!("https://id.example.com{CLAIMS}/{id}").as_str()
        );

        let got = call(&api, Method::Get, &format!("{CLAIMS}/{id}"), None).await;
        assert_eq!(got.body.unwrap(), body);

        // Seed 003 "Update a Claim" (its body repaired): string booleans accepted, `system` ignored.
        clock.advance(time::Duration::minutes(1));
        let update = json!({
            "name": "carDriving", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
            "value": "\"driving!\"", "alwaysIncludeInToken": "true", "system": "false",
            "conditions": {"scopes": ["car:drive"]}
        });
        let mut update = update;
        update["value"] = json!("user.login");
        let replaced = call(&api, Method::Put, &format!("{CLAIMS}/{id}"), Some(update)).await;
        assert_eq!(replaced.status, 200, "{:?}", replaced.body);
        let replaced = replaced.body.unwrap();
        assert_eq!(replaced["value"], "user.login");
        assert_eq!(keys(&replaced), expected);

        let list = call(&api, Method::Get, CLAIMS, None).await.body.unwrap();
        let ours: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id.as_str())
            .collect();
        assert_eq!(ours, [&replaced]);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .any(|c| c["name"] == "sub" && c["system"] == true)
        );

        assert_eq!(
            call(&api, Method::Delete, &format!("{CLAIMS}/{id}"), None).await.status,
            204
        );
        assert_eq!(
            call(&api, Method::Get, &format!("{CLAIMS}/{id}"), None).await.status,
            404
        );
    }

    #[tokio::test]
    async fn groups_claims_write_snake_case_filter_type() {
        let (api, _) = setup().await;
        let response = create(
            &api,
            json!({"name": "groups", "claimType": "IDENTITY", "valueType": "GROUPS", "value": "/^[a-z0-9_-]{3,16}$/",
                   "groupFilterType": "REGEX", "conditions": {"scopes": ["openid"]}}),
        )
        .await;
        assert_eq!(response.status, 201, "{:?}", response.body);
        let body = response.body.unwrap();
        assert_eq!(body["group_filter_type"], "REGEX");
        assert!(body.get("groupFilterType").is_none());
    }

    #[tokio::test]
    async fn each_definition_error_is_a_field_cause_and_changes_nothing() {
        let (api, clock) = setup().await;
        let before = api.load("default").await.unwrap();
        clock.advance(time::Duration::minutes(1));
        let with = |changes: Value| {
            let mut body = seed_create();
            for (key, value) in changes.as_object().unwrap() {
                body[key] = value.clone();
            }
            body
        };
        // Reserved claim names (reference §2.2 "Reserved claims can't be overridden").
        let reserved = create(&api, with(json!({"name": "iss"}))).await;
        assert_eq!(reserved.status, 400);
        assert_eq!(causes(&reserved), ["name: 'iss' is a reserved claim name"]);
        // An expression that does not parse: the parser's positioned message.
        let unparsable = create(&api, with(json!({"value": "user.login +"}))).await;
        let cause = &causes(&unparsable)[0];
        assert!(cause.starts_with("value: "), "{cause}");
        let message = match crate::expr::Expression::parse("user.login +") {
            Err(error) => error.to_string(),
            Ok(_) => panic!("the expression parses"),
        };
        assert!(
            cause.ends_with(&message) && message.contains(" at 1:"),
            "{cause} / {message}"
        );
        // GROUPS without group_filter_type.
        let no_filter = create(&api, with(json!({"valueType": "GROUPS", "value": "Everyone"}))).await;
        assert_eq!(causes(&no_filter)[0].split(':').next(), Some("group_filter_type"));
        // An invalid regex.
        let regex = create(
            &api,
            with(json!({"valueType": "GROUPS", "value": "([a-z", "group_filter_type": "REGEX"})),
        )
        .await;
        assert!(
            causes(&regex)[0].starts_with("value: invalid group filter regex"),
            "{:?}",
            causes(&regex)
        );
        // A value over 1024 characters (reference §1.7); exactly 1024 is fine.
        let long = format!("\"{}\"", "a".repeat(1023));
        assert_eq!(
            causes(&create(&api, with(json!({"value": long}))).await)[0]
                .split(':')
                .next(),
            Some("value")
        );
        // Missing required fields, unknown enums, undefined condition scopes, SYSTEM value type.
        let missing = create(&api, json!({"value": "\"x\""})).await;
        assert_eq!(
            causes(&missing),
            [
                "name: The field cannot be left blank",
                "claimType: The field cannot be left blank",
                "valueType: The field cannot be left blank"
            ]
        );
        assert!(causes(&create(&api, with(json!({"claimType": "ACCESS"}))).await)[0].starts_with("claimType: "));
        assert!(causes(&create(&api, with(json!({"value": ""}))).await)[0].starts_with("value: "));
        let scopes = create(&api, with(json!({"conditions": {"scopes": ["car:fly"]}}))).await;
        assert_eq!(
            causes(&scopes),
            ["conditions.scopes: 'car:fly' is not a scope of this authorization server"]
        );
        assert!(causes(&create(&api, with(json!({"valueType": "SYSTEM"}))).await)[0].starts_with("valueType: "));
        assert_eq!(
            api.load("default").await.unwrap(),
            before,
            "config and revision unchanged"
        );

        let ok = format!("\"{}\"", "a".repeat(1022));
        assert_eq!(create(&api, with(json!({"value": ok}))).await.status, 201);
    }

    #[tokio::test]
    async fn duplicate_name_and_type_is_rejected() {
        let (api, _) = setup().await;
        assert_eq!(create(&api, seed_create()).await.status, 201);
        let before = api.load("default").await.unwrap();
        let duplicate = create(&api, seed_create()).await;
        assert_eq!(duplicate.status, 400);
        assert!(causes(&duplicate)[0].contains("already exists"));
        assert_eq!(api.load("default").await.unwrap(), before);
        // The same name for the other token is a different claim.
        let mut identity = seed_create();
        identity["claimType"] = json!("IDENTITY");
        assert_eq!(create(&api, identity).await.status, 201);
    }

    #[tokio::test]
    async fn system_claims_cannot_be_deleted_and_only_toggle_always_include() {
        let (api, _) = setup().await;
        let config = api.load("default").await.unwrap();
        let email = config.claims.iter().find(|c| c.name == "email").unwrap().clone();
        let path = format!("{CLAIMS}/{}", email.id);
        let deleted = call(&api, Method::Delete, &path, None).await;
        assert_eq!(deleted.status, 403);
        assert_eq!(deleted.body.unwrap()["errorCode"], "E0000006");

        let mut body = serde_json::to_value(&email).unwrap();
        body["value"] = json!("user.email");
        body["status"] = json!("INACTIVE");
        let changed = call(&api, Method::Put, &path, Some(body)).await;
        assert_eq!(causes(&changed).len(), 2);
        assert_eq!(api.load("default").await.unwrap(), config, "nothing changed");

        let mut body = serde_json::to_value(&email).unwrap();
        body["alwaysIncludeInToken"] = json!(!email.always_include());
        let toggled = call(&api, Method::Put, &path, Some(body)).await;
        assert_eq!(toggled.status, 200, "{:?}", toggled.body);
        let toggled = toggled.body.unwrap();
        assert_eq!(toggled["alwaysIncludeInToken"], json!(!email.always_include()));
        assert_eq!(toggled["system"], true);
        assert_eq!(toggled["_links"]["self"]["hints"]["allow"], json!(["GET", "PUT"]));

        // `sub`'s expression is editable, and must still parse.
        let sub = config.claims.iter().find(|c| c.name == "sub").unwrap().clone();
        let mut body = serde_json::to_value(&sub).unwrap();
        body["value"] = json!("user.login");
        let edited = call(&api, Method::Put, &format!("{CLAIMS}/{}", sub.id), Some(body.clone())).await;
        assert_eq!(edited.status, 200, "{:?}", edited.body);
        body["value"] = json!("user.");
        let broken = call(&api, Method::Put, &format!("{CLAIMS}/{}", sub.id), Some(body)).await;
        assert!(causes(&broken)[0].starts_with("value: "));
    }

    #[tokio::test]
    async fn every_change_advances_changed_at() {
        let (api, clock) = setup().await;
        let mut inactive = seed_create();
        inactive["status"] = json!("INACTIVE");
        each_change_advances_changed_at(&api, &clock, CLAIMS, (seed_create(), inactive)).await;
    }

    #[tokio::test]
    async fn unknown_ids_and_methods() {
        let (api, _) = setup().await;
        assert_eq!(
            call(&api, Method::Get, &format!("{CLAIMS}/oclnope"), None).await.status,
            404
        );
        assert_eq!(
            call(&api, Method::Put, &format!("{CLAIMS}/oclnope"), Some(seed_create()))
                .await
                .status,
            404
        );
        assert_eq!(
            call(&api, Method::Delete, &format!("{CLAIMS}/oclnope"), None)
                .await
                .status,
            404
        );
        assert_eq!(call(&api, Method::Put, CLAIMS, Some(seed_create())).await.status, 405);
        let other = call(&api, Method::Get, "/api/v1/authorizationServers/nope/claims", None).await;
        assert_eq!(
            other.body.unwrap()["errorSummary"],
            "Not found: Resource not found: nope (AuthorizationServer)"
        );
    }
}

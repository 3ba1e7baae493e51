//! The user context the `expression` target evaluates against: a user in several groups with a
//! profile holding strings, numbers, booleans, arrays and a list of 300 objects (enough for nested
//! projections to reach the evaluation budget), an app user, an app with a profile, an org, two
//! granted scopes, a linked manager and an Active Directory user.

use authserver::expr::{AppData, Context, GroupData, JsonMap, LinkedUser, UserData};
use serde_json::{Value, json};
use time::macros::datetime;

fn map(value: Value) -> JsonMap {
    match value {
        Value::Object(map) => map,
        _ => JsonMap::new(),
    }
}

/// Owns what a [`Context`] borrows.
pub struct Fixture {
    profile: JsonMap,
    appuser: JsonMap,
    app_profile: JsonMap,
    org: JsonMap,
    manager: JsonMap,
    ad_user: JsonMap,
    ad_profile: JsonMap,
    scopes: Vec<String>,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// The fixed data.
    pub fn new() -> Self {
        let items: Vec<Value> = (0..300).map(|i| json!({ "n": i.to_string(), "i": i })).collect();
        Fixture {
            profile: map(json!({
                "login": "WChurchill@example.com", "firstName": "Winston", "lastName": "Churchill",
                "email": "wc@example.com", "employeeNumber": "", "nonEmployeeNumber": "N-7",
                "salary": 2000000, "ratio": 0.25, "isContractor": false, "title": "Engineer",
                "department": "California-North-Sales", "arrayProperty": ["first", "second"],
                "countryCode": "IND", "windowsTime": "131774732470000000", "unixTime": "1500000000",
                "hired": "2017-07-14T02:40:00.000Z", "pattern": "[0-9]+", "nested": {"a": {"b": [1, 2, {"c": null}]}},
                "items": items, "long": "y".repeat(2000)
            })),
            appuser: map(json!({"userName": "winston", "role": ["a", "b"]})),
            app_profile: map(json!({
                "groupallowlist": ["00gak46y5hydV6NdM0g4", "00garwpuyxHaWOkdV0g4"],
                "maxLimit": 40, "label": "Portal", "groupExpr": "'G:' + group.name"
            })),
            org: map(json!({"name": "Acme", "subDomain": "acme"})),
            manager: map(json!({"firstName": "Bill", "lastName": "Gates"})),
            ad_user: map(json!({"employeeID": "E-1"})),
            ad_profile: map(json!({"windowsDomainQualifiedName": "CORP\\Admins"})),
            scopes: vec!["openid".into(), "profile".into()],
        }
    }

    /// Calls `f` with the full context.
    pub fn with_context<T>(&self, f: impl FnOnce(&Context<'_>) -> T) -> T {
        let group = |id, name, kind, source| GroupData {
            source_id: Some(source),
            ..GroupData::new(id, name, kind)
        };
        let groups = [
            group("00gak46y5hydV6NdM0g4", "Everyone", "BUILT_IN", "0oazmqPIbHiVJBG4C0g3"),
            group(
                "00g1emaKYZTWRYYRRTSK",
                "West Coast Users",
                "OKTA_GROUP",
                "0a81509410bdf807f680",
            ),
            group(
                "00garwpuyxHaWOkdV0g4",
                "West Coast Admins",
                "OKTA_GROUP",
                "0a03d062d3918fd34742",
            ),
            group(
                "00gjitX9HqABSoqTB0g3",
                "Engineering Users",
                "APP_GROUP",
                "0aae4be2456eb62f7c3d",
            ),
            group("00gIT", "IT", "OKTA_GROUP", "0orgid"),
            GroupData {
                object_class: Some("okta:windows_security_principal"),
                profile: Some(&self.ad_profile),
                source_app_name: Some("active_directory"),
                source_id: Some("0oaAD"),
                description: Some("Domain administrators"),
                ..GroupData::new("00gAD", "Domain Admins", "APP_GROUP")
            },
        ];
        let linked = [LinkedUser {
            relationship: "manager",
            user: UserData {
                id: "00u2",
                status: "ACTIVE",
                profile: &self.manager,
                groups: &[],
            },
        }];
        let directory = [&self.ad_user];
        let ctx = Context {
            user: Some(UserData {
                id: "00u1",
                status: "ACTIVE",
                profile: &self.profile,
                groups: &groups,
            }),
            appuser: Some(&self.appuser),
            app: Some(AppData {
                id: "0oa1",
                client_id: "client-1",
                name: "oidc_client",
                label: "Portal",
                profile: Some(&self.app_profile),
            }),
            org: Some(&self.org),
            scopes: &self.scopes,
            linked_objects: &linked,
            directory_users: &directory,
            ..Context::new(datetime!(2015-07-31 17:18:37.979 UTC))
        };
        f(&ctx)
    }

    /// Calls `f` with an empty context (no user, app or org): every binding is `null`.
    pub fn with_empty_context<T>(f: impl FnOnce(&Context<'_>) -> T) -> T {
        f(&Context::new(datetime!(2015-07-31 17:18:37.979 UTC)))
    }
}

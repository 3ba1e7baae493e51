//! The decisions made on every token request: policy and rule evaluation over a large
//! configuration (100 policies × 10 rules), a typical claim expression, and assembling an access
//! token's claims.
//!
//! `cargo bench --bench decisions`; the policy benches run both the linear [`evaluate`] and the
//! per-server [`PolicyIndex`] the token endpoint uses, and what serializing a denial's trace for
//! the event log costs.

use std::hint::black_box;

use authserver::claims::{AccessTokenParams, ClaimSet, Subject, TOKEN_EVALUATION_BUDGET, access_token_claims};
use authserver::expr::{Budget, Context, Expression, GroupData, JsonMap, UserData};
use authserver::model::{Claim, Client, GrantType, Group, Policy, Rule, Scope, User};
use authserver::policy::{PolicyIndex, PolicyRequest, PolicyWithRules, UserContext, evaluate};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

/// 100 policies of 10 rules each. Only the last rule of the last policy admits `orders:read` for
/// the bench client, so a request for it walks the whole configuration: the worst case.
fn large_configuration() -> (Vec<PolicyWithRules>, Vec<Scope>) {
    let policies = (1..=100)
        .map(|p| {
            let policy: Policy = serde_json::from_value(json!({
                "type": "OAUTH_AUTHORIZATION_POLICY", "id": format!("00p{p:03}"), "status": "ACTIVE",
                "name": format!("Policy {p}"), "priority": p,
                "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}
            }))
            .expect("policy");
            let rules = (1..=10)
                .map(|r| {
                    let last = p == 100 && r == 10;
                    let scope = if last { "orders:read" } else { "inventory:write" };
                    serde_json::from_value::<Rule>(json!({
                        "type": "RESOURCE_ACCESS", "id": format!("0pr{p:03}{r:02}"), "status": "ACTIVE",
                        "name": format!("Rule {p}.{r}"), "priority": r,
                        "conditions": {
                            "people": {"groups": {"include": [if last { "EVERYONE" } else { "00gadmins" }]}},
                            "grantTypes": {"include": ["authorization_code", "client_credentials"]},
                            "scopes": {"include": [scope]}
                        },
                        "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenWindowMinutes": 10080}}
                    }))
                    .expect("rule")
                })
                .collect();
            PolicyWithRules { policy, rules }
        })
        .collect();
    let scopes = ["orders:read", "inventory:write"]
        .iter()
        .map(|name| serde_json::from_value(json!({"id": format!("scp{name}"), "name": name})).expect("scope"))
        .collect();
    (policies, scopes)
}

fn user() -> User {
    serde_json::from_value(json!({
        "id": "00ualice", "status": "ACTIVE",
        "profile": {"login": "alice@example.com", "email": "alice@example.com", "firstName": "Alice",
                    "lastName": "Liddell", "department": "Engineering"}
    }))
    .expect("user")
}

fn groups() -> Vec<Group> {
    (0..20)
        .map(|i| {
            serde_json::from_value(json!({"id": format!("00g{i:02}"), "type": "OKTA_GROUP",
                "profile": {"name": format!("Team {i}")}}))
            .expect("group")
        })
        .collect()
}

fn token_request<'a>(
    policies: &'a [PolicyWithRules],
    scopes: &'a [Scope],
    requested: &'a [String],
    group_ids: &'a [String],
) -> PolicyRequest<'a> {
    PolicyRequest {
        policies,
        scopes,
        client_id: "0oaclient",
        user: Some(UserContext {
            id: "00ualice",
            group_ids,
        }),
        grant_type: GrantType::AuthorizationCode,
        requested_scopes: Some(requested),
    }
}

fn policy_evaluation(c: &mut Criterion) {
    let (policies, scopes) = large_configuration();
    let group_ids: Vec<String> = groups().into_iter().map(|g| g.id).collect();
    let worst = vec!["orders:read".to_owned()];
    // Only admins may have `inventory:write` (rules 1–99); `orders:read` is for everyone (the last).
    let first = vec!["inventory:write".to_owned()];
    let mut admin_groups = group_ids.clone();
    admin_groups.push("00gadmins".to_owned());
    let request = |requested, groups| token_request(&policies, &scopes, requested, groups);
    let mut group = c.benchmark_group("policy evaluation (100 policies x 10 rules)");
    group.bench_function("first rule matches", |b| {
        let req = request(&first, &admin_groups);
        b.iter(|| evaluate(black_box(&req)).expect("granted"))
    });
    group.bench_function("last rule of last policy matches", |b| {
        let req = request(&worst, &group_ids);
        b.iter(|| evaluate(black_box(&req)).expect("granted"))
    });
    group.bench_function("nothing matches (denial with full trace)", |b| {
        let req = request(&first, &group_ids);
        b.iter(|| evaluate(black_box(&req)).expect_err("denied"))
    });
    // The per-server index the token endpoint evaluates through (built once per configuration
    // revision), on the same three requests.
    let index = PolicyIndex::new(&policies);
    group.bench_function("indexed: first rule matches", |b| {
        let req = request(&first, &admin_groups);
        b.iter(|| index.evaluate(black_box(&req)).expect("granted"))
    });
    group.bench_function("indexed: last rule of last policy matches", |b| {
        let req = request(&worst, &group_ids);
        b.iter(|| index.evaluate(black_box(&req)).expect("granted"))
    });
    group.bench_function("indexed: nothing matches (denial with full trace)", |b| {
        let req = request(&first, &group_ids);
        b.iter(|| index.evaluate(black_box(&req)).expect_err("denied"))
    });
    // What recording that denial adds: the whole trace serialized with every id and name, and
    // the denial's event, which writes the trace cut to the event bounds (50 policies × 50 rules).
    let denial = index.evaluate(&request(&first, &group_ids)).expect_err("denied");
    group.bench_function("indexed: the denial's whole trace serialized", |b| {
        b.iter(|| serde_json::to_value(black_box(&denial)).expect("serializes"))
    });
    group.bench_function("indexed: the denial's event (trace cut to the event bounds)", |b| {
        let req = request(&first, &group_ids);
        let now = OffsetDateTime::UNIX_EPOCH;
        b.iter(|| black_box(&denial).event(black_box(&req), now))
    });
    group.finish();
}

fn claim_expressions(c: &mut Criterion) {
    let user = user();
    let profile = match serde_json::to_value(&user.profile).expect("profile") {
        Value::Object(map) => map,
        _ => JsonMap::new(),
    };
    let group_data: Vec<GroupData<'_>> = (0..20).map(|_| GroupData::new("00g", "Team", "OKTA_GROUP")).collect();
    let mut appuser = JsonMap::new();
    appuser.insert("userName".into(), json!("alice@example.com"));
    let scopes = vec!["openid".to_owned()];
    let ctx = Context {
        user: Some(UserData {
            id: "00ualice",
            status: "ACTIVE",
            profile: &profile,
            groups: &group_data,
        }),
        appuser: Some(&appuser),
        scopes: &scopes,
        ..Context::new(OffsetDateTime::UNIX_EPOCH)
    };
    let mut group = c.benchmark_group("claim expression");
    for (name, source) in [
        ("sub (seed 003)", "(appuser != null) ? appuser.userName : app.clientId"),
        ("profile attribute", "user.department"),
        (
            "membership ternary",
            "isMemberOfGroupName(\"Team 19\") ? \"admin\" : \"user\"",
        ),
        (
            "string functions",
            "String.toUpperCase(String.substringBefore(user.email, \"@\"))",
        ),
    ] {
        let expression = Expression::parse(source).expect("parses");
        group.bench_function(format!("evaluate: {name}"), |b| {
            b.iter(|| expression.evaluate(black_box(&ctx)))
        });
    }
    group.bench_function("parse: sub (seed 003)", |b| {
        b.iter(|| Expression::parse(black_box("(appuser != null) ? appuser.userName : app.clientId")))
    });
    group.finish();
}

fn access_token_assembly(c: &mut Criterion) {
    let definitions: Vec<Claim> = serde_json::from_value(json!([
        {"name": "sub", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION", "system": true,
         "value": "(appuser != null) ? appuser.userName : app.clientId", "conditions": {"scopes": []}},
        {"name": "department", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
         "value": "user.department", "conditions": {"scopes": []}},
        {"name": "groups", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "GROUPS",
         "value": "Team 1", "group_filter_type": "STARTS_WITH", "conditions": {"scopes": []}}
    ]))
    .expect("claims");
    let set = ClaimSet::compile(&definitions).expect("compiles");
    let client: Client = serde_json::from_value(json!({
        "client_id": "0oaclient", "client_name": "Bench", "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code"], "response_types": ["code"], "application_type": "web"
    }))
    .expect("client");
    let user = user();
    let groups = groups();
    let org = JsonMap::new();
    let scopes = vec!["openid".to_owned(), "orders:read".to_owned()];
    let audiences = vec!["api://default".to_owned()];
    let params = AccessTokenParams {
        issuer: "https://example.com/oauth2/default",
        audiences: &audiences,
        jti: "AT.bench",
        scopes: &scopes,
        issued_at: OffsetDateTime::UNIX_EPOCH,
        lifetime: Duration::hours(1),
        auth_time: Some(OffsetDateTime::UNIX_EPOCH),
        budget: &Budget::new(TOKEN_EVALUATION_BUDGET),
    };
    c.bench_function(
        "access token claims (sub + expression + groups claim, 20 groups)",
        |b| {
            b.iter(|| {
                let subject = Subject {
                    client: &client,
                    user: Some(&user),
                    groups: &groups,
                    org: &org,
                };
                // Every token has a budget of its own.
                let budget = Budget::new(TOKEN_EVALUATION_BUDGET);
                let params = AccessTokenParams {
                    budget: &budget,
                    ..params
                };
                access_token_claims(&set, subject, black_box(&params)).expect("claims")
            })
        },
    );
}

criterion_group!(benches, policy_evaluation, claim_expressions, access_token_assembly);
criterion_main!(benches);

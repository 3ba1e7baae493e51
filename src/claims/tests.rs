//! Claim assembly against seed 003 and reference §1.4, §1.7, §2.2, §3.2, §3.3 and §3.6.

use serde_json::{Map, Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::event::OutcomeResult;
use crate::expr::Budget;
use crate::model::{Claim, Client, Group, User};

const NOW: OffsetDateTime = datetime!(2024-05-01 12:00 UTC);

fn client() -> Client {
    serde_json::from_value(json!({
        "client_id": "0oaweb", "client_name": "Web App", "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "application_type": "web", "redirect_uris": ["https://app.example/cb"]
    }))
    .unwrap()
}

fn user() -> User {
    serde_json::from_value(json!({
        "id": "00ualice", "status": "ACTIVE", "lastUpdated": "2024-04-01T00:00:00.000Z",
        "profile": {
            "login": "alice@example.com", "email": "alice@example.com", "firstName": "Alice",
            "lastName": "Liddell", "department": "Engineering", "locale": "en_US", "city": "Oxford",
            "countryCode": "GB", "mobilePhone": "+44 1865 000000"
        }
    }))
    .unwrap()
}

fn group(id: &str, name: &str) -> Group {
    serde_json::from_value(json!({"id": id, "type": "OKTA_GROUP", "profile": {"name": name}})).unwrap()
}

fn claims(defs: Value) -> ClaimSet {
    let defs: Vec<Claim> = serde_json::from_value(defs).unwrap();
    ClaimSet::compile(&defs).unwrap()
}

fn scopes(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn access(
    set: &ClaimSet,
    user: Option<&User>,
    groups: &[Group],
    granted: &[String],
) -> Result<AccessTokenClaims, ClaimError> {
    let client = client();
    let org = Map::new();
    let subject = Subject {
        client: &client,
        user,
        groups,
        org: &org,
    };
    let audiences = ["api://default".to_owned()];
    let params = AccessTokenParams {
        issuer: "https://example.com/oauth2/default",
        audiences: &audiences,
        jti: "AT.test",
        scopes: granted,
        issued_at: NOW,
        lifetime: Duration::minutes(60),
        auth_time: user.map(|_| NOW - Duration::minutes(5)),
        budget: &Budget::new(TOKEN_EVALUATION_BUDGET),
    };
    access_token_claims(set, subject, &params)
}

fn id_token(set: &ClaimSet, groups: &[Group], granted: &[String], claim_set: IdTokenClaimSet) -> IdTokenClaims {
    let client = client();
    let user = user();
    let org = Map::new();
    let subject = Subject {
        client: &client,
        user: Some(&user),
        groups,
        org: &org,
    };
    let amr = scopes(&["pwd"]);
    let params = IdTokenParams {
        issuer: "https://example.com/oauth2/default",
        jti: "ID.test",
        scopes: granted,
        issued_at: NOW,
        auth_time: Some(NOW - Duration::minutes(5)),
        amr: &amr,
        idp: "00oorg",
        nonce: Some("n-0S6_WzA2Mj"),
        at_hash: Some("77QmUPtjPfzWtF2AnpK9RQ"),
        c_hash: None,
        claim_set,
        budget: &Budget::new(TOKEN_EVALUATION_BUDGET),
    };
    id_token_claims(set, subject, &params).unwrap()
}

#[test]
fn seed_003_sub_expression_gives_the_login_for_users_and_the_client_id_without() {
    // Seed 003: the `sub` claim `(appuser != null) ? appuser.userName : app.clientId`.
    let set = claims(json!([{
        "name": "sub", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "(appuser != null) ? appuser.userName : app.clientId", "system": true,
        "alwaysIncludeInToken": "TRUE", "conditions": {"scopes": []}
    }]));
    let granted = scopes(&["openid"]);
    let with_user = access(&set, Some(&user()), &[], &granted).unwrap();
    assert_eq!(with_user.sub, "alice@example.com");
    assert_eq!(with_user.uid.as_deref(), Some("00ualice"));
    let without = access(&set, None, &[], &granted).unwrap();
    assert_eq!(without.sub, "0oaweb");
    assert_eq!(
        without.uid, None,
        "uid is omitted when no user is bound (reference §3.2)"
    );
    assert_eq!(without.auth_time, None);
}

/// Okta's default `sub` is read without the interpreter when minting; it must be what the
/// interpreter makes of the expression, with a user and without, whether or not another claim
/// has the expression context built.
#[test]
fn the_default_sub_is_what_its_expression_evaluates_to() {
    let plain = ClaimSet::compile(&[]).unwrap();
    let with_claim = claims(json!([{
        "name": "tier", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "\"gold\"", "conditions": {"scopes": []}
    }]));
    let (alice, client, org) = (user(), client(), Map::new());
    let granted = scopes(&["openid"]);
    for set in [&plain, &with_claim] {
        assert_eq!(set.sub_expression().source(), DEFAULT_SUB_EXPRESSION);
        for user in [Some(&alice), None] {
            let subject = Subject {
                client: &client,
                user,
                groups: &[],
                org: &org,
            };
            let bindings = subject::Bindings::new(subject);
            let evaluated = set
                .sub_expression()
                .evaluate_within(&bindings.context(&granted, NOW), &budget())
                .unwrap();
            let minted = access(set, user, &[], &granted).unwrap();
            assert_eq!(Value::String(minted.sub), evaluated, "user: {}", user.is_some());
        }
    }
}

#[test]
fn access_token_system_claims_follow_okta() {
    // Reference §3.2: ver 1, jti AT., aud a string, exp − iat = the rule's lifetime, cid, scp array.
    let set = ClaimSet::compile(&[]).unwrap();
    let token = access(&set, Some(&user()), &[], &scopes(&["openid", "email"])).unwrap();
    let json = serde_json::to_value(&token).unwrap();
    assert_eq!(json["ver"], 1);
    assert_eq!(json["aud"], "api://default");
    assert_eq!(json["exp"].as_i64().unwrap() - json["iat"].as_i64().unwrap(), 3600);
    assert_eq!(json["cid"], "0oaweb");
    assert_eq!(json["scp"], json!(["openid", "email"]));
    assert_eq!(
        json["sub"], "alice@example.com",
        "the default sub expression applies without a sub claim"
    );
    assert_eq!(json["auth_time"], NOW.unix_timestamp() - 300);
    assert_eq!(
        serde_json::to_value(Audience::of(&scopes(&["a", "b"]))).unwrap(),
        json!(["a", "b"])
    );
}

/// Minting serializes the borrowed claims; they must be the JSON the owned claims are, with or
/// without a user, for one audience (a string) or several (an array), with custom claims or not.
#[test]
fn borrowed_access_token_claims_serialize_as_the_owned_claims() {
    let client = client();
    let alice = user();
    let org = Map::new();
    let custom = claims(
        json!([{"name": "department", "status": "ACTIVE", "claimType": "RESOURCE",
        "valueType": "EXPRESSION", "value": "user != null ? user.department : null", "conditions": {"scopes": []}}]),
    );
    let plain = ClaimSet::compile(&[]).unwrap();
    let granted = scopes(&["openid", "orders:read"]);
    for audiences in [scopes(&["api://default"]), scopes(&["api://a", "api://b"])] {
        for user in [Some(&alice), None] {
            for set in [&plain, &custom] {
                let subject = Subject {
                    client: &client,
                    user,
                    groups: &[],
                    org: &org,
                };
                let params = AccessTokenParams {
                    issuer: "https://example.com/oauth2/default",
                    audiences: &audiences,
                    jti: "AT.test",
                    scopes: &granted,
                    issued_at: NOW,
                    lifetime: Duration::minutes(60),
                    auth_time: user.map(|_| NOW - Duration::minutes(5)),
                    budget: &Budget::new(TOKEN_EVALUATION_BUDGET),
                };
                let borrowed =
                    serde_json::to_string(&borrowed_access_token_claims(set, subject, &params).unwrap()).unwrap();
                let owned = access_token_claims(set, subject, &params).unwrap();
                let case = format!(
                    "{audiences:?}, user {}, custom claims {}",
                    user.is_some(),
                    !set.claims().is_empty()
                );
                assert_eq!(borrowed, serde_json::to_string(&owned).unwrap(), "{case}");
                assert_eq!(
                    serde_json::from_str::<AccessTokenClaims>(&borrowed).unwrap(),
                    owned,
                    "{case}"
                );
            }
        }
    }
}

#[test]
fn resource_claims_go_into_access_tokens_only_when_their_scope_is_granted() {
    // Reference §2.2: `conditions.scopes` `[]` = any scope; otherwise one listed scope must be granted.
    let set = claims(json!([
        {"name": "department", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
         "value": "user.department", "conditions": {"scopes": ["hr:read"]}},
        {"name": "everyone", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
         "value": "\"yes\"", "conditions": {"scopes": []}},
        {"name": "idonly", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "EXPRESSION",
         "value": "\"id\"", "conditions": {"scopes": []}},
        {"name": "disabled", "status": "INACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
         "value": "\"off\"", "conditions": {"scopes": []}}
    ]));
    let alice = user();
    let without = access(&set, Some(&alice), &[], &scopes(&["openid"])).unwrap();
    assert!(!without.custom.contains_key("department"));
    assert_eq!(without.custom["everyone"], "yes");
    assert!(
        !without.custom.contains_key("idonly"),
        "IDENTITY claims never go into access tokens"
    );
    assert!(!without.custom.contains_key("disabled"), "inactive claims are skipped");
    let with = access(&set, Some(&alice), &[], &scopes(&["openid", "hr:read"])).unwrap();
    assert_eq!(with.custom["department"], "Engineering");
}

#[test]
fn a_claim_that_evaluates_to_null_is_left_out() {
    // Reference §1.4: "Null claim result ⇒ claim omitted".
    let set = claims(
        json!([{"name": "employeeNumber", "status": "ACTIVE", "claimType": "RESOURCE",
        "valueType": "EXPRESSION", "value": "user.employeeNumber", "conditions": {"scopes": []}}]),
    );
    let token = access(&set, Some(&user()), &[], &scopes(&["openid"])).unwrap();
    assert!(!token.custom.contains_key("employeeNumber"));
}

#[test]
fn access_scope_is_visible_to_expressions() {
    // Reference §1.5: `access.scope` is the array of granted scopes.
    let set = claims(
        json!([{"name": "scope", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "String.replace(Arrays.toCsvString(access.scope), \",\", \" \")", "conditions": {"scopes": []}}]),
    );
    let token = access(&set, None, &[], &scopes(&["a:read", "b:write"])).unwrap();
    assert_eq!(token.custom["scope"], "a:read b:write");
}

#[test]
fn a_failing_claim_fails_the_request_with_oktas_error_and_an_event() {
    // Reference §1.4: evaluation failure ⇒ the token request fails, `user_claim_evaluation_failure`.
    let set = claims(
        json!([{"name": "broken", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "String.substring(user.login, 0, 500)", "conditions": {"scopes": []}}]),
    );
    let error = access(&set, Some(&user()), &[], &scopes(&["openid"])).unwrap_err();
    assert_eq!(error.claim, "broken");
    assert_eq!(error.error(), "server_error");
    assert_eq!(error.catalogue_id(), "user_claim_evaluation_failure");
    assert_eq!(error.description(), "The 'broken' user claim could not be evaluated.");
    let event = error.event(NOW);
    assert_eq!(event.outcome.result, OutcomeResult::Failure);
    assert_eq!(event.reason_code(), Some("user_claim_evaluation_failure"));
    assert_eq!(event.debug_context.debug_data["claim"], "broken");
    assert!(
        event.debug_context.debug_data["cause"]
            .as_str()
            .unwrap()
            .contains("substring")
    );
}

#[test]
fn a_sub_that_is_not_a_string_is_a_system_claim_failure() {
    let set = claims(
        json!([{"name": "sub", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "user.nothing", "system": true, "conditions": {"scopes": []}}]),
    );
    let error = access(&set, Some(&user()), &[], &scopes(&["openid"])).unwrap_err();
    assert_eq!(error.catalogue_id(), "system_claim_evaluation_failure");
    assert_eq!(error.description(), "The 'sub' system claim could not be evaluated.");
}

#[test]
fn groups_claims_filter_names_as_seed_003_says() {
    let set = claims(
        json!([{"name": "groups", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "GROUPS",
        "value": "eng", "groupFilterType": "STARTS_WITH", "conditions": {"scopes": []}}]),
    );
    let groups = [
        group("00g1", "Engineering"),
        group("00g2", "eng-oncall"),
        group("00g3", "Sales"),
    ];
    let token = access(&set, Some(&user()), &groups, &scopes(&["openid"])).unwrap();
    assert_eq!(
        token.custom["groups"],
        json!(["Engineering", "eng-oncall"]),
        "STARTS_WITH ignores case"
    );
    let none = access(&set, Some(&user()), &[group("00g3", "Sales")], &scopes(&["openid"])).unwrap();
    assert_eq!(
        none.custom["groups"],
        json!([]),
        "a GROUPS claim is always an array (reference §1.4)"
    );
}

#[test]
fn more_than_100_matching_groups_fail_the_request() {
    // Reference §1.7: `too_many_groups_in_groups_claim`.
    let set = claims(
        json!([{"name": "groups", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "GROUPS",
        "value": ".*", "group_filter_type": "REGEX", "conditions": {"scopes": []}}]),
    );
    let groups: Vec<Group> = (0..101).map(|i| group(&format!("00g{i}"), &format!("g{i}"))).collect();
    let error = access(&set, Some(&user()), &groups, &scopes(&["openid"])).unwrap_err();
    assert_eq!(error.catalogue_id(), "too_many_groups_in_groups_claim");
    assert!(
        access(&set, Some(&user()), &groups[..100], &scopes(&["openid"])).is_ok(),
        "100 is allowed"
    );
}

#[test]
fn definitions_that_cannot_work_are_refused_together() {
    let defs: Vec<Claim> = serde_json::from_value(json!([
        {"name": "iss", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "\"x\""},
        {"name": "email", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "EXPRESSION", "value": "\"x\""},
        {"name": "g", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "GROUPS", "value": "x"},
        {"name": "r", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "GROUPS", "value": "(",
         "group_filter_type": "REGEX"},
        {"name": "typo", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
         "value": "String.substrngAfter(user.login, \"@\")"}
    ]))
    .unwrap();
    let errors = ClaimSet::compile(&defs).unwrap_err();
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0], ClaimDefinitionError::ReservedName("iss".into()));
    assert_eq!(
        errors[1],
        ClaimDefinitionError::ReservedName("email".into()),
        "standard claims in ID tokens"
    );
    assert_eq!(errors[2], ClaimDefinitionError::MissingGroupFilterType("g".into()));
    assert!(matches!(errors[3], ClaimDefinitionError::GroupRegex { .. }));
    let message = errors[4].to_string();
    assert!(
        message.contains("1:8") && message.contains("substringAfter"),
        "{message}"
    );
}

#[test]
fn id_token_base_claims() {
    // Reference §3.3: sub = user id, aud = client id (a string), exp = iat + 1 hour, jti ID., amr, idp, nonce.
    // Seed 000: "ID Token expires after one hour".
    let set = ClaimSet::compile(&[]).unwrap();
    let token = id_token(&set, &[], &scopes(&["openid"]), IdTokenClaimSet::AlwaysIncluded);
    assert_eq!(token.sub, "00ualice");
    assert_eq!(token.aud, "0oaweb");
    assert_eq!(token.exp - token.iat, 3600);
    assert_eq!(token.amr, ["pwd"]);
    assert_eq!(token.idp, "00oorg");
    assert_eq!(token.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(token.at_hash.as_deref(), Some("77QmUPtjPfzWtF2AnpK9RQ"));
    assert!(token.claims.is_empty(), "openid alone releases no profile claims");
}

#[test]
fn thin_id_tokens_carry_only_always_included_scope_claims_and_fat_ones_all() {
    // Reference §3.3 fat/thin table; thin defaults: name, email, preferred_username.
    let set = ClaimSet::compile(&[]).unwrap();
    let granted = scopes(&["openid", "profile", "email", "address", "phone"]);
    let thin = id_token(&set, &[], &granted, IdTokenClaimSet::AlwaysIncluded);
    let names: Vec<&str> = thin.claims.keys().map(String::as_str).collect();
    assert_eq!(names, ["email", "name", "preferred_username"]);
    let fat = id_token(&set, &[], &granted, IdTokenClaimSet::All);
    assert_eq!(fat.claims["name"], "Alice Liddell");
    assert_eq!(fat.claims["given_name"], "Alice");
    assert_eq!(fat.claims["family_name"], "Liddell");
    assert_eq!(fat.claims["locale"], "en_US");
    assert_eq!(fat.claims["email_verified"], true);
    assert_eq!(
        fat.claims["updated_at"],
        datetime!(2024-04-01 0:00 UTC).unix_timestamp()
    );
    assert_eq!(fat.claims["address"], json!({"locality": "Oxford", "country": "GB"}));
    assert_eq!(fat.claims["phone_number"], "+44 1865 000000");
}

#[test]
fn system_claims_decide_standard_claim_inclusion() {
    // Reference §2.2: SYSTEM claims can only toggle `alwaysIncludeInToken` (and be disabled).
    let set = claims(json!([
        {"name": "given_name", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "SYSTEM",
         "system": true, "alwaysIncludeInToken": true, "conditions": {"scopes": ["profile"]}},
        {"name": "name", "status": "INACTIVE", "claimType": "IDENTITY", "valueType": "SYSTEM",
         "system": true, "alwaysIncludeInToken": true, "conditions": {"scopes": ["profile"]}}
    ]));
    let granted = scopes(&["openid", "profile"]);
    let thin = id_token(&set, &[], &granted, IdTokenClaimSet::AlwaysIncluded);
    assert_eq!(thin.claims["given_name"], "Alice");
    assert!(
        !thin.claims.contains_key("name"),
        "an inactive system claim is left out"
    );
    let fat = id_token(&set, &[], &granted, IdTokenClaimSet::All);
    assert!(!fat.claims.contains_key("name"));
}

#[test]
fn identity_claims_follow_always_include_in_token() {
    // Seed 003: "If FALSE for an ID Token claim, the claim won't be included in the ID Token if ID
    // token is requested with Access Token or authorization_code".
    let set = claims(json!([
        {"name": "dept", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "EXPRESSION",
         "value": "user.department", "alwaysIncludeInToken": false, "conditions": {"scopes": []}},
        {"name": "team", "status": "ACTIVE", "claimType": "IDENTITY", "valueType": "GROUPS",
         "value": "eng", "group_filter_type": "CONTAINS", "alwaysIncludeInToken": true, "conditions": {"scopes": []}}
    ]));
    let groups = [group("00g1", "Engineering")];
    let thin = id_token(&set, &groups, &scopes(&["openid"]), IdTokenClaimSet::AlwaysIncluded);
    assert!(!thin.claims.contains_key("dept"));
    assert_eq!(thin.claims["team"], json!(["Engineering"]));
    let fat = id_token(&set, &groups, &scopes(&["openid"]), IdTokenClaimSet::All);
    assert_eq!(fat.claims["dept"], "Engineering");

    // /userinfo has them all (reference §3.6).
    let client = client();
    let alice = user();
    let org = Map::new();
    let subject = Subject {
        client: &client,
        user: Some(&alice),
        groups: &groups,
        org: &org,
    };
    let info = userinfo_claims(&set, subject, &scopes(&["openid", "email"]), NOW, &budget()).unwrap();
    assert_eq!(info["sub"], "00ualice");
    assert_eq!(info["dept"], "Engineering");
    assert_eq!(info["email"], "alice@example.com");
    assert!(!info.contains_key("name"), "profile was not granted");
}

#[test]
fn id_tokens_need_a_user() {
    let set = ClaimSet::compile(&[]).unwrap();
    let client = client();
    let org = Map::new();
    let subject = Subject {
        client: &client,
        user: None,
        groups: &[],
        org: &org,
    };
    let error = userinfo_claims(&set, subject, &scopes(&["openid"]), NOW, &budget()).unwrap_err();
    assert_eq!(error.cause, ClaimErrorCause::MissingUser);
}

#[test]
fn token_ids_have_oktas_prefix_and_256_bits() {
    let id = token_id("AT.", &crate::random::SystemRandom).unwrap();
    assert!(id.starts_with("AT."));
    assert_eq!(id.len(), 3 + 43);
    assert_ne!(id, token_id("AT.", &crate::random::SystemRandom).unwrap());
}

#[test]
fn access_token_ids_carry_their_grant_and_issue_instant() {
    let grant = crate::store::grants::GrantId::generate(&crate::random::SystemRandom).unwrap();
    let at = datetime!(2026-01-01 12:00:00.123_456_789 UTC);
    let jti = access_token_id(&grant, at, &crate::random::SystemRandom).unwrap();
    assert!(jti.starts_with("AT."));
    assert_eq!(jti.len(), 3 + 22 + 22 + 6);
    assert_eq!(grant_of_access_token_id(&jti), Some(grant.clone()));
    assert_eq!(access_token_issued_at(&jti, at.unix_timestamp()), Some(at));
    assert_ne!(
        jti,
        access_token_id(&grant, at, &crate::random::SystemRandom).unwrap(),
        "each token gets its own id"
    );
    // An id from before the nanoseconds: the end of its second.
    let legacy = &jti[..3 + 22 + 22];
    assert_eq!(grant_of_access_token_id(legacy), Some(grant.clone()));
    assert_eq!(
        access_token_issued_at(legacy, at.unix_timestamp()),
        Some(datetime!(2026-01-01 12:00:00.999_999_999 UTC))
    );
    // Nanoseconds past a second are not an instant.
    let too_many = format!("{legacy}{}", crate::jose::b64_encode(1_000_000_000u32.to_be_bytes()));
    assert_eq!(grant_of_access_token_id(&too_many), None);
    assert_eq!(grant_of_access_token_id("AT.short"), None);
    assert_eq!(grant_of_access_token_id("ID.whatever"), None);
    assert_eq!(grant_of_access_token_id(&format!("{jti}x")), None);
}

/// A fresh token budget.
fn budget() -> Budget {
    Budget::new(TOKEN_EVALUATION_BUDGET)
}

/// Issue 14: each claim had an evaluation budget of its own, so claims that each stayed just
/// under it added up to as many budgets per token as there were claims. A token's expressions
/// now spend one budget, [`TOKEN_EVALUATION_BUDGET`], steps and regex costs together: one such
/// claim still fits, four do not, and the token is refused the way a single claim over its budget
/// was (`user_claim_evaluation_failure`, naming the claim that ran out).
#[test]
fn a_tokens_claims_share_one_evaluation_budget() {
    let items: Vec<Value> = (0..990).map(Value::from).collect();
    let mut heavy_user = user();
    heavy_user.profile.custom.insert("items".into(), Value::Array(items));
    let heavy = "user.items.![user.items.![1]]";

    // Alone, the expression spends more than half the budget but stays under it: it passed
    // before, and four of them passed before too.
    let profile = match serde_json::to_value(&heavy_user.profile).unwrap() {
        Value::Object(profile) => profile,
        other => panic!("a profile is an object: {other}"),
    };
    let ctx = crate::expr::Context {
        user: Some(crate::expr::UserData {
            id: "00ualice",
            status: "ACTIVE",
            profile: &profile,
            groups: &[],
        }),
        ..crate::expr::Context::new(NOW)
    };
    let alone = Budget::new(TOKEN_EVALUATION_BUDGET);
    crate::expr::Expression::parse(heavy)
        .unwrap()
        .evaluate_within(&ctx, &alone)
        .unwrap();
    assert!(
        alone.spent() > TOKEN_EVALUATION_BUDGET / 2 && alone.spent() < TOKEN_EVALUATION_BUDGET,
        "{alone:?}"
    );

    let claim = |name: &str| {
        json!({"name": name, "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": heavy, "conditions": {"scopes": []}})
    };
    let one = claims(json!([claim("heavy0")]));
    let token = access(&one, Some(&heavy_user), &[], &scopes(&["openid"])).unwrap();
    assert_eq!(token.custom["heavy0"].as_array().map(Vec::len), Some(990));

    let four = claims(json!([
        claim("heavy0"),
        claim("heavy1"),
        claim("heavy2"),
        claim("heavy3")
    ]));
    let error = access(&four, Some(&heavy_user), &[], &scopes(&["openid"])).unwrap_err();
    assert_eq!(
        error.claim, "heavy1",
        "the second claim runs out of what the first left"
    );
    assert_eq!(error.catalogue_id(), "user_claim_evaluation_failure");
    assert!(matches!(
        &error.cause,
        ClaimErrorCause::Evaluation(e) if e.kind == crate::expr::EvalErrorKind::BudgetExceeded(TOKEN_EVALUATION_BUDGET)
    ));
}

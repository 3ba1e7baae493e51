//! End-to-end tests: source text in, JSON out, against the reference's documented examples.
#![allow(clippy::approx_constant)] // 3.141 is the reference's documented literal

use serde_json::{Value as Json, json};
use time::macros::datetime;

use crate::expr::{AppData, Context, EvalErrorKind, Expression, GroupData, JsonMap, LinkedUser, Profile, UserData};

fn map(v: Json) -> JsonMap {
    match v {
        Json::Object(m) => m,
        _ => JsonMap::new(),
    }
}

/// The five-group fixture of reference §1.6.6 plus an `IT` group and an AD group.
fn groups() -> Vec<GroupData<'static>> {
    let g = |id, name, ty, src| GroupData {
        source_id: Some(src),
        ..GroupData::new(id, name, ty)
    };
    vec![
        g("00gak46y5hydV6NdM0g4", "Everyone", "BUILT_IN", "0oazmqPIbHiVJBG4C0g3"),
        g(
            "00g1emaKYZTWRYYRRTSK",
            "West Coast Users",
            "OKTA_GROUP",
            "0a81509410bdf807f680",
        ),
        g(
            "00garwpuyxHaWOkdV0g4",
            "West Coast Admins",
            "OKTA_GROUP",
            "0a03d062d3918fd34742",
        ),
        g(
            "00gjitX9HqABSoqTB0g3",
            "Engineering Users",
            "APP_GROUP",
            "0aae4be2456eb62f7c3d",
        ),
        g(
            "00gnftmgQxC2L19j6I9c",
            "Engineering Users",
            "APP_GROUP",
            "0a61c8dacb58b3c0716e",
        ),
        g("00gIT", "IT", "OKTA_GROUP", "0orgid"),
    ]
}

struct Fixture {
    profile: JsonMap,
    appuser: JsonMap,
    app_profile: JsonMap,
    org: JsonMap,
    manager: JsonMap,
    ad_user: JsonMap,
    groups: Vec<GroupData<'static>>,
    ad_profile: JsonMap,
    scopes: Vec<String>,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            profile: map(json!({
                "login": "WChurchill@example.com", "firstName": "Winston", "lastName": "Churchill",
                "email": "wc@example.com", "employeeNumber": "", "nonEmployeeNumber": "N-7",
                "salary": 2000000, "isContractor": false, "title": "Engineer",
                "department": "California-North-Sales", "arrayProperty": ["first", "second"],
                "countryCode": "IND"
            })),
            appuser: map(json!({"userName": "winston"})),
            app_profile: map(json!({
                "groupallowlist": ["00gak46y5hydV6NdM0g4", "00garwpuyxHaWOkdV0g4"],
                "maxLimit": 40, "label": "Portal", "groupExpr": "'G:' + group.name"
            })),
            org: map(json!({"name": "Acme", "subDomain": "acme"})),
            manager: map(json!({"firstName": "Bill", "lastName": "Gates"})),
            ad_user: map(json!({"employeeID": "E-1"})),
            groups: groups(),
            ad_profile: map(json!({"windowsDomainQualifiedName": "CORP\\Admins"})),
            scopes: vec!["openid".into(), "profile".into()],
        }
    }
}

fn with_ctx<T>(f: impl FnOnce(&Context<'_>) -> T) -> T {
    let fx = Fixture::new();
    let mut groups = fx.groups.clone();
    groups.push(GroupData {
        object_class: Some("okta:windows_security_principal"),
        profile: Some(&fx.ad_profile),
        source_app_name: Some("active_directory"),
        source_id: Some("0oaAD"),
        ..GroupData::new("00gAD", "Domain Admins", "APP_GROUP")
    });
    let user = UserData {
        id: "00u1",
        status: "ACTIVE",
        profile: &fx.profile,
        groups: &groups,
    };
    let linked = [LinkedUser {
        relationship: "manager",
        user: UserData {
            id: "00u2",
            status: "ACTIVE",
            profile: &fx.manager,
            groups: &[],
        },
    }];
    let dirs = [&fx.ad_user];
    let ctx = Context {
        user: Some(user),
        appuser: Some(&fx.appuser),
        app: Some(AppData {
            id: "0oa1",
            client_id: "client-1",
            name: "oidc_client",
            label: "Portal",
            profile: Some(&fx.app_profile),
        }),
        org: Some(&fx.org),
        scopes: &fx.scopes,
        linked_objects: &linked,
        directory_users: &dirs,
        ..Context::new(datetime!(2015-07-31 17:18:37.979 UTC))
    };
    f(&ctx)
}

fn eval(src: &str) -> Json {
    match Expression::parse(src) {
        Ok(e) => with_ctx(|ctx| e.evaluate(ctx)).unwrap_or_else(|err| panic!("{src}: {err}")),
        Err(err) => panic!("{src}: {err}"),
    }
}

fn eval_err(src: &str) -> EvalErrorKind {
    match Expression::parse(src) {
        Ok(e) => match with_ctx(|ctx| e.evaluate(ctx)) {
            Err(err) => err.kind,
            Ok(v) => panic!("{src}: expected an error, got {v}"),
        },
        Err(err) => panic!("{src}: {err}"),
    }
}

#[test]
fn default_sub_claim_expression() {
    // Seed 003 claims object: the system `sub` claim's expression.
    let src = "(appuser != null) ? appuser.userName : app.clientId";
    assert_eq!(eval(src), json!("winston"));
    let e = Expression::parse(src).unwrap_or_else(|e| panic!("{e}"));
    let app = AppData {
        id: "0oa1",
        client_id: "client-1",
        name: "n",
        label: "l",
        profile: None,
    };
    let ctx = Context {
        app: Some(app),
        ..Context::new(datetime!(2020-01-01 0:00 UTC))
    };
    assert_eq!(e.evaluate(&ctx), Ok(json!("client-1")));
}

#[test]
fn seed_static_claim_values() {
    // Seed 003: claim values "\"driving!\"" and "\"drivePlease\"".
    assert_eq!(eval("\"driving!\""), json!("driving!"));
    assert_eq!(eval("'drivePlease'"), json!("drivePlease"));
}

#[test]
fn popular_expressions() {
    // Reference §1.2/§1.6.1 popular expressions.
    assert_eq!(
        eval(r#""XDOMAIN\" + toLowerCase(substringBefore(user.login, "@"))"#),
        json!("XDOMAIN\\wchurchill")
    );
    assert_eq!(
        eval(r#"user.firstName + " " + user.lastName"#),
        json!("Winston Churchill")
    );
    assert_eq!(eval("substring(user.firstName, 0, 1)"), json!("W"));
    assert_eq!(eval("toUppercase(user.lastName)"), json!("CHURCHILL"));
    assert_eq!(eval(r#"String.substringAfter(user.login, "@")"#), json!("example.com"));
    assert_eq!(eval("'it''s'"), json!("it's"));
}

#[test]
fn null_and_blank_guard() {
    // Reference §1.4: Okta's recommended guard for null and blank attributes.
    let src =
        r#"user.employeeNumber != "" AND user.employeeNumber != null ? user.employeeNumber : user.nonEmployeeNumber"#;
    assert_eq!(eval(src), json!("N-7"));
    assert_eq!(eval("user.neverSet"), Json::Null);
    assert_eq!(eval("user.neverSet.deeper"), Json::Null);
    assert_eq!(eval("user.neverSet == null"), json!(true));
}

#[test]
fn conditions_and_word_operators() {
    // Reference §1.3: `user.salary > 1000000 AND !user.isContractor`; word forms.
    assert_eq!(eval("user.salary > 1000000 AND !user.isContractor"), json!(true));
    assert_eq!(eval("1 lt 2 and not false"), json!(true));
    assert_eq!(eval("1 GT 2 or 2 ge 2"), json!(true));
    assert_eq!(eval("'a' eq 'a' && 'a' ne 'b'"), json!(true));
    assert_eq!(eval("NOT (1 == 1) || false"), json!(false));
    assert_eq!(eval("1 <= 1.0 && 2 >= 1 && 'abc' < 'abd'"), json!(true));
    assert_eq!(eval("null < 1"), json!(true));
    assert_eq!(eval("True == TRUE && NULL == null"), json!(true));
}

#[test]
fn ternary_and_elvis() {
    // Reference §1.3: nested ternaries; Elvis on null and empty string.
    assert_eq!(
        eval("user.salary > 10 ? (user.salary > 5000000 ? 'c' : 'b') : 'a'"),
        json!("b")
    );
    assert_eq!(eval("false ? 1 : true ? 2 : 3"), json!(2));
    assert_eq!(eval("user.employeeNumber ?: 'none'"), json!("none"));
    assert_eq!(eval("user.neverSet ?: 'none'"), json!("none"));
    assert_eq!(eval("user.firstName ?: 'none'"), json!("Winston"));
    assert_eq!(eval(r#"Groups.startsWith("OKTA", "TEST", 100) ?: {}"#), json!([]));
}

#[test]
fn arithmetic_and_precedence() {
    // Reference §1.3 ❓: numeric + - * / % with SpEL semantics.
    assert_eq!(eval("1 + 2 * 3"), json!(7));
    assert_eq!(eval("(1 + 2) * 3"), json!(9));
    assert_eq!(eval("7 / 2"), json!(3));
    assert_eq!(eval("7.0 / 2"), json!(3.5));
    assert_eq!(eval("10 % 3 + 10 mod 4 + 9 div 3"), json!(6));
    assert_eq!(eval("-2 + 5 - +1"), json!(2));
    assert_eq!(eval("'a' + 1 + 2"), json!("a12"));
    assert_eq!(eval("1 + 2 + 'a'"), json!("3a"));
    assert_eq!(eval("null + 'x'"), json!("nullx"));
    assert_eq!(eval("'v' + 1.0 + true"), json!("v1.0true"));
    assert_eq!(eval("1 - 2 - 3"), json!(-4));
}

#[test]
fn lists_maps_indexing() {
    // Reference §1.2: inline lists and indexing.
    assert_eq!(eval("{1, 2, 3}[0]"), json!(1));
    assert_eq!(eval("user.arrayProperty[0]"), json!("first"));
    assert_eq!(eval("user.arrayProperty[9]"), Json::Null);
    assert_eq!(eval("{}"), json!([]));
    assert_eq!(eval("{'a': 1, b: {2}}"), json!({"a": 1, "b": [2]}));
    assert_eq!(eval("{'a': 1}['a']"), json!(1));
    assert_eq!(eval("'abc'[1]"), json!("b"));
    assert_eq!(eval("user['firstName']"), json!("Winston"));
    assert_eq!(eval("{:}"), json!({}));
}

#[test]
fn bindings() {
    // Reference §1.5: user, appuser, app, org, access.
    assert_eq!(eval("user.profile.email"), json!("wc@example.com"));
    assert_eq!(eval("user.id + ' ' + user.status"), json!("00u1 ACTIVE"));
    assert_eq!(eval("user.getInternalProperty('id')"), json!("00u1"));
    assert_eq!(eval("user.getInternalProperty(\"status\")"), json!("ACTIVE"));
    assert_eq!(
        eval("app.id + app.clientId + app.profile.label"),
        json!("0oa1client-1Portal")
    );
    assert_eq!(eval("org.subDomain"), json!("acme"));
    assert_eq!(eval("access.scope"), json!(["openid", "profile"]));
    assert_eq!(
        eval(r#"String.replace(Arrays.toCsvString(access.scope),","," ")"#),
        json!("openid profile")
    );
    assert_eq!(eval("Arrays.contains(access.scope, 'openid')"), json!(true));
}

#[test]
fn linked_objects_and_directory_users() {
    // Reference §1.6.8.
    assert_eq!(eval("user.getLinkedObject(\"manager\").lastName"), json!("Gates"));
    assert_eq!(eval("user.getLinkedObject(\"assistant\")"), Json::Null);
    assert_eq!(
        eval("hasDirectoryUser() ? findDirectoryUser().employeeID : null"),
        json!("E-1")
    );
    assert_eq!(
        eval("hasWorkdayUser() ? findWorkdayUser().employeeID : null"),
        Json::Null
    );
}

#[test]
fn membership_predicates() {
    // Reference §1.6.4.
    assert_eq!(eval("isMemberOfGroupName('Engineering Users')"), json!(true));
    assert_eq!(eval("isMemberOfGroupName('engineering users')"), json!(false));
    assert_eq!(eval("isMemberOfGroup('00garwpuyxHaWOkdV0g4')"), json!(true));
    assert_eq!(eval("isMemberOfAnyGroup('nope', '00gak46y5hydV6NdM0g4')"), json!(true));
    assert_eq!(eval("isMemberOfAnyGroup('nope', 'nada')"), json!(false));
    assert_eq!(eval("isMemberOfGroupNameStartsWith('West Co')"), json!(true));
    assert_eq!(eval("isMemberOfGroupNameContains('Admin')"), json!(true));
    assert_eq!(eval("isMemberOfGroupNameRegex('/.*Admins')"), json!(true));
    assert_eq!(eval("isMemberOfGroupNameRegex('/Admins/')"), json!(false));
    assert_eq!(eval("isMemberOfGroupNameRegex('/' + 'Every.*')"), json!(true));
    assert_eq!(
        eval(r#"isMemberOfGroupName("Admins") ? "admin" : "user""#),
        json!("user")
    );
}

#[test]
fn get_filtered_groups() {
    // Reference §1.6.5 / [G-STATIC].
    assert_eq!(
        eval(r#"getFilteredGroups({"00gak46y5hydV6NdM0g4"}, "group.name", 40)"#),
        json!(["Everyone"])
    );
    assert_eq!(
        eval(
            "getFilteredGroups(app.profile.groupallowlist, \"group.id\", app.profile.maxLimit < 100 ? app.profile.maxLimit : 100)"
        ),
        json!(["00gak46y5hydV6NdM0g4", "00garwpuyxHaWOkdV0g4"])
    );
    let ad = r#"getFilteredGroups({"00gAD", "00gIT", "unknown"}, "(group.objectClass[0] == 'okta:windows_security_principal') ? 'AD: ' + group.profile.windowsDomainQualifiedName : 'Okta: ' + group.name", 10)"#;
    assert_eq!(eval(ad), json!(["Okta: IT", "AD: CORP\\Admins"]));
    // A group expression that is not a literal is parsed per evaluation.
    assert_eq!(
        eval("getFilteredGroups({'00gIT'}, app.profile.groupExpr, 1)"),
        json!(["G:IT"])
    );
    // Duplicate names collapse.
    assert_eq!(
        eval("getFilteredGroups({'00gjitX9HqABSoqTB0g3', '00gnftmgQxC2L19j6I9c'}, 'group.name', 2)"),
        json!(["Engineering Users"])
    );
}

#[test]
fn get_filtered_groups_limits() {
    // Reference §1.6.5 (Appendix A #19): more matches than the limit is an error; limit 1..=100.
    let e = eval_err("getFilteredGroups(app.profile.groupallowlist, 'group.name', 1)");
    assert!(matches!(e, EvalErrorKind::TooManyGroups { limit: 1, found: 2, .. }));
    assert!(matches!(
        eval_err("getFilteredGroups({'00gIT'}, 'group.name', 0)"),
        EvalErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        eval_err("getFilteredGroups({'00gIT'}, 'group.name', 101)"),
        EvalErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        eval_err("getFilteredGroups(null, 'group.name', 10)"),
        EvalErrorKind::Type { .. }
    ));
    assert!(matches!(
        eval_err("getFilteredGroups({'00gIT'}, 'group.nme +' + '', 1)"),
        EvalErrorKind::GroupExpression(_)
    ));
    // Authorization-code flows may raise the limit.
    let e = Expression::parse("getFilteredGroups({'00gIT'}, 'group.name', 150)").unwrap_or_else(|e| panic!("{e}"));
    let r = with_ctx(|ctx| {
        let raised = Context {
            max_group_limit: 1000,
            ..*ctx
        };
        e.evaluate(&raised)
    });
    assert_eq!(r, Ok(json!(["IT"])));
}

#[test]
fn groups_functions() {
    // Reference §1.6.5: Groups.startsWith("OKTA", "IT", 10) → ["IT"]; no match → null.
    assert_eq!(eval(r#"Groups.startsWith("OKTA", "IT", 10)"#), json!(["IT"]));
    assert_eq!(eval(r#"Groups.startsWith("OKTA", "TEST", 100)"#), Json::Null);
    assert_eq!(
        eval(r#"Groups.contains("OKTA", "coast", 10)"#),
        json!(["West Coast Users", "West Coast Admins"])
    );
    assert_eq!(
        eval(r#"Groups.endsWith("active_directory", "admins", 10)"#),
        json!(["Domain Admins"])
    );
    assert_eq!(
        eval(r#"Groups.contains("0aae4be2456eb62f7c3d", "Eng", 10)"#),
        json!(["Engineering Users"])
    );
    assert!(matches!(
        eval_err(r#"Groups.contains("OKTA", "e", 1)"#),
        EvalErrorKind::TooManyGroups { .. }
    ));
}

#[test]
fn user_get_groups_documented_results() {
    // Reference §1.6.6, the five-group fixture and documented results.
    let ids = |src: &str| eval(&format!("{src}.![id]"));
    assert_eq!(
        ids("user.getGroups({'group.id': {'00gjitX9HqABSoqTB0g3'}}, {'group.profile.name': 'West Coast.*'})"),
        json!([])
    );
    assert_eq!(
        ids("user.getGroups({'group.id': {'00gjitX9HqABSoqTB0g3'}}, {'group.profile.name': 'Engineering.*'})"),
        json!(["00gjitX9HqABSoqTB0g3"])
    );
    assert_eq!(
        ids(
            "user.getGroups({'group.type': {'OKTA_GROUP'}}, {'group.profile.name': {'Everyone', 'West Coast Admins'}})"
        ),
        json!(["00garwpuyxHaWOkdV0g4"])
    );
    assert_eq!(ids("user.getGroups({'group.profile.name': 'East Coast.*'})"), json!([]));
    assert_eq!(
        ids("user.getGroups({'group.type': {'OKTA_GROUP', 'APP_GROUP'}})"),
        json!([
            "00g1emaKYZTWRYYRRTSK",
            "00garwpuyxHaWOkdV0g4",
            "00gjitX9HqABSoqTB0g3",
            "00gnftmgQxC2L19j6I9c",
            "00gIT",
            "00gAD"
        ])
    );
    assert_eq!(
        ids(
            "user.getGroups({'group.source.id': '0aae4be2456eb62f7c3d'}, {'group.profile.name': {'Engineering Users'}})"
        ),
        json!(["00gjitX9HqABSoqTB0g3"])
    );
    assert_eq!(
        eval(r#"user.getGroups({"group.profile.name": "Everyone", "operator": "STARTS_WITH"}).![name]"#),
        json!(["Everyone"])
    );
    assert_eq!(
        eval("user.getGroups({'group.profile.name': 'West Coast', 'operator': 'EXACT'}).![profile.name]"),
        json!([])
    );
    assert_eq!(
        eval("user.getGroups({'group.profile.name': 'West Coast', 'operator': 'STARTS_WITH'}).![profile.name]"),
        json!(["West Coast Users", "West Coast Admins"])
    );
    assert_eq!(
        eval("user.getGroups({'group.id': '00gIT'}).![type + ':' + name]"),
        json!(["OKTA_GROUP:IT"])
    );
    assert_eq!(eval("Arrays.size(user.getGroups())"), json!(7));
    assert!(matches!(
        eval_err("user.getGroups({'group.id': 'x', 'operator': 'EXACT'})"),
        EvalErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        eval_err("user.getGroups({'group.colour': 'x'})"),
        EvalErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(eval_err("user.getGroups('x')"), EvalErrorKind::Type { .. }));
}

#[test]
fn projection_on_lists() {
    assert_eq!(
        eval(
            "user.arrayProperty.![toUpperCase(#this)]"
                .replace("#this", "'x'")
                .as_str()
        ),
        json!(["X", "X"])
    );
    assert_eq!(eval("{ {'a': 1}, {'a': 2} }.![a * 10]"), json!([10, 20]));
    assert_eq!(eval("user.neverSet.![a]"), Json::Null);
    assert!(matches!(eval_err("'abc'.![a]"), EvalErrorKind::Type { .. }));
}

#[test]
fn functions_through_the_parser() {
    // A few documented examples end to end (reference §1.6.1–§1.6.3, §1.6.7).
    assert_eq!(
        eval(r#"String.join(",", "This", "is", "a", "test")"#),
        json!("This,is,a,test")
    );
    assert_eq!(
        eval(
            r#"String.stringSwitch("First match wins", "default", "absent", "value1", "wins", "value2", "match", "value3")"#
        ),
        json!("value2")
    );
    assert_eq!(eval("Arrays.flatten(10, {20, 30}, 40)"), json!([10, 20, 30, 40]));
    assert_eq!(eval("Arrays.size(NULL)"), json!(0));
    assert_eq!(eval("Convert.toInt('1234') + 1"), json!(1235));
    assert_eq!(eval("Convert.toNum('3.141')"), json!(3.141));
    assert_eq!(eval("Iso3166Convert.toAlpha2(user.countryCode)"), json!("IN"));
    assert_eq!(eval("Time.now()"), json!("2015-07-31T17:18:37.979Z"));
    assert_eq!(
        eval(r#"Time.now("EST", "YYYY-MM-dd HH:mm:ss")"#),
        json!("2015-07-31 13:18:37")
    );
    assert_eq!(
        eval("user.department matches 'California-[a-zA-Z]+-Sales'"),
        json!(true)
    );
    assert_eq!(eval("user.title matches '(?i)engineer'"), json!(true));
    assert_eq!(eval("user.title matches 'engineer'"), json!(false));
}

#[test]
fn evaluation_errors_name_operator_and_types() {
    let e = Expression::parse("'a' - 1").unwrap_or_else(|e| panic!("{e}"));
    let err = with_ctx(|ctx| e.evaluate(ctx)).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("operator -: expected numbers, found string at 1:5")
    );
    let e = Expression::parse("String.len({1})").unwrap_or_else(|e| panic!("{e}"));
    let err = with_ctx(|ctx| e.evaluate(ctx)).err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("String.len: expected string, found array at 1:8"));
    assert!(matches!(
        eval_err("user.firstName && true"),
        EvalErrorKind::Type { found: "string", .. }
    ));
    assert!(matches!(
        eval_err("user.neverSet ? 1 : 2"),
        EvalErrorKind::Type { found: "null", .. }
    ));
    assert!(matches!(eval_err("1 / 0"), EvalErrorKind::DivisionByZero));
    assert!(matches!(eval_err("1 < 'a'"), EvalErrorKind::InvalidValue { .. }));
    assert!(matches!(
        eval_err("user.getInternalProperty('password')"),
        EvalErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        eval_err("user.firstName.getGroups()"),
        EvalErrorKind::Type { .. }
    ));
    assert!(matches!(
        eval_err("Time.now(user.firstName)"),
        EvalErrorKind::InvalidValue { .. }
    ));
}

/// A context with an active user whose profile is `profile`, in no groups.
fn user_context(profile: &JsonMap) -> Context<'_> {
    let user = UserData {
        id: "u",
        status: "ACTIVE",
        profile,
        groups: &[],
    };
    Context {
        user: Some(user),
        ..Context::new(datetime!(2020-01-01 0:00 UTC))
    }
}

#[test]
fn evaluation_budget_and_sizes_are_bounded() {
    let big: Vec<Json> = (0..5000).map(Json::from).collect();
    let huge: Vec<Json> = (0..10_001).map(Json::from).collect();
    let profile = map(json!({ "big": big, "huge": huge, "s": "x".repeat(40_000) }));
    let ctx = user_context(&profile);
    let run = |src: &str| Expression::parse(src).map(|e| e.evaluate(&ctx));
    let r = run("user.big.![user.big.![1]]");
    assert!(
        matches!(r, Ok(Err(ref e)) if matches!(e.kind, EvalErrorKind::BudgetExceeded(_))),
        "{r:?}"
    );
    let r = run("user.s + user.s");
    assert!(
        matches!(r, Ok(Err(ref e)) if matches!(e.kind, EvalErrorKind::StringTooLong { .. })),
        "{r:?}"
    );
    let r = run("Arrays.flatten(user.big, user.big, user.big)");
    assert!(
        matches!(r, Ok(Err(ref e)) if matches!(e.kind, EvalErrorKind::ArrayTooLong { .. })),
        "{r:?}"
    );
    assert_eq!(run("Arrays.size(user.big.![1])"), Ok(Ok(json!(5000))));
    for src in [
        "user.huge.![1]",
        "Arrays.size(user.huge)",
        "String.join(',', user.huge)",
    ] {
        let r = run(src);
        assert!(
            matches!(r, Ok(Err(ref e)) if matches!(e.kind, EvalErrorKind::ArrayTooLong { .. })),
            "{src}: {r:?}"
        );
    }
}

#[test]
fn long_flat_chains_evaluate_without_deep_recursion() {
    let sum = format!("{}1", "1 + ".repeat(900));
    assert_eq!(eval(&sum), json!(901));
    let path = format!("user{}", ".a".repeat(1500));
    assert_eq!(eval(&path), Json::Null);
    let ands = format!("{}true", "true && ".repeat(400));
    assert_eq!(eval(&ands), json!(true));
}

#[test]
fn expression_api() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<Expression>();
    let src = "user.firstName + appuser.userName + user.profile.email + user.firstName";
    let e: Expression = src.parse().unwrap_or_else(|e: crate::expr::ParseError| panic!("{e}"));
    assert_eq!(e.source(), src);
    assert_eq!(e.to_string(), src);
    assert_eq!(e.clone(), e);
    assert_eq!(
        e.referenced_attributes(),
        vec![
            (Profile::User, "firstName".to_string()),
            (Profile::AppUser, "userName".to_string()),
            (Profile::User, "email".to_string()),
        ]
    );
}

/// A claim an administrator could write: nested projections matching against a regex built per
/// element. Compiling costs far more than a step, so each compile is charged by its pattern and
/// the evaluation runs out of budget after a few hundred compiles instead of compiling 90,000
/// regexes (close to a minute per token before).
#[test]
fn regexes_built_at_evaluation_time_are_charged_and_cached() {
    let items: Vec<Json> = (0..300).map(|i| json!({ "n": i.to_string() })).collect();
    let profile = map(json!({ "items": items, "pattern": "[0-9]+" }));
    let ctx = user_context(&profile);
    let run = |src: &str| Expression::parse(src).unwrap().evaluate(&ctx);

    let hostile = run(r"user.items.![user.items.!['x' matches ('\\pL{40}' + n)]]");
    assert!(
        matches!(hostile, Err(ref e) if matches!(e.kind, EvalErrorKind::BudgetExceeded(_))),
        "{hostile:?}"
    );

    // One pattern built at evaluation time is compiled once for the whole projection.
    let same = run("user.items.![n matches user.pattern]").unwrap();
    assert_eq!(same.as_array().map(Vec::len), Some(300));
    assert!(
        same.as_array()
            .unwrap()
            .iter()
            .all(|matched| matched == &Json::Bool(true))
    );

    // isMemberOfGroupNameRegex with a pattern built at evaluation time is charged alike.
    let hostile = run(r"user.items.![user.items.![isMemberOfGroupNameRegex('/\\pL{40}' + n + '/')]]");
    assert!(
        matches!(hostile, Err(ref e) if matches!(e.kind, EvalErrorKind::BudgetExceeded(_))),
        "{hostile:?}"
    );
}

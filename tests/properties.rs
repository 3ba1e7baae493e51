//! Property tests (issue 14): what must hold for every input of a shape, not just the examples.
//!
//! - PKCE (RFC 7636 §4.1, §4.2, §4.6): the S256 challenge of any well-formed verifier verifies,
//!   no other verifier does, and verifiers outside 43–128 characters of `[A-Za-z0-9-._~]` are
//!   refused.
//! - base64url: the library's own encoder and decoder are crate-private, so their round trip is
//!   checked through public functions built on them: a JWS payload comes back byte for byte from
//!   `sign_hmac` / `verify_hmac`, and every 32-byte value encoded as unpadded base64url is an S256
//!   challenge `pkce::validate_challenge` decodes.
//! - `Params` (RFC 6749 §3.1): the form encoding of any map parses back to the map; a repeated
//!   name is refused; an empty value is absent.
//! - Policy evaluation is monotonic: narrowing a configuration (a user or group added to a rule's
//!   `exclude`, an entry taken out of a rule's `scopes.include`, a client added to a policy's
//!   `exclude`) never turns a refusal into a grant, an excluded user is never granted by the rule
//!   that excludes them, and the narrowed rule, when it still decides, grants no scope more.
//! - The per-server `PolicyIndex` decides as the linear evaluation does, and denies with the same
//!   reason and trace, serialized alike (issue 15).
//! - Expression literals: a value written as an expression literal evaluates to itself, and
//!   integer arithmetic and comparison agree with Rust's (overflow is an error, not a wrap).
//!
//! Case counts are kept small (proptest's default 256, fewer for the policy configurations) so
//! the file runs in seconds.

use std::collections::BTreeMap;

use authserver::endpoint::{Params, ParamsError};
use authserver::expr::{Context, EvalErrorKind, Expression};
use authserver::jose::{HmacAlgorithm, sign_hmac, verify_hmac};
use authserver::model::{GrantType, Rule, Scope};
use authserver::pkce::{self, PkceError};
use authserver::policy::{PolicyIndex, PolicyRequest, PolicyWithRules, UserContext, evaluate};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::macros::datetime;

// ---------------------------------------------------------------------------------------------
// PKCE
// ---------------------------------------------------------------------------------------------

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`, `unreserved = ALPHA / DIGIT / "-" / "." /
/// "_" / "~"`.
const VERIFIER_PATTERN: &str = "[A-Za-z0-9._~-]{43,128}";

proptest! {
    #[test]
    fn the_s256_challenge_of_a_verifier_verifies(verifier in VERIFIER_PATTERN) {
        let challenge = pkce::s256_challenge(&verifier);
        prop_assert_eq!(challenge.len(), 43);
        prop_assert_eq!(pkce::validate_challenge(&challenge, Some(pkce::S256)), Ok(()));
        prop_assert_eq!(pkce::verify(&verifier, &challenge), Ok(()));
    }

    #[test]
    fn another_verifier_does_not(first in VERIFIER_PATTERN, second in VERIFIER_PATTERN) {
        prop_assume!(first != second);
        let challenge = pkce::s256_challenge(&first);
        prop_assert_eq!(pkce::verify(&second, &challenge), Err(PkceError::Mismatch));
    }

    #[test]
    fn verifiers_of_the_wrong_length_are_refused(
        verifier in prop_oneof!["[A-Za-z0-9._~-]{0,42}", "[A-Za-z0-9._~-]{129,300}"],
    ) {
        let challenge = pkce::s256_challenge(&verifier);
        prop_assert_eq!(pkce::verify(&verifier, &challenge), Err(PkceError::InvalidVerifier));
    }

    #[test]
    fn verifiers_outside_the_unreserved_characters_are_refused(
        head in "[A-Za-z0-9._~-]{0,60}",
        bad in any::<char>().prop_filter("not unreserved", |c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c))),
        tail in "[A-Za-z0-9._~-]{42,60}",
    ) {
        let verifier = format!("{head}{bad}{tail}");
        let challenge = pkce::s256_challenge(&verifier);
        prop_assert_eq!(pkce::verify(&verifier, &challenge), Err(PkceError::InvalidVerifier));
    }
}

// ---------------------------------------------------------------------------------------------
// base64url
// ---------------------------------------------------------------------------------------------

/// RFC 7515 A.1's HMAC key: long enough for every HMAC algorithm.
const SECRET: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,10}", inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn a_jws_payload_survives_base64url(claims in json_value(), alg in prop::sample::select(HmacAlgorithm::ALL.to_vec())) {
        let secret = URL_SAFE_NO_PAD.decode(SECRET).unwrap();
        let token = sign_hmac(alg, &secret, &claims).unwrap();
        // Compact serialization: three parts of unpadded base64url.
        prop_assert_eq!(token.split('.').count(), 3);
        prop_assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{}", token);
        let verified = verify_hmac(&token, &secret, &[alg]).unwrap();
        let payload = serde_json::to_vec(&claims).unwrap();
        prop_assert_eq!(verified.payload(), payload.as_slice());
    }

    #[test]
    fn every_32_byte_value_decodes_as_a_challenge(bytes in prop::array::uniform32(any::<u8>())) {
        let challenge = URL_SAFE_NO_PAD.encode(bytes);
        prop_assert_eq!(pkce::validate_challenge(&challenge, Some(pkce::S256)), Ok(()));
        // Padding or the standard alphabet is not base64url (RFC 7636 §4.2, RFC 4648 §5).
        prop_assert_eq!(
            pkce::validate_challenge(&format!("{challenge}="), Some(pkce::S256)),
            Err(PkceError::InvalidChallenge)
        );
        let standard = STANDARD.encode(bytes);
        let standard = standard.trim_end_matches('=');
        if standard != challenge {
            prop_assert_eq!(pkce::validate_challenge(standard, Some(pkce::S256)), Err(PkceError::InvalidChallenge));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Params
// ---------------------------------------------------------------------------------------------

fn encode(pairs: &[(&str, &str)]) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        form.append_pair(name, value);
    }
    form.finish()
}

proptest! {
    #[test]
    fn an_encoded_map_parses_back(map in prop::collection::btree_map(".{0,12}", ".{1,24}", 0..12)) {
        let pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let params = Params::parse(&encode(&pairs)).unwrap();
        for (name, value) in &map {
            prop_assert_eq!(params.get(name), Some(value.as_str()));
        }
        prop_assert_eq!(Params::from_pairs(map.clone()).unwrap(), params);
    }

    #[test]
    fn a_repeated_name_is_refused(
        map in prop::collection::btree_map(".{0,12}", ".{1,24}", 1..12),
        index in any::<prop::sample::Index>(),
        again in ".{1,24}",
        position in any::<prop::sample::Index>(),
    ) {
        let mut pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let name = pairs[index.index(pairs.len())].0;
        let at = position.index(pairs.len() + 1);
        pairs.insert(at, (name, again.as_str()));
        prop_assert_eq!(Params::parse(&encode(&pairs)), Err(ParamsError::Repeated(name.to_owned())));
    }

    #[test]
    fn an_empty_value_is_absent(map in prop::collection::btree_map("[a-z]{1,8}", ".{1,24}", 0..8), empty in "[A-Z]{1,8}") {
        let mut pairs: Vec<(&str, &str)> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        pairs.push((empty.as_str(), ""));
        let params = Params::parse(&encode(&pairs)).unwrap();
        prop_assert!(!params.contains(&empty));
        prop_assert_eq!(params.get(&empty), None);
    }

    /// Any text, escapes, separators and malformed escapes included, reads as
    /// `form_urlencoded::parse` reads it (less the empty values), or is refused for the name
    /// that pair reading would have seen twice.
    #[test]
    fn raw_text_reads_as_form_urlencoded_reads_it(input in "[ab=&%+2Fé ]{0,32}") {
        let mut reference: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(input.as_bytes()) {
            if !value.is_empty() {
                reference.entry(name.into_owned()).or_default().push(value.into_owned());
            }
        }
        let repeated: Vec<&String> = reference.iter().filter(|(_, values)| values.len() > 1).map(|(name, _)| name).collect();
        match Params::parse(&input) {
            Ok(params) => {
                prop_assert!(repeated.is_empty(), "{:?} read although {:?} repeat", input, repeated);
                prop_assert_eq!(params.names().count(), reference.len());
                for (name, values) in &reference {
                    prop_assert_eq!(params.get(name), Some(values[0].as_str()));
                }
            }
            Err(ParamsError::Repeated(name)) => prop_assert!(repeated.contains(&&name), "{:?}: {} did not repeat", input, name),
            Err(other) => prop_assert!(false, "{:?}: {:?}", input, other),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policy evaluation
// ---------------------------------------------------------------------------------------------

const USERS: [&str; 3] = ["u1", "u2", "u3"];
const GROUPS: [&str; 4] = ["g1", "g2", "g3", "EVERYONE"];
const CLIENTS: [&str; 3] = ["c1", "c2", "ALL_CLIENTS"];
const DEFINED_SCOPES: [&str; 3] = ["s1", "s2", "s3"];
const RULE_SCOPES: [&str; 5] = ["s1", "s2", "s3", "openid", "*"];
const REQUESTABLE: [&str; 5] = ["s1", "s2", "s3", "openid", "profile"];
const GRANTS: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::Password,
    GrantType::ClientCredentials,
    GrantType::Implicit,
];

/// A subset of `items`, in their order.
fn subset<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(any::<bool>(), items.len()).prop_map(move |keep| {
        items
            .iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(i, _)| i.clone())
            .collect()
    })
}

fn strings(items: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    subset(items).prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn status() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just("ACTIVE"), 1 => Just("INACTIVE")]
}

fn rule_json() -> impl Strategy<Value = Value> {
    let people = (strings(&USERS), strings(&USERS), strings(&GROUPS), strings(&GROUPS)).prop_map(
        |(users_in, users_out, groups_in, groups_out)| {
            json!({"users": {"include": users_in, "exclude": users_out},
                   "groups": {"include": groups_in, "exclude": groups_out}})
        },
    );
    let grants = subset(&GRANTS).prop_map(|g| json!({ "include": g }));
    let scopes = strings(&RULE_SCOPES).prop_map(|s| json!({ "include": s }));
    (
        status(),
        prop::option::of(1u32..4),
        prop::option::weighted(0.8, people),
        prop::option::weighted(0.8, grants),
        prop::option::weighted(0.8, scopes),
        5u32..120,
    )
        .prop_map(|(status, priority, people, grants, scopes, lifetime)| {
            let mut conditions = serde_json::Map::new();
            if let Some(people) = people {
                conditions.insert("people".into(), people);
            }
            if let Some(grants) = grants {
                conditions.insert("grantTypes".into(), grants);
            }
            if let Some(scopes) = scopes {
                conditions.insert("scopes".into(), scopes);
            }
            json!({"type": "RESOURCE_ACCESS", "name": "rule", "status": status, "priority": priority,
                   "conditions": conditions, "actions": {"token": {"accessTokenLifetimeMinutes": lifetime}}})
        })
}

fn policies() -> impl Strategy<Value = Vec<PolicyWithRules>> {
    sized_policies(1..4, 1..4)
}

/// `policies` policies of `rules` rules each.
fn sized_policies(
    policies: std::ops::Range<usize>,
    rules: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<PolicyWithRules>> {
    let policy = (
        status(),
        prop::option::of(1u32..4),
        strings(&CLIENTS),
        strings(&CLIENTS[..2]),
        prop::collection::vec(rule_json(), rules),
    );
    prop::collection::vec(policy, policies).prop_map(|policies| {
        policies
            .into_iter()
            .enumerate()
            .map(|(p, (status, priority, include, exclude, rules))| {
                let policy = json!({"id": format!("p{p}"), "name": format!("policy {p}"), "status": status,
                                    "priority": priority, "conditions": {"clients": {"include": include, "exclude": exclude}}});
                let rules = rules
                    .into_iter()
                    .enumerate()
                    .map(|(r, mut rule)| {
                        rule["id"] = json!(format!("p{p}r{r}"));
                        serde_json::from_value::<Rule>(rule).expect("a rule")
                    })
                    .collect();
                PolicyWithRules {
                    policy: serde_json::from_value(policy).expect("a policy"),
                    rules,
                }
            })
            .collect()
    })
}

fn scope_definitions() -> impl Strategy<Value = Vec<Scope>> {
    prop::collection::vec(any::<bool>(), DEFINED_SCOPES.len()).prop_map(|defaults| {
        DEFINED_SCOPES
            .iter()
            .zip(defaults)
            .map(|(name, default)| Scope {
                default,
                ..Scope::named(*name)
            })
            .collect()
    })
}

/// A token request: client, user (with groups) or none, grant type, requested scopes or none.
#[derive(Debug, Clone)]
struct Ask {
    client: &'static str,
    user: Option<(&'static str, Vec<String>)>,
    grant: GrantType,
    scopes: Option<Vec<String>>,
}

fn asks() -> impl Strategy<Value = Vec<Ask>> {
    let ask = (
        prop::sample::select(&CLIENTS[..2]),
        prop::option::weighted(0.8, (prop::sample::select(&USERS[..]), strings(&GROUPS[..3]))),
        prop::sample::select(&GRANTS[..]),
        prop::option::weighted(0.8, strings(&REQUESTABLE)),
    )
        .prop_map(|(client, user, grant, scopes)| Ask {
            client,
            user,
            grant,
            scopes,
        });
    prop::collection::vec(ask, 4..24)
}

/// One way of narrowing a configuration.
#[derive(Debug, Clone)]
enum Narrowing {
    /// Adds a user to `people.users.exclude` of a rule.
    ExcludeUser {
        rule: prop::sample::Index,
        user: &'static str,
    },
    /// Adds a group to `people.groups.exclude` of a rule (a rule without a people condition gets
    /// one that includes everyone else).
    ExcludeGroup {
        rule: prop::sample::Index,
        group: &'static str,
    },
    /// Takes an entry out of a rule's `scopes.include`.
    DropScope {
        rule: prop::sample::Index,
        entry: prop::sample::Index,
    },
    /// Adds a client to a policy's `clients.exclude`.
    ExcludeClient {
        policy: prop::sample::Index,
        client: &'static str,
    },
}

fn narrowing() -> impl Strategy<Value = Narrowing> {
    prop_oneof![
        (any::<prop::sample::Index>(), prop::sample::select(&USERS[..]))
            .prop_map(|(rule, user)| Narrowing::ExcludeUser { rule, user }),
        (any::<prop::sample::Index>(), prop::sample::select(&GROUPS[..]))
            .prop_map(|(rule, group)| Narrowing::ExcludeGroup { rule, group }),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(rule, entry)| Narrowing::DropScope { rule, entry }),
        (any::<prop::sample::Index>(), prop::sample::select(&CLIENTS[..2]))
            .prop_map(|(policy, client)| Narrowing::ExcludeClient { policy, client }),
    ]
}

/// Applies `narrowing` to a copy of `policies`; returns the copy and the id of the rule it
/// narrowed (`None` for a policy-level narrowing, or when there was nothing to narrow).
fn narrow(policies: &[PolicyWithRules], narrowing: &Narrowing) -> (Vec<PolicyWithRules>, Option<String>) {
    let mut out = policies.to_vec();
    let places: Vec<(usize, usize)> = out
        .iter()
        .enumerate()
        .flat_map(|(p, policy)| (0..policy.rules.len()).map(move |r| (p, r)))
        .collect();
    let pick = |index: &prop::sample::Index| places[index.index(places.len())];
    let narrowed = match narrowing {
        Narrowing::ExcludeUser { rule, user } => {
            let (p, r) = pick(rule);
            let rule = &mut out[p].rules[r];
            let people = rule.conditions.people.get_or_insert_with(everyone);
            people.users.exclude.push((*user).to_owned());
            Some(rule.id.clone())
        }
        Narrowing::ExcludeGroup { rule, group } => {
            let (p, r) = pick(rule);
            let rule = &mut out[p].rules[r];
            let people = rule.conditions.people.get_or_insert_with(everyone);
            people.groups.exclude.push((*group).to_owned());
            Some(rule.id.clone())
        }
        Narrowing::DropScope { rule, entry } => {
            let (p, r) = pick(rule);
            let rule = &mut out[p].rules[r];
            match rule.conditions.scopes.as_mut() {
                Some(scopes) if !scopes.include.is_empty() => {
                    scopes.include.remove(entry.index(scopes.include.len()));
                    Some(rule.id.clone())
                }
                _ => None,
            }
        }
        Narrowing::ExcludeClient { policy, client } => {
            let index = policy.index(out.len());
            let conditions = out[index].policy.conditions.get_or_insert_with(Default::default);
            let clients = conditions
                .clients
                .get_or_insert_with(|| authserver::model::ClientCondition {
                    include: vec!["ALL_CLIENTS".to_owned()],
                    exclude: Vec::new(),
                });
            clients.exclude.push((*client).to_owned());
            None
        }
    };
    (out, narrowed)
}

/// A people condition that admits everyone: what an absent one admits.
fn everyone() -> authserver::model::PeopleCondition {
    serde_json::from_value(json!({"groups": {"include": ["EVERYONE"]}})).expect("a people condition")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn narrowing_a_configuration_never_grants_more(
        policies in policies(),
        scopes in scope_definitions(),
        asks in asks(),
        narrowing in narrowing(),
    ) {
        let (narrowed, narrowed_rule) = narrow(&policies, &narrowing);
        for ask in &asks {
            let request = |policies: &'_ [PolicyWithRules]| -> Option<(String, Vec<String>, u32)> {
                let user = ask.user.as_ref().map(|(id, groups)| UserContext { id, group_ids: groups });
                let request = PolicyRequest {
                    policies,
                    scopes: &scopes,
                    client_id: ask.client,
                    user,
                    grant_type: ask.grant,
                    requested_scopes: ask.scopes.as_deref(),
                };
                evaluate(&request).ok().map(|d| {
                    (d.rule_id.to_owned(), d.scopes.iter().map(|s| (*s).to_owned()).collect(), d.access_token_lifetime_minutes)
                })
            };
            let before = request(&policies);
            let after = request(&narrowed);
            let Some((rule, granted, lifetime)) = after else {
                continue;
            };
            // Monotonic: whatever the narrowed configuration grants, the original granted too.
            let Some((rule_before, granted_before, lifetime_before)) = before else {
                return Err(TestCaseError::fail(format!("{narrowing:?} granted {ask:?} by {rule}, refused before")));
            };
            // An excluded user, or a user in an excluded group, is not granted by that rule.
            if narrowed_rule.as_deref() == Some(rule.as_str()) {
                match (&narrowing, &ask.user) {
                    (Narrowing::ExcludeUser { user, .. }, Some((id, _))) => prop_assert_ne!(user, id),
                    (Narrowing::ExcludeGroup { group, .. }, Some((_, groups))) => {
                        prop_assert!(*group != "EVERYONE" && !groups.iter().any(|g| g == group));
                    }
                    _ => {}
                }
            }
            // The same rule deciding grants no scope it did not grant before, for as long.
            if rule == rule_before {
                prop_assert!(granted.iter().all(|s| granted_before.contains(s)), "{granted:?} ⊄ {granted_before:?}");
                prop_assert_eq!(lifetime, lifetime_before);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Issue 15: the per-server policy index decides exactly as the linear evaluation does, and
    /// denies with the same reason and the same trace of every policy and rule, serialized for
    /// the event log byte for byte alike. Configurations of up to 60 rules, so that the index
    /// also narrows its candidates by the people conditions (after 8 failed candidates).
    #[test]
    fn the_policy_index_decides_and_explains_as_the_linear_evaluation(
        policies in sized_policies(1..6, 0..12),
        scopes in scope_definitions(),
        asks in asks(),
    ) {
        let index = PolicyIndex::new(&policies);
        for ask in &asks {
            let user = ask.user.as_ref().map(|(id, groups)| UserContext { id, group_ids: groups });
            let request = PolicyRequest {
                policies: &policies,
                scopes: &scopes,
                client_id: ask.client,
                user,
                grant_type: ask.grant,
                requested_scopes: ask.scopes.as_deref(),
            };
            let (indexed, linear) = (index.evaluate(&request), evaluate(&request));
            if let (Err(indexed), Err(linear)) = (&indexed, &linear) {
                let json = serde_json::to_string(indexed).unwrap();
                prop_assert_eq!(&json, &serde_json::to_string(linear).unwrap());
                // The trace serializes as its rendering into the public trace types does.
                let rendered = serde_json::to_string(&indexed.policies()).unwrap();
                prop_assert!(json.ends_with(&format!("\"policies\":{rendered}}}")), "{} / {}", json, rendered);
            }
            prop_assert_eq!(indexed, linear, "{:?}", ask);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expression literals
// ---------------------------------------------------------------------------------------------

fn eval(source: &str) -> Result<Value, String> {
    let expression = Expression::parse(source).map_err(|e| format!("parse {source:?}: {e}"))?;
    let ctx = Context::new(datetime!(2026-01-01 0:00 UTC));
    expression
        .evaluate(&ctx)
        .map_err(|e| format!("evaluate {source:?}: {e}"))
}

/// `text` as a quoted literal: the quote doubled inside (Okta's Expression Language reference).
fn quoted(text: &str, quote: char) -> String {
    let doubled: String = [quote, quote].iter().collect();
    format!("{quote}{}{quote}", text.replace(quote, &doubled))
}

/// A value the expression language can write as a literal, and its source.
fn literal() -> impl Strategy<Value = (String, Value)> {
    let leaf = prop_oneof![
        (i64::MIN + 1..=i64::MAX).prop_map(|n| (n.to_string(), json!(n))),
        (any::<bool>(), any::<prop::sample::Index>()).prop_map(|(b, case)| {
            let spellings: [&str; 3] = if b {
                ["true", "TRUE", "True"]
            } else {
                ["false", "FALSE", "False"]
            };
            (spellings[case.index(3)].to_owned(), json!(b))
        }),
        Just(("null".to_owned(), Value::Null)),
        (".{0,40}", prop::bool::ANY).prop_map(|(s, single)| (quoted(&s, if single { '\'' } else { '"' }), json!(s))),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| {
                let (sources, values): (Vec<String>, Vec<Value>) = items.into_iter().unzip();
                (format!("{{{}}}", sources.join(", ")), Value::Array(values))
            }),
            prop::collection::btree_map("[a-z][a-zA-Z0-9]{0,6}", inner, 1..4).prop_map(
                |entries: BTreeMap<String, (String, Value)>| {
                    let source = entries
                        .iter()
                        .map(|(key, (source, _))| format!("{}: {source}", quoted(key, '\'')))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let value = entries.into_iter().map(|(key, (_, value))| (key, value)).collect();
                    (format!("{{{source}}}"), Value::Object(value))
                }
            ),
        ]
    })
}

proptest! {
    #[test]
    fn a_literal_evaluates_to_itself((source, value) in literal()) {
        prop_assert_eq!(eval(&source), Ok(value));
    }

    #[test]
    fn a_finite_float_literal_evaluates_to_itself(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        // `{:?}` writes the shortest text that reads back as the same f64, with a `.` or an
        // exponent, as the lexer's float syntax asks.
        let source = format!("{:?}", f.abs());
        let value = eval(&source).map_err(TestCaseError::fail)?;
        prop_assert_eq!(value.as_f64(), Some(f.abs()), "{}", source);
    }

    #[test]
    fn integer_arithmetic_is_checked(a in any::<i64>(), b in any::<i64>()) {
        let (x, y) = (a.max(i64::MIN + 1), b.max(i64::MIN + 1));
        for (op, expected) in [("+", x.checked_add(y)), ("-", x.checked_sub(y)), ("*", x.checked_mul(y))] {
            let source = format!("({x}) {op} ({y})");
            match expected {
                Some(n) => prop_assert_eq!(eval(&source), Ok(json!(n))),
                None => {
                    let parsed = Expression::parse(&source).unwrap();
                    let error = parsed.evaluate(&Context::new(datetime!(2026-01-01 0:00 UTC))).unwrap_err();
                    prop_assert!(matches!(error.kind, EvalErrorKind::Overflow(_)), "{source}: {error}");
                }
            }
        }
        prop_assert_eq!(eval(&format!("({x}) < ({y})")), Ok(json!(x < y)));
        prop_assert_eq!(eval(&format!("({x}) == ({y})")), Ok(json!(x == y)));
    }

    #[test]
    fn string_concatenation_joins_the_texts(a in ".{0,30}", b in ".{0,30}") {
        let source = format!("{} + {}", quoted(&a, '\''), quoted(&b, '"'));
        prop_assert_eq!(eval(&source), Ok(json!(format!("{a}{b}"))));
    }
}

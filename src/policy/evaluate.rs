//! The evaluation algorithm. See the [module docs](super) for the semantics and readings.

use std::sync::Arc;

use crate::model::{GrantType, OPENID, PeopleCondition, Policy, Rule, is_oidc_scope};

use super::compact::{CompactTrace, NameTable};
use super::decision::Decision;
use super::denial::{Denial, DenialKind};
use super::request::{PolicyRequest, PolicyWithRules, UserContext};

/// Evaluates a token request against the server's access policies.
///
/// Returns the matching policy and rule with the granted scopes and lifetimes, or a [`Denial`]
/// carrying Okta's error and a trace of every policy and rule that was tried.
pub fn evaluate<'a>(req: &PolicyRequest<'a>) -> Result<Decision<'a>, Denial> {
    let set = resolve_scopes(req).map_err(Denial::new)?;
    let policies: &'a [PolicyWithRules] = req.policies;
    let policy_order = priority_order(policies, |p| p.policy.priority);
    for pi in ordered(policies.len(), policy_order.as_deref()) {
        let Some(entry) = policies.get(pi) else {
            continue;
        };
        if !entry.policy.status.is_active() || !entry.policy.applies_to_client(req.client_id) {
            continue;
        }
        let rules: &'a [Rule] = &entry.rules;
        let rule_order = priority_order(rules, |r| r.priority);
        for ri in ordered(rules.len(), rule_order.as_deref()) {
            let Some(rule) = rules.get(ri) else {
                continue;
            };
            if rule_miss(rule, req, &set).is_none() {
                return Ok(decide(&entry.policy, rule, set));
            }
        }
    }
    Err(explain(req, &set))
}

/// Checks that a refresh asks only for scopes of the original grant (Okta's
/// `refresh_scopes_denied`). Run it before re-evaluating policies for the refresh.
pub fn check_refresh_scopes(original: &[String], requested: &[String]) -> Result<(), Denial> {
    if requested.iter().all(|s| original.contains(s)) {
        return Ok(());
    }
    let mut denied: Vec<String> = Vec::new();
    for s in requested {
        if !original.contains(s) && !denied.contains(s) {
            denied.push(s.clone());
        }
    }
    Err(Denial::new(DenialKind::RefreshScopesDenied { denied }))
}

/// The scopes a request is evaluated for.
pub(super) struct ScopeSet<'a> {
    /// Requested scopes, deduplicated, in request order: every one must be admitted.
    pub(super) explicit: Vec<&'a str>,
    /// Default scopes added implicitly (omitted `scope`, or client credentials): granted when
    /// the rule admits them, dropped silently otherwise.
    pub(super) implicit: Vec<&'a str>,
}

impl ScopeSet<'_> {
    /// The scopes a scope failure names: the requested ones, or the defaults when none was
    /// requested explicitly (then a rule that fails admits none of them).
    pub(super) fn named(&self) -> &[&str] {
        if self.explicit.is_empty() {
            &self.implicit
        } else {
            &self.explicit
        }
    }
}

pub(super) fn resolve_scopes<'a>(req: &PolicyRequest<'a>) -> Result<ScopeSet<'a>, DenialKind> {
    let client_credentials = req.grant_type == GrantType::ClientCredentials;
    let defs = req.scopes;
    let defaults = |exclude: &[&'a str]| -> Vec<&'a str> {
        let mut out: Vec<&'a str> = Vec::new();
        for name in defs.iter().filter(|s| s.default).map(|s| s.name.as_str()) {
            let forbidden = client_credentials && name == OPENID;
            if !forbidden && !exclude.contains(&name) && !out.contains(&name) {
                out.push(name);
            }
        }
        out
    };

    let Some(requested) = req.requested_scopes else {
        let implicit = defaults(&[]);
        if implicit.is_empty() {
            return Err(DenialKind::NoDefaultScopes);
        }
        return Ok(ScopeSet {
            explicit: Vec::new(),
            implicit,
        });
    };
    if requested.is_empty() {
        return Err(DenialKind::MissingScopes);
    }
    let mut explicit: Vec<&'a str> = Vec::with_capacity(requested.len());
    for s in requested {
        if !explicit.contains(&s.as_str()) {
            explicit.push(s.as_str());
        }
    }
    if client_credentials && explicit.contains(&OPENID) {
        return Err(DenialKind::OpenidNotAllowedClientCreds);
    }
    let defined = |s: &str| is_oidc_scope(s) || defs.iter().any(|d| d.name == s);
    if !explicit.iter().all(|s| defined(s)) {
        let unknown = explicit
            .iter()
            .filter(|s| !defined(s))
            .map(|s| (*s).to_owned())
            .collect();
        return Err(DenialKind::NoMatchingScope { unknown });
    }
    let implicit = if client_credentials {
        defaults(&explicit)
    } else {
        Vec::new()
    };
    Ok(ScopeSet { explicit, implicit })
}

/// `None` when `items` are already in priority order, else the indices in that order (stable:
/// equal priorities keep input order; an unset priority sorts last).
pub(super) fn priority_order<T>(items: &[T], priority: impl Fn(&T) -> Option<u32>) -> Option<Vec<usize>> {
    let key = |t: &T| priority(t).unwrap_or(u32::MAX);
    if items.is_sorted_by_key(key) {
        return None;
    }
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by_key(|&i| items.get(i).map_or(u32::MAX, key));
    Some(idx)
}

pub(super) fn ordered(len: usize, order: Option<&[usize]>) -> impl Iterator<Item = usize> + '_ {
    (0..len).map(move |i| order.and_then(|o| o.get(i).copied()).unwrap_or(i))
}

/// Why a rule did not match (no allocation; details are computed only for the trace).
pub(super) enum Miss<'r> {
    Inactive,
    GrantType,
    People(PeopleMiss<'r>),
    Scopes,
}

pub(super) enum PeopleMiss<'r> {
    NotIncluded,
    UserExcluded,
    GroupExcluded(&'r str),
}

pub(super) fn rule_miss<'r>(rule: &'r Rule, req: &PolicyRequest<'_>, set: &ScopeSet<'_>) -> Option<Miss<'r>> {
    if !rule.status.is_active() {
        return Some(Miss::Inactive);
    }
    let c = &rule.conditions;
    if c.grant_types.as_ref().is_some_and(|g| !g.allows(req.grant_type)) {
        return Some(Miss::GrantType);
    }
    if let (Some(user), Some(people)) = (req.user, c.people.as_ref()) {
        if let Some(m) = people_miss(people, user) {
            return Some(Miss::People(m));
        }
    }
    let explicit_ok = set.explicit.iter().all(|s| admits(rule, s));
    let something_granted = !set.explicit.is_empty() || set.implicit.iter().any(|s| admits(rule, s));
    if !(explicit_ok && something_granted) {
        return Some(Miss::Scopes);
    }
    None
}

fn people_miss<'r>(people: &'r PeopleCondition, user: UserContext<'_>) -> Option<PeopleMiss<'r>> {
    if people.excludes_user(user.id) {
        return Some(PeopleMiss::UserExcluded);
    }
    if let Some(g) = people.excluded_group(user.group_ids) {
        return Some(PeopleMiss::GroupExcluded(g));
    }
    if !people.includes(user.id, user.group_ids) {
        return Some(PeopleMiss::NotIncluded);
    }
    None
}

/// Whether the rule admits `scope`: OpenID Connect scopes always, others by name or `*` (an
/// absent scope condition admits every scope).
fn admits(rule: &Rule, scope: &str) -> bool {
    is_oidc_scope(scope) || rule.conditions.scopes.as_ref().is_none_or(|c| c.allows(scope))
}

pub(super) fn decide<'a>(policy: &'a Policy, rule: &'a Rule, set: ScopeSet<'a>) -> Decision<'a> {
    let mut scopes = set.explicit;
    scopes.extend(set.implicit.iter().filter(|s| admits(rule, s)));
    let token = rule.token();
    Decision {
        policy_id: &policy.id,
        policy_name: &policy.name,
        rule_id: &rule.id,
        rule_name: &rule.name,
        scopes,
        access_token_lifetime_minutes: token.access_token_lifetime_minutes,
        refresh_token_lifetime_minutes: token.refresh_token_lifetime(),
        refresh_token_window_minutes: token.refresh_token_window_minutes,
        inline_hook: token.inline_hook.as_ref().map(|h| h.id.as_str()),
    }
}

/// Re-runs evaluation recording every policy and rule (only on the failure path), rule by rule:
/// the reference the set operations of [`PolicyIndex`](super::PolicyIndex) are checked against.
pub(super) fn explain(req: &PolicyRequest<'_>, set: &ScopeSet<'_>) -> Denial {
    let names = Arc::new(NameTable::new(req.policies));
    let mut trace = CompactTrace::new(Arc::clone(&names), req.grant_type, set.named());
    for (position, named) in names.policies().iter().enumerate() {
        let Some(entry) = req.policies.get(named.listed) else {
            continue;
        };
        let p = &entry.policy;
        let clients = p.client_condition();
        if !p.status.is_active() {
            trace.inactive_policies.set(position);
            continue;
        }
        if clients.is_some_and(|c| !c.includes(req.client_id)) {
            trace.client_not_included.set(position);
            continue;
        }
        if clients.is_some_and(|c| c.excludes(req.client_id)) {
            trace.client_excluded.set(position);
            continue;
        }
        for at in named.rules.clone() {
            let Some(rule) = names.rules().get(at).and_then(|r| entry.rules.get(r.listed)) else {
                continue;
            };
            let Some(miss) = rule_miss(rule, req, set) else {
                continue;
            };
            match miss {
                Miss::Inactive => trace.rules.inactive.set(at),
                Miss::GrantType => trace.rules.grant_type.set(at),
                Miss::People(PeopleMiss::UserExcluded) => trace.rules.user_excluded.set(at),
                Miss::People(PeopleMiss::GroupExcluded(group)) => trace.exclude_group(at, group),
                Miss::People(PeopleMiss::NotIncluded) => trace.rules.not_included.set(at),
                Miss::Scopes => trace.deny_scopes(at, |scope| admits(rule, scope)),
            }
        }
    }
    trace.into_denial()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        ALL_CLIENTS, ClientCondition, EVERYONE, GrantTypeCondition, IncludeExclude, InlineHookRef, PolicyConditions,
        RuleConditions, Scope, ScopeCondition, Status, TokenAction,
    };
    use crate::policy::{PeopleFailure, PolicyOutcome, RuleFailure, RuleTrace};
    use GrantType::{AuthorizationCode, ClientCredentials, Implicit, Password};

    const ALL_GRANTS: &[GrantType] = &[AuthorizationCode, Implicit, Password, ClientCredentials];

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn policy(id: &str, priority: u32, clients: &[&str], rules: Vec<Rule>) -> PolicyWithRules {
        PolicyWithRules {
            policy: Policy {
                policy_type: Default::default(),
                id: id.into(),
                status: Status::Active,
                name: format!("{id} name"),
                description: None,
                priority: Some(priority),
                system: false,
                conditions: Some(PolicyConditions {
                    clients: Some(ClientCondition {
                        include: strings(clients),
                        exclude: vec![],
                    }),
                }),
                created: None,
                last_updated: None,
                links: None,
            },
            rules,
        }
    }

    /// A rule admitting `grants`, users in `groups` (group ids or EVERYONE) and `scopes`.
    fn rule(id: &str, priority: u32, grants: &[GrantType], groups: &[&str], scopes: &[&str]) -> Rule {
        Rule {
            rule_type: Default::default(),
            id: id.into(),
            status: Status::Active,
            name: format!("{id} name"),
            priority: Some(priority),
            system: false,
            conditions: RuleConditions {
                people: Some(crate::model::PeopleCondition {
                    users: IncludeExclude::default(),
                    groups: IncludeExclude {
                        include: strings(groups),
                        exclude: vec![],
                    },
                }),
                grant_types: Some(GrantTypeCondition {
                    include: grants.to_vec(),
                }),
                scopes: Some(ScopeCondition {
                    include: strings(scopes),
                }),
            },
            actions: Default::default(),
            created: None,
            last_updated: None,
            links: None,
        }
    }

    fn scope(name: &str, default: bool) -> Scope {
        Scope {
            default,
            ..Scope::named(name)
        }
    }

    fn defs() -> Vec<Scope> {
        vec![
            scope("car:drive", false),
            scope("car:park", false),
            scope("api:read", true),
        ]
    }

    const NO_GROUPS: &[String] = &[];

    fn user(id: &str) -> Option<UserContext<'_>> {
        Some(UserContext {
            id,
            group_ids: NO_GROUPS,
        })
    }

    fn request<'a>(
        policies: &'a [PolicyWithRules],
        scopes: &'a [Scope],
        user: Option<UserContext<'a>>,
        grant_type: GrantType,
        requested: Option<&'a [String]>,
    ) -> PolicyRequest<'a> {
        PolicyRequest {
            policies,
            scopes,
            client_id: "0oaclient",
            user,
            grant_type,
            requested_scopes: requested,
        }
    }

    fn rules_of(d: &Denial, policy: usize) -> Vec<RuleTrace> {
        match d.policies().swap_remove(policy).outcome {
            PolicyOutcome::NoRuleMatched { rules } => rules,
            other => panic!("expected rules, got {other:?}"),
        }
    }

    /// The denial event keeps the first [`MAX_LIST_ITEMS`](crate::event::MAX_LIST_ITEMS) policies,
    /// rules and denied scopes of the trace, written cut: exactly what bounding the whole trace
    /// would keep.
    #[test]
    fn a_denial_event_holds_the_trace_cut_to_the_event_bounds() {
        use crate::event::MAX_LIST_ITEMS;
        let wide = MAX_LIST_ITEMS + 10;
        let rules: Vec<Rule> = (0..wide)
            .map(|r| rule(&format!("r{r}"), 1, ALL_GRANTS, &["00gothers"], &["car:drive"]))
            .collect();
        let policies: Vec<PolicyWithRules> = (0..wide)
            .map(|p| policy(&format!("p{p}"), 1, &[ALL_CLIENTS], rules.clone()))
            .collect();
        let defs = defs();
        let requested = strings(&["car:drive"]);
        let req = request(&policies, &defs, user("00u1"), Password, Some(&requested));
        let denial = evaluate(&req).expect_err("nobody is in 00gothers");
        let now = time::macros::datetime!(2026-01-01 0:00 UTC);
        let event = denial.event(&req, now);
        let full = serde_json::to_value(&denial).expect("serializes");
        let expected = crate::event::Event::success("t", "m", now)
            .with_detail("denial", full)
            .bounded();
        assert_eq!(
            event.debug_context.debug_data["denial"],
            expected.debug_context.debug_data["denial"]
        );
        let kept = event.debug_context.debug_data["denial"]["policies"]
            .as_array()
            .expect("policies");
        assert_eq!(kept.len(), MAX_LIST_ITEMS);
        assert_eq!(kept[0]["rules"].as_array().expect("rules").len(), MAX_LIST_ITEMS);
        assert_eq!(denial.policies().len(), wide, "the denial itself keeps every policy");
    }

    #[test]
    fn default_policy_rule_grants_with_its_lifetimes() {
        // Reference §2.4: Default Policy / Default Policy Rule, EVERYONE, all four grants, `*`,
        // 60 min / unlimited / 7 days.
        let mut r = rule("0pr1", 1, ALL_GRANTS, &[EVERYONE], &["*"]);
        r.actions.token.inline_hook = Some(InlineHookRef { id: "cal1".into() });
        let p = [policy("00p1", 1, &[ALL_CLIENTS], vec![r])];
        let d = defs();
        let want = strings(&["openid", "car:drive"]);
        let dec = evaluate(&request(&p, &d, user("00u1"), AuthorizationCode, Some(&want))).unwrap();
        assert_eq!((dec.policy_id, dec.rule_id), ("00p1", "0pr1"));
        assert_eq!((dec.policy_name, dec.rule_name), ("00p1 name", "0pr1 name"));
        assert_eq!(dec.scopes, vec!["openid", "car:drive"]);
        assert_eq!(dec.access_token_lifetime_minutes, 60);
        assert_eq!(dec.refresh_token_lifetime_minutes, None);
        assert_eq!(dec.refresh_token_window_minutes, 10080);
        assert_eq!(dec.inline_hook, Some("cal1"));
    }

    #[test]
    fn policies_by_priority_one_first_regardless_of_input_order() {
        // Reference §2.1: policies evaluated in priority order, 1 highest; first match wins.
        let p = [
            policy(
                "second",
                2,
                &[ALL_CLIENTS],
                vec![rule("r2", 1, ALL_GRANTS, &[EVERYONE], &["*"])],
            ),
            policy(
                "first",
                1,
                &[ALL_CLIENTS],
                vec![rule("r1", 1, ALL_GRANTS, &[EVERYONE], &["*"])],
            ),
        ];
        let d = defs();
        let want = strings(&["car:drive"]);
        let dec = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap();
        assert_eq!(dec.policy_id, "first");
    }

    #[test]
    fn rules_by_priority_within_a_policy_and_specific_first_wins() {
        // Reference §2.1: rules are a switch statement; the first matching rule applies.
        let mut slow = rule("generic", 2, ALL_GRANTS, &[EVERYONE], &["*"]);
        slow.actions.token.access_token_lifetime_minutes = 120;
        let mut fast = rule("specific", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"]);
        fast.actions.token.access_token_lifetime_minutes = 5;
        let p = [policy("p", 1, &[ALL_CLIENTS], vec![slow, fast])];
        let d = defs();
        let want = strings(&["car:drive"]);
        let dec = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap();
        assert_eq!(dec.rule_id, "specific");
        assert_eq!(dec.access_token_lifetime(), time::Duration::minutes(5));
    }

    #[test]
    fn inactive_policies_and_rules_are_skipped_and_traced() {
        // Reference §2.2: status ACTIVE | INACTIVE; inactive objects do not apply.
        let mut inactive_rule = rule("off", 1, ALL_GRANTS, &[EVERYONE], &["*"]);
        inactive_rule.status = Status::Inactive;
        let mut inactive_policy = policy(
            "p-off",
            1,
            &[ALL_CLIENTS],
            vec![rule("x", 1, ALL_GRANTS, &[EVERYONE], &["*"])],
        );
        inactive_policy.policy.status = Status::Inactive;
        let p = [inactive_policy, policy("p-on", 2, &[ALL_CLIENTS], vec![inactive_rule])];
        let d = defs();
        let want = strings(&["car:drive"]);
        let err = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap_err();
        assert_eq!(err.kind, DenialKind::NoMatchingPolicy);
        assert_eq!(err.policies()[0].outcome, PolicyOutcome::Inactive);
        assert_eq!(rules_of(&err, 1)[0].failed, RuleFailure::Inactive);
        // Reactivating the rule makes the request pass.
        let mut p = p;
        p[1].rules[0].status = Status::Active;
        assert!(evaluate(&request(&p, &d, user("u"), Password, Some(&want))).is_ok());
    }

    #[test]
    fn client_condition_list_all_clients_and_exclude() {
        // Reference §2.1: conditions.clients.include = ["ALL_CLIENTS"] or a list of client ids.
        let ok = |clients: &[&str], exclude: &[&str]| {
            let mut p = policy("p", 1, clients, vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["*"])]);
            if let Some(c) = p.policy.conditions.as_mut().and_then(|c| c.clients.as_mut()) {
                c.exclude = strings(exclude);
            }
            let p = [p];
            let d = defs();
            let want = strings(&["car:drive"]);
            evaluate(&request(&p, &d, user("u"), Password, Some(&want)))
                .map(|_| ())
                .map_err(|e| e.policies()[0].outcome.clone())
        };
        assert_eq!(ok(&[ALL_CLIENTS], &[]), Ok(()));
        assert_eq!(ok(&["other", "0oaclient"], &[]), Ok(()));
        assert_eq!(ok(&["other"], &[]), Err(PolicyOutcome::ClientNotIncluded));
        assert_eq!(ok(&[ALL_CLIENTS], &["0oaclient"]), Err(PolicyOutcome::ClientExcluded));
    }

    #[test]
    fn people_include_exclude_users_groups_and_everyone() {
        // Reference §2.1 rule conditions: people.users / people.groups include & exclude,
        // EVERYONE = every user; exclusion wins.
        let d = defs();
        let want = strings(&["car:drive"]);
        let groups = strings(&["00gEng", "00gContractors"]);
        let check = |people: crate::model::PeopleCondition, uid: &str, gids: &[String]| {
            let mut r = rule("r", 1, ALL_GRANTS, &[], &["*"]);
            r.conditions.people = Some(people);
            let p = [policy("p", 1, &[ALL_CLIENTS], vec![r])];
            let u = Some(UserContext {
                id: uid,
                group_ids: gids,
            });
            evaluate(&request(&p, &d, u, AuthorizationCode, Some(&want)))
                .map(|_| ())
                .map_err(|e| rules_of(&e, 0)[0].failed.clone())
        };
        let people = |ui: &[&str], ue: &[&str], gi: &[&str], ge: &[&str]| crate::model::PeopleCondition {
            users: IncludeExclude {
                include: strings(ui),
                exclude: strings(ue),
            },
            groups: IncludeExclude {
                include: strings(gi),
                exclude: strings(ge),
            },
        };
        let not_included = Err(RuleFailure::People {
            reason: PeopleFailure::NotIncluded,
        });
        assert_eq!(check(people(&["00u1"], &[], &[], &[]), "00u1", NO_GROUPS), Ok(()));
        assert_eq!(check(people(&["00u1"], &[], &[], &[]), "00u2", NO_GROUPS), not_included);
        assert_eq!(check(people(&[], &[], &["00gEng"], &[]), "00u2", &groups), Ok(()));
        assert_eq!(
            check(people(&[], &[], &["00gEng"], &[]), "00u2", NO_GROUPS),
            not_included
        );
        assert_eq!(check(people(&[], &[], &[EVERYONE], &[]), "00u3", NO_GROUPS), Ok(()));
        assert_eq!(
            check(people(&[], &["00u3"], &[EVERYONE], &[]), "00u3", NO_GROUPS),
            Err(RuleFailure::People {
                reason: PeopleFailure::UserExcluded
            })
        );
        assert_eq!(
            check(
                people(&["00u2"], &[], &[EVERYONE], &["00gContractors"]),
                "00u2",
                &groups
            ),
            Err(RuleFailure::People {
                reason: PeopleFailure::GroupExcluded {
                    group_id: "00gContractors".into()
                }
            })
        );
        // An empty people condition admits no user.
        assert_eq!(check(people(&[], &[], &[], &[]), "00u1", &groups), not_included);
    }

    #[test]
    fn client_credentials_has_no_user_and_skips_the_people_condition() {
        // Reference §2.1 "Client-credentials requests have no user" and §2.4's default rule
        // (EVERYONE + client_credentials) serving them: the people condition is not evaluated,
        // but the grant type must still be listed.
        let d = defs();
        let want = strings(&["car:drive"]);
        let only_user_grants = [AuthorizationCode, Password];
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![
                rule("users-only", 1, &only_user_grants, &[EVERYONE], &["*"]),
                rule("m2m", 2, &[ClientCredentials], &["00gNobody"], &["car:drive"]),
            ],
        )];
        let dec = evaluate(&request(&p, &d, None, ClientCredentials, Some(&want))).unwrap();
        assert_eq!(dec.rule_id, "m2m");
        // A user request is held to the people condition of the same rule.
        let mut p2 = p.clone();
        p2[0].rules[1].conditions.grant_types = Some(GrantTypeCondition {
            include: vec![ClientCredentials, Implicit],
        });
        p2[0].rules.remove(0);
        let err = evaluate(&request(&p2, &d, user("00u1"), Implicit, Some(&want))).unwrap_err();
        assert!(matches!(rules_of(&err, 0)[0].failed, RuleFailure::People { .. }));
    }

    #[test]
    fn grant_type_condition_is_checked() {
        // Reference §2.1: the request's grant type must be listed in grantTypes.include.
        let d = defs();
        let want = strings(&["car:drive"]);
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, &[AuthorizationCode], &[EVERYONE], &["*"])],
        )];
        let err = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap_err();
        assert_eq!(err.kind, DenialKind::NoMatchingPolicy);
        assert_eq!(err.error().as_str(), "access_denied");
        assert_eq!(
            rules_of(&err, 0)[0].failed,
            RuleFailure::GrantType { grant_type: Password }
        );
        assert!(evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&want))).is_ok());
    }

    #[test]
    fn oidc_scopes_need_no_definition_and_no_rule_entry_but_need_a_rule() {
        // Seed 003 / seed 000 "Subtle Behavior": OIDC scopes are granted by default, need not be
        // defined nor configured in the rule, but a policy and rule must exist.
        let no_defs: Vec<Scope> = vec![scope("car:drive", false)];
        let want = strings(&[
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
            "car:drive",
        ]);
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"])],
        )];
        let dec = evaluate(&request(&p, &no_defs, user("u"), AuthorizationCode, Some(&want))).unwrap();
        assert_eq!(dec.scopes.len(), 7);
        assert!(dec.has_scope("offline_access"));
        // Even a rule with an empty scope list admits them.
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &[])],
        )];
        let oidc = strings(&["openid", "email"]);
        assert!(evaluate(&request(&p, &no_defs, user("u"), AuthorizationCode, Some(&oidc))).is_ok());
        // Without any policy the request fails.
        let err = evaluate(&request(&[], &no_defs, user("u"), AuthorizationCode, Some(&oidc))).unwrap_err();
        assert_eq!(err.kind, DenialKind::NoMatchingPolicy);
        assert!(err.policies().is_empty());
    }

    #[test]
    fn a_subset_is_never_granted_and_the_denied_scopes_are_named() {
        // Seed 000: "If a client requests multiple scopes, but the policy … only allows for a
        // subset of the scopes, then the token isn't minted and an error is returned."
        let d = defs();
        let want = strings(&["openid", "car:drive", "car:park"]);
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"])],
        )];
        let err = evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&want))).unwrap_err();
        assert_eq!(
            err.kind,
            DenialKind::ScopeDenied {
                denied: strings(&["car:park"])
            }
        );
        assert_eq!(err.error().as_str(), "access_denied");
        assert_eq!(
            err.description(),
            "Some of the requested scopes were denied by the policy. Denied scopes: [car:park]."
        );
        assert_eq!(
            rules_of(&err, 0)[0].failed,
            RuleFailure::Scopes {
                denied: strings(&["car:park"])
            }
        );
    }

    #[test]
    fn no_scope_allowed_when_the_rule_admits_none_of_them() {
        // Reference §2.1 catalogue: no_scope_allowed, "all the requested scopes were rejected".
        let d = defs();
        let want = strings(&["car:park"]);
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"])],
        )];
        let err = evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&want))).unwrap_err();
        assert_eq!(
            err.kind,
            DenialKind::NoScopeAllowed {
                denied: strings(&["car:park"])
            }
        );
    }

    #[test]
    fn falls_through_to_a_later_rule_or_policy_that_covers_the_scopes() {
        // Reference §2.1 fall-through recommendation and Appendix B: a rule not covering the
        // scopes is skipped; a policy with no matching rule hands over to the next policy.
        let d = defs();
        let want = strings(&["car:park"]);
        let p = [
            policy(
                "specific",
                1,
                &["0oaclient"],
                vec![
                    rule("drive-only", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"]),
                    rule("wrong-grant", 2, &[Implicit], &[EVERYONE], &["*"]),
                ],
            ),
            policy(
                "catch-all",
                2,
                &[ALL_CLIENTS],
                vec![
                    rule("narrow", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"]),
                    rule("park", 2, ALL_GRANTS, &[EVERYONE], &["car:park"]),
                ],
            ),
        ];
        let dec = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap();
        assert_eq!((dec.policy_id, dec.rule_id), ("catch-all", "park"));
    }

    #[test]
    fn scope_denial_beats_no_matching_policy_and_names_the_first_scope_failure() {
        // Reference §2.1 step 4/5: some rule matched client/grant/people → scope_denied, naming
        // the first such rule's uncovered scopes; the trace lists every policy and rule tried.
        let d = defs();
        let want = strings(&["car:drive", "car:park", "api:read"]);
        let p = [
            policy("a", 1, &["someone-else"], vec![]),
            policy(
                "b",
                2,
                &[ALL_CLIENTS],
                vec![
                    rule("implicit-only", 1, &[Implicit], &[EVERYONE], &["*"]),
                    rule("drive", 2, ALL_GRANTS, &[EVERYONE], &["car:drive"]),
                    rule("drive-park", 3, ALL_GRANTS, &[EVERYONE], &["car:drive", "car:park"]),
                ],
            ),
        ];
        let err = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap_err();
        assert_eq!(
            err.kind,
            DenialKind::ScopeDenied {
                denied: strings(&["car:park", "api:read"])
            }
        );
        assert_eq!(err.policies().len(), 2);
        assert_eq!(err.policies()[0].outcome, PolicyOutcome::ClientNotIncluded);
        let rules = rules_of(&err, 1);
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].failed, RuleFailure::GrantType { grant_type: Password });
        assert_eq!(
            rules[2].failed,
            RuleFailure::Scopes {
                denied: strings(&["api:read"])
            }
        );
        // The whole denial serializes for the event log.
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["reason"], "scope_denied");
        assert_eq!(json["policies"][0]["outcome"], "client_not_included");
        assert_eq!(json["policies"][1]["rules"][0]["failed"]["condition"], "grant_type");
        assert_eq!(json["policies"][1]["rules"][0]["failed"]["grant_type"], "password");
        assert_eq!(
            json["policies"][1]["rules"][1]["failed"]["denied"],
            serde_json::json!(["car:park", "api:read"])
        );
    }

    #[test]
    fn omitted_scope_uses_the_default_scopes_the_rule_admits() {
        // Reference §2.2: default scopes are granted when the request omits `scope` (only those
        // the matched rule permits); none configured → no_default_scopes.
        let mut d = defs();
        d.push(scope("car:wash", true));
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["car:wash"])],
        )];
        let dec = evaluate(&request(&p, &d, user("u"), AuthorizationCode, None)).unwrap();
        assert_eq!(dec.scopes, vec!["car:wash"]);
        let p_none = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"])],
        )];
        let err = evaluate(&request(&p_none, &d, user("u"), AuthorizationCode, None)).unwrap_err();
        assert_eq!(
            err.kind,
            DenialKind::NoScopeAllowed {
                denied: strings(&["api:read", "car:wash"])
            }
        );
        let no_defaults = vec![scope("car:drive", false)];
        let err = evaluate(&request(&p, &no_defaults, user("u"), AuthorizationCode, None)).unwrap_err();
        assert_eq!(err.kind, DenialKind::NoDefaultScopes);
        assert_eq!(err.error().as_str(), "invalid_scope");
    }

    #[test]
    fn empty_scope_is_missing_scopes() {
        // Reference §2.1 catalogue: missing_scopes, "No scopes were requested."
        let d = defs();
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["*"])],
        )];
        let empty: Vec<String> = vec![];
        let err = evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&empty))).unwrap_err();
        assert_eq!(err.kind, DenialKind::MissingScopes);
        assert_eq!(err.description(), "No scopes were requested.");
    }

    #[test]
    fn client_credentials_adds_default_scopes_and_rejects_openid() {
        // Brief / reference §2.2: client_credentials gets the default scopes in addition to the
        // requested ones; openid with client credentials → openid_not_allowed_client_creds.
        let mut d = defs();
        d.push(scope("openid", true));
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, &[ClientCredentials], &[], &["*"])],
        )];
        let want = strings(&["car:drive"]);
        let dec = evaluate(&request(&p, &d, None, ClientCredentials, Some(&want))).unwrap();
        assert_eq!(dec.scopes, vec!["car:drive", "api:read"], "default openid never added");
        // A default the rule does not admit is left out, not denied.
        let narrow = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, &[ClientCredentials], &[], &["car:drive"])],
        )];
        let dec = evaluate(&request(&narrow, &d, None, ClientCredentials, Some(&want))).unwrap();
        assert_eq!(dec.scopes, vec!["car:drive"]);
        let with_openid = strings(&["openid", "car:drive"]);
        let err = evaluate(&request(&p, &d, None, ClientCredentials, Some(&with_openid))).unwrap_err();
        assert_eq!(err.kind, DenialKind::OpenidNotAllowedClientCreds);
        assert_eq!(err.error().as_str(), "invalid_scope");
        assert!(err.policies().is_empty(), "refused before policy evaluation");
    }

    #[test]
    fn unknown_scopes_are_invalid_scope_before_policies() {
        // Reference §2.1 catalogue: no_matching_scope, scope name unknown to this server.
        let d = defs();
        let want = strings(&["openid", "car:fly", "car:drive", "car:fly"]);
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["*"])],
        )];
        let err = evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&want))).unwrap_err();
        assert_eq!(
            err.kind,
            DenialKind::NoMatchingScope {
                unknown: strings(&["car:fly"])
            }
        );
        assert_eq!(err.error().as_str(), "invalid_scope");
        // `*` does not make an undefined scope valid, and `groups` is not built in (§2.4).
        let groups = strings(&["groups"]);
        assert!(matches!(
            evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&groups)))
                .unwrap_err()
                .kind,
            DenialKind::NoMatchingScope { .. }
        ));
    }

    #[test]
    fn granted_scopes_are_deduplicated_in_request_order() {
        let d = defs();
        let want = strings(&["car:park", "openid", "car:park", "car:drive"]);
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![rule("r", 1, ALL_GRANTS, &[EVERYONE], &["*"])],
        )];
        let dec = evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&want))).unwrap();
        assert_eq!(dec.scopes, vec!["car:park", "openid", "car:drive"]);
    }

    #[test]
    fn refresh_is_matched_against_the_original_grant_and_current_people() {
        // Reference Appendix B: a refresh is re-evaluated with the original grant type plus the
        // current people/scope conditions; its scopes must be a subset of the original grant.
        let d = defs();
        let original = strings(&["openid", "offline_access", "car:drive"]);
        let mut r = rule("r", 1, &[AuthorizationCode], &["00gDrivers"], &["car:drive"]);
        r.actions.token = TokenAction {
            refresh_token_lifetime_minutes: Some(600),
            ..TokenAction::default()
        };
        let p = [policy("p", 1, &[ALL_CLIENTS], vec![r])];
        let drivers = strings(&["00gDrivers"]);
        let member = Some(UserContext {
            id: "00u1",
            group_ids: &drivers,
        });
        assert!(check_refresh_scopes(&original, &original[1..]).is_ok());
        let dec = evaluate(&request(&p, &d, member, AuthorizationCode, Some(&original))).unwrap();
        assert_eq!(dec.refresh_token_lifetime_minutes, Some(600));
        // The user left the group since: the refresh is denied.
        let err = evaluate(&request(&p, &d, user("00u1"), AuthorizationCode, Some(&original))).unwrap_err();
        assert_eq!(err.kind, DenialKind::NoMatchingPolicy);
        // Asking for more than the original grant.
        let more = strings(&["car:drive", "car:park", "car:park"]);
        let err = check_refresh_scopes(&original, &more).unwrap_err();
        assert_eq!(
            err.kind,
            DenialKind::RefreshScopesDenied {
                denied: strings(&["car:park"])
            }
        );
    }

    #[test]
    fn absent_rule_conditions_do_not_restrict() {
        // Module docs, point 4: an absent condition places no restriction on its dimension.
        let d = defs();
        let mut r = rule("r", 1, &[], &[], &[]);
        r.conditions = RuleConditions::default();
        let mut pol = policy("p", 1, &[], vec![r]);
        pol.policy.conditions = None;
        let p = [pol];
        let want = strings(&["car:drive", "car:park"]);
        let dec = evaluate(&request(&p, &d, user("anyone"), Password, Some(&want))).unwrap();
        assert_eq!(dec.scopes, vec!["car:drive", "car:park"]);
    }

    #[test]
    fn unsorted_and_unset_priorities() {
        // Reference §2.1 "Priority 1 is the highest"; an unset priority is evaluated last.
        let d = defs();
        let want = strings(&["car:drive"]);
        let mut unset = rule("unset", 1, ALL_GRANTS, &[EVERYONE], &["*"]);
        unset.priority = None;
        let p = [policy(
            "p",
            1,
            &[ALL_CLIENTS],
            vec![
                unset,
                rule("three", 3, ALL_GRANTS, &[EVERYONE], &["*"]),
                rule("two", 2, &[Implicit], &[EVERYONE], &["*"]),
            ],
        )];
        let dec = evaluate(&request(&p, &d, user("u"), Password, Some(&want))).unwrap();
        assert_eq!(dec.rule_id, "three");
        // `two` (priority 2) only allows implicit: an implicit request gets it first.
        let dec = evaluate(&request(&p, &d, user("u"), Implicit, Some(&want))).unwrap();
        assert_eq!(dec.rule_id, "two");
    }

    #[test]
    fn many_policies_only_the_last_rule_matches() {
        // Shape of the planned 100 policies × 10 rules benchmark.
        let d = defs();
        let want = strings(&["car:drive"]);
        let mut p: Vec<PolicyWithRules> = (1..=100)
            .map(|i| {
                let rules = (1..=10)
                    .map(|j| rule(&format!("r{i}-{j}"), j, ALL_GRANTS, &[&format!("00g{i}-{j}")], &["*"]))
                    .collect();
                policy(&format!("p{i}"), i, &[ALL_CLIENTS], rules)
            })
            .collect();
        p.reverse();
        let g = strings(&["00g100-10"]);
        let u = Some(UserContext { id: "u", group_ids: &g });
        let dec = evaluate(&request(&p, &d, u, AuthorizationCode, Some(&want))).unwrap();
        assert_eq!(dec.rule_id, "r100-10");
        let err = evaluate(&request(&p, &d, user("u"), AuthorizationCode, Some(&want))).unwrap_err();
        assert_eq!(err.policies().len(), 100);
        assert_eq!(err.policies()[0].policy_id, "p1");
    }

    #[test]
    fn denials_and_grants_are_recorded_as_events_that_say_why() {
        // Seed 000 / 003: "Always start with the System Log" — the event names the reason, the
        // policy and rule tried, and the scopes that were denied.
        let d = defs();
        let want = strings(&["car:drive", "car:park"]);
        let p = [policy(
            "00pcars",
            1,
            &[ALL_CLIENTS],
            vec![rule("0prdrive", 1, ALL_GRANTS, &[EVERYONE], &["car:drive"])],
        )];
        let req = request(&p, &d, user("00ualice"), AuthorizationCode, Some(&want));
        let denial = evaluate(&req).unwrap_err();
        let event = denial.event(&req, time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(event.outcome.result, crate::event::OutcomeResult::Failure);
        assert_eq!(event.reason_code(), Some("scope_denied"));
        assert_eq!(
            event.outcome.reason.as_deref(),
            Some("Some of the requested scopes were denied by the policy. Denied scopes: [car:park].")
        );
        assert_eq!(event.actor.as_ref().map(|a| a.id.as_str()), Some("00ualice"));
        let data = serde_json::to_value(&event.debug_context.debug_data).unwrap();
        assert_eq!(data["grantType"], "authorization_code");
        assert_eq!(data["requestedScopes"], serde_json::json!(["car:drive", "car:park"]));
        let trace = &data["denial"]["policies"][0];
        assert_eq!(
            trace["policy_id"].as_str().or(trace["policyId"].as_str()),
            Some("00pcars"),
            "{trace}"
        );
        let rendered = data["denial"].to_string();
        assert!(
            rendered.contains("0prdrive") && rendered.contains("car:park"),
            "{rendered}"
        );

        let ok = strings(&["car:drive"]);
        let req = request(&p, &d, user("00ualice"), AuthorizationCode, Some(&ok));
        let event = evaluate(&req).unwrap().event(&req, time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(event.outcome.result, crate::event::OutcomeResult::Success);
        let targets: Vec<&str> = event.target.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(targets, ["00pcars", "0prdrive"]);
    }

    /// The parts the token path records a decision with describe the event `Decision::event`
    /// builds, with the server as a last target; with and without requested scopes and a user.
    #[test]
    fn a_decision_described_as_parts_is_its_event() {
        let d = defs();
        let p = [policy(
            "00pcars",
            1,
            &[ALL_CLIENTS],
            vec![rule("0prdrive", 1, ALL_GRANTS, &[EVERYONE], &["car:drive", "api:read"])],
        )];
        let want = strings(&["car:drive"]);
        let now = time::OffsetDateTime::UNIX_EPOCH;
        for req in [
            request(&p, &d, user("00ualice"), AuthorizationCode, Some(&want)),
            request(&p, &d, None, ClientCredentials, None),
        ] {
            let decision = evaluate(&req).unwrap();
            let mut described = None;
            decision.with_parts(&req, now, Some("default"), |event| described = Some(event.to_event()));
            let expected = decision
                .unnumbered_event(&req, now)
                .with_target(crate::event::Entity::new("AuthorizationServer", "default"));
            assert_eq!(described, Some(expected));
        }
    }
}

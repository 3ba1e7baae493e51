//! A server's policies indexed once for evaluation: which rules a client, a grant type, each
//! scope, each user and each group admit, as bit sets over the rules in evaluation order, and the
//! table of ids and names a denial's trace is rendered from.
//!
//! [`PolicyIndex::evaluate`] gives exactly what [`evaluate`](super::evaluate) gives. For a
//! decision, the index only rules out rules that would fail on their status, their policy's
//! status or client condition, their grant type or a requested scope (and, after a few
//! candidates failed, on the people condition); every remaining candidate, in evaluation order,
//! goes through the same rule check. A denial is explained with the same bit sets: the first
//! condition each rule fails on, in the order the rule check tests them, is a set operation, and
//! only rules excluding one of the user's groups or failing on scopes are looked at one by one.
//! A property test checks both against the linear evaluation.

use std::collections::HashMap;
use std::iter;
use std::sync::Arc;

use crate::model::{ALL_CLIENTS, ClientCondition, EVERYONE, GrantType, PeopleCondition, Rule, is_oidc_scope};

use super::bits::Bits;
use super::compact::{CompactTrace, NameTable};
use super::decision::Decision;
use super::denial::Denial;
use super::evaluate::{ScopeSet, decide, resolve_scopes, rule_miss};
use super::request::{PolicyRequest, PolicyWithRules, UserContext};

/// How many candidate rules are checked one by one before the people condition narrows the rest
/// as a set (which costs a lookup per group of the user).
const CHECKS_BEFORE_PEOPLE_SETS: usize = 8;

/// A server's policies and rules in evaluation order, which of them a client, a grant type, a
/// scope, a user and a group admit, and their names for denial traces. Build it once per
/// configuration revision.
#[derive(Debug, Clone, Default)]
pub struct PolicyIndex {
    /// Every policy and rule in evaluation order (bit `i` of a rule set is `names.rules()[i]`).
    names: Arc<NameTable>,
    /// How many rules each policy had, to recognise the lists the index was built from.
    shape: Vec<usize>,
    /// Policies (by evaluation position) that are `ACTIVE`.
    active_policies: Bits,
    /// Policies that are `INACTIVE`.
    inactive_policies: Bits,
    /// The client conditions of the policies.
    policy_clients: ClientSets,
    /// The client conditions of the rules' policies (rules of active policies only).
    rule_clients: ClientSets,
    /// `INACTIVE` rules of active policies.
    inactive_rules: Bits,
    /// Active rules of active policies admitting each grant type.
    grant_types: Vec<(GrantType, Bits)>,
    /// Active rules of active policies admitting every scope (no scope condition, or `*`).
    every_scope: Bits,
    /// Active rules of active policies admitting a scope by name.
    scopes: HashMap<String, Bits>,
    /// The people conditions of the rules of active policies.
    people: PeopleSets,
}

impl PolicyIndex {
    /// Indexes `policies` (a server's policies with their rules, in any order).
    pub fn new(policies: &[PolicyWithRules]) -> Self {
        let names = NameTable::new(policies);
        let empty_policies = Bits::new(names.policies().len());
        let empty = Bits::new(names.rules().len());
        let mut index = Self {
            names: Arc::default(),
            shape: policies.iter().map(|entry| entry.rules.len()).collect(),
            active_policies: empty_policies.clone(),
            inactive_policies: empty_policies.clone(),
            policy_clients: ClientSets::new(&empty_policies),
            rule_clients: ClientSets::new(&empty),
            inactive_rules: empty.clone(),
            grant_types: GrantType::ALL.iter().map(|&grant| (grant, empty.clone())).collect(),
            every_scope: empty.clone(),
            scopes: HashMap::new(),
            people: PeopleSets::new(&empty),
        };
        for (position, named) in names.policies().iter().enumerate() {
            let Some(entry) = policies.get(named.listed) else {
                continue;
            };
            let clients = entry.policy.client_condition();
            index.policy_clients.add(position, clients);
            if !entry.policy.status.is_active() {
                index.inactive_policies.set(position);
                continue;
            }
            index.active_policies.set(position);
            for bit in named.rules.clone() {
                let Some(rule) = names.rules().get(bit).and_then(|r| entry.rules.get(r.listed)) else {
                    continue;
                };
                index.rule_clients.add(bit, clients);
                index.people.add(bit, rule.conditions.people.as_ref());
                if rule.status.is_active() {
                    index.add_active_rule(bit, rule, &empty);
                } else {
                    index.inactive_rules.set(bit);
                }
            }
        }
        index.names = Arc::new(names);
        index
    }

    /// Indexes the grant types and scopes of an active rule of an active policy.
    fn add_active_rule(&mut self, bit: usize, rule: &Rule, empty: &Bits) {
        for (grant, bits) in &mut self.grant_types {
            if rule.conditions.grant_types.as_ref().is_none_or(|g| g.allows(*grant)) {
                bits.set(bit);
            }
        }
        match &rule.conditions.scopes {
            Some(scopes) if !scopes.allows_all() => {
                for scope in &scopes.include {
                    self.scopes
                        .entry(scope.clone())
                        .or_insert_with(|| empty.clone())
                        .set(bit);
                }
            }
            _ => self.every_scope.set(bit),
        }
    }

    /// Evaluates `request` as [`evaluate`](super::evaluate) does, with the same decision or the
    /// same denial and trace. `request.policies` should be the list the index was built from; for
    /// any other list this falls back to [`evaluate`](super::evaluate).
    pub fn evaluate<'a>(&self, request: &PolicyRequest<'a>) -> Result<Decision<'a>, Denial> {
        let fits = request.policies.len() == self.shape.len()
            && request
                .policies
                .iter()
                .zip(&self.shape)
                .all(|(entry, &rules)| entry.rules.len() == rules);
        if !fits {
            return super::evaluate(request);
        }
        let set = resolve_scopes(request).map_err(Denial::new)?;
        let Some(granting) = self.granting(request.grant_type) else {
            return super::evaluate(request);
        };
        let mut candidates = self.rule_clients.admitting(request.client_id);
        candidates.and(granting);
        for scope in set.explicit.iter().filter(|scope| !is_oidc_scope(scope)) {
            candidates.and_either(&self.every_scope, self.scopes.get(*scope));
        }
        let mut people = None;
        let mut checked = 0;
        let mut next = candidates.next_from(0);
        while let Some(bit) = next {
            if let Some((entry, rule)) = self.rule_at(request.policies, bit) {
                if rule_miss(rule, request, &set).is_none() {
                    return Ok(decide(&entry.policy, rule, set));
                }
            }
            checked += 1;
            if checked == CHECKS_BEFORE_PEOPLE_SETS {
                if let Some(user) = request.user {
                    let found = self.people.of(user);
                    candidates.and(&found.admitted());
                    people = Some(found);
                }
            }
            next = candidates.next_from(bit + 1);
        }
        Err(self.explain(request, &set, granting, people))
    }

    /// The active rules admitting `grant`.
    fn granting(&self, grant: GrantType) -> Option<&Bits> {
        self.grant_types
            .iter()
            .find(|(admitted, _)| *admitted == grant)
            .map(|(_, bits)| bits)
    }

    /// The policy and rule at position `bit` of the rule sets, in `policies` (the list the index
    /// was built from).
    fn rule_at<'a>(&self, policies: &'a [PolicyWithRules], bit: usize) -> Option<(&'a PolicyWithRules, &'a Rule)> {
        let named = self.names.rules().get(bit)?;
        let entry = policies.get(named.policy)?;
        Some((entry, entry.rules.get(named.listed)?))
    }

    /// The denial of a request no rule matched, with the trace `explain` in `evaluate.rs` gives,
    /// found with set operations in the order of `rule_miss`. `granting` are the rules admitting
    /// the request's grant type, `people` the people sets of its user when already looked up.
    fn explain(
        &self,
        request: &PolicyRequest<'_>,
        set: &ScopeSet<'_>,
        granting: &Bits,
        people: Option<UserRules>,
    ) -> Denial {
        let client = request.client_id;
        let mut trace = CompactTrace::new(Arc::clone(&self.names), request.grant_type, set.named());
        trace.inactive_policies.clone_from(&self.inactive_policies);
        let including = self.policy_clients.including(client);
        trace.client_not_included = self.active_policies.without(&including);
        if let Some(excluding) = self.policy_clients.excluding(client) {
            trace.client_excluded = self.active_policies.with(&including).with(excluding);
        }

        let mut live = self.rule_clients.admitting(client);
        trace.rules.inactive = live.with(&self.inactive_rules);
        live.and_not(&self.inactive_rules);
        trace.rules.grant_type = live.without(granting);
        live.and(granting);
        if let Some(user) = request.user {
            let found = people.unwrap_or_else(|| self.people.of(user));
            trace.rules.user_excluded = live.with(&found.user_excluded);
            live.and_not(&found.user_excluded);
            let group_excluded = live.with(&found.group_excluded);
            live.and_not(&found.group_excluded);
            for bit in group_excluded.ones() {
                let group = self
                    .rule_at(request.policies, bit)
                    .and_then(|(_, rule)| rule.conditions.people.as_ref())
                    .and_then(|people| people.excluded_group(user.group_ids));
                if let Some(group) = group {
                    trace.exclude_group(bit, group);
                }
            }
            trace.rules.not_included = live.without(&found.included);
            live.and(&found.included);
        }
        // What passed so far failed on scopes: a rule passing them too would have matched.
        trace.deny_scopes_of(live, |scope, rules| {
            if is_oidc_scope(scope) {
                rules.clear();
            } else {
                rules.and_not(&self.every_scope);
                if let Some(named) = self.scopes.get(scope) {
                    rules.and_not(named);
                }
            }
        });
        trace.into_denial()
    }
}

/// Positions (policies, or rules by their policy) by client condition.
#[derive(Debug, Clone, Default)]
struct ClientSets {
    /// Without a client condition, or including `ALL_CLIENTS`.
    every: Bits,
    /// Including a client by id.
    included: HashMap<String, Bits>,
    /// Excluding a client.
    excluded: HashMap<String, Bits>,
}

impl ClientSets {
    fn new(empty: &Bits) -> Self {
        Self {
            every: empty.clone(),
            included: HashMap::new(),
            excluded: HashMap::new(),
        }
    }

    fn add(&mut self, bit: usize, condition: Option<&ClientCondition>) {
        let Some(clients) = condition else {
            self.every.set(bit);
            return;
        };
        let empty = self.every.empty_like();
        for client in &clients.include {
            if client == ALL_CLIENTS {
                self.every.set(bit);
            } else {
                self.included
                    .entry(client.clone())
                    .or_insert_with(|| empty.clone())
                    .set(bit);
            }
        }
        for client in &clients.exclude {
            self.excluded
                .entry(client.clone())
                .or_insert_with(|| empty.clone())
                .set(bit);
        }
    }

    /// The positions whose condition includes `client` (excluded or not).
    fn including(&self, client: &str) -> Bits {
        let mut including = self.every.clone();
        if let Some(included) = self.included.get(client) {
            including.or(included);
        }
        including
    }

    /// The positions whose condition excludes `client`.
    fn excluding(&self, client: &str) -> Option<&Bits> {
        self.excluded.get(client)
    }

    /// The positions whose condition admits `client`: included and not excluded.
    fn admitting(&self, client: &str) -> Bits {
        let mut admitting = self.including(client);
        if let Some(excluded) = self.excluding(client) {
            admitting.and_not(excluded);
        }
        admitting
    }
}

/// Rules by people condition.
#[derive(Debug, Clone, Default)]
struct PeopleSets {
    /// Without a people condition: every user passes.
    unrestricted: Bits,
    /// Including or excluding a user by id.
    users: HashMap<String, Membership>,
    /// Including or excluding a group by id (or `EVERYONE`).
    groups: HashMap<String, Membership>,
}

/// The rules whose people condition names a user or a group, in `include` or in `exclude`.
#[derive(Debug, Clone)]
struct Membership {
    included: Bits,
    excluded: Bits,
}

/// What the people conditions say of one user, as in `people_miss`: the rules excluding them,
/// the rules excluding one of their groups, and the rules including them (directly, through a
/// group or `EVERYONE`, or having no people condition).
#[derive(Debug)]
struct UserRules {
    user_excluded: Bits,
    group_excluded: Bits,
    included: Bits,
}

impl UserRules {
    /// The rules whose people condition the user passes.
    fn admitted(&self) -> Bits {
        let mut admitted = self.included.without(&self.user_excluded);
        admitted.and_not(&self.group_excluded);
        admitted
    }
}

impl PeopleSets {
    fn new(empty: &Bits) -> Self {
        Self {
            unrestricted: empty.clone(),
            users: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    fn add(&mut self, bit: usize, condition: Option<&PeopleCondition>) {
        let Some(people) = condition else {
            self.unrestricted.set(bit);
            return;
        };
        let empty = self.unrestricted.empty_like();
        let name = |map: &mut HashMap<String, Membership>, id: &String, excluded: bool| {
            let membership = map.entry(id.clone()).or_insert_with(|| Membership {
                included: empty.clone(),
                excluded: empty.clone(),
            });
            if excluded {
                membership.excluded.set(bit);
            } else {
                membership.included.set(bit);
            }
        };
        for (map, ids) in [(&mut self.users, &people.users), (&mut self.groups, &people.groups)] {
            ids.include.iter().for_each(|id| name(map, id, false));
            ids.exclude.iter().for_each(|id| name(map, id, true));
        }
    }

    /// What the people conditions say of `user`: a lookup for the user and one for each of
    /// their groups and `EVERYONE`.
    fn of(&self, user: UserContext<'_>) -> UserRules {
        let empty = self.unrestricted.empty_like();
        let mut found = UserRules {
            user_excluded: empty.clone(),
            group_excluded: empty,
            included: self.unrestricted.clone(),
        };
        if let Some(membership) = self.users.get(user.id) {
            found.included.or(&membership.included);
            found.user_excluded.or(&membership.excluded);
        }
        let groups = iter::once(EVERYONE).chain(user.group_ids.iter().map(String::as_str));
        for membership in groups.filter_map(|group| self.groups.get(group)) {
            found.included.or(&membership.included);
            found.group_excluded.or(&membership.excluded);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Policy, Scope};
    use crate::policy::PolicyOutcome;

    fn rule(id: &str, priority: Option<u32>, status: &str, conditions: serde_json::Value) -> Rule {
        serde_json::from_value(json!({
            "type": "RESOURCE_ACCESS", "id": id, "name": format!("{id} \"name\" é"), "status": status,
            "priority": priority, "conditions": conditions,
        }))
        .expect("a rule")
    }

    fn policy(
        id: &str,
        priority: Option<u32>,
        status: &str,
        clients: Option<serde_json::Value>,
        rules: Vec<Rule>,
    ) -> PolicyWithRules {
        let mut policy = json!({"id": id, "name": format!("{id} name"), "status": status, "priority": priority});
        if let Some(clients) = clients {
            policy["conditions"] = json!({ "clients": clients });
        }
        PolicyWithRules {
            policy: serde_json::from_value::<Policy>(policy).expect("a policy"),
            rules,
        }
    }

    /// A configuration with a policy or rule failing on each condition the trace can name.
    fn every_failure() -> Vec<PolicyWithRules> {
        let everyone = json!({"groups": {"include": ["EVERYONE"]}});
        let scopes = |names: &[&str]| json!({"people": everyone, "scopes": {"include": names}});
        vec![
            policy("00pnoclients", None, "ACTIVE", None, vec![]),
            policy(
                "00pinactive",
                Some(1),
                "INACTIVE",
                None,
                vec![rule("0prunder-inactive", Some(1), "ACTIVE", json!({}))],
            ),
            policy(
                "00pother",
                Some(2),
                "ACTIVE",
                Some(json!({"include": ["0oaother"]})),
                vec![],
            ),
            policy(
                "00pexcluding",
                Some(3),
                "ACTIVE",
                Some(json!({"include": ["ALL_CLIENTS"], "exclude": ["0oaclient"]})),
                vec![rule("0prunder-excluding", Some(1), "ACTIVE", json!({}))],
            ),
            policy(
                "00prules",
                Some(4),
                "ACTIVE",
                Some(json!({"include": ["0oaclient"]})),
                vec![
                    rule("0prunset", None, "ACTIVE", json!({"scopes": {"include": ["car:park"]}})),
                    rule("0prinactive", Some(1), "INACTIVE", json!({})),
                    rule(
                        "0primplicit",
                        Some(2),
                        "ACTIVE",
                        json!({"grantTypes": {"include": ["implicit"]}}),
                    ),
                    rule(
                        "0pruser",
                        Some(3),
                        "ACTIVE",
                        json!({"people": {"users": {"exclude": ["00ualice"]}, "groups": {"include": ["EVERYONE"]}}}),
                    ),
                    rule(
                        "0prgroup",
                        Some(4),
                        "ACTIVE",
                        json!({"people": {"groups": {"include": ["EVERYONE"], "exclude": ["00gnone", "00gstaff", "00gcontractors"]}}}),
                    ),
                    rule(
                        "0pradmins",
                        Some(5),
                        "ACTIVE",
                        json!({"people": {"groups": {"include": ["00gadmins"]}}}),
                    ),
                    rule("0prdrive", Some(6), "ACTIVE", scopes(&["car:drive", "openid"])),
                    rule("0prwash", Some(7), "ACTIVE", scopes(&["car:wash"])),
                ],
            ),
        ]
    }

    fn defined_scopes() -> Vec<Scope> {
        ["car:drive", "car:park", "car:wash"]
            .iter()
            .map(|name| Scope::named(*name))
            .collect()
    }

    /// The event log's record of a denial is unchanged by the compact trace: byte for byte what
    /// the trace of owned `PolicyTrace`s serialized to, from the index and from the linear pass.
    #[test]
    fn a_denial_serializes_byte_for_byte_as_before() {
        let policies = every_failure();
        let scopes = defined_scopes();
        let groups = vec!["00gcontractors".to_owned(), "00gstaff".to_owned()];
        let requested = vec!["openid".to_owned(), "car:drive".to_owned(), "car:park".to_owned()];
        let request = PolicyRequest {
            policies: &policies,
            scopes: &scopes,
            client_id: "0oaclient",
            user: Some(UserContext {
                id: "00ualice",
                group_ids: &groups,
            }),
            grant_type: GrantType::AuthorizationCode,
            requested_scopes: Some(&requested),
        };
        let index = PolicyIndex::new(&policies);
        let denial = index.evaluate(&request).expect_err("denied");
        let indexed = serde_json::to_string(&denial).unwrap();
        let linear = serde_json::to_string(&super::super::evaluate(&request).expect_err("denied")).unwrap();
        assert_eq!(indexed, linear);
        assert_eq!(indexed, PINNED);
        let rendered = serde_json::to_string(&denial.policies()).unwrap();
        assert!(indexed.ends_with(&format!("\"policies\":{rendered}}}")), "{rendered}");
    }

    /// More candidates fail on people than the index checks one by one, so it narrows the rest
    /// by the people sets: the decision and the denial are the linear evaluation's.
    #[test]
    fn many_rules_failing_on_people_decide_and_deny_as_the_linear_evaluation() {
        let mut rules: Vec<Rule> = (1..=20)
            .map(|r| {
                let people = match r % 3 {
                    0 => json!({"groups": {"include": ["00gadmins"]}}),
                    1 => json!({"users": {"exclude": ["00ualice", "00ubob", "00ucarol"]}, "groups": {"include": ["EVERYONE"]}}),
                    _ => json!({"groups": {"include": ["EVERYONE"], "exclude": ["00gstaff"]}}),
                };
                rule(&format!("0pr{r}"), Some(r), "ACTIVE", json!({ "people": people }))
            })
            .collect();
        rules.push(rule(
            "0prbob",
            Some(21),
            "ACTIVE",
            json!({"people": {"users": {"include": ["00ubob"]}}}),
        ));
        let policies = vec![policy("00p", Some(1), "ACTIVE", None, rules)];
        let scopes = defined_scopes();
        let requested = vec!["car:drive".to_owned()];
        let staff = vec!["00gstaff".to_owned()];
        let index = PolicyIndex::new(&policies);
        for id in ["00ualice", "00ubob", "00ucarol"] {
            let request = PolicyRequest {
                policies: &policies,
                scopes: &scopes,
                client_id: "0oaclient",
                user: Some(UserContext { id, group_ids: &staff }),
                grant_type: GrantType::AuthorizationCode,
                requested_scopes: Some(&requested),
            };
            let (indexed, linear) = (index.evaluate(&request), super::super::evaluate(&request));
            assert_eq!(indexed, linear, "{id}");
            match indexed {
                Ok(decision) => assert_eq!((id, decision.rule_id), ("00ubob", "0prbob")),
                Err(denial) => {
                    assert_eq!(
                        serde_json::to_string(&denial).unwrap(),
                        serde_json::to_string(&linear.unwrap_err()).unwrap()
                    );
                    let policies = denial.policies();
                    let PolicyOutcome::NoRuleMatched { rules } = &policies[0].outcome else {
                        panic!("{policies:?}");
                    };
                    assert_eq!(rules.len(), 21, "{id}");
                }
            }
        }
    }

    /// What the trace serialized to before it was kept compact.
    const PINNED: &str = r#"{"error":"access_denied","error_description":"Some of the requested scopes were denied by the policy. Denied scopes: [car:park].","reason":"scope_denied","denied":["car:park"],"policies":[{"policy_id":"00pinactive","policy_name":"00pinactive name","priority":1,"outcome":"inactive"},{"policy_id":"00pother","policy_name":"00pother name","priority":2,"outcome":"client_not_included"},{"policy_id":"00pexcluding","policy_name":"00pexcluding name","priority":3,"outcome":"client_excluded"},{"policy_id":"00prules","policy_name":"00prules name","priority":4,"outcome":"no_rule_matched","rules":[{"rule_id":"0prinactive","rule_name":"0prinactive \"name\" é","priority":1,"failed":{"condition":"inactive"}},{"rule_id":"0primplicit","rule_name":"0primplicit \"name\" é","priority":2,"failed":{"condition":"grant_type","grant_type":"authorization_code"}},{"rule_id":"0pruser","rule_name":"0pruser \"name\" é","priority":3,"failed":{"condition":"people","reason":{"kind":"user_excluded"}}},{"rule_id":"0prgroup","rule_name":"0prgroup \"name\" é","priority":4,"failed":{"condition":"people","reason":{"kind":"group_excluded","group_id":"00gstaff"}}},{"rule_id":"0pradmins","rule_name":"0pradmins \"name\" é","priority":5,"failed":{"condition":"people","reason":{"kind":"not_included"}}},{"rule_id":"0prdrive","rule_name":"0prdrive \"name\" é","priority":6,"failed":{"condition":"scopes","denied":["car:park"]}},{"rule_id":"0prwash","rule_name":"0prwash \"name\" é","priority":7,"failed":{"condition":"scopes","denied":["car:drive","car:park"]}},{"rule_id":"0prunset","rule_name":"0prunset \"name\" é","priority":null,"failed":{"condition":"scopes","denied":["car:drive"]}}]},{"policy_id":"00pnoclients","policy_name":"00pnoclients name","priority":null,"outcome":"no_rule_matched","rules":[]}]}"#;
}

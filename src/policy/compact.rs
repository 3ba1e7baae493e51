//! A denial's trace kept compact: which policies and rules failed on what, as sets of positions
//! in evaluation order, with the ids and names in a shared [`NameTable`] read only when the trace
//! is rendered as [`PolicyTrace`]s ([`Denial::policies`](super::Denial::policies)) or serialized
//! for the event log (through borrowed views, without copying them). Recording a denial copies no
//! id or name.

use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use crate::model::GrantType;

use super::bits::Bits;
use super::denial::{Denial, DenialKind};
use super::evaluate::{ordered, priority_order};
use super::request::PolicyWithRules;
use super::trace::{PeopleFailure, PolicyOutcome, PolicyTrace, RuleFailure, RuleTrace};

/// The policies and rules of a configuration in evaluation order, with what a trace names them
/// by. Built once per configuration revision by [`PolicyIndex`](super::PolicyIndex).
#[derive(Debug, Default)]
pub(super) struct NameTable {
    policies: Vec<PolicyName>,
    rules: Vec<RuleName>,
}

/// A policy's place in the configuration and in evaluation order, and its names.
#[derive(Debug)]
pub(super) struct PolicyName {
    /// Its position in the configuration's list.
    pub(super) listed: usize,
    /// Its rules' positions in [`NameTable::rules`].
    pub(super) rules: Range<usize>,
    names: Names,
}

/// A rule's place in its policy's list, and its names.
#[derive(Debug)]
pub(super) struct RuleName {
    /// Its policy's position in the configuration's list.
    pub(super) policy: usize,
    /// Its position in the policy's rule list.
    pub(super) listed: usize,
    names: Names,
}

#[derive(Debug)]
struct Names {
    id: String,
    name: String,
    priority: Option<u32>,
}

impl NameTable {
    /// Every policy of `policies` and every rule, in evaluation order.
    pub(super) fn new(policies: &[PolicyWithRules]) -> Self {
        let mut table = Self {
            policies: Vec::with_capacity(policies.len()),
            rules: Vec::with_capacity(policies.iter().map(|entry| entry.rules.len()).sum()),
        };
        let policy_order = priority_order(policies, |p| p.policy.priority);
        for listed in ordered(policies.len(), policy_order.as_deref()) {
            let Some(entry) = policies.get(listed) else {
                continue;
            };
            let start = table.rules.len();
            let rule_order = priority_order(&entry.rules, |r| r.priority);
            for position in ordered(entry.rules.len(), rule_order.as_deref()) {
                let Some(rule) = entry.rules.get(position) else {
                    continue;
                };
                table.rules.push(RuleName {
                    policy: listed,
                    listed: position,
                    names: Names {
                        id: rule.id.clone(),
                        name: rule.name.clone(),
                        priority: rule.priority,
                    },
                });
            }
            table.policies.push(PolicyName {
                listed,
                rules: start..table.rules.len(),
                names: Names {
                    id: entry.policy.id.clone(),
                    name: entry.policy.name.clone(),
                    priority: entry.policy.priority,
                },
            });
        }
        table
    }

    /// The policies in evaluation order.
    pub(super) fn policies(&self) -> &[PolicyName] {
        &self.policies
    }

    /// Every rule, in evaluation order (each policy's rules in a row).
    pub(super) fn rules(&self) -> &[RuleName] {
        &self.rules
    }
}

/// Rules (by position in [`NameTable::rules`]) by the first condition they failed on, checked in
/// the order of `rule_miss`: status, grant type, people (user excluded, a group excluded, not
/// included), scopes. Only the rules of policies whose rules were tried are in any set.
#[derive(Debug, Clone)]
pub(super) struct RuleFailures {
    pub(super) inactive: Bits,
    pub(super) grant_type: Bits,
    pub(super) user_excluded: Bits,
    group_excluded: Bits,
    pub(super) not_included: Bits,
    scopes: Bits,
}

/// Why no policy produced a decision, by position in evaluation order. Build it with
/// [`new`](Self::new) and the recording methods, then make it a [`Denial`] with
/// [`into_denial`](Self::into_denial).
#[derive(Debug, Clone)]
pub(super) struct CompactTrace {
    names: Arc<NameTable>,
    grant_type: GrantType,
    /// Policies that are `INACTIVE`.
    pub(super) inactive_policies: Bits,
    /// Active policies whose client condition does not include the client.
    pub(super) client_not_included: Bits,
    /// Active policies including the client whose client condition excludes it.
    pub(super) client_excluded: Bits,
    /// Rules of the other policies, by the condition they failed on.
    pub(super) rules: RuleFailures,
    /// (rule, index in `excluded_groups`) of every rule in `rules.group_excluded`, by rule.
    group_exclusions: Vec<(usize, usize)>,
    /// The distinct groups of `group_exclusions`.
    excluded_groups: Vec<String>,
    /// The scopes a scope failure is about: the requested ones, or the defaults when none was.
    scopes: Vec<String>,
    /// For each of `scopes`, the scope-failed rules that do not admit it.
    not_admitted: Vec<Bits>,
}

impl CompactTrace {
    /// An empty trace over the policies and rules of `names`, for a request evaluated with
    /// `grant_type` for `scopes` (what a scope failure names).
    pub(super) fn new(names: Arc<NameTable>, grant_type: GrantType, scopes: &[&str]) -> Self {
        let policies = Bits::new(names.policies.len());
        let rules = Bits::new(names.rules.len());
        Self {
            grant_type,
            inactive_policies: policies.clone(),
            client_not_included: policies.clone(),
            client_excluded: policies,
            rules: RuleFailures {
                inactive: rules.clone(),
                grant_type: rules.clone(),
                user_excluded: rules.clone(),
                group_excluded: rules.clone(),
                not_included: rules.clone(),
                scopes: rules.clone(),
            },
            group_exclusions: Vec::new(),
            excluded_groups: Vec::new(),
            scopes: scopes.iter().map(|&scope| scope.to_owned()).collect(),
            not_admitted: vec![rules; scopes.len()],
            names,
        }
    }

    /// Records that rule `rule` failed because the user is in `group`, which it excludes. Call
    /// it in evaluation order.
    pub(super) fn exclude_group(&mut self, rule: usize, group: &str) {
        let known = self.excluded_groups.iter().position(|known| known == group);
        let index = known.unwrap_or_else(|| {
            self.excluded_groups.push(group.to_owned());
            self.excluded_groups.len() - 1
        });
        self.rules.group_excluded.set(rule);
        self.group_exclusions.push((rule, index));
    }

    /// Records that rule `rule` failed on scopes, `admits` saying whether it admits a scope.
    pub(super) fn deny_scopes(&mut self, rule: usize, admits: impl Fn(&str) -> bool) {
        self.rules.scopes.set(rule);
        for (scope, not_admitted) in self.scopes.iter().zip(&mut self.not_admitted) {
            if !admits(scope) {
                not_admitted.set(rule);
            }
        }
    }

    /// Records that the rules of `failed` failed on scopes, `drop_admitting(scope, rules)`
    /// taking the rules that admit a scope out of `rules`.
    pub(super) fn deny_scopes_of(&mut self, failed: Bits, drop_admitting: impl Fn(&str, &mut Bits)) {
        for (scope, not_admitted) in self.scopes.iter().zip(&mut self.not_admitted) {
            not_admitted.clone_from(&failed);
            drop_admitting(scope, not_admitted);
        }
        self.rules.scopes = failed;
    }

    /// The denial: `scope_denied` or `no_scope_allowed` named by the first rule that failed on
    /// scopes only, else `no_matching_policy`.
    pub(super) fn into_denial(self) -> Denial {
        let kind = match self.rules.scopes.next_from(0) {
            Some(rule) => {
                let denied: Vec<String> = self.denied_scopes(rule).map(str::to_owned).collect();
                if denied.len() >= self.scopes.len() {
                    DenialKind::NoScopeAllowed { denied }
                } else {
                    DenialKind::ScopeDenied { denied }
                }
            }
            None => DenialKind::NoMatchingPolicy,
        };
        Denial::traced(kind, self)
    }

    /// The scopes that `rule`, which failed on scopes, does not admit.
    fn denied_scopes(&self, rule: usize) -> impl Iterator<Item = &str> + '_ {
        self.scopes
            .iter()
            .zip(&self.not_admitted)
            .filter(move |(_, not_admitted)| not_admitted.contains(rule))
            .map(|(scope, _)| scope.as_str())
    }

    /// Every policy in evaluation order, with why it did not apply, borrowing the names.
    pub(super) fn policies(&self) -> impl ExactSizeIterator<Item = PolicyView<'_>> + '_ {
        self.policies_within(usize::MAX)
    }

    /// The first `limit` policies in evaluation order, each with at most `limit` rules and denied
    /// scopes: what an event keeps of the trace (its lists are cut to the event bounds anyway).
    pub(super) fn policies_within(&self, limit: usize) -> impl ExactSizeIterator<Item = PolicyView<'_>> + '_ {
        self.names
            .policies
            .iter()
            .take(limit)
            .enumerate()
            .map(move |(position, policy)| PolicyView {
                policy_id: &policy.names.id,
                policy_name: &policy.names.name,
                priority: policy.names.priority,
                outcome: self.outcome(position, policy, limit),
            })
    }

    fn outcome(&self, position: usize, policy: &PolicyName, limit: usize) -> OutcomeView<'_> {
        if self.inactive_policies.contains(position) {
            OutcomeView::Inactive
        } else if self.client_not_included.contains(position) {
            OutcomeView::ClientNotIncluded
        } else if self.client_excluded.contains(position) {
            OutcomeView::ClientExcluded
        } else {
            OutcomeView::NoRuleMatched {
                rules: RuleViews {
                    trace: self,
                    rules: policy.rules.clone(),
                    limit,
                },
            }
        }
    }

    /// The rules of `rules` that failed, with the condition each failed on.
    fn rules(&self, rules: Range<usize>, limit: usize) -> impl Iterator<Item = RuleView<'_>> + '_ {
        rules.filter_map(move |rule| {
            let names = &self.names.rules.get(rule)?.names;
            Some(RuleView {
                rule_id: &names.id,
                rule_name: &names.name,
                priority: names.priority,
                failed: self.failure(rule, limit)?,
            })
        })
    }

    fn failure(&self, rule: usize, limit: usize) -> Option<FailureView<'_>> {
        let failures = &self.rules;
        let people = |reason| Some(FailureView::People { reason });
        if failures.inactive.contains(rule) {
            Some(FailureView::Inactive)
        } else if failures.grant_type.contains(rule) {
            Some(FailureView::GrantType {
                grant_type: self.grant_type,
            })
        } else if failures.user_excluded.contains(rule) {
            people(PeopleView::UserExcluded)
        } else if failures.group_excluded.contains(rule) {
            let at = self
                .group_exclusions
                .binary_search_by_key(&rule, |&(excluding, _)| excluding)
                .ok()?;
            let group = self
                .group_exclusions
                .get(at)
                .and_then(|&(_, group)| self.excluded_groups.get(group))?;
            people(PeopleView::GroupExcluded { group_id: group })
        } else if failures.not_included.contains(rule) {
            people(PeopleView::NotIncluded)
        } else if failures.scopes.contains(rule) {
            Some(FailureView::Scopes {
                denied: DeniedView {
                    trace: self,
                    rule,
                    limit,
                },
            })
        } else {
            None
        }
    }
}

// Borrowed views of the trace. They serialize exactly as the owned types of `trace.rs` they
// convert into (same fields, same serde attributes); a test pins the JSON and the property test
// compares it with the owned types' over generated configurations.

/// A [`PolicyTrace`] borrowing its names from the trace.
#[derive(Serialize)]
pub(super) struct PolicyView<'a> {
    policy_id: &'a str,
    policy_name: &'a str,
    priority: Option<u32>,
    #[serde(flatten)]
    outcome: OutcomeView<'a>,
}

/// A [`PolicyOutcome`], its rules read from the trace.
#[derive(Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum OutcomeView<'a> {
    Inactive,
    ClientNotIncluded,
    ClientExcluded,
    NoRuleMatched { rules: RuleViews<'a> },
}

/// The rules of a policy, read from the trace when serialized or converted.
struct RuleViews<'a> {
    trace: &'a CompactTrace,
    rules: Range<usize>,
    /// The most rules (and denied scopes per rule) serialized.
    limit: usize,
}

/// A [`RuleTrace`] borrowing its names from the trace.
#[derive(Serialize)]
struct RuleView<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    priority: Option<u32>,
    failed: FailureView<'a>,
}

/// A [`RuleFailure`].
#[derive(Serialize)]
#[serde(tag = "condition", rename_all = "snake_case")]
enum FailureView<'a> {
    Inactive,
    GrantType { grant_type: GrantType },
    People { reason: PeopleView<'a> },
    Scopes { denied: DeniedView<'a> },
}

/// A [`PeopleFailure`].
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum PeopleView<'a> {
    NotIncluded,
    UserExcluded,
    GroupExcluded { group_id: &'a str },
}

/// The scopes a rule that failed on scopes does not admit.
struct DeniedView<'a> {
    trace: &'a CompactTrace,
    rule: usize,
    limit: usize,
}

impl Serialize for RuleViews<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_counted(serializer, || {
            self.trace.rules(self.rules.clone(), self.limit).take(self.limit)
        })
    }
}

impl Serialize for DeniedView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_counted(serializer, || self.trace.denied_scopes(self.rule).take(self.limit))
    }
}

/// Serializes the items of `items()` as a sequence of known length (counted in a first pass), so
/// a serializer building values (`serde_json::to_value`) allocates each array once.
fn serialize_counted<S: Serializer, I: Iterator<Item: Serialize>>(
    serializer: S,
    items: impl Fn() -> I,
) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(items().count()))?;
    for item in items() {
        seq.serialize_element(&item)?;
    }
    seq.end()
}

impl From<PolicyView<'_>> for PolicyTrace {
    fn from(view: PolicyView<'_>) -> Self {
        Self {
            policy_id: view.policy_id.to_owned(),
            policy_name: view.policy_name.to_owned(),
            priority: view.priority,
            outcome: match view.outcome {
                OutcomeView::Inactive => PolicyOutcome::Inactive,
                OutcomeView::ClientNotIncluded => PolicyOutcome::ClientNotIncluded,
                OutcomeView::ClientExcluded => PolicyOutcome::ClientExcluded,
                OutcomeView::NoRuleMatched { rules } => {
                    let mut traces = Vec::with_capacity(rules.rules.len());
                    traces.extend(
                        rules
                            .trace
                            .rules(rules.rules, rules.limit)
                            .take(rules.limit)
                            .map(RuleTrace::from),
                    );
                    PolicyOutcome::NoRuleMatched { rules: traces }
                }
            },
        }
    }
}

impl From<RuleView<'_>> for RuleTrace {
    fn from(view: RuleView<'_>) -> Self {
        let people = |reason| RuleFailure::People { reason };
        Self {
            rule_id: view.rule_id.to_owned(),
            rule_name: view.rule_name.to_owned(),
            priority: view.priority,
            failed: match view.failed {
                FailureView::Inactive => RuleFailure::Inactive,
                FailureView::GrantType { grant_type } => RuleFailure::GrantType { grant_type },
                FailureView::People { reason } => people(match reason {
                    PeopleView::NotIncluded => PeopleFailure::NotIncluded,
                    PeopleView::UserExcluded => PeopleFailure::UserExcluded,
                    PeopleView::GroupExcluded { group_id } => PeopleFailure::GroupExcluded {
                        group_id: group_id.to_owned(),
                    },
                }),
                FailureView::Scopes { denied } => RuleFailure::Scopes {
                    denied: denied
                        .trace
                        .denied_scopes(denied.rule)
                        .take(denied.limit)
                        .map(str::to_owned)
                        .collect(),
                },
            },
        }
    }
}

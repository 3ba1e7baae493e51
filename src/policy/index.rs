//! A server's policies indexed once for evaluation: which rules can apply to a client, a grant
//! type and each scope, as bit sets over the rules in evaluation order.
//!
//! [`PolicyIndex::evaluate`] gives exactly what [`evaluate`](super::evaluate) gives: the index
//! only rules out rules that would fail on their status, their policy's status or client
//! condition, their grant type or a requested scope; every remaining candidate, in evaluation
//! order, goes through the same rule check, and a denial is explained by the same full pass. A
//! request that matches a rule late in a large configuration then costs a few bit operations
//! per requested scope instead of a walk over every rule.

use std::collections::HashMap;

use crate::model::{ALL_CLIENTS, GrantType, is_oidc_scope};

use super::decision::Decision;
use super::denial::Denial;
use super::evaluate::{decide, explain, ordered_rules, resolve_scopes, rule_miss};
use super::request::{PolicyRequest, PolicyWithRules};

/// The active rules of a server's active policies, in evaluation order, and which of them a
/// client, a grant type and a scope admit. Build it once per configuration revision.
#[derive(Debug, Clone, Default)]
pub struct PolicyIndex {
    /// (policy, rule) positions in the lists the index was built from, in evaluation order.
    entries: Vec<(usize, usize)>,
    /// How many rules each policy had, to recognise the lists the index was built from.
    shape: Vec<usize>,
    /// Rules of policies without a client condition or including `ALL_CLIENTS`.
    every_client: Bits,
    /// Rules of policies including a client by id.
    included: HashMap<String, Bits>,
    /// Rules of policies excluding a client.
    excluded: HashMap<String, Bits>,
    /// Rules admitting each grant type.
    grant_types: Vec<(GrantType, Bits)>,
    /// Rules admitting every scope (no scope condition, or `*`).
    every_scope: Bits,
    /// Rules admitting a scope by name.
    scopes: HashMap<String, Bits>,
}

impl PolicyIndex {
    /// Indexes `policies` (a server's policies with their rules, in any order).
    pub fn new(policies: &[PolicyWithRules]) -> Self {
        let entries: Vec<(usize, usize)> = ordered_rules(policies)
            .filter(|&(pi, ri)| {
                let entry = &policies[pi];
                entry.policy.status.is_active() && entry.rules[ri].status.is_active()
            })
            .collect();
        let words = entries.len().div_ceil(64);
        let empty = Bits(vec![0; words]);
        let mut index = Self {
            shape: policies.iter().map(|entry| entry.rules.len()).collect(),
            every_client: empty.clone(),
            included: HashMap::new(),
            excluded: HashMap::new(),
            grant_types: GrantType::ALL.iter().map(|&grant| (grant, empty.clone())).collect(),
            every_scope: empty.clone(),
            scopes: HashMap::new(),
            entries: Vec::new(),
        };
        for (bit, &(pi, ri)) in entries.iter().enumerate() {
            let (policy, rule) = (&policies[pi].policy, &policies[pi].rules[ri]);
            match policy.client_condition() {
                None => index.every_client.set(bit),
                Some(clients) => {
                    for client in &clients.include {
                        if client == ALL_CLIENTS {
                            index.every_client.set(bit);
                        } else {
                            index
                                .included
                                .entry(client.clone())
                                .or_insert_with(|| empty.clone())
                                .set(bit);
                        }
                    }
                    for client in &clients.exclude {
                        index
                            .excluded
                            .entry(client.clone())
                            .or_insert_with(|| empty.clone())
                            .set(bit);
                    }
                }
            }
            for (grant, bits) in &mut index.grant_types {
                if rule.conditions.grant_types.as_ref().is_none_or(|g| g.allows(*grant)) {
                    bits.set(bit);
                }
            }
            match &rule.conditions.scopes {
                Some(scopes) if !scopes.allows_all() => {
                    for scope in &scopes.include {
                        index
                            .scopes
                            .entry(scope.clone())
                            .or_insert_with(|| empty.clone())
                            .set(bit);
                    }
                }
                _ => index.every_scope.set(bit),
            }
        }
        index.entries = entries;
        index
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
        let mut candidates = self.every_client.clone();
        if let Some(included) = self.included.get(request.client_id) {
            candidates.or(included);
        }
        if let Some(excluded) = self.excluded.get(request.client_id) {
            candidates.and_not(excluded);
        }
        match self.grant_types.iter().find(|(grant, _)| *grant == request.grant_type) {
            Some((_, bits)) => candidates.and(bits),
            None => return super::evaluate(request),
        }
        for scope in set.explicit.iter().filter(|scope| !is_oidc_scope(scope)) {
            candidates.and_either(&self.every_scope, self.scopes.get(*scope));
        }
        for bit in candidates.ones() {
            let Some(&(pi, ri)) = self.entries.get(bit) else {
                continue;
            };
            let Some(entry) = request.policies.get(pi) else {
                continue;
            };
            let Some(rule) = entry.rules.get(ri) else {
                continue;
            };
            if rule_miss(rule, request, &set).is_none() {
                return Ok(decide(&entry.policy, rule, set));
            }
        }
        Err(explain(request, &set))
    }
}

/// A set of rule positions.
#[derive(Debug, Clone, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, bit: usize) {
        if let Some(word) = self.0.get_mut(bit / 64) {
            *word |= 1 << (bit % 64);
        }
    }

    fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    fn and_not(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }

    /// Keeps the positions in `every` or in `named`.
    fn and_either(&mut self, every: &Bits, named: Option<&Bits>) {
        for (position, word) in self.0.iter_mut().enumerate() {
            let admitted = every.0.get(position).copied().unwrap_or_default()
                | named
                    .and_then(|named| named.0.get(position))
                    .copied()
                    .unwrap_or_default();
            *word &= admitted;
        }
    }

    /// The positions in the set, in increasing order.
    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(position, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    position * 64 + bit
                })
            })
        })
    }
}

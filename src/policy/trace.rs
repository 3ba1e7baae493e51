//! A machine-readable account of what evaluation tried, recorded on denial.

use serde::{Deserialize, Serialize};

use crate::model::GrantType;

/// One policy as evaluation saw it, in evaluation order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyTrace {
    /// Policy id.
    pub policy_id: String,
    /// Policy name.
    pub policy_name: String,
    /// Policy priority (`None` = unset, evaluated last).
    pub priority: Option<u32>,
    /// Why it did not apply.
    #[serde(flatten)]
    pub outcome: PolicyOutcome,
}

/// Why a policy did not produce a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PolicyOutcome {
    /// The policy is `INACTIVE`.
    Inactive,
    /// The client is not in `conditions.clients.include`.
    ClientNotIncluded,
    /// The client is in `conditions.clients.exclude`.
    ClientExcluded,
    /// The client matched, but none of the rules did (evaluation fell through).
    NoRuleMatched {
        /// Every rule, in evaluation order, with the condition it failed on.
        rules: Vec<RuleTrace>,
    },
}

/// One rule as evaluation saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrace {
    /// Rule id.
    pub rule_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Rule priority (`None` = unset, evaluated last).
    pub priority: Option<u32>,
    /// The first condition the rule failed on (checked in this order: status, grant type,
    /// people, scopes).
    pub failed: RuleFailure,
}

/// The condition a rule failed on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "condition", rename_all = "snake_case")]
pub enum RuleFailure {
    /// The rule is `INACTIVE`.
    Inactive,
    /// The request's grant type is not in `conditions.grantTypes.include`.
    GrantType {
        /// The grant type evaluated (the original grant for refreshes).
        grant_type: GrantType,
    },
    /// The user is not admitted by `conditions.people`.
    People {
        /// How the people condition failed.
        reason: PeopleFailure,
    },
    /// The rule does not cover all requested scopes.
    Scopes {
        /// The requested scopes the rule does not admit.
        denied: Vec<String>,
    },
}

/// How a user failed a people condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PeopleFailure {
    /// Neither the user nor any of their groups is included (and `EVERYONE` is not).
    NotIncluded,
    /// The user is in `people.users.exclude`.
    UserExcluded,
    /// One of the user's groups is in `people.groups.exclude`.
    GroupExcluded {
        /// The excluded group id (or `EVERYONE`).
        group_id: String,
    },
}

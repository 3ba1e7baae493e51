//! The input of policy evaluation: plain data, borrowed.

use serde::{Deserialize, Serialize};

use crate::model::{GrantType, Policy, Rule, Scope};

/// A policy with its rules, as the configuration store hands them out. Neither list needs to be
/// sorted: evaluation orders by `priority` itself (it avoids allocating when the lists already
/// are sorted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyWithRules {
    /// The policy.
    pub policy: Policy,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// The user a request is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserContext<'a> {
    /// The user id (`00u…`), matched against `people.users`.
    pub id: &'a str,
    /// Ids of every group the user belongs to, matched against `people.groups`.
    pub group_ids: &'a [String],
}

/// Everything [`evaluate`](super::evaluate) looks at.
///
/// For a **refresh** (`grant_type=refresh_token`) re-evaluation, set `grant_type` to the grant
/// the refresh token was originally issued through (`authorization_code`, `password`, …), `user`
/// to the token's user with their current groups, and `requested_scopes` to `Some` of the scopes
/// the refresh asks for (the original grant's scopes when the request omits `scope`; never `None`,
/// which would apply default scopes). Check the subset rule first with
/// [`check_refresh_scopes`](super::check_refresh_scopes).
#[derive(Clone, Copy, Debug)]
pub struct PolicyRequest<'a> {
    /// The authorization server's policies with their rules.
    pub policies: &'a [PolicyWithRules],
    /// The authorization server's scope definitions.
    pub scopes: &'a [Scope],
    /// The requesting client's id.
    pub client_id: &'a str,
    /// The user, or `None` for requests without one (client credentials).
    pub user: Option<UserContext<'a>>,
    /// The grant type matched against `conditions.grantTypes` (see the refresh note above).
    pub grant_type: GrantType,
    /// The requested scopes: `None` when the request omitted `scope` (default scopes apply),
    /// `Some(&[])` when it was present but empty. Scope names must already have passed RFC 6749
    /// §3.3 syntax checks at the parsing boundary.
    pub requested_scopes: Option<&'a [String]>,
}

//! Configuration and directory objects as serde types with Okta's JSON shapes.
//!
//! Management objects ([`AuthorizationServer`], [`Policy`], [`Rule`], [`Scope`], [`Claim`])
//! use camelCase, `_links` and Okta's timestamps (`2017-05-17T22:25:57.000Z`, see
//! [`timestamp`]). Directory objects follow Okta's APIs too: [`Client`] in the snake_case shape
//! of `/oauth2/v1/clients`, [`User`] and [`Group`] in the shapes of `/api/v1/users` and
//! `/api/v1/groups`.
//!
//! Conventions:
//! * Enums use Okta's wire spellings; an unknown spelling is a deserialize error.
//! * Read-only fields (`id`, `created`, `lastUpdated`, `_links`) may be absent on input so the same
//!   types read create requests; an empty `id` is omitted on output.
//! * Input is lenient where Okta's own documents disagree (string booleans, a single-string
//!   `audiences`, the rule layout of Okta's 2017 OAuth 2.0 API reference, `groupFilterType`);
//!   output is one canonical shape.
//!   [`rule`] documents the rule layout choice: the current API's `actions.token`.
//! * Nothing here parses claim expressions or evaluates policies: see `crate::expr` and
//!   [`crate::policy`].

pub mod claim;
pub mod client;
pub mod grant_type;
pub mod group;
mod lenient;
pub mod lifetimes;
pub mod policy;
pub mod rule;
pub mod scope;
pub mod server;
pub mod timestamp;
pub mod user;

pub use claim::{Claim, ClaimConditions, ClaimType, ClaimValueType, GroupFilterType};
pub use client::{
    ApplicationType, Client, ClientCreated, ClientRecord, RefreshTokenSettings, RotationType, TokenEndpointAuthMethod,
};
pub use grant_type::{GrantType, ResponseType, UnknownValue};
pub use group::{Group, GroupProfile, GroupType};
pub use lenient::LenientBool;
pub use lifetimes::{LifetimeErrors, LifetimeField, LifetimeViolation};
pub use policy::{ClientCondition, Policy, PolicyConditions, PolicyType};
pub use rule::{
    GrantTypeCondition, IncludeExclude, InlineHookRef, PeopleCondition, Rule, RuleActions, RuleConditions,
    RuleShapeError, RuleType, ScopeCondition, TokenAction,
};
pub use scope::{MetadataPublish, Scope, ScopeConsent};
pub use server::{AuthorizationServer, Credentials, IssuerMode, KeyUse, RotationMode, SigningCredentials};
pub use user::{User, UserProfile, UserStatus};

use serde::{Deserialize, Serialize};

/// HAL `_links` of a management object, kept as JSON (the management layer builds them).
pub type Links = serde_json::Value;

/// The policy client-condition value that matches every client.
pub const ALL_CLIENTS: &str = "ALL_CLIENTS";
/// The rule group-condition value that matches every user.
pub const EVERYONE: &str = "EVERYONE";
/// The rule scope-condition value that admits every scope.
pub const ALL_SCOPES: &str = "*";

/// The OpenID Connect scopes: granted by any matching rule without being defined or listed
/// (Okta's 2017 OAuth 2.0 API reference, "Subtle Behavior").
pub const OIDC_SCOPES: [&str; 6] = [OPENID, "profile", "email", "address", "phone", OFFLINE_ACCESS];
/// The `openid` scope.
pub const OPENID: &str = "openid";
/// The `offline_access` scope (asks for a refresh token).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// Whether `scope` is one of the [`OIDC_SCOPES`].
pub fn is_oidc_scope(scope: &str) -> bool {
    OIDC_SCOPES.contains(&scope)
}

/// `ACTIVE`/`INACTIVE` lifecycle status of servers, policies, rules, claims and clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// In use (the default on create).
    #[default]
    Active,
    /// Disabled: skipped by evaluation.
    Inactive,
}

impl Status {
    /// Whether the status is `ACTIVE`.
    pub const fn is_active(self) -> bool {
        matches!(self, Status::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oidc_scopes_are_the_six_of_seed_003() {
        for s in ["openid", "profile", "email", "address", "phone", "offline_access"] {
            assert!(is_oidc_scope(s), "{s}");
        }
        assert!(!is_oidc_scope("groups"), "groups is not built in (reference §2.4)");
        assert!(!is_oidc_scope("OPENID"));
    }

    #[test]
    fn status_spellings() {
        assert_eq!(serde_json::to_string(&Status::Inactive).unwrap(), "\"INACTIVE\"");
        assert!(serde_json::from_str::<Status>("\"active\"").is_err());
        assert!(Status::default().is_active());
    }
}

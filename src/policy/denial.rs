//! Why evaluation refused a request: Okta's error code and text, and what was tried.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

use super::compact::CompactTrace;
use super::trace::PolicyTrace;
use crate::endpoint::ErrorCode;

/// What was denied, as an entry of Okta's published OAuth 2.0 error codes. Serialized with a
/// `reason` tag holding the catalogue id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DenialKind {
    /// No policy and rule matched client, grant type and user.
    NoMatchingPolicy,
    /// A rule matched client, grant type and user but did not admit these requested scopes.
    ScopeDenied {
        /// The requested scopes the rule does not admit.
        denied: Vec<String>,
    },
    /// A rule matched client, grant type and user but admitted none of the requested scopes.
    NoScopeAllowed {
        /// The requested scopes (all denied).
        denied: Vec<String>,
    },
    /// Some requested scopes are neither defined on the server nor OpenID Connect scopes.
    NoMatchingScope {
        /// The unknown scope names (never echoed in the description).
        unknown: Vec<String>,
    },
    /// `scope` was omitted and the server has no default scopes.
    NoDefaultScopes,
    /// `scope` was present but empty.
    MissingScopes,
    /// `openid` was requested with client credentials.
    OpenidNotAllowedClientCreds,
    /// A refresh asked for scopes the original grant did not have.
    RefreshScopesDenied {
        /// The scopes not in the original grant.
        denied: Vec<String>,
    },
}

impl DenialKind {
    /// The OAuth error code.
    pub const fn error(&self) -> ErrorCode {
        match self {
            Self::NoMatchingPolicy
            | Self::ScopeDenied { .. }
            | Self::NoScopeAllowed { .. }
            | Self::RefreshScopesDenied { .. } => ErrorCode::AccessDenied,
            Self::NoMatchingScope { .. }
            | Self::NoDefaultScopes
            | Self::MissingScopes
            | Self::OpenidNotAllowedClientCreds => ErrorCode::InvalidScope,
        }
    }

    /// Okta's catalogue id (`no_matching_policy`, `scope_denied`, …).
    pub const fn catalogue_id(&self) -> &'static str {
        match self {
            Self::NoMatchingPolicy => "no_matching_policy",
            Self::ScopeDenied { .. } => "scope_denied",
            Self::NoScopeAllowed { .. } => "no_scope_allowed",
            Self::NoMatchingScope { .. } => "no_matching_scope",
            Self::NoDefaultScopes => "no_default_scopes",
            Self::MissingScopes => "missing_scopes",
            Self::OpenidNotAllowedClientCreds => "openid_not_allowed_client_creds",
            Self::RefreshScopesDenied { .. } => "refresh_scopes_denied",
        }
    }

    /// The HTTP status Okta's catalogue gives (401 for `no_matching_policy`, else 400).
    pub const fn http_status(&self) -> u16 {
        match self {
            Self::NoMatchingPolicy => 401,
            _ => 400,
        }
    }

    /// Okta's fixed `error_description`. Only `scope_denied` and `refresh_scopes_denied` insert
    /// scope names (as Okta does); the former only names scopes defined on the server.
    pub fn description(&self) -> Cow<'static, str> {
        match self {
            Self::NoMatchingPolicy => {
                Cow::Borrowed("Policy evaluation failed for this request, please check the policy configurations.")
            }
            Self::ScopeDenied { denied } => Cow::Owned(format!(
                "Some of the requested scopes were denied by the policy. Denied scopes: [{}].",
                denied.join(", ")
            )),
            Self::NoScopeAllowed { .. } => {
                Cow::Borrowed("Policy evaluation succeeded, but all the requested scopes were rejected.")
            }
            Self::NoMatchingScope { .. } => {
                Cow::Borrowed("One or more scopes are not configured for the authorization server resource.")
            }
            Self::NoDefaultScopes => Cow::Borrowed(
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
            ),
            Self::MissingScopes => Cow::Borrowed("No scopes were requested."),
            Self::OpenidNotAllowedClientCreds => {
                Cow::Borrowed("Cannot request 'openid' scopes using client credentials.")
            }
            Self::RefreshScopesDenied { denied } => Cow::Owned(format!(
                "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: {}.",
                denied.join(", ")
            )),
        }
    }
}

/// A refused request: the catalogue entry and the policies that were tried.
///
/// The trace is kept as positions and failure codes, with ids and names read from a table the
/// [`PolicyIndex`](super::PolicyIndex) shares; [`policies`](Self::policies) renders it.
///
/// Serializes (for the structured event log) as
/// `{"error", "error_description", "reason", <reason fields>, "policies": [...]}`.
#[derive(Clone)]
pub struct Denial {
    /// What was denied.
    pub kind: DenialKind,
    trace: Option<Box<CompactTrace>>,
}

impl Denial {
    /// A denial without a policy trace.
    pub fn new(kind: DenialKind) -> Self {
        Self { kind, trace: None }
    }

    /// A denial with the trace of the policies and rules tried.
    pub(super) fn traced(kind: DenialKind, trace: CompactTrace) -> Self {
        Self {
            kind,
            trace: Some(Box::new(trace)),
        }
    }

    /// The OAuth error code.
    pub const fn error(&self) -> ErrorCode {
        self.kind.error()
    }

    /// Okta's `error_description`.
    pub fn description(&self) -> Cow<'static, str> {
        self.kind.description()
    }

    /// Every policy considered, in evaluation order, with why it did not apply; empty when the
    /// request was refused before policies were evaluated (scope syntax-level problems). Built
    /// on each call.
    pub fn policies(&self) -> Vec<PolicyTrace> {
        self.trace
            .as_deref()
            .map_or_else(Vec::new, |trace| trace.policies().map(PolicyTrace::from).collect())
    }
}

/// Two denials are equal when they have the same kind and the same rendered trace.
impl PartialEq for Denial {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.policies() == other.policies()
    }
}

impl Eq for Denial {}

impl fmt::Debug for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Denial")
            .field("kind", &self.kind)
            .field("policies", &self.policies())
            .finish()
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error().as_str(), self.description())
    }
}

impl std::error::Error for Denial {}

impl Serialize for Denial {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_within(serializer, usize::MAX)
    }
}

impl Denial {
    /// Serializes the denial with at most `limit` policies, rules per policy and denied scopes
    /// per rule, in evaluation order.
    fn serialize_within<S: serde::Serializer>(&self, serializer: S, limit: usize) -> Result<S::Ok, S::Error> {
        /// The trace, serialized from borrowed views of it.
        struct Policies<'a>(Option<&'a CompactTrace>, usize);

        impl Serialize for Policies<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let Self(trace, limit) = *self;
                serializer.collect_seq(trace.into_iter().flat_map(|trace| trace.policies_within(limit)))
            }
        }

        #[derive(Serialize)]
        struct Record<'a> {
            error: &'static str,
            error_description: Cow<'static, str>,
            #[serde(flatten)]
            kind: &'a DenialKind,
            policies: Policies<'a>,
        }
        Record {
            error: self.error().as_str(),
            error_description: self.description(),
            kind: &self.kind,
            policies: Policies(self.trace.as_deref(), limit),
        }
        .serialize(serializer)
    }
}

/// A denial as its event records it: serialized as the denial is, with its trace's lists cut
/// to [`MAX_LIST_ITEMS`](crate::event::MAX_LIST_ITEMS) while it is written, so a denial over
/// 100 policies × 10 rules does not build a thousand rule objects for the event to drop.
pub(super) struct EventDetail<'a>(pub(super) &'a Denial);

impl Serialize for EventDetail<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_within(serializer, crate::event::MAX_LIST_ITEMS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn catalogue_texts_match_the_reference() {
        // Reference §2.1 error catalogue [ERRJSON].
        let cases = [
            (
                DenialKind::NoMatchingPolicy,
                "access_denied",
                "Policy evaluation failed for this request, please check the policy configurations.",
            ),
            (
                DenialKind::ScopeDenied {
                    denied: vec!["a".into(), "b".into()],
                },
                "access_denied",
                "Some of the requested scopes were denied by the policy. Denied scopes: [a, b].",
            ),
            (
                DenialKind::NoScopeAllowed { denied: vec![] },
                "access_denied",
                "Policy evaluation succeeded, but all the requested scopes were rejected.",
            ),
            (
                DenialKind::NoMatchingScope {
                    unknown: vec!["<script>".into()],
                },
                "invalid_scope",
                "One or more scopes are not configured for the authorization server resource.",
            ),
            (
                DenialKind::NoDefaultScopes,
                "invalid_scope",
                "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
            ),
            (DenialKind::MissingScopes, "invalid_scope", "No scopes were requested."),
            (
                DenialKind::OpenidNotAllowedClientCreds,
                "invalid_scope",
                "Cannot request 'openid' scopes using client credentials.",
            ),
            (
                DenialKind::RefreshScopesDenied {
                    denied: vec!["c".into()],
                },
                "access_denied",
                "Some of the scopes requested for the refresh request were not granted in the original authorize request. Denied scopes: c.",
            ),
        ];
        for (kind, code, text) in cases {
            assert_eq!(kind.error().as_str(), code, "{kind:?}");
            assert_eq!(kind.description(), text);
        }
        assert_eq!(DenialKind::NoMatchingPolicy.http_status(), 401);
        assert_eq!(DenialKind::MissingScopes.http_status(), 400);
    }

    #[test]
    fn serializes_as_a_structured_event() {
        let d = Denial::new(DenialKind::NoScopeAllowed {
            denied: vec!["car:drive".into()],
        });
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            json!({
                "error": "access_denied",
                "error_description": "Policy evaluation succeeded, but all the requested scopes were rejected.",
                "reason": "no_scope_allowed",
                "denied": ["car:drive"],
                "policies": []
            })
        );
        assert_eq!(
            d.to_string(),
            "access_denied: Policy evaluation succeeded, but all the requested scopes were rejected."
        );
    }

    #[test]
    fn unknown_scopes_are_never_echoed() {
        let k = DenialKind::NoMatchingScope {
            unknown: vec!["evil\"scope".into()],
        };
        assert!(!k.description().contains("evil"));
        assert_eq!(k.catalogue_id(), "no_matching_scope");
    }
}

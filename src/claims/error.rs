//! Claim evaluation failures: the token request fails with the error Okta's published OAuth 2.0
//! error codes give for it, and the failure is recorded as an event naming the claim and the
//! cause.

use time::OffsetDateTime;

use super::compile::CompiledClaim;
use super::group_filter::MAX_GROUPS_IN_CLAIM;
use crate::event::{Event, Severity};
use crate::expr::EvalError;

/// A claim that could not be evaluated, so no token may be minted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("claim '{claim}': {cause}")]
#[non_exhaustive]
pub struct ClaimError {
    /// The claim's name.
    pub claim: String,
    /// Whether it is a system claim (`sub`, or the ID token's subject).
    pub system: bool,
    /// What went wrong.
    pub cause: ClaimErrorCause,
}

/// Why a claim could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimErrorCause {
    /// The expression failed.
    #[error(transparent)]
    Evaluation(EvalError),
    /// A groups claim or group function matched more groups than the limit.
    #[error("matched {found} groups, more than {MAX_GROUPS_IN_CLAIM}")]
    TooManyGroups {
        /// How many matched.
        found: usize,
    },
    /// The `sub` expression did not produce a string.
    #[error("the subject is not a string")]
    NotText,
    /// An ID token or userinfo response was asked for without a user.
    #[error("there is no user")]
    MissingUser,
}

impl ClaimError {
    pub(super) fn new(claim: &CompiledClaim, cause: ClaimErrorCause) -> Self {
        Self {
            claim: claim.name.clone(),
            system: claim.system,
            cause,
        }
    }

    pub(super) fn system(name: &str, cause: ClaimErrorCause) -> Self {
        Self {
            claim: name.to_owned(),
            system: true,
            cause,
        }
    }

    /// The OAuth `error`: `server_error`.
    pub fn error(&self) -> &'static str {
        "server_error"
    }

    /// Okta's catalogue ID: `too_many_groups_in_groups_claim`, `system_claim_evaluation_failure`
    /// or `user_claim_evaluation_failure`.
    pub fn catalogue_id(&self) -> &'static str {
        match (&self.cause, self.system) {
            (ClaimErrorCause::TooManyGroups { .. }, _) => "too_many_groups_in_groups_claim",
            (_, true) => "system_claim_evaluation_failure",
            (_, false) => "user_claim_evaluation_failure",
        }
    }

    /// Okta's `error_description`, e.g. `The 'department' user claim could not be evaluated.`
    /// It names the claim (an administrator's word, not the client's) and never the cause.
    pub fn description(&self) -> String {
        match (&self.cause, self.system) {
            (ClaimErrorCause::TooManyGroups { .. }, _) => {
                "The groups claim matched too many groups and must be configured to match fewer groups.".to_owned()
            }
            (_, true) => format!("The '{}' system claim could not be evaluated.", self.claim),
            (_, false) => format!("The '{}' user claim could not be evaluated.", self.claim),
        }
    }

    /// The event recording this failure: the claim and the cause, for "why was this token not
    /// minted?".
    pub fn event(&self, now: OffsetDateTime) -> Event {
        self.unnumbered_event(now).numbered()
    }

    /// [`event`](Self::event) without a UUID, for [`AuthServer::record`](crate::AuthServer) to
    /// number.
    pub(crate) fn unnumbered_event(&self, now: OffsetDateTime) -> Event {
        Event::unnumbered_failure(
            "app.oauth2.as.token.grant",
            "OAuth2 token request failed: a claim could not be evaluated",
            self.catalogue_id(),
            self.description(),
            now,
        )
        .with_severity(Severity::Warn)
        .with_detail("claim", &self.claim)
        .with_detail("cause", self.cause.to_string())
    }
}

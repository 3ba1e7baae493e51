//! Token-lifetime limits of a rule's `actions.token`, as pure validation.
//!
//! Limits (Okta's Management API, <https://developer.okta.com/docs/api/openapi/okta-management/>,
//! rule `actions.token`; the "Limits" of Okta's "Troubleshooting for API Access Management"):
//! * `accessTokenLifetimeMinutes`: 5 to 1440 (one day);
//! * `refreshTokenLifetimeMinutes`: unlimited (`0`/absent), or at least the access-token lifetime.
//!   No upper bound: Okta's troubleshooting page says "no limits", which wins over a support
//!   article's "5 years";
//! * `refreshTokenWindowMinutes`: 10 to 2 628 000 (five years). The older "maximum 90 days" of
//!   Okta's 2017 OAuth 2.0 API reference and Terraform's minimum of 5 are not used (the current
//!   Management API's range wins).
//!
//! Terraform's extra `access ≤ window ≤ refresh lifetime` check is not Okta's and is not applied.
//! Every violated limit is reported, so the management layer can emit one `errorCauses` entry per
//! field.

use std::fmt;
use std::ops::RangeInclusive;

use super::{Rule, TokenAction};

/// Allowed `accessTokenLifetimeMinutes`.
pub const ACCESS_TOKEN_LIFETIME_MINUTES: RangeInclusive<u32> = 5..=1440;
/// Allowed `refreshTokenWindowMinutes`.
pub const REFRESH_TOKEN_WINDOW_MINUTES: RangeInclusive<u32> = 10..=2_628_000;

/// A lifetime field of `actions.token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LifetimeField {
    /// `accessTokenLifetimeMinutes`
    AccessTokenLifetimeMinutes,
    /// `refreshTokenLifetimeMinutes`
    RefreshTokenLifetimeMinutes,
    /// `refreshTokenWindowMinutes`
    RefreshTokenWindowMinutes,
}

impl LifetimeField {
    /// The field's name in the JSON object.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AccessTokenLifetimeMinutes => "accessTokenLifetimeMinutes",
            Self::RefreshTokenLifetimeMinutes => "refreshTokenLifetimeMinutes",
            Self::RefreshTokenWindowMinutes => "refreshTokenWindowMinutes",
        }
    }

    /// The field's path in a rule body, e.g. `actions.token.accessTokenLifetimeMinutes`.
    pub const fn path(self) -> &'static str {
        match self {
            Self::AccessTokenLifetimeMinutes => "actions.token.accessTokenLifetimeMinutes",
            Self::RefreshTokenLifetimeMinutes => "actions.token.refreshTokenLifetimeMinutes",
            Self::RefreshTokenWindowMinutes => "actions.token.refreshTokenWindowMinutes",
        }
    }
}

/// One violated limit: the field, the value given and the allowed range in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifetimeViolation {
    /// Which field.
    pub field: LifetimeField,
    /// The value given, in minutes.
    pub value: u32,
    /// Smallest allowed value, in minutes.
    pub min: u32,
    /// Largest allowed value in minutes; `None` = no upper bound.
    pub max: Option<u32>,
}

impl fmt::Display for LifetimeViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.field, self.max) {
            (LifetimeField::RefreshTokenLifetimeMinutes, _) => write!(
                f,
                "{}: must be 0 (unlimited) or at least the access token lifetime ({} minutes)",
                self.field.path(),
                self.min
            ),
            (_, Some(max)) => write!(
                f,
                "{}: must be between {} and {} minutes",
                self.field.path(),
                self.min,
                max
            ),
            (_, None) => write!(f, "{}: must be at least {} minutes", self.field.path(), self.min),
        }
    }
}

/// Every lifetime limit a rule violates (never empty).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct LifetimeErrors(pub Vec<LifetimeViolation>);

impl std::error::Error for LifetimeErrors {}

impl fmt::Display for LifetimeErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Checks a rule's `actions.token` against Okta's limits (see the module docs).
pub fn validate(token: &TokenAction) -> Result<(), LifetimeErrors> {
    let mut out = Vec::new();
    let access = token.access_token_lifetime_minutes;
    if !ACCESS_TOKEN_LIFETIME_MINUTES.contains(&access) {
        out.push(LifetimeViolation {
            field: LifetimeField::AccessTokenLifetimeMinutes,
            value: access,
            min: *ACCESS_TOKEN_LIFETIME_MINUTES.start(),
            max: Some(*ACCESS_TOKEN_LIFETIME_MINUTES.end()),
        });
    }
    match token.refresh_token_lifetime() {
        Some(refresh) if refresh < access => out.push(LifetimeViolation {
            field: LifetimeField::RefreshTokenLifetimeMinutes,
            value: refresh,
            min: access,
            max: None,
        }),
        _ => {}
    }
    let window = token.refresh_token_window_minutes;
    if !REFRESH_TOKEN_WINDOW_MINUTES.contains(&window) {
        out.push(LifetimeViolation {
            field: LifetimeField::RefreshTokenWindowMinutes,
            value: window,
            min: *REFRESH_TOKEN_WINDOW_MINUTES.start(),
            max: Some(*REFRESH_TOKEN_WINDOW_MINUTES.end()),
        });
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(LifetimeErrors(out))
    }
}

impl TokenAction {
    /// Checks these lifetimes against Okta's limits; see [`validate`].
    pub fn validate(&self) -> Result<(), LifetimeErrors> {
        validate(self)
    }
}

impl Rule {
    /// Checks the rule's `actions.token` lifetimes; see [`validate`].
    pub fn validate_lifetimes(&self) -> Result<(), LifetimeErrors> {
        validate(&self.actions.token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(access: u32, refresh: Option<u32>, window: u32) -> TokenAction {
        TokenAction {
            access_token_lifetime_minutes: access,
            refresh_token_lifetime_minutes: refresh,
            refresh_token_window_minutes: window,
            inline_hook: None,
        }
    }

    #[test]
    fn defaults_and_boundaries_are_valid() {
        // Reference §2.4 default rule: 60 / unlimited / 10080.
        assert_eq!(validate(&TokenAction::default()), Ok(()));
        assert_eq!(validate(&token(5, Some(5), 10)), Ok(()));
        assert_eq!(validate(&token(1440, None, 2_628_000)), Ok(()));
        // "No limits" on the refresh lifetime (seed 000).
        assert_eq!(validate(&token(60, Some(u32::MAX), 10)), Ok(()));
    }

    #[test]
    fn access_lifetime_outside_5_to_1440_is_reported() {
        // Seed 003: "accessTokenLifetimeMinutes: minimum 5 minutes, maximum 1 day". Seed 000:
        // "Access Token expiration is configured in a policy, but is always between five minutes
        // and one day".
        for bad in [0, 4, 1441] {
            let err = validate(&token(bad, None, 10080)).unwrap_err();
            assert_eq!(
                err.0,
                vec![LifetimeViolation {
                    field: LifetimeField::AccessTokenLifetimeMinutes,
                    value: bad,
                    min: 5,
                    max: Some(1440)
                }]
            );
        }
    }

    #[test]
    fn refresh_lifetime_below_access_lifetime_is_reported() {
        // Seed 003: "refreshTokenLifetimeMinutes: minimum Access Token lifetime". Seed 000: the
        // refresh lifetime has "no limits, but must be greater than or equal to the Access Token
        // lifetime".
        let err = validate(&token(60, Some(59), 10080)).unwrap_err();
        assert_eq!(err.0[0].field, LifetimeField::RefreshTokenLifetimeMinutes);
        assert_eq!((err.0[0].min, err.0[0].max), (60, None));
        assert!(err.to_string().contains("0 (unlimited)"));
        // Some(0) is the unlimited spelling, not "0 minutes".
        assert_eq!(validate(&token(60, Some(0), 10080)), Ok(()));
    }

    #[test]
    fn window_outside_10_to_five_years_is_reported_with_every_other_violation() {
        // Seed 000: the refresh window ("Revocation if the Refresh Token isn't exercised within a
        // specified time") has "a minimum of ten minutes"; five years is reference §3.5's maximum.
        let err = validate(&token(1, Some(0), 9)).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|v| v.field.path()).collect();
        assert_eq!(
            fields,
            vec![
                "actions.token.accessTokenLifetimeMinutes",
                "actions.token.refreshTokenWindowMinutes"
            ]
        );
        assert!(validate(&token(60, None, 2_628_001)).is_err());
        assert_eq!(
            err.to_string(),
            "actions.token.accessTokenLifetimeMinutes: must be between 5 and 1440 minutes; \
             actions.token.refreshTokenWindowMinutes: must be between 10 and 2628000 minutes"
        );
    }
}

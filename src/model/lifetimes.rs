//! Token-lifetime limits of a rule's `actions.token`, as pure validation.
//!
//! Limits (Okta's Management API, <https://developer.okta.com/docs/api/openapi/okta-management/>,
//! rule `actions.token`; the "Limits" of Okta's "Troubleshooting for API Access Management"):
//! * `accessTokenLifetimeMinutes`: 5 to 1440 (one day);
//! * `refreshTokenLifetimeMinutes`: unlimited (`0`/absent), or from the access-token lifetime up
//!   to 2 628 000 (five years). The Management API states only the minimum, and Okta's
//!   troubleshooting page says "no limits"; the upper bound is Okta's support article on refresh
//!   token expiry ("10 minutes to 5 years or unlimited") and the idle window's own maximum. An
//!   unbounded value would put expiry times past what a timestamp can hold (`4294967295`
//!   minutes is over 8 000 years), and "unlimited" is spelled `0`;
//! * `refreshTokenWindowMinutes`: 10 to 2 628 000 (five years). The older "maximum 90 days" of
//!   Okta's 2017 OAuth 2.0 API reference and Terraform's minimum of 5 are not used (the current
//!   Management API's range wins).
//!
//! Terraform's extra `access ≤ window ≤ refresh lifetime` check is not Okta's and is not applied.
//! Every violated limit is reported, so the management layer can emit one `errorCauses` entry per
//! field.
//!
//! The conversions to [`Duration`] and the expiry arithmetic ([`TokenAction::access_token_lifetime`],
//! [`after_minutes`], …) clamp to these ranges and saturate, so a value stored before the limits
//! were enforced (or written to a store by hand) yields a bounded time, never a panic.

use std::fmt;
use std::ops::RangeInclusive;

use time::{Duration, OffsetDateTime};

use super::{Rule, TokenAction};

/// Allowed `accessTokenLifetimeMinutes`.
pub const ACCESS_TOKEN_LIFETIME_MINUTES: RangeInclusive<u32> = 5..=1440;
/// Largest `refreshTokenLifetimeMinutes` other than `0` (unlimited): five years. The smallest is
/// the rule's access-token lifetime.
pub const MAX_REFRESH_TOKEN_LIFETIME_MINUTES: u32 = 2_628_000;
/// Allowed `refreshTokenWindowMinutes`.
pub const REFRESH_TOKEN_WINDOW_MINUTES: RangeInclusive<u32> = 10..=2_628_000;

/// `now` plus `minutes`, saturating at the largest (or smallest) time [`OffsetDateTime`] holds
/// instead of panicking: for expiry times computed from configured lifetimes.
pub fn after_minutes(now: OffsetDateTime, minutes: u32) -> OffsetDateTime {
    now.saturating_add(Duration::minutes(i64::from(minutes)))
}

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
            (LifetimeField::RefreshTokenLifetimeMinutes, Some(max)) if self.value > max => write!(
                f,
                "{}: must be 0 (unlimited) or at most {} minutes (five years)",
                self.field.path(),
                max
            ),
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
        Some(refresh) if refresh < access || refresh > MAX_REFRESH_TOKEN_LIFETIME_MINUTES => {
            out.push(LifetimeViolation {
                field: LifetimeField::RefreshTokenLifetimeMinutes,
                value: refresh,
                min: access,
                max: Some(MAX_REFRESH_TOKEN_LIFETIME_MINUTES),
            });
        }
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

    /// The access-token lifetime, clamped to [`ACCESS_TOKEN_LIFETIME_MINUTES`].
    pub fn access_token_lifetime(&self) -> Duration {
        minutes(clamp(
            self.access_token_lifetime_minutes,
            &ACCESS_TOKEN_LIFETIME_MINUTES,
        ))
    }

    /// The refresh-token lifetime (`None` = unlimited), at most
    /// [`MAX_REFRESH_TOKEN_LIFETIME_MINUTES`].
    pub fn refresh_token_lifetime_duration(&self) -> Option<Duration> {
        self.refresh_token_lifetime()
            .map(|m| minutes(m.min(MAX_REFRESH_TOKEN_LIFETIME_MINUTES)))
    }

    /// The refresh-token idle window, clamped to [`REFRESH_TOKEN_WINDOW_MINUTES`].
    pub fn refresh_token_window(&self) -> Duration {
        minutes(clamp(self.refresh_token_window_minutes, &REFRESH_TOKEN_WINDOW_MINUTES))
    }
}

/// `value` moved into `range`.
fn clamp(value: u32, range: &RangeInclusive<u32>) -> u32 {
    value.clamp(*range.start(), *range.end())
}

/// `value` minutes.
fn minutes(value: u32) -> Duration {
    Duration::minutes(i64::from(value))
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
        // Five years is the longest finite refresh lifetime; 0 is unlimited.
        assert_eq!(validate(&token(60, Some(2_628_000), 10)), Ok(()));
        assert_eq!(validate(&token(60, Some(0), 10)), Ok(()));
    }

    #[test]
    fn refresh_lifetime_beyond_five_years_is_reported() {
        // Issue 14: `4294967295` minutes was accepted and every grant issuing a refresh token
        // then panicked computing its expiry (8 000 years on). Okta's support article on refresh
        // token expiry: "10 minutes to 5 years or unlimited".
        for bad in [2_628_001, u32::MAX] {
            let err = validate(&token(60, Some(bad), 10080)).unwrap_err();
            assert_eq!(
                err.0,
                vec![LifetimeViolation {
                    field: LifetimeField::RefreshTokenLifetimeMinutes,
                    value: bad,
                    min: 60,
                    max: Some(2_628_000)
                }]
            );
            assert_eq!(
                err.to_string(),
                "actions.token.refreshTokenLifetimeMinutes: must be 0 (unlimited) or at most 2628000 minutes \
                 (five years)"
            );
        }
    }

    #[test]
    fn conversions_clamp_and_expiry_saturates() {
        // A rule stored before the limits were enforced must not make time arithmetic panic.
        let hostile = token(u32::MAX, Some(u32::MAX), u32::MAX);
        assert_eq!(hostile.access_token_lifetime(), Duration::days(1));
        assert_eq!(
            hostile.refresh_token_lifetime_duration(),
            Some(Duration::minutes(2_628_000))
        );
        assert_eq!(hostile.refresh_token_window(), Duration::minutes(2_628_000));
        let tiny = token(0, Some(0), 0);
        assert_eq!(tiny.access_token_lifetime(), Duration::minutes(5));
        assert_eq!(tiny.refresh_token_lifetime_duration(), None);
        assert_eq!(tiny.refresh_token_window(), Duration::minutes(10));
        let defaults = TokenAction::default();
        assert_eq!(defaults.access_token_lifetime(), Duration::hours(1));
        assert_eq!(defaults.refresh_token_window(), Duration::days(7));

        let now = time::macros::datetime!(2024-01-01 0:00 UTC);
        assert_eq!(after_minutes(now, 60), time::macros::datetime!(2024-01-01 1:00 UTC));
        let end = time::macros::datetime!(9999-12-31 23:59:59.999_999_999 UTC);
        assert_eq!(
            after_minutes(end, u32::MAX),
            OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX)
        );
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
        assert_eq!((err.0[0].min, err.0[0].max), (60, Some(2_628_000)));
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

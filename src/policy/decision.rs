//! The outcome of a successful evaluation.

use serde::Serialize;
use time::Duration;

/// Which policy and rule matched, what they grant and for how long. Borrows from the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision<'a> {
    /// Id of the matching policy.
    pub policy_id: &'a str,
    /// Name of the matching policy.
    pub policy_name: &'a str,
    /// Id of the matching rule.
    pub rule_id: &'a str,
    /// Name of the matching rule.
    pub rule_name: &'a str,
    /// Granted scopes: the requested ones in request order without duplicates, then any default
    /// scopes added by client credentials or an omitted `scope`, in definition order.
    pub scopes: Vec<&'a str>,
    /// Access-token lifetime in minutes.
    pub access_token_lifetime_minutes: u32,
    /// Refresh-token lifetime in minutes; `None` = unlimited.
    pub refresh_token_lifetime_minutes: Option<u32>,
    /// Refresh-token idle window in minutes.
    pub refresh_token_window_minutes: u32,
    /// The rule's token inline hook id, if any.
    pub inline_hook: Option<&'a str>,
}

impl Decision<'_> {
    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }

    /// The access-token lifetime.
    pub fn access_token_lifetime(&self) -> Duration {
        Duration::minutes(i64::from(self.access_token_lifetime_minutes))
    }

    /// The refresh-token lifetime; `None` = unlimited.
    pub fn refresh_token_lifetime(&self) -> Option<Duration> {
        self.refresh_token_lifetime_minutes
            .map(|m| Duration::minutes(i64::from(m)))
    }

    /// The refresh-token idle window.
    pub fn refresh_token_window(&self) -> Duration {
        Duration::minutes(i64::from(self.refresh_token_window_minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_scope_lookup() {
        let d = Decision {
            policy_id: "p",
            policy_name: "P",
            rule_id: "r",
            rule_name: "R",
            scopes: vec!["openid", "car:drive"],
            access_token_lifetime_minutes: 60,
            refresh_token_lifetime_minutes: None,
            refresh_token_window_minutes: 10080,
            inline_hook: None,
        };
        assert_eq!(d.access_token_lifetime(), Duration::hours(1));
        assert_eq!(d.refresh_token_lifetime(), None);
        assert_eq!(d.refresh_token_window(), Duration::days(7));
        assert!(d.has_scope("car:drive") && !d.has_scope("car"));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["scopes"], serde_json::json!(["openid", "car:drive"]));
        assert_eq!(json["refresh_token_lifetime_minutes"], serde_json::Value::Null);
    }
}

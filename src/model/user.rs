//! Users in Okta's `/api/v1/users` shape (the directory the host owns).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Links, timestamp};

/// A user. Group memberships are not part of Okta's user object; the directory supplies them
/// separately.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// User id (`00u…`), which becomes the access token's `uid`.
    pub id: String,
    /// Lifecycle status; only `ACTIVE` users get tokens (see [`UserStatus::can_sign_in`]).
    pub status: UserStatus,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// When the user became `ACTIVE`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub activated: Option<OffsetDateTime>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub status_changed: Option<OffsetDateTime>,
    /// Last sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_login: Option<OffsetDateTime>,
    /// Last modification (tokens minted before it can be implicitly revoked).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_updated: Option<OffsetDateTime>,
    /// Last password change.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub password_changed: Option<OffsetDateTime>,
    /// Profile attributes.
    pub profile: UserProfile,
    /// HAL links.
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

/// A user's profile: the base attributes claims use most, plus every other attribute (standard
/// or custom) by its profile name in `custom`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    /// Unique login (often an email address).
    pub login: String,
    /// Primary email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Given name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// All other attributes (`mobilePhone`, `locale`, custom ones…), by name.
    #[serde(flatten)]
    pub custom: serde_json::Map<String, serde_json::Value>,
}

impl UserProfile {
    /// An attribute by its profile name (`login`, `email`, `firstName`, `lastName` or any other),
    /// as JSON; `None` when absent. Used by expression evaluation for `user.<attr>`.
    pub fn attribute(&self, name: &str) -> Option<serde_json::Value> {
        let s = |v: &Option<String>| v.clone().map(serde_json::Value::String);
        match name {
            "login" => Some(serde_json::Value::String(self.login.clone())),
            "email" => s(&self.email),
            "firstName" => s(&self.first_name),
            "lastName" => s(&self.last_name),
            other => self.custom.get(other).cloned(),
        }
    }
}

/// A user's lifecycle status (Okta's `UserStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    /// Created, not yet activated.
    Staged,
    /// Activation pending.
    Provisioned,
    /// Active.
    Active,
    /// Password reset in progress.
    Recovery,
    /// Password expired.
    PasswordExpired,
    /// Locked out after failed sign-ins.
    LockedOut,
    /// Suspended by an administrator.
    Suspended,
    /// Deactivated.
    Deprovisioned,
}

impl UserStatus {
    /// The wire spelling, e.g. `ACTIVE`.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }

    /// Whether a user in this status may be issued tokens (only `ACTIVE`; Okta revokes tokens
    /// when a user is suspended or deactivated).
    pub const fn can_sign_in(self) -> bool {
        matches!(self, UserStatus::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn okta_user() -> serde_json::Value {
        json!({
            "id": "00ub0oNGTSWTBKOLGLNR",
            "status": "ACTIVE",
            "created": "2013-06-24T16:39:18.000Z",
            "activated": "2013-06-24T16:39:19.000Z",
            "statusChanged": "2013-06-24T16:39:19.000Z",
            "lastLogin": "2013-06-24T17:39:19.000Z",
            "lastUpdated": "2013-07-02T21:36:25.344Z",
            "passwordChanged": "2013-07-02T21:36:25.344Z",
            "profile": {
                "login": "isaac.brock@example.com",
                "firstName": "Isaac",
                "lastName": "Brock",
                "email": "isaac.brock@example.com",
                "mobilePhone": "555-415-1337",
                "employeeNumber": 42,
                "costCenters": ["A", "B"]
            },
            "_links": {"self": {"href": "https://x/api/v1/users/00ub0oNGTSWTBKOLGLNR"}}
        })
    }

    #[test]
    fn okta_user_round_trips_with_custom_attributes() {
        let v = okta_user();
        let u: User = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(u.profile.first_name.as_deref(), Some("Isaac"));
        assert_eq!(u.profile.custom["employeeNumber"], json!(42));
        assert_eq!(u.profile.attribute("mobilePhone"), Some(json!("555-415-1337")));
        assert_eq!(u.profile.attribute("login"), Some(json!("isaac.brock@example.com")));
        assert_eq!(u.profile.attribute("nickName"), None);
        assert!(u.status.can_sign_in());
        assert_eq!(serde_json::to_value(&u).unwrap(), v);
    }

    #[test]
    fn statuses_use_okta_spellings_and_reject_others() {
        let s: UserStatus = serde_json::from_value(json!("PASSWORD_EXPIRED")).unwrap();
        assert_eq!(s, UserStatus::PasswordExpired);
        assert!(!s.can_sign_in());
        assert!(!UserStatus::Suspended.can_sign_in());
        assert!(serde_json::from_value::<UserStatus>(json!("DELETED")).is_err());
        assert!(serde_json::from_value::<User>(json!({"id": "u", "status": "ACTIVE"})).is_err());
    }
}

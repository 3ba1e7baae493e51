//! Groups in Okta's `/api/v1/groups` shape.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Links, timestamp};

/// A group; rules and `GROUPS` claims refer to groups by `id` and `profile.name`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Group id (`00g…`).
    pub id: String,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub created: Option<OffsetDateTime>,
    /// Last profile change.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_updated: Option<OffsetDateTime>,
    /// Last membership change.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "timestamp::option")]
    pub last_membership_updated: Option<OffsetDateTime>,
    /// Profile schema classes (e.g. `okta:user_group`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub object_class: Vec<String>,
    /// Who manages the group.
    #[serde(rename = "type")]
    pub group_type: GroupType,
    /// Name and description.
    pub profile: GroupProfile,
    /// HAL links.
    #[serde(rename = "_links", default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
}

/// A group's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupProfile {
    /// Group name (what `GROUPS` claims filter on).
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Other attributes (app groups carry directory attributes), by name.
    #[serde(flatten)]
    pub custom: serde_json::Map<String, serde_json::Value>,
}

/// `type` of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupType {
    /// Managed in Okta.
    OktaGroup,
    /// Imported from an app or directory.
    AppGroup,
    /// Built in (`Everyone`).
    BuiltIn,
}

impl GroupType {
    /// The wire spelling, e.g. `OKTA_GROUP`.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupType::OktaGroup => "OKTA_GROUP",
            GroupType::AppGroup => "APP_GROUP",
            GroupType::BuiltIn => "BUILT_IN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn okta_group_round_trips() {
        let v = json!({
            "id": "00g1emaKYZTWRYYRRTSK",
            "created": "2015-02-06T10:11:28.000Z",
            "lastUpdated": "2015-10-05T19:16:43.000Z",
            "lastMembershipUpdated": "2015-11-28T19:15:32.000Z",
            "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP",
            "profile": {"name": "West Coast Users", "description": "All Users West of The Rockies"},
            "_links": {"self": {"href": "https://x/api/v1/groups/00g1emaKYZTWRYYRRTSK"}}
        });
        let g: Group = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(g.group_type, GroupType::OktaGroup);
        assert_eq!(g.profile.name, "West Coast Users");
        assert_eq!(serde_json::to_value(&g).unwrap(), v);
    }

    #[test]
    fn group_types_and_app_group_attributes() {
        let g: Group = serde_json::from_value(json!({
            "id": "00g2", "type": "APP_GROUP",
            "profile": {"name": "Engineering", "windowsDomainQualifiedName": "CORP\\Engineering"}
        }))
        .unwrap();
        assert_eq!(g.group_type, GroupType::AppGroup);
        assert_eq!(
            g.profile.custom["windowsDomainQualifiedName"],
            json!("CORP\\Engineering")
        );
        let bad = serde_json::from_value::<Group>(json!({"id": "x", "type": "AD_GROUP", "profile": {"name": "n"}}));
        assert!(bad.is_err());
    }
}

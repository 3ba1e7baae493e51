//! The OpenID Connect standard claims (Core §5.4) drawn from an Okta user profile, by scope.
//!
//! Okta profile attributes map as: `name` ← `displayName`, else `firstName lastName`;
//! `preferred_username` ← `login`; `nickname` ← `nickName`; `given_name` ← `firstName`;
//! `middle_name` ← `middleName`; `family_name` ← `lastName`; `profile` ← `profileUrl`;
//! `zoneinfo` ← `timezone`; `locale` ← `locale`; `updated_at` ← the user's `lastUpdated` in Unix
//! seconds; `picture`, `website`, `gender`, `birthdate` ← attributes of those names when present;
//! `email` ← `email`, `email_verified` ← `emailVerified` when present, else whether the user is
//! `ACTIVE` (Okta verifies the primary email at activation); `address` ← `streetAddress`, `city`,
//! `state`, `zipCode`, `countryCode`; `phone_number` ← `mobilePhone`, else `primaryPhone`;
//! `phone_number_verified` ← `phoneNumberVerified` when it is a boolean, else `false`, whenever
//! the user has a phone number (OpenID Connect Core §5.1: "false" means not verified, which is
//! all a profile without the attribute can claim; Okta's profile has no such attribute, and a
//! host that verifies numbers can add it).

use serde_json::{Map, Value, json};

use crate::model::{User, UserStatus};

/// The standard claims each OpenID Connect scope releases.
pub const SCOPE_CLAIMS: &[(&str, &[&str])] = &[
    (
        "profile",
        &[
            "name",
            "preferred_username",
            "nickname",
            "given_name",
            "middle_name",
            "family_name",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// Standard claims that go into a thin ID token unless the server's `SYSTEM` claim says
/// otherwise. Okta does not document this default; we follow its sample thin ID tokens (in its
/// token inline hook examples), which carry `name`, `email` and `preferred_username`.
pub const ALWAYS_INCLUDED_BY_DEFAULT: &[&str] = &["name", "email", "preferred_username"];

/// Adds to `out` every standard claim of the granted scopes that `include` admits and the user has.
pub(super) fn add_standard_claims(
    user: &User,
    granted: &[String],
    mut include: impl FnMut(&str) -> bool,
    out: &mut Map<String, Value>,
) {
    for (scope, names) in SCOPE_CLAIMS {
        if !granted.iter().any(|g| g == scope) {
            continue;
        }
        for name in names.iter().copied().filter(|name| include(name)) {
            if let Some(value) = standard_claim(user, name) {
                out.insert(name.to_owned(), value);
            }
        }
    }
}

/// The value of standard claim `name` for `user`, if the profile has what it needs.
pub(super) fn standard_claim(user: &User, name: &str) -> Option<Value> {
    let profile = &user.profile;
    let attribute = |key: &str| profile.custom.get(key).filter(|v| !v.is_null()).cloned();
    let text = |value: &Option<String>| value.clone().map(Value::String);
    match name {
        "name" => attribute("displayName").or_else(|| {
            let full: Vec<&str> = [&profile.first_name, &profile.last_name]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            (!full.is_empty()).then(|| Value::String(full.join(" ")))
        }),
        "preferred_username" => Some(Value::String(profile.login.clone())),
        "nickname" => attribute("nickName"),
        "given_name" => text(&profile.first_name),
        "middle_name" => attribute("middleName"),
        "family_name" => text(&profile.last_name),
        "profile" => attribute("profileUrl"),
        "zoneinfo" => attribute("timezone"),
        "locale" => attribute("locale"),
        "updated_at" => user.last_updated.map(|at| json!(at.unix_timestamp())),
        "picture" | "website" | "gender" | "birthdate" => attribute(name),
        "email" => text(&profile.email),
        "email_verified" => profile
            .email
            .as_ref()
            .map(|_| attribute("emailVerified").unwrap_or(Value::Bool(user.status == UserStatus::Active))),
        "address" => {
            let parts = [
                ("street_address", "streetAddress"),
                ("locality", "city"),
                ("region", "state"),
                ("postal_code", "zipCode"),
                ("country", "countryCode"),
            ];
            let address: Map<String, Value> = parts
                .iter()
                .filter_map(|(claim, key)| attribute(key).map(|v| ((*claim).to_owned(), v)))
                .collect();
            (!address.is_empty()).then_some(Value::Object(address))
        }
        "phone_number" => attribute("mobilePhone").or_else(|| attribute("primaryPhone")),
        "phone_number_verified" => standard_claim(user, "phone_number").map(|_| {
            attribute("phoneNumberVerified")
                .filter(Value::is_boolean)
                .unwrap_or(Value::Bool(false))
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(phone: Value) -> User {
        let mut profile = json!({"login": "alice@example.com", "mobilePhone": "+44 1865 000000"});
        profile["phoneNumberVerified"] = phone;
        serde_json::from_value(json!({"id": "00ualice", "status": "ACTIVE", "profile": profile})).unwrap()
    }

    fn phone_claims(user: &User) -> Map<String, Value> {
        let mut out = Map::new();
        add_standard_claims(user, &["openid".into(), "phone".into()], |_| true, &mut out);
        out
    }

    #[test]
    fn the_phone_scope_releases_phone_number_verified_with_every_phone_number() {
        // OpenID Connect Core §5.4: `phone` requests `phone_number` and `phone_number_verified`;
        // §5.1 makes the latter a boolean.
        let verified = phone_claims(&user(json!(true)));
        assert_eq!(verified["phone_number"], "+44 1865 000000");
        assert_eq!(verified["phone_number_verified"], true);
        assert_eq!(phone_claims(&user(json!(false)))["phone_number_verified"], false);
        // Not known to be verified is not verified (§5.1); the conformance suite's
        // `VerifyScopesReturnedInUserInfoClaims` wants both claims of the scope.
        for unknown in [Value::Null, json!("yes")] {
            assert_eq!(phone_claims(&user(unknown))["phone_number_verified"], false);
        }
        let mut no_phone = user(json!(true));
        no_phone.profile.custom.remove("mobilePhone");
        assert!(phone_claims(&no_phone).is_empty(), "no number, nothing verified");
    }
}

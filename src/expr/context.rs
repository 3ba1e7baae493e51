//! The data an expression is evaluated against: plain borrowed values the caller fills in.
//!
//! Nothing here is cloned during evaluation; property access borrows from these values.
//! Bindings follow Okta's Expression Language reference (the objects in scope for
//! custom-authorization-server claims).

use serde_json::{Map, Value as Json};
use time::OffsetDateTime;

/// A JSON object, as used for profiles.
pub type JsonMap = Map<String, Json>;

/// Everything an expression can see.
///
/// Build it with [`Context::new`] and struct-update syntax:
///
/// ```
/// # use authserver::expr::{Context, JsonMap};
/// let now = time::macros::datetime!(2015-07-31 17:18:37.979 UTC);
/// let org = JsonMap::new();
/// let ctx = Context { org: Some(&org), ..Context::new(now) };
/// assert!(ctx.user.is_none());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The Okta user the token is minted for (`user.*`); `None` for tokens without a user
    /// (client credentials), in which case `user` evaluates to `null`.
    pub user: Option<UserData<'a>>,
    /// The in-context app user profile (`appuser.*`); `None` makes `appuser` evaluate to `null`,
    /// so the default `sub` expression `(appuser != null) ? appuser.userName : app.clientId`
    /// falls back to the client id.
    pub appuser: Option<&'a JsonMap>,
    /// The client application (`app.*`); `None` makes `app` evaluate to `null`.
    pub app: Option<AppData<'a>>,
    /// The organization (`org.name`, `org.subDomain`, …) as a JSON object; `None` → `null`.
    pub org: Option<&'a JsonMap>,
    /// The granted scopes (`access.scope`), in grant order.
    pub scopes: &'a [String],
    /// The current instant, for `Time.now` and two-digit-year parsing. Never read from the
    /// system clock by this module.
    pub now: OffsetDateTime,
    /// Users related to `user` by linked-object relationships, for
    /// `user.getLinkedObject("manager")`. An absent relationship evaluates to `null`.
    pub linked_objects: &'a [LinkedUser<'a>],
    /// App-user profiles of the user's Active Directory assignments, for `hasDirectoryUser()`
    /// and `findDirectoryUser()` (true / the profile only when there is exactly one).
    pub directory_users: &'a [&'a JsonMap],
    /// App-user profiles of the user's Workday assignments, for `hasWorkdayUser()` and
    /// `findWorkdayUser()`.
    pub workday_users: &'a [&'a JsonMap],
    /// The largest `limit` accepted by `getFilteredGroups` and `Groups.*`: Okta allows 1..=100, and
    /// "any number" in the authorization-code flows (Okta's Expression Language reference and its
    /// guide "Customize tokens returned from Okta with a static allowlist"), where the caller may
    /// raise this (it is still capped by [`MAX_ARRAY_LEN`](crate::expr::MAX_ARRAY_LEN)).
    pub max_group_limit: usize,
}

impl<'a> Context<'a> {
    /// An empty context at `now`: no user, app user, app or org, no scopes, and a group limit
    /// of 100.
    pub fn new(now: OffsetDateTime) -> Self {
        Context {
            user: None,
            appuser: None,
            app: None,
            org: None,
            scopes: &[],
            now,
            linked_objects: &[],
            directory_users: &[],
            workday_users: &[],
            max_group_limit: 100,
        }
    }
}

/// An Okta user as seen by expressions.
///
/// `user.<attr>` reads profile attribute `<attr>` (classic EL); `user.profile.<attr>` is accepted
/// too. `user.id` and `user.status` read the fields below unless the profile has an attribute of
/// that name. `user.getInternalProperty("id" | "status")` always reads the fields.
#[derive(Debug, Clone, Copy)]
pub struct UserData<'a> {
    /// The user id (`00u…`).
    pub id: &'a str,
    /// The lifecycle status (`ACTIVE`, `STAGED`, `PROVISIONED`, `RECOVERY`, `PASSWORD_EXPIRED`,
    /// `LOCKED_OUT`, `SUSPENDED`).
    pub status: &'a str,
    /// The profile attributes. An attribute missing from the map evaluates to `null`.
    pub profile: &'a JsonMap,
    /// The groups the user belongs to, in a stable order (results keep this order).
    pub groups: &'a [GroupData<'a>],
}

/// A group the user belongs to, for `isMemberOfGroup*`, `getFilteredGroups`, `Groups.*`
/// and `user.getGroups`.
///
/// In a `getFilteredGroups` group expression, `group.id`, `group.name`, `group.description`,
/// `group.type`, `group.objectClass`, `group.source.id` and `group.profile.*` are available.
#[derive(Debug, Clone, Copy)]
pub struct GroupData<'a> {
    /// The group id (`00g…`).
    pub id: &'a str,
    /// The group name (`profile.name`).
    pub name: &'a str,
    /// The description (`profile.description`), if any.
    pub description: Option<&'a str>,
    /// The group type: `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    pub group_type: &'a str,
    /// The id of the source: the org for Okta groups, the app instance (`0oa…`) for app groups.
    pub source_id: Option<&'a str>,
    /// For app groups, the source app's name, such as `active_directory` (matched by the `app`
    /// argument of `Groups.*`).
    pub source_app_name: Option<&'a str>,
    /// The group's object class, such as `okta:user_group` or `okta:windows_security_principal`;
    /// `group.objectClass` is a one-element array of it.
    pub object_class: Option<&'a str>,
    /// Further profile attributes (e.g. Active Directory `samAccountName`,
    /// `windowsDomainQualifiedName`); `name` and `description` come from the fields above.
    pub profile: Option<&'a JsonMap>,
}

impl<'a> GroupData<'a> {
    /// A group with just an id, a name and a type; other fields empty.
    pub fn new(id: &'a str, name: &'a str, group_type: &'a str) -> Self {
        GroupData {
            id,
            name,
            description: None,
            group_type,
            source_id: None,
            source_app_name: None,
            object_class: None,
            profile: None,
        }
    }
}

/// The OAuth client application (`app.*`; Okta's Expression Language reference, "Expressions for
/// OAuth 2.0/OIDC custom claims").
#[derive(Debug, Clone, Copy)]
pub struct AppData<'a> {
    /// The app instance id (`app.id`).
    pub id: &'a str,
    /// The OAuth client id (`app.clientId`).
    pub client_id: &'a str,
    /// The app's name (`app.name`).
    pub name: &'a str,
    /// The app's label (`app.label`).
    pub label: &'a str,
    /// The app's profile, arbitrary JSON (`app.profile.<key>`); `None` evaluates to `null`.
    pub profile: Option<&'a JsonMap>,
}

/// A user related by a linked-object relationship (`user.getLinkedObject(relationship)`).
#[derive(Debug, Clone, Copy)]
pub struct LinkedUser<'a> {
    /// The relationship name, e.g. `manager`.
    pub relationship: &'a str,
    /// The related user.
    pub user: UserData<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_context_is_empty_with_okta_group_limit() {
        // Reference §1.6.5: limit 1..=100 by default.
        let ctx = Context::new(OffsetDateTime::UNIX_EPOCH);
        assert!(ctx.user.is_none() && ctx.appuser.is_none() && ctx.app.is_none());
        assert_eq!(ctx.max_group_limit, 100);
        assert!(ctx.scopes.is_empty());
    }
}

//! The identity a token is minted for, and the expression context built from it.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::expr::{AppData, Context, GroupData, JsonMap, UserData};
use crate::model::{Client, Group, User};

/// Who a token is for: the client, and the user with their groups when there is one.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The client the token is issued to (`app.*` in expressions).
    pub client: &'a Client,
    /// The user, absent for client credentials (`user` is then `null`).
    pub user: Option<&'a User>,
    /// The user's groups (for `GROUPS` claims and the group functions).
    pub groups: &'a [Group],
    /// The organization (`org.*`), e.g. `{"name": …, "subDomain": …}`.
    pub org: &'a JsonMap,
}

/// The JSON an expression context borrows, built once per token request.
pub(super) struct Bindings<'a> {
    subject: Subject<'a>,
    profile: JsonMap,
    appuser: JsonMap,
    groups: Vec<GroupData<'a>>,
}

impl<'a> Bindings<'a> {
    /// Prepares the bindings. The app user profile (`appuser`) is Okta's for an OpenID Connect
    /// app with the default username format: `userName` is the user's login.
    pub(super) fn new(subject: Subject<'a>) -> Self {
        let (profile, appuser) = match subject.user {
            Some(user) => {
                let profile = match serde_json::to_value(&user.profile) {
                    Ok(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                let mut appuser = Map::new();
                appuser.insert("userName".to_owned(), Value::String(user.profile.login.clone()));
                (profile, appuser)
            }
            None => (Map::new(), Map::new()),
        };
        let groups = subject.groups.iter().map(group_data).collect();
        Self {
            subject,
            profile,
            appuser,
            groups,
        }
    }

    /// The expression context for a token with `scopes` granted at `now`.
    pub(super) fn context<'b>(&'b self, scopes: &'b [String], now: OffsetDateTime) -> Context<'b> {
        let client = self.subject.client;
        let user = self.subject.user.map(|user| UserData {
            id: &user.id,
            status: user.status.as_str(),
            profile: &self.profile,
            groups: &self.groups,
        });
        Context {
            user,
            appuser: self.subject.user.map(|_| &self.appuser),
            app: Some(AppData {
                id: &client.client_id,
                client_id: &client.client_id,
                name: &client.client_name,
                label: &client.client_name,
                profile: None,
            }),
            org: Some(self.subject.org),
            scopes,
            ..Context::new(now)
        }
    }

    pub(super) fn groups(&self) -> &[GroupData<'a>] {
        &self.groups
    }
}

fn group_data(group: &Group) -> GroupData<'_> {
    GroupData {
        description: group.profile.description.as_deref(),
        object_class: group.object_class.first().map(String::as_str),
        profile: Some(&group.profile.custom),
        ..GroupData::new(&group.id, &group.profile.name, group.group_type.as_str())
    }
}

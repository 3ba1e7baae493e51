//! What scopes and claims have in common: each is a member of a list in its server's
//! configuration, with an id, a `system` flag (system members cannot be deleted) and a `self`
//! link, and is created, read, replaced and deleted the same way. [`Member`] says how one kind
//! differs; the operations here do the rest.

use serde::Serialize;
use serde_json::{Map, Value};

use super::claims::claim_from_json;
use super::fields::parse_object;
use super::ids::{CLAIM, SCOPE};
use super::ids::{index_of, object_id};
use super::links::{self_links, server_href};
use super::scopes::scope_from_json;
use super::{Answer, ApiError, ApiRequest, ManagementApi, Method, no_content, respond, unless_missing};
use crate::model::{Claim, Scope};
use crate::store::{ConfigStore, Directory, ServerConfig};

/// Where a kind of member lives and how it is named.
pub(super) struct Spec {
    /// The resource name in `E0000007` and system-object errors (`OAuth2Scope`).
    pub(super) kind: &'static str,
    /// The path segment of its list under the server (`scopes`).
    pub(super) segment: &'static str,
    /// The prefix of its ids (`scp`).
    pub(super) id_prefix: &'static str,
}

/// What every member has: its names, how it is read, its list in the configuration, an id, a
/// `system` flag and `_links`.
pub(super) trait Fields: Clone + Serialize + Sized {
    /// Its names.
    const SPEC: Spec;

    /// Reads a create or replace body (a JSON object): `E0000003` when it is not of the right
    /// types, `E0000001` for what can only be told from the JSON (missing fields, enum values).
    fn from_json(object: Map<String, Value>) -> Result<Self, ApiError>;
    /// Its list in `config`.
    fn members(config: &ServerConfig) -> &Vec<Self>;
    /// Its list in `config`, to change.
    fn members_mut(config: &mut ServerConfig) -> &mut Vec<Self>;
    /// Its id.
    fn id(&self) -> &str;
    /// Sets its id.
    fn set_id(&mut self, id: String);
    /// Whether the server made it (it cannot be deleted).
    fn is_system(&self) -> bool;
    /// Sets its `_links`.
    fn set_links(&mut self, links: Option<Value>);
}

/// Implements [`Fields`] for model types with `id`, `system` and `links` fields: each named
/// with its list in the configuration, its [`Spec`] and the function that reads its JSON.
macro_rules! fields {
    ($($kind:ident: $list:ident, $spec:expr, $from_json:path);*) => {$(
        impl Fields for $kind {
            const SPEC: Spec = $spec;
            fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> { $from_json(object) }
            fn members(config: &ServerConfig) -> &Vec<Self> { &config.$list }
            fn members_mut(config: &mut ServerConfig) -> &mut Vec<Self> { &mut config.$list }
            fn id(&self) -> &str { &self.id }
            fn set_id(&mut self, id: String) { self.id = id; }
            fn is_system(&self) -> bool { self.system }
            fn set_links(&mut self, links: Option<Value>) { self.links = links; }
        }
    )*};
}

fields! {
    Scope: scopes, Spec { kind: "OAuth2Scope", segment: "scopes", id_prefix: SCOPE }, scope_from_json;
    Claim: claims, Spec { kind: "OAuth2Claim", segment: "claims", id_prefix: CLAIM }, claim_from_json
}

/// A kind of member of a server's configuration, and how it differs from the others.
pub(super) trait Member: Fields {
    /// A member to create from `input`: without the id, `system` flag and links a request
    /// cannot set, with defaults filled in.
    fn new_member(input: Self) -> Self;
    /// Checks a new member (from [`new_member`](Self::new_member), with its new id) against
    /// `config`.
    fn check_new(config: &ServerConfig, new: &Self) -> Result<(), ApiError>;
    /// The member that replaces `stored` given `input` (whose id, `system` flag and links are
    /// ignored), or why it may not.
    fn replacement(config: &ServerConfig, stored: &Self, input: &Self) -> Result<Self, ApiError>;
    /// Why `stored`, not a system member, may not be deleted from `config`, if it may not.
    fn check_delete(config: &ServerConfig, stored: &Self) -> Result<(), ApiError> {
        let _ = (config, stored);
        Ok(())
    }

    /// A request body read with [`from_json`](Self::from_json).
    fn parse(body: Option<&[u8]>) -> Result<Self, ApiError> {
        Self::from_json(parse_object(body)?)
    }
}

/// The index of member `id` in `config`, or `E0000007`.
fn position<T: Member>(config: &ServerConfig, id: &str) -> Result<usize, ApiError> {
    index_of(T::members(config), id, T::SPEC.kind, T::id)
}

impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
    /// Every member of server `server_id`'s list, as shown.
    pub(super) async fn members<T: Member>(&self, server_id: &str) -> Result<Vec<T>, ApiError> {
        let config = self.load(server_id).await?;
        Ok(T::members(&config)
            .iter()
            .map(|member| self.show_member(server_id, member))
            .collect())
    }

    /// Member `id` of server `server_id`, as shown.
    pub(super) async fn member<T: Member>(&self, server_id: &str, id: &str) -> Result<T, ApiError> {
        let config = self.load(server_id).await?;
        let member = &T::members(&config)[position::<T>(&config, id)?];
        Ok(self.show_member(server_id, member))
    }

    /// Adds `input` with a new id to server `server_id`'s list; answers it as shown.
    pub(super) async fn add_member<T: Member>(&self, server_id: &str, input: T) -> Result<T, ApiError> {
        let mut new = T::new_member(input);
        new.set_id(object_id(T::SPEC.id_prefix, self.random()));
        let added = self
            .edit(server_id, |config, _| {
                T::check_new(config, &new)?;
                T::members_mut(config).push(new.clone());
                Ok(new.clone())
            })
            .await?;
        Ok(self.show_member(server_id, &added))
    }

    /// Replaces member `id` of server `server_id` with `input`; answers it as shown.
    pub(super) async fn replace_member<T: Member>(&self, server_id: &str, id: &str, input: T) -> Result<T, ApiError> {
        let replaced = self
            .edit(server_id, |config, _| {
                let index = position::<T>(config, id)?;
                let mut member = T::replacement(config, &T::members(config)[index], &input)?;
                member.set_id(id.to_owned());
                T::members_mut(config)[index] = member.clone();
                Ok(member)
            })
            .await?;
        Ok(self.show_member(server_id, &replaced))
    }

    /// Deletes member `id` of server `server_id`; system members cannot be deleted (`E0000006`).
    pub(super) async fn delete_member<T: Member>(&self, server_id: &str, id: &str) -> Result<(), ApiError> {
        self.edit(server_id, |config, _| {
            let index = position::<T>(config, id)?;
            let stored = &T::members(config)[index];
            if stored.is_system() {
                return Err(ApiError::system_object(T::SPEC.kind));
            }
            T::check_delete(config, stored)?;
            T::members_mut(config).remove(index);
            Ok(())
        })
        .await
    }

    /// Routes `…/{server_id}/{segment}{rest}`, but for the list (`GET` without `rest`), which
    /// each kind answers itself.
    pub(super) async fn route_members<T: Member>(
        &self,
        request: &ApiRequest<'_>,
        server_id: &str,
        rest: &[&str],
    ) -> Answer {
        match (rest, request.method) {
            ([], Method::Post) => respond(201, &self.add_member(server_id, T::parse(request.body)?).await?),
            ([id], Method::Get) => respond(200, &self.member::<T>(server_id, id).await?),
            ([id], Method::Put) => {
                let input = unless_missing(T::parse(request.body), self.member::<T>(server_id, id)).await?;
                respond(200, &self.replace_member(server_id, id, input).await?)
            }
            ([id], Method::Delete) => no_content(self.delete_member::<T>(server_id, id).await),
            ([] | [_], _) => Err(ApiError::method_not_allowed()),
            _ => Err(ApiError::path_not_found()),
        }
    }

    /// A member as the API shows it, with `_links.self` (system members cannot be deleted).
    pub(super) fn show_member<T: Member>(&self, server_id: &str, member: &T) -> T {
        let href = format!(
            "{}/{}/{}",
            server_href(&self.base_url, server_id),
            T::SPEC.segment,
            member.id()
        );
        let mut shown = member.clone();
        shown.set_links(Some(self_links(href, member.is_system())));
        shown
    }
}

/// Defines a member kind's typed `create_…`, `get_…`, `replace_…` and `delete_…` operations over
/// the generic ones above, each documented with its endpoint. `$created` adds to what creation
/// fills in, `$refused` says which `E0000001` creation and replacement give, `$replaced` what a
/// replacement may not change, and `$kept` which members cannot be deleted beyond system ones.
macro_rules! member_operations {
    ($kind:ident($member:ident, $id:ident) under $segment:literal, $create:ident: $created:literal, $refused:literal;
     $get:ident; $replace:ident: $replaced:literal; $delete:ident: $kept:literal) => {
        impl<C: ConfigStore, D: Directory> ManagementApi<C, D> {
            #[doc = concat!("`POST /api/v1/authorizationServers/{serverId}/", $segment, "`: adds `",
                stringify!($member), "` (its `id`, `system` and `_links` are ignored) with a new id",
                $created, "; answers it as shown.\n\n# Errors\n`E0000007` for an unknown server; `E0000001` ",
                $refused, "; `E0000009` when the store fails.")]
            pub async fn $create(&self, server_id: &str, $member: $kind) -> Result<$kind, ApiError> {
                self.add_member(server_id, $member).await
            }

            #[doc = concat!("`GET /api/v1/authorizationServers/{serverId}/", $segment, "/{", stringify!($id),
                "}`: the ", stringify!($member), ", as shown.\n\n# Errors\n`E0000007` for an unknown server or ",
                stringify!($member), "; `E0000009` when the store fails.")]
            pub async fn $get(&self, server_id: &str, $id: &str) -> Result<$kind, ApiError> {
                self.member(server_id, $id).await
            }

            #[doc = concat!("`PUT /api/v1/authorizationServers/{serverId}/", $segment, "/{", stringify!($id),
                "}`: replaces the ", stringify!($member), " with `", stringify!($member), "` (its `id`, `system` ",
                "and `_links` are ignored); answers it as shown. ", $replaced, "\n\n# Errors\n`E0000007` for an ",
                "unknown server or ", stringify!($member), "; `E0000001` ", $refused,
                "; `E0000009` when the store fails.")]
            pub async fn $replace(&self, server_id: &str, $id: &str, $member: $kind) -> Result<$kind, ApiError> {
                self.replace_member(server_id, $id, $member).await
            }

            #[doc = concat!("`DELETE /api/v1/authorizationServers/{serverId}/", $segment, "/{", stringify!($id),
                "}`.\n\n# Errors\n`E0000007` for an unknown server or ", stringify!($member), "; `E0000006` for a ",
                "system ", stringify!($member), $kept, "; `E0000009` when the store fails.")]
            pub async fn $delete(&self, server_id: &str, $id: &str) -> Result<(), ApiError> {
                self.delete_member::<$kind>(server_id, $id).await
            }
        }
    };
}

pub(super) use member_operations;

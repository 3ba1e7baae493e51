//! HAL `_links` as Okta writes them: `{"href": …, "hints": {"allow": [methods]}}`, with hrefs
//! built from the host's base URL.

use serde_json::{Map, Value, json};

use super::Method;
use crate::model::Status;

/// A link to `href` allowing `allow`.
pub fn link(href: impl Into<String>, allow: &[Method]) -> Value {
    let methods: Vec<&str> = allow.iter().map(|m| m.as_str()).collect();
    json!({ "href": href.into(), "hints": { "allow": methods } })
}

/// The methods an object's `self` link allows: `GET`, `PUT` and, unless it is a system object,
/// `DELETE`.
fn object_methods(system: bool) -> &'static [Method] {
    if system {
        &[Method::Get, Method::Put]
    } else {
        &[Method::Get, Method::Put, Method::Delete]
    }
}

/// `{"self": …}`: the `_links` of an object at `href` (see [`object_methods`]).
pub(super) fn self_links(href: impl Into<String>, system: bool) -> Value {
    json!({ "self": link(href, object_methods(system)) })
}

/// `self` (see [`object_methods`]) and the lifecycle link that changes `status`.
pub(super) fn object_links(href: &str, system: bool, status: Status) -> Map<String, Value> {
    let action = if status.is_active() { "deactivate" } else { "activate" };
    let mut links = Map::new();
    links.insert("self".to_owned(), link(href, object_methods(system)));
    links.insert(
        action.to_owned(),
        link(format!("{href}/lifecycle/{action}"), &[Method::Post]),
    );
    links
}

/// A link without method hints.
pub fn plain_link(href: impl Into<String>) -> Value {
    json!({ "href": href.into() })
}

/// `{base}/api/v1/authorizationServers/{id}`.
pub fn server_href(base_url: &str, server_id: &str) -> String {
    format!("{base_url}/api/v1/authorizationServers/{server_id}")
}

/// `{base}/oauth2/{id}`: a server's issuer.
pub fn issuer(base_url: &str, server_id: &str) -> String {
    format!("{base_url}/oauth2/{server_id}")
}

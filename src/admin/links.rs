//! HAL `_links` as Okta writes them: `{"href": …, "hints": {"allow": [methods]}}`, with hrefs
//! built from the host's base URL.

use serde_json::{Value, json};

use super::Method;

/// A link to `href` allowing `allow`.
pub fn link(href: impl Into<String>, allow: &[Method]) -> Value {
    let methods: Vec<&str> = allow.iter().map(|m| m.as_str()).collect();
    json!({ "href": href.into(), "hints": { "allow": methods } })
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

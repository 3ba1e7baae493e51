//! Delivering an authorization response (OAuth 2.0 Multiple Response Type Encoding Practices §5,
//! OAuth 2.0 Form Post Response Mode; Okta's "Authorize" endpoint, `response_mode`): a redirect
//! with the parameters in the query or the fragment, an auto-submitting form (`form_post`), or a
//! page that posts a message to the redirect URI's origin (`okta_post_message`); and the error
//! page shown when the client or redirect URI cannot be trusted, which never redirects.
//!
//! Pages carry a `Content-Security-Policy` that allows only their own inline script (by hash).
//! Values are HTML-escaped in attributes and text, and JSON-escaped in scripts with `<`, `>`, `&`,
//! U+2028 and U+2029 written as `\uXXXX`, so no value can close the script or the attribute.

use base64::Engine as _;
use serde_json::{Map, Value};
use url::Url;

use super::request::ResponseMode;
use crate::endpoint::{Body, EndpointResponse, OAuthError};

const HTML: &str = "text/html;charset=UTF-8";

/// The script of the `form_post` page.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";

/// The origin messages are posted to (`https://app.example.com:8443`): the redirect URI's origin
/// for `http` and `https` URIs, `None` otherwise (custom schemes have no origin to post to).
pub(crate) fn web_origin(url: &Url) -> Option<String> {
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        _ => None,
    }
}

/// Delivers `params` to `redirect_uri` by `mode`. Every response is `no-store`; redirects carry
/// `Referrer-Policy: no-referrer` (RFC 9700 §4.2.4).
pub(crate) fn deliver(redirect_uri: &Url, mode: ResponseMode, params: &[(&str, &str)]) -> EndpointResponse {
    match mode {
        ResponseMode::Query => {
            let mut location = redirect_uri.clone();
            location.query_pairs_mut().extend_pairs(params);
            redirect(&location)
        }
        ResponseMode::Fragment => {
            let mut location = redirect_uri.clone();
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            location.set_fragment(Some(&encoded));
            redirect(&location)
        }
        ResponseMode::FormPost => form_post(redirect_uri, params),
        ResponseMode::OktaPostMessage => post_message(redirect_uri, params),
    }
}

fn redirect(location: &Url) -> EndpointResponse {
    EndpointResponse {
        status: 302,
        headers: Vec::new(),
        body: Body::Empty,
    }
    .with_header("Location", location.as_str().to_owned())
    .with_header("Referrer-Policy", "no-referrer")
    .no_store()
}

fn page(status: u16, html: String, csp: &str) -> EndpointResponse {
    EndpointResponse {
        status,
        headers: Vec::new(),
        body: Body::Html(html),
    }
    .with_header("Content-Type", HTML)
    .with_header("Content-Security-Policy", csp.to_owned())
    .with_header("Referrer-Policy", "no-referrer")
    .no_store()
}

/// `script-src 'sha256-…'` for `script`, the only script a page may run.
fn script_hash(script: &str) -> String {
    let digest = crate::crypto::sha256(script.as_bytes());
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
}

fn form_post(redirect_uri: &Url, params: &[(&str, &str)]) -> EndpointResponse {
    let inputs: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape_html(name),
                escape_html(value)
            )
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>Submit This Form</title></head>\
         <body><form method=\"post\" action=\"{action}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script>{SUBMIT_SCRIPT}</script></body></html>",
        action = escape_html(redirect_uri.as_str()),
    );
    let csp = format!("default-src 'none'; script-src {}", script_hash(SUBMIT_SCRIPT));
    page(200, html, &csp)
}

fn post_message(redirect_uri: &Url, params: &[(&str, &str)]) -> EndpointResponse {
    // The caller only picks this mode for web origins; anything else posts nowhere.
    let origin = web_origin(redirect_uri).unwrap_or_default();
    let data: Map<String, Value> = params
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Value::String((*value).to_owned())))
        .collect();
    let script = format!(
        "(window.opener||window.parent).postMessage({},{});",
        script_json(&Value::Object(data)),
        script_json(&Value::String(origin.clone())),
    );
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>Authorization response</title></head>\
         <body><script>{script}</script></body></html>"
    );
    let csp = format!(
        "default-src 'none'; script-src {}; frame-ancestors {origin}",
        script_hash(&script)
    );
    page(200, html, &csp)
}

/// The page shown instead of redirecting when the client or its redirect URI cannot be trusted
/// (RFC 6749 §4.1.2.1; Okta answers with a 400 page).
pub(crate) fn error_page(error: &OAuthError) -> EndpointResponse {
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>400 Bad Request</title></head>\
         <body><h1>400 Bad Request</h1><p>{}</p><p>Error: {}</p></body></html>",
        escape_html(&error.description),
        escape_html(error.code.as_str()),
    );
    page(400, html, "default-src 'none'")
}

/// `text` with each character `escape` names replaced by its escape.
fn escaped(text: &str, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match escape(c) {
            Some(escape) => out.push_str(escape),
            None => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML text and double- or single-quoted attributes.
pub(crate) fn escape_html(text: &str) -> String {
    escaped(text, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    })
}

/// JSON safe inside a `<script>` element: the characters that could end the element, start a
/// comment or an entity, or end a line in older parsers are `\u`-escaped (they only occur in
/// strings, where the escape means the same).
pub(crate) fn script_json(value: &Value) -> String {
    escaped(&value.to_string(), |c| match c {
        '<' => Some("\\u003c"),
        '>' => Some("\\u003e"),
        '&' => Some("\\u0026"),
        '\u{2028}' => Some("\\u2028"),
        '\u{2029}' => Some("\\u2029"),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let value = Value::String("</script><script>alert(1)</script>&\u{2028}".to_owned());
        let out = script_json(&value);
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&'));
        assert_eq!(
            serde_json::from_str::<Value>(&out).unwrap(),
            value,
            "the escapes mean the same"
        );
    }

    #[test]
    fn html_escaping() {
        assert_eq!(escape_html("a\"b'<c>&"), "a&quot;b&#39;&lt;c&gt;&amp;");
    }

    #[test]
    fn origins_only_for_web_schemes() {
        let url = Url::parse("https://App.Example.com:8443/cb?x=1#f").unwrap();
        assert_eq!(web_origin(&url).as_deref(), Some("https://app.example.com:8443"));
        assert_eq!(
            web_origin(&Url::parse("https://a.example:443/cb").unwrap()).as_deref(),
            Some("https://a.example")
        );
        assert_eq!(web_origin(&Url::parse("com.example.app:/callback").unwrap()), None);
    }

    #[test]
    fn query_keeps_the_redirect_uris_own_query() {
        let url = Url::parse("https://app.example/cb?tenant=a").unwrap();
        let response = deliver(&url, ResponseMode::Query, &[("code", "x y"), ("state", "s")]);
        assert_eq!(response.status, 302);
        assert_eq!(
            response.header("Location"),
            Some("https://app.example/cb?tenant=a&code=x+y&state=s")
        );
        assert_eq!(response.header("Referrer-Policy"), Some("no-referrer"));
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
    }
}

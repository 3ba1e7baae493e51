//! Request parameters of the OAuth endpoints, from a query string or an
//! `application/x-www-form-urlencoded` body.
//!
//! RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once", so a
//! repeated parameter is refused rather than one of its values silently chosen. Parameters sent
//! without a value are treated as absent (§3.1). Input is bounded by [`MAX_PARAMS_LEN`].

use std::collections::HashMap;

/// The longest query string or form body accepted, in bytes.
pub const MAX_PARAMS_LEN: usize = 64 * 1024;

/// Why parameters could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// A parameter appears more than once (RFC 6749 §3.1). Holds its name, which is one of the
    /// protocol's parameter names or an unknown name the client sent.
    #[error("the '{0}' parameter was repeated")]
    Repeated(String),
    /// The input is longer than [`MAX_PARAMS_LEN`].
    #[error("the request parameters are too long")]
    TooLong,
}

/// Decoded request parameters, each name at most once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Parses `a=1&b=2` (a query string without `?`, or a form body). Percent-encoding and `+`
    /// are decoded; empty values are dropped.
    ///
    /// # Errors
    /// [`ParamsError::Repeated`] for a repeated name, [`ParamsError::TooLong`] for oversized input.
    pub fn parse(input: &str) -> Result<Params, ParamsError> {
        if input.len() > MAX_PARAMS_LEN {
            return Err(ParamsError::TooLong);
        }
        let mut values = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(input.as_bytes()) {
            if value.is_empty() {
                continue;
            }
            if values.insert(name.clone().into_owned(), value.into_owned()).is_some() {
                return Err(ParamsError::Repeated(name.into_owned()));
            }
        }
        Ok(Params { values })
    }

    /// Parameters from name–value pairs already decoded by the host.
    ///
    /// # Errors
    /// [`ParamsError::Repeated`] for a repeated name.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Params, ParamsError> {
        let mut values = HashMap::new();
        for (name, value) in pairs {
            let (name, value) = (name.into(), value.into());
            if value.is_empty() {
                continue;
            }
            if values.contains_key(&name) {
                return Err(ParamsError::Repeated(name));
            }
            values.insert(name, value);
        }
        Ok(Params { values })
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The names present, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The space-delimited list in `name` (e.g. `scope`, `response_type`), in order, without
    /// empty items; `None` when the parameter is absent.
    pub fn list(&self, name: &str) -> Option<Vec<&str>> {
        self.get(name)
            .map(|value| value.split(' ').filter(|item| !item.is_empty()).collect())
    }
}

/// Client credentials from an `Authorization: Basic` header (RFC 6749 §2.3.1): the client ID and
/// secret are each form-urlencoded before being joined with `:` and base64-encoded, so both are
/// decoded after splitting.
///
/// Returns `None` when the header is not Basic or is malformed (bad base64, no `:`, bad UTF-8).
pub fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let mut id = String::from_utf8(decoded).ok()?;
    let colon = id.find(':')?;
    let secret = form_unescape(&id[colon + 1..])?;
    id.truncate(colon);
    if id.contains(['+', '%']) {
        id = form_unescape(&id)?;
    }
    Some((id, secret))
}

/// `text` form-urlencoded (`+` for a space, `%XX` escapes) decoded, if it decodes to UTF-8.
fn form_unescape(text: &str) -> Option<String> {
    if !text.contains(['+', '%']) {
        return Some(text.to_owned());
    }
    let text = text.replace('+', " ");
    percent_encoding::percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let params = Params::parse("grant_type=client_credentials&scope=a%3Aread+b%3Awrite&empty=").unwrap();
        assert_eq!(params.get("grant_type"), Some("client_credentials"));
        assert_eq!(params.list("scope"), Some(vec!["a:read", "b:write"]));
        assert!(
            !params.contains("empty"),
            "RFC 6749 §3.1: parameters without a value are omitted"
        );
        assert_eq!(params.get("missing"), None);
    }

    #[test]
    fn repeated_parameters_are_refused() {
        // RFC 6749 §3.1: parameters MUST NOT be included more than once.
        assert_eq!(
            Params::parse("scope=a&scope=b"),
            Err(ParamsError::Repeated("scope".into()))
        );
        assert_eq!(
            Params::from_pairs([("code", "x"), ("code", "y")]),
            Err(ParamsError::Repeated("code".into()))
        );
    }

    #[test]
    fn oversized_input_is_refused() {
        assert_eq!(
            Params::parse(&"a".repeat(MAX_PARAMS_LEN + 1)),
            Err(ParamsError::TooLong)
        );
    }

    #[test]
    fn basic_credentials_are_form_urlencoded_inside_base64() {
        use base64::Engine as _;
        let encode = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s));
        assert_eq!(
            basic_credentials(&encode("client:secret")),
            Some(("client".into(), "secret".into()))
        );
        // RFC 6749 §2.3.1: a secret containing `:` or `%` arrives form-urlencoded.
        assert_eq!(
            basic_credentials(&encode("my%20client:p%3Ass%25w+rd")),
            Some(("my client".into(), "p:ss%w rd".into()))
        );
        assert_eq!(
            basic_credentials(&encode("a:b=c&d")),
            Some(("a".into(), "b=c&d".into()))
        );
        assert_eq!(
            basic_credentials("basic Y2xpZW50OnNlY3JldA=="),
            Some(("client".into(), "secret".into()))
        );
        // Either half may be escaped alone.
        assert_eq!(
            basic_credentials(&encode("my+client:secret")),
            Some(("my client".into(), "secret".into()))
        );
        assert_eq!(
            basic_credentials(&encode("client:s%2Bcret")),
            Some(("client".into(), "s+cret".into()))
        );
        assert_eq!(basic_credentials(&encode("client:%FF")), None, "not UTF-8 once decoded");
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        assert_eq!(basic_credentials(&encode("no-colon")), None);
    }
}

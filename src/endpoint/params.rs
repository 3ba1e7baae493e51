//! Request parameters of the OAuth endpoints, from a query string or an
//! `application/x-www-form-urlencoded` body.
//!
//! RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once", so a
//! repeated parameter is refused rather than one of its values silently chosen. Parameters sent
//! without a value are treated as absent (§3.1). Input is bounded by [`MAX_PARAMS_LEN`].

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// The longest query string or form body accepted, in bytes.
pub const MAX_PARAMS_LEN: usize = 64 * 1024;

/// Why parameters could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// A parameter appears more than once (RFC 6749 §3.1). Holds its name, which is one of the
    /// protocol's parameter names or an unknown name the client sent; when several names
    /// repeat, the first of them in byte order.
    #[error("the '{0}' parameter was repeated")]
    Repeated(String),
    /// The input is longer than [`MAX_PARAMS_LEN`].
    #[error("the request parameters are too long")]
    TooLong,
}

/// Decoded request parameters, each name at most once.
///
/// Every decoded name and value is kept in one buffer, with the entries sorted by name: a form
/// is that buffer and the list of entries (plus a temporary for each escaped name or value while
/// it is decoded), where a map of owned strings took two allocations per parameter, and a lookup
/// is a binary search.
#[derive(Clone, Default)]
pub struct Params {
    /// The decoded names and values, each value right after its name.
    text: String,
    /// Where each parameter lies in `text`, sorted by name.
    entries: Vec<Entry>,
}

/// One parameter: its name is `text[name]`, its value runs from the name's end to `value_end`.
#[derive(Clone)]
struct Entry {
    name: Range<usize>,
    value_end: usize,
}

impl Entry {
    /// This parameter's name in `text`.
    fn name<'t>(&self, text: &'t str) -> &'t str {
        &text[self.name.clone()]
    }

    /// This parameter's value in `text`.
    fn value<'t>(&self, text: &'t str) -> &'t str {
        &text[self.name.end..self.value_end]
    }
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
        // Decoding never lengthens the text, and the separators are not kept.
        let mut params = Params {
            text: String::with_capacity(input.len()),
            // Enough for a token request's form without growing.
            entries: Vec::with_capacity(8),
        };
        // Split as `form_urlencoded::parse` does (on `&`, then at the first `=`), and hand it
        // only the pairs that have something to decode.
        for pair in input.split('&').filter(|pair| !pair.is_empty()) {
            if may_be_escaped(pair) {
                for (name, value) in url::form_urlencoded::parse(pair.as_bytes()) {
                    params.push(&name, &value);
                }
            } else {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                params.push(name, value);
            }
        }
        params.sorted()
    }

    /// Parameters from name–value pairs already decoded by the host.
    ///
    /// # Errors
    /// [`ParamsError::Repeated`] for a repeated name.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Params, ParamsError> {
        let mut params = Params::default();
        for (name, value) in pairs {
            params.push(&name.into(), &value.into());
        }
        params.sorted()
    }

    /// Appends a parameter, unless its value is empty.
    fn push(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let start = self.text.len();
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.entries.push(Entry {
            name: start..name_end,
            value_end: self.text.len(),
        });
    }

    /// Sorts the entries by name, refusing a name that appears twice.
    fn sorted(mut self) -> Result<Params, ParamsError> {
        let text = self.text.as_str();
        self.entries.sort_unstable_by(|a, b| a.name(text).cmp(b.name(text)));
        if let Some(pair) = self
            .entries
            .windows(2)
            .find(|pair| pair[0].name(text) == pair[1].name(text))
        {
            return Err(ParamsError::Repeated(pair[0].name(text).to_owned()));
        }
        Ok(self)
    }

    /// The name and value of every parameter, sorted by name.
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|entry| (entry.name(&self.text), entry.value(&self.text)))
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        let index = self
            .entries
            .binary_search_by(|entry| entry.name(&self.text).cmp(name))
            .ok()?;
        Some(self.entries[index].value(&self.text))
    }

    /// The names present, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs().map(|(name, _)| name)
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The space-delimited list in `name` (e.g. `scope`, `response_type`), in order, without
    /// empty items; `None` when the parameter is absent.
    pub fn list(&self, name: &str) -> Option<Vec<&str>> {
        self.get(name)
            .map(|value| value.split(' ').filter(|item| !item.is_empty()).collect())
    }
}

/// Equal when they hold the same names with the same values, whatever order they came in.
impl PartialEq for Params {
    fn eq(&self, other: &Self) -> bool {
        self.pairs().eq(other.pairs())
    }
}

impl Eq for Params {}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.pairs()).finish()
    }
}

/// Client credentials from an `Authorization: Basic` header (RFC 6749 §2.3.1): the client ID and
/// secret are each form-urlencoded before being joined with `:` and base64-encoded, so both are
/// decoded after splitting.
///
/// Returns `None` when the header is not Basic or is malformed (bad base64, no `:`, bad UTF-8).
pub fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let (scheme, encoded) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let encoded = encoded.trim();
    // Credentials are short: decoded on the stack rather than into a zeroed vector.
    let mut buffer = [0u8; 256];
    let decoded = match STANDARD.decode_slice(encoded, &mut buffer) {
        Ok(length) => Cow::Borrowed(&buffer[..length]),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => Cow::Owned(STANDARD.decode(encoded).ok()?),
        Err(base64::DecodeSliceError::DecodeError(_)) => return None,
    };
    let (id, secret) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((form_unescape(id)?, form_unescape(secret)?))
}

/// Whether `text` holds a `+` or a `%`, the characters form-urldecoding changes: without them,
/// the text decodes to itself.
fn may_be_escaped(text: &str) -> bool {
    text.bytes().any(|byte| byte == b'+' || byte == b'%')
}

/// `text` form-urlencoded (`+` for a space, `%XX` escapes) decoded, if it decodes to UTF-8.
fn form_unescape(text: &str) -> Option<String> {
    if !may_be_escaped(text) {
        return Some(text.to_owned());
    }
    let text = text.replace('+', " ");
    percent_encoding::percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(Cow::into_owned)
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
        assert_eq!(params.get(""), None);
    }

    #[test]
    fn equal_whatever_the_order() {
        let params = Params::parse("b=2&a=1&c=%20").unwrap();
        assert_eq!(
            params,
            Params::from_pairs([("a", "1"), ("c", " "), ("b", "2")]).unwrap()
        );
        assert_ne!(params, Params::from_pairs([("a", "1"), ("b", "2")]).unwrap());
        assert_ne!(
            params,
            Params::from_pairs([("a", "1"), ("b", "2"), ("c", "x")]).unwrap()
        );
        assert_eq!(format!("{params:?}"), r#"{"a": "1", "b": "2", "c": " "}"#);
        let mut names: Vec<&str> = params.names().collect();
        names.sort_unstable();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(Params::default(), Params::parse("").unwrap());
    }

    #[test]
    fn names_may_be_prefixes_of_each_other() {
        // Names and values share one buffer: `ab` must not be read as name `a` and more.
        let params = Params::parse("a=b&ab=c&abc=&b=a").unwrap();
        assert_eq!(params.get("a"), Some("b"));
        assert_eq!(params.get("ab"), Some("c"));
        assert_eq!(params.get("abc"), None);
        assert_eq!(params.get("b"), Some("a"));
        assert!(!params.contains("ba"));
        assert_eq!(
            Params::parse("x=1&a=b&a=c"),
            Err(ParamsError::Repeated("a".into())),
            "a repeat is found wherever it is"
        );
        assert_eq!(
            Params::parse("a=1&b=&b=2"),
            Ok(Params::from_pairs([("a", "1"), ("b", "2")]).unwrap()),
            "an empty value is absent, so not a repeat"
        );
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
        // Longer than the stack buffer the header is decoded into, and just within it.
        for length in [400, 249] {
            let secret = "s".repeat(length);
            assert_eq!(
                basic_credentials(&encode(&format!("client:{secret}"))),
                Some(("client".into(), secret))
            );
        }
        assert_eq!(basic_credentials("Basic !!!!"), None, "not base64");
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        assert_eq!(basic_credentials(&encode("no-colon")), None);
    }
}

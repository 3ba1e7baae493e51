//! Reading and checking an authorization request (RFC 6749 §4.1.1, §4.2.1; OpenID Connect Core
//! §3.1.2.1; Okta's "Authorize" endpoint in the OpenID Connect & OAuth 2.0 API reference): pure
//! functions of the parameters and the client.
//!
//! Every refusal here is a [`Reason`] with a fixed description; none echoes what the client
//! sent. Which response mode carries a refusal is decided by [`delivery_mode`], before the rest
//! of the request is checked.

use crate::claims::{RequestedClaims, parse_claims_parameter};
use crate::endpoint::{Params, Reason};
use crate::model::{Client, GrantType, OFFLINE_ACCESS, OPENID, ResponseType};
use crate::pkce::{self, PkceError};

/// The longest `scope` accepted at `/authorize`, in bytes (Okta: 1024 characters).
pub(crate) const MAX_SCOPE_LEN: usize = 1024;

/// The OpenID Connect scopes whose claims need `openid` ("Requests for ID tokens or access tokens
/// with OpenID scopes require the 'openid' scope.").
const CLAIM_SCOPES: [&str; 4] = ["profile", "email", "address", "phone"];

/// The `response_type` components requested, each at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ResponseTypes {
    /// `code`
    pub(crate) code: bool,
    /// `token`
    pub(crate) token: bool,
    /// `id_token`
    pub(crate) id_token: bool,
}

impl ResponseTypes {
    /// Parses a space-delimited `response_type` of `code`, `token` and `id_token` in any order;
    /// `None` for anything else (an unknown or repeated item, or nothing).
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let mut types = Self {
            code: false,
            token: false,
            id_token: false,
        };
        for item in value.split(' ').filter(|item| !item.is_empty()) {
            let slot = match item {
                "code" => &mut types.code,
                "token" => &mut types.token,
                "id_token" => &mut types.id_token,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        (types.code || types.returns_tokens()).then_some(types)
    }

    /// Whether tokens come back from `/authorize` (implicit or hybrid).
    pub(crate) fn returns_tokens(self) -> bool {
        self.token || self.id_token
    }

    /// The client `response_types` each component needs.
    fn components(self) -> impl Iterator<Item = ResponseType> {
        [
            (self.code, ResponseType::Code),
            (self.token, ResponseType::Token),
            (self.id_token, ResponseType::IdToken),
        ]
        .into_iter()
        .filter_map(|(wanted, kind)| wanted.then_some(kind))
    }

    /// The grant types policies are evaluated with, and the client must allow: `authorization_code`
    /// for a code, `implicit` for tokens returned from `/authorize` (Okta's "Implicit (hybrid)");
    /// a hybrid request needs both.
    pub(crate) fn grant_types(self) -> &'static [GrantType] {
        match (self.code, self.returns_tokens()) {
            (true, true) => &[GrantType::AuthorizationCode, GrantType::Implicit],
            (true, false) => &[GrantType::AuthorizationCode],
            _ => &[GrantType::Implicit],
        }
    }
}

/// How the result reaches the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    /// Parameters in the redirect URI's query.
    Query,
    /// Parameters in the redirect URI's fragment.
    Fragment,
    /// An auto-submitting HTML form posting to the redirect URI.
    FormPost,
    /// `window.postMessage` to the redirect URI's origin.
    OktaPostMessage,
}

impl ResponseMode {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "query" => Some(Self::Query),
            "fragment" => Some(Self::Fragment),
            "form_post" => Some(Self::FormPost),
            "okta_post_message" => Some(Self::OktaPostMessage),
            _ => None,
        }
    }

    /// The default: `fragment` when tokens are returned, else `query` (OAuth 2.0 Multiple
    /// Response Type Encoding Practices §5).
    fn default_for(types: Option<ResponseTypes>) -> Self {
        if types.is_some_and(ResponseTypes::returns_tokens) {
            Self::Fragment
        } else {
            Self::Query
        }
    }
}

/// The response mode that carries the outcome, errors included: the requested one when it is
/// known (a client waiting for a posted message or form gets its error that way, even when the
/// mode is not allowed with the response type, since an error carries no token), else the
/// default for the response type. `okta_post_message` needs a web origin to post to; without one
/// the default is used.
pub(crate) fn delivery_mode(params: &Params, web_origin: bool) -> ResponseMode {
    let types = params.get("response_type").and_then(ResponseTypes::parse);
    let fallback = ResponseMode::default_for(types);
    match params.get("response_mode").and_then(ResponseMode::parse) {
        Some(ResponseMode::OktaPostMessage) if !web_origin => fallback,
        Some(mode) => mode,
        None => fallback,
    }
}

/// The longest `state` accepted, in bytes. Okta documents none; this leaves room for the JWTs
/// some clients use as `state` while bounding what is echoed back.
pub(crate) const MAX_STATE_LEN: usize = 2048;

/// `state` (RFC 6749 Appendix A.5): one or more VSCHAR (`%x20-7E`), at most [`MAX_STATE_LEN`]
/// bytes. A superset of Okta's documented alphabet (alphanumerics, comma, period, underscore and
/// hyphen), so every Okta client is accepted; the OpenID conformance suite sends `-._~` too.
pub(crate) fn valid_state(state: &str) -> bool {
    !state.is_empty() && state.len() <= MAX_STATE_LEN && state.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// `prompt` values (OpenID Connect Core §3.1.2.1); `consent` is accepted, and since consent is
/// not modelled, changes nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Prompt {
    /// `none`: never show UI; a missing or stale session is `login_required`.
    pub(crate) none: bool,
    /// `login`: re-authenticate even with a session.
    pub(crate) login: bool,
}

impl Prompt {
    fn parse(value: Option<&str>) -> Option<Self> {
        let Some(value) = value else {
            return Some(Self::default());
        };
        let mut prompt = Self::default();
        let mut count = 0;
        for item in value.split(' ').filter(|item| !item.is_empty()) {
            count += 1;
            match item {
                "none" => prompt.none = true,
                "login" => prompt.login = true,
                "consent" => {}
                _ => return None,
            }
        }
        // `none` stands alone (OpenID Connect Core §3.1.2.1); an empty value is no value.
        (count > 0 && !(prompt.none && count > 1) && count <= 2).then_some(prompt)
    }
}

/// A checked authorization request, borrowing from its parameters.
#[derive(Debug)]
pub(crate) struct ValidRequest<'a> {
    /// What to return.
    pub(crate) types: ResponseTypes,
    /// `nonce` (required when an ID token is returned from `/authorize`).
    pub(crate) nonce: Option<&'a str>,
    /// Requested scopes; `None` when `scope` was omitted (the defaults apply). `offline_access` is
    /// already removed when no code is returned.
    pub(crate) scopes: Option<Vec<String>>,
    /// `prompt`.
    pub(crate) prompt: Prompt,
    /// `max_age` in seconds.
    pub(crate) max_age: Option<u32>,
    /// The S256 `code_challenge` (only when a code is returned).
    pub(crate) code_challenge: Option<&'a str>,
    /// The individual claims the `claims` parameter asked for (OpenID Connect Core §5.5).
    pub(crate) requested_claims: Option<RequestedClaims>,
    /// The `acr` values asked for, `acr_values` first, then `claims.id_token.acr`'s; `None`
    /// when no `acr` was asked for (OpenID Connect Core §3.1.2.1, §5.5.1.1).
    pub(crate) acr: Option<Vec<String>>,
}

/// Checks everything about the request that needs no session, after the client and redirect
/// URI were found trustworthy. `web_origin` tells whether the redirect URI has an http(s)
/// origin to post messages to.
pub(crate) fn validate<'a>(params: &'a Params, client: &Client, web_origin: bool) -> Result<ValidRequest<'a>, Reason> {
    let types = response_types(params, client)?;
    check_response_mode(params, types, web_origin)?;
    if !params.get("state").is_some_and(valid_state) {
        return Err(Reason::InvalidState);
    }
    let scopes = requested_scopes(params, types)?;
    let nonce = params.get("nonce");
    if types.id_token && nonce.is_none() {
        return Err(Reason::NonceRequired);
    }
    let prompt = Prompt::parse(params.get("prompt")).ok_or(Reason::InvalidPrompt)?;
    let max_age = match params.get("max_age") {
        None => None,
        Some(value) => Some(parse_max_age(value).ok_or(Reason::InvalidMaxAge)?),
    };
    let code_challenge = if types.code {
        code_challenge(params, client)?
    } else {
        None
    };
    let (requested_claims, acr) = requested(params)?;
    Ok(ValidRequest {
        types,
        nonce,
        scopes,
        prompt,
        max_age,
        code_challenge,
        requested_claims,
        acr,
    })
}

/// `claims` (OpenID Connect Core §5.5) and `acr_values` (§3.1.2.1): the individual claims asked
/// for, and the `acr` values asked for, `acr_values` first.
fn requested(params: &Params) -> Result<(Option<RequestedClaims>, Option<Vec<String>>), Reason> {
    let parsed = match params.get("claims") {
        Some(text) => Some(parse_claims_parameter(text).ok_or(Reason::InvalidClaimsParameter)?),
        None => None,
    };
    let acr_values = params
        .list("acr_values")
        .map(|values| values.into_iter().map(str::to_owned).collect::<Vec<_>>());
    let (claims, claims_acr) = match parsed {
        Some(parsed) => (Some(parsed.claims), parsed.acr),
        None => (None, None),
    };
    let acr = match (acr_values, claims_acr) {
        (None, None) => None,
        (values, more) => Some(values.into_iter().flatten().chain(more.into_iter().flatten()).collect()),
    };
    let claims = claims.filter(|claims| !claims.id_token.is_empty() || !claims.userinfo.is_empty());
    Ok((claims, acr))
}

/// `response_type`, allowed by the client's `response_types` and `grant_types`.
fn response_types(params: &Params, client: &Client) -> Result<ResponseTypes, Reason> {
    let value = params.get("response_type").ok_or(Reason::ResponseTypeMissing)?;
    let unsupported = || Reason::ResponseTypeNotAllowed {
        configured: client.response_types.clone(),
    };
    let types = ResponseTypes::parse(value).ok_or_else(unsupported)?;
    if !types.components().all(|kind| client.response_types.contains(&kind)) {
        return Err(unsupported());
    }
    if !types.grant_types().iter().all(|grant| client.allows_grant(*grant)) {
        return Err(Reason::AuthorizeGrantTypeNotAllowed {
            configured: client.grant_types.clone(),
        });
    }
    Ok(types)
}

/// `response_mode`: a known value, `query` never with tokens (OAuth 2.0 Multiple Response Type
/// Encoding Practices §5), `okta_post_message` never for the code flow (Okta) and only towards a
/// web origin.
fn check_response_mode(params: &Params, types: ResponseTypes, web_origin: bool) -> Result<(), Reason> {
    let Some(value) = params.get("response_mode") else {
        return Ok(());
    };
    match ResponseMode::parse(value) {
        None => Err(Reason::UnsupportedResponseMode),
        Some(ResponseMode::Query) if types.returns_tokens() => Err(Reason::QueryModeWithTokens),
        Some(ResponseMode::OktaPostMessage) if !types.returns_tokens() => Err(Reason::PostMessageWithCode),
        Some(ResponseMode::OktaPostMessage) if !web_origin => Err(Reason::PostMessageNeedsWebOrigin),
        Some(_) => Ok(()),
    }
}

/// `scope`: bounded, RFC 6749 §3.3 syntax, `openid` when an ID token is returned or claim scopes
/// are asked for, `offline_access` dropped without a code (Okta: refresh tokens come only with a
/// code).
fn requested_scopes(params: &Params, types: ResponseTypes) -> Result<Option<Vec<String>>, Reason> {
    let Some(value) = params.get("scope") else {
        return Ok(None);
    };
    if value.len() > MAX_SCOPE_LEN || !crate::grant::scope_syntax(value) {
        return Err(Reason::AuthorizeScopeMalformed);
    }
    let mut scopes: Vec<String> = Vec::new();
    for item in value.split(' ').filter(|item| !item.is_empty()) {
        let ignored = item == OFFLINE_ACCESS && !types.code;
        if !ignored && !scopes.iter().any(|scope| scope == item) {
            scopes.push(item.to_owned());
        }
    }
    check_openid(&scopes, types)?;
    Ok(Some(scopes))
}

/// An ID token, or claims of the OpenID Connect claim scopes, need `openid`.
pub(crate) fn check_openid(scopes: &[String], types: ResponseTypes) -> Result<(), Reason> {
    let has_openid = scopes.iter().any(|scope| scope == OPENID);
    let needs_openid = types.id_token || scopes.iter().any(|scope| CLAIM_SCOPES.contains(&scope.as_str()));
    if needs_openid && !has_openid {
        Err(Reason::OpenidRequired)
    } else {
        Ok(())
    }
}

/// `max_age`: 0 … 2³¹−1 seconds.
fn parse_max_age(value: &str) -> Option<u32> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse::<u32>().ok().filter(|age| i32::try_from(*age).is_ok())
}

/// PKCE for a code (RFC 7636 §4.3): S256 only; required for public clients (Okta).
fn code_challenge<'a>(params: &'a Params, client: &Client) -> Result<Option<&'a str>, Reason> {
    let method = params.get("code_challenge_method");
    let Some(challenge) = params.get("code_challenge") else {
        if method.is_some() {
            return Err(Reason::PkceChallengeMissing);
        }
        if client.is_public() {
            return Err(Reason::PkceChallengeRequired);
        }
        return Ok(None);
    };
    match pkce::validate_challenge(challenge, method) {
        Ok(()) => Ok(Some(challenge)),
        Err(PkceError::UnsupportedMethod) => Err(Reason::PkceMethodUnsupported),
        Err(_) => Err(Reason::PkceChallengeInvalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_types_parse_in_any_order_without_repeats() {
        let hybrid = ResponseTypes::parse("id_token code").unwrap();
        assert!(hybrid.code && hybrid.id_token && !hybrid.token);
        assert_eq!(
            ResponseTypes::parse("token id_token code")
                .map(ResponseTypes::grant_types)
                .map(<[_]>::len),
            Some(2)
        );
        for bad in ["", " ", "code code", "none", "code foo", "CODE"] {
            assert_eq!(ResponseTypes::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn state_is_any_vschar_within_the_limit() {
        // RFC 6749 Appendix A.5: `state = 1*VSCHAR`, VSCHAR = %x20-7E. Okta's documented
        // alphabet (reference §4.2) is a subset; the conformance suite's `CreateRandomStateValue`
        // sends 124 alphanumerics and `-._~`.
        assert!(valid_state("aZ09,._-"));
        let suite = format!("{}-._~", "a".repeat(124));
        assert!(valid_state(&suite));
        let every_vschar: String = (0x20u8..=0x7e).map(char::from).collect();
        assert!(valid_state(&every_vschar));
        assert!(valid_state(&"s".repeat(MAX_STATE_LEN)));
        for bad in ["", "a\tb", "a\nb", "é", "a\u{7f}"] {
            assert!(!valid_state(bad), "{bad:?}");
        }
        assert!(!valid_state(&"s".repeat(MAX_STATE_LEN + 1)), "longer than the limit");
    }

    #[test]
    fn prompt_values() {
        assert_eq!(Prompt::parse(None), Some(Prompt::default()));
        assert_eq!(
            Prompt::parse(Some("none")),
            Some(Prompt {
                none: true,
                login: false
            })
        );
        assert_eq!(
            Prompt::parse(Some("login consent")),
            Some(Prompt {
                none: false,
                login: true
            })
        );
        assert_eq!(Prompt::parse(Some("consent")), Some(Prompt::default()));
        for bad in [
            "none login",
            "select_account",
            "enroll_authenticator",
            " ",
            "login login consent",
        ] {
            assert_eq!(Prompt::parse(Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn max_age_bounds() {
        assert_eq!(parse_max_age("0"), Some(0));
        assert_eq!(parse_max_age("2147483647"), Some(i32::MAX as u32));
        for bad in ["2147483648", "-1", "+5", "1.5", "", "１"] {
            assert_eq!(parse_max_age(bad), None, "{bad:?}");
        }
    }
}

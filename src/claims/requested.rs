//! What an authorization request asks for beyond its scopes: individual claims through the
//! `claims` parameter (OpenID Connect Core §5.5) and an authentication context class through
//! `acr_values` (§3.1.2.1) or an `acr` member of `claims.id_token` (§5.5.1.1). Applied as a
//! separate step over the claims [`id_token_claims`](super::id_token_claims) and
//! [`userinfo_claims`](super::userinfo_claims) assemble.
//!
//! - **Individual claims.** The OpenID Connect standard claims ([`SCOPE_CLAIMS`]) named in
//!   `claims.id_token` or `claims.userinfo` are added to the ID token or the `/userinfo` answer
//!   when the user's profile has them, whether or not their scope was granted, unless the
//!   server's `SYSTEM` claim of that name is inactive. Other names are ignored (custom claims
//!   follow their scope conditions only), and so are `essential`, `value` and `values`: a claim
//!   the user lacks is left out (§5.5.1: not an error). Access tokens carry the names requested
//!   for `/userinfo` in [`REQUESTED_USERINFO_CLAIMS`], since `/userinfo` has only the token.
//! - **`acr`.** Okta documents `acr_values` as "The authorization server chooses one and reflects
//!   the chosen value in any resulting tokens". The first requested value the session satisfies
//!   (by its `amr`, RFC 8176) is chosen; if none is, the class the session did achieve, so the
//!   client can tell. The values understood are [`ACR_VALUES_SUPPORTED`], Okta's.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::compile::ClaimSet;
use super::standard::{SCOPE_CLAIMS, standard_claim};
use crate::model::User;

/// The access-token claim listing the standard claims the authorization request's `claims`
/// parameter asked `/userinfo` for; absent when it asked for none.
pub const REQUESTED_USERINFO_CLAIMS: &str = "requested_userinfo_claims";

/// Okta's authentication context classes this server can evaluate from a session's `amr`:
/// any one factor, a password, any two factors, and two factors if possible.
pub const ACR_VALUES_SUPPORTED: &[&str] = &[
    "urn:okta:loa:1fa:any",
    "urn:okta:loa:1fa:pwd",
    "urn:okta:loa:2fa:any",
    "urn:okta:loa:2fa:any:ifpossible",
];

/// The individual standard claims a request asked for (OpenID Connect Core §5.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedClaims {
    /// Claims requested in the ID token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token: Vec<String>,
    /// Claims requested from `/userinfo`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo: Vec<String>,
}

/// What the `claims` parameter asked for: individual claims, and the `acr` values requested in
/// `claims.id_token.acr` (`Some`, possibly empty, when `acr` is named at all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimsRequest {
    /// The standard claims named.
    pub claims: RequestedClaims,
    /// `claims.id_token.acr`'s `value` and `values`, if `acr` is named.
    pub acr: Option<Vec<String>>,
}

/// A member of `claims.id_token` or `claims.userinfo`: `null` or `{essential, value, values}`.
#[derive(Deserialize, Default)]
struct Individual {
    value: Option<Value>,
    values: Option<Vec<Value>>,
}

/// Parses the `claims` parameter (OpenID Connect Core §5.5): a JSON object whose `id_token` and
/// `userinfo` members, if present, are objects naming claims. Members not understood are
/// ignored (§5.5); `None` when it is not such an object.
pub fn parse_claims_parameter(text: &str) -> Option<ClaimsRequest> {
    let Value::Object(request) = serde_json::from_str::<Value>(text).ok()? else {
        return None;
    };
    let mut parsed = ClaimsRequest::default();
    for (member, out) in [("id_token", true), ("userinfo", false)] {
        let names = match request.get(member) {
            None | Some(Value::Null) => continue,
            Some(Value::Object(names)) => names,
            Some(_) => return None,
        };
        for (name, individual) in names {
            let individual: Individual = match individual {
                Value::Null => Individual::default(),
                Value::Object(_) => serde_json::from_value(individual.clone()).ok()?,
                _ => return None,
            };
            if out && name == "acr" {
                let values = individual
                    .value
                    .into_iter()
                    .chain(individual.values.into_iter().flatten());
                parsed.acr = Some(values.filter_map(|value| value.as_str().map(str::to_owned)).collect());
            }
            if is_standard_claim(name) {
                let list = if out {
                    &mut parsed.claims.id_token
                } else {
                    &mut parsed.claims.userinfo
                };
                if !list.contains(name) {
                    list.push(name.clone());
                }
            }
        }
    }
    Some(parsed)
}

/// Whether `name` is one of the OpenID Connect standard claims a scope releases.
fn is_standard_claim(name: &str) -> bool {
    SCOPE_CLAIMS.iter().any(|(_, names)| names.contains(&name))
}

/// Adds to `out` each claim of `names` the user has, unless already there or its `SYSTEM` claim
/// is inactive.
pub fn add_requested_claims(set: &ClaimSet, user: &User, names: &[String], out: &mut Map<String, Value>) {
    for name in names.iter().filter(|name| is_standard_claim(name)) {
        let released = set.system_claim(name).is_none_or(|claim| claim.active);
        if released && !out.contains_key(name.as_str()) {
            if let Some(value) = standard_claim(user, name) {
                out.insert(name.clone(), value);
            }
        }
    }
}

/// The `acr` for a session authenticated by `amr`: the first of `requested` it satisfies, else
/// the class it achieved (two factors, a password, or any one factor).
pub fn choose_acr(requested: &[String], amr: &[String]) -> String {
    requested
        .iter()
        .find(|value| satisfies(amr, value))
        .cloned()
        .unwrap_or_else(|| achieved(amr).to_owned())
}

/// Whether two factors were used: `mfa`, or two distinct methods (RFC 8176).
fn two_factors(amr: &[String]) -> bool {
    let mut methods: Vec<&str> = amr
        .iter()
        .map(String::as_str)
        .filter(|method| *method != "mfa")
        .collect();
    methods.sort_unstable();
    methods.dedup();
    amr.iter().any(|method| method == "mfa") || methods.len() >= 2
}

/// Whether a session authenticated by `amr` satisfies class `acr`.
fn satisfies(amr: &[String], acr: &str) -> bool {
    match acr {
        "urn:okta:loa:1fa:any" | "urn:okta:loa:2fa:any:ifpossible" => true,
        "urn:okta:loa:1fa:pwd" => amr.iter().any(|method| method == "pwd"),
        "urn:okta:loa:2fa:any" => two_factors(amr),
        _ => false,
    }
}

/// The class a session authenticated by `amr` achieved.
fn achieved(amr: &[String]) -> &'static str {
    if two_factors(amr) {
        "urn:okta:loa:2fa:any"
    } else if amr.iter().any(|method| method == "pwd") {
        "urn:okta:loa:1fa:pwd"
    } else {
        "urn:okta:loa:1fa:any"
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn amr(methods: &[&str]) -> Vec<String> {
        methods.iter().map(|method| (*method).to_owned()).collect()
    }

    fn values(items: &[&str]) -> Vec<String> {
        amr(items)
    }

    #[test]
    fn the_claims_parameter_names_standard_claims_and_acr() {
        // OpenID Connect Core §5.5, §5.5.1: `{"userinfo": {"name": {"essential": true}}}` is what
        // the conformance suite's `oidcc-claims-essential` sends.
        let parsed = parse_claims_parameter(r#"{"userinfo": {"name": {"essential": true}, "team": null}}"#).unwrap();
        assert_eq!(parsed.claims.userinfo, vec!["name"], "custom names are ignored");
        assert!(parsed.claims.id_token.is_empty());
        assert_eq!(parsed.acr, None);
        let parsed = parse_claims_parameter(
            r#"{"id_token": {"email": null, "acr": {"essential": true, "values": ["urn:okta:loa:2fa:any", 3]}}, "other": 1}"#,
        )
        .unwrap();
        assert_eq!(parsed.claims.id_token, vec!["email"]);
        assert_eq!(parsed.acr, Some(values(&["urn:okta:loa:2fa:any"])));
        for bad in [
            "",
            "[]",
            "{\"userinfo\": []}",
            "{\"id_token\": {\"name\": 1}}",
            "not json",
        ] {
            assert_eq!(parse_claims_parameter(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn acr_is_the_first_requested_class_the_session_satisfies() {
        // Okta's `acr_values`: "The authorization server chooses one and reflects the chosen
        // value in any resulting tokens"; the conformance suite's
        // `ValidateIdTokenACRClaimAgainstAcrValuesRequest` wants one of the requested values.
        let password = amr(&["pwd"]);
        let all = values(ACR_VALUES_SUPPORTED);
        assert_eq!(choose_acr(&all, &password), "urn:okta:loa:1fa:any");
        let strong_first = values(&["urn:okta:loa:2fa:any", "urn:okta:loa:1fa:pwd"]);
        assert_eq!(choose_acr(&strong_first, &password), "urn:okta:loa:1fa:pwd");
        assert_eq!(choose_acr(&strong_first, &amr(&["pwd", "otp"])), "urn:okta:loa:2fa:any");
        assert_eq!(choose_acr(&strong_first, &amr(&["pwd", "mfa"])), "urn:okta:loa:2fa:any");
        // Nothing requested is satisfied (or understood): the class achieved, for the client to
        // judge.
        assert_eq!(choose_acr(&values(&["1", "2"]), &password), "urn:okta:loa:1fa:pwd");
        assert_eq!(
            choose_acr(&values(&["urn:okta:loa:2fa:any"]), &amr(&["pwd", "pwd"])),
            "urn:okta:loa:1fa:pwd"
        );
        assert_eq!(choose_acr(&[], &amr(&["otp"])), "urn:okta:loa:1fa:any");
    }

    #[test]
    fn requested_claims_are_added_when_the_user_has_them() {
        let user: User = serde_json::from_value(json!({
            "id": "00u1", "status": "ACTIVE",
            "profile": {"login": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}
        }))
        .unwrap();
        let set = ClaimSet::compile(&[]).unwrap();
        let mut out = Map::new();
        out.insert("name".to_owned(), json!("kept"));
        add_requested_claims(
            &set,
            &user,
            &values(&["name", "given_name", "phone_number", "team"]),
            &mut out,
        );
        assert_eq!(out["name"], "kept", "what the scopes released stays");
        assert_eq!(out["given_name"], "Ada");
        assert!(out.get("phone_number").is_none(), "the user has none");
        assert!(out.get("team").is_none(), "not a standard claim");
    }
}

//! The suite's conditions on tokens, claims, keys and error fields, one function per condition (or
//! per sequence of them).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use super::{AuthRequest, Variant};

/// A compact JWS, decoded but not yet verified.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub raw: String,
    pub header: Value,
    pub claims: Value,
}

impl Jwt {
    /// Decodes `raw`; panics if it is not a three-part JWS with JSON header and claims.
    pub fn decode(raw: &str) -> Jwt {
        let parts: Vec<&str> = raw.split('.').collect();
        assert_eq!(parts.len(), 3, "a JWS in compact serialization: {raw}");
        let json = |part: &str| -> Value {
            let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
            serde_json::from_slice(&bytes).expect("JSON")
        };
        Jwt {
            raw: raw.to_owned(),
            header: json(parts[0]),
            claims: json(parts[1]),
        }
    }

    /// Claim `name` as an integer.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.claims[name].as_i64()
    }
}

/// The checks every module's setup makes of the server's JWKS: `CheckServerKeysIsValid`
/// (WARNING; FAILURE in `OIDCCServerRotateKeys`), `ValidateJwksSequence`
/// (`EnsureJwksHasNoPrivateOrSymmetricKeyMaterial`, `ValidateJwksStructure`, `ParseUsableJwksKeys`:
/// FAILURE; `WarnOnUnusableJwksKeys`: WARNING), `CheckForKeyIdInServerJWKs` and
/// `CheckDistinctKeyIdValueInServerJWKs` (FAILURE).
pub fn check_server_jwks(jwks: &Value) {
    let keys = jwks["keys"].as_array().expect("ValidateJwksStructure: a `keys` array");
    assert!(!keys.is_empty(), "ValidateJwksStructure: at least one key");
    let mut kids = Vec::new();
    for key in keys {
        let kty = key["kty"].as_str().expect("ValidateJwksStructure: every key has a kty");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(
                key.get(private).is_none(),
                "EnsureJwksHasNoPrivateOrSymmetricKeyMaterial: {private} in {key}"
            );
        }
        assert_ne!(
            kty, "oct",
            "EnsureJwksHasNoPrivateOrSymmetricKeyMaterial: a symmetric key"
        );
        // ParseUsableJwksKeys / WarnOnUnusableJwksKeys: a key type, curve and algorithm a client knows.
        match kty {
            "RSA" => {
                assert!(
                    key["n"].is_string() && key["e"].is_string(),
                    "ParseUsableJwksKeys: {key}"
                );
            }
            "EC" => {
                assert!(
                    matches!(key["crv"].as_str(), Some("P-256" | "P-384" | "P-521")),
                    "WarnOnUnusableJwksKeys: {key}"
                );
                assert!(
                    key["x"].is_string() && key["y"].is_string(),
                    "ParseUsableJwksKeys: {key}"
                );
            }
            "OKP" => {
                assert!(
                    matches!(key["crv"].as_str(), Some("Ed25519" | "Ed448")),
                    "WarnOnUnusableJwksKeys: {key}"
                );
                assert!(key["x"].is_string(), "ParseUsableJwksKeys: {key}");
            }
            other => panic!("WarnOnUnusableJwksKeys: unknown kty {other}"),
        }
        if let Some(alg) = key["alg"].as_str() {
            assert!(
                matches!(
                    alg,
                    "RS256"
                        | "RS384"
                        | "RS512"
                        | "PS256"
                        | "PS384"
                        | "PS512"
                        | "ES256"
                        | "ES384"
                        | "ES512"
                        | "EdDSA"
                        | "Ed25519"
                ),
                "WarnOnUnusableJwksKeys: alg {alg}"
            );
        }
        // CheckServerKeysIsValid: the set parses as JWKs (jsonwebtoken parses each key).
        serde_json::from_value::<jsonwebtoken::jwk::Jwk>(key.clone())
            .unwrap_or_else(|error| panic!("CheckServerKeysIsValid: {key}: {error}"));
        let kid = key["kid"]
            .as_str()
            .expect("CheckForKeyIdInServerJWKs: every key has a kid");
        assert!(
            !kids.contains(&kid),
            "CheckDistinctKeyIdValueInServerJWKs: kid {kid} twice"
        );
        kids.push(kid);
    }
}

/// `ValidateIdTokenSignature` (and `ValidateUserInfo…`'s equivalent): the signature verifies with
/// the key of the header's `kid` in `jwks`, by that key's algorithm.
pub fn verify_signature(jwt: &Jwt, jwks: &Value) {
    let kid = jwt.header["kid"].as_str().expect("a kid in the JWS header");
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .unwrap_or_else(|| panic!("kid {kid} is not in the server's JWKS"));
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.clone()).expect("a JWK");
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("a verification key");
    let alg: jsonwebtoken::Algorithm = jwt.header["alg"]
        .as_str()
        .expect("an alg")
        .parse()
        .expect("a known alg");
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(&jwt.raw, &decoding, &validation)
        .unwrap_or_else(|error| panic!("ValidateIdTokenSignature: {error}"));
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The suite's allowed clock skew.
const SKEW: i64 = 5 * 60;

/// What an ID token is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The request's nonce, if it sent one.
    pub nonce: Option<&'a str>,
}

impl<'a> Expected<'a> {
    /// The expectations for `request`, answered by `host`.
    pub fn of(issuer: &'a str, request: &'a AuthRequest) -> Self {
        Expected {
            issuer,
            client_id: request.client.id,
            nonce: request.get("nonce"),
        }
    }
}

/// `PerformStandardIdTokenChecks` (every condition FAILURE): `ValidateIdToken`,
/// `ValidateIdTokenStandardClaims`, `ValidateIdTokenNonce`, `ValidateIdTokenACRClaimAgainstRequest`,
/// `ValidateIdTokenSignature`, `CheckForSubjectInIdToken`, `EnsureIdTokenUpdatedAtValid`.
pub fn standard_id_token_checks(raw: &str, expected: Expected<'_>, jwks: &Value) -> Jwt {
    let token = Jwt::decode(raw);
    validate_id_token(&token, expected);
    validate_standard_claims(&identity_claims(&token.claims), "id_token");
    validate_nonce(&token, expected.nonce);
    if let Some(acr) = token.claims.get("acr") {
        assert!(
            acr.is_string(),
            "ValidateIdTokenACRClaimAgainstRequest: acr is a string"
        );
    }
    verify_signature(&token, jwks);
    check_subject(&token);
    check_updated_at(&token.claims, "id_token");
    token
}

/// `ValidateIdToken`: `iss`, `aud`, `exp`, `iat`, `auth_time`, `acr` and `nbf`.
pub fn validate_id_token(token: &Jwt, expected: Expected<'_>) {
    let claims = &token.claims;
    let now = now();
    assert_eq!(claims["iss"].as_str(), Some(expected.issuer), "ValidateIdToken: iss");
    match &claims["aud"] {
        Value::String(aud) => assert_eq!(aud, expected.client_id, "ValidateIdToken: aud"),
        Value::Array(auds) => assert!(
            auds.iter().any(|a| a == expected.client_id),
            "ValidateIdToken: aud {auds:?}"
        ),
        other => panic!("ValidateIdToken: aud {other}"),
    }
    let exp = token.int("exp").expect("ValidateIdToken: exp");
    assert!(exp >= now - SKEW, "ValidateIdToken: expired");
    assert!(exp < now + 50 * 365 * 86_400, "ValidateIdToken: exp unreasonably far");
    let iat = token.int("iat").expect("ValidateIdToken: iat");
    assert!(iat <= now + SKEW, "ValidateIdToken: iat in the future");
    assert!(
        iat >= now - SKEW,
        "ValidateIdToken: iat more than 5 minutes in the past"
    );
    if let Some(auth_time) = claims.get("auth_time") {
        let auth_time = auth_time.as_i64().expect("ValidateIdToken: auth_time is a number");
        assert!(
            auth_time >= now - 365 * 86_400,
            "ValidateIdToken: auth_time over a year ago"
        );
        assert!(auth_time <= now + SKEW, "ValidateIdToken: auth_time in the future");
    }
    if let Some(acr) = claims.get("acr") {
        assert_ne!(acr, "", "ValidateIdToken: acr is an empty string");
    }
}

/// `ValidateIdTokenNonce`: the request's nonce, or none when the request had none.
pub fn validate_nonce(token: &Jwt, nonce: Option<&str>) {
    assert_eq!(token.claims["nonce"].as_str(), nonce, "ValidateIdTokenNonce");
}

/// `CheckForSubjectInIdToken`: a non-empty `sub` of at most 255 printable ASCII characters.
pub fn check_subject(token: &Jwt) {
    let sub = token.claims["sub"].as_str().expect("CheckForSubjectInIdToken: sub");
    assert!(!sub.is_empty() && sub.len() <= 255, "CheckForSubjectInIdToken: {sub}");
    assert!(
        sub.chars().all(|c| (' '..='~').contains(&c)),
        "CheckForSubjectInIdToken: {sub}"
    );
}

/// `EnsureIdTokenUpdatedAtValid` / `EnsureUserInfoUpdatedAtValid`: `updated_at`, if present, is
/// after 1990 and not in the future.
pub fn check_updated_at(claims: &Value, location: &str) {
    if let Some(updated_at) = claims.get("updated_at") {
        let updated_at = updated_at
            .as_i64()
            .unwrap_or_else(|| panic!("{location}: updated_at is a number"));
        assert!(updated_at <= now() + SKEW, "{location}: updated_at in the future");
        assert!(updated_at >= 631_152_000, "{location}: updated_at before 1990");
    }
}

/// The claims of an ID token that are not about the token itself
/// (`ValidateIdTokenStandardClaims.getIdTokenIdentityClaims`).
pub fn identity_claims(claims: &Value) -> Map<String, Value> {
    const TOKEN_CLAIMS: &[&str] = &[
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "c_hash",
        "at_hash",
        "s_hash",
        "jti",
        "nbf",
        "verified_claims",
    ];
    claims
        .as_object()
        .expect("claims are an object")
        .iter()
        .filter(|(name, _)| !TOKEN_CLAIMS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// `ValidateIdTokenStandardClaims` / `ValidateUserInfoStandardClaims` (OIDC Core §5.1): each
/// standard claim present has its type: non-blank strings, booleans for the `_verified` claims,
/// a number for `updated_at`, `birthdate` as `YYYY-MM-DD`, `0000-MM-DD` or `YYYY`, and `address`
/// an object of strings.
pub fn validate_standard_claims(claims: &Map<String, Value>, location: &str) {
    let is_text = |value: &Value| {
        value
            .as_str()
            .is_some_and(|s| !s.trim().is_empty() && !s.eq_ignore_ascii_case("null"))
    };
    for (name, value) in claims {
        match name.as_str() {
            "sub" | "name" | "given_name" | "family_name" | "middle_name" | "nickname" | "preferred_username"
            | "profile" | "picture" | "website" | "email" | "gender" | "zoneinfo" | "locale" | "phone_number" => {
                assert!(is_text(value), "{location}: {name} is a string with content: {value}");
            }
            "email_verified" | "phone_number_verified" => {
                assert!(value.is_boolean(), "{location}: {name} is a boolean: {value}");
            }
            "updated_at" => assert!(value.is_number(), "{location}: updated_at is a number"),
            "birthdate" => {
                let text = value.as_str().unwrap_or_default();
                let full = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
                    || (text.len() == 10 && text.starts_with("0000-"));
                let year = text.len() == 4 && text.parse::<i32>().is_ok_and(|y| y >= 1850);
                assert!(full || year, "{location}: birthdate {text}");
            }
            "address" => {
                let address = value
                    .as_object()
                    .unwrap_or_else(|| panic!("{location}: address is an object"));
                for (part, value) in address {
                    assert!(
                        matches!(
                            part.as_str(),
                            "formatted" | "street_address" | "locality" | "region" | "postal_code" | "country"
                        ),
                        "{location}: address.{part} is not a member of OIDC Core §5.1.1"
                    );
                    assert!(is_text(value), "{location}: address.{part} is a string");
                }
            }
            _ => {}
        }
    }
}

/// The standard claims each scope asks for (OIDC Core §5.4), as `AbstractVerifyScopesReturnedInClaims`
/// and `EnsureIdTokenDoesNotContainNonRequestedClaims` read them.
pub fn scope_claims(scope: &str) -> &'static [&'static str] {
    match scope {
        "openid" => &["sub"],
        "profile" => &[
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "nickname",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
            "preferred_username",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// `VerifyScopesReturnedInUserInfoClaims` / `VerifyScopesReturnedInAuthorizationEndpointIdToken`
/// (WARNING): every standard claim of every requested scope is there.
pub fn verify_scopes_returned(claims: &Value, scope: &str, location: &str) {
    let missing: Vec<&str> = scope
        .split(' ')
        .flat_map(scope_claims)
        .copied()
        .filter(|claim| claims.get(claim).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "VerifyScopesReturnedIn…: {location} lacks {missing:?} of scope {scope}"
    );
}

/// Claims Okta puts in every ID token beyond OIDC Core's: `ver` (the token format's version) and
/// `idp` (the identity provider, the org). Okta documents both as ID token claims, so
/// `EnsureIdTokenDoesNotContainNonRequestedClaims` (WARNING) is checked with them allowed.
pub const OKTA_ID_TOKEN_CLAIMS: &[&str] = &["ver", "idp"];

/// Standard claims Okta keeps in a thin ID token (one issued beside an access token) when their
/// scope is granted: `name`, `email` and `preferred_username`. Okta's own sample thin ID token
/// (its inline hook example, `response_type=token id_token`, scope `openid profile email`) carries
/// them, and Okta SDKs read them there; OIDC Core §5.4 would send them to userinfo only. So
/// `EnsureIdTokenDoesNotContainEmailForScopeEmail` (WARNING) is checked with `email` allowed, as
/// `EnsureIdTokenDoesNotContainNonRequestedClaims` is with [`OKTA_ID_TOKEN_CLAIMS`]: the two
/// WARNINGs of these plans kept for Okta's behaviour.
pub const OKTA_THIN_ID_TOKEN_CLAIMS: &[&str] = &["name", "email", "preferred_username"];

/// Whether Okta makes the ID token "fat" (every claim of the granted scopes): one from the
/// authorization endpoint with no access token beside it (`id_token`, `code id_token`), per the
/// response-type table of Okta's OpenID Connect reference. Others are thin
/// ([`OKTA_THIN_ID_TOKEN_CLAIMS`]); `EnsureIdTokenDoesNotContainEmailForScopeEmail` (WARNING) does
/// not apply to fat ones.
pub fn okta_fat_id_token(variant: Variant, from_authorization_endpoint: bool) -> bool {
    from_authorization_endpoint && !variant.includes_token()
}

/// `EnsureIdTokenDoesNotContainNonRequestedClaims` (WARNING): only the ID token's own claims and the
/// standard claims of the requested scopes (and Okta's [`OKTA_ID_TOKEN_CLAIMS`]).
pub fn ensure_no_unrequested_claims(token: &Jwt, scope: &str) {
    const OWN: &[&str] = &[
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "c_hash",
        "nbf",
        "jti",
        "sid",
        "s_hash",
    ];
    let allowed: Vec<&str> = OWN
        .iter()
        .chain(OKTA_ID_TOKEN_CLAIMS)
        .copied()
        .chain(scope.split(' ').flat_map(scope_claims).copied())
        .collect();
    let extra: Vec<&String> = token
        .claims
        .as_object()
        .expect("claims")
        .keys()
        .filter(|name| !allowed.contains(&name.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "EnsureIdTokenDoesNotContainNonRequestedClaims: {extra:?} (scope {scope})"
    );
}

/// The left half of SHA-256 of `value`, base64url: `at_hash` and `c_hash` for RS256/ES256
/// (OIDC Core §3.3.2.11).
pub fn half_hash(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// `ExtractAtHash` + `ValidateAtHash` (FAILURE when the hash is there or required).
pub fn check_at_hash(token: &Jwt, access_token: &str, required: bool) {
    match token.claims["at_hash"].as_str() {
        Some(at_hash) => assert_eq!(at_hash, half_hash(access_token), "ValidateAtHash"),
        None => assert!(
            !required,
            "ExtractAtHash: at_hash is required with token (OIDC Core §3.3.2.11)"
        ),
    }
}

/// `ExtractCHash` + `ValidateCHash` (FAILURE when the hash is there or required).
pub fn check_c_hash(token: &Jwt, code: &str, required: bool) {
    match token.claims["c_hash"].as_str() {
        Some(c_hash) => assert_eq!(c_hash, half_hash(code), "ValidateCHash"),
        None => assert!(
            !required,
            "ExtractCHash: c_hash is required with code (OIDC Core §3.3.2.11)"
        ),
    }
}

/// `EnsureMinimum…Length` (128 bits) and `EnsureMinimum…Entropy` (96 bits, the Shannon entropy of
/// its characters times its length), FAILURE, for a code, access token or refresh token
/// (`what`: `AuthorizationCode`, `AccessToken`, `RefreshToken`); RFC 6749 §10.10.
pub fn check_strength(value: &str, what: &str) {
    assert!(
        value.len() * 8 >= 128,
        "EnsureMinimum{what}Length: {} bits",
        value.len() * 8
    );
    let mut counts = std::collections::HashMap::new();
    for c in value.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let length = value.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&n| {
            let p = n as f64 / length;
            -p * p.log2()
        })
        .sum();
    assert!(
        per_char * length > 96.0,
        "EnsureMinimum{what}Entropy: {} bits",
        per_char * length
    );
}

/// `ValidateExpiresIn` (FAILURE if present): a positive number of at most a year.
pub fn check_expires_in(body: &Value) {
    if let Some(expires_in) = body.get("expires_in") {
        let seconds = expires_in.as_i64().expect("ValidateExpiresIn: a number");
        assert!(seconds > 0 && seconds <= 31_536_000, "ValidateExpiresIn: {seconds}");
    }
}

/// `ValidateErrorDescriptionFrom…`/`CheckErrorDescription…ContainsCRLFTAB`/`ValidateErrorUri…`:
/// an `error_description`, if present, is printable ASCII other than `"` and `\` (RFC 6749
/// §4.1.2.1, §5.2: FAILURE) without CR, LF or TAB (WARNING); `error_uri`, if present, a URI.
pub fn check_error_fields(params: &[(String, String)]) {
    for (name, value) in params {
        if name == "error_description" {
            assert!(
                !value.contains(['\r', '\n', '\t']),
                "CheckErrorDescription…ContainsCRLFTAB: {value}"
            );
            assert!(
                value
                    .chars()
                    .all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
                "ValidateErrorDescription…: {value}"
            );
        }
        if name == "error_uri" {
            Url::parse(value).expect("ValidateErrorUri…: a URI");
        }
        if name == "error" {
            assert!(
                value
                    .chars()
                    .all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
                "ValidateErrorFrom…: {value}"
            );
        }
    }
}

use serde_json::json;
use time::Duration;
use time::macros::datetime;

use super::*;
use crate::jose::{Algorithm, Signer, SigningKey};
use crate::secret::SecretHash;

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
const ISSUER: &str = "https://id.example.com/oauth2/default";
const SECRET: &str = "a-client-secret-long-enough-for-an-hmac-key-1";

fn client(method: &str, jwks: Option<Value>) -> ClientRecord {
    let mut client = json!({
        "client_id": "0oaapp", "client_name": "App", "token_endpoint_auth_method": method,
        "grant_types": ["authorization_code"], "response_types": ["code"], "application_type": "web",
        "redirect_uris": ["https://app.example.com/cb"]
    });
    if let Some(jwks) = jwks {
        client["jwks"] = jwks;
    }
    ClientRecord {
        client: serde_json::from_value(client).unwrap(),
        client_secret_hash: Some(SecretHash::of(SECRET)),
        client_secret_expires_at: None,
        last_updated: None,
    }
}

fn members() -> Value {
    json!({
        "iss": "0oaapp", "aud": ISSUER, "exp": (NOW + Duration::minutes(5)).unix_timestamp(),
        "iat": NOW.unix_timestamp(), "jti": "ro-1",
        "client_id": "0oaapp", "response_type": "code", "redirect_uri": "https://app.example.com/cb",
        "state": "from-the-object", "max_age": 1, "claims": {"userinfo": {"name": {"essential": true}}}
    })
}

fn hmac(members: &Value) -> String {
    jose::sign_hmac(HmacAlgorithm::HS256, SECRET.as_bytes(), members).unwrap()
}

fn unsigned(members: &Value) -> String {
    let header = jose::b64_encode(br#"{"alg":"none"}"#);
    let payload = jose::b64_encode(serde_json::to_vec(members).unwrap());
    format!("{header}.{payload}.")
}

fn secret() -> ClientSecret {
    ClientSecret::from_received(SECRET)
}

#[test]
fn unsigned_request_objects_are_refused() {
    // OpenID Connect Core §3.1.2.6 `invalid_request_object`; Okta: "You must sign the JWT".
    let request = unsigned(&members());
    assert!(matches!(key_kind(&request), Err(Reason::RequestObjectUnsigned)));
    let client = client("client_secret_jwt", None);
    assert!(matches!(
        verify(&request, &client, Some(&secret()), ISSUER, NOW),
        Err(Reason::RequestObjectUnsigned)
    ));
    assert!(matches!(key_kind("not-a-jwt"), Err(Reason::RequestObjectMalformed)));
    assert_eq!(
        Reason::RequestObjectUnsigned.error().code.as_str(),
        "invalid_request_object"
    );
}

#[test]
fn hmac_request_objects_verify_with_the_clients_secret() {
    // Okta: "HMAC signatures require that the client have a token_endpoint_auth_method that uses
    // a client_secret"; the secret must be the one the record's digest names.
    let client = client("client_secret_jwt", None);
    let request = hmac(&members());
    let verified = verify(&request, &client, Some(&secret()), ISSUER, NOW).unwrap();
    assert_eq!(verified.members["state"], "from-the-object");
    assert_eq!(verified.jti.unwrap().jti, "ro-1");
    assert!(matches!(
        verify(&request, &client, None, ISSUER, NOW),
        Err(Reason::RequestObjectNoKey)
    ));
    let stale = ClientSecret::from_received("an-older-secret-long-enough-for-an-hmac-key");
    assert!(matches!(
        verify(&request, &client, Some(&stale), ISSUER, NOW),
        Err(Reason::RequestObjectNoKey)
    ));
    let forged = jose::sign_hmac(
        HmacAlgorithm::HS256,
        b"somebody-elses-secret-long-enough-for-hmac",
        &members(),
    )
    .unwrap();
    assert!(matches!(
        verify(&forged, &client, Some(&secret()), ISSUER, NOW),
        Err(Reason::RequestObjectSignatureInvalid)
    ));
}

#[test]
fn asymmetric_request_objects_verify_with_the_registered_keys() {
    // RFC 9101 §6.2, OpenID Connect Core §6.3.2: the algorithm is the registered key's.
    let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let client = client("private_key_jwt", Some(json!({"keys": [key.public_jwk()]})));
    let request = jose::sign(&key, None, &members()).unwrap();
    assert!(verify(&request, &client, None, ISSUER, NOW).is_ok());
    let other = SigningKey::generate(Algorithm::EdDSA).unwrap();
    let foreign = jose::sign(&other, None, &members()).unwrap();
    assert!(matches!(
        verify(&foreign, &client, None, ISSUER, NOW),
        Err(Reason::RequestObjectSignatureInvalid)
    ));
    let without_keys = self::client("client_secret_basic", None);
    assert!(matches!(
        verify(&request, &without_keys, None, ISSUER, NOW),
        Err(Reason::RequestObjectNoKey)
    ));
}

#[test]
fn iss_aud_exp_and_nbf_are_checked_when_present() {
    // OpenID Connect Core §6.1: `iss` SHOULD be the client, `aud` SHOULD be the issuer; RFC 7519
    // §4.1.4, §4.1.5; Okta: at most an hour ahead.
    let client = client("client_secret_jwt", None);
    let check = |change: &dyn Fn(&mut Value)| {
        let mut members = members();
        change(&mut members);
        verify(&hmac(&members), &client, Some(&secret()), ISSUER, NOW).map(|_| ())
    };
    assert!(
        check(&|m| {
            let object = m.as_object_mut().unwrap();
            for claim in ["iss", "aud", "exp", "iat", "jti"] {
                object.remove(claim);
            }
        })
        .is_ok()
    );
    assert!(check(&|m| m["aud"] = json!(["other", ISSUER])).is_ok());
    let refused = [
        (
            &(|m: &mut Value| m["iss"] = json!("0oaother")) as &dyn Fn(&mut Value),
            "iss",
        ),
        (&|m: &mut Value| m["aud"] = json!("https://elsewhere.example"), "aud"),
        (&|m: &mut Value| m["exp"] = json!(NOW.unix_timestamp()), "expired"),
        (
            &|m: &mut Value| m["exp"] = json!((NOW + Duration::hours(2)).unix_timestamp()),
            "too far",
        ),
        (
            &|m: &mut Value| m["nbf"] = json!((NOW + Duration::minutes(5)).unix_timestamp()),
            "nbf",
        ),
        (
            &|m: &mut Value| m["iat"] = json!((NOW + Duration::minutes(5)).unix_timestamp()),
            "iat",
        ),
    ];
    for (change, what) in refused {
        let reason = check(change).unwrap_err();
        assert_eq!(reason.error().code.as_str(), "invalid_request_object", "{what}");
    }
    assert!(matches!(single_use(false), Err(Reason::RequestObjectReplayed)));
}

#[test]
fn the_request_objects_values_win_and_client_id_must_match() {
    // RFC 9101 §6.3: the request object's parameters are used; OpenID Connect Core §6.1: query
    // parameters it lacks still apply, and client_id / response_type must match.
    let query = Params::parse(
        "client_id=0oaapp&response_type=code&scope=openid&state=from-the-query&redirect_uri=https%3A%2F%2Fbad.example&request=x",
    )
    .unwrap();
    let Value::Object(object) = members() else { panic!() };
    let merged = merge(&query, &object).unwrap();
    assert_eq!(merged.get("state"), Some("from-the-object"));
    assert_eq!(merged.get("redirect_uri"), Some("https://app.example.com/cb"));
    assert_eq!(merged.get("scope"), Some("openid"), "kept from the query");
    assert_eq!(merged.get("max_age"), Some("1"), "numbers as text");
    assert_eq!(
        serde_json::from_str::<Value>(merged.get("claims").unwrap()).unwrap(),
        json!({"userinfo": {"name": {"essential": true}}})
    );
    assert_eq!(merged.get("request"), None);
    assert_eq!(merged.get("iss"), None, "JWT claims are not parameters");

    for (name, value) in [("client_id", "0oaother"), ("response_type", "code id_token")] {
        let mut changed = object.clone();
        changed.insert(name.to_owned(), json!(value));
        assert!(
            matches!(merge(&query, &changed), Err(Reason::RequestObjectParameterMismatch)),
            "{name}"
        );
    }
    let mut nested = object.clone();
    nested.insert("request_uri".to_owned(), json!("https://evil.example/ro"));
    assert!(merge(&query, &nested).is_err());
    assert!(refuse_request_uri(&Params::parse("request_uri=urn%3Ax").unwrap()).is_err());
    assert_eq!(
        Reason::RequestUriNotSupported.error().code.as_str(),
        "request_uri_not_supported"
    );
}

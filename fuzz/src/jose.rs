//! The `jose` target's input format, key set and seeds.
//!
//! An input is one byte saying what the rest is, then text:
//! - `V` + a compact JWS, verified against [`jwks`] (the testkit's fixed RS256, ES256 and EdDSA
//!   keys) and with `verify_hmac` under [`HMAC_SECRET`];
//! - `K` + a JWK or JWK Set as JSON, a line break, and a compact JWS after the last line break:
//!   the JSON is parsed as a `Jwk` (thumbprint, `verify_with_key`) and as a `Jwks` (`verify`).

use authserver::jose::{Algorithm, HmacAlgorithm, Jwk, Jwks, Signer as _, sign, sign_hmac};
use authserver::testkit::fixed_signing_key;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

/// The shared secret HMAC tokens are checked with: RFC 7515 A.1's key.
pub const HMAC_SECRET_B64: &str =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

/// [`HMAC_SECRET_B64`] decoded.
pub fn hmac_secret() -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(HMAC_SECRET_B64).unwrap_or_default()
}

/// The public keys of the testkit's first two fixed keys of each algorithm, with their `kid`s.
pub fn jwks() -> Jwks {
    let keys = Algorithm::ALL
        .into_iter()
        .flat_map(|alg| (0..2).map(move |index| fixed_signing_key(alg, index).public_jwk()))
        .collect();
    Jwks { keys }
}

/// RFC 7515 A.3's ES256 public key and JWS, and RFC 8037 A.2/A.5's Ed25519 key and JWS, RFC 7638
/// §3.1's RSA key (for its thumbprint), and RFC 7515 A.1's HS256 JWS.
const VECTORS: [(&str, &str); 3] = [
    (
        r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#,
        "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
    ),
    (
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
        "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
    ),
    (
        r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IjIwMTEtMDQtMjkifQ.e30.AAAA",
    ),
];

/// RFC 7515 A.1's HS256 JWS.
const HS256_VECTOR: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Seeds: tokens the fixed keys signed (valid ones, so mutations start past the signature check
/// in the header and payload parsing), the standards' vectors, and malformed shapes.
pub fn seeds() -> Vec<Vec<u8>> {
    let claims =
        json!({"iss": "https://issuer.example.com/oauth2/default", "sub": "ada", "scp": ["a"], "exp": 4102448400_u64});
    let mut tokens: Vec<String> = Vec::new();
    for alg in Algorithm::ALL {
        let key = fixed_signing_key(alg, 0);
        tokens.extend(sign(&key, None, &claims).ok());
        tokens.extend(sign(&key, Some("at+jwt"), &json!("not an object")).ok());
    }
    let secret = hmac_secret();
    for alg in HmacAlgorithm::ALL {
        tokens.extend(sign_hmac(alg, &secret, &claims).ok());
    }
    tokens.push(HS256_VECTOR.to_owned());
    let b64 = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let kid = jwks().keys[0].kid.clone().unwrap_or_default();
    for header in [
        r#"{"alg":"none"}"#.to_owned(),
        format!(r#"{{"alg":"RS256","kid":"{kid}","crit":["exp"]}}"#),
        format!(r#"{{"alg":"ES256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#),
        r#"{"alg":"RS256"}"#.to_owned(),
        "[]".to_owned(),
    ] {
        tokens.push(format!("{}.{}.AAAA", b64(&header), b64("{}")));
    }
    tokens.extend(["a.b.c", "..", "e30.e30.", "e30=.e30.AAAA"].map(String::from));

    let mut out: Vec<Vec<u8>> = tokens.iter().map(|token| format!("V{token}").into_bytes()).collect();
    for (jwk, token) in VECTORS {
        out.push(format!("K{jwk}\n{token}").into_bytes());
    }
    let set = serde_json::to_string(&jwks()).unwrap_or_default();
    out.push(format!("K{set}\n{}", tokens[0]).into_bytes());
    let first: &Jwk = &jwks().keys[0];
    out.push(format!("K{}\n{}", serde_json::to_string(first).unwrap_or_default(), tokens[0]).into_bytes());
    out.push(format!("K{{\"kty\":\"oct\",\"k\":\"{HMAC_SECRET_B64}\"}}\n{HS256_VECTOR}").into_bytes());
    out
}

//! The JOSE module against the standards' published test vectors: byte for byte where the
//! algorithm is deterministic (RSASSA-PKCS1-v1_5, Ed25519), verification only where it is not
//! (ECDSA).
//!
//! Vectors and where they are published:
//! - RFC 7515 (JWS) Appendix A.1, A.2, A.3 and §4.1.11: <https://www.rfc-editor.org/rfc/rfc7515>
//! - RFC 7638 (JWK Thumbprint) §3.1: <https://www.rfc-editor.org/rfc/rfc7638#section-3.1>
//! - RFC 8037 (CFRG curves in JOSE) Appendix A.1–A.5: <https://www.rfc-editor.org/rfc/rfc8037#appendix-A>
//! - OpenID Connect Core 1.0 Appendix A.3, A.4 and A.7:
//!   <https://openid.net/specs/openid-connect-core-1_0.html#AuthorizationExamples>
//!
//! Each test names the section it checks. A wrong digit in any constant below makes a test fail
//! rather than pass: the signatures only verify against the exact published keys and inputs.

use std::sync::OnceLock;

use authserver::jose::{
    Algorithm, HmacAlgorithm, JoseError, Jwk, JwkError, Jwks, MAX_TOKEN_LEN, Signer, SigningKey, at_hash, c_hash, sign,
    sign_hmac, verify, verify_hmac, verify_with_key,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// RFC 7515 Appendix A: the JWS Payload shared by A.1, A.2 and A.3, and the examples' keys.
// ---------------------------------------------------------------------------------------------

/// RFC 7515 A.1.1: the payload octets, `{"iss":"joe",CRLF "exp":1300819380,CRLF "http://example.com/is_root":true}`.
const RFC7515_PAYLOAD: &[u8] = b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

/// RFC 7515 A.1.1: BASE64URL(JWS Payload).
const RFC7515_PAYLOAD_B64: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt\
     cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

/// RFC 7515 A.1.1: the complete HS256 JWS (`{"typ":"JWT",CRLF "alg":"HS256"}`).
const RFC7515_A1_JWS: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
     .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt\
     cGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
     .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// RFC 7515 A.1.1: the HMAC key of the example (a JWK `oct` key's `k`).
const RFC7515_A1_K: &str = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";

/// RFC 7515 A.2.1: BASE64URL(UTF8(`{"alg":"RS256"}`)).
const RFC7515_A2_HEADER_B64: &str = "eyJhbGciOiJSUzI1NiJ9";

/// RFC 7515 A.2.1: the RSA key of the example, as a JWK (public and private members).
const RFC7515_A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const RFC7515_A2_E: &str = "AQAB";
const RFC7515_A2_D: &str = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
const RFC7515_A2_P: &str = "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
const RFC7515_A2_Q: &str = "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";

/// RFC 7515 A.2.1: BASE64URL(JWS Signature).
const RFC7515_A2_SIGNATURE_B64: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7\
     AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4\
     BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K\
     0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv\
     hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB\
     p0igcN_IoypGlUPQGe77Rw";

/// RFC 7515 A.3.1: BASE64URL(UTF8(`{"alg":"ES256"}`)).
const RFC7515_A3_HEADER_B64: &str = "eyJhbGciOiJFUzI1NiJ9";

/// RFC 7515 A.3.1: the P-256 key of the example.
const RFC7515_A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const RFC7515_A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const RFC7515_A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";

/// RFC 7515 A.3.1: BASE64URL(JWS Signature) (R || S, 64 octets).
const RFC7515_A3_SIGNATURE_B64: &str = "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA\
     pmWQxfKTUJqPP3-Kg6NU1Q";

// ---------------------------------------------------------------------------------------------
// RFC 7515 Appendix A.1: HS256 (client_secret_jwt)
// ---------------------------------------------------------------------------------------------

/// RFC 7515 A.1.2: the HS256 JWS verifies with the example's key through `verify_hmac`; its
/// header (`{"typ":"JWT",CRLF "alg":"HS256"}`) is read as written.
#[test]
fn rfc7515_a1_hs256_jws_verifies_with_the_shared_key() {
    let key = b64d(RFC7515_A1_K);
    let verified = verify_hmac(RFC7515_A1_JWS, &key, &[HmacAlgorithm::HS256]).expect("RFC 7515 A.1 JWS verifies");
    assert_eq!(verified.header.alg, "HS256");
    assert_eq!(verified.header.typ.as_deref(), Some("JWT"));
    assert_eq!(verified.header.kid, None);
    assert_eq!(verified.payload(), RFC7515_PAYLOAD);
    assert!(verify_hmac(RFC7515_A1_JWS, &key, &HmacAlgorithm::ALL).is_ok());
}

/// RFC 7515 A.1.2 and RFC 8725 §3.1: the A.1 JWS fails with another key, when tampered with,
/// or when HS256 is not among the allowed algorithms; `verify_hmac` refuses `none`,
/// asymmetric algorithms, `crit` and padding like `verify` does.
#[test]
fn rfc7515_a1_hs256_negative_cases() {
    let key = b64d(RFC7515_A1_K);
    let hs256 = [HmacAlgorithm::HS256];
    let mut other_key = key.clone();
    other_key[0] ^= 1;
    assert_err(verify_hmac(RFC7515_A1_JWS, &other_key, &hs256), "InvalidSignature");
    assert_err(verify_hmac(RFC7515_A1_JWS, &key[..32], &hs256), "InvalidSignature");
    let payload_at = RFC7515_A1_JWS.find('.').unwrap() + 7;
    assert_err(
        verify_hmac(&flip_char(RFC7515_A1_JWS, payload_at), &key, &hs256),
        "InvalidSignature",
    );
    let tag_at = RFC7515_A1_JWS.len() - 10;
    assert_err(
        verify_hmac(&flip_char(RFC7515_A1_JWS, tag_at), &key, &hs256),
        "InvalidSignature",
    );
    // A truncated tag (the first 16 octets) is not accepted.
    let (input, tag) = RFC7515_A1_JWS.rsplit_once('.').unwrap();
    let truncated = format!("{input}.{}", b64e(&b64d(tag)[..16]));
    assert_err(verify_hmac(&truncated, &key, &hs256), "InvalidSignature");
    // HS256 not allowed.
    let others = [HmacAlgorithm::HS384, HmacAlgorithm::HS512];
    assert_err(verify_hmac(RFC7515_A1_JWS, &key, &others), "AlgorithmMismatch");
    assert_err(verify_hmac(RFC7515_A1_JWS, &key, &[]), "AlgorithmMismatch");
    // Asymmetric and unsecured tokens are not HMAC tokens.
    assert_err(
        verify_hmac(&rfc7515_a2_jws(), &key, &HmacAlgorithm::ALL),
        "UnsupportedAlgorithm",
    );
    assert_err(
        verify_hmac(&rfc8037_jws(), &key, &HmacAlgorithm::ALL),
        "UnsupportedAlgorithm",
    );
    let unsecured = format!("eyJhbGciOiJub25lIn0.{RFC7515_PAYLOAD_B64}.");
    assert_err(
        verify_hmac(&unsecured, &key, &HmacAlgorithm::ALL),
        "UnsupportedAlgorithm",
    );
    // `crit`, padding, four parts, size.
    let header = b64e(br#"{"alg":"HS256","crit":["exp"],"exp":1363284000}"#);
    let crit = format!("{header}.{RFC7515_PAYLOAD_B64}.{tag}");
    assert_err(verify_hmac(&crit, &key, &hs256), "CriticalHeader");
    // The 32-octet tag takes one `=` when padded.
    assert_err(verify_hmac(&format!("{RFC7515_A1_JWS}="), &key, &hs256), "Malformed");
    assert_err(
        verify_hmac(&format!("{RFC7515_A1_JWS}.{tag}"), &key, &hs256),
        "Malformed",
    );
    let oversized = format!("{input}{}.{tag}", "A".repeat(MAX_TOKEN_LEN));
    assert_err(verify_hmac(&oversized, &key, &hs256), "TooLarge");
}

/// RFC 8725 §2.1 ("key confusion"): an HS256 token MACed with the bytes of an RSA public key
/// is refused by the asymmetric verifiers, which take the algorithm from the key.
#[test]
fn hmac_keyed_with_a_public_key_is_refused() {
    let public = rfc7515_a2_public();
    let secrets = [
        b64d(RFC7515_A2_N),
        serde_json::to_vec(&public).unwrap(),
        RFC7515_A2_N.as_bytes().to_vec(),
    ];
    for secret in secrets {
        let token = sign_hmac(HmacAlgorithm::HS256, &secret, &json!({"iss": "joe", "admin": true})).unwrap();
        assert!(verify_hmac(&token, &secret, &[HmacAlgorithm::HS256]).is_ok());
        assert_err(verify_with_key(&token, &public), "UnsupportedAlgorithm");
        assert_err(
            verify(
                &token,
                &Jwks {
                    keys: vec![public.clone()],
                },
            ),
            "MissingKid",
        );
    }
}

/// RFC 7518 §3.2: `sign_hmac` writes `{"alg":…,"typ":"JWT"}`, a tag of the hash's full size,
/// and `verify_hmac` accepts it only with the same secret and algorithm.
#[test]
fn hmac_round_trip_per_algorithm() {
    let secret = b64d(RFC7515_A1_K);
    let claims = json!({"iss": "client", "sub": "client", "aud": "https://issuer.example/token"});
    for (alg, tag_len) in HmacAlgorithm::ALL.into_iter().zip([32, 48, 64]) {
        let token = sign_hmac(alg, &secret, &claims).unwrap();
        let header = String::from_utf8(decode_part(&token, 0)).unwrap();
        assert_eq!(header, format!(r#"{{"alg":"{}","typ":"JWT"}}"#, alg.as_str()));
        assert_eq!(decode_part(&token, 2).len(), tag_len, "{}", alg.as_str());
        let verified = verify_hmac(&token, &secret, &[alg]).unwrap();
        assert_eq!(verified.claims::<Value>().unwrap(), claims);
        assert_err(
            verify_hmac(&token, b"another secret that is long enough!", &[alg]),
            "InvalidSignature",
        );
        // RFC 7518 §3.2: a key shorter than the HS256 hash output is refused outright.
        assert_err(verify_hmac(&token, &secret[..31], &[alg]), "WeakSecret");
        let others: Vec<HmacAlgorithm> = HmacAlgorithm::ALL.into_iter().filter(|&a| a != alg).collect();
        assert_err(verify_hmac(&token, &secret, &others), "AlgorithmMismatch");
    }
}

/// RFC 7515 §4.1.11: `crit`, when present, must be an array; a `null` one is still refused
/// rather than read as absent.
#[test]
fn crit_null_is_refused_too() {
    let secret = b64d(RFC7515_A1_K);
    let header = b64e(br#"{"alg":"HS256","crit":null}"#);
    let payload = b64e(b"{}");
    let token = format!("{header}.{payload}.AAAA");
    assert_err(verify_hmac(&token, &secret, &[HmacAlgorithm::HS256]), "CriticalHeader");
}

// ---------------------------------------------------------------------------------------------
// RFC 7638 §3.1
// ---------------------------------------------------------------------------------------------

/// RFC 7638 §3.1: the example RSA key (the JWK is given with `alg` and `kid`, which the
/// thumbprint must ignore).
const RFC7638_JWK: &str = r#"{
     "kty": "RSA",
     "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
     "e": "AQAB",
     "alg": "RS256",
     "kid": "2011-04-29"
    }"#;
const RFC7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

// ---------------------------------------------------------------------------------------------
// RFC 8037 Appendix A (Ed25519)
// ---------------------------------------------------------------------------------------------

/// RFC 8037 A.1: the private key (the 32-octet seed) and A.2: the public key.
const RFC8037_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const RFC8037_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
/// RFC 8037 A.3: the JWK thumbprint of the A.2 key.
const RFC8037_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
/// RFC 8037 A.4: the protected header `{"alg":"EdDSA"}`, the payload "Example of Ed25519 signing"
/// and the signature.
const RFC8037_HEADER_B64: &str = "eyJhbGciOiJFZERTQSJ9";
const RFC8037_PAYLOAD: &[u8] = b"Example of Ed25519 signing";
const RFC8037_PAYLOAD_B64: &str = "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const RFC8037_SIGNATURE_B64: &str =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/// PKCS#8 v1 (RFC 8410 §7) wrapper for an Ed25519 seed: SEQUENCE { INTEGER 0, SEQUENCE { OID
/// 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } }.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

// ---------------------------------------------------------------------------------------------
// OpenID Connect Core 1.0 Appendix A
// ---------------------------------------------------------------------------------------------

/// OIDC Core A.7: the RSA public key that verifies the example ID Tokens.
const OIDC_A7_KID: &str = "1e9gdk7";
const OIDC_A7_N: &str = "w7Zdfmece8iaB0kiTY8pCtiBtzbptJmP28nSWwtdjRu0f2GFpajvWE4VhfJA\
     jEsOcwYzay7XGN0b-X84BfC8hmCTOj2b2eHT7NsZegFPKRUQzJ9wW8ipn_aD\
     JWMGDuB1XyqT1E7DYqjUCEOD1b4FLpy_xPn6oV_TYOfQ9fZdbE5HGxJUzeku\
     GcOKqOQ8M7wfYHhHHLxGpQVgL0apWuP2gDDOdTtpuld4D2LK1MZK99s9gaSj\
     RHE8JDb1Z4IGhEcEyzkxswVdPndUWzfvWBBWXWxtSUvQGBRkuy1BHOa4sP6F\
     KjWEeeF7gm7UMs2Nm2QUgNZw6xvEDGaLk4KASdIxRQ";

/// OIDC Core A.3 (`response_type=id_token token`): the access token and the ID Token that
/// carries its `at_hash`.
const OIDC_A3_ACCESS_TOKEN: &str = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
const OIDC_A3_AT_HASH: &str = "77QmUPtjPfzWtF2AnpK9RQ";
const OIDC_A3_ID_TOKEN: &str = "eyJraWQiOiIxZTlnZGs3IiwiYWxnIjoiUlMyNTYifQ.ewogImlz\
     cyI6ICJodHRwOi8vc2VydmVyLmV4YW1wbGUuY29tIiwKICJzdWIiOiAiMjQ4\
     Mjg5NzYxMDAxIiwKICJhdWQiOiAiczZCaGRSa3F0MyIsCiAibm9uY2UiOiAi\
     bi0wUzZfV3pBMk1qIiwKICJleHAiOiAxMzExMjgxOTcwLAogImlhdCI6IDEz\
     MTEyODA5NzAsCiAiYXRfaGFzaCI6ICI3N1FtVVB0alBmeld0RjJBbnBLOVJR\
     Igp9.F9gRev0Dt2tKcrBkHy72cmRqnLdzw9FLCCSebV7mWs7o_sv2O5s6zMky\
     2kmhHTVx9HmdvNnx9GaZ8XMYRFeYk8L5NZ7aYlA5W56nsG1iWOou_-gji0ibWIu\
     uf4Owaho3YSoi7EvsTuLFz6tq-dLyz0dKABMDsiCmJ5wqkPUDTE3QTXjzbUmOzU\
     Dli-gCh5QPuZAq0cNW3pf_2n4zpvTYtbmj12cVcxGIMZby7TMWESRjQ9_o3jvhV\
     NcCGcE0KAQXejhA1ocJhNEvQNqMFGlBb6_0RxxKjDZ-Oa329eGDidOvvp0h5hoES\
     4a8IuGKS7NOcpp-aFwp0qVMDLI-Xnm-Pg";

/// OIDC Core A.4 (`response_type=code id_token`): the code and the ID Token that carries its
/// `c_hash`.
const OIDC_A4_CODE: &str = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
const OIDC_A4_C_HASH: &str = "LDktKdoQak3Pk0cnXxCltA";
const OIDC_A4_ID_TOKEN: &str = "eyJraWQiOiIxZTlnZGs3IiwiYWxnIjoiUlMyNTYifQ.ewogImlz\
     cyI6ICJodHRwOi8vc2VydmVyLmV4YW1wbGUuY29tIiwKICJzdWIiOiAiMjQ4\
     Mjg5NzYxMDAxIiwKICJhdWQiOiAiczZCaGRSa3F0MyIsCiAibm9uY2UiOiAi\
     bi0wUzZfV3pBMk1qIiwKICJleHAiOiAxMzExMjgxOTcwLAogImlhdCI6IDEz\
     MTEyODA5NzAsCiAiY19oYXNoIjogIkxEa3RLZG9RYWszUGswY25YeENsdEEi\
     Cn0.XW6uhdrkBgcGx6zVIrCiROpWURs-4goO1sKA4m9jhJIImiGg5muPUcNeg\
     x6sSv43c5DSn37sxCRrDZZm4ZPBKKgtYASMcE20SDgvYJdJS0cyuFw7Ijp_7WnI\
     jcrl6B5cmoM6ylCvsLMwkoQAxVublMwH10oAxjzD6NEFsu9nipkszWhsPePf_rM\
     4eMpkmCbTzume-fzZIi5VjdWGGEmzTg32h3jiex-r5WTHbj-u5HL7u_KP3rmbdY\
     Nzlzd1xWRYTUs4E8nOTgzAUwvwXkIQhOh5TPcSMBYy6X3E7-_gr9Ue6n4ND7hTF\
     htjYs3cjNKIA08qm5cpVYFMFMG6PkhzLQ";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn b64d(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("test vector is unpadded base64url")
}

fn b64e(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn public_jwk(json: Value) -> Jwk {
    serde_json::from_value(json).expect("a public JWK")
}

/// RFC 7515 A.2.1's public key as a JWK.
fn rfc7515_a2_public() -> Jwk {
    public_jwk(json!({"kty": "RSA", "n": RFC7515_A2_N, "e": RFC7515_A2_E}))
}

/// RFC 7515 A.3.1's public key as a JWK.
fn rfc7515_a3_public() -> Jwk {
    public_jwk(json!({"kty": "EC", "crv": "P-256", "x": RFC7515_A3_X, "y": RFC7515_A3_Y}))
}

/// RFC 8037 A.2's public key as a JWK.
fn rfc8037_public() -> Jwk {
    public_jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}))
}

/// OIDC Core A.7's public key as a JWK, with its `kid`.
fn oidc_a7_public() -> Jwk {
    public_jwk(json!({"kty": "RSA", "kid": OIDC_A7_KID, "n": OIDC_A7_N, "e": "AQAB"}))
}

fn rfc7515_a2_jws() -> String {
    format!("{RFC7515_A2_HEADER_B64}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}")
}

fn rfc7515_a3_jws() -> String {
    format!("{RFC7515_A3_HEADER_B64}.{RFC7515_PAYLOAD_B64}.{RFC7515_A3_SIGNATURE_B64}")
}

fn rfc8037_jws() -> String {
    format!("{RFC8037_HEADER_B64}.{RFC8037_PAYLOAD_B64}.{RFC8037_SIGNATURE_B64}")
}

/// The RFC 7515 A.2.1 private key as PKCS#8 DER, built from the JWK's `n`, `e`, `d`, `p`, `q`
/// (the CRT values are recomputed by the `rsa` crate).
fn rfc7515_a2_signing_key() -> SigningKey {
    use rsa::pkcs8::EncodePrivateKey as _;
    let int = |text: &str| rsa::BigUint::from_bytes_be(&b64d(text));
    let key = rsa::RsaPrivateKey::from_components(
        int(RFC7515_A2_N),
        int(RFC7515_A2_E),
        int(RFC7515_A2_D),
        vec![int(RFC7515_A2_P), int(RFC7515_A2_Q)],
    )
    .expect("RFC 7515 A.2 key components are consistent");
    let der = key.to_pkcs8_der().expect("PKCS#8 encoding");
    SigningKey::from_pkcs8_der(Algorithm::RS256, der.as_bytes()).expect("the backend loads the RFC 7515 A.2 key")
}

/// The RFC 7515 A.3.1 private key as PKCS#8 DER (RFC 5915 ECPrivateKey with its public key, in
/// a PKCS#8 v1 wrapper naming id-ecPublicKey and prime256v1).
fn rfc7515_a3_pkcs8() -> Vec<u8> {
    let mut der = vec![
        0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
        0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
    ];
    der.extend_from_slice(&b64d(RFC7515_A3_D));
    der.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00, 0x04]);
    der.extend_from_slice(&b64d(RFC7515_A3_X));
    der.extend_from_slice(&b64d(RFC7515_A3_Y));
    assert_eq!(der.len(), 0x87 + 3);
    der
}

/// The RFC 8037 A.1 private key as PKCS#8 v1 DER.
fn rfc8037_signing_key() -> SigningKey {
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&b64d(RFC8037_D));
    SigningKey::from_pkcs8_der(Algorithm::EdDSA, &der).expect("the backend loads the RFC 8037 A.1 key")
}

/// Replaces the character at `index` with a different base64url character.
fn flip_char(token: &str, index: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ASCII")
}

#[track_caller]
fn assert_err(result: Result<authserver::jose::Verified, JoseError>, expected: &str) {
    match result {
        Ok(verified) => panic!("expected {expected}, but the token verified: {:?}", verified.header),
        Err(err) => assert_eq!(format!("{err:?}"), expected, "{err}"),
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7515 Appendix A.2: RS256
// ---------------------------------------------------------------------------------------------

/// RFC 7515 A.2.1: signing the exact JWS Signing Input with the example key gives the
/// example's signature, octet for octet (RSASSA-PKCS1-v1_5 is deterministic).
#[test]
fn rfc7515_a2_rs256_signature_is_byte_exact() {
    let key = rfc7515_a2_signing_key();
    assert_eq!(key.algorithm(), Algorithm::RS256);
    let signing_input = format!("{RFC7515_A2_HEADER_B64}.{RFC7515_PAYLOAD_B64}");
    let signature = Signer::sign(&key, signing_input.as_bytes()).expect("signing succeeds");
    assert_eq!(signature.len(), 256);
    assert_eq!(signature, b64d(RFC7515_A2_SIGNATURE_B64));
    assert_eq!(b64e(&signature), RFC7515_A2_SIGNATURE_B64);

    // The public JWK derived from the loaded key is the RFC's n/e, and its kid is its thumbprint.
    let jwk = key.public_jwk();
    assert_eq!(jwk.kty, "RSA");
    assert_eq!(jwk.n.as_deref(), Some(RFC7515_A2_N));
    assert_eq!(jwk.e.as_deref(), Some(RFC7515_A2_E));
    assert_eq!(jwk.alg.as_deref(), Some("RS256"));
    assert_eq!(jwk.key_use.as_deref(), Some("sig"));
    assert_eq!(jwk.kid.as_deref(), Some(key.kid()));
    assert_eq!(key.kid(), rfc7515_a2_public().thumbprint().unwrap());
}

/// RFC 7515 A.2.2: the complete JWS verifies with the public key, and its payload is the
/// A.1.1 octet sequence.
#[test]
fn rfc7515_a2_rs256_jws_verifies() {
    let verified = verify_with_key(&rfc7515_a2_jws(), &rfc7515_a2_public()).expect("RFC 7515 A.2 JWS verifies");
    assert_eq!(verified.header.alg, "RS256");
    assert_eq!(verified.header.kid, None);
    assert_eq!(verified.header.typ, None);
    assert_eq!(verified.payload(), RFC7515_PAYLOAD);
    let claims: Value = verified.claims().expect("JSON object payload");
    assert_eq!(
        claims,
        json!({"iss": "joe", "exp": 1300819380, "http://example.com/is_root": true})
    );

    // The same with the key as the RFC prints it, private members included: they are dropped.
    let private: Jwk = serde_json::from_value(json!({
        "kty": "RSA", "n": RFC7515_A2_N, "e": RFC7515_A2_E, "d": RFC7515_A2_D,
        "p": RFC7515_A2_P, "q": RFC7515_A2_Q,
    }))
    .unwrap();
    assert_eq!(private, rfc7515_a2_public());
    assert!(verify_with_key(&rfc7515_a2_jws(), &private).is_ok());
}

/// RFC 7515 A.2.2: one changed character anywhere makes the JWS fail: in the payload, in the
/// signature, or a signature from another key (OIDC Core A.7's).
#[test]
fn rfc7515_a2_rs256_tampering_is_detected() {
    let jws = rfc7515_a2_jws();
    let payload_at = RFC7515_A2_HEADER_B64.len() + 1 + 10;
    assert_err(
        verify_with_key(&flip_char(&jws, payload_at), &rfc7515_a2_public()),
        "InvalidSignature",
    );
    let signature_at = jws.len() - 20;
    assert_err(
        verify_with_key(&flip_char(&jws, signature_at), &rfc7515_a2_public()),
        "InvalidSignature",
    );
    // Header `{"alg":"RS256"}` changed to `{"alg":"RS256"} ` is a different signing input.
    let header = b64e(b"{\"alg\":\"RS256\"} ");
    let rewritten = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(verify_with_key(&rewritten, &rfc7515_a2_public()), "InvalidSignature");
    // The right algorithm, the wrong RSA key.
    assert_err(verify_with_key(&jws, &oidc_a7_public()), "InvalidSignature");
    // A truncated signature.
    let truncated = &jws[..jws.len() - 4];
    assert!(verify_with_key(truncated, &rfc7515_a2_public()).is_err());
}

// ---------------------------------------------------------------------------------------------
// RFC 7515 Appendix A.3: ES256
// ---------------------------------------------------------------------------------------------

/// RFC 7515 A.3.2: the ES256 JWS verifies with the example's public key.
#[test]
fn rfc7515_a3_es256_jws_verifies() {
    let verified = verify_with_key(&rfc7515_a3_jws(), &rfc7515_a3_public()).expect("RFC 7515 A.3 JWS verifies");
    assert_eq!(verified.header.alg, "ES256");
    assert_eq!(verified.payload(), RFC7515_PAYLOAD);
    assert_eq!(b64d(RFC7515_A3_SIGNATURE_B64).len(), 64, "R || S, not DER");
}

/// RFC 7515 A.3.2: a changed R, a changed S or a changed payload is rejected.
#[test]
fn rfc7515_a3_es256_tampering_is_detected() {
    let jws = rfc7515_a3_jws();
    let signature_start = jws.len() - RFC7515_A3_SIGNATURE_B64.len();
    // A character in R, one in S (the last character carries padding bits, so stay clear of it).
    for index in [signature_start + 3, jws.len() - 10] {
        assert_err(
            verify_with_key(&flip_char(&jws, index), &rfc7515_a3_public()),
            "InvalidSignature",
        );
    }
    let payload_at = RFC7515_A3_HEADER_B64.len() + 1 + 5;
    assert_err(
        verify_with_key(&flip_char(&jws, payload_at), &rfc7515_a3_public()),
        "InvalidSignature",
    );
    // R and S swapped.
    let sig = b64d(RFC7515_A3_SIGNATURE_B64);
    let swapped = [&sig[32..], &sig[..32]].concat();
    let swapped = format!("{RFC7515_A3_HEADER_B64}.{RFC7515_PAYLOAD_B64}.{}", b64e(swapped));
    assert_err(verify_with_key(&swapped, &rfc7515_a3_public()), "InvalidSignature");
    // A DER-encoded signature is not the JWS form (RFC 7518 §3.4).
    let der = der_ecdsa_signature(&sig[..32], &sig[32..]);
    let der = format!("{RFC7515_A3_HEADER_B64}.{RFC7515_PAYLOAD_B64}.{}", b64e(der));
    assert_err(verify_with_key(&der, &rfc7515_a3_public()), "InvalidSignature");
}

fn der_ecdsa_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    let int = |bytes: &[u8]| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        let mut out = vec![0x02];
        if trimmed.first().is_some_and(|&b| b & 0x80 != 0) {
            out.push(u8::try_from(trimmed.len() + 1).unwrap());
            out.push(0);
        } else {
            out.push(u8::try_from(trimmed.len()).unwrap());
        }
        out.extend_from_slice(&trimmed);
        out
    };
    let body = [int(r), int(s)].concat();
    let mut out = vec![0x30, u8::try_from(body.len()).unwrap()];
    out.extend_from_slice(&body);
    out
}

/// RFC 7515 A.3.1: the example's private key `d` loads, derives the example's `x`/`y`, and its
/// (randomized) signatures over the A.3 signing input verify with the RFC's public JWK.
#[test]
fn rfc7515_a3_es256_private_key_signs_verifiably() {
    let key = SigningKey::from_pkcs8_der(Algorithm::ES256, &rfc7515_a3_pkcs8()).expect("RFC 7515 A.3 key loads");
    let jwk = key.public_jwk();
    assert_eq!((jwk.kty.as_str(), jwk.crv.as_deref()), ("EC", Some("P-256")));
    assert_eq!(jwk.x.as_deref(), Some(RFC7515_A3_X));
    assert_eq!(jwk.y.as_deref(), Some(RFC7515_A3_Y));
    assert_eq!(key.kid(), rfc7515_a3_public().thumbprint().unwrap());

    let signing_input = format!("{RFC7515_A3_HEADER_B64}.{RFC7515_PAYLOAD_B64}");
    let first = Signer::sign(&key, signing_input.as_bytes()).unwrap();
    let second = Signer::sign(&key, signing_input.as_bytes()).unwrap();
    assert_eq!((first.len(), second.len()), (64, 64));
    assert_ne!(first, second, "ECDSA signatures are randomized");
    for signature in [first, second] {
        let jws = format!("{signing_input}.{}", b64e(signature));
        let verified = verify_with_key(&jws, &rfc7515_a3_public()).expect("own ES256 signature verifies");
        assert_eq!(verified.payload(), RFC7515_PAYLOAD);
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 8037 Appendix A: Ed25519
// ---------------------------------------------------------------------------------------------

/// RFC 8037 A.1, A.2, A.3: the private key derives the published public key `x`, and the
/// public JWK's thumbprint (and so the key's kid) is the published one.
#[test]
fn rfc8037_a1_a2_a3_ed25519_key_and_thumbprint() {
    let key = rfc8037_signing_key();
    let jwk = key.public_jwk();
    assert_eq!((jwk.kty.as_str(), jwk.crv.as_deref()), ("OKP", Some("Ed25519")));
    assert_eq!(jwk.x.as_deref(), Some(RFC8037_X));
    assert_eq!(jwk.y, None);
    assert_eq!(jwk.alg.as_deref(), Some("EdDSA"));
    assert_eq!(key.kid(), RFC8037_THUMBPRINT);
    assert_eq!(jwk.kid.as_deref(), Some(RFC8037_THUMBPRINT));

    // A.3 from the JWK as the RFC prints it, and from the A.1 private JWK (d is dropped).
    assert_eq!(rfc8037_public().thumbprint().unwrap(), RFC8037_THUMBPRINT);
    let private: Jwk =
        serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X})).unwrap();
    assert_eq!(private.thumbprint().unwrap(), RFC8037_THUMBPRINT);
}

/// RFC 8037 A.4: signing the exact signing input gives the published signature, octet for
/// octet (Ed25519 is deterministic).
#[test]
fn rfc8037_a4_ed25519_signature_is_byte_exact() {
    let key = rfc8037_signing_key();
    assert_eq!(b64d(RFC8037_PAYLOAD_B64), RFC8037_PAYLOAD);
    let signing_input = format!("{RFC8037_HEADER_B64}.{RFC8037_PAYLOAD_B64}");
    let signature = Signer::sign(&key, signing_input.as_bytes()).unwrap();
    assert_eq!(signature, b64d(RFC8037_SIGNATURE_B64));
    assert_eq!(b64e(&signature), RFC8037_SIGNATURE_B64);
}

/// RFC 8037 A.5: the A.4 JWS verifies with the A.2 public key; its payload is not JSON, so it
/// has no claims. Tampering is detected.
#[test]
fn rfc8037_a5_ed25519_jws_verifies() {
    let jws = rfc8037_jws();
    let verified = verify_with_key(&jws, &rfc8037_public()).expect("RFC 8037 A.4 JWS verifies");
    assert_eq!(verified.header.alg, "EdDSA");
    assert_eq!(verified.payload(), RFC8037_PAYLOAD);
    assert!(matches!(verified.claims::<Value>(), Err(JoseError::Malformed)));

    let payload_at = RFC8037_HEADER_B64.len() + 1 + 3;
    assert_err(
        verify_with_key(&flip_char(&jws, payload_at), &rfc8037_public()),
        "InvalidSignature",
    );
    assert_err(
        verify_with_key(&flip_char(&jws, jws.len() - 10), &rfc8037_public()),
        "InvalidSignature",
    );
    // Another Ed25519 key (RFC 7515's and OIDC's keys are not Ed25519: see the mismatch test).
    let other = public_jwk(json!({"kty": "OKP", "crv": "Ed25519", "x": b64e([0x3b; 32])}));
    assert!(verify_with_key(&jws, &other).is_err());
}

// ---------------------------------------------------------------------------------------------
// RFC 7638 §3.1
// ---------------------------------------------------------------------------------------------

/// RFC 7638 §3.1: the thumbprint of the example RSA key, whose `alg` and `kid` members are not
/// part of the hash input.
#[test]
fn rfc7638_s3_1_rsa_thumbprint() {
    let jwk: Jwk = serde_json::from_str(RFC7638_JWK).expect("RFC 7638 §3.1 JWK parses");
    assert_eq!(jwk.kid.as_deref(), Some("2011-04-29"));
    assert_eq!(jwk.thumbprint().unwrap(), RFC7638_THUMBPRINT);

    // Without alg/kid, and with `use`, the thumbprint is the same.
    let mut bare = jwk.clone();
    bare.alg = None;
    bare.kid = None;
    bare.key_use = Some("sig".into());
    assert_eq!(bare.thumbprint().unwrap(), RFC7638_THUMBPRINT);

    // A changed required member changes it.
    let mut other = jwk;
    other.e = Some("AQAC".into());
    assert_ne!(other.thumbprint().unwrap(), RFC7638_THUMBPRINT);
    other.e = None;
    assert_eq!(other.thumbprint(), Err(JwkError::MissingMember));
}

// ---------------------------------------------------------------------------------------------
// OpenID Connect Core 1.0 Appendix A: at_hash, c_hash, and the example ID Tokens
// ---------------------------------------------------------------------------------------------

/// OIDC Core A.3 (`at_hash` for the access token) and A.4 (`c_hash` for the code), RS256, and
/// the same values for PS256 and ES256, which also hash with SHA-256 (§3.1.3.6, §3.3.2.11: the
/// hash named by the `alg`, whatever its padding or curve).
#[test]
fn oidc_core_a3_a4_at_hash_and_c_hash() {
    for alg in [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256] {
        assert_eq!(at_hash(alg, OIDC_A3_ACCESS_TOKEN), OIDC_A3_AT_HASH, "{alg}");
        assert_eq!(c_hash(alg, OIDC_A4_CODE), OIDC_A4_C_HASH, "{alg}");
    }
    // A different value hashes differently.
    assert_ne!(at_hash(Algorithm::RS256, OIDC_A4_CODE), OIDC_A3_AT_HASH);
}

/// OIDC Core errata set 2 (§3.1.3.6): with EdDSA on Ed25519 the hash is SHA-512 and the left
/// half is 256 bits. Cross-checked against FusionAuth's fusionauth-jwt test value for the same
/// input (`src/test/java/io/fusionauth/jwt/OpenIdConnectTest.java`, `Algorithm.EdDSA`).
#[test]
fn oidc_core_eddsa_hashes_use_sha512() {
    let value = "dNZX1hEZ9wBCzNL40Upu646bdzQA";
    let expected = "8xltSlOGYrWy8W9yNvRlEth1i_bXW-JROWPLvCv5zog";
    assert_eq!(at_hash(Algorithm::EdDSA, value), expected);
    assert_eq!(c_hash(Algorithm::EdDSA, value), expected);
    assert_eq!(b64d(&at_hash(Algorithm::EdDSA, OIDC_A3_ACCESS_TOKEN)).len(), 32);
    assert_eq!(b64d(&at_hash(Algorithm::RS256, value)).len(), 16);
    // The same library's SHA-256 value for this input.
    assert_eq!(at_hash(Algorithm::RS256, value), "wfgvmE9VxjAudsl9lc6TqA");
}

/// OIDC Core A.3 and A.4 with the A.7 key: the example ID Tokens verify through a JWKS lookup
/// by `kid`, and the `at_hash` / `c_hash` claims they carry are what `at_hash` / `c_hash`
/// compute for the example access token and code.
#[test]
fn oidc_core_a3_a4_id_tokens_verify_and_carry_the_hashes() {
    let jwks = Jwks {
        keys: vec![rfc7515_a2_public(), oidc_a7_public()],
    };
    let a3 = verify(OIDC_A3_ID_TOKEN, &jwks).expect("OIDC Core A.3 ID Token verifies with the A.7 key");
    assert_eq!(a3.header.kid.as_deref(), Some(OIDC_A7_KID));
    let alg: Algorithm = a3.header.alg.parse().unwrap();
    assert_eq!(alg, Algorithm::RS256);
    let claims: Value = a3.claims().unwrap();
    assert_eq!(claims["at_hash"], OIDC_A3_AT_HASH);
    assert_eq!(claims["at_hash"], at_hash(alg, OIDC_A3_ACCESS_TOKEN).as_str());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");

    let a4 = verify(OIDC_A4_ID_TOKEN, &jwks).expect("OIDC Core A.4 ID Token verifies with the A.7 key");
    let claims: Value = a4.claims().unwrap();
    assert_eq!(claims["c_hash"], OIDC_A4_C_HASH);
    assert_eq!(claims["c_hash"], c_hash(alg, OIDC_A4_CODE).as_str());

    // The header is exactly the `{"kid","alg"}` form this crate writes.
    let header = OIDC_A3_ID_TOKEN.split('.').next().unwrap();
    assert_eq!(b64d(header), br#"{"kid":"1e9gdk7","alg":"RS256"}"#);
}

// ---------------------------------------------------------------------------------------------
// Negative tests on the real vectors
// ---------------------------------------------------------------------------------------------

/// RFC 7518 §3.6 / RFC 8725 §3.1: `alg: none` (an Unsecured JWS, as in RFC 7515 A.5) is refused
/// whatever the key, before any key is looked up.
#[test]
fn alg_none_is_unsupported() {
    // RFC 7515 A.5: `{"alg":"none"}`, the A.1 payload, an empty signature.
    let unsecured = format!("eyJhbGciOiJub25lIn0.{RFC7515_PAYLOAD_B64}.");
    for key in [rfc7515_a2_public(), rfc7515_a3_public(), rfc8037_public()] {
        assert_err(verify_with_key(&unsecured, &key), "UnsupportedAlgorithm");
    }
    assert_err(
        verify(
            &unsecured,
            &Jwks {
                keys: vec![oidc_a7_public()],
            },
        ),
        "UnsupportedAlgorithm",
    );
    // ... and with the real RS256 signature attached.
    let with_signature = format!("eyJhbGciOiJub25lIn0.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(
        verify_with_key(&with_signature, &rfc7515_a2_public()),
        "UnsupportedAlgorithm",
    );
    // `None`, `NONE` and the empty string are not algorithms either.
    for alg in ["None", "NONE", "", "rs256"] {
        let header = b64e(format!(r#"{{"alg":"{alg}"}}"#));
        let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
        assert_err(verify_with_key(&token, &rfc7515_a2_public()), "UnsupportedAlgorithm");
    }
}

/// RFC 7515 A.1: an HS256 JWS is refused against an RSA key (no HMAC with a public key as the
/// secret, RFC 8725 §2.1), both as published and with its header rewritten onto the A.2 RS256
/// signature.
#[test]
fn hs256_is_unsupported() {
    assert_err(
        verify_with_key(RFC7515_A1_JWS, &rfc7515_a2_public()),
        "UnsupportedAlgorithm",
    );
    let header = b64e(br#"{"alg":"HS256"}"#);
    let rewritten = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(
        verify_with_key(&rewritten, &rfc7515_a2_public()),
        "UnsupportedAlgorithm",
    );
    for alg in ["RS384", "RS512", "ES384", "ES512", "Ed25519"] {
        let header = b64e(format!(r#"{{"alg":"{alg}"}}"#));
        let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
        assert_err(verify_with_key(&token, &rfc7515_a2_public()), "UnsupportedAlgorithm");
    }
    // PS256 is supported, but A.2's key has no `alg`, so it is RS256's (RFC 8725 §3.1).
    let header = b64e(br#"{"alg":"PS256"}"#);
    let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(verify_with_key(&token, &rfc7515_a2_public()), "AlgorithmMismatch");
}

/// RFC 8725 §3.1: the algorithm comes from the key; a header `alg` for another key type is a
/// mismatch (A.3's ES256 JWS against A.2's RSA key, and every other pairing).
#[test]
fn header_alg_that_disagrees_with_the_key_is_a_mismatch() {
    let cases = [
        (rfc7515_a3_jws(), rfc7515_a2_public()),
        (rfc7515_a2_jws(), rfc7515_a3_public()),
        (rfc8037_jws(), rfc7515_a2_public()),
        (rfc7515_a2_jws(), rfc8037_public()),
        (rfc7515_a3_jws(), rfc8037_public()),
        (rfc8037_jws(), rfc7515_a3_public()),
    ];
    for (jws, key) in cases {
        assert_err(verify_with_key(&jws, &key), "AlgorithmMismatch");
    }
    // The A.2 signature relabelled ES256 against the RSA key.
    let relabelled = format!("{RFC7515_A3_HEADER_B64}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(verify_with_key(&relabelled, &rfc7515_a2_public()), "AlgorithmMismatch");
    // A JWK whose own `alg` does not fit its type is unusable.
    let mut key = rfc7515_a2_public();
    key.alg = Some("ES256".into());
    assert_err(verify_with_key(&rfc7515_a2_jws(), &key), "Key(Unsupported)");
    // A JWK declared for encryption is unusable.
    let mut key = rfc7515_a2_public();
    key.key_use = Some("enc".into());
    assert_err(verify_with_key(&rfc7515_a2_jws(), &key), "Key(NotForSigning)");
}

/// RFC 7515 §4.1.11: a header with `crit` (here the section's own example,
/// `{"alg":"ES256","crit":["exp"],"exp":1363284000}`) is refused, since no extension is
/// understood, even with the A.3 signature attached.
#[test]
fn crit_header_is_refused() {
    let header = b64e(br#"{"alg":"ES256","crit":["exp"],"exp":1363284000}"#);
    let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A3_SIGNATURE_B64}");
    assert_err(verify_with_key(&token, &rfc7515_a3_public()), "CriticalHeader");
    let header = b64e(br#"{"alg":"RS256","crit":[]}"#);
    let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(verify_with_key(&token, &rfc7515_a2_public()), "CriticalHeader");
    let header = b64e(br#"{"kid":"1e9gdk7","alg":"RS256","crit":["b64"],"b64":false}"#);
    let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(
        verify(
            &token,
            &Jwks {
                keys: vec![oidc_a7_public()],
            },
        ),
        "CriticalHeader",
    );
}

/// RFC 7515 §2 and §7.1: each part is base64url *without* padding. The RFC's parts with their
/// `=` padding restored, or in the standard alphabet, are malformed.
#[test]
fn padded_or_non_url_base64_is_malformed() {
    // The A.2 payload is 70 octets and the signature 256: both take `==` when padded.
    let padded_payload = format!("{RFC7515_A2_HEADER_B64}.{RFC7515_PAYLOAD_B64}==.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(verify_with_key(&padded_payload, &rfc7515_a2_public()), "Malformed");
    let padded_signature = format!("{}==", rfc7515_a2_jws());
    assert_err(verify_with_key(&padded_signature, &rfc7515_a2_public()), "Malformed");
    let padded_signature = format!("{}==", rfc8037_jws());
    assert_err(verify_with_key(&padded_signature, &rfc8037_public()), "Malformed");
    // The OIDC header `{"kid":"1e9gdk7","alg":"RS256"}` is 31 octets: padded, it is `...fQ==`.
    let (header, rest) = OIDC_A3_ID_TOKEN.split_once('.').unwrap();
    let padded_header = format!("{header}==.{rest}");
    assert_err(
        verify(
            &padded_header,
            &Jwks {
                keys: vec![oidc_a7_public()],
            },
        ),
        "Malformed",
    );
    // A single stray `=`.
    assert_err(
        verify_with_key(&format!("{}=", rfc7515_a2_jws()), &rfc7515_a2_public()),
        "Malformed",
    );
    // Standard alphabet: the A.2 signature contains `-` and `_`.
    let standard = rfc7515_a2_jws().replace('-', "+");
    assert_ne!(standard, rfc7515_a2_jws());
    assert_err(verify_with_key(&standard, &rfc7515_a2_public()), "Malformed");
    let standard = rfc7515_a2_jws().replace('_', "/");
    assert_err(verify_with_key(&standard, &rfc7515_a2_public()), "Malformed");
    // White space, as in the RFC's line-wrapped display form.
    let wrapped = rfc7515_a2_jws().replacen("Rw", "\nRw", 1);
    assert_err(verify_with_key(&wrapped, &rfc7515_a2_public()), "Malformed");
}

/// RFC 7515 §7.1: a compact JWS is exactly three parts. Four parts (or two, or one) are
/// malformed; so is a header that is not a JSON object.
#[test]
fn wrong_number_of_parts_is_malformed() {
    let jws = rfc7515_a2_jws();
    for token in [
        format!("{jws}."),
        format!("{jws}.{RFC7515_A2_SIGNATURE_B64}"),
        format!("{RFC7515_A2_HEADER_B64}.{RFC7515_PAYLOAD_B64}"),
        format!("{RFC7515_A2_HEADER_B64}..{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}"),
        RFC7515_A2_HEADER_B64.to_owned(),
        String::new(),
        "..".to_owned(),
    ] {
        assert_err(verify_with_key(&token, &rfc7515_a2_public()), "Malformed");
    }
    // A JSON header that is not an object, or has no alg.
    for header in [
        r#"["alg","RS256"]"#,
        r#""RS256""#,
        r#"{"kid":"x"}"#,
        r#"{"alg":256}"#,
        "{",
    ] {
        let token = format!("{}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}", b64e(header));
        assert_err(verify_with_key(&token, &rfc7515_a2_public()), "Malformed");
    }
}

/// A token over `MAX_TOKEN_LEN` is refused before decoding; one at the limit is not (it then
/// fails for what it is: a bad signature).
#[test]
fn oversized_token_is_too_large() {
    let prefix = format!("{RFC7515_A2_HEADER_B64}.");
    let suffix = format!(".{RFC7515_A2_SIGNATURE_B64}");
    let build = |len: usize| {
        let filler = len - prefix.len() - suffix.len();
        format!("{prefix}{}{suffix}", "A".repeat(filler))
    };
    let at_limit = build(MAX_TOKEN_LEN);
    assert_eq!(at_limit.len(), MAX_TOKEN_LEN);
    let result = verify_with_key(&at_limit, &rfc7515_a2_public());
    assert!(
        !matches!(result, Err(JoseError::TooLarge)),
        "a token of exactly MAX_TOKEN_LEN is not too large"
    );
    assert!(result.is_err());

    let over = build(MAX_TOKEN_LEN + 1);
    assert_err(verify_with_key(&over, &rfc7515_a2_public()), "TooLarge");
    assert_err(verify(&over, &Jwks::default()), "TooLarge");
    // Too large wins over any other defect.
    let garbage = "=".repeat(MAX_TOKEN_LEN + 1);
    assert_err(verify_with_key(&garbage, &rfc7515_a2_public()), "TooLarge");
}

/// `verify` looks the key up by the header's `kid`: the RFC 7515 A.2 JWS has none, so it is
/// refused even though the JWKS holds its key; an unknown `kid` is refused too.
#[test]
fn verify_needs_a_known_kid() {
    let mut a2 = rfc7515_a2_public();
    a2.kid = Some("2010-12-29".into());
    let jwks = Jwks {
        keys: vec![a2.clone(), rfc7515_a3_public(), rfc8037_public()],
    };
    assert_err(verify(&rfc7515_a2_jws(), &jwks), "MissingKid");
    assert_err(verify(&rfc7515_a3_jws(), &jwks), "MissingKid");
    assert_err(verify(&rfc8037_jws(), &jwks), "MissingKid");

    // OIDC Core A.3's ID Token names kid 1e9gdk7, which this set does not hold.
    assert_err(verify(OIDC_A3_ID_TOKEN, &jwks), "UnknownKid");
    assert_err(verify(OIDC_A3_ID_TOKEN, &Jwks::default()), "UnknownKid");
    // The kid is compared exactly.
    let mut renamed = oidc_a7_public();
    renamed.kid = Some("1E9GDK7".into());
    assert_err(verify(OIDC_A3_ID_TOKEN, &Jwks { keys: vec![renamed] }), "UnknownKid");
    // The A.2 JWS, given a kid in its header, finds its key but its signature no longer matches.
    let header = b64e(br#"{"kid":"2010-12-29","alg":"RS256"}"#);
    let token = format!("{header}.{RFC7515_PAYLOAD_B64}.{RFC7515_A2_SIGNATURE_B64}");
    assert_err(verify(&token, &jwks), "InvalidSignature");
}

// ---------------------------------------------------------------------------------------------
// Round trips with generated keys
// ---------------------------------------------------------------------------------------------

/// RSA key generation is slow in debug builds: one key for the whole test binary.
fn generated(alg: Algorithm) -> &'static SigningKey {
    static RS256: OnceLock<SigningKey> = OnceLock::new();
    static PS256: OnceLock<SigningKey> = OnceLock::new();
    static ES256: OnceLock<SigningKey> = OnceLock::new();
    static EDDSA: OnceLock<SigningKey> = OnceLock::new();
    let cell = match alg {
        Algorithm::RS256 => &RS256,
        Algorithm::PS256 => &PS256,
        Algorithm::ES256 => &ES256,
        Algorithm::EdDSA => &EDDSA,
    };
    cell.get_or_init(|| SigningKey::generate(alg).expect("key generation"))
}

fn decode_part(token: &str, index: usize) -> Vec<u8> {
    b64d(token.split('.').nth(index).expect("three parts"))
}

/// RFC 7515 §3.1 / §5.1 and RFC 7638 §3: for each algorithm, `sign` writes the header
/// `{"kid","alg"}` exactly, kid is the key's RFC 7638 thumbprint, and `verify` through the
/// JWKS gives the claims back.
#[test]
fn round_trip_per_algorithm() {
    let claims = json!({"iss": "https://issuer.example", "sub": "00u1", "n": 1, "groups": ["a", "b"]});
    for alg in Algorithm::ALL {
        let key = generated(alg);
        let jwk = key.public_jwk();
        assert_eq!(key.algorithm(), alg);
        assert_eq!(
            key.kid(),
            jwk.thumbprint().unwrap(),
            "{alg}: kid is the RFC 7638 thumbprint"
        );
        assert_eq!(jwk.kid.as_deref(), Some(key.kid()));
        assert_eq!(jwk.alg.as_deref(), Some(alg.as_str()));
        assert_eq!(jwk.key_use.as_deref(), Some("sig"));

        let token = sign(key, None, &claims).expect("signing");
        assert_eq!(token.split('.').count(), 3);
        let header: Value = serde_json::from_slice(&decode_part(&token, 0)).unwrap();
        assert_eq!(header, json!({"kid": key.kid(), "alg": alg.as_str()}), "{alg}: header");
        // Byte for byte, in Okta's member order (as in OIDC Core A's example ID Tokens).
        let raw = String::from_utf8(decode_part(&token, 0)).unwrap();
        assert_eq!(raw, format!(r#"{{"kid":"{}","alg":"{}"}}"#, key.kid(), alg));
        assert_eq!(
            serde_json::from_slice::<Value>(&decode_part(&token, 1)).unwrap(),
            claims
        );

        let signature = decode_part(&token, 2);
        let expected_len = match alg {
            Algorithm::RS256 | Algorithm::PS256 => 256,
            Algorithm::ES256 | Algorithm::EdDSA => 64,
        };
        assert_eq!(signature.len(), expected_len, "{alg}: signature length");

        let jwks = Jwks {
            keys: vec![jwk.clone()],
        };
        let verified = verify(&token, &jwks).unwrap_or_else(|err| panic!("{alg}: {err:?}"));
        assert_eq!(verified.header.kid.as_deref(), Some(key.kid()));
        assert_eq!(verified.header.alg, alg.as_str());
        assert_eq!(verified.header.typ, None);
        assert_eq!(verified.claims::<Value>().unwrap(), claims);
        assert!(verify_with_key(&token, &jwk).is_ok());

        // The JWKS survives a JSON round trip (as published at the keys endpoint).
        let published: Jwks = serde_json::from_str(&serde_json::to_string(&jwks).unwrap()).unwrap();
        assert!(verify(&token, &published).is_ok());

        // Tampering with the payload is detected.
        let payload_at = token.find('.').unwrap() + 5;
        assert_err(verify(&flip_char(&token, payload_at), &jwks), "InvalidSignature");
    }
}

/// RFC 9068 §2.1: `typ` appears in the header only when passed, as `at+jwt`.
#[test]
fn round_trip_typ_only_when_asked() {
    for alg in Algorithm::ALL {
        let key = generated(alg);
        let token = sign(key, Some("at+jwt"), &json!({"scp": ["openid"]})).unwrap();
        let header: Value = serde_json::from_slice(&decode_part(&token, 0)).unwrap();
        assert_eq!(header, json!({"kid": key.kid(), "alg": alg.as_str(), "typ": "at+jwt"}));
        let verified = verify(
            &token,
            &Jwks {
                keys: vec![key.public_jwk()],
            },
        )
        .unwrap();
        assert_eq!(verified.header.typ.as_deref(), Some("at+jwt"));

        let token = sign(key, None, &json!({"scp": ["openid"]})).unwrap();
        let header = String::from_utf8(decode_part(&token, 0)).unwrap();
        assert!(!header.contains("typ"), "{alg}: {header}");
    }
}

/// Keys are told apart by kid: a token from one generated key does not verify with another
/// key's JWK, even of the same algorithm.
#[test]
fn round_trip_other_keys_do_not_verify() {
    let ed_a = generated(Algorithm::EdDSA);
    let ed_b = SigningKey::generate(Algorithm::EdDSA).unwrap();
    assert_ne!(ed_a.kid(), ed_b.kid());
    let token = sign(ed_a, None, &json!({"sub": "x"})).unwrap();
    // B's key published under A's kid: found by kid, but the signature is not B's.
    let mut impostor = ed_b.public_jwk();
    impostor.kid = Some(ed_a.kid().to_owned());
    assert_err(verify(&token, &Jwks { keys: vec![impostor] }), "InvalidSignature");
    assert_err(
        verify(
            &token,
            &Jwks {
                keys: vec![ed_b.public_jwk()],
            },
        ),
        "UnknownKid",
    );

    // The generated ES256 token against the EdDSA key of the same kid: mismatch.
    let es = generated(Algorithm::ES256);
    let token = sign(es, None, &json!({"sub": "x"})).unwrap();
    let mut wrong_type = ed_a.public_jwk();
    wrong_type.kid = Some(es.kid().to_owned());
    assert_err(verify(&token, &Jwks { keys: vec![wrong_type] }), "AlgorithmMismatch");
}

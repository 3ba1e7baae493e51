//! Claim names a custom claim may not take: the system claims every token carries ("Reserved claims
//! can't be overridden", Okta's OpenID Connect & OAuth 2.0 API reference), and in ID tokens the
//! OpenID Connect standard claims too, which the server's `SYSTEM` claims provide.

use crate::model::ClaimType;

/// Claims the server sets itself in access and ID tokens (OpenID Connect Core §2, RFC 9068 §2.2,
/// and Okta's `ver`, `cid`, `uid`, `scp`, `idp`).
pub const SYSTEM_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "c_hash",
    "cid",
    "exp",
    "iat",
    "idp",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "requested_userinfo_claims",
    "scp",
    "sub",
    "uid",
    "ver",
];

/// The OpenID Connect standard claims released by the `profile`, `email`, `address` and `phone`
/// scopes (OpenID Connect Core §5.4).
pub const STANDARD_CLAIMS: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Whether a custom (non-system) claim of `claim_type` may not be called `name`. Access tokens
/// may carry custom claims with standard names (an `email` claim is common); ID tokens may not,
/// since the standard claims there come from the server's `SYSTEM` claims.
pub fn is_reserved(name: &str, claim_type: ClaimType) -> bool {
    SYSTEM_CLAIMS.contains(&name) || (claim_type == ClaimType::Identity && STANDARD_CLAIMS.contains(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_claims_are_reserved_in_both_tokens() {
        for name in [
            "iss", "ver", "jti", "cid", "uid", "scp", "aud", "exp", "sub", "amr", "nonce",
        ] {
            assert!(is_reserved(name, ClaimType::Resource), "{name}");
            assert!(is_reserved(name, ClaimType::Identity), "{name}");
        }
    }

    #[test]
    fn standard_claims_are_reserved_only_in_id_tokens() {
        assert!(!is_reserved("email", ClaimType::Resource));
        assert!(is_reserved("email", ClaimType::Identity));
        assert!(!is_reserved("groups", ClaimType::Identity));
        assert!(
            !is_reserved("scope", ClaimType::Resource),
            "a claim may be named scope since 2020"
        );
    }
}

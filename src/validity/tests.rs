//! Token validity and revocation decisions with plain data: facts in, decision out.

use std::sync::Arc;

use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::claims::access_token_id;
use crate::jose::{self, Algorithm, Jwks, VerificationKeys};
use crate::keys::{KeyMaterial, RotationMode, SoftwareKeys};
use crate::random::SeededRandom;
use crate::secret::SecretHash;
use crate::store::grants::Consumption;

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
const ISSUER: &str = "https://id.example.com/oauth2/default";

struct Keys {
    ring: KeyRing,
    jwks: VerificationKeys,
    settings: RotationSettings,
}

fn keys() -> Keys {
    let settings = RotationSettings {
        algorithm: Algorithm::EdDSA,
        ..RotationSettings::default()
    };
    let ring = KeyRing::new(
        SoftwareKeys.generate(Algorithm::EdDSA).unwrap(),
        SoftwareKeys.generate(Algorithm::EdDSA).unwrap(),
        RotationMode::Auto,
        &settings,
        NOW - Duration::days(1),
    );
    let jwks = VerificationKeys::new(Jwks {
        keys: ring.keys().iter().map(|key| key.public_jwk.clone()).collect(),
    });
    Keys { ring, jwks, settings }
}

fn issuer(keys: &Keys) -> TokenIssuer<'_> {
    TokenIssuer {
        issuer: ISSUER,
        server_id: "default",
        keys: &keys.jwks,
        ring: &keys.ring,
        rotation: &keys.settings,
        changed_at: NOW - Duration::minutes(10),
    }
}

fn claims(iat: OffsetDateTime) -> AccessTokenClaims {
    let jti = access_token_id(&GrantId::new("grant-1-with-22-chars!"), iat, &SeededRandom::new(1)).unwrap();
    serde_json::from_value(json!({
        "ver": 1, "jti": jti, "iss": ISSUER, "aud": "api://default",
        "iat": iat.unix_timestamp(), "exp": (iat + Duration::hours(1)).unix_timestamp(),
        "cid": "0oaweb", "uid": "00u1", "scp": ["openid"], "sub": "ada@example.com"
    }))
    .unwrap()
}

fn sign(keys: &Keys, claims: &AccessTokenClaims) -> String {
    jose::sign(SoftwareKeys.open(keys.ring.active()).unwrap().as_ref(), None, claims).unwrap()
}

fn client(status: &str, last_updated: Option<OffsetDateTime>, method: &str) -> ClientRecord {
    ClientRecord {
        client: serde_json::from_value(json!({
            "client_id": "0oaweb", "client_name": "Web", "token_endpoint_auth_method": method,
            "grant_types": ["authorization_code"], "response_types": ["code"],
            "redirect_uris": ["https://app.example.com/cb"], "status": status
        }))
        .unwrap(),
        client_secret_hash: None,
        client_secret_expires_at: None,
        last_updated,
    }
}

fn user(status: &str, status_changed: Option<OffsetDateTime>) -> User {
    let mut user: User =
        serde_json::from_value(json!({"id": "00u1", "status": status, "profile": {"login": "ada@example.com"}}))
            .unwrap();
    user.status_changed = status_changed;
    user
}

#[test]
fn the_kind_hint_only_orders_the_search() {
    // RFC 7662 §2.1, RFC 7009 §2.1.
    assert_eq!(TokenKind::order(None), [TokenKind::Access, TokenKind::Refresh]);
    assert_eq!(
        TokenKind::order(Some("refresh_token")),
        [TokenKind::Refresh, TokenKind::Access]
    );
    assert_eq!(TokenKind::of("a.b.c"), TokenKind::Access);
    assert_eq!(TokenKind::of("opaque"), TokenKind::Refresh);
    assert!(matches!(
        TokenKind::Refresh.invalid(TokenInvalid::Expired),
        Reason::RefreshTokenInvalid(TokenInvalid::Expired)
    ));
    // The event names the verdict on the kind the token looks like.
    let verdicts = [
        (TokenKind::Access, TokenInvalid::Expired),
        (TokenKind::Refresh, TokenInvalid::Unknown),
    ];
    assert_eq!(inactive_reason("a.b.c", &verdicts), TokenInvalid::Expired);
    assert_eq!(inactive_reason("opaque", &verdicts), TokenInvalid::Unknown);
    assert_eq!(inactive_reason("opaque", &verdicts[..1]), TokenInvalid::Malformed);
}

#[test]
fn an_access_token_verifies_against_a_published_key_and_the_issuer() {
    // RFC 7519 §7.2; RFC 8725 §3.1: the key decides the algorithm.
    let keys = keys();
    let issuer = issuer(&keys);
    let token = sign(&keys, &claims(NOW));
    assert_eq!(verify_access_token(&issuer, &token, NOW).unwrap(), claims(NOW));
    assert_eq!(
        verify_access_token(&issuer, "not-a-jwt", NOW),
        Err(TokenInvalid::Malformed)
    );
    let mut elsewhere = claims(NOW);
    elsewhere.iss = "https://id.example.com/oauth2/other".into();
    assert_eq!(
        verify_access_token(&issuer, &sign(&keys, &elsewhere), NOW),
        Err(TokenInvalid::WrongIssuer)
    );
    let mut not_ours = claims(NOW);
    not_ours.jti = "ID.something".into();
    assert_eq!(
        verify_access_token(&issuer, &sign(&keys, &not_ours), NOW),
        Err(TokenInvalid::Malformed)
    );
    let foreign = keys_of_another_server();
    assert_eq!(
        verify_access_token(&issuer, &sign(&foreign, &claims(NOW)), NOW),
        Err(TokenInvalid::Malformed)
    );
}

fn keys_of_another_server() -> Keys {
    keys()
}

#[test]
fn times_and_configuration_changes() {
    // RFC 7519 §4.1.4 exp, §4.1.6 iat; Okta's "Revoke tokens": a configuration change revokes.
    let keys = keys();
    let issuer = issuer(&keys);
    let fresh = claims(NOW);
    assert_eq!(
        check_access_token(&issuer, &fresh, NOW).unwrap().as_str(),
        "grant-1-with-22-chars!"
    );
    assert_eq!(
        check_access_token(&issuer, &fresh, NOW + Duration::hours(1)),
        Err(TokenInvalid::Expired)
    );
    assert!(check_access_token(&issuer, &claims(NOW + MAX_CLOCK_SKEW), NOW).is_ok());
    assert_eq!(
        check_access_token(&issuer, &claims(NOW + MAX_CLOCK_SKEW + Duration::seconds(1)), NOW),
        Err(TokenInvalid::IssuedInFuture)
    );
    let before_change = claims(issuer.changed_at - Duration::seconds(1));
    assert_eq!(
        check_access_token(&issuer, &before_change, NOW),
        Err(TokenInvalid::ConfigurationChanged)
    );
    // Within one second: the exact order decides, not the whole seconds of `iat`.
    let change = issuer.changed_at + Duration::milliseconds(500);
    let issuer = TokenIssuer {
        changed_at: change,
        ..issuer
    };
    for (minted, verdict) in [
        (
            change - Duration::milliseconds(300),
            Err(TokenInvalid::ConfigurationChanged),
        ),
        (
            change - Duration::nanoseconds(1),
            Err(TokenInvalid::ConfigurationChanged),
        ),
        (change, Ok(())),
        (change + Duration::nanoseconds(1), Ok(())),
    ] {
        assert_eq!(issued_after_change(&issuer, minted), verdict, "{minted}");
        let token = claims(minted);
        assert_eq!(token.iat, change.unix_timestamp(), "one second");
        assert_eq!(
            check_access_token(&issuer, &token, NOW).map(|_| ()),
            verdict,
            "{minted}"
        );
    }
    assert_eq!(not_revoked(true, TokenInvalid::Revoked), Err(TokenInvalid::Revoked));
    assert_eq!(not_revoked(false, TokenInvalid::GrantRevoked), Ok(()));
}

#[test]
fn implicit_revocation_by_the_client_and_the_user() {
    // Okta's "Revoke tokens": the client deactivated, changed or deleted; the user deactivated,
    // deleted or unassigned.
    let issued_at = NOW;
    assert!(
        check_client(
            Some(Arc::new(client("ACTIVE", Some(NOW), "client_secret_basic"))),
            issued_at
        )
        .is_ok()
    );
    assert_eq!(
        check_client(
            Some(Arc::new(client("INACTIVE", None, "client_secret_basic"))),
            issued_at
        )
        .unwrap_err(),
        TokenInvalid::ClientInactive
    );
    assert_eq!(check_client(None, issued_at).unwrap_err(), TokenInvalid::ClientInactive);
    assert_eq!(
        check_client(
            Some(Arc::new(client(
                "ACTIVE",
                Some(NOW + Duration::milliseconds(1)),
                "client_secret_basic"
            ))),
            issued_at
        )
        .unwrap_err(),
        TokenInvalid::ClientChanged
    );
    assert!(check_user(Some(user("ACTIVE", Some(NOW))), issued_at).is_ok());
    assert_eq!(
        check_user(Some(user("SUSPENDED", None)), issued_at).unwrap_err(),
        TokenInvalid::UserInactive
    );
    assert_eq!(check_user(None, issued_at).unwrap_err(), TokenInvalid::UserInactive);
    assert_eq!(
        check_user(Some(user("ACTIVE", Some(NOW + Duration::milliseconds(1)))), issued_at).unwrap_err(),
        TokenInvalid::UserInactive,
        "a deactivation since undone still revoked the token"
    );
    assert_eq!(check_assignment(false), Err(TokenInvalid::UserUnassigned));
}

fn found(consumed: bool, family_revoked: bool) -> RefreshTokenState {
    RefreshTokenState {
        record: RefreshTokenRecord {
            token_hash: SecretHash::of("rt"),
            grant: crate::grant::tests::grant(&["offline_access"]),
            issued_at: NOW,
            expires_at: Some(NOW + Duration::minutes(120)),
            last_used_at: NOW,
        },
        consumed: consumed.then(|| Consumption {
            at: NOW,
            successor: SecretHash::of("next"),
        }),
        family_revoked,
    }
}

#[test]
fn a_refresh_token_is_valid_until_its_idle_window_or_lifetime_ends() {
    let keys = keys();
    let issuer = issuer(&keys);
    assert!(check_refresh_token(&issuer, Some(found(false, false)), NOW).is_ok());
    assert_eq!(
        check_refresh_token(&issuer, None, NOW).unwrap_err(),
        TokenInvalid::Unknown
    );
    assert_eq!(
        check_refresh_token(&issuer, Some(found(true, true)), NOW).unwrap_err(),
        TokenInvalid::GrantRevoked
    );
    assert_eq!(
        check_refresh_token(&issuer, Some(found(true, false)), NOW).unwrap_err(),
        TokenInvalid::Consumed
    );
    let elsewhere = TokenIssuer {
        server_id: "aus-other",
        ..issuer
    };
    assert_eq!(
        check_refresh_token(&elsewhere, Some(found(false, false)), NOW).unwrap_err(),
        TokenInvalid::OtherServer
    );
    let record = found(false, false).record;
    assert_eq!(
        refresh_token_expiry(&record),
        NOW + Duration::minutes(30),
        "the idle window ends first"
    );
    assert_eq!(
        check_refresh_token(&issuer, Some(found(false, false)), NOW + Duration::minutes(30)).unwrap_err(),
        TokenInvalid::Expired
    );
}

#[test]
fn a_public_client_sees_only_its_own_tokens() {
    let public = client("ACTIVE", None, "none");
    let confidential = client("ACTIVE", None, "client_secret_basic");
    assert_eq!(visible_to(&public.client, "0oaother"), Err(TokenInvalid::OtherClient));
    assert!(visible_to(&public.client, "0oaweb").is_ok());
    assert!(visible_to(&confidential.client, "0oaother").is_ok());
}

#[test]
fn userinfo_needs_openid_and_a_user() {
    // OpenID Connect Core §5.3.3; RFC 6750 §3.1 insufficient_scope.
    assert!(userinfo_user(&claims(NOW), Some(user("ACTIVE", None))).is_ok());
    let mut no_openid = claims(NOW);
    no_openid.scp = vec!["api:read".into()];
    assert!(matches!(
        userinfo_user(&no_openid, Some(user("ACTIVE", None))),
        Err(Reason::InsufficientScope)
    ));
    assert!(matches!(
        userinfo_user(&claims(NOW), None),
        Err(Reason::AccessTokenInvalid(_))
    ));
}

#[test]
fn revoking_decides_what_and_until_when() {
    // RFC 7009 §2.1: a client revokes only its own tokens; a refresh token takes its grant's
    // access tokens with it.
    let access = claims(NOW);
    assert_eq!(
        revoke_access_token(Ok(access.clone()), "0oaweb", NOW),
        Revocation::AccessToken {
            jti: access.jti.clone(),
            until: NOW + Duration::hours(1)
        }
    );
    assert_eq!(
        revoke_access_token(Ok(access.clone()), "0oaother", NOW),
        Revocation::OtherClient
    );
    assert_eq!(
        revoke_access_token(Ok(access), "0oaweb", NOW + Duration::hours(1)),
        Revocation::Expired
    );
    assert_eq!(
        revoke_access_token(Err(TokenInvalid::Malformed), "0oaweb", NOW),
        Revocation::NotThisKind
    );
    let keys = keys();
    let issuer = issuer(&keys);
    assert_eq!(
        revoke_refresh_token(&issuer, Some(found(true, false)), "0oaweb", NOW),
        Revocation::Grant {
            grant: GrantId::new("grant-1"),
            until: NOW + Duration::minutes(60)
        },
        "a rotated-away member revokes its family too"
    );
    assert_eq!(
        revoke_refresh_token(&issuer, Some(found(false, false)), "0oaother", NOW),
        Revocation::OtherClient
    );
    assert_eq!(
        revoke_refresh_token(&issuer, None, "0oaweb", NOW),
        Revocation::NotThisKind
    );
    let elsewhere = TokenIssuer {
        server_id: "aus-other",
        ..issuer
    };
    assert_eq!(
        revoke_refresh_token(&elsewhere, Some(found(false, false)), "0oaweb", NOW),
        Revocation::NotThisKind
    );
}

#[test]
fn introspection_and_revocation_read_a_post_form_and_a_query_client_id() {
    // RFC 7662 §2.1, RFC 7009 §2.1; Okta: public clients may send client_id in the query.
    use crate::endpoint::EndpointRequest;
    let get = EndpointRequest::get("token=x");
    assert!(matches!(token_operation_form(&get), Err(Reason::MethodNotAllowed)));
    let mut joined = EndpointRequest::post("token=x");
    joined.query = "client_id=0oa%20spa";
    let params = token_operation_form(&joined).unwrap();
    assert_eq!(
        (params.get("token"), params.get("client_id")),
        (Some("x"), Some("0oa spa"))
    );
    let mut secret = EndpointRequest::post("token=x");
    secret.query = "client_secret=s";
    assert!(matches!(token_operation_form(&secret), Err(Reason::QueryCredentials)));
    let repeated = EndpointRequest::post("token=x&token=y");
    assert!(matches!(
        token_operation_form(&repeated),
        Err(Reason::RepeatedParameter)
    ));
    let mut twice = EndpointRequest::post("client_id=a");
    twice.query = "client_id=a";
    assert!(matches!(token_operation_form(&twice), Err(Reason::RepeatedParameter)));
    assert!(matches!(
        token_param(&Params::parse("token_type_hint=x").unwrap()),
        Err(Reason::MissingToken)
    ));
}

#[test]
fn userinfo_takes_the_token_from_the_bearer_header_or_a_post_form() {
    // RFC 6750 §2.1 (header, scheme case-insensitive), §2.2 (form body of a POST), §2 (one
    // method only), §3.1 (no error code without a token).
    use crate::endpoint::{EndpointRequest, Method};
    let header = EndpointRequest::get("").with_authorization("bearer  abc ");
    assert_eq!(userinfo_access_token(&header).unwrap().as_deref(), Some("abc"));
    assert_eq!(userinfo_access_token(&EndpointRequest::get("")).unwrap(), None);
    let basic = EndpointRequest::get("").with_authorization("Basic abc");
    assert_eq!(userinfo_access_token(&basic).unwrap(), None);
    assert!(matches!(
        userinfo_access_token(&EndpointRequest::get("access_token=abc")),
        Err(Reason::AccessTokenInQuery)
    ));
    let form = EndpointRequest::post("access_token=a%2Bb");
    assert_eq!(userinfo_access_token(&form).unwrap().as_deref(), Some("a+b"));
    let both = EndpointRequest::post("access_token=abc").with_authorization("Bearer abc");
    assert!(matches!(userinfo_access_token(&both), Err(Reason::AccessTokenTwice)));
    assert!(matches!(
        userinfo_access_token(&EndpointRequest::post("access_token=a&access_token=b")),
        Err(Reason::RepeatedParameter)
    ));
    // A GET has no form to read.
    let mut get_with_body = EndpointRequest::post("access_token=abc");
    get_with_body.method = Method::Get;
    assert_eq!(userinfo_access_token(&get_with_body).unwrap(), None);
    let mut delete = EndpointRequest::get("");
    delete.method = Method::Delete;
    assert!(matches!(userinfo_access_token(&delete), Err(Reason::MethodNotAllowed)));
    assert_eq!(
        Reason::AccessTokenTwice.error().code,
        crate::endpoint::ErrorCode::InvalidRequest
    );
}

#[test]
fn a_token_verified_before_is_refused_once_its_key_is_no_longer_published() {
    // The server remembers verified tokens and checks only the key's publication again: that
    // check must refuse exactly when verifying from scratch would.
    let mut keys = keys();
    let token = sign(&keys, &claims(NOW));
    let verified = verify_signed_access_token(&issuer(&keys), &token, NOW).unwrap();
    assert_eq!(verified.claims, claims(NOW));
    assert_eq!(still_published(&issuer(&keys), &verified, NOW), Ok(()));

    // The signing key is rotated out: EXPIRED, published for its retention, then not.
    let next = SoftwareKeys.generate(Algorithm::EdDSA).unwrap();
    keys.ring.rotate(next, &keys.settings, NOW);
    let retained = NOW + keys.settings.expired_retention - Duration::seconds(1);
    let retired = NOW + keys.settings.expired_retention;
    for (at, published) in [(retained, true), (retired, false)] {
        let from_scratch = verify_signed_access_token(&issuer(&keys), &token, at).map(|_| ());
        assert_eq!(still_published(&issuer(&keys), &verified, at), from_scratch);
        assert_eq!(from_scratch.is_ok(), published, "at {at}");
    }
}

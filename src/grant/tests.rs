//! The grant decisions with plain data: facts in, decision out.

use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::authorization_code::{self, CodeRequest};
use super::refresh::{self, RefreshWrite, Rotated};
use super::*;
use crate::model::RotationType;
use crate::policy::DenialKind;
use crate::random::SeededRandom;
use crate::secret::SecretHash;
use crate::store::grants::{AuthorizationCodeRecord, CodeRedemption, Consumption, RefreshTokenState, Rotation};

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://app.example.com/callback";

fn client(id: &str, method: &str, grant_types: &[&str]) -> ClientRecord {
    ClientRecord {
        client: serde_json::from_value(json!({
            "client_id": id, "client_name": id, "token_endpoint_auth_method": method,
            "grant_types": grant_types, "response_types": ["code"], "redirect_uris": [REDIRECT],
            "application_type": if method == "none" { "browser" } else { "web" }
        }))
        .unwrap(),
        client_secret_hash: None,
        client_secret_expires_at: None,
        last_updated: None,
    }
}

fn user(status: &str) -> User {
    serde_json::from_value(json!({"id": "00u1", "status": status, "profile": {"login": "ada@example.com"}})).unwrap()
}

/// A grant of `scopes` to `0oaweb` for `00u1` on `default`, made at `NOW`.
pub(crate) fn grant(scopes: &[&str]) -> Grant {
    Grant {
        id: GrantId::new("grant-1"),
        authorization_server_id: "default".into(),
        client_id: "0oaweb".into(),
        user_id: Some("00u1".into()),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        grant_type: "authorization_code".into(),
        policy_id: "00p1".into(),
        rule_id: "0pr1".into(),
        access_token_lifetime_minutes: 60,
        refresh_token_lifetime_minutes: Some(120),
        refresh_token_window_minutes: 30,
        auth_time: Some(NOW),
        amr: vec!["pwd".into()],
        acr: None,
        requested_claims: None,
        issued_at: NOW,
    }
}

fn params(form: &str) -> Params {
    Params::parse(form).unwrap()
}

#[test]
fn the_grant_type_must_be_served_and_allowed() {
    // RFC 6749 §5.2: unsupported_grant_type, unauthorized_client.
    let web = client("0oaweb", "client_secret_basic", &["authorization_code"]);
    assert_eq!(
        grant_type(&params("grant_type=authorization_code"), &web.client).unwrap(),
        GrantType::AuthorizationCode
    );
    assert!(matches!(
        grant_type(&params(""), &web.client),
        Err(Reason::MissingGrantType)
    ));
    for unsupported in ["implicit", "urn:ietf:params:oauth:grant-type:device_code", "nope"] {
        let form = format!("grant_type={unsupported}");
        assert!(
            matches!(
                grant_type(&params(&form), &web.client),
                Err(Reason::UnsupportedGrantType)
            ),
            "{unsupported}"
        );
    }
    let Err(Reason::GrantTypeNotAllowed { configured }) = grant_type(&params("grant_type=password"), &web.client)
    else {
        panic!("unauthorized_client");
    };
    assert_eq!(configured, [GrantType::AuthorizationCode]);
}

#[test]
fn scopes_are_bounded_and_of_rfc_6749_syntax() {
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
    assert_eq!(requested_scopes(&params(""), MAX_SCOPE_LEN).unwrap(), None);
    assert_eq!(
        requested_scopes(&params("scope=openid++email"), MAX_SCOPE_LEN).unwrap(),
        Some(vec!["openid".to_owned(), "email".to_owned()])
    );
    for bad in ["scope=a%22b", "scope=a%5Cb", "scope=caf%C3%A9"] {
        assert!(
            matches!(
                requested_scopes(&params(bad), MAX_SCOPE_LEN),
                Err(Reason::MalformedScope)
            ),
            "{bad}"
        );
    }
    let long = format!("scope={}", "a".repeat(MAX_SCOPE_LEN + 1));
    assert!(matches!(
        requested_scopes(&params(&long), MAX_SCOPE_LEN),
        Err(Reason::MalformedScope)
    ));
    assert!(requested_scopes(&params(&long), MAX_REFRESH_SCOPE_LEN).is_ok());
}

#[test]
fn users_must_be_able_to_sign_in_and_be_assigned() {
    assert!(grant_user(Some(user("ACTIVE"))).is_ok());
    assert!(matches!(
        grant_user(Some(user("SUSPENDED"))),
        Err(Reason::UserUnavailable)
    ));
    assert!(matches!(grant_user(None), Err(Reason::UserUnavailable)));
    assert!(assigned(true).is_ok());
    assert!(matches!(assigned(false), Err(Reason::UserNotAssigned)));
    // The password grant reads alike for a wrong pair and an inactive user (RFC 6749 §5.2
    // invalid_grant), but the event names the inactive one.
    let unknown = password_user(None).unwrap_err();
    assert!(matches!(unknown.reason, Reason::InvalidCredentials) && unknown.user_id.is_none());
    let inactive = password_user(Some(user("DEPROVISIONED"))).unwrap_err();
    assert!(matches!(inactive.reason, Reason::InvalidCredentials));
    assert_eq!(inactive.user_id.as_deref(), Some("00u1"));
}

#[test]
fn client_credentials_need_a_confidential_client() {
    // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
    assert!(confidential(&client("0oasvc", "client_secret_basic", &["client_credentials"]).client).is_ok());
    assert!(matches!(
        confidential(&client("0oaspa", "none", &["client_credentials"]).client),
        Err(Reason::PublicClientCredentials)
    ));
}

#[test]
fn refresh_and_id_tokens_follow_the_granted_scopes() {
    let refreshing = client(
        "0oaweb",
        "client_secret_basic",
        &["authorization_code", "refresh_token"],
    );
    let not_refreshing = client("0oaweb", "client_secret_basic", &["authorization_code"]);
    let offline = grant(&["openid", "offline_access"]);
    assert!(wants_refresh_token(&refreshing, &offline));
    assert!(!wants_refresh_token(&not_refreshing, &offline));
    assert!(!wants_refresh_token(&refreshing, &grant(&["openid"])));
    assert!(wants_id_token(&offline));
    let machine = Grant {
        user_id: None,
        ..offline.clone()
    };
    assert!(!wants_id_token(&machine), "no ID token without a user");
    let record = first_refresh_token(&RefreshToken::generate(&SeededRandom::new(1)).unwrap(), &offline, NOW);
    assert_eq!(record.expires_at, Some(NOW + Duration::minutes(120)));
    assert_eq!((record.issued_at, record.last_used_at), (NOW, NOW));
}

#[test]
fn the_issue_context_is_drawn_from_the_randomness_seam() {
    let grant = GrantId::new("grant-1");
    let draw = |seed| IssueContext::draw(&SeededRandom::new(seed), NOW, &grant, true).unwrap();
    let (a, b) = (draw(7), draw(7));
    assert_eq!(
        a.access_token_id, b.access_token_id,
        "a seeded source gives the same ids"
    );
    assert!(a.access_token_id.starts_with("AT.grant-1") && a.id_token_id().starts_with("ID."));
    assert_eq!(a.refresh_token.token().expose(), b.refresh_token.token().expose());
    assert!(a.code.is_some());
    assert!(
        IssueContext::draw(&SeededRandom::new(7), NOW, &grant, false)
            .unwrap()
            .code
            .is_none()
    );
    assert_ne!(draw(8).access_token_id, a.access_token_id);
}

fn code_record(challenge: Option<&str>) -> AuthorizationCodeRecord {
    AuthorizationCodeRecord {
        code_hash: SecretHash::of("code"),
        grant: grant(&["openid"]),
        redirect_uri: Some(REDIRECT.to_owned()),
        code_challenge: challenge.map(str::to_owned),
        nonce: None,
        expires_at: NOW + Duration::seconds(300),
    }
}

#[test]
fn a_redeemed_code_is_checked_against_the_token_request() {
    // RFC 6749 §4.1.3: same client, same redirect_uri; RFC 7636 §4.6: the verifier.
    let web = client("0oaweb", "client_secret_basic", &["authorization_code"]);
    let request = |client, redirect_uri, verifier, now| CodeRequest {
        server_id: "default",
        client,
        redirect_uri,
        code_verifier: verifier,
        now,
    };
    let record = code_record(Some(CHALLENGE));
    let wrong = "x".repeat(43);
    assert!(authorization_code::check(&record, &request(&web, Some(REDIRECT), Some(VERIFIER), NOW)).is_ok());
    let refused = |request| authorization_code::check(&record, &request).unwrap_err();
    let expired = refused(request(
        &web,
        Some(REDIRECT),
        Some(VERIFIER),
        NOW + Duration::seconds(300),
    ));
    assert!(matches!(expired.reason, Reason::InvalidCode));
    assert_eq!(
        expired.user_id.as_deref(),
        Some("00u1"),
        "refusals name the code's user"
    );
    let other = client("0oaother", "client_secret_basic", &["authorization_code"]);
    assert!(matches!(
        refused(request(&other, Some(REDIRECT), Some(VERIFIER), NOW)).reason,
        Reason::GrantOfOtherClient
    ));
    assert!(matches!(
        refused(request(&web, None, Some(VERIFIER), NOW)).reason,
        Reason::RedirectUriMismatch
    ));
    assert!(matches!(
        refused(request(&web, Some(REDIRECT), Some(wrong.as_str()), NOW)).reason,
        Reason::PkceMismatch
    ));
    assert!(matches!(
        refused(request(&web, Some(REDIRECT), None, NOW)).reason,
        Reason::MissingCodeVerifier
    ));
    // RFC 9700 §2.1.1: a verifier for a code without a challenge is a downgrade.
    let plain = code_record(None);
    let downgrade = authorization_code::check(&plain, &request(&web, Some(REDIRECT), Some(VERIFIER), NOW));
    assert!(matches!(downgrade.unwrap_err().reason, Reason::UnexpectedCodeVerifier));
    assert!(authorization_code::check(&plain, &request(&web, Some(REDIRECT), None, NOW)).is_ok());
    let spa = client("0oaweb", "none", &["authorization_code"]);
    let public = authorization_code::check(&plain, &request(&spa, Some(REDIRECT), None, NOW));
    assert!(matches!(public.unwrap_err().reason, Reason::PkceRequired));
    let elsewhere = CodeRequest {
        server_id: "aus-other",
        ..request(&web, Some(REDIRECT), Some(VERIFIER), NOW)
    };
    assert!(matches!(refused(elsewhere).reason, Reason::InvalidCode));
}

#[test]
fn a_replayed_code_names_the_grant_to_revoke() {
    // RFC 6749 §4.1.2: "If an authorization code is used more than once … SHOULD revoke … all
    // tokens previously issued based on that authorization code."
    let grant_id = GrantId::new("grant-1");
    let replayed = authorization_code::redeemed(CodeRedemption::AlreadyRedeemed {
        grant_id: grant_id.clone(),
    })
    .unwrap_err();
    assert_eq!(replayed.revokes(), Some(&grant_id));
    assert!(matches!(
        authorization_code::redeemed(CodeRedemption::Unknown),
        Err(Reason::InvalidCode)
    ));
    assert!(authorization_code::redeemed(CodeRedemption::Redeemed(code_record(None))).is_ok());
}

fn refresh_state(consumed_at: Option<OffsetDateTime>) -> RefreshTokenState {
    RefreshTokenState {
        record: RefreshTokenRecord {
            token_hash: SecretHash::of("presented"),
            grant: grant(&["openid", "offline_access"]),
            issued_at: NOW,
            expires_at: Some(NOW + Duration::minutes(120)),
            last_used_at: NOW,
        },
        consumed: consumed_at.map(|at| Consumption {
            at,
            successor: SecretHash::of("successor"),
        }),
        family_revoked: false,
    }
}

#[test]
fn a_presented_refresh_token_is_checked_before_implicit_revocation() {
    let found = refresh_state(None);
    let check = |found: &RefreshTokenState, server: &str, client: &str, now| {
        refresh::check_presented(found, server, client, now).map_err(|refusal| refusal.reason)
    };
    assert!(check(&found, "default", "0oaweb", NOW).is_ok());
    assert!(matches!(refresh::found(None), Err(Reason::UnknownRefreshToken)));
    let revoked = RefreshTokenState {
        family_revoked: true,
        ..found.clone()
    };
    assert!(matches!(
        check(&revoked, "default", "0oaweb", NOW),
        Err(Reason::RefreshTokenRevoked)
    ));
    assert!(matches!(
        check(&found, "aus-other", "0oaweb", NOW),
        Err(Reason::RefreshTokenForOtherServer)
    ));
    assert!(matches!(
        check(&found, "default", "0oaother", NOW),
        Err(Reason::GrantOfOtherClient)
    ));
    // The idle window (30 minutes) ends before the lifetime (120).
    assert!(matches!(
        check(&found, "default", "0oaweb", NOW + Duration::minutes(30)),
        Err(Reason::RefreshTokenIdle)
    ));
    let used = RefreshTokenState {
        record: RefreshTokenRecord {
            last_used_at: NOW + Duration::minutes(110),
            ..found.record.clone()
        },
        ..found.clone()
    };
    assert!(matches!(
        check(&used, "default", "0oaweb", NOW + Duration::minutes(120)),
        Err(Reason::RefreshTokenExpired)
    ));
}

#[test]
fn reuse_within_the_leeway_is_tolerated_and_after_it_revokes_the_family() {
    // Okta's refresh-token rotation grace period; RFC 9700 §4.14.2 on reuse.
    let leeway = Duration::seconds(30);
    assert!(!refresh::within_leeway(&refresh_state(None), leeway, NOW).unwrap());
    let rotated = refresh_state(Some(NOW));
    assert!(refresh::within_leeway(&rotated, leeway, NOW + leeway).unwrap());
    let reused = refresh::within_leeway(&rotated, leeway, NOW + leeway + Duration::seconds(1)).unwrap_err();
    assert_eq!(reused.reason.revokes(), Some(&GrantId::new("grant-1")));
    assert_eq!(reused.user_id.as_deref(), Some("00u1"));
    let leeway_of = |settings| {
        let mut web = client("0oaweb", "client_secret_basic", &["refresh_token"]);
        web.client.refresh_token = settings;
        refresh::leeway(&web)
    };
    assert_eq!(leeway_of(None), Duration::seconds(30), "the default leeway");
}

#[test]
fn a_refresh_asks_for_a_subset_of_the_original_scopes() {
    // Okta's refresh_scopes_denied.
    let original = grant(&["openid", "offline_access", "api:read"]);
    let (scopes, grant_type) = refresh::request(None, &original).unwrap();
    assert_eq!(scopes, original.scopes);
    assert_eq!(grant_type, GrantType::AuthorizationCode);
    let narrowed = refresh::request(Some(vec!["api:read".into()]), &original).unwrap();
    assert_eq!(narrowed.0, ["api:read"]);
    let widened = refresh::request(Some(vec!["api:write".into()]), &original).unwrap_err();
    let Reason::PolicyDenied(denial) = widened.reason else {
        panic!("a policy denial");
    };
    assert_eq!(
        denial.kind,
        DenialKind::RefreshScopesDenied {
            denied: vec!["api:write".into()]
        }
    );
    let unknown_type = Grant {
        grant_type: "urn:unknown".into(),
        ..original
    };
    assert!(matches!(
        refresh::request(None, &unknown_type).unwrap_err().reason,
        Reason::RefreshTokenUnknownGrantType
    ));
}

#[test]
fn the_presented_token_is_touched_echoed_or_replaced() {
    let presented = refresh_state(None).record;
    let new_token = RefreshToken::generate(&SeededRandom::new(3)).unwrap();
    let narrowed = grant(&["offline_access"]);
    let write = |grant: &Grant, within_leeway, rotation| {
        refresh::write(
            &presented,
            grant,
            within_leeway,
            rotation,
            &new_token,
            NOW + Duration::minutes(5),
        )
    };
    assert_eq!(
        write(&grant(&["openid"]), false, RotationType::Rotate),
        RefreshWrite::Touch
    );
    assert_eq!(write(&narrowed, false, RotationType::Static), RefreshWrite::Echo);
    let RefreshWrite::Rotate(successor) = write(&narrowed, false, RotationType::Rotate) else {
        panic!("rotated");
    };
    // RFC 6749 §6: the new refresh token keeps the presented one's scope; the family keeps its
    // absolute expiry.
    assert_eq!(successor.grant.scopes, presented.grant.scopes);
    assert_eq!(successor.expires_at, presented.expires_at);
    assert_eq!(successor.token_hash, new_token.hash());
    assert!(matches!(
        write(&narrowed, true, RotationType::Static),
        RefreshWrite::Sibling(_)
    ));
    assert!(refresh::still_stored(true).is_ok());
    assert!(matches!(refresh::still_stored(false), Err(Reason::RefreshTokenRevoked)));
}

#[test]
fn a_lost_rotation_race_is_tolerated_within_the_leeway() {
    let grant_id = GrantId::new("grant-1");
    let leeway = Duration::seconds(30);
    let record = refresh_state(None).record;
    let already = Rotation::AlreadyRotated {
        record: record.clone(),
        rotated_at: NOW,
        successor: SecretHash::of("other"),
    };
    assert_eq!(
        refresh::rotation(&Rotation::Rotated { previous: record }, &grant_id, leeway, NOW).unwrap(),
        Rotated::Done
    );
    assert_eq!(
        refresh::rotation(&already, &grant_id, leeway, NOW + leeway).unwrap(),
        Rotated::Raced
    );
    let reused = refresh::rotation(&already, &grant_id, leeway, NOW + leeway + Duration::seconds(1)).unwrap_err();
    assert_eq!(reused.revokes(), Some(&grant_id));
    assert!(matches!(
        refresh::rotation(&Rotation::FamilyRevoked, &grant_id, leeway, NOW),
        Err(Reason::RefreshTokenRevoked)
    ));
}

#[test]
fn the_refreshed_grant_takes_the_new_decision_and_keeps_its_identity() {
    let original = grant(&["openid", "offline_access"]);
    let decision = Decision {
        policy_id: "00p2",
        policy_name: "Other",
        rule_id: "0pr2",
        rule_name: "Other",
        scopes: vec!["openid"],
        access_token_lifetime_minutes: 5,
        refresh_token_lifetime_minutes: Some(1),
        refresh_token_window_minutes: 10,
        inline_hook: None,
    };
    let refreshed = refresh::refreshed(&original, &decision);
    assert_eq!(refreshed.scopes, ["openid"]);
    assert_eq!(
        (refreshed.policy_id.as_str(), refreshed.rule_id.as_str()),
        ("00p2", "0pr2")
    );
    assert_eq!(refreshed.access_token_lifetime_minutes, 5);
    assert_eq!(refreshed.refresh_token_window_minutes, 10);
    assert_eq!(
        refreshed.refresh_token_lifetime_minutes,
        Some(120),
        "the family's lifetime stays"
    );
    assert_eq!(
        (&refreshed.id, &refreshed.auth_time),
        (&original.id, &original.auth_time)
    );
}

#[test]
fn the_token_body_lists_what_was_issued() {
    // RFC 6749 §5.1.
    let scopes = ["openid".to_owned(), "api:read".to_owned()];
    let body = token_body("at".to_owned(), 3600, &scopes, Some("rt"), None);
    assert_eq!(
        Value::Object(body),
        json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "at",
               "scope": "openid api:read", "refresh_token": "rt"})
    );
}

#[test]
fn the_token_request_is_a_post_with_single_parameters_and_no_query_credentials() {
    // RFC 6749 §3.2 (POST), §3.1 (no repeated parameters).
    let get = crate::endpoint::EndpointRequest::get("grant_type=password");
    assert!(matches!(token_form(&get).unwrap_err().reason, Reason::TokenNotPost));
    let repeated = crate::endpoint::EndpointRequest::post("scope=a&scope=b");
    assert!(matches!(
        token_form(&repeated).unwrap_err().reason,
        Reason::RepeatedParameter
    ));
    let long = "a=".to_owned() + &"x".repeat(crate::endpoint::MAX_PARAMS_LEN);
    let too_long = crate::endpoint::EndpointRequest::post(&long);
    assert!(matches!(
        token_form(&too_long).unwrap_err().reason,
        Reason::RequestTooLarge
    ));
    let mut in_query = crate::endpoint::EndpointRequest::post("client_id=0oaweb&grant_type=password");
    in_query.query = "client_secret=x";
    let refused = token_form(&in_query).unwrap_err();
    assert!(matches!(refused.reason, Reason::QueryCredentials));
    assert_eq!(
        refused.client_id.as_deref(),
        Some("0oaweb"),
        "the event names the form's client"
    );
    let fine = crate::endpoint::EndpointRequest::post("grant_type=password");
    assert_eq!(token_form(&fine).unwrap().get("grant_type"), Some("password"));
}

#[test]
fn lifetimes_past_what_time_holds_saturate_instead_of_panicking() {
    // A rule stored before the management API bounded lifetimes (or written to the store
    // directly) may carry u32::MAX minutes: the family then lasts as long as time goes, and
    // neither issuing nor checking the idle window panics.
    let mut huge = grant(&["offline_access"]);
    huge.refresh_token_lifetime_minutes = Some(u32::MAX);
    huge.refresh_token_window_minutes = u32::MAX;
    let now = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MIDNIGHT);
    let token = crate::secret::RefreshToken::from_received("t");
    let record = first_refresh_token(&token, &huge, now);
    assert_eq!(
        record.expires_at,
        Some(now.saturating_add(Duration::minutes(i64::from(u32::MAX))))
    );
    assert!(record.expires_at.unwrap() >= now);
    assert_eq!(
        crate::validity::refresh_token_expiry(&record),
        record.expires_at.unwrap()
    );
}

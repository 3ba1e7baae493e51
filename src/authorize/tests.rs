//! The authorize decisions with plain data: facts in, decision out.

use std::sync::Arc;

use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::endpoint::Body;

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
const CALLBACK: &str = "https://app.example.com/callback";

fn client(status: &str) -> ClientRecord {
    ClientRecord {
        client: serde_json::from_value(json!({
            "client_id": "0oaweb", "client_name": "Web", "token_endpoint_auth_method": "client_secret_basic",
            "grant_types": ["authorization_code", "implicit"], "response_types": ["code", "token", "id_token"],
            "redirect_uris": [CALLBACK], "application_type": "web", "status": status
        }))
        .unwrap(),
        client_secret_hash: None,
        client_secret_expires_at: None,
        last_updated: None,
    }
}

fn params(query: &str) -> Params {
    Params::parse(query).unwrap()
}

fn session(auth_time: OffsetDateTime) -> Session {
    Session {
        id: "sess-1".into(),
        user_id: "00u1".into(),
        auth_time,
        amr: vec!["pwd".into()],
    }
}

fn decision() -> Decision<'static> {
    Decision {
        policy_id: "00p1",
        policy_name: "Default",
        rule_id: "0pr1",
        rule_name: "Default",
        scopes: vec!["openid", "offline_access"],
        access_token_lifetime_minutes: 60,
        refresh_token_lifetime_minutes: None,
        refresh_token_window_minutes: 10080,
        inline_hook: None,
    }
}

#[test]
fn only_an_active_client_and_a_registered_redirect_uri_are_trusted() {
    // RFC 6749 §4.1.2.1: without a trusted client and redirect URI, no redirect.
    assert!(matches!(client_id(&params("state=x")), Err(Reason::InvalidClientId)));
    assert_eq!(client_id(&params("client_id=0oaweb")).unwrap(), "0oaweb");
    assert!(trusted_client(Some(Arc::new(client("ACTIVE")))).is_ok());
    assert!(matches!(
        trusted_client(Some(Arc::new(client("INACTIVE")))),
        Err(Reason::InvalidClientId)
    ));
    assert!(matches!(trusted_client(None), Err(Reason::InvalidClientId)));
    let web = client("ACTIVE").client;
    let exact = format!("redirect_uri={CALLBACK}");
    assert_eq!(redirect_uri(&params(&exact), &web).unwrap().as_str(), CALLBACK);
    // RFC 9700 §2.1: exact string matching.
    for other in [
        format!("redirect_uri={CALLBACK}/"),
        "redirect_uri=https://APP.example.com/callback".into(),
        String::new(),
    ] {
        assert!(
            matches!(redirect_uri(&params(&other), &web), Err(Reason::IllegalRedirectUri)),
            "{other}"
        );
    }
}

#[test]
fn errors_go_back_with_a_valid_state_only() {
    let query = "state=a%0Ab&response_type=code";
    let delivery = Delivery::new(Box::leak(Box::new(params(query))), Url::parse(CALLBACK).unwrap());
    assert_eq!(
        delivery.state, None,
        "a state that is not VSCHAR is not echoed (RFC 6749 Appendix A.5)"
    );
    let AuthorizeOutcome::Respond(response) = delivery.error(&Reason::InvalidState.error()) else {
        panic!("a response");
    };
    assert_eq!(
        response.header("Location"),
        Some(
            "https://app.example.com/callback?error=invalid_request&error_description=The+authentication+request+has+an+invalid+%27state%27+parameter."
        )
    );
    assert_eq!(response.body, Body::Empty);
}

#[test]
fn a_session_is_usable_unless_prompt_login_or_max_age_asks_again() {
    // OpenID Connect Core §3.1.2.1: `prompt=login` — "The Authorization Server SHOULD prompt
    // the End-User for reauthentication"; `max_age` — "If the elapsed time is greater than this
    // value, the OP MUST attempt to actively re-authenticate the End-User." No window lets a
    // recent session stand in for that: only a session the host established in answer to the
    // request (`fresh`) does.
    let validate = |query: &str| {
        let params: &'static Params = Box::leak(Box::new(params(query)));
        request::validate(params, &client("ACTIVE").client, true).unwrap()
    };
    let plain = validate("response_type=code&state=s");
    let old = session(NOW - Duration::days(1));
    let just_now = session(NOW - Duration::seconds(1));
    assert!(usable_session(Some(&old), false, &plain, NOW).is_ok());
    assert_eq!(usable_session(None, false, &plain, NOW), Err(LoginReason::NoSession));
    assert_eq!(usable_session(None, true, &plain, NOW), Err(LoginReason::NoSession));
    let login = validate("response_type=code&state=s&prompt=login");
    assert_eq!(
        usable_session(Some(&old), false, &login, NOW),
        Err(LoginReason::PromptLogin)
    );
    assert_eq!(
        usable_session(Some(&just_now), false, &login, NOW),
        Err(LoginReason::PromptLogin),
        "a session one second old is not a new authentication"
    );
    assert!(
        usable_session(Some(&just_now), true, &login, NOW).is_ok(),
        "authenticated for this request"
    );
    let max_age = validate("response_type=code&state=s&max_age=3600");
    assert!(usable_session(Some(&session(NOW - Duration::seconds(3600))), false, &max_age, NOW).is_ok());
    assert_eq!(
        usable_session(Some(&session(NOW - Duration::seconds(3601))), false, &max_age, NOW),
        Err(LoginReason::MaxAge)
    );
    let one = validate("response_type=code&state=s&max_age=1");
    assert_eq!(
        usable_session(Some(&session(NOW - Duration::seconds(2))), false, &one, NOW),
        Err(LoginReason::MaxAge),
        "the conformance suite's oidcc-max-age-1 waits two seconds"
    );
    assert!(usable_session(Some(&session(NOW - Duration::seconds(2))), true, &one, NOW).is_ok());
    let zero = validate("response_type=code&state=s&max_age=0");
    assert_eq!(
        usable_session(Some(&just_now), false, &zero, NOW),
        Err(LoginReason::MaxAge)
    );

    let query = "response_type=code&state=s&prompt=none";
    let none = validate(query);
    assert!(matches!(
        login_required(&params(query), &none, "0oaweb", LoginReason::NoSession),
        Err(Reason::LoginRequired)
    ));
    let query = "response_type=code&state=s&login_hint=ada&display=wap&max_age=60";
    let hinted = validate(query);
    let needed = login_required(&params(query), &hinted, "0oaweb", LoginReason::MaxAge).unwrap();
    assert_eq!(needed.login_hint.as_deref(), Some("ada"));
    assert_eq!(needed.display, None, "only page and popup");
    assert_eq!(needed.reason, LoginReason::MaxAge);
    assert!(needed.reason.reauthenticate());
    assert!(!LoginReason::NoSession.reauthenticate());
    assert_eq!(needed.max_age, Some(60));
}

#[test]
fn the_sessions_user_must_be_able_to_sign_in() {
    let user = |status: &str| -> User {
        serde_json::from_value(json!({"id": "00u1", "status": status, "profile": {"login": "ada@example.com"}}))
            .unwrap()
    };
    assert!(signed_in_user(Some(user("ACTIVE"))).is_ok());
    assert!(matches!(
        signed_in_user(Some(user("LOCKED_OUT"))),
        Err(Reason::SessionUserInactive)
    ));
    assert!(matches!(signed_in_user(None), Err(Reason::SessionUserInactive)));
}

#[test]
fn grants_share_one_id_and_drop_offline_access_without_a_code() {
    let new = |grant_type| NewGrant {
        id: GrantId::new("ignored"),
        server_id: "default",
        client_id: "0oaweb",
        user_id: Some("00u1"),
        grant_type,
        auth_time: Some(NOW),
        amr: vec!["pwd".into()],
        now: NOW,
    };
    let hybrid = request::ResponseTypes::parse("code id_token").unwrap();
    let mut grants = Grants::new(GrantId::new("grant-1"));
    grants.add(new(GrantType::AuthorizationCode), &decision(), hybrid);
    grants.add(new(GrantType::Implicit), &decision(), hybrid);
    let (code, tokens) = (grants.code.as_ref().unwrap(), grants.tokens.as_ref().unwrap());
    assert_eq!((code.id.as_str(), tokens.id.as_str()), ("grant-1", "grant-1"));
    assert_eq!(tokens.grant_type, "implicit");
    assert!(
        code.scopes.contains(&"offline_access".to_owned()),
        "a code may carry offline_access"
    );
    assert!(grants.check_openid(hybrid).is_ok());

    let implicit = request::ResponseTypes::parse("id_token").unwrap();
    let mut grants = Grants::new(GrantId::new("grant-2"));
    grants.add(new(GrantType::Implicit), &decision(), implicit);
    assert_eq!(grants.tokens.as_ref().unwrap().scopes, ["openid"]);
    let mut without_openid = Grants::new(GrantId::new("grant-3"));
    let narrow = Decision {
        scopes: vec!["api:read"],
        ..decision()
    };
    without_openid.add(new(GrantType::Implicit), &narrow, implicit);
    assert!(matches!(
        without_openid.check_openid(implicit),
        Err(Reason::OpenidRequired)
    ));
}

#[test]
fn a_code_remembers_what_the_token_request_must_repeat() {
    // RFC 6749 §4.1.3; RFC 7636 §4.4.
    let query = "response_type=code&state=s&nonce=n-1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";
    let params: &'static Params = Box::leak(Box::new(params(query)));
    let valid = request::validate(params, &client("ACTIVE").client, true).unwrap();
    let delivery = Delivery::new(params, Url::parse(CALLBACK).unwrap());
    let code = AuthorizationCode::generate(&crate::random::SeededRandom::new(1)).unwrap();
    let mut grants = Grants::new(GrantId::new("grant-1"));
    let new = NewGrant {
        id: GrantId::new("grant-1"),
        server_id: "default",
        client_id: "0oaweb",
        user_id: Some("00u1"),
        grant_type: GrantType::AuthorizationCode,
        auth_time: Some(NOW),
        amr: Vec::new(),
        now: NOW,
    };
    grants.add(new, &decision(), valid.types);
    let record = code_record(&code, grants.code.as_ref().unwrap(), &delivery, &valid, NOW);
    assert_eq!(record.code_hash, code.hash());
    assert_eq!(record.redirect_uri.as_deref(), Some(CALLBACK));
    assert_eq!(record.nonce.as_deref(), Some("n-1"));
    assert_eq!(
        record.code_challenge.as_deref(),
        Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    );
    assert_eq!(record.expires_at, NOW + AUTHORIZATION_CODE_LIFETIME);
    assert_eq!(id_token_claim_set(true), IdTokenClaimSet::AlwaysIncluded);
    assert_eq!(id_token_claim_set(false), IdTokenClaimSet::All);
}

#[test]
fn parameters_come_from_the_query_or_a_posted_form_once_each() {
    // OpenID Connect Core §3.1.2.1 (GET or POST); RFC 6749 §3.1 (no repeated parameters).
    use crate::endpoint::EndpointRequest;
    let mut posted = EndpointRequest::post("client_id=form");
    posted.query = "client_id=query";
    assert_eq!(parameters(&posted).unwrap().get("client_id"), Some("form"));
    assert_eq!(
        parameters(&EndpointRequest::get("client_id=query"))
            .unwrap()
            .get("client_id"),
        Some("query")
    );
    assert!(matches!(
        parameters(&EndpointRequest::get("state=a&state=b")),
        Err(Reason::BrowserRepeatedParameter)
    ));
    let long = "a=".to_owned() + &"x".repeat(crate::endpoint::MAX_PARAMS_LEN);
    assert!(matches!(
        parameters(&EndpointRequest::get(&long)),
        Err(Reason::AuthorizeParametersTooLong)
    ));
}

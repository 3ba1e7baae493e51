//! `testkit::TestIssuer` as a test suite uses it: tokens minted directly and through the real
//! flows, verified by `jsonwebtoken` (a verifier nobody here wrote), time moved by hand, and
//! tokens broken on purpose rejected for the right reason.

use authserver::testkit::TestIssuer;
use authserver::testkit::issuer::{ClaimTarget, ClientKind, DEFAULT_PASSWORD, Tamper, UserSpec};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use time::Duration;

/// What a resource server does: the key by `kid` from the JWKS, RS256, the issuer and audience.
fn verify(issuer: &TestIssuer, token: &str, audience: &str) -> Result<Value, ErrorKind> {
    let jwks: JwkSet = serde_json::from_value(issuer.jwks()).unwrap();
    let header = decode_header(token).map_err(|error| error.into_kind())?;
    let kid = header.kid.ok_or(ErrorKind::InvalidToken)?;
    let key = jwks.find(&kid).ok_or(ErrorKind::InvalidKeyFormat)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[issuer.issuer()]);
    validation.validate_nbf = true;
    decode::<Value>(token, &DecodingKey::from_jwk(key).unwrap(), &validation)
        .map(|data| data.claims)
        .map_err(|error| error.into_kind())
}

fn introspect(issuer: &TestIssuer, client_id: &str, secret: &str, token: &str) -> Value {
    use base64::Engine as _;
    let form = format!("token={token}");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{secret}"))
    );
    let request = authserver::endpoint::EndpointRequest::post(&form).with_authorization(&basic);
    let response = futures_block_on(issuer.server().introspect("default", &request));
    response.json_body().cloned().unwrap()
}

fn futures_block_on<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

#[test]
fn a_directly_minted_access_token_carries_okta_claims_and_verifies() {
    let issuer = TestIssuer::new();
    let token = issuer
        .access_token()
        .subject("ada@example.com")
        .user_id("00uada")
        .client("0oaweb")
        .scopes(["orders:read", "orders:write"])
        .claim("tenant", "acme")
        .mint();
    let claims = verify(&issuer, &token, "api://default").unwrap();
    assert_eq!(claims["iss"], "https://issuer.example.com/oauth2/default");
    assert_eq!(claims["sub"], "ada@example.com");
    assert_eq!(
        (claims["cid"].clone(), claims["uid"].clone()),
        (json!("0oaweb"), json!("00uada"))
    );
    assert_eq!(claims["scp"], json!(["orders:read", "orders:write"]));
    assert_eq!(claims["tenant"], "acme");
    assert_eq!(claims["ver"], 1);
    assert!(claims["jti"].as_str().unwrap().starts_with("AT."));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    let header = decode_header(&token).unwrap();
    assert_eq!(header.typ, None, "Okta's header is exactly kid and alg");
}

#[test]
fn id_and_refresh_tokens_minted_directly() {
    let issuer = TestIssuer::new();
    let id_token = issuer.id_token().subject("00uada").client("0oaweb").nonce("n-1").mint();
    let claims = verify(&issuer, &id_token, "0oaweb").unwrap();
    assert_eq!(
        (claims["sub"].as_str(), claims["nonce"].as_str()),
        (Some("00uada"), Some("n-1"))
    );
    assert!(claims["jti"].as_str().unwrap().starts_with("ID."));

    // A refresh token minted directly is redeemed by the real grant, for a real client.
    let app = issuer.add_client("web", ClientKind::Web);
    let ada = issuer.add_user("ada@example.com");
    let refresh = issuer
        .refresh_token()
        .client(&app.client_id)
        .user_id(&ada)
        .scopes(["openid", "offline_access"])
        .mint();
    let tokens = issuer.refresh(&app.client_id, &refresh).unwrap();
    assert!(tokens.id_token.is_some());
    let claims = verify(&issuer, &tokens.access_token, "api://default").unwrap();
    assert_eq!(claims["uid"].as_str(), Some(ada.as_str()));
    // Another client cannot redeem it.
    let other = issuer.add_client("other", ClientKind::Web);
    assert_eq!(
        issuer.refresh(&other.client_id, &refresh).unwrap_err().error,
        "invalid_grant"
    );
}

#[test]
fn tokens_broken_on_purpose_are_rejected_for_their_reason() {
    let issuer = TestIssuer::new();
    let mint = || issuer.access_token().subject("ada");
    assert_eq!(
        verify(&issuer, &mint().expired().mint(), "api://default"),
        Err(ErrorKind::ExpiredSignature)
    );
    assert_eq!(
        verify(&issuer, &mint().not_yet_valid().mint(), "api://default"),
        Err(ErrorKind::ImmatureSignature)
    );
    assert_eq!(
        verify(&issuer, &mint().audience("api://other").mint(), "api://default"),
        Err(ErrorKind::InvalidAudience)
    );
    assert_eq!(
        verify(
            &issuer,
            &mint().issuer("https://evil.example.com").mint(),
            "api://default"
        ),
        Err(ErrorKind::InvalidIssuer)
    );
    assert_eq!(
        verify(&issuer, &mint().tamper(Tamper::UnknownKid).mint(), "api://default"),
        Err(ErrorKind::InvalidKeyFormat),
        "no key in the JWKS has that kid"
    );
    assert_eq!(
        verify(&issuer, &mint().tamper(Tamper::BadSignature).mint(), "api://default"),
        Err(ErrorKind::InvalidSignature)
    );
    let none = mint().tamper(Tamper::AlgNone).mint();
    assert!(none.ends_with('.'), "an unsecured JWT has an empty signature");
    assert!(verify(&issuer, &none, "api://default").is_err());
}

#[test]
fn the_real_flows_apply_scopes_claims_and_assignments() {
    let issuer = TestIssuer::new();
    issuer.add_scope("orders:read");
    issuer.add_claim("department", ClaimTarget::AccessToken, "user.profile.department");
    let service = issuer.add_client("reports", ClientKind::Service);
    let web = issuer.add_client("shop", ClientKind::Web);
    let spa = issuer.add_client("spa", ClientKind::Browser);
    let ada = issuer.add_user_with(UserSpec::new("ada@example.com").profile("department", "R&D"));

    let machine = issuer.client_credentials(&service.client_id, &["orders:read"]).unwrap();
    let claims = verify(&issuer, &machine.access_token, "api://default").unwrap();
    assert_eq!(claims["sub"].as_str(), Some(service.client_id.as_str()));
    assert_eq!(machine.scope, "orders:read");

    let unknown = issuer
        .client_credentials(&service.client_id, &["orders:delete"])
        .unwrap_err();
    assert_eq!((unknown.status, unknown.error.as_str()), (400, "invalid_scope"));

    let user = issuer
        .password(
            &web.client_id,
            "ada@example.com",
            DEFAULT_PASSWORD,
            &["openid", "orders:read"],
        )
        .unwrap();
    let claims = verify(&issuer, &user.access_token, "api://default").unwrap();
    assert_eq!(claims["department"], "R&D");
    assert_eq!(claims["uid"].as_str(), Some(ada.as_str()));
    assert!(user.id_token.is_some());

    let browser = issuer
        .authorization_code(&spa.client_id, &ada, &["openid", "offline_access"])
        .unwrap();
    let id_claims = verify(&issuer, browser.id_token.as_deref().unwrap(), &spa.client_id).unwrap();
    assert_eq!(id_claims["nonce"], "test-nonce");
    assert!(browser.refresh_token.is_some());

    issuer.unassign(&web.client_id, &ada);
    let refused = issuer
        .password(&web.client_id, "ada@example.com", DEFAULT_PASSWORD, &["openid"])
        .unwrap_err();
    assert_eq!(refused.description, "User is not assigned to the client application.");
}

#[test]
fn policies_and_rules_in_okta_json_decide() {
    let issuer = TestIssuer::new();
    issuer.add_scope("payroll");
    let service = issuer.add_client("payroll-job", ClientKind::Service);
    let policy = issuer.add_policy(json!({
        "type": "OAUTH_AUTHORIZATION_POLICY", "name": "Payroll", "description": "Payroll job only",
        "priority": 1, "conditions": {"clients": {"include": [service.client_id]}}
    }));
    issuer.add_rule(
        &policy,
        json!({
            "type": "RESOURCE_ACCESS", "name": "Ten minutes", "priority": 1,
            "conditions": {"people": {"groups": {"include": ["EVERYONE"]}},
                           "grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["payroll"]}},
            "actions": {"token": {"accessTokenLifetimeMinutes": 10, "refreshTokenWindowMinutes": 10080}}
        }),
    );
    let tokens = issuer.client_credentials(&service.client_id, &["payroll"]).unwrap();
    assert_eq!(tokens.expires_in, 600);
}

#[test]
fn time_moves_expiry_introspection_and_key_rotation() {
    let issuer = TestIssuer::new();
    let web = issuer.add_client("shop", ClientKind::Web);
    issuer.add_user("ada@example.com");
    let secret = web.client_secret.clone().unwrap();
    let tokens = issuer
        .password(&web.client_id, "ada@example.com", DEFAULT_PASSWORD, &["openid"])
        .unwrap();
    assert_eq!(
        introspect(&issuer, &web.client_id, &secret, &tokens.access_token)["active"],
        true
    );
    issuer.advance(Duration::minutes(61));
    assert_eq!(
        introspect(&issuer, &web.client_id, &secret, &tokens.access_token)["active"],
        false
    );

    // Okta rotates AUTO keys every 90 days; the JWKS and the minted tokens follow.
    let kid_of = |token: &str| decode_header(token).unwrap().kid.unwrap();
    let before = kid_of(&issuer.access_token().mint());
    issuer.advance(Duration::days(91));
    let after = kid_of(&issuer.access_token().mint());
    assert_ne!(before, after);
    let published: Vec<String> = issuer.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(published.contains(&after));
}

#[test]
fn two_runs_mint_identical_tokens() {
    let run = || {
        let issuer = TestIssuer::new();
        let service = issuer.add_client("reports", ClientKind::Service);
        let flow = issuer
            .client_credentials(&service.client_id, &[])
            .map(|t| t.access_token);
        (
            service,
            issuer.access_token().subject("ada").mint(),
            issuer.id_token().mint(),
            flow,
        )
    };
    assert_eq!(run(), run());
    let other = TestIssuer::builder().seed(1).start();
    assert_ne!(other.access_token().subject("ada").mint(), run().1);
}

#[test]
fn events_say_why_a_token_was_refused() {
    let issuer = TestIssuer::new();
    let service = issuer.add_client("reports", ClientKind::Service);
    let refused = issuer.client_credentials(&service.client_id, &["nope"]).unwrap_err();
    assert_eq!(refused.error, "invalid_scope");
    let event = issuer
        .events()
        .into_iter()
        .rev()
        .find(|event| event.event_type == "app.oauth2.as.token.grant")
        .unwrap();
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["outcome"]["result"], "FAILURE");
    assert!(json["outcome"]["reason"].is_string());
}

#[test]
fn discovery_names_the_issuer_and_its_keys() {
    let issuer = TestIssuer::builder().base_url("https://login.acme.test").start();
    let discovery = issuer.discovery();
    assert_eq!(discovery["issuer"], "https://login.acme.test/oauth2/default");
    assert_eq!(discovery["jwks_uri"], "https://login.acme.test/oauth2/default/v1/keys");
}

#[test]
fn rfc_9068_typ_is_a_per_server_option_kept_in_its_configuration() {
    // Off by default (Okta's header is exactly kid and alg); RFC 9068 §2.1 when a server asks.
    let issuer = TestIssuer::new();
    issuer.add_scope("reports:read");
    let service = issuer.add_client("reports", ClientKind::Service);
    let typ = |issuer: &TestIssuer| {
        let token = issuer
            .client_credentials(&service.client_id, &["reports:read"])
            .unwrap()
            .access_token;
        decode_header(&token).unwrap().typ
    };
    assert_eq!(typ(&issuer), None);
    let admin = issuer.server().management();
    let options = authserver::store::ServerOptions::new().rfc9068_access_tokens(true);
    futures::executor::block_on(admin.set_server_options("default", options)).unwrap();
    assert_eq!(typ(&issuer).as_deref(), Some("at+jwt"));
    assert!(
        futures::executor::block_on(admin.server_options("default"))
            .unwrap()
            .rfc9068_access_tokens
    );
}

//! `TestIssuer::serve`: the issuer on a loopback port, driven over HTTP by `openidconnect`
//! (discovery, a code flow with PKCE, the ID token verified against the fetched JWKS) and by
//! `jsonwebtoken` fed the JWKS it fetched itself.

use authserver::testkit::TestIssuer;
use authserver::testkit::issuer::{ClientKind, DEFAULT_PASSWORD, REDIRECT_URI};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// An HTTP client that does not follow redirects, as `openidconnect` requires.
fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn openidconnect_discovers_and_signs_a_user_in_with_code_and_pkce() {
    let issuer = TestIssuer::serve().await.unwrap();
    let spa = issuer.add_client("spa", ClientKind::Browser);
    let ada = issuer.add_user("ada@example.com");
    assert!(issuer.issuer().starts_with("http://127.0.0.1:"));

    let http = http();
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.issuer()).unwrap(), &http)
        .await
        .expect("discovery over HTTP");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(spa.client_id.clone()), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    // Okta's primary authentication gives a one-time session token, which `/authorize` takes.
    let authn: Value = http
        .post(format!("{}/api/v1/authn", issuer.base_url()))
        .json(&json!({"username": "ada@example.com", "password": DEFAULT_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session_token = authn["sessionToken"].as_str().expect("a session token");
    let answer = http
        .get(format!("{authorize_url}&sessionToken={session_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    assert!(
        answer.headers().contains_key(SET_COOKIE),
        "the session token became a session"
    );
    let location = answer.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    assert_eq!(
        query_param(&location, "state").as_deref(),
        Some(state.secret().as_str())
    );
    let code = query_param(&location, "code").expect("a code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies against the discovered JWKS");
    assert_eq!(claims.subject().as_str(), ada);
    assert!(tokens.access_token().secret().starts_with("eyJ"));
}

#[tokio::test]
async fn a_resource_server_verifies_minted_tokens_with_the_jwks_it_fetched() {
    let issuer = TestIssuer::serve().await.unwrap();
    let jwks: JwkSet = reqwest::get(format!("{}/v1/keys", issuer.issuer()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issuer.access_token().subject("ada").scopes(["orders:read"]).mint();
    let key = jwks
        .find(&decode_header(&token).unwrap().kid.unwrap())
        .expect("the kid is published");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[issuer.audience()]);
    validation.set_issuer(&[issuer.issuer()]);
    let claims = decode::<Value>(&token, &DecodingKey::from_jwk(key).unwrap(), &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "ada");
}

#[tokio::test]
async fn dropping_the_served_issuer_stops_it() {
    let issuer = TestIssuer::serve().await.unwrap();
    let keys = format!("{}/v1/keys", issuer.issuer());
    assert_eq!(reqwest::get(&keys).await.unwrap().status(), 200);
    drop(issuer);
    tokio::task::yield_now().await;
    assert!(reqwest::get(&keys).await.is_err(), "nothing listens any more");
}

//! Testing an API with `testkit::TestIssuer`: an axum resource server that checks bearer tokens
//! with the `jsonwebtoken` crate, and the tests a project would write for it.
//!
//! The resource server is ordinary code that knows nothing about authserver: it is given an
//! issuer, an audience and a JWKS, and checks signature, `iss`, `aud`, `exp` and the `scp` claim.
//! The issuer mints what each test needs, broken tokens included.
//!
//! Every step asserts what it expects, so this doubles as a smoke test. Run with
//! `cargo run --example test_harness --features testkit`.

use std::net::SocketAddr;
use std::sync::Arc;

use authserver::testkit::TestIssuer;
use authserver::testkit::issuer::{ClaimTarget, ClientKind, DEFAULT_PASSWORD, Tamper, UserSpec};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::AUTHORIZATION};
use axum::routing::get;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::{Value, json};
use time::Duration;

// ---- The code under test: a resource server. ----

/// What the API needs to check tokens: who issues them, for which audience, with which keys.
struct TokenCheck {
    issuer: String,
    audience: String,
    jwks: JwkSet,
}

impl TokenCheck {
    /// The claims of a valid bearer token carrying `scope`, or the status to answer.
    fn authorize(&self, headers: &HeaderMap, scope: &str) -> Result<Value, StatusCode> {
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let kid = decode_header(token)
            .ok()
            .and_then(|header| header.kid)
            .ok_or(StatusCode::UNAUTHORIZED)?;
        let key = self.jwks.find(&kid).ok_or(StatusCode::UNAUTHORIZED)?;
        let key = DecodingKey::from_jwk(key).map_err(|_| StatusCode::UNAUTHORIZED)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        let claims = decode::<Value>(token, &key, &validation)
            .map_err(|_| StatusCode::UNAUTHORIZED)?
            .claims;
        let granted = claims["scp"]
            .as_array()
            .is_some_and(|scopes| scopes.iter().any(|s| s == scope));
        if granted {
            Ok(claims)
        } else {
            Err(StatusCode::FORBIDDEN)
        }
    }
}

/// `GET /orders`: needs `orders:read`; answers whose orders they are.
async fn orders(State(check): State<Arc<TokenCheck>>, headers: HeaderMap) -> Result<axum::Json<Value>, StatusCode> {
    let claims = check.authorize(&headers, "orders:read")?;
    Ok(axum::Json(
        json!({ "owner": claims["sub"], "department": claims["department"] }),
    ))
}

fn api(check: TokenCheck) -> Router {
    Router::new().route("/orders", get(orders)).with_state(Arc::new(check))
}

// ---- The tests a project writes for it. ----

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // One line for a real issuer: Okta's `default` server, fixed keys, a manual clock.
    let issuer = TestIssuer::new();
    issuer.add_scope("orders:read");
    issuer.add_claim("department", ClaimTarget::AccessToken, "user.profile.department");

    let jwks: JwkSet = serde_json::from_value(issuer.jwks()).expect("a JWKS");
    let check = TokenCheck {
        issuer: issuer.issuer(),
        audience: issuer.audience(),
        jwks,
    };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let url = format!("http://{}/orders", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, api(check)).await.expect("serve") });
    let http = reqwest::Client::new();
    let call = |token: String| {
        let request = http.get(&url).bearer_auth(token);
        async move { request.send().await.expect("the API answers") }
    };

    // A token minted directly: no client, user or policy needed.
    let token = issuer
        .access_token()
        .subject("ada@example.com")
        .scopes(["orders:read"])
        .mint();
    let response = call(token).await;
    assert_eq!(response.status(), 200);
    println!(
        "direct token        → 200 {}",
        response.text().await.unwrap_or_default()
    );

    // The API's rejection paths.
    let mint = || issuer.access_token().subject("ada@example.com").scopes(["orders:read"]);
    for (what, token, status) in [
        ("expired", mint().expired().mint(), 401),
        ("other audience", mint().audience("api://billing").mint(), 401),
        ("other issuer", mint().issuer("https://evil.example.com").mint(), 401),
        ("unknown kid", mint().tamper(Tamper::UnknownKid).mint(), 401),
        ("bad signature", mint().tamper(Tamper::BadSignature).mint(), 401),
        ("alg none", mint().tamper(Tamper::AlgNone).mint(), 401),
        ("missing scope", issuer.access_token().scopes(["profile"]).mint(), 403),
    ] {
        assert_eq!(call(token).await.status(), status, "{what}");
        println!("{what:<19} → {status}");
    }

    // Through the real flows: a user signs in to a web app; the custom claim comes along.
    let app = issuer.add_client("shop", ClientKind::Web);
    issuer.add_user_with(UserSpec::new("ada@example.com").profile("department", "R&D"));
    let tokens = issuer
        .password(
            &app.client_id,
            "ada@example.com",
            DEFAULT_PASSWORD,
            &["openid", "orders:read"],
        )
        .expect("the default policy grants it");
    let response = call(tokens.access_token.clone()).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["department"], "R&D");
    println!("password grant      → 200 {body}");

    // Time is the test's: an hour later the issuer's introspection calls the token inactive.
    let introspect = |token: &str| {
        use base64::Engine as _;
        let secret = app.client_secret.clone().unwrap_or_default();
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", app.client_id));
        let form = format!("token={token}");
        let server = Arc::clone(issuer.server());
        async move {
            let basic = format!("Basic {basic}");
            let request = authserver::endpoint::EndpointRequest::post(&form).with_authorization(&basic);
            server
                .introspect("default", &request)
                .await
                .json_body()
                .cloned()
                .unwrap_or_default()
        }
    };
    assert_eq!(introspect(&tokens.access_token).await["active"], true);
    issuer.advance(Duration::minutes(61));
    assert_eq!(introspect(&tokens.access_token).await["active"], false);
    println!("an hour later       → introspection says inactive");
    println!("events recorded     {}", issuer.events().len());
}

//! The management API over HTTP with the SSWS token, key rotation over HTTP, the rate limiter's
//! 429, and the System Log explaining a refusal.

use authserver::ratelimit::RateLimits;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{API_TOKEN, SERVICE, TestServer};

/// A client-credentials token request of the reporting service at server `id`.
async fn request_service_token(server: &TestServer, id: &str, scope: &str) -> reqwest::Response {
    server
        .http
        .post(format!("{}/v1/token", server.issuer(id)))
        .basic_auth(SERVICE.0, Some(SERVICE.1))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap()
}

/// The same request's status and body.
async fn service_token(server: &TestServer, id: &str, scope: &str) -> (u16, Value) {
    let response = request_service_token(server, id, scope).await;
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Introspection of `token` at server `id`, as the reporting service.
async fn introspect(server: &TestServer, id: &str, token: &str) -> Value {
    server
        .http
        .post(format!("{}/v1/introspect", server.issuer(id)))
        .basic_auth(SERVICE.0, Some(SERVICE.1))
        .form(&[("token", token), ("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verifies `jwt` with `jsonwebtoken` against server `id`'s published JWKS; its claims.
async fn verify(server: &TestServer, id: &str, jwt: &str, audience: &str) -> Value {
    let jwks: jsonwebtoken::jwk::JwkSet = server
        .http
        .get(format!("{}/v1/keys", server.issuer(id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kid = decode_header(jwt).unwrap().kid.expect("a kid");
    let jwk = jwks.find(&kid).expect("the signing key is published");
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[server.issuer(id)]);
    decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the token verifies")
        .claims
}

#[tokio::test]
async fn the_management_api_needs_the_ssws_token() {
    let server = TestServer::start().await;
    let url = format!("{}/api/v1/authorizationServers", server.base_url);
    for authorization in [None, Some("SSWS wrong-token"), Some("Bearer whatever")] {
        let mut request = server.http.get(&url);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "E0000011");
        assert_eq!(body["errorSummary"], "Invalid token provided");
    }
    let (status, servers) = server.admin(Method::GET, "/api/v1/authorizationServers", None).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = servers
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert_eq!(ids, ["default", "orders"], "the sample org's servers");
    // The clients API is behind the same guard.
    let unguarded = server
        .http
        .get(format!("{}/oauth2/v1/clients", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unguarded.status(), 401);
    let (status, clients) = server.admin(Method::GET, "/oauth2/v1/clients", None).await;
    assert_eq!(status, 200);
    assert_eq!(clients.as_array().unwrap().len(), 3);
}

/// Seed 003's flow over HTTP: create a server, a scope, a claim with an expression, a policy and
/// a rule; a token carries the claim; changing the policy revokes the earlier token ("changes
/// to the authorization server's configuration implicitly revoke tokens").
#[tokio::test]
async fn a_server_built_over_http_issues_tokens_that_a_policy_change_revokes() {
    let server = TestServer::start().await;
    let (status, created) = server
        .admin(
            Method::POST,
            "/api/v1/authorizationServers",
            Some(json!({"name": "Inventory", "description": "Inventory API", "audiences": ["api://inventory"]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["issuer"], server.issuer(&id));
    let base = format!("/api/v1/authorizationServers/{id}");

    let (status, scope) = server
        .admin(
            Method::POST,
            &format!("{base}/scopes"),
            Some(json!({"name": "inventory:read"})),
        )
        .await;
    assert_eq!(status, 201, "{scope}");
    let claim = json!({
        "name": "tier", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
        "value": "app.clientId == \"reporting-service\" ? \"gold\" : \"standard\"",
        "conditions": {"scopes": []}
    });
    let (status, claim) = server.admin(Method::POST, &format!("{base}/claims"), Some(claim)).await;
    assert_eq!(status, 201, "{claim}");
    let policy = json!({
        "type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": "Services",
        "description": "Service clients", "priority": 1,
        "conditions": {"clients": {"include": [SERVICE.0]}}
    });
    let (status, policy) = server
        .admin(Method::POST, &format!("{base}/policies"), Some(policy))
        .await;
    assert_eq!(status, 201, "{policy}");
    let policy_id = policy["id"].as_str().unwrap().to_owned();
    let rule = json!({
        "type": "RESOURCE_ACCESS", "name": "Read inventory", "priority": 1,
        "conditions": {"grantTypes": {"include": ["client_credentials"]}, "scopes": {"include": ["inventory:read"]}},
        "actions": {"token": {"accessTokenLifetimeMinutes": 30}}
    });
    let (status, rule) = server
        .admin(Method::POST, &format!("{base}/policies/{policy_id}/rules"), Some(rule))
        .await;
    assert_eq!(status, 201, "{rule}");

    let (status, token) = service_token(&server, &id, "inventory:read").await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["expires_in"], 1800, "the rule's lifetime");
    let access_token = token["access_token"].as_str().unwrap().to_owned();
    let claims = verify(&server, &id, &access_token, "api://inventory").await;
    assert_eq!(claims["tier"], "gold", "the expression claim");
    assert_eq!(claims["scp"], json!(["inventory:read"]));
    assert_eq!(introspect(&server, &id, &access_token).await["active"], true);

    // Change the policy: tokens minted before are no longer active. `iat` counts whole seconds,
    // and a token minted in the second of a change is kept, so the change waits for the next.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let mut changed = policy.clone();
    changed["description"] = json!("Service clients, reviewed");
    let (status, _) = server
        .admin(Method::PUT, &format!("{base}/policies/{policy_id}"), Some(changed))
        .await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&server, &id, &access_token).await, json!({"active": false}));
    let (status, fresh) = service_token(&server, &id, "inventory:read").await;
    assert_eq!(status, 200);
    assert_eq!(
        introspect(&server, &id, fresh["access_token"].as_str().unwrap()).await["active"],
        true
    );
}

#[tokio::test]
async fn rotating_keys_over_http_keeps_old_tokens_valid_and_signs_with_the_new_key() {
    let server = TestServer::start().await;
    let keys_path = "/api/v1/authorizationServers/default/credentials/keys";
    let (_, keys) = server.admin(Method::GET, keys_path, None).await;
    let active = |keys: &Value| -> String {
        let key = keys
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["status"] == "ACTIVE")
            .unwrap();
        key["kid"].as_str().unwrap().to_owned()
    };
    let first_kid = active(&keys);
    let (_, before) = service_token(&server, "default", "reports:read").await;
    let old_token = before["access_token"].as_str().unwrap().to_owned();
    assert_eq!(decode_header(&old_token).unwrap().kid.unwrap(), first_kid);

    let (status, rotated) = server
        .admin(
            Method::POST,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate",
            Some(json!({"use": "sig"})),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let (_, keys) = server.admin(Method::GET, keys_path, None).await;
    let second_kid = active(&keys);
    assert_ne!(second_kid, first_kid);

    let (_, after) = service_token(&server, "default", "reports:read").await;
    let new_token = after["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        decode_header(&new_token).unwrap().kid.unwrap(),
        second_kid,
        "new tokens: the new key"
    );
    // Both verify against the JWKS a resource server fetches now.
    verify(&server, "default", &old_token, "api://default").await;
    verify(&server, "default", &new_token, "api://default").await;
    assert_eq!(introspect(&server, "default", &old_token).await["active"], true);
}

#[tokio::test]
async fn exceeding_the_rate_limit_is_a_429_with_oktas_error_and_headers() {
    let server = TestServer::start_with(|options| {
        options.rate_limits = RateLimits::okta_defaults().with_limit("token", 2);
    })
    .await;
    for remaining in ["1", "0"] {
        let response = request_service_token(&server, "default", "reports:read").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["X-Rate-Limit-Limit"], "2");
        assert_eq!(response.headers()["X-Rate-Limit-Remaining"], remaining);
        assert!(response.headers().get("Retry-After").is_none());
    }
    let refused = request_service_token(&server, "default", "reports:read").await;
    assert_eq!(refused.status(), 429);
    let headers = refused.headers().clone();
    assert_eq!(headers["X-Rate-Limit-Limit"], "2");
    assert_eq!(headers["X-Rate-Limit-Remaining"], "0");
    let reset: i64 = headers["X-Rate-Limit-Reset"].to_str().unwrap().parse().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        reset > now && reset <= now + 61,
        "reset {reset} is within the minute after {now}"
    );
    let retry_after: i64 = headers["Retry-After"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000047");
    assert_eq!(
        body["errorSummary"],
        "API call exceeded rate limit due to too many requests."
    );
    assert_eq!(body["errorCauses"], json!([]));

    // Another client has its own bucket, and the key set is not limited.
    let (status, _) = async {
        let response = server
            .http
            .post(format!("{}/v1/token", server.issuer("default")))
            .basic_auth("web-app", Some("web-app-secret-for-local-development"))
            .form(&[
                ("grant_type", "password"),
                ("username", "alice@example.com"),
                ("password", "Alice-Passw0rd!"),
                ("scope", "openid"),
            ])
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), ())
    }
    .await;
    assert_eq!(status, 200, "the web app is not throttled by the service's requests");
    for _ in 0..5 {
        let keys = server
            .http
            .get(format!("{}/v1/keys", server.issuer("default")))
            .send()
            .await
            .unwrap();
        assert_eq!(keys.status(), 200);
        assert!(keys.headers().get("X-Rate-Limit-Limit").is_none(), "keys are exempt");
    }
}

/// "Always start with the System Log" (seed 000): a refused token request, and the log says
/// which policy refused it and why.
#[tokio::test]
async fn the_system_log_explains_a_refused_token() {
    let server = TestServer::start().await;
    // The orders server's only policy grants `orders:read`, nothing else.
    let (status, refused) = service_token(&server, "orders", "reports:read").await;
    assert_eq!(status, 400);
    let error = refused["error"].as_str().unwrap().to_owned();

    let logs_url = format!("{}/api/v1/logs", server.base_url);
    let unguarded = server.http.get(&logs_url).send().await.unwrap();
    assert_eq!(unguarded.status(), 401);

    let response = server
        .http
        .get(&logs_url)
        .query(&[("filter", "outcome.result eq \"FAILURE\""), ("limit", "20")])
        .header("Authorization", format!("SSWS {API_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let events: Vec<Value> = response.json().await.unwrap();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["outcome"]["result"] == "FAILURE"),
        "{events:#?}"
    );
    // The policy evaluation says why: the scope is not one of the orders server's.
    let event = events
        .iter()
        .find(|e| e["eventType"] == "app.oauth2.as.evaluate_policy" && e["client"]["id"] == SERVICE.0)
        .unwrap_or_else(|| panic!("no policy refusal of the service in {events:#?}"));
    assert_eq!(event["outcome"]["reason"], refused["error_description"]);
    assert_eq!(event["debugContext"]["debugData"]["reasonCode"], "no_matching_scope");
    assert_eq!(
        event["debugContext"]["debugData"]["denial"]["unknown"],
        json!(["reports:read"])
    );
    assert!(
        event["target"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "AuthorizationServer" && t["id"] == "orders"),
        "the event names the server: {event:#}"
    );
    assert!(!error.is_empty());

    // `since` in the future: nothing.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let none: Vec<Value> = server
        .http
        .get(&logs_url)
        .query(&[("since", later.as_str())])
        .header("Authorization", format!("SSWS {API_TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(none.is_empty());
}

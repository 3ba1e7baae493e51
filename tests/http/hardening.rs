//! What the host answers when the request never reaches the library (issue 14): a method the
//! path does not take, a body that is not UTF-8 or too large, a body that arrives too slowly.
//! On OAuth paths the answer is an OAuth error (`{"error", "error_description"}`, RFC 6749
//! §5.2, `Cache-Control: no-store`); on Okta's API paths it is Okta's error object
//! (`errorCode`, `errorSummary`, `errorLink`, `errorId`, `errorCauses`; reference §4.3); never
//! the framework's bare text.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{API_TOKEN, SERVICE, TestServer, raw_header, raw_json, raw_status};

/// The answer's status, `Allow`, `Cache-Control` and JSON body.
async fn send(request: reqwest::RequestBuilder) -> (u16, Option<String>, Option<String>, Value) {
    let response = request.send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|value: &reqwest::header::HeaderValue| value.to_str().unwrap().to_owned())
    };
    let (allow, cache) = (header(ALLOW), header(CACHE_CONTROL));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    // A `HEAD` answer has no body.
    let body = match text.is_empty() {
        true => Value::Null,
        false => serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: not JSON: {text:?}")),
    };
    (status, allow, cache, body)
}

/// An OAuth error body with `error`.
fn assert_oauth_error(body: &Value, error: &str) {
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
}

/// Okta's error object with `code`.
fn assert_okta_error(body: &Value, code: &str) {
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["errorLink"], code, "{body}");
    assert!(body["errorSummary"].as_str().is_some_and(|s| !s.is_empty()), "{body}");
    assert!(
        body["errorId"].as_str().is_some_and(|id| id.starts_with("oae")),
        "{body}"
    );
    assert!(body["errorCauses"].is_array(), "{body}");
}

/// A method an OAuth endpoint does not take: `405` with `Allow` and an OAuth error, not
/// cacheable (RFC 9110 §15.5.6: a 405 must list the methods the resource takes).
#[tokio::test]
async fn a_wrong_method_at_an_oauth_endpoint_is_an_oauth_405() {
    let server = TestServer::start().await;
    let issuer = server.issuer("default");
    for (method, path, allow) in [
        (Method::GET, "/v1/token", "POST"),
        (Method::PUT, "/v1/introspect", "POST"),
        (Method::DELETE, "/v1/revoke", "POST"),
        (Method::DELETE, "/v1/keys", "GET, HEAD"),
        (Method::POST, "/.well-known/openid-configuration", "GET, HEAD"),
        (Method::PUT, "/v1/authorize", "GET, POST"),
        (Method::HEAD, "/v1/authorize", "GET, POST"),
        (Method::PATCH, "/v1/userinfo", "GET, POST"),
        (Method::OPTIONS, "/v1/logout", "GET, POST"),
    ] {
        let (status, allowed, cache, body) = send(server.http.request(method.clone(), format!("{issuer}{path}"))).await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}");
        assert_eq!(cache.as_deref(), Some("no-store"), "{method} {path}");
        if method != Method::HEAD {
            assert_oauth_error(&body, "invalid_request");
        }
    }
}

/// A method a path of Okta's API does not take: `405 E0000022` with `Allow`, whether the adapter
/// (`/api/v1/authn`, `/api/v1/logs`) or the management API decides it.
#[tokio::test]
async fn a_wrong_method_at_an_okta_api_path_is_e0000022_with_allow() {
    let server = TestServer::start().await;
    let base = &server.base_url;
    for (method, path, allow) in [
        (Method::GET, "/api/v1/authn", "POST"),
        (Method::POST, "/api/v1/logs", "GET, HEAD"),
        (Method::DELETE, "/api/v1/authorizationServers", "GET, POST"),
        (Method::PATCH, "/api/v1/authorizationServers", "GET, POST"),
        (Method::POST, "/api/v1/authorizationServers/default", "GET, PUT, DELETE"),
        (
            Method::PATCH,
            "/api/v1/authorizationServers/default",
            "GET, PUT, DELETE",
        ),
        (
            Method::GET,
            "/api/v1/authorizationServers/default/lifecycle/activate",
            "POST",
        ),
        (Method::PUT, "/api/v1/authorizationServers/default/scopes", "GET, POST"),
        (
            Method::POST,
            "/api/v1/authorizationServers/default/credentials/keys",
            "GET",
        ),
        (
            Method::GET,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate",
            "POST",
        ),
        (Method::DELETE, "/oauth2/v1/clients", "GET, POST"),
        (Method::POST, "/oauth2/v1/clients/web-app", "GET, PUT, DELETE"),
        (Method::DELETE, "/oauth2/v1/clients/web-app/lifecycle/newSecret", "POST"),
    ] {
        let request = server
            .http
            .request(method.clone(), format!("{base}{path}"))
            .header(AUTHORIZATION, format!("SSWS {API_TOKEN}"));
        let (status, allowed, _, body) = send(request).await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}");
        assert_okta_error(&body, "E0000022");
    }
    // The refused method changed nothing.
    let (status, _) = server.admin(Method::GET, "/oauth2/v1/clients/web-app", None).await;
    assert_eq!(status, 200);
}

/// A form that is not UTF-8 (RFC 6749 appendix B: forms are UTF-8) is an OAuth `400`; a
/// management body that is not UTF-8 (so not JSON) is Okta's `400 E0000003`.
#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_400_in_the_paths_shape() {
    let server = TestServer::start().await;
    let token = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(SERVICE.0, Some(SERVICE.1))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(b"grant_type=client_credentials&scope=\xff\xfe".to_vec());
    let (status, _, cache, body) = send(token).await;
    assert_eq!(status, 400);
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_oauth_error(&body, "invalid_request");

    let management = server
        .http
        .post(format!("{}/api/v1/authorizationServers", server.base_url))
        .header(AUTHORIZATION, format!("SSWS {API_TOKEN}"))
        .header(CONTENT_TYPE, "application/json")
        .body(b"{\"name\": \"\xff\xfe\"}".to_vec());
    let (status, _, _, body) = send(management).await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000003");

    let authn = server
        .http
        .post(format!("{}/api/v1/authn", server.base_url))
        .header(CONTENT_TYPE, "application/json")
        .body(b"{\"username\": \"\xff\"}".to_vec());
    let (status, _, _, body) = send(authn).await;
    assert_eq!(status, 400);
    assert_okta_error(&body, "E0000003");
}

/// A body over the adapter's limit (1 MiB) is a `413` in the path's shape.
#[tokio::test]
async fn a_body_over_the_limit_is_a_413_in_the_paths_shape() {
    let server = TestServer::start().await;
    let mut form = b"grant_type=client_credentials&scope=".to_vec();
    form.resize(1024 * 1024 + 1, b'a');
    let token = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(SERVICE.0, Some(SERVICE.1))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form.clone());
    let (status, _, cache, body) = send(token).await;
    assert_eq!(status, 413);
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_oauth_error(&body, "invalid_request");

    let mut json = b"{\"name\": \"".to_vec();
    json.resize(1024 * 1024 + 1, b'a');
    for path in ["/api/v1/authorizationServers", "/oauth2/v1/clients", "/api/v1/authn"] {
        let request = server
            .http
            .post(format!("{}{path}", server.base_url))
            .header(AUTHORIZATION, format!("SSWS {API_TOKEN}"))
            .header(CONTENT_TYPE, "application/json")
            .body(json.clone());
        let (status, _, _, body) = send(request).await;
        assert_eq!(status, 413, "{path}");
        assert_okta_error(&body, "E0000003");
    }
}

/// Every kind of management path, with real ids: the methods its `Allow` leaves out are refused
/// with `405 E0000022` and that same `Allow` (so the adapter's list and the management API's
/// routes agree), and `GET`, where listed, answers.
#[tokio::test]
async fn the_management_apis_405s_list_what_each_path_takes() {
    let server = TestServer::start().await;
    let first_id = |list: &Value, field: &str| list[0][field].as_str().unwrap().to_owned();
    let servers = "/api/v1/authorizationServers";
    let (_, policies) = server
        .admin(Method::GET, &format!("{servers}/default/policies"), None)
        .await;
    let policy = first_id(&policies, "id");
    let (_, rules) = server
        .admin(Method::GET, &format!("{servers}/default/policies/{policy}/rules"), None)
        .await;
    let rule = first_id(&rules, "id");
    let (_, scopes) = server
        .admin(Method::GET, &format!("{servers}/default/scopes"), None)
        .await;
    let scope = first_id(&scopes, "id");
    let (_, keys) = server
        .admin(Method::GET, &format!("{servers}/default/credentials/keys"), None)
        .await;
    let kid = first_id(&keys, "kid");
    let paths = [
        servers.to_owned(),
        format!("{servers}/default"),
        format!("{servers}/default/lifecycle/activate"),
        format!("{servers}/default/policies"),
        format!("{servers}/default/policies/{policy}"),
        format!("{servers}/default/policies/{policy}/lifecycle/activate"),
        format!("{servers}/default/policies/{policy}/rules"),
        format!("{servers}/default/policies/{policy}/rules/{rule}"),
        format!("{servers}/default/policies/{policy}/rules/{rule}/lifecycle/activate"),
        format!("{servers}/default/scopes"),
        format!("{servers}/default/scopes/{scope}"),
        format!("{servers}/default/claims"),
        format!("{servers}/default/credentials/keys"),
        format!("{servers}/default/credentials/keys/{kid}"),
        format!("{servers}/default/credentials/lifecycle/keyRotate"),
        "/oauth2/v1/clients".to_owned(),
        "/oauth2/v1/clients/web-app".to_owned(),
        "/oauth2/v1/clients/web-app/lifecycle/newSecret".to_owned(),
    ];
    let send = |method: Method, path: &str| {
        server
            .http
            .request(method, format!("{}{path}", server.base_url))
            .header(AUTHORIZATION, format!("SSWS {API_TOKEN}"))
            .send()
    };
    let allow_of = |response: &reqwest::Response| {
        let allow = response
            .headers()
            .get(ALLOW)
            .map(|value| value.to_str().unwrap().to_owned());
        allow.unwrap_or_else(|| panic!("{}: 405 without Allow", response.url()))
    };
    let mut allows = Vec::new();
    for path in &paths {
        // PATCH is taken nowhere: its 405 says what is.
        let refused = send(Method::PATCH, path).await.unwrap();
        assert_eq!(refused.status(), 405, "PATCH {path}");
        let allow = allow_of(&refused);
        assert_okta_error(&refused.json().await.unwrap(), "E0000022");
        // Bodiless POSTs and PUTs change nothing (E0000003 where taken); DELETEs come last.
        for method in [Method::GET, Method::POST, Method::PUT] {
            let listed = allow.split(", ").any(|taken| taken == method.as_str());
            let response = send(method.clone(), path).await.unwrap();
            match (listed, response.status().as_u16()) {
                (false, 405) => assert_eq!(allow_of(&response), allow, "{method} {path}"),
                (false, status) => panic!("{method} {path}: {status}, yet Allow is {allow}"),
                (true, 405) => panic!("{method} {path}: 405, yet Allow is {allow}"),
                (true, status) if method == Method::GET => assert_eq!(status, 200, "GET {path}"),
                (true, _) => {}
            }
        }
        allows.push(allow);
    }
    // Members before what holds them.
    for (path, allow) in paths.iter().zip(&allows).rev() {
        let listed = allow.split(", ").any(|taken| taken == "DELETE");
        let response = send(Method::DELETE, path).await.unwrap();
        assert_eq!(response.status() == 405, !listed, "DELETE {path}: Allow is {allow}");
    }
}

/// A server id that is not UTF-8 once percent-decoded names no server: the library answers,
/// not the framework's plain-text `400`.
#[tokio::test]
async fn a_server_id_that_is_not_utf8_is_an_unknown_server() {
    let server = TestServer::start().await;
    for path in ["/oauth2/%FF/v1/keys", "/oauth2/%FF%FE/.well-known/openid-configuration"] {
        let response = server
            .http
            .get(format!("{}{path}", server.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body.is_object(), "{path}: {body}");
    }
}

/// Opens a connection, sends `head`, then `body` one byte every `gap` (stopping when the server
/// stops reading), and reads the answer until the server closes the connection (at most ten
/// seconds): the answer and how long it took to arrive.
async fn dribble(address: SocketAddr, head: String, body: &'static [u8], gap: Duration) -> (String, Duration) {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for byte in body {
            tokio::time::sleep(gap).await;
            writer.write_all(&[*byte]).await?;
        }
        Ok::<_, std::io::Error>(writer)
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
    let elapsed = started.elapsed();
    sender.abort();
    read.expect("the server answers and closes the connection within ten seconds")
        .expect("the answer is read");
    (String::from_utf8_lossy(&answer).into_owned(), elapsed)
}

/// A body sent a byte every 200 ms (slowloris) is cut off at the body timeout (here one second):
/// `408` in the path's shape, and the connection closed, long before the body would be complete.
#[tokio::test]
async fn a_body_that_dribbles_in_is_cut_off_with_a_408() {
    let server = TestServer::start_with(|options| options.body_timeout = Duration::from_secs(1)).await;
    let body: &[u8] = &[b'a'; 100];
    let host = server.address;

    // An OAuth endpoint: an OAuth error.
    let head = format!(
        "POST /oauth2/default/v1/token HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (answer, elapsed) = dribble(server.address, head, body, Duration::from_millis(200)).await;
    assert_eq!(raw_status(&answer), 408, "{answer}");
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(raw_header(&answer, "connection"), Some("close"), "{answer}");
    assert_eq!(raw_header(&answer, "cache-control"), Some("no-store"), "{answer}");
    assert_eq!(raw_json(&answer)["error"], "invalid_request", "{answer}");

    // Okta's API, after the administrator is admitted: Okta's error object.
    let head = format!(
        "POST /api/v1/authorizationServers HTTP/1.1\r\nHost: {host}\r\nAuthorization: SSWS {API_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (answer, elapsed) = dribble(server.address, head, body, Duration::from_millis(200)).await;
    assert_eq!(raw_status(&answer), 408, "{answer}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(raw_header(&answer, "connection"), Some("close"), "{answer}");
    assert_okta_error(&raw_json(&answer), "E0000003");

    // A body that arrives in time is answered as usual.
    let quick = server
        .http
        .post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(SERVICE.0, Some(SERVICE.1))
        .form(&[("grant_type", "client_credentials"), ("scope", "reports:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(quick.status(), 200);
}

/// A body that cannot be read (here a chunk size that is not hexadecimal, RFC 9112 §7.1) is a
/// `400` in the path's shape, not the `413` of a body over the limit.
#[tokio::test]
async fn an_unreadable_body_is_a_400_in_the_paths_shape() {
    let server = TestServer::start().await;
    let host = server.address;
    let body: &[u8] = b"zz\r\ngrant_type=client_credentials\r\n0\r\n\r\n";
    let head = format!(
        "POST /oauth2/default/v1/token HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let (answer, _) = dribble(server.address, head, body, Duration::ZERO).await;
    assert_eq!(raw_status(&answer), 400, "{answer}");
    assert_eq!(raw_json(&answer)["error"], "invalid_request", "{answer}");
    assert_eq!(
        raw_json(&answer)["error_description"],
        "The request body could not be read.",
        "{answer}"
    );

    let head = format!(
        "POST /api/v1/authorizationServers HTTP/1.1\r\nHost: {host}\r\nAuthorization: SSWS {API_TOKEN}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let (answer, _) = dribble(server.address, head, body, Duration::ZERO).await;
    assert_eq!(raw_status(&answer), 400, "{answer}");
    assert_okta_error(&raw_json(&answer), "E0000003");
}

/// Headers sent a line every 200 ms are cut off at the header timeout (here one second) by the
/// serving loop (`authserver::axum::serve`): the connection closes, with a `408` if anything.
#[tokio::test]
async fn headers_that_dribble_in_are_cut_off() {
    let server = TestServer::start_with(|options| options.header_timeout = Duration::from_secs(1)).await;
    let head = format!("GET /oauth2/default/v1/keys HTTP/1.1\r\nHost: {}\r\n", server.address);
    let slow_headers: &[u8] = &[b'x'; 100];
    let (answer, elapsed) = dribble(server.address, head, slow_headers, Duration::from_millis(200)).await;
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert!(answer.is_empty() || raw_status(&answer) == 408, "{answer}");

    // An idle keep-alive connection is closed after the same time.
    let mut idle = TcpStream::connect(server.address).await.unwrap();
    let request = format!(
        "GET /oauth2/default/v1/keys HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.address
    );
    idle.write_all(request.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), idle.read_to_end(&mut answer))
        .await
        .expect("the idle connection is closed")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(raw_status(&String::from_utf8_lossy(&answer)), 200);
}

/// A token request from `local` (a loopback address of the test machine) as `client` with
/// `secret`: its status.
async fn token_from(server: &TestServer, local: [u8; 4], client: &str, secret: &str) -> u16 {
    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(local))
        .build()
        .unwrap();
    http.post(format!("{}/v1/token", server.issuer("default")))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "reports:read")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Rate limits count what is established: naming a fresh client id per request does not
/// escape them. A request whose client did not authenticate is charged to the caller's address,
/// so 200 requests with made-up client ids from one address are refused (`429`) once the
/// address has spent the endpoint's limit; another address is not affected, and a client that
/// authenticates is charged to its own bucket (client and address).
#[tokio::test]
async fn made_up_client_ids_do_not_escape_the_rate_limit() {
    let server = TestServer::start_with(|options| {
        options.rate_limits = authserver::ratelimit::RateLimits::okta_defaults().with_limit("token", 20);
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..200 {
        statuses.push(token_from(&server, [127, 0, 0, 2], &format!("0oabogus{i}"), "guess").await);
    }
    assert!(statuses[..20].iter().all(|status| *status == 401), "{statuses:?}");
    assert!(statuses[20..].iter().all(|status| *status == 429), "{statuses:?}");

    // The address is spent, whatever it names next (a known client, even with its secret);
    // another address is not.
    assert_eq!(
        token_from(&server, [127, 0, 0, 2], SERVICE.0, "a wrong secret").await,
        429
    );
    assert_eq!(token_from(&server, [127, 0, 0, 2], SERVICE.0, SERVICE.1).await, 429);
    assert_eq!(token_from(&server, [127, 0, 0, 3], "0oabogus", "guess").await, 401);

    // Authenticated requests spend the client's bucket, not the address's: twenty of them leave
    // the address room for failures, and the client is refused at its own limit.
    for _ in 0..20 {
        assert_eq!(token_from(&server, [127, 0, 0, 4], SERVICE.0, SERVICE.1).await, 200);
    }
    assert_eq!(token_from(&server, [127, 0, 0, 4], SERVICE.0, SERVICE.1).await, 429);
    assert_eq!(token_from(&server, [127, 0, 0, 4], "0oabogus", "guess").await, 401);
    // Naming the client whose bucket is full is refused before anything is checked.
    assert_eq!(
        token_from(&server, [127, 0, 0, 4], SERVICE.0, "a wrong secret").await,
        429
    );
}

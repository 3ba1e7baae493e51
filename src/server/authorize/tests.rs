//! The authorize endpoint, end to end over the in-memory stores (seed 003 "Obtain an
//! Authorization Grant from a User"; reference §3.3, §3.4, §4.2).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use time::Duration;
use time::macros::datetime;

use super::{AuthorizeOutcome, LoginReason, LoginRequired};
use crate::AuthServer;
use crate::clock::{Clock, ManualClock};
use crate::endpoint::{Body, EndpointRequest, EndpointResponse, Session};
use crate::event::{EventQuery, MemoryEventLog, OutcomeResult};
use crate::jose::{self, Algorithm, Jwks};
use crate::model::{ClientRecord, GrantType, GrantTypeCondition, User};
use crate::pkce;
use crate::secret::AuthorizationCode;
use crate::store::grants::CodeRedemption;
use crate::store::{ConfigStore, Directory, GrantStore, MemoryConfigStore, MemoryDirectory, MemoryGrantStore};

type TestServer = AuthServer<MemoryConfigStore, MemoryDirectory, MemoryGrantStore>;

const WEB: &str = "0oaweb";
const SPA: &str = "0oaspa";
const NATIVE: &str = "0oanative";
const WEB_CB: &str = "https://web.example/cb";
const SPA_CB: &str = "https://spa.example:8443/app/callback";
const NATIVE_CB: &str = "com.example.app:/callback";
const USER: &str = "00uada";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Fixture {
    server: TestServer,
    clock: Arc<ManualClock>,
    events: Arc<MemoryEventLog>,
}

fn client(value: Value) -> ClientRecord {
    serde_json::from_value(value).unwrap()
}

async fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::new(datetime!(2024-01-01 0:00 UTC)));
    let events = Arc::new(MemoryEventLog::default());
    let server = crate::server::tests::in_memory_server(clock.clone(), events.clone());
    server.management().ensure_default_server().await.unwrap();
    let directory = server.directory();
    let clients = [
        json!({
            "client_id": WEB, "client_name": "web", "application_type": "web",
            "redirect_uris": [WEB_CB, "https://web.example/cb?tenant=a&x=1"],
            "response_types": ["code", "token", "id_token"], "grant_types": ["authorization_code", "implicit"],
            "token_endpoint_auth_method": "client_secret_basic"
        }),
        json!({
            "client_id": SPA, "client_name": "spa", "application_type": "browser",
            "redirect_uris": [SPA_CB],
            "response_types": ["code", "token", "id_token"], "grant_types": ["authorization_code", "implicit"],
            "token_endpoint_auth_method": "none"
        }),
        json!({
            "client_id": NATIVE, "client_name": "native", "application_type": "native",
            "redirect_uris": [NATIVE_CB], "response_types": ["code"], "grant_types": ["authorization_code"],
            "token_endpoint_auth_method": "none"
        }),
    ];
    for value in clients {
        directory.put_client(client(value)).await.unwrap();
    }
    let user: User = serde_json::from_value(json!({
        "id": USER, "status": "ACTIVE",
        "profile": {"login": "ada@example.com", "email": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"}
    }))
    .unwrap();
    directory.add_user(user, None).unwrap();
    for id in [WEB, SPA, NATIVE] {
        directory.assign_user(id, USER).unwrap();
    }
    Fixture { server, clock, events }
}

impl Fixture {
    fn session(&self) -> Session {
        Session {
            id: "sess1".into(),
            user_id: USER.into(),
            auth_time: self.clock.now(),
            amr: vec!["pwd".into()],
        }
    }

    async fn authorize(&self, query: &str, session: Option<&Session>) -> AuthorizeOutcome {
        let mut request = EndpointRequest::get(query);
        request.session = session;
        self.server.authorize("default", &request).await
    }

    async fn signed_in(&self, query: &str) -> AuthorizeOutcome {
        let session = self.session();
        self.authorize(query, Some(&session)).await
    }

    fn jwks(&self, response: &EndpointResponse) -> Jwks {
        serde_json::from_value(response.json_body().cloned().unwrap()).unwrap()
    }
}

/// `client_id`, `redirect_uri`, `response_type`, and what every valid request carries.
fn query(client_id: &str, redirect_uri: &str, response_type: &str, extra: &str) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    serializer.extend_pairs([
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", response_type),
        ("state", "st-1"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("scope", "openid profile email"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let base = serializer.finish();
    if extra.is_empty() {
        base
    } else {
        format!("{base}&{extra}")
    }
}

/// Where the result landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Landing {
    Query,
    Fragment,
    FormPost,
    PostMessage,
}

/// What reached the client: how, and the parameters (plus, for a post message, its target).
#[derive(Debug)]
struct Delivered {
    landing: Landing,
    params: HashMap<String, String>,
    target: Option<String>,
    response: EndpointResponse,
}

impl Delivered {
    fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn delivered(outcome: AuthorizeOutcome) -> Delivered {
    let AuthorizeOutcome::Respond(response) = outcome else {
        panic!("expected a response, got {outcome:?}");
    };
    let pairs = |text: &str| -> HashMap<String, String> {
        url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    };
    match &response.body {
        Body::Empty => {
            assert_eq!(response.status, 302);
            let location = url::Url::parse(response.header("Location").expect("Location")).unwrap();
            let (landing, params) = match location.fragment() {
                Some(fragment) => (Landing::Fragment, pairs(fragment)),
                None => (Landing::Query, pairs(location.query().unwrap_or_default())),
            };
            Delivered {
                landing,
                params,
                target: None,
                response,
            }
        }
        Body::Html(html) if html.contains("<form") => {
            let input = regex::Regex::new(r#"<input type="hidden" name="([^"]*)" value="([^"]*)">"#).unwrap();
            let params = input
                .captures_iter(html)
                .map(|captures| (unescape_html(&captures[1]), unescape_html(&captures[2])))
                .collect();
            Delivered {
                landing: Landing::FormPost,
                params,
                target: None,
                response,
            }
        }
        Body::Html(html) if html.contains("postMessage(") => {
            let start = html.find("postMessage(").unwrap() + "postMessage(".len();
            let mut values = serde_json::Deserializer::from_str(&html[start..]).into_iter::<Value>();
            let data = values.next().unwrap().unwrap();
            let rest = &html[start + values.byte_offset()..];
            let target: Value = serde_json::Deserializer::from_str(rest.trim_start_matches(','))
                .into_iter::<Value>()
                .next()
                .unwrap()
                .unwrap();
            let params = data
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            Delivered {
                landing: Landing::PostMessage,
                params,
                target: target.as_str().map(str::to_owned),
                response,
            }
        }
        other => panic!("not a delivery to the client: {other:?}"),
    }
}

/// The 400 error page that never redirects.
fn assert_error_page(outcome: AuthorizeOutcome, description: &str) {
    let AuthorizeOutcome::Respond(response) = outcome else {
        panic!("expected an error page, got {outcome:?}");
    };
    assert_eq!(response.status, 400);
    assert_eq!(response.header("Location"), None, "never a redirect");
    let Body::Html(html) = &response.body else {
        panic!("expected HTML, got {:?}", response.body);
    };
    assert!(html.contains(&super::response::escape_html(description)), "{html}");
    assert!(!html.contains("<form") && !html.contains("<script"));
}

fn assert_error(outcome: AuthorizeOutcome, error: &str, description: &str) -> Delivered {
    let delivered = delivered(outcome);
    assert_eq!(delivered.get("error"), Some(error), "{delivered:?}");
    assert_eq!(delivered.get("error_description"), Some(description));
    assert!(delivered.get("code").is_none() && delivered.get("access_token").is_none());
    delivered
}

// ---------------------------------------------------------------------------------------------
// The table: response type × response mode × client type.

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Issued, delivered this way.
    Issued(Landing),
    /// Refused with this error, delivered this way.
    Refused(&'static str, Landing),
}

use Expect::{Issued, Refused};
use Landing::{FormPost, Fragment, PostMessage, Query};

const RESPONSE_TYPES: [&str; 7] = [
    "code",
    "token",
    "id_token",
    "code id_token",
    "code token",
    "code id_token token",
    "id_token token",
];
const MODES: [Option<&str>; 5] = [
    None,
    Some("query"),
    Some("fragment"),
    Some("form_post"),
    Some("okta_post_message"),
];

/// Seed 003 "response_mode": `query` is the default for `code` and is never allowed with tokens;
/// `fragment` is the default with tokens; `okta_post_message` cannot be used with the code flow.
/// The native client has only `code` and a custom-scheme redirect URI (no origin to post to).
fn expected(client_id: &str, response_type: &str, mode: Option<&str>) -> Expect {
    let tokens = response_type != "code";
    let default = if tokens { Fragment } else { Query };
    let requested = match mode {
        None => default,
        Some("query") => Query,
        Some("fragment") => Fragment,
        Some("form_post") => FormPost,
        _ if client_id == NATIVE => default,
        _ => PostMessage,
    };
    if client_id == NATIVE && tokens {
        return Refused("unsupported_response_type", requested);
    }
    match mode {
        Some("query") if tokens => Refused("unsupported_response_mode", Query),
        Some("okta_post_message") if !tokens || client_id == NATIVE => Refused("unsupported_response_mode", requested),
        _ => Issued(requested),
    }
}

#[tokio::test]
async fn response_type_by_mode_by_client_table() {
    // Seed 003 authorize errors: unsupported_response_mode "is also thrown for disallowed response
    // modes. For example, if the query response mode is specified for a response type that
    // includes id_token"; unsupported_response_type for a type the client may not use.
    let f = fixture().await;
    // A few rows spelled out, so the oracle below is checked against the seed's words.
    let spelled = [
        (WEB, "code", None, Issued(Query)),
        (WEB, "code", Some("form_post"), Issued(FormPost)),
        (
            WEB,
            "code",
            Some("okta_post_message"),
            Refused("unsupported_response_mode", PostMessage),
        ),
        (WEB, "token", None, Issued(Fragment)),
        (
            WEB,
            "id_token",
            Some("query"),
            Refused("unsupported_response_mode", Query),
        ),
        (WEB, "code id_token", None, Issued(Fragment)),
        (WEB, "code id_token", Some("okta_post_message"), Issued(PostMessage)),
        (SPA, "id_token token", Some("okta_post_message"), Issued(PostMessage)),
        (SPA, "code", Some("fragment"), Issued(Fragment)),
        (NATIVE, "code", None, Issued(Query)),
        (NATIVE, "token", None, Refused("unsupported_response_type", Fragment)),
        (
            NATIVE,
            "code",
            Some("okta_post_message"),
            Refused("unsupported_response_mode", Query),
        ),
    ];
    for (client_id, response_type, mode, expect) in spelled {
        assert_eq!(
            format!("{:?}", expected(client_id, response_type, mode)),
            format!("{expect:?}")
        );
    }
    for client_id in [WEB, SPA, NATIVE] {
        let redirect_uri = match client_id {
            WEB => WEB_CB,
            SPA => SPA_CB,
            _ => NATIVE_CB,
        };
        for response_type in RESPONSE_TYPES {
            for mode in MODES {
                let extra = mode.map(|mode| format!("response_mode={mode}")).unwrap_or_default();
                let outcome = f
                    .signed_in(&query(client_id, redirect_uri, response_type, &extra))
                    .await;
                let row = format!("{client_id} / {response_type} / {mode:?}");
                let got = delivered(outcome);
                assert_eq!(got.get("state"), Some("st-1"), "{row}");
                match expected(client_id, response_type, mode) {
                    Issued(landing) => {
                        assert_eq!(got.landing, landing, "{row}");
                        assert_eq!(got.get("error"), None, "{row}: {:?}", got.params);
                        assert_eq!(got.get("code").is_some(), response_type.contains("code"), "{row}");
                        assert_eq!(
                            got.get("access_token").is_some(),
                            response_type.split(' ').any(|t| t == "token")
                        );
                        assert_eq!(
                            got.get("id_token").is_some(),
                            response_type.contains("id_token"),
                            "{row}"
                        );
                        if got.get("access_token").is_some() {
                            assert_eq!(got.get("token_type"), Some("Bearer"));
                            assert_eq!(got.get("expires_in"), Some("3600"));
                            assert_eq!(got.get("scope"), Some("openid profile email"));
                        }
                    }
                    Refused(error, landing) => {
                        assert_eq!(got.landing, landing, "{row}");
                        assert_eq!(got.get("error"), Some(error), "{row}");
                    }
                }
                if got.landing == PostMessage {
                    let origin = if client_id == SPA {
                        "https://spa.example:8443"
                    } else {
                        "https://web.example"
                    };
                    assert_eq!(got.target.as_deref(), Some(origin), "{row}: the redirect URI's origin");
                }
                if matches!(got.landing, Query | Fragment) {
                    assert_eq!(got.response.header("Referrer-Policy"), Some("no-referrer"));
                }
                if got.landing == Query {
                    assert!(
                        got.get("access_token").is_none() && got.get("id_token").is_none(),
                        "{row}"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client and redirect URI: never redirect.

#[tokio::test]
async fn unknown_or_inactive_clients_get_an_error_page() {
    // Seed 003 authorize errors, invalid_client: "The specified client id is invalid." Shown on
    // an error page, never redirected (reference §4.2).
    let f = fixture().await;
    let description = "Invalid value for 'client_id' parameter.";
    assert_error_page(f.signed_in(&query("0oanope", WEB_CB, "code", "")).await, description);
    assert_error_page(
        f.signed_in("redirect_uri=https%3A%2F%2Fweb.example%2Fcb&response_type=code&state=s")
            .await,
        description,
    );
    let mut inactive = std::sync::Arc::unwrap_or_clone(f.server.directory().client(WEB).await.unwrap().unwrap());
    inactive.client.status = crate::model::Status::Inactive;
    f.server.directory().put_client(inactive).await.unwrap();
    assert_error_page(f.signed_in(&query(WEB, WEB_CB, "code", "")).await, description);
    let event = f.events.last().unwrap();
    assert_eq!(event.reason_code(), Some("invalid_client_id"));
}

#[tokio::test]
async fn unregistered_redirect_uris_get_an_error_page() {
    // Reference §4.2: exact, case-sensitive matching, trailing slash included.
    let f = fixture().await;
    let description = "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings.";
    for uri in [
        "https://web.example/cb/",
        "https://WEB.example/cb",
        "https://web.example/CB",
        "https://evil.example/cb",
        SPA_CB,
    ] {
        assert_error_page(f.signed_in(&query(WEB, uri, "code", "")).await, description);
    }
    let missing = "client_id=0oaweb&response_type=code&state=s&scope=openid";
    assert_error_page(f.signed_in(missing).await, description);
    assert_eq!(f.events.last().unwrap().reason_code(), Some("illegal_redirect_uri"));
    // Errors that would otherwise be redirected are not, when the redirect URI is wrong.
    assert_error_page(
        f.authorize(
            &query(WEB, "https://evil.example/cb", "token", "").replace("st-1", "%3C"),
            None,
        )
        .await,
        description,
    );
}

#[tokio::test]
async fn repeated_parameters_are_refused_without_redirecting() {
    // RFC 6749 §3.1.
    let f = fixture().await;
    let q = format!("{}&state=again", query(WEB, WEB_CB, "code", ""));
    assert_error_page(
        f.signed_in(&q).await,
        "The request contained multiple parameters with the same name.",
    );
}

#[tokio::test]
async fn an_unknown_server_is_e0000007() {
    let f = fixture().await;
    let outcome = f
        .server
        .authorize("nope", &EndpointRequest::get(&query(WEB, WEB_CB, "code", "")))
        .await;
    let AuthorizeOutcome::Respond(response) = outcome else {
        panic!()
    };
    assert_eq!(response.status, 404);
    assert_eq!(response.json_body().unwrap()["errorCode"], "E0000007");
}

// ---------------------------------------------------------------------------------------------
// Request parameters.

#[tokio::test]
async fn state_is_required_and_any_vschar() {
    // RFC 6749 Appendix A.5: `state = 1*VSCHAR` (%x20-7E), a superset of Okta's documented
    // alphabet (reference §4.2), within `MAX_STATE_LEN`. The conformance suite's
    // `OIDCCPromptNoneNotLoggedIn` sends a 128-character state ending in `-._~` and expects it
    // back unchanged. Seed 003 "Okta requires the OAuth 2.0 state parameter on all requests".
    let f = fixture().await;
    let text = "The authentication request has an invalid 'state' parameter.";
    let missing = query(WEB, WEB_CB, "code", "").replace("state=st-1&", "");
    let got = assert_error(f.signed_in(&missing).await, "invalid_request", text);
    assert_eq!(got.get("state"), None);
    let control = query(WEB, WEB_CB, "code", "").replace("st-1", "a%0Ab");
    let got = assert_error(f.signed_in(&control).await, "invalid_request", text);
    assert_eq!(got.get("state"), None, "an invalid state is never echoed");
    let long = "s".repeat(crate::authorize::request::MAX_STATE_LEN + 1);
    let got = assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code", "").replace("st-1", &long))
            .await,
        "invalid_request",
        text,
    );
    assert_eq!(got.get("state"), None);
    let suite = format!("{}-._~", "Ab9".repeat(42).get(..124).unwrap());
    for state in [suite.as_str(), "a,b.c_d-E9", "{\"x\": \"<&>\"} ~!"] {
        let encoded: String = url::form_urlencoded::byte_serialize(state.as_bytes()).collect();
        for (client_id, uri, response_type, extra) in [
            (WEB, WEB_CB, "code", ""),
            (WEB, WEB_CB, "code", "prompt=none&max_age=0"),
            (SPA, SPA_CB, "id_token", ""),
        ] {
            let q = query(client_id, uri, response_type, extra).replace("st-1", &encoded);
            let got = match f.authorize(&q, None).await {
                AuthorizeOutcome::NeedsLogin(_) => delivered(f.signed_in(&q).await),
                outcome => delivered(outcome),
            };
            assert_eq!(got.get("state"), Some(state), "{response_type} {extra}");
        }
    }
}

#[tokio::test]
async fn nonce_is_required_only_when_an_id_token_comes_from_authorize() {
    // OpenID Connect Core §3.2.2.1 and §3.3.2.11: `nonce` is REQUIRED when the ID token is
    // returned from the authorization endpoint (implicit `id_token`, `id_token token`; hybrid
    // `code id_token`, `code id_token token`), OPTIONAL for `code` and `code token`. The error
    // text is Okta's (seed 003 authorize errors, invalid_request; reference §4.1).
    let f = fixture().await;
    let text = "The 'nonce' parameter is required for authorize requests with either the 'id_token' or 'token' response types..";
    for response_type in ["id_token", "id_token token", "code id_token", "code id_token token"] {
        let q = query(SPA, SPA_CB, response_type, "").replace("nonce=n-0S6_WzA2Mj&", "");
        let got = assert_error(f.signed_in(&q).await, "invalid_request", text);
        assert_eq!(got.landing, Fragment);
        assert_eq!(got.get("state"), Some("st-1"));
    }
    for (response_type, issued) in [("code token", "access_token"), ("token", "access_token")] {
        let q = query(SPA, SPA_CB, response_type, "").replace("nonce=n-0S6_WzA2Mj&", "");
        assert!(
            delivered(f.signed_in(&q).await).get(issued).is_some(),
            "{response_type} needs no nonce"
        );
    }
    let q = query(WEB, WEB_CB, "code", "").replace("nonce=n-0S6_WzA2Mj&", "");
    assert!(
        delivered(f.signed_in(&q).await).get("code").is_some(),
        "the code flow needs no nonce"
    );
}

#[tokio::test]
async fn pkce_is_required_for_public_clients() {
    let f = fixture().await;
    let without = |client_id, uri| {
        query(client_id, uri, "code", "")
            .replace(&format!("&code_challenge={CHALLENGE}&code_challenge_method=S256"), "")
    };
    for (client_id, uri) in [(SPA, SPA_CB), (NATIVE, NATIVE_CB)] {
        assert_error(
            f.signed_in(&without(client_id, uri)).await,
            "invalid_request",
            "PKCE code challenge is required by the application.",
        );
    }
    assert!(
        delivered(f.signed_in(&without(WEB, WEB_CB)).await)
            .get("code")
            .is_some(),
        "optional for confidential clients"
    );
    let plain = query(SPA, SPA_CB, "code", "").replace("S256", "plain");
    assert_error(
        f.signed_in(&plain).await,
        "invalid_request",
        "PKCE code challenge method is invalid. Only S256 is supported.",
    );
    let short = query(SPA, SPA_CB, "code", "").replace(CHALLENGE, "abc");
    assert_error(
        f.signed_in(&short).await,
        "invalid_request",
        "PKCE code challenge is invalid.",
    );
    // Pure implicit has no code to bind: the challenge is irrelevant.
    let implicit = without(SPA, SPA_CB).replace("response_type=code", "response_type=id_token");
    assert!(delivered(f.signed_in(&implicit).await).get("id_token").is_some());
}

#[tokio::test]
async fn response_type_must_be_configured_on_the_client() {
    // Seed 003 authorize errors: unsupported_response_type ("The specified response type is
    // invalid or unsupported"), unsupported_response_mode ("invalid or unsupported"), and
    // invalid_request for a missing response_type.
    let f = fixture().await;
    let got = assert_error(
        f.signed_in(&query(NATIVE, NATIVE_CB, "id_token", "")).await,
        "unsupported_response_type",
        "The response type is not supported by the authorization server. Configured response types: [code].",
    );
    assert_eq!(got.landing, Fragment);
    assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code bogus", "")).await,
        "unsupported_response_type",
        "The response type is not supported by the authorization server. Configured response types: [code, token, id_token].",
    );
    let missing = query(WEB, WEB_CB, "code", "").replace("response_type=code&", "");
    assert_error(
        f.signed_in(&missing).await,
        "invalid_request",
        "The 'response_type' parameter is required.",
    );
    assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code", "response_mode=web_message"))
            .await,
        "unsupported_response_mode",
        "The response mode is not supported by the authorization server. Valid response modes: [query, fragment, form_post, okta_post_message].",
    );
}

#[tokio::test]
async fn an_id_token_needs_the_openid_scope() {
    // Seed 003: "The openid scope has to be specified to get back an ID Token" (access_denied,
    // reference §4.1); seed 003 authorize errors, invalid_scope: "The scopes list contains an
    // invalid or unsupported value" (malformed).
    let f = fixture().await;
    let q = query(SPA, SPA_CB, "id_token", "").replace("scope=openid+profile+email", "scope=email");
    assert_error(
        f.signed_in(&q).await,
        "access_denied",
        "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope.",
    );
    let malformed = query(SPA, SPA_CB, "code", "").replace("scope=openid+profile+email", "scope=openid%22x");
    assert_error(
        f.signed_in(&malformed).await,
        "invalid_scope",
        "The requested scope is invalid, unknown, or malformed.",
    );
}

#[tokio::test]
async fn offline_access_without_a_code_is_ignored() {
    // Reference §3.4.
    let f = fixture().await;
    let q =
        query(SPA, SPA_CB, "id_token token", "").replace("scope=openid+profile+email", "scope=openid+offline_access");
    let got = delivered(f.signed_in(&q).await);
    assert_eq!(got.get("scope"), Some("openid"));
    let q = query(WEB, WEB_CB, "code", "").replace("scope=openid+profile+email", "scope=openid+offline_access");
    let code = delivered(f.signed_in(&q).await).get("code").unwrap().to_owned();
    let hash = AuthorizationCode::from_received(code).hash();
    let CodeRedemption::Redeemed(record) = f.server.grants().redeem_code(&hash, f.clock.now()).await.unwrap() else {
        panic!()
    };
    assert_eq!(record.grant.scopes, ["openid", "offline_access"]);
}

// ---------------------------------------------------------------------------------------------
// Sessions.

#[tokio::test]
async fn without_a_session_the_host_signs_the_user_in() {
    let f = fixture().await;
    let q = query(
        WEB,
        WEB_CB,
        "code",
        "login_hint=ada%40example.com&idp=0oaidp&display=popup&sessionToken=tok",
    );
    let AuthorizeOutcome::NeedsLogin(login) = f.authorize(&q, None).await else {
        panic!()
    };
    assert_eq!(login.client_id, WEB);
    assert_eq!(login.login_hint.as_deref(), Some("ada@example.com"));
    assert_eq!(login.idp.as_deref(), Some("0oaidp"));
    assert_eq!(login.display.as_deref(), Some("popup"));
    assert_eq!(login.session_token.as_deref(), Some("tok"));
    assert_eq!(login.reason, LoginReason::NoSession);
    assert!(!format!("{login:?}").contains("tok\""), "the session token is redacted");
    // Invalid requests are refused before the user is asked to sign in.
    let bad = query(WEB, WEB_CB, "code", "").replace("st-1", "a%09b");
    assert_error(
        f.authorize(&bad, None).await,
        "invalid_request",
        "The authentication request has an invalid 'state' parameter.",
    );
    // The host resumes with the same query and the new session.
    assert!(delivered(f.signed_in(&q).await).get("code").is_some());
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_at_the_client() {
    // Seed 003 authorize errors (OpenID), login_required: "The request specified that no prompt
    // should be shown but the user is currently not authenticated."
    let f = fixture().await;
    let got = assert_error(
        f.authorize(&query(WEB, WEB_CB, "code", "prompt=none"), None).await,
        "login_required",
        "The client specified not to prompt, but the user is not logged in.",
    );
    assert_eq!((got.landing, got.get("state")), (Query, Some("st-1")));
    assert!(
        delivered(f.signed_in(&query(WEB, WEB_CB, "code", "prompt=none")).await)
            .get("code")
            .is_some()
    );
    assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code", "prompt=none+login")).await,
        "invalid_request",
        "The 'prompt' parameter is invalid.",
    );
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_for_a_new_authentication() {
    // OpenID Connect Core §3.1.2.1: `prompt=login` makes the server re-authenticate the user
    // whatever the session's age; `max_age` does once the session's `auth_time` is older. The
    // outcome says so (`LoginReason`), and only a session the host established in answer to the
    // request (`with_fresh_session`) is accepted; the ID token then carries its later
    // `auth_time` (conformance suite `oidcc-prompt-login`, `oidcc-max-age-1`:
    // `CheckSecondIdTokenAuthTimeIsLaterIfPresent`).
    let f = fixture().await;
    let session = f.session();
    f.clock.advance(Duration::seconds(2));
    let q = query(WEB, WEB_CB, "code id_token", "prompt=login");
    let AuthorizeOutcome::NeedsLogin(login) = f.authorize(&q, Some(&session)).await else {
        panic!()
    };
    assert_eq!(login.reason, LoginReason::PromptLogin);
    assert!(login.reason.reauthenticate());
    // A session seconds old is no answer, however often the browser comes back with it.
    let recent = f.session();
    f.clock.advance(Duration::seconds(1));
    assert!(matches!(
        f.authorize(&q, Some(&recent)).await,
        AuthorizeOutcome::NeedsLogin(LoginRequired {
            reason: LoginReason::PromptLogin,
            ..
        })
    ));
    // The host authenticated the user for this request: it goes through, with the new auth_time.
    let fresh = f.session();
    f.clock.advance(Duration::seconds(5));
    let request = EndpointRequest::get(&q).with_fresh_session(&fresh);
    let got = delivered(f.server.authorize("default", &request).await);
    let id_token = got.get("id_token").unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&jose::b64_decode(payload).unwrap()).unwrap();
    assert_eq!(claims["auth_time"], fresh.auth_time.unix_timestamp());
    assert!(fresh.auth_time > session.auth_time);

    let q = query(WEB, WEB_CB, "code", "max_age=1");
    let AuthorizeOutcome::NeedsLogin(LoginRequired {
        max_age: Some(1),
        reason: LoginReason::MaxAge,
        ..
    }) = f.authorize(&q, Some(&session)).await
    else {
        panic!()
    };
    let request = EndpointRequest::get(&q).with_fresh_session(&fresh);
    assert!(
        delivered(f.server.authorize("default", &request).await)
            .get("code")
            .is_some()
    );
    // oidcc-max-age-10000: a session within max_age is used as it is.
    let q = query(WEB, WEB_CB, "code", "max_age=10000");
    assert!(delivered(f.authorize(&q, Some(&session)).await).get("code").is_some());
    let q = query(WEB, WEB_CB, "code", "max_age=1&prompt=none");
    assert_error(
        f.authorize(&q, Some(&session)).await,
        "login_required",
        "The client specified not to prompt, but the user is not logged in.",
    );
    assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code", "max_age=-1")).await,
        "invalid_request",
        "The 'max_age' parameter is invalid.",
    );
}

// ---------------------------------------------------------------------------------------------
// User and policy.

#[tokio::test]
async fn users_not_assigned_to_the_client_are_denied() {
    // Seed 000 subtle behaviour: "A user must be assigned to the client"; seed 003 authorize
    // errors, access_denied: "The server denied the request."
    let f = fixture().await;
    assert!(f.server.directory().unassign_user(WEB, USER));
    let got = assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code", "")).await,
        "access_denied",
        "User is not assigned to the client application.",
    );
    assert_eq!(got.get("state"), Some("st-1"));
    let event = f.events.last().unwrap();
    assert_eq!(event.reason_code(), Some("user_not_assigned"));
    assert_eq!(event.client.unwrap().id, WEB);
}

#[tokio::test]
async fn policy_denials_reach_the_client_and_the_log() {
    // Seed 003 authorize errors: access_denied (no matching policy; seed 000 "If you haven't
    // created a rule … the request fails") and invalid_scope (an unknown scope). Seed 000 "Always
    // Start with the System Log": the denial is recorded with its reason.
    let f = fixture().await;
    // The default rule no longer admits the implicit grant.
    let mut config = f.server.config_store().load("default").await.unwrap().unwrap();
    config.policies[0].rules[0].conditions.grant_types = Some(GrantTypeCondition {
        include: vec![GrantType::AuthorizationCode],
    });
    let revision = config.revision;
    let _ = f.server.config_store().save(config, revision).await.unwrap();

    let text = "Policy evaluation failed for this request, please check the policy configurations.";
    for response_type in ["id_token token", "code id_token"] {
        let got = assert_error(
            f.signed_in(&query(SPA, SPA_CB, response_type, "")).await,
            "access_denied",
            text,
        );
        assert_eq!(got.landing, Fragment);
        let denial = f.events.query(&EventQuery {
            outcome: Some(OutcomeResult::Failure),
            event_type: Some(crate::policy::POLICY_EVENT_TYPE.into()),
            ..EventQuery::default()
        });
        assert_eq!(denial.last().unwrap().reason_code(), Some("no_matching_policy"));
    }
    // The code flow is still granted, and its grant recorded.
    let got = delivered(f.signed_in(&query(SPA, SPA_CB, "code", "")).await);
    assert!(got.get("code").is_some());
    let granted = f.events.query(&EventQuery {
        outcome: Some(OutcomeResult::Success),
        ..EventQuery::default()
    });
    assert!(granted.iter().any(|e| e.event_type == crate::policy::POLICY_EVENT_TYPE));
    assert!(granted.iter().any(|e| e.event_type == "app.oauth2.as.authorize.code"));

    let unknown = query(SPA, SPA_CB, "code", "").replace("scope=openid+profile+email", "scope=openid+nope%3Aread");
    assert_error(
        f.signed_in(&unknown).await,
        "invalid_scope",
        "One or more scopes are not configured for the authorization server resource.",
    );
}

#[tokio::test]
async fn inactive_users_are_denied() {
    // Seed 003 authorize errors, access_denied; seed 000 "User deactivation" (no new grants).
    let f = fixture().await;
    let mut user = f.server.directory().user(USER).await.unwrap().unwrap();
    user.status = crate::model::UserStatus::Suspended;
    assert!(f.server.directory().remove_user(USER));
    f.server.directory().add_user(user, None).unwrap();
    f.server.directory().assign_user(WEB, USER).unwrap();
    assert_error(
        f.signed_in(&query(WEB, WEB_CB, "code", "")).await,
        "access_denied",
        "The resource owner or authorization server denied the request.",
    );
}

// ---------------------------------------------------------------------------------------------
// What is issued.

#[tokio::test]
async fn codes_are_stored_hashed_with_their_grant() {
    let f = fixture().await;
    let got = delivered(f.signed_in(&query(SPA, SPA_CB, "code", "")).await);
    let code = got.get("code").unwrap();
    assert_eq!(code.len(), 43);
    let hash = AuthorizationCode::from_received(code).hash();
    let CodeRedemption::Redeemed(record) = f.server.grants().redeem_code(&hash, f.clock.now()).await.unwrap() else {
        panic!("the code is redeemable once");
    };
    assert_eq!(record.code_hash, hash);
    assert_eq!(record.expires_at, f.clock.now() + Duration::seconds(300));
    assert_eq!(record.redirect_uri.as_deref(), Some(SPA_CB));
    assert_eq!(record.code_challenge.as_deref(), Some(CHALLENGE));
    assert_eq!(
        pkce::verify(VERIFIER, record.code_challenge.as_deref().unwrap()),
        Ok(())
    );
    assert_eq!(record.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
    let grant = &record.grant;
    assert_eq!((grant.client_id.as_str(), grant.user_id.as_deref()), (SPA, Some(USER)));
    assert_eq!(grant.grant_type, "authorization_code");
    assert_eq!(grant.scopes, ["openid", "profile", "email"]);
    assert_eq!(grant.authorization_server_id, "default");
    assert_eq!(grant.auth_time, Some(f.clock.now()));
    assert_eq!(grant.amr, ["pwd"]);
    assert_eq!(grant.access_token_lifetime_minutes, 60);
    assert!(matches!(
        f.server.grants().redeem_code(&hash, f.clock.now()).await.unwrap(),
        CodeRedemption::AlreadyRedeemed { .. }
    ));
}

#[tokio::test]
async fn implicit_tokens_verify_and_id_tokens_are_fat_or_thin() {
    // Reference §3.3: fat without an access token, thin with one; at_hash, c_hash, nonce.
    let f = fixture().await;
    let jwks = f.jwks(&f.server.keys("default").await);
    let claims = |token: &str| -> Value { jose::verify(token, &jwks).expect("verifies").claims().unwrap() };

    let fat = delivered(f.signed_in(&query(SPA, SPA_CB, "id_token", "")).await);
    let id = claims(fat.get("id_token").unwrap());
    assert_eq!(id["aud"], SPA);
    assert_eq!(id["sub"], USER);
    assert_eq!(id["iss"], "https://id.example.com/oauth2/default");
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["given_name"], "Ada", "fat: every claim of the scopes");
    assert!(id.get("at_hash").is_none() && id.get("c_hash").is_none());

    let both = delivered(f.signed_in(&query(SPA, SPA_CB, "id_token token", "")).await);
    let id = claims(both.get("id_token").unwrap());
    assert!(id.get("given_name").is_none(), "thin: only alwaysIncludeInToken claims");
    assert_eq!(id["email"], "ada@example.com");
    let access_token = both.get("access_token").unwrap();
    let algorithm = Algorithm::EdDSA;
    assert_eq!(id["at_hash"], jose::at_hash(algorithm, access_token));
    let at = claims(access_token);
    assert_eq!(at["cid"], SPA);
    assert_eq!(at["uid"], USER);
    assert_eq!(at["scp"], json!(["openid", "profile", "email"]));
    assert_eq!(at["exp"].as_i64().unwrap() - at["iat"].as_i64().unwrap(), 3600);

    let hybrid = delivered(f.signed_in(&query(WEB, WEB_CB, "code id_token", "")).await);
    let id = claims(hybrid.get("id_token").unwrap());
    assert_eq!(id["c_hash"], jose::c_hash(algorithm, hybrid.get("code").unwrap()));
    assert_eq!(id["given_name"], "Ada", "code id_token is fat too");

    let all = delivered(f.signed_in(&query(WEB, WEB_CB, "code id_token token", "")).await);
    let id = claims(all.get("id_token").unwrap());
    assert!(id.get("c_hash").is_some() && id.get("at_hash").is_some() && id.get("given_name").is_none());
    // Hybrid: the code's grant and the tokens share one grant id, so revoking one revokes all.
    let hash = AuthorizationCode::from_received(all.get("code").unwrap()).hash();
    let CodeRedemption::Redeemed(record) = f.server.grants().redeem_code(&hash, f.clock.now()).await.unwrap() else {
        panic!()
    };
    let jti = claims(all.get("access_token").unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(crate::claims::grant_of_access_token_id(&jti), Some(record.grant.id));
    // The implicit flow's event names the access token it issued by its `jti`.
    let issued = f.events.query(&EventQuery {
        event_type: Some("app.oauth2.as.authorize.implicit.access_token".into()),
        ..EventQuery::default()
    });
    let target = &issued.last().expect("an access-token event").target;
    assert!(
        target
            .iter()
            .any(|entity| entity.kind == "access_token" && entity.id == jti),
        "{target:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Pages.

#[tokio::test]
async fn form_post_escapes_values_and_the_action() {
    let f = fixture().await;
    let uri = "https://web.example/cb?tenant=a&x=1";
    let outcome = f.signed_in(&query(WEB, uri, "code", "response_mode=form_post")).await;
    let AuthorizeOutcome::Respond(response) = &outcome else {
        panic!()
    };
    let Body::Html(html) = &response.body else { panic!() };
    assert!(
        html.contains(r#"action="https://web.example/cb?tenant=a&amp;x=1""#),
        "{html}"
    );
    assert_eq!(response.header("Content-Type"), Some("text/html;charset=UTF-8"));
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    assert!(
        response
            .header("Content-Security-Policy")
            .unwrap()
            .contains("script-src 'sha256-")
    );
    let got = delivered(outcome);
    assert_eq!(got.get("state"), Some("st-1"));
    assert!(got.get("code").is_some());

    // Values with markup cannot break out (unit level: no request value gets there unchecked).
    let url = url::Url::parse(WEB_CB).unwrap();
    let page = super::response::deliver(
        &url,
        super::request::ResponseMode::FormPost,
        &[("error_description", "\"><script>x</script>")],
    );
    let Body::Html(html) = &page.body else { panic!() };
    assert!(!html.contains("<script>x") && html.contains("&quot;&gt;&lt;script&gt;"));
}

#[tokio::test]
async fn okta_post_message_posts_to_the_redirect_origin_only() {
    let f = fixture().await;
    let got = delivered(
        f.signed_in(&query(SPA, SPA_CB, "id_token", "response_mode=okta_post_message"))
            .await,
    );
    assert_eq!(got.landing, PostMessage);
    assert_eq!(
        got.target.as_deref(),
        Some("https://spa.example:8443"),
        "the origin, not the full URI"
    );
    assert!(got.get("id_token").is_some());
    let csp = got.response.header("Content-Security-Policy").unwrap();
    assert!(csp.contains("frame-ancestors https://spa.example:8443"), "{csp}");

    let url = url::Url::parse(SPA_CB).unwrap();
    let page = super::response::deliver(
        &url,
        super::request::ResponseMode::OktaPostMessage,
        &[("error_description", "</script><script>alert(1)</script>\u{2028}\"")],
    );
    let Body::Html(html) = &page.body else { panic!() };
    assert_eq!(html.matches("<script>").count(), 1, "{html}");
    assert_eq!(html.matches("</script>").count(), 1, "{html}");
    let got = delivered(AuthorizeOutcome::Respond(page));
    assert_eq!(
        got.get("error_description"),
        Some("</script><script>alert(1)</script>\u{2028}\"")
    );
}

#[tokio::test]
async fn post_requests_are_read_from_the_form() {
    let f = fixture().await;
    let session = f.session();
    let form = query(WEB, WEB_CB, "code", "");
    let request = EndpointRequest::post(&form).with_session(&session);
    assert!(
        delivered(f.server.authorize("default", &request).await)
            .get("code")
            .is_some()
    );
}

// ---------------------------------------------------------------------------------------------
// Seed 003 authorize errors and seed 000 subtle behaviour not covered above.

impl Fixture {
    /// A management API call as an administrator; the status must be a success.
    async fn admin(&self, method: crate::admin::Method, path: &str, body: Option<Value>) -> Value {
        let caller = crate::admin::Caller { id: "admin".into() };
        let body = body.map(|body| serde_json::to_vec(&body).unwrap());
        let request = crate::admin::ApiRequest {
            method,
            path,
            query: "",
            body: body.as_deref(),
            caller: Some(&caller),
        };
        let response = self.server.management().handle(&request).await;
        assert!(response.status < 300, "{path}: {} {:?}", response.status, response.body);
        response.body.unwrap_or_default()
    }
}

#[tokio::test]
async fn a_claim_that_cannot_be_evaluated_is_server_error_at_the_client() {
    // Seed 003 authorize errors, server_error: "The server encountered an internal error."
    // Reference §1.4 / Appendix B: a claim evaluation failure is `server_error`
    // (`user_claim_evaluation_failure`), delivered to the client with its state.
    let f = fixture().await;
    f.admin(
        crate::admin::Method::Post,
        "/api/v1/authorizationServers/default/claims",
        Some(
            json!({"name": "broken", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
                    "value": "String.substring(user.login, 0, 500)", "conditions": {"scopes": []}}),
        ),
    )
    .await;
    let got = assert_error(
        f.signed_in(&query(SPA, SPA_CB, "token", "")).await,
        "server_error",
        "The 'broken' user claim could not be evaluated.",
    );
    assert_eq!((got.landing, got.get("state")), (Fragment, Some("st-1")));
    assert_eq!(
        f.events.last().unwrap().reason_code(),
        Some("server_error"),
        "the refusal is recorded"
    );
}

#[tokio::test]
async fn the_code_exchange_does_not_re_evaluate_policies() {
    // Seed 000 subtle behaviour: "The evaluation of a policy always takes place during the initial
    // authentication of the user … If the flow is not immediately finished, such as when a token
    // is requested using authorization_code grant type, the policy is not evaluated again, and a
    // change in the policy after the user … is initially authenticated won't affect the continued
    // flow." (Refresh requests are re-evaluated: reference §2.1, token::tests::refresh_*.)
    let f = fixture().await;
    let code = delivered(f.signed_in(&query(SPA, SPA_CB, "code", "")).await)
        .get("code")
        .unwrap()
        .to_owned();
    let config = f.server.config_store().load("default").await.unwrap().unwrap();
    let policy = format!(
        "/api/v1/authorizationServers/default/policies/{}/lifecycle/deactivate",
        config.policies[0].policy.id
    );
    f.admin(crate::admin::Method::Post, &policy, None).await;
    assert_error(
        f.signed_in(&query(SPA, SPA_CB, "code", "")).await,
        "access_denied",
        "Policy evaluation failed for this request, please check the policy configurations.",
    );
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs([
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", SPA_CB),
        ("client_id", SPA),
        ("code_verifier", VERIFIER),
    ]);
    let form = form.finish();
    let response = f.server.token("default", &EndpointRequest::post(&form)).await;
    assert_eq!(response.status, 200, "{:?}", response.body);
    let json = response.json_body().unwrap();
    assert_eq!(json["scope"], "openid profile email");
    assert!(json["id_token"].is_string());
}

// ---------------------------------------------------------------------------------------------
// Request objects (RFC 9101, OpenID Connect Core §6.1).

const JAR: &str = "0oajar";
const JAR_SECRET: &str = "a-client-secret-long-enough-for-an-hmac-key-1";

/// A `client_secret_jwt` client whose secret the directory keeps, so HS256 request objects verify.
async fn jar_client(f: &Fixture) {
    let mut record = client(json!({
        "client_id": JAR, "client_name": "jar", "application_type": "web",
        "redirect_uris": [WEB_CB], "response_types": ["code"], "grant_types": ["authorization_code"],
        "token_endpoint_auth_method": "client_secret_jwt"
    }));
    record.client_secret_hash = Some(crate::secret::SecretHash::of(JAR_SECRET));
    let directory = f.server.directory();
    directory.put_client(record).await.unwrap();
    directory.set_client_secret_jwt_key(JAR, Some(crate::secret::ClientSecret::from_received(JAR_SECRET)));
    directory.assign_user(JAR, USER).unwrap();
}

fn request_object(members: &Value) -> String {
    jose::sign_hmac(jose::HmacAlgorithm::HS256, JAR_SECRET.as_bytes(), members).unwrap()
}

fn jar_query(request: &str, redirect_uri: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", JAR),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", redirect_uri),
            ("state", "outer"),
            ("request", request),
        ])
        .finish()
}

#[tokio::test]
async fn a_signed_request_objects_parameters_are_used() {
    // RFC 9101 §6.3 and OpenID Connect Core §6.1: the request object's values are used, its
    // `redirect_uri` over the query's (conformance suite `oidcc-ensure-request-object-with-
    // redirect-uri`: the query's is unregistered); Okta: "the values in the JWT override the
    // query URI values".
    let f = fixture().await;
    jar_client(&f).await;
    let mut members = json!({
        "iss": JAR, "aud": "https://id.example.com/oauth2/default",
        "client_id": JAR, "response_type": "code", "redirect_uri": WEB_CB, "state": "inner",
        "scope": "openid profile", "nonce": "n-1", "jti": "jar-1"
    });
    let issuer = f
        .server
        .openid_configuration("default", &EndpointRequest::get(""))
        .await;
    let issuer = issuer.json_body().unwrap()["issuer"].as_str().unwrap().to_owned();
    members["aud"] = json!(issuer);
    let q = jar_query(&request_object(&members), "https://unregistered.example/cb");
    let got = delivered(f.signed_in(&q).await);
    assert!(got.get("code").is_some(), "{got:?}");
    assert_eq!(got.get("state"), Some("inner"));
    // Okta: a `jti` already processed is refused, at the (trusted) redirect URI of the object.
    let got = assert_error(
        f.signed_in(&q).await,
        "invalid_request_object",
        "The request object has already been used.",
    );
    assert_eq!(got.get("state"), Some("inner"));
    // Asking the user to sign in does not spend it: the browser comes back with the same object.
    members["jti"] = json!("jar-2");
    let q = jar_query(&request_object(&members), WEB_CB);
    assert!(matches!(f.authorize(&q, None).await, AuthorizeOutcome::NeedsLogin(_)));
    assert!(delivered(f.signed_in(&q).await).get("code").is_some());
}

#[tokio::test]
async fn unsigned_or_forged_request_objects_and_request_uri_are_refused() {
    // OpenID Connect Core §3.1.2.6: `invalid_request_object`, `request_uri_not_supported`;
    // delivered to the query's redirect URI when it is registered, else the error page (RFC 6749
    // §4.1.2.1).
    let f = fixture().await;
    jar_client(&f).await;
    let members = json!({"client_id": JAR, "response_type": "code", "redirect_uri": WEB_CB, "state": "inner"});
    let header = jose::b64_encode(br#"{"alg":"none"}"#);
    let payload = jose::b64_encode(serde_json::to_vec(&members).unwrap());
    let unsigned = format!("{header}.{payload}.");
    let got = assert_error(
        f.signed_in(&jar_query(&unsigned, WEB_CB)).await,
        "invalid_request_object",
        "The request object must be signed.",
    );
    assert_eq!(
        got.get("state"),
        Some("outer"),
        "the query's state: the object is not trusted"
    );
    assert_error_page(
        f.signed_in(&jar_query(&unsigned, "https://unregistered.example/cb"))
            .await,
        "The request object must be signed.",
    );
    let forged = jose::sign_hmac(
        jose::HmacAlgorithm::HS256,
        b"not-the-clients-secret-but-long-enough-too",
        &members,
    )
    .unwrap();
    assert_error(
        f.signed_in(&jar_query(&forged, WEB_CB)).await,
        "invalid_request_object",
        "The request object's signature is invalid.",
    );
    let mismatched = request_object(&json!({"client_id": WEB, "redirect_uri": WEB_CB}));
    assert_error(
        f.signed_in(&jar_query(&mismatched, WEB_CB)).await,
        "invalid_request_object",
        "The request object's parameters do not match the request's.",
    );
    let by_reference = query(WEB, WEB_CB, "code", "request_uri=https%3A%2F%2Fweb.example%2Fro.jwt");
    assert_error(
        f.signed_in(&by_reference).await,
        "request_uri_not_supported",
        "The 'request_uri' parameter is not supported.",
    );
}

// ---------------------------------------------------------------------------------------------
// The `claims` parameter and `acr_values`.

fn id_token_payload(got: &Delivered) -> Value {
    let payload = got.get("id_token").unwrap().split('.').nth(1).unwrap();
    serde_json::from_slice(&jose::b64_decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn the_claims_parameter_and_acr_values_reach_the_id_token() {
    // OpenID Connect Core §5.5: individually requested claims are returned when the user has
    // them, here without the `profile` scope; §3.1.2.1 and Okta's `acr_values` ("chooses one and
    // reflects the chosen value in any resulting tokens"). Conformance suite
    // `oidcc-claims-essential` (response_type=id_token) and
    // `oidcc-ensure-request-with-acr-values-succeeds`.
    let f = fixture().await;
    let claims = r#"{"id_token": {"given_name": {"essential": true}, "phone_number": null}}"#;
    let encoded: String = url::form_urlencoded::byte_serialize(claims.as_bytes()).collect();
    let extra = format!("claims={encoded}&acr_values=urn%3Aokta%3Aloa%3A2fa%3Aany+urn%3Aokta%3Aloa%3A1fa%3Apwd");
    let q = query(SPA, SPA_CB, "id_token", &extra).replace("openid+profile+email", "openid");
    let token = id_token_payload(&delivered(f.signed_in(&q).await));
    assert_eq!(token["given_name"], "Ada");
    assert!(token.get("phone_number").is_none(), "the user has none");
    assert!(token.get("family_name").is_none(), "not requested, scope not granted");
    assert_eq!(
        token["acr"], "urn:okta:loa:1fa:pwd",
        "a password session: the second value"
    );

    let plain = query(SPA, SPA_CB, "id_token", "").replace("openid+profile+email", "openid");
    let token = id_token_payload(&delivered(f.signed_in(&plain).await));
    assert!(token.get("acr").is_none() && token.get("given_name").is_none());

    let bad = query(SPA, SPA_CB, "id_token", "claims=%5B%5D");
    assert_error(
        f.signed_in(&bad).await,
        "invalid_request",
        "The 'claims' parameter is invalid.",
    );
}

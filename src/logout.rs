//! RP-initiated logout decisions (OpenID Connect RP-Initiated Logout 1.0 §2–§3; Okta's "Logout"
//! endpoint in the OpenID Connect & OAuth 2.0 API reference): pure functions of the request, the
//! server's published keys, the client and the host's session.
//!
//! - `id_token_hint` is optional (§2 only RECOMMENDS it). When sent it must be an ID token this
//!   server signed: signature against the published JWKS and `iss`, so a token signed by anyone
//!   else or rewritten to `alg: none` is refused. An **expired** one is accepted, as Okta does
//!   (the user may well sign out after the token's hour).
//! - `client_id` (§2) names the client when there is no hint; with a hint it must be the
//!   token's `aud`.
//! - `post_logout_redirect_uri`, when given, must be registered (exactly, so no added query) on
//!   the client the hint or `client_id` identifies; without either there is no client to check
//!   it against and the request is refused (§3: no redirect "unless the OP has other means of
//!   confirming the legitimacy of the post-logout redirection target"). `state` is passed back.
//! - The host session to end: with a hint, the request's session when its user is the token's
//!   subject (Okta: "logs the user out of Okta if the subject matches the current Okta
//!   session"); without one, the request's session, whoever it belongs to (§2: the End-User at
//!   the OP is the one logging out).

use url::Url;

use crate::claims::IdTokenClaims;
use crate::endpoint::{EndpointRequest, Method, Params, Reason, Session};
use crate::jose::{self, Jwks};
use crate::model::ClientRecord;

/// The logout request's parameters: the query of a `GET`, the form of a `POST`
/// (RP-Initiated Logout §2), each sent once.
pub(crate) fn parameters(request: &EndpointRequest<'_>) -> Result<Params, Reason> {
    let input = match request.method {
        Method::Get => request.query,
        Method::Post => request.form.unwrap_or_default(),
        _ => return Err(Reason::MethodNotAllowed),
    };
    Params::parse(input).map_err(|_| Reason::BrowserRepeatedParameter)
}

/// Who a logout request names: the verified ID token, if one was sent, and the client.
#[derive(Debug)]
pub(crate) struct Named {
    /// The claims of the `id_token_hint`.
    pub(crate) hint: Option<IdTokenClaims>,
    /// The client: the hint's `aud`, else the `client_id` parameter.
    pub(crate) client_id: Option<String>,
}

/// Verifies the request's `id_token_hint` (if any) against `jwks` and `issuer` and works out the
/// client it names, checking `client_id` against the token's audience.
pub(crate) fn named(params: &Params, jwks: &Jwks, issuer: &str) -> Result<Named, Reason> {
    let hint = params
        .get("id_token_hint")
        .map(|hint| id_token_hint(hint, jwks, issuer))
        .transpose()?;
    let client_id = match (&hint, params.get("client_id")) {
        (Some(claims), Some(client_id)) if claims.aud != client_id => return Err(Reason::LogoutClientIdMismatch),
        (Some(claims), _) => Some(claims.aud.clone()),
        (None, client_id) => client_id.map(str::to_owned),
    };
    Ok(Named { hint, client_id })
}

/// The claims of `hint` if it is an ID token `issuer` signed with one of `jwks` (expiry not
/// checked).
fn id_token_hint(hint: &str, jwks: &Jwks, issuer: &str) -> Result<IdTokenClaims, Reason> {
    jose::verify(hint, jwks)
        .ok()
        .and_then(|verified| verified.claims::<IdTokenClaims>().ok())
        .filter(|claims| claims.iss == issuer && claims.jti.starts_with("ID."))
        .ok_or(Reason::InvalidIdTokenHint)
}

/// A `post_logout_redirect_uri` needs a client to be registered on: without a hint or a
/// `client_id` it is refused (RP-Initiated Logout §3).
pub(crate) fn redirect_client(named: &Named) -> Result<&str, Reason> {
    named.client_id.as_deref().ok_or(Reason::MissingIdTokenHint)
}

/// Where to send the browser: `uri` if it is one of `client`'s `post_logout_redirect_uris`, with
/// `state` added (RP-Initiated Logout §3).
pub(crate) fn redirect_target(client: Option<&ClientRecord>, uri: &str, state: Option<&str>) -> Result<Url, Reason> {
    let registered = client.is_some_and(|c| c.client.post_logout_redirect_uris.iter().any(|r| r == uri));
    let mut target = registered
        .then(|| Url::parse(uri).ok())
        .flatten()
        .ok_or(Reason::IllegalPostLogoutRedirectUri)?;
    if let Some(state) = state {
        target.query_pairs_mut().append_pair("state", state);
    }
    Ok(target)
}

/// The host session to end: with a hint, the request's when its user is the token's subject;
/// without one, the request's.
pub(crate) fn session_to_end<'s>(session: Option<&'s Session>, hint: Option<&IdTokenClaims>) -> Option<&'s Session> {
    session.filter(|session| hint.is_none_or(|claims| session.user_id == claims.sub))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    fn client(uris: &[&str]) -> ClientRecord {
        ClientRecord {
            client: serde_json::from_value(json!({
                "client_id": "0oaweb", "client_name": "Web", "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": ["authorization_code"], "response_types": ["code"],
                "redirect_uris": ["https://app.example.com/callback"], "post_logout_redirect_uris": uris,
                "application_type": "web"
            }))
            .unwrap(),
            client_secret_hash: None,
            client_secret_expires_at: None,
            last_updated: None,
        }
    }

    fn claims(sub: &str) -> IdTokenClaims {
        serde_json::from_value(json!({
            "sub": sub, "ver": 1, "iss": "https://id.example.com/oauth2/default", "aud": "0oaweb",
            "iat": 0, "exp": 3600, "jti": "ID.x", "amr": ["pwd"], "idp": "00o1"
        }))
        .unwrap()
    }

    #[test]
    fn only_a_registered_uri_is_a_target_and_it_gets_the_state() {
        // RP-Initiated Logout §3: the URI must have been registered; `state` is passed back.
        let web = client(&["https://app.example.com/signed-out"]);
        let target = redirect_target(Some(&web), "https://app.example.com/signed-out", Some("a b&c")).unwrap();
        assert_eq!(target.as_str(), "https://app.example.com/signed-out?state=a+b%26c");
        for (record, uri) in [
            (Some(&web), "https://app.example.com/signed-out/"),
            (Some(&web), "https://evil.example.com/"),
            (None, "https://app.example.com/signed-out"),
        ] {
            assert!(matches!(
                redirect_target(record, uri, None),
                Err(Reason::IllegalPostLogoutRedirectUri)
            ));
        }
    }

    #[test]
    fn the_hint_is_optional_but_must_verify_when_sent() {
        // RP-Initiated Logout §2: `id_token_hint` is RECOMMENDED, not required; when present
        // "the OP MUST validate that it was the issuer of the ID Token". The suite's
        // `oidcc-rp-initiated-logout-no-params` sends nothing at all.
        let jwks = Jwks { keys: Vec::new() };
        let issuer = "https://id.example.com/oauth2/default";
        let nothing = named(&Params::parse("").unwrap(), &jwks, issuer).unwrap();
        assert!(nothing.hint.is_none() && nothing.client_id.is_none());
        let by_id = named(&Params::parse("client_id=0oaweb&state=x").unwrap(), &jwks, issuer).unwrap();
        assert_eq!(by_id.client_id.as_deref(), Some("0oaweb"));
        // `oidcc-rp-initiated-logout-bad-id-token-hint` (signed by another key) and
        // `-modified-id-token-hint` (`alg: none`).
        let header = jose::b64_encode(br#"{"alg":"none"}"#);
        let payload = jose::b64_encode(br#"{"iss":"https://id.example.com/oauth2/default","jti":"ID.x"}"#);
        for bad in ["x.y.z".to_owned(), format!("{header}.{payload}.")] {
            let params = Params::parse(&format!("id_token_hint={bad}")).unwrap();
            assert!(matches!(named(&params, &jwks, issuer), Err(Reason::InvalidIdTokenHint)));
        }
    }

    #[test]
    fn a_redirect_needs_a_client_to_check_it_against() {
        // RP-Initiated Logout §3: without the hint "the OP MUST NOT perform post-logout
        // redirection unless the OP has other means of confirming the legitimacy of the
        // post-logout redirection target" (suite: `oidcc-rp-initiated-logout-no-id-token-hint`).
        let anonymous = Named {
            hint: None,
            client_id: None,
        };
        assert!(matches!(redirect_client(&anonymous), Err(Reason::MissingIdTokenHint)));
        let by_id = Named {
            hint: None,
            client_id: Some("0oaweb".into()),
        };
        assert_eq!(redirect_client(&by_id).unwrap(), "0oaweb");
    }

    #[test]
    fn parameters_come_from_the_query_of_a_get_or_the_form_of_a_post() {
        use crate::endpoint::EndpointRequest;
        let get = EndpointRequest::get("state=q");
        assert_eq!(parameters(&get).unwrap().get("state"), Some("q"));
        let mut post = EndpointRequest::post("state=f");
        post.query = "state=q";
        assert_eq!(parameters(&post).unwrap().get("state"), Some("f"));
        let mut put = EndpointRequest::get("");
        put.method = Method::Put;
        assert!(matches!(parameters(&put), Err(Reason::MethodNotAllowed)));
        assert!(matches!(
            parameters(&EndpointRequest::get("state=a&state=b")),
            Err(Reason::BrowserRepeatedParameter)
        ));
    }

    #[test]
    fn with_a_hint_only_the_subjects_session_ends_without_one_the_requests() {
        let session = Session {
            id: "sess-1".into(),
            user_id: "00ualice".into(),
            auth_time: datetime!(2026-01-01 0:00 UTC),
            amr: vec!["pwd".into()],
        };
        let ended = |hint: Option<&IdTokenClaims>| session_to_end(Some(&session), hint).map(|s| s.id.as_str());
        assert_eq!(ended(Some(&claims("00ualice"))), Some("sess-1"));
        assert_eq!(ended(Some(&claims("00ubob"))), None);
        assert_eq!(ended(None), Some("sess-1"));
        assert!(session_to_end(None, Some(&claims("00ualice"))).is_none());
    }
}

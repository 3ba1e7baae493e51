//! RP-initiated logout decisions (OpenID Connect RP-Initiated Logout 1.0 §2–§3; Okta's "Logout"
//! endpoint in the OpenID Connect & OAuth 2.0 API reference): pure functions of the request, the
//! server's published keys, the ID token's client and the host's session.
//!
//! - `id_token_hint` is required and must be an ID token this server signed: signature against
//!   the published JWKS and `iss`. An **expired** one is accepted, as Okta does (the user may
//!   well sign out after the token's hour).
//! - `post_logout_redirect_uri`, when given, must be registered (exactly) on the client the ID
//!   token was issued to (its `aud`).
//! - The host session to end is the request's session when its user is the ID token's subject
//!   (Okta: "logs the user out of Okta if the subject matches the current Okta session").

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

/// The claims of the request's `id_token_hint`, if it is an ID token `issuer` signed with one of
/// `jwks` (expiry not checked).
pub(crate) fn id_token_hint(params: &Params, jwks: &Jwks, issuer: &str) -> Result<IdTokenClaims, Reason> {
    let hint = params.get("id_token_hint").ok_or(Reason::MissingIdTokenHint)?;
    jose::verify(hint, jwks)
        .ok()
        .and_then(|verified| verified.claims::<IdTokenClaims>().ok())
        .filter(|claims| claims.iss == issuer && claims.jti.starts_with("ID."))
        .ok_or(Reason::InvalidIdTokenHint)
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

/// The host session to end: the request's, when its user is the ID token's subject.
pub(crate) fn session_to_end(session: Option<&Session>, claims: &IdTokenClaims) -> Option<String> {
    session
        .filter(|session| session.user_id == claims.sub)
        .map(|session| session.id.clone())
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
    fn the_hint_is_required_and_must_verify() {
        let jwks = Jwks { keys: Vec::new() };
        let issuer = "https://id.example.com/oauth2/default";
        let missing = Params::parse("state=x").unwrap();
        assert!(matches!(
            id_token_hint(&missing, &jwks, issuer),
            Err(Reason::MissingIdTokenHint)
        ));
        let garbage = Params::parse("id_token_hint=x.y.z").unwrap();
        assert!(matches!(
            id_token_hint(&garbage, &jwks, issuer),
            Err(Reason::InvalidIdTokenHint)
        ));
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
    fn only_the_subjects_session_ends() {
        let session = Session {
            id: "sess-1".into(),
            user_id: "00ualice".into(),
            auth_time: datetime!(2026-01-01 0:00 UTC),
            amr: vec!["pwd".into()],
        };
        assert_eq!(
            session_to_end(Some(&session), &claims("00ualice")).as_deref(),
            Some("sess-1")
        );
        assert_eq!(session_to_end(Some(&session), &claims("00ubob")), None);
        assert_eq!(session_to_end(None, &claims("00ualice")), None);
    }
}

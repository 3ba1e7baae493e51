//! Authorize endpoint decisions (RFC 6749 §3.1, §4.1, §4.2; OpenID Connect Core §3; Okta's
//! "Authorize" endpoint in the OpenID Connect & OAuth 2.0 API reference): pure functions of the
//! request, the client, the session, the user and the instant, for the authorization code,
//! implicit and hybrid flows.
//!
//! # Order of checks
//!
//! 1. `client_id` must name an `ACTIVE` client and `redirect_uri` must equal one of its
//!    registered URIs exactly (case-sensitive, trailing slash included; RFC 9700 §2.1). Otherwise
//!    the answer is a 400 HTML error page: **never a redirect** (RFC 6749 §4.1.2.1), since the
//!    client cannot be trusted to receive it. A repeated or oversized parameter is refused the
//!    same way.
//! 2. `request_uri` is refused and a `request` object verified and merged into the parameters
//!    ([`request_object`]). Everything else is delivered to the client by the response mode, with
//!    `error`, `error_description` and `state` (only when `state` itself is valid):
//!    `response_type` (allowed by the client's `response_types` and `grant_types`),
//!    `response_mode`, `state`, `scope`, `nonce`, `prompt`, `max_age`, PKCE ([`request`]).
//! 3. The session: none, `prompt=login`, or older than `max_age` → [`LoginRequired`] with its
//!    [`LoginReason`] (or `login_required` for `prompt=none`), unless the host authenticated the
//!    user in answer to this very request ([`EndpointRequest::fresh_session`]).
//! 4. The user must be `ACTIVE` and assigned to the client; then the access policies are
//!    evaluated (`authorization_code` for a code, `implicit` for tokens, both for hybrid).
//! 5. Issue: the code (stored as a hash with its grant, [`AUTHORIZATION_CODE_LIFETIME`]), the
//!    access token, the ID token (all claims of the scopes when no access token comes with it,
//!    else only `alwaysIncludeInToken` ones; `at_hash`, `c_hash`, `nonce`).
//!
//! # Choices where Okta is silent
//!
//! - `nonce` is required when an ID token comes back from `/authorize` (OpenID Connect Core
//!   §3.2.2.1, §3.3.2.11); Okta's error text, kept, also names `token`, but `code token` and
//!   `token` need none.
//! - `state` is any VSCHAR (RFC 6749 Appendix A.5), a superset of Okta's documented alphabet, at
//!   most [`MAX_STATE_LEN`](request::MAX_STATE_LEN) bytes.
//! - `okta_post_message` is refused for the pure code flow but allowed for hybrid, and only for
//!   `http`/`https` redirect URIs, whose origin is the message's `targetOrigin`.
//! - `prompt=login` and `max_age` (OpenID Connect Core §3.1.2.1): an existing session never
//!   satisfies `prompt=login`, nor `max_age` once older than it; the outcome asks the host to
//!   authenticate the user afresh ([`LoginReason::PromptLogin`], [`LoginReason::MaxAge`]). The
//!   host then resumes the request with the new session marked as authenticated in answer to it
//!   ([`EndpointRequest::with_fresh_session`]), which is accepted whatever its age, so the
//!   resumed request does not loop back to the sign-in page. No time window stands in for that
//!   proof: a session seconds old is not a fresh authentication.
//! - `claims` (OpenID Connect Core §5.5) adds the standard claims it names to the ID token and
//!   `/userinfo` when the user has them; `acr_values` (or `claims.id_token.acr`) puts the chosen
//!   class in the tokens as `acr` ([`crate::claims`] "requested" step, Okta's `acr_values`).
//! - `consent` in `prompt` is accepted and changes nothing (consent is not modelled).
//! - `sessionToken` is not redeemed here: the host resolves it to a session before calling, and
//!   otherwise gets it back in [`LoginRequired::session_token`].
//! - A session naming an unknown or inactive user is refused with `access_denied`, not sent back
//!   to the login page (which could loop).
//! - Request objects: `request` is verified with the client's keys and its members become the
//!   request's parameters ([`request_object`]), before `redirect_uri` is checked, so the request
//!   object's `redirect_uri` is the one used (OpenID Connect Core §6.1). A request object that
//!   does not verify is `invalid_request_object`, delivered to the query's `redirect_uri` when it
//!   is registered, else on the error page. `request_uri` is `request_uri_not_supported`.

pub(crate) mod request;
pub(crate) mod request_object;
pub(crate) mod response;

use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use url::Url;

use crate::claims::IdTokenClaimSet;
use crate::endpoint::{EndpointRequest, Method, OAuthError, Params, ParamsError, Reason, Session};
use crate::grant::{self, NewGrant};
use crate::model::{Client, ClientRecord, GrantType, OFFLINE_ACCESS, User};
use crate::policy::Decision;
use crate::secret::AuthorizationCode;
use crate::server::LoginReason;
use crate::store::grants::{AuthorizationCodeRecord, Grant, GrantId};
use crate::{AuthorizeOutcome, LoginRequired};
use request::{ResponseMode, ResponseTypes, ValidRequest};

/// How long an authorization code lives (Okta: 300 s; RFC 6749 §4.1.2 recommends at most ten
/// minutes).
pub(crate) const AUTHORIZATION_CODE_LIFETIME: Duration = Duration::seconds(300);

/// The authorization request's parameters: the query, or the form of a `POST` (OpenID Connect
/// Core §3.1.2.1), each sent once (RFC 6749 §3.1) and within the endpoint's limit.
pub(crate) fn parameters(request: &EndpointRequest<'_>) -> Result<Params, Reason> {
    let raw = match (request.method, request.form) {
        (Method::Post, Some(form)) => form,
        _ => request.query,
    };
    Params::parse(raw).map_err(|error| match error {
        ParamsError::TooLong => Reason::AuthorizeParametersTooLong,
        _ => Reason::BrowserRepeatedParameter,
    })
}

/// The request's `client_id`: without one, nothing can be trusted.
pub(crate) fn client_id(params: &Params) -> Result<&str, Reason> {
    params.get("client_id").ok_or(Reason::InvalidClientId)
}

/// The client named by `client_id`, as the directory returned it: it must exist and be `ACTIVE`.
pub(crate) fn trusted_client(client: Option<Arc<ClientRecord>>) -> Result<Arc<ClientRecord>, Reason> {
    client
        .filter(|client| client.client.status.is_active())
        .ok_or(Reason::InvalidClientId)
}

/// `redirect_uri`: exactly one of the client's registered URIs (RFC 9700 §2.1), and a URL.
pub(crate) fn redirect_uri(params: &Params, client: &Client) -> Result<Url, Reason> {
    params
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|registered| registered == uri))
        .and_then(|uri| Url::parse(uri).ok())
        .ok_or(Reason::IllegalRedirectUri)
}

/// Where and how the outcome goes back to the client, once the client and redirect URI are
/// trusted.
pub(crate) struct Delivery<'a> {
    /// The registered redirect URI.
    pub(crate) redirect_uri: Url,
    /// How the parameters travel.
    pub(crate) mode: ResponseMode,
    /// The request's `state`, only if valid ([`request::valid_state`]).
    pub(crate) state: Option<&'a str>,
    /// Whether the redirect URI has an http(s) origin to post messages to.
    pub(crate) web_origin: bool,
}

impl<'a> Delivery<'a> {
    /// The delivery of `params`' outcome to `redirect_uri`.
    pub(crate) fn new(params: &'a Params, redirect_uri: Url) -> Self {
        let web_origin = response::web_origin(&redirect_uri).is_some();
        Self {
            mode: request::delivery_mode(params, web_origin),
            state: params.get("state").filter(|state| request::valid_state(state)),
            redirect_uri,
            web_origin,
        }
    }

    /// `error` for the client, with `state` (RFC 6749 §4.1.2.1).
    pub(crate) fn error(&self, error: &OAuthError) -> AuthorizeOutcome {
        let params = vec![
            ("error", error.code.as_str()),
            ("error_description", error.description.as_ref()),
        ];
        self.success(params)
    }

    /// The response `params`, with `state`.
    pub(crate) fn success<'p>(&'p self, mut params: Vec<(&'p str, &'p str)>) -> AuthorizeOutcome {
        params.extend(self.state.map(|state| ("state", state)));
        AuthorizeOutcome::Respond(response::deliver(&self.redirect_uri, self.mode, &params))
    }
}

/// The session, if it may be used at `now` (OpenID Connect Core §3.1.2.1), else why the user
/// must sign in: there is none, `prompt=login` asks for a new authentication, or the session's
/// `auth_time` is more than `max_age` seconds ago. A session the host established in answer to
/// this request (`fresh`) is always usable: it is the re-authentication the request asked for.
pub(crate) fn usable_session<'s>(
    session: Option<&'s Session>,
    fresh: bool,
    valid: &ValidRequest<'_>,
    now: OffsetDateTime,
) -> Result<&'s Session, LoginReason> {
    let session = session.ok_or(LoginReason::NoSession)?;
    if fresh {
        return Ok(session);
    }
    if valid.prompt.login {
        return Err(LoginReason::PromptLogin);
    }
    match valid.max_age {
        Some(max_age) if now - session.auth_time > Duration::seconds(i64::from(max_age)) => Err(LoginReason::MaxAge),
        _ => Ok(session),
    }
}

/// No usable session: `login_required` for `prompt=none` (OpenID Connect Core §3.1.2.6), else
/// what the host needs to sign the user in, and why.
pub(crate) fn login_required(
    params: &Params,
    valid: &ValidRequest<'_>,
    client_id: &str,
    reason: LoginReason,
) -> Result<LoginRequired, Reason> {
    if valid.prompt.none {
        return Err(Reason::LoginRequired);
    }
    let owned = |name: &str| params.get(name).map(str::to_owned);
    Ok(LoginRequired {
        client_id: client_id.to_owned(),
        login_hint: owned("login_hint"),
        idp: owned("idp"),
        idp_scope: owned("idp_scope"),
        display: params
            .get("display")
            .filter(|display| matches!(*display, "page" | "popup"))
            .map(str::to_owned),
        session_token: owned("sessionToken"),
        reason,
        max_age: valid.max_age,
    })
}

/// The session's user as the directory has them: known and able to sign in (`access_denied`,
/// not back to the login page, which could loop).
pub(crate) fn signed_in_user(user: Option<User>) -> Result<User, Reason> {
    user.filter(|user| user.status.can_sign_in())
        .ok_or(Reason::SessionUserInactive)
}

/// The grants a request is issued under: the code's (`authorization_code`) and the tokens'
/// (`implicit`); a hybrid request has both, sharing one grant id so that revoking it (e.g. on a
/// replayed code) revokes the tokens too.
pub(crate) struct Grants {
    /// The id both share.
    pub(crate) id: GrantId,
    /// The code's grant.
    pub(crate) code: Option<Grant>,
    /// The tokens' grant.
    pub(crate) tokens: Option<Grant>,
}

impl Grants {
    /// No grant yet, under id `id`.
    pub(crate) fn new(id: GrantId) -> Self {
        Self {
            id,
            code: None,
            tokens: None,
        }
    }

    /// Adds the grant of `grant_type` made from `decision`. Without a code, `offline_access` is
    /// dropped, a default scope too (Okta: refresh tokens come only with a code).
    pub(crate) fn add(&mut self, new: NewGrant<'_>, decision: &Decision<'_>, types: ResponseTypes) {
        let grant_type = new.grant_type;
        let mut grant = grant::grant_from_decision(
            NewGrant {
                id: self.id.clone(),
                ..new
            },
            decision,
        );
        if !types.code {
            grant.scopes.retain(|scope| scope != OFFLINE_ACCESS);
        }
        match grant_type {
            GrantType::AuthorizationCode => self.code = Some(grant),
            _ => self.tokens = Some(grant),
        }
    }

    /// Records on each grant what the request asked for beyond its scopes: the `acr` chosen for
    /// a session authenticated by `amr`, and the individual claims of the `claims` parameter.
    pub(crate) fn record_request(&mut self, valid: &ValidRequest<'_>, amr: &[String]) {
        let acr = valid
            .acr
            .as_deref()
            .map(|requested| crate::claims::choose_acr(requested, amr));
        for grant in self.code.iter_mut().chain(self.tokens.iter_mut()) {
            grant.acr.clone_from(&acr);
            grant.requested_claims.clone_from(&valid.requested_claims);
        }
    }

    /// The tokens' scopes must still hold `openid` where the response needs it, now that the
    /// policies decided them.
    pub(crate) fn check_openid(&self, types: ResponseTypes) -> Result<(), Reason> {
        match &self.tokens {
            Some(tokens) => request::check_openid(&tokens.scopes, types),
            None => Ok(()),
        }
    }
}

/// The stored record of `code` for `grant` (RFC 6749 §4.1.2): the redirect URI, challenge and
/// nonce the token request is checked against, and its expiry.
pub(crate) fn code_record(
    code: &AuthorizationCode,
    grant: &Grant,
    delivery: &Delivery<'_>,
    valid: &ValidRequest<'_>,
    now: OffsetDateTime,
) -> AuthorizationCodeRecord {
    AuthorizationCodeRecord {
        code_hash: code.hash(),
        grant: grant.clone(),
        redirect_uri: Some(delivery.redirect_uri.as_str().to_owned()),
        code_challenge: valid.code_challenge.map(str::to_owned),
        nonce: valid.nonce.map(str::to_owned),
        expires_at: now.saturating_add(AUTHORIZATION_CODE_LIFETIME),
    }
}

/// An ID token from `/authorize` carries every claim of its scopes when no access token comes
/// with it, else only the `alwaysIncludeInToken` ones (OpenID Connect Core §5.4).
pub(crate) fn id_token_claim_set(with_access_token: bool) -> IdTokenClaimSet {
    if with_access_token {
        IdTokenClaimSet::AlwaysIncluded
    } else {
        IdTokenClaimSet::All
    }
}

#[cfg(test)]
mod tests;

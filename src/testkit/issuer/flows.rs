//! Tokens through the real flows: the calls a client makes, answered by the real endpoints, with
//! the policies, rules and claims the test configured.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use url::form_urlencoded::Serializer;

use super::configure::REDIRECT_URI;
use super::{SERVER_ID, TestIssuer, json_of, run};
use crate::AuthorizeOutcome;
use crate::endpoint::{EndpointRequest, EndpointResponse, Session};

/// The tokens of a successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Tokens {
    /// `access_token`.
    pub access_token: String,
    /// `id_token`, when `openid` was granted to a user.
    pub id_token: Option<String>,
    /// `refresh_token`, when `offline_access` was granted.
    pub refresh_token: Option<String>,
    /// `scope`: the granted scopes, space-separated.
    pub scope: String,
    /// `expires_in`, seconds.
    pub expires_in: i64,
    /// The whole response body.
    pub body: Value,
}

/// A refused flow: the OAuth error as the endpoint answered it (RFC 6749 §4.1.2.1, §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error}: {description}")]
#[non_exhaustive]
pub struct TokenFailure {
    /// The HTTP status (302 for an error redirected from `/authorize`).
    pub status: u16,
    /// `error`.
    pub error: String,
    /// `error_description`.
    pub description: String,
}

/// The PKCE verifier of [`TestIssuer::authorization_code`] (RFC 7636 Appendix B's).
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

impl TestIssuer {
    /// Client credentials (RFC 6749 §4.4) for client `client_id`, asking for `scopes`.
    ///
    /// # Errors
    /// The endpoint's refusal, e.g. `invalid_scope` for a scope no policy grants.
    pub fn client_credentials(&self, client_id: &str, scopes: &[&str]) -> Result<Tokens, TokenFailure> {
        let mut form = Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials");
        if !scopes.is_empty() {
            // No `scope` at all asks for the server's default scopes (RFC 6749 §3.3).
            form.append_pair("scope", &scopes.join(" "));
        }
        self.token(client_id, form.finish())
    }

    /// The resource owner password grant (RFC 6749 §4.3) for user `login` at client `client_id`.
    ///
    /// # Errors
    /// The endpoint's refusal, e.g. `invalid_grant` for a wrong password.
    pub fn password(
        &self,
        client_id: &str,
        login: &str,
        password: &str,
        scopes: &[&str],
    ) -> Result<Tokens, TokenFailure> {
        let form = Serializer::new(String::new())
            .append_pair("grant_type", "password")
            .append_pair("username", login)
            .append_pair("password", password)
            .append_pair("scope", &scopes.join(" "))
            .finish();
        self.token(client_id, form)
    }

    /// The authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636) for user `user_id`, who
    /// is signed in without a browser: `/authorize` sees a fresh session, redirects to the
    /// client's [`REDIRECT_URI`] with a code, and the code is
    /// redeemed at `/token`.
    ///
    /// # Errors
    /// The error `/authorize` redirected with, or the token endpoint's refusal.
    pub fn authorization_code(&self, client_id: &str, user_id: &str, scopes: &[&str]) -> Result<Tokens, TokenFailure> {
        let query = Serializer::new(String::new())
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("scope", &scopes.join(" "))
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("state", "test-state")
            .append_pair("nonce", "test-nonce")
            .append_pair("code_challenge_method", "S256")
            .append_pair("code_challenge", &crate::pkce::s256_challenge(VERIFIER))
            .finish();
        let session = Session {
            id: format!("test-session-{user_id}"),
            user_id: user_id.to_owned(),
            auth_time: self.now(),
            amr: vec!["pwd".to_owned()],
        };
        let request = EndpointRequest::get(&query).with_session(&session);
        let response = match run(self.server.authorize(SERVER_ID, &request)) {
            AuthorizeOutcome::Respond(response) => response,
            AuthorizeOutcome::NeedsLogin(_) => {
                return Err(failure(
                    401,
                    "login_required",
                    "The session did not satisfy /authorize.",
                ));
            }
        };
        let redirect = response
            .header("Location")
            .and_then(|location| url::Url::parse(location).ok())
            .ok_or_else(|| {
                failure(
                    response.status,
                    "invalid_request",
                    "/authorize answered with an error page.",
                )
            })?;
        let param = |name: &str| {
            redirect
                .query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.into_owned())
        };
        let code = param("code").ok_or_else(|| {
            failure(
                response.status,
                &param("error").unwrap_or_default(),
                &param("error_description").unwrap_or_default(),
            )
        })?;
        let form = Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", &code)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("code_verifier", VERIFIER)
            .finish();
        self.token(client_id, form)
    }

    /// The refresh token grant (RFC 6749 §6) for client `client_id`.
    ///
    /// # Errors
    /// The endpoint's refusal, e.g. `invalid_grant` for a reused or expired token.
    pub fn refresh(&self, client_id: &str, refresh_token: &str) -> Result<Tokens, TokenFailure> {
        let form = Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh_token)
            .finish();
        self.token(client_id, form)
    }

    /// `POST /token` as client `client_id`: HTTP Basic with its secret when this issuer knows
    /// one, else `client_id` in the form.
    fn token(&self, client_id: &str, mut form: String) -> Result<Tokens, TokenFailure> {
        let basic = self
            .secret_of(client_id)
            .map(|secret| format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}"))));
        if basic.is_none() {
            form = Serializer::for_suffix(form, 0)
                .append_pair("client_id", client_id)
                .finish();
        }
        let mut request = EndpointRequest::post(&form);
        request.authorization = basic.as_deref();
        tokens(&run(self.server.token(SERVER_ID, &request)))
    }
}

/// The tokens of a 200 answer, or the failure.
fn tokens(response: &EndpointResponse) -> Result<Tokens, TokenFailure> {
    let body = json_of(response);
    let text = |name: &str| body[name].as_str().map(str::to_owned);
    if response.status != 200 {
        return Err(failure(
            response.status,
            &text("error").unwrap_or_default(),
            &text("error_description").unwrap_or_default(),
        ));
    }
    Ok(Tokens {
        access_token: text("access_token").unwrap_or_default(),
        id_token: text("id_token"),
        refresh_token: text("refresh_token"),
        scope: text("scope").unwrap_or_default(),
        expires_in: body["expires_in"].as_i64().unwrap_or_default(),
        body: body.clone(),
    })
}

fn failure(status: u16, error: &str, description: &str) -> TokenFailure {
    TokenFailure {
        status,
        error: error.to_owned(),
        description: description.to_owned(),
    }
}

//! Browser sessions and Okta's one-time session tokens, kept in the memory of this instance by
//! their SHA-256 (several instances behind one load balancer need sticky sessions).
//!
//! - A **session token** is what `POST /api/v1/authn` hands out: single use, valid five minutes,
//!   exchanged at `/v1/authorize?sessionToken=…` for a session.
//! - A **session** is the `authserver_sid` cookie: valid two hours from sign-in (Okta's default maximum
//!   session lifetime), ended by `/v1/logout`.
//! - A **fresh mark** is the proof that a session's sign-in answered one authorization request:
//!   the sign-in form's post marks the new session with the request it returns to, and the first
//!   `/authorize` of exactly that request takes the mark and tells the library the session is
//!   a new authentication (`prompt=login`, `max_age`; OpenID Connect Core §3.1.2.1). The mark
//!   stays on this side: the browser cannot forge it, and it works once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::header::COOKIE as COOKIE_HEADER;
use axum::http::request::Parts;
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::endpoint::Session;
use crate::secret::{ClientSecret, SecretHash};

/// How long a session token can be exchanged.
pub(crate) const SESSION_TOKEN_LIFETIME: Duration = Duration::minutes(5);
/// How long a session lasts after sign-in.
pub(crate) const SESSION_LIFETIME: Duration = Duration::hours(2);
/// The session cookie's name: distinctive, since cookies are not kept apart by port and other
/// development servers on localhost may well use `sid`.
pub(crate) const COOKIE: &str = "authserver_sid";

/// A user who proved their password, waiting to become a session.
struct Pending {
    user_id: String,
    auth_time: OffsetDateTime,
}

/// A live session and, until the request it answered comes back, its fresh mark.
struct Entry {
    session: Session,
    /// The authorization request (`path?query`, as the sign-in form's `return_to`) the session's
    /// sign-in answered, until that request takes the mark.
    fresh_for: Option<String>,
}

/// The host's sessions and pending session tokens.
pub(crate) struct Sessions {
    clock: Arc<dyn Clock>,
    sessions: Mutex<HashMap<SecretHash, Entry>>,
    tokens: Mutex<HashMap<SecretHash, Pending>>,
}

/// A fresh 256-bit random token (base64url), or `None` if the random source failed.
fn random_token() -> Option<String> {
    ClientSecret::generate(&crate::random::SystemRandom)
        .ok()
        .map(|secret| secret.expose().to_owned())
}

impl Sessions {
    /// No sessions yet.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            sessions: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// A one-time session token for `user_id`, who has just proved their password, and when it
    /// expires.
    pub(crate) fn issue_token(&self, user_id: &str) -> Option<(String, OffsetDateTime)> {
        let token = random_token()?;
        let now = self.clock.now();
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|_, pending| now - pending.auth_time < SESSION_TOKEN_LIFETIME);
        tokens.insert(
            SecretHash::of(&token),
            Pending {
                user_id: user_id.to_owned(),
                auth_time: now,
            },
        );
        Some((token, now + SESSION_TOKEN_LIFETIME))
    }

    /// Exchanges a session token for a new session: its cookie value and the session. A token
    /// works once, within five minutes.
    pub(crate) fn redeem(&self, token: &str) -> Option<(String, Session)> {
        let pending = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&SecretHash::of(token))?;
        if self.clock.now() - pending.auth_time >= SESSION_TOKEN_LIFETIME {
            return None;
        }
        self.start(&pending.user_id, pending.auth_time, None)
    }

    /// Starts a session for `user_id`, who signed in with a password at `auth_time`, marked
    /// fresh for the authorization request `fresh_for` (its `path?query`) if the sign-in answered
    /// one.
    pub(crate) fn start(
        &self,
        user_id: &str,
        auth_time: OffsetDateTime,
        fresh_for: Option<&str>,
    ) -> Option<(String, Session)> {
        let cookie = random_token()?;
        let hash = SecretHash::of(&cookie);
        let session = Session {
            id: hash.to_string(),
            user_id: user_id.to_owned(),
            auth_time,
            amr: vec!["pwd".into()],
        };
        let now = self.clock.now();
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.retain(|_, entry| now - entry.session.auth_time < SESSION_LIFETIME);
        let entry = Entry {
            session: session.clone(),
            fresh_for: fresh_for.map(str::to_owned),
        };
        sessions.insert(hash, entry);
        Some((cookie, session))
    }

    /// The live session of a cookie value.
    pub(crate) fn get(&self, cookie: &str) -> Option<Session> {
        self.get_for(cookie, None).map(|(session, _)| session)
    }

    /// The live session of a cookie value and whether it is fresh for the authorization request
    /// `target` (`path?query`): if its mark names `target`, the mark is taken (it works once).
    fn get_for(&self, cookie: &str, target: Option<&str>) -> Option<(Session, bool)> {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = sessions.get_mut(&SecretHash::of(cookie))?;
        if self.clock.now() - entry.session.auth_time >= SESSION_LIFETIME {
            return None;
        }
        let fresh = target.is_some() && entry.fresh_for.as_deref() == target;
        if fresh {
            entry.fresh_for = None;
        }
        Some((entry.session.clone(), fresh))
    }

    /// The session cookie among the request's `Cookie` headers.
    fn cookie_of(parts: &Parts) -> Option<&str> {
        let cookies = parts
            .headers
            .get_all(COOKIE_HEADER)
            .iter()
            .filter_map(|value| value.to_str().ok());
        cookie_value(cookies)
    }

    /// The live session of the request's cookie, if any.
    pub(crate) fn of_request(&self, parts: &Parts) -> Option<Session> {
        Self::cookie_of(parts).and_then(|cookie| self.get(cookie))
    }

    /// The live session of the request's cookie, if any, and whether its sign-in answered the
    /// authorization request `target` (`path?query`), taking the fresh mark if so.
    pub(crate) fn of_authorize_request(&self, parts: &Parts, target: &str) -> Option<(Session, bool)> {
        Self::cookie_of(parts).and_then(|cookie| self.get_for(cookie, Some(target)))
    }

    /// Ends the session whose [`Session::id`] is `id`.
    pub(crate) fn end(&self, id: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, entry| entry.session.id != id);
    }
}

/// The `Set-Cookie` value that stores `cookie` in the browser.
pub(crate) fn set_cookie(cookie: &str) -> String {
    format!(
        "{COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        SESSION_LIFETIME.whole_seconds()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The session cookie's value among a request's `Cookie` headers.
pub(crate) fn cookie_value<'a>(headers: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    headers
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use time::macros::datetime;

    #[test]
    fn session_tokens_work_once_and_expire() {
        let clock = Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC)));
        let sessions = Sessions::new(clock.clone());
        let (token, expires) = sessions.issue_token("00u1").unwrap();
        assert_eq!(expires, datetime!(2026-01-01 0:05 UTC));
        let (cookie, session) = sessions.redeem(&token).unwrap();
        assert_eq!(session.user_id, "00u1");
        assert!(sessions.redeem(&token).is_none(), "single use");
        assert_eq!(sessions.get(&cookie), Some(session.clone()));

        let (late, _) = sessions.issue_token("00u1").unwrap();
        clock.advance(SESSION_TOKEN_LIFETIME);
        assert!(sessions.redeem(&late).is_none(), "expired");

        clock.advance(SESSION_LIFETIME);
        assert!(sessions.get(&cookie).is_none(), "sessions end after two hours");
    }

    #[test]
    fn ending_a_session_forgets_it() {
        let sessions = Sessions::new(Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC))));
        let (cookie, session) = sessions.start("00u1", datetime!(2026-01-01 0:00 UTC), None).unwrap();
        sessions.end(&session.id);
        assert!(sessions.get(&cookie).is_none());
    }

    #[test]
    fn the_cookie_is_http_only_and_lax_and_lives_as_long_as_the_session() {
        assert_eq!(
            set_cookie("abc"),
            "authserver_sid=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=7200"
        );
        assert_eq!(
            clear_cookie(),
            "authserver_sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn a_request_finds_its_session_by_cookie() {
        let sessions = Sessions::new(Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC))));
        let (cookie, session) = sessions.start("00u1", datetime!(2026-01-01 0:00 UTC), None).unwrap();
        let request = axum::http::Request::get("/")
            .header("cookie", format!("other=1; {COOKIE}={cookie}"))
            .body(())
            .unwrap();
        assert_eq!(sessions.of_request(&request.into_parts().0), Some(session));
        let forged = axum::http::Request::get("/")
            .header("cookie", format!("{COOKIE}=forged"))
            .body(())
            .unwrap();
        assert_eq!(sessions.of_request(&forged.into_parts().0), None);
    }

    #[test]
    fn a_fresh_mark_answers_its_own_request_once() {
        // OpenID Connect Core §3.1.2.1: the sign-in that answered `prompt=login` is the new
        // authentication for that request alone, and only once; a session that merely exists
        // never is.
        let sessions = Sessions::new(Arc::new(ManualClock::new(datetime!(2026-01-01 0:00 UTC))));
        let target = "/oauth2/default/v1/authorize?client_id=a&prompt=login&state=s";
        let (cookie, session) = sessions
            .start("00u1", datetime!(2026-01-01 0:00 UTC), Some(target))
            .unwrap();
        let request = |cookie: &str| {
            axum::http::Request::get("/")
                .header("cookie", format!("{COOKIE}={cookie}"))
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        let other = "/oauth2/default/v1/authorize?client_id=b&prompt=login&state=s";
        assert_eq!(
            sessions.of_authorize_request(&request(&cookie), other),
            Some((session.clone(), false)),
            "another request does not take the mark"
        );
        assert_eq!(
            sessions.of_authorize_request(&request(&cookie), target),
            Some((session.clone(), true))
        );
        assert_eq!(
            sessions.of_authorize_request(&request(&cookie), target),
            Some((session, false)),
            "the mark works once"
        );
        let (plain, _) = sessions.start("00u1", datetime!(2026-01-01 0:00 UTC), None).unwrap();
        assert_eq!(
            sessions
                .of_authorize_request(&request(&plain), target)
                .map(|(_, fresh)| fresh),
            Some(false)
        );
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let headers = ["a=1; authserver_sid=abc", "b=2"];
        assert_eq!(cookie_value(headers.into_iter()), Some("abc"));
        assert_eq!(cookie_value(["authserver_sid="].into_iter()), None);
        assert_eq!(cookie_value(["sid=abc"].into_iter()), None);
    }
}

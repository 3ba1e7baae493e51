//! The sign-in page `/v1/authorize` shows when it finds no session, and what `POST /login`
//! accepts as the place to return to.
//!
//! The page is the host's to replace ([`SignInPage`]); the adapter keeps what makes it safe: the
//! form posts to [`LOGIN_PATH`], whose handler accepts posts from this server's own origin only
//! (login CSRF) and returns only to this server's authorization requests (open redirects), and
//! the page is sent with `Cache-Control: no-store` and a Content-Security-Policy that forbids
//! framing.

/// Where the sign-in form posts `username`, `password` and `return_to`.
pub const LOGIN_PATH: &str = "/login";

/// The page's default Content-Security-Policy: nothing loaded, never framed. (No `form-action`:
/// browsers apply it to the redirects that follow the post.)
pub const DEFAULT_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// What a sign-in page shows: a form that posts to [`action`](Self::action) the fields
/// `username`, `password` and `return_to` (a hidden field holding [`return_to`](Self::return_to)
/// as it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInForm<'a> {
    /// Where the form posts ([`LOGIN_PATH`]).
    pub action: &'a str,
    /// The authorization request to repeat after signing in: a local path with its query.
    pub return_to: &'a str,
    /// A login to prefill: the client's `login_hint`, or what the user typed last time.
    pub username: Option<&'a str>,
    /// Whether the last attempt was refused.
    pub failed: bool,
    /// Whether the user is asked to authenticate again although signed in (`prompt=login`, or
    /// the session is older than `max_age`): the page should ask for the credentials anew.
    pub reauthenticate: bool,
}

/// Renders the sign-in page. Implemented for any `Fn(&SignInForm) -> String`, so a closure
/// will do; [`PlainSignInPage`] is the default.
///
/// Every value of the form comes from the request: escape it ([`escape_html`]) before writing it
/// into the page.
pub trait SignInPage: Send + Sync + 'static {
    /// The page's HTML.
    fn render(&self, form: &SignInForm<'_>) -> String;

    /// The page's `Content-Security-Policy` header; override it to load styles or scripts.
    fn content_security_policy(&self) -> &str {
        DEFAULT_CONTENT_SECURITY_POLICY
    }
}

impl<F> SignInPage for F
where
    F: Fn(&SignInForm<'_>) -> String + Send + Sync + 'static,
{
    fn render(&self, form: &SignInForm<'_>) -> String {
        self(form)
    }
}

/// A plain HTML form, unstyled.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainSignInPage;

impl SignInPage for PlainSignInPage {
    fn render(&self, form: &SignInForm<'_>) -> String {
        let notice = if form.failed {
            "<p role=\"alert\">Sign-in failed. Check the username and password.</p>"
        } else if form.reauthenticate {
            "<p>The application asks you to sign in again.</p>"
        } else {
            ""
        };
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>Sign In</title></head><body>\
             <h1>Sign In</h1>{notice}\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"return_to\" value=\"{return_to}\">\
             <label>Username <input name=\"username\" autocomplete=\"username\" value=\"{username}\"></label>\
             <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
             <button type=\"submit\">Sign In</button></form></body></html>",
            action = escape_html(form.action),
            return_to = escape_html(form.return_to),
            username = escape_html(form.username.unwrap_or_default()),
        )
    }
}

/// Escapes text for an HTML attribute value or element content.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Whether `return_to` is an authorization request of this server: a local path (no scheme, no
/// authority) to `/oauth2/{id}/v1/authorize`. Anything else would make `/login` an open redirect.
pub(crate) fn is_authorize_path(return_to: &str) -> bool {
    let path = return_to.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    matches!(segments.as_slice(), ["", "oauth2", id, "v1", "authorize"] if !id.is_empty())
        && !return_to.contains('\\')
        && !return_to.contains('#')
        && !return_to.chars().any(char::is_control)
}

/// The authorization request to repeat after signing in: `path?input` without the spent
/// `sessionToken`.
pub(crate) fn return_to(path: &str, input: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(url::form_urlencoded::parse(input.as_bytes()).filter(|(key, _)| key != "sessionToken"))
        .finish();
    format!("{path}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(return_to: &'a str, username: Option<&'a str>, failed: bool) -> SignInForm<'a> {
        SignInForm {
            action: LOGIN_PATH,
            return_to,
            username,
            failed,
            reauthenticate: false,
        }
    }

    #[test]
    fn the_page_escapes_what_the_client_sent() {
        let page = PlainSignInPage.render(&form(
            "/oauth2/default/v1/authorize?state=\"><script>",
            Some("<b>"),
            true,
        ));
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        assert!(page.contains("&quot;&gt;&lt;script&gt;") && page.contains("Sign-in failed"));
        assert!(page.contains("action=\"/login\""));
    }

    #[test]
    fn a_closure_is_a_page() {
        let page = |form: &SignInForm<'_>| format!("<p>{}</p>", escape_html(form.return_to));
        assert_eq!(page.render(&form("/a?b=<", None, false)), "<p>/a?b=&lt;</p>");
        assert_eq!(page.content_security_policy(), DEFAULT_CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn only_local_authorize_paths_are_return_targets() {
        assert!(is_authorize_path("/oauth2/default/v1/authorize?client_id=x"));
        for target in [
            "https://evil.example/oauth2/default/v1/authorize",
            "//evil.example/oauth2/default/v1/authorize",
            "/oauth2//v1/authorize",
            "/oauth2/default/v1/token",
            "/oauth2/default/v1/authorize/../../x",
            "/\\evil.example/oauth2/default/v1/authorize",
            "/oauth2/default/v1/authorize?x=\r\nSet-Cookie:%20a=b",
            "/oauth2/default/v1/authorize#fragment",
        ] {
            assert!(!is_authorize_path(target), "{target}");
        }
    }

    #[test]
    fn the_return_target_drops_the_spent_session_token() {
        assert_eq!(
            return_to("/oauth2/default/v1/authorize", "client_id=a&sessionToken=t&state=s%20t"),
            "/oauth2/default/v1/authorize?client_id=a&state=s+t"
        );
    }
}

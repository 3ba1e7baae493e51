//! The sign-in page `/v1/authorize` shows when it finds no session: a plain HTML form that posts
//! the username and password to `/login`, which signs the user in and sends the browser back to
//! the same authorization request.

/// Escapes text for an HTML attribute or element.
fn escape(text: &str) -> String {
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

/// The sign-in form. `return_to` is the authorization request to repeat after signing in,
/// `username` a login to prefill (the client's `login_hint`), `failed` whether the last attempt
/// was refused.
pub fn sign_in(return_to: &str, username: Option<&str>, failed: bool) -> String {
    let notice = if failed {
        "<p role=\"alert\">Sign-in failed. Check the username and password.</p>"
    } else {
        ""
    };
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"UTF-8\"><title>Sign In</title></head><body>\
         <h1>Sign In</h1>{notice}\
         <form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"return_to\" value=\"{return_to}\">\
         <label>Username <input name=\"username\" autocomplete=\"username\" value=\"{username}\"></label>\
         <label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
         <button type=\"submit\">Sign In</button></form></body></html>",
        return_to = escape(return_to),
        username = escape(username.unwrap_or_default()),
    )
}

/// Whether `return_to` is an authorization request of this host: a local path (no scheme, no
/// authority) to `/oauth2/{id}/v1/authorize`. Anything else would make `/login` an open
/// redirect.
pub fn is_authorize_path(return_to: &str) -> bool {
    let path = return_to.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    matches!(segments.as_slice(), ["", "oauth2", id, "v1", "authorize"] if !id.is_empty())
        && !return_to.contains('\\')
        && !return_to.contains('#')
        && !return_to.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_what_the_client_sent() {
        let page = sign_in("/oauth2/default/v1/authorize?state=\"><script>", Some("<b>"), true);
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        assert!(page.contains("&quot;&gt;&lt;script&gt;") && page.contains("Sign-in failed"));
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
        ] {
            assert!(!is_authorize_path(target), "{target}");
        }
    }
}

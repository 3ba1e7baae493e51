//! A scripted browser: the session cookie, the sign-in page, and where an authorization request
//! lands (the client's redirect URI, by redirect or `form_post`, or a page of the server).

use url::Url;

use super::{AuthRequest, Host, User, header, http};

/// Where the browser ended up after an authorization request.
#[derive(Debug, Clone)]
pub enum Landing {
    /// At the client's redirect URI: the authorization response.
    Callback(Callback),
    /// On a page of the server (an error page, the sign-in page, the signed-out page).
    Page { status: u16, body: String },
}

impl Landing {
    /// The authorization response; panics with what the browser saw otherwise.
    pub fn callback(self) -> Callback {
        match self {
            Landing::Callback(callback) => callback,
            Landing::Page { status, body } => panic!("expected a redirect to the client, got a {status} page:\n{body}"),
        }
    }

    /// The page; panics if the browser was sent to the client.
    pub fn page(self) -> (u16, String) {
        match self {
            Landing::Page { status, body } => (status, body),
            Landing::Callback(callback) => panic!("expected a page, the server sent the browser to {callback:?}"),
        }
    }
}

/// What reached the client's redirect URI.
#[derive(Debug, Clone)]
pub struct Callback {
    /// The URL the browser was sent to (without the fragment for form post).
    pub url: Url,
    /// `GET`, or `POST` for `form_post`.
    pub method: &'static str,
    /// `Content-Type` of a form post.
    pub content_type: Option<&'static str>,
    /// The URL's query parameters.
    pub query: Vec<(String, String)>,
    /// The URL's fragment parameters.
    pub fragment: Vec<(String, String)>,
    /// The posted form's parameters.
    pub form: Vec<(String, String)>,
    form_post: bool,
    code_flow: bool,
}

impl Callback {
    /// The authorization response's parameters, from where the module reads them: the form
    /// for form post, the query for `code`, the fragment otherwise (`processCallback`).
    pub fn params(&self) -> &[(String, String)] {
        if self.form_post {
            &self.form
        } else if self.code_flow {
            &self.query
        } else {
            &self.fragment
        }
    }

    /// Parameter `name` of the response.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params().iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Parameter `name`, which must be there.
    pub fn require(&self, name: &str) -> String {
        self.get(name)
            .unwrap_or_else(|| panic!("no {name} in the authorization response {:?}", self.params()))
            .to_owned()
    }

    /// The response read from the query, as for `response_type=code` (an error answer to a
    /// request without a response type).
    pub fn read_from_query(mut self) -> Self {
        self.code_flow = true;
        self
    }

    /// The response's parameter names.
    pub fn names(&self) -> Vec<&str> {
        self.params().iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// A browser: the server's session cookie, and the requests a user agent makes.
pub struct Browser {
    base: String,
    cookie: Option<String>,
}

impl Browser {
    /// A browser without cookies.
    pub fn new(host: &Host) -> Self {
        Browser {
            base: host.base.clone(),
            cookie: None,
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match &self.cookie {
            Some(cookie) => request.header("Cookie", format!("authserver_sid={cookie}")),
            None => request,
        };
        let response = request.send().await.expect("the server answers");
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap_or_default();
            if let Some(rest) = value.strip_prefix("authserver_sid=") {
                let cookie = rest.split(';').next().unwrap_or_default();
                let expired = value.contains("Max-Age=0");
                self.cookie = (!cookie.is_empty() && !expired).then(|| cookie.to_owned());
            }
        }
        response
    }

    /// GETs `url` and follows redirects within the server; where it ends.
    pub async fn visit(&mut self, url: &str) -> Landing {
        let response = self.send(http().get(url)).await;
        self.land(response, None).await
    }

    /// Sends `request` to the authorization endpoint as a redirect does (GET with the query), signs
    /// in as `user` if the server shows its sign-in page, and returns where the browser lands.
    pub async fn authorize(&mut self, host: &Host, request: &AuthRequest, user: Option<&User>) -> Landing {
        let url = Url::parse_with_params(&host.endpoint("authorize"), request.params()).expect("a URL");
        let response = self.send(http().get(url)).await;
        self.after_authorize(response, request, user).await
    }

    /// As [`authorize`](Self::authorize), with the request's parameters in a POST form
    /// (`OIDCCEnsurePostRequestSucceeds`).
    pub async fn authorize_post(&mut self, host: &Host, request: &AuthRequest, user: Option<&User>) -> Landing {
        let response = self
            .send(http().post(host.endpoint("authorize")).form(request.params()))
            .await;
        self.after_authorize(response, request, user).await
    }

    async fn after_authorize(
        &mut self,
        response: reqwest::Response,
        request: &AuthRequest,
        user: Option<&User>,
    ) -> Landing {
        let landing = self.land(response, Some(request)).await;
        match (&landing, user) {
            (Landing::Page { status: 200, body }, Some(user)) if is_sign_in_page(body) => {
                self.sign_in(body, user, request).await
            }
            _ => landing,
        }
    }

    /// Fills in the sign-in page's form as `user` and follows the server back to the request.
    async fn sign_in(&mut self, page: &str, user: &User, request: &AuthRequest) -> Landing {
        let return_to = hidden_inputs(page)
            .into_iter()
            .find(|(name, _)| name == "return_to")
            .map(|(_, value)| value)
            .expect("the sign-in page's return_to");
        let form = [
            ("return_to", return_to.as_str()),
            ("username", user.login),
            ("password", user.password),
        ];
        let response = self.send(http().post(format!("{}/login", self.base)).form(&form)).await;
        assert_eq!(response.status().as_u16(), 303, "signing in as {}", user.login);
        self.land(response, Some(request)).await
    }

    /// Follows redirects within the server; a redirect elsewhere is the client's callback.
    async fn land(&mut self, mut response: reqwest::Response, request: Option<&AuthRequest>) -> Landing {
        for _ in 0..10 {
            let status = response.status().as_u16();
            if (300..400).contains(&status) {
                let location = header(response.headers(), "location");
                let target = Url::parse(&self.base)
                    .expect("the base URL")
                    .join(&location)
                    .expect("a Location URL");
                if target.as_str().starts_with(&format!("{}/", self.base)) {
                    response = self.send(http().get(target)).await;
                    continue;
                }
                return Landing::Callback(callback_from_redirect(target, request));
            }
            let body = response.text().await.unwrap_or_default();
            if status == 200 && body.contains("<title>Submit This Form</title>") {
                return Landing::Callback(callback_from_form_post(&body, request));
            }
            return Landing::Page { status, body };
        }
        panic!("more than ten redirects within the server");
    }
}

fn is_sign_in_page(body: &str) -> bool {
    body.contains("action=\"/login\"")
}

fn pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes()).into_owned().collect()
}

fn callback_from_redirect(url: Url, request: Option<&AuthRequest>) -> Callback {
    let query = pairs(url.query().unwrap_or_default());
    let fragment = pairs(url.fragment().unwrap_or_default());
    Callback {
        url,
        method: "GET",
        content_type: None,
        query,
        fragment,
        form: Vec::new(),
        form_post: false,
        code_flow: request.is_none_or(|r| r.variant.is_code_flow()),
    }
}

/// The auto-submitting form of `form_post`: the browser posts it (as
/// `application/x-www-form-urlencoded`, the only encoding a form without `enctype` has).
fn callback_from_form_post(body: &str, request: Option<&AuthRequest>) -> Callback {
    let action = regex::Regex::new(r#"<form method="post" action="([^"]*)""#)
        .expect("a regex")
        .captures(body)
        .map(|c| unescape_html(&c[1]))
        .expect("the form's action");
    let url = Url::parse(&action).expect("the form's action is a URL");
    let query = pairs(url.query().unwrap_or_default());
    Callback {
        url,
        method: "POST",
        content_type: Some("application/x-www-form-urlencoded"),
        query,
        fragment: Vec::new(),
        form: hidden_inputs(body),
        form_post: true,
        code_flow: request.is_none_or(|r| r.variant.is_code_flow()),
    }
}

fn hidden_inputs(body: &str) -> Vec<(String, String)> {
    regex::Regex::new(r#"<input type="hidden" name="([^"]*)" value="([^"]*)">"#)
        .expect("a regex")
        .captures_iter(body)
        .map(|c| (unescape_html(&c[1]), unescape_html(&c[2])))
        .collect()
}

fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

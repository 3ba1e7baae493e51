//! The client's calls to the token and userinfo endpoints.

use serde_json::Value;

use super::{Client, ClientAuth, Host, header, http};

/// An answer of a JSON endpoint.
#[derive(Debug, Clone)]
pub struct JsonAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
}

async fn json_answer(response: reqwest::Response) -> JsonAnswer {
    let status = response.status().as_u16();
    let content_type = header(response.headers(), "content-type");
    let text = response.text().await.unwrap_or_default();
    JsonAnswer {
        status,
        content_type,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// A token request by `client`, authenticated as it is registered.
pub async fn token_request(host: &Host, client: &Client, form: &[(&str, &str)]) -> JsonAnswer {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = http().post(host.endpoint("token"));
    match client.auth {
        ClientAuth::Basic => request = request.basic_auth(client.id, Some(client.secret)),
        ClientAuth::Post => form.extend([("client_id", client.id), ("client_secret", client.secret)]),
    }
    json_answer(request.form(&form).send().await.expect("the token endpoint answers")).await
}

/// `CreateTokenEndpointRequestForAuthorizationCodeGrant` and the call.
pub async fn redeem_code(host: &Host, client: &Client, code: &str, extra: &[(&str, &str)]) -> JsonAnswer {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri),
    ];
    form.extend_from_slice(extra);
    token_request(host, client, &form).await
}

/// How the userinfo endpoint is called.
#[derive(Debug, Clone, Copy)]
pub enum UserinfoCall {
    /// `CallUserInfoEndpoint`: GET with a bearer header.
    Get,
    /// `SetResourceMethodToPost` + `CallUserInfoEndpoint`: POST with a bearer header.
    PostHeader,
    /// `CallUserInfoEndpointWithBearerTokenInBody`: POST with `access_token` in the form.
    PostBody,
}

/// Calls the userinfo endpoint with `access_token`.
pub async fn userinfo(host: &Host, access_token: &str, call: UserinfoCall) -> JsonAnswer {
    let url = host.endpoint("userinfo");
    let request = match call {
        UserinfoCall::Get => http().get(url).bearer_auth(access_token),
        UserinfoCall::PostHeader => http().post(url).bearer_auth(access_token).form(&[] as &[(&str, &str)]),
        UserinfoCall::PostBody => http().post(url).form(&[("access_token", access_token)]),
    };
    json_answer(request.send().await.expect("userinfo answers")).await
}

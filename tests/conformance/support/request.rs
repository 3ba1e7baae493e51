//! The plans' variants, random values as the suite makes them, and authorization requests.

use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use super::Client;

/// One variant a plan runs a module under: its response type and response mode (the client
/// authentication is the module's client, [`CLIENT`] unless it says otherwise).
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// The plan's name.
    pub plan: &'static str,
    /// `response_type`.
    pub response_type: &'static str,
    /// `response_mode=form_post` (the form post plan).
    pub form_post: bool,
}

impl Variant {
    fn has(&self, part: &str) -> bool {
        self.response_type.split(' ').any(|p| p == part)
    }
    /// Whether a code comes from the authorization endpoint.
    pub fn includes_code(&self) -> bool {
        self.has("code")
    }
    /// Whether an ID token comes from the authorization endpoint.
    pub fn includes_id_token(&self) -> bool {
        self.has("id_token")
    }
    /// Whether an access token comes from the authorization endpoint.
    pub fn includes_token(&self) -> bool {
        self.has("token")
    }
    /// `response_type=code`.
    pub fn is_code_flow(&self) -> bool {
        self.response_type == "code"
    }
}

const BASIC_PLAN: &str = "oidcc-basic-certification-test-plan";
const IMPLICIT_PLAN: &str = "oidcc-implicit-certification-test-plan";
const HYBRID_PLAN: &str = "oidcc-hybrid-certification-test-plan";
const FORM_POST_PLAN: &str = "oidcc-formpost-basic-certification-test-plan";

/// Basic: `code`.
pub const BASIC: Variant = Variant {
    plan: BASIC_PLAN,
    response_type: "code",
    form_post: false,
};
/// Form post basic: `code` with `response_mode=form_post`.
pub const FORM_POST: Variant = Variant {
    plan: FORM_POST_PLAN,
    response_type: "code",
    form_post: true,
};
/// Implicit: `id_token`.
pub const IMPLICIT_ID_TOKEN: Variant = Variant {
    plan: IMPLICIT_PLAN,
    response_type: "id_token",
    form_post: false,
};
/// Implicit: `id_token token`.
pub const IMPLICIT_ID_TOKEN_TOKEN: Variant = Variant {
    plan: IMPLICIT_PLAN,
    response_type: "id_token token",
    form_post: false,
};
/// Hybrid: `code id_token`.
pub const HYBRID_CODE_ID_TOKEN: Variant = Variant {
    plan: HYBRID_PLAN,
    response_type: "code id_token",
    form_post: false,
};
/// Hybrid: `code token`.
pub const HYBRID_CODE_TOKEN: Variant = Variant {
    plan: HYBRID_PLAN,
    response_type: "code token",
    form_post: false,
};
/// Hybrid: `code id_token token`.
pub const HYBRID_CODE_ID_TOKEN_TOKEN: Variant = Variant {
    plan: HYBRID_PLAN,
    response_type: "code id_token token",
    form_post: false,
};

/// Every variant of the four response-type plans.
pub const ALL_VARIANTS: [Variant; 7] = [
    BASIC,
    FORM_POST,
    IMPLICIT_ID_TOKEN,
    IMPLICIT_ID_TOKEN_TOKEN,
    HYBRID_CODE_ID_TOKEN,
    HYBRID_CODE_TOKEN,
    HYBRID_CODE_ID_TOKEN_TOKEN,
];

/// The variants whose response type includes `code` (modules not applicable to `id_token` and
/// `id_token token`).
pub const CODE_VARIANTS: [Variant; 5] = [
    BASIC,
    FORM_POST,
    HYBRID_CODE_ID_TOKEN,
    HYBRID_CODE_TOKEN,
    HYBRID_CODE_ID_TOKEN_TOKEN,
];

/// The variants that give an access token for userinfo (`AbstractOIDCCUserInfoTest` is not
/// applicable to `id_token`).
pub const USERINFO_VARIANTS: [Variant; 6] = [
    BASIC,
    FORM_POST,
    IMPLICIT_ID_TOKEN_TOKEN,
    HYBRID_CODE_ID_TOKEN,
    HYBRID_CODE_TOKEN,
    HYBRID_CODE_ID_TOKEN_TOKEN,
];

/// Alphanumeric characters from SHA-256 of a process-wide counter, the time and the process id:
/// unpredictable enough for a test's state and nonce.
pub fn alphanumeric(length: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(length);
    while out.len() < length {
        let mut hasher = Sha256::new();
        hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        hasher.update(std::process::id().to_le_bytes());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        hasher.update(nanos.to_le_bytes());
        for byte in hasher.finalize() {
            if out.len() < length {
                out.push(ALPHABET[usize::from(byte) % ALPHABET.len()] as char);
            }
        }
    }
    out
}

/// `CreateRandomStateValue` / `CreateRandomNonceValue`: `length` alphanumerics, or for more
/// than 10, `length - 4` of them followed by `-._~`.
pub fn suite_random(length: usize) -> String {
    if length > 10 {
        format!("{}-._~", alphanumeric(length - 4))
    } else {
        alphanumeric(length)
    }
}

/// `CreateRandomEndSessionState`: 50 visible ASCII characters (RFC 6749 Appendix A's VSCHAR),
/// with `+`, space and `;` replaced by `~`.
pub fn end_session_state() -> String {
    let bytes = Sha256::digest(alphanumeric(32).as_bytes());
    let more = Sha256::digest(bytes);
    bytes
        .iter()
        .chain(more.iter())
        .take(50)
        .map(|byte| {
            let c = (0x20 + byte % 95) as char;
            if matches!(c, '+' | ' ' | ';') { '~' } else { c }
        })
        .collect()
}

/// An authorization request as `CreateAuthorizationRequestSteps` builds it: `client_id`,
/// `redirect_uri`, `scope=openid`, a random `state` and `nonce` (10 characters), the variant's
/// `response_type` and, for form post, `response_mode=form_post`.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub client: Client,
    pub variant: Variant,
    params: Vec<(String, String)>,
}

impl AuthRequest {
    /// The module's usual request of `client` under `variant`.
    pub fn new(client: Client, variant: Variant) -> Self {
        let mut request = AuthRequest {
            client,
            variant,
            params: Vec::new(),
        };
        request = request
            .with("client_id", client.id)
            .with("redirect_uri", client.redirect_uri)
            .with("scope", "openid")
            .with("state", &suite_random(10))
            .with("nonce", &suite_random(10))
            .with("response_type", variant.response_type);
        if variant.form_post {
            request = request.with("response_mode", "form_post");
        }
        request
    }

    /// The request with parameter `name` set to `value` (replacing it if present).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(param) => param.1 = value.to_owned(),
            None => self.params.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// The request without parameter `name`.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(n, _)| n != name);
        self
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// `BuildPlainRedirectToAuthorizationEndpointReorderedParams`: the parameters reversed.
    pub fn reversed(mut self) -> Self {
        self.params.reverse();
        self
    }
}

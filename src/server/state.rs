//! A server's configuration prepared for requests: claims compiled, policies indexed, the `ACTIVE`
//! key opened, the issuer worked out. Built when a revision moves, shared by every request until the next move,
//! so minting never re-parses an expression or re-loads a key.

use std::sync::Arc;

use super::documents::Documents;
use super::mint::AT_JWT;
use super::verified_tokens::VerifiedTokens;
use crate::claims::{ClaimDefinitionError, ClaimSet};
use crate::jose::{self, Jwks, Signer, VerificationKeys};
use crate::keys::{KeyError, KeyMaterial, KeyRing};
use crate::policy::PolicyIndex;
use crate::store::{Revisions, ServerConfig};

/// One authorization server, ready to answer requests.
pub(crate) struct ServerState {
    /// The revisions this state was built from.
    pub(crate) revisions: Revisions,
    /// The configuration document.
    pub(crate) config: ServerConfig,
    /// The compiled claims, or why they do not compile (the management API refuses such claims,
    /// so this only happens when a store was written by other means).
    pub(crate) claims: Result<ClaimSet, Vec<ClaimDefinitionError>>,
    /// The access policies, indexed for evaluation.
    pub(crate) policies: PolicyIndex,
    /// The signing keys.
    pub(crate) ring: KeyRing,
    /// Every key of the ring, parsed once for verifying this server's own tokens; whether a key
    /// is still published at a given time is [`KeyRing::is_published`]'s question.
    pub(crate) verification_keys: VerificationKeys,
    /// The `ACTIVE` key, opened once.
    pub(crate) signer: Arc<dyn Signer>,
    /// The signer's JOSE headers, encoded once: every token begins with one of them.
    pub(crate) headers: TokenHeaders,
    /// `{base}/oauth2/{id}`.
    pub(crate) issuer: String,
    /// The URLs of the endpoints that authenticate clients, which a client's assertion must name
    /// as its audience; built with the state, not per request.
    endpoint_urls: EndpointUrls,
    /// The JWKS and discovery documents, serialized once for this state.
    pub(crate) documents: Documents,
    /// The access tokens this state verified, remembered for when they are presented again.
    pub(crate) verified_tokens: VerifiedTokens,
}

impl ServerState {
    /// Prepares `config` and `ring` for requests.
    pub(crate) fn build(
        config: ServerConfig,
        ring: KeyRing,
        material: &dyn KeyMaterial,
        base_url: &str,
    ) -> Result<Self, KeyError> {
        let signer = material.open(ring.active())?;
        let headers = TokenHeaders::new(signer.as_ref(), config.options.rfc9068_access_tokens)?;
        let claims = ClaimSet::compile(&config.claims);
        let policies = PolicyIndex::new(&config.policies);
        let revisions = Revisions {
            config: config.revision,
            keys: ring.revision(),
        };
        let issuer = crate::admin::links::issuer(base_url, &config.server.id);
        let endpoint_urls = EndpointUrls::new(&issuer);
        let verification_keys = VerificationKeys::new(Jwks {
            keys: ring.keys().iter().map(|key| key.public_jwk.clone()).collect(),
        });
        Ok(Self {
            revisions,
            config,
            claims,
            policies,
            ring,
            verification_keys,
            signer,
            headers,
            issuer,
            endpoint_urls,
            documents: Documents::default(),
            verified_tokens: VerifiedTokens::default(),
        })
    }

    /// The URL of this server's `endpoint`: `{issuer}/v1/{token|introspect|revoke}`.
    pub(crate) fn endpoint_url(&self, endpoint: ClientAuthEndpoint) -> &str {
        let urls = &self.endpoint_urls;
        match endpoint {
            ClientAuthEndpoint::Token => &urls.token,
            ClientAuthEndpoint::Introspect => &urls.introspect,
            ClientAuthEndpoint::Revoke => &urls.revoke,
        }
    }

    /// Whether the server is `ACTIVE`: a deactivated server's endpoints refuse requests.
    pub(crate) fn is_active(&self) -> bool {
        self.config.server.status.is_active()
    }
}

/// The base64url JOSE headers of a server's tokens, for [`jose::sign_under`].
pub(crate) struct TokenHeaders {
    /// The access tokens': `typ` is `at+jwt` when the server issues RFC 9068 access tokens.
    pub(crate) access_token: String,
    /// The ID tokens': no `typ`.
    pub(crate) id_token: String,
}

impl TokenHeaders {
    fn new(signer: &dyn Signer, rfc9068_access_tokens: bool) -> Result<Self, KeyError> {
        let header = |typ| jose::encoded_header(signer, typ).map_err(|error| KeyError::Other(Box::new(error)));
        Ok(Self {
            access_token: header(rfc9068_access_tokens.then_some(AT_JWT))?,
            id_token: header(None)?,
        })
    }
}

/// An endpoint that authenticates clients, whose URL a client's assertion names as its audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuthEndpoint {
    /// `/v1/token`.
    Token,
    /// `/v1/introspect`.
    Introspect,
    /// `/v1/revoke`.
    Revoke,
}

/// `{issuer}/v1/token`, `/v1/introspect` and `/v1/revoke`.
struct EndpointUrls {
    token: String,
    introspect: String,
    revoke: String,
}

impl EndpointUrls {
    fn new(issuer: &str) -> Self {
        Self {
            token: format!("{issuer}/v1/token"),
            introspect: format!("{issuer}/v1/introspect"),
            revoke: format!("{issuer}/v1/revoke"),
        }
    }
}

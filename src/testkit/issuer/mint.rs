//! Tokens minted directly: the claims Okta's tokens carry, signed with the server's active key,
//! without a client, a user or a policy behind them. And tokens broken on purpose.

use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::{SERVER_ID, TestIssuer, run};
use crate::claims::{Audience, ID_TOKEN_LIFETIME, access_token_id, token_id};
use crate::jose::{self, Algorithm};
use crate::secret::RefreshToken;
use crate::store::GrantStore;
use crate::store::grants::{Grant, GrantId, RefreshTokenRecord};
use crate::testkit::fixed_signing_key;

/// The client id of directly minted tokens unless [`client`](AccessTokenMint::client) names one.
pub const DEFAULT_CLIENT_ID: &str = "0oatestclient";

/// When [`AccessTokenMint::expired`] tokens are issued: long before any real clock's present,
/// so verifiers that read the real time (not the issuer's) see them expired too.
pub const LONG_AGO: OffsetDateTime = time::macros::datetime!(2001-01-01 00:00 UTC);

/// A way to break a token's signature or header, so a resource server's rejection paths can be
/// tested. Time, audience and issuer are broken through the builders' own setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tamper {
    /// Signed with a valid key that the JWKS does not publish: an unknown `kid`.
    UnknownKid,
    /// Signed with the server's key, then the signature's bytes flipped.
    BadSignature,
    /// `{"alg": "none"}` and no signature (RFC 7519 §6: an unsecured JWT).
    AlgNone,
}

/// What every minted token shares: time, audience, issuer and how it is signed.
#[derive(Debug, Clone)]
struct Common {
    issued_at: Option<OffsetDateTime>,
    lifetime: Duration,
    not_before: Option<OffsetDateTime>,
    issuer: Option<String>,
    extra: Map<String, Value>,
    tamper: Option<Tamper>,
}

impl Common {
    fn new(lifetime: Duration) -> Self {
        Self {
            issued_at: None,
            lifetime,
            not_before: None,
            issuer: None,
            extra: Map::new(),
            tamper: None,
        }
    }

    /// Adds the time claims, the extra claims and signs.
    fn finish(self, issuer: &TestIssuer, mut claims: Map<String, Value>) -> String {
        let iat = self.issued_at.unwrap_or_else(|| issuer.now());
        claims.insert("iat".into(), json!(iat.unix_timestamp()));
        claims.insert("exp".into(), json!((iat + self.lifetime).unix_timestamp()));
        if let Some(nbf) = self.not_before {
            claims.insert("nbf".into(), json!(nbf.unix_timestamp()));
        }
        claims.extend(self.extra);
        sign(issuer, &claims, self.tamper)
    }
}

/// Signs `claims` as the server would, or broken as `tamper` says.
fn sign(issuer: &TestIssuer, claims: &Map<String, Value>, tamper: Option<Tamper>) -> String {
    let signer = issuer.signer();
    match tamper {
        None => jose::sign(signer.as_ref(), None, claims).expect("the fixed keys sign"),
        Some(Tamper::UnknownKid) => {
            // The last bundled RS256 key: FixedKeys reaches it only after several rotations.
            let stranger = fixed_signing_key(Algorithm::RS256, crate::testkit::FIXED_KEYS_PER_ALGORITHM - 1);
            jose::sign(&stranger, None, claims).expect("the fixed keys sign")
        }
        Some(Tamper::BadSignature) => {
            let token = jose::sign(signer.as_ref(), None, claims).expect("the fixed keys sign");
            let (signed, signature) = token.rsplit_once('.').unwrap_or((&token, ""));
            let mut bytes = jose::b64_decode(signature).unwrap_or_default();
            bytes.iter_mut().for_each(|byte| *byte ^= 0x55);
            format!("{signed}.{}", jose::b64_encode(bytes))
        }
        Some(Tamper::AlgNone) => {
            let header = json!({"kid": signer.kid(), "alg": "none"});
            let header = serde_json::to_vec(&header).unwrap_or_default();
            let payload = serde_json::to_vec(claims).unwrap_or_default();
            format!("{}.{}.", jose::b64_encode(header), jose::b64_encode(payload))
        }
    }
}

macro_rules! common_setters {
    () => {
        /// Issued at `at` instead of the issuer's current time.
        pub fn issued_at(mut self, at: OffsetDateTime) -> Self {
            self.common.issued_at = Some(at);
            self
        }

        /// Lives `lifetime` from its `iat`.
        pub fn lifetime(mut self, lifetime: Duration) -> Self {
            self.common.lifetime = lifetime;
            self
        }

        /// Already expired, by the issuer's clock and by the real one: issued at
        /// [`LONG_AGO`] (or two lifetimes ago, if the issuer's clock is set before that).
        pub fn expired(mut self) -> Self {
            let lifetime = self.common.lifetime;
            self.common.issued_at = Some((self.issuer.now() - lifetime - lifetime).min(LONG_AGO));
            self
        }

        /// Not valid yet, by the issuer's clock and by the real one: issued, and valid from
        /// (`nbf`), an hour after the issuer's time or [`DEFAULT_START`](super::DEFAULT_START),
        /// whichever is later.
        pub fn not_yet_valid(mut self) -> Self {
            let later = self.issuer.now().max(super::DEFAULT_START) + Duration::hours(1);
            self.common.issued_at = Some(later);
            self.common.not_before = Some(later);
            self
        }

        /// Claims `iss` as `issuer` instead of the server's issuer.
        pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
            self.common.issuer = Some(issuer.into());
            self
        }

        /// Adds (or overrides) claim `name`.
        pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
            self.common.extra.insert(name.into(), value.into());
            self
        }

        /// Breaks the token as `tamper` says.
        pub fn tamper(mut self, tamper: Tamper) -> Self {
            self.common.tamper = Some(tamper);
            self
        }
    };
}

/// Who a token is for: the client, the user and the scopes granted.
#[derive(Debug, Clone)]
struct Grantee {
    client_id: String,
    user_id: Option<String>,
    scopes: Vec<String>,
}

impl Grantee {
    fn new(scopes: Vec<String>) -> Self {
        Self {
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            user_id: None,
            scopes,
        }
    }
}

macro_rules! grantee_setters {
    () => {
        /// The client it was issued to, `cid` in access tokens (default [`DEFAULT_CLIENT_ID`]).
        pub fn client(mut self, client_id: impl Into<String>) -> Self {
            self.grantee.client_id = client_id.into();
            self
        }

        /// The user's id, `uid` in access tokens (none by default).
        pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
            self.grantee.user_id = Some(user_id.into());
            self
        }

        /// The scopes granted, `scp` in access tokens.
        pub fn scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
            self.grantee.scopes = scopes.into_iter().map(Into::into).collect();
            self
        }
    };
}

/// An access token to mint: [`TestIssuer::access_token`], with no scopes unless
/// [`scopes`](Self::scopes) gives them. Okta's claims (`ver`, `jti`, `iss`,
/// `aud`, `iat`, `exp`, `cid`, `uid`, `scp`, `sub`), one hour by default.
#[must_use = "nothing is minted until `mint` is called"]
pub struct AccessTokenMint<'i> {
    issuer: &'i TestIssuer,
    common: Common,
    subject: Option<String>,
    grantee: Grantee,
    audience: Option<Audience>,
}

impl<'i> AccessTokenMint<'i> {
    /// `sub` (default: the client id, as for client credentials).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    grantee_setters!();

    /// `aud` (default: the server's audience, `api://default`).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(Audience::One(audience.into()));
        self
    }

    common_setters!();

    /// The signed token.
    ///
    /// # Panics
    /// Never with the fixed keys; a panic means the key ring is broken.
    pub fn mint(mut self) -> String {
        let issuer = self.issuer;
        let grant = GrantId::generate(issuer.server.random()).expect("the seeded source draws");
        let issued_at = *self.common.issued_at.get_or_insert_with(|| issuer.now());
        let jti = access_token_id(&grant, issued_at, issuer.server.random()).expect("the seeded source draws");
        let audience = self.audience.unwrap_or_else(|| Audience::One(issuer.audience()));
        let mut claims = Map::new();
        claims.insert("ver".into(), json!(1));
        claims.insert("jti".into(), json!(jti));
        claims.insert(
            "iss".into(),
            json!(self.common.issuer.clone().unwrap_or_else(|| issuer.issuer())),
        );
        claims.insert("aud".into(), json!(audience));
        let Grantee {
            client_id,
            user_id,
            scopes,
        } = self.grantee;
        claims.insert("cid".into(), json!(client_id));
        if let Some(uid) = user_id {
            claims.insert("uid".into(), json!(uid));
        }
        claims.insert("scp".into(), json!(scopes));
        claims.insert("sub".into(), json!(self.subject.unwrap_or(client_id)));
        self.common.finish(issuer, claims)
    }
}

/// An ID token to mint: [`TestIssuer::id_token`]. OpenID Connect Core §2 claims as Okta writes
/// them (`sub`, `ver`, `iss`, `aud`, `iat`, `exp`, `jti`, `amr`, `idp`, `auth_time`), one hour.
#[must_use = "nothing is minted until `mint` is called"]
pub struct IdTokenMint<'i> {
    issuer: &'i TestIssuer,
    common: Common,
    subject: String,
    client_id: String,
    nonce: Option<String>,
    auth_time: Option<OffsetDateTime>,
}

impl<'i> IdTokenMint<'i> {
    /// `sub`, the user's id.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    /// `aud`, the client id (default [`DEFAULT_CLIENT_ID`]).
    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = client_id.into();
        self
    }

    /// `nonce`, as the client sent it to `/authorize`.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// `auth_time` (default: the issuer's current time).
    pub fn auth_time(mut self, at: OffsetDateTime) -> Self {
        self.auth_time = Some(at);
        self
    }

    common_setters!();

    /// The signed token.
    ///
    /// # Panics
    /// Never with the fixed keys; a panic means the key ring is broken.
    pub fn mint(self) -> String {
        let issuer = self.issuer;
        let jti = token_id("ID.", issuer.server.random()).expect("the seeded source draws");
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(self.subject));
        claims.insert("ver".into(), json!(1));
        claims.insert(
            "iss".into(),
            json!(self.common.issuer.clone().unwrap_or_else(|| issuer.issuer())),
        );
        claims.insert("aud".into(), json!(self.client_id));
        claims.insert("jti".into(), json!(jti));
        claims.insert("amr".into(), json!(["pwd"]));
        claims.insert("idp".into(), json!(issuer.server.org_id()));
        let auth_time = self.auth_time.unwrap_or_else(|| issuer.now());
        claims.insert("auth_time".into(), json!(auth_time.unix_timestamp()));
        if let Some(nonce) = self.nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        self.common.finish(issuer, claims)
    }
}

/// A refresh token to mint: [`TestIssuer::refresh_token`], for `offline_access` unless
/// [`scopes`](Self::scopes) says otherwise. Stored as the server stores its own,
/// so the `refresh_token` grant redeems it (for a client that exists), rotation and reuse
/// detection included.
#[must_use = "nothing is minted until `mint` is called"]
pub struct RefreshTokenMint<'i> {
    issuer: &'i TestIssuer,
    grantee: Grantee,
    lifetime: Option<Duration>,
}

impl<'i> RefreshTokenMint<'i> {
    grantee_setters!();

    /// An absolute lifetime (default: none, as the default rule's "unlimited").
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Some(lifetime);
        self
    }

    /// The token, stored in the grant store.
    ///
    /// # Panics
    /// Never with the memory stores.
    pub fn mint(self) -> String {
        let issuer = self.issuer;
        let random = issuer.server.random();
        let now = issuer.now();
        let token = RefreshToken::generate(random).expect("the seeded source draws");
        let grant = Grant {
            id: GrantId::generate(random).expect("the seeded source draws"),
            authorization_server_id: SERVER_ID.to_owned(),
            client_id: self.grantee.client_id,
            user_id: self.grantee.user_id,
            scopes: self.grantee.scopes,
            grant_type: "authorization_code".to_owned(),
            policy_id: String::new(),
            rule_id: String::new(),
            access_token_lifetime_minutes: 60,
            refresh_token_lifetime_minutes: self
                .lifetime
                .map(|l| u32::try_from(l.whole_minutes()).unwrap_or(u32::MAX)),
            refresh_token_window_minutes: 10_080,
            auth_time: None,
            amr: Vec::new(),
            acr: None,
            requested_claims: None,
            issued_at: now,
        };
        let record = RefreshTokenRecord {
            token_hash: token.hash(),
            grant,
            issued_at: now,
            expires_at: self.lifetime.map(|lifetime| now + lifetime),
            last_used_at: now,
        };
        run(issuer.server.grants().insert_refresh_token(record)).expect("the memory store takes it");
        token.expose().to_owned()
    }
}

impl TestIssuer {
    /// An access token to mint directly; see [`AccessTokenMint`].
    pub fn access_token(&self) -> AccessTokenMint<'_> {
        AccessTokenMint {
            issuer: self,
            common: Common::new(Duration::hours(1)),
            subject: None,
            grantee: Grantee::new(Vec::new()),
            audience: None,
        }
    }

    /// An ID token to mint directly; see [`IdTokenMint`].
    pub fn id_token(&self) -> IdTokenMint<'_> {
        IdTokenMint {
            issuer: self,
            common: Common::new(ID_TOKEN_LIFETIME),
            subject: "00utestuser".to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            nonce: None,
            auth_time: None,
        }
    }

    /// A refresh token to mint directly; see [`RefreshTokenMint`].
    pub fn refresh_token(&self) -> RefreshTokenMint<'_> {
        RefreshTokenMint {
            issuer: self,
            grantee: Grantee::new(vec!["offline_access".to_owned()]),
            lifetime: None,
        }
    }
}

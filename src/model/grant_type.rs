//! OAuth 2.0 grant types and response types with Okta's wire spellings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $err:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $wire => Ok($name::$variant), )+
                    _ => Err(UnknownValue($err)),
                }
            }
        }
    };
}

/// A string that is not one of the known wire values; names what was being parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {0}")]
pub struct UnknownValue(pub &'static str);

wire_enum! {
    /// A grant type, as used in token requests, client `grant_types` and rule
    /// `conditions.grantTypes.include` (Okta's `GrantType` enum).
    GrantType, "grant type" {
        /// `authorization_code`
        AuthorizationCode = "authorization_code",
        /// `implicit`
        Implicit = "implicit",
        /// `password` (resource owner password)
        Password = "password",
        /// `client_credentials`
        ClientCredentials = "client_credentials",
        /// `refresh_token`
        RefreshToken = "refresh_token",
        /// `interaction_code` (Okta Identity Engine)
        InteractionCode = "interaction_code",
        /// RFC 8628 device authorization grant
        DeviceCode = "urn:ietf:params:oauth:grant-type:device_code",
        /// RFC 7523 JWT bearer grant
        JwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer",
        /// RFC 7522 SAML 2.0 bearer grant
        Saml2Bearer = "urn:ietf:params:oauth:grant-type:saml2-bearer",
        /// RFC 8693 token exchange
        TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange",
        /// OpenID CIBA
        Ciba = "urn:openid:params:grant-type:ciba",
        /// Okta direct authentication, OTP
        OktaOtp = "urn:okta:params:oauth:grant-type:otp",
        /// Okta direct authentication, out-of-band
        OktaOob = "urn:okta:params:oauth:grant-type:oob",
        /// Okta direct authentication, MFA OTP
        MfaOtp = "http://auth0.com/oauth/grant-type/mfa-otp",
        /// Okta direct authentication, MFA out-of-band
        MfaOob = "http://auth0.com/oauth/grant-type/mfa-oob",
    }
}

impl GrantType {
    /// Whether a request of this grant type is made on behalf of a user. `client_credentials`
    /// has no user; the rest bind one (the rule `people` condition applies to them).
    pub const fn has_user(self) -> bool {
        !matches!(self, GrantType::ClientCredentials)
    }
}

wire_enum! {
    /// A response type a client may use at `/authorize` (`response_types`).
    ResponseType, "response type" {
        /// `code`
        Code = "code",
        /// `id_token`
        IdToken = "id_token",
        /// `token`
        Token = "token",
        /// `none`
        None = "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spellings_round_trip() {
        for g in GrantType::ALL {
            let json = serde_json::to_string(g).unwrap();
            assert_eq!(json, format!("\"{}\"", g.as_str()));
            assert_eq!(serde_json::from_str::<GrantType>(&json).unwrap(), *g);
            assert_eq!(g.as_str().parse::<GrantType>().unwrap(), *g);
        }
        for r in ResponseType::ALL {
            assert_eq!(r.to_string().parse::<ResponseType>().unwrap(), *r);
        }
    }

    #[test]
    fn unknown_spellings_are_errors() {
        // Reference §2.3: `client-credentials` (hyphen) is not a grant type.
        assert!(serde_json::from_str::<GrantType>("\"client-credentials\"").is_err());
        assert_eq!(
            "client-credentials".parse::<GrantType>(),
            Err(UnknownValue("grant type"))
        );
        assert!("CODE".parse::<ResponseType>().is_err());
    }

    #[test]
    fn only_client_credentials_has_no_user() {
        assert!(!GrantType::ClientCredentials.has_user());
        assert!(GrantType::Password.has_user());
    }
}

//! The `default` authorization server as Okta ships it (Okta's "Authorization servers" concept
//! page and Authorization Servers API, "Work with the Default Authorization Server"): audience
//! `api://default`, a "Default Policy" for all clients with a "Default Policy Rule" (everyone;
//! authorization code, implicit, client credentials and password; all scopes; 60-minute access
//! tokens, unlimited refresh tokens, 7-day refresh window), the system scopes and the system
//! claims (`sub` and the OpenID Connect profile claims).

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::ids::{CLAIM, POLICY, RULE, SCOPE, object_id};
use super::links::issuer;
use crate::claims::{ALWAYS_INCLUDED_BY_DEFAULT, DEFAULT_SUB_EXPRESSION, SCOPE_CLAIMS};
use crate::model::{AuthorizationServer, Claim, Policy, Rule, Scope};
use crate::policy::PolicyWithRules;
use crate::random::Randomness;
use crate::store::ServerConfig;

/// The id of the default server; `/oauth2/default` is its issuer path, as at Okta.
pub const DEFAULT_SERVER_ID: &str = "default";

/// The system scopes of a custom authorization server and their descriptions.
const SYSTEM_SCOPES: &[(&str, &str)] = &[
    ("openid", "Signals that a request is an OpenID request."),
    ("profile", "Allows access to the end-user's default profile claims."),
    ("email", "Allows access to the end-user's email address."),
    ("address", "Allows access to the end-user's address."),
    ("phone", "Allows access to the end-user's phone number."),
    ("offline_access", "Allows acquisition of a refresh token."),
    (
        "device_sso",
        "Allows the client to obtain a device secret for native single sign-on.",
    ),
];

fn from_json<T: serde::de::DeserializeOwned>(value: Value) -> T {
    // The values below are fixed literals in the model's own shapes; a failure is a bug caught
    // by this module's tests, never a runtime condition.
    serde_json::from_value(value).expect("the default server's objects are valid")
}

/// The system scopes every new authorization server starts with.
pub fn system_scopes(random: &dyn Randomness) -> Vec<Scope> {
    SYSTEM_SCOPES
        .iter()
        .map(|(name, description)| {
            from_json(json!({
                "id": object_id(SCOPE, random), "name": name, "description": description, "system": true,
                "default": false, "consent": "IMPLICIT", "metadataPublish": "ALL_CLIENTS"
            }))
        })
        .collect()
}

/// The system claims every new authorization server starts with: `sub` for access tokens and the
/// OpenID Connect standard claims for ID tokens.
pub fn system_claims(random: &dyn Randomness) -> Vec<Claim> {
    let mut claims = vec![from_json::<Claim>(json!({
        "id": object_id(CLAIM, random), "name": "sub", "status": "ACTIVE", "claimType": "RESOURCE",
        "valueType": "EXPRESSION", "value": DEFAULT_SUB_EXPRESSION, "alwaysIncludeInToken": true,
        "conditions": {"scopes": []}, "system": true
    }))];
    for (scope, names) in SCOPE_CLAIMS {
        for name in names.iter() {
            claims.push(from_json(json!({
                "id": object_id(CLAIM, random), "name": name, "status": "ACTIVE", "claimType": "IDENTITY",
                "valueType": "SYSTEM", "value": "", "system": true,
                "alwaysIncludeInToken": ALWAYS_INCLUDED_BY_DEFAULT.contains(name),
                "conditions": {"scopes": [scope]}
            })));
        }
    }
    claims
}

/// The default access policy and its rule.
pub fn default_policy(now: OffsetDateTime, random: &dyn Randomness) -> PolicyWithRules {
    let stamp = crate::model::timestamp::format(now).unwrap_or_default();
    let policy: Policy = from_json(json!({
        "type": "OAUTH_AUTHORIZATION_POLICY", "id": object_id(POLICY, random), "status": "ACTIVE",
        "name": "Default Policy", "description": "Default policy description", "priority": 1, "system": false,
        "conditions": {"clients": {"include": ["ALL_CLIENTS"]}}, "created": stamp, "lastUpdated": stamp
    }));
    let rule: Rule = from_json(json!({
        "type": "RESOURCE_ACCESS", "id": object_id(RULE, random), "status": "ACTIVE", "name": "Default Policy Rule",
        "priority": 1, "system": false, "created": stamp, "lastUpdated": stamp,
        "conditions": {
            "people": {"users": {"include": [], "exclude": []}, "groups": {"include": ["EVERYONE"], "exclude": []}},
            "grantTypes": {"include": ["implicit", "client_credentials", "authorization_code", "password"]},
            "scopes": {"include": ["*"]}
        },
        "actions": {"token": {"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0,
                              "refreshTokenWindowMinutes": 10080}}
    }));
    PolicyWithRules {
        policy,
        rules: vec![rule],
    }
}

/// The `default` server's configuration at `now`, its issuer under `base_url`. Its keys are made
/// separately (they need key material).
pub fn default_server_config(base_url: &str, now: OffsetDateTime, random: &dyn Randomness) -> ServerConfig {
    let stamp = crate::model::timestamp::format(now).unwrap_or_default();
    let server: AuthorizationServer = from_json(json!({
        "id": DEFAULT_SERVER_ID, "name": "default",
        "description": "Default Authorization Server for your Applications",
        "audiences": ["api://default"], "issuer": issuer(base_url, DEFAULT_SERVER_ID), "issuerMode": "ORG_URL",
        "status": "ACTIVE", "created": stamp, "lastUpdated": stamp
    }));
    ServerConfig {
        server,
        policies: vec![default_policy(now, random)],
        scopes: system_scopes(random),
        claims: system_claims(random),
        revision: 0,
        changed_at: now,
        options: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimSet;
    use crate::model::{GrantType, OIDC_SCOPES};
    use crate::policy::{PolicyRequest, UserContext, evaluate};
    use time::macros::datetime;

    fn config() -> ServerConfig {
        default_server_config(
            "https://id.example.com",
            datetime!(2024-01-01 0:00 UTC),
            &crate::random::SystemRandom,
        )
    }

    #[test]
    fn default_server_matches_oktas() {
        let config = config();
        assert_eq!(config.server.id, "default");
        assert_eq!(
            config.server.issuer.as_deref(),
            Some("https://id.example.com/oauth2/default")
        );
        assert_eq!(config.server.audiences, ["api://default"]);
        let names: Vec<&str> = config.scopes.iter().map(|s| s.name.as_str()).collect();
        for oidc in OIDC_SCOPES {
            assert!(names.contains(&oidc), "{oidc}");
        }
        assert!(config.scopes.iter().all(|s| s.system));
        assert!(config.claims.iter().all(|c| c.system));
        assert!(ClaimSet::compile(&config.claims).is_ok(), "system claims compile");
        let json = serde_json::to_value(&config.server).unwrap();
        assert_eq!(json["created"], "2024-01-01T00:00:00.000Z");
    }

    #[test]
    fn default_rule_grants_every_user_and_client_credentials() {
        let config = config();
        let want = vec!["openid".to_owned(), "profile".to_owned()];
        let user = UserContext {
            id: "00u1",
            group_ids: &[],
        };
        let decision = evaluate(&PolicyRequest {
            policies: &config.policies,
            scopes: &config.scopes,
            client_id: "0oaany",
            user: Some(user),
            grant_type: GrantType::AuthorizationCode,
            requested_scopes: Some(&want),
        })
        .unwrap();
        assert_eq!(decision.policy_name, "Default Policy");
        assert_eq!(decision.rule_name, "Default Policy Rule");
        assert_eq!(decision.access_token_lifetime_minutes, 60);
        assert_eq!(decision.refresh_token_lifetime_minutes, None);
        assert_eq!(decision.refresh_token_window_minutes, 10080);
    }
}

//! `oidcc-server-rotate-keys`: the server's signing keys before and after a rotation.

use crate::support::*;

fn kids(jwks: &serde_json::Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter(|key| key["use"].as_str().is_none_or(|u| u == "sig"))
        .filter_map(|key| key["kid"].as_str().map(str::to_owned))
        .collect()
}

/// **`oidcc-server-rotate-keys`** (`OIDCCServerRotateKeys`): the JWKS before the rotation, then after
/// one triggered through the management API (the suite asks the operator: `TellUserToRotateOpKeys`),
/// each checked as every module's setup does (`CheckServerKeysIsValid`, `ValidateJwksSequence`,
/// `CheckForKeyIdInServerJWKs`, `CheckDistinctKeyIdValueInServerJWKs`: FAILURE); the new set has a
/// signing key the old one lacked (`VerifyNewJwksHasNewSigningKey`, FAILURE, OIDC Core §10.1.1) and
/// still has the old ones (`VerifyNewJwksStillHasOldSigningKey`, WARNING). ID tokens minted after
/// the rotation verify against the new set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidcc_server_rotate_keys() {
    let host = Host::start().await;
    let original = host.server_jwks().await;
    let (status, body) = host
        .manage(
            reqwest::Method::POST,
            "/api/v1/authorizationServers/default/credentials/lifecycle/keyRotate",
            &serde_json::json!({"use": "sig"}),
        )
        .await;
    assert_eq!(status, 200, "keyRotate: {body}");
    let rotated = host.server_jwks().await;
    let (before, after) = (kids(&original), kids(&rotated));
    assert!(
        after.iter().any(|kid| !before.contains(kid)),
        "VerifyNewJwksHasNewSigningKey: {before:?} then {after:?}"
    );
    assert!(
        before.iter().all(|kid| after.contains(kid)),
        "VerifyNewJwksStillHasOldSigningKey: {before:?} then {after:?}"
    );
    let mut browser = Browser::new(&host);
    run_flow(&host, &mut browser, AuthRequest::new(CLIENT, BASIC), Some(&BUFFY)).await;
}

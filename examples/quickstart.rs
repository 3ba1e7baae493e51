//! Quick start: an in-memory issuer's signing keys, a signed Okta-style access token, and the
//! JWKS that verifies it.
//!
//! Run with `cargo run --example quickstart`. It prints the token, its decoded header and claims,
//! and the JWKS document a resource server would fetch from `{issuer}/v1/keys`.

use std::error::Error;

use authserver::clock::{Clock, SystemClock};
use authserver::jose::{self, Algorithm};
use authserver::keys::{KeyMaterial, KeyRing, RotationMode, RotationSettings, SoftwareKeys};
use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn Error>> {
    let issuer = "http://127.0.0.1:8080/oauth2/default";
    let now = SystemClock.now();

    // A key ring as every authorization server has: an ACTIVE key that signs and a NEXT key
    // already published. RS256, as Okta signs.
    let settings = RotationSettings {
        algorithm: Algorithm::RS256,
        ..RotationSettings::default()
    };
    let material = SoftwareKeys;
    let ring = KeyRing::new(
        material.generate(settings.algorithm)?,
        material.generate(settings.algorithm)?,
        RotationMode::Auto,
        &settings,
        now,
    );
    let signer = material.open(ring.active())?;

    // An access token with the claims Okta puts in one (client credentials: no user).
    let iat = now.unix_timestamp();
    let claims = json!({
        "ver": 1,
        "jti": format!("AT.{}", authserver::secret::RefreshToken::generate()?.expose()),
        "iss": issuer,
        "aud": "api://default",
        "iat": iat,
        "exp": iat + 3600,
        "cid": "0oaquickstart",
        "scp": ["quickstart:read"],
        "sub": "0oaquickstart",
    });
    let token = jose::sign(signer.as_ref(), None, &claims)?;
    let jwks = ring.jwks(&settings, now);

    // What a resource server does: look the key up by `kid`, verify, read the claims.
    let verified = jose::verify(&token, &jwks)?;
    let read: Value = verified.claims()?;

    println!("issuer:       {issuer}");
    println!("signing kid:  {}", ring.active().kid);
    println!("credentials:  {}", serde_json::to_string(&ring.credentials())?);
    println!("\naccess token:\n{token}");
    println!("\nheader: {}", serde_json::to_string(&verified.header)?);
    println!("claims: {}", serde_json::to_string_pretty(&read)?);
    println!("\nJWKS ({issuer}/v1/keys):\n{}", serde_json::to_string_pretty(&jwks)?);
    println!("\nverified with the JWKS: ok");
    Ok(())
}

//! Signing-key rotation driven by a settable clock (seed 003, "Authorization Server Key Store
//! Operations"): an AUTO ring rotates when the clock passes `nextRotation`; `ACTIVE` becomes
//! `EXPIRED`, `NEXT` becomes `ACTIVE`, a new `NEXT` is published; expired keys stay in the JWKS
//! until no token they signed can be live, then leave it.

use std::collections::HashMap;

use authserver::clock::{Clock, ManualClock};
use authserver::jose::{self, Algorithm, JoseError, Jwks};
use authserver::keys::{KeyMaterial, KeyRing, KeyStatus, RotationMode, RotationSettings};
use authserver::testkit::FixedKeys;
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Signs a token with the ring's ACTIVE key, as the token endpoint would.
fn mint(ring: &KeyRing, material: &FixedKeys, subject: &str) -> String {
    let signer = material.open(ring.active()).expect("the active key opens");
    jose::sign(signer.as_ref(), None, &json!({ "sub": subject })).expect("signing succeeds")
}

/// Records when each `kid` was first seen in the published JWKS.
fn note_published(first_seen: &mut HashMap<String, OffsetDateTime>, jwks: &Jwks, now: OffsetDateTime) {
    for key in &jwks.keys {
        first_seen
            .entry(key.kid.clone().expect("published keys have a kid"))
            .or_insert(now);
    }
}

#[test]
fn auto_ring_through_two_rotations() {
    let clock = ManualClock::new(datetime!(2017-05-17 22:25:57 UTC));
    let material = FixedKeys::new();
    let settings = RotationSettings::default();
    let new_key = || material.generate(Algorithm::RS256).expect("fixed keys load");
    let mut ring = KeyRing::new(new_key(), new_key(), RotationMode::Auto, &settings, clock.now());
    let mut first_published = HashMap::new();
    note_published(&mut first_published, &ring.jwks(&settings, clock.now()), clock.now());

    // Okta's example: lastRotated → nextRotation is exactly 90 days.
    let credentials = ring.credentials();
    assert_eq!(credentials.rotation_mode, Some(RotationMode::Auto));
    assert_eq!(credentials.next_rotation, Some(datetime!(2017-08-15 22:25:57 UTC)));
    assert_eq!(credentials.kid.as_deref(), Some(ring.active().kid.as_str()));

    let mut tokens = Vec::new();
    let mut activations = Vec::new();
    for rotation in 1..=2 {
        let before = mint(&ring, &material, &format!("before rotation {rotation}"));
        let retiring_kid = ring.active().kid.clone();
        let successor_kid = ring.next_key().kid.clone();

        clock.advance(Duration::days(90) - Duration::seconds(1));
        assert!(!ring.rotation_due(clock.now()), "not due one second early");
        clock.advance(Duration::seconds(1));
        assert!(
            ring.rotation_due(clock.now()),
            "due once the clock reaches nextRotation"
        );
        ring.rotate(new_key(), &settings, clock.now());
        activations.push((successor_kid.clone(), clock.now()));

        assert_eq!(ring.active().kid, successor_kid, "NEXT became ACTIVE");
        assert_eq!(
            ring.key(&retiring_kid).map(|k| k.status),
            Some(KeyStatus::Expired),
            "ACTIVE became EXPIRED"
        );
        assert_eq!(ring.credentials().last_rotated, Some(clock.now()));
        assert_eq!(ring.credentials().next_rotation, Some(clock.now() + Duration::days(90)));
        let jwks = ring.jwks(&settings, clock.now());
        note_published(&mut first_published, &jwks, clock.now());
        assert_eq!(jwks.keys.len(), 3, "ACTIVE, NEXT and the EXPIRED key are published");

        // A token signed before the rotation still verifies against the published JWKS…
        jose::verify(&before, &jwks).expect("a pre-rotation token verifies after rotation");
        clock.advance(Duration::hours(23));
        jose::verify(&before, &ring.jwks(&settings, clock.now())).expect("…throughout the retention");
        // …and once the retention (one day, the longest access-token lifetime) is over, the
        // expired key leaves the JWKS, even before the ring is pruned.
        clock.advance(Duration::hours(1));
        let jwks = ring.jwks(&settings, clock.now());
        assert!(jwks.find(&retiring_kid).is_none(), "the expired key left the JWKS");
        assert!(matches!(jose::verify(&before, &jwks), Err(JoseError::UnknownKid)));
        assert!(
            ring.drop_retired(&settings, clock.now()),
            "pruning drops the retired key"
        );
        assert!(ring.key(&retiring_kid).is_none());
        tokens.push(before);
        clock.advance(-Duration::days(1));
    }

    // Each key that became ACTIVE had been published as NEXT a full interval earlier.
    for (kid, activated) in activations {
        let published = first_published[&kid];
        assert!(
            activated - published >= Duration::days(90),
            "{kid} was published {published}, activated {activated}"
        );
    }
    // A token minted now is signed by the current ACTIVE key and verifies.
    let now_token = mint(&ring, &material, "after");
    let verified = jose::verify(&now_token, &ring.jwks(&settings, clock.now())).expect("verifies");
    assert_eq!(verified.header.kid.as_deref(), Some(ring.active().kid.as_str()));
}

#[test]
fn manual_mode_rotates_only_when_asked_and_switching_keeps_the_active_key() {
    let clock = ManualClock::new(datetime!(2024-01-01 0:00 UTC));
    let material = FixedKeys::new();
    let settings = RotationSettings::default();
    let new_key = || material.generate(Algorithm::ES256).expect("fixed keys load");
    let mut ring = KeyRing::new(new_key(), new_key(), RotationMode::Auto, &settings, clock.now());
    let active = ring.active().kid.clone();

    ring.set_mode(RotationMode::Manual, &settings, clock.now());
    assert_eq!(
        ring.active().kid,
        active,
        "switching mode does not change the active key (seed 003)"
    );
    assert_eq!(
        ring.credentials().next_rotation,
        None,
        "nextRotation is only returned in AUTO mode"
    );
    clock.advance(Duration::days(400));
    assert!(!ring.rotation_due(clock.now()), "MANUAL never rotates by itself");

    ring.set_mode(RotationMode::Auto, &settings, clock.now());
    assert_eq!(ring.active().kid, active, "switching back does not rotate either");
    assert_eq!(
        ring.next_rotation(),
        Some(clock.now() + Duration::days(90)),
        "an overdue schedule restarts from now"
    );
    assert!(!ring.rotation_due(clock.now()));

    ring.set_mode(RotationMode::Manual, &settings, clock.now());
    let next = ring.next_key().kid.clone();
    ring.rotate(new_key(), &settings, clock.now());
    assert_eq!(ring.active().kid, next, "rotate is allowed in MANUAL mode");
    assert_eq!(ring.next_rotation(), None);
}

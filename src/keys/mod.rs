//! Signing keys of an authorization server and their rotation (Okta's 2017 OAuth 2.0 API
//! reference, "Authorization Server Key Store Operations").
//!
//! Each server has a [`KeyRing`]: one `ACTIVE` key that signs, one `NEXT` key that is already
//! published so verifiers can cache it before it signs anything, and `EXPIRED` keys that stay
//! published until no token they signed can still be live. The ring's transitions are pure
//! functions of `now`; where private keys live is the [`KeyMaterial`] trait's business (in
//! memory with [`SoftwareKeys`], or an HSM/KMS the host brings).
//!
//! Rotation (`ACTIVE`→`EXPIRED`, `NEXT`→`ACTIVE`, a new `NEXT`) happens when asked
//! ([`KeyRing::rotate`], both modes) or, in `AUTO` mode, once the clock passes `nextRotation`
//! ([`KeyRing::rotation_due`]). Okta does not say when the `NEXT` key appears; here it exists
//! from the server's creation and is replaced at every rotation, so a verifier always has the
//! next key at least one rotation interval before it signs.

mod material;
mod ring;

pub use crate::model::{RotationMode, SigningCredentials};
#[cfg(feature = "testkit")]
pub(crate) use material::open_pkcs8;
pub use material::{KeyError, KeyMaterial, NewKey, PrivateKey, SoftwareKeys, generate_off_executor};
pub use ring::{InvalidKeyRing, KeyRecord, KeyRing, KeyStatus, RotationSettings};

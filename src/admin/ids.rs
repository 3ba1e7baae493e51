//! Okta-style object ids: a three-character prefix and 17 random alphanumerics (`aus…` servers,
//! `00p…` policies, `0pr…` rules, `scp…` scopes, `ocl…` claims, `0oa…` clients).

use super::ApiError;
use crate::random::Randomness;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Prefix of authorization server ids.
pub const SERVER: &str = "aus";
/// Prefix of policy ids.
pub const POLICY: &str = "00p";
/// Prefix of rule ids.
pub const RULE: &str = "0pr";
/// Prefix of scope ids.
pub const SCOPE: &str = "scp";
/// Prefix of claim ids.
pub const CLAIM: &str = "ocl";
/// Prefix of client ids.
pub const CLIENT: &str = "0oa";

/// A new id: `prefix` followed by `len` alphanumerics drawn from `random` (uniform: bytes ≥ 248
/// are redrawn). Should the random source fail, the id falls back to a fixed filler, which a
/// uniqueness check at creation then catches.
pub fn new_id(prefix: &str, len: usize, random: &dyn Randomness) -> String {
    let mut id = String::with_capacity(prefix.len() + len);
    id.push_str(prefix);
    let mut pool = [0u8; 64];
    let mut used = pool.len();
    while id.len() < prefix.len() + len {
        if used == pool.len() {
            if random.fill(&mut pool).is_err() {
                pool = [b'x'; 64];
            }
            used = 0;
        }
        let byte = pool[used];
        used += 1;
        if byte < 248 {
            id.push(ALPHABET[usize::from(byte % 62)] as char);
        }
    }
    id
}

/// A new object id of Okta's length: `prefix` and 17 characters drawn from `random`.
pub fn object_id(prefix: &str, random: &dyn Randomness) -> String {
    new_id(prefix, 17, random)
}

/// The index of the item of `items` whose id (`id_of`) is `id`, or `E0000007` for an unknown
/// `kind`.
pub(super) fn index_of<T>(items: &[T], id: &str, kind: &str, id_of: impl Fn(&T) -> &str) -> Result<usize, ApiError> {
    items
        .iter()
        .position(|item| id_of(item) == id)
        .ok_or_else(|| ApiError::not_found(id, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_oktas() {
        let id = object_id(SERVER, &crate::random::SystemRandom);
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("aus"));
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(id, object_id(SERVER, &crate::random::SystemRandom));
    }
}

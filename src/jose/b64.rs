//! Strict base64url without padding (RFC 7515 §2): padding, other alphabets and non-canonical
//! trailing bits are rejected.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes `data` as unpadded base64url.
pub(crate) fn encode(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Appends `data` to `out` as unpadded base64url.
pub(crate) fn encode_into(data: impl AsRef<[u8]>, out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(data, out);
}

/// Appends `data` to `out` as unpadded base64url, encoding in place: no intermediate buffer and
/// no UTF-8 check per chunk, as [`encode_into`] makes for a `String`.
pub(crate) fn encode_onto(data: impl AsRef<[u8]>, out: &mut Vec<u8>) {
    let data = data.as_ref();
    let start = out.len();
    let encoded = encoded_len(data.len());
    out.resize(start + encoded, 0);
    let written = URL_SAFE_NO_PAD
        .encode_slice(data, &mut out[start..])
        .unwrap_or_default();
    debug_assert_eq!(written, encoded, "the buffer was sized by encoded_len");
    out.truncate(start + written);
}

/// The length of `len` bytes as unpadded base64url.
pub(crate) fn encoded_len(len: usize) -> usize {
    // `len` is at most a JWS payload, far from `usize::MAX / 4`.
    base64::encoded_len(len, false).unwrap_or(usize::MAX / 2)
}

/// Decodes unpadded base64url, or `None` if `text` is not exactly that.
pub(crate) fn decode(text: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_padding_standard_alphabet_and_loose_bits() {
        assert_eq!(decode("YQ").as_deref(), Some(&b"a"[..]));
        assert!(decode("YQ==").is_none());
        assert!(decode("+/+/").is_none());
        assert!(decode("YR").is_none(), "non-canonical trailing bits");
        assert!(decode("Y").is_none());
        assert_eq!(encode([0xfb, 0xff]), "-_8");
        let mut out = "a.".to_owned();
        encode_into([0xfb, 0xff], &mut out);
        assert_eq!(out, "a.-_8");
        let mut bytes = b"a.".to_vec();
        encode_onto([0xfb, 0xff], &mut bytes);
        encode_onto([], &mut bytes);
        encode_onto(b"any carnal pleasure.", &mut bytes);
        assert_eq!(bytes, b"a.-_8YW55IGNhcm5hbCBwbGVhc3VyZS4");
    }
}

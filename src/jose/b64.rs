//! Strict base64url without padding (RFC 7515 §2): padding, other alphabets and non-canonical
//! trailing bits are rejected.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encodes `data` as unpadded base64url.
pub(crate) fn encode(data: impl AsRef<[u8]>) -> String {
    let data = data.as_ref();
    let mut out = String::with_capacity(encoded_len(data.len()));
    encode_into(data, &mut out);
    out
}

/// Appends `data` to `out` as unpadded base64url, through a small buffer on the stack: ids and
/// hashes are tens of bytes, for which `base64`'s chunked encoder would zero a kilobyte.
pub(crate) fn encode_into(data: impl AsRef<[u8]>, out: &mut String) {
    /// Bytes encoded per step: a multiple of 3, so the steps' outputs join without padding.
    const STEP: usize = 48;
    let mut buffer = [0u8; STEP / 3 * 4];
    out.reserve(encoded_len(data.as_ref().len()));
    for step in data.as_ref().chunks(STEP) {
        let written = URL_SAFE_NO_PAD.encode_slice(step, &mut buffer).unwrap_or_default();
        // Base64url is ASCII, so this never falls back.
        out.push_str(std::str::from_utf8(&buffer[..written]).unwrap_or_default());
    }
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
        // Past one step of the stack buffer, the steps join as one encoding would.
        for len in [47, 48, 49, 96, 100, 1000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(encode(&data), URL_SAFE_NO_PAD.encode(&data), "{len} bytes");
        }
        let mut bytes = b"a.".to_vec();
        encode_onto([0xfb, 0xff], &mut bytes);
        encode_onto([], &mut bytes);
        encode_onto(b"any carnal pleasure.", &mut bytes);
        assert_eq!(bytes, b"a.-_8YW55IGNhcm5hbCBwbGVhc3VyZS4");
    }
}

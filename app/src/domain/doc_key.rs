//! One-to-one mapping from arbitrary text to a Firestore-safe document id fragment.
//!
//! Firestore ids may not contain `/`, may not be `.` or `..`, and `__x__` is reserved, so
//! everything but ASCII letters, digits and `-` is percent-encoded. Decoding is strict (upper-case
//! hex, and only for bytes that encoding would have escaped) so every id has exactly one source.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-');

pub fn encode_doc_key(text: &str) -> String {
    utf8_percent_encode(text, ESCAPED).to_string()
}

/// The inverse of [`encode_doc_key`]; `None` for an id that encoding could not have produced.
pub fn decode_doc_key(key: &str) -> Option<String> {
    let decoded = percent_decode_str(key).decode_utf8().ok()?.into_owned();
    (encode_doc_key(&decoded) == key).then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_path_and_dot_segments() {
        assert_eq!(encode_doc_key("ADM/2023/001"), "ADM%2F2023%2F001");
        assert_eq!(encode_doc_key(".."), "%2E%2E");
        assert_eq!(encode_doc_key("%2F"), "%252F");
        assert_eq!(encode_doc_key("__id__"), "%5F%5Fid%5F%5F");
    }

    #[test]
    fn round_trips_hostile_text() {
        for text in ["ADM/2023/001", "..", ".", "%2F", "a b", "مرحبا", "🎓", "A_B", "\u{202e}x"] {
            assert_eq!(decode_doc_key(&encode_doc_key(text)).as_deref(), Some(text));
        }
    }

    #[test]
    fn refuses_ids_encoding_would_not_produce() {
        assert_eq!(decode_doc_key("%41"), None, "A is never escaped");
        assert_eq!(decode_doc_key("%2f"), None, "lower-case hex is never produced");
        assert_eq!(decode_doc_key("a/b"), None);
        assert_eq!(decode_doc_key("%FF"), None, "not UTF-8");
    }
}

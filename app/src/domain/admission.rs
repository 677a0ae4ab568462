//! Admission numbers (`ADM/2023/001`) and their one-to-one Firestore key.
//!
//! Students type them in every case, so the number is normalised (compatibility form NFKC,
//! which turns fullwidth `ＡＤＭ／２０２３` into `ADM/2023`; trimmed; upper-cased) before anything
//! compares or stores it: `adm/2023/001` and ` ADM/2023/001 ` are the same student, and the same
//! attendance document. What remains must be ASCII letters, digits and `/ - . _`: a Cyrillic
//! `А` or an invisible filler would make a look-alike "different" student that the lecturer
//! cannot even type.

use unicode_normalization::UnicodeNormalization;

use super::Invalid;
use super::doc_key::{decode_doc_key, encode_doc_key};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AdmissionNumber(String);

impl AdmissionNumber {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        // Refuse a huge paste before normalising it.
        if input.len() > Self::MAX_CHARS * 4 + 64 {
            return Err(Invalid(format!("Admission number must be at most {} characters.", Self::MAX_CHARS)));
        }
        let text: String = input.nfkc().collect::<String>().trim().to_ascii_uppercase();
        if text.is_empty() {
            return Err(Invalid::new("Admission number is required."));
        }
        if let Some(c) =
            text.chars().find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.' | '_')))
        {
            let shown = if c.is_whitespace() || c.is_control() || !c.is_ascii() {
                format!("U+{:04X}", c as u32)
            } else {
                format!("{c:?}")
            };
            return Err(Invalid(format!(
                "Admission number may contain only the letters A-Z, digits 0-9 and / - . _ (found {shown}), e.g. ADM/2023/001."
            )));
        }
        if !text.chars().any(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new("Admission number must contain a letter or a digit."));
        }
        if text.len() > Self::MAX_CHARS {
            return Err(Invalid(format!("Admission number must be at most {} characters.", Self::MAX_CHARS)));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> AdmissionKey {
        AdmissionKey(encode_doc_key(&self.0))
    }
}

impl std::fmt::Display for AdmissionNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The document-id form of an [`AdmissionNumber`]: no `/`, `.`, `%` ambiguity, reversible.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AdmissionKey(String);

impl AdmissionKey {
    /// Reads a key back from a document id; `None` unless it is exactly what `key()` produces.
    pub fn parse(key: &str) -> Option<Self> {
        let number = AdmissionNumber::parse(&decode_doc_key(key)?).ok()?;
        (number.key().0 == key).then(|| number.key())
    }

    pub fn admission_number(&self) -> AdmissionNumber {
        // The constructor guarantees the key decodes to a normalised number.
        AdmissionNumber(decode_doc_key(&self.0).unwrap_or_default())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AdmissionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> AdmissionNumber {
        AdmissionNumber::parse(s).expect(s)
    }

    #[test]
    fn case_and_spacing_do_not_make_a_new_student() {
        let a = parse("ADM/2023/001");
        for variant in ["adm/2023/001", "  Adm/2023/001\t", "ADM/2023/001 "] {
            assert_eq!(parse(variant), a);
            assert_eq!(parse(variant).key(), a.key());
        }
        // Fullwidth forms from a phone keyboard are the same characters.
        assert_eq!(parse("ａｄｍ／２０２３／００１"), a);
        assert_eq!(parse("SCT211-0001/2021").as_str(), "SCT211-0001/2021");
        assert_eq!(parse("p15_1234.2020").as_str(), "P15_1234.2020");
    }

    #[test]
    fn look_alikes_and_invisible_characters_are_refused_with_what_is_allowed() {
        for input in [
            "\u{0410}DM/2023/001",  // Cyrillic А
            "ADM/2023/001\u{3164}", // Hangul filler
            "ADM/2023\u{200B}/001",
            "ADM 2023 001",
            "Ünï/1",
            "ADM/2023/001\u{00AD}",
        ] {
            let err = AdmissionNumber::parse(input).expect_err(input);
            assert!(err.0.contains("A-Z, digits 0-9 and / - . _"), "{input:?}: {err}");
        }
    }

    #[test]
    fn key_is_safe_for_firestore_and_round_trips() {
        for input in ["ADM/2023/001", "..1", "A/../B", "A.B", "P15/1234/2020", "SCT211-0001/2021", "A_B"] {
            let number = parse(input);
            let key = number.key();
            assert!(!key.as_str().contains('/'), "{key}");
            assert!(!key.as_str().contains('.'), "{key}");
            assert_ne!(key.as_str(), "..");
            assert_eq!(AdmissionKey::parse(key.as_str()), Some(key.clone()));
            assert_eq!(key.admission_number(), number);
        }
    }

    #[test]
    fn distinct_numbers_have_distinct_keys() {
        assert_ne!(parse("A/1").key(), parse("A.1").key());
        assert_ne!(parse("A/1").key(), parse("A-1").key());
        assert_ne!(parse("A_1").key(), parse("A.1").key());
    }

    #[test]
    fn keys_that_encoding_cannot_produce_are_refused() {
        assert_eq!(AdmissionKey::parse("adm%2F1"), None, "lower case is never stored");
        assert_eq!(AdmissionKey::parse("ADM/1"), None);
        assert_eq!(AdmissionKey::parse(""), None);
        assert_eq!(AdmissionKey::parse("%41DM"), None);
    }

    #[test]
    fn hostile_input_is_refused_with_a_message() {
        assert_eq!(AdmissionNumber::parse("").expect_err("empty").0, "Admission number is required.");
        assert_eq!(AdmissionNumber::parse("   ").expect_err("blank").0, "Admission number is required.");
        assert!(AdmissionNumber::parse(&"A".repeat(10 * 1024)).is_err());
        assert!(AdmissionNumber::parse("ADM\u{0000}1").is_err());
        assert!(AdmissionNumber::parse("ADM\u{202E}1").is_err());
        assert!(AdmissionNumber::parse("ADM🎓1").is_err());
        assert!(AdmissionNumber::parse("//..").is_err(), "no letter or digit");
        assert!(AdmissionNumber::parse(&"A".repeat(41)).is_err());
    }
}

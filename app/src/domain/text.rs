//! Free-text values people type (names, venues, descriptions): in Unicode normal form C (so
//! "é" typed two ways is one name), trimmed, inner whitespace collapsed, bounded in length, and
//! free of control and format characters, which render invisibly and can make one name look
//! like another (bidi overrides, zero-width joiners, soft hyphens, tag characters).

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::Invalid;

/// Characters that never belong in a single-line value: controls (Cc) and every Unicode
/// format character (Cf), plus the Mongolian vowel separator, which used to be one.
pub(super) fn is_forbidden(c: char) -> bool {
    c.is_control() || c.general_category() == GeneralCategory::Format || c == '\u{180E}'
}

/// Trims, collapses runs of whitespace to one space, and enforces `1..=max` characters.
pub(super) fn single_line(input: &str, what: &str, max: usize) -> Result<String, Invalid> {
    // Check the raw length first so a 10 MB paste is refused before any allocation.
    if input.len() > max * 4 + 64 {
        return Err(Invalid(format!("{what} must be at most {max} characters.")));
    }
    let input: String = input.nfc().collect();
    let mut out = String::with_capacity(input.len());
    for word in input.split_whitespace() {
        if let Some(c) = word.chars().find(|&c| is_forbidden(c)) {
            return Err(Invalid(format!(
                "{what} contains an invisible or control character (U+{:04X}).",
                c as u32
            )));
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let len = out.chars().count();
    if len == 0 {
        return Err(Invalid(format!("{what} is required.")));
    }
    if len > max {
        return Err(Invalid(format!("{what} must be at most {max} characters (got {len}).")));
    }
    Ok(out)
}

/// A bounded single-line text value with a human label for error messages.
macro_rules! single_line_text {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(input: &str) -> Result<Self, Invalid> {
                single_line(input, $what, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

single_line_text!(
    /// A student's full name as they typed it on the attendance form.
    StudentName, "Full name", 100
);

impl StudentName {
    /// Whether `other` names the same person as far as typing goes: case and spacing aside.
    pub fn is_same_name(&self, other: &str) -> bool {
        let words = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
        words(self.as_str()) == words(other)
    }
}
single_line_text!(
    /// Why a lecturer changed a mark ("proxy mark", "medical certificate"), kept in its history.
    Reason, "Reason", 200
);
single_line_text!(
    /// A lecturer's full name.
    FullName, "Full name", 100
);
single_line_text!(
    /// Where a lecture takes place ("LT 2", "Main Hall B").
    Venue, "Venue", 100
);
single_line_text!(
    /// A lecturer's department.
    Department, "Department", 100
);
single_line_text!(
    /// A course unit's title ("Introduction to Programming").
    UnitName, "Unit name", 150
);

/// A unit's optional multi-line description: line breaks kept, other controls refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct UnitDescription(String);

impl UnitDescription {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text: String = input.trim().replace("\r\n", "\n").nfc().collect();
        if let Some(c) = text.chars().find(|&c| c != '\n' && c != '\t' && is_forbidden(c)) {
            return Err(Invalid(format!(
                "Description contains an invisible or control character (U+{:04X}).",
                c as u32
            )));
        }
        let len = text.chars().count();
        if len > Self::MAX_CHARS {
            return Err(Invalid(format!(
                "Description must be at most {} characters (got {len}).",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_collapsed() {
        let name = StudentName::parse("  Jane \t  Wanjiru\u{00A0}Doe ").expect("valid");
        assert_eq!(name.as_str(), "Jane Wanjiru Doe");
    }

    #[test]
    fn empty_and_blank_names_are_refused() {
        for input in ["", "   ", "\t\n"] {
            let err = StudentName::parse(input).expect_err("blank");
            assert_eq!(err.0, "Full name is required.");
        }
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert!(StudentName::parse(&"é".repeat(100)).is_ok());
        assert!(StudentName::parse(&"é".repeat(101)).is_err());
        let huge = "x".repeat(10 * 1024);
        assert!(StudentName::parse(&huge).expect_err("10 KB").0.contains("at most 100"));
    }

    #[test]
    fn control_and_bidi_override_characters_are_refused() {
        for input in ["Jane\u{0007}", "Jane\u{202E}eod", "a\u{200B}b", "x\u{0000}", "\u{FEFF}Bob"] {
            assert!(StudentName::parse(input).is_err(), "{input:?}");
        }
        // Format characters of every kind, not only the well-known ones.
        for input in
            ["Ja\u{00AD}ne", "Jane\u{061C}", "Ja\u{180E}ne", "Jane\u{E0041}", "Jane\u{2066}x", "J\u{FFF9}"]
        {
            assert!(StudentName::parse(input).is_err(), "{input:?}");
        }
        // A newline is whitespace: it collapses instead of failing.
        assert_eq!(StudentName::parse("Jane\nDoe").expect("ok").as_str(), "Jane Doe");
    }

    #[test]
    fn the_same_name_ignores_case_and_spacing_only() {
        let name = StudentName::parse("Jane Wanjiru").expect("name");
        assert!(name.is_same_name(" jane  WANJIRU "));
        assert!(!name.is_same_name("Jane Wanjiru Doe"));
    }

    #[test]
    fn names_typed_with_combining_marks_are_the_same_name() {
        let composed = StudentName::parse("Ren\u{00E9}e").expect("composed");
        let decomposed = StudentName::parse("Rene\u{0301}e").expect("decomposed");
        assert_eq!(composed, decomposed);
    }

    #[test]
    fn right_to_left_scripts_and_emoji_are_names_too() {
        assert_eq!(StudentName::parse("محمد علي").expect("arabic").as_str(), "محمد علي");
        assert!(StudentName::parse("Ana 🎓").is_ok());
        assert!(Venue::parse("LT 2 / Block ..").is_ok());
    }

    #[test]
    fn descriptions_keep_line_breaks() {
        let d = UnitDescription::parse(" Line one\r\nLine two \n").expect("ok");
        assert_eq!(d.as_str(), "Line one\nLine two");
        assert!(UnitDescription::parse("").expect("empty ok").as_str().is_empty());
        assert!(UnitDescription::parse("bad\u{0001}").is_err());
        assert!(UnitDescription::parse(&"x".repeat(2001)).is_err());
    }
}

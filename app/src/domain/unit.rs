//! Course unit codes (`CS101`, `SCS 301`): the id of a unit document, so they are normalised to
//! one spelling: upper case, spaces removed.

use super::Invalid;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub const MAX_CHARS: usize = 16;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input.len() > 256 {
            return Err(Invalid::new("Unit code must be at most 16 characters."));
        }
        let code: String =
            input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if code.is_empty() {
            return Err(Invalid::new("Unit code is required."));
        }
        if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(Invalid::new(
                "Unit code may contain only letters A–Z, digits and '-' (for example CS101).",
            ));
        }
        if !code.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(Invalid::new("Unit code must start with a letter (for example CS101)."));
        }
        let len = code.chars().count();
        if !(2..=Self::MAX_CHARS).contains(&len) {
            return Err(Invalid(format!("Unit code must be 2 to {} characters long.", Self::MAX_CHARS)));
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UnitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_spaces() {
        assert_eq!(UnitCode::parse(" cs101 ").expect("ok").as_str(), "CS101");
        assert_eq!(UnitCode::parse("SCS 301").expect("ok").as_str(), "SCS301");
        assert_eq!(UnitCode::parse("math-101a").expect("ok").as_str(), "MATH-101A");
    }

    #[test]
    fn refuses_hostile_codes() {
        for input in [
            "",
            "  ",
            "1CS",
            "CS/101",
            "..",
            "CS.101",
            "%2F",
            "C",
            "CS_101",
            "CS101🎓",
            "ÇS101",
            "\u{202E}CS1",
        ] {
            assert!(UnitCode::parse(input).is_err(), "{input:?}");
        }
        assert!(UnitCode::parse(&"A".repeat(10 * 1024)).is_err());
        assert!(UnitCode::parse(&"A".repeat(17)).is_err());
    }
}

//! Lecturer account values: username, staff id, contact details and the password.

use super::Invalid;
use super::doc_key::encode_doc_key;
use super::text::is_forbidden;

/// A lecturer's login name: 3–32 of `a-z 0-9 . _ -`, starting with a letter, case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Words of the app's own addresses: `/admin/lecturers/new/` is the form for a new
    /// account, so an account called `new` could never be managed.
    pub const RESERVED: [&'static str; 1] = ["new"];

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = input.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(Invalid::new("Username is required."));
        }
        if !(3..=32).contains(&name.len()) {
            return Err(Invalid::new("Username must be 3 to 32 characters long."));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(Invalid::new("Username must start with a letter."));
        }
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(Invalid::new("Username may contain only letters, digits, '.', '_' and '-'."));
        }
        if Self::RESERVED.contains(&name.as_str()) {
            return Err(Invalid(format!("The username {name} is reserved; choose another.")));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document id. Usernames start with a letter and contain no `/`, but `..` inside one
    /// (`a..b`) is allowed, so the id goes through the same encoding as every other key.
    pub fn key(&self) -> String {
        encode_doc_key(&self.0)
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A staff number as universities write them (`STF/0042`, `STAFF_001`, `KU/STF/0042`,
/// `CS.001`): upper-cased ASCII letters and digits joined by `/ - _ .`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct StaffId(String);

impl StaffId {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let id = input.trim().to_ascii_uppercase();
        if id.is_empty() {
            return Err(Invalid::new("Staff id is required."));
        }
        if id.len() > 20 {
            return Err(Invalid::new("Staff id must be at most 20 characters."));
        }
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.')) {
            return Err(Invalid::new(
                "Staff id may contain only the letters A-Z, digits 0-9 and / - _ . (e.g. STF/0042 or STAFF_001).",
            ));
        }
        if !id.chars().any(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new("Staff id must contain a letter or a digit."));
        }
        Ok(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The guard document id (staff ids may contain `/`).
    pub fn key(&self) -> String {
        encode_doc_key(&self.0)
    }
}

impl std::fmt::Display for StaffId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked only for shape: one `@`, a dotted domain, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let email = input.trim();
        let invalid = || Invalid::new("Enter an e-mail address such as name@university.ac.ke.");
        if email.is_empty() {
            return Err(Invalid::new("E-mail is required."));
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || is_forbidden(c)) {
            return Err(invalid());
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || local.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number: digits with the usual `+ - ( )` and spaces, 7–20 characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let phone = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !(7..=20).contains(&phone.len())
            || digits < 7
            || !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' '))
        {
            return Err(Invalid::new("Enter a phone number such as +254 700 000 000."));
        }
        Ok(Self(phone))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10 to 1024 characters (the cap keeps hashing cost bounded). Never printed.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let len = input.chars().count();
        if len < Self::MIN_CHARS {
            return Err(Invalid(format!("Password must be at least {} characters long.", Self::MIN_CHARS)));
        }
        if len > Self::MAX_CHARS {
            return Err(Invalid(format!("Password must be at most {} characters.", Self::MAX_CHARS)));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_case_and_bounded() {
        assert_eq!(Username::parse(" JKamau ").expect("ok").as_str(), "jkamau");
        for input in ["", "ab", "1abc", "a/b", "..", "%2F", "a b", "ab\u{202E}c", "jöe", "🎓abc"] {
            assert!(Username::parse(input).is_err(), "{input:?}");
        }
        assert!(Username::parse(&"a".repeat(10 * 1024)).is_err());
        assert!(!Username::parse("a..b").expect("ok").key().contains('.'));
    }

    #[test]
    fn the_words_of_the_apps_own_addresses_are_reserved() {
        let refused = Username::parse(" NEW ").expect_err("reserved");
        assert_eq!(refused.0, "The username new is reserved; choose another.");
        assert!(Username::parse("newton").is_ok());
    }

    #[test]
    fn staff_ids_may_contain_slashes_but_keys_may_not() {
        let id = StaffId::parse("stf/0042").expect("ok");
        assert_eq!(id.as_str(), "STF/0042");
        assert_eq!(id.key(), "STF%2F0042");
        for input in ["", "/", "..", "%2F", "S 1", &"9".repeat(21), "S\u{0000}1", "ش1"] {
            assert!(StaffId::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn staff_ids_in_the_formats_universities_use_are_accepted() {
        for input in ["STAFF_001", "cs_001", "KU/STF/0042", "CS.001", "SCT-211"] {
            let id = StaffId::parse(input).expect(input);
            assert!(!id.key().contains(['/', '.']), "{input}: {}", id.key());
        }
        assert_ne!(StaffId::parse("CS.001").expect("ok").key(), StaffId::parse("CS_001").expect("ok").key());
        let err = StaffId::parse("STAFF 001").expect_err("space");
        assert!(err.0.contains("/ - _ ."), "{err}");
    }

    #[test]
    fn emails_and_phones_have_a_plausible_shape() {
        assert_eq!(Email::parse(" a.b@Uni.AC.ke ").expect("ok").as_str(), "a.b@uni.ac.ke");
        for input in ["", "a", "a@b", "@b.c", "a@.c", "a b@c.d", "a@b.c\u{202E}"] {
            assert!(Email::parse(input).is_err(), "{input:?}");
        }
        assert!(Phone::parse("+254 700 000 000").is_ok());
        for input in ["", "123", "call me", "+254\u{0000}700000000"] {
            assert!(Phone::parse(input).is_err(), "{input:?}");
        }
    }

    #[test]
    fn passwords_have_a_minimum_and_never_print() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(2000)).is_err());
        let p = Password::parse("correct horse battery").expect("ok");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }
}

use crate::domain::{Department, Email, FullName, Instant, Phone, StaffId, Username};

/// A lecturer account. The password hash travels separately ([`PasswordHash`]) so that a
/// `Lecturer` can be handed to templates without it.
#[derive(Debug, Clone)]
pub struct Lecturer {
    pub username: Username,
    pub full_name: FullName,
    pub email: Email,
    pub staff_id: StaffId,
    pub department: Department,
    pub phone: Option<Phone>,
    pub active: bool,
    /// A department administrator: manages lecturer accounts on `/admin/`.
    pub admin: bool,
    pub created_at: Option<Instant>,
}

#[derive(Debug, Clone)]
pub struct NewLecturer {
    pub username: Username,
    pub full_name: FullName,
    pub email: Email,
    pub staff_id: StaffId,
    pub department: Department,
    pub phone: Option<Phone>,
    pub password_hash: PasswordHash,
    pub admin: bool,
}

/// An argon2id PHC string (`$argon2id$v=19$...`). Never the password itself.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read back from storage or produced by the hasher.
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

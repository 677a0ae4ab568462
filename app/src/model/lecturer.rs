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
    /// Set by an administrator's temporary password: every page but the password form waits
    /// until the lecturer chose their own.
    pub must_change_password: bool,
    /// Changes with every end of access; a login session made under another one is dead.
    pub access_epoch: String,
    pub created_at: Option<Instant>,
}

/// What an administrator may change of an account (username and staff id stay).
#[derive(Debug, Clone)]
pub struct LecturerDetails {
    pub full_name: FullName,
    pub email: Email,
    pub department: Department,
    pub phone: Option<Phone>,
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
    /// The password is temporary (given by an administrator): changed at the first login.
    pub must_change_password: bool,
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

//! The department's audit log: every change an administrator (on `/admin/` or on the command
//! line) makes to an account or a unit, kept for as long as the department keeps its records.

use crate::domain::{Instant, Username};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Someone with the Firestore credentials, through `attendance lecturer …`.
    CommandLine,
    /// A department administrator on `/admin/`.
    Administrator(Username),
    /// The account's own lecturer (a one-time reset link used).
    Lecturer(Username),
}

impl Actor {
    /// As stored: a username, or `(command line)` (never a valid username).
    pub fn as_stored(&self) -> String {
        match self {
            Self::CommandLine => Self::COMMAND_LINE.to_owned(),
            Self::Administrator(u) | Self::Lecturer(u) => u.as_str().to_owned(),
        }
    }

    pub const COMMAND_LINE: &'static str = "(command line)";
}

macro_rules! actions {
    ($($variant:ident => $stored:literal, $label:literal;)*) => {
        /// What an administrator did.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AuditAction { $($variant),* }

        impl AuditAction {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $stored),* }
            }

            pub fn parse(stored: &str) -> Option<Self> {
                match stored { $($stored => Some(Self::$variant),)* _ => None }
            }

            /// For people, on the audit log.
            pub fn label(self) -> &'static str {
                match self { $(Self::$variant => $label),* }
            }
        }
    };
}

actions! {
    LecturerCreated => "lecturer_created", "Created the account";
    LecturerEdited => "lecturer_edited", "Edited the account";
    LecturerDisabled => "lecturer_disabled", "Disabled the account";
    LecturerEnabled => "lecturer_enabled", "Enabled the account";
    AdminGranted => "admin_granted", "Made an administrator";
    AdminRevoked => "admin_revoked", "Took the administrator role away";
    PasswordSet => "password_set", "Set a new password";
    TemporaryPasswordSet => "temporary_password_set", "Set a temporary password";
    ResetLinkIssued => "reset_link_issued", "Issued a one-time password link";
    ResetLinkUsed => "reset_link_used", "Chose a new password with a one-time link";
    UnitReassigned => "unit_reassigned", "Handed the unit over";
    UnitArchived => "unit_archived", "Archived the unit";
    UnitRestored => "unit_restored", "Restored the unit";
}

/// One entry to write, in the same commit as the change it records.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor: Actor,
    pub action: AuditAction,
    /// The account's username or the unit's code.
    pub target: String,
    /// What changed, for people ("from jkamau to potieno", "email, phone").
    pub detail: String,
}

impl NewAuditEntry {
    pub fn new(
        actor: &Actor,
        action: AuditAction,
        target: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self { actor: actor.clone(), action, target: target.into(), detail: detail.into() }
    }
}

/// One entry as read back.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: Instant,
    pub actor: String,
    pub action: AuditAction,
    pub target: String,
    pub detail: String,
}

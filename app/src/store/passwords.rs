//! Passwords: an administrator's new or temporary password, a lecturer's own change, and
//! one-time reset links (`password_resets/{sha256(token)}`, valid until `expires_at`).

use firestore::FirestoreTimestamp;
use serde::{Deserialize, Serialize};

use super::commit::{Writes, server_time};
use super::docs::LOGIN_SESSIONS;
use super::docs::{LECTURERS, PASSWORD_RESETS};
use super::{Store, StoreError};
use crate::domain::{Instant, Username};
use crate::model::{Actor, AuditAction, NewAuditEntry, PasswordHash};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PasswordResetDoc {
    lecturer: String,
    expires_at: FirestoreTimestamp,
    /// Who issued it (an administrator's username).
    issued_by: String,
    #[serde(default)]
    issued_at: Option<FirestoreTimestamp>,
}

/// A live one-time link: whose password it sets, and until when.
#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub lecturer: Username,
    pub expires_at: Instant,
}

#[derive(Serialize)]
struct NewPassword<'a> {
    password_hash: &'a str,
    must_change_password: bool,
}

const PASSWORD_FIELDS: [&str; 2] = ["password_hash", "must_change_password"];

impl Store {
    /// Replaces the password hash (`temporary`: the lecturer must change it at the next login)
    /// and, in the same commit, ends every login session and reset link of the account, so
    /// whoever knew the old password is logged out everywhere. Returns the sessions ended;
    /// `NotFound` for no such account.
    pub async fn set_password(
        &self,
        username: &Username,
        hash: &PasswordHash,
        temporary: bool,
        by: &Actor,
    ) -> Result<usize, StoreError> {
        let action = if temporary { AuditAction::TemporaryPasswordSet } else { AuditAction::PasswordSet };
        let mut writes = Writes::new(self.db().await?);
        let ended = self.end_access(&mut writes, username, None, None).await?;
        writes.update(
            LECTURERS,
            &username.key(),
            &NewPassword { password_hash: hash.as_str(), must_change_password: temporary },
            &PASSWORD_FIELDS,
            vec![server_time("updated_at")],
        )?;
        writes.audit(&NewAuditEntry::new(by, action, username.as_str(), ""))?;
        writes.commit().await?;
        Ok(ended)
    }

    /// Adds to `writes` the end of every login session of the account but `keep`, and of every
    /// reset link it has but `spare` (one the caller deletes itself): whoever held the old
    /// password, or a link, is out with the change. Returns the sessions ended.
    pub(super) async fn end_access(
        &self,
        writes: &mut Writes,
        username: &Username,
        keep: Option<&str>,
        spare: Option<&str>,
    ) -> Result<usize, StoreError> {
        let (sessions, links) = tokio::try_join!(
            self.ids_where(LOGIN_SESSIONS, "lecturer", username.as_str()),
            self.ids_where(PASSWORD_RESETS, "lecturer", username.as_str()),
        )?;
        let ended: Vec<&String> = sessions.iter().filter(|id| Some(id.as_str()) != keep).collect();
        for id in &ended {
            writes.delete(LOGIN_SESSIONS, id)?;
        }
        for id in links.iter().filter(|id| Some(id.as_str()) != spare) {
            writes.delete(PASSWORD_RESETS, id)?;
        }
        Ok(ended.len())
    }

    /// The lecturer's own change, keeping the login session `keep` (a token hash) signed in and
    /// ending every other (and any reset link); a temporary password is temporary no more.
    pub async fn change_password(
        &self,
        username: &Username,
        hash: &PasswordHash,
        keep: Option<&str>,
    ) -> Result<usize, StoreError> {
        #[derive(Serialize)]
        struct Cleared {
            must_change_password: bool,
        }
        let mut writes = Writes::new(self.db().await?);
        let ended = self.end_access(&mut writes, username, keep, None).await?;
        writes.update(
            LECTURERS,
            &username.key(),
            &NewPassword { password_hash: hash.as_str(), must_change_password: false },
            &PASSWORD_FIELDS,
            vec![server_time("updated_at")],
        )?;
        if let Some(keep) = keep {
            let cleared = Cleared { must_change_password: false };
            writes.update(LOGIN_SESSIONS, keep, &cleared, &["must_change_password"], vec![])?;
        }
        writes.commit().await?;
        Ok(ended)
    }

    /// Stores a one-time link (`token_hash` of its secret) for `username`, valid until
    /// `expires_at`; the account's earlier links stop working.
    pub async fn issue_password_reset(
        &self,
        username: &Username,
        token_hash: &str,
        expires_at: Instant,
        by: &Actor,
    ) -> Result<(), StoreError> {
        let earlier = self.ids_where(PASSWORD_RESETS, "lecturer", username.as_str()).await?;
        let doc = PasswordResetDoc {
            lecturer: username.as_str().to_owned(),
            expires_at: FirestoreTimestamp(expires_at),
            issued_by: by.as_stored(),
            issued_at: None,
        };
        let mut writes = Writes::new(self.db().await?);
        for id in &earlier {
            writes.delete(PASSWORD_RESETS, id)?;
        }
        let until = format!("valid until {}", expires_at.round(jiff::Unit::Minute).unwrap_or(expires_at));
        writes.create(PASSWORD_RESETS, token_hash, &doc, &["issued_at"])?;
        writes.audit(&NewAuditEntry::new(by, AuditAction::ResetLinkIssued, username.as_str(), until))?;
        writes.commit().await.map(|_| ())
    }

    /// The link with this token hash, if it exists and has not expired.
    pub async fn password_reset(
        &self,
        token_hash: &str,
        now: Instant,
    ) -> Result<Option<PasswordReset>, StoreError> {
        let Some(doc) = self.get_doc::<PasswordResetDoc>(PASSWORD_RESETS, token_hash).await? else {
            return Ok(None);
        };
        if doc.expires_at.0 <= now {
            return Ok(None);
        }
        let lecturer =
            Username::parse(&doc.lecturer).map_err(|e| StoreError::corrupt("password reset", e))?;
        Ok(Some(PasswordReset { lecturer, expires_at: doc.expires_at.0 }))
    }

    /// Uses the link: sets the password, deletes the link (a second use finds it gone:
    /// `NotFound`) and ends every login session of the account, in one commit.
    pub async fn use_password_reset(
        &self,
        token_hash: &str,
        reset: &PasswordReset,
        hash: &PasswordHash,
    ) -> Result<usize, StoreError> {
        let by = Actor::Lecturer(reset.lecturer.clone());
        let mut writes = Writes::new(self.db().await?);
        // This link first, with its precondition: a second use fails as a whole.
        writes.delete_existing(PASSWORD_RESETS, token_hash)?;
        let ended = self.end_access(&mut writes, &reset.lecturer, None, Some(token_hash)).await?;
        writes.update(
            LECTURERS,
            &reset.lecturer.key(),
            &NewPassword { password_hash: hash.as_str(), must_change_password: false },
            &PASSWORD_FIELDS,
            vec![server_time("updated_at")],
        )?;
        writes.audit(&NewAuditEntry::new(&by, AuditAction::ResetLinkUsed, reset.lecturer.as_str(), ""))?;
        writes.commit().await?;
        Ok(ended)
    }
}

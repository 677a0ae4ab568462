//! Passwords: an administrator's new or temporary password, a lecturer's own change, and
//! one-time reset links (`password_resets/{sha256(token)}`, valid until `expires_at`).
//!
//! Ending access never lists sessions inside the change's commit: the account gets a new
//! access epoch in that commit, and every login session or reset link made under an older one
//! is dead from then on (checked on every request, see `auth::access`), however many there are
//! and however late a login in flight creates its session. The dead documents are swept
//! afterwards, best effort, a few hundred per commit.

use firestore::FirestoreTimestamp;
use serde::{Deserialize, Serialize};

use super::commit::{Writes, server_time};
use super::docs::{LECTURERS, LOGIN_SESSIONS, LecturerDoc, PASSWORD_RESETS};
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
    /// The account's access epoch when it was issued: any later end of access voids it.
    #[serde(default)]
    access_epoch: String,
}

/// A live one-time link: whose password it sets, and until when.
#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub lecturer: Username,
    pub expires_at: Instant,
    /// The account's access epoch it was issued under.
    access_epoch: String,
}

#[derive(Serialize)]
struct NewPassword<'a> {
    password_hash: &'a str,
    must_change_password: bool,
    /// A new epoch: every session and link of the old password is dead.
    access_epoch: &'a str,
}

const PASSWORD_FIELDS: [&str; 3] = ["password_hash", "must_change_password", "access_epoch"];

/// Login sessions and links swept per commit after an end of access (Firestore takes 500).
const SWEEP_PER_COMMIT: usize = 400;

/// A fresh access epoch: 128 random bits.
pub(super) fn new_epoch() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Store {
    /// Replaces the password hash (`temporary`: the lecturer must change it at the next login)
    /// and, in the same commit, the account's access epoch, so whoever knew the old password,
    /// or held a link, is logged out everywhere at once. Returns the sessions swept;
    /// `NotFound` for no such account.
    pub async fn set_password(
        &self,
        username: &Username,
        hash: &PasswordHash,
        temporary: bool,
        by: &Actor,
    ) -> Result<usize, StoreError> {
        let action = if temporary { AuditAction::TemporaryPasswordSet } else { AuditAction::PasswordSet };
        let epoch = new_epoch();
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            LECTURERS,
            &username.key(),
            &NewPassword {
                password_hash: hash.as_str(),
                must_change_password: temporary,
                access_epoch: &epoch,
            },
            &PASSWORD_FIELDS,
            vec![server_time("updated_at")],
        )?;
        writes.audit(&NewAuditEntry::new(by, action, username.as_str(), ""))?;
        writes.commit().await?;
        Ok(self.sweep_access(username, None).await)
    }

    /// Deletes the login sessions (but `keep`) and reset links of `username` that an end of
    /// access has already made dead, a few hundred per commit; returns the sessions deleted.
    /// Best effort: a failure is logged, and whatever is left is refused on sight anyway.
    pub(super) async fn sweep_access(&self, username: &Username, keep: Option<&str>) -> usize {
        let found = tokio::try_join!(
            self.ids_where(LOGIN_SESSIONS, "lecturer", username.as_str()),
            self.ids_where(PASSWORD_RESETS, "lecturer", username.as_str()),
        );
        let (sessions, links) = match found {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, username = %username, "ended sessions not swept; they are refused on sight");
                return 0;
            }
        };
        let sessions: Vec<&String> = sessions.iter().filter(|id| Some(id.as_str()) != keep).collect();
        let doomed = sessions
            .iter()
            .map(|id| (LOGIN_SESSIONS, *id))
            .chain(links.iter().map(|id| (PASSWORD_RESETS, id)));
        let doomed: Vec<(&str, &String)> = doomed.collect();
        for chunk in doomed.chunks(SWEEP_PER_COMMIT) {
            let swept = async {
                let mut writes = Writes::new(self.db().await?);
                for (collection, id) in chunk {
                    writes.delete(collection, id)?;
                }
                writes.commit().await
            };
            if let Err(e) = swept.await {
                tracing::warn!(error = %e, username = %username, "ended sessions not swept; they are refused on sight");
                return 0;
            }
        }
        sessions.len()
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
        struct Kept<'a> {
            must_change_password: bool,
            access_epoch: &'a str,
        }
        let epoch = new_epoch();
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            LECTURERS,
            &username.key(),
            &NewPassword { password_hash: hash.as_str(), must_change_password: false, access_epoch: &epoch },
            &PASSWORD_FIELDS,
            vec![server_time("updated_at")],
        )?;
        if let Some(keep) = keep {
            // This session moves to the new epoch with the account: the one that stays.
            let kept = Kept { must_change_password: false, access_epoch: &epoch };
            writes.update(LOGIN_SESSIONS, keep, &kept, &["must_change_password", "access_epoch"], vec![])?;
        }
        writes.commit().await?;
        Ok(self.sweep_access(username, keep).await)
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
        let key = username.key();
        let (earlier, account) = tokio::try_join!(
            self.ids_where(PASSWORD_RESETS, "lecturer", username.as_str()),
            self.get_doc::<LecturerDoc>(LECTURERS, &key),
        )?;
        let account = account.ok_or(StoreError::NotFound)?;
        let doc = PasswordResetDoc {
            lecturer: username.as_str().to_owned(),
            expires_at: FirestoreTimestamp(expires_at),
            issued_by: by.as_stored(),
            issued_at: None,
            access_epoch: account.access_epoch,
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

    /// The link with this token hash, if it exists, has not expired, and the account's access
    /// has not ended since it was issued (a disable, a password change).
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
        let account = self.get_doc::<LecturerDoc>(LECTURERS, &lecturer.key()).await?;
        if !account.is_some_and(|a| a.active && !a.deleted && a.access_epoch == doc.access_epoch) {
            return Ok(None);
        }
        Ok(Some(PasswordReset { lecturer, expires_at: doc.expires_at.0, access_epoch: doc.access_epoch }))
    }

    /// Uses the link: sets the password and a new access epoch, and deletes the link (a second
    /// use finds it gone: `NotFound`), in one commit; every login session of the account is
    /// dead from then on. The commit also requires the account unchanged since the link was
    /// checked, so a disable or another password change in between wins (`PreconditionFailed`
    /// is answered as the link being used up).
    pub async fn use_password_reset(
        &self,
        token_hash: &str,
        reset: &PasswordReset,
        hash: &PasswordHash,
    ) -> Result<usize, StoreError> {
        let by = Actor::Lecturer(reset.lecturer.clone());
        let account = self.get_doc::<LecturerDoc>(LECTURERS, &reset.lecturer.key()).await?;
        let Some(read_at) =
            account.filter(|a| a.active && a.access_epoch == reset.access_epoch).and_then(|a| a.update_time)
        else {
            return Err(StoreError::NotFound);
        };
        let epoch = new_epoch();
        let mut writes = Writes::new(self.db().await?);
        // This link first, with its precondition: a second use fails as a whole.
        writes.delete_existing(PASSWORD_RESETS, token_hash)?;
        writes.update_if_unchanged(
            LECTURERS,
            &reset.lecturer.key(),
            &NewPassword { password_hash: hash.as_str(), must_change_password: false, access_epoch: &epoch },
            &PASSWORD_FIELDS,
            read_at.0,
            vec![server_time("updated_at")],
        )?;
        writes.audit(&NewAuditEntry::new(&by, AuditAction::ResetLinkUsed, reset.lecturer.as_str(), ""))?;
        match writes.commit().await {
            Err(StoreError::PreconditionFailed(_)) => return Err(StoreError::NotFound),
            other => other?,
        };
        Ok(self.sweep_access(&reset.lecturer, None).await)
    }
}

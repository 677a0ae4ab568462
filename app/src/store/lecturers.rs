//! Lecturer accounts, with the staff-id guard document written in the same commit. Every change
//! an administrator makes is audited in that same commit too.

use super::codec::lecturer_from_doc;
use super::commit::{Attempts, Step, Writes, server_time};
use super::docs::{LECTURERS, LecturerDoc, STAFF_IDS, StaffIdDoc};
use super::{Store, StoreError, Taken};
use crate::domain::{Phone, Username};
use crate::model::{Actor, AuditAction, Lecturer, LecturerDetails, NewAuditEntry, NewLecturer, PasswordHash};

impl Store {
    /// Creates the account; refuses a taken username or staff id with `AlreadyExists`.
    pub async fn create_lecturer(&self, new: &NewLecturer, by: &Actor) -> Result<Lecturer, StoreError> {
        let doc = LecturerDoc {
            username: new.username.as_str().to_owned(),
            full_name: new.full_name.as_str().to_owned(),
            email: new.email.as_str().to_owned(),
            staff_id: new.staff_id.as_str().to_owned(),
            department: new.department.as_str().to_owned(),
            phone: new.phone.as_ref().map(|p| p.as_str().to_owned()),
            password_hash: new.password_hash.as_str().to_owned(),
            must_change_password: new.must_change_password,
            active: true,
            admin: new.admin,
            access_epoch: super::passwords::new_epoch(),
            update_time: None,
            deleted: false,
            created_at: None,
            updated_at: None,
            deleted_at: None,
        };
        let guard = StaffIdDoc { staff_id: doc.staff_id.clone(), username: doc.username.clone() };
        let detail =
            format!("{} ({}){}", new.full_name, new.staff_id, if new.admin { ", administrator" } else { "" });
        let mut writes = Writes::new(self.db().await?);
        writes.create(LECTURERS, &new.username.key(), &doc, &["created_at", "updated_at"])?;
        writes.create(STAFF_IDS, &new.staff_id.key(), &guard, &[])?;
        writes.audit(&NewAuditEntry::new(by, AuditAction::LecturerCreated, new.username.as_str(), detail))?;
        match writes.commit().await {
            Ok(_) => {}
            Err(StoreError::AlreadyExists(_)) => {
                return Err(self.which_lecturer_key_is_taken(new).await);
            }
            Err(e) => return Err(e),
        }
        self.lecturer(&new.username).await?.ok_or(StoreError::NotFound)
    }

    async fn which_lecturer_key_is_taken(&self, new: &NewLecturer) -> StoreError {
        match self.get_doc::<LecturerDoc>(LECTURERS, &new.username.key()).await {
            Ok(Some(_)) => StoreError::AlreadyExists(Taken::Username),
            Ok(None) => StoreError::AlreadyExists(Taken::StaffId),
            Err(e) => e,
        }
    }

    /// The account and its password hash, for login. Deleted accounts are not found.
    pub async fn lecturer_with_hash(
        &self,
        username: &Username,
    ) -> Result<Option<(Lecturer, PasswordHash)>, StoreError> {
        let Some(doc) = self.get_doc::<LecturerDoc>(LECTURERS, &username.key()).await? else {
            return Ok(None);
        };
        if doc.deleted {
            return Ok(None);
        }
        let hash = PasswordHash::from_phc(doc.password_hash.clone());
        Ok(Some((lecturer_from_doc(doc)?, hash)))
    }

    pub async fn lecturer(&self, username: &Username) -> Result<Option<Lecturer>, StoreError> {
        Ok(self.lecturer_with_hash(username).await?.map(|(l, _)| l))
    }

    /// Changes the account's name, email, department and phone (username and staff id stay);
    /// the audit entry names the fields that changed. `NotFound` for no such account.
    pub async fn edit_lecturer(
        &self,
        username: &Username,
        details: &LecturerDetails,
        by: &Actor,
    ) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            full_name: &'a str,
            email: &'a str,
            department: &'a str,
            phone: Option<&'a str>,
        }
        let before = self.lecturer(username).await?.ok_or(StoreError::NotFound)?;
        let changed: Vec<&str> = [
            ("name", before.full_name != details.full_name),
            ("email", before.email != details.email),
            ("department", before.department != details.department),
            ("phone", before.phone != details.phone),
        ]
        .into_iter()
        .filter_map(|(field, differs)| differs.then_some(field))
        .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let change = Change {
            full_name: details.full_name.as_str(),
            email: details.email.as_str(),
            department: details.department.as_str(),
            phone: details.phone.as_ref().map(Phone::as_str),
        };
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            LECTURERS,
            &username.key(),
            &change,
            &["full_name", "email", "department", "phone"],
            vec![server_time("updated_at")],
        )?;
        writes.audit(&NewAuditEntry::new(
            by,
            AuditAction::LecturerEdited,
            username.as_str(),
            changed.join(", "),
        ))?;
        writes.commit().await.map(|_| ())
    }

    /// Allows or stops logins for the account; its data stays. Disabling ends every login
    /// session and reset link of the account in the same commit; returns the sessions ended.
    /// The last active administrator is never disabled (`Conflict(LastAdministrator)`).
    pub async fn set_lecturer_active(
        &self,
        username: &Username,
        active: bool,
        by: &Actor,
    ) -> Result<usize, StoreError> {
        let action = if active { AuditAction::LecturerEnabled } else { AuditAction::LecturerDisabled };
        self.set_account_flag(
            username,
            "active",
            active,
            &NewAuditEntry::new(by, action, username.as_str(), ""),
        )
        .await
    }

    /// Every lecturer account, by username.
    pub async fn all_lecturers(&self) -> Result<Vec<Lecturer>, StoreError> {
        let docs: Vec<LecturerDoc> =
            super::query::ALL_LECTURERS.fetch(self, vec![false.into()], None).await?;
        Ok(super::parse_listed(docs, lecturer_from_doc))
    }

    /// Makes an account a department administrator or takes the role away. The last active
    /// administrator is never demoted (`Conflict(LastAdministrator)`): someone must be able to
    /// manage the accounts.
    pub async fn set_lecturer_admin(
        &self,
        username: &Username,
        admin: bool,
        by: &Actor,
    ) -> Result<(), StoreError> {
        let action = if admin { AuditAction::AdminGranted } else { AuditAction::AdminRevoked };
        let audit = NewAuditEntry::new(by, action, username.as_str(), "");
        self.set_account_flag(username, "admin", admin, &audit).await.map(|_| ())
    }

    /// Sets the account's `active` or `admin` flag, with its audit entry. Turning one off may
    /// take an administrator away: that commit carries a witness (see
    /// `witness_another_administrator`) and is tried again if the witness changed meanwhile.
    /// Turning `active` off also ends the account's access (a new epoch in the same commit:
    /// every session and reset link is dead at once); returns how many sessions were swept.
    async fn set_account_flag(
        &self,
        username: &Username,
        field: &'static str,
        on: bool,
        audit: &NewAuditEntry,
    ) -> Result<usize, StoreError> {
        #[derive(serde::Serialize)]
        struct Change {
            #[serde(skip_serializing_if = "Option::is_none")]
            active: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            admin: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            access_epoch: Option<String>,
        }
        let ends_access = field == "active" && !on;
        let change = &Change {
            active: (field == "active").then_some(on),
            admin: (field == "admin").then_some(on),
            access_epoch: ends_access.then(super::passwords::new_epoch),
        };
        let fields: &[&str] = if ends_access { &[field, "access_epoch"] } else { &[field] };
        self.commit_retrying(Attempts::PRECONDITIONS, |_| async move {
            let mut writes = Writes::new(self.db().await?);
            if !on {
                self.witness_another_administrator(&mut writes, username).await?;
            }
            writes.update(LECTURERS, &username.key(), change, fields, vec![server_time("updated_at")])?;
            writes.audit(audit)?;
            Ok(Step::commit(writes, |_| Ok(())))
        })
        .await?;
        Ok(if ends_access { self.sweep_access(username, None).await } else { 0 })
    }

    /// Before `username` stops being an active administrator: `Conflict(LastAdministrator)`
    /// if no other one is left; otherwise another one joins the commit as its witness, on the
    /// precondition that it is unchanged since read. Two administrators taking each other's role
    /// at the same instant then cannot both succeed: each commit changes the other's witness.
    /// (The commit that loses fails its precondition and is tried again, seeing the new state.)
    async fn witness_another_administrator(
        &self,
        writes: &mut Writes,
        username: &Username,
    ) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Unchanged {
            admin: bool,
        }
        let admins: Vec<LecturerDoc> =
            super::query::ADMINISTRATORS.fetch(self, vec![true.into(), false.into()], None).await?;
        let active: Vec<&LecturerDoc> = admins.iter().filter(|a| a.active).collect();
        if !active.iter().any(|a| a.username == username.as_str()) {
            return Ok(());
        }
        let witness = active.iter().find(|a| a.username != username.as_str());
        let Some(witness) = witness else {
            return Err(StoreError::Conflict(super::Conflict::LastAdministrator));
        };
        let read_at = witness.update_time.ok_or_else(|| StoreError::unexpected("update time"))?;
        let key = Username::parse(&witness.username).map_err(|e| StoreError::corrupt("lecturer", e))?.key();
        writes.update_if_unchanged(
            LECTURERS,
            &key,
            &Unchanged { admin: true },
            &["admin"],
            read_at.0,
            vec![],
        )?;
        Ok(())
    }
}

//! Lecturer accounts, with the staff-id guard document written in the same commit.

use super::commit::{Writes, server_time};
use super::docs::{LECTURERS, LecturerDoc, STAFF_IDS, StaffIdDoc};
use super::{Store, StoreError, Taken, ts};
use crate::domain::{Department, Email, FullName, Phone, StaffId, Username};
use crate::model::{Lecturer, NewLecturer, PasswordHash};

impl Store {
    /// Creates the account; refuses a taken username or staff id with `AlreadyExists`.
    pub async fn create_lecturer(&self, new: &NewLecturer) -> Result<Lecturer, StoreError> {
        let doc = LecturerDoc {
            username: new.username.as_str().to_owned(),
            full_name: new.full_name.as_str().to_owned(),
            email: new.email.as_str().to_owned(),
            staff_id: new.staff_id.as_str().to_owned(),
            department: new.department.as_str().to_owned(),
            phone: new.phone.as_ref().map(|p| p.as_str().to_owned()),
            password_hash: new.password_hash.as_str().to_owned(),
            active: true,
            admin: new.admin,
            deleted: false,
            created_at: None,
            updated_at: None,
            deleted_at: None,
        };
        let guard = StaffIdDoc { staff_id: doc.staff_id.clone(), username: doc.username.clone() };
        let mut writes = Writes::new(self.db().await?);
        writes.create(LECTURERS, &new.username.key(), &doc, &["created_at", "updated_at"])?.create(
            STAFF_IDS,
            &new.staff_id.key(),
            &guard,
            &[],
        )?;
        match writes.commit().await {
            Ok(_) => {}
            Err(StoreError::AlreadyExists(_)) => {
                return Err(self.which_lecturer_key_is_taken(new).await);
            }
            Err(e) => return Err(e),
        }
        self.lecturer_with_hash(&new.username)
            .await?
            .map(|(lecturer, _)| lecturer)
            .ok_or(StoreError::NotFound)
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

    /// Replaces the password hash and ends every login session of the account at once, so
    /// whoever knew the old password is logged out everywhere. Returns the sessions ended.
    pub async fn set_password(&self, username: &Username, hash: &PasswordHash) -> Result<usize, StoreError> {
        self.change_password(username, hash, None).await
    }

    /// The same, keeping the login session `keep` (a token hash): the lecturer who changed
    /// their own password stays signed in; every other session of theirs ends.
    pub async fn change_password(
        &self,
        username: &Username,
        hash: &PasswordHash,
        keep: Option<&str>,
    ) -> Result<usize, StoreError> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            password_hash: &'a str,
        }
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            LECTURERS,
            &username.key(),
            &Change { password_hash: hash.as_str() },
            &["password_hash"],
            vec![server_time("updated_at")],
        )?;
        writes.commit().await?;
        self.delete_login_sessions_except(username, keep).await
    }

    /// Allows or stops logins for the account; its data stays. Disabling ends every login
    /// session of the account at once; returns the sessions ended.
    pub async fn set_lecturer_active(&self, username: &Username, active: bool) -> Result<usize, StoreError> {
        #[derive(serde::Serialize)]
        struct Change {
            active: bool,
        }
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            LECTURERS,
            &username.key(),
            &Change { active },
            &["active"],
            vec![server_time("updated_at")],
        )?;
        writes.commit().await?;
        if active { Ok(0) } else { self.delete_login_sessions_of(username).await }
    }

    /// Every lecturer account, by username.
    pub async fn all_lecturers(&self) -> Result<Vec<Lecturer>, StoreError> {
        let docs: Vec<LecturerDoc> =
            super::query::ALL_LECTURERS.fetch(self, vec![false.into()], None).await?;
        Ok(super::parse_listed(docs, lecturer_from_doc))
    }

    /// Makes an account a department administrator or takes the role away. The last
    /// administrator is never demoted (`Conflict(LastAdministrator)`): someone must be able to
    /// manage the accounts.
    pub async fn set_lecturer_admin(&self, username: &Username, admin: bool) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change {
            admin: bool,
        }
        if !admin {
            let admins: Vec<LecturerDoc> =
                super::query::ADMINISTRATORS.fetch(self, vec![true.into(), false.into()], None).await?;
            if admins.iter().all(|a| a.username == username.as_str()) && !admins.is_empty() {
                return Err(StoreError::Conflict(super::Conflict::LastAdministrator));
            }
        }
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            LECTURERS,
            &username.key(),
            &Change { admin },
            &["admin"],
            vec![server_time("updated_at")],
        )?;
        writes.commit().await.map(|_| ())
    }
}

pub(super) fn lecturer_from_doc(doc: LecturerDoc) -> Result<Lecturer, StoreError> {
    let bad = |e| StoreError::corrupt("lecturer", e);
    Ok(Lecturer {
        username: Username::parse(&doc.username).map_err(bad)?,
        full_name: FullName::parse(&doc.full_name).map_err(bad)?,
        email: Email::parse(&doc.email).map_err(bad)?,
        staff_id: StaffId::parse(&doc.staff_id).map_err(bad)?,
        department: Department::parse(&doc.department).map_err(bad)?,
        phone: doc.phone.as_deref().map(Phone::parse).transpose().map_err(bad)?,
        active: doc.active,
        admin: doc.admin,
        created_at: ts(doc.created_at),
    })
}

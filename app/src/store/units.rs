//! Course units: one document per code, so a code belongs to exactly one lecturer.

use super::codec::unit_from_doc;
use super::commit::{Writes, server_time};
use super::docs::{SESSIONS, SessionDoc, UNITS, UnitDoc};
use super::query::UNITS_OF_LECTURER;
use super::{Store, StoreError, Taken, parse_listed};
use crate::domain::{RiskThreshold, UnitCode, UnitDescription, UnitName, Username};
use crate::model::{Actor, AuditAction, Lecturer, NewAuditEntry, NewUnit, Unit};

impl Store {
    /// Creates the unit; a code that exists (for any lecturer) is `AlreadyExists(UnitCode)`.
    pub async fn create_unit(&self, new: &NewUnit) -> Result<Unit, StoreError> {
        let doc = UnitDoc {
            code: new.code.as_str().to_owned(),
            name: new.name.as_str().to_owned(),
            description: new.description.as_str().to_owned(),
            lecturer: new.lecturer.as_str().to_owned(),
            expected_lessons: new.expected_lessons.get(),
            archived: false,
            risk_threshold: RiskThreshold::DEFAULT.percent(),
            deleted: false,
            created_at: None,
            updated_at: None,
            deleted_at: None,
        };
        let mut writes = Writes::new(self.db().await?);
        let unit = writes.create(UNITS, new.code.as_str(), &doc, &["created_at", "updated_at"])?;
        let committed = writes.commit().await.map_err(|e| match e {
            StoreError::AlreadyExists(_) => StoreError::AlreadyExists(Taken::UnitCode),
            e => e,
        })?;
        let created = committed.server_time(unit, "created_at").map(|t| t.0);
        Ok(Unit { created_at: created, ..unit_from_doc(doc)? })
    }

    /// The unit, whoever owns it (callers check ownership). Deleted units are not found.
    pub async fn unit(&self, code: &UnitCode) -> Result<Option<Unit>, StoreError> {
        match self.get_doc::<UnitDoc>(UNITS, code.as_str()).await? {
            Some(doc) if !doc.deleted => Ok(Some(unit_from_doc(doc)?)),
            _ => Ok(None),
        }
    }

    /// A lecturer's units, ordered by code.
    pub async fn units_of(&self, lecturer: &Username) -> Result<Vec<Unit>, StoreError> {
        let values = vec![lecturer.as_str().into(), false.into()];
        let docs: Vec<UnitDoc> = UNITS_OF_LECTURER.fetch(self, values, None).await?;
        Ok(parse_listed(docs, unit_from_doc))
    }

    /// Changes a unit's name, description and at-risk threshold (its code stays).
    pub async fn edit_unit(
        &self,
        code: &UnitCode,
        name: &UnitName,
        description: &UnitDescription,
        risk_threshold: RiskThreshold,
    ) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            name: &'a str,
            description: &'a str,
            risk_threshold: u8,
        }
        let change = Change {
            name: name.as_str(),
            description: description.as_str(),
            risk_threshold: risk_threshold.percent(),
        };
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            UNITS,
            code.as_str(),
            &change,
            &["name", "description", "risk_threshold"],
            vec![server_time("updated_at")],
        )?;
        writes.commit().await.map(|_| ())
    }

    /// Archives a unit (off the dashboard and the forms, data kept) or brings it back; an
    /// administrator's change (`by`) is audited in the same commit.
    pub async fn set_unit_archived(
        &self,
        code: &UnitCode,
        archived: bool,
        by: Option<&Actor>,
    ) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change {
            archived: bool,
        }
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            UNITS,
            code.as_str(),
            &Change { archived },
            &["archived"],
            vec![server_time("updated_at")],
        )?;
        if let Some(by) = by {
            let action = if archived { AuditAction::UnitArchived } else { AuditAction::UnitRestored };
            writes.audit(&NewAuditEntry::new(by, action, code.as_str(), ""))?;
        }
        writes.commit().await.map(|_| ())
    }

    /// Every unit of the department, by code.
    pub async fn all_units(&self) -> Result<Vec<Unit>, StoreError> {
        let docs: Vec<UnitDoc> = super::query::ALL_UNITS.fetch(self, vec![false.into()], None).await?;
        Ok(parse_listed(docs, unit_from_doc))
    }

    /// Hands the unit over to `to`, with every session it ever had (their owner checks follow
    /// the session's `lecturer`). Sessions move first, the unit and its audit entry next: an
    /// interrupted handover leaves the unit with its old lecturer, and repeating it finishes
    /// the job. A session the old lecturer created meanwhile is moved by a second pass after the
    /// unit changed hands (a creation already past its owner check could still land after it;
    /// repeating the handover moves that one too). Returns the sessions moved.
    pub async fn reassign_unit(
        &self,
        code: &UnitCode,
        to: &Lecturer,
        by: &Actor,
    ) -> Result<usize, StoreError> {
        #[derive(serde::Serialize)]
        struct UnitOwner<'a> {
            lecturer: &'a str,
        }
        let from = self.unit(code).await?.ok_or(StoreError::NotFound)?.lecturer;
        let mut moved = self.move_sessions(code, to).await?;
        if from == to.username {
            // Already handed over: only a straggler, if any, is moved; nothing to audit again.
            return Ok(moved);
        }
        let detail = format!("from {from} to {}", to.username);
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            UNITS,
            code.as_str(),
            &UnitOwner { lecturer: to.username.as_str() },
            &["lecturer"],
            vec![server_time("updated_at")],
        )?;
        writes.audit(&NewAuditEntry::new(by, AuditAction::UnitReassigned, code.as_str(), detail))?;
        writes.commit().await?;
        moved += self.move_sessions(code, to).await?;
        Ok(moved)
    }

    /// Hides the unit everywhere; the document stays (with `deleted_at`) so the mirror sees it.
    pub async fn soft_delete_unit(&self, code: &UnitCode) -> Result<(), StoreError> {
        let mut writes = Writes::new(self.db().await?);
        writes.update(
            UNITS,
            code.as_str(),
            &super::sessions::Deleted { deleted: true },
            &["deleted"],
            vec![server_time("deleted_at"), server_time("updated_at")],
        )?;
        writes.commit().await.map(|_| ())
    }

    /// Gives every session of the unit not yet `to`'s to `to`, in commits of at most
    /// `SESSIONS_PER_COMMIT` (Firestore allows 500 writes per commit).
    async fn move_sessions(&self, code: &UnitCode, to: &Lecturer) -> Result<usize, StoreError> {
        #[derive(serde::Serialize)]
        struct SessionOwner<'a> {
            lecturer: &'a str,
            lecturer_name: &'a str,
        }
        const SESSIONS_PER_COMMIT: usize = 400;
        let sessions: Vec<SessionDoc> =
            super::query::SESSIONS_OF_UNIT.fetch(self, vec![code.as_str().into()], None).await?;
        let owner = SessionOwner { lecturer: to.username.as_str(), lecturer_name: to.full_name.as_str() };
        let to_move: Vec<&SessionDoc> = sessions.iter().filter(|s| s.lecturer != owner.lecturer).collect();
        for chunk in to_move.chunks(SESSIONS_PER_COMMIT) {
            let mut writes = Writes::new(self.db().await?);
            for session in chunk {
                writes.update(
                    SESSIONS,
                    &session.id,
                    &owner,
                    &["lecturer", "lecturer_name"],
                    vec![server_time("updated_at")],
                )?;
            }
            writes.commit().await?;
        }
        Ok(to_move.len())
    }
}

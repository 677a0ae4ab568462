//! Course units: one document per code, so a code belongs to exactly one lecturer.

use super::commit::{Writes, server_time};
use super::docs::{UNITS, UnitDoc};
use super::query::UNITS_OF_LECTURER;
use super::{Store, StoreError, Taken, parse_listed, ts};
use crate::domain::{UnitCode, UnitDescription, UnitName, Username};
use crate::model::{NewUnit, Unit};

impl Store {
    /// Creates the unit; a code that exists (for any lecturer) is `AlreadyExists(UnitCode)`.
    pub async fn create_unit(&self, new: &NewUnit) -> Result<Unit, StoreError> {
        let doc = UnitDoc {
            code: new.code.as_str().to_owned(),
            name: new.name.as_str().to_owned(),
            description: new.description.as_str().to_owned(),
            lecturer: new.lecturer.as_str().to_owned(),
            expected_lessons: new.expected_lessons,
            archived: false,
            risk_threshold: Unit::DEFAULT_RISK_THRESHOLD,
            deleted: false,
            created_at: None,
            updated_at: None,
            deleted_at: None,
        };
        let mut writes = Writes::new(self.db().await?);
        writes.create(UNITS, new.code.as_str(), &doc, &["created_at", "updated_at"])?;
        let committed = writes.commit().await.map_err(|e| match e {
            StoreError::AlreadyExists(_) => StoreError::AlreadyExists(Taken::UnitCode),
            e => e,
        })?;
        let created = committed.server_time(0, 0).map(|t| t.0);
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
        risk_threshold: u8,
    ) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Change<'a> {
            name: &'a str,
            description: &'a str,
            risk_threshold: u8,
        }
        let change = Change { name: name.as_str(), description: description.as_str(), risk_threshold };
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

    /// Archives a unit (off the dashboard and the forms, data kept) or brings it back.
    pub async fn set_unit_archived(&self, code: &UnitCode, archived: bool) -> Result<(), StoreError> {
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
        writes.commit().await.map(|_| ())
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
}

pub(super) fn unit_from_doc(doc: UnitDoc) -> Result<Unit, StoreError> {
    let bad = |e| StoreError::corrupt("unit", e);
    Ok(Unit {
        code: UnitCode::parse(&doc.code).map_err(bad)?,
        name: UnitName::parse(&doc.name).map_err(bad)?,
        description: UnitDescription::parse(&doc.description).map_err(bad)?,
        lecturer: Username::parse(&doc.lecturer).map_err(bad)?,
        expected_lessons: doc.expected_lessons,
        archived: doc.archived,
        risk_threshold: doc.risk_threshold,
        created_at: ts(doc.created_at),
    })
}

//! Class lists: one document per unit and term, written whole. A write names the version it
//! was based on, so two imports at once cannot silently drop each other's students.

use super::codec::list_from_doc;
use super::commit::{Attempts, Step, Writes, server_time};
use super::docs::{CLASS_LISTS, ClassListDoc, ClassListEntryDoc, ids};
use super::{Conflict, Store, StoreError};
use crate::domain::{Term, UnitCode};
use crate::model::{ClassList, Enrolled};

/// The version a class list was read at: `None` when there was none yet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListVersion(Option<firestore::FirestoreTimestamp>);

impl Store {
    /// The class list (empty when none was imported) and the version it was read at.
    pub async fn class_list(
        &self,
        unit: &UnitCode,
        term: Term,
    ) -> Result<(ClassList, ListVersion), StoreError> {
        let Some(doc) = self.get_doc::<ClassListDoc>(CLASS_LISTS, &ids::unit_term(unit, term)).await? else {
            return Ok((ClassList::default(), ListVersion(None)));
        };
        let version = ListVersion(doc.update_time);
        Ok((list_from_doc(doc)?, version))
    }

    /// Replaces the class list with `list` if it is still at `based_on`; otherwise
    /// `Conflict(Contention)` and nothing is written.
    pub async fn save_class_list(
        &self,
        unit: &UnitCode,
        term: Term,
        list: &ClassList,
        based_on: ListVersion,
    ) -> Result<(), StoreError> {
        match self.class_list_writes(unit, term, list, based_on).await?.commit().await {
            Ok(_) => Ok(()),
            // Changed since it was read: the import is previewed again, never half-written.
            Err(e) if e.is_lost_race() => Err(StoreError::Conflict(Conflict::Contention)),
            Err(e) => Err(e),
        }
    }

    /// Adds one student to the class list (a student who marked without being on it).
    /// Adding a student already listed changes nothing.
    pub async fn enrol(&self, unit: &UnitCode, term: Term, student: Enrolled) -> Result<(), StoreError> {
        let student = &student;
        self.commit_retrying(Attempts::CONTENDED, |_| async move {
            let (mut list, version) = self.class_list(unit, term).await?;
            if list.contains(&student.admission_number) {
                return Ok(Step::Done(()));
            }
            list.students.insert(student.admission_number.key(), student.clone());
            let writes = self.class_list_writes(unit, term, &list, version).await?;
            Ok(Step::commit(writes, |_| Ok(())))
        })
        .await
    }

    /// The write of `list` as the whole document, on the precondition that it is still at
    /// `based_on` (or, for a first list, that there is none).
    async fn class_list_writes(
        &self,
        unit: &UnitCode,
        term: Term,
        list: &ClassList,
        based_on: ListVersion,
    ) -> Result<Writes, StoreError> {
        let doc = ClassListDoc {
            unit_code: unit.as_str().to_owned(),
            academic_year: term.year.to_string(),
            semester: term.semester.number(),
            students: list
                .students
                .iter()
                .map(|(key, s)| {
                    let entry = ClassListEntryDoc {
                        admission_number: s.admission_number.to_string(),
                        name: s.name.to_string(),
                        email: s.email.as_ref().map(|e| e.as_str().to_owned()),
                    };
                    (key.as_str().to_owned(), entry)
                })
                .collect(),
            updated_at: None,
            update_time: None,
        };
        let id = ids::unit_term(unit, term);
        let mut writes = Writes::new(self.db().await?);
        match based_on.0 {
            None => writes.create(CLASS_LISTS, &id, &doc, &["updated_at"])?,
            Some(at) => writes.update_if_unchanged(
                CLASS_LISTS,
                &id,
                &doc,
                &["unit_code", "academic_year", "semester", "students"],
                at.0,
                vec![server_time("updated_at")],
            )?,
        };
        Ok(writes)
    }
}

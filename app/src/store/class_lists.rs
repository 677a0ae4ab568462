//! Class lists: a head document per unit and term, and its students in chunks (at most
//! [`CHUNK_ENTRIES`] students and about [`CHUNK_BYTES`] each), all of one generation. A save
//! writes a new generation and the head in one commit, and removes the old chunks in it, so a
//! list of any realistic size (10,000 students with long names and e-mails) is replaced
//! atomically, far from one document's 1 MiB. A write names the version it was based on, so
//! two imports at once cannot silently drop each other's students. Reading costs the head
//! and one read per chunk (a list of up to 1,000 short entries: two).

use futures::StreamExt;

use super::codec::add_list_entries;
use super::commit::{Attempts, Step, Writes, server_time};
use super::docs::{CLASS_LIST_CHUNKS, CLASS_LISTS, ClassListChunkDoc, ClassListDoc, ClassListEntryDoc, ids};
use super::uploads::UploadId;
use super::{Conflict, Store, StoreError};
use crate::domain::{Term, UnitCode};
use crate::model::{ClassList, Enrolled};

/// Students per chunk at most.
pub const CHUNK_ENTRIES: usize = 1_000;
/// A chunk is closed once its entries reach about this many bytes (a tenth of Firestore's
/// limit per commit, under half its limit per document).
pub const CHUNK_BYTES: usize = 400 * 1024;

/// The version a class list was read at: `None` when there was none yet, with the chunks a
/// save replaces.
#[derive(Debug, Clone, PartialEq)]
pub struct ListVersion {
    at: Option<firestore::FirestoreTimestamp>,
    generation: String,
    chunks: u32,
}

impl Store {
    /// The class list (empty when none was imported) and the version it was read at.
    pub async fn class_list(
        &self,
        unit: &UnitCode,
        term: Term,
    ) -> Result<(ClassList, ListVersion), StoreError> {
        let id = ids::unit_term(unit, term);
        // A save between reading the head and its chunks removes those chunks: read again.
        for _ in 0..3 {
            let Some(head) = self.get_doc::<ClassListDoc>(CLASS_LISTS, &id).await? else {
                return Ok((
                    ClassList::default(),
                    ListVersion { at: None, generation: String::new(), chunks: 0 },
                ));
            };
            let version = ListVersion {
                at: head.update_time,
                generation: head.generation.clone(),
                chunks: head.chunks,
            };
            match self.list_of_head(&id, head).await? {
                Some(list) => return Ok((list, version)),
                None => continue,
            }
        }
        Err(StoreError::Conflict(Conflict::Contention))
    }

    /// The students a head names, or `None` when one of its chunks is gone (a newer save).
    pub(super) async fn list_of_head(
        &self,
        id: &str,
        head: ClassListDoc,
    ) -> Result<Option<ClassList>, StoreError> {
        let mut list = ClassList::default();
        add_list_entries(&mut list, head.students.into_values())?;
        if head.generation.is_empty() || head.chunks == 0 {
            return Ok(Some(list));
        }
        let chunk_ids: Vec<String> =
            (0..head.chunks).map(|n| ids::class_list_chunk(id, &head.generation, n)).collect();
        let chunks: Vec<(String, Option<ClassListChunkDoc>)> = self
            .db()
            .await?
            .fluent()
            .select()
            .by_id_in(CLASS_LIST_CHUNKS)
            .obj()
            .batch(chunk_ids.iter().map(String::as_str))
            .await?
            .collect()
            .await;
        self.reads.add(chunk_ids.len() as u64);
        for (_, chunk) in chunks {
            let Some(chunk) = chunk else { return Ok(None) };
            add_list_entries(&mut list, chunk.students.into_values())?;
        }
        Ok(Some(list))
    }

    /// Replaces the class list with `list` if it is still at `based_on`; otherwise
    /// `Conflict(Contention)` and nothing is written. A list over
    /// [`ClassList::MAX_STUDENTS`] is `Conflict(ListTooLarge)`, and nothing is written either.
    /// An import names its upload and what it did: the upload records it in the same commit.
    pub async fn save_class_list(
        &self,
        unit: &UnitCode,
        term: Term,
        list: &ClassList,
        based_on: &ListVersion,
        upload: Option<(&UploadId, &str)>,
    ) -> Result<(), StoreError> {
        let mut writes = self.class_list_writes(unit, term, list, based_on).await?;
        if let Some((id, result)) = upload {
            Self::mark_upload_applied(&mut writes, id, result)?;
        }
        match writes.commit().await {
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
            let writes = self.class_list_writes(unit, term, &list, &version).await?;
            Ok(Step::commit(writes, |_| Ok(())))
        })
        .await
    }

    /// The writes of `list` as a new generation of chunks and its head, on the precondition
    /// that the head is still at `based_on` (or, for a first list, that there is none), with
    /// the deletes of the chunks it replaces.
    async fn class_list_writes(
        &self,
        unit: &UnitCode,
        term: Term,
        list: &ClassList,
        based_on: &ListVersion,
    ) -> Result<Writes, StoreError> {
        if list.students.len() > ClassList::MAX_STUDENTS {
            return Err(StoreError::Conflict(Conflict::ListTooLarge));
        }
        let id = ids::unit_term(unit, term);
        let generation = uuid::Uuid::new_v4().simple().to_string();
        let chunks = chunked(list);
        let head = ClassListDoc {
            unit_code: unit.as_str().to_owned(),
            academic_year: term.year.to_string(),
            semester: term.semester.number(),
            generation: generation.clone(),
            chunks: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
            count: u32::try_from(list.students.len()).unwrap_or(u32::MAX),
            students: Default::default(),
            updated_at: None,
            update_time: None,
        };
        let mut writes = Writes::new(self.db().await?);
        match based_on.at {
            None => writes.create(CLASS_LISTS, &id, &head, &["updated_at"])?,
            Some(at) => writes.update_if_unchanged(
                CLASS_LISTS,
                &id,
                &head,
                &["unit_code", "academic_year", "semester", "generation", "chunks", "count", "students"],
                at.0,
                vec![server_time("updated_at")],
            )?,
        };
        for (n, students) in chunks.into_iter().enumerate() {
            let chunk = ClassListChunkDoc { list: id.clone(), generation: generation.clone(), students };
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            writes.create(CLASS_LIST_CHUNKS, &ids::class_list_chunk(&id, &generation, n), &chunk, &[])?;
        }
        if !based_on.generation.is_empty() {
            for n in 0..based_on.chunks {
                writes.delete(CLASS_LIST_CHUNKS, &ids::class_list_chunk(&id, &based_on.generation, n))?;
            }
        }
        Ok(writes)
    }
}

type Entries = std::collections::BTreeMap<String, ClassListEntryDoc>;

/// The list's entries in key order, cut into chunks by count and size.
fn chunked(list: &ClassList) -> Vec<Entries> {
    let mut chunks = vec![Entries::new()];
    let mut bytes = 0;
    for (key, s) in &list.students {
        let entry = ClassListEntryDoc {
            admission_number: s.admission_number.to_string(),
            name: s.name.to_string(),
            email: s.email.as_ref().map(|e| e.as_str().to_owned()),
        };
        // Each field's name and value, as Firestore counts a document's size.
        let size = key.as_str().len() * 2
            + entry.admission_number.len()
            + entry.name.len()
            + entry.email.as_ref().map_or(0, String::len)
            + 64;
        let current = chunks.last().map_or(0, Entries::len);
        if current >= CHUNK_ENTRIES || (current > 0 && bytes + size > CHUNK_BYTES) {
            chunks.push(Entries::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(chunk) = chunks.last_mut() {
            chunk.insert(key.as_str().to_owned(), entry);
        }
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AdmissionNumber, Email, StudentName};

    fn list(n: usize, long: bool) -> ClassList {
        let mut list = ClassList::default();
        for i in 0..n {
            let admission_number = AdmissionNumber::parse(&format!("SCT/211-{i:05}/2026")).expect("adm");
            let name = if long {
                format!("{} {i}", "Wanjiru-Kamau Achieng ".repeat(4))
            } else {
                format!("Student {i}")
            };
            let email = long.then(|| {
                Email::parse(&format!("{}.{i}@students.university.ac.ke", "a".repeat(60))).expect("email")
            });
            list.students.insert(
                admission_number.key(),
                Enrolled { admission_number, name: StudentName::parse(name.trim()).expect("name"), email },
            );
        }
        list
    }

    #[test]
    fn ten_thousand_long_entries_make_chunks_well_under_a_document_and_one_commit() {
        let chunks = chunked(&list(10_000, true));
        let total: usize = chunks.iter().map(Entries::len).sum();
        assert_eq!(total, 10_000);
        for chunk in &chunks {
            let bytes = serde_json::to_vec(chunk).expect("json").len();
            assert!(bytes < 512 * 1024, "{bytes} bytes");
        }
        // New chunks, the old ones deleted and the head: well within 500 writes per commit.
        assert!(2 * chunks.len() + 1 < 100, "{} chunks", chunks.len());
        assert_eq!(chunked(&list(1_000, false)).len(), 1, "a short list is one chunk");
        assert!(chunked(&ClassList::default()).is_empty());
    }
}

//! Atomic multi-document writes in one `Commit` RPC, without a transaction.
//!
//! Firestore applies every write of a non-transactional commit or none of them, preconditions
//! included, so "create the attendance document unless it exists, and enrol the student" is one
//! round trip that can never half-happen. Server timestamps are `REQUEST_TIME` transforms on the
//! same writes; their resolved values come back in the commit response.

use firestore::gcloud_sdk::google::firestore::v1::{CommitRequest, value::ValueType};
use firestore::{
    FirestoreDb, FirestoreFieldTransform, FirestoreFieldTransformType, FirestoreTimestamp,
    FirestoreTransactionData, FirestoreTransactionOps, FirestoreTransformServerValue, FirestoreValue,
    FirestoreWritePrecondition,
};
use serde::Serialize;

use super::StoreError;

pub(crate) struct Writes {
    db: FirestoreDb,
    data: FirestoreTransactionData,
    /// Per write, the fields its transforms set, in order: how a result is found by name.
    transformed: Vec<Vec<String>>,
}

/// One write of a commit, to find its results by once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written(usize);

/// What one commit wrote: per write, the values of its server-side transforms.
pub(crate) struct Committed {
    transform_results: Vec<Vec<firestore::gcloud_sdk::google::firestore::v1::Value>>,
    transformed: Vec<Vec<String>>,
}

impl Committed {
    fn value(&self, write: Written, field: &str) -> Option<&ValueType> {
        let index = self.transformed.get(write.0)?.iter().position(|f| f == field)?;
        self.transform_results.get(write.0)?.get(index)?.value_type.as_ref()
    }

    /// The server time a `REQUEST_TIME` transform set on `field` of `write`.
    pub(crate) fn server_time(&self, write: Written, field: &str) -> Option<FirestoreTimestamp> {
        match self.value(write, field)? {
            ValueType::TimestampValue(ts) => {
                firestore::timestamp_utils::from_timestamp(*ts).ok().map(FirestoreTimestamp)
            }
            _ => None,
        }
    }

    /// The integer a transform (such as an increment) left in `field` of `write`.
    pub(crate) fn integer(&self, write: Written, field: &str) -> Option<i64> {
        match self.value(write, field)? {
            ValueType::IntegerValue(n) => Some(*n),
            _ => None,
        }
    }
}

pub(crate) fn server_time(field: &str) -> FirestoreFieldTransform {
    FirestoreFieldTransform::new(
        field.to_owned(),
        FirestoreFieldTransformType::SetToServerValue(FirestoreTransformServerValue::RequestTime),
    )
}

pub(crate) fn increment(field: &str, by: i64) -> FirestoreFieldTransform {
    FirestoreFieldTransform::new(field.to_owned(), FirestoreFieldTransformType::Increment(by.into()))
}

pub(crate) fn array_union(field: &str, values: Vec<FirestoreValue>) -> FirestoreFieldTransform {
    FirestoreFieldTransform::new(field.to_owned(), FirestoreFieldTransformType::AppendMissingElements(values))
}

impl Writes {
    pub(crate) fn new(db: &FirestoreDb) -> Self {
        let data = FirestoreTransactionData::new(
            Vec::new(),
            db.get_documents_path().clone(),
            tracing::Span::current(),
            Vec::new(),
        );
        Self { db: db.clone(), data, transformed: Vec::new() }
    }

    /// Creates `collection/id`; the whole commit fails with `AlreadyExists` if it exists.
    pub(crate) fn create<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        server_times: &[&str],
    ) -> Result<Written, StoreError> {
        let transforms = server_times.iter().map(|f| server_time(f)).collect();
        self.write(collection, id, doc, None, Some(FirestoreWritePrecondition::Exists(false)), transforms)
    }

    /// Creates `collection/id` with `fields` and `transforms` applied; the whole commit fails
    /// with `AlreadyExists` if it exists.
    pub(crate) fn create_with<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        fields: &[&str],
        transforms: Vec<FirestoreFieldTransform>,
    ) -> Result<Written, StoreError> {
        self.masked(collection, id, doc, fields, Some(FirestoreWritePrecondition::Exists(false)), transforms)
    }

    /// Sets only `fields` of `collection/id` (creating it if absent), then applies `transforms`.
    pub(crate) fn merge<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        fields: &[&str],
        transforms: Vec<FirestoreFieldTransform>,
    ) -> Result<Written, StoreError> {
        self.masked(collection, id, doc, fields, None, transforms)
    }

    /// Sets `fields` of an existing document; the commit fails with `NotFound` if it is absent.
    pub(crate) fn update<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        fields: &[&str],
        transforms: Vec<FirestoreFieldTransform>,
    ) -> Result<Written, StoreError> {
        self.masked(collection, id, doc, fields, Some(FirestoreWritePrecondition::Exists(true)), transforms)
    }

    /// Like [`Writes::update`], but only if the document's update time is still `version`.
    pub(crate) fn update_if_unchanged<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        fields: &[&str],
        version: firestore::FirestoreInstant,
        transforms: Vec<FirestoreFieldTransform>,
    ) -> Result<Written, StoreError> {
        self.masked(
            collection,
            id,
            doc,
            fields,
            Some(FirestoreWritePrecondition::UpdateTime(version)),
            transforms,
        )
    }

    fn masked<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        fields: &[&str],
        precondition: Option<FirestoreWritePrecondition>,
        transforms: Vec<FirestoreFieldTransform>,
    ) -> Result<Written, StoreError> {
        let mask = fields.iter().map(|f| (*f).to_owned()).collect();
        self.write(collection, id, doc, Some(mask), precondition, transforms)
    }

    fn write<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        mask: Option<Vec<String>>,
        precondition: Option<FirestoreWritePrecondition>,
        transforms: Vec<FirestoreFieldTransform>,
    ) -> Result<Written, StoreError> {
        let fields = transforms.iter().map(|t| t.field.clone()).collect();
        self.data.update_object(collection, id, doc, mask, precondition, transforms)?;
        Ok(self.written(fields))
    }

    fn written(&mut self, transformed: Vec<String>) -> Written {
        self.transformed.push(transformed);
        Written(self.transformed.len() - 1)
    }

    pub(crate) fn delete(&mut self, collection: &str, id: &str) -> Result<Written, StoreError> {
        self.data.delete_by_id(collection, id, None)?;
        Ok(self.written(Vec::new()))
    }

    /// Deletes `collection/id`; the whole commit fails with `NotFound` if it is already gone
    /// (a one-time document consumed once).
    pub(crate) fn delete_existing(&mut self, collection: &str, id: &str) -> Result<Written, StoreError> {
        self.data.delete_by_id(collection, id, Some(FirestoreWritePrecondition::Exists(true)))?;
        Ok(self.written(Vec::new()))
    }

    /// Sends every write in one atomic `Commit`. Not retried: a commit whose answer was lost
    /// may have been applied, and only the caller knows how to tell (see [`Store::commit_retrying`]
    /// for a commit planned again after a lost race).
    pub(crate) async fn commit(self) -> Result<Committed, StoreError> {
        let request = CommitRequest {
            database: self.db.get_database_path().clone(),
            writes: self.data.writes().clone(),
            transaction: Vec::new(),
            request_options: None,
        };
        let timeout = self.db.get_options().request_timeout;
        let mut request = firestore::gcloud_sdk::tonic::Request::new(request);
        if let Some(timeout) = timeout {
            request.set_timeout(timeout);
        }
        let mut client = self.db.client().get();
        let call = client.commit(request);
        let response = match timeout {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .map_err(|_| StoreError::Unavailable("commit timed out".into()))?,
            None => call.await,
        }
        .map_err(|status| StoreError::from_status(&status))?
        .into_inner();
        Ok(Committed {
            transform_results: response.write_results.into_iter().map(|r| r.transform_results).collect(),
            transformed: self.transformed,
        })
    }
}

/// How a planned write's answer follows from its commit's results.
type Then<T> = Box<dyn FnOnce(&Committed) -> Result<T, StoreError> + Send>;

/// What one attempt of a planned write decided.
pub(crate) enum Step<T> {
    /// Nothing to write: the answer is already known (nothing changes, or a refusal).
    Done(T),
    /// These writes, and how the answer follows from their results once committed.
    Commit(Writes, Then<T>),
}

impl<T> Step<T> {
    pub(crate) fn commit(
        writes: Writes,
        then: impl FnOnce(&Committed) -> Result<T, StoreError> + Send + 'static,
    ) -> Self {
        Self::Commit(writes, Box::new(then))
    }
}

/// How often a planned write is tried, and which failures are lost races worth planning again;
/// after the last try it gives up with `Conflict::Contention`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempts {
    tries: usize,
    existence_too: bool,
}

impl Attempts {
    /// A write decided on documents that others create, change and delete too (a mark and its
    /// student): any lost race, a document appearing or vanishing included.
    pub(crate) const CONTENDED: Self = Self { tries: 5, existence_too: true };
    /// A write guarded by update-time preconditions only (an account and its witness): a
    /// missing document is an answer (`NotFound`), not a race.
    pub(crate) const PRECONDITIONS: Self = Self { tries: 3, existence_too: false };

    fn retries(self, error: &StoreError) -> bool {
        match error {
            StoreError::PreconditionFailed(_) | StoreError::Conflict(super::Conflict::Contention) => true,
            StoreError::AlreadyExists(_) | StoreError::NotFound => self.existence_too,
            _ => false,
        }
    }
}

impl super::Store {
    /// Read → decide → plan → commit, again from fresh reads while the commit loses races.
    ///
    /// `attempt` reads what it needs, decides (a pure function, in `model`), and either answers
    /// at once ([`Step::Done`]) or returns the writes to commit ([`Step::Commit`]). A commit
    /// that lost a race (see [`Attempts`]) is planned again; any other error is returned as it
    /// is, so a malformed write is never repeated. After the last try the answer is
    /// `Conflict::Contention`, which the pages show as "try again".
    pub(crate) async fn commit_retrying<T, F, Fut>(
        &self,
        attempts: Attempts,
        mut attempt: F,
    ) -> Result<T, StoreError>
    where
        F: FnMut(usize) -> Fut,
        Fut: Future<Output = Result<Step<T>, StoreError>> + Send,
    {
        for number in 1..=attempts.tries {
            let (writes, then) = match attempt(number).await? {
                Step::Done(answer) => return Ok(answer),
                Step::Commit(writes, then) => (writes, then),
            };
            match writes.commit().await {
                Ok(committed) => return then(&committed),
                Err(e) if attempts.retries(&e) => {
                    tracing::debug!(error = %e, attempt = number, "a commit lost a race; planning it again");
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict(super::Conflict::Contention))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lost_races_are_planned_again() {
        let existence = [StoreError::AlreadyExists(super::super::Taken::DocumentId), StoreError::NotFound];
        for e in &existence {
            assert!(Attempts::CONTENDED.retries(e), "{e}");
            assert!(!Attempts::PRECONDITIONS.retries(e), "an answer, not a race: {e}");
        }
        for attempts in [Attempts::CONTENDED, Attempts::PRECONDITIONS] {
            assert!(attempts.retries(&StoreError::PreconditionFailed("changed".into())));
            assert!(attempts.retries(&StoreError::Conflict(super::super::Conflict::Contention)));
            for never in [
                StoreError::Rejected("malformed".into()),
                StoreError::Corrupt("bad".into()),
                StoreError::Unavailable("down".into()),
                StoreError::Conflict(super::super::Conflict::TermFull),
            ] {
                assert!(!attempts.retries(&never), "{never}");
            }
        }
    }
}

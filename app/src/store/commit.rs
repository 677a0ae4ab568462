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

pub(crate) struct Writes<'a> {
    db: &'a FirestoreDb,
    data: FirestoreTransactionData,
}

/// What one commit wrote: per write, the values of its server-side transforms.
pub(crate) struct Committed {
    transform_results: Vec<Vec<firestore::gcloud_sdk::google::firestore::v1::Value>>,
}

impl Committed {
    /// The server time a `REQUEST_TIME` transform set: `write` is the write's index in the
    /// commit, `transform` the transform's index within that write.
    pub(crate) fn server_time(&self, write: usize, transform: usize) -> Option<FirestoreTimestamp> {
        match self.transform_results.get(write)?.get(transform)?.value_type.as_ref()? {
            ValueType::TimestampValue(ts) => {
                firestore::timestamp_utils::from_timestamp(*ts).ok().map(FirestoreTimestamp)
            }
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

impl Committed {
    /// The integer a transform (such as an increment) left in its field.
    pub(crate) fn integer(&self, write: usize, transform: usize) -> Option<i64> {
        match self.transform_results.get(write)?.get(transform)?.value_type.as_ref()? {
            ValueType::IntegerValue(n) => Some(*n),
            _ => None,
        }
    }
}

impl<'a> Writes<'a> {
    pub(crate) fn new(db: &'a FirestoreDb) -> Self {
        let data = FirestoreTransactionData::new(
            Vec::new(),
            db.get_documents_path().clone(),
            tracing::Span::current(),
            Vec::new(),
        );
        Self { db, data }
    }

    /// Creates `collection/id`; the whole commit fails with `AlreadyExists` if it exists.
    pub(crate) fn create<T: Serialize + Sync + Send>(
        &mut self,
        collection: &str,
        id: &str,
        doc: &T,
        server_times: &[&str],
    ) -> Result<&mut Self, StoreError> {
        let transforms = server_times.iter().map(|f| server_time(f)).collect();
        self.data.update_object(
            collection,
            id,
            doc,
            None,
            Some(FirestoreWritePrecondition::Exists(false)),
            transforms,
        )?;
        Ok(self)
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
    ) -> Result<&mut Self, StoreError> {
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
    ) -> Result<&mut Self, StoreError> {
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
    ) -> Result<&mut Self, StoreError> {
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
    ) -> Result<&mut Self, StoreError> {
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
    ) -> Result<&mut Self, StoreError> {
        let mask = fields.iter().map(|f| (*f).to_owned()).collect();
        self.data.update_object(collection, id, doc, Some(mask), precondition, transforms)?;
        Ok(self)
    }

    pub(crate) fn delete(&mut self, collection: &str, id: &str) -> Result<&mut Self, StoreError> {
        self.data.delete_by_id(collection, id, None)?;
        Ok(self)
    }

    /// Deletes `collection/id`; the whole commit fails with `NotFound` if it is already gone
    /// (a one-time document consumed once).
    pub(crate) fn delete_existing(&mut self, collection: &str, id: &str) -> Result<&mut Self, StoreError> {
        self.data.delete_by_id(collection, id, Some(FirestoreWritePrecondition::Exists(true)))?;
        Ok(self)
    }

    /// Sends every write in one atomic `Commit`. Not retried: a commit whose answer was lost
    /// may have been applied, and only the caller knows how to tell.
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
        })
    }
}

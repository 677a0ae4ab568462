//! Reading documents "changed since" a time, for the reconciler's mirror: ordered by the
//! server-set `updated_at` and then the document name, streamed so memory stays flat.

use firestore::{FirestoreDb, FirestoreQueryFilter, FirestoreTimestamp};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;

use super::docs::{Mirrored, UPDATED_AT};
use super::{Store, StoreError};
use crate::domain::Instant;

/// One mirrored document: its id, its `updated_at`, and its content.
#[derive(Debug, Clone)]
pub struct Changed<T> {
    pub id: String,
    pub updated_at: Instant,
    pub doc: T,
}

impl Store {
    /// Documents of `collection` whose `updated_at` is at or after `since` (all when `None`),
    /// oldest change first.
    pub async fn changed_since<T: DeserializeOwned + Mirrored + Send + 'static>(
        &self,
        collection: &'static str,
        since: Option<Instant>,
    ) -> Result<BoxStream<'static, Result<Changed<T>, StoreError>>, StoreError> {
        let db: FirestoreDb = self.db().await?.clone();
        let stream = db
            .fluent()
            .select()
            .from(collection)
            .filter(move |q| -> Option<FirestoreQueryFilter> {
                since.and_then(|t| q.field(UPDATED_AT).greater_than_or_equal(FirestoreTimestamp(t)))
            })
            .order(|o| o.fields([o.field(UPDATED_AT).asc(), o.field("__name__").asc()]))
            .stream_query_with_errors()
            .await?;
        Ok(stream
            .map_err(StoreError::from)
            .and_then(move |doc| async move {
                let id = doc.name.rsplit('/').next().unwrap_or_default().to_owned();
                let doc: T = FirestoreDb::deserialize_doc_to(&doc)?;
                let updated_at = doc
                    .updated_at()
                    .ok_or_else(|| StoreError::corrupt(collection, format!("{id} has no updated_at")))?;
                Ok(Changed { id, updated_at: updated_at.0, doc })
            })
            .boxed())
    }
}

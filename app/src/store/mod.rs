//! The only code that knows Firestore: collection names, document ids, field names, commits
//! and queries. Everything above it works with `model` records and `domain` values.

mod attendance;
mod commit;
mod connect;
pub mod docs;
mod error;
mod lecturers;
pub mod query;
mod sessions;
mod units;

use std::time::Duration;

use firestore::FirestoreDb;
use serde::de::DeserializeOwned;

pub use connect::FirestoreSettings;
pub use error::{Conflict, StoreError, Taken};

/// Handle to the attendance data in one Firestore database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: FirestoreDb,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("database", self.db.get_database_path())
            .finish()
    }
}

impl Store {
    /// Builds the client. Connecting is lazy: an unreachable Firestore shows at the first
    /// request, so the app can start (and report itself unhealthy) without it.
    pub async fn connect(settings: &FirestoreSettings) -> Result<Self, StoreError> {
        Ok(Self {
            db: connect::connect(settings).await?,
        })
    }

    /// The underlying client, for the reconciler's mirror reads and for tests.
    pub fn firestore(&self) -> &FirestoreDb {
        &self.db
    }

    /// A cheap round trip proving Firestore answers, bounded by `limit`.
    pub async fn ping(&self, limit: Duration) -> Result<(), StoreError> {
        let db = self.db.clone_with_request_timeout(Some(limit));
        // Reading a document that need not exist touches the backend without a query.
        let read = db.fluent().select().by_id_in(docs::UNITS).one("__ping");
        match tokio::time::timeout(limit, read).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer within {limit:?}"
            ))),
        }
    }

    async fn get_doc<T: DeserializeOwned + Send>(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .db
            .fluent()
            .select()
            .by_id_in(collection)
            .obj()
            .one(id)
            .await?)
    }

    /// Which of `ids` exist in `collection`, in one round trip.
    async fn existing_ids(
        &self,
        collection: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        use futures::StreamExt;
        let found: Vec<(String, Option<firestore::FirestoreDocument>)> = self
            .db
            .fluent()
            .select()
            .by_id_in(collection)
            .batch(ids.iter().map(String::as_str))
            .await?
            .collect()
            .await;
        Ok(found
            .into_iter()
            .filter(|(_, doc)| doc.is_some())
            .map(|(id, _)| id)
            .collect())
    }
}

fn ts(value: Option<firestore::FirestoreTimestamp>) -> Option<crate::domain::Instant> {
    value.map(|t| t.0)
}

//! The only code that knows Firestore: collection names, document ids, field names, commits
//! and queries. Everything above it works with `model` records and `domain` values.

mod attendance;
mod audit;
mod class_lists;
mod codec;
mod commit;
mod connect;
pub mod docs;
mod error;
mod lecturer_marks;
mod lecturers;
mod listen;
mod login_sessions;
mod mirror;
mod passwords;
pub mod query;
mod reads;
mod sessions;
mod throttle;
mod units;
mod uploads;

use std::sync::Arc;
use std::time::Duration;

use firestore::FirestoreDb;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

pub use class_lists::ListVersion;
pub use connect::FirestoreSettings;
pub use docs::AuditDoc;
pub use error::{Conflict, StoreError, Taken};
pub use lecturer_marks::Corrected;
pub use listen::{Heard, SessionListener};
pub use login_sessions::{AccountAccess, LoginEvent, LoginSession, NewLoginSession, SESSIONS_PER_ACCOUNT};
pub use mirror::{Changed, MirrorStream, MirroredDoc};
pub use passwords::PasswordReset;
pub use reads::ReadCounter;
pub use sessions::SessionEdit;
pub use throttle::ThrottleSubject;
pub use uploads::{UPLOAD_KEPT_FOR, Upload, UploadId};

/// Handle to the attendance data in one Firestore database. Cheap to clone.
///
/// The gRPC channel is opened on first use rather than at start-up, so the app starts (and
/// reports itself unhealthy) while Firestore is unreachable, and recovers when it returns.
#[derive(Clone)]
pub struct Store {
    settings: Arc<FirestoreSettings>,
    db: Arc<OnceCell<FirestoreDb>>,
    reads: ReadCounter,
}

/// How long opening the channel may take before a request gives up (the library's own
/// connect timeout is 30 s, far longer than a page may wait).
const CONNECT_LIMIT: Duration = Duration::from_secs(3);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("project", &self.settings.project_id).finish()
    }
}

impl Store {
    /// Connects now, failing if Firestore cannot be reached (for commands that need it).
    pub async fn connect(settings: &FirestoreSettings) -> Result<Self, StoreError> {
        let store = Self::connect_lazy(settings);
        store.db().await?;
        Ok(store)
    }

    /// Connects on first use (for the long-running app).
    pub fn connect_lazy(settings: &FirestoreSettings) -> Self {
        Self {
            settings: Arc::new(settings.clone()),
            db: Arc::new(OnceCell::new()),
            reads: ReadCounter::default(),
        }
    }

    /// The bound on one Firestore request (`FIRESTORE_TIMEOUT_SECS`).
    pub fn request_timeout(&self) -> Duration {
        self.settings.request_timeout
    }

    /// The client, opening the channel if this is the first use.
    pub async fn firestore(&self) -> Result<&FirestoreDb, StoreError> {
        self.db().await
    }

    async fn db(&self) -> Result<&FirestoreDb, StoreError> {
        self.db
            .get_or_try_init(|| async {
                match tokio::time::timeout(CONNECT_LIMIT, connect::connect(&self.settings)).await {
                    Ok(result) => result,
                    Err(_) => Err(StoreError::Unavailable(format!("no connection within {CONNECT_LIMIT:?}"))),
                }
            })
            .await
    }

    /// A cheap round trip proving Firestore answers, bounded by `limit`.
    pub async fn ping(&self, limit: Duration) -> Result<(), StoreError> {
        let attempt = async {
            let db = self.db().await?.clone_with_request_timeout(Some(limit));
            // Reading a document that need not exist touches the backend without a query.
            db.fluent().select().by_id_in(docs::UNITS).one("__ping").await?;
            Ok(())
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Unavailable(format!("no answer within {limit:?}"))),
        }
    }

    /// Documents read so far, as Firestore bills them (a missing document is a read too).
    pub fn reads(&self) -> &ReadCounter {
        &self.reads
    }

    async fn get_doc<T: DeserializeOwned + Send>(
        &self,
        collection: &str,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        let doc = self.db().await?.fluent().select().by_id_in(collection).obj().one(id).await?;
        self.reads.add(1);
        Ok(doc)
    }

    /// Which of `ids` exist in `collection`, in one round trip.
    async fn existing_ids(&self, collection: &str, ids: &[String]) -> Result<Vec<String>, StoreError> {
        use futures::StreamExt;
        let found: Vec<(String, Option<firestore::FirestoreDocument>)> = self
            .db()
            .await?
            .fluent()
            .select()
            .by_id_in(collection)
            .batch(ids.iter().map(String::as_str))
            .await?
            .collect()
            .await;
        self.reads.add(ids.len() as u64);
        Ok(found.into_iter().filter(|(_, doc)| doc.is_some()).map(|(id, _)| id).collect())
    }
}

/// Parses the documents of a list, leaving out (and logging) any that no longer parse, so one
/// damaged document cannot take a whole page down; single reads still report it.
fn parse_listed<D, T>(docs: Vec<D>, parse: impl Fn(D) -> Result<T, StoreError>) -> Vec<T> {
    docs.into_iter()
        .filter_map(|doc| match parse(doc) {
            Ok(value) => Some(value),
            Err(e) => {
                tracing::error!(error = %e, "a stored document does not parse; left out of the list");
                None
            }
        })
        .collect()
}

fn ts(value: Option<firestore::FirestoreTimestamp>) -> Option<crate::domain::Instant> {
    value.map(|t| t.0)
}

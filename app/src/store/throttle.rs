//! Failed-login counters shared by every app instance: `login_throttle/{kind}_{key}_{bucket}`.
//! Each bucket counts the failures of a few minutes with an atomic increment, so concurrent
//! failures never lose a count and no transaction is needed; a window is the sum of buckets.

use firestore::{FirestoreFieldTransform, FirestoreFieldTransformType, FirestoreTimestamp};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::commit::Writes;
use super::{Store, StoreError};
use crate::domain::Instant;

pub const LOGIN_THROTTLE: &str = "login_throttle";

#[derive(Debug, Serialize, Deserialize)]
struct BucketDoc {
    #[serde(default)]
    failures: u64,
    /// When the bucket stops mattering; a Firestore TTL policy on it can delete old buckets.
    expires_at: FirestoreTimestamp,
}

impl Store {
    /// Failures per bucket id (missing buckets count as zero).
    pub async fn throttle_failures(&self, bucket_ids: &[String]) -> Result<Vec<u64>, StoreError> {
        let found: Vec<(String, Option<BucketDoc>)> = self
            .db()
            .await?
            .fluent()
            .select()
            .by_id_in(LOGIN_THROTTLE)
            .obj()
            .batch(bucket_ids.iter().map(String::as_str))
            .await?
            .collect()
            .await;
        Ok(bucket_ids
            .iter()
            .map(|id| {
                found
                    .iter()
                    .find(|(found_id, _)| found_id == id)
                    .and_then(|(_, doc)| doc.as_ref())
                    .map_or(0, |d| d.failures)
            })
            .collect())
    }

    /// Adds one attempt to each bucket (created if absent), atomically, and returns each
    /// bucket's new count: concurrent attempts each see a different number.
    pub async fn record_throttle_attempt(
        &self,
        bucket_ids: &[String],
        expires_at: Instant,
    ) -> Result<Vec<u64>, StoreError> {
        self.add_to_throttle(bucket_ids, 1, expires_at).await
    }

    /// Takes one attempt back (it turned out to be a successful login).
    pub async fn undo_throttle_attempt(
        &self,
        bucket_ids: &[String],
        expires_at: Instant,
    ) -> Result<(), StoreError> {
        self.add_to_throttle(bucket_ids, -1, expires_at).await.map(|_| ())
    }

    async fn add_to_throttle(
        &self,
        bucket_ids: &[String],
        by: i64,
        expires_at: Instant,
    ) -> Result<Vec<u64>, StoreError> {
        #[derive(Serialize)]
        struct Expiry {
            expires_at: FirestoreTimestamp,
        }
        let mut writes = Writes::new(self.db().await?);
        for id in bucket_ids {
            let increment = FirestoreFieldTransform::new(
                "failures".to_owned(),
                FirestoreFieldTransformType::Increment(by.into()),
            );
            writes.merge(
                LOGIN_THROTTLE,
                id,
                &Expiry { expires_at: FirestoreTimestamp(expires_at) },
                &["expires_at"],
                vec![increment],
            )?;
        }
        let committed = writes.commit().await?;
        Ok((0..bucket_ids.len()).map(|i| committed.integer(i, 0).unwrap_or(0).max(0) as u64).collect())
    }

    /// Forgets the failures in these buckets (after a successful login).
    pub async fn clear_throttle(&self, bucket_ids: &[String]) -> Result<(), StoreError> {
        let mut writes = Writes::new(self.db().await?);
        for id in bucket_ids {
            writes.delete(LOGIN_THROTTLE, id)?;
        }
        writes.commit().await.map(|_| ())
    }
}

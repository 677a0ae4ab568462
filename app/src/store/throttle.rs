//! Login-attempt counters shared by every app instance: `login_throttle/{subject}_{bucket}`.
//! Each bucket counts the attempts of a few minutes with an atomic increment, so concurrent
//! attempts never lose a count and no transaction is needed; a window is the sum of buckets.
//! The store alone knows how a subject becomes a document id.

use firestore::FirestoreTimestamp;
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::commit::Writes;
use super::docs::LOGIN_THROTTLE;
use super::{Store, StoreError};
use crate::domain::{Instant, encode_doc_key};

/// Whose attempts a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleSubject<'a> {
    /// One account, from anywhere (a normalised username).
    Account(&'a str),
    /// One account from one network (an address, or an IPv6 /64, as text).
    AccountFrom(&'a str, &'a str),
    /// Every account from one network.
    Network(&'a str),
}

impl ThrottleSubject<'_> {
    fn doc_id(&self, bucket: i64) -> String {
        match self {
            Self::Account(user) => format!("user_{}_{bucket}", encode_doc_key(user)),
            Self::AccountFrom(user, net) => {
                format!("pair_{}_{}_{bucket}", encode_doc_key(user), encode_doc_key(net))
            }
            Self::Network(net) => format!("addr_{}_{bucket}", encode_doc_key(net)),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct BucketDoc {
    #[serde(default)]
    failures: u64,
    /// When the bucket stops mattering; a Firestore TTL policy on it can delete old buckets.
    expires_at: FirestoreTimestamp,
}

impl Store {
    /// Counts per (subject, bucket) (missing buckets count as zero).
    pub async fn throttle_counts(
        &self,
        buckets: &[(ThrottleSubject<'_>, i64)],
    ) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<String> = buckets.iter().map(|(s, b)| s.doc_id(*b)).collect();
        let found: Vec<(String, Option<BucketDoc>)> = self
            .db()
            .await?
            .fluent()
            .select()
            .by_id_in(LOGIN_THROTTLE)
            .obj()
            .batch(ids.iter().map(String::as_str))
            .await?
            .collect()
            .await;
        Ok(ids
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

    /// Adds `by` to each bucket (created if absent) in one atomic commit and returns each
    /// bucket's new count: concurrent attempts each see a different number.
    pub async fn add_to_throttle(
        &self,
        buckets: &[(ThrottleSubject<'_>, i64)],
        by: i64,
        expires_at: Instant,
    ) -> Result<Vec<u64>, StoreError> {
        #[derive(Serialize)]
        struct Expiry {
            expires_at: FirestoreTimestamp,
        }
        let mut writes = Writes::new(self.db().await?);
        let mut counters = Vec::with_capacity(buckets.len());
        for (subject, bucket) in buckets {
            counters.push(writes.merge(
                LOGIN_THROTTLE,
                &subject.doc_id(*bucket),
                &Expiry { expires_at: FirestoreTimestamp(expires_at) },
                &["expires_at"],
                vec![super::commit::increment("failures", by)],
            )?);
        }
        let committed = writes.commit().await?;
        Ok(counters
            .into_iter()
            .map(|c| committed.integer(c, "failures").unwrap_or(0).max(0) as u64)
            .collect())
    }

    /// Forgets these buckets (after a successful login).
    pub async fn clear_throttle(&self, buckets: &[(ThrottleSubject<'_>, i64)]) -> Result<(), StoreError> {
        let mut writes = Writes::new(self.db().await?);
        for (subject, bucket) in buckets {
            writes.delete(LOGIN_THROTTLE, &subject.doc_id(*bucket))?;
        }
        writes.commit().await.map(|_| ())
    }
}

//! `admin_audit/{random id}`: one document per administrator action, created in the same commit
//! as the change it records (so neither exists without the other) and never modified.

use super::codec::audit_from_doc;
use super::commit::Writes;
use super::docs::{ADMIN_AUDIT, AuditDoc};
use super::{Store, StoreError};
use crate::model::{AuditEntry, NewAuditEntry};

impl Writes {
    /// Adds the audit entry to this commit.
    pub(crate) fn audit(&mut self, entry: &NewAuditEntry) -> Result<super::commit::Written, StoreError> {
        let doc = AuditDoc {
            action: entry.action.as_str().to_owned(),
            actor: entry.actor.as_stored(),
            target: entry.target.clone(),
            detail: entry.detail.clone(),
            at: None,
            updated_at: None,
        };
        self.create(ADMIN_AUDIT, &uuid::Uuid::new_v4().simple().to_string(), &doc, &["at", "updated_at"])
    }
}

impl Store {
    /// The latest `limit` entries, newest first (ordered on one field: no composite index).
    pub async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        use futures::TryStreamExt;
        let docs: Vec<AuditDoc> = self
            .db()
            .await?
            .fluent()
            .select()
            .from(ADMIN_AUDIT)
            .order(|o| o.fields([o.field("at").desc()]))
            .limit(limit)
            .obj()
            .stream_query_with_errors()
            .await?
            .try_collect()
            .await?;
        self.reads().add(docs.len().max(1) as u64);
        Ok(super::parse_listed(docs, audit_from_doc))
    }
}

//! Class-list files between their preview and their import: stored (in parts of at most
//! [`PART_BYTES`], a 2 MB file is three) under a random id the preview page carries, instead
//! of the page carrying the whole file back. An upload belongs to one lecturer and one class
//! list, expires after an hour, and records what its import did, so a second confirmation
//! gets the first one's answer.

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};

use super::commit::Writes;
use super::docs::{CLASS_LIST_UPLOAD_PARTS, CLASS_LIST_UPLOADS, UploadDoc, UploadPartDoc};
use super::{Store, StoreError};
use crate::domain::Username;

/// The most text per part document (Firestore keeps at most 1 MiB per document).
const PART_BYTES: usize = 700 * 1024;
/// How long a preview can be confirmed.
pub const UPLOAD_KEPT_FOR: SignedDuration = SignedDuration::from_hours(1);

/// A staged upload's id: 32 hex characters, checked before any read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadId(String);

impl UploadId {
    pub fn parse(input: &str) -> Option<Self> {
        (input.len() == 32 && input.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staged upload as read back.
#[derive(Debug, Clone)]
pub struct Upload {
    pub text: String,
    pub sha256: String,
    /// What its import did, once imported.
    pub applied: Option<String>,
}

impl Store {
    /// Keeps `text` for `lecturer`'s import into `list` until `now` + [`UPLOAD_KEPT_FOR`].
    pub async fn stage_upload(
        &self,
        lecturer: &Username,
        list: &str,
        text: &str,
        sha256: &str,
        now: Timestamp,
    ) -> Result<UploadId, StoreError> {
        let id = UploadId(uuid::Uuid::new_v4().simple().to_string());
        let parts = split(text, PART_BYTES);
        let doc = UploadDoc {
            lecturer: lecturer.as_str().to_owned(),
            list: list.to_owned(),
            parts: u32::try_from(parts.len()).unwrap_or(u32::MAX),
            sha256: sha256.to_owned(),
            expires_at: firestore::FirestoreTimestamp(now + UPLOAD_KEPT_FOR),
            applied: None,
        };
        let mut writes = Writes::new(self.db().await?);
        writes.create(CLASS_LIST_UPLOADS, id.as_str(), &doc, &[])?;
        for (n, part) in parts.into_iter().enumerate() {
            let part = UploadPartDoc { text: part.to_owned(), expires_at: doc.expires_at };
            writes.create(CLASS_LIST_UPLOAD_PARTS, &part_id(&id, n), &part, &[])?;
        }
        writes.commit().await?;
        Ok(id)
    }

    /// `lecturer`'s live upload `id` for `list`, with its text; `None` if there is none (another
    /// lecturer's, another list's, expired, or never made).
    pub async fn upload(
        &self,
        id: &UploadId,
        lecturer: &Username,
        list: &str,
        now: Timestamp,
    ) -> Result<Option<Upload>, StoreError> {
        let Some(doc) = self.get_doc::<UploadDoc>(CLASS_LIST_UPLOADS, id.as_str()).await? else {
            return Ok(None);
        };
        if doc.lecturer != lecturer.as_str() || doc.list != list || doc.expires_at.0 <= now {
            return Ok(None);
        }
        let ids: Vec<String> = (0..doc.parts as usize).map(|n| part_id(id, n)).collect();
        let parts: Vec<(String, Option<UploadPartDoc>)> = self
            .db()
            .await?
            .fluent()
            .select()
            .by_id_in(CLASS_LIST_UPLOAD_PARTS)
            .obj()
            .batch(ids.iter().map(String::as_str))
            .await?
            .collect()
            .await;
        self.reads.add(ids.len() as u64);
        let mut text = String::new();
        for (_, part) in parts {
            let Some(part) = part else { return Ok(None) };
            text.push_str(&part.text);
        }
        Ok(Some(Upload { text, sha256: doc.sha256, applied: doc.applied }))
    }

    /// In an import's commit: the upload is done, with what it did.
    pub(super) fn mark_upload_applied(
        writes: &mut Writes,
        id: &UploadId,
        result: &str,
    ) -> Result<(), StoreError> {
        #[derive(serde::Serialize)]
        struct Applied<'a> {
            applied: &'a str,
        }
        writes.update(
            CLASS_LIST_UPLOADS,
            id.as_str(),
            &Applied { applied: result },
            &["applied"],
            Vec::new(),
        )?;
        Ok(())
    }
}

fn part_id(id: &UploadId, n: usize) -> String {
    format!("{}~{n}", id.as_str())
}

/// `text` in pieces of at most `max` bytes, cut at character boundaries.
fn split(text: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (part, tail) = rest.split_at(end);
        parts.push(part);
        rest = tail;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cut_at_character_boundaries_and_join_back() {
        let text = "é".repeat(10) + "abc";
        let parts = split(&text, 5);
        assert!(parts.iter().all(|p| p.len() <= 5));
        assert_eq!(parts.concat(), text);
        assert!(split("", 5).is_empty());
    }

    #[test]
    fn upload_ids_are_what_the_store_makes() {
        assert!(UploadId::parse(&uuid::Uuid::new_v4().simple().to_string()).is_some());
        for bad in ["", "../x", &"A".repeat(32), &"0".repeat(33)] {
            assert!(UploadId::parse(bad).is_none(), "{bad}");
        }
    }
}

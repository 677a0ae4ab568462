//! `reconciler verify`: proves PostgreSQL equals Firestore, collection by collection: counts
//! and a checksum over every mirrored column, and the first differing ids when they differ.
//! Documents recorded in `mirror_rejects` are left out on both sides (the mirror skips them
//! on purpose) and counted apart.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use attendance::store::{MirroredDoc, Store};
use futures::TryStreamExt;
use sqlx::{PgPool, Row};

use crate::mirror::{
    AttendanceRow, AuditRow, ChangeRow, LecturerRow, SessionRow, StudentRow, Table, UnitRow, parse,
};

/// One collection's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub collection: &'static str,
    pub firestore: usize,
    pub postgres: usize,
    pub rejected: usize,
    pub firestore_checksum: u64,
    pub postgres_checksum: u64,
    /// Ids missing on one side or different, sorted, at most [`SHOWN`].
    pub differing: Vec<String>,
    pub differing_total: usize,
}

const SHOWN: usize = 20;

impl Comparison {
    pub fn equal(&self) -> bool {
        self.differing_total == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("reading Firestore: {0}")]
    Firestore(#[from] attendance::store::StoreError),
    #[error("reading PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
}

/// Compares every mirrored collection.
pub async fn verify(store: &Store, pool: &PgPool) -> Result<Vec<Comparison>, VerifyError> {
    Ok(vec![
        compare::<LecturerRow>(store, pool).await?,
        compare::<UnitRow>(store, pool).await?,
        compare::<SessionRow>(store, pool).await?,
        compare::<StudentRow>(store, pool).await?,
        compare::<AttendanceRow>(store, pool).await?,
        compare::<ChangeRow>(store, pool).await?,
        compare::<AuditRow>(store, pool).await?,
    ])
}

/// A stable digest of a row (every column, through its `Debug` form).
fn digest<T: std::fmt::Debug>(row: &T) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    format!("{row:?}").hash(&mut hasher);
    hasher.finish()
}

async fn compare<T: Table>(store: &Store, pool: &PgPool) -> Result<Comparison, VerifyError> {
    let collection = <T::Doc as MirroredDoc>::COLLECTION;
    // Firestore side: every document, parsed the way the mirror parses it.
    let mut firestore = BTreeMap::new();
    let mut rejected = BTreeSet::new();
    let mut documents = store.all_documents::<T::Doc>().await?;
    while let Some(changed) = documents.try_next().await? {
        match parse::<T>(changed) {
            Ok(row) => {
                firestore.insert(row.document_id(), digest(&row));
            }
            Err((id, _, _)) => {
                rejected.insert(id);
            }
        }
    }
    // PostgreSQL side: the same rows, read back column by column.
    let mut postgres = BTreeMap::new();
    let mut rows = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(T::select())).fetch(pool);
    while let Some(row) = rows.try_next().await? {
        let id = row.document_id();
        if !rejected.contains(&id) {
            postgres.insert(id, digest(&row));
        }
    }
    drop(rows);
    let recorded: i64 = sqlx::query("SELECT count(*) FROM mirror_rejects WHERE collection = $1")
        .bind(collection)
        .fetch_one(pool)
        .await?
        .get(0);
    let checksum = |m: &BTreeMap<String, u64>| m.values().fold(0u64, |acc, d| acc.wrapping_add(*d));
    let ids: BTreeSet<&String> = firestore.keys().chain(postgres.keys()).collect();
    let differing: Vec<String> =
        ids.into_iter().filter(|id| firestore.get(*id) != postgres.get(*id)).cloned().collect();
    Ok(Comparison {
        collection,
        firestore: firestore.len(),
        postgres: postgres.len(),
        rejected: rejected.len().max(usize::try_from(recorded).unwrap_or(0)),
        firestore_checksum: checksum(&firestore),
        postgres_checksum: checksum(&postgres),
        differing_total: differing.len(),
        differing: differing.into_iter().take(SHOWN).collect(),
    })
}

/// The comparison as a table, then the differing ids.
pub fn report(comparisons: &[Comparison]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<18} {:>10} {:>10} {:>9}  {:<16} {:<16} result",
        "collection", "firestore", "postgres", "rejected", "firestore sum", "postgres sum"
    );
    for c in comparisons {
        let _ = writeln!(
            out,
            "{:<18} {:>10} {:>10} {:>9}  {:016x} {:016x} {}",
            c.collection,
            c.firestore,
            c.postgres,
            c.rejected,
            c.firestore_checksum,
            c.postgres_checksum,
            if c.equal() { "equal".to_owned() } else { format!("{} differ", c.differing_total) }
        );
    }
    for c in comparisons.iter().filter(|c| !c.equal()) {
        let _ = writeln!(out, "{} ids that differ (first {SHOWN}):", c.collection);
        for id in &c.differing {
            let _ = writeln!(out, "  {id}");
        }
    }
    out
}

//! Every multi-field query the store runs, declared once as a [`QuerySpec`]. The same constant
//! builds the query and the composite index it needs, and `firestore.indexes.json` is checked
//! against [`indexes_json`] by a test, so code and deployed indexes cannot drift apart.

use firestore::select_builder::FirestoreSelectDocBuilder;
use firestore::{FirestoreDb, FirestoreValue};

use super::docs::{ATTENDANCE, ATTENDANCE_CHANGES, LECTURERS, SESSIONS, UNITS};
use super::{Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// The equality values of the unit-and-term queries, in their `equals` order.
pub(crate) fn unit_term_values(
    unit: &crate::domain::UnitCode,
    term: crate::domain::Term,
) -> Vec<FirestoreValue> {
    vec![unit.as_str().into(), term.year.to_string().into(), term.semester.number().into(), false.into()]
}

/// A query shape: equality filters on `equals`, then ordering by `order`.
#[derive(Debug)]
pub struct QuerySpec {
    pub collection: &'static str,
    pub equals: &'static [&'static str],
    pub order: &'static [(&'static str, Direction)],
}

/// A lecturer's units, by code.
pub const UNITS_OF_LECTURER: QuerySpec =
    QuerySpec { collection: UNITS, equals: &["lecturer", "deleted"], order: &[("code", Direction::Asc)] };

/// A lecturer's sessions, most recent lecture first (also counted for the dashboard totals).
pub const SESSIONS_OF_LECTURER: QuerySpec = QuerySpec {
    collection: SESSIONS,
    equals: &["lecturer", "deleted"],
    order: &[("date", Direction::Desc), ("start_time", Direction::Desc)],
};

/// A unit's sessions of one term, in lecture order.
pub const SESSIONS_OF_UNIT_TERM: QuerySpec = QuerySpec {
    collection: SESSIONS,
    equals: &["unit_code", "academic_year", "semester", "deleted"],
    order: &[("session_number", Direction::Asc)],
};

/// A session's attendance list, newest mark first (also counted for the live count).
pub const ATTENDANCE_OF_SESSION: QuerySpec = QuerySpec {
    collection: ATTENDANCE,
    equals: &["session_id", "deleted"],
    order: &[("marked_at", Direction::Desc)],
};

/// All marks of a unit and term: the student × lecture matrix.
pub const ATTENDANCE_OF_UNIT_TERM: QuerySpec = QuerySpec {
    collection: ATTENDANCE,
    equals: &["unit_code", "academic_year", "semester", "deleted"],
    order: &[("session_number", Direction::Asc)],
};

/// Every mark of a session, removed ones included (the lecturer's list restores them).
pub const MARKS_OF_SESSION: QuerySpec =
    QuerySpec { collection: ATTENDANCE, equals: &["session_id"], order: &[] };

/// A session's marks of one status (the absent ones, taken off the attended count).
pub const MARKS_OF_SESSION_WITH_STATUS: QuerySpec =
    QuerySpec { collection: ATTENDANCE, equals: &["session_id", "deleted", "status"], order: &[] };

/// One student's marks in one unit and term, removed ones included (the student's page).
pub const MARKS_OF_STUDENT_IN_UNIT_TERM: QuerySpec = QuerySpec {
    collection: ATTENDANCE,
    equals: &["admission_key", "unit_code", "academic_year", "semester"],
    order: &[],
};

/// The history of a session's marks.
pub const CHANGES_OF_SESSION: QuerySpec =
    QuerySpec { collection: ATTENDANCE_CHANGES, equals: &["session_id"], order: &[] };

/// The history of one student's marks in a unit and term.
pub const CHANGES_OF_STUDENT_IN_UNIT_TERM: QuerySpec = QuerySpec {
    collection: ATTENDANCE_CHANGES,
    equals: &["admission_key", "unit_code", "academic_year", "semester"],
    order: &[],
};

/// Every lecturer account, by username (the administrators' list).
pub const ALL_LECTURERS: QuerySpec =
    QuerySpec { collection: LECTURERS, equals: &["deleted"], order: &[("username", Direction::Asc)] };

/// A lecturer's logins, newest first (their account page).
pub const LOGINS_OF_LECTURER: QuerySpec = QuerySpec {
    collection: super::docs::LOGIN_EVENTS,
    equals: &["lecturer"],
    order: &[("at", Direction::Desc)],
};

/// The administrators (so the last one is never demoted).
pub const ADMINISTRATORS: QuerySpec =
    QuerySpec { collection: LECTURERS, equals: &["admin", "deleted"], order: &[] };

/// Every unit of the department, by code.
pub const ALL_UNITS: QuerySpec =
    QuerySpec { collection: UNITS, equals: &["deleted"], order: &[("code", Direction::Asc)] };

/// Every session of a unit, whatever the term (handing a unit over moves them all).
pub const SESSIONS_OF_UNIT: QuerySpec =
    QuerySpec { collection: SESSIONS, equals: &["unit_code"], order: &[] };

pub const ALL: &[&QuerySpec] = &[
    &ALL_UNITS,
    &SESSIONS_OF_UNIT,
    &UNITS_OF_LECTURER,
    &SESSIONS_OF_LECTURER,
    &SESSIONS_OF_UNIT_TERM,
    &ATTENDANCE_OF_SESSION,
    &ATTENDANCE_OF_UNIT_TERM,
    &MARKS_OF_SESSION,
    &ALL_LECTURERS,
    &LOGINS_OF_LECTURER,
    &ADMINISTRATORS,
    &MARKS_OF_SESSION_WITH_STATUS,
    &MARKS_OF_STUDENT_IN_UNIT_TERM,
    &CHANGES_OF_SESSION,
    &CHANGES_OF_STUDENT_IN_UNIT_TERM,
];

/// Fields written on every mark but never queried alone: no single-field index, fewer index
/// writes per mark, and no monotonically growing `marked_at` index capping the write rate.
const UNINDEXED_ATTENDANCE_FIELDS: [&str; 3] = ["marked_at", "request_id", "student_name"];

impl QuerySpec {
    /// Starts this query with its equality filters bound to `values` (one per `equals` field)
    /// and its ordering applied; the caller adds limits, cursors and the result type.
    pub(crate) fn select<'a>(
        &'static self,
        db: &'a FirestoreDb,
        values: Vec<FirestoreValue>,
    ) -> FirestoreSelectDocBuilder<'a, FirestoreDb> {
        debug_assert_eq!(values.len(), self.equals.len(), "{self:?}");
        db.fluent()
            .select()
            .from(self.collection)
            .filter(|q| {
                q.for_all(self.equals.iter().zip(values.iter()).map(|(f, v)| q.field(*f).eq(v.clone())))
            })
            .order(|o| {
                o.fields(self.order.iter().map(|(field, dir)| match dir {
                    Direction::Asc => o.field(*field).asc(),
                    Direction::Desc => o.field(*field).desc(),
                }))
            })
    }

    /// Runs the query and reads every match as a `T` (at most `limit`); each is a document
    /// read on the store's count.
    pub(crate) async fn fetch<T: serde::de::DeserializeOwned + Send>(
        &'static self,
        store: &Store,
        values: Vec<FirestoreValue>,
        limit: Option<u32>,
    ) -> Result<Vec<T>, StoreError> {
        use futures::TryStreamExt;
        let mut query = self.select(store.db().await?, values);
        if let Some(limit) = limit {
            query = query.limit(limit);
        }
        let docs: Vec<T> = query.obj().stream_query_with_errors().await?.try_collect().await?;
        // A query that matches nothing is still billed one read.
        store.reads().add(docs.len().max(1) as u64);
        Ok(docs)
    }

    /// Counts the matching documents on the server (an aggregation query, no documents read).
    pub(crate) async fn count(
        &'static self,
        store: &Store,
        values: Vec<FirestoreValue>,
    ) -> Result<u64, StoreError> {
        let db = store.db().await?;
        #[derive(serde::Deserialize)]
        struct Count {
            count: u64,
        }
        let rows: Vec<Count> =
            self.select(db, values).aggregate(|a| a.fields([a.field("count").count()])).obj().query().await?;
        let count = rows.first().map_or(0, |row| row.count);
        // Billed one read per 1,000 index entries matched, at least one.
        store.reads().add(count.div_ceil(1000).max(1));
        Ok(count)
    }

    fn index_fields(&self) -> Vec<(&'static str, Direction)> {
        self.equals.iter().map(|f| (*f, Direction::Asc)).chain(self.order.iter().copied()).collect()
    }
}

/// The `firestore.indexes.json` the queries above need (the Firebase CLI's format).
pub fn indexes_json() -> serde_json::Value {
    let mut seen = Vec::new();
    let indexes: Vec<_> = ALL
        .iter()
        .filter(|spec| spec.index_fields().len() > 1)
        .filter(|spec| {
            let key = (spec.collection, spec.index_fields());
            let new = !seen.contains(&key);
            seen.push(key);
            new
        })
        .map(|spec| {
            let fields: Vec<_> = spec
                .index_fields()
                .into_iter()
                .map(|(field, dir)| {
                    let order = match dir {
                        Direction::Asc => "ASCENDING",
                        Direction::Desc => "DESCENDING",
                    };
                    serde_json::json!({ "fieldPath": field, "order": order })
                })
                .collect();
            serde_json::json!({
                "collectionGroup": spec.collection,
                "queryScope": "COLLECTION",
                "fields": fields,
            })
        })
        .collect();
    let overrides: Vec<_> = UNINDEXED_ATTENDANCE_FIELDS
        .iter()
        .map(|field| serde_json::json!({ "collectionGroup": ATTENDANCE, "fieldPath": field, "indexes": [] }))
        .collect();
    serde_json::json!({ "indexes": indexes, "fieldOverrides": overrides })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firestore_indexes_json_matches_the_queries() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../firestore.indexes.json");
        let text = std::fs::read_to_string(path).expect("firestore.indexes.json at the repository root");
        let on_disk: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let expected = indexes_json();
        assert_eq!(
            on_disk,
            expected,
            "firestore.indexes.json is out of date; replace it with:\n{}",
            serde_json::to_string_pretty(&expected).unwrap_or_default()
        );
    }

    #[test]
    fn every_query_filters_on_at_least_one_field() {
        for spec in ALL {
            assert!(!spec.equals.is_empty(), "{spec:?}");
        }
    }
}

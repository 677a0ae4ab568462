//! The reconciler: mirrors Firestore into PostgreSQL, computes attendance percentages and
//! forwards records to the Portal. (Built in its own issue; this crate reserves its place.)

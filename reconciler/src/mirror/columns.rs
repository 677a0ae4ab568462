//! Each mirrored table's columns, declared once (`mirrored_row!`): the row struct, the list of
//! columns with their PostgreSQL types, the `SELECT` that `verify` reads back, and the batched
//! `UNNEST` upsert with its binds all come from that one declaration, so a column cannot be
//! added to one of them and forgotten in another, nor bound in the wrong position.

use sqlx::Postgres;
use sqlx::postgres::PgArguments;

/// A query with its binds.
pub type PgQuery = sqlx::query::Query<'static, Postgres, PgArguments>;

/// A row type whose every column is mirrored from a document field.
pub trait Columns: Sized {
    const TABLE: &'static str;
    /// The primary key (the Firestore document id, or a value one-to-one with it).
    const KEY: &'static str;
    /// `(name, PostgreSQL type)` of every column, in the struct's order.
    const COLUMNS: &'static [(&'static str, &'static str)];

    /// Binds each column of `batch` as one array, in [`Columns::COLUMNS`] order.
    fn bind_columns(batch: &[Self], query: PgQuery) -> PgQuery;

    /// The row's `updated_at` (every mirrored table has one: the pass reads "changed since").
    fn updated_at(&self) -> chrono::DateTime<chrono::Utc>;
}

/// `SELECT <every column> FROM <table>`.
pub fn select<T: Columns>() -> String {
    let names: Vec<&str> = T::COLUMNS.iter().map(|(name, _)| *name).collect();
    format!("SELECT {} FROM {}", names.join(", "), T::TABLE)
}

/// The upsert of a batch: one row per array element, `mirrored_at` stamped now; an existing
/// row changes only when its `updated_at` moved, or always when the last parameter
/// (`touch_all`, a full pass) is true. Binds: the columns, then `touch_all`.
pub fn upsert<T: Columns>() -> String {
    let names: Vec<&str> = T::COLUMNS.iter().map(|(name, _)| *name).collect();
    let arrays: Vec<String> =
        T::COLUMNS.iter().enumerate().map(|(i, (_, pg))| format!("${}::{pg}[]", i + 1)).collect();
    let updates: Vec<String> = names
        .iter()
        .filter(|name| **name != T::KEY)
        .chain(std::iter::once(&"mirrored_at"))
        .map(|name| format!("{name} = excluded.{name}"))
        .collect();
    format!(
        "INSERT INTO {table} ({names}, mirrored_at)
         SELECT *, now() FROM UNNEST({arrays})
         ON CONFLICT ({key}) DO UPDATE SET {updates}
         WHERE ({table}.updated_at IS DISTINCT FROM excluded.updated_at OR ${touch}::bool)",
        table = T::TABLE,
        names = names.join(", "),
        arrays = arrays.join(", "),
        key = T::KEY,
        updates = updates.join(", "),
        touch = T::COLUMNS.len() + 1,
    )
}

/// The upsert's query with every bind in place.
pub fn bound_upsert<T: Columns>(sql: String, batch: &[T], touch_all: bool) -> PgQuery {
    T::bind_columns(batch, sqlx::query(sqlx::AssertSqlSafe(sql))).bind(touch_all)
}

/// One column of a batch, as the array an `UNNEST` parameter takes.
pub fn column<T, U>(batch: &[T], value: impl Fn(&T) -> U) -> Vec<U> {
    batch.iter().map(value).collect()
}

/// Declares a mirrored row: `pub struct Name in "table" key column { field: Type as "pg type", .. }`,
/// optionally followed by `also { field: Type, .. }` for fields read back but not upserted (a
/// joined list).
macro_rules! mirrored_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:literal key $key:ident {
            $($(#[$fmeta:meta])* $field:ident : $ty:ty as $pg:literal),* $(,)?
        }
        $(also { $($(#[$ameta:meta])* $afield:ident : $aty:ty),* $(,)? })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            $($($(#[$ameta])* pub $afield: $aty,)*)?
        }

        impl $crate::mirror::columns::Columns for $name {
            const TABLE: &'static str = $table;
            const KEY: &'static str = stringify!($key);
            const COLUMNS: &'static [(&'static str, &'static str)] = &[$((stringify!($field), $pg)),*];

            fn bind_columns(
                batch: &[Self],
                query: $crate::mirror::columns::PgQuery,
            ) -> $crate::mirror::columns::PgQuery {
                query $(.bind($crate::mirror::columns::column(batch, |r| r.$field.clone())))*
            }

            fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
                self.updated_at
            }
        }
    };
}

pub(crate) use mirrored_row;

#[cfg(test)]
mod tests {
    use super::*;

    mirrored_row! {
        /// A table for the test.
        pub struct Example in "examples" key id {
            id: String as "text",
            count: i32 as "int4",
            updated_at: chrono::DateTime<chrono::Utc> as "timestamptz",
        }
        also { tags: Vec<String> }
    }

    #[test]
    fn one_declaration_gives_the_select_and_the_upsert() {
        assert_eq!(select::<Example>(), "SELECT id, count, updated_at FROM examples");
        let sql = upsert::<Example>();
        let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            flat,
            "INSERT INTO examples (id, count, updated_at, mirrored_at) SELECT *, now() FROM UNNEST($1::text[], $2::int4[], \
             $3::timestamptz[]) ON CONFLICT (id) DO UPDATE SET count = excluded.count, updated_at = excluded.updated_at, \
             mirrored_at = excluded.mirrored_at WHERE (examples.updated_at IS DISTINCT FROM excluded.updated_at OR $4::bool)"
        );
        let _ = Example { id: String::new(), count: 0, updated_at: chrono::Utc::now(), tags: vec![] };
    }
}

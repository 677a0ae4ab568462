//! How each mirrored collection becomes rows: one multi-row `UNNEST` upsert per batch (built
//! from the row's one column declaration, see `columns`), changing a row only when its
//! `updated_at` moved, so a re-read of unchanged documents writes nothing and counts nothing.
//! Attendance rows also queue their Portal records in the same statement.

use attendance::store::{Changed, MirroredDoc};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::columns::{self, Columns, bound_upsert, column, upsert};
use super::rows::{AttendanceRow, LecturerRow, Meta, SessionRow, StudentRow, UnitRow, split};
use crate::portal::queue::spelled;

type Model<T> = <<T as FromDoc>::Doc as MirroredDoc>::Model;

/// How one document becomes one row (the impls are in `rows`).
pub trait FromDoc: Sized {
    type Doc: MirroredDoc;
    fn build(meta: Meta, model: <Self::Doc as MirroredDoc>::Model) -> Result<Self, String>;
    fn document_id(&self) -> String;
}

/// A Firestore collection mirrored into one table.
pub trait Table:
    Columns
    + FromDoc
    + Sized
    + Send
    + Sync
    + Unpin
    + PartialEq
    + std::fmt::Debug
    + for<'r> sqlx::FromRow<'r, PgRow>
    + 'static
{
    /// The column that holds the Firestore document id.
    const ID_COLUMN: &'static str;

    /// Every mirrored column, as `verify` reads them back (matching the struct's fields).
    fn select() -> String {
        columns::select::<Self>()
    }

    /// Upserts the batch; returns how many rows were inserted or changed. With `touch_all`
    /// (a full run) unchanged rows are rewritten too, so their `mirrored_at` shows they were
    /// seen and rows not seen can be removed afterwards.
    fn upsert(
        conn: &mut PgConnection,
        batch: &[Self],
        touch_all: bool,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// Extra work when a full run removes rows whose documents are gone (before the delete).
    fn before_removal(
        _conn: &mut PgConnection,
        _seen_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        async { Ok(()) }
    }
}

/// A read document as a row, or its document id and why it is rejected.
pub fn parse<T: Table>(changed: Changed<Model<T>>) -> Result<T, (String, Option<DateTime<Utc>>, String)> {
    let id = changed.id.clone();
    let stamp = changed.updated_at.and_then(|t| crate::time::instant(t).ok());
    split(changed).and_then(|(meta, model)| T::build(meta, model)).map_err(|reason| (id, stamp, reason))
}

/// The plain upsert: nothing else moves with the rows.
async fn upsert_rows<T: Columns>(
    conn: &mut PgConnection,
    batch: &[T],
    touch_all: bool,
) -> Result<u64, sqlx::Error> {
    Ok(bound_upsert(upsert::<T>(), batch, touch_all).execute(conn).await?.rows_affected())
}

impl Table for LecturerRow {
    const ID_COLUMN: &'static str = "username";

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        upsert_rows(conn, batch, touch_all).await
    }
}

impl Table for UnitRow {
    const ID_COLUMN: &'static str = "code";

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        upsert_rows(conn, batch, touch_all).await
    }
}

impl Table for SessionRow {
    const ID_COLUMN: &'static str = "id::text";

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let sql = format!(
            "WITH upserted AS ({upsert} RETURNING id, deleted_at IS NOT NULL AS deleted),
             {queue}
             SELECT count(*) FROM upserted",
            upsert = upsert::<Self>(),
            queue = spelled(
                "retracted AS (
                    -- A deleted session takes back every delivered mark of it.
                    INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action)
                    SELECT delivery_key(a.id, a.version + 1), a.id, a.version + 1, {removed}
                    FROM upserted u JOIN attendance a ON a.session_id = u.id AND a.deleted_at IS NULL
                    WHERE u.deleted
                      AND EXISTS (SELECT 1 FROM portal_deliveries d WHERE d.attendance_id = a.id AND d.status = {delivered})
                    ON CONFLICT (idempotency_key) DO NOTHING
                 ), cancelled AS (
                    UPDATE portal_deliveries d SET status = {superseded}
                    FROM upserted u JOIN attendance a ON a.session_id = u.id
                    WHERE u.deleted AND d.attendance_id = a.id AND d.status IN ({pending}, {dead}) AND d.action <> {removed}
                 )"
            ),
        );
        let changed: i64 =
            sqlx::Row::try_get(&bound_upsert(sql, batch, touch_all).fetch_one(conn).await?, 0)?;
        Ok(u64::try_from(changed).unwrap_or_default())
    }
}

impl Table for StudentRow {
    const ID_COLUMN: &'static str = "admission_key";

    /// With the units the student attended, joined from `student_units`.
    fn select() -> String {
        "SELECT s.admission_number, s.admission_key, s.name, s.email, s.phone, s.created_at, s.updated_at,
         coalesce(array_agg(u.unit_code ORDER BY u.unit_code) FILTER (WHERE u.unit_code IS NOT NULL), '{}') AS units
         FROM students s LEFT JOIN student_units u ON u.admission_number = s.admission_number GROUP BY s.admission_number"
            .to_owned()
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let changed = upsert_rows(&mut *conn, batch, touch_all).await?;
        // The student's units are replaced as a set: arrays in Firestore, rows here.
        let numbers = column(batch, |r| r.admission_number.clone());
        sqlx::query("DELETE FROM student_units WHERE admission_number = ANY($1)")
            .bind(&numbers)
            .execute(&mut *conn)
            .await?;
        let pairs: Vec<(&str, &str)> = batch
            .iter()
            .flat_map(|r| r.units.iter().map(move |u| (r.admission_number.as_str(), u.as_str())))
            .collect();
        if !pairs.is_empty() {
            let mut insert: QueryBuilder<Postgres> = QueryBuilder::new(
                "INSERT INTO student_units (admission_number, unit_code) SELECT * FROM UNNEST(",
            );
            insert.push_bind(pairs.iter().map(|(a, _)| (*a).to_owned()).collect::<Vec<_>>());
            insert.push("::text[], ");
            insert.push_bind(pairs.iter().map(|(_, u)| (*u).to_owned()).collect::<Vec<_>>());
            insert.push("::text[]) ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *conn).await?;
        }
        Ok(changed)
    }
}

impl Table for AttendanceRow {
    const ID_COLUMN: &'static str = "id";

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        // One statement: upsert the rows and queue what the Portal must hear about each change.
        // A new live version is `created` (or `updated` once an earlier one was delivered); a
        // removal is only sent when something was delivered to take back; older undelivered
        // versions are superseded. The key `<id>:<version>` makes re-queueing a no-op.
        let sql = format!(
            "WITH upserted AS ({upsert} RETURNING id, version, session_id, deleted_at IS NULL AS live),
             {queue}
             SELECT count(*) FROM upserted",
            upsert = upsert::<Self>(),
            queue = spelled(
                "delivered AS (
                    SELECT DISTINCT d.attendance_id FROM portal_deliveries d JOIN upserted u ON u.id = d.attendance_id
                    WHERE d.status = {delivered}
                 ), queued AS (
                    INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action)
                    SELECT delivery_key(u.id, u.version), u.id, u.version,
                           CASE WHEN NOT u.live THEN {removed} WHEN d.attendance_id IS NULL THEN {created} ELSE {updated} END
                    FROM upserted u LEFT JOIN delivered d ON d.attendance_id = u.id
                    WHERE (u.live AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = u.session_id AND s.deleted_at IS NOT NULL))
                       OR (NOT u.live AND d.attendance_id IS NOT NULL)
                    ON CONFLICT (idempotency_key) DO NOTHING
                 ), superseded AS (
                    UPDATE portal_deliveries p SET status = {superseded}
                    FROM upserted u
                    WHERE p.attendance_id = u.id AND p.version < u.version AND p.status IN ({pending}, {dead})
                 )"
            ),
        );
        let changed: i64 =
            sqlx::Row::try_get(&bound_upsert(sql, batch, touch_all).fetch_one(conn).await?, 0)?;
        Ok(u64::try_from(changed).unwrap_or_default())
    }

    /// A delivered mark whose document vanished is taken back, with the record kept as it was
    /// (the row that could rebuild it is about to go).
    async fn before_removal(conn: &mut PgConnection, seen_before: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let retract = spelled(
            "INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action, payload)
             SELECT delivery_key(a.id, a.version + 1), a.id, a.version + 1, {removed}, to_jsonb(r)
             FROM attendance a JOIN portal_records r ON r.attendance_id = a.id
             WHERE a.mirrored_at < $1 AND a.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM mirror_rejects j WHERE j.collection = 'attendance' AND j.document_id = a.id)
               AND EXISTS (SELECT 1 FROM portal_deliveries d WHERE d.attendance_id = a.id AND d.status = {delivered})
             ON CONFLICT (idempotency_key) DO NOTHING",
        );
        sqlx::query(sqlx::AssertSqlSafe(retract)).bind(seen_before).execute(&mut *conn).await?;
        let supersede = spelled(
            "UPDATE portal_deliveries d SET status = {superseded} FROM attendance a
             WHERE d.attendance_id = a.id AND a.mirrored_at < $1 AND d.status IN ({pending}, {dead}) AND d.action <> {removed}
               AND NOT EXISTS (SELECT 1 FROM mirror_rejects j WHERE j.collection = 'attendance' AND j.document_id = a.id)",
        );
        sqlx::query(sqlx::AssertSqlSafe(supersede)).bind(seen_before).execute(&mut *conn).await?;
        Ok(())
    }
}

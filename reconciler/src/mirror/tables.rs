//! How each mirrored collection becomes rows: one multi-row `UNNEST` upsert per batch, changing
//! a row only when its `updated_at` moved, so a re-read of unchanged documents writes nothing and
//! counts nothing. Attendance rows also queue their Portal records in the same statement.

use attendance::store::docs::{AttendanceDoc, LecturerDoc, SessionDoc, StudentDoc, UnitDoc};
use attendance::store::{Changed, MirroredDoc};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::rows::{AttendanceRow, LecturerRow, Meta, SessionRow, StudentRow, UnitRow, split};

type Model<T> = <<T as Table>::Doc as MirroredDoc>::Model;

/// A Firestore collection mirrored into one table.
pub trait Table:
    Sized + Send + Sync + Unpin + PartialEq + std::fmt::Debug + for<'r> sqlx::FromRow<'r, PgRow> + 'static
{
    type Doc: MirroredDoc;
    const TABLE: &'static str;
    /// The column that holds the Firestore document id.
    const ID_COLUMN: &'static str;
    /// Every mirrored column, as `verify` reads them back (matching the struct's fields).
    const SELECT: &'static str;

    fn build(meta: Meta, model: Model<Self>) -> Result<Self, String>;
    fn document_id(&self) -> String;
    fn updated_at(&self) -> DateTime<Utc>;

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

/// One column of a batch, as the array an `UNNEST` parameter takes.
pub(super) fn column<T, U>(batch: &[T], value: impl Fn(&T) -> U) -> Vec<U> {
    batch.iter().map(value).collect()
}

impl Table for LecturerRow {
    type Doc = LecturerDoc;
    const TABLE: &'static str = "lecturers";
    const ID_COLUMN: &'static str = "username";
    const SELECT: &'static str = "SELECT username, full_name, email, staff_id, department, phone, active, admin, created_at, updated_at,
        deleted_at FROM lecturers";

    fn build(meta: Meta, model: Model<Self>) -> Result<Self, String> {
        Self::build(meta, model)
    }
    fn document_id(&self) -> String {
        self.username.clone()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO lecturers (username, full_name, email, staff_id, department, phone, active, admin, created_at, updated_at,
                                    deleted_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[],
                                         $8::bool[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
             ON CONFLICT (username) DO UPDATE SET
                full_name = excluded.full_name, email = excluded.email, staff_id = excluded.staff_id,
                department = excluded.department, phone = excluded.phone, active = excluded.active, admin = excluded.admin,
                created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
                mirrored_at = excluded.mirrored_at
             WHERE (lecturers.updated_at IS DISTINCT FROM excluded.updated_at OR $12::bool)",
        )
        .bind(column(batch, |r| r.username.clone()))
        .bind(column(batch, |r| r.full_name.clone()))
        .bind(column(batch, |r| r.email.clone()))
        .bind(column(batch, |r| r.staff_id.clone()))
        .bind(column(batch, |r| r.department.clone()))
        .bind(column(batch, |r| r.phone.clone()))
        .bind(column(batch, |r| r.active))
        .bind(column(batch, |r| r.admin))
        .bind(column(batch, |r| r.created_at))
        .bind(column(batch, |r| r.updated_at))
        .bind(column(batch, |r| r.deleted_at))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}

impl Table for UnitRow {
    type Doc = UnitDoc;
    const TABLE: &'static str = "units";
    const ID_COLUMN: &'static str = "code";
    const SELECT: &'static str = "SELECT code, name, description, lecturer, expected_lessons, archived, risk_threshold, created_at, updated_at,
        deleted_at FROM units";

    fn build(meta: Meta, model: Model<Self>) -> Result<Self, String> {
        Self::build(meta, model)
    }
    fn document_id(&self) -> String {
        self.code.clone()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO units (code, name, description, lecturer, expected_lessons, archived, risk_threshold, created_at,
                                updated_at, deleted_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::bool[], $7::int2[],
                                         $8::timestamptz[], $9::timestamptz[], $10::timestamptz[])
             ON CONFLICT (code) DO UPDATE SET
                name = excluded.name, description = excluded.description, lecturer = excluded.lecturer,
                expected_lessons = excluded.expected_lessons, archived = excluded.archived,
                risk_threshold = excluded.risk_threshold, created_at = excluded.created_at,
                updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, mirrored_at = excluded.mirrored_at
             WHERE (units.updated_at IS DISTINCT FROM excluded.updated_at OR $11::bool)",
        )
        .bind(column(batch, |r| r.code.clone()))
        .bind(column(batch, |r| r.name.clone()))
        .bind(column(batch, |r| r.description.clone()))
        .bind(column(batch, |r| r.lecturer.clone()))
        .bind(column(batch, |r| r.expected_lessons))
        .bind(column(batch, |r| r.archived))
        .bind(column(batch, |r| r.risk_threshold))
        .bind(column(batch, |r| r.created_at))
        .bind(column(batch, |r| r.updated_at))
        .bind(column(batch, |r| r.deleted_at))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}

impl Table for SessionRow {
    type Doc = SessionDoc;
    const TABLE: &'static str = "sessions";
    const ID_COLUMN: &'static str = "id::text";
    const SELECT: &'static str = "SELECT id, unit_code, lecturer, academic_year, semester, session_number, date, start_time, end_time,
        venue, lecturer_name, class_year, is_active, keep_open, cancelled, opens_at, closes_at, qr_mode, late_after_minutes,
        created_at, updated_at, deleted_at FROM sessions";

    fn build(meta: Meta, model: Model<Self>) -> Result<Self, String> {
        Self::build(meta, model)
    }
    fn document_id(&self) -> String {
        self.id.hyphenated().to_string()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let changed: i64 = sqlx::query_scalar(
            "WITH upserted AS (
                INSERT INTO sessions (id, unit_code, lecturer, academic_year, semester, session_number, date, start_time, end_time,
                                      venue, lecturer_name, class_year, is_active, keep_open, cancelled, opens_at, closes_at,
                                      qr_mode, late_after_minutes, created_at, updated_at, deleted_at, mirrored_at)
                SELECT *, now() FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int2[], $6::int2[], $7::date[],
                                            $8::time[], $9::time[], $10::text[], $11::text[], $12::int2[], $13::bool[], $14::bool[],
                                            $15::bool[], $16::timestamp[], $17::timestamp[], $18::text[], $19::int4[],
                                            $20::timestamptz[], $21::timestamptz[], $22::timestamptz[])
                ON CONFLICT (id) DO UPDATE SET
                   unit_code = excluded.unit_code, lecturer = excluded.lecturer, academic_year = excluded.academic_year,
                   semester = excluded.semester, session_number = excluded.session_number, date = excluded.date,
                   start_time = excluded.start_time, end_time = excluded.end_time, venue = excluded.venue,
                   lecturer_name = excluded.lecturer_name, class_year = excluded.class_year, is_active = excluded.is_active,
                   keep_open = excluded.keep_open, cancelled = excluded.cancelled, opens_at = excluded.opens_at,
                   closes_at = excluded.closes_at, qr_mode = excluded.qr_mode, late_after_minutes = excluded.late_after_minutes,
                   created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
                   mirrored_at = excluded.mirrored_at
                WHERE (sessions.updated_at IS DISTINCT FROM excluded.updated_at OR $23::bool)
                RETURNING id, deleted_at IS NOT NULL AS deleted
             ), retracted AS (
                -- A deleted session takes back every delivered mark of it.
                INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action)
                SELECT a.id || ':' || (a.version + 1), a.id, a.version + 1, 'removed'
                FROM upserted u JOIN attendance a ON a.session_id = u.id AND a.deleted_at IS NULL
                WHERE u.deleted
                  AND EXISTS (SELECT 1 FROM portal_deliveries d WHERE d.attendance_id = a.id AND d.status = 'delivered')
                ON CONFLICT (idempotency_key) DO NOTHING
             ), cancelled AS (
                UPDATE portal_deliveries d SET status = 'superseded'
                FROM upserted u JOIN attendance a ON a.session_id = u.id
                WHERE u.deleted AND d.attendance_id = a.id AND d.status IN ('pending', 'dead') AND d.action <> 'removed'
             )
             SELECT count(*) FROM upserted",
        )
        .bind(column(batch, |r| r.id))
        .bind(column(batch, |r| r.unit_code.clone()))
        .bind(column(batch, |r| r.lecturer.clone()))
        .bind(column(batch, |r| r.academic_year.clone()))
        .bind(column(batch, |r| r.semester))
        .bind(column(batch, |r| r.session_number))
        .bind(column(batch, |r| r.date))
        .bind(column(batch, |r| r.start_time))
        .bind(column(batch, |r| r.end_time))
        .bind(column(batch, |r| r.venue.clone()))
        .bind(column(batch, |r| r.lecturer_name.clone()))
        .bind(column(batch, |r| r.class_year))
        .bind(column(batch, |r| r.is_active))
        .bind(column(batch, |r| r.keep_open))
        .bind(column(batch, |r| r.cancelled))
        .bind(column(batch, |r| r.opens_at))
        .bind(column(batch, |r| r.closes_at))
        .bind(column(batch, |r| r.qr_mode.clone()))
        .bind(column(batch, |r| r.late_after_minutes))
        .bind(column(batch, |r| r.created_at))
        .bind(column(batch, |r| r.updated_at))
        .bind(column(batch, |r| r.deleted_at))
        .bind(touch_all)
        .fetch_one(conn)
        .await?;
        Ok(u64::try_from(changed).unwrap_or_default())
    }
}

impl Table for StudentRow {
    type Doc = StudentDoc;
    const TABLE: &'static str = "students";
    const ID_COLUMN: &'static str = "admission_key";
    const SELECT: &'static str = "SELECT s.admission_number, s.admission_key, s.name, s.email, s.phone, s.created_at, s.updated_at,
        coalesce(array_agg(u.unit_code ORDER BY u.unit_code) FILTER (WHERE u.unit_code IS NOT NULL), '{}') AS units
        FROM students s LEFT JOIN student_units u ON u.admission_number = s.admission_number GROUP BY s.admission_number";

    fn build(meta: Meta, model: Model<Self>) -> Result<Self, String> {
        Self::build(meta, model)
    }
    fn document_id(&self) -> String {
        self.admission_key.clone()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        let numbers = column(batch, |r| r.admission_number.clone());
        let result = sqlx::query(
            "INSERT INTO students (admission_number, admission_key, name, email, phone, created_at, updated_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
             ON CONFLICT (admission_number) DO UPDATE SET
                admission_key = excluded.admission_key, name = excluded.name, email = excluded.email, phone = excluded.phone,
                created_at = excluded.created_at, updated_at = excluded.updated_at, mirrored_at = excluded.mirrored_at
             WHERE (students.updated_at IS DISTINCT FROM excluded.updated_at OR $8::bool)",
        )
        .bind(&numbers)
        .bind(column(batch, |r| r.admission_key.clone()))
        .bind(column(batch, |r| r.name.clone()))
        .bind(column(batch, |r| r.email.clone()))
        .bind(column(batch, |r| r.phone.clone()))
        .bind(column(batch, |r| r.created_at))
        .bind(column(batch, |r| r.updated_at))
        .bind(touch_all)
        .execute(&mut *conn)
        .await?;
        // The student's units are replaced as a set: arrays in Firestore, rows here.
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
        Ok(result.rows_affected())
    }
}

impl Table for AttendanceRow {
    type Doc = AttendanceDoc;
    const TABLE: &'static str = "attendance";
    const ID_COLUMN: &'static str = "id";
    const SELECT: &'static str = "SELECT id, session_id, unit_code, academic_year, semester, session_number, admission_number,
        student_name, status, source, version, expected_lessons, marked_at, updated_at, deleted_at FROM attendance";

    fn build(meta: Meta, model: Model<Self>) -> Result<Self, String> {
        Self::build(meta, model)
    }
    fn document_id(&self) -> String {
        self.id.clone()
    }
    fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    async fn upsert(conn: &mut PgConnection, batch: &[Self], touch_all: bool) -> Result<u64, sqlx::Error> {
        // One statement: upsert the rows and queue what the Portal must hear about each change.
        // A new live version is `created` (or `updated` once an earlier one was delivered); a
        // removal is only sent when something was delivered to take back; older undelivered
        // versions are superseded. The key `<id>:<version>` makes re-queueing a no-op.
        let changed: i64 = sqlx::query_scalar(
            "WITH upserted AS (
                INSERT INTO attendance (id, session_id, unit_code, academic_year, semester, session_number, admission_number,
                                        student_name, status, source, version, expected_lessons, marked_at, updated_at,
                                        deleted_at, mirrored_at)
                SELECT *, now() FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::text[], $5::int2[], $6::int2[], $7::text[],
                                            $8::text[], $9::text[], $10::text[], $11::int4[], $12::int4[], $13::timestamptz[],
                                            $14::timestamptz[], $15::timestamptz[])
                ON CONFLICT (id) DO UPDATE SET
                   session_id = excluded.session_id, unit_code = excluded.unit_code, academic_year = excluded.academic_year,
                   semester = excluded.semester, session_number = excluded.session_number,
                   admission_number = excluded.admission_number, student_name = excluded.student_name,
                   status = excluded.status, source = excluded.source, version = excluded.version,
                   expected_lessons = excluded.expected_lessons, marked_at = excluded.marked_at,
                   updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, mirrored_at = excluded.mirrored_at
                WHERE (attendance.updated_at IS DISTINCT FROM excluded.updated_at OR $16::bool)
                RETURNING id, version, session_id, deleted_at IS NULL AS live
             ), delivered AS (
                SELECT DISTINCT d.attendance_id FROM portal_deliveries d JOIN upserted u ON u.id = d.attendance_id
                WHERE d.status = 'delivered'
             ), queued AS (
                INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action)
                SELECT u.id || ':' || u.version, u.id, u.version,
                       CASE WHEN NOT u.live THEN 'removed' WHEN d.attendance_id IS NULL THEN 'created' ELSE 'updated' END
                FROM upserted u LEFT JOIN delivered d ON d.attendance_id = u.id
                WHERE (u.live AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = u.session_id AND s.deleted_at IS NOT NULL))
                   OR (NOT u.live AND d.attendance_id IS NOT NULL)
                ON CONFLICT (idempotency_key) DO NOTHING
             ), superseded AS (
                UPDATE portal_deliveries p SET status = 'superseded'
                FROM upserted u
                WHERE p.attendance_id = u.id AND p.version < u.version AND p.status IN ('pending', 'dead')
             )
             SELECT count(*) FROM upserted",
        )
        .bind(column(batch, |r| r.id.clone()))
        .bind(column(batch, |r| r.session_id))
        .bind(column(batch, |r| r.unit_code.clone()))
        .bind(column(batch, |r| r.academic_year.clone()))
        .bind(column(batch, |r| r.semester))
        .bind(column(batch, |r| r.session_number))
        .bind(column(batch, |r| r.admission_number.clone()))
        .bind(column(batch, |r| r.student_name.clone()))
        .bind(column(batch, |r| r.status.clone()))
        .bind(column(batch, |r| r.source.clone()))
        .bind(column(batch, |r| r.version))
        .bind(column(batch, |r| r.expected_lessons))
        .bind(column(batch, |r| r.marked_at))
        .bind(column(batch, |r| r.updated_at))
        .bind(column(batch, |r| r.deleted_at))
        .bind(touch_all)
        .fetch_one(conn)
        .await?;
        Ok(u64::try_from(changed).unwrap_or_default())
    }

    /// A delivered mark whose document vanished is taken back, with the record kept as it was
    /// (the row that could rebuild it is about to go).
    async fn before_removal(conn: &mut PgConnection, seen_before: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO portal_deliveries (idempotency_key, attendance_id, version, action, payload)
             SELECT a.id || ':' || (a.version + 1), a.id, a.version + 1, 'removed', to_jsonb(r)
             FROM attendance a JOIN portal_records r ON r.attendance_id = a.id
             WHERE a.mirrored_at < $1 AND a.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM mirror_rejects j WHERE j.collection = 'attendance' AND j.document_id = a.id)
               AND EXISTS (SELECT 1 FROM portal_deliveries d WHERE d.attendance_id = a.id AND d.status = 'delivered')
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(seen_before)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE portal_deliveries d SET status = 'superseded' FROM attendance a
             WHERE d.attendance_id = a.id AND a.mirrored_at < $1 AND d.status IN ('pending', 'dead') AND d.action <> 'removed'
               AND NOT EXISTS (SELECT 1 FROM mirror_rejects j WHERE j.collection = 'attendance' AND j.document_id = a.id)",
        )
        .bind(seen_before)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

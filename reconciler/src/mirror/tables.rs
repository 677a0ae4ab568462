//! How each mirrored Firestore collection becomes rows: one multi-row `UNNEST` upsert per batch,
//! changing a row only when its `updated_at` moved, so a re-read of unchanged documents writes
//! nothing and counts nothing.

use attendance::store::Changed;
use attendance::store::docs::{
    ATTENDANCE, AttendanceDoc, LECTURERS, LecturerDoc, SESSIONS, STUDENTS, SessionDoc, StudentDoc, UNITS,
    UnitDoc,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use firestore::FirestoreTimestamp;
use serde::de::DeserializeOwned;
use sqlx::{PgConnection, Postgres, QueryBuilder};

/// A Firestore collection mirrored into one table.
pub trait Table: DeserializeOwned + attendance::store::docs::Mirrored + Send + 'static {
    const COLLECTION: &'static str;
    const TABLE: &'static str;

    /// Upserts the batch; returns how many rows were inserted or changed. With `touch_all`
    /// (a full run) unchanged rows are rewritten too, so their `mirrored_at` shows they were
    /// seen and rows not seen can be removed afterwards.
    fn upsert(
        conn: &mut PgConnection,
        batch: &[Changed<Self>],
        touch_all: bool,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;
}

/// One column of a batch, as the array an `UNNEST` parameter takes.
fn column<T, U>(batch: &[Changed<T>], value: impl Fn(&T) -> U) -> Vec<U> {
    batch.iter().map(|c| value(&c.doc)).collect()
}

fn updated_at<T>(batch: &[Changed<T>]) -> Vec<DateTime<Utc>> {
    batch.iter().map(|c| utc(c.updated_at)).collect()
}

pub fn utc(t: jiff::Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(t.as_second(), t.subsec_nanosecond().max(0) as u32).unwrap_or_default()
}

fn opt_utc(t: &Option<FirestoreTimestamp>) -> Option<DateTime<Utc>> {
    t.map(|t| utc(t.0))
}

impl Table for LecturerDoc {
    const COLLECTION: &'static str = LECTURERS;
    const TABLE: &'static str = "lecturers";

    async fn upsert(
        conn: &mut PgConnection,
        batch: &[Changed<Self>],
        touch_all: bool,
    ) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO lecturers (username, full_name, email, staff_id, department, phone, active, created_at, updated_at, deleted_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[],
                                         $8::timestamptz[], $9::timestamptz[], $10::timestamptz[])
             ON CONFLICT (username) DO UPDATE SET
                full_name = excluded.full_name, email = excluded.email, staff_id = excluded.staff_id,
                department = excluded.department, phone = excluded.phone, active = excluded.active,
                created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
                mirrored_at = excluded.mirrored_at
             WHERE (lecturers.updated_at IS DISTINCT FROM excluded.updated_at OR $11::bool)",
        )
        .bind(column(batch, |d| d.username.clone()))
        .bind(column(batch, |d| d.full_name.clone()))
        .bind(column(batch, |d| d.email.clone()))
        .bind(column(batch, |d| d.staff_id.clone()))
        .bind(column(batch, |d| d.department.clone()))
        .bind(column(batch, |d| d.phone.clone()))
        .bind(column(batch, |d| d.active))
        .bind(column(batch, |d| opt_utc(&d.created_at)))
        .bind(updated_at(batch))
        .bind(column(batch, |d| opt_utc(&d.deleted_at)))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}

impl Table for UnitDoc {
    const COLLECTION: &'static str = UNITS;
    const TABLE: &'static str = "units";

    async fn upsert(
        conn: &mut PgConnection,
        batch: &[Changed<Self>],
        touch_all: bool,
    ) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO units (code, name, description, lecturer, expected_lessons, created_at, updated_at, deleted_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[],
                                         $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])
             ON CONFLICT (code) DO UPDATE SET
                name = excluded.name, description = excluded.description, lecturer = excluded.lecturer,
                expected_lessons = excluded.expected_lessons, created_at = excluded.created_at,
                updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, mirrored_at = excluded.mirrored_at
             WHERE (units.updated_at IS DISTINCT FROM excluded.updated_at OR $9::bool)",
        )
        .bind(column(batch, |d| d.code.clone()))
        .bind(column(batch, |d| d.name.clone()))
        .bind(column(batch, |d| d.description.clone()))
        .bind(column(batch, |d| d.lecturer.clone()))
        .bind(column(batch, |d| i32::try_from(d.expected_lessons).unwrap_or(i32::MAX)))
        .bind(column(batch, |d| opt_utc(&d.created_at)))
        .bind(updated_at(batch))
        .bind(column(batch, |d| opt_utc(&d.deleted_at)))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}

fn parse_date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

fn parse_time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .unwrap_or_default()
}

impl Table for SessionDoc {
    const COLLECTION: &'static str = SESSIONS;
    const TABLE: &'static str = "sessions";

    async fn upsert(
        conn: &mut PgConnection,
        batch: &[Changed<Self>],
        touch_all: bool,
    ) -> Result<u64, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO sessions (id, unit_code, lecturer, academic_year, semester, session_number, date, start_time, end_time,
                                   venue, lecturer_name, class_year, is_active, qr_mode, late_after_minutes,
                                   created_at, updated_at, deleted_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int2[], $6::int2[], $7::date[],
                                         $8::time[], $9::time[], $10::text[], $11::text[], $12::int2[], $13::bool[], $14::text[],
                                         $15::int4[], $16::timestamptz[], $17::timestamptz[], $18::timestamptz[])
             ON CONFLICT (id) DO UPDATE SET
                unit_code = excluded.unit_code, lecturer = excluded.lecturer, academic_year = excluded.academic_year,
                semester = excluded.semester, session_number = excluded.session_number, date = excluded.date,
                start_time = excluded.start_time, end_time = excluded.end_time, venue = excluded.venue,
                lecturer_name = excluded.lecturer_name, class_year = excluded.class_year, is_active = excluded.is_active,
                qr_mode = excluded.qr_mode, late_after_minutes = excluded.late_after_minutes,
                created_at = excluded.created_at, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at,
                mirrored_at = excluded.mirrored_at
             WHERE (sessions.updated_at IS DISTINCT FROM excluded.updated_at OR $19::bool)",
        )
        .bind(column(batch, |d| uuid::Uuid::parse_str(&d.id).unwrap_or_default()))
        .bind(column(batch, |d| d.unit_code.clone()))
        .bind(column(batch, |d| d.lecturer.clone()))
        .bind(column(batch, |d| d.academic_year.clone()))
        .bind(column(batch, |d| i16::from(d.semester)))
        .bind(column(batch, |d| i16::from(d.session_number)))
        .bind(column(batch, |d| parse_date(&d.date)))
        .bind(column(batch, |d| parse_time(&d.start_time)))
        .bind(column(batch, |d| parse_time(&d.end_time)))
        .bind(column(batch, |d| d.venue.clone()))
        .bind(column(batch, |d| d.lecturer_name.clone()))
        .bind(column(batch, |d| i16::from(d.class_year)))
        .bind(column(batch, |d| d.is_active))
        .bind(column(batch, |d| d.qr_mode.clone()))
        .bind(column(batch, |d| i32::try_from(d.late_after_minutes).unwrap_or(i32::MAX)))
        .bind(column(batch, |d| opt_utc(&d.created_at)))
        .bind(updated_at(batch))
        .bind(column(batch, |d| opt_utc(&d.deleted_at)))
        .bind(touch_all)
        .execute(conn)
        .await?;
        Ok(result.rows_affected())
    }
}

impl Table for StudentDoc {
    const COLLECTION: &'static str = STUDENTS;
    const TABLE: &'static str = "students";
    async fn upsert(
        conn: &mut PgConnection,
        batch: &[Changed<Self>],
        touch_all: bool,
    ) -> Result<u64, sqlx::Error> {
        let numbers = column(batch, |d| d.admission_number.clone());
        let result = sqlx::query(
            "INSERT INTO students (admission_number, admission_key, name, email, phone, created_at, updated_at, mirrored_at)
             SELECT *, now() FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
             ON CONFLICT (admission_number) DO UPDATE SET
                admission_key = excluded.admission_key, name = excluded.name, email = excluded.email, phone = excluded.phone,
                created_at = excluded.created_at, updated_at = excluded.updated_at, mirrored_at = excluded.mirrored_at
             WHERE (students.updated_at IS DISTINCT FROM excluded.updated_at OR $8::bool)",
        )
        .bind(&numbers)
        .bind(batch.iter().map(|c| c.id.clone()).collect::<Vec<_>>())
        .bind(column(batch, |d| d.name.clone()))
        .bind(column(batch, |d| d.email.clone()))
        .bind(column(batch, |d| d.phone.clone()))
        .bind(column(batch, |d| opt_utc(&d.created_at)))
        .bind(updated_at(batch))
        .bind(touch_all)
        .execute(&mut *conn)
        .await?;
        // The student's units are replaced as a set: arrays in Firestore, rows here.
        sqlx::query("DELETE FROM student_units WHERE admission_number = ANY($1)")
            .bind(&numbers)
            .execute(&mut *conn)
            .await?;
        let pairs: Vec<(String, String)> = batch
            .iter()
            .map(|c| &c.doc)
            .flat_map(|d| d.units.iter().map(move |u| (d.admission_number.clone(), u.clone())))
            .collect();
        if !pairs.is_empty() {
            let mut insert: QueryBuilder<Postgres> =
                QueryBuilder::new("INSERT INTO student_units (admission_number, unit_code) ");
            insert.push("SELECT * FROM UNNEST(");
            insert.push_bind(pairs.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>());
            insert.push("::text[], ");
            insert.push_bind(pairs.iter().map(|(_, u)| u.clone()).collect::<Vec<_>>());
            insert.push("::text[]) ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *conn).await?;
        }
        Ok(result.rows_affected())
    }
}

impl Table for AttendanceDoc {
    const COLLECTION: &'static str = ATTENDANCE;
    const TABLE: &'static str = "attendance";

    async fn upsert(
        conn: &mut PgConnection,
        batch: &[Changed<Self>],
        touch_all: bool,
    ) -> Result<u64, sqlx::Error> {
        let ids: Vec<String> = batch.iter().map(|c| c.id.clone()).collect();
        // One statement: upsert the rows and queue every live one for the Portal (a record
        // already queued or delivered keeps its delivery row).
        let changed: i64 = sqlx::query_scalar(
            "WITH upserted AS (
                INSERT INTO attendance (id, session_id, unit_code, academic_year, semester, session_number, admission_number,
                                        student_name, status, source, marked_at, updated_at, deleted_at, mirrored_at)
                SELECT *, now() FROM UNNEST($1::text[], $2::uuid[], $3::text[], $4::text[], $5::int2[], $6::int2[], $7::text[],
                                            $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[])
                ON CONFLICT (id) DO UPDATE SET
                   session_id = excluded.session_id, unit_code = excluded.unit_code, academic_year = excluded.academic_year,
                   semester = excluded.semester, session_number = excluded.session_number,
                   admission_number = excluded.admission_number, student_name = excluded.student_name,
                   status = excluded.status, source = excluded.source, marked_at = excluded.marked_at,
                   updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, mirrored_at = excluded.mirrored_at
                WHERE (attendance.updated_at IS DISTINCT FROM excluded.updated_at OR $14::bool)
                RETURNING id, deleted_at IS NULL AS live
             ), queued AS (
                INSERT INTO portal_deliveries (attendance_id)
                SELECT id FROM upserted WHERE live
                ON CONFLICT (attendance_id) DO NOTHING
             )
             SELECT count(*) FROM upserted",
        )
        .bind(&ids)
        .bind(column(batch, |d| uuid::Uuid::parse_str(&d.session_id).unwrap_or_default()))
        .bind(column(batch, |d| d.unit_code.clone()))
        .bind(column(batch, |d| d.academic_year.clone()))
        .bind(column(batch, |d| i16::from(d.semester)))
        .bind(column(batch, |d| i16::from(d.session_number)))
        .bind(column(batch, |d| d.admission_number.clone()))
        .bind(column(batch, |d| d.student_name.clone()))
        .bind(column(batch, |d| d.status.clone()))
        .bind(column(batch, |d| d.source.clone()))
        .bind(column(batch, |d| opt_utc(&d.marked_at).unwrap_or_default()))
        .bind(updated_at(batch))
        .bind(column(batch, |d| opt_utc(&d.deleted_at)))
        .bind(touch_all)
        .fetch_one(&mut *conn)
        .await?;
        // A removed record that was not sent yet leaves the queue.
        let removed: Vec<String> = batch.iter().filter(|c| c.doc.deleted).map(|c| c.id.clone()).collect();
        if !removed.is_empty() {
            sqlx::query(
                "DELETE FROM portal_deliveries WHERE attendance_id = ANY($1) AND status <> 'delivered'",
            )
            .bind(&removed)
            .execute(&mut *conn)
            .await?;
        }
        Ok(u64::try_from(changed).unwrap_or_default())
    }
}

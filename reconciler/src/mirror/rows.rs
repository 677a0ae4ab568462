//! The mirror's rows, built from the app's domain model: what a document must parse into before
//! it may reach PostgreSQL. The same structs are read back from PostgreSQL by `verify`, so
//! "equal" means equal in every mirrored column.

use attendance::domain::Instant;
use attendance::model::{AttendanceRecord, Lecturer, Session, Student, Unit};
use attendance::store::Changed;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use uuid::Uuid;

use attendance::store::docs::{AttendanceDoc, LecturerDoc, SessionDoc, StudentDoc, UnitDoc};

use super::columns::mirrored_row;
use super::tables::FromDoc;
use crate::time;

/// The fields every mirrored row shares, from the document's metadata.
pub struct Meta {
    pub id: String,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Splits a read document into its metadata and model, or says why it cannot be mirrored.
pub fn split<M>(changed: Changed<M>) -> Result<(Meta, M), String> {
    let model = changed.model?;
    let updated_at = changed.updated_at.ok_or("no updated_at (written outside the app?)")?;
    Ok((
        Meta {
            id: changed.id,
            updated_at: time::instant(updated_at).map_err(|e| e.to_string())?,
            deleted_at: time::optional(changed.deleted_at).map_err(|e| e.to_string())?,
        },
        model,
    ))
}

fn at(t: Option<Instant>) -> Result<Option<DateTime<Utc>>, String> {
    time::optional(t).map_err(|e| e.to_string())
}

pub(super) fn small(n: u32, what: &str) -> Result<i32, String> {
    i32::try_from(n).map_err(|_| format!("{what} {n} is out of range"))
}

mirrored_row! {
    pub struct LecturerRow in "lecturers" key username {
        username: String as "text",
        full_name: String as "text",
        email: String as "text",
        staff_id: String as "text",
        department: String as "text",
        phone: Option<String> as "text",
        active: bool as "bool",
        admin: bool as "bool",
        created_at: Option<DateTime<Utc>> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
        deleted_at: Option<DateTime<Utc>> as "timestamptz",
    }
}

impl FromDoc for LecturerRow {
    type Doc = LecturerDoc;

    fn document_id(&self) -> String {
        self.username.clone()
    }

    fn build(meta: Meta, l: Lecturer) -> Result<Self, String> {
        Ok(Self {
            username: l.username.as_str().to_owned(),
            full_name: l.full_name.as_str().to_owned(),
            email: l.email.as_str().to_owned(),
            staff_id: l.staff_id.as_str().to_owned(),
            department: l.department.as_str().to_owned(),
            phone: l.phone.map(|p| p.as_str().to_owned()),
            active: l.active,
            admin: l.admin,
            created_at: at(l.created_at)?,
            updated_at: meta.updated_at,
            deleted_at: meta.deleted_at,
        })
    }
}

mirrored_row! {
    pub struct UnitRow in "units" key code {
        code: String as "text",
        name: String as "text",
        description: String as "text",
        lecturer: String as "text",
        expected_lessons: i32 as "int4",
        archived: bool as "bool",
        risk_threshold: i16 as "int2",
        created_at: Option<DateTime<Utc>> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
        deleted_at: Option<DateTime<Utc>> as "timestamptz",
    }
}

impl FromDoc for UnitRow {
    type Doc = UnitDoc;

    fn document_id(&self) -> String {
        self.code.clone()
    }

    fn build(meta: Meta, u: Unit) -> Result<Self, String> {
        Ok(Self {
            code: u.code.as_str().to_owned(),
            name: u.name.as_str().to_owned(),
            description: u.description.as_str().to_owned(),
            lecturer: u.lecturer.as_str().to_owned(),
            expected_lessons: small(u.expected_lessons.get(), "expected_lessons")?,
            archived: u.archived,
            risk_threshold: i16::from(u.risk_threshold.percent()),
            created_at: at(u.created_at)?,
            updated_at: meta.updated_at,
            deleted_at: meta.deleted_at,
        })
    }
}

mirrored_row! {
    pub struct SessionRow in "sessions" key id {
        id: Uuid as "uuid",
        unit_code: String as "text",
        lecturer: String as "text",
        academic_year: String as "text",
        semester: i16 as "int2",
        session_number: i16 as "int2",
        date: NaiveDate as "date",
        start_time: NaiveTime as "time",
        end_time: NaiveTime as "time",
        venue: String as "text",
        lecturer_name: String as "text",
        class_year: i16 as "int2",
        is_active: bool as "bool",
        keep_open: bool as "bool",
        cancelled: bool as "bool",
        /// The attendance window, local time (the default one for sessions made before windows).
        opens_at: NaiveDateTime as "timestamp",
        closes_at: NaiveDateTime as "timestamp",
        qr_mode: String as "text",
        late_after_minutes: i32 as "int4",
        /// When last cancelled and restored: the Portal's "percentage shown" leaves out only
        /// sessions that were cancelled when the student marked.
        cancelled_at: Option<DateTime<Utc>> as "timestamptz",
        restored_at: Option<DateTime<Utc>> as "timestamptz",
        created_at: Option<DateTime<Utc>> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
        deleted_at: Option<DateTime<Utc>> as "timestamptz",
    }
}

impl FromDoc for SessionRow {
    type Doc = SessionDoc;

    fn document_id(&self) -> String {
        self.id.hyphenated().to_string()
    }

    fn build(meta: Meta, s: Session) -> Result<Self, String> {
        let bad = |e: time::OutOfRange| e.to_string();
        Ok(Self {
            id: *s.id.as_uuid(),
            unit_code: s.unit_code.as_str().to_owned(),
            lecturer: s.lecturer.as_str().to_owned(),
            academic_year: s.term.year.to_string(),
            semester: i16::from(s.term.semester.number()),
            session_number: i16::from(s.number.get()),
            date: time::date(s.date).map_err(bad)?,
            start_time: time::time(s.times.start()).map_err(bad)?,
            end_time: time::time(s.times.end()).map_err(bad)?,
            venue: s.venue.as_str().to_owned(),
            lecturer_name: s.lecturer_name.as_str().to_owned(),
            class_year: i16::from(s.class_year.get()),
            is_active: s.opening.is_active(),
            keep_open: s.opening.keep_open(),
            cancelled: s.cancelled,
            opens_at: time::datetime(s.window.opens()).map_err(bad)?,
            closes_at: time::datetime(s.window.closes()).map_err(bad)?,
            qr_mode: s.qr_mode.as_str().to_owned(),
            late_after_minutes: small(s.late_after.minutes(), "late_after_minutes")?,
            cancelled_at: at(s.stamps.cancelled_at)?,
            restored_at: at(s.stamps.restored_at)?,
            created_at: at(s.created_at)?,
            updated_at: meta.updated_at,
            deleted_at: meta.deleted_at,
        })
    }
}

mirrored_row! {
    pub struct StudentRow in "students" key admission_number {
        admission_number: String as "text",
        admission_key: String as "text",
        name: String as "text",
        email: Option<String> as "text",
        phone: Option<String> as "text",
        created_at: Option<DateTime<Utc>> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
    }
    also {
        /// The units attended at least once, sorted (rows of `student_units`).
        units: Vec<String>,
    }
}

impl FromDoc for StudentRow {
    type Doc = StudentDoc;

    fn document_id(&self) -> String {
        self.admission_key.clone()
    }

    fn build(meta: Meta, s: Student) -> Result<Self, String> {
        let mut units: Vec<String> = s.units.iter().map(|u| u.as_str().to_owned()).collect();
        units.sort();
        units.dedup();
        Ok(Self {
            admission_number: s.admission_number.as_str().to_owned(),
            admission_key: meta.id,
            name: s.name.as_str().to_owned(),
            email: s.email.map(|e| e.as_str().to_owned()),
            phone: s.phone.map(|p| p.as_str().to_owned()),
            created_at: at(s.created_at)?,
            updated_at: meta.updated_at,
            units,
        })
    }
}

mirrored_row! {
    pub struct AttendanceRow in "attendance" key id {
        id: String as "text",
        session_id: Uuid as "uuid",
        unit_code: String as "text",
        academic_year: String as "text",
        semester: i16 as "int2",
        session_number: i16 as "int2",
        admission_number: String as "text",
        student_name: String as "text",
        status: String as "text",
        source: String as "text",
        version: i32 as "int4",
        expected_lessons: Option<i32> as "int4",
        marked_at: DateTime<Utc> as "timestamptz",
        updated_at: DateTime<Utc> as "timestamptz",
        deleted_at: Option<DateTime<Utc>> as "timestamptz",
    }
}

impl FromDoc for AttendanceRow {
    type Doc = AttendanceDoc;

    fn document_id(&self) -> String {
        self.id.clone()
    }

    fn build(meta: Meta, a: AttendanceRecord) -> Result<Self, String> {
        Ok(Self {
            id: meta.id,
            session_id: *a.session_id.as_uuid(),
            unit_code: a.unit_code.as_str().to_owned(),
            academic_year: a.term.year.to_string(),
            semester: i16::from(a.term.semester.number()),
            session_number: i16::from(a.number.get()),
            admission_number: a.admission_number.as_str().to_owned(),
            student_name: a.student_name.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            source: a.source.as_str().to_owned(),
            version: small(a.version, "version")?,
            expected_lessons: a.expected_lessons.map(|n| small(n, "expected_lessons")).transpose()?,
            marked_at: time::instant(a.marked_at).map_err(|e| e.to_string())?,
            updated_at: meta.updated_at,
            // NULL exactly while the mark counts: a restored mark keeps its old removal time in
            // Firestore, and a removal without one is dated by its update.
            deleted_at: a.removed.then(|| meta.deleted_at.unwrap_or(meta.updated_at)),
        })
    }
}

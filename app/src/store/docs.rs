//! The Firestore document types: field names and shapes, written once and shared with the
//! reconciler, which mirrors these same documents into PostgreSQL.
//!
//! Server-set timestamps (`created_at`, `updated_at`, `marked_at`) are `Option`s: absent when
//! writing (a `REQUEST_TIME` transform fills them in the same commit), present when reading.

use firestore::FirestoreTimestamp;
use serde::{Deserialize, Serialize};

pub const LECTURERS: &str = "lecturers";
pub const STAFF_IDS: &str = "staff_ids";
pub const UNITS: &str = "units";
pub const SESSIONS: &str = "sessions";
pub const SESSION_SLOTS: &str = "session_slots";
pub const SESSION_TIMES: &str = "session_times";
pub const ATTENDANCE: &str = "attendance";
pub const STUDENTS: &str = "students";
pub const ATTENDANCE_CHANGES: &str = "attendance_changes";
pub const CLASS_LISTS: &str = "class_lists";
pub const CLASS_LIST_CHUNKS: &str = "class_list_chunks";
pub const CLASS_LIST_UPLOADS: &str = "class_list_uploads";
pub const CLASS_LIST_UPLOAD_PARTS: &str = "class_list_upload_parts";
pub const ADMIN_AUDIT: &str = "admin_audit";
/// `password_resets/{sha256(token)}`: one-time links to choose a new password.
pub const PASSWORD_RESETS: &str = "password_resets";
/// `login_sessions/{sha256(token)}`: lecturers' logins; only the token's hash is stored.
pub const LOGIN_SESSIONS: &str = "login_sessions";
/// `login_events/{sha256(token)}`: when and from which network each login happened. Kept after
/// its session ends, so a lecturer can see their recent logins.
pub const LOGIN_EVENTS: &str = "login_events";
/// `login_throttle/{subject}_{bucket}`: failed-login counters per account, network and pair.
pub const LOGIN_THROTTLE: &str = "login_throttle";

/// The collections the reconciler mirrors, each with an `updated_at` on every document.
pub const MIRRORED: [&str; 7] =
    [LECTURERS, UNITS, SESSIONS, STUDENTS, ATTENDANCE, ATTENDANCE_CHANGES, ADMIN_AUDIT];

/// Every mirrored document's change-tracking fields, set by the server on each write.
pub const UPDATED_AT: &str = "updated_at";
pub const CREATED_AT: &str = "created_at";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LecturerDoc {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub staff_id: String,
    pub department: String,
    #[serde(default)]
    pub phone: Option<String>,
    /// argon2id PHC string. The reconciler never copies it.
    pub password_hash: String,
    /// A temporary password set by an administrator: the lecturer must choose their own.
    #[serde(default)]
    pub must_change_password: bool,
    pub active: bool,
    /// A department administrator.
    #[serde(default)]
    pub admin: bool,
    /// Changed by every end of access (a disable, any password change): login sessions and
    /// reset links carry the epoch they were made under, and an older one is dead.
    #[serde(default)]
    pub access_epoch: String,
    /// Firestore's own update time: the last-administrator guard's precondition.
    #[serde(default, alias = "_firestore_updated", skip_serializing)]
    pub update_time: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub created_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub deleted_at: Option<FirestoreTimestamp>,
}

/// `staff_ids/{staff_id}`: written with its lecturer so a staff id belongs to one account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffIdDoc {
    pub staff_id: String,
    pub username: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitDoc {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub lecturer: String,
    pub expected_lessons: u32,
    /// Off the dashboard and the forms; its data stays.
    #[serde(default)]
    pub archived: bool,
    /// The attendance percentage (of lectures held) under which a student is "at risk".
    #[serde(default = "default_risk_threshold")]
    pub risk_threshold: u8,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub created_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub deleted_at: Option<FirestoreTimestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionDoc {
    pub id: String,
    pub unit_code: String,
    pub lecturer: String,
    /// `2025/2026`.
    pub academic_year: String,
    pub semester: u8,
    pub session_number: u8,
    /// ISO date, `2025-09-01`.
    pub date: String,
    /// `HH:MM`.
    pub start_time: String,
    pub end_time: String,
    pub venue: String,
    pub lecturer_name: String,
    pub class_year: u8,
    /// False once the lecturer closed it by hand.
    pub is_active: bool,
    /// Open whatever the window says, until closed by hand.
    #[serde(default)]
    pub keep_open: bool,
    #[serde(default)]
    pub cancelled: bool,
    /// The attendance window in local time, `2025-09-01T07:45`; absent on sessions made before
    /// windows existed (they get the default window).
    #[serde(default)]
    pub opens_at: Option<String>,
    #[serde(default)]
    pub closes_at: Option<String>,
    /// How many attended, counted once the session is over (see `Store::attended_counts`);
    /// every later change to its marks or its opening removes it again.
    #[serde(default)]
    pub attended_count: Option<u32>,
    /// When closed by hand, by the app's clock (pending marks tried before it still count).
    #[serde(default)]
    pub closed_at: Option<FirestoreTimestamp>,
    /// When last cancelled, and restored (server time).
    #[serde(default)]
    pub cancelled_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub restored_at: Option<FirestoreTimestamp>,
    /// Firestore's own update time: the settled count is written only if nothing changed.
    #[serde(default, alias = "_firestore_updated", skip_serializing)]
    pub update_time: Option<FirestoreTimestamp>,
    /// `static` or `rotating`.
    pub qr_mode: String,
    pub late_after_minutes: u32,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub created_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub deleted_at: Option<FirestoreTimestamp>,
}

/// `session_slots/{CODE}_{year}_{sem}_{NN}` and `session_times/{CODE}_{year}_{sem}_{date}_{HHMM}`:
/// created with the session so a lecture number and a start time are used once per unit and term.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionGuardDoc {
    pub session_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttendanceDoc {
    pub session_id: String,
    pub unit_code: String,
    pub academic_year: String,
    pub semester: u8,
    pub session_number: u8,
    /// The normalised admission number, as shown to people.
    pub admission_number: String,
    /// Its document-key form, the second half of this document's id; queries filter on it.
    pub admission_key: String,
    pub student_name: String,
    /// `present` or `late`.
    pub status: String,
    /// `qr` or `lecturer`.
    pub source: String,
    /// Random per request: tells our own retried write apart from another request's.
    pub request_id: String,
    /// 1 when made; every later change of the mark (a removal, a correction) adds one, so each
    /// state the Portal must hear about has its own `Idempotency-Key` (`<id>:<version>`).
    #[serde(default = "first_version")]
    pub version: u32,
    /// The unit's expected lessons when the mark was made: the denominator of the percentage
    /// the student was shown (absent on marks made before it was recorded).
    #[serde(default)]
    pub expected_lessons: Option<u32>,
    /// The name already on record for this admission number, when the typed one differs: a
    /// likely proxy mark, flagged on the lecturer's list.
    #[serde(default)]
    pub known_name: Option<String>,
    /// When the student tried, for a mark that arrived through a retry after a Firestore
    /// outage (`marked_at` is when it landed).
    #[serde(default)]
    pub attempted_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub marked_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub deleted_at: Option<FirestoreTimestamp>,
    /// Firestore's own update time, read for a write that must not overwrite a newer change.
    #[serde(default, alias = "_firestore_updated", skip_serializing)]
    pub update_time: Option<FirestoreTimestamp>,
}

/// `attendance_changes/{attendance id}_v{version}`: one change of a mark after it was made,
/// written in the same commit as the change and never modified (the id makes a second write
/// of the same change impossible).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttendanceChangeDoc {
    pub attendance_id: String,
    pub session_id: String,
    pub unit_code: String,
    pub academic_year: String,
    pub semester: u8,
    pub admission_number: String,
    pub admission_key: String,
    /// The mark's version after the change.
    pub version: u32,
    /// `none`, `removed`, or a status.
    pub from_status: String,
    pub to_status: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// The lecturer's username, or the admission number for a student's own change.
    pub by: String,
    /// `student` or `lecturer`.
    pub source: String,
    #[serde(default)]
    pub at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
}

fn default_risk_threshold() -> u8 {
    crate::domain::RiskThreshold::DEFAULT.percent()
}

fn first_version() -> u32 {
    1
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudentDoc {
    pub admission_number: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Unit codes the student has attended at least once.
    #[serde(default)]
    pub units: Vec<String>,
    /// Lectures attended per unit and term, keyed by [`ids::unit_term`]: incremented in the
    /// same commit as each mark, so the success page needs no count query.
    #[serde(default)]
    pub attended: std::collections::BTreeMap<String, i64>,
    /// The document's creation time, from Firestore's own metadata.
    #[serde(default, alias = "_firestore_created", skip_serializing)]
    pub created_at: Option<FirestoreTimestamp>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
}

/// The fields a student's first mark creates on `students/{key}`; `units`, the counter and
/// `updated_at` are transforms. Later marks only apply the transforms: the first name recorded
/// stays (a lecturer can correct it), so no one can rename a student by typing their number.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StudentCreate<'a> {
    pub admission_number: &'a str,
    pub name: &'a str,
}

impl StudentCreate<'_> {
    pub(crate) const FIELDS: [&'static str; 2] = ["admission_number", "name"];
}

/// `class_lists/{CODE}_{year}_{sem}`: the head of a unit's class list for one term. Its
/// students are in `chunks` documents of [`ClassListChunkDoc`] under `generation`; a save
/// writes a new generation and this head in one commit, so a list of any size is replaced
/// atomically and never comes near one document's 1 MiB.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassListDoc {
    pub unit_code: String,
    pub academic_year: String,
    pub semester: u8,
    /// The chunks' generation (empty in a list saved before chunks: its students are here).
    #[serde(default)]
    pub generation: String,
    #[serde(default)]
    pub chunks: u32,
    /// How many students, for a reader that needs only the number.
    #[serde(default)]
    pub count: u32,
    /// By admission key: only in a list saved before chunks.
    #[serde(default)]
    pub students: std::collections::BTreeMap<String, ClassListEntryDoc>,
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
    #[serde(default, alias = "_firestore_updated", skip_serializing)]
    pub update_time: Option<FirestoreTimestamp>,
}

/// `class_list_uploads/{random id}`: a class-list file a lecturer previewed, kept until they
/// confirm it (or for an hour: `expires_at`, with a TTL policy), so the confirmation need not
/// carry the file. Its text is in `parts` documents of [`UploadPartDoc`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadDoc {
    pub lecturer: String,
    /// The class list it was previewed for (`{CODE}_{year}_{sem}`).
    pub list: String,
    pub parts: u32,
    pub sha256: String,
    pub expires_at: FirestoreTimestamp,
    /// Once imported, what the import did (the same answer for a repeated confirmation).
    #[serde(default)]
    pub applied: Option<String>,
}

/// `class_list_upload_parts/{upload id}~{n}`: part of an upload's text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadPartDoc {
    pub text: String,
    /// The upload's: the same TTL policy removes both.
    pub expires_at: FirestoreTimestamp,
}

/// `class_list_chunks/{list id}~{generation}~{n}`: part of a class list's students.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassListChunkDoc {
    pub list: String,
    pub generation: String,
    /// By admission key.
    pub students: std::collections::BTreeMap<String, ClassListEntryDoc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassListEntryDoc {
    pub admission_number: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// `admin_audit/{random id}`: one administrator action, created in the same commit as the
/// change it records and never modified.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditDoc {
    /// `lecturer_created`, `unit_reassigned`, … (`model::AuditAction`).
    pub action: String,
    /// The administrator's username, or `(command line)`.
    pub actor: String,
    pub target: String,
    pub detail: String,
    #[serde(default)]
    pub at: Option<FirestoreTimestamp>,
    /// Equal to `at`: the reconciler mirrors by `updated_at`, like every collection.
    #[serde(default)]
    pub updated_at: Option<FirestoreTimestamp>,
}

/// Document ids: the only place that knows how they are spelled.
pub mod ids {
    use crate::domain::{AdmissionKey, SessionId, SessionNumber, Term, UnitCode};
    use jiff::civil::{Date, Time};

    pub fn attendance(session: SessionId, student: &AdmissionKey) -> String {
        format!("{session}_{student}")
    }

    pub fn session_slot(unit: &UnitCode, term: Term, number: SessionNumber) -> String {
        format!("{unit}_{}_{:02}", term.id_fragment(), number.get())
    }

    pub fn session_time(unit: &UnitCode, term: Term, date: Date, start: Time) -> String {
        format!("{unit}_{}_{date}_{}", term.id_fragment(), start.strftime("%H%M"))
    }

    /// `CS101_2025-2026_1`: a student's per-unit-and-term counter key.
    pub fn unit_term(unit: &UnitCode, term: Term) -> String {
        format!("{unit}_{}", term.id_fragment())
    }

    /// The `n`th chunk of class list `list` in `generation` (a random hex id).
    pub fn class_list_chunk(list: &str, generation: &str, n: u32) -> String {
        format!("{list}~{generation}~{n}")
    }

    /// One change of the mark `attendance`, to `version`.
    pub fn attendance_change(attendance: &str, version: u32) -> String {
        format!("{attendance}_v{version}")
    }

    /// The field path of that counter (quoted: the key contains `-`).
    pub fn attended_field(unit: &UnitCode, term: Term) -> String {
        format!("attended.`{}`", unit_term(unit, term))
    }
}

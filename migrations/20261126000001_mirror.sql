-- The PostgreSQL mirror of the attendance data in Firestore, written by `reconciler`.
-- Firestore is the source of truth: these tables are rebuilt from it and never edited by hand.

CREATE TABLE lecturers (
    username    text PRIMARY KEY,
    full_name   text NOT NULL,
    email       text NOT NULL,
    staff_id    text NOT NULL,
    department  text NOT NULL,
    phone       text,
    active      boolean NOT NULL,
    created_at  timestamptz,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz,
    mirrored_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE lecturers IS 'Lecturer accounts (Firestore lecturers/{username}). Password hashes are never copied.';
COMMENT ON COLUMN lecturers.username IS 'Login name, lower case; the Firestore document id.';
COMMENT ON COLUMN lecturers.full_name IS 'Name as shown on pages and in Portal records.';
COMMENT ON COLUMN lecturers.email IS 'Contact e-mail.';
COMMENT ON COLUMN lecturers.staff_id IS 'University staff number, unique per lecturer (e.g. STF/0042).';
COMMENT ON COLUMN lecturers.department IS 'Department the lecturer belongs to.';
COMMENT ON COLUMN lecturers.phone IS 'Contact phone, if given.';
COMMENT ON COLUMN lecturers.active IS 'False when the account is disabled (cannot log in).';
COMMENT ON COLUMN lecturers.created_at IS 'When the account was created (Firestore server time).';
COMMENT ON COLUMN lecturers.updated_at IS 'Last change in Firestore (server time); drives incremental mirroring.';
COMMENT ON COLUMN lecturers.deleted_at IS 'When the account was soft-deleted; NULL while it exists.';
COMMENT ON COLUMN lecturers.mirrored_at IS 'When the reconciler last wrote this row.';

CREATE TABLE units (
    code             text PRIMARY KEY,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    lecturer         text NOT NULL,
    expected_lessons integer NOT NULL,
    created_at       timestamptz,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    mirrored_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_lecturer ON units (lecturer);
COMMENT ON TABLE units IS 'Course units (Firestore units/{CODE}).';
COMMENT ON COLUMN units.code IS 'Unit code, upper case without spaces (e.g. CS101); the Firestore document id.';
COMMENT ON COLUMN units.name IS 'Unit title.';
COMMENT ON COLUMN units.description IS 'Optional description.';
COMMENT ON COLUMN units.lecturer IS 'Username of the owning lecturer (lecturers.username).';
COMMENT ON COLUMN units.expected_lessons IS 'Lectures a student is expected to attend per term: the denominator of attendance_percentages.percentage.';
COMMENT ON COLUMN units.created_at IS 'When the unit was created (Firestore server time).';
COMMENT ON COLUMN units.updated_at IS 'Last change in Firestore (server time).';
COMMENT ON COLUMN units.deleted_at IS 'When the unit was soft-deleted; NULL while it exists.';
COMMENT ON COLUMN units.mirrored_at IS 'When the reconciler last wrote this row.';

CREATE TABLE sessions (
    id                 uuid PRIMARY KEY,
    unit_code          text NOT NULL,
    lecturer           text NOT NULL,
    academic_year      text NOT NULL,
    semester           smallint NOT NULL CHECK (semester IN (1, 2)),
    session_number     smallint NOT NULL CHECK (session_number BETWEEN 1 AND 13),
    date               date NOT NULL,
    start_time         time NOT NULL,
    end_time           time NOT NULL,
    venue              text NOT NULL,
    lecturer_name      text NOT NULL,
    class_year         smallint NOT NULL,
    is_active          boolean NOT NULL,
    qr_mode            text NOT NULL,
    late_after_minutes integer NOT NULL,
    created_at         timestamptz,
    updated_at         timestamptz NOT NULL,
    deleted_at         timestamptz,
    mirrored_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_unit_term ON sessions (unit_code, academic_year, semester);
COMMENT ON TABLE sessions IS 'Lecture sessions (Firestore sessions/{uuid}); "S1 Lec 3" is semester 1, session_number 3.';
COMMENT ON COLUMN sessions.id IS 'Session id, as in the QR code URL /attend/<id>/.';
COMMENT ON COLUMN sessions.unit_code IS 'The unit (units.code).';
COMMENT ON COLUMN sessions.lecturer IS 'Username of the lecturer who created it.';
COMMENT ON COLUMN sessions.academic_year IS 'Academic year such as 2025/2026.';
COMMENT ON COLUMN sessions.semester IS 'Semester, 1 or 2.';
COMMENT ON COLUMN sessions.session_number IS 'Lecture number within unit and term, 1 to 13.';
COMMENT ON COLUMN sessions.date IS 'Day the lecture is held.';
COMMENT ON COLUMN sessions.start_time IS 'Start, local time of the university.';
COMMENT ON COLUMN sessions.end_time IS 'End, local time of the university.';
COMMENT ON COLUMN sessions.venue IS 'Room or hall.';
COMMENT ON COLUMN sessions.lecturer_name IS 'Lecturer name as entered for this session (sent to the Portal).';
COMMENT ON COLUMN sessions.class_year IS 'Year of study, 1 to 5.';
COMMENT ON COLUMN sessions.is_active IS 'True while students may mark attendance.';
COMMENT ON COLUMN sessions.qr_mode IS 'static (printable code) or rotating (projected code that changes every few seconds).';
COMMENT ON COLUMN sessions.late_after_minutes IS 'Marks this many minutes after the start are recorded as late.';
COMMENT ON COLUMN sessions.created_at IS 'When the session was created (Firestore server time).';
COMMENT ON COLUMN sessions.updated_at IS 'Last change in Firestore (server time).';
COMMENT ON COLUMN sessions.deleted_at IS 'When the session was soft-deleted; NULL while it exists.';
COMMENT ON COLUMN sessions.mirrored_at IS 'When the reconciler last wrote this row.';

CREATE TABLE students (
    admission_number text PRIMARY KEY,
    admission_key    text NOT NULL UNIQUE,
    name             text NOT NULL,
    email            text,
    phone            text,
    created_at       timestamptz,
    updated_at       timestamptz NOT NULL,
    mirrored_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE students IS 'Students seen marking attendance (Firestore students/{admission_key}).';
COMMENT ON COLUMN students.admission_number IS 'Admission number, normalised: trimmed, spaces collapsed, upper case (e.g. ADM/2023/001).';
COMMENT ON COLUMN students.admission_key IS 'The Firestore document id: the admission number percent-encoded.';
COMMENT ON COLUMN students.name IS 'Name as typed at the latest mark.';
COMMENT ON COLUMN students.email IS 'E-mail, if known.';
COMMENT ON COLUMN students.phone IS 'Phone, if known.';
COMMENT ON COLUMN students.created_at IS 'When the student first marked attendance.';
COMMENT ON COLUMN students.updated_at IS 'Last change in Firestore (server time).';
COMMENT ON COLUMN students.mirrored_at IS 'When the reconciler last wrote this row.';

CREATE TABLE student_units (
    admission_number text NOT NULL REFERENCES students (admission_number) ON DELETE CASCADE,
    unit_code        text NOT NULL,
    PRIMARY KEY (admission_number, unit_code)
);
COMMENT ON TABLE student_units IS 'Units each student has attended at least once (Firestore students.units).';
COMMENT ON COLUMN student_units.admission_number IS 'The student (students.admission_number).';
COMMENT ON COLUMN student_units.unit_code IS 'The unit (units.code).';

CREATE TABLE attendance (
    id               text PRIMARY KEY,
    session_id       uuid NOT NULL,
    unit_code        text NOT NULL,
    academic_year    text NOT NULL,
    semester         smallint NOT NULL,
    session_number   smallint NOT NULL,
    admission_number text NOT NULL,
    student_name     text NOT NULL,
    status           text NOT NULL CHECK (status IN ('present', 'late')),
    source           text NOT NULL,
    marked_at        timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    mirrored_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attendance_session ON attendance (session_id);
CREATE INDEX attendance_student_term ON attendance (admission_number, unit_code, academic_year, semester);
COMMENT ON TABLE attendance IS 'One row per student per session marked (Firestore attendance/{session}_{admission_key}); a student can never appear twice in a session.';
COMMENT ON COLUMN attendance.id IS 'The Firestore document id: session id, underscore, admission key. Also the Idempotency-Key sent to the Portal.';
COMMENT ON COLUMN attendance.session_id IS 'The session (sessions.id).';
COMMENT ON COLUMN attendance.unit_code IS 'The unit (units.code).';
COMMENT ON COLUMN attendance.academic_year IS 'Academic year of the session, e.g. 2025/2026.';
COMMENT ON COLUMN attendance.semester IS 'Semester of the session, 1 or 2.';
COMMENT ON COLUMN attendance.session_number IS 'Lecture number of the session, 1 to 13.';
COMMENT ON COLUMN attendance.admission_number IS 'The student (students.admission_number), normalised.';
COMMENT ON COLUMN attendance.student_name IS 'Name as the student typed it for this mark.';
COMMENT ON COLUMN attendance.status IS 'present, or late when marked after the session''s late threshold (still counted as attended).';
COMMENT ON COLUMN attendance.source IS 'qr (the student scanned) or lecturer (added by hand).';
COMMENT ON COLUMN attendance.marked_at IS 'Firestore server time of the mark.';
COMMENT ON COLUMN attendance.updated_at IS 'Last change in Firestore (server time).';
COMMENT ON COLUMN attendance.deleted_at IS 'When the lecturer removed the mark; NULL while it counts.';
COMMENT ON COLUMN attendance.mirrored_at IS 'When the reconciler last wrote this row.';

CREATE TABLE portal_deliveries (
    attendance_id    text PRIMARY KEY REFERENCES attendance (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_response    jsonb,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_deliveries_due ON portal_deliveries (next_attempt_at) WHERE status = 'pending';
COMMENT ON TABLE portal_deliveries IS 'Forwarding of each attendance record to the student Portal API, with the audit trail of the last attempt.';
COMMENT ON COLUMN portal_deliveries.attendance_id IS 'The record forwarded (attendance.id); also its Idempotency-Key.';
COMMENT ON COLUMN portal_deliveries.status IS 'pending (to send or retry), delivered (a 2xx answer), dead (gave up after the maximum attempts; `reconciler retry-dead` queues it again).';
COMMENT ON COLUMN portal_deliveries.attempts IS 'POSTs made so far.';
COMMENT ON COLUMN portal_deliveries.next_attempt_at IS 'Earliest time of the next attempt (exponential backoff with jitter).';
COMMENT ON COLUMN portal_deliveries.last_attempt_at IS 'When the last POST was made.';
COMMENT ON COLUMN portal_deliveries.last_status_code IS 'HTTP status of the last answer; NULL when there was none (timeout, refused).';
COMMENT ON COLUMN portal_deliveries.last_response IS 'Body of the last answer: its JSON, or {"text": ...} when it was not JSON.';
COMMENT ON COLUMN portal_deliveries.last_error IS 'Why the last attempt failed, if it did.';
COMMENT ON COLUMN portal_deliveries.delivered_at IS 'When the Portal accepted the record.';
COMMENT ON COLUMN portal_deliveries.created_at IS 'When the record was queued.';

CREATE TABLE mirror_state (
    collection     text PRIMARY KEY,
    watermark      timestamptz,
    watermark_id   text,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE mirror_state IS 'How far each Firestore collection has been mirrored.';
COMMENT ON COLUMN mirror_state.collection IS 'Firestore collection name.';
COMMENT ON COLUMN mirror_state.watermark IS 'updated_at of the last document mirrored; the next run reads from a little before it.';
COMMENT ON COLUMN mirror_state.watermark_id IS 'Id of that document.';
COMMENT ON COLUMN mirror_state.updated_at IS 'When the watermark last moved.';

CREATE TABLE reconcile_runs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    full_mirror boolean NOT NULL DEFAULT false,
    mirrored    jsonb NOT NULL DEFAULT '{}',
    removed     jsonb NOT NULL DEFAULT '{}',
    delivered   integer NOT NULL DEFAULT 0,
    retried     integer NOT NULL DEFAULT 0,
    dead        integer NOT NULL DEFAULT 0,
    durations   jsonb NOT NULL DEFAULT '{}',
    peak_rss_kb bigint,
    error       text
);
COMMENT ON TABLE reconcile_runs IS 'One row per reconciler run: what it did and how long it took.';
COMMENT ON COLUMN reconcile_runs.id IS 'Run number.';
COMMENT ON COLUMN reconcile_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN reconcile_runs.finished_at IS 'When it ended; NULL while running (or if the process died).';
COMMENT ON COLUMN reconcile_runs.status IS 'running, succeeded or failed.';
COMMENT ON COLUMN reconcile_runs.full_mirror IS 'True for `reconciler run --full` (everything re-read, vanished rows removed).';
COMMENT ON COLUMN reconcile_runs.mirrored IS 'Rows inserted or changed per collection, e.g. {"attendance": 12}.';
COMMENT ON COLUMN reconcile_runs.removed IS 'Rows removed per collection by a full run because their documents are gone.';
COMMENT ON COLUMN reconcile_runs.delivered IS 'Records the Portal accepted in this run.';
COMMENT ON COLUMN reconcile_runs.retried IS 'Deliveries that failed and were scheduled again.';
COMMENT ON COLUMN reconcile_runs.dead IS 'Deliveries that reached the maximum attempts in this run.';
COMMENT ON COLUMN reconcile_runs.durations IS 'Milliseconds per phase: mirror, percentages, forward, total.';
COMMENT ON COLUMN reconcile_runs.peak_rss_kb IS 'Peak resident memory of the reconciler process, in KiB.';
COMMENT ON COLUMN reconcile_runs.error IS 'Why the run failed.';

-- Attendance percentage per student, unit and term. Materialised: `reconciler run` refreshes it.
CREATE MATERIALIZED VIEW attendance_percentages AS
WITH attended AS (
    SELECT admission_number, unit_code, academic_year, semester, count(*) AS attended
    FROM attendance
    WHERE deleted_at IS NULL
    GROUP BY admission_number, unit_code, academic_year, semester
), held AS (
    SELECT s.unit_code, s.academic_year, s.semester, count(*) AS held
    FROM sessions s
    WHERE s.deleted_at IS NULL
      AND (s.date <= current_date OR EXISTS (SELECT 1 FROM attendance a WHERE a.session_id = s.id AND a.deleted_at IS NULL))
    GROUP BY s.unit_code, s.academic_year, s.semester
)
SELECT a.admission_number,
       a.unit_code,
       a.academic_year,
       a.semester,
       a.attended,
       coalesce(u.expected_lessons, 12) AS expected,
       round(100.0 * a.attended / nullif(coalesce(u.expected_lessons, 12), 0), 2) AS percentage,
       coalesce(h.held, 0) AS held,
       round(100.0 * a.attended / nullif(h.held, 0), 2) AS attended_of_held
FROM attended a
LEFT JOIN units u ON u.code = a.unit_code
LEFT JOIN held h ON h.unit_code = a.unit_code AND h.academic_year = a.academic_year AND h.semester = a.semester;
CREATE UNIQUE INDEX attendance_percentages_key ON attendance_percentages (admission_number, unit_code, academic_year, semester);
COMMENT ON MATERIALIZED VIEW attendance_percentages IS 'Attendance per student, unit and term; refreshed by every reconciler run.';
COMMENT ON COLUMN attendance_percentages.admission_number IS 'The student.';
COMMENT ON COLUMN attendance_percentages.unit_code IS 'The unit.';
COMMENT ON COLUMN attendance_percentages.academic_year IS 'Academic year, e.g. 2025/2026.';
COMMENT ON COLUMN attendance_percentages.semester IS 'Semester, 1 or 2.';
COMMENT ON COLUMN attendance_percentages.attended IS 'Sessions attended (present or late; removed marks excluded).';
COMMENT ON COLUMN attendance_percentages.expected IS 'The unit''s expected lessons per term.';
COMMENT ON COLUMN attendance_percentages.percentage IS 'attended / expected × 100, two decimals: the official figure (also sent to the Portal).';
COMMENT ON COLUMN attendance_percentages.held IS 'Sessions of the unit and term held so far (dated today or earlier, or already attended).';
COMMENT ON COLUMN attendance_percentages.attended_of_held IS 'attended / held × 100, two decimals: attendance so far.';

CREATE VIEW session_attendance AS
SELECT s.id AS session_id,
       s.unit_code,
       s.academic_year,
       s.semester,
       s.session_number,
       s.date AS held_on,
       s.start_time,
       s.venue,
       s.lecturer,
       count(a.id) FILTER (WHERE a.deleted_at IS NULL) AS attendance_count,
       count(a.id) FILTER (WHERE a.deleted_at IS NULL AND a.status = 'late') AS late_count
FROM sessions s
LEFT JOIN attendance a ON a.session_id = s.id
WHERE s.deleted_at IS NULL
GROUP BY s.id;
COMMENT ON VIEW session_attendance IS 'Per session: when it was held and how many students attended.';
COMMENT ON COLUMN session_attendance.session_id IS 'The session (sessions.id).';
COMMENT ON COLUMN session_attendance.unit_code IS 'The unit.';
COMMENT ON COLUMN session_attendance.academic_year IS 'Academic year.';
COMMENT ON COLUMN session_attendance.semester IS 'Semester.';
COMMENT ON COLUMN session_attendance.session_number IS 'Lecture number.';
COMMENT ON COLUMN session_attendance.held_on IS 'Date of the lecture.';
COMMENT ON COLUMN session_attendance.start_time IS 'Start time.';
COMMENT ON COLUMN session_attendance.venue IS 'Venue.';
COMMENT ON COLUMN session_attendance.lecturer IS 'Username of the lecturer.';
COMMENT ON COLUMN session_attendance.attendance_count IS 'Students marked (present or late).';
COMMENT ON COLUMN session_attendance.late_count IS 'Of those, marked late.';

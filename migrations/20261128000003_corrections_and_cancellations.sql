-- Lecturer corrections and cancelled lectures: four mark statuses under one attendance rule,
-- the append-only history of every mark, attendance windows, and the unit's at-risk threshold.

-- The one attendance rule (MarkStatus::counts_as_attended in the app).
CREATE FUNCTION counts_as_attended(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT status IN ('present', 'late', 'excused') $$;
COMMENT ON FUNCTION counts_as_attended(text) IS 'The one attendance rule: present, late and excused count as attended; absent does not, nor does a removed mark.';

ALTER TABLE attendance DROP CONSTRAINT attendance_status_check;
ALTER TABLE attendance ADD CONSTRAINT attendance_status_check CHECK (status IN ('present', 'late', 'excused', 'absent'));
COMMENT ON COLUMN attendance.status IS 'present; late (marked after the session''s late threshold); excused (away with a reason the lecturer accepted); absent. Present, late and excused count as attended (counts_as_attended), absent does not.';
COMMENT ON COLUMN attendance.deleted_at IS 'When the lecturer removed the mark; NULL while it stands (a restored mark too). A removed mark counts nowhere.';

CREATE TABLE attendance_changes (
    id               text PRIMARY KEY,
    attendance_id    text NOT NULL,
    session_id       uuid NOT NULL,
    unit_code        text NOT NULL,
    academic_year    text NOT NULL,
    semester         smallint NOT NULL,
    admission_number text NOT NULL,
    admission_key    text NOT NULL,
    version          integer NOT NULL,
    from_status      text NOT NULL,
    to_status        text NOT NULL,
    reason           text,
    by               text NOT NULL,
    source           text NOT NULL,
    at               timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    mirrored_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX attendance_changes_mark ON attendance_changes (attendance_id, version);
CREATE INDEX attendance_changes_session ON attendance_changes (session_id);
CREATE INDEX attendance_changes_student_term ON attendance_changes (admission_number, unit_code, academic_year, semester);
COMMENT ON TABLE attendance_changes IS 'Every change of a mark after it was made (Firestore attendance_changes/{attendance id}_v{version}), never modified: the mark''s history.';
COMMENT ON COLUMN attendance_changes.id IS 'The Firestore document id: the attendance id, _v, the version.';
COMMENT ON COLUMN attendance_changes.attendance_id IS 'The mark changed (attendance.id).';
COMMENT ON COLUMN attendance_changes.session_id IS 'The mark''s session (sessions.id).';
COMMENT ON COLUMN attendance_changes.unit_code IS 'The unit (units.code).';
COMMENT ON COLUMN attendance_changes.academic_year IS 'Academic year of the session, e.g. 2025/2026.';
COMMENT ON COLUMN attendance_changes.semester IS 'Semester of the session, 1 or 2.';
COMMENT ON COLUMN attendance_changes.admission_number IS 'The student (students.admission_number), normalised.';
COMMENT ON COLUMN attendance_changes.admission_key IS 'The student''s document key (students.admission_key).';
COMMENT ON COLUMN attendance_changes.version IS 'The mark''s version after this change (attendance.version once it is the latest).';
COMMENT ON COLUMN attendance_changes.from_status IS 'Before: none (no mark yet), removed, or a status.';
COMMENT ON COLUMN attendance_changes.to_status IS 'After: removed, or a status (present, late, excused, absent).';
COMMENT ON COLUMN attendance_changes.reason IS 'Why, as the lecturer gave it (required for a removal).';
COMMENT ON COLUMN attendance_changes.by IS 'The lecturer''s username, or the admission number for a student''s own change.';
COMMENT ON COLUMN attendance_changes.source IS 'student or lecturer.';
COMMENT ON COLUMN attendance_changes.at IS 'When the change was made (Firestore server time).';
COMMENT ON COLUMN attendance_changes.updated_at IS 'Last change in Firestore (server time; the same as at).';
COMMENT ON COLUMN attendance_changes.mirrored_at IS 'When the reconciler last wrote this row.';

ALTER TABLE sessions
    ADD COLUMN keep_open boolean NOT NULL DEFAULT false,
    ADD COLUMN cancelled boolean NOT NULL DEFAULT false,
    ADD COLUMN opens_at timestamp,
    ADD COLUMN closes_at timestamp;
UPDATE sessions SET opens_at = date + start_time - interval '15 minutes', closes_at = date + end_time;
ALTER TABLE sessions ALTER COLUMN opens_at SET NOT NULL, ALTER COLUMN closes_at SET NOT NULL;
COMMENT ON COLUMN sessions.is_active IS 'False once the lecturer closed it by hand ("close now"); no window reopens it.';
COMMENT ON COLUMN sessions.keep_open IS 'True while the lecturer keeps it open whatever its window says.';
COMMENT ON COLUMN sessions.cancelled IS 'The lecture did not take place: kept on record, out of "held" and of every percentage.';
COMMENT ON COLUMN sessions.opens_at IS 'When students may start marking, local time of the university (by default 15 minutes before the start).';
COMMENT ON COLUMN sessions.closes_at IS 'When marking stops, local time of the university (by default the end).';

ALTER TABLE units
    ADD COLUMN archived boolean NOT NULL DEFAULT false,
    ADD COLUMN risk_threshold smallint NOT NULL DEFAULT 75;
COMMENT ON COLUMN units.archived IS 'True once the lecturer archived it: off the dashboard and the forms, its data kept.';
COMMENT ON COLUMN units.risk_threshold IS 'Percent of the lectures held under which a student is at risk (attendance_percentages.at_risk).';

-- Rows mirrored before these columns existed were filled with the defaults: the next pass
-- reads these collections from the start and rewrites every row from its document.
DELETE FROM mirror_state WHERE collection IN ('sessions', 'units');

-- A mark's state at an instant, from its history: the latest change by then, else the state
-- before its first change, else (no history: marks removed before it was kept) its removal time.
CREATE FUNCTION mark_status_at(mark_id text, status_now text, removed_at timestamptz, as_of timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(
        (SELECT c.to_status FROM attendance_changes c
         WHERE c.attendance_id = mark_id AND c.at <= as_of ORDER BY c.version DESC LIMIT 1),
        (SELECT c.from_status FROM attendance_changes c WHERE c.attendance_id = mark_id ORDER BY c.version LIMIT 1),
        CASE WHEN removed_at <= as_of THEN 'removed' ELSE status_now END)
$$;
COMMENT ON FUNCTION mark_status_at(text, text, timestamptz, timestamptz) IS 'The status (or removed, or none) of mark mark_id at as_of, from attendance_changes; status_now and removed_at are its row''s status and deleted_at.';

-- The percentage the student was shown when marking: the marks of that unit and term that
-- counted at that instant under the one rule, marks of cancelled or deleted sessions left out,
-- over the expected lessons then.
DROP VIEW portal_records;
CREATE VIEW portal_records AS
SELECT a.id AS attendance_id,
       a.version,
       a.status,
       a.student_name,
       a.admission_number,
       a.unit_code,
       s.date,
       a.marked_at,
       s.lecturer_name,
       s.venue,
       round(100.0 * (SELECT count(*) FROM attendance h
                      WHERE h.admission_number = a.admission_number AND h.unit_code = a.unit_code
                        AND h.academic_year = a.academic_year AND h.semester = a.semester
                        AND h.marked_at <= a.marked_at
                        AND NOT EXISTS (SELECT 1 FROM sessions hs WHERE hs.id = h.session_id
                                        AND (hs.cancelled OR hs.deleted_at IS NOT NULL))
                        AND counts_as_attended(mark_status_at(h.id, h.status, h.deleted_at, a.marked_at)))
             / nullif(coalesce(a.expected_lessons, u.expected_lessons), 0), 2) AS shown_percentage
FROM attendance a
LEFT JOIN sessions s ON s.id = a.session_id
LEFT JOIN units u ON u.code = a.unit_code;
COMMENT ON VIEW portal_records IS 'What the Portal receives for each mark (see README, "What the Portal receives").';
COMMENT ON COLUMN portal_records.attendance_id IS 'The mark (attendance.id).';
COMMENT ON COLUMN portal_records.version IS 'The mark''s version.';
COMMENT ON COLUMN portal_records.status IS 'The mark''s status: present, late, excused or absent.';
COMMENT ON COLUMN portal_records.student_name IS 'Name as typed for this mark.';
COMMENT ON COLUMN portal_records.admission_number IS 'The student.';
COMMENT ON COLUMN portal_records.unit_code IS 'The unit.';
COMMENT ON COLUMN portal_records.date IS 'The lecture''s date; NULL while its session is not mirrored.';
COMMENT ON COLUMN portal_records.marked_at IS 'When the student marked.';
COMMENT ON COLUMN portal_records.lecturer_name IS 'Lecturer as named on the session.';
COMMENT ON COLUMN portal_records.venue IS 'Venue.';
COMMENT ON COLUMN portal_records.shown_percentage IS 'The percentage the student was shown when marking, two decimals: the marks that counted as attended at that instant (by their history), marks of cancelled or deleted sessions left out.';

DROP VIEW attendance_percentages;
CREATE VIEW attendance_percentages AS
WITH attended AS (
    SELECT a.admission_number, a.unit_code, a.academic_year, a.semester,
           count(*) FILTER (WHERE counts_as_attended(a.status)) AS attended
    FROM attendance a
    JOIN sessions s ON s.id = a.session_id AND s.deleted_at IS NULL AND NOT s.cancelled
    WHERE a.deleted_at IS NULL
    GROUP BY a.admission_number, a.unit_code, a.academic_year, a.semester
), held AS (
    SELECT s.unit_code, s.academic_year, s.semester, count(*) AS held
    FROM sessions s
    WHERE s.deleted_at IS NULL AND NOT s.cancelled
      AND (s.date <= current_date
           OR EXISTS (SELECT 1 FROM attendance a
                      WHERE a.session_id = s.id AND a.deleted_at IS NULL AND a.status IN ('present', 'late')))
    GROUP BY s.unit_code, s.academic_year, s.semester
)
SELECT a.admission_number,
       a.unit_code,
       a.academic_year,
       a.semester,
       a.attended,
       u.expected_lessons AS expected,
       round(100.0 * a.attended / nullif(u.expected_lessons, 0), 2) AS percentage,
       coalesce(h.held, 0) AS held,
       round(100.0 * a.attended / nullif(h.held, 0), 2) AS attended_of_held,
       u.risk_threshold,
       coalesce(h.held, 0) > 0 AND 100 * a.attended < u.risk_threshold * h.held AS at_risk
FROM attended a
LEFT JOIN units u ON u.code = a.unit_code
LEFT JOIN held h ON h.unit_code = a.unit_code AND h.academic_year = a.academic_year AND h.semester = a.semester;
COMMENT ON VIEW attendance_percentages IS 'Attendance per student, unit and term, always current, under the one rule (counts_as_attended). Marks of cancelled or deleted sessions do not count; a student with only absent marks shows 0.';
COMMENT ON COLUMN attendance_percentages.admission_number IS 'The student.';
COMMENT ON COLUMN attendance_percentages.unit_code IS 'The unit.';
COMMENT ON COLUMN attendance_percentages.academic_year IS 'Academic year, e.g. 2025/2026.';
COMMENT ON COLUMN attendance_percentages.semester IS 'Semester, 1 or 2.';
COMMENT ON COLUMN attendance_percentages.attended IS 'Sessions attended: present, late or excused (absent and removed marks, and marks of cancelled or deleted sessions, excluded).';
COMMENT ON COLUMN attendance_percentages.expected IS 'The unit''s expected lessons per term; NULL while the unit is not mirrored.';
COMMENT ON COLUMN attendance_percentages.percentage IS 'attended / expected × 100, two decimals: the official figure. Not capped: a student who attends more lectures than expected shows over 100.';
COMMENT ON COLUMN attendance_percentages.held IS 'Sessions of the unit and term held so far: not cancelled, and dated today or earlier in the database server''s zone or with a student present or late.';
COMMENT ON COLUMN attendance_percentages.attended_of_held IS 'attended / held × 100, two decimals: attendance so far.';
COMMENT ON COLUMN attendance_percentages.risk_threshold IS 'The unit''s at-risk threshold, percent of lectures held; NULL while the unit is not mirrored.';
COMMENT ON COLUMN attendance_percentages.at_risk IS 'attended_of_held under risk_threshold; false before a lecture was held.';

DROP VIEW session_attendance;
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
       count(a.id) FILTER (WHERE a.deleted_at IS NULL AND counts_as_attended(a.status)) AS attendance_count,
       count(a.id) FILTER (WHERE a.deleted_at IS NULL AND a.status = 'late') AS late_count,
       count(a.id) FILTER (WHERE a.deleted_at IS NULL AND a.status = 'excused') AS excused_count,
       count(a.id) FILTER (WHERE a.deleted_at IS NULL AND a.status = 'absent') AS absent_count,
       s.cancelled
FROM sessions s
LEFT JOIN attendance a ON a.session_id = s.id
WHERE s.deleted_at IS NULL
GROUP BY s.id;
COMMENT ON VIEW session_attendance IS 'Per session: when it was held and how many students attended, under the one rule (counts_as_attended).';
COMMENT ON COLUMN session_attendance.session_id IS 'The session (sessions.id).';
COMMENT ON COLUMN session_attendance.unit_code IS 'The unit.';
COMMENT ON COLUMN session_attendance.academic_year IS 'Academic year.';
COMMENT ON COLUMN session_attendance.semester IS 'Semester.';
COMMENT ON COLUMN session_attendance.session_number IS 'Lecture number.';
COMMENT ON COLUMN session_attendance.held_on IS 'Date of the lecture (it was not held if cancelled).';
COMMENT ON COLUMN session_attendance.start_time IS 'Start time.';
COMMENT ON COLUMN session_attendance.venue IS 'Venue.';
COMMENT ON COLUMN session_attendance.lecturer IS 'Username of the lecturer.';
COMMENT ON COLUMN session_attendance.attendance_count IS 'Students who attended: present, late or excused (removed marks excluded).';
COMMENT ON COLUMN session_attendance.late_count IS 'Of those, marked late.';
COMMENT ON COLUMN session_attendance.excused_count IS 'Of those, excused.';
COMMENT ON COLUMN session_attendance.absent_count IS 'Marked absent (not counted as attended).';
COMMENT ON COLUMN session_attendance.cancelled IS 'True when the lecture was cancelled (out of every percentage).';

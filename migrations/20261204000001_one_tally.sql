-- The attendance tally's mirror: the views below compute exactly what the app's tally
-- (model::tally) computes, and a test compares the two figure by figure on generated marks.
--   - a mark counts as attended when present, late or excused (counts_as_attended);
--   - a lecture is held once its start has passed in the university's time zone, never when
--     cancelled (lectures_held);
--   - a student attended the lectures held in which their mark counts as attended.

-- Where lectures happen: the reconciler writes its TIMEZONE here at every pass, so "held" is
-- judged in the university's zone whatever the database server's zone is.
CREATE TABLE university (
    id       boolean PRIMARY KEY DEFAULT true CHECK (id),
    timezone text NOT NULL
);
COMMENT ON TABLE university IS 'One row: settings of the university the mirror belongs to, written by the reconciler at every pass.';
COMMENT ON COLUMN university.id IS 'Always true: there is one row.';
COMMENT ON COLUMN university.timezone IS 'The IANA time zone lectures are scheduled in (the reconciler''s TIMEZONE).';

CREATE FUNCTION lecture_starts_at(on_date date, at_time time) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT (on_date + at_time) AT TIME ZONE coalesce((SELECT timezone FROM university), 'UTC') $$;
COMMENT ON FUNCTION lecture_starts_at(date, time) IS 'The instant a lecture on on_date at at_time (local time of the university) starts.';

CREATE VIEW lectures_held AS
SELECT s.id AS session_id, s.unit_code, s.academic_year, s.semester, s.session_number
FROM sessions s
WHERE s.deleted_at IS NULL AND NOT s.cancelled AND lecture_starts_at(s.date, s.start_time) <= now();
COMMENT ON VIEW lectures_held IS 'The lectures held so far: started (in the university''s time zone), not cancelled, not deleted. The app''s Session::is_held.';
COMMENT ON COLUMN lectures_held.session_id IS 'The session (sessions.id).';
COMMENT ON COLUMN lectures_held.unit_code IS 'The unit.';
COMMENT ON COLUMN lectures_held.academic_year IS 'Academic year, e.g. 2025/2026.';
COMMENT ON COLUMN lectures_held.semester IS 'Semester, 1 or 2.';
COMMENT ON COLUMN lectures_held.session_number IS 'Lecture number.';

DROP VIEW attendance_percentages;
CREATE VIEW attendance_percentages AS
WITH marked AS (
    -- Every student with a mark that stands in a lecture that was not cancelled.
    SELECT a.admission_number, a.unit_code, a.academic_year, a.semester,
           count(*) FILTER (WHERE h.session_id IS NOT NULL AND counts_as_attended(a.status)) AS attended
    FROM attendance a
    JOIN sessions s ON s.id = a.session_id AND s.deleted_at IS NULL AND NOT s.cancelled
    LEFT JOIN lectures_held h ON h.session_id = a.session_id
    WHERE a.deleted_at IS NULL
    GROUP BY a.admission_number, a.unit_code, a.academic_year, a.semester
), held AS (
    SELECT unit_code, academic_year, semester, count(*) AS held
    FROM lectures_held
    GROUP BY unit_code, academic_year, semester
)
SELECT m.admission_number,
       m.unit_code,
       m.academic_year,
       m.semester,
       m.attended,
       u.expected_lessons AS expected,
       round(100.0 * m.attended / nullif(u.expected_lessons, 0), 2) AS percentage,
       coalesce(h.held, 0) AS held,
       round(100.0 * m.attended / nullif(h.held, 0), 2) AS attended_of_held,
       u.risk_threshold,
       coalesce(h.held, 0) > 0 AND 100 * m.attended < u.risk_threshold * h.held AS at_risk
FROM marked m
LEFT JOIN units u ON u.code = m.unit_code
LEFT JOIN held h ON h.unit_code = m.unit_code AND h.academic_year = m.academic_year AND h.semester = m.semester;
COMMENT ON VIEW attendance_percentages IS 'Attendance per student, unit and term, always current: the app''s tally (model::tally). Students with a mark that stands in a lecture not cancelled; a student with only absent marks shows 0.';
COMMENT ON COLUMN attendance_percentages.admission_number IS 'The student.';
COMMENT ON COLUMN attendance_percentages.unit_code IS 'The unit.';
COMMENT ON COLUMN attendance_percentages.academic_year IS 'Academic year, e.g. 2025/2026.';
COMMENT ON COLUMN attendance_percentages.semester IS 'Semester, 1 or 2.';
COMMENT ON COLUMN attendance_percentages.attended IS 'Lectures held in which the student''s mark counts as attended (present, late or excused; absent and removed marks, and cancelled or deleted lectures, excluded). A mark in a lecture not yet started counts once it has.';
COMMENT ON COLUMN attendance_percentages.expected IS 'The unit''s expected lessons per term; NULL while the unit is not mirrored.';
COMMENT ON COLUMN attendance_percentages.percentage IS 'attended / expected × 100, two decimals: the official figure. Not capped: a student who attends more lectures than expected shows over 100.';
COMMENT ON COLUMN attendance_percentages.held IS 'Lectures of the unit and term held so far (lectures_held).';
COMMENT ON COLUMN attendance_percentages.attended_of_held IS 'attended / held × 100, two decimals: attendance so far.';
COMMENT ON COLUMN attendance_percentages.risk_threshold IS 'The unit''s at-risk threshold, percent of lectures held; NULL while the unit is not mirrored.';
COMMENT ON COLUMN attendance_percentages.at_risk IS 'attended under risk_threshold percent of held; false before a lecture was held.';

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
       count(a.id) FILTER (WHERE a.deleted_at IS NOT NULL) AS removed_count,
       s.cancelled,
       NOT s.cancelled AND lecture_starts_at(s.date, s.start_time) <= now() AS held
FROM sessions s
LEFT JOIN attendance a ON a.session_id = s.id
WHERE s.deleted_at IS NULL
GROUP BY s.id;
COMMENT ON VIEW session_attendance IS 'Per lecture: when it is, whether it was held, and how many attended under the one rule (the app''s LectureTally).';
COMMENT ON COLUMN session_attendance.session_id IS 'The session (sessions.id).';
COMMENT ON COLUMN session_attendance.unit_code IS 'The unit.';
COMMENT ON COLUMN session_attendance.academic_year IS 'Academic year.';
COMMENT ON COLUMN session_attendance.semester IS 'Semester.';
COMMENT ON COLUMN session_attendance.session_number IS 'Lecture number.';
COMMENT ON COLUMN session_attendance.held_on IS 'Date of the lecture (it was not held if cancelled).';
COMMENT ON COLUMN session_attendance.start_time IS 'Start time, local time of the university.';
COMMENT ON COLUMN session_attendance.venue IS 'Venue.';
COMMENT ON COLUMN session_attendance.lecturer IS 'Username of the lecturer.';
COMMENT ON COLUMN session_attendance.attendance_count IS 'Students who attended: present, late or excused (removed marks excluded).';
COMMENT ON COLUMN session_attendance.late_count IS 'Of those, marked late.';
COMMENT ON COLUMN session_attendance.excused_count IS 'Of those, excused.';
COMMENT ON COLUMN session_attendance.absent_count IS 'Marked absent (not counted as attended). Students on a class list without a mark are not in the mirror.';
COMMENT ON COLUMN session_attendance.removed_count IS 'Marks the lecturer removed.';
COMMENT ON COLUMN session_attendance.cancelled IS 'True when the lecture was cancelled (out of every percentage).';
COMMENT ON COLUMN session_attendance.held IS 'Started (in the university''s time zone) and not cancelled: it counts in held.';

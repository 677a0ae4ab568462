-- The reconciler under production conditions: versioned marks and their Portal records,
-- rejected documents, always-fresh percentages, and the indexes analysts need.

ALTER TABLE attendance
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN expected_lessons integer,
    ADD CONSTRAINT attendance_semester_check CHECK (semester IN (1, 2)),
    ADD CONSTRAINT attendance_source_check CHECK (source IN ('qr', 'lecturer'));
COMMENT ON COLUMN attendance.version IS '1 when the mark was made; one more for each later change (a removal, a correction).';
COMMENT ON COLUMN attendance.expected_lessons IS 'The unit''s expected lessons when the mark was made: the denominator of the percentage the student was shown (NULL on marks made before it was recorded).';
COMMENT ON COLUMN attendance.source IS 'qr (the student scanned) or lecturer (added by hand).';
CREATE INDEX attendance_unit_term ON attendance (unit_code, academic_year, semester);
CREATE INDEX attendance_marked_at ON attendance (marked_at);
CREATE INDEX sessions_lecturer ON sessions (lecturer);
CREATE INDEX sessions_date ON sessions (date);
ALTER TABLE mirror_state DROP COLUMN watermark_id;

-- One Portal record per change of a mark, keyed `<attendance id>:<version>`.
ALTER TABLE portal_deliveries DROP CONSTRAINT portal_deliveries_attendance_id_fkey;
ALTER TABLE portal_deliveries DROP CONSTRAINT portal_deliveries_pkey;
ALTER TABLE portal_deliveries DROP CONSTRAINT portal_deliveries_status_check;
ALTER TABLE portal_deliveries
    ADD COLUMN idempotency_key text,
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN action text NOT NULL DEFAULT 'created' CHECK (action IN ('created', 'updated', 'removed')),
    ADD COLUMN first_attempt_at timestamptz,
    ADD COLUMN payload jsonb,
    ADD CONSTRAINT portal_deliveries_status_check CHECK (status IN ('pending', 'delivered', 'dead', 'superseded'));
-- Records delivered before versions existed went out under the bare attendance id.
UPDATE portal_deliveries
SET idempotency_key = CASE WHEN status = 'delivered' THEN attendance_id ELSE attendance_id || ':1' END;
ALTER TABLE portal_deliveries ALTER COLUMN idempotency_key SET NOT NULL, ADD PRIMARY KEY (idempotency_key);
CREATE INDEX portal_deliveries_attendance ON portal_deliveries (attendance_id);
COMMENT ON TABLE portal_deliveries IS 'Each record sent (or to send) to the student Portal API: one per change of a mark, with the audit trail of the last attempt.';
COMMENT ON COLUMN portal_deliveries.attendance_id IS 'The mark (attendance.id); the row stays after the mark is gone, for audit.';
COMMENT ON COLUMN portal_deliveries.idempotency_key IS 'Sent as the Idempotency-Key header: <attendance id>:<version>.';
COMMENT ON COLUMN portal_deliveries.version IS 'The mark''s version this record reports.';
COMMENT ON COLUMN portal_deliveries.action IS 'created (a new mark), updated (a delivered mark was corrected), removed (a delivered mark was taken back, or its session deleted).';
COMMENT ON COLUMN portal_deliveries.status IS 'pending (to send or retry), delivered (a 2xx answer), dead (refused by the Portal, or still failing after PORTAL_GIVE_UP_AFTER; `reconciler retry-dead` queues it again), superseded (a newer version of the mark replaced it before it was delivered).';
COMMENT ON COLUMN portal_deliveries.attempts IS 'POSTs made so far (answers that only show a configuration problem, 3xx/401/403, do not count).';
COMMENT ON COLUMN portal_deliveries.first_attempt_at IS 'When the first attempt failed or was made; the give-up age counts from here.';
COMMENT ON COLUMN portal_deliveries.payload IS 'The record, kept when the mark itself left the mirror (a removal of a hard-deleted document); NULL while it is built from the mirror at send time.';
COMMENT ON COLUMN portal_deliveries.last_error IS 'Why the last attempt failed, if it did (the Portal''s reason for a refusal).';

CREATE TABLE mirror_rejects (
    collection  text NOT NULL,
    document_id text NOT NULL,
    error       text NOT NULL,
    updated_at  timestamptz,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, document_id)
);
COMMENT ON TABLE mirror_rejects IS 'Firestore documents that do not parse into the domain types: skipped by the mirror (which moves on) until a valid version replaces them.';
COMMENT ON COLUMN mirror_rejects.collection IS 'Firestore collection.';
COMMENT ON COLUMN mirror_rejects.document_id IS 'Firestore document id.';
COMMENT ON COLUMN mirror_rejects.error IS 'Why it does not parse.';
COMMENT ON COLUMN mirror_rejects.updated_at IS 'The document''s updated_at, if it has one.';
COMMENT ON COLUMN mirror_rejects.first_seen IS 'When a run first rejected it.';
COMMENT ON COLUMN mirror_rejects.last_seen IS 'When a run last rejected it.';

ALTER TABLE reconcile_runs
    ADD COLUMN rejected integer NOT NULL DEFAULT 0,
    ADD COLUMN forwarding_note text;
COMMENT ON COLUMN reconcile_runs.rejected IS 'Documents rejected in this run (see mirror_rejects).';
COMMENT ON COLUMN reconcile_runs.forwarding_note IS 'Why forwarding stopped early, if it did (the Portal redirected, refused the credentials, or the time budget ran out).';
COMMENT ON COLUMN reconcile_runs.status IS 'running, succeeded or failed; a run whose process died stays running until the next run marks it failed.';
COMMENT ON COLUMN reconcile_runs.dead IS 'Deliveries that went dead in this run (refused by the Portal, or past the give-up age).';

-- The percentage the student was shown when marking: the marks of that unit and term that
-- counted at that instant (removals before it excluded), over the expected lessons then.
CREATE VIEW portal_records AS
SELECT a.id AS attendance_id,
       a.version,
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
                        AND h.marked_at <= a.marked_at AND (h.deleted_at IS NULL OR h.deleted_at > a.marked_at))
             / nullif(coalesce(a.expected_lessons, u.expected_lessons), 0), 2) AS shown_percentage
FROM attendance a
LEFT JOIN sessions s ON s.id = a.session_id
LEFT JOIN units u ON u.code = a.unit_code;
COMMENT ON VIEW portal_records IS 'What the Portal receives for each mark (see README, "What the Portal receives").';
COMMENT ON COLUMN portal_records.attendance_id IS 'The mark (attendance.id).';
COMMENT ON COLUMN portal_records.version IS 'The mark''s version.';
COMMENT ON COLUMN portal_records.student_name IS 'Name as typed for this mark.';
COMMENT ON COLUMN portal_records.admission_number IS 'The student.';
COMMENT ON COLUMN portal_records.unit_code IS 'The unit.';
COMMENT ON COLUMN portal_records.date IS 'The lecture''s date; NULL while its session is not mirrored.';
COMMENT ON COLUMN portal_records.marked_at IS 'When the student marked.';
COMMENT ON COLUMN portal_records.lecturer_name IS 'Lecturer as named on the session.';
COMMENT ON COLUMN portal_records.venue IS 'Venue.';
COMMENT ON COLUMN portal_records.shown_percentage IS 'The percentage the student was shown when marking, two decimals.';

-- Percentages as a plain view: always current, and a pass no longer recomputes them for every
-- student (the old materialized view was refreshed over all attendance on each run).
DROP MATERIALIZED VIEW attendance_percentages;
CREATE VIEW attendance_percentages AS
WITH attended AS (
    SELECT a.admission_number, a.unit_code, a.academic_year, a.semester, count(*) AS attended
    FROM attendance a
    JOIN sessions s ON s.id = a.session_id AND s.deleted_at IS NULL
    WHERE a.deleted_at IS NULL
    GROUP BY a.admission_number, a.unit_code, a.academic_year, a.semester
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
       u.expected_lessons AS expected,
       round(100.0 * a.attended / nullif(u.expected_lessons, 0), 2) AS percentage,
       coalesce(h.held, 0) AS held,
       round(100.0 * a.attended / nullif(h.held, 0), 2) AS attended_of_held
FROM attended a
LEFT JOIN units u ON u.code = a.unit_code
LEFT JOIN held h ON h.unit_code = a.unit_code AND h.academic_year = a.academic_year AND h.semester = a.semester;
COMMENT ON VIEW attendance_percentages IS 'Attendance per student, unit and term, always current. Marks of deleted sessions do not count.';
COMMENT ON COLUMN attendance_percentages.admission_number IS 'The student.';
COMMENT ON COLUMN attendance_percentages.unit_code IS 'The unit.';
COMMENT ON COLUMN attendance_percentages.academic_year IS 'Academic year, e.g. 2025/2026.';
COMMENT ON COLUMN attendance_percentages.semester IS 'Semester, 1 or 2.';
COMMENT ON COLUMN attendance_percentages.attended IS 'Sessions attended (present or late; removed marks and marks of deleted sessions excluded).';
COMMENT ON COLUMN attendance_percentages.expected IS 'The unit''s expected lessons per term; NULL while the unit is not mirrored.';
COMMENT ON COLUMN attendance_percentages.percentage IS 'attended / expected × 100, two decimals: the official figure. Not capped: a student who attends more lectures than expected shows over 100.';
COMMENT ON COLUMN attendance_percentages.held IS 'Sessions of the unit and term held so far (dated today or earlier in the database server''s zone, or already attended).';
COMMENT ON COLUMN attendance_percentages.attended_of_held IS 'attended / held × 100, two decimals: attendance so far.';

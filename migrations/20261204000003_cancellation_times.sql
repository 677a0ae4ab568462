-- When a session was last cancelled and restored (Firestore server time, as marks are), so
-- the percentage a student was shown counts a lecture cancelled *after* the mark, as the
-- student saw it then, instead of judging every past record by today's cancellations.
ALTER TABLE sessions ADD COLUMN cancelled_at timestamptz, ADD COLUMN restored_at timestamptz;
COMMENT ON COLUMN sessions.cancelled_at IS 'When the session was last cancelled; NULL if never (or, for a cancelled session, before these times were kept).';
COMMENT ON COLUMN sessions.restored_at IS 'When the session was last restored after a cancellation; NULL if never.';
-- Every session row is written again with its times on the next pass.
DELETE FROM mirror_state WHERE collection = 'sessions';

-- Whether session s was cancelled at instant t: cancelled now and since before t (a session
-- cancelled before its time was kept counts as cancelled all along, as before), or cancelled
-- at or before t and restored only after it.
CREATE FUNCTION cancelled_at_instant(cancelled boolean, cancelled_at timestamptz, restored_at timestamptz, t timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN cancelled THEN coalesce(cancelled_at <= t, true)
        ELSE coalesce(cancelled_at <= t AND restored_at > t, false)
    END
$$;
COMMENT ON FUNCTION cancelled_at_instant(boolean, timestamptz, timestamptz, timestamptz) IS 'Whether a session with these flags and times was cancelled at the instant t (one cancel-restore cycle is known).';

CREATE OR REPLACE VIEW portal_records AS
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
                                        AND (hs.deleted_at <= a.marked_at
                                             OR cancelled_at_instant(hs.cancelled, hs.cancelled_at, hs.restored_at, a.marked_at)))
                        AND counts_as_attended(mark_status_at(h.id, h.status, h.deleted_at, a.marked_at)))
             / nullif(coalesce(a.expected_lessons, u.expected_lessons), 0), 2) AS shown_percentage
FROM attendance a
LEFT JOIN sessions s ON s.id = a.session_id
LEFT JOIN units u ON u.code = a.unit_code;
COMMENT ON COLUMN portal_records.shown_percentage IS 'The percentage the student was shown when marking, two decimals: the marks that counted as attended at that instant (by their history), marks of sessions cancelled or deleted at that instant left out.';

-- Since the hardening release a student's name is the first one recorded, no longer the latest.
COMMENT ON COLUMN students.name IS 'Name first recorded for this admission number (later marks keep their own typed name; a lecturer can correct this one).';

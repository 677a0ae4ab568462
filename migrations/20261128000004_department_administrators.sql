-- Department administrators: the role on the lecturer's row, and the audit log of everything
-- administrators do.

ALTER TABLE lecturers ADD COLUMN admin boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN lecturers.admin IS 'A department administrator: manages lecturer accounts and units on /admin/.';
-- Read every lecturer again so the new column is filled from Firestore.
DELETE FROM mirror_state WHERE collection = 'lecturers';

CREATE TABLE admin_audit (
    id          text PRIMARY KEY,
    action      text NOT NULL,
    actor       text NOT NULL,
    target      text NOT NULL,
    detail      text NOT NULL,
    at          timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    mirrored_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_at ON admin_audit (at);
CREATE INDEX admin_audit_target ON admin_audit (target);
COMMENT ON TABLE admin_audit IS 'Every change a department administrator made (Firestore admin_audit/{random id}), never modified.';
COMMENT ON COLUMN admin_audit.id IS 'The Firestore document id (random).';
COMMENT ON COLUMN admin_audit.action IS 'lecturer_created, lecturer_edited, lecturer_disabled, lecturer_enabled, admin_granted, admin_revoked, password_set, temporary_password_set, reset_link_issued, reset_link_used, unit_reassigned, unit_archived or unit_restored.';
COMMENT ON COLUMN admin_audit.actor IS 'The administrator''s username (lecturers.username), (command line) for attendance lecturer …, or the lecturer who used a reset link.';
COMMENT ON COLUMN admin_audit.target IS 'The account (lecturers.username) or unit (units.code) changed.';
COMMENT ON COLUMN admin_audit.detail IS 'What changed, for people: the fields edited, a handover''s from and to.';
COMMENT ON COLUMN admin_audit.at IS 'When, by Firestore''s clock.';
COMMENT ON COLUMN admin_audit.updated_at IS 'Equal to at (entries never change); the mirror''s watermark follows it.';
COMMENT ON COLUMN admin_audit.mirrored_at IS 'When the reconciler last wrote the row.';

-- The Portal's Idempotency-Key of a record, written in one place for every query that queues one.
CREATE FUNCTION delivery_key(attendance_id text, version integer) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT attendance_id || ':' || version $$;
COMMENT ON FUNCTION delivery_key(text, integer) IS 'The Idempotency-Key of the Portal record of version `version` of mark `attendance_id`: <attendance id>:<version> (portal_deliveries.idempotency_key).';

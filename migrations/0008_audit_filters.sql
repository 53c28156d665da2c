-- vssd schema, version 13: the security audit's filters (issue 12). Each entry names the object it touched
-- (`object_type`, e.g. `users`, `slots`, `archonts/centers`, and `object_id`, the path's id) beside the older
-- free-text `resource`; the filters the console and `GET /api/security/audit` use — actor, outcome, object, each
-- with a time range — have their indexes (action, user_id and time had theirs since version 1). Applied once, in
-- one transaction; never edit after release.
ALTER TABLE security_audit_log ADD COLUMN object_type text, ADD COLUMN object_id text;
CREATE INDEX security_audit_log_username_idx ON security_audit_log (username, at DESC);
CREATE INDEX security_audit_log_outcome_idx ON security_audit_log (outcome, at DESC);
CREATE INDEX security_audit_log_object_idx ON security_audit_log (object_type, object_id, at DESC);

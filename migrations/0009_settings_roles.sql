-- vssd schema, version 10: system settings and editable builtin roles (issue 12).
-- `roles.customized`: an admin changed this builtin role's permissions; the start-up sync of the shipped
-- rights (vssd.api.rbac.BUILTIN_ROLES) leaves such a role alone until it is reset to the shipped default.
-- `system_settings` (0001) holds one row per SystemSettings section (the Smart Call Center API); the AMI
-- password inside `asterisk_config` is stored only as a Fernet token (`password_encrypted`).
-- Applied once, in one transaction; never edit after release.
ALTER TABLE roles ADD COLUMN customized boolean NOT NULL DEFAULT false;
ALTER TABLE system_settings ADD CONSTRAINT system_settings_value_object CHECK (jsonb_typeof(value) = 'object');

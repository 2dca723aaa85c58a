CREATE TABLE instance_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

ALTER TABLE audit_heads ADD COLUMN mac TEXT NOT NULL DEFAULT '';

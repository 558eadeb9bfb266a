ALTER TABLE tenants DROP COLUMN created_by_job;
DROP TABLE jobs;
DROP TABLE audit_log;
DROP TABLE api_tokens;
DROP TABLE staff_sessions;
DROP TABLE staff_accounts;

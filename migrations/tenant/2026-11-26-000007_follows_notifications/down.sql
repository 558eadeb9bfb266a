ALTER TABLE users DROP COLUMN last_digest_at;
ALTER TABLE users DROP COLUMN notifications_digest;
DROP TABLE notifications;
DROP TABLE follows;

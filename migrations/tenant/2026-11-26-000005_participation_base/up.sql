-- Blocking a participant (by the tenant's admins): a blocked account keeps signing
-- in and reading, but every participation action is refused with the reason.
ALTER TABLE users ADD COLUMN blocked_at timestamptz;
ALTER TABLE users ADD COLUMN blocked_reason text CHECK (blocked_reason IS NULL OR length(blocked_reason) <= 500);

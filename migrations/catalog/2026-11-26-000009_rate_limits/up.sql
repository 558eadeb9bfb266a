-- Rate-limit counters shared by every civitas process (fixed windows). Unlogged:
-- fast, and losing them in a crash only forgets recent attempts.
CREATE UNLOGGED TABLE rate_limits (
    key text PRIMARY KEY CHECK (length(key) <= 400),
    hits integer NOT NULL,
    window_start timestamptz NOT NULL,
    window_seconds integer NOT NULL CHECK (window_seconds > 0)
);

-- Staff of the hosting company, their sessions and API tokens, the audit log of
-- everything they do, and the provisioning job queue.

CREATE TABLE staff_accounts (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'),
    -- argon2id PHC string; NULL until the person completes the setup link.
    password_hash text,
    -- TOTP secret, encrypted with the platform's master key; NULL until enrolled.
    totp_secret_enc text,
    totp_last_step bigint,
    setup_token_hash text UNIQUE,
    setup_expires_at timestamptz,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz
);

CREATE TABLE staff_sessions (
    -- SHA-256 of the session cookie's random value; the value itself is never stored.
    token_hash text PRIMARY KEY,
    staff_id uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    second_factor_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    staff_id uuid NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash text NOT NULL UNIQUE,
    scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['read', 'write']),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);

CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    -- "staff:<email>", "token:<name>", "cli:<user>" or "system".
    actor text NOT NULL,
    action text NOT NULL,
    target text,
    before jsonb,
    after jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_target ON audit_log (target, at DESC);

CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind ~ '^[a-z_]+$'),
    tenant_slug text,
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    -- Steps already done, in order; a resumed job skips them.
    steps_done text[] NOT NULL DEFAULT '{}',
    current_step text,
    progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    result jsonb,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    locked_by text,
    locked_until timestamptz,
    run_after timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_after, created_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_tenant ON jobs (tenant_slug, created_at DESC);

-- Which job created a tenant, so a resumed create recognises its own work.
ALTER TABLE tenants ADD COLUMN created_by_job uuid;

-- What each tenant used when last measured (accounts, stored files, last sign-in),
-- so the staff overview reads one table instead of every tenant schema.
CREATE TABLE tenant_usage (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    users bigint NOT NULL,
    storage_bytes bigint NOT NULL,
    last_sign_in_at timestamptz,
    measured_at timestamptz NOT NULL DEFAULT now()
);

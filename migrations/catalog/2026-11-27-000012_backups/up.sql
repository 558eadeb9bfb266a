-- Backups: one row per per-tenant dump (tenant_id set) or catalog dump (tenant_id
-- NULL), written by `civitas backup`. The files live in the blob store; this row
-- says whether they are complete (status) and pins the manifest's checksum, so a
-- manifest changed in the store is refused at restore time.
CREATE TABLE backups (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    -- The tenant's slug when it was backed up ('' for the catalog).
    slug text NOT NULL,
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    manifest_key text CHECK (length(manifest_key) BETWEEN 1 AND 300),
    manifest_sha256 text CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes bigint CHECK (size_bytes >= 0),
    error text,
    CONSTRAINT backups_succeeded_complete CHECK (
        status <> 'succeeded'
        OR (finished_at IS NOT NULL AND manifest_key IS NOT NULL AND manifest_sha256 IS NOT NULL AND size_bytes IS NOT NULL)
    )
);
CREATE INDEX backups_tenant_started ON backups (tenant_id, started_at DESC);

-- The nil uuid names the platform's own blob space (the catalog's backups): no
-- tenant may ever have it, so no tenant route can serve those files.
ALTER TABLE tenants ADD CONSTRAINT tenants_id_not_platform CHECK (id <> '00000000-0000-0000-0000-000000000000');

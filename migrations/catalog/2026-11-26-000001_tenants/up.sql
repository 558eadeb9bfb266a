-- The tenant directory: who the tenants are, the host names they answer on and the
-- modules they have switched on. Runs with search_path = catalog.
CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z][a-z0-9_]{1,39}$'),
    schema_name text NOT NULL UNIQUE CHECK (schema_name = 't_' || slug),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(description) = 'object'),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('provisioning', 'active', 'suspended')),
    theme text NOT NULL DEFAULT 'default' CHECK (theme ~ '^[a-z][a-z0-9_-]{0,39}$'),
    primary_color text NOT NULL DEFAULT '#000091' CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
    locales text[] NOT NULL CHECK (cardinality(locales) >= 1),
    default_locale text NOT NULL CHECK (default_locale = ANY (locales)),
    logo_key text,
    revision bigint NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant_hosts (
    host text PRIMARY KEY CHECK (host = lower(host) AND length(host) <= 253),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    is_primary boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_hosts_tenant_id ON tenant_hosts (tenant_id);
CREATE UNIQUE INDEX tenant_hosts_one_primary ON tenant_hosts (tenant_id) WHERE is_primary;

CREATE TABLE tenant_modules (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    module text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]*$'),
    enabled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, module)
);

-- Every change to the directory tells the serving processes to reload it. NOTIFY is
-- delivered at commit, so a rolled-back change notifies no one.
CREATE FUNCTION notify_directory() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('civitas_directory', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_notify AFTER INSERT OR UPDATE OR DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_directory();
CREATE TRIGGER tenant_hosts_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_hosts
    FOR EACH STATEMENT EXECUTE FUNCTION notify_directory();
CREATE TRIGGER tenant_modules_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_modules
    FOR EACH STATEMENT EXECUTE FUNCTION notify_directory();

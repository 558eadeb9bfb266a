-- Each tenant's sign-in providers: FranceConnect or any OpenID Connect provider.
-- The client secret is sealed with the platform's master key (never stored in clear).
CREATE TABLE tenant_identity_providers (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_-]{1,39}$'),
    kind text NOT NULL CHECK (kind IN ('franceconnect', 'oidc')),
    label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    issuer text NOT NULL CHECK (issuer ~ '^https?://'),
    client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 500),
    client_secret_enc text NOT NULL,
    scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1),
    acr_values text,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);

CREATE TRIGGER tenant_identity_providers_notify AFTER INSERT OR UPDATE OR DELETE ON tenant_identity_providers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_directory();

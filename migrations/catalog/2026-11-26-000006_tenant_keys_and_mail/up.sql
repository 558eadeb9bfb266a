-- A random key per tenant for keyed hashes (identity subjects, anonymous proofs,
-- resident lists), sealed with the platform's master key. Rotating the master key
-- reseals it; the key itself never changes, so hashes stay comparable.
CREATE TABLE tenant_keys (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    hash_key_enc text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A tenant's own outgoing mail server; without a row, the platform default is used.
CREATE TABLE tenant_mail_settings (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    from_address text NOT NULL CHECK (from_address ~ '^[^@\s]+@[^@\s]+$'),
    from_name text NOT NULL DEFAULT '' CHECK (length(from_name) <= 100),
    smtp_host text NOT NULL CHECK (length(smtp_host) BETWEEN 1 AND 253),
    smtp_port integer NOT NULL CHECK (smtp_port BETWEEN 1 AND 65535),
    smtp_tls text NOT NULL CHECK (smtp_tls IN ('none', 'starttls', 'tls')),
    smtp_username text NOT NULL DEFAULT '',
    smtp_password_enc text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

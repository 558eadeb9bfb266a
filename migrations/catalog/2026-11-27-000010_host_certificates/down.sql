ALTER TABLE tenant_hosts DROP CONSTRAINT tenant_hosts_cert_and_key, DROP COLUMN cert_path, DROP COLUMN key_path;

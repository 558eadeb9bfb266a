-- TLS served by civitas itself: a certificate chain and its private key per tenant
-- host, as PEM files on the serving machines (paths, never the key material: the
-- files stay under the operator's control and can be renewed in place). Both or
-- neither. A change notifies the serving processes like any directory change.
ALTER TABLE tenant_hosts
    ADD COLUMN cert_path text CHECK (length(cert_path) BETWEEN 1 AND 4096),
    ADD COLUMN key_path text CHECK (length(key_path) BETWEEN 1 AND 4096),
    ADD CONSTRAINT tenant_hosts_cert_and_key CHECK ((cert_path IS NULL) = (key_path IS NULL));

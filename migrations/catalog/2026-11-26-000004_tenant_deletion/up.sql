-- Deletion with a retention period: a tenant being deleted is taken offline and
-- purged (schema, catalog rows, files) once `purge_after` has passed.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('provisioning', 'active', 'suspended', 'deleting'));
ALTER TABLE tenants ADD COLUMN purge_after timestamptz;

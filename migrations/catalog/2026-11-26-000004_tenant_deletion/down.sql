UPDATE tenants SET status = 'suspended' WHERE status = 'deleting';
ALTER TABLE tenants DROP COLUMN purge_after;
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
    CHECK (status IN ('provisioning', 'active', 'suspended'));

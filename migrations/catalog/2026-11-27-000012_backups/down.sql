ALTER TABLE tenants DROP CONSTRAINT tenants_id_not_platform;
DROP TABLE backups;

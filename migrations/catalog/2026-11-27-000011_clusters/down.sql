DROP TRIGGER clusters_notify ON clusters;
DROP INDEX tenants_cluster;
ALTER TABLE tenants DROP COLUMN moving_to, DROP COLUMN read_only, DROP COLUMN cluster;
DROP TABLE clusters;

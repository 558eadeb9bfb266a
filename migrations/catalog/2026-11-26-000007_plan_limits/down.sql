ALTER TABLE tenants DROP COLUMN max_storage_bytes, DROP COLUMN max_users;

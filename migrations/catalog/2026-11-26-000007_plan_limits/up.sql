-- A tenant's plan: how many accounts and how much stored file space it may use
-- (NULL: no limit).
ALTER TABLE tenants
    ADD COLUMN max_users integer CHECK (max_users IS NULL OR max_users > 0),
    ADD COLUMN max_storage_bytes bigint CHECK (max_storage_bytes IS NULL OR max_storage_bytes > 0);

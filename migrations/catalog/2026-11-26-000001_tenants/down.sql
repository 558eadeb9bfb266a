DROP TRIGGER tenant_modules_notify ON tenant_modules;
DROP TRIGGER tenant_hosts_notify ON tenant_hosts;
DROP TRIGGER tenants_notify ON tenants;
DROP FUNCTION notify_directory();
DROP TABLE tenant_modules;
DROP TABLE tenant_hosts;
DROP TABLE tenants;

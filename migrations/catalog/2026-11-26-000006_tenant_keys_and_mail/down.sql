DROP TABLE tenant_mail_settings;
DROP TABLE tenant_keys;

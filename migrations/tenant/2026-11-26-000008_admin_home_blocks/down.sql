DROP TABLE admin_log;
DROP TABLE home_blocks;

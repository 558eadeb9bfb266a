DROP TABLE resident_list;
DROP TABLE anonymous_proofs;
DROP TABLE verifications;
DROP TABLE user_identities;
DROP TABLE email_tokens;
DROP TABLE user_sessions;
DROP TABLE users;

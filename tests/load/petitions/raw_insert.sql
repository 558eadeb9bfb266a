-- pgbench: the raw PostgreSQL limit for a unique insert, one per transaction: a new
-- 64-hex-digit signer into the signatures table (its primary key enforces one per
-- person and petition), one statement per transaction, nothing else.
\set p random(1, :petitions)
\set a random(1, 9223372036854775806)
\set b :a + 1
INSERT INTO petition_signatures (petition_id, signer, signed_on) VALUES (:p, md5(:a::text) || md5(:b::text), current_date) ON CONFLICT DO NOTHING;

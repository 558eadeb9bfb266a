-- pgbench: what the signature request does in PostgreSQL, without the server: read
-- the petition's gate and the signer's earlier signature, then the signature and its
-- sharded daily count in one statement, in one transaction.
\set p random(1, :petitions)
\set a random(1, 9223372036854775806)
\set b :a + 1
\set shard random(0, 15)
BEGIN;
SELECT p.state, p.published_at, p.signatures_end_at, p.threshold, p.hidden_at IS NOT NULL, t.show_signers,
       (SELECT s.signed_on FROM petition_signatures s WHERE s.petition_id = p.id AND s.signer = md5(:a::text) || md5(:b::text))
  FROM petitions p JOIN petition_types t ON t.id = p.type_id WHERE p.id = :p;
WITH s AS (
    INSERT INTO petition_signatures (petition_id, signer, signed_on, nickname)
    VALUES (:p, md5(:a::text) || md5(:b::text), current_date, NULL) ON CONFLICT DO NOTHING RETURNING signed_on
), c AS (
    INSERT INTO petition_signature_counts (petition_id, day, shard, n)
    SELECT :p, signed_on, :shard, 1 FROM s
    ON CONFLICT (petition_id, day, shard) DO UPDATE SET n = petition_signature_counts.n + 1
    RETURNING 1
)
SELECT (SELECT signed_on FROM s), (SELECT coalesce(sum(n), 0) FROM petition_signature_counts WHERE petition_id = :p)::int8;
COMMIT;

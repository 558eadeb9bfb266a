-- pgbench: the statement the signature request sends (one, outside a transaction,
-- schema-qualified): the petition's gate, the signature, its sharded daily count and
-- what the answer shows. The server's own cost is what is left.
\set p random(1, :petitions)
\set a random(1, 9223372036854775806)
\set b :a + 1
\set shard random(0, 15)
WITH p AS (
    SELECT p.id, p.title, p.state, p.author_id, p.threshold, t.title AS type_title,
           t.sign_requires = 'franceconnect_anonymous' AS anonymous, p.hidden_at IS NOT NULL AS hidden,
           (p.state IN ('open', 'examination') AND p.hidden_at IS NULL AND p.published_at <= now()
            AND now() < p.signatures_end_at) AS open
    FROM t_sign0.petitions p JOIN t_sign0.petition_types t ON t.id = p.type_id WHERE p.id = :p
), s AS (
    INSERT INTO t_sign0.petition_signatures (petition_id, signer, signed_on)
    SELECT p.id, md5(:a::text) || md5(:b::text), current_date FROM p WHERE p.open AND p.anonymous
    ON CONFLICT DO NOTHING RETURNING signed_on
), c AS (
    INSERT INTO t_sign0.petition_signature_counts (petition_id, day, shard, n)
    SELECT :p, signed_on, :shard, 1 FROM s
    ON CONFLICT (petition_id, day, shard) DO UPDATE SET n = t_sign0.petition_signature_counts.n + 1
)
SELECT p.id, p.title, p.state, p.author_id, p.threshold, p.type_title, p.anonymous, p.open, p.hidden,
       (SELECT signed_on FROM s) AS new_on,
       (SELECT e.signed_on FROM t_sign0.petition_signatures e WHERE e.petition_id = :p AND e.signer = md5(:a::text) || md5(:b::text)) AS earlier_on,
       (SELECT coalesce(sum(n), 0) FROM t_sign0.petition_signature_counts WHERE petition_id = :p)::int8 AS before
FROM p;

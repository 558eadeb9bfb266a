-- Generated participation data for one tenant schema, written straight in SQL
-- (generate_series), for the participation benchmark (tests/load/participation/run.sh).
--
-- psql variables (all required):
--   schema     the tenant schema, t_<slug>
--   users      accounts to create
--   proposals  proposals to create in one proposals component
--   supports   supports to spread over them (unique (proposal, user) pairs)
--   comments   comments to spread over them, in threads up to depth 3
--   seed       a number in [-1, 1] for setseed (same seed, same data)
--
-- What it writes, consistent with what the application would have written:
--   a published process with three phases (the second one active), ten categories,
--   a published proposals component (settings as tenant_core::proposals::Settings
--   reads them; the active phase allows creation, supports and amendments);
--   confirmed accounts; proposals with French titles and bodies built from word lists
--   (search_config 'french', body_text the plain text of body, supports_count and
--   comments_count equal to their rows), version 1 of each in proposal_versions; a few
--   withdrawn, some answered; supports with a long tail (few proposals get many);
--   comments with the same long tail, a quarter of them replies down to depth 3
--   (ancestors, depth, reply_count = all replies below), votes in comment_votes with
--   up_votes/down_votes matching them. Then ANALYZE.
\set ON_ERROR_STOP 1
SET search_path TO :"schema";
SET client_min_messages TO warning;
-- Temp tables have no statistics: their huge row estimates would make PostgreSQL JIT-compile
-- small statements (0.3 s each).
SET jit TO off;
SELECT setseed(:seed);
BEGIN;

CREATE FUNCTION pg_temp.pick(a text[]) RETURNS text LANGUAGE sql VOLATILE
    AS $$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;

CREATE TEMP TABLE w ON COMMIT DROP AS SELECT
  ARRAY['Créer', 'Installer', 'Rénover', 'Aménager', 'Végétaliser', 'Sécuriser', 'Agrandir', 'Ouvrir',
        'Développer', 'Réhabiliter', 'Multiplier', 'Éclairer', 'Protéger', 'Moderniser', 'Entretenir',
        'Déplacer', 'Financer', 'Mettre en place', 'Repenser', 'Embellir'] AS verbs,
  ARRAY['une piste cyclable', 'des bancs publics', 'un jardin partagé', 'une aire de jeux',
        'des toilettes publiques', 'un composteur collectif', 'des arbres fruitiers', 'une boîte à livres',
        'un terrain de basket', 'des fontaines à eau', 'un parking à vélos', 'une maison des associations',
        'des panneaux solaires', 'un marché de producteurs', 'une halle couverte', 'des ruches',
        'un skatepark', 'une ludothèque', 'des nichoirs', 'une navette électrique', 'un potager scolaire',
        'des passages piétons surélevés', 'une zone de rencontre', 'un verger municipal', 'des abris de bus',
        'une salle de sport en plein air', 'un café associatif', 'des bornes de recharge',
        'une prairie fleurie', 'un atelier de réparation de vélos'] AS objects,
  ARRAY['près de l''école Jules-Ferry', 'dans le parc de la Tête d''Or', 'rue de la République',
        'place Bellecour', 'dans le quartier de la Croix-Rousse', 'le long des quais', 'devant la médiathèque',
        'autour de la gare', 'dans le centre-ville', 'au bord du canal', 'près du collège Jean-Moulin',
        'dans la zone d''activités', 'à côté du marché couvert', 'autour du stade municipal',
        'dans le quartier Saint-Jean', 'sur le boulevard des Belges', 'près de la piscine',
        'à l''entrée du cimetière', 'dans la cité des Étoiles', 'sur la colline de Fourvière'] AS places,
  ARRAY['Les habitants du quartier le demandent depuis des années.',
        'Les familles manquent d''espaces de détente à proximité.',
        'La circulation y est dangereuse aux heures de pointe.',
        'Les enfants n''ont aucun lieu pour jouer en sécurité.',
        'Les commerçants constatent une baisse de fréquentation.',
        'Les personnes âgées ne trouvent pas où s''asseoir.',
        'La chaleur devient insupportable chaque été.',
        'Les cyclistes partagent la chaussée avec les camions.',
        'Le lieu est laissé à l''abandon depuis la fermeture de l''usine.',
        'Les associations cherchent une salle pour se réunir.',
        'Les déchets verts partent aujourd''hui à l''incinération.',
        'Les jeunes se plaignent du manque d''activités le soir.',
        'Le bruit des voitures gêne les riverains.',
        'Les parents attendent devant l''école sous la pluie.',
        'Le quartier compte de nombreux étudiants sans jardin.'] AS reasons,
  ARRAY['Cela réduirait la pollution et le bruit.',
        'Ce serait un lieu de rencontre entre générations.',
        'Les enfants pourraient s''y rendre à pied en toute sécurité.',
        'Le projet favoriserait la biodiversité en ville.',
        'Les riverains gagneraient en qualité de vie.',
        'Le coût resterait modeste au regard du budget participatif.',
        'La fraîcheur des arbres rendrait l''été plus supportable.',
        'Les commerces de proximité en profiteraient.',
        'Les déplacements à vélo deviendraient plus sûrs.',
        'Les associations du quartier pourraient l''animer.',
        'L''eau de pluie serait récupérée pour l''arrosage.',
        'Le lieu serait accessible aux personnes à mobilité réduite.'] AS benefits,
  ARRAY['Une consultation des riverains pourrait précéder les travaux.',
        'L''entretien serait confié à une association locale.',
        'Un premier essai pourrait durer six mois.',
        'Les matériaux seraient issus du réemploi.',
        'Les écoles voisines participeraient à la conception.',
        'Un budget de quarante mille euros semble suffisant.',
        'Les services techniques ont déjà étudié un projet semblable.',
        'Un panneau expliquerait le projet aux passants.',
        'Les travaux pourraient se faire pendant les vacances scolaires.',
        'La mairie de quartier pourrait coordonner les bénévoles.'] AS details,
  ARRAY['Tout à fait d''accord, c''est une excellente idée.',
        'Je ne suis pas convaincu par le coût annoncé.',
        'Il faudrait penser à l''entretien sur le long terme.',
        'Bravo pour cette proposition, je la soutiens.',
        'Attention au stationnement des riverains.',
        'Pourquoi ne pas l''étendre à tout le quartier ?',
        'Nous avons fait la même chose dans ma ville, avec succès.',
        'Les enfants de l''école seraient ravis.',
        'Est-ce compatible avec le plan local d''urbanisme ?',
        'Je propose d''associer le conseil de quartier.',
        'Le bruit risque de gêner les voisins le soir.',
        'Une idée simple et peu coûteuse, enfin !',
        'Il existe déjà un projet semblable deux rues plus loin.',
        'Et pour les personnes à mobilité réduite ?',
        'Merci pour cette réponse détaillée.',
        'Je ne partage pas cet avis, les arbres suffiraient.'] AS remarks,
  ARRAY['Camille', 'Dominique', 'Claude', 'Sacha', 'Alix', 'Morgane', 'Yanis', 'Inès', 'Lucas', 'Léa',
        'Mathis', 'Chloé', 'Hugo', 'Manon', 'Nathan', 'Jade', 'Karim', 'Fatou', 'Pierre', 'Nour'] AS names;

-- The space, its phases (the second one active), categories, the component.
INSERT INTO spaces (kind, slug, title, subtitle, description, published_at, start_date, end_date)
VALUES ('process', 'budget-participatif',
        '{"fr": "Budget participatif 2027", "en": "Participatory budget 2027"}',
        '{"fr": "Vos idées pour la ville", "en": "Your ideas for the city"}',
        '{"fr": "<p>Proposez, soutenez et discutez les projets du budget participatif.</p>", "en": "<p>Propose, support and discuss projects.</p>"}',
        now() - interval '90 days', current_date - 90, current_date + 90)
RETURNING id AS space_id \gset
INSERT INTO space_phases (space_id, position, title, start_date, end_date, active)
VALUES (:space_id, 0, '{"fr": "Information", "en": "Information"}', current_date - 90, current_date - 61, false),
       (:space_id, 2, '{"fr": "Analyse", "en": "Review"}', current_date + 31, current_date + 90, false);
INSERT INTO space_phases (space_id, position, title, start_date, end_date, active)
VALUES (:space_id, 1, '{"fr": "Propositions", "en": "Proposals"}', current_date - 60, current_date + 30, true)
RETURNING id AS phase_id \gset
INSERT INTO space_categories (space_id, name, position)
SELECT :space_id, jsonb_build_object('fr', fr, 'en', en), pos
FROM (VALUES (0, 'Mobilité', 'Mobility'), (1, 'Environnement', 'Environment'), (2, 'Jeunesse', 'Youth'),
             (3, 'Solidarité', 'Solidarity'), (4, 'Culture', 'Culture'), (5, 'Sport', 'Sport'),
             (6, 'Éducation', 'Education'), (7, 'Espaces publics', 'Public spaces'),
             (8, 'Économie locale', 'Local economy'), (9, 'Santé', 'Health')) AS c (pos, fr, en);
INSERT INTO components (space_id, module, name, position, settings, phase_settings, published_at)
VALUES (:space_id, 'proposals', '{"fr": "Propositions", "en": "Proposals"}', 0,
        '{"supports_per_person": 0, "support_threshold": 300, "counts_visible_from": 0,
          "edit_window_minutes": 15, "proposals_per_person": 0, "body_max_chars": 3000,
          "attachments_allowed": true, "amendments_enabled": true, "comments_enabled": true,
          "default_order": "random",
          "create_requires": {"needs": "account"}, "support_requires": {"needs": "account"},
          "comment_requires": {"needs": "account"}, "amend_requires": {"needs": "account"}}',
        jsonb_build_object(:'phase_id'::text, jsonb_build_object(
          'creation_enabled', true, 'supports_enabled', true, 'supports_blocked', false,
          'amendments_enabled', true, 'comments_blocked', false)),
        now() - interval '60 days')
RETURNING id AS component_id \gset

-- Accounts (confirmed, no password: nobody signs in to them).
INSERT INTO users (nickname, email, email_confirmed_at, locale, terms_accepted_at, created_at, updated_at)
SELECT pg_temp.pick(w.names) || '_' || i, 'habitant' || i || '@bench.test', t, 'fr', t, t, t
FROM w, (SELECT i, now() - random() * interval '200 days' AS t FROM generate_series(1, :users) AS i) AS g;
-- One statement: the new ids are consecutive.
CREATE TEMP TABLE params ON COMMIT DROP AS
SELECT min(id) AS first_user, count(*) AS user_count FROM users WHERE email LIKE '%@bench.test';
SELECT first_user, user_count FROM params \gset

-- Proposals. Texts: sentence parts picked at random, so words vary from one to the next.
CREATE TEMP TABLE gen_proposals ON COMMIT DROP AS
SELECT i, pg_temp.pick(w.verbs) || ' ' || pg_temp.pick(w.objects) || ' ' || pg_temp.pick(w.places) AS title,
       pg_temp.pick(w.reasons) AS s1, pg_temp.pick(w.benefits) AS s2, pg_temp.pick(w.details) AS s3,
       pg_temp.pick(w.benefits) AS s4,
       random() AS r_author, random() AS r_cat, random() AS r_state, random() AS r_answer,
       now() - interval '1 hour' - random() * interval '55 days' AS published_at
FROM w, generate_series(1, :proposals) AS i;
INSERT INTO proposals (component_id, author_id, title, body, body_text, category_id, address, state,
                       answer_state, answer, answered_at, version, search_config, published_at, updated_at,
                       withdrawn_at)
SELECT :component_id,
       CASE WHEN g.r_author < 0.02 THEN NULL ELSE :first_user + floor(g.r_author * :user_count)::bigint END,
       g.title,
       '<p>' || g.s1 || ' ' || g.s2 || '</p><p>' || g.s3 || ' ' || g.s4 || '</p>',
       g.s1 || ' ' || g.s2 || E'\n' || g.s3 || ' ' || g.s4,
       CASE WHEN g.r_cat < 0.05 THEN NULL ELSE (SELECT id FROM space_categories
         WHERE space_id = :space_id ORDER BY position OFFSET floor(g.r_cat * 10)::int LIMIT 1) END,
       CASE WHEN g.r_cat < 0.3 THEN (10 + floor(g.r_answer * 150)::int) || ' rue de la République' END,
       CASE WHEN g.r_state < 0.03 THEN 'withdrawn' ELSE 'published' END,
       CASE WHEN g.r_state >= 0.03 AND g.r_answer < 0.05 THEN 'accepted'
            WHEN g.r_state >= 0.03 AND g.r_answer < 0.10 THEN 'rejected'
            WHEN g.r_state >= 0.03 AND g.r_answer < 0.20 THEN 'evaluating' END,
       CASE WHEN g.r_state >= 0.03 AND g.r_answer < 0.10
            THEN '<p>Merci pour cette proposition. Les services l''ont étudiée en détail.</p>' END,
       CASE WHEN g.r_state >= 0.03 AND g.r_answer < 0.10 THEN g.published_at + interval '1 day' END,
       1, 'french', g.published_at, g.published_at,
       CASE WHEN g.r_state < 0.03 THEN g.published_at + interval '2 hours' END
FROM gen_proposals g ORDER BY g.i;
INSERT INTO proposal_versions (proposal_id, version, title, body, author_id, cause, created_at)
SELECT id, 1, title, body, author_id, 'created', published_at FROM proposals WHERE component_id = :component_id;

-- A long tail: each proposal gets a weight 1/rank^a (rank: a random permutation), and
-- `total` rows are shared in proportion, the rounding remainder going to the heaviest.
CREATE TEMP TABLE ranked ON COMMIT DROP AS
SELECT id, published_at, row_number() OVER (ORDER BY random()) AS rank
FROM proposals WHERE component_id = :component_id;
CREATE TEMP TABLE share ON COMMIT DROP AS
WITH sw AS (SELECT id, published_at, rank, 1.0 / power(rank, 0.6) AS ws, 1.0 / power(rank, 0.5) AS wc FROM ranked),
     tot AS (SELECT sum(ws) AS ws, sum(wc) AS wc FROM sw),
     base AS (SELECT sw.id, sw.published_at, sw.rank,
                     least(floor(:supports * sw.ws / tot.ws), :user_count)::int AS ns,
                     floor(:comments * sw.wc / tot.wc)::int AS nc
              FROM sw, tot),
     missing AS (SELECT :supports - sum(ns) AS ms, :comments - sum(nc) AS mc FROM base)
SELECT b.id, b.published_at,
       b.ns + CASE WHEN b.rank <= missing.ms THEN 1 ELSE 0 END AS ns,
       b.nc + CASE WHEN b.rank <= missing.mc THEN 1 ELSE 0 END AS nc
FROM base b, missing;

-- Supports: for proposal p, users first_user + ((p * 7919 + j) mod user_count), j < ns:
-- distinct within a proposal since ns <= user_count.
INSERT INTO proposal_supports (proposal_id, user_id, component_id, created_at)
SELECT s.id, :first_user + ((s.id * 7919 + j) % :user_count), :component_id,
       s.published_at + random() * (now() - s.published_at)
FROM share s, generate_series(0, s.ns - 1) AS j
WHERE s.ns > 0;
UPDATE proposals p SET supports_count = s.ns FROM share s WHERE s.id = p.id;

-- Comments. Per proposal: a quarter at depth 1, 15 % at depth 2, 10 % at depth 3 (a
-- level only when the one above has comments), the rest on the proposal itself.
CREATE TEMP TABLE levels ON COMMIT DROP AS
WITH l AS (SELECT id, published_at, nc, nc * 25 / 100 AS n1, nc * 15 / 100 AS n2, nc * 10 / 100 AS n3
           FROM share WHERE nc > 0),
     m AS (SELECT id, published_at, nc, n1,
                  CASE WHEN n1 > 0 THEN n2 ELSE 0 END AS n2,
                  CASE WHEN n1 > 0 AND n2 > 0 THEN n3 ELSE 0 END AS n3 FROM l)
SELECT id, published_at, nc - n1 - n2 - n3 AS n0, n1, n2, n3 FROM m;

INSERT INTO comments (resource_kind, resource_id, depth, author_id, body, alignment, created_at)
SELECT 'proposal', l.id, 0, :first_user + floor(random() * :user_count)::bigint,
       '<p>' || pg_temp.pick(w.remarks) || ' ' || pg_temp.pick(w.benefits) || '</p>',
       CASE WHEN random() < 0.4 THEN NULL ELSE (floor(random() * 3) - 1)::smallint END,
       l.published_at + random() * (now() - l.published_at) * 0.5
FROM w, levels l, generate_series(1, l.n0) AS j
ORDER BY 7;

-- Replies, one level at a time: reply j of a proposal's level d answers its
-- (j mod n(d-1))-th comment of level d-1, a little after it.
CREATE FUNCTION pg_temp.replies(d int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO comments (resource_kind, resource_id, parent_id, ancestors, depth, author_id, body, alignment, created_at)
  SELECT 'proposal', p.resource_id, p.id, p.ancestors || p.id, d,
         params.first_user + floor(random() * params.user_count)::bigint,
         '<p>' || pg_temp.pick(w.remarks) || '</p>', NULL,
         p.created_at + random() * (now() - p.created_at) * 0.5
  FROM w, params, levels l,
       generate_series(0, CASE d WHEN 1 THEN l.n1 WHEN 2 THEN l.n2 ELSE l.n3 END - 1) AS j,
       LATERAL (SELECT c.id, c.resource_id, c.ancestors, c.created_at FROM comments c
                WHERE c.resource_kind = 'proposal' AND c.resource_id = l.id AND c.depth = d - 1
                ORDER BY c.id
                OFFSET j % greatest(CASE d WHEN 1 THEN l.n0 WHEN 2 THEN l.n1 ELSE l.n2 END, 1) LIMIT 1) AS p
  ORDER BY 9;
END $$;
SELECT pg_temp.replies(1);
SELECT pg_temp.replies(2);
SELECT pg_temp.replies(3);
UPDATE comments c SET reply_count = r.n
FROM (SELECT a, count(*) AS n FROM comments, unnest(ancestors) AS a GROUP BY a) AS r
WHERE c.id = r.a;
UPDATE proposals p SET comments_count = n
FROM (SELECT resource_id, count(*) AS n FROM comments WHERE resource_kind = 'proposal' GROUP BY 1) AS c
WHERE c.resource_id = p.id;

-- Votes on comments: 0 to 4 per comment, distinct voters, a third of them "disagree".
INSERT INTO comment_votes (comment_id, user_id, value, created_at)
SELECT c.id, :first_user + ((c.id * 104729 + j) % :user_count), CASE WHEN random() < 0.33 THEN -1 ELSE 1 END,
       c.created_at + interval '1 hour'
FROM comments c, generate_series(1, floor(random() * 5)::int) AS j;
UPDATE comments c SET up_votes = v.up, down_votes = v.down
FROM (SELECT comment_id, count(*) FILTER (WHERE value = 1) AS up, count(*) FILTER (WHERE value = -1) AS down
      FROM comment_votes GROUP BY 1) AS v
WHERE v.comment_id = c.id;

COMMIT;
-- This schema's tables only (a bare VACUUM would go through every tenant). VACUUM
-- sets the visibility map as autovacuum would have by now, for index-only scans.
VACUUM ANALYZE spaces, space_phases, space_categories, components, users, proposals, proposal_versions,
        proposal_supports, comments, comment_votes;

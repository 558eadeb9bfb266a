-- Petitions (issue 6): a tenant-wide module, like Decidim's initiatives. Admins define
-- petition types (threshold, period, who may file and sign); citizens file petitions
-- that go through a public, dated workflow; people sign at most once per petition.

-- What a type asks. `title` and `description` are per locale ({"fr": ..., "en": ...}).
-- `sign_requires`: 'franceconnect_anonymous' keeps nothing but a keyed hash of the
-- provider's subject (per tenant and petition); the others sign with an account that
-- holds that verification (`account` needs none).
CREATE TABLE petition_types (
    id bigserial PRIMARY KEY,
    title jsonb NOT NULL,
    description jsonb NOT NULL DEFAULT '{}',
    threshold integer NOT NULL CHECK (threshold BETWEEN 1 AND 100000000),
    period_days integer NOT NULL CHECK (period_days BETWEEN 1 AND 3660),
    file_requires text NOT NULL DEFAULT 'account'
        CHECK (file_requires IN ('account', 'franceconnect', 'oidc', 'resident_list', 'admin')),
    sign_requires text NOT NULL DEFAULT 'franceconnect_anonymous'
        CHECK (sign_requires IN ('franceconnect_anonymous', 'account', 'franceconnect', 'oidc', 'resident_list')),
    show_signers boolean NOT NULL DEFAULT false,
    comments_enabled boolean NOT NULL DEFAULT true,
    active boolean NOT NULL DEFAULT true,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A petition. The threshold and the end of the signature period are fixed when it
-- is published (a later change of its type does not move them).
--   draft → submitted → rejected
--                     → open → examination (threshold reached) → answered | closed
--                            → closed (period over below the threshold, or closed early)
CREATE TABLE petitions (
    id bigserial PRIMARY KEY,
    type_id bigint NOT NULL REFERENCES petition_types (id),
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body text NOT NULL CHECK (length(body) <= 40000),
    body_text text NOT NULL DEFAULT '',
    state text NOT NULL DEFAULT 'draft'
        CHECK (state IN ('draft', 'submitted', 'rejected', 'open', 'examination', 'answered', 'closed')),
    threshold integer CHECK (threshold IS NULL OR threshold > 0),
    submitted_at timestamptz,
    published_at timestamptz,
    signatures_end_at timestamptz,
    threshold_reached_at timestamptz,
    answered_at timestamptz,
    closed_at timestamptz,
    -- The admissibility refusal, or why it was closed.
    reason text CHECK (reason IS NULL OR length(reason) <= 4000),
    -- The institution's response (sanitised HTML).
    answer text CHECK (answer IS NULL OR length(answer) <= 40000),
    comments_count integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    hidden_at timestamptz,
    submission_key uuid UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (state IN ('draft', 'submitted', 'rejected') OR (published_at IS NOT NULL AND signatures_end_at IS NOT NULL AND threshold IS NOT NULL))
);
CREATE INDEX petitions_state ON petitions (state, published_at DESC, id DESC) WHERE hidden_at IS NULL;
CREATE INDEX petitions_author ON petitions (author_id);
-- The sweep that ends signature periods.
CREATE INDEX petitions_open_until ON petitions (signatures_end_at) WHERE state IN ('open', 'examination');

-- The public timeline: each transition, dated and attributed to a role
-- ('author', 'admin' or 'system'), never to a named person.
CREATE TABLE petition_events (
    id bigserial PRIMARY KEY,
    petition_id bigint NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('created', 'submitted', 'rejected', 'published', 'threshold_reached',
                                       'period_over', 'answered', 'closed')),
    role text NOT NULL CHECK (role IN ('author', 'admin', 'system')),
    note text CHECK (note IS NULL OR length(note) <= 4000),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petition_events_petition ON petition_events (petition_id, at, id);

-- One row per signature: a keyed hash that only recognises the same person on the
-- same petition (HMAC under the tenant's key, with the petition in the purpose),
-- the day (not the time: nothing to line up with access logs), and the nickname
-- only when the type shows signers and the signer chose to appear.
--
-- No foreign key on `petition_id`, here or on the counts: a foreign key check locks
-- the petition's row (FOR KEY SHARE) for every signature, which makes that one row
-- the hot spot of a petition signed by thousands at once (multixacts, a WAL record
-- per lock). The signing statement inserts only for a petition it has just read, and
-- a petition that may have signatures is never deleted (only drafts are); a tenant's
-- signatures go with its schema.
CREATE TABLE petition_signatures (
    petition_id bigint NOT NULL,
    signer text NOT NULL CHECK (signer ~ '^[0-9a-f]{64}$'),
    signed_on date NOT NULL DEFAULT current_date,
    nickname text CHECK (nickname IS NULL OR length(nickname) <= 100),
    PRIMARY KEY (petition_id, signer)
);
CREATE INDEX petition_signatures_public ON petition_signatures (petition_id, signed_on) WHERE nickname IS NOT NULL;

-- Signature counts per petition and day, spread over shards so that concurrent
-- signers do not queue on one row; written in the signature's own transaction. The
-- count is the sum; past days are folded into shard 0 by the sweep.
CREATE TABLE petition_signature_counts (
    petition_id bigint NOT NULL,
    day date NOT NULL,
    shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 63),
    n integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (petition_id, day, shard)
);

-- Comments, reports, moderation and follows on petitions.
ALTER TABLE comments DROP CONSTRAINT comments_resource_kind_check;
ALTER TABLE comments ADD CONSTRAINT comments_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post', 'petition'));
ALTER TABLE reports DROP CONSTRAINT reports_resource_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post', 'petition'));
ALTER TABLE moderations DROP CONSTRAINT moderations_resource_kind_check;
ALTER TABLE moderations ADD CONSTRAINT moderations_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post', 'petition'));
ALTER TABLE follows DROP CONSTRAINT follows_resource_kind_check;
ALTER TABLE follows ADD CONSTRAINT follows_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post', 'petition'));
ALTER TABLE notifications DROP CONSTRAINT notifications_resource_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post', 'petition'));
-- Petition events: filed, published, rejected, threshold reached, answered, closed.
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('answer', 'reply', 'comment', 'state_change', 'mention',
                     'amendment', 'phase_change', 'new_proposal', 'follow', 'petition'));

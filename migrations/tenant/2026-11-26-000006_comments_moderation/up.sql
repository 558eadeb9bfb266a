-- Comments on any resource `(resource_kind, resource_id)`: threaded (depth 0 to 3,
-- `ancestors` lists the ids above, the root first), sanitised rich text, an optional
-- alignment (1 for, -1 against, 0 neutral, NULL none stated), agree/disagree counters
-- kept here in the same transaction as `comment_votes`, and `reply_count` = every
-- reply below (all levels), for "most discussed". Deleting clears the body and keeps
-- the row, so replies stay; `hidden_at` mirrors `moderations.hidden_at`.
CREATE TABLE comments (
    id bigserial PRIMARY KEY,
    resource_kind text NOT NULL CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post')),
    resource_id bigint NOT NULL,
    parent_id bigint REFERENCES comments (id) ON DELETE CASCADE,
    ancestors bigint[] NOT NULL DEFAULT '{}',
    depth smallint NOT NULL DEFAULT 0 CHECK (depth BETWEEN 0 AND 3),
    author_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL CHECK (length(body) <= 20000),
    alignment smallint CHECK (alignment IN (-1, 0, 1)),
    up_votes integer NOT NULL DEFAULT 0 CHECK (up_votes >= 0),
    down_votes integer NOT NULL DEFAULT 0 CHECK (down_votes >= 0),
    reply_count integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    edited_at timestamptz,
    deleted_at timestamptz,
    hidden_at timestamptz,
    CHECK ((parent_id IS NULL) = (depth = 0)),
    CHECK (cardinality(ancestors) = depth),
    CHECK (deleted_at IS NULL OR body = '')
);
CREATE INDEX comments_resource ON comments (resource_kind, resource_id, created_at);
CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX comments_author ON comments (author_id);

-- One vote per person and comment: 1 agree, -1 disagree.
CREATE TABLE comment_votes (
    comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value smallint NOT NULL CHECK (value IN (-1, 1)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (comment_id, user_id)
);
CREATE INDEX comment_votes_user ON comment_votes (user_id);

-- Reports by participants: one per person and resource.
CREATE TABLE reports (
    id bigserial PRIMARY KEY,
    resource_kind text NOT NULL CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post')),
    resource_id bigint NOT NULL,
    reporter_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason text NOT NULL CHECK (reason IN ('spam', 'offensive', 'does_not_belong', 'other')),
    details text NOT NULL DEFAULT '' CHECK (length(details) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (resource_kind, resource_id, reporter_id)
);

-- The moderation state of a resource, the source of truth for "hidden" for every
-- kind. `hidden_by` is NULL when the report threshold hid it; `reviewed_at` is when
-- an administrator last decided to keep it visible. `excerpt` and `url` are what the
-- queue shows, taken when it was last reported.
CREATE TABLE moderations (
    resource_kind text NOT NULL CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post')),
    resource_id bigint NOT NULL,
    report_count integer NOT NULL DEFAULT 0 CHECK (report_count >= 0),
    hidden_at timestamptz,
    hidden_by bigint REFERENCES users (id),
    reviewed_at timestamptz,
    last_reported_at timestamptz,
    excerpt text NOT NULL DEFAULT '' CHECK (length(excerpt) <= 1000),
    url text NOT NULL DEFAULT '' CHECK (length(url) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (resource_kind, resource_id)
);
CREATE INDEX moderations_hidden ON moderations (resource_kind, resource_id) WHERE hidden_at IS NOT NULL;
CREATE INDEX moderations_queue ON moderations (last_reported_at DESC) WHERE report_count > 0;

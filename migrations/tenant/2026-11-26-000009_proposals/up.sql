-- Categories of a space (proposals, and later other modules, are filed under them).
CREATE TABLE space_categories (
    id bigserial PRIMARY KEY,
    space_id bigint NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    name jsonb NOT NULL,
    position integer NOT NULL DEFAULT 0
);
CREATE INDEX space_categories_space ON space_categories (space_id, position);

-- Proposals of a proposals component. `author_id` is NULL for an official proposal
-- (imported or written by the institution). `search_config` is the text search
-- configuration of the tenant's language, set by the application at insert.
CREATE TABLE proposals (
    id bigserial PRIMARY KEY,
    component_id bigint NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body text NOT NULL CHECK (length(body) <= 40000),
    body_text text NOT NULL DEFAULT '',
    category_id bigint REFERENCES space_categories (id) ON DELETE SET NULL,
    address text CHECK (address IS NULL OR length(address) <= 300),
    -- published, withdrawn, merged (into others) or split (into others).
    state text NOT NULL DEFAULT 'published' CHECK (state IN ('published', 'withdrawn', 'merged', 'split')),
    -- The institution's answer.
    answer_state text CHECK (answer_state IN ('evaluating', 'accepted', 'rejected')),
    answer text,
    answered_at timestamptz,
    supports_count integer NOT NULL DEFAULT 0 CHECK (supports_count >= 0),
    comments_count integer NOT NULL DEFAULT 0 CHECK (comments_count >= 0),
    version integer NOT NULL DEFAULT 1,
    hidden_at timestamptz,
    -- A key the form carries, so a double submit does not publish twice.
    submission_key uuid UNIQUE,
    search_config regconfig NOT NULL DEFAULT 'simple',
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector(search_config, title), 'A') || setweight(to_tsvector(search_config, body_text), 'B')
    ) STORED,
    published_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz
);
CREATE INDEX proposals_component ON proposals (component_id, id) WHERE hidden_at IS NULL;
CREATE INDEX proposals_author ON proposals (author_id);
CREATE INDEX proposals_search ON proposals USING gin (search);

-- One support per person and proposal.
CREATE TABLE proposal_supports (
    proposal_id bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    component_id bigint NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, user_id)
);
CREATE INDEX proposal_supports_user ON proposal_supports (component_id, user_id);

-- Files attached to a proposal (kept in the blob store under the tenant).
CREATE TABLE proposal_attachments (
    id bigserial PRIMARY KEY,
    proposal_id bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    blob_key text NOT NULL UNIQUE,
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposal_attachments_proposal ON proposal_attachments (proposal_id);

-- Every version of a proposal's text: version 1 is the original; an accepted
-- amendment or an edit by the author adds one.
CREATE TABLE proposal_versions (
    proposal_id bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    version integer NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    author_id bigint REFERENCES users (id),
    -- 'created', 'edited' or 'amendment'.
    cause text NOT NULL CHECK (cause IN ('created', 'edited', 'amendment', 'imported')),
    amendment_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, version)
);

-- A participant's proposed new version of someone's proposal.
CREATE TABLE proposal_amendments (
    id bigserial PRIMARY KEY,
    proposal_id bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    author_id bigint NOT NULL REFERENCES users (id),
    base_version integer NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body text NOT NULL CHECK (length(body) <= 40000),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected', 'withdrawn')),
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz
);
CREATE INDEX proposal_amendments_proposal ON proposal_amendments (proposal_id, id);
CREATE UNIQUE INDEX proposal_amendments_one_pending ON proposal_amendments (proposal_id, author_id) WHERE state = 'pending';

-- Merges and splits by the admins: `from_id` was merged or split into `to_id`.
CREATE TABLE proposal_links (
    from_id bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    to_id bigint NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('merged', 'split')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (from_id, to_id)
);
CREATE INDEX proposal_links_to ON proposal_links (to_id);

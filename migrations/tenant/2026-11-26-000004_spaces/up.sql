-- Participatory spaces: processes (with phases) and assemblies. Texts are per
-- locale ({"fr": "...", "en": "..."}).
CREATE TABLE spaces (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('process', 'assembly')),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,59}$'),
    title jsonb NOT NULL,
    subtitle jsonb NOT NULL DEFAULT '{}',
    description jsonb NOT NULL DEFAULT '{}',
    hero_image_key text,
    start_date date,
    end_date date,
    private boolean NOT NULL DEFAULT false,
    published_at timestamptz,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE INDEX spaces_listing ON spaces (kind, position, id) WHERE published_at IS NOT NULL;

-- A process's phases; at most one is active at a time.
CREATE TABLE space_phases (
    id bigserial PRIMARY KEY,
    space_id bigint NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    position integer NOT NULL,
    title jsonb NOT NULL,
    description jsonb NOT NULL DEFAULT '{}',
    start_date date,
    end_date date,
    active boolean NOT NULL DEFAULT false,
    UNIQUE (space_id, position),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX space_phases_one_active ON space_phases (space_id) WHERE active;

-- Who may see a private space.
CREATE TABLE space_members (
    space_id bigint NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, user_id)
);

-- Components placed in a space (proposals, and later debates, surveys, budgets...),
-- with their settings: `settings` for the whole component (including the
-- verification each action needs), `phase_settings` per phase id.
CREATE TABLE components (
    id bigserial PRIMARY KEY,
    space_id bigint NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    module text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{1,39}$'),
    name jsonb NOT NULL,
    position integer NOT NULL DEFAULT 0,
    settings jsonb NOT NULL DEFAULT '{}',
    phase_settings jsonb NOT NULL DEFAULT '{}',
    published_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX components_space ON components (space_id, position);

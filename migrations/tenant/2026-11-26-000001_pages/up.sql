-- Static pages a tenant's admins edit (about, legal notice, accessibility statement).
CREATE TABLE pages (
    id bigserial PRIMARY KEY,
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,79}$'),
    locale text NOT NULL CHECK (locale ~ '^[a-z]{2}$'),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    summary text NOT NULL DEFAULT '',
    body text NOT NULL DEFAULT '',
    position integer NOT NULL DEFAULT 0,
    published boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (slug, locale)
);
CREATE INDEX pages_listing ON pages (locale, position) WHERE published;

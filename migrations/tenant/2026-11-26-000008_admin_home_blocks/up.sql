-- The home page as a tenant's administrators arrange it: blocks shown in order.
-- `hero` and `text` blocks carry their own texts per locale
-- ({"fr": {"title": "...", "body": "..."}, "en": {...}}, body as sanitised HTML);
-- the others list the site's processes, news or pages. A tenant without any row
-- keeps the theme's default home page.
CREATE TABLE home_blocks (
    id bigserial PRIMARY KEY,
    position integer NOT NULL DEFAULT 0,
    kind text NOT NULL CHECK (kind IN ('hero', 'processes', 'news', 'pages', 'text')),
    texts jsonb NOT NULL DEFAULT '{}',
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX home_blocks_order ON home_blocks (position, id);

-- What the tenant's administrators did to people and content (block, unblock...):
-- who, when, to what, with the details they gave (a block's reason).
CREATE TABLE admin_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES users (id) ON DELETE SET NULL,
    action text NOT NULL CHECK (action ~ '^[a-z][a-z_.]{1,59}$'),
    resource_kind text NOT NULL,
    resource_id bigint NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_log_resource ON admin_log (resource_kind, resource_id, at DESC);

-- News from the institution, one language per post.
CREATE TABLE blog_posts (
    id bigserial PRIMARY KEY,
    locale text NOT NULL CHECK (locale ~ '^[a-z]{2}$'),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body text NOT NULL DEFAULT '',
    published_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blog_posts_listing ON blog_posts (locale, published_at DESC) WHERE published_at IS NOT NULL;

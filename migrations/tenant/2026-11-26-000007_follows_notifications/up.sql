-- Follows: a person follows a space, a proposal or another person, and is told
-- (notifications) when something happens to it.
CREATE TABLE follows (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_kind text NOT NULL CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post')),
    resource_id bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, resource_kind, resource_id)
);
-- Who follows this resource (publishing an event, counting followers).
CREATE INDEX follows_resource ON follows (resource_kind, resource_id);

-- What happened, one row per recipient. Events:
--   answer        an administrator answered a proposal
--   reply         someone replied to one's comment
--   comment       someone commented on a followed resource
--   state_change  a followed proposal changed state (accepted, rejected...)
--   mention       someone mentioned one (@nickname)
--   amendment     someone proposed an amendment to a followed proposal
--   phase_change  a followed space moved to another phase
--   new_proposal  a new proposal in a followed space
--   follow        someone followed one
-- `data` holds what the sentence needs (title, url, excerpt...), each text either a
-- string or an object of texts by locale ({"fr": "...", "en": "..."}).
CREATE TABLE notifications (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event text NOT NULL CHECK (event IN ('answer', 'reply', 'comment', 'state_change', 'mention',
                                         'amendment', 'phase_change', 'new_proposal', 'follow')),
    actor_id bigint REFERENCES users (id) ON DELETE SET NULL,
    resource_kind text NOT NULL CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post')),
    resource_id bigint NOT NULL,
    data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    emailed_at timestamptz
);
-- A person's list (newest first) and their unread count.
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
-- The digest scan: unread notifications not mailed yet.
CREATE INDEX notifications_to_mail ON notifications (user_id, created_at) WHERE emailed_at IS NULL AND read_at IS NULL;

-- How often a person wants their unread notifications by mail, and when they last got one.
ALTER TABLE users ADD COLUMN notifications_digest text NOT NULL DEFAULT 'daily'
    CHECK (notifications_digest IN ('immediate', 'daily', 'weekly', 'none'));
ALTER TABLE users ADD COLUMN last_digest_at timestamptz;

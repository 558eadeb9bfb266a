DELETE FROM notifications WHERE resource_kind = 'petition' OR event = 'petition';
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('answer', 'reply', 'comment', 'state_change', 'mention',
                     'amendment', 'phase_change', 'new_proposal', 'follow'));
ALTER TABLE notifications DROP CONSTRAINT notifications_resource_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post'));
DELETE FROM follows WHERE resource_kind = 'petition';
DELETE FROM moderations WHERE resource_kind = 'petition';
DELETE FROM reports WHERE resource_kind = 'petition';
DELETE FROM comments WHERE resource_kind = 'petition';
ALTER TABLE follows DROP CONSTRAINT follows_resource_kind_check;
ALTER TABLE follows ADD CONSTRAINT follows_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post'));
ALTER TABLE moderations DROP CONSTRAINT moderations_resource_kind_check;
ALTER TABLE moderations ADD CONSTRAINT moderations_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post'));
ALTER TABLE reports DROP CONSTRAINT reports_resource_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post'));
ALTER TABLE comments DROP CONSTRAINT comments_resource_kind_check;
ALTER TABLE comments ADD CONSTRAINT comments_resource_kind_check
    CHECK (resource_kind IN ('space', 'proposal', 'comment', 'user', 'blog_post'));
DROP TABLE petition_signature_counts;
DROP TABLE petition_signatures;
DROP TABLE petition_events;
DROP TABLE petitions;
DROP TABLE petition_types;

-- Several PostgreSQL clusters. The catalog stays on the first one, registered here as
-- `main` with no URL (its URL is the platform's own database setting); other clusters
-- carry their connection URL sealed with the master key (it may hold a password).
-- capacity: how many tenants the cluster is meant to hold, for placement;
-- a `closed` cluster takes no new tenants but keeps serving its own.
CREATE TABLE clusters (
    name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_-]{0,39}$'),
    url_enc text CHECK ((name = 'main') = (url_enc IS NULL)),
    capacity integer NOT NULL CHECK (capacity > 0),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO clusters (name, url_enc, capacity) VALUES ('main', NULL, 1000);

-- Each tenant's schema lives on one cluster. read_only: writes answer 503 (a move is
-- copying the schema); moving_to names the cluster a move in progress copies it to.
ALTER TABLE tenants
    ADD COLUMN cluster text NOT NULL DEFAULT 'main' REFERENCES clusters (name),
    ADD COLUMN read_only boolean NOT NULL DEFAULT false,
    ADD COLUMN moving_to text REFERENCES clusters (name);
CREATE INDEX tenants_cluster ON tenants (cluster);
CREATE TRIGGER clusters_notify AFTER INSERT OR UPDATE OR DELETE ON clusters
    FOR EACH STATEMENT EXECUTE FUNCTION notify_directory();

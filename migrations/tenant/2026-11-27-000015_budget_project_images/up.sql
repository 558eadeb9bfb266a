-- A budget project shows several images (a site, a sketch, a map), each with its text
-- alternative, in the order the administrators gave. The single image of 000014
-- becomes the first of the list.
CREATE TABLE budget_project_images (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES budget_projects (id) ON DELETE CASCADE,
    -- The file's key in the blob store (`<tenant id>/budgets/...`).
    blob_key text NOT NULL UNIQUE CHECK (length(blob_key) BETWEEN 1 AND 300),
    alt text NOT NULL DEFAULT '' CHECK (length(alt) <= 300),
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_project_images_project ON budget_project_images (project_id, position, id);

INSERT INTO budget_project_images (project_id, blob_key, alt)
SELECT id, image_key, image_alt FROM budget_projects WHERE image_key IS NOT NULL;

ALTER TABLE budget_projects DROP COLUMN image_key, DROP COLUMN image_alt;

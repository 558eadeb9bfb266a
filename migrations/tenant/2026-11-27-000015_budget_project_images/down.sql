ALTER TABLE budget_projects
    ADD COLUMN image_key text,
    ADD COLUMN image_alt text NOT NULL DEFAULT '' CHECK (length(image_alt) <= 300);

-- Each project keeps its first image; the others' files stay in the blob store.
UPDATE budget_projects p SET image_key = i.blob_key, image_alt = i.alt
FROM (SELECT DISTINCT ON (project_id) project_id, blob_key, alt
      FROM budget_project_images ORDER BY project_id, position, id) i
WHERE i.project_id = p.id;

DROP TABLE budget_project_images;

DROP TABLE proposal_links;
DROP TABLE proposal_amendments;
DROP TABLE proposal_versions;
DROP TABLE proposal_attachments;
DROP TABLE proposal_supports;
DROP TABLE proposals;
DROP TABLE space_categories;

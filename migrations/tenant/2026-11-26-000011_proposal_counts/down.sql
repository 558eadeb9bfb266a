DROP TRIGGER proposal_counts_truncate ON proposals;
DROP TRIGGER proposal_counts_update ON proposals;
DROP TRIGGER proposal_counts_insert_delete ON proposals;
DROP FUNCTION proposal_counts_clear();
DROP FUNCTION proposal_counts_keep();
DROP TABLE proposal_counts;

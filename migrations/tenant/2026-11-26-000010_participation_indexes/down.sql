DROP INDEX proposals_shuffle_category;
DROP INDEX proposals_shuffle;

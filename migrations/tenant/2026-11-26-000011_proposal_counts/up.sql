-- How many proposals each component holds, by category, state, answer and whether
-- hidden: the proposals list's total without counting the proposals (an unfiltered
-- list of 10,000 took 2 ms to count, more than the rest of its page). Triggers keep it
-- in the same transaction as the change, so it is exact for every reader.
CREATE TABLE proposal_counts (
    component_id bigint NOT NULL,
    category_id bigint NOT NULL,      -- 0: no category
    state text NOT NULL,
    answer_state text NOT NULL,       -- '': not answered
    hidden boolean NOT NULL,
    n bigint NOT NULL CHECK (n >= 0),
    PRIMARY KEY (component_id, category_id, state, answer_state, hidden)
);

-- `SET search_path FROM CURRENT`: the function always works on this schema's tables,
-- whatever the search path of the session writing (pg_dump's restore empties it).
CREATE FUNCTION proposal_counts_keep() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE proposal_counts SET n = n - 1
         WHERE component_id = OLD.component_id AND category_id = coalesce(OLD.category_id, 0)
           AND state = OLD.state AND answer_state = coalesce(OLD.answer_state, '')
           AND hidden = (OLD.hidden_at IS NOT NULL);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO proposal_counts AS c (component_id, category_id, state, answer_state, hidden, n)
        VALUES (NEW.component_id, coalesce(NEW.category_id, 0), NEW.state, coalesce(NEW.answer_state, ''),
                NEW.hidden_at IS NOT NULL, 1)
        ON CONFLICT (component_id, category_id, state, answer_state, hidden) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION proposal_counts_clear() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM proposal_counts;
    RETURN NULL;
END
$$;

CREATE TRIGGER proposal_counts_insert_delete AFTER INSERT OR DELETE ON proposals
    FOR EACH ROW EXECUTE FUNCTION proposal_counts_keep();
-- Only when a counted column changes (not on supports or comments counts, edits).
CREATE TRIGGER proposal_counts_update
    AFTER UPDATE OF component_id, category_id, state, answer_state, hidden_at ON proposals
    FOR EACH ROW
    WHEN ((OLD.component_id, OLD.category_id, OLD.state, OLD.answer_state, OLD.hidden_at IS NULL)
          IS DISTINCT FROM (NEW.component_id, NEW.category_id, NEW.state, NEW.answer_state, NEW.hidden_at IS NULL))
    EXECUTE FUNCTION proposal_counts_keep();
CREATE TRIGGER proposal_counts_truncate AFTER TRUNCATE ON proposals
    FOR EACH STATEMENT EXECUTE FUNCTION proposal_counts_clear();

INSERT INTO proposal_counts (component_id, category_id, state, answer_state, hidden, n)
SELECT component_id, coalesce(category_id, 0), state, coalesce(answer_state, ''), hidden_at IS NOT NULL, count(*)
  FROM proposals GROUP BY 1, 2, 3, 4, 5;

-- The proposals list (the open proposals of a component, all or one category, in
-- the random order): a fixed shuffle of the ids, `hashint8extended(id, 0)`, that
-- each visitor reads from another start. These indexes give a page of ids in that
-- order, and the count, without reading the table's wide rows (bodies, search
-- vectors) or every proposal of the component.
CREATE INDEX proposals_shuffle ON proposals (component_id, hashint8extended(id, 0), id)
    INCLUDE (category_id, answer_state) WHERE hidden_at IS NULL AND state = 'published';
CREATE INDEX proposals_shuffle_category ON proposals (component_id, category_id, hashint8extended(id, 0), id)
    INCLUDE (answer_state) WHERE hidden_at IS NULL AND state = 'published';

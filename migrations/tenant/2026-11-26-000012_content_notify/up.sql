-- Servers keep the places component pages read (space, phases, component, categories)
-- in memory. Whatever changes them, by whatever path (admin pages, CLI, imports, SQL),
-- tells every server when it commits: `civitas_content` with the tenant's schema.
-- PostgreSQL sends one notification per transaction for the same payload.
CREATE FUNCTION notify_content_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('civitas_content', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER spaces_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON spaces
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER space_phases_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON space_phases
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER components_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON components
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER space_categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON space_categories
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();
CREATE TRIGGER space_members_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON space_members
    FOR EACH STATEMENT EXECUTE FUNCTION notify_content_changed();

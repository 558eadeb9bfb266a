DROP TRIGGER space_members_changed ON space_members;
DROP TRIGGER space_categories_changed ON space_categories;
DROP TRIGGER components_changed ON components;
DROP TRIGGER space_phases_changed ON space_phases;
DROP TRIGGER spaces_changed ON spaces;
DROP FUNCTION notify_content_changed();

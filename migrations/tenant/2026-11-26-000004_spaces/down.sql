DROP TABLE components;
DROP TABLE space_members;
DROP TABLE space_phases;
DROP TABLE spaces;

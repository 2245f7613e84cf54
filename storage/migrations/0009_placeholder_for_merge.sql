-- PLACEHOLDER, delete at the merge: version 9 belongs to another branch of issue 11. It exists only so that
-- this branch's 0010 applies (migrations are numbered without gaps).
CREATE TABLE placeholder_0009 (id INTEGER PRIMARY KEY);
DROP TABLE placeholder_0009;

-- A counter of the results store's changes, read by the season cache (storage/results.py) to know when a
-- cached season is stale. SQLite reads PRAGMA data_version instead (every other connection's commit moves
-- it, for free), so it keeps only the row; PostgreSQL has no such pragma, and its triggers
-- (postgresql/0011_store_revision.sql) move the counter in every transaction that writes results data.
CREATE TABLE store_revision (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  BIGINT NOT NULL
);
INSERT INTO store_revision (id, value) VALUES (1, 1);

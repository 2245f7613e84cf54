-- A counter of the results store's changes, read by the season cache (storage/results.py) to know when a
-- cached season is stale: in any replica, after an import or a driver merge in any process. One bump per
-- writing transaction (statement triggers, so not per row), inside it, so a reader sees
-- the new value exactly when it sees the new data. A new table holding results data needs its trigger here.
CREATE TABLE store_revision (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    value  BIGINT NOT NULL
);
INSERT INTO store_revision (id, value) VALUES (1, 1);

-- Once per transaction, not per statement: the writer sends one INSERT per row on PostgreSQL, and 150,000
-- updates of one row inside one transaction each walk the chain of that row's versions the transaction has
-- made (an import took minutes instead of seconds). A transaction-local setting remembers the bump; it
-- ends with the transaction (and with a savepoint rolled back, together with the bump it marked).
CREATE FUNCTION bump_store_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('pitboard.revision_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE store_revision SET value = value + 1 WHERE id = 1;
        PERFORM set_config('pitboard.revision_bumped', 'on', true);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['series', 'seasons', 'events', 'event_aliases', 'sessions', 'drivers',
                             'driver_aliases', 'driver_source_ids', 'driver_splits', 'teams', 'team_source_ids',
                             'entries', 'entry_drivers', 'results', 'championships', 'official_standings', 'imports']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION bump_store_revision()', t || '_revision', t);
    END LOOP;
END
$$;

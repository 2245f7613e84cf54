-- PostgreSQL twin of ../0008_provider_status.sql.
-- Providers (sources Pitboard pulls on its own: Jolpica, a calendar URL, a watched timing-file URL):
-- when each last ran, succeeded and failed, and when it runs next, for `pitboard status` and /stats.
-- The validators (ETag, Last-Modified, a digest of the bytes) let the next poll ask "changed since?".
CREATE TABLE provider_status (
    provider             TEXT PRIMARY KEY,  -- 'jolpica', 'watch:https://…'
    last_run_utc         TEXT,
    last_success_utc     TEXT,
    last_error_utc       TEXT,
    last_error           TEXT,              -- redacted (bot/core/redact.py); NULL after a success
    next_run_utc         TEXT,
    runs                 INTEGER NOT NULL DEFAULT 0,
    failures             INTEGER NOT NULL DEFAULT 0,
    failures_in_a_row    INTEGER NOT NULL DEFAULT 0,
    imports              INTEGER NOT NULL DEFAULT 0,  -- runs that changed the store
    etag                 TEXT,
    last_modified        TEXT,
    content_sha256       TEXT
);

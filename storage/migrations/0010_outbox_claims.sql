-- The columns and tables several replicas on one PostgreSQL use (claims of outbox rows, the shared flood
-- limiter; see postgresql/0010_outbox_claims.sql). The one SQLite process leaves them empty: they are here
-- so that both dialects have the same schema.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claim_expires_at TEXT;
CREATE INDEX outbox_claim_expiry ON outbox (claim_expires_at) WHERE state = 'sending';
CREATE TABLE shared_limits (
    name         TEXT PRIMARY KEY,
    next_free    REAL NOT NULL DEFAULT 0,
    paused_until REAL NOT NULL DEFAULT 0
);
INSERT INTO shared_limits (name) VALUES ('global'), ('paid');
CREATE TABLE shared_chat_limits (
    chat_id      INTEGER PRIMARY KEY,
    recent       TEXT NOT NULL DEFAULT '',
    paused_until REAL NOT NULL DEFAULT 0
);

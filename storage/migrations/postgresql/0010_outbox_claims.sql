-- Several replicas share one outbox (storage/outbox_claims.py): a row a replica takes is 'sending', with who
-- took it and until when. A replica that dies or loses the database leaves its claims to expire; another
-- replica then takes those rows again. claimed_by stays on a sent row: which replica sent it.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claim_expires_at TEXT;
CREATE INDEX outbox_claim_expiry ON outbox (claim_expires_at) WHERE state = 'sending';
-- One flood limiter for the bot as a whole (storage/shared_limits.py): the next free send slot of each
-- bucket ('global': 30/s, 'paid': paid broadcasts) and the 429 pause every replica honours, in seconds since
-- the epoch; per chat its latest send times (space-separated, oldest first) and its own 429 pause.
CREATE TABLE shared_limits (
    name         TEXT PRIMARY KEY,
    next_free    DOUBLE PRECISION NOT NULL DEFAULT 0,
    paused_until DOUBLE PRECISION NOT NULL DEFAULT 0
);
INSERT INTO shared_limits (name) VALUES ('global'), ('paid');
CREATE TABLE shared_chat_limits (
    chat_id      BIGINT PRIMARY KEY,
    recent       TEXT NOT NULL DEFAULT '',
    paused_until DOUBLE PRECISION NOT NULL DEFAULT 0
);

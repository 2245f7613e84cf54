-- Calendar subscriptions (/cal/<token>.ics): one random token per chat. `/ics reset` replaces it, so a
-- link that leaked stops working; a revoked token is simply gone (nothing tells it ever existed).
CREATE TABLE calendar_feeds (
    chat_id     INTEGER PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL   -- UTC, ISO 8601
);

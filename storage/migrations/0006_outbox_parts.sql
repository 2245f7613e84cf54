-- Texts that many chats share are stored once per alert: a schedule notice's few renderings (one per language
-- and time zone), a reminder's head per language and zone and each driver's car lines per language. An outbox
-- row of such an alert names its parts in order ("12,40,41"; the message is their texts joined by a line
-- break) and keeps an empty `text`. 200,000 reminders then write a few bytes each instead of half a kilobyte.
CREATE TABLE outbox_parts (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    text     TEXT NOT NULL,
    UNIQUE (alert_id, text)
);
ALTER TABLE outbox ADD COLUMN parts TEXT;

-- A reminder (session, start time, lead) whose whole audience has been planned: alert polls look only at
-- reminders not planned yet, so a poll with nothing due reads a few index entries however many chats there
-- are. Set after the rows are queued, so a crash in between plans it again (the outbox ledger keeps each
-- chat's reminder to one). A chat that follows or changes settings later is planned on its own.
ALTER TABLE alerts ADD COLUMN planned_at TEXT;

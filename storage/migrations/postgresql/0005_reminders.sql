-- PostgreSQL twin of ../0005_reminders.sql.
-- A reminder (session, start time, lead) whose whole audience has been planned: alert polls look only at
-- reminders not planned yet. Set after the rows are queued, so a crash in between plans it again (the outbox
-- ledger keeps each chat's reminder to one).
ALTER TABLE alerts ADD COLUMN planned_at TEXT;

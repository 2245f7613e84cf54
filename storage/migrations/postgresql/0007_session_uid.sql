-- PostgreSQL twin of ../0007_session_uid.sql.
-- A calendar's UID for each session it brought (ICS): a new version of the feed finds the session by UID
-- first, then by event + session key, so a renamed or moved session stays one session.
ALTER TABLE sessions ADD COLUMN uid TEXT;
CREATE INDEX sessions_uid ON sessions(uid) WHERE uid IS NOT NULL;

-- PostgreSQL twin of ../0004_follows_covering_index.sql.
-- An alert's audience is read from the followed side: with chat_id in the index, hundreds of thousands
-- of followers come straight from the index (an index-only scan) instead of one table lookup each.
DROP INDEX follows_target;
CREATE INDEX follows_target ON follows(target_kind, target_id, chat_id);

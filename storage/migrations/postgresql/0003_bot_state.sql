-- PostgreSQL twin of ../0003_bot_state.sql.
-- Small facts the bot keeps between runs, such as the last import it has announced.
CREATE TABLE bot_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

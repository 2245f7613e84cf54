-- The results store: series → season → event → session, entries (cars) with crews, results,
-- official standings and championship rules; plus the chat side that the bot fills.

CREATE TABLE series (
    id      INTEGER PRIMARY KEY,
    slug    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    -- JSON object: source spelling -> canonical class name ("Bronze" -> "Bronze Cup")
    class_aliases TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE seasons (
    id        INTEGER PRIMARY KEY,
    series_id INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    year      INTEGER NOT NULL,
    UNIQUE (series_id, year)
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    season_id   INTEGER NOT NULL REFERENCES seasons(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    name        TEXT NOT NULL,
    round       INTEGER,
    circuit     TEXT,
    country     TEXT,
    timezone    TEXT,
    start_date  TEXT,            -- local calendar date, YYYY-MM-DD
    end_date    TEXT,
    tags        TEXT NOT NULL DEFAULT '[]',  -- JSON list, e.g. ["endurance"]
    UNIQUE (season_id, key)
);

-- Other names an event goes by in source files (folder names, the Roar for Daytona's qualifying).
CREATE TABLE event_aliases (
    season_id INTEGER NOT NULL REFERENCES seasons(id) ON DELETE CASCADE,
    alias     TEXT NOT NULL,
    event_id  INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    PRIMARY KEY (season_id, alias)
);

CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('practice', 'qualifying', 'sprint', 'race', 'stage')),
    parent_key     TEXT,          -- a stage's race session
    stage_minutes  INTEGER,       -- a stage: classification after this many minutes
    sets_grid      INTEGER NOT NULL DEFAULT 0,   -- qualifying whose class-best gets the pole
    start_utc      TEXT,          -- ISO 8601 UTC; NULL means "time TBC"
    end_utc        TEXT,
    start_date     TEXT,          -- local date when known, even if the time is not
    status         TEXT NOT NULL DEFAULT 'scheduled'
                   CHECK (status IN ('scheduled', 'finished', 'cancelled', 'postponed')),
    results_status TEXT NOT NULL DEFAULT 'none' CHECK (results_status IN ('none', 'provisional', 'final')),
    UNIQUE (event_id, key)
);
CREATE INDEX sessions_start ON sessions(start_utc);

CREATE TABLE drivers (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    first_name  TEXT,
    last_name   TEXT,
    nationality TEXT,
    birth_date  TEXT
);
CREATE INDEX drivers_name_key ON drivers(name_key);

CREATE TABLE driver_aliases (
    alias_key TEXT NOT NULL,
    driver_id INTEGER NOT NULL REFERENCES drivers(id) ON DELETE CASCADE,
    alias     TEXT NOT NULL,
    PRIMARY KEY (alias_key, driver_id)
);
CREATE INDEX driver_aliases_driver ON driver_aliases(driver_id);

CREATE TABLE driver_source_ids (
    source    TEXT NOT NULL,
    source_id TEXT NOT NULL,
    driver_id INTEGER NOT NULL REFERENCES drivers(id) ON DELETE CASCADE,
    PRIMARY KEY (source, source_id)
);
CREATE INDEX driver_source_ids_driver ON driver_source_ids(driver_id);

-- Names an admin declared to be two different people: never merged by name again.
CREATE TABLE driver_splits (
    driver_a INTEGER NOT NULL REFERENCES drivers(id) ON DELETE CASCADE,
    driver_b INTEGER NOT NULL REFERENCES drivers(id) ON DELETE CASCADE,
    PRIMARY KEY (driver_a, driver_b)
);

CREATE TABLE teams (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    name_key TEXT NOT NULL
);
CREATE INDEX teams_name_key ON teams(name_key);

CREATE TABLE team_source_ids (
    source    TEXT NOT NULL,
    source_id TEXT NOT NULL,
    team_id   INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    PRIMARY KEY (source, source_id)
);

CREATE TABLE entries (
    id       INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    key      TEXT NOT NULL,        -- the car number, or number/driver where a number is shared
    number   TEXT NOT NULL,        -- text: "01" is not "1"
    team_id  INTEGER REFERENCES teams(id),
    car      TEXT,
    class    TEXT,
    UNIQUE (event_id, key)
);

CREATE TABLE entry_drivers (
    entry_id  INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    driver_id INTEGER NOT NULL REFERENCES drivers(id),
    PRIMARY KEY (entry_id, position)
);
CREATE INDEX entry_drivers_driver ON entry_drivers(driver_id);

CREATE TABLE results (
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    entry_id       INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position       INTEGER,
    classification_order INTEGER,  -- place in the classification list, non-finishers included
    class_position INTEGER,
    status         TEXT NOT NULL CHECK (status IN ('classified', 'not_classified', 'dnf', 'dns', 'dsq')),
    status_detail  TEXT,
    laps           INTEGER,
    time_ms        INTEGER,
    time_text      TEXT,
    gap_text       TEXT,
    best_lap_ms    INTEGER,
    best_lap_text  TEXT,
    fastest_lap_rank INTEGER,
    grid           INTEGER,
    points         REAL,            -- points as the source published them, where it does
    PRIMARY KEY (session_id, entry_id)
);
CREATE INDEX results_entry ON results(entry_id);

CREATE TABLE championships (
    id         INTEGER PRIMARY KEY,
    season_id  INTEGER NOT NULL REFERENCES seasons(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    rules      TEXT NOT NULL,       -- JSON, see docs/data-format.md
    UNIQUE (season_id, key)
);

CREATE TABLE official_standings (
    season_id        INTEGER NOT NULL REFERENCES seasons(id) ON DELETE CASCADE,
    championship_key TEXT NOT NULL,
    event_id         INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    subject_kind     TEXT NOT NULL CHECK (subject_kind IN ('driver', 'team')),
    subject_id       INTEGER NOT NULL,
    class            TEXT NOT NULL DEFAULT '',
    points           REAL NOT NULL,
    position         INTEGER,
    position_text    TEXT,
    wins             INTEGER,
    PRIMARY KEY (championship_key, event_id, subject_kind, subject_id, class)
);

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    path        TEXT NOT NULL,
    digest      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    summary     TEXT NOT NULL
);

-- The chat side, filled by the bot.
CREATE TABLE chats (
    id            INTEGER PRIMARY KEY,       -- Telegram chat id
    kind          TEXT NOT NULL,             -- private, group, supergroup, channel
    title         TEXT,
    language      TEXT NOT NULL DEFAULT 'en',
    timezone      TEXT NOT NULL DEFAULT 'UTC',
    active        INTEGER NOT NULL DEFAULT 1,
    settings      TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL
);

CREATE TABLE follows (
    chat_id     INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE ON UPDATE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('driver', 'team', 'series')),
    target_id   INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (chat_id, target_kind, target_id)
);
CREATE INDEX follows_target ON follows(target_kind, target_id);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,               -- reminder, summary, correction, schedule_change
    session_id  INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    key         TEXT NOT NULL UNIQUE,        -- e.g. reminder:<session>:60
    created_at  TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    alert_id        INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
    chat_id         INTEGER NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 10,
    text            TEXT NOT NULL,
    reply_markup    TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dead', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    message_id      INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (alert_id, chat_id)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

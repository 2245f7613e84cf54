-- PostgreSQL twin of ../0002_event_classes.sql.
-- Which classes race at an event (JSON list; empty: all). A title can be decided before the finale
-- when a class does not race there (GTWC Europe 2023: no Bronze Cup at Brands Hatch or Zandvoort).
ALTER TABLE events ADD COLUMN classes TEXT NOT NULL DEFAULT '[]';

-- Placeholder on branch wt-ics so that 0010 applies here (migrations are numbered without gaps).
-- At merge: drop this file; the real 0008 comes from another branch.
SELECT 1;

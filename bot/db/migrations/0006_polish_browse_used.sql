-- 0006: the filters behind browse buttons are pruned when nobody has used them for a while (bot/db/browse.py).
-- used_at moves when a command saves the filters again or a button reads them (at most once a day per row).
ALTER TABLE browse_queries ADD COLUMN used_at INTEGER NOT NULL DEFAULT 0;
UPDATE browse_queries SET used_at = created_at;
CREATE INDEX browse_queries_used_at ON browse_queries (used_at);

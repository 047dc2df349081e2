-- 0007: /launch finds a name in any case in any script. SQLite's LIKE and NOCASE fold ASCII only, so the name
-- is stored folded by Python's str.casefold (bot/db/events.py writes it with every name). The casefold() SQL
-- function here is the same str.casefold, registered by bot/db/database.py on every connection it opens.
ALTER TABLE events ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE events SET name_key = casefold(name);

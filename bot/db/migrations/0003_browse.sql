-- 0003: browsing (/nextlaunch, /launches, /events, /calendar ...).
-- The browse queries pick their driving index themselves (bot/browse.py plans them from exact counts), so each
-- index below serves one way into the data: by time, by milestone kind in time order, or by one event field.

-- Live milestones of one kind in time order: /nextdocking, /events spacewalk, and liftoffs only.
CREATE INDEX milestones_kind_at ON milestones (kind, at_utc) WHERE removed_at IS NULL;

-- LL2 gives a provider's abbreviation ("ULA", "RFSA"); readers type it as often as the name.
ALTER TABLE events ADD COLUMN provider_abbrev TEXT;

-- Live events by the fields a reader filters on. The browse layer resolves typed text ("rocket lab") to the
-- exact stored values first, so these serve equality lookups. Each also holds the other filter fields and
-- guild_id, so the per-name counts (autocomplete, the planner) and the check whether two filters match
-- anything together read the index alone.
CREATE INDEX events_live_provider ON events (provider, provider_abbrev, vehicle, location, station, guild_id)
    WHERE gone_at IS NULL;
CREATE INDEX events_live_vehicle ON events (vehicle, provider, location, station, guild_id) WHERE gone_at IS NULL;
CREATE INDEX events_live_location ON events (location, provider, vehicle, station, guild_id) WHERE gone_at IS NULL;
CREATE INDEX events_live_station ON events (station, provider, vehicle, location, guild_id) WHERE gone_at IS NULL;

-- The filters behind a message's Previous/Next buttons. A custom_id holds at most 100 characters, fewer than
-- three typed filters may need, so a button carries this row's key; the row outlives bot restarts.
CREATE TABLE browse_queries (
    key      TEXT    PRIMARY KEY,   -- hash of spec: the same filters always get the same key
    spec     TEXT    NOT NULL CHECK (json_valid(spec)),
    created_at  INTEGER NOT NULL    -- epoch seconds of the first command that used these filters
);

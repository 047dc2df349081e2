-- 0001: events, milestones and their history, subscriptions, deliveries, settings.
-- Instants are INTEGER epoch seconds in UTC; zones live only at the edges (user/guild settings).

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    source        TEXT    NOT NULL CHECK (source IN ('ll2', 'manual')),
    source_id     TEXT    NOT NULL,
    -- Which list of the source the event came from (e.g. 'launches', 'dockings'), so that an event missing
    -- from one list is not taken as gone because another list did not mention it.
    feed          TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    guild_id      INTEGER,            -- NULL: global; else the guild whose admins entered it
    mission_key   TEXT,               -- shared by the events of one mission (launch + docking)
    provider      TEXT,
    vehicle       TEXT,
    mission       TEXT,
    station       TEXT,
    location      TEXT,
    location_tz   TEXT,
    description   TEXT,
    image_url     TEXT,
    webcast_urls  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(webcast_urls)),
    window_start  INTEGER,
    window_end    INTEGER,
    last_updated  INTEGER,
    created_by    INTEGER,
    gone_at       INTEGER,            -- set when the source stopped listing it
    first_seen    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX events_mission_key ON events (mission_key) WHERE mission_key IS NOT NULL;
CREATE INDEX events_guild ON events (guild_id);

CREATE TABLE milestones (
    id          INTEGER PRIMARY KEY,
    event_id    INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    at_utc      INTEGER NOT NULL,
    precision   TEXT    NOT NULL,
    -- Set when the source dropped this milestone (e.g. a webcast start withdrawn). The row stays so that
    -- deliveries already sent for it keep their history.
    removed_at  INTEGER,
    UNIQUE (event_id, kind)
);
CREATE INDEX milestones_at ON milestones (at_utc);

-- Every value a milestone has had, with the event's status at the time: a slip A -> B -> C is three rows.
CREATE TABLE milestone_history (
    id            INTEGER PRIMARY KEY,
    milestone_id  INTEGER NOT NULL REFERENCES milestones (id) ON DELETE CASCADE,
    at_utc        INTEGER NOT NULL,
    precision     TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    recorded_at   INTEGER NOT NULL
);
CREATE INDEX milestone_history_milestone ON milestone_history (milestone_id, id);

CREATE TABLE subscriptions (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL,   -- the user who made it; only they (or guild admins for guild targets) may change it
    guild_id      INTEGER,            -- NULL for DM subscriptions
    target        TEXT    NOT NULL CHECK (target IN ('dm', 'channel', 'thread')),
    channel_id    INTEGER,
    role_id       INTEGER,
    -- Which milestones: a JSON list of MilestoneKind values; empty means all.
    kinds         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(kinds)),
    -- Narrowing filters (providers, event ids, mission keys...) as a JSON object.
    filters       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(filters)),
    -- Seconds before the milestone, a JSON list of non-negative integers.
    lead_seconds  TEXT    NOT NULL DEFAULT '[0]' CHECK (json_valid(lead_seconds)),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    CHECK ((target = 'dm' AND channel_id IS NULL AND guild_id IS NULL)
        OR (target <> 'dm' AND channel_id IS NOT NULL AND guild_id IS NOT NULL))
);
CREATE INDEX subscriptions_owner ON subscriptions (owner_id);
CREATE INDEX subscriptions_guild ON subscriptions (guild_id);

-- One row per alert per recipient. The unique key makes a second arming a no-op, and the nonce makes a
-- retried send after a crash come back as the same Discord message instead of a duplicate.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    milestone_id     INTEGER NOT NULL REFERENCES milestones (id) ON DELETE CASCADE,
    lead_seconds     INTEGER NOT NULL,
    target_at        INTEGER NOT NULL,  -- the milestone instant this alert was planned for
    fire_at          INTEGER NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'superseded')),
    nonce            TEXT    NOT NULL UNIQUE,
    channel_id       INTEGER,
    message_id       INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (subscription_id, milestone_id, lead_seconds)
);
CREATE INDEX deliveries_due ON deliveries (state, fire_at);

CREATE TABLE user_settings (
    user_id     INTEGER PRIMARY KEY,
    timezone    TEXT,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    timezone            TEXT,
    alert_channel_id    INTEGER,
    digest_channel_id   INTEGER,
    digest_local_time   TEXT,   -- 'HH:MM' wall time in the guild's zone
    updated_at          INTEGER NOT NULL
);

-- Small bits of bot state that must survive restarts (last sync, command tree hash).
CREATE TABLE bot_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

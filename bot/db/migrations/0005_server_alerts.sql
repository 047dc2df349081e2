-- Server alerts (issue 11). Reserved number 0007; 0005 and 0006 were reserved for issues that needed none, and the
-- runner wants versions without gaps, so this is 0005.
-- The Scheduled Events mirror (one switch per guild, one link per mirrored milestone) and digests (one
-- schedule per user DM or per channel, one outbox row per fire).

-- /alerts events on|off: which milestones a guild mirrors as Discord scheduled events.
CREATE TABLE guild_event_mirrors (
    guild_id       INTEGER PRIMARY KEY,
    days           INTEGER NOT NULL CHECK (days BETWEEN 1 AND 30),
    what           TEXT    NOT NULL,
    match          TEXT,
    enabled_by     INTEGER NOT NULL,   -- told by DM if the mirror later has to pause
    paused_reason  TEXT,               -- set when Discord refused (permissions): no retry until turned on again
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

-- One row per (guild, milestone) mirrored. Written before the create request goes out (discord_event_id NULL);
-- the description carries a marker with the milestone id, so an event created just before a crash is found
-- again in the guild's list and adopted rather than created twice.
CREATE TABLE guild_event_links (
    guild_id          INTEGER NOT NULL,
    milestone_id      INTEGER NOT NULL,   -- no foreign key: the Discord event must be deleted even if the row goes
    discord_event_id  INTEGER,
    start_at          INTEGER NOT NULL,   -- what Discord was last told
    end_at            INTEGER NOT NULL,
    fingerprint       TEXT    NOT NULL,   -- name, location, description as last sent
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (guild_id, milestone_id)
);

-- /digest: a compact list of what is coming, at a local wall time in the owner's zone.
CREATE TABLE digests (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL,        -- who set it (the DM recipient when channel_id is NULL)
    guild_id    INTEGER,
    channel_id  INTEGER,                 -- NULL: a DM to owner_id
    cadence     TEXT    NOT NULL CHECK (cadence IN ('daily', 'weekly')),
    weekday     INTEGER CHECK (weekday BETWEEN 0 AND 6),  -- Monday 0; weekly only
    local_time  TEXT    NOT NULL,        -- 'HH:MM'
    zone        TEXT    NOT NULL,        -- IANA zone the wall time is in
    paused_reason TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK ((cadence = 'weekly') = (weekday IS NOT NULL)),
    CHECK ((channel_id IS NULL) = (guild_id IS NULL))
);
-- One DM digest per user and cadence, one channel digest per channel and cadence.
CREATE UNIQUE INDEX digests_dm ON digests (owner_id, cadence) WHERE channel_id IS NULL;
CREATE UNIQUE INDEX digests_channel ON digests (channel_id, cadence) WHERE channel_id IS NOT NULL;

-- The outbox of digests: one row per (digest, fire slot), written before the send; the nonce makes a retried
-- send after a crash return the same message.
CREATE TABLE digest_runs (
    digest_id   INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    slot        INTEGER NOT NULL,        -- the instant (UTC epoch) of the local wall time it is for
    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    nonce       TEXT    NOT NULL UNIQUE CHECK (length(nonce) <= 25),
    channel_id  INTEGER,
    message_id  INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (digest_id, slot)
);

-- Channel alerts: a channel subscription is a subscriptions row with target 'channel' or 'thread' (0001); when
-- a post fails for good (a permission taken away) it is paused with the reason, not retried forever.
ALTER TABLE subscriptions ADD COLUMN paused_reason TEXT;

-- Forum channels get one post (thread) per mission. The row is written before the create request (thread_id
-- NULL) with the title it is created with, so a post made just before a crash is found again among the
-- guild's active threads (same forum, same title, made by the bot) instead of being made twice.
CREATE TABLE forum_posts (
    forum_id    INTEGER NOT NULL,
    mission     TEXT    NOT NULL,   -- the mission key, or 'event:<id>' for an event without one
    guild_id    INTEGER NOT NULL,
    thread_id   INTEGER,
    title       TEXT    NOT NULL,   -- as last sent to Discord
    milestone_id INTEGER NOT NULL,  -- whose name and time the title shows (retitled when it slips)
    first_nonce TEXT    NOT NULL,   -- the alert whose post made it: its starter message is that alert
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (forum_id, mission)
);

-- 0004: alerts. DM subscriptions gain the server whose hand-entered events they also cover; the deliveries
-- outbox is keyed by (recipient, milestone, lead, milestone-time version) so a lead is armed again after a
-- slip; notices (slips, holds, scrubs, outcomes) get an outbox of their own; each DM recipient has one row
-- for its cached DM channel, its mute switch and why its alerts are paused.

-- The server a subscription was made in: a DM subscription made in a server covers that server's
-- hand-entered events too (0001 had no place for it: guild_id there means a channel target's guild).
ALTER TABLE subscriptions ADD COLUMN scope_guild_id INTEGER;

-- 0001 keyed deliveries by (subscription, milestone, lead): after a slip the same lead could never be armed
-- again, and two subscriptions of one user matching one milestone would DM them twice. Nothing wrote
-- deliveries before this version, so the table is rebuilt rather than copied.
DROP TABLE deliveries;
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    recipient_id     INTEGER NOT NULL,  -- the user DMed
    subscription_id  INTEGER REFERENCES subscriptions (id) ON DELETE SET NULL,  -- the earliest that matched
    milestone_id     INTEGER NOT NULL REFERENCES milestones (id) ON DELETE CASCADE,
    lead_seconds     INTEGER NOT NULL,
    target_at        INTEGER NOT NULL,  -- the milestone instant this alert is for (its time version)
    fire_at          INTEGER NOT NULL,  -- target_at - lead_seconds: when the recipient should have it
    subscribed_at    INTEGER NOT NULL,  -- fan-out order: earliest-subscribed first
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'missed', 'failed', 'superseded')),
    late             INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    nonce            TEXT    NOT NULL UNIQUE CHECK (length(nonce) <= 25),
    channel_id       INTEGER,
    message_id       INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    UNIQUE (recipient_id, milestone_id, lead_seconds, target_at)
);
CREATE INDEX deliveries_due ON deliveries (state, fire_at);
CREATE INDEX deliveries_milestone ON deliveries (milestone_id, state);

-- One short message to a user who was already alerted: a slip (old -> new), a hold, a scrub, the outcome.
-- The unique key makes each notice once per recipient; the nonce makes a retried send the same message.
CREATE TABLE alert_notices (
    id            INTEGER PRIMARY KEY,
    recipient_id  INTEGER NOT NULL,
    milestone_id  INTEGER NOT NULL REFERENCES milestones (id) ON DELETE CASCADE,
    reason        TEXT    NOT NULL CHECK (reason IN ('moved', 'hold', 'tbd', 'outcome')),
    key           TEXT    NOT NULL,  -- what it is about, e.g. '1700000000>1700003600' or 'success'
    body          TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    nonce         TEXT    NOT NULL UNIQUE CHECK (length(nonce) <= 25),
    channel_id    INTEGER,
    message_id    INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (recipient_id, milestone_id, reason, key)
);
CREATE INDEX alert_notices_state ON alert_notices (state);

-- Per DM recipient: the DM channel (so a DM costs one request), the Mute all switch, and a pause with its
-- reason (DMs closed) shown in /subscriptions until the user changes something.
CREATE TABLE alert_recipients (
    user_id        INTEGER PRIMARY KEY,
    dm_channel_id  INTEGER,
    muted          INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    paused_reason  TEXT,
    paused_at      INTEGER,
    updated_at     INTEGER NOT NULL
);

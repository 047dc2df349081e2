-- 0002: Launch Library 2 sync: the request log behind the hourly budget, and a log of sync runs.

-- One row per request sent to LL2 that counts against its rate limit (not /api-throttle/). Written *before*
-- the request goes out, so a crash between sending and recording can never under-count; the rolling-hour
-- budget is a count of rows in the last hour, which survives restarts and is shared by the bot and the CLI.
CREATE TABLE ll2_requests (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,   -- epoch seconds UTC when the request was sent
    endpoint  TEXT    NOT NULL,   -- path without host and query, e.g. /launches/upcoming/
    status    INTEGER             -- HTTP status once answered; NULL if no answer came
);
CREATE INDEX ll2_requests_at ON ll2_requests (at);

-- One row per sync attempt, for /about and for diagnosing a quiet feed.
CREATE TABLE ll2_sync_runs (
    id          INTEGER PRIMARY KEY,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    requests    INTEGER NOT NULL,
    changes     INTEGER NOT NULL,
    error       TEXT
);
CREATE INDEX ll2_sync_runs_started ON ll2_sync_runs (started_at);

-- When each launch's detail (/launches/<id>/) was last fetched: for webcast start times, and to learn what
-- became of a launch that left the upcoming list. Keyed by our source_id ('launch:<uuid>').
CREATE TABLE ll2_detail_fetches (
    source_id   TEXT    PRIMARY KEY,
    fetched_at  INTEGER NOT NULL,
    status      INTEGER            -- HTTP status of the last fetch
);

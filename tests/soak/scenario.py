"""The soak's script: what upstream (LL2) says over a simulated stretch, and who subscribed to what.

A seeded RNG writes, for a launch every 3 hours and a station event (spacewalk or docking) every ~10 hours,
its *versions*: the time, status and precision upstream shows from each instant on (announced, slips of
minutes far out and near T-0, holds that release, scrubs to TBD, slips of days, withdrawals, liftoff then
Success; a station event's time passing). Every version change keeps out of a margin before each fire instant
it affects (the old time's and the new time's, for every lead any subscription uses): the bot learns a
change within minutes near T-0 and within a couple of hours far out (bot/ll2/schedule.py), so with the margin
the oracle can say exactly what was owed without modelling when the bot polled.

Beside the upstream timeline (from a second RNG, so the timeline of a seed is the same with or without them):
two downtimes of the bot spanning fire instants (one whose alerts are still ahead of their milestone when it
is back: sent late-marked; one across a liftoff: its alerts recorded missed), a few minutes of Discord
answering 503 around a fire instant, "Alert me" presses on launches and dockings, users who mute their
alerts (some unmuting later), weekly DM digests, daily and weekly channel digests in each server's zone, and
the Scheduled Events mirror with non-default options. Each is kept off the instants where it could race the
bot (fire instants, milestone times, digest slots, checkpoints, changes the bot has not seen yet), so what it
changes is exact too.
"""

from __future__ import annotations

import bisect
import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakell2.server import load_fixture

MIN, HOUR, DAY = 60, 3_600, 86_400
# The bot sees a change within this long: near T-0 (the focused polls: 5 min, up to ~25 min when two feeds
# share the focus) and far out (a regular sync every 60-120 min, plus a wait for the budget).
NEAR_MARGIN = 27 * MIN
FAR_MARGIN = 150 * MIN
FOCUS = 2 * HOUR + 10 * MIN
# A change this close after a fire instant could race the fan-out: kept out too.
BEFORE_MARGIN = 3 * MIN
# A launch with a webcast: coverage starts this long before liftoff (its main stream's start_time).
COVERAGE_BEFORE = 45 * MIN
LIFTOFF_KIND, COVERAGE_KIND = "liftoff", "coverage start"

# Status words the oracle reads (LL2 ids in the records).
GO, TBD, HOLD, IN_FLIGHT, SUCCESS, SCHEDULED = "go", "tbd", "hold", "in flight", "success", "scheduled"
_STATUS_IDS = {GO: (1, "Go for Launch"), TBD: (2, "To Be Determined"), SUCCESS: (3, "Launch Successful")}
_STATUS_IDS |= {HOLD: (5, "On Hold"), IN_FLIGHT: (6, "Launch in Flight")}
LAUNCH, SPACEWALK, DOCKING = "launch", "spacewalk", "docking"

PROVIDERS = (
    ("SpaceX", "Falcon 9 Block 5"),
    ("Rocket Lab", "Electron"),
    ("United Launch Alliance", "Vulcan VC4S"),
    ("Arianespace", "Ariane 64"),
)
STATIONS = ("International Space Station", "Tiangong")
# The agency of every simulated docking's spacecraft (the docking record's provider).
DOCKING_AGENCY = "Soak Cargo Agency"

# DM subscription kinds: (what, match, leads in seconds), the brief's examples among them.
DM_KINDS: tuple[tuple[str, str | None, tuple[int, ...]], ...] = (
    ("liftoff", "SpaceX", (DAY, 15 * MIN)),  # 24 h and 15 min before every SpaceX liftoff
    ("docking", "International Space Station", (HOUR, 10 * MIN)),  # 1 h and 10 min before every ISS docking
    ("liftoff", None, (HOUR, 10 * MIN)),
    ("spacewalk", None, (2 * HOUR,)),
    ("all", None, (HOUR,)),
    ("liftoff", "Rocket Lab", (10 * MIN,)),
    ("coverage", None, (10 * MIN,)),  # 10 min before every webcast starts
)
CHANNEL_KINDS: tuple[tuple[str, str | None, tuple[int, ...]], ...] = (
    ("liftoff", None, (HOUR,)),
    ("all", None, (HOUR, 10 * MIN)),
    ("docking", None, (HOUR,)),
    ("liftoff", "SpaceX", (DAY,)),
)
ALL_LEADS = sorted({lead for kinds in (DM_KINDS, CHANNEL_KINDS) for _, _, leads in kinds for lead in leads})
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
DIGEST_TIMES = ("08:00", "07:30", "18:15", "12:00")
CHANNEL_TYPES = ("text", "announcement", "forum", "thread")
# "Alert me": the mission's liftoff, docking and coverage start, at the default leads (README "Alerts").
MISSION_LEADS = (HOUR, 10 * MIN)
MISSION_KINDS = frozenset({LIFTOFF_KIND, "docking", COVERAGE_KIND})
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Version:
    """What upstream shows of one item from ``since`` on (until the next version)."""

    since: int
    at: int
    status: str
    precise: bool = True  # Minute precision (False: Day)
    listed: bool = True  # False: withdrawn (gone from the list, its detail 404s)
    over: bool = False  # a station event whose time passed (no longer upcoming)


@dataclass
class Item:
    """One launch or station event and its versions."""

    index: int
    kind: str  # LAUNCH, SPACEWALK or DOCKING
    name: str
    provider: str | None
    vehicle: str | None
    mission: str | None
    station: str | None
    versions: list[Version] = field(default_factory=list)
    coverage: bool = False  # a launch whose webcast has a start time: a second milestone, coverage start

    def milestones(self, v: Version) -> list[tuple[str, int]]:
        """(kind label, time) of each milestone of the item in version ``v``."""
        first = {LAUNCH: LIFTOFF_KIND, SPACEWALK: "spacewalk", DOCKING: "docking"}[self.kind]
        out = [(first, v.at)]
        if self.coverage:
            out.append((COVERAGE_KIND, v.at - COVERAGE_BEFORE))
        return out

    @property
    def source_key(self) -> str:
        return f"{self.kind}:{self.index}"

    def haystack(self) -> list[str]:
        """The fields a subscription's ``match`` text is looked for in (README: provider, rocket, station,
        mission or event name)."""
        return [f for f in (self.provider, self.vehicle, self.station, self.mission, self.name) if f]

    def version_at(self, t: int) -> Version | None:
        """The version upstream shows at ``t`` (None before it is announced)."""
        found = None
        for v in self.versions:
            if v.since <= t:
                found = v
        return found


@dataclass(frozen=True)
class DmSub:
    user: int  # index into the subscribers
    what: str
    match: str | None
    leads: tuple[int, ...]


@dataclass(frozen=True)
class ChannelSub:
    guild: int  # index into the guilds
    channel: int  # index into the guild's channels
    channel_type: str
    role: bool
    what: str
    match: str | None
    leads: tuple[int, ...]


@dataclass(frozen=True)
class DigestSpec:
    user: int
    zone: str
    local_time: str
    cadence: str = "daily"
    weekday: int | None = None  # weekly: Monday = 0


@dataclass(frozen=True)
class ChannelDigestSpec:
    """A server's digest in one of its text channels, at a local time in the server's zone."""

    guild: int
    local_time: str
    cadence: str = "daily"
    weekday: int | None = None


@dataclass(frozen=True)
class MirrorSpec:
    """The Scheduled Events mirror of one guild, with its `/alerts events on` options."""

    guild: int
    days: int = 7
    what: str = "liftoff and docking"
    match: str | None = None


@dataclass(frozen=True)
class Window:
    """A stretch of simulated time [start, end): the bot down (``why`` "late" or "missed": what its alerts are
    meant to become), or Discord answering 503 (``why`` "5xx")."""

    start: int
    end: int
    why: str


@dataclass(frozen=True)
class MissionPress:
    """A user pressing "Alert me" under one item (an index into ``Scenario.items``) at ``at``."""

    user: int
    item: int
    at: int


@dataclass(frozen=True)
class Mute:
    """A user pressing Mute all at ``start`` and Unmute at ``end`` (None: never)."""

    user: int
    start: int
    end: int | None


@dataclass
class Scenario:
    """The whole script of one run."""

    seed: int
    start: int
    end: int
    items: list[Item]
    users: int
    dm_subs: list[DmSub]
    guilds: int
    channels_per_guild: list[list[str]]  # channel types per guild
    channel_subs: list[ChannelSub]
    mirrors: list[MirrorSpec]
    digests: list[DigestSpec]
    channel_digests: list[ChannelDigestSpec] = field(default_factory=list)
    guild_zones: list[str] = field(default_factory=list)
    downtimes: list[Window] = field(default_factory=list)
    faults: list[Window] = field(default_factory=list)
    presses: list[MissionPress] = field(default_factory=list)
    mutes: list[Mute] = field(default_factory=list)

    @property
    def mirror_guilds(self) -> list[int]:
        return [m.guild for m in self.mirrors]

    def changes(self) -> list[tuple[int, Item, Version]]:
        """Every upstream change (the first version of each item included: its announcement), in time order."""
        out = [(v.since, item, v) for item in self.items for v in item.versions]
        return sorted(out, key=lambda c: (c[0], c[1].kind, c[1].index))


def _clear(item_versions: list[Version], candidate: Version, change_at: int) -> bool:
    """Does a change at ``change_at`` to ``candidate`` keep out of every margin (old and new fire instants)?"""
    old = item_versions[-1] if item_versions else None
    near = old is not None and old.precise and old.at - FOCUS <= change_at <= old.at + 10 * MIN
    margin = NEAR_MARGIN if near else FAR_MARGIN
    if old is not None and change_at < old.since + margin + BEFORE_MARGIN:
        return False  # the bot must have seen the previous version
    if any(v.at == candidate.at for v in item_versions) and (old is None or candidate.at != old.at):
        return False  # back to a time it had before: kept out (the oracle's keys are per time)
    for version in (old, candidate):
        if version is None:
            continue
        for offset in (0, COVERAGE_BEFORE):  # the liftoff's fire instants and the coverage start's
            for lead in ALL_LEADS:
                fire = version.at - offset - lead
                if change_at - BEFORE_MARGIN <= fire <= change_at + margin:
                    return False
    return True


def _launch_versions(rng: random.Random, start: int, end: int, t0: int) -> list[Version]:
    # Known before the run starts (the bot's first sync reads it), or announced 3 days ahead.
    announce = max(start - HOUR, t0 - 3 * DAY - rng.randint(0, 6) * HOUR)
    versions = [Version(announce, t0, GO)]

    def attempt(lo: int, hi: int, make: Any, tries: int = 30) -> bool:
        for _ in range(tries):
            if hi <= lo:
                return False
            at = rng.randint(lo, hi)
            candidate = make(at)
            if _clear(versions, candidate, at):
                versions.append(replace_since(candidate, at))
                return True
        return False

    cur = versions[-1]
    # Withdrawn far ahead: the launch disappears, its detail 404s.
    withdraw = lambda at: Version(at, cur.at, GO, listed=False)  # noqa: E731
    if rng.random() < 0.12 and attempt(announce + HOUR, cur.at - DAY - 12 * HOUR, withdraw):
        return versions
    if rng.random() < 0.5:  # a slip of minutes far out
        delta = rng.choice((-1, 1)) * rng.randint(3, 30) * MIN
        attempt(announce + 30 * MIN, cur.at - FOCUS - 30 * MIN, lambda at: Version(at, cur.at + delta, GO))
    for _ in range(rng.choice((0, 1, 1, 2))):  # slips of minutes near T-0
        cur = versions[-1]
        delta = rng.choice((-1, 1, 1)) * rng.randint(3, 30) * MIN
        attempt(
            cur.at - FOCUS + MIN,
            cur.at - 2 * MIN,
            lambda at, c=cur, d=delta: Version(at, max(c.at + d, at + 40 * MIN), GO),
        )
    cur = versions[-1]
    ending = rng.choices(("fly", "hold", "scrub", "days"), weights=(5, 2, 1, 1))[0]
    if ending == "hold":
        if attempt(cur.at - 60 * MIN, cur.at - 2 * MIN, lambda at: Version(at, cur.at, HOLD)):
            held = versions[-1]
            # Held long enough for the bot to have seen the hold before the new T-0 comes.
            resume = held.since + NEAR_MARGIN + BEFORE_MARGIN + rng.randint(0, 20) * MIN
            new_at = max(cur.at, resume) + rng.randint(5, 30) * MIN
            # The release must keep clear of the new time's fire instants too: try a few new times.
            for extra in range(0, 120, 10):
                candidate = Version(resume, new_at + extra * MIN, GO)
                if _clear(versions, candidate, resume):
                    versions.append(candidate)
                    break
            else:
                versions.pop()  # no release fits: no hold either
    elif ending == "scrub":
        attempt(cur.at - FOCUS + MIN, cur.at - 2 * MIN, lambda at: Version(at, cur.at + DAY, TBD, precise=False))
        if versions[-1].status == TBD:
            return versions
    elif ending == "days":
        days = rng.randint(1, 3) * DAY
        attempt(cur.at - FOCUS + MIN, cur.at - 2 * MIN, lambda at: Version(at, cur.at + days, GO))
    cur = versions[-1]
    if cur.status != GO:
        return versions
    flying = cur.at + rng.randint(20, 180)
    versions.append(Version(flying, cur.at, IN_FLIGHT))
    versions.append(Version(flying + rng.randint(8, 40) * MIN, cur.at, SUCCESS))
    return versions


def _station_versions(rng: random.Random, start: int, t0: int) -> list[Version]:
    announce = max(start - HOUR, t0 - 4 * DAY)
    versions = [Version(announce, t0, SCHEDULED)]

    def attempt(lo: int, hi: int, make: Any, tries: int = 30) -> None:
        for _ in range(tries):
            if hi <= lo:
                return
            at = rng.randint(lo, hi)
            candidate = make(at)
            if _clear(versions, candidate, at):
                versions.append(replace_since(candidate, at))
                return

    if rng.random() < 0.5:
        delta = rng.choice((-1, 1)) * rng.randint(5, 40) * MIN
        attempt(announce + 30 * MIN, t0 - FOCUS - 30 * MIN, lambda at: Version(at, t0 + delta, SCHEDULED))
    for _ in range(rng.choice((0, 1, 2))):
        cur = versions[-1]
        delta = rng.randint(-10, 40) * MIN
        attempt(
            cur.at - FOCUS + MIN,
            cur.at - 2 * MIN,
            lambda at, c=cur, d=delta: Version(at, max(c.at + d, at + 40 * MIN), SCHEDULED),
        )
    if rng.random() < 0.15:
        cur = versions[-1]
        days = rng.randint(1, 2) * DAY
        attempt(cur.at - FOCUS + MIN, cur.at - 2 * MIN, lambda at: Version(at, cur.at + days, SCHEDULED))
    cur = versions[-1]
    versions.append(Version(cur.at, cur.at, SCHEDULED, over=True))
    return versions


def replace_since(v: Version, since: int) -> Version:
    return Version(since, v.at, v.status, v.precise, v.listed, v.over)


def build(
    seed: int,
    *,
    start: datetime,
    days: float,
    users: int,
    channel_alerts: int,
    guilds: int,
    mirror_guilds: int,
    digest_users: int,
    weekly_digests: int = 0,
    channel_digests: int = 0,
    presses: int = 0,
    mutes: int = 0,
    downtimes: bool = False,
    faults: bool = False,
) -> Scenario:
    """The scenario of one run (deterministic for a seed)."""
    rng = random.Random(seed)
    t_start = int(start.timestamp())
    t_end = t_start + int(days * DAY)
    items: list[Item] = []
    # Launches every 3 h; the last ones well before the end, so everything they owe falls inside the run.
    index = 0
    t = t_start + 3 * HOUR
    while t < t_end - 4 * HOUR:
        t0 = t + rng.randint(-20, 20) * MIN
        provider, vehicle = PROVIDERS[rng.randrange(len(PROVIDERS))]
        item = Item(index, LAUNCH, f"{vehicle} Soak-{index:03d}", provider, vehicle, f"Soak mission {index}", None)
        item.versions = _launch_versions(rng, t_start, t_end, t0)
        item.coverage = rng.random() < 0.6
        items.append(item)
        index += 1
        t += 3 * HOUR
    # Station events: a spacewalk or a docking every ~10 h.
    t = t_start + 5 * HOUR
    station_index = 0
    while t < t_end - 4 * HOUR:
        t0 = t + rng.randint(0, 90) * MIN
        station = STATIONS[rng.randrange(len(STATIONS))]
        if rng.random() < 0.5:
            item = Item(station_index, SPACEWALK, f"Soak EVA {station_index}", None, None, None, station)
        else:
            craft = f"Soak Cargo {station_index}"
            item = Item(station_index, DOCKING, f"{craft} docking to {station}", DOCKING_AGENCY, craft, None, station)
        item.versions = _station_versions(rng, t_start, t0)
        items.append(item)
        station_index += 1
        t += 10 * HOUR
    dm_subs: list[DmSub] = []
    for user in range(users):
        for k in rng.sample(range(len(DM_KINDS)), rng.choice((1, 1, 2))):
            what, match, leads = DM_KINDS[k]
            dm_subs.append(DmSub(user, what, match, leads))
    channels_per_guild: list[list[str]] = [[] for _ in range(guilds)]
    channel_subs: list[ChannelSub] = []
    for n in range(channel_alerts):
        guild = n % guilds
        ctype = CHANNEL_TYPES[(n // guilds) % len(CHANNEL_TYPES)]
        channels_per_guild[guild].append(ctype)
        what, match, leads = CHANNEL_KINDS[rng.randrange(len(CHANNEL_KINDS))]
        channel_subs.append(
            ChannelSub(guild, len(channels_per_guild[guild]) - 1, ctype, rng.random() < 0.4, what, match, leads)
        )
    digests = [
        DigestSpec(u, ZONES[u % len(ZONES)], DIGEST_TIMES[(u // len(ZONES)) % len(DIGEST_TIMES)])
        for u in range(digest_users)
    ]
    # Mirrors: the first with the defaults, the others narrowed (fewer days, liftoffs only, one provider).
    mirrors = [
        MirrorSpec(g) if g == 0 else MirrorSpec(g, days=2 + g, what="liftoff", match="spacex")
        for g in range(mirror_guilds)
    ]
    scenario = Scenario(
        seed,
        t_start,
        t_end,
        items,
        users,
        dm_subs,
        guilds,
        channels_per_guild,
        channel_subs,
        mirrors,
        digests,
        guild_zones=[ZONES[(g + 2) % len(ZONES)] for g in range(guilds)],
    )
    _extras(
        scenario,
        random.Random(seed * 1_000_003 + 7),
        weekly_digests=weekly_digests,
        channel_digests=channel_digests,
        presses=presses,
        mutes=mutes,
        downtimes=downtimes,
        faults=faults,
    )
    return scenario


# -- what happens around the timeline ----------------------------------------------------------------------


def _near(instants: list[int], lo: int, hi: int) -> bool:
    """Is any of the (sorted) ``instants`` in [lo, hi]?"""
    i = bisect.bisect_left(instants, lo)
    return i < len(instants) and instants[i] <= hi


class _Calendar:
    """The instants the extras keep off: every fire instant any version could have, milestone times, digest
    slots, checkpoints, and when the bot has seen each upstream change."""

    def __init__(self, s: Scenario) -> None:
        fires: set[int] = set()
        times: set[int] = set()
        for item in s.items:
            for v in item.versions:
                for _, at in item.milestones(v):
                    times.add(at)
                    fires.update(at - lead for lead in ALL_LEADS)
        self.fires = sorted(fires)
        self.times = sorted(times)
        slots: set[int] = set()
        specs = {(d.zone, d.local_time) for d in s.digests}
        specs |= {(s.guild_zones[d.guild], d.local_time) for d in s.channel_digests}
        first = datetime.fromtimestamp(s.start, tz=UTC).date() - timedelta(days=1)
        for n in range(int((s.end - s.start) // DAY) + 3):
            day = first + timedelta(days=n)
            for zone, local in specs:  # every day's (a weekly digest's other days too: kept clear all the same)
                hour, minute = (int(p) for p in local.split(":"))
                local_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))
                slots.add(int(local_at.timestamp()))
        self.slots = sorted(slots)
        self.checkpoints = [s.start + DAY * (n + 1) for n in range(int((s.end - s.start) // DAY))] + [s.end]
        # (change instant, when the bot has surely seen it, whether it moves no fire instant, the fire instants
        # of the times it moves from and to)
        self.changes: list[tuple[int, int, bool, list[int]]] = []
        self.seen: dict[str, list[int]] = {}  # source key -> when the bot has surely seen each version
        for item in s.items:
            for i, v in enumerate(item.versions):
                old = item.versions[i - 1] if i else None
                near = old is not None and old.precise and old.at - FOCUS <= v.since <= old.at + 10 * MIN
                seen = v.since + (NEAR_MARGIN if near else FAR_MARGIN) + BEFORE_MARGIN
                moved = [
                    at - lead for x in (old, v) if x is not None for _, at in item.milestones(x) for lead in ALL_LEADS
                ]
                self.changes.append((v.since, seen, v.status in (IN_FLIGHT, SUCCESS) or v.over, moved))
                self.seen.setdefault(item.source_key, []).append(seen)
        self.busy: list[tuple[int, int]] = []  # windows already taken by an extra

    def free(self, lo: int, hi: int) -> bool:
        """May something happen at [lo, hi] (no checkpoint or other extra near)?"""
        return not _near(self.checkpoints, lo - 15 * MIN, hi + 15 * MIN) and not any(
            a - 2 * HOUR < hi and lo < b + 2 * HOUR for a, b in self.busy
        )

    def settled(self, lo: int, hi: int) -> bool:
        """Does no change the bot may not have seen at ``lo``, nor one made from ``lo`` to 30 min after ``hi``
        (but a liftoff, an outcome or a passing time), move a fire instant from ``lo`` to 30 min after ``hi``?"""
        for c, seen, benign, moved in self.changes:
            if (c < lo < seen or (lo <= c <= hi + 30 * MIN and not benign)) and any(
                lo - 3 * MIN <= f <= hi + 30 * MIN for f in moved
            ):
                return False
        return True


def _downtime(s: Scenario, cal: _Calendar, rng: random.Random, why: str) -> Window | None:
    """The bot down across fire instants: "late" spans a 1 h alert (its liftoff still ahead when the bot is
    back), "missed" spans a liftoff (its alerts are over when the bot is back)."""
    launches = [item for item in s.items if item.kind == LAUNCH and item.versions[-1].status == SUCCESS]
    rng.shuffle(launches)
    # One with a digest slot inside (caught up late at start-up) if there is one, else any.
    for with_slot in (True, False):
        for item in launches:
            at = item.versions[-1].at
            for _ in range(4):
                if why == "late":
                    down, up = at - HOUR - rng.randint(4, 9) * MIN, at - HOUR + rng.randint(6, 14) * MIN
                else:
                    down, up = at - rng.randint(13, 20) * MIN, at + rng.randint(4, 9) * MIN
                if _downtime_fits(s, cal, down, up) and (not with_slot or _near(cal.slots, down + MIN, up - 8 * MIN)):
                    cal.busy.append((down, up))
                    return Window(down, up, why)
    return None


def _downtime_fits(s: Scenario, cal: _Calendar, down: int, up: int) -> bool:
    if not s.start + 2 * HOUR <= down < up <= s.end - 3 * HOUR:
        return False
    # No fire instant at the moment it goes down or comes back; no milestone time near the return (an alert
    # is missed once its milestone is a minute over); no digest slot where its lateness would be a toss-up.
    if _near(cal.fires, down - 3 * MIN, down + MIN) or _near(cal.fires, up - MIN, up + 3 * MIN):
        return False
    if _near(cal.times, up - 3 * MIN, up + 2 * MIN) or not _near(cal.fires, down, up):
        return False
    if _near(cal.slots, down - 2 * MIN, down + MIN) or _near(cal.slots, up - 8 * MIN, up + MIN):
        return False
    return cal.free(down, up) and cal.settled(down, up)


def _fault(s: Scenario, cal: _Calendar, rng: random.Random) -> Window | None:
    """Discord answering 503 from a minute or two before a fire instant to a few minutes after it: every alert
    firing inside goes out when it is over, more than a minute after its fire instant (late-marked)."""
    # The 1 h and 10 min alerts of liftoffs at their final time (most subscriptions ask for one of them).
    finals = [(item, [v for v in item.versions if v.status == GO][-1]) for item in s.items if item.kind == LAUNCH]
    candidates = [
        v.at - lead
        for item, v in finals
        for lead in (HOUR, 10 * MIN)
        if v.since + FAR_MARGIN <= v.at - lead
        and item.version_at(v.at - lead) is v
        and v.listed
        and s.start + 2 * HOUR < v.at - lead < s.end - 3 * HOUR
    ]
    rng.shuffle(candidates)
    for fire in candidates:
        start, end = fire - rng.randint(1, 3) * MIN, fire + rng.randint(3, 6) * MIN
        # Nothing firing just before it (a fan-out in flight) or in its last 90 s (its lateness a toss-up) or
        # just after it; no milestone time before its alerts' retries are done; no digest slot in it.
        if _near(cal.fires, start - 2 * MIN, start + 10) or _near(cal.fires, end - 90, end + 3 * MIN):
            continue
        if _near(cal.times, start, end + 6 * MIN) or _near(cal.slots, start - 2 * MIN, end + 3 * MIN):
            continue
        if not cal.free(start, end):
            continue
        cal.busy.append((start, end))
        return Window(start, end, "5xx")
    return None


def _quiet_instant(s: Scenario, cal: _Calendar, rng: random.Random, lo: int, hi: int) -> int | None:
    """An instant in [lo, hi] at least 3 min from every fire instant and away from the downtimes and faults."""
    for _ in range(200):
        if hi <= lo:
            return None
        t = rng.randint(lo, hi)
        windows = s.downtimes + s.faults
        if not _near(cal.fires, t - 3 * MIN, t + 3 * MIN) and not any(
            w.start - 10 * MIN <= t <= w.end + 10 * MIN for w in windows
        ):
            return t
    return None


def _extras(
    s: Scenario,
    rng: random.Random,
    *,
    weekly_digests: int,
    channel_digests: int,
    presses: int,
    mutes: int,
    downtimes: bool,
    faults: bool,
) -> None:
    days = int((s.end - s.start) // DAY) or 1
    # Weekly DM digests (users after the daily ones), each on a weekday the run reaches.
    first = len(s.digests)
    for n in range(weekly_digests):
        u = first + n
        zone = ZONES[u % len(ZONES)]
        day = datetime.fromtimestamp(s.start + rng.randrange(days) * DAY + DAY // 2, tz=ZoneInfo(zone))
        s.digests.append(DigestSpec(u, zone, DIGEST_TIMES[n % len(DIGEST_TIMES)], "weekly", day.weekday()))
    for g in range(min(channel_digests, s.guilds)):
        local = DIGEST_TIMES[(g + 1) % len(DIGEST_TIMES)]
        if g % 2 == 0:
            s.channel_digests.append(ChannelDigestSpec(g, local))
        else:
            day = datetime.fromtimestamp(s.start + rng.randrange(days) * DAY + DAY // 2, tz=ZoneInfo(s.guild_zones[g]))
            s.channel_digests.append(ChannelDigestSpec(g, local, "weekly", day.weekday()))
    cal = _Calendar(s)
    if downtimes:
        for why in ("late", "missed"):
            window = _downtime(s, cal, rng, why)
            if window is not None:
                s.downtimes.append(window)
    if faults:
        window = _fault(s, cal, rng)
        if window is not None:
            s.faults.append(window)
    # "Alert me" under launches and dockings the bot has seen, by users who may also hold other subscriptions.
    pressable = [i for i, item in enumerate(s.items) if item.kind in (LAUNCH, DOCKING)]
    pressed: set[tuple[int, int]] = set()
    for _ in range(presses * 20):
        if len(s.presses) >= presses or not pressable:
            break
        i = rng.choice(pressable)
        user = rng.randrange(s.users)
        item = s.items[i]
        seen = cal.seen[item.source_key]
        live = [v for v in item.versions if v.status in (GO, SCHEDULED) and v.precise and v.listed and not v.over]
        if (user, i) in pressed or not live:
            continue
        at = _quiet_instant(s, cal, rng, max(s.start + 20 * MIN, seen[0]), min(live[-1].at - 20 * MIN, s.end))
        if at is None:
            continue
        v = item.version_at(at)
        # The bot has seen every version shown so far, and the item is still listed and upcoming.
        shown = [n for n, x in enumerate(item.versions) if x.since <= at]
        if v is None or not v.listed or v.over or any(seen[n] > at for n in shown):
            continue
        pressed.add((user, i))
        s.presses.append(MissionPress(user, i, at))
    s.presses.sort(key=lambda p: p.at)
    for user in rng.sample(range(s.users), min(mutes, s.users)):
        start = _quiet_instant(s, cal, rng, s.start + 30 * MIN, s.end - 6 * HOUR)
        if start is None:
            continue
        end = None
        if rng.random() < 0.6:
            end = _quiet_instant(s, cal, rng, start + 2 * HOUR, min(start + 20 * HOUR, s.end - HOUR))
        s.mutes.append(Mute(user, start, end))


# -- LL2 records ---------------------------------------------------------------------------------------


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Records:
    """Turns items' versions into LL2-shaped records (templates from the vendored fixtures)."""

    def __init__(self) -> None:
        self.launch = load_fixture("launches.json")["results"][0]
        self.event = next(e for e in load_fixture("events.json")["results"] if e["id"] == 188)
        self.docking = load_fixture("docking_events.json")["results"][0]

    def launch_id(self, item: Item) -> str:
        return f"00000000-0000-4000-9000-{item.index:012d}"

    def launch_record(self, item: Item, v: Version) -> dict[str, Any]:
        rec: dict[str, Any] = copy.deepcopy(self.launch)
        rec["id"] = self.launch_id(item)
        rec["name"] = item.name
        rec["slug"] = f"soak-{item.index}"
        for key in ("net", "window_start", "window_end"):
            rec[key] = _iso(v.at)
        rec["net_precision"] = {"id": 1, "name": "Minute"} if v.precise else {"id": 5, "name": "Day"}
        sid, sname = _STATUS_IDS[v.status]
        rec["status"] = {"id": sid, "name": sname}
        rec["launch_service_provider"] = dict(rec["launch_service_provider"], name=item.provider, abbrev=None)
        rec["rocket"] = copy.deepcopy(rec["rocket"])
        rec["rocket"]["configuration"]["name"] = item.vehicle
        rec["rocket"]["configuration"]["full_name"] = item.vehicle
        streams = []
        if item.coverage:
            start = _iso(v.at - COVERAGE_BEFORE)
            streams = [{"url": f"https://example.com/soak/{item.index}", "priority": 1, "start_time": start}]
        rec["mission"] = dict(rec["mission"], name=item.mission, vid_urls=streams)
        rec["program"] = []
        return rec

    def event_record(self, item: Item, v: Version) -> dict[str, Any]:
        rec: dict[str, Any] = copy.deepcopy(self.event)
        rec |= {"id": 7000 + item.index, "name": item.name, "slug": f"soak-eva-{item.index}", "location": item.station}
        rec |= {"date": _iso(v.at), "vid_urls": [], "launches": [], "program": []}
        rec["type"] = {"id": 3, "name": "EVA"}
        return rec

    def docking_record(self, item: Item, v: Version) -> dict[str, Any]:
        rec: dict[str, Any] = copy.deepcopy(self.docking)
        rec["id"] = 9000 + item.index
        rec["docking"] = _iso(v.at)
        rec["departure"] = None
        rec["space_station_target"] = dict(rec["space_station_target"], name=item.station)
        rec["docking_location"] = dict(rec["docking_location"], spacestation=None)
        chaser = copy.deepcopy(rec["flight_vehicle_chaser"])
        chaser["spacecraft"]["name"] = item.vehicle
        chaser["launch"] = None
        config = chaser["spacecraft"]["spacecraft_config"]
        config["agency"] = dict(config["agency"], name=item.provider, abbrev=None)
        rec["flight_vehicle_chaser"] = chaser
        return rec

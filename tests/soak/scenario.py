"""The soak's script: what upstream (LL2) says over a simulated stretch, and who subscribed to what.

A seeded RNG writes, for a launch every 3 hours and a station event (spacewalk or docking) every ~10 hours,
its *versions*: the time, status and precision upstream shows from each instant on (announced, slips of
minutes far out and near T-0, holds that release, scrubs to TBD, slips of days, withdrawals, liftoff then
Success; a station event's time passing). Every version change keeps out of a margin before each fire instant
it affects (the old time's and the new time's, for every lead any subscription uses): the bot learns a
change within minutes near T-0 and within a couple of hours far out (bot/ll2/schedule.py), so with the margin
the oracle can say exactly what was owed without modelling when the bot polled.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
CHANNEL_TYPES = ("text", "announcement", "forum")


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
    mirror_guilds: list[int]
    digests: list[DigestSpec]

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
    return Scenario(
        seed,
        t_start,
        t_end,
        items,
        users,
        dm_subs,
        guilds,
        channels_per_guild,
        channel_subs,
        list(range(mirror_guilds)),
        digests,
    )


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

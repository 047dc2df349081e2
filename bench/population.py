"""A synthetic population of subscribers for the full-size benchmarks: 100,000 subscriptions on the schedule
of ``bench/schedule.py`` (20,000 milestones).

- DM subscriptions of thousands of users, 1 to 25 each (the most a user may have), as ``/subscribe`` and the
  "Alert me" button make them: a kind of milestone, often a text to match (a provider, a rocket, a station),
  sometimes one mission; leads from the common choices (the default 1 h and 10 min, a day ahead, ...).
  Most users have their DM channel cached (they had an alert before); a few muted everything.
- Channel alerts: 20 servers with 25 each (the most a server may have), in text, announcement, thread and
  forum channels.
- Digests: a daily DM digest for one user in ten, a daily channel digest in each of the 20 servers.

Everything comes from one seeded random generator, so two runs seed the same rows. DM subscriptions are
written with one ``executemany`` (100,000 ``add_subscription`` transactions would take minutes); the rows are
exactly those ``bot.db.alerts.add_subscription`` writes (``tests/bench/test_population.py`` checks it), and
channel alerts and digests go through the bot's own functions.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.alerts.rules import DAY, DEFAULT_LEADS, HOUR, MAX_SUBSCRIPTIONS, MINUTE, MISSION_KINDS, WHAT_KINDS
from bot.channel_alerts import ChannelKind
from bot.db import Database
from bot.db import alerts as store
from bot.db.channel_alerts import MAX_PER_GUILD, add_channel_subscription
from bot.db.digests import set_digest
from bot.db.events import to_epoch
from bot.models import Event, EventStatus, MilestoneKind

SUBSCRIPTIONS = 100_000
GUILDS = 20
CHANNEL_ALERTS = GUILDS * MAX_PER_GUILD  # 500
FIRST_USER = 10_000
FIRST_GUILD = 900_000
# (weight, what): most people follow launches.
WHATS = [(40, "liftoff"), (15, "all"), (15, "coverage"), (12, "docking"), (6, "undocking"), (12, "spacewalk")]
MATCHES = ["SpaceX", "Rocket Lab", "Falcon 9", "Electron", "Long March", "Ariane", "Soyuz", "Vulcan",
           "International Space Station", "Tiangong", "ULA", "Startup Aerospace 7"]  # fmt: skip
LEADS: list[tuple[int, ...]] = [
    DEFAULT_LEADS,
    DEFAULT_LEADS,
    (HOUR,),
    (10 * MINUTE,),
    (DAY, HOUR),
    (30 * MINUTE, 5 * MINUTE),
    (DAY, HOUR, 10 * MINUTE, 0),
]


@dataclass(frozen=True, slots=True)
class DMSpec:
    """One DM subscription, as ``add_subscription`` takes it."""

    owner_id: int
    what: str
    leads: tuple[int, ...]
    created_at: int
    match: str | None = None
    mission_key: str | None = None
    label: str | None = None

    @property
    def kinds(self) -> frozenset[MilestoneKind]:
        """The milestone kinds it asks for ("Alert me": the mission's liftoff, docking and coverage start)."""
        return MISSION_KINDS if self.what == "mission" else WHAT_KINDS[self.what]


@dataclass(frozen=True, slots=True)
class Population:
    """What was seeded. ``alerting``: every subscription whose recipient may be alerted (the muted left out),
    channel alerts as DMSpecs of their channel."""

    dm: list[DMSpec]
    channel: int
    users: int
    muted: set[int]
    digests: int
    alerting: list[DMSpec]

    @property
    def total(self) -> int:
        """Subscriptions of every kind."""
        return len(self.dm) + self.channel

    def fire_times(self, events: Sequence[Event], *, since: int, after: int, until: int) -> set[int]:
        """The distinct alert fire times in (``after``, ``until``] that the seed implies, worked out here from the
        specs and the events (not by the bot's rules or tables): the bot should have one job for each.

        ``since``: when the milestones were stored (an alert whose fire time is before it is not owed).
        """
        found: set[int] = set()
        leads = {lead for s in self.alerting for lead in s.leads}
        for e in events:
            if e.status in (EventStatus.TBD, EventStatus.HOLD) or e.status.is_final:
                continue
            text = [f.casefold() for f in (e.provider, e.vehicle, e.station, e.mission, e.name) if f]
            for m in e.milestones:
                at = to_epoch(m.at)
                if not any(after < at - lead <= until and at - lead >= since for lead in leads):
                    continue
                for s in self.alerting:
                    if m.kind not in s.kinds and s.what != "all":
                        continue
                    if s.mission_key is not None and s.mission_key != e.mission_key:
                        continue
                    if s.match is not None and not any(s.match.casefold() in f for f in text):
                        continue
                    found.update(
                        at - lead
                        for lead in s.leads
                        if after < at - lead <= until and at - lead >= max(since, s.created_at)
                    )
        return found


def dm_specs(total: int, events: Sequence[Event], created_at: int, seed: int = 15) -> list[DMSpec]:
    """``total`` DM subscriptions over as many users as it takes at 1 to 25 each."""
    rnd = random.Random(seed)
    missions = [e for e in events if e.mission_key]
    weights, whats = zip(*WHATS, strict=True)
    specs: list[DMSpec] = []
    user = FIRST_USER
    while len(specs) < total:
        count = min(rnd.randint(1, MAX_SUBSCRIPTIONS), total - len(specs))
        for n in range(count):
            made = created_at + n  # a user's subscriptions in the order they made them
            if missions and rnd.random() < 0.2:
                # The "Alert me" button under a browsed launch.
                event = rnd.choice(missions)
                specs.append(DMSpec(user, "mission", DEFAULT_LEADS, made, mission_key=event.mission_key,
                                    label=event.name))  # fmt: skip
                continue
            what = rnd.choices(whats, weights)[0]
            match = rnd.choice(MATCHES) if rnd.random() < 0.6 else None
            specs.append(DMSpec(user, what, rnd.choice(LEADS), made, match=match))
        user += 1
    return specs


async def write_dm(db: Database, specs: Sequence[DMSpec], *, bulk: bool = True) -> None:
    """Store the DM subscriptions: one ``executemany`` (``bulk``) or ``add_subscription`` each."""
    if not bulk:
        for s in specs:
            await store.add_subscription(
                db, owner_id=s.owner_id, what=s.what, kinds=s.kinds,
                leads=s.leads, now=s.created_at, match=s.match, mission_key=s.mission_key, label=s.label,
            )  # fmt: skip
        return
    rows = []
    for s in specs:
        kinds = sorted(k.value for k in s.kinds)
        filters: dict[str, object] = {"what": s.what}
        for key, value in (("match", s.match), ("mission_key", s.mission_key), ("label", s.label)):
            if value is not None:
                filters[key] = value
        rows.append((s.owner_id, json.dumps(kinds), json.dumps(filters, sort_keys=True), json.dumps(list(s.leads)),
                     s.created_at))  # fmt: skip
    last: dict[int, int] = {}
    for s in specs:
        last[s.owner_id] = s.created_at
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO subscriptions (owner_id, target, kinds, filters, lead_seconds, created_at, scope_guild_id) "
            "VALUES (?, 'dm', ?, ?, ?, ?, NULL)",
            rows,
        )
        # add_subscription's recipient row: made by the first subscription, touched by each later one.
        await conn.executemany("INSERT INTO alert_recipients (user_id, updated_at) VALUES (?, ?)", sorted(last.items()))


async def seed(
    db: Database, events: Sequence[Event], now: datetime, total: int = SUBSCRIPTIONS, *, digests: bool = True
) -> Population:
    """Subscriptions made a day before ``now``: ``total`` in all, channel alerts included; DM channels, mutes
    and (if ``digests``) digests as described in the module docstring."""
    made = to_epoch(now - timedelta(days=1))
    channel = min(CHANNEL_ALERTS, total // 200)
    specs = dm_specs(total - channel, events, made)
    await write_dm(db, specs)
    rnd = random.Random(16)
    users = sorted({s.owner_id for s in specs})
    muted = {u for u in users if rnd.random() < 0.02}
    cached = [(u, 5_000_000 + u, made) for u in users if rnd.random() < 0.8]
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE alert_recipients SET dm_channel_id = ?, updated_at = ? WHERE user_id = ?",
            [(ch, t, u) for u, ch, t in cached],
        )
    for u in sorted(muted):
        await store.set_muted(db, u, True, made)
    kinds = list(ChannelKind)
    weights, whats = zip(*WHATS, strict=True)
    alerting = [s for s in specs if s.owner_id not in muted]
    for n in range(channel):
        guild = FIRST_GUILD + n // MAX_PER_GUILD
        what = rnd.choices(whats, weights)[0]
        spec = DMSpec(guild * 100 + n % MAX_PER_GUILD, what, rnd.choice(LEADS), made + n,
                      match=rnd.choice(MATCHES) if rnd.random() < 0.5 else None)  # fmt: skip
        alerting.append(spec)
        await add_channel_subscription(
            db, added_by=FIRST_USER, guild_id=guild, channel_id=spec.owner_id, kind=kinds[n % len(kinds)],
            role_id=None, what=what, kinds=spec.kinds, leads=spec.leads, match=spec.match, now=spec.created_at,
        )  # fmt: skip
    # Digest times 6-9 h after ``now``: never within the start-up catch-up window (the 2 h before now), nor due
    # during a run, so a benchmark arms them and sends none (at a fixed 07:30-09:30 UTC a run in the morning sent
    # them at start-up to users the fake does not know, which paused them, and the armed count came out short).
    dm_digests = users[::10] if digests else []
    guilds = range(min(GUILDS, -(-channel // MAX_PER_GUILD))) if digests else range(0)
    for u in dm_digests:
        await set_digest(db, owner_id=u, guild_id=None, channel_id=None, cadence="daily", weekday=None,
                         local_time=f"{(now.hour + 6 + u % 3) % 24:02d}:30", zone="UTC", now=made)  # fmt: skip
    for g in guilds:
        guild = FIRST_GUILD + g
        await set_digest(db, owner_id=FIRST_USER, guild_id=guild, channel_id=guild * 100 + 99, cadence="daily",
                         weekday=None, local_time=f"{(now.hour + 7) % 24:02d}:00", zone="UTC", now=made)  # fmt: skip
    return Population(specs, channel, len(users), muted, len(dm_digests) + len(guilds), alerting)

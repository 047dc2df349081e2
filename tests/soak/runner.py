"""Run a soak: the real TMinusBot in process on the fake Discord and the fake LL2, a real SQLite file, the wall
clock moved with time-machine (APScheduler and the bot read it), the LL2 sync loop stepped by the harness.

The harness jumps from one instant that matters to the next (an upstream change, the LL2 sync's next refresh,
the next run time of any scheduler job, a checkpoint, a restart) and lets the bot finish what is due there
(``settle``). At the end of every simulated day it reads the fake's ledger into per-message counts, checks the
scheduler's jobs and the Scheduled Events mirror against the oracle, samples resident memory, and trims the
fakes' logs (so memory measures the bot). At the end every count is compared with the oracle.
"""

from __future__ import annotations

import _sqlite3
import asyncio
import contextlib
import ctypes
import gc
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import time_machine
from pydantic import SecretStr

from bot.alerts import rules
from bot.alerts.channels import add_channel_alert
from bot.alerts.planner import HORIZON_SECONDS, NOTICE_WINDOW_SECONDS
from bot.bot import TMinusBot
from bot.channel_alerts import ChannelKind
from bot.config import Settings
from bot.db import digests as digest_store
from bot.db.alerts import add_subscription
from bot.db.events import get_event_by_source
from bot.db.settings import set_guild_timezone, set_user_timezone
from bot.digests import DigestService
from bot.guild_events import enable as enable_mirror
from bot.ll2.mapping import DOCKING_PREFIX, EVENT_PREFIX, LAUNCH_PREFIX
from bot.models import Source
from tests.fakediscord.faults import Fault, Phase
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running, fake_discord_running
from tests.fakediscord.ratelimit import Limit
from tests.fakediscord.world import (
    DEFAULT_EVERYONE,
    GUILD_ANNOUNCEMENT,
    GUILD_FORUM,
    GUILD_TEXT,
    MANAGE_EVENTS,
    PUBLIC_THREAD,
    User,
)
from tests.fakell2.server import FakeLL2
from tests.soak import oracle
from tests.soak.oracle import Digest, Key, Recipient
from tests.soak.scenario import (
    DAY,
    DOCKING,
    FAR_MARGIN,
    HOLD,
    HOUR,
    LAUNCH,
    MIN,
    MISSION_LEADS,
    SPACEWALK,
    TBD,
    Item,
    Records,
    Scenario,
    Version,
    build,
)

RETRY_DELAYS_S = (0.05, 0.1, 0.2)
RATE = 1_000.0  # requests/s: the bot's pacing and the fake's global limit (real Discord: 50)
EXPECTED_TIMERS = {"housekeeping", "alerts-reconcile", "digests-resync", "guild-events-reconcile"}
_CHANNEL_TYPES = {"text": GUILD_TEXT, "announcement": GUILD_ANNOUNCEMENT, "forum": GUILD_FORUM}
EDIT_MESSAGE = "/channels/{channel_id}/messages/{message_id}"
_KINDS = {
    "text": ChannelKind.TEXT,
    "announcement": ChannelKind.ANNOUNCEMENT,
    "forum": ChannelKind.FORUM,
    "thread": ChannelKind.THREAD,
}


# The item kinds each `/alerts events on what:` choice the scenario uses mirrors (README "Server alerts").
_MIRROR_KINDS = {"liftoff and docking": (LAUNCH, DOCKING), "liftoff": (LAUNCH,), "docking": (DOCKING,)}


class _Outage(Fault):
    """Discord answering 503 to every REST request (503: discord.py raises it at once, without its own retries
    of 500/502/504 that sleep in real time)."""

    def matches(self, method: str, template: str, params: dict[str, str], phase: Phase) -> bool:
        return phase == "before"


@dataclass
class SoakConfig:
    """The size of one run."""

    seed: int = 15
    start: datetime = datetime(2027, 3, 22, tzinfo=UTC)  # Europe's clocks go forward on Sunday 28 March 2027
    days: float = 7.0
    users: int = 1_000
    channel_alerts: int = 50
    guilds: int = 5
    mirror_guilds: int = 2
    digest_users: int = 20
    restarts: int = 2
    weekly_digests: int = 5  # DM digests, after the daily ones
    channel_digests: int = 3  # one per guild, daily and weekly in turn
    presses: int = 30  # "Alert me" presses
    mutes: int = 30  # users who mute (most unmute later)
    downtimes: bool = True  # the bot down across fire instants: once late-marked, once missed
    faults: bool = True  # Discord answering 503 for a few minutes around a fire instant


@dataclass
class SoakResult:
    """What a run found."""

    config: SoakConfig
    required: int = 0  # messages the rules call for (oracle)
    once: int = 0  # ... delivered exactly once
    missing: list[Key] = field(default_factory=list)
    duplicates: list[tuple[Key, int]] = field(default_factory=list)
    unexpected: list[Key] = field(default_factory=list)  # not owed (superseded times among them)
    unknown: list[str] = field(default_factory=list)  # messages the oracle cannot read
    job_mismatches: list[str] = field(default_factory=list)
    checkpoints: int = 0  # daily checks of the jobs and the mirror ...
    checkpoints_clean: int = 0  # ... that found nothing wrong
    mirror_mismatches: list[str] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)  # at the end of each simulated day
    sqlite_mb: list[float] = field(default_factory=list)  # ... of it, SQLite's own memory
    py_blocks: list[int] = field(default_factory=list)  # ... and Python's allocated blocks
    # ... and RSS's parts: anonymous (heap: Python's and glibc's), file-backed (libraries, the database), shared
    rss_split: list[tuple[float, float, float]] = field(default_factory=list)
    fake_messages: list[int] = field(default_factory=list)  # ... messages the fake Discord still holds
    edits: int = 0  # message edits the bot made (alerts marked superseded) ...
    edits_lost: int = 0  # ... of them answered 404: the harness had dropped a message the bot still edits
    ll2_busiest_hour: int = 0
    ll2_limit: int = 15
    ll2_429: int = 0
    violations: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    stops: int = 0
    deliveries: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # delivered messages by kind
    restarts: list[str] = field(default_factory=list)
    items: Counter[str] = field(default_factory=Counter)
    owed_kinds: Counter[str] = field(default_factory=Counter)  # owed messages by kind (late ones apart)
    extras: list[str] = field(default_factory=list)  # downtimes, faults, presses, mutes, as run

    @property
    def errors(self) -> int:
        """Missing + duplicated + unexpected deliveries (target 0)."""
        return len(self.missing) + len(self.duplicates) + len(self.unexpected) + len(self.unknown)

    @property
    def rss_growth_mb(self) -> float:
        """Resident memory growth from the end of day 1 to the end of the run."""
        return max(self.rss_mb[1:]) - self.rss_mb[0] if len(self.rss_mb) > 1 else 0.0

    def lines(self) -> list[str]:
        c = self.config
        out = [
            f"soak seed {c.seed}: {c.days:g} days from {c.start:%Y-%m-%d %H:%M} UTC, {c.users} DM subscribers, "
            f"{c.channel_alerts} channel alerts in {c.guilds} guilds, mirror on {c.mirror_guilds}, "
            f"{c.digest_users} daily digests",
            f"  scenario: {dict(self.items)}; restarts: {'; '.join(self.restarts) or 'none'}",
            f"  extras: {'; '.join(self.extras) or 'none'}",
            f"  owed by kind: {dict(sorted(self.owed_kinds.items()))}",
            f"  delivered {self.deliveries} messages ({dict(self.kinds)}); "
            f"{self.stops} stops, {self.wall_s:.0f} s wall",
            f"  owed {self.required}, delivered exactly once {self.once}; missing {len(self.missing)}, "
            f"duplicated {len(self.duplicates)}, not owed {len(self.unexpected)}, unreadable {len(self.unknown)}",
            f"  job-count mismatches {len(self.job_mismatches)}, mirror mismatches {len(self.mirror_mismatches)} "
            f"({self.checkpoints_clean} of {self.checkpoints} daily checks clean)",
            f"  RSS at each day's end (MB): {', '.join(f'{r:.1f}' for r in self.rss_mb)}; "
            f"growth after day 1 {self.rss_growth_mb:+.1f} MB; SQLite's own (MB): "
            f"{', '.join(f'{m:.1f}' for m in self.sqlite_mb)}; Python blocks (thousands): "
            f"{', '.join(str(b // 1000) for b in self.py_blocks)}",
            "  RSS anon/file/shmem (MB): "
            + ", ".join(f"{a:.1f}/{f:.1f}/{m:.1f}" for a, f, m in self.rss_split)
            + f"; messages the fake keeps for edits: {', '.join(str(n) for n in self.fake_messages)}; "
            f"edits {self.edits}, of a message already dropped {self.edits_lost}",
            f"  LL2 busiest rolling hour {self.ll2_busiest_hour}/{self.ll2_limit}, 429s {self.ll2_429}",
        ]
        out += [f"  MISSING {k}" for k in self.missing[:20]]
        out += [f"  DUPLICATE x{n} {k}" for k, n in self.duplicates[:20]]
        out += [f"  NOT OWED {k}" for k in self.unexpected[:20]]
        out += [f"  UNREADABLE {u[:120]!r}" for u in self.unknown[:10]]
        out += [f"  JOBS {m}" for m in self.job_mismatches[:20]]
        out += [f"  MIRROR {m}" for m in self.mirror_mismatches[:20]]
        out += [f"  VIOLATION {v}" for v in self.violations[:10]]
        return out


def sqlite_mb() -> float:
    """Memory SQLite itself holds (page caches, statements), in MB (0 if the library cannot be asked)."""
    try:
        # The C module's library answers sqlite3_memory_used().
        used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (OSError, AttributeError):
        return 0.0
    used.restype = ctypes.c_int64
    return float(used()) / 2**20


def rss_split() -> dict[str, float]:
    """This process's resident set size (VmRSS) and its parts (RssAnon, RssFile, RssShmem), in MB, after
    handing freed heap back to the system.

    glibc keeps freed memory in its arenas (one per thread: aiosqlite's worker, the gateway's keep-alive), so
    without the trim RSS shows the busiest day's high-water mark rather than what is still held. Only
    anonymous pages are heap; file-backed ones (libraries, the SQLite file's pages) and shared ones (a WAL
    index) are not memory the bot holds on to.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    out = dict.fromkeys(("VmRSS", "RssAnon", "RssFile", "RssShmem"), 0.0)
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in out:
            out[name] = int(value.split()[0]) / 1024
    return out


class Soak:
    """One run (see the module docstring)."""

    def __init__(self, config: SoakConfig, tmp: Path, log: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.tmp = tmp
        self.log = log or (lambda _: None)
        self.scenario: Scenario = build(
            config.seed,
            start=config.start,
            days=config.days,
            users=config.users,
            channel_alerts=config.channel_alerts,
            guilds=config.guilds,
            mirror_guilds=config.mirror_guilds,
            digest_users=config.digest_users,
            weekly_digests=config.weekly_digests,
            channel_digests=config.channel_digests,
            presses=config.presses,
            mutes=config.mutes,
            downtimes=config.downtimes,
            faults=config.faults,
        )
        self.records = Records()
        self.result = SoakResult(config)
        self.got: Counter[Key] = Counter()
        self.owed: oracle.Owed | None = None
        self.recipients: list[Recipient] = []
        self.digests: list[Digest] = []
        self.user_ids: list[int] = []
        self.channel_ids: list[int] = []
        self.guild_ids: list[int] = []
        self.traveller: Any = None
        self.changes: list[tuple[int, Item, Version]] = []  # upstream changes not yet shown by the fake LL2
        self.ll2: FakeLL2 | None = None
        self.outage: Fault | None = None

    # -- time ---------------------------------------------------------------------------------------------

    def now(self) -> float:
        return time.time()

    def move_to(self, t: float) -> None:
        """Jump forward to ``t`` (never back: time only ticks on from where it is)."""
        if t > time.time():
            self.traveller.move_to(datetime.fromtimestamp(t, tz=UTC))

    async def settle(self, bot: TMinusBot) -> None:
        """Wake the scheduler and wait until nothing the bot started is still running (4 quiet polls)."""
        bot.scheduler.wakeup()
        executor: Any = bot.scheduler._lookup_executor("default")
        quiet = 0
        deadline = time.monotonic() + 60  # a fan-out to every subscriber at the paced rate takes a few seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(0.001)
            busy = not bot.alerts.idle or bool(executor._pending_futures)
            start = getattr(bot, "_alerts_start", None)
            busy = busy or (start is not None and not start.done())
            for cog in bot.cogs.values():
                tasks: set[asyncio.Task[Any]] = getattr(cog, "_tasks", set())
                started: asyncio.Task[Any] | None = getattr(cog, "started", None)
                busy = busy or any(not t.done() for t in tasks) or (started is not None and not started.done())
            quiet = 0 if busy else quiet + 1
            if quiet >= 4:
                return
        raise AssertionError("the bot did not settle within 60 s")

    def next_run(self, bot: TMinusBot) -> float:
        """When the scheduler runs its next job. An alert job runs ahead of its fire instant by its fan-out's
        length at the paced rate (so the last recipient has it on time); the harness wakes it just before the
        fire instant instead, so the fan-out's slots are not waited for in real time (the pacing itself is
        measured in bench/bench_alerts.py, not here)."""
        runs: list[float] = []
        for job in bot.scheduler.get_jobs():
            if job.next_run_time is None:
                continue
            at = float(job.next_run_time.timestamp())
            if job.id.startswith("alert:"):
                at = max(at, int(job.id.removeprefix("alert:")) - 0.05)
            runs.append(at)
        return min(runs)

    # -- the upstream -------------------------------------------------------------------------------------

    def apply(self, ll2: FakeLL2, item: Item, v: Version) -> None:
        """Make the fake LL2 show version ``v`` of ``item``."""
        if item.kind == LAUNCH:
            rec_id = self.records.launch_id(item)
            ll2.launches = [x for x in ll2.launches if x["id"] != rec_id]
            if v.listed:
                ll2.launches.append(self.records.launch_record(item, v))
        elif item.kind == SPACEWALK:
            if not v.over:  # a time that passed needs no edit: LL2 no longer lists it as upcoming
                rec = self.records.event_record(item, v)
                ll2.events = [e for e in ll2.events if e["id"] != rec["id"]] + [rec]
        elif not v.over:
            rec = self.records.docking_record(item, v)
            ll2.dockings = [d for d in ll2.dockings if d["id"] != rec["id"]] + [rec]

    # -- the world ----------------------------------------------------------------------------------------

    def build_world(self, fake: FakeDiscordWithScene) -> None:
        world = fake.world
        s = self.scenario
        self.owner_id = world.owner.id
        self.users = [world.create_user(f"fan{n}") for n in range(s.users)]
        self.user_ids = [u.id for u in self.users]
        self.roles: dict[int, int] = {}
        for g, types in enumerate(s.channels_per_guild):
            perms = DEFAULT_EVERYONE | (MANAGE_EVENTS if g in s.mirror_guilds else 0)
            guild = world.create_guild(f"Soak guild {g}", bot_permissions=perms)
            self.guild_ids.append(guild.id)
            self.roles[g] = world.create_role(guild, "launch-fans", 0, mentionable=True).id
            for n, ctype in enumerate(types):
                if ctype == "thread":  # a thread of a text channel: the alerts go into the thread itself
                    parent = world.create_channel(guild, f"talk-{n}", type=GUILD_TEXT)
                    thread = world.create_channel(guild, f"alerts-{n}", type=PUBLIC_THREAD, parent=parent)
                    thread.owner_id = world.owner.id
                else:
                    world.create_channel(guild, f"alerts-{n}", type=_CHANNEL_TYPES[ctype])
        self.channels_by_guild = [
            [c.id for c in world.guilds[gid].channels.values() if (c.name or "").startswith("alerts-")]
            for gid in self.guild_ids
        ]
        self.digest_channels = {
            d.guild: world.create_channel(world.guilds[self.guild_ids[d.guild]], "digest", type=GUILD_TEXT).id
            for d in s.channel_digests
        }

    async def subscribe(self, bot: TMinusBot) -> None:
        """Every subscription, channel alert, mirror and digest, through the core calls the commands use."""
        s = self.scenario
        now = int(self.now())
        quiet = {m.user: ((m.start, m.end or 2**62),) for m in s.mutes}
        for sub in s.dm_subs:
            owner = self.user_ids[sub.user]
            await add_subscription(
                bot.db,
                owner_id=owner,
                what=sub.what,
                kinds=rules.WHAT_KINDS[sub.what],
                leads=sub.leads,
                now=now,
                match=sub.match,
            )
            self.recipients.append(
                Recipient(f"user:{owner}", sub.what, sub.match, sub.leads, now, quiet=quiet.get(sub.user, ()))
            )
        for press in s.presses:  # made during the run (see press()); owed from the press on
            item = s.items[press.item]
            owner = self.user_ids[press.user]
            self.recipients.append(
                Recipient(
                    f"user:{owner}",
                    "mission",
                    None,
                    MISSION_LEADS,
                    press.at,
                    item=item.source_key,
                    quiet=quiet.get(press.user, ()),
                )
            )
        owner_id = self.owner_id
        for cs in s.channel_subs:
            channel_id = self.channels_by_guild[cs.guild][cs.channel]
            leads = ", ".join(f"{lead // 3_600}h" if lead % 3_600 == 0 else f"{lead // 60}m" for lead in cs.leads)
            await add_channel_alert(
                bot.db,
                added_by=owner_id,
                guild_id=self.guild_ids[cs.guild],
                channel_id=channel_id,
                kind=_KINDS[cs.channel_type],
                role_id=self.roles[cs.guild] if cs.role else None,
                what=cs.what,
                match=cs.match,
                leads=leads,
                now=now,
            )
            self.recipients.append(Recipient(f"channel:{channel_id}", cs.what, cs.match, cs.leads, now))
        for mirror in s.mirrors:
            await enable_mirror(
                bot.db,
                guild_id=self.guild_ids[mirror.guild],
                days=mirror.days,
                what=mirror.what,
                match=mirror.match,
                user_id=owner_id,
                now=now,
            )
        stamp = datetime.fromtimestamp(now, tz=UTC)
        for g, zone in enumerate(s.guild_zones):
            await set_guild_timezone(bot.db, self.guild_ids[g], zone, now=stamp)
        for cd in s.channel_digests:
            zone = s.guild_zones[cd.guild]
            channel_id = self.digest_channels[cd.guild]
            await digest_store.set_digest(
                bot.db,
                owner_id=owner_id,
                guild_id=self.guild_ids[cd.guild],
                channel_id=channel_id,
                cadence=cd.cadence,
                weekday=cd.weekday,
                local_time=cd.local_time,
                zone=zone,
                now=now,
            )
            self.digests.append(Digest(f"channel:{channel_id}", zone, cd.local_time, now, cd.cadence, cd.weekday))
        for d in s.digests:
            owner = self.user_ids[d.user]
            await set_user_timezone(bot.db, owner, d.zone, now=datetime.fromtimestamp(now, tz=UTC))
            await digest_store.set_digest(
                bot.db,
                owner_id=owner,
                guild_id=None,
                channel_id=None,
                cadence=d.cadence,
                weekday=d.weekday,
                local_time=d.local_time,
                zone=d.zone,
                now=now,
            )
            self.digests.append(Digest(f"user:{owner}", d.zone, d.local_time, now, d.cadence, d.weekday))
        service = self.digest_service(bot)
        await service.sync_jobs()
        bot.alerts.hint()

    def actions(self) -> list[tuple[int, str, int]]:
        """(instant, what, index) of what users and Discord do during the run: "Alert me" presses, Mute all and
        Unmute, the start and end of each Discord outage."""
        s = self.scenario
        out = [(p.at, "press", n) for n, p in enumerate(s.presses)]
        for n, m in enumerate(s.mutes):
            out.append((m.start, "mute", n))
            if m.end is not None:
                out.append((m.end, "unmute", n))
        for n, w in enumerate(s.faults):
            out += [(w.start, "outage", n), (w.end, "recovery", n)]
        return sorted(out)

    def source_id(self, item: Item) -> str:
        """The bot's source id of an item's LL2 record."""
        if item.kind == LAUNCH:
            return LAUNCH_PREFIX + self.records.launch_id(item)
        if item.kind == SPACEWALK:
            return f"{EVENT_PREFIX}{7000 + item.index}"
        return f"{DOCKING_PREFIX}{9000 + item.index}"

    async def act(self, bot: TMinusBot, fake: FakeDiscordWithScene, what: str, n: int) -> None:
        """Do one action as a user would: ``/launch`` then its Alert me button, ``/subscriptions`` then Mute all
        or Unmute (in a DM with the bot, through the fake); or start or end an outage."""
        s = self.scenario
        now = int(self.now())
        if what == "press":
            press = s.presses[n]
            item = s.items[press.item]
            stored = await get_event_by_source(bot.db, Source.LL2, self.source_id(item))
            if stored is None:
                self.result.violations.append(f"Alert me: {item.name} is not in the bot's data at {now}")
                return
            user = self.users[press.user]
            shown = await fake.slash("launch", user=user, options={"name": item.name})
            await self._press(fake, shown.original, f"tm:alertme:{stored.id}", user, "I'll DM you before")
        elif what in ("mute", "unmute"):
            user = self.users[s.mutes[n].user]
            shown = await fake.slash("subscriptions", user=user)
            on = what == "mute"
            await self._press(fake, shown.original, f"tm:sub:mute:{int(on)}", user, "Muted" if on else "Your alerts")
        elif what == "outage":
            self.outage = fake.faults.add(_Outage("POST", "*", status=503, times=None))
        elif self.outage is not None:
            fake.faults.faults.remove(self.outage)
            self.result.extras.append(f"outage {n}: {len(self.outage.hits)} requests answered 503")
            self.outage = None

    async def _press(
        self, fake: FakeDiscordWithScene, message: dict[str, Any] | None, custom_id: str, user: User, says: str
    ) -> None:
        if message is None:
            self.result.violations.append(f"no message to press {custom_id} on")
            return
        result = await fake.press_button(message, custom_id, user=user)
        answer = result.original or {}
        text = f"{answer.get('content')} {answer.get('embeds')}"
        # The fake keeps every interaction it ran (for tests that read them back): not the bot's memory.
        fake.interactions.clear()
        fake._by_token.clear()
        if says not in text:
            self.result.violations.append(f"{custom_id} by {user.id} answered {text[:200]!r}")

    def digest_service(self, bot: TMinusBot) -> DigestService:
        services = [getattr(c, "service", None) for c in bot.cogs.values()]
        return next(s for s in services if isinstance(s, DigestService))

    def plan_restarts(self) -> list[tuple[int, int, str]]:
        """(down, up, why): one restart shortly before a busy fire instant (down and up again before it), one
        during the fan-out of another (the harness closes the bot once its first sends are out). Each away from
        other fire instants and upstream changes, so the downtime spans nothing the oracle times."""
        s = self.scenario
        fires: Counter[int] = Counter()
        for item in s.items:
            for r in self.recipients:
                for kind in oracle.kinds_of(item):
                    fires.update(fire for fire, _, _ in oracle.owed_alerts(item, r, s.end, kind))
        changes = [c for c, _, _ in s.changes()]
        out: list[tuple[int, int, str]] = []
        for n in range(self.config.restarts):
            aim = s.start + (s.end - s.start) * (n + 1) // (self.config.restarts + 1)
            busy = [f for f, count in fires.items() if s.start + HOUR < f < s.end - HOUR and count >= 10]
            for fire in sorted(busy, key=lambda f: abs(f - aim)):
                near = [f for f in fires if f != fire and abs(f - fire) < 10 * MIN]
                if (
                    near
                    or any(abs(c - fire) < 30 * MIN for c in changes)
                    or any(abs(d - fire) < HOUR for d, _, _ in out)
                    or any(w.start - HOUR < fire < w.end + HOUR for w in (*s.downtimes, *s.faults))
                ):
                    continue
                if n % 2 == 0:
                    out.append((fire - 4 * MIN, fire - 2 * MIN, "before a fire instant"))
                else:
                    out.append((fire - 30, fire + 40, "during a fan-out"))
                break
        return out

    # -- reading what was delivered ------------------------------------------------------------------------

    def harvest(self, fake: FakeDiscordWithScene) -> None:
        """Count every message the fake's ledger holds by its key, then empty the ledger."""
        world = fake.world
        for d in fake.ledger.deliveries:
            if d.recipient_id is not None:
                target = f"user:{d.recipient_id}"
            else:
                channel = world.channels.get(d.channel_id)
                parent = world.channels.get(channel.parent_id) if channel is not None and channel.parent_id else None
                # A forum's mission posts count as the forum's; a thread with its own alerts is its own target.
                forum = parent is not None and parent.type == GUILD_FORUM
                target = f"channel:{parent.id if parent is not None and forum else d.channel_id}"
            key = oracle.key_of(target, d.content)
            self.result.deliveries += 1
            if key is None:
                self.result.unknown.append(d.content)
                continue
            self.result.kinds[kind_label(key)] += 1
            # Counted in the table made from the oracle before the run (so the harness's own memory does not
            # grow with the deliveries it reads); only a message nobody owed is a new entry.
            self.got[key] += 1
        fake.ledger.deliveries.clear()
        edits = [r for r in fake.requests if r.method == "PATCH" and r.template == EDIT_MESSAGE]
        self.result.edits += len(edits)
        self.result.edits_lost += sum(1 for r in edits if r.status == 404)
        fake.ledger.replays.clear()
        fake.ledger._by_id.clear()

    def trim(self, fake: FakeDiscordWithScene, ll2: FakeLL2) -> None:
        """Drop what the fakes keep that the bot no longer needs, so memory measures the bot.

        Kept: the messages the bot may still edit. It edits only alerts (marked superseded when their time
        moves), and only those sent within the reconcile's notice window, so an alert is kept while it is that
        recent and its item's time may still change upstream. Notices, digests and older alerts are never
        edited: keeping every message naming a moving item held thousands of the fake's message objects
        (~4 KB each), a number that followed the scenario's items in flight (3,600 at day 1's end, 6,400 at
        day 3's) and made most of the soak's memory growth after day 1.
        """
        now = self.now()
        still_moving = {item.name for item in self.scenario.items if any(v.since > now for v in item.versions)}
        since = now - NOTICE_WINDOW_SECONDS - HOUR  # an hour's slack over the window the reconcile reads
        for messages in fake.world.messages.values():
            for message_id in [mid for mid, m in messages.items() if not _editable(m, still_moving, since)]:
                del messages[message_id]
        fake.requests.clear()
        fake.ratelimiter.hits.clear()
        fake.gateway.frames_received.clear()
        for session in fake.gateway.sessions.values():
            del session.sent[:-100]  # kept for a RESUME: the latest are enough
        window = fake.nonce_window_s
        fake._nonces = {k: v for k, v in fake._nonces.items() if fake.now_s() - v[0] < 2 * window}
        hour_ago = datetime.fromtimestamp(now - 3_600, tz=UTC)
        ll2.seen = [s for s in ll2.seen if s.at >= hour_ago]

    # -- checks at checkpoints ----------------------------------------------------------------------------

    def check_jobs(self, bot: TMinusBot) -> None:
        """Alert jobs equal the oracle's fire instants ahead (within the planner's window); other jobs as planned."""
        now = self.now()
        unsettled = {
            item.name for item in self.scenario.items if any(now - FAR_MARGIN < v.since <= now for v in item.versions)
        }
        wanted = oracle.alert_fire_instants(self.scenario, self.recipients, int(now))
        low, high = now + 2 * MIN, now + HORIZON_SECONDS - 15 * MIN
        blurred = {f for f, names in wanted.items() if names & unsettled}
        expected = {f for f in wanted if low < f <= high and f not in blurred}
        jobs = {int(j.removeprefix("alert:")) for j in bot.alerts.jobs.alert_jobs()}
        have = {f for f in jobs if low < f <= high and f not in blurred}
        stamp = datetime.fromtimestamp(now, tz=UTC).isoformat()
        for f in sorted(expected - have):
            self.result.job_mismatches.append(f"{stamp}: no job for fire instant {f} ({sorted(wanted[f])})")
        for f in sorted(have - expected):
            self.result.job_mismatches.append(f"{stamp}: job alert:{f} owes nothing")
        for f in sorted(jobs):
            if f <= now - MIN or f > now + HORIZON_SECONDS + MIN:
                self.result.job_mismatches.append(f"{stamp}: job alert:{f} outside the planner's window")
        others = [j.id for j in bot.scheduler.get_jobs() if not j.id.startswith(("alert:", "digest:"))]
        if sorted(others) != sorted(EXPECTED_TIMERS):
            self.result.job_mismatches.append(f"{stamp}: timers {sorted(others)} != {sorted(EXPECTED_TIMERS)}")
        digest_jobs = [j.id for j in bot.scheduler.get_jobs() if j.id.startswith("digest:")]
        if len(digest_jobs) != len(self.digests) or len(set(digest_jobs)) != len(digest_jobs):
            self.result.job_mismatches.append(f"{stamp}: {len(digest_jobs)} digest jobs for {len(self.digests)}")

    def check_mirror(self, fake: FakeDiscordWithScene) -> None:
        """Each mirrored guild shows one Scheduled Event per upcoming Go item its options ask for (kind, text,
        ``days`` ahead), at its current time; none for one on hold, scrubbed or withdrawn, none its options
        leave out; never two for one."""
        now = self.now()
        stamp = datetime.fromtimestamp(now, tz=UTC).isoformat()
        for mirror in self.scenario.mirrors:
            g = mirror.guild
            guild = fake.world.guilds[self.guild_ids[g]]
            shown = [e for e in guild.scheduled_events.values() if e.get("status") == 1]
            kinds = _MIRROR_KINDS[mirror.what]
            for item in self.scenario.items:
                mine = [e for e in shown if item.name in str(e.get("name"))]
                if len(mine) > 1:
                    self.result.mirror_mismatches.append(f"{stamp} guild {g}: {len(mine)} events for {item.name}")
                needle = (mirror.match or "").casefold()
                if item.kind not in kinds or not any(needle in f.casefold() for f in item.haystack()):
                    if mine:
                        self.result.mirror_mismatches.append(f"{stamp} guild {g}: {item.name} shown, not asked for")
                    continue
                v = item.version_at(int(now))
                if v is None or any(now - FAR_MARGIN < x.since <= now for x in item.versions):
                    continue
                if mine and v.at > now + mirror.days * DAY + HOUR:
                    self.result.mirror_mismatches.append(f"{stamp} guild {g}: {item.name} beyond {mirror.days} days")
                if oracle.alive(v) and now + 30 * MIN <= v.at <= now + (mirror.days - 1) * DAY:
                    starts = [_epoch(e["scheduled_start_time"]) for e in mine]
                    if starts != [v.at]:
                        self.result.mirror_mismatches.append(f"{stamp} guild {g}: {item.name} at {v.at}: {starts}")
                elif (v.status in (HOLD, TBD) or not v.listed) and mine:
                    self.result.mirror_mismatches.append(f"{stamp} guild {g}: {item.name} ({v.status}) still shown")

    # -- the run ------------------------------------------------------------------------------------------

    async def run(self) -> SoakResult:
        wall = time.monotonic()
        s = self.scenario
        self.result.items = Counter(item.kind for item in s.items)
        with time_machine.travel(datetime.fromtimestamp(s.start - 600, tz=UTC), tick=True) as traveller:
            self.traveller = traveller
            await self._run()
        self.result.wall_s = time.monotonic() - wall
        return self.result

    async def _run(self) -> None:
        s = self.scenario
        ll2 = FakeLL2(lambda: datetime.now(UTC))
        ll2.launches, ll2.events, ll2.dockings, ll2.details = [], [], [], {}
        changes = self.changes = s.changes()
        self.ll2 = ll2
        await ll2.start()
        try:
            async with fake_discord_running() as fake:
                fake.set_rate_limits(global_limit=Limit(int(RATE), 1.0), default_limit=Limit(100_000, 1.0), routes={})
                self.build_world(fake)
                settings = Settings(
                    discord_token=SecretStr("fake-token"),
                    db_path=self.tmp / "soak.sqlite3",
                    ll2_base_url=ll2.base_url,
                    default_timezone="UTC",
                    owner_ids=frozenset({fake.world.owner.id}),
                    dev_guild_id=None,
                    discord_global_rate_limit=RATE,
                    _env_file=None,  # type: ignore[call-arg]
                )
                while changes and changes[0][0] <= self.now():
                    _, item, v = changes.pop(0)
                    self.apply(ll2, item, v)
                stack = contextlib.AsyncExitStack()
                bot = await self._start(stack, fake, settings)
                await self.subscribe(bot)
                self.owed = oracle.compute(self.scenario, self.recipients, self.digests)
                self.got = Counter(dict.fromkeys([*self.owed.required, *self.owed.optional], 0))
                ll2_due = await bot.ll2.step()
                await self.settle(bot)
                self.move_to(s.start)
                checkpoints = [s.start + DAY * (n + 1) for n in range(int((s.end - s.start) // DAY))]
                if not checkpoints or checkpoints[-1] < s.end:
                    checkpoints.append(s.end)
                # Two restarts away from fire instants (plan_restarts), and the scenario's downtimes across them.
                restarts = self.plan_restarts()
                restarts += [(w.start, w.end, f"down across fire instants ({w.why})") for w in s.downtimes]
                restarts.sort()
                actions = self.actions()
                self.describe_extras()
                # Every simulated hour the fakes' logs are read and emptied, so their growth over a busy day does
                # not raise the process's high-water mark (what the daily RSS sample should measure is the bot).
                tidy = [s.start + 3_600 * (n + 1) for n in range(int((s.end - s.start) // 3_600))]
                try:
                    while True:
                        now = self.now()
                        while changes and changes[0][0] <= now:
                            _, item, v = changes.pop(0)
                            self.apply(ll2, item, v)
                        while actions and actions[0][0] <= now:
                            _, what, n = actions.pop(0)
                            await self.act(bot, fake, what, n)
                        if ll2_due.timestamp() <= now:
                            ll2_due = await bot.ll2.step()
                        await self.settle(bot)
                        self.result.stops += 1
                        now = self.now()
                        if checkpoints and checkpoints[0] <= now:
                            checkpoints.pop(0)
                            await self._checkpoint(bot, fake, ll2)
                            if not checkpoints:
                                break
                        while tidy and tidy[0] <= now:
                            tidy.pop(0)
                            self.tidy(fake, ll2)
                        if restarts and restarts[0][0] <= now:
                            _, up, why = restarts.pop(0)
                            bot, ll2_due = await self._restart(bot, stack, fake, settings, up, why)
                            continue
                        nxt = [ll2_due.timestamp()]
                        nxt += [changes[0][0]] if changes else []
                        nxt += [checkpoints[0]] if checkpoints else []
                        nxt += [restarts[0][0]] if restarts else []
                        nxt += [actions[0][0]] if actions else []
                        nxt += [tidy[0]] if tidy else []
                        nxt += [self.next_run(bot)] if bot.scheduler.get_jobs() else []
                        self.move_to(min(nxt))
                finally:
                    await stack.aclose()
                self.harvest(fake)
                self.result.violations = [str(v) for v in fake.violations]
        finally:
            await ll2.close()
        self.result.ll2_429 = ll2.rate_limited
        self.result.ll2_busiest_hour = max(self.result.ll2_busiest_hour, ll2.max_in_any_hour())
        self.compare()

    async def _start(
        self, stack: contextlib.AsyncExitStack, fake: FakeDiscordWithScene, settings: Settings
    ) -> TMinusBot:
        bot = TMinusBot(settings)
        await stack.enter_async_context(bot)
        await stack.enter_async_context(bot_running(fake, bot))
        # The harness steps the LL2 sync itself (its loop sleeps in real time; the simulated clock jumps).
        await bot.ll2.stop()
        # The in-run retries of a send (0.5, 1, 2 s) sleep in real time: a tenth of them during the outage; the
        # spacing under test is the retry job's, on the moved clock.
        bot.alerts.dispatcher.retry_delays = RETRY_DELAYS_S
        return bot

    async def _restart(
        self,
        bot: TMinusBot,
        stack: contextlib.AsyncExitStack,
        fake: FakeDiscordWithScene,
        settings: Settings,
        up: int,
        why: str,
    ) -> tuple[TMinusBot, datetime]:
        """Close the bot (during a fan-out: once its first sends are out) and start a new one on the same
        database and fakes at ``up``."""
        if why == "during a fan-out":
            before = len(fake.ledger.deliveries)
            self.move_to(self.next_run(bot))
            bot.scheduler.wakeup()
            for _ in range(2_000):
                await asyncio.sleep(0.002)
                if len(fake.ledger.deliveries) >= before + 3:
                    break
        sent_before = len(fake.ledger.deliveries)
        await stack.aclose()
        self.result.restarts.append(
            f"{why} at {datetime.now(UTC):%d %H:%M:%S} ({len(fake.ledger.deliveries) - sent_before} sent while closing)"
        )
        self.move_to(up)
        self._upstream_until(up)  # what upstream changed while the bot was down
        bot = await self._start(stack, fake, settings)
        due = await bot.ll2.step()
        await self.settle(bot)
        return bot, due

    def _upstream_until(self, t: int) -> None:
        """Make the fake LL2 show every change up to ``t``."""
        while self.changes and self.changes[0][0] <= t:
            _, item, v = self.changes.pop(0)
            assert self.ll2 is not None
            self.apply(self.ll2, item, v)

    def describe_extras(self) -> None:
        s = self.scenario
        for w in s.downtimes:
            self.result.extras.append(f"down {_hm(w.start)}-{_hm(w.end)} ({w.why})")
        for w in s.faults:
            self.result.extras.append(f"Discord 503 {_hm(w.start)}-{_hm(w.end)}")
        unmuted = sum(m.end is not None for m in s.mutes)
        self.result.extras.append(f"{len(s.presses)} Alert me presses, {len(s.mutes)} mutes ({unmuted} unmuted)")
        weekly = sum(d.cadence == "weekly" for d in s.digests) + sum(d.cadence == "weekly" for d in s.channel_digests)
        self.result.extras.append(
            f"{len(s.digests)} DM and {len(s.channel_digests)} channel digests ({weekly} weekly); mirrors "
            + ", ".join(f"{m.days} d {m.what}{f' ~{m.match}' if m.match else ''}" for m in s.mirrors)
        )

    def tidy(self, fake: FakeDiscordWithScene, ll2: FakeLL2) -> None:
        """Read the ledger and the LL2 log, then empty what the fakes keep."""
        self.harvest(fake)
        self.result.ll2_busiest_hour = max(self.result.ll2_busiest_hour, ll2.max_in_any_hour())
        self.trim(fake, ll2)

    async def _checkpoint(self, bot: TMinusBot, fake: FakeDiscordWithScene, ll2: FakeLL2) -> None:
        wrong = len(self.result.job_mismatches) + len(self.result.mirror_mismatches)
        self.check_jobs(bot)
        self.check_mirror(fake)
        self.result.checkpoints += 1
        self.result.checkpoints_clean += wrong == len(self.result.job_mismatches) + len(self.result.mirror_mismatches)
        self.tidy(fake, ll2)
        gc.collect()
        rss = rss_split()
        self.result.rss_mb.append(rss["VmRSS"])
        self.result.rss_split.append((rss["RssAnon"], rss["RssFile"], rss["RssShmem"]))
        self.result.fake_messages.append(sum(len(m) for m in fake.world.messages.values()))
        self.result.sqlite_mb.append(sqlite_mb())
        self.result.py_blocks.append(sys.getallocatedblocks())
        self.log(
            f"{datetime.now(UTC):%a %d %H:%M} day done: {self.result.deliveries} delivered, "
            f"RSS {self.result.rss_mb[-1]:.1f} MB (SQLite {self.result.sqlite_mb[-1]:.1f} MB, "
            f"{self.result.py_blocks[-1] // 1000}k Python blocks), {self.result.stops} stops"
        )

    def compare(self) -> None:
        """Every owed message exactly once; nothing that was not owed."""
        owed = self.owed or oracle.compute(self.scenario, self.recipients, self.digests)
        r = self.result
        r.required = len(owed.required)
        r.owed_kinds = Counter(kind_label(key) for key in owed.required)
        r.owed_kinds["alert (missed, not sent)"] = len(owed.missed)
        r.owed_kinds["notice (muted, not sent)"] = len(owed.silenced)
        for key in owed.required:
            n = self.got.get(key, 0)
            if n == 0:
                r.missing.append(key)
            elif n == 1:
                r.once += 1
        for key, n in self.got.items():
            if n == 0:
                continue
            if n > 1:
                r.duplicates.append((key, n))
            elif key not in owed.required and key not in owed.optional:
                r.unexpected.append(key)


def kind_label(key: Key) -> str:
    """A message's kind for the counts: alerts and digests sent late apart."""
    late = key[0] in ("alert", "digest") and key[-1] is True
    return f"{key[0]} (late)" if late else str(key[0])


def _hm(t: int) -> str:
    return f"{datetime.fromtimestamp(t, tz=UTC):%a %H:%M}"


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _editable(message: dict[str, Any], still_moving: set[str], since: float) -> bool:
    """May the bot still edit this message of the fake's? (See :meth:`Soak.trim`.)"""
    key = oracle.key_of("", str(message.get("content") or ""))
    return key is not None and key[0] == "alert" and key[2] in still_moving and _epoch(message["timestamp"]) >= since


async def run_soak(config: SoakConfig, tmp: Path, log: Callable[[str], None] | None = None) -> SoakResult:
    """Run one soak in ``tmp`` (the database file lives there)."""
    return await Soak(config, tmp, log).run()


__all__ = ["Soak", "SoakConfig", "SoakResult", "run_soak"]

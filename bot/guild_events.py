"""The Scheduled Events mirror: upcoming launches and dockings as Discord external scheduled events.

Reconciled from the database to Discord (start-up, after every sync, on a timer): what each opted-in guild
should show is computed from the rows (:func:`wanted`), compared with what it was told (the links) and with
the guild's own list, and the difference is applied: create within ``days``, move on a slip, delete on a
scrub to an unknown date, a hold, a withdrawal, or once over. Discord's limits are respected: a start in the
future, at most 100 scheduled events per guild (others' events count too).

Never duplicated: a link row is written *before* the create request; an event created just before a crash
carries ``tminus:m<milestone id>`` in its description and is adopted from the guild's list instead of being
created again. No discord.py here: the adapter is an :class:`EventsPort`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.db import guild_events as store
from bot.db.database import Database
from bot.db.events import from_epoch, to_epoch
from bot.exceptions import InputError
from bot.inert import inert
from bot.models import EventStatus, MilestoneKind, Precision, isoformat_z
from bot.render import inert as inert_markdown
from bot.render import inert_name, truncate

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7
MAX_DAYS = 30
# Discord allows at most this many scheduled (or active) events per guild.
MAX_EVENTS_PER_GUILD = 100
# A new event starts at least this far ahead: Discord refuses a start in the past, and a request takes time.
MIN_LEAD_SECONDS = 120
DEFAULT_DURATION_SECONDS = 3_600
# A launch window longer than this is not shown as the event's length.
MAX_DURATION_SECONDS = 6 * 3_600
NAME_MAX, LOCATION_MAX, DESCRIPTION_MAX = 100, 100, 1_000
MATCH_MAX = 100
MARKER = re.compile(r"tminus:m(\d+)")

# What `/alerts events on what:` offers (default: launches and dockings, as the issue asks).
WHAT_KINDS: dict[str, frozenset[MilestoneKind]] = {
    "liftoff and docking": frozenset({MilestoneKind.LIFTOFF, MilestoneKind.DOCKING, MilestoneKind.BERTHING}),
    "liftoff": frozenset({MilestoneKind.LIFTOFF}),
    "docking": frozenset({MilestoneKind.DOCKING, MilestoneKind.BERTHING}),
    "undocking": frozenset({MilestoneKind.UNDOCKING, MilestoneKind.UNBERTHING}),
    "spacewalk": frozenset({MilestoneKind.SPACEWALK}),
    "coverage": frozenset({MilestoneKind.COVERAGE_START}),
    "all": frozenset(),
}
DEFAULT_WHAT = "liftoff and docking"
_KIND_TITLES = {
    MilestoneKind.LIFTOFF: "🚀",
    MilestoneKind.DOCKING: "Docking:",
    MilestoneKind.BERTHING: "Berthing:",
    MilestoneKind.UNDOCKING: "Undocking:",
    MilestoneKind.UNBERTHING: "Unberthing:",
    MilestoneKind.SPACEWALK: "Spacewalk:",
    MilestoneKind.COVERAGE_START: "Webcast:",
}


class EventsError(Exception):
    """Base of what the port raises."""


class MissingPermissionError(EventsError):
    """Discord refused (403): the bot lacks Manage Events; the mirror pauses."""


class UnknownEventError(EventsError):
    """The Discord event no longer exists (deleted by hand, or by Discord)."""


class LimitReachedError(EventsError):
    """The guild has 100 scheduled events."""


class TransientEventsError(EventsError):
    """5xx, timeout: try again at the next reconcile."""


class RefusedError(EventsError):
    """Discord refused this one event (a 4xx not covered above): logged, the others go on."""


class EventsPort(Protocol):
    """Discord's guild scheduled events, as the mirror needs them."""

    async def list(self, guild_id: int) -> list[dict[str, Any]]: ...

    async def create(self, guild_id: int, payload: dict[str, Any]) -> int: ...

    async def update(self, guild_id: int, event_id: int, payload: dict[str, Any]) -> None: ...

    async def delete(self, guild_id: int, event_id: int) -> None: ...


Notify = Callable[[int, str], Awaitable[None]]


class Covers(Protocol):
    """Where cover images come from (:class:`bot.covers.CoverFetcher`)."""

    async def data_uri(self, url: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Desired:
    """One scheduled event as the guild should show it."""

    milestone_id: int
    start: int
    end: int
    name: str
    location: str
    description: str
    # Sent as a cover on create only (Discord takes bytes, not a link): a new image later is not re-sent.
    image_url: str | None = None

    @property
    def fingerprint(self) -> str:
        """Changes when what the event shows (other than its times) changes."""
        text = "\x1f".join((self.name, self.location, self.description))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def payload(self, *, with_times: bool = True) -> dict[str, Any]:
        """The create / edit body."""
        body: dict[str, Any] = {
            "name": self.name,
            "privacy_level": 2,
            "entity_type": 3,
            "entity_metadata": {"location": self.location},
            "description": self.description,
        }
        if with_times:
            body["scheduled_start_time"] = isoformat_z(from_epoch(self.start))
            body["scheduled_end_time"] = isoformat_z(from_epoch(self.end))
        return body


def _silent(status: EventStatus) -> bool:
    return status in (EventStatus.HOLD, EventStatus.TBD) or status.is_final


def eligible(c: store.Candidate, mirror: store.Mirror) -> bool:
    """Should ``mirror``'s guild show ``c`` at all (kind, scope, text, a known time, a live status)?"""
    kinds = WHAT_KINDS.get(mirror.what, WHAT_KINDS[DEFAULT_WHAT])
    if kinds and c.kind not in kinds:
        return False
    if c.guild_id is not None and c.guild_id != mirror.guild_id:
        return False
    if c.gone or _silent(c.status) or c.precision.rank > Precision.HOUR.rank:
        return False
    if mirror.match:
        needle = mirror.match.casefold()
        return any(needle in f.casefold() for f in (c.provider, c.vehicle, c.mission, c.station, c.name) if f)
    return True


def desired(c: store.Candidate) -> Desired:
    """The scheduled event of ``c`` (upstream text made inert; Discord's lengths respected)."""
    end = c.at + DEFAULT_DURATION_SECONDS
    if c.kind is MilestoneKind.LIFTOFF and c.window_end and c.at < c.window_end <= c.at + MAX_DURATION_SECONDS:
        end = max(c.window_end, c.at + 15 * 60)
    prefix = _KIND_TITLES.get(c.kind, "")
    name = truncate(inert(f"{prefix} {c.name}".strip()), NAME_MAX)
    location = c.webcast_urls[0] if c.webcast_urls else (c.location or c.station or "To be announced")
    if len(location) > LOCATION_MAX:
        location = truncate(inert(c.location or "To be announced"), LOCATION_MAX)
    # Descriptions render markdown (names and titles do not): upstream text there is escaped as well.
    lines = [inert_name(c.name)]
    if c.provider or c.vehicle:
        lines.append(inert_markdown(" · ".join(p for p in (c.provider, c.vehicle) if p)))
    if c.precision is Precision.HOUR:
        lines.append("Time known to the hour only.")
    if c.description:
        lines.append("")
        lines.append(inert_markdown(c.description))
    marker = f"\n\nMirrored by T-Minus · tminus:m{c.milestone_id}"
    description = truncate("\n".join(lines), DESCRIPTION_MAX - len(marker)) + marker
    return Desired(c.milestone_id, c.at, end, name, inert(location), description, c.image_url)


def wanted(candidates: Iterable[store.Candidate], mirror: store.Mirror, now: int) -> dict[int, Desired]:
    """Milestone id -> the event ``mirror``'s guild should show now (also those already started, until they end)."""
    horizon = now + mirror.days * 86_400
    out: dict[int, Desired] = {}
    for c in candidates:
        if c.at > horizon or not eligible(c, mirror):
            continue
        d = desired(c)
        if d.end > now:
            out[c.milestone_id] = d
    return out


async def enable(
    db: Database, *, guild_id: int, days: int, what: str, match: str | None, user_id: int, now: int
) -> str | None:
    """Turn a guild's mirror on (or change it); returns the match text as stored (spaces collapsed, None when
    blank), so the reply echoes what will be matched. :class:`InputError` says what to type instead."""
    if what not in WHAT_KINDS:
        raise InputError(f"Pick `what` from the list: {', '.join(WHAT_KINDS)}.")
    if not 1 <= days <= MAX_DAYS:
        raise InputError(f"`days` is 1 to {MAX_DAYS}; events further ahead than that move too often to be useful.")
    text = " ".join((match or "").split()) or None
    if text is not None and len(text) > MATCH_MAX:
        raise InputError(f"Keep `match` under {MATCH_MAX} characters: a provider, rocket or mission name.")
    await store.set_mirror(db, guild_id=guild_id, days=days, what=what, match=text, enabled_by=user_id, now=now)
    return text


@dataclass
class GuildReport:
    """What one reconcile did in one guild."""

    created: int = 0
    moved: int = 0
    edited: int = 0
    deleted: int = 0
    adopted: int = 0
    skipped_full: int = 0
    paused: str | None = None


@dataclass
class MirrorReport:
    """What one reconcile did."""

    guilds: dict[int, GuildReport] = field(default_factory=dict)

    def total(self, name: str) -> int:
        """Sum of one counter over the guilds."""
        return sum(int(getattr(g, name)) for g in self.guilds.values())


PAUSED_TEXT = (
    "I stopped mirroring launches as Scheduled Events in **{guild}**: Discord refused ({why}). "
    "Give my role **Manage Events** (Server Settings → Roles), then run `/alerts events on` again."
)


class EventMirror:
    """Reconciles every opted-in guild's scheduled events from the database."""

    def __init__(
        self,
        db: Database,
        port: EventsPort,
        clock_now: Callable[[], datetime],
        notify: Notify,
        *,
        covers: Covers | None = None,
    ) -> None:
        self.db = db
        self.port = port
        self.now = clock_now
        self.notify = notify
        self.covers = covers
        self._lock = asyncio.Lock()
        self.last: MirrorReport | None = None
        # The covers read in this pass (several servers creating one launch's event read its image once); dropped
        # after the pass, so no image stays in memory between passes.
        self._pass_covers: dict[str, str | None] = {}

    async def reconcile(self) -> MirrorReport:
        """One pass over every guild that has the mirror on or still has mirrored events (one at a time)."""
        async with self._lock:
            try:
                self.last = await self._reconcile()
            finally:
                self._pass_covers.clear()
            return self.last

    async def _reconcile(self) -> MirrorReport:
        now = to_epoch(self.now())
        settings = {m.guild_id: m for m in await store.mirrors(self.db)}
        guilds = sorted(set(settings) | set(await store.guilds_with_links(self.db)))
        report = MirrorReport()
        if not guilds:
            return report
        horizon = max((m.days for m in settings.values()), default=0) * 86_400
        found = await store.candidates(self.db, start=now - MAX_DURATION_SECONDS, end=now + horizon)
        for guild_id in guilds:
            mirror = settings.get(guild_id)
            want = wanted(found, mirror, now) if mirror is not None and mirror.paused_reason is None else {}
            if mirror is not None and mirror.paused_reason is not None:
                continue  # paused: leave its events as they are until an admin turns it on again
            try:
                report.guilds[guild_id] = await self._guild(guild_id, want, now)
            except MissingPermissionError as exc:
                report.guilds[guild_id] = GuildReport(paused=str(exc))
                if mirror is not None:
                    await self._pause(mirror, str(exc), now)
            except TransientEventsError as exc:
                log.warning("scheduled events of guild %s not reconciled this time: %s", guild_id, exc)
        return report

    async def _pause(self, mirror: store.Mirror, why: str, now: int) -> None:
        await store.pause_mirror(self.db, mirror.guild_id, why, now)
        log.info("event mirror of guild %s paused: %s", mirror.guild_id, why)
        if mirror.enabled_by == 0:
            return  # who turned it on used /forget me: no one to tell
        try:
            await self.notify(mirror.enabled_by, PAUSED_TEXT.format(guild=mirror.guild_id, why=why))
        except Exception:
            log.warning("could not tell user %s that the mirror of guild %s paused", mirror.enabled_by, mirror.guild_id)

    async def _guild(self, guild_id: int, want: dict[int, Desired], now: int) -> GuildReport:
        report = GuildReport()
        links = {link.milestone_id: link for link in await store.links(self.db, guild_id)}
        listed = [e for e in await self.port.list(guild_id) if e.get("status") in (1, 2)]
        by_id = {int(e["id"]): e for e in listed}
        open_events = len(listed)
        open_events -= await self._adopt(guild_id, links, listed, now, report)
        for mid, link in list(links.items()):
            # No id: its create never reached Discord. An id Discord no longer lists: deleted by hand or over.
            if link.discord_event_id is None or link.discord_event_id not in by_id:
                await store.delete_link(self.db, guild_id, mid)
                del links[mid]
        for mid, link in list(links.items()):
            d = want.get(mid)
            started = link.start_at <= now
            if d is None:
                await self._delete(guild_id, link)
            elif (d.start, d.end) != (link.start_at, link.end_at) and not started:
                if d.start > now + MIN_LEAD_SECONDS:
                    await self._edit(guild_id, link, d, now, with_times=True)
                    report.moved += 1
                    continue
                # Slipped to (almost) now: Discord refuses a start in the past, so it goes.
                await self._delete(guild_id, link)
            elif started and d.start > now + MIN_LEAD_SECONDS:
                # Slipped after its event began (a recycle at T-0, a docking waved off): Discord shows it under
                # way and would keep it so until its old end, and an event under way cannot be moved back into
                # the future. It goes, and the loop below makes it again at the new time. A correction to a
                # time already past (the actual docking minute) leaves it as it is.
                await self._delete(guild_id, link)
            else:
                if d.fingerprint != link.fingerprint and not started:
                    await self._edit(guild_id, link, d, now, with_times=False)
                    report.edited += 1
                continue
            del links[mid]
            open_events -= 1
            report.deleted += 1
        for mid, d in sorted(want.items(), key=lambda kv: (kv[1].start, kv[0])):
            if mid in links or d.start <= now + MIN_LEAD_SECONDS:
                continue
            if open_events >= MAX_EVENTS_PER_GUILD:
                report.skipped_full += 1
                continue
            try:
                await self._create(guild_id, d, now)
            except LimitReachedError:
                report.skipped_full += 1
                open_events = MAX_EVENTS_PER_GUILD
                continue
            open_events += 1
            report.created += 1
        return report

    async def _adopt(
        self, guild_id: int, links: dict[int, store.Link], listed: list[dict[str, Any]], now: int, report: GuildReport
    ) -> int:
        """Adopt our events whose id was never stored (a crash after the create); delete duplicates. Returns
        how many were deleted."""
        by_id = {int(e["id"]): e for e in listed}
        deleted = 0
        for mid, event_ids in _ours(listed).items():
            link = links.get(mid)
            keep = link.discord_event_id if link is not None and link.discord_event_id in event_ids else event_ids[0]
            if link is None or link.discord_event_id != keep:
                event = by_id[keep]
                start = _epoch(event["scheduled_start_time"])
                end = _epoch(event.get("scheduled_end_time") or event["scheduled_start_time"])
                links[mid] = store.Link(guild_id, mid, keep, start, end, "")
                await store.save_link(self.db, links[mid], now)
                report.adopted += 1
            for extra in event_ids:
                if extra != keep:
                    await self._delete_event(guild_id, extra)
                    deleted += 1
                    report.deleted += 1
        return deleted

    async def _create(self, guild_id: int, d: Desired, now: int) -> None:
        # The row first: a crash after Discord made the event leaves a row to adopt it by, not a duplicate.
        await store.save_link(self.db, store.Link(guild_id, d.milestone_id, None, d.start, d.end, d.fingerprint), now)
        try:
            event_id = await self._create_request(guild_id, d)
        except RefusedError as exc:
            await store.delete_link(self.db, guild_id, d.milestone_id)
            log.warning("guild %s refused the event of milestone %s: %s", guild_id, d.milestone_id, exc)
            return
        except EventsError:
            # Not made (a timeout may have made it: the marker finds it at the next reconcile).
            await store.delete_link(self.db, guild_id, d.milestone_id)
            raise
        await store.save_link(
            self.db, store.Link(guild_id, d.milestone_id, event_id, d.start, d.end, d.fingerprint), now
        )

    async def _create_request(self, guild_id: int, d: Desired) -> int:
        """Create the event, with its cover image when there is one to be had."""
        payload = d.payload()
        cover = await self._cover(d.image_url)
        if cover is None:
            return await self.port.create(guild_id, payload)
        try:
            return await self.port.create(guild_id, {**payload, "image": cover})
        except RefusedError as exc:
            # Perhaps the image (a size or format Discord will not take): the event matters more than its cover.
            log.info("guild %s refused event %s with its cover (%s); creating it without", guild_id, d.name, exc)
            return await self.port.create(guild_id, payload)

    async def _cover(self, url: str | None) -> str | None:
        if self.covers is None or not url:
            return None
        if url not in self._pass_covers:
            self._pass_covers[url] = await self.covers.data_uri(url)
        return self._pass_covers[url]

    async def _edit(self, guild_id: int, link: store.Link, d: Desired, now: int, *, with_times: bool) -> None:
        assert link.discord_event_id is not None
        try:
            await self.port.update(guild_id, link.discord_event_id, d.payload(with_times=with_times))
        except UnknownEventError:
            await store.delete_link(self.db, guild_id, link.milestone_id)
            return
        except RefusedError as exc:
            log.warning("guild %s refused an edit of event %s: %s", guild_id, link.discord_event_id, exc)
            return
        start, end = (d.start, d.end) if with_times else (link.start_at, link.end_at)
        await store.save_link(
            self.db, store.Link(guild_id, link.milestone_id, link.discord_event_id, start, end, d.fingerprint), now
        )

    async def _delete(self, guild_id: int, link: store.Link) -> None:
        if link.discord_event_id is not None:
            await self._delete_event(guild_id, link.discord_event_id)
        await store.delete_link(self.db, guild_id, link.milestone_id)

    async def _delete_event(self, guild_id: int, event_id: int) -> None:
        with contextlib.suppress(UnknownEventError):  # already gone: what we wanted
            await self.port.delete(guild_id, event_id)


def _epoch(value: object) -> int:
    return to_epoch(datetime.fromisoformat(str(value)))


def _ours(listed: Sequence[dict[str, Any]]) -> dict[int, list[int]]:
    """Milestone id -> ids of the listed events carrying our marker for it (more than one: a duplicate)."""
    out: dict[int, list[int]] = {}
    for e in listed:
        match = MARKER.search(str(e.get("description") or ""))
        if match:
            out.setdefault(int(match.group(1)), []).append(int(e["id"]))
    return out

"""Browsing the schedule: what /nextlaunch, /launches, /nextdocking, /events and /launch show, and how.

Plain Python without discord.py: filters are resolved to stored names, a page is read through the index that
suits it (see :func:`choose_driver`), and the answer is built as Discord JSON embeds. The cogs only translate
between Discord and these functions.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.db import browse as q
from bot.db.database import Database
from bot.db.events import HistoryEntry, StoredEvent, UpcomingMilestone, events_by_mission, to_epoch
from bot.exceptions import InputError
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source
from bot.render import (
    Embed,
    add_fields_within_limit,
    ago,
    coarse_period,
    discord_timestamp,
    discord_when,
    embed_length,
    inert,
    inert_trimmed,
    plain_instant,
    plain_title,
    truncate,
)
from bot.textfold import search_key

PAGE_SIZE = 10
# A filter matching at most this many events (or a kind with at most this many milestones) is read from its
# own index and sorted; anything broader is read in time order until the page is full. Either way a page
# touches at most about this many rows (see choose_driver).
SELECTIVE = 500
STALE_AFTER = timedelta(hours=2)
SUMMARY_LIMIT = 700
AUTOCOMPLETE_LIMIT = 25

STATION_KINDS: tuple[MilestoneKind, ...] = (
    MilestoneKind.DOCKING,
    MilestoneKind.UNDOCKING,
    MilestoneKind.BERTHING,
    MilestoneKind.UNBERTHING,
    MilestoneKind.SPACEWALK,
    MilestoneKind.RELOCATION,
    MilestoneKind.LANDING,
    MilestoneKind.OTHER,
)
PORT_KINDS: tuple[MilestoneKind, ...] = (
    MilestoneKind.DOCKING,
    MilestoneKind.BERTHING,
    MilestoneKind.UNDOCKING,
    MilestoneKind.UNBERTHING,
    MilestoneKind.RELOCATION,
)

_STATUS_BADGES: dict[EventStatus, str] = {
    EventStatus.GO: "🟢 Go",
    EventStatus.TBC: "🟡 TBC (to be confirmed)",
    EventStatus.TBD: "⚪ TBD (to be determined)",
    EventStatus.HOLD: "🟠 Hold",
    EventStatus.IN_FLIGHT: "🚀 In Flight",
    EventStatus.SCHEDULED: "🗓️ Scheduled",
    EventStatus.SUCCESS: "✅ Success",
    EventStatus.FAILURE: "❌ Failure",
    EventStatus.PARTIAL_FAILURE: "⚠️ Partial Failure",
    EventStatus.PAYLOAD_DEPLOYED: "✅ Payload Deployed",
    EventStatus.CANCELLED: "🚫 Cancelled",
}
_STATUS_COLOURS: dict[EventStatus, int] = {
    EventStatus.GO: 0x2ECC71,
    EventStatus.TBC: 0xF1C40F,
    EventStatus.TBD: 0x95A5A6,
    EventStatus.HOLD: 0xE67E22,
    EventStatus.IN_FLIGHT: 0x3498DB,
}
_DEFAULT_COLOUR = 0x5865F2


class View(enum.StrEnum):
    """Which browsing answer a message shows (kept in button ids, so the values never change)."""

    NEXT_LAUNCH = "nl"
    LAUNCHES = "ls"
    NEXT_DOCKING = "nd"
    EVENTS = "ev"

    @property
    def single(self) -> bool:
        """One item with Previous/Next (else a list of PAGE_SIZE)."""
        return self in (View.NEXT_LAUNCH, View.NEXT_DOCKING)

    @property
    def noun(self) -> str:
        """What the view lists, plural."""
        return "launches" if self in (View.NEXT_LAUNCH, View.LAUNCHES) else _NOUNS[self]

    @property
    def command(self) -> str:
        """The slash command that shows this view (named when its buttons have expired)."""
        return _COMMANDS[self]


_NOUNS = {View.NEXT_DOCKING: "dockings", View.EVENTS: "station events"}
_COMMANDS = {
    View.NEXT_LAUNCH: "nextlaunch",
    View.LAUNCHES: "launches",
    View.NEXT_DOCKING: "nextdocking",
    View.EVENTS: "events",
}


DAYS_MAX = 366  # what /launches declares; Discord checks it, but a crafted interaction need not


def check_days(days: int | None) -> None:
    """Refuse a ``days`` filter outside 1..DAYS_MAX (it would overflow a date, or mean nothing)."""
    if days is not None and not 1 <= days <= DAYS_MAX:
        raise InputError(
            f"`days` is a number from 1 to {DAYS_MAX}; leave it out for the next launches whatever their date."
        )


@dataclass(frozen=True, slots=True)
class Filters:
    """What a reader asked for; every part optional. Text parts match stored names anywhere, in any case."""

    provider: str | None = None
    rocket: str | None = None
    location: str | None = None
    station: str | None = None
    kind: str | None = None  # a MilestoneKind value, for /events
    days: int | None = None

    def spec(self) -> dict[str, Any]:
        """The set parts, for storage."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Filters:
        """Filters from :meth:`spec` (unknown keys ignored, wrong types dropped)."""
        text = {
            k: spec[k] for k in ("provider", "rocket", "location", "station", "kind") if isinstance(spec.get(k), str)
        }
        days = spec.get("days")
        return cls(**text, days=days if isinstance(days, int) and not isinstance(days, bool) else None)

    @property
    def empty(self) -> bool:
        """Nothing asked for."""
        return not self.spec()

    def key(self) -> str:
        """A short stable key of these filters ("-" for none), the same for the same filters."""
        if self.empty:
            return "-"
        return hashlib.sha256(json.dumps(self.spec(), sort_keys=True).encode()).hexdigest()[:16]

    def describe(self) -> str:
        """`provider “rocket lab”, within 7 days` for titles and empty answers."""
        parts = [
            f"{label} “{truncate(value, 60)}”"  # typed text is echoed, but never at a length that breaks the embed
            for label, value in (
                ("provider", self.provider),
                ("rocket", self.rocket),
                ("location", self.location),
                ("station", self.station),
            )
            if value
        ]
        if self.kind:
            parts.append(self.kind.replace("_", " "))
        if self.days is not None:
            parts.append(f"within {self.days} day{'s' if self.days != 1 else ''}")
        return ", ".join(parts)


def kinds_for(view: View, filters: Filters) -> tuple[MilestoneKind, ...]:
    """The milestone kinds a view lists."""
    if view in (View.NEXT_LAUNCH, View.LAUNCHES):
        return (MilestoneKind.LIFTOFF,)
    if view is View.NEXT_DOCKING:
        return PORT_KINDS
    if filters.kind:
        return (MilestoneKind(filters.kind),)
    return STATION_KINDS


def fold(text: str) -> str:
    """Case-, accent- and blank-insensitive form of a name, for matching typed text anywhere in it."""
    return " ".join(search_key(text).split())


def matching_names(names: Sequence[q.NameCount], text: str) -> list[q.NameCount]:
    """Stored names containing ``text`` (any case or accents), in the name or its abbreviation."""
    needle = fold(text)
    return [n for n in names if needle in fold(n.value) or (n.abbrev is not None and needle in fold(n.abbrev))]


def resolve_fields(stats: q.Stats, filters: Filters) -> dict[str, tuple[str, ...]]:
    """Each text filter as the exact stored values it matches (an empty tuple: nothing matches)."""
    wanted = {"provider": filters.provider, "vehicle": filters.rocket, "location": filters.location}
    wanted["station"] = filters.station
    return {
        name: tuple(sorted({n.value for n in matching_names(stats.names.get(name, []), text)}))
        for name, text in wanted.items()
        if text
    }


async def choose_driver(
    conn: aiosqlite.Connection, stats: q.Stats, kinds: Sequence[MilestoneKind], fields: dict[str, tuple[str, ...]]
) -> q.Driver:
    """The index a page is read through, from exact counts.

    A selective filter (at most SELECTIVE events, or a kind with at most SELECTIVE milestones) drives: its few
    rows are read and sorted. Otherwise the page is read in time order (by kind when there is one kind), and
    the filters are broad enough that a page fills after a few hundred rows. Two broad text filters may still
    match few events together (SpaceX and Electron: none), so their intersection is counted first, bounded.
    """
    kind_count = sum(stats.kinds.get(k.value, 0) for k in kinds)
    field_counts = {
        name: sum(n.count for n in stats.names.get(name, []) if n.value in values) for name, values in fields.items()
    }
    smallest = min(field_counts, key=lambda n: field_counts[n]) if field_counts else None
    if smallest is not None and field_counts[smallest] <= SELECTIVE and field_counts[smallest] <= kind_count:
        return smallest  # type: ignore[return-value]
    if kind_count <= SELECTIVE:
        return "kind"
    if smallest is not None and len(fields) > 1:
        together = await q.count_matching_events_in(conn, smallest, fields, cap=SELECTIVE)  # type: ignore[arg-type]
        if together <= SELECTIVE:
            return smallest  # type: ignore[return-value]
    return "kind" if len(kinds) == 1 else "time"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a browsing answer, and whether there is more on either side."""

    items: list[UpcomingMilestone]
    has_before: bool
    has_after: bool
    last_sync: datetime | None
    driver: q.Driver = "time"


async def fetch_page(
    db: Database,
    view: View,
    filters: Filters,
    *,
    now: datetime,
    guild_id: int | None,
    cursor: tuple[int, int] | None = None,
    backwards: bool = False,
) -> Page:
    """The page of ``view`` after (or, ``backwards``, before) ``cursor``; the first page without one.

    One read snapshot, a handful of round trips to the database thread (each a queue hop, which is what a
    busy machine delays): counts and sync age, the page, the check for one more on the other side, the events.
    """
    limit = 1 if view.single else PAGE_SIZE
    kinds = kinds_for(view, filters)
    until = now + timedelta(days=filters.days) if filters.days is not None else None
    async with db.read() as conn:
        stats, last_sync = await q.snapshot_in(db, conn)
        fields = resolve_fields(stats, filters)
        if any(not values for values in fields.values()):
            return Page([], False, False, last_sync)
        driver = await choose_driver(conn, stats, kinds, fields)

        def query(cur: tuple[int, int] | None, back: bool, n: int) -> q.PageQuery:
            return q.PageQuery(now, kinds, driver, fields, guild_id, until, cur, back, n)

        picks = await q.page_in(conn, query(cursor, backwards, limit + 1))
        more_this_way = len(picks) > limit
        picks = picks[1:] if backwards and more_this_way else picks[:limit]
        if picks:
            rows = await q.with_events_in(conn, picks)
            if backwards:
                has_before = more_this_way
                has_after = bool(await q.page_in(conn, query(_key(rows[-1]), False, 1)))
            else:
                has_after = more_this_way
                has_before = cursor is not None and bool(await q.page_in(conn, query(_key(rows[0]), True, 1)))
            return Page(rows, has_before, has_after, last_sync, driver)
    if backwards:
        # Everything before the cursor has happened meanwhile: show the first page instead.
        return await fetch_page(db, view, filters, now=now, guild_id=guild_id)
    return Page([], cursor is not None, False, last_sync, driver)


def _key(item: UpcomingMilestone) -> tuple[int, int]:
    return to_epoch(item.milestone.at), item.milestone_id


def cursor_of(item: UpcomingMilestone) -> tuple[int, int]:
    """The ``(at_utc, milestone id)`` a page continues from, for button ids."""
    return _key(item)


# Rendering -----------------------------------------------------------------------------------------------


def status_badge(status: EventStatus) -> str:
    """`🟢 Go`, `🟠 Hold` ...: the status at a glance."""
    return _STATUS_BADGES[status]


def kind_label(kind: MilestoneKind) -> str:
    """`coverage_start` -> `Coverage start`."""
    return kind.value.replace("_", " ").capitalize()


def when_text(at: datetime, precision: Precision, zone: ZoneInfo) -> str:
    """The time as markup for every reader plus plain text in ``zone``, worded by precision.

    Minute and second: the instant. Hour: "around 14:00". Day: the date alone. Week and coarser: "NET" and the
    period ("NET February 2027"). A coarse time is never given as markup, which would show a minute nobody
    announced and move the date for readers west of UTC.
    """
    period = coarse_period(at, precision)
    if period is None:
        return f"{discord_when(at, precision)}\n{plain_instant(at, precision, zone)}"
    return period if precision is Precision.DAY else f"NET {period}"


def short_when(at: datetime, precision: Precision, zone: ZoneInfo) -> str:
    """One-line time for list entries."""
    period = coarse_period(at, precision)
    if period is None:
        prefix = "around " if precision is Precision.HOUR else ""
        local = plain_instant(at, precision, zone).split(", ", 1)[-1]
        return f"{prefix}{discord_timestamp(at, 'f')} ({discord_timestamp(at, 'R')}) · {local}"
    return period if precision is Precision.DAY else f"NET {period}"


def footer_text(last_sync: datetime | None, now: datetime, source: Source | None = Source.LL2) -> str:
    """`Launch Library 2 · updated 4 min ago`, or a plain warning when the data is stale or never synced."""
    if source is Source.MANUAL:
        return "Entered by hand by this server's admins"
    if last_sync is None:
        return "Launch Library 2 · not synced yet"
    age = now - last_sync
    if age > STALE_AFTER:
        return f"Launch Library 2 · ⚠ stale: last successful sync {ago(age)}"
    return f"Launch Library 2 · updated {ago(age)}"


def sync_phrase(last_sync: datetime | None, now: datetime) -> str:
    """`last sync 3 min ago` (or `no sync yet`), for plain sentences."""
    if last_sync is None:
        return "no sync from Launch Library 2 yet"
    stale = " — the data may be stale" if now - last_sync > STALE_AFTER else ""
    return f"last sync {ago(now - last_sync)}{stale}"


def _safe_url(url: str | None) -> str | None:
    """A URL Discord will accept as a link or image: http(s), no blanks, within the 2048-character limit."""
    if not url or len(url) > 2048 or any(c.isspace() or c in "<>()" for c in url):
        return None
    # "@" is encoded: equivalent in a path, and no link text or preview can then read as a mention.
    return url.replace("@", "%40") if url.startswith(("https://", "http://")) else None


def _subtitle(event: Event) -> str:
    parts = [p for p in (event.vehicle, event.provider) if p]
    return " · ".join(inert(p) for p in parts)


def _where(event: Event) -> str | None:
    if event.type is EventType.LAUNCH:
        return event.location
    parts = [event.station] if event.station else []
    if event.location and event.location != event.station:
        parts.append(event.location)
    return ", ".join(parts) or None


def coverage_line(event: Event) -> str | None:
    """`📺 [Watch](url) · coverage from <t:..:f>`, when a webcast or its start is known."""
    coverage = event.milestone(MilestoneKind.COVERAGE_START)
    url = next((u for u in (_safe_url(w) for w in event.webcast_urls) if u), None)
    parts = []
    if url:
        parts.append(f"[Watch the webcast]({url})")
    if coverage is not None:
        parts.append(f"coverage from {discord_timestamp(coverage.at, 'f')} ({discord_timestamp(coverage.at, 'R')})")
    return "📺 " + " · ".join(parts) if parts else None


def _window(event: Event, precision: Precision) -> str | None:
    if not precision.is_exact or event.window_start is None or event.window_end is None:
        return None
    if event.window_end <= event.window_start:
        return "Instantaneous"
    length = event.window_end - event.window_start
    minutes = int(length.total_seconds() // 60)
    span = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    start, end = discord_timestamp(event.window_start, "t"), discord_timestamp(event.window_end, "t")
    return f"{start} to {end} ({span})"


def _new_embed(title: str, event_status: EventStatus | None = None) -> Embed:
    colour = _STATUS_COLOURS.get(event_status, _DEFAULT_COLOUR) if event_status else _DEFAULT_COLOUR
    return {"title": plain_title(title), "color": colour}


def item_embed(
    item: UpcomingMilestone,
    *,
    zone: ZoneInfo,
    now: datetime,
    last_sync: datetime | None,
    heading: str,
    linked: Sequence[StoredEvent] = (),
) -> Embed:
    """The embed of one launch or station event (/nextlaunch, /nextdocking)."""
    event = item.event
    milestone = item.milestone
    embed = _new_embed(event.name, event.status)
    lines = [f"**{heading}**"]
    subtitle = _subtitle(event)
    if subtitle:
        lines.append(subtitle)
    if event.description:
        lines.append("")
        lines.append(inert_trimmed(event.description, SUMMARY_LIMIT))
    embed["description"] = "\n".join(lines)
    fields: list[tuple[str, str]] = [
        (kind_label(milestone.kind), when_text(milestone.at, milestone.precision, zone)),
        ("Status", status_badge(event.status)),
    ]
    where = _where(event)
    if where:
        fields.append(("Pad" if event.type is EventType.LAUNCH else "Where", inert(where)))
    window = _window(event, milestone.precision)
    if window:
        fields.append(("Launch window", window))
    docking_link = _docking_link(event, linked)
    if docking_link:
        fields.append(docking_link)
    coverage = coverage_line(event)
    if coverage:
        fields.append(("Webcast", coverage))
    add_fields_within_limit(embed, fields, reserve=120)
    image = _safe_url(event.image_url)
    if image:
        embed["thumbnail"] = {"url": image}
    embed["footer"] = {"text": footer_text(last_sync, now, event.source)}
    return embed


def _docking_link(event: Event, linked: Sequence[StoredEvent]) -> tuple[str, str] | None:
    """A docking names the vehicle and the launch that brought it."""
    if event.type not in (EventType.DOCKING, EventType.BERTHING, EventType.UNDOCKING, EventType.UNBERTHING):
        return None
    launch = next((s for s in linked if s.event.type is EventType.LAUNCH), None)
    vehicle = inert(event.vehicle) if event.vehicle else None
    if launch is None and vehicle is None and event.mission is None:
        return None
    parts = []
    if vehicle:
        parts.append(f"Vehicle: {vehicle}")
    if launch is not None:
        lift = launch.event.milestone(MilestoneKind.LIFTOFF)
        when = f" ({discord_timestamp(lift.at, 'D')})" if lift is not None and lift.precision.is_exact else ""
        parts.append(f"Launched on {inert(launch.event.name)}{when}")
    elif event.mission:
        parts.append(f"Launched on {inert(event.mission)}")
    return ("Spacecraft", "\n".join(parts))


def list_embed(
    view: View, page: Page, filters: Filters, *, zone: ZoneInfo, now: datetime, title: str | None = None
) -> Embed:
    """The embed of a list page (/launches, /events)."""
    heading = title or f"Upcoming {view.noun}"
    if not filters.empty:
        heading += f" ({filters.describe()})"
    embed = _new_embed(heading)
    entries = []
    for item in page.items:
        event = item.event
        name = inert_trimmed(event.name, 150)
        kind = "" if item.milestone.kind is MilestoneKind.LIFTOFF else f"{kind_label(item.milestone.kind)}: "
        details = [status_badge(event.status)]
        if event.provider and event.type is EventType.LAUNCH:
            details.append(inert_trimmed(event.provider, 60))
        where = _where(event)
        if where:
            details.append(inert_trimmed(where, 80))
        entry = (
            f"**{kind}{name}**\n{short_when(item.milestone.at, item.milestone.precision, zone)}\n{' · '.join(details)}"
        )
        coverage = event.milestone(MilestoneKind.COVERAGE_START)
        if coverage is not None:
            entry += f"\n📺 coverage from {discord_timestamp(coverage.at, 'f')}"
        entries.append(entry)
    embed["description"] = truncate("\n\n".join(entries), 4096)
    embed["footer"] = {"text": f"Times after the · in {zone.key} · {footer_text(page.last_sync, now)}"}
    return embed


def empty_embed(view: View, filters: Filters, *, last_sync: datetime | None, now: datetime, paged: bool) -> Embed:
    """The answer when nothing matches: said plainly, with how fresh the data is."""
    what = f"upcoming {view.noun}"
    if not filters.empty:
        what += f" matching {filters.describe()}"
    more = " beyond this one" if paged else ""
    embed = _new_embed(f"No {what}{more}")
    embed["description"] = f"No {inert(what)}{more} in the data ({sync_phrase(last_sync, now)})."
    embed["footer"] = {"text": footer_text(last_sync, now)}
    return embed


def slip_lines(history: Sequence[HistoryEntry], current_at: datetime) -> tuple[int, list[str]]:
    """How many times a milestone moved, and one line per earlier time (as markup) with when it changed."""
    moves: list[tuple[HistoryEntry, HistoryEntry]] = []
    for before, after in itertools.pairwise(history):
        if before.at != after.at or before.precision != after.precision:
            moves.append((before, after))
    lines = []
    for before, after in moves:
        was = _history_when(before)
        lines.append(f"~~{was}~~ → changed {discord_timestamp(after.recorded_at, 'R')}")
    return len(moves), lines


def _history_when(entry: HistoryEntry) -> str:
    period = coarse_period(entry.at, entry.precision)
    return period if period is not None else discord_timestamp(entry.at, "f")


def detail_embed(  # noqa: PLR0915 - one field after another, in the order a reader expects them
    stored: StoredEvent,
    *,
    zone: ZoneInfo,
    now: datetime,
    last_sync: datetime | None,
    histories: dict[int, list[HistoryEntry]],
    linked: Sequence[StoredEvent] = (),
) -> Embed:
    """Everything about one launch or event (/launch): every milestone, details, links and slip history."""
    event = stored.event
    embed = _new_embed(event.name, event.status)
    lines = []
    subtitle = _subtitle(event)
    if subtitle:
        lines.append(subtitle)
    if event.mission and event.mission not in event.name:
        lines.append(f"Mission: {inert(event.mission)}")
    if event.description:
        lines.append("")
        lines.append(inert_trimmed(event.description, 1500))
    if stored.gone_at is not None:
        lines.append("")
        lines.append("*No longer listed by its source.*")
    embed["description"] = "\n".join(lines) or None
    fields: list[tuple[str, str]] = []
    for milestone in sorted(event.milestones, key=lambda m: m.at):
        fields.append((kind_label(milestone.kind), when_text(milestone.at, milestone.precision, zone)))
    fields.append(("Status", status_badge(event.status)))
    where = _where(event)
    if where:
        fields.append(("Pad" if event.type is EventType.LAUNCH else "Where", inert(where)))
    main = _main_milestone(event)
    if main is not None:
        window = _window(event, main.precision)
        if window:
            fields.append(("Launch window", window))
    docking_link = _docking_link(event, linked)
    if docking_link:
        fields.append(docking_link)
    coverage = coverage_line(event)
    if coverage:
        fields.append(("Webcast", coverage))
    if main is not None:
        mid = stored.milestone_ids.get(main.kind)
        moved, slips = slip_lines(histories.get(mid, []) if mid is not None else [], main.at)
        label = "NET" if main.kind is MilestoneKind.LIFTOFF else kind_label(main.kind)
        if moved:
            header = f"{label} moved {moved} time{'s' if moved != 1 else ''}"
            body = "\n".join(slips)
            while len(body) > 1024:
                slips = slips[1:]
                body = "…\n" + "\n".join(slips)
            fields.append((header, body))
        else:
            fields.append(("Slips", f"{label} has not moved since T-Minus first saw it"))
    add_fields_within_limit(embed, fields, reserve=120)
    image = _safe_url(event.image_url)
    if image:
        embed["thumbnail"] = {"url": image}
    embed["footer"] = {"text": footer_text(last_sync, now, event.source)}
    if embed.get("description") is None:
        embed.pop("description")
    assert embed_length(embed) <= 6000
    return embed


def _main_milestone(event: Event) -> Milestone | None:
    main = [m for m in event.milestones if m.kind is not MilestoneKind.COVERAGE_START]
    return min(main, key=lambda m: m.at) if main else None


def heading_for(view: View, item: UpcomingMilestone, *, first: bool) -> str:
    """`Next launch` or `Launch`, `Next docking`..., for the line above a single item."""
    noun = "launch" if view is View.NEXT_LAUNCH else kind_label(item.milestone.kind).lower()
    return f"Next {noun}" if first else noun.capitalize()


@dataclass(frozen=True, slots=True)
class Answer:
    """A browsing answer: the embed, and the cursors its buttons carry (None: that button is off)."""

    embed: Embed
    before: tuple[int, int] | None = None
    after: tuple[int, int] | None = None
    event_id: int | None = None  # the event shown alone (its Add to calendar and Alert me buttons)
    items: list[UpcomingMilestone] = field(default_factory=list)


async def answer(
    db: Database,
    view: View,
    filters: Filters,
    *,
    now: datetime,
    guild_id: int | None,
    zone: ZoneInfo,
    cursor: tuple[int, int] | None = None,
    backwards: bool = False,
) -> Answer:
    """The whole answer of a browsing command or button press."""
    page = await fetch_page(db, view, filters, now=now, guild_id=guild_id, cursor=cursor, backwards=backwards)
    if not page.items:
        embed = empty_embed(view, filters, last_sync=page.last_sync, now=now, paged=cursor is not None)
        before = cursor if cursor is not None and page.has_before else None
        return Answer(embed, before=before)
    first, last = page.items[0], page.items[-1]
    before = cursor_of(first) if page.has_before else None
    after = cursor_of(last) if page.has_after else None
    if view.single:
        linked = await _linked(db, first.stored)
        heading = heading_for(view, first, first=not page.has_before)
        embed = item_embed(first, zone=zone, now=now, last_sync=page.last_sync, heading=heading, linked=linked)
        return Answer(embed, before, after, event_id=first.stored.id, items=page.items)
    return Answer(list_embed(view, page, filters, zone=zone, now=now), before, after, items=page.items)


async def _linked(db: Database, stored: StoredEvent) -> list[StoredEvent]:
    key = stored.event.mission_key
    if key is None or stored.event.type is EventType.LAUNCH:
        return []
    return [s for s in await events_by_mission(db, key) if s.id != stored.id]


async def event_details(
    db: Database, event_id: int, *, guild_id: int | None, zone: ZoneInfo, now: datetime
) -> tuple[StoredEvent, Embed] | None:
    """/launch: the detail embed of one event visible here, or None."""
    stored = await q.visible_event(db, event_id, guild_id=guild_id)
    if stored is None:
        return None
    found = await q.histories(db, list(stored.milestone_ids.values()))
    linked = await _linked(db, stored)
    last_sync = await q.last_sync(db)
    return stored, detail_embed(stored, zone=zone, now=now, last_sync=last_sync, histories=found, linked=linked)


async def name_choices(db: Database, field_name: str, text: str) -> list[str]:
    """Up to 25 stored names of ``field_name`` matching ``text``, the most used first (autocomplete)."""
    stats = await q.load_stats(db)
    found = matching_names(stats.names.get(field_name, []), text) if text.strip() else stats.names.get(field_name, [])
    ordered = sorted(found, key=lambda n: (-n.count, fold(n.value)))
    return [n.value for n in ordered[:AUTOCOMPLETE_LIMIT]]

"""Hand-entered events: create, edit, remove and list them, and save what was extracted from an article.

Server admins' events are scoped to their guild; bot owners may create global ones. Every write goes through
the repository's change detection and is published on the ChangeBus, so an edit that moves a time reaches
the alert engine exactly like an LL2 slip.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import aiosqlite

from bot.db import Database
from bot.db.events import (
    StoredEvent,
    get_event_by_source,
    mark_gone_in,
    to_epoch,
    upsert_in,
)
from bot.db.manual import (
    count_manual_events_ahead_in,
    event_by_id_in,
    live_manual_event_in,
    manual_events_ahead,
    manual_events_by_source_ids_in,
)
from bot.exceptions import InputError
from bot.models import (
    Change,
    Event,
    EventStatus,
    EventType,
    GoneReason,
    Milestone,
    MilestoneKind,
    Precision,
    Source,
    ensure_utc,
    period_end,
    start_of_date,
)
from bot.pubsub import ChangeBus
from bot.render import plain_instant, truncate
from bot.textfold import search_key
from bot.timeparse import ParsedTime, TimeParseError, parse_time
from bot.zones import load_zone

FEED = "manual"
NAME_MAX = 100
# A hostile or careless admin cannot fill the database: upcoming hand-entered events per server.
GUILD_EVENT_CAP = 200
DESCRIPTION_MAX = 1000
# Coverage normally starts shortly before what it covers; this is how far before an import may attach it.
COVERAGE_ATTACH_WINDOW = timedelta(hours=12)
# How far before its milestone a typed coverage start is looked for ("12:30 a.m." for a 1:12 a.m. docking).
COVERAGE_LEAD = timedelta(hours=24)
# A calendar date starts this long before its 00:00Z in the furthest-ahead zone (UTC+14).
DATE_STARTS_BEFORE_UTC = timedelta(hours=14)

KIND_TO_TYPE: dict[MilestoneKind, EventType] = {
    MilestoneKind.LIFTOFF: EventType.LAUNCH,
    MilestoneKind.DOCKING: EventType.DOCKING,
    MilestoneKind.UNDOCKING: EventType.UNDOCKING,
    MilestoneKind.BERTHING: EventType.BERTHING,
    MilestoneKind.UNBERTHING: EventType.UNBERTHING,
    MilestoneKind.SPACEWALK: EventType.SPACEWALK,
    MilestoneKind.RELOCATION: EventType.RELOCATION,
    MilestoneKind.LANDING: EventType.LANDING,
    MilestoneKind.OTHER: EventType.OTHER,
}
# The kinds an event can be made around; coverage start is an extra milestone of one of these.
EVENT_KINDS: tuple[MilestoneKind, ...] = tuple(KIND_TO_TYPE)


@dataclass(frozen=True, slots=True)
class Saved:
    """The outcome of a write: the stored event, how each typed time was read, and what changed."""

    stored: StoredEvent
    parsed: dict[MilestoneKind, ParsedTime]
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, and where: permissions are checked by the cog, scope here."""

    user_id: int
    guild_id: int | None
    is_owner: bool = False


def _read_time(text: str, *, what: str, zone: str, now: datetime, ref: datetime | None = None) -> ParsedTime:
    # ``ref`` reads day words ("tomorrow", a bare clock) against another instant; durations ("in 2 hours") always
    # count from ``now``.
    try:
        return parse_time(text, tz=zone, ref=now if ref is None else ref, now=now)
    except TimeParseError as exc:
        quoted = repr(truncate(text, 100))  # echo enough to recognise it, not a pasted novel
        raise InputError(f"I couldn't read the {what} time {quoted}: {exc.message}. Try: {exc.suggestion}") from None


def _check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InputError("The event needs a name, e.g. `Progress MS-26 docking`.")
    if len(name) > NAME_MAX:
        raise InputError(f"That name is {len(name)} characters; keep it to {NAME_MAX}.")
    return name


def _check_url(url: str | None) -> tuple[str, ...]:
    if not url:
        return ()
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"{url!r} is not a web link; paste the full address, starting with https://")
    return (url.strip(),)


def _check_description(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    if len(text) > DESCRIPTION_MAX:
        raise InputError(f"The description is {len(text)} characters; keep it to {DESCRIPTION_MAX}.")
    return text.strip()


def _shown(milestone: Milestone, zone: str) -> str:
    return plain_instant(milestone.at, milestone.precision, load_zone(zone) or ZoneInfo("UTC"))


def _future(parsed: ParsedTime, *, what: str, now: datetime, zone: str) -> ParsedTime:
    # A date is in the future until it is over: "today" is fine all day.
    milestone = _milestone(MilestoneKind.OTHER, parsed)
    if period_end(milestone.at, milestone.precision) < ensure_utc(now):
        raise InputError(
            f"The {what} time reads as {_shown(milestone, zone)}, which is in the past. "
            "Give a future time, with the date if it is not today."
        )
    return parsed


def _milestone(kind: MilestoneKind, parsed: ParsedTime) -> Milestone:
    # A date alone is stored as 00:00Z of that date, as LL2 stores its Day NETs, so it reads as the same date
    # for every reader and every later comparison treats both sources alike.
    if parsed.day is not None:
        return Milestone(kind, start_of_date(parsed.day), parsed.precision)
    return Milestone(kind, parsed.utc, parsed.precision)


async def _check_cap(conn: aiosqlite.Connection, guild_id: int | None, adding: Sequence[Event], now: datetime) -> None:
    """Refuse to give one server more than GUILD_EVENT_CAP upcoming hand-entered events (checked in the saving
    transaction, so two admins at once cannot both pass it)."""
    if guild_id is None or not adding:
        return  # events for every server are made by the bot's owners only
    ids = [e.source_id for e in adding]
    ahead = await count_manual_events_ahead_in(conn, guild_id=guild_id, now=to_epoch(now), excluding=ids)
    if ahead + len(adding) > GUILD_EVENT_CAP:
        raise InputError(
            f"This server already has {ahead} upcoming hand-entered events (at most {GUILD_EVENT_CAP}). "
            "Remove some with `/event remove` first."
        )


async def _save(db: Database, bus: ChangeBus, event: Event, now: datetime) -> tuple[StoredEvent, list[Change]]:
    async with db.transaction() as conn:
        await _check_cap(conn, event.guild_id, [event], now)
        changes = await upsert_in(conn, [event], feed=FEED, now=now, source=Source.MANUAL)
    await bus.publish(changes)
    stored = await get_event_by_source(db, Source.MANUAL, event.source_id)
    assert stored is not None
    return stored, changes


def _read_coverage(text: str, main: Milestone, *, zone: str, now: datetime) -> ParsedTime:
    """Read a coverage start as belonging to ``main``: a bare clock is the last such time before the milestone.

    "12:30 a.m. EST" typed for a docking two days away means the night of the docking, not tonight. The text is
    read twice, against now and against the day before the milestone; when the readings differ the text was
    relative, and the one that lands before the milestone (and not in the past) wins.
    """
    plain = _read_time(text, what="coverage start", zone=zone, now=now)
    # For an exact milestone look back a day from it; for a date (stored at 00:00Z) from the earliest moment
    # that date begins anywhere, so "12:30 a.m." lands on the date itself.
    lead = COVERAGE_LEAD if main.precision.is_exact else DATE_STARTS_BEFORE_UTC
    anchored = _read_time(text, what="coverage start", zone=zone, now=now, ref=max(ensure_utc(now), main.at - lead))
    end = period_end(main.at, main.precision)
    chosen = anchored if ensure_utc(now) <= anchored.utc <= end else plain
    _check_coverage(_milestone(MilestoneKind.COVERAGE_START, chosen), main, now=now, zone=zone)
    return chosen


def _check_coverage(coverage: Milestone, main: Milestone, *, now: datetime, zone: str) -> None:
    what = main.kind.value.replace("_", " ")
    # Against the end of the milestone's period: coverage at 1 a.m. of a date-only docking day is fine.
    if coverage.at > period_end(main.at, main.precision):
        raise InputError(
            f"Coverage would start {_shown(coverage, zone)}, after the {what} ({_shown(main, zone)}). "
            "Coverage starts before what it shows: give an earlier time, with its date."
        )
    if period_end(coverage.at, coverage.precision) < ensure_utc(now):
        raise InputError(f"The coverage start reads as {_shown(coverage, zone)}, which is in the past.")


async def add_event(
    db: Database,
    bus: ChangeBus,
    actor: Actor,
    *,
    name: str,
    kind: MilestoneKind,
    time_text: str,
    zone: str,
    now: datetime,
    coverage_text: str | None = None,
    webcast_url: str | None = None,
    description: str | None = None,
    make_global: bool = False,
) -> Saved:
    """Create a hand-entered event with its main milestone and an optional coverage start."""
    if kind not in KIND_TO_TYPE:
        raise InputError(f"Events are made around one of: {', '.join(k.value for k in EVENT_KINDS)}.")
    if make_global and not actor.is_owner:
        raise InputError("Only the bot's owners can create events for every server.")
    if actor.guild_id is None and not make_global:
        raise InputError("Hand-entered events belong to a server: run this in one.")
    parsed = {
        kind: _future(_read_time(time_text, what=kind.value, zone=zone, now=now), what=kind.value, now=now, zone=zone)
    }
    if coverage_text:
        main = _milestone(kind, parsed[kind])
        parsed[MilestoneKind.COVERAGE_START] = _read_coverage(coverage_text, main, zone=zone, now=now)
    event = Event(
        source=Source.MANUAL,
        source_id=uuid.uuid4().hex[:16],
        type=KIND_TO_TYPE[kind],
        name=_check_name(name),
        status=EventStatus.SCHEDULED,
        milestones=tuple(_milestone(k, p) for k, p in parsed.items()),
        guild_id=None if make_global else actor.guild_id,
        description=_check_description(description),
        webcast_urls=_check_url(webcast_url),
        created_by=actor.user_id,
    )
    stored, changes = await _save(db, bus, event, now)
    return Saved(stored, parsed, changes)


def _clears(text: str) -> bool:
    """``-`` (or ``none``, or nothing) given for an optional field in an edit removes it."""
    return text.strip().lower() in ("", "-", "none")


def _no_such(event_id: int) -> InputError:
    return InputError(f"There is no hand-entered event #{event_id} here. `/event list` shows their numbers.")


async def _own_event_in(conn: aiosqlite.Connection, actor: Actor, event_id: int) -> StoredEvent:
    """A hand-entered, not removed event the actor may change: their guild's, or (owners only) a global one."""
    stored = await live_manual_event_in(conn, event_id)
    if stored is None:
        raise _no_such(event_id)
    guild_id = stored.event.guild_id
    if guild_id is None and not actor.is_owner:
        raise InputError(f"Event #{event_id} is shared by every server; only the bot's owners can change it.")
    if guild_id is not None and guild_id != actor.guild_id:
        raise _no_such(event_id)
    return stored


async def edit_event(
    db: Database,
    bus: ChangeBus,
    actor: Actor,
    event_id: int,
    *,
    zone: str,
    now: datetime,
    name: str | None = None,
    time_text: str | None = None,
    coverage_text: str | None = None,
    webcast_url: str | None = None,
    description: str | None = None,
) -> Saved:
    """Change some fields of an event; a moved time is reported like any slip. ``-`` removes coverage, webcast or
    description.

    Read, check and write happen in one BEGIN IMMEDIATE transaction, so an edit racing a removal (or another
    edit) cannot bring a removed event back or lose the other's fields.
    """
    new_name = _check_name(name) if name is not None else None
    new_urls = None if webcast_url is None else () if _clears(webcast_url) else _check_url(webcast_url)
    new_description = None if description is None or _clears(description) else _check_description(description)
    async with db.transaction() as conn:
        event = (await _own_event_in(conn, actor, event_id)).event
        main_kind = next(m.kind for m in event.milestones if m.kind != MilestoneKind.COVERAGE_START)
        milestones = {m.kind: m for m in event.milestones}
        parsed: dict[MilestoneKind, ParsedTime] = {}
        if time_text is not None:
            p = _read_time(time_text, what=main_kind.value, zone=zone, now=now)
            _future(p, what=main_kind.value, now=now, zone=zone)
            parsed[main_kind] = p
            milestones[main_kind] = _milestone(main_kind, p)
        main = milestones[main_kind]
        if coverage_text is not None and _clears(coverage_text):
            milestones.pop(MilestoneKind.COVERAGE_START, None)
        elif coverage_text is not None:
            p = _read_coverage(coverage_text, main, zone=zone, now=now)
            parsed[MilestoneKind.COVERAGE_START] = p
            milestones[MilestoneKind.COVERAGE_START] = _milestone(MilestoneKind.COVERAGE_START, p)
        elif MilestoneKind.COVERAGE_START in milestones and milestones[MilestoneKind.COVERAGE_START].at > period_end(
            main.at, main.precision
        ):
            raise InputError(
                "The coverage start would now be after the event. Give a new coverage time too, or `-` to drop it."
            )
        updated = replace(
            event,
            name=new_name or event.name,
            milestones=tuple(milestones.values()),
            webcast_urls=new_urls if new_urls is not None else event.webcast_urls,
            description=new_description if description is not None else event.description,
        )
        changes = await upsert_in(conn, [updated], feed=FEED, now=now, source=Source.MANUAL)
        stored = await event_by_id_in(conn, event_id)
    await bus.publish(changes)
    return Saved(stored, parsed, changes)


async def remove_event(db: Database, bus: ChangeBus, actor: Actor, event_id: int, *, now: datetime) -> StoredEvent:
    """Cancel a hand-entered event: it leaves every list, and the alert engine hears it was cancelled."""
    async with db.transaction() as conn:
        stored = await _own_event_in(conn, actor, event_id)
        changes = await mark_gone_in(
            conn,
            Source.MANUAL,
            stored.event.source_id,
            now=now,
            status=EventStatus.CANCELLED,
            reason=GoneReason.CANCELLED,
        )
    await bus.publish(changes)
    return stored


async def list_events(
    db: Database,
    *,
    guild_id: int | None,
    now: datetime,
    limit: int = 25,
    include_global: bool = True,
    matching: str | None = None,
) -> list[StoredEvent]:
    """Hand-entered events visible here that are not over yet, soonest first.

    Visible: this guild's, and (unless ``include_global`` is off) the global ones. ``matching`` keeps those whose
    name contains the text (any case or accents, any script) or whose number starts with it, searched in SQL so no
    event is out of reach behind the ``limit``.
    """
    return await manual_events_ahead(
        db,
        guild_id=guild_id,
        now=int(ensure_utc(now).timestamp()),
        limit=limit,
        include_global=include_global,
        needle=search_key((matching or "").strip().lstrip("#")),
    )


@dataclass(frozen=True, slots=True)
class Found:
    """One milestone to save from an import (what extraction found, possibly corrected by the admin)."""

    kind: MilestoneKind
    utc: datetime
    precision: Precision = Precision.MINUTE
    past: bool = False  # the text reported it as done ("docked at 5:27 a.m. EST today")
    # Read with a day or zone the text did not give (the publication date, the reader's zone), and not yet
    # confirmed or corrected by the admin: shown, never saved as it stands.
    assumed: bool = False
    superseded: bool = False  # the old time of a slip the text reports ("delayed from X to Y": X)

    @classmethod
    def of(
        cls,
        kind: MilestoneKind,
        utc: datetime,
        precision: Precision,
        *,
        day: date | None = None,
        past: bool = False,
        assumed: bool = False,
        superseded: bool = False,
    ) -> Found:
        """A found reading, with a date alone stored as 00:00Z of the date (see :func:`_milestone`)."""
        return cls(kind, start_of_date(day) if day is not None else utc, precision, past, assumed, superseded)

    def is_over(self, now: datetime) -> bool:
        """Reported as done, or its time (its whole period, for a date) has passed."""
        return self.past or period_end(self.utc, self.precision) < ensure_utc(now)


def group_for_import(found: Sequence[Found]) -> list[list[Found]]:
    """Split found milestones into events: one per main milestone, each coverage start joined to what it covers.

    A coverage start belongs to the first main milestone at or after it within COVERAGE_ATTACH_WINDOW (NASA
    coverage begins before the docking it shows); failing that, to the nearest main milestone, which it must
    not come after.
    """
    mains = sorted((f for f in found if f.kind != MilestoneKind.COVERAGE_START), key=lambda f: f.utc)
    if not mains:
        raise InputError("There is no liftoff, docking or other event time to save, only coverage times.")
    groups: list[list[Found]] = [[m] for m in mains]
    for cov in (f for f in found if f.kind == MilestoneKind.COVERAGE_START):
        after = [i for i, m in enumerate(mains) if timedelta(0) <= m.utc - cov.utc <= COVERAGE_ATTACH_WINDOW]
        index = after[0] if after else min(range(len(mains)), key=lambda i: abs(mains[i].utc - cov.utc))
        main = mains[index]
        if cov.utc > period_end(main.utc, main.precision):
            raise InputError(
                f"The coverage start comes after the {main.kind.value.replace('_', ' ')} it would belong to; "
                "correct it with Edit, or leave it blank to drop it."
            )
        if any(f.kind == MilestoneKind.COVERAGE_START for f in groups[index]):
            raise InputError("Two coverage starts belong to the same event; remove one with Edit.")
        groups[index].append(cov)
    for group in groups:
        kinds = [f.kind for f in group]
        if len(set(kinds)) != len(kinds):
            raise InputError("The text gives two times for the same milestone; keep one with Edit.")
    return groups


def importable(found: Sequence[Found], *, now: datetime) -> list[list[Found]]:
    """The events an import would save: what is still ahead, grouped; InputError says why when nothing is.

    Milestones reported as done, or already past, are not saved: an alert bot has nothing to do with them, and
    storing them as scheduled would be false. Old times of a slip are not saved either, and neither is a time
    read with an assumed day or zone until the admin has confirmed or corrected it: a wrong time that looks
    right is worse than none.
    """
    ahead = [f for f in found if not f.is_over(now)]
    if found and not ahead:
        raise InputError("Everything found has already happened, so there is nothing to save.")
    current = [f for f in ahead if not f.superseded]
    if ahead and not current:
        raise InputError("Every time found is an old time the text says was moved, so there is nothing to save.")
    checked = [f for f in current if not f.assumed]
    if current and not checked:
        raise InputError(
            "Every time left to save was read with an assumed day or zone: open Edit, check them and submit."
        )
    return group_for_import(checked)


def _event_name(name: str, kind: MilestoneKind) -> str:
    if kind == MilestoneKind.LIFTOFF:
        return name
    suffix = " " + kind.value.replace("_", " ")
    return name[: NAME_MAX - len(suffix)].rstrip() + suffix


async def save_import(
    db: Database,
    bus: ChangeBus,
    actor: Actor,
    *,
    name: str,
    found: Sequence[Found],
    now: datetime,
    import_id: str,
    description: str | None = None,
) -> list[StoredEvent]:
    """Save an article's milestones that are still ahead as linked events of one mission (a launch and its docking).

    ``import_id`` names this review; the events' source ids derive from it, so confirming the same review
    twice (a double click, a retried interaction) stores nothing new.
    """
    if actor.guild_id is None:
        raise InputError("Hand-entered events belong to a server: run this in one.")
    name = _check_name(name)
    mission_key = f"manual-mission:{import_id}"
    events = [
        Event(
            source=Source.MANUAL,
            source_id=f"import-{import_id}-{index}",
            type=KIND_TO_TYPE.get(group[0].kind, EventType.OTHER),
            name=_event_name(name, group[0].kind),
            status=EventStatus.SCHEDULED,
            milestones=tuple(Milestone(f.kind, f.utc, f.precision) for f in group),
            guild_id=actor.guild_id,
            mission_key=mission_key,
            description=_check_description(description),
            created_by=actor.user_id,
        )
        for index, group in enumerate(importable(found, now=now))
    ]
    # One upsert, one transaction: the mission's events are saved together or not at all.
    async with db.transaction() as conn:
        await _check_cap(conn, actor.guild_id, events, now)
        changes = await upsert_in(conn, events, feed=FEED, now=now, source=Source.MANUAL)
        stored = await manual_events_by_source_ids_in(conn, [e.source_id for e in events])
    await bus.publish(changes)
    return stored

"""Calendar export: upcoming milestones as an iCalendar (.ics) file, one VEVENT per milestone.

Each VEVENT's UID is built from the event's source key and the milestone kind, so a calendar app that imports
a newer export updates the entry instead of adding a second one; SEQUENCE counts the milestone's recorded
changes, so the newer export wins. A time known only to the day or coarser is an all-day event spanning its
period (a day, a week, a month, a quarter...), never a made-up instant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar
from icalendar import Event as VEvent

from bot import __version__
from bot.browse import PORT_KINDS, STATION_KINDS, Filters, choose_driver, resolve_fields
from bot.db.browse import PageQuery, histories, page_in, snapshot_in, visible_event, with_events_in
from bot.db.database import Database
from bot.models import Event, Milestone, MilestoneKind, Precision, Source, ensure_utc, period_end
from bot.render import coarse_period, inert, truncate

PRODID = f"-//T-Minus//T-Minus {__version__}//EN"
UID_DOMAIN = "t-minus.invalid"
MAX_MILESTONES = 250
_DESCRIPTION_LIMIT = 1500
_TIMED_LENGTH = timedelta(minutes=30)
_UID_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")

_SUMMARY_PREFIX: dict[MilestoneKind, str] = {
    MilestoneKind.LIFTOFF: "Launch",
    MilestoneKind.COVERAGE_START: "Webcast starts",
    MilestoneKind.DOCKING: "Docking",
    MilestoneKind.UNDOCKING: "Undocking",
    MilestoneKind.BERTHING: "Berthing",
    MilestoneKind.UNBERTHING: "Unberthing",
    MilestoneKind.SPACEWALK: "Spacewalk",
    MilestoneKind.RELOCATION: "Relocation",
    MilestoneKind.LANDING: "Landing",
    MilestoneKind.OTHER: "Event",
}


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """One milestone to export, with what the VEVENT needs beside it."""

    event: Event
    milestone: Milestone
    changes: int = 0  # recorded changes of the milestone: the VEVENT's SEQUENCE
    url: str | None = None


def uid(event: Event, kind: MilestoneKind) -> str:
    """The stable UID of one milestone's VEVENT: the same in every export, on every machine."""
    return _UID_UNSAFE.sub("-", f"{event.source.value}-{event.source_id}-{kind.value}") + f"@{UID_DOMAIN}"


def all_day_span(at: datetime, precision: Precision) -> tuple[date, date]:
    """The dates (start inclusive, end exclusive) of the period a Day-or-coarser time names."""
    day = (ensure_utc(at) + timedelta(hours=12)).date()  # the date meant (see bot.render.coarse_period)
    match precision:
        case Precision.DAY:
            return day, day + timedelta(days=1)
        case Precision.WEEK:
            return day, day + timedelta(days=7)
        case Precision.MONTH:
            start = day.replace(day=1)
            return start, _add_months(start, 1)
        case Precision.QUARTER:
            start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
            return start, _add_months(start, 3)
        case Precision.HALF_YEAR:
            start = date(day.year, 1 if day.month <= 6 else 7, 1)
            return start, _add_months(start, 6)
        case _:
            return date(day.year, 1, 1), date(day.year + 1, 1, 1)


def _add_months(start: date, months: int) -> date:
    index = start.month - 1 + months
    return date(start.year + index // 12, index % 12 + 1, 1)


def _description(item: CalendarItem) -> str:
    event, milestone = item.event, item.milestone
    lines = [f"Status: {event.status.label}"]
    for label, value in (("Provider", event.provider), ("Rocket", event.vehicle), ("Where", event.location)):
        if value:
            lines.append(f"{label}: {value}")
    if event.station and event.station != event.location:
        lines.append(f"Station: {event.station}")
    period = coarse_period(milestone.at, milestone.precision)
    if period is not None:
        lines.append(f"Time not yet known closer than: {period}")
    elif milestone.precision is Precision.HOUR:
        lines.append("Time known to the hour only")
    coverage = event.milestone(MilestoneKind.COVERAGE_START)
    if coverage is not None and milestone.kind is not MilestoneKind.COVERAGE_START:
        lines.append(f"Webcast coverage starts {coverage.at:%Y-%m-%d %H:%M} UTC")
    if event.webcast_urls:
        lines.append(f"Webcast: {event.webcast_urls[0]}")
    if event.description:
        lines.append("")
        text = event.description.strip()
        lines.append(text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…")
    source = "Launch Library 2 (The Space Devs)" if event.source is Source.LL2 else "entered by a server's admins"
    lines.append("")
    lines.append(f"Data: {source}, via T-Minus")
    return "\n".join(lines)


def vevent(item: CalendarItem, *, now: datetime) -> VEvent:
    """One milestone as a VEVENT with a VALARM."""
    event, milestone = item.event, item.milestone
    component = VEvent()
    component.add("uid", uid(event, milestone.kind))
    component.add("dtstamp", ensure_utc(now))
    component.add("sequence", item.changes)
    prefix = _SUMMARY_PREFIX[milestone.kind]
    period = coarse_period(milestone.at, milestone.precision)
    if period is not None:
        start, end = all_day_span(milestone.at, milestone.precision)
        component.add("dtstart", start)
        component.add("dtend", end)
        component.add("transp", "TRANSPARENT")
        net = "" if milestone.precision is Precision.DAY else "NET "
        component.add("summary", f"{prefix} ({net}{period.removesuffix(' (date only)')}): {event.name}")
    else:
        at = ensure_utc(milestone.at)
        component.add("dtstart", at)
        end = at + _TIMED_LENGTH
        if milestone.kind is MilestoneKind.LIFTOFF and event.window_end is not None and event.window_end > at:
            end = min(event.window_end, at + timedelta(days=1))
        component.add("dtend", end)
        hour = " (time known to the hour)" if milestone.precision is Precision.HOUR else ""
        component.add("summary", f"{prefix}{hour}: {event.name}")
    component.add("description", _description(item))
    if item.url:
        component.add("url", item.url)
    if event.location:
        component.add("location", event.location)
    component.add("categories", [prefix])
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{prefix}: {event.name}")
    # Timed: half an hour before. All-day: 09:00 on the day (floating, in the reader's own calendar zone).
    alarm.add("trigger", timedelta(minutes=-30) if period is None else timedelta(hours=9))
    component.add_component(alarm)
    return component


def calendar_bytes(items: Sequence[CalendarItem], *, now: datetime, name: str = "T-Minus") -> bytes:
    """The .ics file of ``items`` (at most MAX_MILESTONES are expected; the caller says how many were left out)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for item in items:
        cal.add_component(vevent(item, now=now))
    data: bytes = cal.to_ical()
    return data


def ll2_url(base_url: str, event: Event) -> str | None:
    """A link for an event: its first webcast, else its Launch Library 2 record."""
    if event.webcast_urls:
        return event.webcast_urls[0]
    if event.source is not Source.LL2:
        return None
    kind, _, ident = event.source_id.partition(":")
    path = {"launch": "launches", "event": "events", "docking": "docking_events"}.get(kind)
    return f"{base_url.rstrip('/')}/{path}/{ident}/" if path and ident else None


# /calendar's kind option: key -> (label, milestone kinds).
CALENDAR_KINDS: dict[str, tuple[str, tuple[MilestoneKind, ...]]] = {
    "launches": ("Launches", (MilestoneKind.LIFTOFF,)),
    "dockings": ("Dockings, undockings and berthings", PORT_KINDS),
    "station": ("All station events (dockings, spacewalks...)", STATION_KINDS),
    "webcasts": ("Webcast starts", (MilestoneKind.COVERAGE_START,)),
    "everything": ("Everything", (MilestoneKind.LIFTOFF, *STATION_KINDS, MilestoneKind.COVERAGE_START)),
}


@dataclass(frozen=True, slots=True)
class Export:
    """An .ics file and the sentence that goes with it."""

    data: bytes
    filename: str
    message: str


async def _items(db: Database, picks: Sequence[tuple[Event, Milestone, int]], *, base_url: str) -> list[CalendarItem]:
    found = await histories(db, [mid for _, _, mid in picks])
    return [
        CalendarItem(event, milestone, max(0, len(found.get(mid, [])) - 1), ll2_url(base_url, event))
        for event, milestone, mid in picks
    ]


async def calendar_for_filters(
    db: Database, kind: str, provider: str | None, *, guild_id: int | None, now: datetime, base_url: str
) -> Export:
    """/calendar: the next MAX_MILESTONES upcoming milestones of ``kind`` (a CALENDAR_KINDS key) and provider."""
    label, kinds = CALENDAR_KINDS.get(kind, CALENDAR_KINDS["launches"])
    rows = []
    async with db.read() as conn:
        stats, _ = await snapshot_in(db, conn)
        fields = resolve_fields(stats, Filters(provider=provider))
        if all(fields.values()):
            driver = await choose_driver(conn, stats, kinds, fields)
            query = PageQuery(now, kinds, driver, fields, guild_id, limit=MAX_MILESTONES + 1)
            rows = await with_events_in(conn, await page_in(conn, query))
    more = len(rows) > MAX_MILESTONES
    rows = rows[:MAX_MILESTONES]
    items = await _items(db, [(r.event, r.milestone, r.milestone_id) for r in rows], base_url=base_url)
    # Typed text is echoed, but never at a length that breaks Discord's 2,000 characters.
    what = label.lower() + (f" by providers matching “{truncate(provider, 60)}”" if provider else "")
    if not items:
        message = f"No upcoming {what} in the data; here is an empty calendar."
    else:
        cut = f" (the first {MAX_MILESTONES}; narrow it down for the rest)" if more else ""
        message = f"{len(items)} upcoming {what}{cut}. Import the file into your calendar app; importing a newer one "
        message += "updates these entries instead of adding copies."
    return Export(calendar_bytes(items, now=now, name=f"T-Minus: {label}"), f"t-minus-{kind}.ics", inert(message))


async def calendar_for_event(
    db: Database, event_id: int, *, guild_id: int | None, now: datetime, base_url: str
) -> Export | None:
    """Add to calendar: every upcoming milestone of one event visible here (None if it is not)."""
    stored = await visible_event(db, event_id, guild_id=guild_id)
    if stored is None:
        return None
    event = stored.event
    picks = [
        (event, m, stored.milestone_ids[m.kind])
        for m in sorted(event.milestones, key=lambda m: m.at)
        if period_end(m.at, m.precision) >= now
    ]
    items = await _items(db, picks, base_url=base_url)
    message = f"{len(items)} entr{'y' if len(items) == 1 else 'ies'} for {event.name}: open the file to add "
    message += "them to your calendar."
    if not items:
        message = f"Everything of {event.name} is in the past; here is an empty calendar."
    return Export(
        calendar_bytes(items, now=now, name=f"T-Minus: {event.name}"), f"t-minus-{event_id}.ics", inert(message)
    )

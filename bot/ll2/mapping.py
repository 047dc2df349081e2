"""LL2 records -> domain events: launches, station events and dockings.

Source ids carry the endpoint (``launch:<uuid>``, ``event:<id>``, ``docking:<id>``) because LL2's event ids and
docking ids are separate integer sequences that can collide. A launch and the docking of the vehicle it
carried share ``mission_key = "ll2-launch:<launch uuid>"``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.ll2 import records as r
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source
from bot.zones import canonical_zone

LAUNCH_PREFIX = "launch:"
EVENT_PREFIX = "event:"
DOCKING_PREFIX = "docking:"

# LL2 net_precision ids. Morning/Afternoon (a local half-day) are DAY: an alert must not fire at an instant
# that is only known to within twelve hours. Fiscal year and decade have no finer home than YEAR.
_PRECISION_BY_ID: dict[int, Precision] = {
    0: Precision.SECOND,
    1: Precision.MINUTE,
    2: Precision.HOUR,
    3: Precision.DAY,
    4: Precision.DAY,
    5: Precision.DAY,
    6: Precision.WEEK,
    7: Precision.MONTH,
    8: Precision.QUARTER,
    9: Precision.QUARTER,
    10: Precision.QUARTER,
    11: Precision.QUARTER,
    12: Precision.HALF_YEAR,
    13: Precision.HALF_YEAR,
    14: Precision.YEAR,
    15: Precision.YEAR,
    16: Precision.YEAR,
}
_PRECISION_BY_NAME: tuple[tuple[str, Precision], ...] = (
    ("second", Precision.SECOND),
    ("minute", Precision.MINUTE),
    ("hour", Precision.HOUR),
    ("morning", Precision.DAY),
    ("afternoon", Precision.DAY),
    ("day", Precision.DAY),
    ("week", Precision.WEEK),
    ("month", Precision.MONTH),
    ("quarter", Precision.QUARTER),
    ("half", Precision.HALF_YEAR),
    ("year", Precision.YEAR),
    ("decade", Precision.YEAR),
)

_STATUS_BY_ID: dict[int, EventStatus] = {
    1: EventStatus.GO,
    2: EventStatus.TBD,
    3: EventStatus.SUCCESS,
    4: EventStatus.FAILURE,
    5: EventStatus.HOLD,
    6: EventStatus.IN_FLIGHT,
    7: EventStatus.PARTIAL_FAILURE,
    8: EventStatus.TBC,
    9: EventStatus.PAYLOAD_DEPLOYED,
}

# LL2 event type id -> (event type, milestone kind). 13 "Release" is the robotic-arm release of a berthed
# cargo craft (Cygnus, HTV, Dragon 1), i.e. an unberthing.
EVENT_TYPES: dict[int, tuple[EventType, MilestoneKind]] = {
    2: (EventType.DOCKING, MilestoneKind.DOCKING),
    3: (EventType.SPACEWALK, MilestoneKind.SPACEWALK),
    4: (EventType.BERTHING, MilestoneKind.BERTHING),
    8: (EventType.UNDOCKING, MilestoneKind.UNDOCKING),
    9: (EventType.LANDING, MilestoneKind.LANDING),
    13: (EventType.UNBERTHING, MilestoneKind.UNBERTHING),
    25: (EventType.RELOCATION, MilestoneKind.RELOCATION),
}
# The station-relevant types fetched by default (docking, EVA, berthing, undocking, release, relocation).
# Docking (2) stays in: most dockings also come from /docking_events/ (with the chaser's launch), and such a
# copy is dropped by the sync (see :func:`same_docking`), but a docking LL2 lists only as an event is kept.
STATION_EVENT_TYPE_IDS: tuple[int, ...] = (2, 3, 4, 8, 13, 25)

# How far apart a Docking event and a /docking_events/ record may be and still be one docking. Linked to the
# same launch, a day or two (the two LL2 records are not always edited together when a docking slips); with
# nothing to link them, two hours (two dockings at one station that close together do not happen).
SAME_DOCKING_LINKED = timedelta(hours=48)
SAME_DOCKING_UNLINKED = timedelta(hours=2)

# LL2 has given Baikonur "Asia/Almaty", whose offset differs from the site's; the cosmodrome keeps
# Kyzylorda time (UTC+6 until Dec 2018, UTC+5 since), which only the IANA zone gets right for old dates.
BAIKONUR_TZ = "Asia/Qyzylorda"


def precision_of(value: r.Named | None, *, default: Precision) -> Precision:
    """Our Precision for an LL2 ``net_precision``/``date_precision`` object (``default`` when absent).

    An unknown id falls back to the name, then to DAY: never claim a finer time than LL2 gave.
    """
    if value is None:
        return default
    if value.id is not None and value.id in _PRECISION_BY_ID:
        return _PRECISION_BY_ID[value.id]
    name = (value.name or "").lower()
    return next((p for key, p in _PRECISION_BY_NAME if key in name), Precision.DAY)


def status_of(value: r.Named | None) -> EventStatus:
    """Our EventStatus for an LL2 launch status (unknown or missing: TBD, the status that promises least)."""
    if value is None or value.id is None:
        return EventStatus.TBD
    return _STATUS_BY_ID.get(value.id, EventStatus.TBD)


def _sorted_streams(vids: list[r.VidURL]) -> list[r.VidURL]:
    # Lowest priority number is the main stream; streams without a priority go last, order kept.
    return sorted(vids, key=lambda v: v.priority if v.priority is not None else 1 << 30)


def coverage_start(vids: list[r.VidURL]) -> datetime | None:
    """When webcast coverage starts: the main stream's ``start_time``, else the first stream that has one."""
    streams = _sorted_streams(vids)
    return next((v.start_time for v in streams if v.start_time is not None), None)


def launch_streams(rec: r.Launch) -> list[r.VidURL]:
    """A launch's webcasts, from ``vid_urls`` (detailed mode) and ``mission.vid_urls`` (normal mode carries them
    there), one entry per URL: the launch's own entry wins when both list the same stream."""
    seen: set[str] = set()
    streams: list[r.VidURL] = []
    for vid in [*(rec.vid_urls or []), *((rec.mission.vid_urls if rec.mission else None) or [])]:
        if vid.url not in seen:
            seen.add(vid.url)
            streams.append(vid)
    return streams


def has_streams(rec: r.Launch) -> bool:
    """Whether the record says anything about webcasts (either list present, even empty)."""
    return rec.vid_urls is not None or (rec.mission is not None and rec.mission.vid_urls is not None)


def _zone(name: str | None) -> str | None:
    # Upstream text: only a real IANA name is kept ("America", a tzdata folder, would crash ZoneInfo()).
    return canonical_zone(name) if name else None


def location_tz(pad: r.Pad | None) -> str | None:
    """IANA zone of the launch site: the location's ``timezone_name``, with Baikonur fixed to Kyzylorda."""
    if pad is None or pad.location is None:
        return None
    if "baikonur" in (pad.location.name or "").lower():
        return BAIKONUR_TZ
    return _zone(pad.location.timezone_name)


def launch_mission_key(launch_id: str) -> str:
    """The mission key shared by a launch and the dockings of what it carried."""
    return f"ll2-launch:{launch_id}"


def map_launch(rec: r.Launch) -> Event:
    """A launch: LIFTOFF at ``net`` with its precision, plus COVERAGE_START when a stream has a start time.

    A missing ``net_precision`` counts as MINUTE only for a Go launch (its time is confirmed); otherwise DAY,
    so no timed alert fires on a guess.
    """
    status = status_of(rec.status)
    default = Precision.MINUTE if status is EventStatus.GO else Precision.DAY
    milestones = [Milestone(MilestoneKind.LIFTOFF, rec.net, precision_of(rec.net_precision, default=default))]
    vids = launch_streams(rec)
    start = coverage_start(vids)
    if start is not None:
        milestones.append(Milestone(MilestoneKind.COVERAGE_START, start, Precision.MINUTE))
    pad = rec.pad
    location = ", ".join(p for p in (pad.name, pad.location.name if pad.location else None) if p) if pad else ""
    config = rec.rocket.configuration if rec.rocket else None
    return Event(
        source=Source.LL2,
        source_id=LAUNCH_PREFIX + rec.id,
        type=EventType.LAUNCH,
        name=rec.name,
        status=status,
        milestones=tuple(milestones),
        mission_key=launch_mission_key(rec.id),
        provider=rec.launch_service_provider.name if rec.launch_service_provider else None,
        provider_abbrev=rec.launch_service_provider.abbrev if rec.launch_service_provider else None,
        vehicle=(config.full_name or config.name) if config else None,
        mission=rec.mission.name if rec.mission else None,
        location=location or None,
        location_tz=location_tz(pad),
        description=rec.mission.description if rec.mission else None,
        image_url=rec.image.image_url if rec.image else None,
        webcast_urls=tuple(v.url for v in _sorted_streams(vids)),
        window_start=rec.window_start,
        window_end=rec.window_end,
        last_updated=rec.last_updated,
    )


def map_event(rec: r.Event) -> Event | None:
    """A station event: one milestone of its type (OTHER for types we do not know), plus its webcast start.

    An event without a date has nothing to alert on and is left out (None). An event that lists launches
    (``mode=detailed``) shares the first one's mission key, linking e.g. a docking to the chaser's launch.
    """
    if rec.date is None:
        return None
    event_type, kind = EVENT_TYPES.get(rec.type.id or -1, (EventType.OTHER, MilestoneKind.OTHER))
    # Station events had no precision before 2.2; their dates have always been given to the minute.
    milestones = [Milestone(kind, rec.date, precision_of(rec.date_precision, default=Precision.MINUTE))]
    start = coverage_start(rec.vid_urls)
    if start is not None:
        milestones.append(Milestone(MilestoneKind.COVERAGE_START, start, Precision.MINUTE))
    return Event(
        source=Source.LL2,
        source_id=f"{EVENT_PREFIX}{rec.id}",
        type=event_type,
        name=rec.name,
        status=EventStatus.SCHEDULED,
        milestones=tuple(milestones),
        mission_key=launch_mission_key(rec.launches[0].id) if rec.launches else None,
        station=rec.location,
        location=rec.location,
        description=rec.description,
        image_url=rec.image.image_url if rec.image else None,
        webcast_urls=tuple(v.url for v in _sorted_streams(rec.vid_urls)),
        last_updated=rec.last_updated,
    )


def map_docking(rec: r.Docking) -> Event:
    """A docking: DOCKING at ``docking``, UNDOCKING at ``departure`` when known, linked to the chaser's launch."""
    milestones = [Milestone(MilestoneKind.DOCKING, rec.docking, Precision.MINUTE)]
    if rec.departure is not None and rec.departure > rec.docking:
        milestones.append(Milestone(MilestoneKind.UNDOCKING, rec.departure, Precision.MINUTE))
    chaser = rec.flight_vehicle_chaser
    spacecraft = chaser.spacecraft if chaser else None
    craft_name = (spacecraft.name if spacecraft else None) or (
        rec.space_station_chaser.name if rec.space_station_chaser else None
    )
    station = (rec.space_station_target.name if rec.space_station_target else None) or (
        rec.docking_location.spacestation.name if rec.docking_location and rec.docking_location.spacestation else None
    )
    port = rec.docking_location.name if rec.docking_location else None
    name = f"{craft_name or 'Spacecraft'} docking"
    if station:
        name += f" to {station}"
    launch = chaser.launch if chaser else None
    config = spacecraft.spacecraft_config if spacecraft else None
    return Event(
        source=Source.LL2,
        source_id=f"{DOCKING_PREFIX}{rec.id}",
        type=EventType.DOCKING,
        name=name,
        status=EventStatus.SCHEDULED,
        milestones=tuple(milestones),
        mission_key=launch_mission_key(launch.id) if launch else None,
        provider=config.agency.name if config and config.agency else None,
        provider_abbrev=config.agency.abbrev if config and config.agency else None,
        vehicle=craft_name,
        mission=launch.name if launch else None,
        station=station,
        location=port,
    )


def same_docking(event: Event, docking: Event) -> bool:
    """Whether a Docking event (``/events/``) is the same docking as a ``/docking_events/`` record.

    When both name a launch they must name the same one; otherwise only the time can tell.
    """
    a, b = event.milestone(MilestoneKind.DOCKING), docking.milestone(MilestoneKind.DOCKING)
    if a is None or b is None:
        return False
    gap = abs(a.at - b.at)
    if event.mission_key and docking.mission_key:
        return event.mission_key == docking.mission_key and gap <= SAME_DOCKING_LINKED
    return gap <= SAME_DOCKING_UNLINKED

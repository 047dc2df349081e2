"""The domain model: events, their milestones, and the changes a sync or an edit produces.

Plain frozen dataclasses with no I/O, so the parser, the LL2 mapper, the repository and the alert engine
can all share them and tests can build them by hand. Every datetime here is aware and in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; refuse naive datetimes, which are always a bug here."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: every instant must be timezone-aware")
    return value.astimezone(UTC)


class Source(enum.StrEnum):
    """Where an event came from."""

    LL2 = "ll2"
    MANUAL = "manual"


class EventType(enum.StrEnum):
    """What sort of thing an event is; a launch or one kind of station event."""

    LAUNCH = "launch"
    DOCKING = "docking"
    UNDOCKING = "undocking"
    BERTHING = "berthing"
    UNBERTHING = "unberthing"
    SPACEWALK = "spacewalk"
    RELOCATION = "relocation"
    LANDING = "landing"
    OTHER = "other"


class MilestoneKind(enum.StrEnum):
    """A moment within an event that someone may want an alert for."""

    LIFTOFF = "liftoff"
    DOCKING = "docking"
    UNDOCKING = "undocking"
    BERTHING = "berthing"
    UNBERTHING = "unberthing"
    SPACEWALK = "spacewalk"
    RELOCATION = "relocation"
    LANDING = "landing"
    COVERAGE_START = "coverage_start"
    OTHER = "other"


class Precision(enum.StrEnum):
    """How exactly a milestone's instant is known, finest first.

    Values mirror LL2's ``net_precision`` names. A MONTH-precision instant is only a month: it must be shown as a
    month and never armed as an alert at that exact second.
    """

    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"

    @property
    def rank(self) -> int:
        """Order from finest (0) to coarsest."""
        return list(Precision).index(self)

    @property
    def is_exact(self) -> bool:
        """True when the instant is good enough to fire a timed alert on (minute or finer)."""
        return self.rank <= Precision.MINUTE.rank


class EventStatus(enum.StrEnum):
    """Status of an event; launch statuses follow LL2's ids (1 Go ... 9 Payload Deployed)."""

    GO = "go"
    TBD = "tbd"
    TBC = "tbc"
    HOLD = "hold"
    IN_FLIGHT = "in_flight"
    SUCCESS = "success"
    FAILURE = "failure"
    PARTIAL_FAILURE = "partial_failure"
    PAYLOAD_DEPLOYED = "payload_deployed"
    SCHEDULED = "scheduled"  # station events and hand-entered events, which have no launch status
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """Short human label as LL2 abbreviates it."""
        return _STATUS_LABELS[self]

    @property
    def is_final(self) -> bool:
        """True once the event has happened (or definitely will not), so it leaves upcoming lists."""
        return self in _FINAL_STATUSES


_STATUS_LABELS: dict[EventStatus, str] = {
    EventStatus.GO: "Go",
    EventStatus.TBD: "TBD",
    EventStatus.TBC: "TBC",
    EventStatus.HOLD: "Hold",
    EventStatus.IN_FLIGHT: "In Flight",
    EventStatus.SUCCESS: "Success",
    EventStatus.FAILURE: "Failure",
    EventStatus.PARTIAL_FAILURE: "Partial Failure",
    EventStatus.PAYLOAD_DEPLOYED: "Payload Deployed",
    EventStatus.SCHEDULED: "Scheduled",
    EventStatus.CANCELLED: "Cancelled",
}
_FINAL_STATUSES = frozenset(
    {
        EventStatus.SUCCESS,
        EventStatus.FAILURE,
        EventStatus.PARTIAL_FAILURE,
        EventStatus.PAYLOAD_DEPLOYED,
        EventStatus.CANCELLED,
    }
)


# How long after its stored instant a coarse milestone's period lasts. Dates are stored as 00:00Z of the date
# (LL2's convention, and ours for typed dates), and a date is not over until it is over everywhere: 24 h plus
# the 14 h of the furthest-ahead zone. A week is seven such days. LL2 puts a month, quarter or year NET on the
# period's last day at 00:00Z, so one day covers what is left of it.
_DAY_EVERYWHERE = 86_400 + 14 * 3_600
PERIOD_SECONDS: dict[Precision, int] = {
    Precision.HOUR: 3_600,
    Precision.DAY: _DAY_EVERYWHERE,
    Precision.WEEK: 6 * 86_400 + _DAY_EVERYWHERE,
    Precision.MONTH: _DAY_EVERYWHERE,
    Precision.QUARTER: _DAY_EVERYWHERE,
    Precision.HALF_YEAR: _DAY_EVERYWHERE,
    Precision.YEAR: _DAY_EVERYWHERE,
}


def start_of_date(day: date) -> datetime:
    """How a calendar date alone is stored: 00:00Z of that date (LL2's convention for Day NETs, and ours)."""
    return datetime.combine(day, time(), UTC)


def period_end(at: datetime, precision: Precision) -> datetime:
    """When a milestone stored at ``at`` with ``precision`` is over (``at`` itself for exact times)."""
    return ensure_utc(at) + timedelta(seconds=PERIOD_SECONDS.get(precision, 0))


@dataclass(frozen=True, slots=True)
class Milestone:
    """One timed moment of an event, e.g. the liftoff of a launch or the start of its webcast."""

    kind: MilestoneKind
    at: datetime
    precision: Precision = Precision.MINUTE

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", ensure_utc(self.at))


@dataclass(frozen=True, slots=True)
class Event:
    """A launch or station event as a source describes it, before it has a database id.

    ``guild_id`` is the scope: ``None`` for global events (all of LL2, and hand-entered events made by a bot
    owner), a guild id for events that one server's admins entered. ``mission_key`` links events of one mission
    (a launch and the docking of the vehicle it carries share it).
    """

    source: Source
    source_id: str
    type: EventType
    name: str
    status: EventStatus
    milestones: tuple[Milestone, ...]
    guild_id: int | None = None
    mission_key: str | None = None
    provider: str | None = None
    provider_abbrev: str | None = None  # e.g. "ULA" for United Launch Alliance, for searches
    vehicle: str | None = None
    mission: str | None = None
    station: str | None = None
    location: str | None = None
    location_tz: str | None = None  # IANA zone of the site, for "local time at the pad"
    description: str | None = None
    image_url: str | None = None
    webcast_urls: tuple[str, ...] = ()
    window_start: datetime | None = None
    window_end: datetime | None = None
    last_updated: datetime | None = None
    created_by: int | None = None

    def __post_init__(self) -> None:
        kinds = [m.kind for m in self.milestones]
        if len(kinds) != len(set(kinds)):
            raise ValueError(f"event {self.source}:{self.source_id} has two milestones of one kind: {kinds}")
        for name in ("window_start", "window_end", "last_updated"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, ensure_utc(value))

    def milestone(self, kind: MilestoneKind) -> Milestone | None:
        """The milestone of ``kind``, if the event has one."""
        return next((m for m in self.milestones if m.kind == kind), None)


class GoneReason(enum.StrEnum):
    """Why an event left its source's list; alerts treat a withdrawn event very differently from a flown one."""

    HAPPENED = "happened"  # it took place (final status, or its time passed)
    WITHDRAWN = "withdrawn"  # the source deleted it, or it left the list with its time still ahead
    CANCELLED = "cancelled"  # an admin removed a hand-entered event
    UNKNOWN = "unknown"  # not listed any more and nothing tells which


class ChangeKind(enum.StrEnum):
    """What a sync or an edit did to an event."""

    NEW = "new"
    # A milestone's instant changed (a slip, or an earlier time). One MOVED per change, also when the precision
    # changed with it: it carries old and new precision, so consumers read the precision from MOVED too.
    MOVED = "moved"
    PRECISION = "precision"  # same instant, different precision only (e.g. MINUTE -> DAY when a launch goes TBD)
    STATUS = "status"
    MILESTONE_ADDED = "milestone_added"  # e.g. LL2 published a webcast start time
    MILESTONE_REMOVED = "milestone_removed"
    DETAILS = "details"  # name, provider, links... changed; no alert depends on it
    GONE = "gone"  # no longer listed by its source (happened, or cancelled: the source layer tells which)
    RETURNED = "returned"  # listed again after being gone


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that changed about one stored event; the alert engine consumes these."""

    kind: ChangeKind
    event_id: int
    source: Source
    source_id: str
    name: str
    milestone: MilestoneKind | None = None
    old_at: datetime | None = None
    new_at: datetime | None = None
    old_precision: Precision | None = None
    new_precision: Precision | None = None
    old_status: EventStatus | None = None
    new_status: EventStatus | None = None
    fields: tuple[str, ...] = field(default=())
    reason: GoneReason | None = None  # set on GONE

    def describe(self) -> str:
        """One line for logs and the CLI."""
        label = f"{self.name} ({self.source}:{self.source_id})"
        match self.kind:
            case ChangeKind.MOVED:
                return f"moved   {label} {self.milestone}: {_iso(self.old_at)} -> {_iso(self.new_at)}"
            case ChangeKind.PRECISION:
                return f"precis. {label} {self.milestone}: {self.old_precision} -> {self.new_precision}"
            case ChangeKind.STATUS:
                old = self.old_status.label if self.old_status else "?"
                new = self.new_status.label if self.new_status else "?"
                return f"status  {label}: {old} -> {new}"
            case ChangeKind.MILESTONE_ADDED:
                return f"added   {label} {self.milestone} at {_iso(self.new_at)}"
            case ChangeKind.MILESTONE_REMOVED:
                return f"removed {label} {self.milestone} (was {_iso(self.old_at)})"
            case ChangeKind.DETAILS:
                return f"details {label}: {', '.join(self.fields)}"
            case ChangeKind.GONE:
                return f"gone    {label} ({(self.reason or GoneReason.UNKNOWN).value})"
            case _:
                return f"{self.kind.value:<7} {label}"


def _iso(value: datetime | None) -> str:
    return isoformat_z(value) if value is not None else "?"


def isoformat_z(value: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix and no microseconds, the one text form of an instant we emit."""
    return ensure_utc(value).replace(microsecond=0).isoformat().replace("+00:00", "Z")

"""Validation of LL2 2.3.0 records: only the fields the bot reads, each checked for type.

Unknown extra fields are ignored (LL2 adds fields between versions) and optional ones may be missing. A record
that fails validation is skipped by :func:`parse_page` and logged with its id; the rest of the page is used.
A page with nothing usable on it (every record skipped, or no records although ``count`` says there are some)
is a bad response, not an empty list: believing it would make every stored event look withdrawn.
The 2.3.0 document marks some docking-event fields non-null that the live API returns as null (unused
chaser/target slots, ``docking_location.spacecraft``/``payload``, the chaser's ``landing``/``duration``):
every such field is optional and nullable here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# A launch id is a UUID (``format: uuid`` in the 2.3.0 document). Anything else ("", a number, a word) is a bad
# record, not a new launch: read as one, it would make the launch it replaced look withdrawn.
LaunchId = Annotated[
    str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


class Named(_Record):
    """Any ``{id, name}`` object (status, precision, event type, agency...)."""

    id: int | None = None
    name: str | None = None
    abbrev: str | None = None


class Image(_Record):
    """The ``image`` object; only its URL is used."""

    image_url: str | None = None


class VidURL(_Record):
    """One webcast link; ``start_time`` is the only LL2 hint of when coverage starts."""

    url: str
    priority: int | None = None
    title: str | None = None
    start_time: AwareDatetime | None = None
    live: bool | None = None


class Location(_Record):
    """A launch site (e.g. Baikonur Cosmodrome)."""

    id: int | None = None
    name: str | None = None
    timezone_name: str | None = None


class Pad(_Record):
    """A launch pad and its site."""

    name: str | None = None
    location: Location | None = None


class LauncherConfig(_Record):
    """The rocket's configuration (e.g. Soyuz 2.1A)."""

    name: str | None = None
    full_name: str | None = None


class Rocket(_Record):
    """The rocket of a launch."""

    configuration: LauncherConfig | None = None


class Mission(_Record):
    """What a launch carries. In ``mode=normal`` the launch's webcasts can sit here (``Mission.vid_urls``)."""

    name: str | None = None
    description: str | None = None
    type: str | None = None
    vid_urls: list[VidURL] | None = None


class Launch(_Record):
    """A ``LaunchNormal`` (or detailed) object. ``net`` is not required by the 2.3.0 schema: it is here."""

    id: LaunchId
    name: str
    net: AwareDatetime
    net_precision: Named | None = None
    status: Named | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    last_updated: AwareDatetime | None = None
    image: Image | None = None
    launch_service_provider: Named | None = None
    rocket: Rocket | None = None
    mission: Mission | None = None
    pad: Pad | None = None
    webcast_live: bool | None = None
    # Not part of LaunchNormal in 2.3.0 (only of LaunchDetailed): None means "not sent", [] means "none".
    vid_urls: list[VidURL] | None = None


class LaunchRef(_Record):
    """``LaunchMini``/``LaunchBasic``: the launch that carried a spacecraft, or that an event belongs to."""

    id: LaunchId
    name: str | None = None


class Event(_Record):
    """An ``EventEndpointNormal`` (or ``EventEndpointDetailed``) object (docking, EVA, ...)."""

    id: int
    name: str
    type: Named
    date: AwareDatetime | None = None
    date_precision: Named | None = None
    description: str | None = None
    location: str | None = None
    image: Image | None = None
    vid_urls: list[VidURL] = Field(default_factory=list)
    webcast_live: bool | None = None
    last_updated: AwareDatetime | None = None
    # Only in mode=detailed: the launches the event belongs to (a docking lists the chaser's launch).
    launches: list[LaunchRef] = Field(default_factory=list)


class SpacecraftConfig(_Record):
    """The spacecraft's model (e.g. Progress) and its agency."""

    name: str | None = None
    agency: Named | None = None


class Spacecraft(_Record):
    """A spacecraft (e.g. Progress MS-15)."""

    name: str | None = None
    spacecraft_config: SpacecraftConfig | None = None


class SpacecraftFlight(_Record):
    """A flight of a spacecraft: the chaser of a docking."""

    spacecraft: Spacecraft | None = None
    launch: LaunchRef | None = None
    destination: str | None = None


class DockingLocation(_Record):
    """A port (e.g. Pirs nadir) and its station."""

    name: str | None = None
    spacestation: Named | None = None


class Docking(_Record):
    """A ``DockingEventEndpointNormal`` object."""

    id: int
    docking: AwareDatetime
    departure: AwareDatetime | None = None
    docking_location: DockingLocation | None = None
    space_station_target: Named | None = None
    flight_vehicle_chaser: SpacecraftFlight | None = None
    space_station_chaser: Named | None = None
    flight_vehicle_target: SpacecraftFlight | None = None


RecordT = TypeVar("RecordT", bound=_Record)


class BadResponseError(Exception):
    """A response that is not an LL2 list at all (not JSON, no ``results`` list): nothing of it is used."""


@dataclass(frozen=True, slots=True)
class Page(Generic[RecordT]):
    """One validated page of a list response."""

    records: list[RecordT]
    next_url: str | None
    count: int | None
    # How many results the page held, valid or not (with ``count``: was everything LL2 has on this list read?).
    received: int = 0
    # Ids of every result, valid or not, so a record we could not read is not mistaken for a withdrawn one.
    seen_ids: frozenset[str] = frozenset()
    skipped: int = 0


def parse_page(payload: Any, model: type[RecordT], *, what: str) -> Page[RecordT]:
    """Validate a list response; bad records are skipped and logged with their id.

    Raises BadResponseError for a page with nothing usable on it: ``results`` non-empty but every record bad,
    or ``results`` empty while ``count`` says the list is not. Such a page must change nothing.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise BadResponseError(f"{what}: not an LL2 list response (no 'results' list)")
    next_url = payload.get("next")
    if next_url is not None and not isinstance(next_url, str):
        raise BadResponseError(f"{what}: 'next' is not a URL")
    count = payload.get("count")
    records: list[RecordT] = []
    seen: set[str] = set()
    skipped = 0
    for raw in payload["results"]:
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw_id, str | int) and not isinstance(raw_id, bool):
            seen.add(str(raw_id))
        try:
            records.append(model.model_validate(raw))
        except ValidationError as exc:
            skipped += 1
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
            log.warning("skipping bad LL2 %s record id=%r: %s", what, raw_id, problems)
    results = payload["results"]
    if results and not records:
        raise BadResponseError(f"{what}: all {len(results)} records on the page are invalid")
    if not results and isinstance(count, int) and not isinstance(count, bool) and count > 0:
        raise BadResponseError(f"{what}: no results although count is {count}")
    total = count if isinstance(count, int) and not isinstance(count, bool) else None
    return Page(records, next_url, total, received=len(results), seen_ids=frozenset(seen), skipped=skipped)


def parse_record(payload: Any, model: type[RecordT], *, what: str) -> RecordT:
    """Validate one detail response; a bad one raises BadResponseError."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadResponseError(f"{what}: invalid record: {exc.errors()[:1]}") from None

"""A small schedule for the browsing tests: every precision and status, a docking linked to its launch, a
spacewalk, a server's own event, hostile upstream text, and a launch that slipped twice.

The clock stands at NOW (a Sunday a week before the US changes to daylight saving time on 8 March 2026).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import Database
from bot.db.events import upsert_events
from bot.db.ll2 import STATE_LAST_SYNC
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LAST_SYNC = NOW - timedelta(minutes=4)
GUILD_EVENT_GUILD = 4242  # replaced by the scene's guild id in e2e tests (see seed)

F9_AT = datetime(2026, 3, 2, 3, 25, tzinfo=UTC)
ELECTRON_AT = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
DOCKING_AT = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)
SPACEWALK_AT = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
VULCAN_DAY = datetime(2026, 3, 5, tzinfo=UTC)
VANDENBERG_AT = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
ARIANE_AT = datetime(2026, 3, 9, 1, 2, 3, tzinfo=UTC)  # after the US DST change, before Europe's
HOSTILE_AT = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
STARSHIP_MONTH = datetime(2026, 4, 30, tzinfo=UTC)  # LL2 puts a Month NET on the month's last day
LONG_MARCH_QUARTER = datetime(2026, 9, 30, tzinfo=UTC)
NEW_GLENN_YEAR = datetime(2027, 12, 31, tzinfo=UTC)
SOYUZ_AT = NOW - timedelta(minutes=3)  # lifted off three minutes ago: In Flight

HOSTILE_NAME = "@everyone **FREE** <@&123> [click](https://evil.example) Launch"
HOSTILE_DESCRIPTION = ("@here <@456> **bold** __u__ `code` > quote\n# heading\n- item ||spoiler|| " * 200)[:10_000]


def launch(
    key: str,
    name: str,
    at: datetime,
    *,
    precision: Precision = Precision.MINUTE,
    status: EventStatus = EventStatus.GO,
    provider: str | None = None,
    abbrev: str | None = None,
    vehicle: str | None = None,
    location: str | None = None,
    more: tuple[Milestone, ...] = (),
    **extra: object,
) -> Event:
    """An LL2 launch with a liftoff."""
    return Event(
        source=Source.LL2,
        source_id=f"launch:{key}",
        type=EventType.LAUNCH,
        name=name,
        status=status,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, precision), *more),
        mission_key=f"ll2-launch:{key}",
        provider=provider,
        provider_abbrev=abbrev,
        vehicle=vehicle,
        location=location,
        **extra,  # type: ignore[arg-type]
    )


def falcon9(at: datetime = F9_AT) -> Event:
    """The next launch: Go, to the minute, with a window, a webcast and its coverage start."""
    return launch(
        "f9",
        "Falcon 9 Block 5 | Starlink Group 10-1",
        at,
        provider="SpaceX",
        abbrev="SpX",
        vehicle="Falcon 9 Block 5",
        location="SLC-40, Cape Canaveral SFS, FL, USA",
        location_tz="America/New_York",
        more=(Milestone(MilestoneKind.COVERAGE_START, at - timedelta(minutes=20)),),
        mission="Starlink Group 10-1",
        description="A batch of 23 Starlink satellites for the low Earth orbit constellation.",
        image_url="https://images.example/f9.jpg",
        webcast_urls=("https://www.youtube.com/watch?v=f9",),
        window_start=at,
        window_end=at + timedelta(hours=4),
    )


def schedule(guild_id: int) -> tuple[list[Event], list[Event], list[Event]]:
    """(launches, station events, this guild's hand-entered events)."""
    launches = [
        launch(
            "electron",
            "Electron | Hawk Mission",
            ELECTRON_AT,
            precision=Precision.HOUR,
            status=EventStatus.TBC,
            provider="Rocket Lab Ltd",
            abbrev="RL",
            vehicle="Electron",
            location="LC-1A, Rocket Lab Launch Complex 1, Mahia Peninsula, New Zealand",
        ),
        launch(
            "vulcan",
            "Vulcan VC4S | USSF-87",
            VULCAN_DAY,
            precision=Precision.DAY,
            status=EventStatus.TBD,
            provider="United Launch Alliance",
            abbrev="ULA",
            vehicle="Vulcan VC4S",
            location="SLC-41, Cape Canaveral SFS, FL, USA",
        ),
        launch(
            "sda",
            "Falcon 9 Block 5 | SDA Tranche 2",
            VANDENBERG_AT,
            provider="SpaceX",
            abbrev="SpX",
            vehicle="Falcon 9 Block 5",
            location="SLC-4E, Vandenberg SFB, CA, USA",
        ),
        launch(
            "ariane",
            "Ariane 62 | Galileo L14",
            ARIANE_AT,
            precision=Precision.SECOND,
            status=EventStatus.HOLD,
            provider="Arianespace",
            abbrev="ASA",
            vehicle="Ariane 62",
            location="ELA-4, Guiana Space Centre, French Guiana",
        ),
        launch(
            "hostile",
            HOSTILE_NAME,
            HOSTILE_AT,
            provider="Evil <@789> Corp",
            vehicle="Rocket **X**",
            location="@everyone pad",
            description=HOSTILE_DESCRIPTION,
            image_url="javascript:alert(1)",
            webcast_urls=("https://evil.example/@everyone",),
        ),
        launch(
            "starship",
            "Starship | Flight 12",
            STARSHIP_MONTH,
            precision=Precision.MONTH,
            status=EventStatus.TBD,
            provider="SpaceX",
            abbrev="SpX",
            vehicle="Starship",
            location="Orbital Launch Mount A, Starbase, TX, USA",
        ),
        launch(
            "longmarch",
            "Long March 5 | Tianwen-3",
            LONG_MARCH_QUARTER,
            precision=Precision.QUARTER,
            status=EventStatus.TBD,
            provider="China Aerospace Science and Technology Corporation",
            abbrev="CASC",
            vehicle="Long March 5",
            location="Wenchang Space Launch Site, China",
        ),
        launch(
            "newglenn",
            "New Glenn | Blue Moon MK1",
            NEW_GLENN_YEAR,
            precision=Precision.YEAR,
            status=EventStatus.TBD,
            provider="Blue Origin",
            abbrev="BO",
            vehicle="New Glenn",
            location="LC-36, Cape Canaveral SFS, FL, USA",
        ),
        launch(
            "soyuz",
            "Soyuz 2.1a | Progress MS-33",
            SOYUZ_AT,
            status=EventStatus.IN_FLIGHT,
            provider="Russian Federal Space Agency (ROSCOSMOS)",
            abbrev="RFSA",
            vehicle="Soyuz 2.1a",
            location="31/6, Baikonur Cosmodrome, Republic of Kazakhstan",
        ),
    ]
    station = [
        Event(
            source=Source.LL2,
            source_id="docking:901",
            type=EventType.DOCKING,
            name="Progress MS-33 docking to International Space Station",
            status=EventStatus.SCHEDULED,
            milestones=(
                Milestone(MilestoneKind.DOCKING, DOCKING_AT),
                Milestone(MilestoneKind.UNDOCKING, datetime(2026, 8, 1, 9, 0, tzinfo=UTC)),
            ),
            mission_key="ll2-launch:soyuz",
            provider="Russian Federal Space Agency (ROSCOSMOS)",
            vehicle="Progress MS-33",
            mission="Soyuz 2.1a | Progress MS-33",
            station="International Space Station",
            location="Zvezda aft",
        ),
        Event(
            source=Source.LL2,
            source_id="event:77",
            type=EventType.SPACEWALK,
            name="US Spacewalk 95",
            status=EventStatus.SCHEDULED,
            milestones=(
                Milestone(MilestoneKind.SPACEWALK, SPACEWALK_AT),
                Milestone(MilestoneKind.COVERAGE_START, SPACEWALK_AT - timedelta(minutes=90)),
            ),
            station="International Space Station",
            location="International Space Station",
            description="Two astronauts install a new solar array.",
            webcast_urls=("https://plus.nasa.gov/live",),
        ),
    ]
    manual = [
        Event(
            source=Source.MANUAL,
            source_id="club1",
            type=EventType.OTHER,
            name="Club watch party: Tiangong crew handover",
            status=EventStatus.SCHEDULED,
            milestones=(Milestone(MilestoneKind.OTHER, datetime(2026, 3, 7, 19, 0, tzinfo=UTC)),),
            guild_id=guild_id,
            station="Tiangong",
            created_by=1,
        )
    ]
    return launches, station, manual


async def seed(db: Database, *, guild_id: int, last_sync: datetime | None = LAST_SYNC) -> None:
    """Store the schedule as syncs would have: Falcon 9 first seen two days ago and moved twice since."""
    for first_at, seen in ((datetime(2026, 3, 1, 3, 25, tzinfo=UTC), 2), (datetime(2026, 3, 1, 20, 0, tzinfo=UTC), 1)):
        await upsert_events(db, [falcon9(first_at)], feed="launches", now=NOW - timedelta(days=seen), complete=False)
    launches, station, manual = schedule(guild_id)
    await upsert_events(db, [falcon9(), *launches], feed="launches", now=NOW - timedelta(hours=1))
    await upsert_events(db, station, feed="station", now=NOW - timedelta(hours=1))
    await upsert_events(db, manual, feed="manual", now=NOW - timedelta(hours=1))
    if last_sync is not None:
        await db.set_state(STATE_LAST_SYNC, last_sync.isoformat().replace("+00:00", "Z"))

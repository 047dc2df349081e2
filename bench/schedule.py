"""A synthetic schedule of 20,000 upcoming milestones for the browsing benchmarks.

8,000 launches (liftoff and webcast start) and 2,000 station events (two milestones each) over three years.
Providers are skewed as in real data: half of the launches are SpaceX's, the rest spread over 29 others.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db import Database
from bot.db.events import upsert_events
from bot.db.ll2 import STATE_LAST_SYNC
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

NOW = datetime(2026, 11, 26, tzinfo=UTC)
LAUNCHES = 8_000
STATION_EVENTS = 2_000
PROVIDERS = [
    ("SpaceX", "SpX"),
    ("Rocket Lab Ltd", "RL"),
    ("United Launch Alliance", "ULA"),
    ("China Aerospace Science and Technology Corporation", "CASC"),
    ("Arianespace", "ASA"),
    ("Russian Federal Space Agency (ROSCOSMOS)", "RFSA"),
    *((f"Startup Aerospace {i}", f"SA{i}") for i in range(24)),
]
VEHICLES = ["Falcon 9 Block 5", "Electron", "Vulcan VC4S", "Long March 2D", "Ariane 62", "Soyuz 2.1a"]
LOCATIONS = [
    "SLC-40, Cape Canaveral SFS, FL, USA",
    "SLC-4E, Vandenberg SFB, CA, USA",
    "LC-1A, Rocket Lab Launch Complex 1, Mahia Peninsula, New Zealand",
    "Jiuquan Satellite Launch Center, China",
    "ELA-4, Guiana Space Centre, French Guiana",
    "31/6, Baikonur Cosmodrome, Republic of Kazakhstan",
]
STATIONS = ["International Space Station", "Tiangong Space Station"]
STATION_KINDS = [
    (EventType.DOCKING, MilestoneKind.DOCKING, MilestoneKind.UNDOCKING),
    (EventType.SPACEWALK, MilestoneKind.SPACEWALK, MilestoneKind.COVERAGE_START),
    (EventType.BERTHING, MilestoneKind.BERTHING, MilestoneKind.UNBERTHING),
]
SPAN_MINUTES = 3 * 365 * 24 * 60


def schedule(seed: int = 9, shift: timedelta = timedelta(0)) -> list[Event]:
    """Launches then station events; every milestone lies ahead of NOW (of NOW + ``shift``, when shifted)."""
    rnd = random.Random(seed)
    now = NOW + shift
    events: list[Event] = []
    for i in range(LAUNCHES):
        at = now + timedelta(minutes=rnd.randint(60, SPAN_MINUTES))
        p = 0 if rnd.random() < 0.5 else rnd.randrange(1, len(PROVIDERS))
        provider, abbrev = PROVIDERS[p]
        # A provider flies its own rocket from its own sites, as in life: filters are correlated.
        vehicle = VEHICLES[p % len(VEHICLES)]
        location = LOCATIONS[(p + rnd.randrange(2)) % len(LOCATIONS)]
        events.append(
            Event(
                Source.LL2,
                f"launch:bench-{i}",
                EventType.LAUNCH,
                f"{vehicle} | Mission {i}",
                EventStatus.GO if rnd.random() < 0.6 else EventStatus.TBD,
                (
                    Milestone(MilestoneKind.LIFTOFF, at, Precision.MINUTE),
                    Milestone(MilestoneKind.COVERAGE_START, at - timedelta(minutes=20)),
                ),
                mission_key=f"ll2-launch:bench-{i}",
                provider=provider,
                provider_abbrev=abbrev,
                vehicle=vehicle,
                location=location,
                description="A mission. " * 20,
                webcast_urls=(f"https://example.org/live/{i}",),
            )
        )
    for i in range(STATION_EVENTS):
        at = now + timedelta(minutes=rnd.randint(60, SPAN_MINUTES))
        event_type, first, second = STATION_KINDS[i % len(STATION_KINDS)]
        station = STATIONS[1] if i % 7 == 0 else STATIONS[0]  # one in seven at Tiangong
        later = at + (timedelta(days=30) if second is not MilestoneKind.COVERAGE_START else timedelta(hours=-2))
        events.append(
            Event(
                Source.LL2,
                f"event:bench-{i}",
                event_type,
                f"Station event {i}",
                EventStatus.SCHEDULED,
                (Milestone(first, at), Milestone(second, later)),
                station=station,
                location=station,
            )
        )
    return events


def db_size(path: Path) -> int:
    """Bytes of the database file with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def fill(db: Database, shift: timedelta = timedelta(0)) -> int:
    """Store the schedule (in syncs of 500, as the LL2 sync would) and mark a fresh sync; returns milestones.

    ``shift`` moves the whole schedule (and the sync) in time: to real time for a bot on the system clock.
    """
    events = schedule(shift=shift)
    now = NOW + shift
    for start in range(0, len(events), 500):
        await upsert_events(db, events[start : start + 500], feed=f"bench-{start}", now=now, complete=False)
    await db.set_state(STATE_LAST_SYNC, (now - timedelta(minutes=4)).isoformat().replace("+00:00", "Z"))
    return sum(len(e.milestones) for e in events)

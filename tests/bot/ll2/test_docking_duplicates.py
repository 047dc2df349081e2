"""One docking is stored once, whether LL2 lists it as a docking record, an event, or both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.db import Database
from bot.db.events import events_by_mission, get_event_by_source, next_milestones
from bot.ll2 import mapping
from bot.ll2 import records as r
from bot.ll2.sync import LL2Options
from bot.models import ChangeKind, GoneReason, MilestoneKind, Source
from tests.bot.ll2.conftest import CREW1, PROGRESS, MakeSync
from tests.fakell2.server import FakeClock, FakeLL2

LID = f"launch:{PROGRESS}"


def _gone(changes: list[Any]) -> dict[str, GoneReason | None]:
    return {c.source_id: c.reason for c in changes if c.kind is ChangeKind.GONE}


async def test_a_docking_is_stored_once_not_again_from_the_events_list(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    await make_sync().sync_once()
    dockings = await next_milestones(db, now=clock(), limit=50, kinds=[MilestoneKind.DOCKING])
    assert [u.stored.event.source_id for u in dockings] == ["docking:239", "docking:242"]
    events = next(s for s in ll2.counted if s.path.endswith("/events/upcoming/"))
    assert events.query["mode"] == "detailed"  # the only mode that lists an event's launches


async def test_a_docking_only_listed_as_an_event_is_kept_linked_then_retired_when_its_record_appears(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    record_239 = next(d for d in ll2.dockings if d["id"] == 239)
    ll2.dockings = [d for d in ll2.dockings if d["id"] != 239]
    event_111 = next(e for e in ll2.events if e["id"] == 111)
    event_111["launches"] = [{"id": PROGRESS, "name": "Soyuz 2.1a | Progress MS-15 (76P)"}]  # as mode=detailed
    sync = make_sync(options=LL2Options(fetch_details=False))
    report = await sync.sync_once()
    assert {"event:111", "docking:242"} <= {c.source_id for c in report.changes}
    assert "event:187" not in {c.source_id for c in report.changes}  # its docking record 242 is there
    stored = await get_event_by_source(db, Source.LL2, "event:111")
    assert stored is not None
    assert stored.event.mission_key == f"ll2-launch:{PROGRESS}"
    mission = await events_by_mission(db, f"ll2-launch:{PROGRESS}")
    assert sorted(s.event.source_id for s in mission) == ["event:111", LID]
    # LL2 adds the docking record: it replaces the event copy, which is retired, not announced as withdrawn.
    ll2.dockings.append(record_239)
    clock.advance(timedelta(minutes=20))
    report = await sync.sync_once()
    assert _gone(report.changes) == {"event:111": GoneReason.UNKNOWN}
    assert (ChangeKind.NEW, "docking:239") in [(c.kind, c.source_id) for c in report.changes]
    dockings = await next_milestones(db, now=clock(), limit=50, kinds=[MilestoneKind.DOCKING])
    assert [u.stored.event.source_id for u in dockings] == ["docking:239", "docking:242"]


def _docking_event(at: str, launch: str | None) -> Any:
    return mapping.map_event(
        r.Event.model_validate(
            {
                "id": 1,
                "name": "x",
                "type": {"id": 2, "name": "Docking"},
                "date": at,
                "launches": [{"id": launch}] if launch else [],
            }
        )
    )


def test_same_docking_needs_the_same_launch_when_both_name_one() -> None:
    docking = mapping.map_docking(
        r.Docking.model_validate(
            {"id": 9, "docking": "2020-07-23T17:49:00Z", "flight_vehicle_chaser": {"launch": {"id": PROGRESS}}}
        )
    )
    assert mapping.same_docking(_docking_event("2020-07-23T17:47:00Z", PROGRESS), docking)
    assert mapping.same_docking(_docking_event("2020-07-24T20:00:00Z", PROGRESS), docking)  # slipped, same launch
    assert not mapping.same_docking(_docking_event("2020-07-23T17:47:00Z", CREW1), docking)  # another vehicle
    assert mapping.same_docking(_docking_event("2020-07-23T18:30:00Z", None), docking)
    assert not mapping.same_docking(_docking_event("2020-07-23T21:00:00Z", None), docking)

"""Hand-entered events: scope, permissions by ownership, parsing echoes, and edits reported as slips."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import manual_events
from bot.db import Database
from bot.db.events import milestone_history, next_milestones
from bot.exceptions import InputError
from bot.manual_events import Actor, Found
from bot.models import Change, ChangeKind, EventStatus, EventType, GoneReason, MilestoneKind, Precision
from bot.pubsub import ChangeBus
from bot.render import plain_instant

NOW = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)
ADMIN = Actor(user_id=1, guild_id=100)
OTHER_GUILD_ADMIN = Actor(user_id=2, guild_id=200)
OWNER = Actor(user_id=3, guild_id=100, is_owner=True)


@pytest.fixture
def bus() -> tuple[ChangeBus, list[Change]]:
    seen: list[Change] = []
    bus = ChangeBus()

    async def record(changes: Sequence[Change]) -> None:
        seen.extend(changes)

    bus.subscribe(record)
    return bus, seen


async def test_add_reads_time_in_named_zone_and_coverage(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    saved = await manual_events.add_event(
        db,
        bus[0],
        ADMIN,
        name="  Progress   MS-26 docking ",
        kind=MilestoneKind.DOCKING,
        time_text="Feb. 17 1:12 a.m. EST",
        coverage_text="Feb. 17 12:30 a.m. EST",
        zone="Europe/London",
        now=NOW,
        webcast_url="https://plus.nasa.gov/",
    )
    event = saved.stored.event
    assert event.name == "Progress MS-26 docking"
    assert event.type == EventType.DOCKING
    assert event.guild_id == 100
    assert event.milestone(MilestoneKind.DOCKING) is not None
    assert event.milestone(MilestoneKind.DOCKING).at == datetime(2024, 2, 17, 6, 12, tzinfo=UTC)  # type: ignore[union-attr]
    assert event.milestone(MilestoneKind.COVERAGE_START).at == datetime(2024, 2, 17, 5, 30, tzinfo=UTC)  # type: ignore[union-attr]
    assert not saved.parsed[MilestoneKind.DOCKING].zone_assumed
    assert [c.kind for c in bus[1]] == [ChangeKind.NEW]


async def test_add_without_zone_uses_readers_zone_and_says_so(
    db: Database, bus: tuple[ChangeBus, list[Change]]
) -> None:
    saved = await manual_events.add_event(
        db, bus[0], ADMIN, name="EVA", kind=MilestoneKind.SPACEWALK, time_text="2024-02-20 08:00",
        zone="America/Chicago", now=NOW,
    )  # fmt: skip
    parsed = saved.parsed[MilestoneKind.SPACEWALK]
    assert parsed.zone_assumed
    assert parsed.utc == datetime(2024, 2, 20, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_text": "sometime soon"}, "couldn't read the docking time"),
        ({"time_text": "2024-02-01 10:00 UTC"}, "in the past"),
        ({"name": "   "}, "needs a name"),
        ({"name": "x" * 101}, "keep it to 100"),
        ({"webcast_url": "javascript:alert(1)"}, "not a web link"),
        ({"coverage_text": "when it starts"}, "coverage start time"),
    ],
)
async def test_bad_input_is_explained_and_saves_nothing(
    db: Database, bus: tuple[ChangeBus, list[Change]], kwargs: dict[str, str], message: str
) -> None:
    args: dict[str, object] = {"name": "Docking", "kind": MilestoneKind.DOCKING, "time_text": "Feb 17 06:12 UTC"}
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        await manual_events.add_event(db, bus[0], ADMIN, zone="UTC", now=NOW, **args)  # type: ignore[arg-type]
    assert await db.fetchall("SELECT id FROM events") == []
    assert bus[1] == []


async def test_only_owners_make_global_events(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    args = {"name": "Starship IFT", "kind": MilestoneKind.LIFTOFF, "time_text": "Feb 20 13:00 UTC", "zone": "UTC"}
    with pytest.raises(InputError, match="Only the bot's owners"):
        await manual_events.add_event(db, bus[0], ADMIN, now=NOW, make_global=True, **args)  # type: ignore[arg-type]
    saved = await manual_events.add_event(db, bus[0], OWNER, now=NOW, make_global=True, **args)  # type: ignore[arg-type]
    assert saved.stored.event.guild_id is None
    with pytest.raises(InputError, match="only the bot's owners can change it"):
        await manual_events.edit_event(db, bus[0], ADMIN, saved.stored.id, zone="UTC", now=NOW, name="x")


async def test_edit_that_moves_time_is_a_slip(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    saved = await manual_events.add_event(
        db, bus[0], ADMIN, name="Docking", kind=MilestoneKind.DOCKING, time_text="Feb 17 06:12 UTC", zone="UTC",
        now=NOW,
    )  # fmt: skip
    bus[1].clear()
    edited = await manual_events.edit_event(
        db, bus[0], ADMIN, saved.stored.id, zone="UTC", now=NOW, time_text="Feb 17 07:40 UTC"
    )
    assert [(c.kind, c.old_at, c.new_at) for c in bus[1]] == [
        (
            ChangeKind.MOVED,
            datetime(2024, 2, 17, 6, 12, tzinfo=UTC),
            datetime(2024, 2, 17, 7, 40, tzinfo=UTC),
        )
    ]
    history = await milestone_history(db, edited.stored.milestone_ids[MilestoneKind.DOCKING])
    assert [h.at.hour for h in history] == [6, 7]


async def test_other_guild_cannot_see_edit_or_remove(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    saved = await manual_events.add_event(
        db, bus[0], ADMIN, name="Docking", kind=MilestoneKind.DOCKING, time_text="Feb 17 06:12 UTC", zone="UTC",
        now=NOW,
    )  # fmt: skip
    with pytest.raises(InputError, match="no hand-entered event"):
        await manual_events.edit_event(db, bus[0], OTHER_GUILD_ADMIN, saved.stored.id, zone="UTC", now=NOW, name="x")
    with pytest.raises(InputError, match="no hand-entered event"):
        await manual_events.remove_event(db, bus[0], OTHER_GUILD_ADMIN, saved.stored.id, now=NOW)
    assert await manual_events.list_events(db, guild_id=200, now=NOW) == []
    assert [s.id for s in await manual_events.list_events(db, guild_id=100, now=NOW)] == [saved.stored.id]


async def test_remove_cancels_and_publishes_gone(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    saved = await manual_events.add_event(
        db, bus[0], ADMIN, name="Docking", kind=MilestoneKind.DOCKING, time_text="Feb 17 06:12 UTC", zone="UTC",
        now=NOW,
    )  # fmt: skip
    bus[1].clear()
    await manual_events.remove_event(db, bus[0], ADMIN, saved.stored.id, now=NOW)
    assert [c.kind for c in bus[1]] == [ChangeKind.STATUS, ChangeKind.GONE]
    assert bus[1][0].new_status == EventStatus.CANCELLED
    assert bus[1][1].reason == GoneReason.CANCELLED
    assert await next_milestones(db, now=NOW, guild_id=100) == []
    with pytest.raises(InputError):
        await manual_events.remove_event(db, bus[0], ADMIN, saved.stored.id, now=NOW)


async def test_import_links_launch_and_docking_and_attaches_coverage(
    db: Database, bus: tuple[ChangeBus, list[Change]]
) -> None:
    found = [
        Found(MilestoneKind.LIFTOFF, datetime(2024, 2, 15, 3, 25, tzinfo=UTC)),
        Found(MilestoneKind.DOCKING, datetime(2024, 2, 17, 6, 12, tzinfo=UTC)),
        Found(MilestoneKind.COVERAGE_START, datetime(2024, 2, 17, 5, 30, tzinfo=UTC)),
    ]
    saved = await manual_events.save_import(
        db, bus[0], ADMIN, name="Progress 87", found=found, now=NOW, import_id="review1"
    )
    assert [(s.event.type, s.event.name) for s in saved] == [
        (EventType.LAUNCH, "Progress 87"),
        (EventType.DOCKING, "Progress 87 docking"),
    ]
    assert saved[0].event.mission_key == saved[1].event.mission_key is not None
    assert saved[1].event.milestone(MilestoneKind.COVERAGE_START) is not None
    assert saved[0].event.milestone(MilestoneKind.COVERAGE_START) is None
    assert [c.kind for c in bus[1]] == [ChangeKind.NEW, ChangeKind.NEW]
    # Confirming the same review again (double click, retried interaction) stores nothing new.
    again = await manual_events.save_import(
        db, bus[0], ADMIN, name="Progress 87", found=found, now=NOW, import_id="review1"
    )
    assert [s.id for s in again] == [s.id for s in saved]
    assert len(await db.fetchall("SELECT id FROM events")) == 2
    assert [c.kind for c in bus[1]] == [ChangeKind.NEW, ChangeKind.NEW]


async def test_import_of_only_coverage_saves_nothing(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    only = [Found(MilestoneKind.COVERAGE_START, NOW + timedelta(days=1), Precision.MINUTE)]
    with pytest.raises(InputError, match="only coverage"):
        await manual_events.save_import(db, bus[0], ADMIN, name="x", found=only, now=NOW, import_id="r")
    assert await db.fetchall("SELECT id FROM events") == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.one_of(st.text(max_size=120), st.sampled_from(["Progress 88", "Crew-12 docking"])),
    time_text=st.one_of(
        st.text(max_size=60),
        st.sampled_from(["Feb 20 13:00 UTC", "tomorrow 06:12 EST", "Feb 17 1:12 a.m. EST", "2024-02-01 10:00Z"]),
    ),
    url=st.one_of(st.none(), st.text(max_size=40), st.just("https://plus.nasa.gov/")),
)
async def test_any_typed_text_saves_or_is_explained_never_half_written(
    tmp_path: Path, name: str, time_text: str, url: str | None
) -> None:
    async with Database(tmp_path / f"fuzz-{uuid.uuid4().hex}.sqlite3") as db:
        try:
            saved = await manual_events.add_event(
                db, ChangeBus(), ADMIN, name=name, kind=MilestoneKind.LIFTOFF, time_text=time_text, zone="UTC",
                now=NOW, webcast_url=url,
            )  # fmt: skip
        except InputError as exc:
            message = exc.message
            assert message
            assert "\n" not in message
            assert await db.fetchall("SELECT id FROM events") == []
            assert await db.fetchall("SELECT id FROM milestones") == []
        else:
            assert saved.stored.event.milestones[0].at >= NOW
            assert saved.stored.event.milestones[0].at.tzinfo is UTC


async def docking(db: Database, bus: ChangeBus, **kw: str) -> manual_events.Saved:
    args = {"name": "Docking", "time_text": "Feb 17 1:12 a.m. EST", "zone": "UTC", **kw}
    return await manual_events.add_event(db, bus, ADMIN, kind=MilestoneKind.DOCKING, now=NOW, **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("coverage", "expected"),
    [
        # A bare clock belongs to the night of the docking, not to tonight (the reader's day).
        ("12:30 a.m. EST", datetime(2024, 2, 17, 5, 30, tzinfo=UTC)),
        ("Feb 17 0530 GMT", datetime(2024, 2, 17, 5, 30, tzinfo=UTC)),
        ("2024-02-16T22:00Z", datetime(2024, 2, 16, 22, 0, tzinfo=UTC)),
    ],
)
async def test_coverage_is_read_against_its_milestone(
    db: Database, bus: tuple[ChangeBus, list[Change]], coverage: str, expected: datetime
) -> None:
    saved = await docking(db, bus[0], coverage_text=coverage)
    assert saved.stored.event.milestone(MilestoneKind.COVERAGE_START) is not None
    assert saved.stored.event.milestone(MilestoneKind.COVERAGE_START).at == expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("coverage", "expected"),
    [
        # A duration counts from now, never from the day before the milestone that a bare clock is read against.
        ("in 30 minutes", datetime(2024, 2, 14, 20, 30, tzinfo=UTC)),
        ("in 2 days", datetime(2024, 2, 16, 20, 0, tzinfo=UTC)),
        ("now", NOW),
    ],
)
async def test_a_coverage_duration_counts_from_now(
    db: Database, bus: tuple[ChangeBus, list[Change]], coverage: str, expected: datetime
) -> None:
    saved = await docking(db, bus[0], coverage_text=coverage)
    assert saved.stored.event.milestone(MilestoneKind.COVERAGE_START).at == expected  # type: ignore[union-attr]


async def test_an_event_in_90_minutes_is_saved_to_the_minute(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    saved = await docking(db, bus[0], time_text="in 90 minutes", zone="America/New_York")
    docked = saved.stored.event.milestone(MilestoneKind.DOCKING)
    assert docked is not None
    assert (docked.at, docked.precision) == (datetime(2024, 2, 14, 21, 30, tzinfo=UTC), Precision.MINUTE)
    assert saved.parsed[MilestoneKind.DOCKING].zone_assumed is False


@pytest.mark.parametrize(
    ("coverage", "message"),
    [("Feb 17 7:00 a.m. EST", "after the docking"), ("2024-02-14T09:00Z", "in the past"), ("in 3 days", "after")],
)
async def test_coverage_after_its_milestone_or_in_the_past_is_refused(
    db: Database, bus: tuple[ChangeBus, list[Change]], coverage: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        await docking(db, bus[0], coverage_text=coverage)
    assert await db.fetchall("SELECT id FROM events") == []


async def test_moving_event_before_its_coverage_needs_new_coverage(
    db: Database, bus: tuple[ChangeBus, list[Change]]
) -> None:
    saved = await docking(db, bus[0], coverage_text="12:30 a.m. EST")
    with pytest.raises(InputError, match="coverage start would now be after the event"):
        await manual_events.edit_event(
            db, bus[0], ADMIN, saved.stored.id, zone="UTC", now=NOW, time_text="Feb 17 0500 UTC"
        )
    edited = await manual_events.edit_event(
        db, bus[0], ADMIN, saved.stored.id, zone="UTC", now=NOW, time_text="Feb 17 0500 UTC", coverage_text="-"
    )
    assert [m.kind for m in edited.stored.event.milestones] == [MilestoneKind.DOCKING]


async def test_edit_racing_remove_cannot_revive_the_event(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    saved = await docking(db, bus[0])
    results = await asyncio.gather(
        manual_events.edit_event(db, bus[0], ADMIN, saved.stored.id, zone="UTC", now=NOW, name="Renamed"),
        manual_events.remove_event(db, bus[0], ADMIN, saved.stored.id, now=NOW),
        manual_events.edit_event(db, bus[0], ADMIN, saved.stored.id, zone="UTC", now=NOW, description="late"),
        return_exceptions=True,
    )
    # Whatever the order, once removed the event stays removed: a later edit is refused, not applied.
    row = await db.fetchone("SELECT status, gone_at FROM events WHERE id = ?", (saved.stored.id,))
    assert row is not None
    assert row["status"] == "cancelled"
    assert row["gone_at"] is not None
    assert isinstance(results[2], InputError)
    assert ChangeKind.RETURNED not in {c.kind for c in bus[1]}


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/New_York", "Pacific/Auckland", "Pacific/Honolulu"])
async def test_a_date_alone_is_stored_as_that_date_whatever_the_admins_zone(
    db: Database, bus: tuple[ChangeBus, list[Change]], zone: str
) -> None:
    saved = await docking(db, bus[0], time_text="Feb 17", zone=zone)
    milestone = saved.stored.event.milestone(MilestoneKind.DOCKING)
    assert milestone is not None
    assert (milestone.at, milestone.precision) == (datetime(2024, 2, 17, tzinfo=UTC), Precision.DAY)
    assert plain_instant(milestone.at, milestone.precision, ZoneInfo(zone)) == "Sat 17 Feb 2024 (date only)"


async def test_today_as_a_date_is_not_in_the_past(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    # 20:00Z on Feb 14 is 15:00 in New York: "today" there is Feb 14, which is not over yet.
    saved = await docking(db, bus[0], time_text="today", zone="America/New_York")
    assert saved.stored.event.milestones[0].precision == Precision.DAY
    assert [s.id for s in await manual_events.list_events(db, guild_id=100, now=NOW)] == [saved.stored.id]


async def test_coverage_on_the_day_of_a_date_only_event_is_accepted(
    db: Database, bus: tuple[ChangeBus, list[Change]]
) -> None:
    saved = await docking(db, bus[0], time_text="Feb 20", coverage_text="Feb 20 1 am EST")
    assert saved.stored.event.milestone(MilestoneKind.COVERAGE_START) is not None


async def test_past_time_is_explained_in_the_admins_zone(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    with pytest.raises(InputError, match=r"reads as Tue 13 Feb 2024, 10:00 EST, which is in the past"):
        await docking(db, bus[0], time_text="Feb 13 10:00 a.m.", zone="America/New_York")


async def test_bare_coverage_clock_for_a_date_only_event_lands_on_that_date(
    db: Database, bus: tuple[ChangeBus, list[Change]]
) -> None:
    saved = await docking(db, bus[0], time_text="Feb 17", coverage_text="12:30 a.m. EST", zone="America/New_York")
    coverage = saved.stored.event.milestone(MilestoneKind.COVERAGE_START)
    assert coverage is not None
    assert coverage.at == datetime(2024, 2, 17, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Прогресс МС-26 docking", "прогресс"),  # noqa: RUF001
        ("Прогресс МС-26 docking", "ПРОГРЕСС"),  # noqa: RUF001
        ("Прогресс МС-26 docking", "Прогресс МС"),  # noqa: RUF001
        ("Прогресс МС-26 docking", "мс-26"),  # noqa: RUF001
        ("Crew Dragon Ériger docking", "eriger"),
        ("Crew Dragon Eriger docking", "ÉRIGER"),
    ],
)
async def test_event_search_folds_case_and_accents_in_any_script(
    db: Database, bus: tuple[ChangeBus, list[Change]], name: str, typed: str
) -> None:
    saved = await docking(db, bus[0], name=name)
    found = await manual_events.list_events(db, guild_id=100, now=NOW, matching=typed)
    assert [s.id for s in found] == [saved.stored.id]


async def test_event_search_by_number_prefix(db: Database, bus: tuple[ChangeBus, list[Change]]) -> None:
    ids = [(await docking(db, bus[0], name=f"Docking {chr(65 + n)}")).stored.id for n in range(12)]
    found = await manual_events.list_events(db, guild_id=100, now=NOW, matching="#1")
    assert [s.id for s in found] == [i for i in ids if str(i).startswith("1")]


def test_import_leaves_out_assumed_and_superseded_times_and_keeps_the_checked_ones() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    docking = Found(MilestoneKind.DOCKING, datetime(2030, 2, 17, 6, 12, tzinfo=UTC))
    assumed_coverage = Found(MilestoneKind.COVERAGE_START, datetime(2030, 2, 17, 5, 30, tzinfo=UTC), assumed=True)
    old_liftoff = Found(MilestoneKind.LIFTOFF, datetime(2030, 2, 13, 21, 9, tzinfo=UTC), superseded=True)
    new_liftoff = Found(MilestoneKind.LIFTOFF, datetime(2030, 2, 14, 19, 9, tzinfo=UTC))
    groups = manual_events.importable([docking, assumed_coverage, old_liftoff, new_liftoff], now=now)
    assert groups == [[new_liftoff], [docking]]


@pytest.mark.parametrize(
    ("flags", "message"),
    [({"assumed": True}, "assumed day or zone"), ({"superseded": True}, "was moved")],
)
def test_import_of_only_unchecked_or_old_times_says_why_nothing_is_saved(flags: dict[str, bool], message: str) -> None:
    found = Found(MilestoneKind.DOCKING, datetime(2030, 2, 17, 6, 12, tzinfo=UTC), **flags)
    with pytest.raises(InputError, match=message):
        manual_events.importable([found], now=datetime(2030, 1, 1, tzinfo=UTC))

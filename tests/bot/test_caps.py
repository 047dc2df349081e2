"""Caps (SECURITY.md): a server holds at most GUILD_EVENT_CAP upcoming hand-entered events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import manual_events
from bot.db import Database
from bot.exceptions import InputError
from bot.manual_events import Actor, Found
from bot.models import MilestoneKind
from bot.pubsub import ChangeBus
from tests.e2e.dbdump import user_data_dump

NOW = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)
ADMIN = Actor(user_id=1, guild_id=100)
OTHER = Actor(user_id=2, guild_id=200)
OWNER = Actor(user_id=3, guild_id=100, is_owner=True)


async def _add(db: Database, actor: Actor, when: datetime, *, now: datetime = NOW, **kw: object) -> None:
    await manual_events.add_event(
        db,
        ChangeBus(),
        actor,
        name="Docking",
        kind=MilestoneKind.DOCKING,
        time_text=when.strftime("%Y-%m-%dT%H:%MZ"),
        zone="UTC",
        now=now,
        **kw,  # type: ignore[arg-type]
    )


async def test_a_server_at_its_cap_is_refused_more_events_with_a_hint(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manual_events, "GUILD_EVENT_CAP", 3)
    for day in range(1, 4):
        await _add(db, ADMIN, NOW + timedelta(days=day))
    before = user_data_dump(db.path)
    with pytest.raises(InputError, match=r"already has 3 upcoming .*at most 3.*/event remove"):
        await _add(db, ADMIN, NOW + timedelta(days=5))
    found = [Found(MilestoneKind.LIFTOFF, NOW + timedelta(days=6))]
    with pytest.raises(InputError, match="at most 3"):
        await manual_events.save_import(db, ChangeBus(), ADMIN, name="x", found=found, now=NOW, import_id="r1")
    assert user_data_dump(db.path) == before  # nothing half-written
    # Another server, and events for every server (owners only), are not held by this server's cap.
    await _add(db, OTHER, NOW + timedelta(days=5))
    await _add(db, OWNER, NOW + timedelta(days=5), make_global=True)


async def test_events_that_are_over_no_longer_count_against_the_cap(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manual_events, "GUILD_EVENT_CAP", 2)
    await _add(db, ADMIN, NOW + timedelta(hours=1))
    await _add(db, ADMIN, NOW + timedelta(hours=2))
    later = NOW + timedelta(hours=3)
    await _add(db, ADMIN, later + timedelta(days=1), now=later)  # both earlier ones are over by now


async def test_confirming_the_same_import_again_at_the_cap_is_not_refused(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(manual_events, "GUILD_EVENT_CAP", 2)
    found = [
        Found(MilestoneKind.LIFTOFF, NOW + timedelta(days=1)),
        Found(MilestoneKind.DOCKING, NOW + timedelta(days=3)),
    ]
    first = await manual_events.save_import(db, ChangeBus(), ADMIN, name="P", found=found, now=NOW, import_id="r")
    again = await manual_events.save_import(db, ChangeBus(), ADMIN, name="P", found=found, now=NOW, import_id="r")
    assert [s.id for s in again] == [s.id for s in first]

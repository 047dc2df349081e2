"""The mirror sends a cover image on create when one can be had, and never lets it stop the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.db import Database
from bot.db import guild_events as store
from bot.db.events import upsert_events
from bot.guild_events import EventMirror, RefusedError
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
IMAGE = "https://thespacedevs-prod.nyc3.digitaloceanspaces.com/media/images/f9.png"


class Port:
    """Discord's scheduled events as a list in memory; refuses any create with an image if told to."""

    def __init__(self, *, refuse_images: bool = False) -> None:
        self.refuse_images = refuse_images
        self.creates: list[tuple[int, dict[str, Any]]] = []
        self.events: dict[int, list[dict[str, Any]]] = {}

    async def list(self, guild_id: int) -> list[dict[str, Any]]:
        return list(self.events.get(guild_id, []))

    async def create(self, guild_id: int, payload: dict[str, Any]) -> int:
        self.creates.append((guild_id, payload))
        if self.refuse_images and "image" in payload:
            raise RefusedError("Invalid Form Body: image")
        event_id = len(self.creates)
        self.events.setdefault(guild_id, []).append({**payload, "id": str(event_id), "status": 1})
        return event_id

    async def update(self, guild_id: int, event_id: int, payload: dict[str, Any]) -> None:
        raise AssertionError("no edit expected")

    async def delete(self, guild_id: int, event_id: int) -> None:
        raise AssertionError("no delete expected")


class Covers:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def data_uri(self, url: str) -> str | None:
        self.asked.append(url)
        return "data:image/png;base64,iVBORw0KGgo="


async def nothing(user_id: int, text: str) -> None:
    raise AssertionError("nobody is told anything")


async def seeded(db: Database, guilds: tuple[int, ...]) -> None:
    launch = Event(
        source=Source.LL2,
        source_id="launch:1",
        type=EventType.LAUNCH,
        name="Falcon 9 | Starlink",
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, NOW + timedelta(days=1)),),
        location="SLC-40",
        image_url=IMAGE,
    )
    await upsert_events(db, [launch], feed="launches", now=NOW, complete=False)
    for guild in guilds:
        await store.set_mirror(db, guild_id=guild, days=7, what="liftoff", match=None, enabled_by=1, now=0)


async def test_the_cover_goes_with_the_create_and_is_read_once_for_every_server(db: Database) -> None:
    await seeded(db, (1, 2))
    port, covers = Port(), Covers()
    mirror = EventMirror(db, port, lambda: NOW, nothing, covers=covers)
    await mirror.reconcile()
    assert [(guild, payload["image"]) for guild, payload in port.creates] == [
        (1, "data:image/png;base64,iVBORw0KGgo="),
        (2, "data:image/png;base64,iVBORw0KGgo="),
    ]
    assert covers.asked == [IMAGE], "one read for both servers"
    assert mirror._pass_covers == {}, "no image kept in memory after the pass"


async def test_a_refused_cover_still_makes_the_event_without_it(db: Database) -> None:
    await seeded(db, (1,))
    port = Port(refuse_images=True)
    mirror = EventMirror(db, port, lambda: NOW, nothing, covers=Covers())
    report = await mirror.reconcile()
    assert report.total("created") == 1
    assert ["image" in payload for _, payload in port.creates] == [True, False]
    (link,) = await store.links(db)
    assert link.discord_event_id == 2


async def test_without_covers_nothing_is_read_and_no_image_is_sent(db: Database) -> None:
    await seeded(db, (1,))
    port = Port()
    await EventMirror(db, port, lambda: NOW, nothing).reconcile()
    assert ["image" in payload for _, payload in port.creates] == [False]

"""Browsing through the real client and the fake Discord: /nextlaunch, /launches, /nextdocking, /events, /launch,
/calendar and /timezone, in a guild, in a DM and as a user-installed app, with buttons before and after a restart.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.bot import TMinusBot
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.events import upsert_events
from bot.db.settings import set_guild_timezone, set_user_timezone
from bot.models import Event
from tests.bot import browse_data as data
from tests.bot.browse_data import NOW
from tests.fakediscord.pytest_plugin import START_TIMEOUT_S, FakeDiscordWithScene, bot_running

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]


def ts(moment: datetime) -> int:
    return int(moment.timestamp())


def make_settings(path: Path) -> Settings:
    return Settings(
        discord_token=SecretStr("fake-token"),
        db_path=path,
        ll2_base_url="http://127.0.0.1:1/2.3.0",
        default_timezone="UTC",
        _env_file=None,  # type: ignore[call-arg]
    )


@contextlib.asynccontextmanager
async def running_bot(fake: FakeDiscordWithScene, path: Path, clock: ManualClock) -> AsyncIterator[TMinusBot]:
    bot = TMinusBot(make_settings(path), clock=clock)
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: bool(fake.global_commands), timeout_s=START_TIMEOUT_S)
        yield bot


async def seeded_db(path: Path, guild_id: int, *, extra: int = 0, **kwargs: Any) -> None:
    """The test schedule, plus ``extra`` SpaceX launches from NOW + 40 days on, an hour apart."""
    async with Database(path) as db:
        await data.seed(db, guild_id=guild_id, **kwargs)
        await upsert_events(db, extra_launches(extra), feed="more", now=NOW, complete=False)


def extra_launches(n: int) -> list[Event]:
    return [
        data.launch(f"x{i}", f"Extra {i:02d}", NOW + timedelta(days=40, hours=i), provider="SpaceX") for i in range(n)
    ]


@pytest.fixture
async def browse_bot(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> AsyncIterator[BotOnFake]:
    """The bot on the fake, its clock at NOW, its database holding the test schedule."""
    path = tmp_path / "t.sqlite3"
    await seeded_db(path, fake_discord.scene.guild.id)
    async with running_bot(fake_discord, path, ManualClock(NOW)) as bot:
        yield fake_discord, bot


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["label"]: c for row in message.get("components") or [] for c in row["components"]}


def field(embed: dict[str, Any], name: str) -> str:
    found = [f["value"] for f in embed.get("fields", []) if f["name"] == name]
    assert found, f"no field {name!r} in {[f['name'] for f in embed.get('fields', [])]}"
    return str(found[0])


def no_channel_sends(fake: FakeDiscordWithScene) -> None:
    assert not fake.requests_to("POST", "/channels/{channel_id}/messages")


def sent_mentions(fake: FakeDiscordWithScene) -> list[Any]:
    """allowed_mentions of every interaction callback the bot sent."""
    callbacks = fake.requests_to("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    return [(r.body or {}).get("data", {}).get("allowed_mentions") for r in callbacks if r.body]


# /nextlaunch ----------------------------------------------------------------------------------------------


async def test_nextlaunch_shows_the_next_launch_with_time_status_window_webcast_and_data_age(
    browse_bot: BotOnFake,
) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    await set_user_timezone(bot.db, scene.member.id, "America/New_York", now=NOW)
    result = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, channel=scene.general)
    assert not result.ephemeral
    (embed,) = result.embeds
    assert embed["title"] == "Falcon 9 Block 5 | Starlink Group 10-1"
    assert embed["description"].startswith("**Next launch**\nFalcon 9 Block 5 · SpaceX")
    when = field(embed, "Liftoff")
    assert f"<t:{ts(data.F9_AT)}:F>" in when
    assert f"<t:{ts(data.F9_AT)}:R>" in when
    assert "Sun 01 Mar 2026, 22:25 EST" in when  # the reader's zone, the evening before in UTC terms
    assert field(embed, "Status") == "🟢 Go"
    assert field(embed, "Pad") == "SLC-40, Cape Canaveral SFS, FL, USA"
    assert "(4 h 00 min)" in field(embed, "Launch window")
    webcast = field(embed, "Webcast")
    assert "https://www.youtube.com/watch?v=f9" in webcast
    assert f"coverage from <t:{ts(data.F9_AT - timedelta(minutes=20))}:f>" in webcast
    assert embed["thumbnail"]["url"] == "https://images.example/f9.jpg"
    assert embed["footer"]["text"] == "Launch Library 2 · updated 4 min ago"
    shown = buttons(result.message or {})
    assert shown["Previous"].get("disabled") is True
    assert not shown["Next"].get("disabled")
    assert "Add to calendar" in shown
    assert sent_mentions(fake) == [{"parse": []}]
    no_channel_sends(fake)


@pytest.mark.parametrize(
    ("zone", "plain"),
    [
        (None, "Mon 09 Mar 2026, 01:02:03 UTC"),  # no zone chosen: DEFAULT_TIMEZONE
        ("America/New_York", "Sun 08 Mar 2026, 21:02:03 EDT"),  # DST began that morning
        ("Asia/Kolkata", "Mon 09 Mar 2026, 06:32:03 IST"),
        ("Europe/Berlin", "Mon 09 Mar 2026, 02:02:03 CET"),
    ],
)
async def test_nextlaunch_writes_plain_time_in_each_readers_zone(
    browse_bot: BotOnFake, zone: str | None, plain: str
) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    if zone is not None:
        await set_user_timezone(bot.db, scene.member.id, zone, now=NOW)
    result = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"rocket": "ariane"})
    assert plain in field(result.embeds[0], "Liftoff")
    assert field(result.embeds[0], "Status") == "🟠 Hold"


async def test_server_zone_applies_when_the_reader_has_none(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    await set_guild_timezone(bot.db, scene.guild.id, "Asia/Tokyo", now=NOW)
    result = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild)
    assert "Mon 02 Mar 2026, 12:25 JST" in field(result.embeds[0], "Liftoff")
    dm = await fake.slash("nextlaunch", user=scene.member)  # no server in a DM: the bot's default
    assert "Mon 02 Mar 2026, 03:25 UTC" in field(dm.embeds[0], "Liftoff")


@pytest.mark.parametrize(
    ("options", "title"),
    [
        ({"provider": "rocket lab"}, "Electron | Hawk Mission"),  # anywhere in "Rocket Lab Ltd", any case
        ({"provider": "ula"}, "Vulcan VC4S | USSF-87"),  # the abbreviation
        ({"location": "vandenberg"}, "Falcon 9 Block 5 | SDA Tranche 2"),
        ({"rocket": "STARSHIP"}, "Starship | Flight 12"),
        ({"provider": "spacex", "location": "starbase"}, "Starship | Flight 12"),
    ],
)
async def test_nextlaunch_filters_match_names_case_insensitively_anywhere(
    browse_bot: BotOnFake, options: dict[str, str], title: str
) -> None:
    fake, _ = browse_bot
    result = await fake.slash("nextlaunch", user=fake.scene.member, guild=fake.scene.guild, options=options)
    assert result.embeds[0]["title"] == title


async def test_nextlaunch_worded_by_precision_never_shows_a_false_minute(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene

    async def when(**options: str) -> str:
        result = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options=options)
        return field(result.embeds[0], "Liftoff")

    hour = await when(rocket="electron")
    assert hour.startswith(f"around <t:{ts(data.ELECTRON_AT)}:f>")
    assert "Tue 03 Mar 2026, around 14:00 UTC" in hour
    assert await when(rocket="vulcan") == "Thu 05 Mar 2026 (date only)"
    assert await when(rocket="starship") == "NET April 2026"
    assert await when(rocket="long march") == "NET Q3 2026"
    assert await when(rocket="new glenn") == "NET 2027"
    assert "<t:" not in await when(rocket="vulcan")


async def test_nextlaunch_with_a_filter_matching_nothing_says_so_with_the_sync_age(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    result = await fake.slash(
        "nextlaunch", user=fake.scene.member, guild=fake.scene.guild, options={"provider": "Nobody Aerospace"}
    )
    (embed,) = result.embeds
    assert embed["description"] == (
        "No upcoming launches matching provider “Nobody Aerospace” in the data (last sync 4 min ago)."
    )
    assert result.components == []


async def test_next_and_previous_page_through_launches_with_the_same_filters(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    first = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"location": "cape canaveral"})
    message = first.message or {}
    assert message["embeds"][0]["title"] == "Falcon 9 Block 5 | Starlink Group 10-1"
    pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
    assert pressed.type == 7  # the requester's own message turns the page
    assert message["embeds"][0]["title"] == "Vulcan VC4S | USSF-87"  # skipped Electron and Vandenberg: the filter
    assert message["embeds"][0]["description"].startswith("**Launch**")
    await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
    assert message["embeds"][0]["title"] == "New Glenn | Blue Moon MK1"
    assert buttons(message)["Next"].get("disabled") is True
    await fake.press_button(message, buttons(message)["Previous"]["custom_id"], user=scene.member)
    assert message["embeds"][0]["title"] == "Vulcan VC4S | USSF-87"
    await fake.press_button(message, buttons(message)["Previous"]["custom_id"], user=scene.member)
    assert message["embeds"][0]["title"] == "Falcon 9 Block 5 | Starlink Group 10-1"
    assert buttons(message)["Previous"].get("disabled") is True


async def test_a_press_by_someone_else_gets_their_own_ephemeral_page(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    await set_user_timezone(bot.db, scene.moderator.id, "Asia/Kolkata", now=NOW)
    first = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild)
    message = first.message or {}
    other = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.moderator)
    assert other.type == 4
    assert other.ephemeral
    assert other.embeds[0]["title"] == "Electron | Hawk Mission"
    assert "IST" in field(other.embeds[0], "Liftoff")  # in the presser's zone, not the requester's
    assert message["embeds"][0]["title"] == "Falcon 9 Block 5 | Starlink Group 10-1"  # untouched
    # The presser's own page pages on for them.
    own = other.message or {}
    again = await fake.press_button(own, buttons(own)["Next"]["custom_id"], user=scene.moderator)
    assert again.type == 7
    assert own["embeds"][0]["title"] == "Vulcan VC4S | USSF-87"


async def test_buttons_work_after_a_restart(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> None:
    fake, scene = fake_discord, fake_discord.scene
    path = tmp_path / "t.sqlite3"
    await seeded_db(path, scene.guild.id, extra=11)
    clock = ManualClock(NOW)
    async with running_bot(fake, path, clock):
        first = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
        listing = await fake.slash("launches", user=scene.member, guild=scene.guild)
    message, pages = first.message or {}, listing.message or {}
    clock.advance(timedelta(minutes=30))
    async with running_bot(fake, path, clock):
        pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
        assert pressed.type == 7
        assert message["embeds"][0]["title"] == "Falcon 9 Block 5 | SDA Tranche 2"  # still only SpaceX
        ics = await fake.press_button(message, buttons(message)["Add to calendar"]["custom_id"], user=scene.member)
        assert list(fake.attachment_bytes(ics.message or {})) == [f"t-minus-{_event_id(message)}.ics"]
        await fake.press_button(pages, buttons(pages)["Next"]["custom_id"], user=scene.member)
        assert pages["embeds"][0]["description"].startswith("**Extra 04**")


def _event_id(message: dict[str, Any]) -> int:
    return int(buttons(message)["Add to calendar"]["custom_id"].removeprefix("tm:ics:"))


# /launches ------------------------------------------------------------------------------------------------


async def test_launches_lists_ten_per_page_with_paging(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    first = await fake.slash("launches", user=scene.member, guild=scene.guild)
    message = first.message or {}
    (embed,) = message["embeds"]
    assert embed["title"] == "Upcoming launches"
    entries = embed["description"].split("\n\n")
    assert len(entries) == 9  # every upcoming launch: the In Flight one has lifted off
    assert "Soyuz" not in embed["description"]
    assert "components" not in message or message["components"] == []  # nothing to page to
    # Eleven more launches make two pages.
    await upsert_events(bot.db, extra_launches(11), feed="more", now=NOW)
    paged = await fake.slash("launches", user=scene.member, guild=scene.guild)
    message = paged.message or {}
    first_page = message["embeds"][0]["description"].split("\n\n")
    assert len(first_page) == 10
    assert first_page[-1].startswith("**Extra 03**")
    assert buttons(message)["Previous"].get("disabled") is True
    await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
    second = message["embeds"][0]["description"].split("\n\n")
    assert len(second) == 10
    assert second[0].startswith("**Extra 04**")
    assert second[-1].startswith("**New Glenn")
    assert buttons(message)["Next"].get("disabled") is True
    await fake.press_button(message, buttons(message)["Previous"]["custom_id"], user=scene.member)
    assert message["embeds"][0]["description"].split("\n\n") == first_page


async def test_launches_within_days_lists_only_those(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    result = await fake.slash("launches", user=fake.scene.member, guild=fake.scene.guild, options={"days": 3})
    (embed,) = result.embeds
    assert embed["title"] == "Upcoming launches (within 3 days)"
    titles = re.findall(r"^\*\*(.+?)\*\*$", embed["description"], flags=re.MULTILINE)
    assert titles == ["Falcon 9 Block 5 \\| Starlink Group 10-1", "Electron \\| Hawk Mission"]


async def test_launches_by_provider(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    result = await fake.slash("launches", user=fake.scene.member, guild=fake.scene.guild, options={"provider": "SpX"})
    titles = re.findall(r"^\*\*(.+?)\*\*$", result.embeds[0]["description"], flags=re.MULTILINE)
    assert titles == [
        "Falcon 9 Block 5 \\| Starlink Group 10-1",
        "Falcon 9 Block 5 \\| SDA Tranche 2",
        "Starship \\| Flight 12",
    ]

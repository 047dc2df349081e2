"""Browsing through the real client and the fake Discord: /nextlaunch, /launches, /nextdocking, /events, /launch,
/calendar and /timezone, in a guild, in a DM and as a user-installed app, with buttons before and after a restart.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from pydantic import SecretStr

from bot.bot import HOUSEKEEPING_FIRST, TMinusBot
from bot.clock import ManualClock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.db.events import upsert_events
from bot.db.settings import set_guild_timezone, set_user_timezone
from bot.models import Event
from bot.render import EMBED_TOTAL_LIMIT, embed_length
from tests.bot import browse_data as data
from tests.bot.browse_data import NOW
from tests.fakediscord.faults import TIMEOUT
from tests.fakediscord.interactions import EPHEMERAL, InteractionResult
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


# /nextdocking and /events ---------------------------------------------------------------------------------


async def test_nextdocking_names_the_vehicle_and_the_launch_that_brought_it(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    result = await fake.slash("nextdocking", user=fake.scene.member, guild=fake.scene.guild)
    (embed,) = result.embeds
    assert embed["title"] == "Progress MS-33 docking to International Space Station"
    assert embed["description"].startswith("**Next docking**")
    assert f"<t:{ts(data.DOCKING_AT)}:F>" in field(embed, "Docking")
    assert field(embed, "Where") == "International Space Station, Zvezda aft"
    craft = field(embed, "Spacecraft")
    assert "Vehicle: Progress MS-33" in craft
    assert f"Launched on Soyuz 2.1a \\| Progress MS-33 (<t:{ts(data.SOYUZ_AT)}:D>)" in craft
    message = result.message or {}
    await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=fake.scene.member)
    assert message["embeds"][0]["description"].startswith("**Undocking**")


async def test_nextdocking_by_station_and_empty_station(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    found = await fake.slash("nextdocking", user=scene.member, guild=scene.guild, options={"station": "space station"})
    assert found.embeds[0]["title"].startswith("Progress MS-33 docking")
    empty = await fake.slash("nextdocking", user=scene.member, guild=scene.guild, options={"station": "tiangong"})
    assert empty.embeds[0]["description"] == (
        "No upcoming dockings matching station “tiangong” in the data (last sync 4 min ago)."
    )


async def test_events_lists_station_events_with_coverage_and_this_servers_own(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    result = await fake.slash("events", user=scene.member, guild=scene.guild)
    (embed,) = result.embeds
    assert embed["title"] == "Upcoming station events"
    entries = embed["description"].split("\n\n")
    assert [e.split("\n")[0] for e in entries] == [
        "**Docking: Progress MS-33 docking to International Space Station**",
        "**Spacewalk: US Spacewalk 95**",
        "**Other: Club watch party: Tiangong crew handover**",
        "**Undocking: Progress MS-33 docking to International Space Station**",
    ]
    assert f"📺 coverage from <t:{ts(data.SPACEWALK_AT - timedelta(minutes=90))}:f>" in entries[1]
    dm = await fake.slash("events", user=scene.member)
    assert "Club watch party" not in dm.embeds[0]["description"]  # a server's own event stays in that server


async def test_events_by_type_and_an_empty_type(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    walks = await fake.slash("events", user=scene.member, guild=scene.guild, options={"type": "spacewalk"})
    assert walks.embeds[0]["title"] == "Upcoming station events (spacewalk)"
    assert walks.embeds[0]["description"].count("**") == 2
    none = await fake.slash("events", user=scene.member, guild=scene.guild, options={"type": "berthing"})
    assert none.embeds[0]["description"] == (
        "No upcoming station events matching berthing in the data (last sync 4 min ago)."
    )


# /launch --------------------------------------------------------------------------------------------------


async def test_launch_shows_everything_and_the_slip_history(browse_bot: BotOnFake) -> None:
    fake, _bot = browse_bot
    scene = fake.scene
    choices = await fake.autocomplete(
        "launch", "name", user=scene.member, guild=scene.guild, options={"name": "starlink"}
    )
    assert [c["name"] for c in choices] == ["Falcon 9 Block 5 | Starlink Group 10-1"]
    result = await fake.slash("launch", user=scene.member, guild=scene.guild, options={"name": choices[0]["value"]})
    (embed,) = result.embeds
    assert embed["title"] == "Falcon 9 Block 5 | Starlink Group 10-1"
    slips = field(embed, "NET moved 2 times")
    first, second = slips.split("\n")
    assert first == (
        f"~~<t:{ts(datetime(2026, 3, 1, 3, 25, tzinfo=UTC))}:f>~~ → changed <t:{ts(NOW - timedelta(days=1))}:R>"
    )
    assert second == (
        f"~~<t:{ts(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))}:f>~~ → changed <t:{ts(NOW - timedelta(hours=1))}:R>"
    )
    assert f"<t:{ts(data.F9_AT)}:F>" in field(embed, "Liftoff")
    assert f"<t:{ts(data.F9_AT - timedelta(minutes=20))}:F>" in field(embed, "Coverage start")
    assert "Add to calendar" in buttons(result.message or {})


async def test_launch_by_typed_name_shows_in_flight_status_and_unknown_name_gets_a_hint(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    soyuz = await fake.slash("launch", user=scene.member, guild=scene.guild, options={"name": "progress ms-33"})
    assert soyuz.embeds[0]["title"] == "Soyuz 2.1a | Progress MS-33"
    assert field(soyuz.embeds[0], "Status") == "🚀 In Flight"
    assert field(soyuz.embeds[0], "Slips") == "NET has not moved since T-Minus first saw it"
    missing = await fake.slash("launch", user=scene.member, guild=scene.guild, options={"name": "Apollo 11"})
    assert missing.ephemeral
    assert missing.content == (
        "No upcoming launch or event is called “Apollo 11”. Start typing its name and pick it from the list."
    )


async def test_launch_finds_a_name_in_another_script_in_any_case_with_or_without_accents(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake, scene = fake_discord, fake_discord.scene
    path = tmp_path / "t.sqlite3"
    await seeded_db(path, scene.guild.id)
    async with Database(path) as db:
        names = ["Союз-2.1а | Прогресс МС-34", "ÉLECTRON | Bêta", "Ariane 6 | Météosat"]  # noqa: RUF001
        events = [data.launch(f"u{i}", name, NOW + timedelta(days=3 + i)) for i, name in enumerate(names)]
        await upsert_events(db, events, feed="unicode", now=NOW, complete=False)
    async with running_bot(fake, path, ManualClock(NOW)):
        for typed, found in [("союз", names[0]), ("electron | beta", names[1]), ("meteosat", names[2])]:
            choices = await fake.autocomplete(
                "launch", "name", user=scene.member, guild=scene.guild, options={"name": typed}
            )
            assert [c["name"] for c in choices] == [found], typed
        for typed, found in [("ÉLECTRON | bêta", names[1]), ("electron | beta", names[1]), ("METEOSAT", names[2])]:
            shown = await fake.slash("launch", user=scene.member, guild=scene.guild, options={"name": typed})
            assert shown.embeds[0]["title"] == found, typed


async def test_launch_of_another_servers_event_is_not_shown(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    (row,) = await bot.db.fetchall("SELECT id FROM events WHERE source = 'manual'")
    result = await fake.slash("launch", user=scene.member, options={"name": f"#{row['id']}"})  # a DM
    assert result.ephemeral
    assert "can't find" in (result.content or "")


# Autocomplete ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "option", "typed", "expected"),
    [
        ("nextlaunch", "provider", "rock", ["Rocket Lab Ltd"]),
        ("nextlaunch", "provider", "ula", ["United Launch Alliance"]),
        ("nextlaunch", "provider", "", None),
        ("nextlaunch", "rocket", "falcon", ["Falcon 9 Block 5"]),
        ("nextlaunch", "location", "vandenberg", ["SLC-4E, Vandenberg SFB, CA, USA"]),
        ("nextdocking", "station", "space", ["International Space Station"]),
        ("launches", "provider", "spacex", ["SpaceX"]),
        ("calendar", "provider", "arian", ["Arianespace"]),
        ("timezone set", "zone", "new york", ["New York (America/New_York)"]),
        ("timezone set", "zone", "mumbai", ["Mumbai (Asia/Kolkata)"]),
    ],
)
async def test_autocomplete_offers_names_from_the_database(
    browse_bot: BotOnFake, command: str, option: str, typed: str, expected: list[str] | None
) -> None:
    fake, _ = browse_bot
    choices = await fake.autocomplete(
        command, option, user=fake.scene.member, guild=fake.scene.guild, options={option: typed}
    )
    assert len(choices) <= 25
    if expected is None:
        assert choices[0]["name"] == "SpaceX"  # the most launches first
        assert len(choices) == 8  # every provider of a live event, once each, no more
    else:
        assert [c["name"] for c in choices][: len(expected)] == expected


# /timezone ------------------------------------------------------------------------------------------------


async def test_timezone_set_by_city_then_show(browse_bot: BotOnFake) -> None:
    fake, _bot = browse_bot
    scene = fake.scene
    result = await fake.slash("timezone set", user=scene.member, guild=scene.guild, options={"zone": "new york"})
    assert result.ephemeral
    assert result.content == (
        "Your time zone is now **America/New_York** (it is Sun 01 Mar 2026, 07:00 EST there). "
        "Plain-text times are written in it."
    )
    shown = await fake.slash("timezone show", user=scene.member)
    assert (
        shown.content
        == "Your time zone is **America/New_York** (you chose it). It is Sun 01 Mar 2026, 07:00 EST there."
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("IST", "`IST` can mean several zones. Nothing was changed: pick `Asia/Kolkata` or `Asia/Jerusalem` or "
         "`Europe/Dublin`, or type your city."),
        ("cst", "`CST` can mean several zones. Nothing was changed: pick `America/Chicago` or `Asia/Shanghai` or "
         "`America/Havana`, or type your city."),
        ("EST", "`EST` is an abbreviation, not a zone with its own rules. Nothing was changed: pick "
         "`America/New_York`, or type your city."),
        ("UTC+5", "`UTC+5` is an offset, which does not follow daylight saving. Nothing was changed: type your "
         "city or an IANA zone instead, e.g. `Europe/Paris` or `Tokyo`."),
        ("Atlantis", "I don't know the time zone `Atlantis`. Nothing was changed: pick one from the list, or type "
         "a city or an IANA zone such as `America/New_York` or `Europe/Berlin`."),
    ],
)  # fmt: skip
async def test_timezone_set_refuses_abbreviations_and_unknown_names_and_changes_nothing(
    browse_bot: BotOnFake, typed: str, expected: str
) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    await set_user_timezone(bot.db, scene.member.id, "Europe/Berlin", now=NOW)
    result = await fake.slash("timezone set", user=scene.member, guild=scene.guild, options={"zone": typed})
    assert result.ephemeral
    assert result.content == expected
    shown = await fake.slash("timezone show", user=scene.member, guild=scene.guild)
    assert "**Europe/Berlin** (you chose it)" in (shown.content or "")


async def test_timezone_show_falls_back_to_server_then_default(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    default = await fake.slash("timezone show", user=scene.member, guild=scene.guild)
    assert (default.content or "").startswith("Your time zone is **UTC** (the bot's default")
    await set_guild_timezone(bot.db, scene.guild.id, "Australia/Sydney", now=NOW)
    server = await fake.slash("timezone show", user=scene.member, guild=scene.guild)
    assert (server.content or "").startswith("Your time zone is **Australia/Sydney** (this server's zone")


# /calendar and Add to calendar ----------------------------------------------------------------------------


def parse_ics(raw: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(raw)
    return list(calendar.walk("VEVENT"))


async def test_calendar_exports_one_vevent_per_milestone_with_stable_uids(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    result = await fake.slash("calendar", user=scene.member, guild=scene.guild)
    assert result.ephemeral
    assert (result.content or "").startswith("9 upcoming launches.")
    files = fake.attachment_bytes(result.message or {})
    assert list(files) == ["t-minus-launches.ics"]
    events = parse_ics(files["t-minus-launches.ics"])
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert len(events) == 9
    f9 = by_summary["Launch: Falcon 9 Block 5 | Starlink Group 10-1"]
    assert f9.decoded("DTSTART") == data.F9_AT
    assert f9.decoded("DTEND") == data.F9_AT + timedelta(hours=4)  # the window
    assert str(f9["URL"]) == "https://www.youtube.com/watch?v=f9"
    assert str(f9["UID"]) == "ll2-launch:f9-liftoff@t-minus.invalid"
    assert int(f9["SEQUENCE"]) == 2  # moved twice
    assert "Provider: SpaceX" in str(f9["DESCRIPTION"])
    (alarm,) = f9.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=30)
    vulcan = by_summary["Launch (Thu 05 Mar 2026): Vulcan VC4S | USSF-87"]
    assert vulcan.decoded("DTSTART") == date(2026, 3, 5)  # all day, no made-up instant
    assert vulcan.decoded("DTEND") == date(2026, 3, 6)
    starship = by_summary["Launch (NET April 2026): Starship | Flight 12"]
    assert (starship.decoded("DTSTART"), starship.decoded("DTEND")) == (date(2026, 4, 1), date(2026, 5, 1))
    assert all(e.walk("VALARM") for e in events)
    # A second export after a slip keeps the UIDs, so calendar apps update instead of duplicating.
    from bot.db.events import upsert_events as upsert

    await upsert(bot.db, [data.falcon9(data.F9_AT + timedelta(hours=2))], feed="launches", now=NOW, complete=False)
    again = await fake.slash("calendar", user=scene.member, guild=scene.guild)
    events2 = parse_ics(fake.attachment_bytes(again.message or {})["t-minus-launches.ics"])
    assert {str(e["UID"]) for e in events2} == {str(e["UID"]) for e in events}
    moved = next(e for e in events2 if str(e["UID"]) == "ll2-launch:f9-liftoff@t-minus.invalid")
    assert moved.decoded("DTSTART") == data.F9_AT + timedelta(hours=2)
    assert int(moved["SEQUENCE"]) == 3


async def test_calendar_by_kind_and_provider(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    spacex = await fake.slash("calendar", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
    summaries = sorted(
        str(e["SUMMARY"]) for e in parse_ics(fake.attachment_bytes(spacex.message or {})["t-minus-launches.ics"])
    )
    assert summaries == [
        "Launch (NET April 2026): Starship | Flight 12",
        "Launch: Falcon 9 Block 5 | SDA Tranche 2",
        "Launch: Falcon 9 Block 5 | Starlink Group 10-1",
    ]
    webcasts = await fake.slash("calendar", user=scene.member, guild=scene.guild, options={"kind": "webcasts"})
    events = parse_ics(fake.attachment_bytes(webcasts.message or {})["t-minus-webcasts.ics"])
    assert sorted(str(e["SUMMARY"]) for e in events) == [
        "Webcast starts: Falcon 9 Block 5 | Starlink Group 10-1",
        "Webcast starts: US Spacewalk 95",
    ]


async def test_add_to_calendar_button_sends_the_events_milestones(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    shown = await fake.slash("nextdocking", user=scene.member, guild=scene.guild)
    message = shown.message or {}
    pressed = await fake.press_button(message, buttons(message)["Add to calendar"]["custom_id"], user=scene.moderator)
    assert pressed.ephemeral
    (raw,) = fake.attachment_bytes(pressed.message or {}).values()
    summaries = [str(e["SUMMARY"]) for e in parse_ics(raw)]
    assert summaries == [
        "Docking: Progress MS-33 docking to International Space Station",
        "Undocking: Progress MS-33 docking to International Space Station",
    ]


# Everywhere: DMs, user installs, stale and empty data, hostile text ----------------------------------------


async def test_every_browsing_command_answers_in_a_dm(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    member = fake.scene.member
    for command, options in (
        ("nextlaunch", {}),
        ("launches", {}),
        ("nextdocking", {}),
        ("events", {}),
        ("launch", {"name": "hawk"}),
        ("calendar", {}),
        ("timezone show", {}),
    ):
        result = await fake.slash(command, user=member, options=options)
        assert result.type == 4, command
        assert result.payload["context"] == 1
        assert result.payload["authorizing_integration_owners"] == {"0": "0"}  # the guild install, in the bot's DM
        assert result.embeds or fake.attachment_bytes(result.message or {}) or result.content, command
    no_channel_sends(fake)


async def test_user_install_works_in_a_server_without_the_bot_and_in_a_private_channel(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    world, member = fake.world, fake.scene.member
    elsewhere = world.create_guild("No Bot Here", with_bot=False)
    world.add_member(elsewhere, member)
    chat = world.create_channel(elsewhere, "chat")
    result = await fake.slash("nextlaunch", user=member, guild=elsewhere, channel=chat, install="user")
    assert result.payload["authorizing_integration_owners"] == {"1": str(member.id)}
    assert result.embeds[0]["title"] == "Falcon 9 Block 5 | Starlink Group 10-1"
    message = result.message or {}
    pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=member)
    assert pressed.payload["authorizing_integration_owners"] == {"1": str(member.id)}
    assert message["embeds"][0]["title"] == "Electron | Hawk Mission"
    friend = world.create_user("carol")
    private = world.private_channel(member, friend)
    for command in ("launches", "events", "calendar"):
        answered = await fake.slash(command, user=member, channel=private, install="user")
        assert answered.payload["context"] == 2
        assert answered.type == 4
    with pytest.raises(AssertionError, match="not installed"):
        await fake.slash("nextlaunch", user=member, guild=elsewhere, channel=chat)  # no guild install there
    no_channel_sends(fake)


async def test_event_command_is_not_user_installable(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    friend = fake.world.create_user("dave")
    private = fake.world.private_channel(fake.scene.member, friend)
    with pytest.raises(AssertionError, match="not installable to users"):
        await fake.slash("about", user=fake.scene.member, channel=private, install="user")


async def test_stale_data_is_flagged_in_the_footer(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    await seeded_db(path, fake_discord.scene.guild.id, last_sync=NOW - timedelta(hours=3))
    async with running_bot(fake_discord, path, ManualClock(NOW)):
        result = await fake_discord.slash("nextlaunch", user=fake_discord.scene.member)
        assert result.embeds[0]["footer"]["text"] == "Launch Library 2 · ⚠ stale: last successful sync 3 h ago"
        docking = await fake_discord.slash("nextdocking", user=fake_discord.scene.member, options={"station": "mir"})
        assert docking.embeds[0]["description"] == (
            "No upcoming dockings matching station “mir” in the data (last sync 3 h ago — the data may be stale)."
        )


async def test_empty_database_says_so_plainly(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> None:
    async with running_bot(fake_discord, tmp_path / "t.sqlite3", ManualClock(NOW)):
        for command, noun in (("nextlaunch", "launches"), ("launches", "launches"), ("nextdocking", "dockings")):
            result = await fake_discord.slash(command, user=fake_discord.scene.member)
            assert result.embeds[0]["description"] == (
                f"No upcoming {noun} in the data (no sync from Launch Library 2 yet)."
            )
            assert result.embeds[0]["footer"]["text"] == "Launch Library 2 · not synced yet"


async def test_hostile_upstream_text_is_inert_and_within_limits(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    result = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"rocket": "rocket **x"})
    (embed,) = result.embeds
    assert embed_length(embed) <= EMBED_TOTAL_LIMIT
    assert len(embed["description"]) <= 4096
    assert embed["title"] == "@\u200beveryone **FREE** <@\u200b&123> [click](https://evil.example) Launch"
    text = embed["description"] + "".join(f["value"] for f in embed["fields"])
    assert "@everyone" not in text
    assert "@here" not in text
    assert re.search(r"(?<!\\)<@", text) is None  # every mention's < is escaped (and its @ broken)
    assert "\\<@\u200b789\\>" in text
    assert "\\*\\*bold\\*\\*" in embed["description"]
    # A URL stays a working URL; its @ is percent-encoded so not even the link text can read as a mention.
    assert "[Watch the webcast](https://evil.example/%40everyone)" in field(embed, "Webcast")
    assert "thumbnail" not in embed  # not an http(s) image
    detail = await fake.slash("launch", user=scene.member, guild=scene.guild, options={"name": "free"})
    assert embed_length(detail.embeds[0]) <= EMBED_TOTAL_LIMIT
    listing = await fake.slash("launches", user=scene.member, guild=scene.guild)
    assert "@everyone" not in listing.embeds[0]["description"]
    assert all(m == {"parse": []} for m in sent_mentions(fake))


async def test_timezone_server_is_for_managers_and_applies_to_members_without_a_zone(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    scene = fake.scene
    refused = await fake.slash("timezone server", user=scene.member, guild=scene.guild, options={"zone": "tokyo"})
    assert refused.content == "You need the Manage Server permission for this."
    done = await fake.slash("timezone server", user=scene.moderator, guild=scene.guild, options={"zone": "tokyo"})
    assert done.content == "This server's time zone is now **Asia/Tokyo**, for members who have not chosen their own."
    shown = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild)
    assert "Mon 02 Mar 2026, 12:25 JST" in field(shown.embeds[0], "Liftoff")
    in_dm = await fake.slash("timezone server", user=scene.moderator, options={"zone": "tokyo"})
    assert in_dm.ephemeral
    assert "Use `/timezone set` for yours." in (in_dm.content or "")


async def test_autocomplete_works_for_a_user_install_in_a_server_without_the_bot(browse_bot: BotOnFake) -> None:
    fake, _ = browse_bot
    elsewhere = fake.world.create_guild("Elsewhere", with_bot=False)
    fake.world.add_member(elsewhere, fake.scene.member)
    fake.world.create_channel(elsewhere, "chat")
    choices = await fake.autocomplete(
        "nextlaunch",
        "provider",
        user=fake.scene.member,
        guild=elsewhere,
        options={"provider": "rocket"},
        install="user",
    )
    assert [c["name"] for c in choices] == ["Rocket Lab Ltd"]


async def private_reason(pressed: InteractionResult) -> str:
    """The ephemeral follow-up that tells the presser why their press changed nothing but the buttons."""
    (reason,) = await pressed.wait_for_followups()
    assert int(reason.get("flags") or 0) & EPHEMERAL
    return str(reason["content"])


def stored_buttons(fake: FakeDiscordWithScene, message: dict[str, Any]) -> set[str]:
    """The labels of the buttons a message shows now, as Discord stores it (not the test's copy)."""
    channel = fake.world.channels[int(message["channel_id"])]
    (stored,) = [m for m in fake.world.channel_messages(channel) if m["id"] == message["id"]]
    return set(buttons(stored))


async def test_a_button_whose_filters_are_unknown_gets_a_hint_not_a_traceback(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    shown = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
    await bot.db.execute("DELETE FROM browse_queries")  # e.g. the database was replaced since
    message = shown.message or {}
    pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
    assert await private_reason(pressed) == "This page has expired. Run `/nextlaunch` again for a fresh one."


async def test_an_expired_page_loses_its_dead_buttons_and_keeps_the_ones_that_still_work(
    browse_bot: BotOnFake,
) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    shown = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
    message = shown.message or {}
    assert set(buttons(message)) == {"Previous", "Next", "Add to calendar", "Alert me"}
    page = copy.deepcopy(message["embeds"])
    await bot.db.execute("DELETE FROM browse_queries")
    pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
    assert pressed.type == 7  # the pressed message itself is updated ...
    assert (pressed.message or {})["embeds"] == page  # ... its page left as it was ...
    assert stored_buttons(fake, message) == {"Add to calendar", "Alert me"}  # ... without the dead buttons
    assert "expired" in await private_reason(pressed)
    calendar = await fake.press_button(message, buttons(message)["Add to calendar"]["custom_id"], user=scene.member)
    assert calendar.ephemeral  # the kept button still answers
    assert (calendar.message or {})["attachments"]


async def test_an_expired_page_whose_update_is_lost_still_tells_the_presser(browse_bot: BotOnFake) -> None:
    fake, bot = browse_bot
    scene = fake.scene
    shown = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
    message = shown.message or {}
    await bot.db.execute("DELETE FROM browse_queries")
    # The connection drops before Discord acts (discord.py retries a 503 on its own, which then succeeds).
    fake.fail("POST", "/interactions/{interaction_id}/{interaction_token}/callback", status=TIMEOUT, hold_s=0.2)
    pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
    assert pressed.type == 4  # the update never arrived; the reason comes as the answer itself
    assert pressed.ephemeral
    assert pressed.content == "This page has expired. Run `/nextlaunch` again for a fresh one."
    assert "Next" in stored_buttons(fake, message)


async def test_an_expired_list_pressed_by_someone_else_loses_its_buttons_for_everyone(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake, scene = fake_discord, fake_discord.scene
    path = tmp_path / "t.sqlite3"
    await seeded_db(path, scene.guild.id, extra=12)  # more SpaceX launches than one page holds
    other = fake.world.create_user("other")
    fake.world.add_member(scene.guild, other)
    async with running_bot(fake, path, ManualClock(NOW)) as bot:
        shown = await fake.slash("launches", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
        message = shown.message or {}
        assert set(buttons(message)) == {"Previous", "Next"}
        await bot.db.execute("DELETE FROM browse_queries")
        pressed = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=other)
        assert pressed.type == 7
        assert (pressed.callback or {})["data"]["components"] == []  # checked against Discord's spec by the fake
        assert stored_buttons(fake, message) == set()  # a list shows no one event: nothing is left to press
        assert await private_reason(pressed) == "This page has expired. Run `/launches` again for a fresh one."
    assert not fake.violations


async def test_a_button_whose_filters_were_pruned_says_the_page_expired(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake, scene = fake_discord, fake_discord.scene
    path = tmp_path / "t.sqlite3"
    await seeded_db(path, scene.guild.id, extra=5)  # SpaceX launches 40 days on: pages to turn a month later
    clock = ManualClock(NOW)
    async with running_bot(fake, path, clock) as bot:
        shown = await fake.slash("nextlaunch", user=scene.member, guild=scene.guild, options={"provider": "spacex"})
        message = shown.message or {}
        clock.advance(timedelta(days=15))
        used = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
        assert used.type == 7  # reading the filters counts as a use ...
        clock.advance(timedelta(days=20))
        await bot.housekeeping()  # the daily job
        kept = await fake.press_button(message, buttons(message)["Next"]["custom_id"], user=scene.member)
        assert kept.type == 7, kept.content  # ... so 35 days after the command its buttons still work
        clock.advance(timedelta(days=31))
        await bot.housekeeping()
        pressed = await fake.press_button(message, buttons(message)["Previous"]["custom_id"], user=scene.member)
        assert await private_reason(pressed) == "This page has expired. Run `/nextlaunch` again for a fresh one."
        assert "Previous" not in stored_buttons(fake, message)


async def test_house_keeping_first_runs_soon_after_start_then_daily(browse_bot: BotOnFake) -> None:
    # A bot restarted more often than daily must still prune: the first run is minutes after start, not a day.
    _, bot = browse_bot
    job = bot.scheduler.get_job("housekeeping")
    assert job is not None
    assert job.trigger.interval == timedelta(hours=24)
    assert job.next_run_time - SystemClock().now() <= HOUSEKEEPING_FIRST

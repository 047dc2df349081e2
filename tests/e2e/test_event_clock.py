"""/event reads the bot's one clock: a relative time is read against it, and what it makes past is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.db.events import next_milestones
from bot.models import MilestoneKind
from tests.e2e.server_helpers import bot_on_manual_clock
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

# Years away from the real clock on purpose: only the bot's clock can make "tomorrow" mean this day.
NOW = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)


async def test_a_relative_time_is_read_against_the_bots_clock(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    scene = fake_discord.scene
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", ManualClock(NOW)) as bot:
        result = await fake_discord.slash(
            "event add",
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
            options={"name": "Clock docking", "kind": "docking", "time": "tomorrow 06:12 UTC"},
        )
        assert result.ephemeral
        expected = int(datetime(2031, 5, 2, 6, 12, tzinfo=UTC).timestamp())
        assert f"<t:{expected}:F>" in result.embeds[0]["description"]
        upcoming = await next_milestones(bot.db, now=NOW, guild_id=scene.guild.id)
        assert [(u.milestone.kind, int(u.milestone.at.timestamp())) for u in upcoming] == [
            (MilestoneKind.DOCKING, expected)
        ]


async def test_an_event_in_90_minutes_is_read_from_the_bots_clock_to_the_minute(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    scene = fake_discord.scene
    # Seconds past the minute on the bot's clock: the event lands on the minute, 90 minutes on.
    clock = ManualClock(NOW + timedelta(seconds=41))
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", clock) as bot:
        result = await fake_discord.slash(
            "event add",
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
            options={"name": "Soon docking", "kind": "docking", "time": "in 90 minutes", "coverage": "in 1 hour"},
        )
        assert result.ephemeral
        docking = int(datetime(2031, 5, 1, 13, 30, tzinfo=UTC).timestamp())
        coverage = int(datetime(2031, 5, 1, 13, 0, tzinfo=UTC).timestamp())
        assert f"<t:{docking}:F>" in result.embeds[0]["description"]
        # Nothing about the zone is assumed: ninety minutes are ninety minutes anywhere.
        assert "named no zone" not in str(result.embeds)
        upcoming = await next_milestones(bot.db, now=clock.now(), guild_id=scene.guild.id)
        assert sorted((u.milestone.kind, int(u.milestone.at.timestamp())) for u in upcoming) == sorted(
            [(MilestoneKind.DOCKING, docking), (MilestoneKind.COVERAGE_START, coverage)]
        )


async def test_a_duration_the_bot_cannot_read_is_explained_with_what_to_type(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    scene = fake_discord.scene
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", ManualClock(NOW)) as bot:
        result = await fake_discord.slash(
            "event add",
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
            options={"name": "Never docking", "kind": "docking", "time": "in -2 hours"},
        )
        assert result.ephemeral
        assert result.content == (
            "I couldn't read the docking time 'in -2 hours': '-2 hours' is in the past. "
            "Try: a time ahead, e.g. 'in 2 hours'"
        )
        assert await next_milestones(bot.db, now=NOW, guild_id=scene.guild.id) == []


async def test_a_time_the_bots_clock_has_passed_is_refused(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> None:
    scene = fake_discord.scene
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", ManualClock(NOW)) as bot:
        # Ahead of the real clock, but behind the bot's: the bot's clock decides.
        result = await fake_discord.slash(
            "event add",
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
            options={"name": "Old docking", "kind": "docking", "time": "2030-06-01T06:12Z"},
        )
        assert result.ephemeral
        assert "past" in (result.content or "").lower() + str(result.embeds).lower()
        assert await next_milestones(bot.db, now=datetime(2030, 1, 1, tzinfo=UTC), guild_id=scene.guild.id) == []


async def test_an_import_without_a_publication_date_reads_the_text_on_the_bots_day(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    scene = fake_discord.scene
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", ManualClock(NOW)):
        opened = await fake_discord.slash(
            "event import", user=scene.moderator, guild=scene.guild, channel=scene.general
        )
        assert opened.modal is not None
        review = await fake_discord.submit_modal(
            opened,
            {
                "import:name": "Clock cargo",
                "import:article": "The cargo ship is set to dock with the station on May 3 at 06:12 UTC.",
                "import:published": "",  # blank: today, on the bot's clock (2031), not the real one
            },
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
        )
        (embed,) = review.embeds
        docking = next(f["value"] for f in embed["fields"] if f["name"] == "docking")
        assert f"<t:{int(datetime(2031, 5, 3, 6, 12, tzinfo=UTC).timestamp())}:F>" in docking
        assert "will not be saved" not in docking

"""The real TMinusBot, unmodified, against the local fake Discord over HTTP and WebSocket."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.bot import TMinusBot
from bot.config import Settings
from bot.errors import APOLOGY
from bot.models import isoformat_z
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]


async def test_bot_logs_in_and_is_ready_in_the_guild(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    assert bot.is_ready()
    assert bot.user is not None
    assert bot.user.id == fake.world.bot_user.id
    assert bot.get_guild(fake.scene.guild.id) is not None
    assert fake.gateway.identifies == 1
    assert fake.requests_to("GET", "/users/@me")
    assert fake.requests_to("GET", "/oauth2/applications/@me")


async def test_command_tree_sync_uploads_every_command_with_descriptions(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    (upload,) = fake.requests_to("PUT", "/applications/{application_id}/commands")
    uploaded = {c["name"]: c for c in upload.body}
    # Written out by hand: comparing with the bot's own to_dict() would pass even if a cog failed to load.
    assert set(uploaded) == {
        "about",
        "event",
        "nextlaunch",
        "launches",
        "nextdocking",
        "events",
        "launch",
        "calendar",
        "timezone",
        "subscribe",
        "subscriptions",
        "unsubscribe",
        "forget",
        "alerts",
        "digest",
    }
    # The browsing commands work everywhere, also installed to a user: guilds, the bot's DM, private channels.
    for name in ("nextlaunch", "launches", "nextdocking", "events", "launch", "calendar", "timezone", "forget"):
        assert uploaded[name]["integration_types"] == [0, 1], name
        assert uploaded[name]["contexts"] == [0, 1, 2], name
    event = uploaded["event"]
    subcommands = {o["name"]: o for o in event["options"]}
    assert set(subcommands) == {"add", "edit", "remove", "list", "import"}
    assert all(o["type"] == 1 for o in subcommands.values())
    add_options = {o["name"]: o for o in subcommands["add"]["options"]}
    assert [n for n, o in add_options.items() if o.get("required")] == ["name", "kind", "time"]
    assert {c["value"] for c in add_options["kind"]["choices"]} >= {"liftoff", "docking", "spacewalk"}
    assert add_options["zone"]["autocomplete"] is True
    assert add_options["name"]["max_length"] == 100
    assert subcommands["edit"]["options"][0]["name"] == "event"
    assert subcommands["edit"]["options"][0]["autocomplete"] is True

    def describe_all(options: list[dict[str, object]]) -> None:
        for option in options:
            assert option["description"], f"option {option['name']} has no description"
            describe_all(option.get("options", []))  # type: ignore[arg-type]

    for command in uploaded.values():
        assert command["description"], f"/{command['name']} has no description"
        describe_all(command.get("options", []))


async def test_command_tree_is_synced_only_when_it_changed(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        discord_token="fake-token", db_path=tmp_path / "t.sqlite3", ll2_base_url="http://127.0.0.1:1/2.3.0",
        _env_file=None,
    )  # fmt: skip
    route = "/applications/{application_id}/commands"
    for start in range(2):
        bot = TMinusBot(settings)
        async with bot, bot_running(fake_discord, bot):
            assert await bot.sync_commands() is False  # the start-up sync already made the tree current
        # First start syncs (fresh database); a restart with the same tree does not upload again.
        assert len(fake_discord.requests_to("PUT", route)) == 1, f"after start {start + 1}"
    bot = TMinusBot(settings)
    async with bot, bot_running(fake_discord, bot):
        assert await bot.sync_commands(force=True) is True
    assert len(fake_discord.requests_to("PUT", route)) == 2


async def test_dev_guild_gets_the_commands_instead_of_global(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    guild = fake_discord.scene.guild
    settings = Settings(  # type: ignore[call-arg]
        discord_token="fake-token", db_path=tmp_path / "t.sqlite3", ll2_base_url="http://127.0.0.1:1/2.3.0",
        dev_guild_id=guild.id, _env_file=None,
    )  # fmt: skip
    bot = TMinusBot(settings)
    async with bot, bot_running(fake_discord, bot):
        (upload,) = fake_discord.requests_to("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
        assert {c["name"] for c in upload.body} >= {"about", "event", "nextlaunch", "timezone", "subscribe"}
        assert not fake_discord.requests_to("PUT", "/applications/{application_id}/commands")
        result = await fake_discord.slash("about", user=fake_discord.scene.member, guild=guild)
        assert result.embeds


async def test_about_answers_with_an_embed(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    result = await fake.slash("about", user=scene.member, guild=scene.guild, channel=scene.general)
    assert result.type == 4
    (embed,) = result.embeds
    assert embed["title"].startswith("T-Minus")
    assert {f["name"] for f in embed["fields"]} >= {"Launch data", "Uptime"}


async def test_about_shows_when_launch_data_was_last_refreshed_and_when_next(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    refreshed = bot.clock.now().replace(microsecond=0) - timedelta(minutes=3)
    await bot.db.set_state("ll2.last_refresh", isoformat_z(refreshed))
    await bot.db.set_state("ll2.next_refresh", isoformat_z(bot.clock.now() + timedelta(minutes=2)))
    result = await fake.slash("about", user=fake.scene.member, guild=fake.scene.guild)
    (embed,) = result.embeds
    data = next(f["value"] for f in embed["fields"] if f["name"] == "Launch data")
    assert f"last refreshed <t:{int(refreshed.timestamp())}:R>" in data
    # The bot's own loop (LL2 unreachable here) may have planned its retry since: any future instant will do.
    assert ", next refresh due <t:" in data


async def test_about_works_in_a_dm(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    result = await fake.slash("about", user=fake.scene.member)
    assert result.embeds


async def test_bot_keeps_answering_after_gateway_reconnect(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    resumes = fake.gateway.resumes
    await fake.gateway.send_reconnect()
    await fake.gateway.wait_resumed(after=resumes)
    result = await fake.slash("about", user=scene.member, guild=scene.guild)
    assert result.embeds


async def test_bot_reidentifies_after_invalid_session(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    identifies = fake.gateway.identifies
    await fake.gateway.invalidate_session(resumable=False)
    await fake.gateway.wait_identified(after=identifies)
    await fake.wait_for(bot.is_ready)
    result = await fake.slash("about", user=fake.scene.member, guild=fake.scene.guild)
    assert result.embeds


@pytest.mark.parametrize("how", ["close-frame", "tcp-drop"])
async def test_bot_resumes_after_abrupt_close(tminus_bot: BotOnFake, how: str) -> None:
    fake, _ = tminus_bot
    resumes = fake.gateway.resumes
    if how == "close-frame":
        await fake.gateway.close_abruptly()
    else:
        fake.gateway.drop_connections()
    await fake.gateway.wait_resumed(after=resumes)
    result = await fake.slash("about", user=fake.scene.member, guild=fake.scene.guild)
    assert result.embeds


async def test_interaction_during_disconnect_is_replayed_on_resume(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    resumes = fake.gateway.resumes
    fake.gateway.drop_connections()
    # Dispatched while no socket is open: the fake keeps it and replays it after RESUME.
    result = await fake.slash("about", user=fake.scene.member, guild=fake.scene.guild)
    assert fake.gateway.resumes > resumes
    assert result.embeds


async def test_interaction_callback_429_is_retried(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    route = "/interactions/{interaction_id}/{interaction_token}/callback"
    fake.ratelimiter.force_429("POST", route, retry_after=0.05)
    result = await fake.slash("about", user=fake.scene.member, guild=fake.scene.guild)
    assert result.embeds
    assert [r.status for r in fake.requests_to("POST", route)] == [429, 200]


async def test_unexpected_error_is_logged_with_context_and_user_gets_apology(
    tminus_bot: BotOnFake, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene

    async def broken(*_: object, **__: object) -> dict[str, int]:
        raise RuntimeError("database on fire")

    # The module as discord.py loaded it (extensions are not attributes of the cogs package).
    monkeypatch.setattr(bot.extensions["cogs.about"], "count_events", broken)
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        result = await fake.slash("about", user=scene.member, guild=scene.guild, channel=scene.general)
    assert result.ephemeral
    assert result.content == APOLOGY
    assert "database on fire" not in (result.content or "")
    (record,) = [r for r in caplog.records if r.name == "bot.errors"]
    message = record.getMessage()
    assert "/about" in message
    assert str(scene.member.id) in message
    assert str(scene.guild.id) in message
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)

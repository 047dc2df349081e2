"""The fake Discord itself, driven by the unmodified discord.py client with a tiny test-only cog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import Limit
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running


class Probe(commands.Cog):
    """Commands that exercise the fake's routes; test-only, not part of the product."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    @app_commands.command(description="Answer at once.")
    @app_commands.describe(text="What to echo")
    async def echo(self, interaction: discord.Interaction, text: str, times: int = 1) -> None:
        await interaction.response.send_message(text * times, ephemeral=True)

    @app_commands.command(description="Defer, then edit.")
    async def slow(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(embed=discord.Embed(title="Done", description="later"))

    @app_commands.command(description="DM a user.")
    @app_commands.describe(user="Who to DM")
    async def dm(self, interaction: discord.Interaction, user: discord.User) -> None:
        try:
            await user.send("hello from the bot")
        except discord.Forbidden as error:
            await interaction.response.send_message(f"refused {error.code}", ephemeral=True)
        else:
            await interaction.response.send_message("sent", ephemeral=True)

    @app_commands.command(description="Post to a channel.")
    @app_commands.describe(channel="Where to post", text="What to post")
    async def post(self, interaction: discord.Interaction, channel: discord.TextChannel, text: str) -> None:
        try:
            await channel.send(text)
        except discord.Forbidden as error:
            await interaction.response.send_message(f"refused {error.code}", ephemeral=True)
        else:
            await interaction.response.send_message("posted", ephemeral=True)

    @app_commands.command(description="Pick a rocket.")
    @app_commands.describe(rocket="Which rocket")
    async def rocket(self, interaction: discord.Interaction, rocket: str) -> None:
        await interaction.response.send_message(f"picked {rocket}")

    @rocket.autocomplete("rocket")
    async def rocket_names(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = ["Falcon 9", "Soyuz", "Electron"]
        return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n.lower()]

    @app_commands.command(description="Open a modal.")
    async def note(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal())

    @app_commands.command(description="Show a button.")
    async def button(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press it", view=PressView())

    @app_commands.command(description="Too long a title: Discord refuses it.")
    async def broken(self, interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message(embed=discord.Embed(title="x" * 300))
        except discord.HTTPException as error:
            await interaction.response.send_message(f"refused {error.code}")

    @app_commands.command(description="Post in the forum and crosspost to announcements.")
    @app_commands.describe(forum="Forum", news="Announcement channel")
    async def publish(
        self, interaction: discord.Interaction, forum: discord.ForumChannel, news: discord.TextChannel
    ) -> None:
        await interaction.response.defer(ephemeral=True)
        post = await forum.create_thread(name="Artemis II", content="Launch thread")
        message = await news.send("Liftoff!")
        await message.publish()
        await interaction.followup.send(f"thread {post.thread.id}", ephemeral=True)


class NoteModal(discord.ui.Modal, title="Note"):
    text: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(label="Text", custom_id="note-text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted {self.text.value}", ephemeral=True)


class PressView(discord.ui.View):
    @discord.ui.button(label="Press", custom_id="probe:press")
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button[PressView]) -> None:
        await interaction.response.edit_message(content="pressed", view=None)


@pytest.fixture
async def probe_bot(fake_discord: FakeDiscordWithScene) -> AsyncIterator[commands.Bot]:
    """A plain commands.Bot with the Probe cog, READY on the fake, tree synced."""
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    async with bot:
        await bot.add_cog(Probe(bot))
        async with bot_running(fake_discord, bot):
            await bot.tree.sync()
            yield bot


async def test_login_ready_and_sync(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    assert probe_bot.user is not None
    assert probe_bot.user.id == fake_discord.world.bot_user.id
    guild = probe_bot.get_guild(fake_discord.scene.guild.id)
    assert guild is not None
    assert guild.get_channel(fake_discord.scene.general.id) is not None
    names = {c["name"] for c in fake_discord.global_commands}
    assert {"echo", "slow", "dm", "post"} <= names
    echo = fake_discord.command("echo")
    assert echo["description"] == "Answer at once."
    assert [(o["name"], o["type"], o.get("required", False)) for o in echo["options"]] == [
        ("text", 3, True),
        ("times", 4, False),
    ]


async def test_slash_with_options(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    scene = fake_discord.scene
    result = await fake_discord.slash("echo", user=scene.member, guild=scene.guild, options={"text": "go", "times": 3})
    assert result.content == "gogogo"
    assert result.ephemeral


async def test_deferred_then_edited(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    scene = fake_discord.scene
    result = await fake_discord.slash("slow", user=scene.member, guild=scene.guild)
    assert result.deferred
    assert result.embeds[0]["title"] == "Done"


async def test_dm_sent_and_refused(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    scene = fake_discord.scene
    ok = await fake_discord.slash("dm", user=scene.member, guild=scene.guild, options={"user": scene.member})
    assert ok.content == "sent"
    refused = await fake_discord.slash("dm", user=scene.member, guild=scene.guild, options={"user": scene.closed_dms})
    assert refused.content == "refused 50007"


async def test_post_to_channel_and_missing_permission(
    fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot
) -> None:
    scene = fake_discord.scene
    ok = await fake_discord.slash(
        "post", user=scene.member, guild=scene.guild, options={"channel": scene.general, "text": "hi"}
    )
    assert ok.content == "posted"
    assert "hi" in [m["content"] for m in fake_discord.world.channel_messages(scene.general)]
    refused = await fake_discord.slash(
        "post", user=scene.member, guild=scene.guild, options={"channel": scene.readonly, "text": "hi"}
    )
    assert refused.content == "refused 50013"


async def test_autocomplete_modal_and_button(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    scene = fake_discord.scene
    choices = await fake_discord.autocomplete(
        "rocket", "rocket", user=scene.member, guild=scene.guild, options={"rocket": "so"}
    )
    assert choices == [{"name": "Soyuz", "value": "Soyuz"}]
    opened = await fake_discord.slash("note", user=scene.member, guild=scene.guild)
    assert opened.modal is not None
    assert opened.modal["title"] == "Note"
    submitted = await fake_discord.submit_modal(opened, {"note-text": "hello"}, user=scene.member)
    assert submitted.content == "noted hello"
    shown = await fake_discord.slash("button", user=scene.member, guild=scene.guild)
    assert shown.message is not None
    pressed = await fake_discord.press_button(shown.message, "probe:press", user=scene.member)
    assert pressed.type == 7
    assert pressed.content == "pressed"


async def test_forum_post_and_crosspost(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    scene = fake_discord.scene
    result = await fake_discord.slash(
        "publish", user=scene.admin, guild=scene.guild, options={"forum": scene.forum, "news": scene.announcements}
    )
    assert result.deferred
    assert result.content
    assert result.content.startswith("thread ")
    (post,) = fake_discord.requests_to("POST", "/channels/{channel_id}/threads")
    assert post.body["message"]["content"] == "Launch thread"
    assert fake_discord.world.channel_messages(scene.announcements)[-1]["flags"] & 1  # crossposted


async def test_schema_violation_is_refused_and_recorded(
    fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot
) -> None:
    scene = fake_discord.scene
    result = await fake_discord.slash("broken", user=scene.member, guild=scene.guild)
    assert result.content == "refused 50035"
    violations = fake_discord.clear_violations()
    assert [v.kind for v in violations] == ["schema"]
    assert "data/embeds/0/title" in violations[0].errors[0]


async def test_checker_rejects_invalid_raw_payload(fake_discord: FakeDiscordWithScene) -> None:
    url = f"{fake_discord.base_url}/channels/{fake_discord.scene.general.id}/messages"
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"content": 5, "tts": "yes"}, headers=headers) as response:
            assert response.status == 400
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["code"] == 50035
        async with session.post(url, json={"content": "x" * 2001}, headers=headers) as response:
            assert (await response.json())["errors"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
        async with session.get(f"{fake_discord.base_url}/no/such/route", headers=headers) as response:
            assert response.status == 404
        async with session.post(
            f"{fake_discord.base_url}/channels/1/messages", json={"content": "x"}, headers=headers
        ) as response:
            assert (await response.json())["code"] == 10003
    kinds = [v.kind for v in fake_discord.clear_violations()]
    assert kinds == ["schema", "limits", "unknown-route"]


async def test_enforce_nonce_returns_the_first_message(
    fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot
) -> None:
    channel = probe_bot.get_channel(fake_discord.scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("once", nonce="alert-42")
    second = await channel.send("once", nonce="alert-42")
    assert first.id == second.id
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 1


async def test_route_rate_limit_429_is_retried(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    fake_discord.ratelimiter.config.routes[("POST", "/channels/{channel_id}/messages")] = Limit(2, 0.2)
    channel = probe_bot.get_channel(fake_discord.scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    route = "/channels/{channel_id}/messages"
    fake_discord.ratelimiter.force_429("POST", route, retry_after=0.05)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(5)))
    statuses = [r.status for r in fake_discord.requests_to("POST", route)]
    assert statuses.count(200) == 5
    assert 429 in statuses
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 5


async def test_gateway_disruptions_are_survived(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    scene, gateway = fake_discord.scene, fake_discord.gateway
    resumes = gateway.resumes
    await gateway.send_reconnect()
    await gateway.wait_resumed(after=resumes)
    await gateway.close_abruptly()
    await gateway.wait_resumed(after=resumes + 1)
    gateway.drop_connections()
    await gateway.wait_resumed(after=resumes + 2)
    identifies = gateway.identifies
    await gateway.invalidate_session()
    await gateway.wait_identified(after=identifies)
    await fake_discord.wait_for(probe_bot.is_ready)
    result = await fake_discord.slash("echo", user=scene.member, guild=scene.guild, options={"text": "still here"})
    assert result.content == "still here"
    frames = [seq for session in gateway.sessions.values() for seq, _ in session.sent]
    assert frames == sorted(frames)
    assert len(set(frames)) == len(frames)


async def test_auto_sharded_bot_asks_gateway_bot(fake_discord: FakeDiscordWithScene) -> None:
    bot = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default())
    async with bot, bot_running(fake_discord, bot):
        assert bot.get_guild(fake_discord.scene.guild.id) is not None
    assert fake_discord.requests_to("GET", "/gateway/bot")


async def test_install_restores_discord_urls() -> None:
    from tests.fakediscord import FakeDiscord

    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    fake = FakeDiscord()
    await fake.start()
    fake.install()
    assert fake.base_url == discord.http.Route.BASE
    await fake.stop()
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

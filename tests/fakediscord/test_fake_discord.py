"""The fake Discord itself, driven by the unmodified discord.py client with a tiny test-only cog."""

from __future__ import annotations

import asyncio
import io
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import Limit
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running
from tests.fakediscord.world import GUILD_MEMBERS_INTENT

REPO = Path(__file__).resolve().parents[2]


class Probe(commands.Cog):
    """Commands that exercise the fake's routes; test-only, not part of the product."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot
        self.tasks: set[asyncio.Task[None]] = set()

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

    @app_commands.command(description="Answer with a file.")
    async def attach(self, interaction: discord.Interaction) -> None:
        file = discord.File(io.BytesIO(b"T-10 and counting"), filename="countdown.txt")
        await interaction.response.send_message("see the file", file=file)

    @app_commands.command(description="Answer after a delay, or say the interaction expired.")
    @app_commands.describe(seconds="How long to think first")
    async def late(self, interaction: discord.Interaction, seconds: float) -> None:
        await asyncio.sleep(seconds)
        try:
            await interaction.response.send_message("made it")
        except discord.NotFound as error:
            assert interaction.channel_id is not None
            channel = self.bot.get_partial_messageable(interaction.channel_id)
            await channel.send(f"expired {error.code}")

    @app_commands.command(description="Defer at once, edit after a delay.")
    @app_commands.describe(seconds="How long to work after deferring")
    async def patient(self, interaction: discord.Interaction, seconds: float) -> None:
        await interaction.response.defer()
        await asyncio.sleep(seconds)
        await interaction.edit_original_response(content="finally")

    @app_commands.command(description="Defer visibly, then answer with a follow-up.")
    async def followup(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("done")

    @app_commands.command(description="Answer, and add the button a moment later.")
    async def later_button(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("wait for it")

        async def add_button() -> None:
            await asyncio.sleep(0.1)
            await interaction.edit_original_response(view=PressView())

        self.tasks.add(asyncio.create_task(add_button()))


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
    violations = fake_discord.take_violations("schema")
    assert len(violations) == 1
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
    assert len(fake_discord.take_violations("schema", match="content")) == 1
    assert len(fake_discord.take_violations("limits", match="content: Must be 2000")) == 1
    (unknown,) = fake_discord.take_violations("unknown-route")
    assert "in the vendored (trimmed) copy of Discord's API spec" in str(unknown)


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
    # The client saw every dispatch of its session, in order: its sequence is the session's last.
    (session,) = [s for s in gateway.sessions.values() if s.ws is not None]
    assert probe_bot.ws.sequence == session.seq


async def test_resume_replays_what_was_missed(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    gateway, world = fake_discord.gateway, fake_discord.world
    (session,) = gateway.live_sessions
    seen = probe_bot.ws.sequence
    assert seen == session.seq
    resumes = gateway.resumes
    gateway.drop_connections()
    # Sent while the client is away: only the RESUME replay can deliver it.
    missed = world.create_channel(fake_discord.scene.guild, "missed-while-away")
    await gateway.dispatch("CHANNEL_CREATE", missed.to_dict())
    await gateway.wait_resumed(after=resumes)
    await fake_discord.wait_for(lambda: probe_bot.get_channel(missed.id) is not None)
    resume = [f for f in gateway.frames_received if f["op"] == 6][-1]
    assert resume["d"]["seq"] == seen
    assert resume["d"]["session_id"] == session.id
    assert probe_bot.ws.sequence == session.seq > seen + 1  # the CHANNEL_CREATE and RESUMED


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


# Helpers for raw requests -------------------------------------------------------------------------


async def raw(
    fake: FakeDiscordWithScene,
    method: str,
    path: str,
    body: Any = None,
    *,
    data: aiohttp.FormData | None = None,
) -> tuple[int, Any]:
    """(status, parsed JSON or None) of one request with the bot's token."""
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.base_url + path, json=body, data=data, headers=headers) as response,
    ):
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, None


def no_rate_limits(fake: FakeDiscordWithScene) -> None:
    """Raw tests send many requests on one route; they test other things than the rate limiter."""
    fake.ratelimiter.config.routes.clear()
    fake.ratelimiter.config.default_limit = Limit(10_000, 1.0)


def command_data(name: str = "x") -> dict[str, Any]:
    return {"id": "1", "name": name, "type": 1, "options": []}


async def posted(fake: FakeDiscordWithScene, content: str = "hello") -> dict[str, Any]:
    status, message = await raw(fake, "POST", f"/channels/{fake.scene.general.id}/messages", {"content": content})
    assert status == 200
    assert isinstance(message, dict)
    return message


# 1: multipart uploads ---------------------------------------------------------------------------


async def test_file_upload_through_the_client(fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot) -> None:
    channel = probe_bot.get_channel(fake_discord.scene.general.id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("with a file", file=discord.File(io.BytesIO(b"liftoff"), filename="t.txt"))
    assert [a.filename for a in message.attachments] == ["t.txt"]
    assert message.attachments[0].size == len(b"liftoff")
    (request,) = fake_discord.requests_to("POST", "/channels/{channel_id}/messages")
    assert request.files == ["t.txt"]
    (stored,) = fake_discord.world.channel_messages(fake_discord.scene.general)
    assert fake_discord.attachment_bytes(stored) == {"t.txt": b"liftoff"}  # the bytes are kept, per message
    assert request.body["content"] == "with a file"
    scene = fake_discord.scene
    result = await fake_discord.slash("attach", user=scene.member, guild=scene.guild)
    assert result.content == "see the file"
    assert result.message is not None
    assert [a["filename"] for a in result.message["attachments"]] == ["countdown.txt"]
    assert fake_discord.attachment_bytes(result.message) == {"countdown.txt": b"T-10 and counting"}


async def test_bad_payload_json_is_a_violation(fake_discord: FakeDiscordWithScene) -> None:
    path = f"/channels/{fake_discord.scene.general.id}/messages"
    form = aiohttp.FormData()
    form.add_field("payload_json", '{"content": 5}', content_type="application/json")
    form.add_field("files[0]", b"data", filename="a.txt", content_type="text/plain")
    status, answer = await raw(fake_discord, "POST", path, data=form)
    assert (status, answer["code"]) == (400, 50035)
    assert len(fake_discord.take_violations("schema", match=r"content: 5 is not of type")) == 1
    form = aiohttp.FormData()
    form.add_field("payload_json", "{not json", content_type="application/json")
    form.add_field("files[0]", b"data", filename="a.txt", content_type="text/plain")
    status, answer = await raw(fake_discord, "POST", path, data=form)
    assert (status, answer["code"]) == (400, 50109)
    assert len(fake_discord.take_violations("schema", match="payload_json is not JSON")) == 1


# 2: the fake's own bugs -------------------------------------------------------------------------


async def test_internal_error_is_a_violation(
    fake_discord: FakeDiscordWithScene, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_handler(ctx: Any) -> Any:
        raise RuntimeError("handler bug")

    monkeypatch.setitem(fake_discord._handlers, ("GET", "/users/@me"), broken_handler)
    status, answer = await raw(fake_discord, "GET", "/users/@me")
    assert status == 500
    assert answer["code"] == 0
    (violation,) = fake_discord.take_violations("fake-error")
    assert violation.errors[0] == "RuntimeError: handler bug"
    assert any("broken_handler" in line for line in violation.errors[1:])

    async def broken_reader(request: Any) -> Any:
        raise ValueError("reader bug")

    monkeypatch.setattr(fake_discord, "_read_body", broken_reader)
    status, _ = await raw(fake_discord, "POST", f"/channels/{fake_discord.scene.general.id}/messages", {"content": "x"})
    assert status == 500
    assert len(fake_discord.take_violations("fake-error", match="ValueError: reader bug")) == 1
    assert fake_discord.requests[-1].status == 500


# 3: formats -------------------------------------------------------------------------------------


async def test_date_time_and_uri_formats_are_checked(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    path = f"/channels/{scene.general.id}/messages"
    status, _ = await raw(fake_discord, "POST", path, {"embeds": [{"title": "t", "timestamp": "tomorrow"}]})
    assert status == 400
    assert len(fake_discord.take_violations("schema", match="embeds/0/timestamp: 'tomorrow' is not a 'date-time'")) == 1
    status, _ = await raw(fake_discord, "POST", path, {"embeds": [{"title": "t", "url": "not a url"}]})
    assert status == 400
    assert len(fake_discord.take_violations("schema", match="embeds/0/url: 'not a url' is not a 'uri'")) == 1
    good = {"title": "t", "url": "https://example.com/a?b=c", "timestamp": "2030-01-01T12:00:00+00:00"}
    status, _ = await raw(
        fake_discord, "POST", path, {"embeds": [good, {"title": "z", "timestamp": "2030-01-01T12:00:00Z"}]}
    )
    assert status == 200
    event = {
        "name": "Launch",
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "LC-39A"},
        "scheduled_start_time": "garbage",
        "scheduled_end_time": "2030-01-01T13:00:00+00:00",
    }
    status, _ = await raw(fake_discord, "POST", f"/guilds/{scene.guild.id}/scheduled-events", event)
    assert status == 400
    assert (
        len(fake_discord.take_violations("schema", match="scheduled_start_time: 'garbage' is not a 'date-time'")) == 1
    )


# 4: the 3-second deadline -----------------------------------------------------------------------


async def test_late_first_callback_is_unknown_interaction(
    fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot
) -> None:
    scene = fake_discord.scene
    fake_discord.interaction_deadline_s = 0.05
    with pytest.raises(AssertionError, match="did not answer"):
        await fake_discord.slash("late", user=scene.member, guild=scene.guild, options={"seconds": 0.2}, timeout_s=0.5)
    await fake_discord.wait_for(
        lambda: "expired 10062" in [m["content"] for m in fake_discord.world.channel_messages(scene.general)]
    )
    assert len(fake_discord.take_violations("deadline", match="deadline")) == 1
    # Deferring in time keeps the token for edits well past the deadline.
    patient = await fake_discord.slash("patient", user=scene.member, guild=scene.guild, options={"seconds": 0.2})
    assert patient.content == "finally"
    # A test that expects a slow bot loosens the deadline explicitly.
    fake_discord.interaction_deadline_s = 5.0
    made = await fake_discord.slash("late", user=scene.member, guild=scene.guild, options={"seconds": 0.1})
    assert made.content == "made it"


async def test_token_expires_after_15_minutes(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    result = await fake_discord.start_interaction(2, command_data(), user=scene.member, guild=scene.guild)
    callback = f"/interactions/{result.id}/{result.token}/callback"
    assert (await raw(fake_discord, "POST", callback, {"type": 5}))[0] == 204
    original = f"/webhooks/{fake_discord.world.application_id}/{result.token}/messages/@original"
    assert (await raw(fake_discord, "PATCH", original, {"content": "in time"}))[0] == 200
    result.created -= fake_discord.token_lifetime_s + 1
    status, answer = await raw(fake_discord, "PATCH", original, {"content": "too late"})
    assert (status, answer["code"]) == (401, 50027)


# 5: callback type vs interaction type -----------------------------------------------------------

MODAL_DATA = {
    "custom_id": "m",
    "title": "T",
    "components": [{"type": 1, "components": [{"type": 4, "custom_id": "t", "label": "L", "style": 1}]}],
}
CALLBACKS: dict[int, dict[str, Any]] = {
    4: {"type": 4, "data": {"content": "hi"}},
    5: {"type": 5},
    6: {"type": 6},
    7: {"type": 7, "data": {"content": "updated"}},
    8: {"type": 8, "data": {"choices": []}},
    9: {"type": 9, "data": MODAL_DATA},
}
# (interaction type, carries a message) -> the callback types Discord accepts.
ALLOWED = {
    (2, False): {4, 5, 9},
    (3, True): {4, 5, 6, 7, 9},
    (4, False): {8},
    (5, False): {4, 5},
    (5, True): {4, 5, 6, 7},
}


async def test_callback_type_must_fit_the_interaction(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    no_rate_limits(fake_discord)
    for (interaction_type, with_message), allowed in ALLOWED.items():
        for callback_type, body in CALLBACKS.items():
            message = await posted(fake_discord) if with_message else None
            result = await fake_discord.start_interaction(
                interaction_type, command_data(), user=scene.member, guild=scene.guild, message=message
            )
            status, answer = await raw(fake_discord, "POST", f"/interactions/{result.id}/{result.token}/callback", body)
            case = f"callback {callback_type} to interaction {interaction_type} (message: {with_message})"
            if callback_type in allowed:
                assert status == 204, (case, answer)
                assert not fake_discord.violations, case
            else:
                assert status == 400, case
                assert answer["errors"]["type"]["_errors"][0]["code"] == "INTERACTION_RESPONSE_TYPE_INVALID"
                assert len(fake_discord.take_violations("interaction")) == 1, case


# 6: empty messages ------------------------------------------------------------------------------


async def test_empty_interaction_messages_are_refused(fake_discord: FakeDiscordWithScene) -> None:
    scene, app = fake_discord.scene, fake_discord.world.application_id
    result = await fake_discord.start_interaction(2, command_data(), user=scene.member, guild=scene.guild)
    callback = f"/interactions/{result.id}/{result.token}/callback"
    status, answer = await raw(fake_discord, "POST", callback, {"type": 4, "data": {"content": ""}})
    assert (status, answer["code"]) == (400, 50006)
    assert len(fake_discord.take_violations("limits", match="empty message")) == 1
    assert (await raw(fake_discord, "POST", callback, {"type": 4, "data": {"content": "first"}}))[0] == 204
    webhook = f"/webhooks/{app}/{result.token}"
    status, answer = await raw(fake_discord, "POST", webhook, {"embeds": []})
    assert (status, answer["code"]) == (400, 50006)
    assert len(fake_discord.take_violations("limits", match="empty message")) == 1
    status, answer = await raw(fake_discord, "PATCH", webhook + "/messages/@original", {"content": ""})
    assert (status, answer["code"]) == (400, 50006)
    assert result.content == "first"  # a refused edit changes nothing
    assert len(fake_discord.take_violations("limits", match="empty message")) == 1
    status, followup = await raw(fake_discord, "POST", webhook + "?wait=true", {"content": "second"})
    assert status == 200
    status, answer = await raw(fake_discord, "PATCH", f"{webhook}/messages/{followup['id']}", {"content": None})
    assert (status, answer["code"]) == (400, 50006)
    assert len(fake_discord.take_violations("limits", match="empty message")) == 1
    # Emptying the text is fine while an embed remains.
    edit = {"content": "", "embeds": [{"title": "kept"}]}
    assert (await raw(fake_discord, "PATCH", webhook + "/messages/@original", edit))[0] == 200


# 7: ephemeral messages are invisible to channel routes ------------------------------------------


async def test_ephemeral_messages_are_unknown_on_channel_routes(fake_discord: FakeDiscordWithScene) -> None:
    scene, app = fake_discord.scene, fake_discord.world.application_id
    result = await fake_discord.start_interaction(2, command_data(), user=scene.member, guild=scene.guild)
    body = {"type": 4, "data": {"content": "secret", "flags": 64}}
    assert (await raw(fake_discord, "POST", f"/interactions/{result.id}/{result.token}/callback", body))[0] == 204
    assert result.message is not None
    path = f"/channels/{scene.general.id}/messages/{result.message['id']}"
    for method, edit in (("GET", None), ("PATCH", {"content": "x"}), ("DELETE", None)):
        status, answer = await raw(fake_discord, method, path, edit)
        assert (status, answer["code"]) == (404, 10008), method
    status, listed = await raw(fake_discord, "GET", f"/channels/{scene.general.id}/messages")
    assert status == 200
    assert result.message["id"] not in [m["id"] for m in listed]
    status, own = await raw(fake_discord, "GET", f"/webhooks/{app}/{result.token}/messages/@original")
    assert (status, own["content"]) == (200, "secret")


# 8: the first follow-up after a deferral is the original response -------------------------------


async def test_followup_after_deferral_updates_the_original(
    fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot
) -> None:
    scene = fake_discord.scene
    result = await fake_discord.slash("followup", user=scene.member, guild=scene.guild)
    assert result.content == "done"
    assert result.message is not None
    messages = fake_discord.world.channel_messages(scene.general)
    assert [m["content"] for m in messages] == ["done"]
    (session,) = fake_discord.gateway.live_sessions
    events = [(f["t"], f["d"]["id"]) for _, f in session.sent if f["t"] in ("MESSAGE_CREATE", "MESSAGE_UPDATE")]
    assert events == [("MESSAGE_CREATE", result.message["id"]), ("MESSAGE_UPDATE", result.message["id"])]


# 9: limits the spec cannot express ----------------------------------------------------------------


def button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id}


async def test_component_and_mention_limits(fake_discord: FakeDiscordWithScene) -> None:
    no_rate_limits(fake_discord)
    path = f"/channels/{fake_discord.scene.general.id}/messages"
    rows = [{"type": 1, "components": [button("same")]}, {"type": 1, "components": [button("same")]}]
    status, answer = await raw(fake_discord, "POST", path, {"content": "x", "components": rows})
    assert status == 400
    assert answer["errors"]["components"]["1"]["components"]["0"]["custom_id"]["_errors"][0]["code"] == (
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    )
    assert len(fake_discord.take_violations("limits", match="custom id cannot be duplicated")) == 1
    six = [{"type": 1, "components": [button(f"b{i}")]} for i in range(6)]
    status, _ = await raw(fake_discord, "POST", path, {"content": "x", "components": six})
    assert status == 400
    assert len(fake_discord.take_violations("limits", match="components: Must be 5 or fewer")) == 1
    assert (await raw(fake_discord, "POST", path, {"content": "x", "components": six[:5]}))[0] == 200
    for kind in ("users", "roles"):
        mentions = {"parse": [kind], kind: ["1"]}
        status, _ = await raw(fake_discord, "POST", path, {"content": "x", "allowed_mentions": mentions})
        assert status == 400
        assert len(fake_discord.take_violations("limits", match=f"allowed_mentions.{kind}: .*mutually exclusive")) == 1
    ok = {"parse": ["users"], "roles": ["1"]}
    assert (await raw(fake_discord, "POST", path, {"content": "x", "allowed_mentions": ok}))[0] == 200


async def test_autocomplete_choice_limits(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene

    async def answer(choices: list[dict[str, Any]]) -> int:
        result = await fake_discord.start_interaction(4, command_data(), user=scene.member, guild=scene.guild)
        body = {"type": 8, "data": {"choices": choices}}
        status, _ = await raw(fake_discord, "POST", f"/interactions/{result.id}/{result.token}/callback", body)
        return status

    assert await answer([{"name": "x", "value": "v" * 101}]) == 400
    assert len(fake_discord.take_violations("limits", match=r"choices\.0\.value: Must be 100")) == 1
    assert await answer([{"name": "n" * 101, "value": "v"}]) == 400
    assert len(fake_discord.take_violations(match=r"choices.0.name")) == 1
    assert await answer([{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]) == 400
    (violation,) = fake_discord.take_violations("schema")
    assert violation.errors == ["data/choices: length 26 breaks maxItems 25"]
    assert await answer([{"name": "n" * 100, "value": "v" * 100}]) == 204


# 10: privileged intents ---------------------------------------------------------------------------


async def test_privileged_intents_need_approval(fake_discord: FakeDiscordWithScene) -> None:
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(command_prefix="!", intents=intents)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with bot, bot_running(fake_discord, bot):
            pass
    fake_discord.world.allowed_privileged_intents = GUILD_MEMBERS_INTENT
    bot = commands.Bot(command_prefix="!", intents=intents)
    async with bot, bot_running(fake_discord, bot):
        assert bot.get_guild(fake_discord.scene.guild.id) is not None


# 11: take_violations ------------------------------------------------------------------------------


async def test_take_violations_leaves_the_others(fake_discord: FakeDiscordWithScene) -> None:
    await raw(fake_discord, "GET", "/no/such/route")
    await raw(fake_discord, "POST", f"/channels/{fake_discord.scene.general.id}/messages", {"content": 5})
    assert fake_discord.take_violations("unknown-route", match="nothing like this") == []
    assert len(fake_discord.take_violations(match="/no/such/route")) == 1
    assert [v.kind for v in fake_discord.violations] == ["schema"]
    assert len(fake_discord.take_violations()) == 1
    assert fake_discord.violations == []


# 13: presses wait for the view, not for a fixed time ------------------------------------------------


async def test_press_waits_until_the_view_is_registered(
    fake_discord: FakeDiscordWithScene, probe_bot: commands.Bot
) -> None:
    scene = fake_discord.scene
    shown = await fake_discord.slash("later_button", user=scene.member, guild=scene.guild)
    assert shown.message is not None
    pressed = await fake_discord.press_button(shown.message, "probe:press", user=scene.member, timeout_s=2.0)
    assert pressed.content == "pressed"


# 14: the standalone server reports on SIGTERM too ---------------------------------------------------


async def test_standalone_server_prints_violations_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakediscord",
        "--port",
        "0",
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        assert first.startswith("REST")
        base = first.split()[1]
        async with aiohttp.ClientSession() as session, session.get(base + "/no/such/route") as response:
            assert response.status == 404
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "violation: unknown-route: GET /api/v10/no/such/route" in out.decode()

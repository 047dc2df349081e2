"""Discord faults during command handling (issue 15): the gateway dropped, told to RECONNECT or INVALID_SESSION
while the bot is in the middle of a command. The command is still answered exactly once, its row written once,
and the bot answers the next command after it reconnects. (During an alert fan-out: with the alert engine.)
A global 429 whose wait outlasts a send's timeout leaves later requests and command replies working.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.alerts.dispatcher import TransientError
from bot.alerts.transport import SEND_TIMEOUT_S, DiscordTransport
from bot.bot import TMinusBot
from tests.fakediscord.interactions import build_command_data
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]


async def _reconnect(fake: FakeDiscordWithScene) -> None:
    await fake.gateway.send_reconnect()


async def _invalid_session(fake: FakeDiscordWithScene) -> None:
    await fake.gateway.invalidate_session(resumable=False)


async def _tcp_drop(fake: FakeDiscordWithScene) -> None:
    fake.gateway.drop_connections()


async def _close_frame(fake: FakeDiscordWithScene) -> None:
    await fake.gateway.close_abruptly()


FAULTS: dict[str, Callable[[FakeDiscordWithScene], Awaitable[None]]] = {
    "RECONNECT": _reconnect,
    "INVALID_SESSION": _invalid_session,
    "dropped": _tcp_drop,
    "closed": _close_frame,
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_command_in_progress_when_the_gateway_fails_is_answered_once_and_saved_once(
    tminus_bot: BotOnFake, fault: str
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    sessions = fake.gateway.identifies + fake.gateway.resumes
    data_options = {"name": f"Gateway {fault}", "kind": "docking", "time": "tomorrow 06:12 UTC"}
    data = build_command_data(fake.command("event", scene.guild), ["add"], data_options, {})
    result = await fake.start_interaction(2, data, user=scene.moderator, guild=scene.guild, channel=scene.general)
    await result.wait(lambda r: r.callback is not None, 5.0)  # deferred: the bot is now working on it
    await FAULTS[fault](fake)
    await result.wait(lambda r: r.answered, 10.0)
    assert result.embeds[0]["title"].startswith("Added"), result.content
    assert len(result.followups) <= 1
    rows = await bot.db.fetchall("SELECT name FROM events WHERE source = 'manual'")
    assert [r[0] for r in rows] == [f"Gateway {fault}"]
    # Back on the gateway (a RESUME, or a new IDENTIFY after INVALID_SESSION), answering as before.
    await fake.gateway.wait_for(
        lambda: fake.gateway.identifies + fake.gateway.resumes > sessions and bool(fake.gateway.live_sessions), 10.0
    )
    await fake.wait_for(bot.is_ready)
    after = await fake.slash("about", user=scene.member, guild=scene.guild, channel=scene.general)
    assert after.embeds
    assert fake.ledger.duplicates() == []


MESSAGES = "/channels/{channel_id}/messages"
# Longer than the alert transport's 10 s send timeout, within the 30 s discord.py sleeps instead of raising.
GLOBAL_RETRY_AFTER_S = 12.0


async def test_a_send_timed_out_in_a_global_429_releases_the_lock_for_every_later_request(
    tminus_bot: BotOnFake,
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    assert GLOBAL_RETRY_AFTER_S > SEND_TIMEOUT_S
    transport = DiscordTransport(bot)
    channel = await transport.open_dm(scene.member.id)
    fake.ratelimiter.force_429("POST", MESSAGES, retry_after=GLOBAL_RETRY_AFTER_S, is_global=True)
    with pytest.raises(TransientError):  # abandoned at 10 s while discord.py sleeps under its global lock
        await transport.post(channel, "first", nonce="global-429-first")
    assert [r.rate_limit_scope for r in fake.requests_to("POST", MESSAGES)] == ["global"]
    # Later sends are not stuck behind the lock the cancelled send held (before the fix they waited forever).
    message_id = await asyncio.wait_for(transport.post(channel, "second", nonce="global-429-second"), 5.0)
    assert message_id
    # A command whose work sends through the same client (a sample post in a channel) still completes.
    sample = await asyncio.wait_for(
        fake.slash(
            "alerts test",
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
            options={"channel": scene.general},
        ),
        10.0,
    )
    await sample.wait(lambda r: bool(r.followups), 10.0)
    assert sample.followups[0]["content"].startswith("Posted a sample in "), sample.followups
    assert (await fake.slash("about", user=scene.member, guild=scene.guild, channel=scene.general)).embeds
    assert fake.ledger.duplicates() == []

"""The control interface (/_control/), driven in-process through the same client a launcher test uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.bot import TMinusBot
from tests.fakediscord.launcher import ControlClient, ControlRequestError
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

MESSAGES = "/channels/{channel_id}/messages"


@pytest.fixture
async def control(fake_discord: FakeDiscordWithScene) -> AsyncIterator[ControlClient]:
    client = ControlClient(f"http://127.0.0.1:{fake_discord.port}/_control")
    yield client
    await client.close()


async def send(fake: FakeDiscordWithScene, channel_id: str | int, body: dict[str, Any]) -> int:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/channels/{channel_id}/messages", json=body, headers=headers) as response,
    ):
        return response.status


async def test_info_names_the_urls_and_the_scene(fake_discord: FakeDiscordWithScene, control: ControlClient) -> None:
    info = await control.request("GET", "/info")
    assert info["base_url"] == fake_discord.base_url
    assert info["gateway_url"] == str(fake_discord.gateway_url)
    assert info["scene"]["member"] == str(fake_discord.scene.member.id)
    assert info["scene"]["owner"] == str(fake_discord.world.owner.id)


async def test_seeding_users_in_bulk_with_closed_dms(
    fake_discord: FakeDiscordWithScene, control: ControlClient
) -> None:
    guild = str(fake_discord.scene.guild.id)
    created = await control.request(
        "POST", "/users", {"username": "fan", "count": 3, "guild_id": guild, "dms_open": False}
    )
    users = [fake_discord.world.users[int(i)] for i in created["ids"]]
    assert [u.username for u in users] == ["fan0", "fan1", "fan2"]
    assert all(u.id in fake_discord.scene.guild.members and not u.dms_open for u in users)
    await control.request("PATCH", f"/users/{users[0].id}", {"dms_open": True})
    dm = await control.request("POST", "/dms", {"user_id": str(users[0].id)})
    assert await send(fake_discord, dm["id"], {"content": "hi"}) == 200
    closed = await control.request("POST", "/dms", {"user_id": str(users[1].id)})
    assert await send(fake_discord, closed["id"], {"content": "hi"}) == 403
    channel = await control.request("POST", "/channels", {"guild_id": guild, "name": "alerts"})
    assert fake_discord.world.channels[int(channel["id"])].name == "alerts"


async def test_faults_limits_ledger_and_traffic_through_control(
    fake_discord: FakeDiscordWithScene, control: ControlClient
) -> None:
    member_dm = (await control.request("POST", "/dms", {"user_id": str(fake_discord.scene.member.id)}))["id"]
    fault = await control.fail("POST", MESSAGES, status=503, times=1)
    assert (fault["status"], fault["phase"]) == (503, "before")
    assert await send(fake_discord, member_dm, {"content": "T-10", "nonce": "a1", "enforce_nonce": True}) == 503
    assert await send(fake_discord, member_dm, {"content": "T-10", "nonce": "a1", "enforce_nonce": True}) == 200
    assert (await control.request("GET", "/faults"))[0]["hits"] == 1
    await control.request("DELETE", "/faults")
    assert await control.request("GET", "/faults") == []

    limits = await control.set_rate_limits(**{"global": {"limit": 1, "per": 60}})
    assert limits["global"] == {"limit": 1, "per": 60.0}
    assert await send(fake_discord, member_dm, {"content": "T-1", "nonce": "a2", "enforce_nonce": True}) == 200
    assert await send(fake_discord, member_dm, {"content": "T-0", "nonce": "a3", "enforce_nonce": True}) == 429

    ledger = await control.ledger(deliveries=True)
    assert ledger["per_recipient"] == {str(fake_discord.scene.member.id): 2}
    assert [e["nonce"] for e in ledger["entries"]] == ["a1", "a2"]
    traffic = await control.traffic()
    assert traffic["limited_by_scope"]["global"] == 1
    assert traffic["by_route"][f"POST {MESSAGES}"] == 4
    requests = await control.requests("POST", MESSAGES)
    assert [(r["status"], r["fault"], r["rate_limit_scope"]) for r in requests] == [
        (503, "503 before", None),
        (200, None, None),
        (200, None, None),
        (429, None, "global"),
    ]


async def test_violations_are_read_and_taken_through_control(
    fake_discord: FakeDiscordWithScene, control: ControlClient
) -> None:
    assert await send(fake_discord, fake_discord.scene.general.id, {"content": "x", "enforce_nonces": True}) == 200
    (violation,) = await control.violations()
    assert violation["kind"] == "unknown-field"
    taken = await control.take_violations("unknown-field", "enforce_nonces")
    assert len(taken) == 1
    assert await control.violations() == []


async def test_clock_can_be_set_and_advanced_through_control(
    fake_discord: FakeDiscordWithScene, control: ControlClient
) -> None:
    with pytest.raises(ControlRequestError, match="PUT /_control/clock first"):
        await control.request("POST", "/clock/advance", {"seconds": 1})
    set_to = await control.request("PUT", "/clock", {"now": "2026-11-30T12:00:00+00:00"})
    moved = await control.request("POST", "/clock/advance", {"seconds": 90})
    assert moved["now_s"] - set_to["now_s"] == 90
    assert fake_discord.clock.now().isoformat() == "2026-11-30T12:01:30+00:00"
    with pytest.raises(ControlRequestError, match="cannot go back"):
        await control.request("PUT", "/clock", {"now": "2026-11-30T11:00:00+00:00"})


async def test_bad_control_requests_answer_400_with_the_reason(control: ControlClient) -> None:
    with pytest.raises(ControlRequestError, match=r"400 .*no user 1"):
        await control.request("POST", "/dms", {"user_id": "1"})
    with pytest.raises(ControlRequestError, match=r"400 .*not a route template"):
        await control.fail("POST", "/channels/{channel_id}/mesages")
    with pytest.raises(ControlRequestError, match=r"400 .*status 400"):
        await control.fail("POST", MESSAGES, status=400)


async def test_slash_through_control_reaches_the_bot(
    tminus_bot: tuple[FakeDiscordWithScene, TMinusBot], control: ControlClient
) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    result = await control.slash("about", user_id=scene.member.id, guild_id=scene.guild.id)
    assert result["type"] == 4
    assert result["embeds"][0]["title"].startswith("T-Minus")
    again = await control.request("GET", f"/interactions/{result['id']}")
    assert again["embeds"] == result["embeds"]
    with pytest.raises(ControlRequestError, match="no synced slash command /nope"):
        await control.slash("nope", user_id=scene.member.id, guild_id=scene.guild.id)

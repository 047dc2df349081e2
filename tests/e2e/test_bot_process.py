"""The bot as a real OS process (``python -m bot run``) against the fake Discord in another process."""

from __future__ import annotations

import signal

from tests.fakediscord.launcher import BotProcess, FakeProcess


async def about(fake: FakeProcess) -> dict[str, object]:
    scene = fake.scene
    return await fake.control.slash(
        "about", user_id=scene["member"], guild_id=scene["guild"], channel_id=scene["general"], timeout_s=10.0
    )


async def test_bot_process_answers_again_after_sigkill_and_restart(
    fake_discord_process: FakeProcess, bot_process: BotProcess
) -> None:
    fake = fake_discord_process
    first = await about(fake)
    assert first["type"] == 4
    (embed,) = first["embeds"]  # type: ignore[misc]
    assert embed["title"].startswith("T-Minus")
    assert bot_process.process is not None
    killed_pid = bot_process.process.pid

    await bot_process.kill()
    assert bot_process.returncode == -signal.SIGKILL

    async def gone() -> bool:
        return (await fake.control.gateway())["live_sessions"] == 0

    await fake.control.wait_for(gone, 5.0, "the killed bot's gateway socket did not close")
    await bot_process.start()
    assert bot_process.process.pid != killed_pid

    second = await about(fake)
    assert second["type"] == 4
    (embed,) = second["embeds"]  # type: ignore[misc]
    assert embed["title"].startswith("T-Minus")
    gateway = await fake.control.gateway()
    assert gateway["identifies"] == 2
    # The restart found the command tree unchanged in its database: one upload over both lives.
    uploads = await fake.control.requests("PUT", "/applications/{application_id}/commands")
    assert len(uploads) == 1

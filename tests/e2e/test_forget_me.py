"""``/forget me`` end to end through the fake Discord: it says what is held, deletes nothing before the button,
Cancel keeps everything, Delete removes the user's zone, DM alerts, DM digests and delivery history and nobody
else's; the channel alerts, channel digest and Scheduled Events mirror they set up stay, without their id."""

from __future__ import annotations

from typing import Any

from bot.bot import TMinusBot
from bot.db.privacy import held_about
from tests.bot.db.test_privacy import seed_user
from tests.e2e.dbdump import user_data_dump
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]


def button(message: dict[str, Any], label: str) -> str:
    return next(c["custom_id"] for row in message["components"] for c in row["components"] if c.get("label") == label)


async def test_forget_me_asks_then_deletes_only_what_is_the_users(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    me, other = scene.member, scene.moderator
    await seed_user(bot.db, me.id)
    await seed_user(bot.db, other.id)
    before = user_data_dump(bot.db.path)
    asked = await fake.slash("forget me", user=me, guild=scene.guild, channel=scene.general)
    assert asked.ephemeral
    assert "your settings (time zone, DM alert settings)" in (asked.content or "")
    assert "1 DM alert subscription(s)" in (asked.content or "")
    assert "4 record(s) of alerts, notices and digests DMed or due to you" in (asked.content or "")
    assert "1 DM digest(s)" in (asked.content or "")
    assert "your id on 2 channel digest(s) or Scheduled Events mirror(s) you set up" in (asked.content or "")
    assert "your id on 2 server alert(s) you set up" in (asked.content or "")
    assert user_data_dump(bot.db.path) == before  # nothing deleted before the button
    assert asked.message is not None
    cancelled = await fake.press_button(asked.message, button(asked.message, "Cancel"), user=me)
    assert cancelled.message is not None
    assert cancelled.message["content"] == "Cancelled: nothing was deleted."
    assert user_data_dump(bot.db.path) == before
    again = await fake.slash("forget me", user=me, guild=scene.guild, channel=scene.general)
    assert again.message is not None
    done = await fake.press_button(again.message, button(again.message, "Delete it all"), user=me)
    assert done.message is not None
    assert done.message["content"].startswith("Done. Deleted:")
    assert not done.message.get("components")
    assert (await held_about(bot.db, me.id)).nothing
    assert all(str(me.id) not in row for row in user_data_dump(bot.db.path))
    assert not (await held_about(bot.db, other.id)).nothing
    kept = await bot.db.fetchall("SELECT channel_id FROM digests WHERE owner_id = 0")
    assert [r["channel_id"] for r in kept] == [me.id % 9973 + 1]  # the server's digest stays; the DM one went
    nothing = await fake.slash("forget me", user=me)  # in a DM, too
    assert (nothing.content or "").startswith("T-Minus holds nothing about you")

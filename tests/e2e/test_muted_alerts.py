"""Mute all means silence: a muted user gets no alert and no notice (slip, hold, scrub, outcome) about alerts
they already had, and none of them late on Unmute; after Unmute, what happens next is told again.

The real bot on the fake Discord, muted and unmuted with the /subscriptions buttons, time moved with time-machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine

from bot.db import alerts as store
from bot.db.events import to_epoch
from bot.models import EventStatus, Precision
from tests.e2e.test_alerts import (
    START,
    BotOnFake,
    content,
    dms,
    first_alert_then,
    launch,
    settle,
    store_launch,
)
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import User


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=True) as t:
        yield t


async def press_mute(fake: FakeDiscordWithScene, user: User, *, muted: bool) -> None:
    """What the user does: /subscriptions (in the server: her DMs hold only what the bot sent), then Mute all or
    Unmute."""
    shown = await fake.slash("subscriptions", user=user, guild=fake.scene.guild)
    assert shown.original is not None
    pressed = await fake.press_button(shown.original, f"tm:sub:mute:{int(muted)}", user=user)
    said = pressed.embeds[0]["description"]
    assert ("no alerts and no notices (slips, holds, outcomes) until you press Unmute" in said) == muted, said


async def test_a_muted_user_gets_no_slip_notice_and_none_late_on_unmute_but_the_next_news_again(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await first_alert_then(fake, bot, traveller)  # she has her 1 h alert
    traveller.move_to(liftoff - timedelta(minutes=55))
    await press_mute(fake, user, muted=True)
    later = liftoff + timedelta(hours=2)
    await store_launch(bot, launch(later))  # slips while she is muted
    await settle(bot)
    (alert,) = dms(fake, user)  # no notice ...
    assert "Superseded" in content(alert)  # ... though her old alert stops claiming the old time (an edit pings no one)
    (notice,) = await store.notices_of(bot.db, user.id)
    assert (notice["state"], notice["last_error"]) == ("failed", "not sent: alerts muted")

    traveller.move_to(liftoff - timedelta(minutes=40))
    await press_mute(fake, user, muted=False)
    await settle(bot)
    await bot.alerts.poke()
    assert len(dms(fake, user)) == 1, "nothing from while she was muted comes late"

    rearmed = bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(later - timedelta(hours=1))}"]
    traveller.move_to(rearmed)
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, user)) == 2)
    assert "T-1h" in content(dms(fake, user)[1]), "unmuted: the alert for the new time comes"
    await store_launch(bot, launch(later, status=EventStatus.HOLD))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, user)) == 3)
    assert "on hold" in content(dms(fake, user)[2]), "and news after Unmute is told"


@pytest.mark.parametrize(
    ("status", "precision"),
    [(EventStatus.HOLD, Precision.MINUTE), (EventStatus.TBD, Precision.DAY), (EventStatus.SUCCESS, Precision.MINUTE)],
)
async def test_a_muted_user_gets_no_hold_scrub_or_outcome_notice_while_others_do(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates, status: EventStatus, precision: Precision
) -> None:
    fake, bot = tminus_bot
    user, other = fake.scene.member, fake.scene.moderator
    await fake.slash("subscribe", user=other, guild=fake.scene.guild, options={"what": "liftoff", "leads": "1h, 10m"})
    liftoff = await first_alert_then(fake, bot, traveller)
    await fake.wait_for(lambda: len(dms(fake, other)) == 1)
    await press_mute(fake, user, muted=True)
    await store_launch(bot, launch(liftoff, status=status, precision=precision))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, other)) == 2)  # the one who did not mute is told
    assert len(dms(fake, user)) == 1
    await press_mute(fake, user, muted=False)
    await settle(bot)
    await bot.alerts.poke()
    assert len(dms(fake, user)) == 1, "and not on Unmute either"
    assert [n["last_error"] for n in await store.notices_of(bot.db, user.id)] == ["not sent: alerts muted"]


async def test_a_notice_written_before_the_mute_is_not_sent_after_it(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    # The reconcile writes a notice; the user mutes before the dispatcher reaches it.
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await first_alert_then(fake, bot, traveller)
    (alert,) = await store.deliveries_of(bot.db, user.id)
    await store.insert_notices(
        bot.db, [store.NewNotice(user.id, alert["milestone_id"], "hold", "hold", "on hold", "n" * 24)], 0
    )
    await store.set_muted(bot.db, user.id, True, to_epoch(liftoff))
    report = await bot.alerts.dispatcher.send_notices()
    assert report.sent == 0
    assert len(dms(fake, user)) == 1


async def test_a_user_paused_for_closed_dms_is_sent_no_notice_either(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await first_alert_then(fake, bot, traveller)
    user.dms_open = False  # she closes her DMs after the 1 h alert
    traveller.move_to(liftoff - timedelta(minutes=10))
    await settle(bot)
    assert (await store.recipient_state(bot.db, user.id)).paused_reason is not None
    tried = len(fake.requests_to("POST", "/channels/{channel_id}/messages"))
    await store_launch(bot, launch(liftoff, status=EventStatus.HOLD))
    await settle(bot)
    assert len(fake.requests_to("POST", "/channels/{channel_id}/messages")) == tried, "no request for a notice"
    (notice,) = await store.notices_of(bot.db, user.id)
    assert notice["state"] == "failed"
    assert notice["last_error"].startswith("not sent: alerts paused (")

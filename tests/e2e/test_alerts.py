"""Alerts end to end: the real bot on the fake Discord, a real SQLite file, time moved with time-machine.

The bot, APScheduler and the fake all read the wall clock that time-machine moves; after each move the test
wakes the scheduler, as the passing of real time would.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pydantic import SecretStr

from bot.alerts.planner import Reconciled
from bot.bot import TMinusBot
from bot.config import Settings
from bot.db import alerts as store
from bot.db.digests import set_digest
from bot.db.events import get_event_by_source, to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source
from tests.fakediscord.faults import TIMEOUT
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running
from tests.fakediscord.world import User

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=True) as t:
        yield t


def launch(
    at: datetime,
    *,
    source_id: str = "launch:1",
    name: str = "Falcon 9 | Starlink 6-1",
    status: EventStatus = EventStatus.GO,
    precision: Precision = Precision.MINUTE,
    guild_id: int | None = None,
) -> Event:
    source = Source.MANUAL if guild_id else Source.LL2
    return Event(
        source=source,
        source_id=source_id,
        type=EventType.LAUNCH,
        name=name,
        status=status,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, precision),),
        guild_id=guild_id,
        provider="SpaceX",
        vehicle="Falcon 9",
        mission_key=source_id,
    )


async def store_launch(bot: TMinusBot, event: Event, *, feed: str = "launches") -> None:
    """What a sync does: upsert, then publish the changes (the hint)."""
    changes = await upsert_events(bot.db, [event], feed=feed, now=bot.clock.now(), complete=False)
    await bot.changes.publish(changes)


def dms(fake: FakeDiscordWithScene, user: User) -> list[dict[str, Any]]:
    return fake.world.channel_messages(fake.world.dm_channel(user))


async def subscribe(fake: FakeDiscordWithScene, user: User, **options: Any) -> str:
    scene = fake.scene
    result = await fake.slash("subscribe", user=user, guild=scene.guild, channel=scene.general, options=options)
    assert result.ephemeral
    return str(result.original["content"] if result.original else "")


async def settle(bot: TMinusBot) -> None:
    """Wake the scheduler and let due jobs and hints run to the end (idle for 0.2 s in a row)."""
    bot.scheduler.wakeup()
    idle = 0
    for _ in range(750):  # 15 s: a run with retries takes a few seconds
        await asyncio.sleep(0.02)
        idle = idle + 1 if bot.alerts.idle else 0
        if idle >= 10:
            return
    raise AssertionError("the alert engine did not settle")


async def test_each_lead_fires_once_at_its_instant(tminus_bot: BotOnFake, traveller: time_machine.Coordinates) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = START + timedelta(hours=3)
    await subscribe(fake, user, what="liftoff", leads="1h, 10m")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    fires = [liftoff - timedelta(hours=1), liftoff - timedelta(minutes=10)]
    assert sorted(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(f)}" for f in fires]
    for count, fire in enumerate(fires, start=1):
        traveller.move_to(fire - timedelta(seconds=5))
        await settle(bot)
        assert len(dms(fake, user)) == count - 1, "nothing before its time"
        run_at = bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(fire)}"]
        assert fire - timedelta(seconds=1) < run_at <= fire
        traveller.move_to(run_at)
        await settle(bot)
        await fake.wait_for(lambda n=count: len(dms(fake, user)) == n)
        sent = dms(fake, user)[-1]
        assert run_at <= datetime.fromisoformat(sent["timestamp"]) <= fire, "on time, never late"
        assert f"<t:{to_epoch(liftoff)}:F>" in sent["content"]
        traveller.move_to(fire + timedelta(minutes=1))
        await settle(bot)
        assert len(dms(fake, user)) == count, "once"
    assert "T-1h" in dms(fake, user)[0]["content"]
    assert "T-10m" in dms(fake, user)[1]["content"]
    rows = await store.deliveries_of(bot.db, user.id)
    assert [(r["state"], r["late"]) for r in rows] == [("sent", 0), ("sent", 0)]
    assert [r["message_id"] for r in rows] == [int(m["id"]) for m in dms(fake, user)]
    assert len(fake.requests_to("POST", "/users/@me/channels")) == 1, "the DM channel is cached: one request a DM"
    stored = await get_event_by_source(bot.db, Source.LL2, "launch:1")
    assert stored is not None


def posts_to(fake: FakeDiscordWithScene, channel_id: int) -> list[Any]:
    route = fake.requests_to("POST", "/channels/{channel_id}/messages")
    return [r for r in route if r.params.get("channel_id") == str(channel_id)]


def crafted(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """``message`` as a client that forged its components would present it: one button with ``custom_id``."""
    button = {"type": 2, "style": 2, "label": "x", "custom_id": custom_id}
    return {**message, "components": [{"type": 1, "components": [button]}]}


def content(message: dict[str, Any]) -> str:
    return str(message["content"])


async def first_alert_then(fake: FakeDiscordWithScene, bot: TMinusBot, traveller: time_machine.Coordinates) -> datetime:
    """Subscribe alice (1h, 10m), store a launch 3 h ahead, and let its 1 h alert go out; returns the liftoff."""
    user = fake.scene.member
    liftoff = START + timedelta(hours=3)
    await subscribe(fake, user, what="liftoff", leads="1h, 10m")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    traveller.move_to(liftoff - timedelta(hours=1))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, user)) == 1)
    return liftoff


async def test_slip_after_an_alert_sends_one_notice_edits_the_old_alert_and_rearms_the_lead(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await first_alert_then(fake, bot, traveller)
    traveller.move_to(liftoff - timedelta(minutes=50))
    later = liftoff + timedelta(hours=2)
    await store_launch(bot, launch(later))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, user)) == 2)
    alert, notice = dms(fake, user)
    assert f"<t:{to_epoch(liftoff)}:F>" in content(notice)
    assert f"<t:{to_epoch(later)}:F>" in content(notice)
    assert "moved" in content(notice)
    assert "Superseded" in content(alert)
    assert alert["edited_timestamp"] is not None
    assert sorted(bot.alerts.jobs.alert_jobs()) == [
        f"alert:{to_epoch(later - timedelta(hours=1))}",
        f"alert:{to_epoch(later - timedelta(minutes=10))}",
    ], "the 1 h lead is armed again, and nothing is left at the old times"
    await store_launch(bot, launch(later))  # the same data again: nothing new
    await settle(bot)
    assert len(dms(fake, user)) == 2
    traveller.move_to(bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(later - timedelta(hours=1))}"])
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, user)) == 3)
    assert "T-1h" in content(dms(fake, user)[2])
    assert f"<t:{to_epoch(later)}:F>" in content(dms(fake, user)[2])


async def test_slip_before_any_alert_only_moves_the_jobs(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    liftoff = START + timedelta(hours=3)
    await subscribe(fake, fake.scene.member, what="liftoff", leads="1h")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    assert list(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(liftoff - timedelta(hours=1))}"]
    await store_launch(bot, launch(liftoff + timedelta(minutes=30)))
    await settle(bot)
    assert list(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(liftoff - timedelta(minutes=30))}"], "replaced"
    assert dms(fake, fake.scene.member) == []


async def test_move_under_a_minute_after_an_alert_only_reschedules(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    liftoff = await first_alert_then(fake, bot, traveller)
    nudged = liftoff + timedelta(seconds=40)
    await store_launch(bot, launch(nudged))
    await settle(bot)
    assert len(dms(fake, fake.scene.member)) == 1, "no notice and no second 1 h alert"
    assert dms(fake, fake.scene.member)[0]["edited_timestamp"] is None
    assert list(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(nudged - timedelta(minutes=10))}"]


@pytest.mark.parametrize(
    ("status", "precision", "says"),
    [
        (EventStatus.HOLD, Precision.MINUTE, "on hold"),
        (EventStatus.TBD, Precision.DAY, "scrubbed"),
        (EventStatus.SUCCESS, Precision.MINUTE, "Success"),
    ],
)
async def test_hold_scrub_and_outcome_send_one_notice_to_those_alerted(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates, status: EventStatus, precision: Precision, says: str
) -> None:
    fake, bot = tminus_bot
    liftoff = await first_alert_then(fake, bot, traveller)
    bystander = fake.scene.moderator
    await subscribe(fake, bystander, what="docking")
    await store_launch(bot, launch(liftoff, status=status, precision=precision))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, fake.scene.member)) == 2)
    assert says in content(dms(fake, fake.scene.member)[1])
    assert bot.alerts.jobs.alert_jobs() == {}, "no alert fires for a held, scrubbed or finished launch"
    await store_launch(bot, launch(liftoff, status=status, precision=precision))
    await bot.alerts.poke()
    assert len(dms(fake, fake.scene.member)) == 2, "one notice"
    assert dms(fake, bystander) == []


async def test_subscription_made_just_before_the_fire_time_counts(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    early, late = fake.scene.member, fake.scene.moderator
    liftoff = START + timedelta(hours=3)
    fire = liftoff - timedelta(hours=1)
    await subscribe(fake, early, what="liftoff", leads="1h")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    traveller.move_to(fire - timedelta(seconds=2))
    await subscribe(fake, late, what="all", leads="1h")
    await settle(bot)
    traveller.move_to(fire)
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, early)) == 1 and len(dms(fake, late)) == 1)
    assert datetime.fromisoformat(dms(fake, late)[0]["timestamp"]) <= fire + timedelta(seconds=1)


async def test_closed_dms_pause_the_user_with_the_reason_and_are_not_retried(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    closed, open_ = fake.scene.closed_dms, fake.scene.member
    liftoff = START + timedelta(hours=3)
    await subscribe(fake, closed, what="liftoff", leads="1h, 10m")
    await subscribe(fake, open_, what="liftoff", leads="1h, 10m")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    traveller.move_to(liftoff - timedelta(hours=1))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, open_)) == 1)
    channel = fake.world.dm_channel(closed)
    posts = posts_to(fake, channel.id)
    assert [p.status for p in posts] == [403]
    traveller.move_to(liftoff - timedelta(minutes=10))
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, open_)) == 2)
    posts = posts_to(fake, channel.id)
    assert len(posts) == 1, "paused: not tried again"
    listing = await fake.slash("subscriptions", user=closed, guild=fake.scene.guild, channel=fake.scene.general)
    assert "Paused" in listing.embeds[0]["description"]
    assert "DMs are closed" in listing.embeds[0]["description"]


def bot_settings(fake: FakeDiscordWithScene, path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        discord_token=SecretStr("fake-token"), db_path=path, ll2_base_url="http://127.0.0.1:1/2.3.0",
        default_timezone="UTC", dev_guild_id=None, _env_file=None,
    )  # fmt: skip


async def test_alerts_due_while_down_go_out_late_and_those_of_milestones_over_are_recorded_missed(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, traveller: time_machine.Coordinates
) -> None:
    fake, user = fake_discord, fake_discord.scene.member
    ahead, over = START + timedelta(hours=3), START + timedelta(hours=2)
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        await subscribe(fake, user, what="liftoff", leads="1h")
        await store_launch(bot, launch(ahead))
        await store_launch(bot, launch(over, source_id="launch:2", name="Electron | Over"))
        await settle(bot)
        assert len(bot.alerts.jobs.alert_jobs()) == 2
    traveller.move_to(START + timedelta(hours=2, minutes=30))  # down through both fire times and one liftoff
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: len(dms(fake, user)) == 1)
        await settle(bot)
        (late,) = dms(fake, user)
        assert "Late" in content(late)
        assert f"<t:{to_epoch(ahead)}:F>" in content(late)
        rows = {r["target_at"]: (r["state"], r["late"]) for r in await store.deliveries_of(bot.db, user.id)}
        assert rows == {to_epoch(ahead): ("sent", 1), to_epoch(over): ("missed", 1)}
        assert bot.alerts.jobs.alert_jobs() == {}


async def test_a_24_hour_lead_across_a_dst_change_is_exactly_24_hours(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    new_york = ZoneInfo("America/New_York")
    year = datetime.now(UTC).year + 2
    march = datetime(year, 3, 1, tzinfo=new_york)
    dst_day = march + timedelta(days=(6 - march.weekday()) % 7 + 7)  # second Sunday of March
    liftoff = datetime.combine(dst_day.date(), time(10, 0), new_york).astimezone(UTC)
    fire = liftoff - timedelta(hours=24)
    assert fire.astimezone(new_york).hour == 9, "the wall clock says 23 h; the alert must not"
    with time_machine.travel(fire - timedelta(hours=5), tick=True) as traveller:
        await subscribe(fake, user, what="liftoff", leads="24h")
        await store_launch(bot, launch(liftoff))
        await settle(bot)
        assert list(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(liftoff) - 86_400}"]
        traveller.move_to(fire - timedelta(seconds=2))
        await settle(bot)
        assert dms(fake, user) == []
        traveller.move_to(bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(fire)}"])
        await settle(bot)
        await fake.wait_for(lambda: len(dms(fake, user)) == 1)
        sent_at = datetime.fromisoformat(dms(fake, user)[0]["timestamp"])
        assert timedelta(hours=24) <= liftoff - sent_at < timedelta(hours=24, seconds=1)


async def test_crafted_custom_ids_cannot_touch_anothers_subscriptions(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    owner, other = fake.scene.member, fake.scene.moderator
    await subscribe(fake, owner, what="liftoff")
    (theirs,) = await store.list_subscriptions(bot.db, owner.id)
    await subscribe(fake, other, what="docking")
    mine = await fake.slash("subscriptions", user=other, guild=fake.scene.guild, channel=fake.scene.general)
    assert mine.original is not None
    refused = await fake.press_button(
        crafted(mine.original, f"tm:sub:rm:{theirs.rule.id}"), f"tm:sub:rm:{theirs.rule.id}", user=other
    )
    assert refused.ephemeral
    assert "not one of yours" in str(refused.original and refused.original["content"])
    assert [s.rule.id for s in await store.list_subscriptions(bot.db, owner.id)] == [theirs.rule.id]
    await fake.press_button(mine.original, "tm:sub:mute:1", user=other)
    assert (await store.recipient_state(bot.db, other.id)).muted
    assert not (await store.recipient_state(bot.db, owner.id)).muted, "the switch is always the presser's own"
    gone = await fake.slash(
        "unsubscribe", user=other, guild=fake.scene.guild, options={"subscription": str(theirs.rule.id)}
    )
    assert "no subscription" in str(gone.original and gone.original["content"])
    assert len(await store.list_subscriptions(bot.db, owner.id)) == 1
    choices = await fake.autocomplete("unsubscribe", "subscription", user=other, guild=fake.scene.guild)
    assert [c["value"] for c in choices] != [str(theirs.rule.id)]
    assert all(c["value"] != str(theirs.rule.id) for c in choices)


async def test_owner_removes_with_the_button_and_mutes_and_unmutes(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    await subscribe(fake, user, what="liftoff", match="Falcon", leads="24h, 0")
    await subscribe(fake, user, what="coverage")
    first, second = await store.list_subscriptions(bot.db, user.id)
    assert first.rule.leads == (86_400, 0)
    shown = await fake.slash("subscriptions", user=user)
    assert shown.original is not None
    description = shown.embeds[0]["description"]
    assert 'liftoff · matching "Falcon" · 1d, at the time' in description
    updated = await fake.press_button(shown.original, f"tm:sub:rm:{first.rule.id}", user=user)
    assert updated.type == 7
    assert [s.rule.id for s in await store.list_subscriptions(bot.db, user.id)] == [second.rule.id]
    await fake.press_button(shown.original, "tm:sub:mute:1", user=user)
    assert (await store.recipient_state(bot.db, user.id)).muted
    await fake.press_button(shown.original, "tm:sub:mute:0", user=user)
    assert not (await store.recipient_state(bot.db, user.id)).muted
    choices = await fake.autocomplete("unsubscribe", "subscription", user=user)
    assert [c["value"] for c in choices] == [str(second.rule.id)]
    await fake.slash("unsubscribe", user=user, options={"subscription": str(second.rule.id)})
    assert await store.list_subscriptions(bot.db, user.id) == []


@pytest.mark.parametrize(
    ("leads", "says"),
    [
        ("1m, 2m, 3m, 4m, 5m, 6m, 7m", "at most 6"),
        ("15 days", "more than 14 days"),
        ("whenever", "24h, 1h, 10m, 0"),
    ],
)
async def test_bad_leads_get_an_ephemeral_hint_and_store_nothing(tminus_bot: BotOnFake, leads: str, says: str) -> None:
    fake, bot = tminus_bot
    result = await fake.slash("subscribe", user=fake.scene.member, options={"what": "liftoff", "leads": leads})
    assert result.ephemeral
    assert says in str(result.original and result.original["content"])
    assert await store.list_subscriptions(bot.db, fake.scene.member.id) == []


async def test_at_most_25_subscriptions_per_user(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    for n in range(25):
        await store.add_subscription(bot.db, owner_id=user.id, what="all", kinds=(), leads=(600,), now=n, match=f"m{n}")
    result = await fake.slash("subscribe", user=user, options={"what": "liftoff"})
    assert "25 subscriptions" in str(result.original and result.original["content"])
    assert len(await store.list_subscriptions(bot.db, user.id)) == 25
    shown = await fake.slash("subscriptions", user=user)
    assert shown.original is not None
    buttons = [c["custom_id"] for row in shown.original["components"] for c in row["components"]]
    assert len(buttons) == 25
    assert buttons[-1] == "tm:sub:mute:1"
    assert "/unsubscribe" in shown.embeds[0]["footer"]["text"]


async def test_match_autocomplete_offers_names_from_the_database(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    await store_launch(bot, launch(START + timedelta(days=2)))
    choices = await fake.autocomplete(
        "subscribe",
        "match",
        user=fake.scene.member,
        guild=fake.scene.guild,
        options={"what": "liftoff", "match": "fal"},
    )
    assert [c["value"] for c in choices] == ["Falcon 9"]


@pytest.mark.parametrize("command", ["nextlaunch", "launch"])
async def test_alert_me_on_nextlaunch_and_launch_subscribes_to_that_mission_with_the_default_leads(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates, command: str
) -> None:
    fake, bot = tminus_bot
    user, other = fake.scene.member, fake.scene.moderator
    liftoff = START + timedelta(days=2)
    await store_launch(bot, launch(liftoff))
    stored = await get_event_by_source(bot.db, Source.LL2, "launch:1")
    assert stored is not None
    options = {"name": f"#{stored.id}"} if command == "launch" else {}
    shown = await fake.slash(command, user=user, guild=fake.scene.guild, channel=fake.scene.general, options=options)
    message = shown.message or shown.original
    assert message is not None
    (alert_me,) = [c for row in message["components"] for c in row["components"] if c.get("label") == "Alert me"]
    answer = await fake.press_button(message, alert_me["custom_id"], user=user)
    assert answer.ephemeral
    assert "Falcon 9 | Starlink 6-1" in str(answer.original and answer.original["content"])
    (sub,) = await store.list_subscriptions(bot.db, user.id)
    assert sub.rule.mission_key == "launch:1"
    assert sub.rule.leads == (3_600, 600)
    assert sub.rule.kinds == {MilestoneKind.LIFTOFF, MilestoneKind.DOCKING, MilestoneKind.COVERAGE_START}
    again = await fake.press_button(message, alert_me["custom_id"], user=user)
    assert "already" in str(again.original and again.original["content"])
    await fake.press_button(message, alert_me["custom_id"], user=other)  # anyone may press it, for themselves
    assert len(await store.list_subscriptions(bot.db, other.id)) == 1
    assert len(await store.list_subscriptions(bot.db, user.id)) == 1


MESSAGES = "/channels/{channel_id}/messages"


async def due_alert(fake: FakeDiscordWithScene, bot: TMinusBot, traveller: time_machine.Coordinates) -> datetime:
    """alice subscribed to a launch 3 h ahead with a 1 h lead; the clock is just before that job runs."""
    liftoff = START + timedelta(hours=3)
    await subscribe(fake, fake.scene.member, what="liftoff", leads="1h")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    return liftoff


def nonces(fake: FakeDiscordWithScene, user: User) -> list[str]:
    return [str(r.body["nonce"]) for r in posts_to(fake, fake.world.dm_channel(user).id)]


async def test_a_5xx_burst_is_retried_with_the_same_nonce_and_delivers_once(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await due_alert(fake, bot, traveller)
    fake.fail("POST", MESSAGES, status=503, times=3)
    traveller.move_to(liftoff - timedelta(hours=1))
    await settle(bot)
    await fake.wait_for(lambda: len(fake.ledger.to_recipient(user.id)) == 1, timeout_s=10)
    await settle(bot)
    sent = nonces(fake, user)
    assert len(sent) == 4
    assert len(set(sent)) == 1
    assert len(sent[0]) <= 25
    assert fake.ledger.duplicates() == []
    (row,) = await store.deliveries_of(bot.db, user.id)
    assert (row["state"], row["message_id"]) == ("sent", fake.ledger.to_recipient(user.id)[0].message_id)


async def test_a_burst_longer_than_the_retries_leaves_the_row_pending_for_the_retry_job(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await due_alert(fake, bot, traveller)
    fake.fail("POST", MESSAGES, status=503, times=None)
    traveller.move_to(liftoff - timedelta(hours=1))
    await settle(bot)
    await settle(bot)
    # The fire-time job and the (overdue, after the jump) reconcile timer each try 4 times.
    assert [r.status for r in posts_to(fake, fake.world.dm_channel(user).id)] in ([503] * 4, [503] * 8)
    (row,) = await store.deliveries_of(bot.db, user.id)
    assert row["state"] == "pending"
    assert "503" in row["last_error"]
    assert bot.scheduler.get_job("alerts-retry") is not None
    fake.faults.clear()
    # Each failed run doubles the wait (30 s, 60 s, ... 2 min): the retry job is due at whatever it says.
    retry = bot.scheduler.get_job("alerts-retry")
    assert retry is not None
    assert retry.next_run_time - bot.clock.now() <= timedelta(seconds=61)
    traveller.move_to(retry.next_run_time)
    await settle(bot)
    await fake.wait_for(lambda: len(fake.ledger.to_recipient(user.id)) == 1, timeout_s=10)
    await settle(bot)
    assert len(set(nonces(fake, user))) == 1
    assert [r["state"] for r in await store.deliveries_of(bot.db, user.id)] == ["sent"]
    assert "Late" not in fake.ledger.to_recipient(user.id)[0].content


@pytest.mark.parametrize("status", [500, TIMEOUT], ids=["commit-then-500", "commit-then-timeout"])
async def test_a_message_made_before_the_error_is_not_sent_twice(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates, status: int
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    bot.alerts.dispatcher.transport.timeout_s = 1.0  # type: ignore[attr-defined]
    liftoff = await due_alert(fake, bot, traveller)
    fault = fake.fail("POST", MESSAGES, status=status, after=True, hold_s=3.0)
    traveller.move_to(liftoff - timedelta(hours=1))
    await settle(bot)
    await fake.wait_for(lambda: len(nonces(fake, user)) >= 2, timeout_s=10)
    await settle(bot)
    assert len(fault.hits) == 1
    assert len(fake.ledger.to_recipient(user.id)) == 1, "the retry got the message already made"
    assert len(fake.ledger.replays) >= 1
    (row,) = await store.deliveries_of(bot.db, user.id)
    assert (row["state"], row["message_id"]) == ("sent", fake.ledger.to_recipient(user.id)[0].message_id)


async def test_a_job_reached_minutes_late_still_runs_and_says_late(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = await due_alert(fake, bot, traveller)
    job = bot.scheduler.get_job(f"alert:{to_epoch(liftoff - timedelta(hours=1))}")
    assert job is not None
    assert job.misfire_grace_time is None, "APScheduler's default 1 s grace would drop it"
    traveller.move_to(liftoff - timedelta(minutes=55))  # the loop was stalled (or the host asleep) for 5 minutes
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, user)) == 1)
    assert "Late" in content(dms(fake, user)[0])


def iso_minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%MZ")


async def test_server_events_alert_subscriptions_made_there_and_event_edit_is_a_slip(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    in_server, in_dm = scene.member, scene.admin
    await subscribe(fake, in_server, what="docking", leads="1h")
    dm = await fake.slash("subscribe", user=in_dm, options={"what": "docking", "leads": "1h"})
    assert dm.ephemeral
    docking = (START + timedelta(hours=3)).replace(second=0)
    added = await fake.slash(
        "event add", user=scene.moderator, guild=scene.guild, channel=scene.general,
        options={"name": "Progress MS-40 docking", "kind": "docking", "time": iso_minute(docking)},
    )  # fmt: skip
    event_id = added.embeds[0]["footer"]["text"].split()[1].lstrip("#")
    await settle(bot)
    traveller.move_to(bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(docking - timedelta(hours=1))}"])
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, in_server)) == 1)
    assert fake.ledger.to_recipient(in_dm.id) == [], "a subscription made in a DM covers the global data only"
    later = docking + timedelta(minutes=90)
    await fake.slash(
        "event edit", user=scene.moderator, guild=scene.guild,
        options={"event": event_id, "time": iso_minute(later)},
    )  # fmt: skip
    await settle(bot)
    await fake.wait_for(lambda: len(dms(fake, in_server)) == 2)
    first, notice = dms(fake, in_server)
    assert "Superseded" in content(first)
    assert f"<t:{to_epoch(later)}:F>" in content(notice)


async def test_subscriptions_buttons_still_work_after_a_restart(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake, user = fake_discord, fake_discord.scene.member
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        await subscribe(fake, user, what="spacewalk")
        shown = await fake.slash("subscriptions", user=user)
        (sub,) = await store.list_subscriptions(bot.db, user.id)
    assert shown.original is not None
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        pressed = await fake.press_button(shown.original, f"tm:sub:rm:{sub.rule.id}", user=user)
        assert pressed.type == 7
        assert await store.list_subscriptions(bot.db, user.id) == []


async def test_start_up_logs_how_many_alert_and_digest_jobs_it_armed(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # bench/bench_startup.py times start-up to these two lines and checks their counts against its seed.
    fake, user = fake_discord, fake_discord.scene.member
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        await subscribe(fake, user, what="liftoff", leads="1h, 10m")
        await store_launch(bot, launch(datetime.now(UTC) + timedelta(hours=3)))
        await set_digest(bot.db, owner_id=user.id, guild_id=None, channel_id=None, cadence="daily", weekday=None,
                         local_time="08:00", zone="UTC", now=to_epoch(datetime.now(UTC)))  # fmt: skip
    caplog.set_level(logging.INFO)
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: "alerts armed" in caplog.text and "digests armed" in caplog.text)
        assert "alerts armed: 2 alert jobs (fire times in the next 6 h), reconcile every 10 min" in caplog.text
        assert len(bot.alerts.jobs.alert_jobs()) == 2
        assert "digests armed: 1 digest jobs" in caplog.text


async def test_the_engine_keeps_no_plan_between_runs(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    await subscribe(fake, fake.scene.member, what="liftoff", leads="1h, 10m")
    await store_launch(bot, launch(START + timedelta(hours=3)))
    await settle(bot)
    assert len(bot.alerts.jobs.alert_jobs()) == 2, "the runs planned both alerts"
    gc.collect()
    # A run's plan is every alert of the window (87,000 at full size): garbage once the jobs are re-made.
    assert [o for o in gc.get_objects() if isinstance(o, Reconciled) and o.planned] == []

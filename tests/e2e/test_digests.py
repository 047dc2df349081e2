"""``/digest`` through the real bot and the fake Discord: DM and channel digests at local wall time, once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from bot.bot import TMinusBot
from bot.clock import ManualClock
from bot.db import digests as store
from bot.db.privacy import forget_user
from bot.db.settings import set_user_timezone
from bot.digests import trigger
from cogs.digest import Digest as DigestCog
from tests.e2e.server_helpers import bot_on_manual_clock, launch
from tests.e2e.server_helpers import store as store_events
from tests.fakediscord.interactions import InteractionResult
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import Overwrite

NEW_YORK = ZoneInfo("America/New_York")
# Three days before US DST starts in 2027 (Sunday 14 March), late evening in New York.
BEFORE_SPRING = datetime(2027, 3, 11, 22, 0, tzinfo=NEW_YORK)
BEFORE_FALL = datetime(2027, 11, 4, 22, 0, tzinfo=NEW_YORK)

Env = tuple[FakeDiscordWithScene, TMinusBot, ManualClock]


def service(bot: TMinusBot) -> DigestCog:
    found = bot.get_cog("Digest")
    assert type(found).__name__ == "Digest"
    return cast(DigestCog, found)


@pytest.fixture
async def env(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> AsyncIterator[Env]:
    clock = ManualClock(BEFORE_SPRING)
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", clock) as bot:
        yield fake_discord, bot, clock


async def slash(fake: FakeDiscordWithScene, command: str, user: object, **options: object) -> InteractionResult:
    scene = fake.scene
    return await fake.slash(command, user=user, guild=scene.guild, channel=scene.general, options=options)  # type: ignore[arg-type]


async def run_days(bot: TMinusBot, clock: ManualClock, digest_id: int, days: int) -> list[datetime]:
    """Drive the digest's cron job as the scheduler would for ``days`` days: jump to each fire time, run it."""
    d = await store.get_digest(bot.db, digest_id)
    assert d is not None
    job = bot.scheduler.get_job(f"digest:{digest_id}")
    assert job is not None
    cron = job.trigger
    fired: list[datetime] = []
    end = clock.now() + timedelta(days=days)
    at = cron.get_next_fire_time(None, clock.now())
    while at is not None and at < end:
        clock.set(at)
        await job.func(*job.args)
        fired.append(at)
        at = cron.get_next_fire_time(at, at)
    return fired


@pytest.mark.parametrize("start", [BEFORE_SPRING, BEFORE_FALL], ids=["spring-forward", "fall-back"])
async def test_daily_digest_at_0800_new_york_once_each_day_around_dst(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, start: datetime
) -> None:
    fake = fake_discord
    clock = ManualClock(start)
    async with bot_on_manual_clock(fake, tmp_path / "t.sqlite3", clock) as bot:
        member = fake.scene.member
        await set_user_timezone(bot.db, member.id, "America/New_York", now=clock.now())
        await store_events(bot, launch("a", start + timedelta(days=2)))
        answer = await slash(fake, "digest daily", member, time="8:00 am")
        assert answer.ephemeral
        assert answer.content is not None
        assert "every day at 08:00 (America/New_York) by DM" in answer.content
        (d,) = await store.all_digests(bot.db)
        fired = await run_days(bot, clock, d.id, days=6)
        # The same slot fired twice (a scheduler hiccup) is still one message.
        await service(bot).service.fire(d.id)
    local = [t.astimezone(NEW_YORK) for t in fired]
    assert [t.strftime("%H:%M") for t in local] == ["08:00"] * 6
    assert len({t.date() for t in local}) == 6
    assert len({t.utcoffset() for t in local}) == 2  # the change happened in between
    dms = fake.ledger.to_recipient(member.id)
    assert len(dms) == 6
    assert fake.ledger.duplicates() == []
    # Liftoff is on the evening of day 2: only the digest of that morning lists it.
    shown = "Falcon 9 \\| Starlink 10-1"  # upstream markdown (the pipe too) is escaped
    assert [shown in dm.content for dm in dms] == [False, True, False, False, False, False]
    assert "Coming up in the next 24 hours" in dms[1].content


async def test_channel_digest_posts_in_the_channel_in_the_servers_zone(env: Env) -> None:
    fake, bot, clock = env
    scene = fake.scene
    await slash(fake, "alerts timezone", scene.moderator, zone="Europe/Paris")
    await store_events(bot, launch("a", clock.now() + timedelta(days=5)))
    answer = await slash(fake, "digest weekly", scene.moderator, day=0, time="09:30", channel=scene.general)
    assert answer.content is not None
    assert "every Monday at 09:30 (Europe/Paris)" in answer.content
    (d,) = await store.all_digests(bot.db)
    fired = await run_days(bot, clock, d.id, days=7)
    assert [t.astimezone(ZoneInfo("Europe/Paris")).strftime("%a %H:%M") for t in fired] == ["Mon 09:30"]
    (post,) = fake.ledger.in_channel(scene.general.id)
    assert "next 7 days" in post.content
    assert "Falcon 9" in post.content


async def test_changing_the_servers_zone_moves_its_channel_digests(env: Env) -> None:
    fake, bot, _ = env
    scene = fake.scene
    await slash(fake, "digest daily", scene.moderator, time="08:00", channel=scene.general)
    await slash(fake, "alerts timezone", scene.moderator, zone="Asia/Tokyo")
    (d,) = await store.all_digests(bot.db)
    assert d.zone == "Asia/Tokyo"
    job = bot.scheduler.get_job(f"digest:{d.id}")
    assert job is not None
    assert str(job.trigger.timezone) == "Asia/Tokyo"
    assert str(trigger(d).timezone) == "Asia/Tokyo"


async def test_members_may_not_set_channel_digests(env: Env) -> None:
    fake, bot, _ = env
    answer = await slash(fake, "digest daily", fake.scene.member, time="08:00", channel=fake.scene.general)
    assert answer.content is not None
    assert "Manage Server" in answer.content
    assert await store.all_digests(bot.db) == []


async def test_a_channel_the_bot_cannot_post_in_is_refused_with_what_to_grant(env: Env) -> None:
    fake, bot, _ = env
    answer = await slash(fake, "digest daily", fake.scene.moderator, time="08:00", channel=fake.scene.readonly)
    assert answer.ephemeral
    assert answer.content is not None
    assert "Send Messages" in answer.content
    assert await store.all_digests(bot.db) == []


async def test_a_post_refused_later_pauses_the_digest_and_dms_its_owner(env: Env) -> None:
    fake, bot, clock = env
    scene = fake.scene
    await slash(fake, "digest daily", scene.moderator, time="08:00", channel=scene.general)
    bot_role = next(r for r in scene.guild.roles.values() if r.name == fake.world.bot_user.username)
    scene.general.overwrites.append(Overwrite(bot_role.id, 0, deny=1 << 11))
    (d,) = await store.all_digests(bot.db)
    await run_days(bot, clock, d.id, days=1)
    paused = await store.get_digest(bot.db, d.id)
    assert paused is not None
    assert paused.paused_reason == "I lack the Send Messages permission there"
    assert fake.ledger.in_channel(scene.general.id) == []
    (dm,) = fake.ledger.to_recipient(scene.moderator.id)
    assert "paused" in dm.content
    assert bot.scheduler.get_job(f"digest:{d.id}") is None  # not retried forever


async def test_a_channel_digest_whose_owner_was_forgotten_pauses_without_dming_anyone(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    fake, bot, clock = env
    scene = fake.scene
    await slash(fake, "digest daily", scene.moderator, time="08:00", channel=scene.general)
    await forget_user(bot.db, scene.moderator.id)  # /forget me: the server's digest stays, owned by 0 (no one)
    bot_role = next(r for r in scene.guild.roles.values() if r.name == fake.world.bot_user.username)
    scene.general.overwrites.append(Overwrite(bot_role.id, 0, deny=1 << 11))
    (d,) = await store.all_digests(bot.db)
    assert d.owner_id == 0
    await run_days(bot, clock, d.id, days=1)
    paused = await store.get_digest(bot.db, d.id)
    assert paused is not None
    assert paused.paused_reason == "I lack the Send Messages permission there"
    assert fake.ledger.to_recipient(scene.moderator.id) == []
    assert not [r for r in caplog.records if "could not tell user" in r.getMessage()]  # no DM tried to user 0


async def test_a_digest_missed_while_down_is_sent_late_once_at_start_up(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake = fake_discord
    clock = ManualClock(BEFORE_SPRING)
    db_path = tmp_path / "t.sqlite3"
    async with bot_on_manual_clock(fake, db_path, clock):
        await slash(fake, "digest daily", fake.scene.member, time="08:00")
    # The member set no zone: the bot's default (UTC). Down over the 08:00 slot; back 70 minutes later.
    clock.set(datetime(2027, 3, 12, 9, 10, tzinfo=ZoneInfo("UTC")))
    async with bot_on_manual_clock(fake, db_path, clock) as bot:
        await service(bot).started
    async with bot_on_manual_clock(fake, db_path, clock) as bot:
        await service(bot).started  # a second restart owes nothing more
    (dm,) = fake.ledger.to_recipient(fake.scene.member.id)
    assert "Late" in dm.content


async def test_a_send_that_failed_after_discord_made_it_is_not_sent_twice(env: Env) -> None:
    fake, bot, clock = env
    await slash(fake, "digest daily", fake.scene.member, time="08:00")
    (d,) = await store.all_digests(bot.db)
    # Discord made the message, then the bot saw a 503 (which discord.py does not retry itself).
    fake.fail("POST", "/channels/{channel_id}/messages", status=503, after=True)
    await run_days(bot, clock, d.id, days=1)
    (run,) = await store.runs_of(bot.db, d.id)
    assert run["state"] == "pending"
    report = await service(bot).service.send_pending()  # the retry job
    assert report.sent == 1
    assert len(fake.ledger.to_recipient(fake.scene.member.id)) == 1
    assert len(fake.ledger.replays) == 1
    (run,) = await store.runs_of(bot.db, d.id)
    assert run["state"] == "sent"


async def test_digest_off_stops_dm_digests(env: Env) -> None:
    fake, bot, _ = env
    await slash(fake, "digest daily", fake.scene.member, time="08:00")
    await slash(fake, "digest weekly", fake.scene.member, day=4, time="18:00")
    answer = await slash(fake, "digest off", fake.scene.member)
    assert answer.content == "Stopped 2 digests."
    assert await store.all_digests(bot.db) == []
    assert service(bot).service.job_ids() == []


async def test_a_dm_digest_follows_its_owners_zone_when_it_changes(env: Env) -> None:
    fake, bot, clock = env
    await slash(fake, "digest daily", fake.scene.member, time="08:00")
    (d,) = await store.all_digests(bot.db)
    assert d.zone == "UTC"
    await set_user_timezone(bot.db, fake.scene.member.id, "Australia/Sydney", now=clock.now())
    await service(bot).service.sync_jobs()  # what the resync timer runs
    (moved,) = await store.all_digests(bot.db)
    assert moved.zone == "Australia/Sydney"
    job = bot.scheduler.get_job(f"digest:{d.id}")
    assert job is not None
    assert str(job.trigger.timezone) == "Australia/Sydney"


async def test_a_discord_outage_at_a_busy_digest_time_loses_no_digest_and_retries_one_at_a_time(env: Env) -> None:
    fake, bot, clock = env
    users = [fake.world.create_user(f"early{n}") for n in range(12)]
    for user in users:
        await store.set_digest(
            bot.db, owner_id=user.id, guild_id=None, channel_id=None, cadence="daily", weekday=None,
            local_time="08:00", zone="UTC", now=int(clock.now().timestamp()),
        )  # fmt: skip
    await service(bot).service.sync_jobs()
    jobs = [j for j in bot.scheduler.get_jobs() if j.id.startswith("digest:")]
    assert len(jobs) == len(users)
    outage = fake.fail("POST", "/channels/{channel_id}/messages", status=503, times=None)
    slot = jobs[0].trigger.get_next_fire_time(None, clock.now())
    clock.set(slot)
    for job in jobs:  # every digest of 08:00 fires while Discord answers 503
        await job.func(*job.args)
    for minute in range(1, 13):  # ... for 12 minutes: the retry job runs every minute
        clock.set(slot + timedelta(minutes=minute))
        await service(bot).service.send_pending()
    assert len(outage.hits) <= 13 + len(users), "one send tried per run, not every pending digest each time"
    fake.faults.clear()
    clock.set(slot + timedelta(minutes=13))
    report = await service(bot).service.send_pending()
    assert report.sent == len(users)
    for user in users:
        (dm,) = fake.ledger.to_recipient(user.id)
        assert "Late" in dm.content

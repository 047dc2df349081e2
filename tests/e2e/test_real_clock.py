"""Alerts on the real wall clock, as production runs them: no time-machine, no ManualClock, no seeded rows.

The bot runs as a real process (``python -m bot run``) against the fake Discord in another process and the fake
LL2 in this one, both on the wall clock. Everything happens as users and LL2 make it happen: LL2 serves launches
whose NETs lie a minute or two ahead, members subscribe with ``/subscribe`` and ``/digest daily``, an admin sets
a channel alert with ``/alerts add`` and adds and moves an event with ``/event add`` / ``/event edit``, a
latecomer presses "Alert me", and the bot is stopped with SIGTERM across fire instants. What arrives, and when,
is read from the fake's delivery ledger (each message's creation time on the wall clock); ``python -m bot plan``
shows what the database had armed.

The bot reads LL2 once at start-up and then, with a launch within 2 hours, about every 5 minutes (the 15
requests an hour allow no more): so the launches are served before the bot starts, not changed during the run.

Two stages run at once, so the file takes about two minutes (each a fake Discord, a fake LL2 and a bot):

- ``main``: a launch alert by DM at NET - 1 min; a hand-entered event moved 20 s later before its instant,
  posted in a channel and DMed at the new instant only; a daily digest at its minute; then a restart across a
  fourth alert's instant: it arrives once, as soon as the bot is back, unmarked (under a minute late).
- ``outage``: the bot is down from just before an alert's instant to a minute after it: the alert arrives once,
  at start-up, marked late (its launch is still ahead); a digest whose minute passed meanwhile arrives then too.

Leads are the shortest that make sense: ``1m`` for launches (so the lead is subtracted), ``0`` for the event.
The time parser reads no "in 2 minutes", so the admin types the wall-clock time, with seconds: ``HH:MM:SS UTC``.
Running the file with ``-s`` prints each message's send time minus its due time.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.fakediscord.launcher import BotProcess, FakeProcess
from tests.fakell2.server import FakeLL2, load_fixture

LEAD_S = 60  # the "1m" the members type for launches
# Seconds after the anchor (the moment both bots are spawned) at which each alert is due.
ALPHA_FIRE = 45
BRAVO_EARLIEST = 55  # the event's first time; later if the bot was slow to start (see main_stage)
BRAVO_LATEST = 64  # past this the stage cannot fit the move, its delivery and the restart before CHARLIE_FIRE
BRAVO_MOVE = 20  # /event edit moves it this much later, before its first time
CHARLIE_FIRE = 100
DELTA_FIRE = 40
STOP_BEFORE = 6  # SIGTERM this long before an instant (jobs start about 0.5 s early)
SHORT_OUTAGE = 2  # main: start again this long after the instant
LONG_OUTAGE = 62  # outage: start again this long after it (the README marks an alert late past a minute)
EARLY_S, LATE_S = 2.0, 5.0  # the window an on-time alert must arrive in: not earlier, not later than this
LATE_NOTE = "*Late: I was offline when this alert was due.*"


def ll2_launch(number: int, mission: str, net: int) -> dict[str, Any]:
    """An LL2 2.3.0 launch (the vendored fixture's shape), Go, its NET known to the second."""
    launch: dict[str, Any] = copy.deepcopy(load_fixture("launches.json")["results"][0])
    iso = datetime.fromtimestamp(net, UTC).isoformat().replace("+00:00", "Z")
    launch.update(
        id=f"5e1f0c1a-7d3b-4c2e-9a41-{number:012d}",
        name=f"Soyuz 2.1a | {mission}",
        slug=f"soyuz-21a-{mission.lower().replace(' ', '-')}",
        net=iso,
        window_start=iso,
        window_end=iso,
        net_precision={"id": 0, "name": "Second", "abbrev": "SEC", "description": "The T-0 is accurate to the second."},
    )
    launch["mission"] = launch["mission"] | {"id": 9000 + number, "name": mission}
    return launch


def shown(mission: str) -> str:
    """How an alert writes an LL2 launch's name: inert, so the "|" is escaped."""
    return f"Soyuz 2.1a \\| {mission}"


def answer_text(result: dict[str, Any]) -> str:
    """Everything an interaction answered (content, embeds, follow-ups) as one string to search."""
    return json.dumps([result["content"], result["embeds"], result["message"], result["followups"]])


def next_minute(epoch: float) -> int:
    """The first whole minute at or after ``epoch``."""
    return math.ceil(epoch / 60) * 60


async def until(epoch: float) -> None:
    """Sleep until the wall clock reaches ``epoch``."""
    await asyncio.sleep(max(0.0, epoch - time.time()))


@dataclass
class Stage:
    """One fake Discord, one fake LL2 and one bot, with what happened to them."""

    name: str
    fake: FakeProcess
    ll2: FakeLL2
    bot: BotProcess
    users: dict[str, str] = field(default_factory=dict)
    due: dict[str, int] = field(default_factory=dict)  # which alert -> its due instant
    at: dict[str, float] = field(default_factory=dict)  # milestones of the run: wall-clock instants
    answers: dict[str, str] = field(default_factory=dict)
    plans: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)  # (name, fire instant, recipients)
    entries: list[dict[str, Any]] = field(default_factory=list)  # the ledger's deliveries, at the end
    duplicates: list[Any] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    ll2_max_in_hour: int = 0
    log: str = ""

    async def command(self, command: str, user: str, **options: Any) -> str:
        scene = self.fake.scene
        result = await self.fake.control.slash(
            command,
            user_id=self.users[user] if user in self.users else scene[user],
            guild_id=scene["guild"],
            channel_id=scene["general"],
            options=options,
            timeout_s=20.0,
        )
        text = answer_text(result)
        self.answers[f"{command} ({user})"] = text
        return text

    async def plan(self, when: str) -> None:
        """What ``python -m bot plan --json`` (the operator's view of the database) says is still to fire."""
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "plan", "--json", env=self.bot.environment(), cwd=self.bot.db_path.parent,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
        lines = json.loads(out)
        self.plans[when] = [
            (p["name"], int(datetime.fromisoformat(p["fire_utc"]).timestamp()), p["recipients"]) for p in lines
        ]

    async def delivered(self, target: str) -> list[dict[str, Any]]:
        """The messages the fake has created for ``user:<id>`` or ``channel:<id>`` so far."""
        entries = (await self.fake.control.ledger(deliveries=True))["entries"]
        return [e for e in entries if target_of(e) == target]

    async def wait_delivered(self, target: str, timeout_s: float) -> None:
        async def arrived() -> bool:
            return bool(await self.delivered(target))

        await self.fake.control.wait_for(arrived, timeout_s, f"{self.name}: nothing for {target}")

    async def stop_and_restart(self, fire_at: int, back_after: float) -> None:
        """SIGTERM before ``fire_at``, start again ``back_after`` seconds after it."""
        await until(fire_at - STOP_BEFORE)
        await self.bot.stop(timeout_s=15.0)
        self.at["stopped"] = time.time()
        assert self.bot.returncode == 0, f"{self.name}: SIGTERM did not stop the bot cleanly:\n{self.bot.log}"
        await until(fire_at + back_after)
        self.at["restarting"] = time.time()
        await self.bot.start()
        self.at["back"] = time.time()


def target(kind: str, ident: str) -> str:
    return f"{kind}:{ident}"


def target_of(entry: dict[str, Any]) -> str:
    """``user:<id>`` for a DM, ``channel:<id>`` for a post (as the fake's ledger names them)."""
    recipient = entry["recipient_id"]
    return target("channel", entry["channel_id"]) if recipient is None else target("user", recipient)


async def main_stage(stage: Stage, anchor: int) -> None:
    """Scenarios 1, 2 and the short restart, one after the other on one bot."""
    fake = stage.fake
    created = await fake.control.request(
        "POST", "/users", {"username": "fan", "count": 5, "guild_id": fake.scene["guild"]}
    )
    stage.users = dict(zip(("alpha", "bravo", "charlie", "latecomer", "reader"), created["ids"], strict=True))
    await stage.bot.start()
    stage.at["ready"] = time.time()

    # Scenario 1: a member subscribes to one launch's liftoff, one minute ahead.
    subscribed = await stage.command("subscribe", "alpha", what="liftoff", match="Real Clock Alpha", leads="1m")
    assert "Subscribed" in subscribed, subscribed
    # Scenario 3 (short outage): another member, another launch.
    subscribed = await stage.command("subscribe", "charlie", what="liftoff", match="Real Clock Charlie", leads="1m")
    assert "Subscribed" in subscribed, subscribed
    # A latecomer presses "Alert me" (default leads 1h, 10m): both fire times passed before the press, so
    # nothing is owed to them (README, Alerts: "subscribing 30 min before a launch owes no 1 h alert").
    nextlaunch = await fake.control.slash(
        "nextlaunch", user_id=stage.users["latecomer"], guild_id=fake.scene["guild"],
        channel_id=fake.scene["general"], timeout_s=20.0,
    )  # fmt: skip
    assert "Real Clock Alpha" in answer_text(nextlaunch), answer_text(nextlaunch)
    (alert_me,) = [
        b["custom_id"]
        for row in nextlaunch["components"]
        for b in row["components"]
        if b.get("custom_id", "").startswith("tm:alertme:")
    ]
    pressed = await fake.control.request(
        "POST",
        "/button",
        {
            "channel_id": fake.scene["general"],
            "message_id": nextlaunch["message"]["id"],
            "custom_id": alert_me,
            "user_id": stage.users["latecomer"],
            "timeout_s": 20.0,
        },
    )
    assert "I'll DM you before" in answer_text(pressed), answer_text(pressed)

    # Scenario 2: a channel alert and a DM subscription for docking "Real Clock Bravo", then the event itself.
    added = await stage.command(
        "alerts add", "moderator", channel={"channel": fake.scene["general"]}, what="docking", match="Bravo", leads="0"
    )
    assert "Added" in added, added
    subscribed = await stage.command("subscribe", "bravo", what="docking", match="Bravo", leads="0")
    assert "Subscribed" in subscribed, subscribed
    first = max(anchor + BRAVO_EARLIEST, math.ceil(time.time()) + 15)
    assert first <= anchor + BRAVO_LATEST, f"the bot took {stage.at['ready'] - anchor:.0f} s to start: no room left"
    stage.due["bravo first"] = first
    typed = f"{datetime.fromtimestamp(first, UTC):%H:%M:%S} UTC"
    added = await stage.command("event add", "moderator", name="Real Clock Bravo", kind="docking", time=typed)
    assert f"<t:{first}:F>" in added, f"the typed time was not read as {first}: {added}"
    event_id = int(re.findall(r"Event #(\d+)", added)[0])
    await stage.plan("after add")
    moved = first + BRAVO_MOVE
    stage.due["bravo"] = moved
    edited = await stage.command(
        "event edit", "moderator", event=event_id, time=f"{datetime.fromtimestamp(moved, UTC):%H:%M:%S} UTC"
    )
    assert f"<t:{moved}:F>" in edited, f"the new time was not read as {moved}: {edited}"
    await stage.plan("after edit")
    stage.at["edited"] = time.time()
    assert stage.at["edited"] < first - 1, "the edit came after the first time: the machine was too slow"
    # A daily digest by DM at the next whole minute (digests are set to the minute, in the reader's zone: UTC).
    slot = next_minute(time.time() + 10)
    assert slot + LATE_S + 1 < stage.due["charlie"] - STOP_BEFORE, "the bot was too slow: no minute left"
    stage.due["reader"] = slot
    digest = await stage.command("digest daily", "reader", time=f"{datetime.fromtimestamp(slot, UTC):%H:%M}")
    assert "Digest set" in digest, digest

    await stage.wait_delivered(target("user", stage.users["alpha"]), stage.due["alpha"] + 30 - time.time())
    await stage.wait_delivered(target("channel", fake.scene["general"]), moved + 30 - time.time())
    await stage.wait_delivered(target("user", stage.users["bravo"]), moved + 30 - time.time())
    await stage.wait_delivered(target("user", stage.users["reader"]), slot + 30 - time.time())
    # Scenario 3: a restart across Charlie's instant, back two seconds after it.
    await stage.stop_and_restart(stage.due["charlie"], SHORT_OUTAGE)
    await stage.wait_delivered(target("user", stage.users["charlie"]), 30)
    await asyncio.sleep(3.0)  # time for a duplicate, were there one


async def outage_stage(stage: Stage) -> None:
    """The bot is down from just before Delta's instant to a minute after it."""
    fake = stage.fake
    created = await fake.control.request(
        "POST", "/users", {"username": "fan", "count": 2, "guild_id": fake.scene["guild"]}
    )
    stage.users = dict(zip(("delta", "early riser"), created["ids"], strict=True))
    await stage.bot.start()
    stage.at["ready"] = time.time()
    subscribed = await stage.command("subscribe", "delta", what="liftoff", match="Real Clock Delta", leads="1m")
    assert "Subscribed" in subscribed, subscribed
    # A daily digest whose minute comes while the bot is down (the outage lasts over a minute, so one does).
    slot = next_minute(stage.due["delta"] - STOP_BEFORE + 2)
    assert slot < stage.due["delta"] + LONG_OUTAGE
    stage.due["early riser"] = slot
    digest = await stage.command("digest daily", "early riser", time=f"{datetime.fromtimestamp(slot, UTC):%H:%M}")
    assert "Digest set" in digest, digest
    await stage.stop_and_restart(stage.due["delta"], LONG_OUTAGE)
    await stage.wait_delivered(target("user", stage.users["delta"]), 30)
    await stage.wait_delivered(target("user", stage.users["early riser"]), 30)
    await asyncio.sleep(3.0)


async def finish(stage: Stage) -> None:
    """Read the ledger and the violations, stop the bot and the fake."""
    try:
        ledger = await stage.fake.control.ledger(deliveries=True)
        stage.entries = ledger["entries"]
        stage.duplicates = ledger["duplicates"]
        stage.violations = await stage.fake.control.violations()
    finally:
        await stage.bot.stop()
        await stage.fake.stop()
        await stage.ll2.close()
    stage.ll2_max_in_hour = stage.ll2.max_in_any_hour()
    stage.log = stage.bot.log


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def run(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Stage]]:
    """Both stages, run once for every test of this file (about two minutes of wall time)."""
    stages: dict[str, Stage] = {}
    try:
        for name in ("main", "outage"):
            fake = FakeProcess()
            ll2 = FakeLL2(lambda: datetime.now(UTC))
            folder: Path = tmp_path_factory.mktemp(name)
            bot = BotProcess(fake, folder / "tminus.sqlite3")
            stages[name] = Stage(name, fake, ll2, bot)
            await fake.start()
            await ll2.start()
            bot.extra_env = {"LL2_BASE_URL": ll2.base_url}
            ll2.events, ll2.dockings = [], []
        anchor = math.ceil(time.time()) + 1
        main, outage = stages["main"], stages["outage"]
        main.due = {"alpha": anchor + ALPHA_FIRE, "charlie": anchor + CHARLIE_FIRE}
        main.ll2.launches = [
            ll2_launch(1, "Real Clock Alpha", main.due["alpha"] + LEAD_S),
            ll2_launch(3, "Real Clock Charlie", main.due["charlie"] + LEAD_S),
        ]
        outage.due = {"delta": anchor + DELTA_FIRE}
        outage.ll2.launches = [ll2_launch(4, "Real Clock Delta", outage.due["delta"] + LEAD_S)]
        await until(anchor)
        await asyncio.gather(main_stage(main, anchor), outage_stage(outage))
    finally:
        for stage in stages.values():
            await finish(stage)
    report = [f"{'alert':<22} {'due (UTC)':<10} send - due"]
    for stage in stages.values():
        for entry in stage.entries:
            which = next((k for k, v in stage.users.items() if target_of(entry) == target("user", v)), "channel")
            due = stage.due.get("bravo" if which == "channel" else which)  # reader, early riser: digests
            delta = "?" if due is None else f"{entry['at'] - due:+.3f} s"
            report.append(f"{stage.name + ' ' + which:<22} {datetime.fromtimestamp(due or 0, UTC):%H:%M:%S}   {delta}")
    print("\n".join(["", *report]))
    yield stages


def deliveries(stage: Stage, who: str) -> list[dict[str, Any]]:
    ident = stage.fake.scene["general"] if who == "channel" else stage.users[who]
    kind = "channel" if who == "channel" else "user"
    return [e for e in stage.entries if target_of(e) == target(kind, ident)]


def assert_on_time(entry: dict[str, Any], due: int, what: str) -> None:
    lateness = entry["at"] - due
    assert -EARLY_S <= lateness <= LATE_S, f"{what} arrived {lateness:+.2f} s from its instant"


def test_a_dm_subscribed_by_command_arrives_once_at_net_minus_the_lead_on_the_wall_clock(
    run: dict[str, Stage],
) -> None:
    main = run["main"]
    due = main.due["alpha"]
    assert due - main.at["ready"] >= 10, "the alert was meant to fire well after the bot was ready"
    (dm,) = deliveries(main, "alpha")
    assert_on_time(dm, due, "Alpha's DM")
    net = due + LEAD_S
    assert dm["content"] == f"⏰ T-1m: **{shown('Real Clock Alpha')}**: liftoff <t:{net}:F> (<t:{net}:R>)"


def test_an_event_moved_later_before_its_instant_fires_once_in_the_channel_and_by_dm_at_the_new_time(
    run: dict[str, Stage],
) -> None:
    main = run["main"]
    moved = main.due["bravo"]
    # Armed for the first time (the channel and the member), then for the moved time only.
    bravo = "Real Clock Bravo"
    assert [p for p in main.plans["after add"] if p[0] == bravo] == [(bravo, main.due["bravo first"], 2)]
    assert [p for p in main.plans["after edit"] if p[0] == bravo] == [(bravo, moved, 2)]
    (post,) = deliveries(main, "channel")
    (dm,) = deliveries(main, "bravo")
    for message, what in ((post, "the channel post"), (dm, "Bravo's DM")):
        assert_on_time(message, moved, what)
        assert message["at"] > main.due["bravo first"] + BRAVO_MOVE - EARLY_S, f"{what} came at the old time"
        assert f"🚀 Now: **Real Clock Bravo**: docking <t:{moved}:F> (<t:{moved}:R>)" in message["content"]
        assert f"<t:{main.due['bravo first']}:" not in message["content"]
        assert LATE_NOTE not in message["content"]


def test_a_restart_across_an_instant_sends_the_alert_once_as_soon_as_the_bot_is_back(run: dict[str, Stage]) -> None:
    main = run["main"]
    due = main.due["charlie"]
    assert main.at["stopped"] < due - 1 < due + 1 < main.at["restarting"], "the bot was down across the instant"
    (dm,) = deliveries(main, "charlie")
    assert main.at["restarting"] <= dm["at"] <= main.at["back"] + LATE_S, "sent by the restarted bot, at once"
    net = due + LEAD_S
    # Less than a minute late: not marked (README, Alerts, "Downtime").
    assert dm["content"] == f"⏰ T-1m: **{shown('Real Clock Charlie')}**: liftoff <t:{net}:F> (<t:{net}:R>)"


def test_an_outage_over_a_minute_past_an_instant_sends_the_alert_once_at_start_up_marked_late(
    run: dict[str, Stage],
) -> None:
    outage = run["outage"]
    due = outage.due["delta"]
    assert outage.at["stopped"] < due - 1
    assert outage.at["restarting"] > due + 60
    (dm,) = deliveries(outage, "delta")
    assert outage.at["restarting"] <= dm["at"] <= outage.at["back"] + LATE_S
    net = due + LEAD_S
    assert dm["content"] == (
        f"⏰ T-1m: **{shown('Real Clock Delta')}**: liftoff <t:{net}:F> (<t:{net}:R>)\n{LATE_NOTE}"
    )


def test_a_daily_digest_arrives_once_at_its_minute_on_the_wall_clock(run: dict[str, Stage]) -> None:
    main = run["main"]
    slot = main.due["reader"]
    (digest,) = deliveries(main, "reader")
    assert_on_time(digest, slot, "the digest")
    assert digest["content"].startswith("🗓️ **Coming up in the next 24 hours**")
    charlie = main.due["charlie"] + LEAD_S
    assert f"**{shown('Real Clock Charlie')}**, liftoff (<t:{charlie}:R>)" in digest["content"]
    assert "*Late" not in digest["content"]


def test_a_digest_whose_minute_passed_while_the_bot_was_down_arrives_once_at_start_up(run: dict[str, Stage]) -> None:
    outage = run["outage"]
    slot = outage.due["early riser"]
    assert outage.at["stopped"] < slot < outage.at["restarting"]
    (digest,) = deliveries(outage, "early riser")
    assert outage.at["restarting"] <= digest["at"] <= outage.at["back"] + LATE_S
    delta = outage.due["delta"] + LEAD_S
    # Listed as of its slot (Delta's liftoff was still ahead then); under five minutes late, so not marked.
    assert f"**{shown('Real Clock Delta')}**, liftoff (<t:{delta}:R>)" in digest["content"]
    assert "*Late" not in digest["content"]


def test_nothing_else_is_sent_no_request_breaks_the_spec_and_the_bot_logs_no_error(run: dict[str, Stage]) -> None:
    main, outage = run["main"], run["outage"]
    assert deliveries(main, "latecomer") == [], "the latecomer's leads had passed before they pressed Alert me"
    alpha = "Soyuz 2.1a | Real Clock Alpha"
    assert [p for p in main.plans["after add"] if p[0] == alpha] == [(alpha, main.due["alpha"], 1)], "nor armed"
    # Alpha's DM, Bravo's post and DM, Charlie's DM, the reader's digest; Delta's DM, the early riser's digest.
    assert len(main.entries) == 5, main.entries
    assert len(outage.entries) == 2, outage.entries
    for stage in (main, outage):
        assert stage.duplicates == []
        assert stage.violations == []
        assert stage.ll2_max_in_hour <= 15
        assert stage.bot.starts == 2
        assert "Traceback" not in stage.log
        assert " ERROR " not in stage.log, stage.log

"""The soak, short: two simulated days across Europe's change to summer time, checked against the oracle.

The full week (1,000 DM subscribers, 50 channel alerts) is ``bench/bench_soak.py``; this run keeps every part
of it (slips, holds, scrubs, withdrawals, station events, channel alerts with forum posts, threads and role
pings, the Scheduled Events mirror with default and narrowed options, daily and weekly DM and channel digests
in 5 zones, "Alert me" presses, muted users, two restarts, two downtimes across fire instants, a few minutes of
Discord answering 503) at a size the suite can afford.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.soak import oracle
from tests.soak.oracle import Digest, Recipient
from tests.soak.runner import Soak, SoakConfig
from tests.soak.scenario import (
    DAY,
    DOCKING,
    GO,
    HOLD,
    HOUR,
    IN_FLIGHT,
    LAUNCH,
    MIN,
    SPACEWALK,
    SUCCESS,
    TBD,
    Item,
    MirrorSpec,
    Scenario,
    Version,
    Window,
)

START = datetime(
    2027, 3, 27, 6, tzinfo=UTC
)  # Europe/London and Europe/Berlin go to summer time at 01:00 UTC on 28 March
T0 = int(START.timestamp())


async def test_two_simulated_days_deliver_every_owed_message_exactly_once(tmp_path: Path) -> None:
    config = SoakConfig(
        seed=14,
        start=START,
        days=2.0,
        users=150,
        channel_alerts=15,
        guilds=3,
        mirror_guilds=2,
        digest_users=10,
        weekly_digests=4,
        channel_digests=3,
        presses=8,
        mutes=8,
    )
    soak = Soak(config, tmp_path)
    result = await soak.run()
    report = "\n".join(result.lines())
    _assert_extras_were_exercised(soak, report)
    versions = [v for item in soak.scenario.items for v in item.versions if v.since < soak.scenario.end]
    assert {HOLD, TBD, IN_FLIGHT} <= {v.status for v in versions}, "the seed has holds, scrubs and liftoffs"
    assert any(not v.listed for v in versions), "and a withdrawal"
    assert {LAUNCH, DOCKING, SPACEWALK} <= {item.kind for item in soak.scenario.items}
    assert any(item.coverage for item in soak.scenario.items)
    assert result.missing == [], report
    assert result.duplicates == [], report
    assert result.unexpected == [], report
    assert result.unknown == [], report
    assert result.violations == [], report
    assert result.job_mismatches == [], report
    assert result.mirror_mismatches == [], report
    assert result.checkpoints == 2, report
    assert result.checkpoints_clean == 2, report
    assert result.ll2_busiest_hour <= 15, report
    assert result.ll2_429 == 0, report
    assert len(result.restarts) == 4, report  # two restarts and two downtimes
    assert result.required > 500, report
    assert result.once == result.required, report
    # Everything the scenario is about was exercised: alerts, every kind of notice, digests on both DST days.
    assert {"alert", "moved", "hold", "tbd", "outcome", "digest"} <= set(result.kinds), report
    assert result.kinds["digest"] >= 20, report  # 10 digests, each on both sides of the DST change
    # The harness drops the fake's messages that the bot can no longer edit (so memory measures the bot), never
    # one it still edits: every alert marked superseded found its message.
    assert result.edits > 0, report
    assert result.edits_lost == 0, report
    # Late-marked alerts (a downtime and the outage) and a digest caught up late at start-up were owed and came.
    assert result.kinds["alert (late)"] >= 10, report
    assert result.kinds["digest (late)"] >= 1, report
    assert result.owed_kinds["alert (missed, not sent)"] >= 1, report


def _assert_extras_were_exercised(soak: Soak, report: str) -> None:
    """The seed's run has each thing the extras add, and the oracle owes something because of each."""
    s, owed = soak.scenario, soak.owed
    assert owed is not None
    assert sorted(w.why for w in s.downtimes) == ["late", "missed"], report
    assert len(s.faults) == 1, report
    keys = list(owed.required)
    alerts = [k for k in keys if k[0] == "alert"]
    fires = [int(str(k[5])) - int(str(k[4])) for k in alerts if k[6] is True]
    for w in s.downtimes + s.faults:
        if w.why != "missed":
            assert any(w.start <= f < w.end for f in fires), f"nothing owed late from {w}\n{report}"
    missed_at = [int(str(k[5])) - int(str(k[4])) for k in owed.missed]
    assert any(w.why == "missed" and w.start < f < w.end for w in s.downtimes for f in missed_at), report
    # "Alert me" presses owe alerts (their own items only), and muting took some alert away from someone.
    mission = [r for r in soak.recipients if r.item is not None]
    assert len(mission) == len(s.presses) >= 6, report
    assert any(
        oracle.owed_alerts(item, r, s.end, kind) for r in mission for item in s.items for kind in ("liftoff", "docking")
    ), report
    muted = [r for r in soak.recipients if r.quiet]
    assert any(
        len(oracle.owed_alerts(item, replace(r, quiet=()), s.end, kind)) > len(oracle.owed_alerts(item, r, s.end, kind))
        for r in muted
        for item in s.items
        for kind in oracle.kinds_of(item)
    ), "some alert fired while its user was muted"
    assert owed.silenced, "a notice is held back from a muted user"
    # Weekly DM and channel digests, channel alerts in threads, a narrowed mirror.
    digests = [k for k in keys if k[0] == "digest"]
    assert any(k[2] == "7 days" and str(k[1]).startswith("user:") for k in digests), report
    assert {k[2] for k in digests if str(k[1]).startswith("channel:")} == {"24 hours", "7 days"}, report
    threads = {
        f"channel:{soak.channels_by_guild[c.guild][c.channel]}" for c in s.channel_subs if c.channel_type == "thread"
    }
    assert threads, report
    assert any(k[1] in threads for k in alerts), report
    assert any(m.days != 7 and m.match for m in s.mirrors), report


# -- the oracle, on small scripts: it must be able to say no --------------------------------------------------


def launch(*versions: Version, name: str = "Falcon 9 Soak-001", provider: str = "SpaceX") -> Item:
    item = Item(1, LAUNCH, name, provider, "Falcon 9 Block 5", "Soak mission 1", None)
    item.versions = list(versions)
    return item


def everyone(
    leads: tuple[int, ...], created_at: int = T0 - DAY, what: str = "liftoff", match: str | None = None
) -> Recipient:
    return Recipient("user:1", what, match, leads, created_at)


def test_oracle_owes_no_alert_whose_fire_instant_came_before_the_subscription() -> None:
    item = launch(Version(T0 - DAY, T0 + 3 * HOUR, GO))
    late = everyone((HOUR, 10 * MIN), created_at=T0 + 2 * HOUR + 30 * MIN)
    assert oracle.owed_alerts(item, late, T0 + DAY) == [(T0 + 3 * HOUR - 10 * MIN, 10 * MIN, T0 + 3 * HOUR)]


def test_oracle_rearms_a_lead_after_a_slip_and_owes_one_moved_notice() -> None:
    first, later = T0 + 3 * HOUR, T0 + 5 * HOUR
    item = launch(Version(T0 - DAY, first, GO), Version(first - 30 * MIN, later, GO))
    r = everyone((HOUR,))
    assert oracle.owed_alerts(item, r, T0 + DAY) == [(first - HOUR, HOUR, first), (later - HOUR, HOUR, later)]
    owed = oracle.compute(_scenario(item), [r], [])
    assert ("moved", "user:1", item.name, "liftoff", first, later) in owed.required


def test_oracle_owes_nothing_on_hold_and_one_hold_notice_to_those_alerted() -> None:
    t = T0 + 3 * HOUR
    item = launch(Version(T0 - DAY, t, GO), Version(t - 40 * MIN, t, HOLD), Version(t - 5 * MIN, t + HOUR, GO))
    r = everyone((HOUR, 10 * MIN))
    fires = [fire for fire, _, _ in oracle.owed_alerts(item, r, T0 + DAY)]
    assert fires == [t - HOUR, t + HOUR - HOUR, t + HOUR - 10 * MIN], "the 10 min alert of the held time is not owed"
    owed = oracle.compute(_scenario(item), [r], [])
    assert ("hold", "user:1", item.name) in owed.required
    assert ("moved", "user:1", item.name, "liftoff", t, t + HOUR) in owed.required


def test_oracle_owes_coverage_start_alerts_and_moves_them_with_the_launch() -> None:
    first, later = T0 + 3 * HOUR, T0 + 5 * HOUR
    item = launch(Version(T0 - DAY, first, GO), Version(first - 2 * HOUR, later, GO))
    item.coverage = True
    coverage = Recipient("user:1", "coverage", None, (10 * MIN,), T0 - DAY)
    assert oracle.owed_alerts(item, coverage, T0 + DAY, "liftoff") == []
    start = later - 45 * MIN
    assert oracle.owed_alerts(item, coverage, T0 + DAY, "coverage start") == [(start - 10 * MIN, 10 * MIN, start)]
    assert sorted(set(oracle.kinds_of(item))) == ["coverage start", "liftoff"]


def test_oracle_sends_nothing_for_a_scrub_to_tbd_but_the_notice() -> None:
    t = T0 + 3 * HOUR
    item = launch(Version(T0 - DAY, t, GO), Version(t - 30 * MIN, t + DAY, TBD, precise=False))
    owed = oracle.compute(_scenario(item), [everyone((HOUR, 10 * MIN))], [])
    assert sorted(str(k[0]) for k in owed.required) == ["alert", "tbd"]


def test_oracle_matches_text_in_the_provider_and_owes_the_outcome() -> None:
    t = T0 + 3 * HOUR
    item = launch(Version(T0 - DAY, t, GO), Version(t + 10 * MIN, t, SUCCESS))
    assert oracle.compute(_scenario(item), [everyone((HOUR,), match="rocket lab")], []).required == {}
    owed = oracle.compute(_scenario(item), [everyone((HOUR,), match="spacex")], [])
    assert ("outcome", "user:1", item.name) in owed.required
    docking = Item(
        2, DOCKING, "Soak Cargo 2 docking to Tiangong", "Soak Cargo Agency", "Soak Cargo 2", None, "Tiangong"
    )
    assert not everyone((HOUR,), what="docking", match="International Space Station").matches(docking, "docking")


def test_oracle_digest_follows_local_time_across_the_dst_change() -> None:
    d = Digest("user:1", "Europe/London", "08:00", T0 - DAY)
    slots = dict(oracle.digest_slots(d, T0, T0 + 2 * DAY))
    day = "24 hours"
    assert slots[("digest", "user:1", day, "Sat 27 Mar", False)] == int(
        datetime(2027, 3, 27, 8, tzinfo=UTC).timestamp()
    )
    assert slots[("digest", "user:1", day, "Sun 28 Mar", False)] == int(
        datetime(2027, 3, 28, 7, tzinfo=UTC).timestamp()
    )
    kolkata = Digest("user:1", "Asia/Kolkata", "08:00", T0 - DAY)
    assert [at % DAY for _, at in oracle.digest_slots(kolkata, T0, T0 + 2 * DAY)] == [2 * HOUR + 30 * MIN] * 2


def test_comparison_reports_missing_duplicated_and_not_owed_messages(tmp_path: Path) -> None:
    soak = Soak(SoakConfig(start=START, days=1.0, users=2, channel_alerts=0, guilds=1, mirror_guilds=0), tmp_path)
    t = T0 + 3 * HOUR
    soak.scenario.items = [launch(Version(T0 - DAY, t, GO))]
    soak.recipients = [everyone((HOUR, 10 * MIN))]
    soak.got = Counter(
        {
            ("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t, False): 2,
            ("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t + 60, False): 1,
        }
    )
    soak.compare()
    assert soak.result.missing == [("alert", "user:1", "Falcon 9 Soak-001", "liftoff", 10 * MIN, t, False)]
    assert soak.result.duplicates == [(("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t, False), 2)]
    assert soak.result.unexpected == [("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t + 60, False)]


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("⏰ T-1h 10m: **X 1**: liftoff <t:100:F> (<t:100:R>)", ("alert", "t", "X 1", "liftoff", 4_200, 100, False)),
        (
            "<@&5>\n⏰ T-24h: **X 1**: docking <t:9:F> (<t:9:R>)\n*Late: I was offline when this alert was due.*",
            ("alert", "t", "X 1", "docking", DAY, 9, True),
        ),
        ("🔁 **X 1**: liftoff moved from <t:1:F> to <t:2:F> (<t:2:R>).", ("moved", "t", "X 1", "liftoff", 1, 2)),
        ("⏰ T-10m: **X 1**: coverage start <t:7:F> (<t:7:R>)", ("alert", "t", "X 1", "coverage start", 600, 7, False)),
        ("✋ **X 1** is on hold. I'll alert you", ("hold", "t", "X 1")),
        ("🕳️ **X 1** was scrubbed: its time", ("tbd", "t", "X 1")),
        ("🏁 **X 1**: Success.", ("outcome", "t", "X 1")),
        (
            "🗓️ **Coming up in the next 24 hours** (Sun 28 Mar, times in Europe/London)\n• x",
            ("digest", "t", "24 hours", "Sun 28 Mar", False),
        ),
        (
            "🗓️ **Coming up in the next 7 days** (Mon 29 Mar, times in Asia/Kolkata)\n• x\n"
            "*Late: I was offline at the usual time.*",
            ("digest", "t", "7 days", "Mon 29 Mar", True),
        ),
        ("Your daily digest is paused", None),
    ],
)
def test_delivered_messages_are_read_back_into_oracle_keys(content: str, key: tuple[object, ...] | None) -> None:
    assert oracle.key_of("t", content) == key


# -- the oracle on what the extras add: downtimes, Alert me, muting, weekly and channel digests, outages --------


def test_oracle_owes_alerts_that_fired_while_the_bot_was_down_late_and_none_whose_milestone_was_over() -> None:
    t = T0 + 5 * HOUR
    item = launch(Version(T0 - DAY, t, GO), Version(t + 60, t, IN_FLIGHT), Version(t + 20 * MIN, t, SUCCESS))
    r = everyone((HOUR, 10 * MIN))
    # Down across the 1 h alert, back 50 min before liftoff: it goes out late.
    late = _scenario(item, downtimes=[Window(t - HOUR - 5 * MIN, t - 50 * MIN, "late")])
    owed = oracle.compute(late, [r], [])
    assert ("alert", "user:1", item.name, "liftoff", HOUR, t, True) in owed.required
    assert ("alert", "user:1", item.name, "liftoff", HOUR, t, False) not in owed.required
    assert ("alert", "user:1", item.name, "liftoff", 10 * MIN, t, False) in owed.required
    # Down across both, back after liftoff: both missed, never sent; the outcome is told to nobody.
    missed = oracle.compute(_scenario(item, downtimes=[Window(t - 2 * HOUR, t + 5 * MIN, "missed")]), [r], [])
    assert missed.required == {}
    assert len(missed.missed) == 2
    # Back 30 s after liftoff: not a minute over, so the 10 min alert still goes out (late).
    edge = oracle.compute(_scenario(item, downtimes=[Window(t - 15 * MIN, t + 30, "missed")]), [r], [])
    assert ("alert", "user:1", item.name, "liftoff", 10 * MIN, t, True) in edge.required


def test_comparison_fails_an_on_time_alert_where_a_late_one_was_owed_and_a_missed_one_sent(tmp_path: Path) -> None:
    t = T0 + 5 * HOUR
    soak = _soak(tmp_path, launch(Version(T0 - DAY, t, GO)), [everyone((HOUR, 10 * MIN))])
    soak.scenario.downtimes = [Window(t - HOUR - 5 * MIN, t - 50 * MIN, "late"), Window(t - 12 * MIN, t + 2 * MIN, "x")]
    on_time = ("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t, False)
    missed = ("alert", "user:1", "Falcon 9 Soak-001", "liftoff", 10 * MIN, t, True)
    soak.got = Counter({on_time: 1, missed: 1})
    soak.compare()
    assert soak.result.missing == [("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t, True)]
    assert sorted(soak.result.unexpected) == sorted([on_time, missed])


def test_oracle_owes_alerts_firing_during_a_discord_outage_late() -> None:
    t = T0 + 5 * HOUR
    item = launch(Version(T0 - DAY, t, GO))
    owed = oracle.compute(
        _scenario(item, faults=[Window(t - 12 * MIN, t - 7 * MIN, "5xx")]), [everyone((HOUR, 10 * MIN))], []
    )
    assert set(owed.required) == {
        ("alert", "user:1", item.name, "liftoff", HOUR, t, False),
        ("alert", "user:1", item.name, "liftoff", 10 * MIN, t, True),
    }


def test_oracle_owes_alert_me_for_its_own_item_only_liftoff_and_coverage_at_the_default_leads() -> None:
    t = T0 + 5 * HOUR
    mine = launch(Version(T0 - DAY, t, GO))
    mine.coverage = True
    other = Item(2, LAUNCH, "Falcon 9 Soak-002", "SpaceX", "Falcon 9 Block 5", "Soak mission 2", None)
    other.versions = [Version(T0 - DAY, t + HOUR, GO)]
    pressed = Recipient("user:1", "mission", None, (HOUR, 10 * MIN), t - 2 * HOUR, item=mine.source_key)
    owed = oracle.compute(_scenario(mine, other), [pressed], [])
    start = t - 45 * MIN
    assert {(k[2], k[3], k[4]) for k in owed.required} == {
        (mine.name, "liftoff", HOUR),
        (mine.name, "liftoff", 10 * MIN),
        (mine.name, "coverage start", HOUR),
        (mine.name, "coverage start", 10 * MIN),
    }
    assert ("alert", "user:1", mine.name, "coverage start", HOUR, start, False) in owed.required
    # Pressed after the 1 h alert's fire instant: not owed (subscribing late owes nothing that already fired).
    late_press = replace(pressed, created_at=t - 50 * MIN)
    assert [lead for _, lead, _ in oracle.owed_alerts(mine, late_press, T0 + DAY)] == [10 * MIN]


def test_oracle_owes_a_muted_user_no_alert_and_no_notice_while_muted_nor_on_unmute() -> None:
    first, later = T0 + 5 * HOUR, T0 + 9 * HOUR
    item = launch(Version(T0 - DAY, first, GO), Version(first - 30 * MIN, later, GO))
    muted = replace(everyone((HOUR, 10 * MIN)), quiet=((first - 40 * MIN, later - 30 * MIN),))
    owed = oracle.compute(_scenario(item), [muted], [])
    assert {(k[0], k[4]) for k in owed.required} == {
        ("alert", HOUR),  # the first time's 1 h alert, before the mute
        ("alert", 10 * MIN),  # the new time's 10 min alert, after Unmute
    }
    assert ("alert", "user:1", item.name, "liftoff", HOUR, later, False) not in owed.required  # fired while muted
    assert owed.silenced == {("moved", "user:1", item.name, "liftoff", first, later)}, "the slip, learnt while muted"
    assert owed.optional == set()
    # Muted a minute after the slip: the bot may or may not have learnt it by then; either way at most once.
    racing = replace(muted, quiet=((first - 29 * MIN, later - 30 * MIN),))
    owed = oracle.compute(_scenario(item), [racing], [])
    assert owed.optional == {("moved", "user:1", item.name, "liftoff", first, later)}
    assert owed.silenced == set()


def test_oracle_weekly_digest_comes_on_its_weekday_only_and_late_or_not_at_all_after_a_downtime() -> None:
    weekly = Digest("channel:5", "Asia/Kolkata", "12:00", T0 - DAY, "weekly", 6)  # Sundays
    slots = oracle.digest_slots(weekly, T0, T0 + 2 * DAY)
    sunday_noon = int(datetime(2027, 3, 28, 6, 30, tzinfo=UTC).timestamp())
    assert slots == [(("digest", "channel:5", "7 days", "Sun 28 Mar", False), sunday_noon)]
    short = [Window(sunday_noon - 5 * MIN, sunday_noon + 20 * MIN, "late")]
    assert oracle.digest_slots(weekly, T0, T0 + 2 * DAY, short) == [
        (("digest", "channel:5", "7 days", "Sun 28 Mar", True), sunday_noon)
    ]
    brief = [Window(sunday_noon - 5 * MIN, sunday_noon + 3 * MIN, "late")]  # back within 5 min: not marked late
    assert oracle.digest_slots(weekly, T0, T0 + 2 * DAY, brief)[0][0][4] is False
    long = [Window(sunday_noon - 5 * MIN, sunday_noon + 2 * HOUR + MIN, "late")]
    assert oracle.digest_slots(weekly, T0, T0 + 2 * DAY, long) == []


def test_mirror_check_fails_an_event_its_narrowed_options_leave_out_and_one_it_asks_for_missing(
    tmp_path: Path, time_machine: Any
) -> None:
    t = T0 + 10 * HOUR
    spacex = launch(Version(T0 - DAY, t, GO))
    electron = launch(Version(T0 - DAY, t + HOUR, GO), name="Electron Soak-002", provider="Rocket Lab")
    soak = _soak(tmp_path, spacex, [])
    soak.scenario.items.append(electron)
    soak.scenario.mirrors = [MirrorSpec(0, days=3, what="liftoff", match="spacex")]
    soak.guild_ids = [1]
    event = {"status": 1, "name": f"🚀 {electron.name}", "scheduled_start_time": "2027-03-27T17:00:00Z"}
    fake: Any = SimpleNamespace(world=SimpleNamespace(guilds={1: SimpleNamespace(scheduled_events={7: event})}))
    time_machine.move_to(datetime.fromtimestamp(T0 + 6 * HOUR, tz=UTC), tick=False)
    soak.check_mirror(fake)
    assert len(soak.result.mirror_mismatches) == 2, soak.result.mirror_mismatches
    assert "Electron Soak-002 shown, not asked for" in soak.result.mirror_mismatches[1]
    assert f"{spacex.name} at {t}: []" in soak.result.mirror_mismatches[0]


def _soak(tmp_path: Path, item: Item, recipients: list[Recipient]) -> Soak:
    soak = Soak(SoakConfig(start=START, days=1.0, users=2, channel_alerts=0, guilds=1, mirror_guilds=0), tmp_path)
    soak.scenario.items = [item]
    soak.scenario.downtimes, soak.scenario.faults = [], []
    soak.scenario.digests, soak.scenario.channel_digests = [], []
    soak.recipients = recipients
    return soak


def _scenario(*items: Item, downtimes: list[Window] | None = None, faults: list[Window] | None = None) -> Scenario:
    return Scenario(
        0, T0, T0 + 2 * DAY, list(items), 1, [], 0, [], [], [], [], downtimes=downtimes or [], faults=faults or []
    )

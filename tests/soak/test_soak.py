"""The soak, short: two simulated days across Europe's change to summer time, checked against the oracle.

The full week (1,000 DM subscribers, 50 channel alerts) is ``bench/bench_soak.py``; this run keeps every part
of it (slips, holds, scrubs, withdrawals, station events, channel alerts with forum posts and role pings, the
Scheduled Events mirror, daily digests in 5 zones, two restarts) at a size the suite can afford.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

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
    Scenario,
    Version,
)

START = datetime(
    2027, 3, 27, 6, tzinfo=UTC
)  # Europe/London and Europe/Berlin go to summer time at 01:00 UTC on 28 March
T0 = int(START.timestamp())


async def test_two_simulated_days_deliver_every_owed_message_exactly_once(tmp_path: Path) -> None:
    config = SoakConfig(
        seed=14, start=START, days=2.0, users=150, channel_alerts=15, guilds=3, mirror_guilds=1, digest_users=10
    )
    soak = Soak(config, tmp_path)
    result = await soak.run()
    report = "\n".join(result.lines())
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
    assert len(result.restarts) == 2, report
    assert result.required > 500, report
    assert result.once == result.required, report
    # Everything the scenario is about was exercised: alerts, every kind of notice, digests on both DST days.
    assert {"alert", "moved", "hold", "tbd", "outcome", "digest"} <= set(result.kinds), report
    assert result.kinds["digest"] >= 20, report  # 10 digests, each on both sides of the DST change
    # The harness drops the fake's messages that the bot can no longer edit (so memory measures the bot), never
    # one it still edits: every alert marked superseded found its message.
    assert result.edits > 0, report
    assert result.edits_lost == 0, report


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
    assert slots[("digest", "user:1", "Sat 27 Mar")] == int(datetime(2027, 3, 27, 8, tzinfo=UTC).timestamp())
    assert slots[("digest", "user:1", "Sun 28 Mar")] == int(datetime(2027, 3, 28, 7, tzinfo=UTC).timestamp())
    kolkata = Digest("user:1", "Asia/Kolkata", "08:00", T0 - DAY)
    assert [at % DAY for _, at in oracle.digest_slots(kolkata, T0, T0 + 2 * DAY)] == [2 * HOUR + 30 * MIN] * 2


def test_comparison_reports_missing_duplicated_and_not_owed_messages(tmp_path: Path) -> None:
    soak = Soak(SoakConfig(start=START, days=1.0, users=2, channel_alerts=0, guilds=1, mirror_guilds=0), tmp_path)
    t = T0 + 3 * HOUR
    soak.scenario.items = [launch(Version(T0 - DAY, t, GO))]
    soak.recipients = [everyone((HOUR, 10 * MIN))]
    soak.got = Counter(
        {
            ("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t): 2,
            ("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t + 60): 1,
        }
    )
    soak.compare()
    assert soak.result.missing == [("alert", "user:1", "Falcon 9 Soak-001", "liftoff", 10 * MIN, t)]
    assert soak.result.duplicates == [(("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t), 2)]
    assert soak.result.unexpected == [("alert", "user:1", "Falcon 9 Soak-001", "liftoff", HOUR, t + 60)]


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("⏰ T-1h 10m: **X 1**: liftoff <t:100:F> (<t:100:R>)", ("alert", "t", "X 1", "liftoff", 4_200, 100)),
        (
            "<@&5>\n⏰ T-24h: **X 1**: docking <t:9:F> (<t:9:R>)\n*Late: I was offline*",
            ("alert", "t", "X 1", "docking", DAY, 9),
        ),
        ("🔁 **X 1**: liftoff moved from <t:1:F> to <t:2:F> (<t:2:R>).", ("moved", "t", "X 1", "liftoff", 1, 2)),
        ("⏰ T-10m: **X 1**: coverage start <t:7:F> (<t:7:R>)", ("alert", "t", "X 1", "coverage start", 600, 7)),
        ("✋ **X 1** is on hold. I'll alert you", ("hold", "t", "X 1")),
        ("🕳️ **X 1** was scrubbed: its time", ("tbd", "t", "X 1")),
        ("🏁 **X 1**: Success.", ("outcome", "t", "X 1")),
        (
            "🗓️ **Coming up in the next 24 hours** (Sun 28 Mar, times in Europe/London)\n• x",
            ("digest", "t", "Sun 28 Mar"),
        ),
        ("Your daily digest is paused", None),
    ],
)
def test_delivered_messages_are_read_back_into_oracle_keys(content: str, key: tuple[object, ...] | None) -> None:
    assert oracle.key_of("t", content) == key


def _scenario(*items: Item) -> Scenario:
    return Scenario(0, T0, T0 + 2 * DAY, list(items), 1, [], 0, [], [], [], [])

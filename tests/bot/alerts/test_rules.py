"""The rules of bot/alerts/rules.py: match, precision, status, owed, once."""

from __future__ import annotations

import random

import pytest

from bot.alerts import rules
from bot.alerts.rules import HOUR, MINUTE, MilestoneFacts, Subscription
from bot.models import EventStatus, MilestoneKind, Precision

T = 1_800_000_000  # a milestone instant


def sub(**kw: object) -> Subscription:
    base: dict[str, object] = {
        "id": 1,
        "owner_id": 10,
        "kinds": frozenset({MilestoneKind.LIFTOFF}),
        "leads": (HOUR, 10 * MINUTE),
        "created_at": T - 10 * HOUR,
    }
    base.update(kw)
    return Subscription(**base)  # type: ignore[arg-type]


def ms(**kw: object) -> MilestoneFacts:
    base: dict[str, object] = {
        "milestone_id": 5,
        "event_id": 50,
        "kind": MilestoneKind.LIFTOFF,
        "at": T,
        "precision": Precision.MINUTE,
        "status": EventStatus.GO,
        "name": "Falcon 9 | Starlink 6-1",
        "since": T - 20 * HOUR,
        "provider": "SpaceX",
        "vehicle": "Falcon 9",
    }
    base.update(kw)
    return MilestoneFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("precision", "lead", "fires"),
    [
        (Precision.SECOND, 0, True),
        (Precision.MINUTE, 10 * MINUTE, True),
        (Precision.MINUTE, 14 * 24 * HOUR, True),
        (Precision.HOUR, 11 * HOUR + 59 * MINUTE, False),
        (Precision.HOUR, 12 * HOUR, True),
        (Precision.HOUR, 24 * HOUR, True),
        (Precision.DAY, 24 * HOUR, False),
        (Precision.DAY, 14 * 24 * HOUR, False),
        (Precision.MONTH, 14 * 24 * HOUR, False),
    ],
)
def test_precision_rule_minute_for_every_lead_hour_for_long_leads_never_day(
    precision: Precision, lead: int, fires: bool
) -> None:
    assert rules.lead_allowed(precision, lead) is fires


def test_each_lead_is_one_planned_alert_at_milestone_minus_lead() -> None:
    planned = rules.plan([sub()], [ms()])
    assert [(a.fire_at, a.lead) for a in planned] == [(T - HOUR, HOUR), (T - 10 * MINUTE, 10 * MINUTE)]


@pytest.mark.parametrize("status", [EventStatus.HOLD, EventStatus.TBD, EventStatus.SUCCESS, EventStatus.CANCELLED])
def test_hold_tbd_and_final_statuses_fire_nothing(status: EventStatus) -> None:
    assert rules.plan([sub()], [ms(status=status)]) == []


def test_gone_events_fire_nothing() -> None:
    assert rules.plan([sub()], [ms(gone=True)]) == []


def test_match_is_case_insensitive_anywhere_in_provider_rocket_station_mission_or_name() -> None:
    assert rules.matches(sub(match="falcon"), ms())
    assert rules.matches(sub(match="STARLINK"), ms())
    assert rules.matches(sub(match="iss", kinds=frozenset()), ms(station="International Space Station (ISS)"))
    assert not rules.matches(sub(match="electron"), ms())


def test_guild_events_only_for_subscriptions_made_in_that_guild() -> None:
    guild_event = ms(guild_id=99)
    assert rules.matches(sub(scope_guild_id=99), guild_event)
    assert not rules.matches(sub(scope_guild_id=98), guild_event)
    assert not rules.matches(sub(scope_guild_id=None), guild_event), "a DM subscription covers global data only"
    assert rules.matches(sub(scope_guild_id=None), ms())


def test_mission_subscription_covers_that_mission_only() -> None:
    mission = sub(kinds=rules.MISSION_KINDS, mission_key="launch:abc")
    assert rules.matches(mission, ms(mission_key="launch:abc"))
    assert rules.matches(mission, ms(mission_key="launch:abc", kind=MilestoneKind.DOCKING))
    assert not rules.matches(mission, ms(mission_key="launch:other"))
    assert not rules.matches(mission, ms(mission_key="launch:abc", kind=MilestoneKind.UNDOCKING))


def test_subscribing_after_a_fire_time_owes_no_alert_for_it() -> None:
    planned = rules.plan([sub(created_at=T - 30 * MINUTE)], [ms()])
    assert [a.lead for a in planned] == [10 * MINUTE]


def test_a_time_moved_earlier_owes_no_lead_whose_fire_time_had_passed_when_it_moved() -> None:
    planned = rules.plan([sub()], [ms(since=T - 45 * MINUTE)])
    assert [a.lead for a in planned] == [10 * MINUTE]


def test_two_subscriptions_of_one_user_give_one_alert_from_the_earliest() -> None:
    early = sub(id=1, created_at=T - 20 * HOUR)
    late = sub(id=2, created_at=T - 19 * HOUR, kinds=frozenset())
    planned = rules.plan([late, early], [ms()])
    assert len(planned) == 2
    assert {a.subscription_id for a in planned} == {1}


def test_fan_out_order_is_earliest_subscribed_first() -> None:
    subs = [sub(id=i, owner_id=100 + i, created_at=T - 20 * HOUR + (5 - i)) for i in range(5)]
    planned = [a for a in rules.plan(subs, [ms()]) if a.lead == HOUR]
    assert [a.recipient_id for a in planned] == [104, 103, 102, 101, 100]


def test_muted_or_paused_users_are_owed_nothing() -> None:
    assert rules.plan([sub()], [ms()], silenced={10}) == []


def test_moves_under_a_minute_keep_the_alert_already_sent() -> None:
    alert = rules.plan([sub()], [ms(at=T + 30)])[0]
    assert rules.already_covered(alert, [T])
    assert not rules.already_covered(alert, [T - 3600])
    assert rules.is_small_move(T, T + 59)
    assert not rules.is_small_move(T, T + 60)


def test_status_notices() -> None:
    assert rules.status_notice_reason(EventStatus.HOLD) == "hold"
    assert rules.status_notice_reason(EventStatus.TBD) == "tbd"
    assert rules.status_notice_reason(EventStatus.SUCCESS) == "outcome"
    assert rules.status_notice_reason(EventStatus.FAILURE) == "outcome"
    assert rules.status_notice_reason(EventStatus.GO) is None


def brute_force_plan(
    subs: list[Subscription], milestones: list[MilestoneFacts], low: int, high: int
) -> dict[tuple[int, int, int, int], int]:
    """The plan read straight off the rules, every subscription against every milestone: key -> subscription."""
    best: dict[tuple[int, int, int, int], tuple[int, int]] = {}
    for m in milestones:
        for s in subs:
            for lead in s.leads:
                fire = m.at - lead
                if m.gone or not rules.status_allows(m.status) or not rules.lead_allowed(m.precision, lead):
                    continue
                if not low <= fire <= high or not rules.owed(s, m, lead) or not rules.matches(s, m):
                    continue
                key = (s.owner_id, m.milestone_id, lead, m.at)
                best[key] = min(best.get(key, (s.created_at, s.id)), (s.created_at, s.id))
    return {key: sub_id for key, (_, sub_id) in best.items()}


def test_the_plan_is_every_rule_applied_to_every_pair_however_it_indexes_them() -> None:
    # plan() looks only at subscriptions of a milestone's kind and looks each text up once per milestone: the
    # result must be the one the rules give pair by pair.
    rnd = random.Random(4)
    kinds = list(MilestoneKind)
    texts = [None, None, "spacex", "FALCON", "station", "tiangong", "Starlink", "x"]
    subs = [
        sub(
            id=i, owner_id=rnd.randrange(40), created_at=T - rnd.randrange(-5, 30) * HOUR,
            kinds=frozenset(rnd.sample(kinds, rnd.choice([0, 1, 1, 2]))),
            leads=tuple(rnd.sample([0, 10 * MINUTE, HOUR, 24 * HOUR], rnd.randint(1, 3))),
            match=rnd.choice(texts), scope_guild_id=rnd.choice([None, 7]),
            mission_key=rnd.choice([None, None, None, "m1"]),
        )
        for i in range(300)
    ]  # fmt: skip
    milestones = [
        ms(
            milestone_id=i, event_id=i // 2, kind=rnd.choice(kinds), at=T + rnd.randrange(-3, 40) * HOUR,
            status=rnd.choice([EventStatus.GO, EventStatus.GO, EventStatus.TBD]),
            name=rnd.choice(["Falcon 9 | Starlink", "Tiangong docking", "Long March 2D | Yaogan"]),
            provider=rnd.choice(["SpaceX", None, "CASC"]), station=rnd.choice([None, "Tiangong Space Station"]),
            guild_id=rnd.choice([None, None, 7, 8]), mission_key=rnd.choice([None, "m1", "m2"]),
            precision=rnd.choice([Precision.MINUTE, Precision.HOUR]),
        )
        for i in range(60)
    ]  # fmt: skip
    low, high = T, T + 30 * HOUR
    planned = rules.plan(subs, milestones, silenced={3}, fire_from=low, fire_until=high)
    expected = brute_force_plan([s for s in subs if s.owner_id != 3], milestones, low, high)
    assert len(expected) > 100  # a real mix, not an empty plan
    assert {a.key: a.subscription_id for a in planned} == expected

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


def test_a_move_of_exactly_a_minute_is_not_covered_by_the_alert_already_sent() -> None:
    alert = rules.plan([sub()], [ms(at=T + 60)])[0]
    assert not rules.already_covered(alert, [T])
    assert rules.already_covered(alert, [T + 1])


@pytest.mark.parametrize(
    ("sent_after_fire", "late"), [(-30, False), (0, False), (59, False), (60, False), (61, True), (3600, True)]
)
def test_an_alert_says_late_only_when_sent_more_than_a_minute_after_its_fire_time(
    sent_after_fire: int, late: bool
) -> None:
    fire_at = T - HOUR
    assert rules.is_late(fire_at, fire_at + sent_after_fire) is late


@pytest.mark.parametrize(
    ("now_after_milestone", "over"), [(-HOUR, False), (-1, False), (0, False), (59, False), (60, True), (61, True)]
)
def test_a_milestone_is_over_a_minute_after_its_time_so_an_at_the_time_alert_still_goes(
    now_after_milestone: int, over: bool
) -> None:
    assert rules.is_over(T, T + now_after_milestone) is over


def test_an_alert_me_on_an_event_without_mission_covers_that_event_only() -> None:
    button = sub(kinds=rules.MISSION_KINDS, event_id=50)
    assert rules.matches(button, ms(event_id=50))
    assert not rules.matches(button, ms(event_id=51))
    assert rules.plan([button], [ms(event_id=51, milestone_id=6)]) == []


def test_subscribing_exactly_at_a_fire_time_still_owes_that_alert() -> None:
    planned = rules.plan([sub(created_at=T - HOUR)], [ms()])
    assert [a.lead for a in planned] == [HOUR, 10 * MINUTE]


def test_a_time_set_exactly_at_a_fire_time_still_owes_that_alert() -> None:
    planned = rules.plan([sub()], [ms(since=T - HOUR)])
    assert [a.lead for a in planned] == [HOUR, 10 * MINUTE]


def test_without_a_window_every_owed_alert_is_planned_however_far_in_the_past_or_future() -> None:
    sputnik = -386_310_686  # 1957-10-04 19:28:34 UTC
    year_2199 = 7_258_118_400
    subscription = sub(created_at=sputnik - 10 * HOUR)
    planned = rules.plan(
        [subscription],
        [ms(milestone_id=1, at=sputnik, since=sputnik - 20 * HOUR), ms(milestone_id=2, at=year_2199)],
    )
    assert [(a.milestone_id, a.lead) for a in planned] == [(1, HOUR), (1, 10 * MINUTE), (2, HOUR), (2, 10 * MINUTE)]


def test_a_window_includes_alerts_firing_exactly_at_either_end() -> None:
    planned = rules.plan([sub()], [ms()], fire_from=T - HOUR, fire_until=T - 10 * MINUTE)
    assert [a.lead for a in planned] == [HOUR, 10 * MINUTE]
    assert [a.lead for a in rules.plan([sub()], [ms()], fire_from=T - HOUR + 1, fire_until=T)] == [10 * MINUTE]
    assert [a.lead for a in rules.plan([sub()], [ms()], fire_until=T - 10 * MINUTE - 1)] == [HOUR]


def test_a_silent_milestone_does_not_stop_the_plan_for_the_milestones_after_it() -> None:
    held = ms(milestone_id=1, status=EventStatus.HOLD)
    gone = ms(milestone_id=2, gone=True)
    go = ms(milestone_id=3)
    assert {a.milestone_id for a in rules.plan([sub()], [held, gone, go])} == {3}


def test_a_milestone_with_no_lead_in_the_window_does_not_stop_the_plan_for_the_next() -> None:
    far = ms(milestone_id=1, at=T + 30 * 24 * HOUR)
    vague = ms(milestone_id=2, precision=Precision.DAY)
    near = ms(milestone_id=3)
    planned = rules.plan([sub()], [far, vague, near], fire_from=T - 2 * HOUR, fire_until=T)
    assert {a.milestone_id for a in planned} == {3}


def test_a_subscription_that_does_not_match_does_not_stop_the_ones_after_it() -> None:
    docking_fan = sub(id=1, owner_id=11, kinds=frozenset({MilestoneKind.DOCKING}))
    owes_nothing_yet = sub(id=2, owner_id=12, created_at=T + 1)
    liftoff_fan = sub(id=3, owner_id=13)
    planned = rules.plan([docking_fan, owes_nothing_yet, liftoff_fan], [ms()])
    assert {a.recipient_id for a in planned} == {13}


def test_a_subscription_for_another_kind_is_owed_nothing_though_its_leads_are_due() -> None:
    assert rules.plan([sub(kinds=frozenset({MilestoneKind.DOCKING}))], [ms()]) == []
    assert rules.plan([sub(match="electron")], [ms()]) == []


def test_hour_precision_in_a_plan_fires_the_long_leads_only() -> None:
    subscription = sub(leads=(24 * HOUR, 12 * HOUR, HOUR), created_at=T - 30 * HOUR)
    planned = rules.plan([subscription], [ms(precision=Precision.HOUR, since=T - 30 * HOUR)])
    assert [a.lead for a in planned] == [24 * HOUR, 12 * HOUR]


@pytest.mark.parametrize("order", ["earliest first", "earliest last"])
def test_the_earliest_made_subscription_gives_the_alert_whatever_order_they_come_in(order: str) -> None:
    early = sub(id=7, created_at=T - 20 * HOUR)
    late = sub(id=3, created_at=T - 19 * HOUR, kinds=frozenset())
    same_time_higher_id = sub(id=9, created_at=T - 20 * HOUR)
    subs = [early, late, same_time_higher_id] if order == "earliest first" else [same_time_higher_id, late, early]
    planned = rules.plan(subs, [ms()])
    assert [(a.subscription_id, a.subscribed_at) for a in planned] == [(7, T - 20 * HOUR)] * 2

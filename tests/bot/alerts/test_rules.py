"""The rules of bot/alerts/rules.py: match, precision, status, owed, once."""

from __future__ import annotations

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

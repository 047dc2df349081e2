"""The mirror's pure rules: which milestones a guild shows, and how an event is worded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.db.guild_events import Candidate, Mirror
from bot.guild_events import DESCRIPTION_MAX, NAME_MAX, desired, wanted
from bot.models import EventStatus, MilestoneKind, Precision

NOW = 1_900_000_000
DAY = 86_400
GUILD = 42


def candidate(**changes: object) -> Candidate:
    base = Candidate(
        milestone_id=7,
        kind=MilestoneKind.LIFTOFF,
        at=NOW + DAY,
        precision=Precision.MINUTE,
        status=EventStatus.GO,
        gone=False,
        guild_id=None,
        name="Falcon 9 | Starlink",
        provider="SpaceX",
        vehicle="Falcon 9",
        mission="Starlink",
        station=None,
        location="SLC-40",
        description=None,
        webcast_urls=(),
        window_end=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


MIRROR = Mirror(GUILD, 7, "liftoff and docking", None, 1, None)


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({}, True),
        ({"precision": Precision.HOUR}, True),
        ({"precision": Precision.DAY}, False),
        ({"status": EventStatus.TBD}, False),
        ({"status": EventStatus.HOLD}, False),
        ({"status": EventStatus.SUCCESS}, False),
        ({"gone": True}, False),
        ({"at": NOW + 8 * DAY}, False),
        ({"kind": MilestoneKind.SPACEWALK}, False),
        ({"kind": MilestoneKind.DOCKING}, True),
        ({"guild_id": GUILD}, True),
        ({"guild_id": GUILD + 1}, False),
    ],
)
def test_which_milestones_a_guild_mirrors(changes: dict[str, object], shown: bool) -> None:
    assert (7 in wanted([candidate(**changes)], MIRROR, NOW)) is shown


def test_match_looks_at_provider_rocket_mission_and_name() -> None:
    rocket_lab = replace(MIRROR, match="rocket lab")
    assert wanted([candidate()], rocket_lab, NOW) == {}
    assert 7 in wanted([candidate(provider="Rocket Lab")], rocket_lab, NOW)


def test_long_upstream_text_fits_discords_limits_and_keeps_the_marker() -> None:
    d = desired(candidate(name="X" * 300, description="y" * 5_000, location="z" * 300))
    assert len(d.name) <= NAME_MAX
    assert len(d.description) <= DESCRIPTION_MAX
    assert d.description.endswith("tminus:m7")
    assert len(d.location) <= 100


def test_location_is_the_webcast_else_the_pad() -> None:
    assert desired(candidate(webcast_urls=("https://x.test/live",))).location == "https://x.test/live"
    assert desired(candidate()).location == "SLC-40"


def test_a_launch_window_sets_the_end_time() -> None:
    d = desired(candidate(window_end=NOW + DAY + 2 * 3_600))
    assert d.end == NOW + DAY + 2 * 3_600
    assert desired(candidate()).end == NOW + DAY + 3_600

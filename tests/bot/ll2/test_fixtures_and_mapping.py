"""The fixtures match the vendored LL2 2.3.0 schema, and each LL2 field maps to the right domain field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.ll2 import mapping
from bot.ll2 import records as r
from bot.models import EventStatus, EventType, MilestoneKind, Precision, Source
from tests.bot.ll2.conftest import CREW1, PROGRESS
from tests.fakell2.server import DATA, load_fixture
from tests.fakell2.spec import SPEC_PATH, errors

SCHEMAS = {
    "launches.json": "PaginatedLaunchNormalList",
    "events.json": "PaginatedEventEndpointNormalList",
    "docking_events.json": "PaginatedDockingEventEndpointNormalList",
}


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.json")))
def test_every_fixture_is_valid_ll2_2_3_0(name: str) -> None:
    payload = load_fixture(name)
    schema = SCHEMAS.get(name, "LaunchNormal")
    assert errors(schema, payload) == []
    if name.startswith("launch_detail_"):
        # Detailed launches add vid_urls to the normal fields; each stream must be a valid VidURL.
        for vid in payload["vid_urls"]:
            assert errors("VidURL", vid) == []


def test_schema_check_catches_drift() -> None:
    launches = load_fixture("launches.json")
    del launches["results"][0]["slug"]
    launches["results"][1]["net"] = "2020-09-30 00:00"
    found = errors("PaginatedLaunchNormalList", launches)
    assert any("slug" in e for e in found)
    assert any("date-time" in e for e in found)


def test_vendored_schema_records_source_and_corrections() -> None:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert spec["info"]["version"] == "v2.3.0"
    assert "DockingLocation.spacecraft nullable" in spec["info"]["x-tminus-corrections"]
    readme = (SPEC_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "504006e2" in readme


def test_throttle_answer_of_the_fake_matches_the_schema() -> None:
    item = {"your_request_limit": 15, "limit_frequency_secs": 3600, "current_use": 3, "next_use_secs": 0, "ident": "x"}
    assert errors("APIThrottle", item) == []


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        ({"id": 0, "name": "Second"}, Precision.SECOND),
        ({"id": 1, "name": "Minute", "abbrev": "MIN"}, Precision.MINUTE),
        ({"id": 2, "name": "Hour"}, Precision.HOUR),
        ({"id": 3, "name": "Morning (local time)"}, Precision.DAY),
        ({"id": 4, "name": "Afternoon (local time)"}, Precision.DAY),
        ({"id": 5, "name": "Day", "abbrev": "DAY"}, Precision.DAY),
        ({"id": 6, "name": "Week"}, Precision.WEEK),
        ({"id": 7, "name": "Month", "abbrev": "M"}, Precision.MONTH),
        ({"id": 8, "name": "Quarter (Q1)"}, Precision.QUARTER),
        ({"id": 11, "name": "Quarter (Q4)"}, Precision.QUARTER),
        ({"id": 12, "name": "Half (H1)"}, Precision.HALF_YEAR),
        ({"id": 14, "name": "Year"}, Precision.YEAR),
        ({"id": 15, "name": "Fiscal Year"}, Precision.YEAR),
        ({"id": 99, "name": "Fortnight"}, Precision.DAY),
        ({"id": 99, "name": "Month-ish"}, Precision.MONTH),
    ],
)
def test_net_precision_maps_to_precision(precision: dict[str, Any], expected: Precision) -> None:
    assert mapping.precision_of(r.Named.model_validate(precision), default=Precision.MINUTE) is expected


@pytest.mark.parametrize(
    ("status_id", "expected"),
    [
        (1, EventStatus.GO),
        (2, EventStatus.TBD),
        (3, EventStatus.SUCCESS),
        (4, EventStatus.FAILURE),
        (5, EventStatus.HOLD),
        (6, EventStatus.IN_FLIGHT),
        (7, EventStatus.PARTIAL_FAILURE),
        (8, EventStatus.TBC),
        (9, EventStatus.PAYLOAD_DEPLOYED),
        (42, EventStatus.TBD),
    ],
)
def test_launch_status_ids(status_id: int, expected: EventStatus) -> None:
    assert mapping.status_of(r.Named(id=status_id, name="x")) is expected


def _launch(launch_id: str) -> dict[str, Any]:
    return copy.deepcopy(next(x for x in load_fixture("launches.json")["results"] if x["id"] == launch_id))


def test_progress_launch_maps_every_field() -> None:
    event = mapping.map_launch(r.Launch.model_validate(_launch(PROGRESS)))
    assert event.source is Source.LL2
    assert event.source_id == f"launch:{PROGRESS}"
    assert event.type is EventType.LAUNCH
    assert event.name == "Soyuz 2.1a | Progress MS-15 (76P)"
    assert event.status is EventStatus.GO
    liftoff = event.milestone(MilestoneKind.LIFTOFF)
    assert liftoff is not None
    assert liftoff.at == datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)
    assert liftoff.precision is Precision.MINUTE
    assert event.milestone(MilestoneKind.COVERAGE_START) is None  # mode=normal carries no vid_urls
    assert event.mission_key == f"ll2-launch:{PROGRESS}"
    assert event.provider == "Russian Federal Space Agency (ROSCOSMOS)"
    assert event.vehicle == "Soyuz 2.1A"
    assert event.mission == "Progress MS-15 (76P)"
    assert event.location == "31/6, Baikonur Cosmodrome, Republic of Kazakhstan"
    assert event.location_tz == "Asia/Qyzylorda"
    assert event.description is not None
    assert event.description.startswith("The Progress resupply vehicle")
    assert event.image_url is not None
    assert event.image_url.endswith("soyuz_2.1a_image_20201013143850.jpg")
    assert event.window_start == event.window_end == liftoff.at
    assert event.last_updated == datetime(2020, 7, 20, 10, tzinfo=UTC)


def test_baikonur_is_kyzylorda_even_when_ll2_says_otherwise() -> None:
    raw = _launch(PROGRESS)
    raw["pad"]["location"]["timezone_name"] = "Asia/Almaty"
    assert mapping.map_launch(r.Launch.model_validate(raw)).location_tz == "Asia/Qyzylorda"


def test_month_precision_net_stays_a_month() -> None:
    event = mapping.map_launch(r.Launch.model_validate(_launch(CREW1)))
    liftoff = event.milestone(MilestoneKind.LIFTOFF)
    assert liftoff is not None
    assert (liftoff.at, liftoff.precision) == (datetime(2020, 9, 30, tzinfo=UTC), Precision.MONTH)
    assert event.status is EventStatus.TBD
    assert event.location_tz == "America/New_York"


@pytest.mark.parametrize(("status_id", "expected"), [(1, Precision.MINUTE), (2, Precision.DAY)])
def test_missing_net_precision_is_minute_only_when_go(status_id: int, expected: Precision) -> None:
    raw = _launch(PROGRESS)
    raw["net_precision"] = None
    raw["status"] = {"id": status_id, "name": "x"}
    liftoff = mapping.map_launch(r.Launch.model_validate(raw)).milestone(MilestoneKind.LIFTOFF)
    assert liftoff is not None
    assert liftoff.precision is expected


def test_detail_gives_coverage_start_from_main_stream() -> None:
    detail = load_fixture(f"launch_detail_{PROGRESS}.json")
    detail["vid_urls"].reverse()  # order in the list must not matter, priority does
    event = mapping.map_launch(r.Launch.model_validate(detail))
    coverage = event.milestone(MilestoneKind.COVERAGE_START)
    assert coverage is not None
    assert coverage.at == datetime(2020, 7, 23, 13, 56, tzinfo=UTC)
    assert event.webcast_urls[0] == "https://www.youtube.com/watch?v=21X5lGlDOfg"
    assert event.status is EventStatus.SUCCESS


def test_docking_maps_and_links_to_the_chasers_launch() -> None:
    raw = load_fixture("docking_events.json")["results"][0]
    event = mapping.map_docking(r.Docking.model_validate(raw))
    assert event.source_id == "docking:239"
    assert event.type is EventType.DOCKING
    assert event.name == "Progress MS-15 docking to International Space Station"
    assert event.mission_key == f"ll2-launch:{PROGRESS}"
    assert event.station == "International Space Station"
    assert event.location == "Pirs nadir"
    assert event.vehicle == "Progress MS-15"
    assert event.provider == "Russian Federal Space Agency (ROSCOSMOS)"
    docking = event.milestone(MilestoneKind.DOCKING)
    assert docking is not None
    assert docking.at == datetime(2020, 7, 23, 17, 49, tzinfo=UTC)
    assert event.milestone(MilestoneKind.UNDOCKING) is None


def test_docking_departure_becomes_undocking_and_null_slots_are_fine() -> None:
    raw = load_fixture("docking_events.json")["results"][0]
    raw["departure"] = "2020-12-01T10:00:00Z"
    raw["space_station_target"] = None
    raw["flight_vehicle_chaser"]["launch"] = None
    event = mapping.map_docking(r.Docking.model_validate(raw))
    undocking = event.milestone(MilestoneKind.UNDOCKING)
    assert undocking is not None
    assert undocking.at == datetime(2020, 12, 1, 10, tzinfo=UTC)
    assert event.station == "International Space Station"  # from the docking location
    assert event.mission_key is None


@pytest.mark.parametrize(
    ("type_id", "event_type", "kind"),
    [
        (2, EventType.DOCKING, MilestoneKind.DOCKING),
        (3, EventType.SPACEWALK, MilestoneKind.SPACEWALK),
        (4, EventType.BERTHING, MilestoneKind.BERTHING),
        (8, EventType.UNDOCKING, MilestoneKind.UNDOCKING),
        (25, EventType.RELOCATION, MilestoneKind.RELOCATION),
        (20, EventType.OTHER, MilestoneKind.OTHER),
    ],
)
def test_event_type_gives_milestone_kind(type_id: int, event_type: EventType, kind: MilestoneKind) -> None:
    raw = load_fixture("events.json")["results"][0]
    raw["type"] = {"id": type_id, "name": "x"}
    event = mapping.map_event(r.Event.model_validate(raw))
    assert event is not None
    assert event.type is event_type
    assert event.milestone(kind) is not None


def test_station_event_maps_with_webcast_start() -> None:
    raw = load_fixture("events.json")["results"][0]
    event = mapping.map_event(r.Event.model_validate(raw))
    assert event is not None
    assert event.source_id == "event:111"
    assert event.name == "Progress MS-15 Docking"
    assert event.status is EventStatus.SCHEDULED
    assert event.station == "International Space Station"
    coverage = event.milestone(MilestoneKind.COVERAGE_START)
    assert coverage is not None
    assert coverage.at == datetime(2020, 7, 23, 17, 15, tzinfo=UTC)
    assert event.webcast_urls == ("https://www.youtube.com/watch?v=21X5lGlDOfg",)


def test_bad_records_are_skipped_and_the_rest_kept(caplog: pytest.LogCaptureFixture) -> None:
    page = load_fixture("launches.json")
    page["results"][0]["net"] = None  # net is not required by the schema; we need it
    page["results"].append({"id": "no-name"})
    page["results"].append("not an object")
    page["results"][1]["brand_new_field"] = {"x": 1}  # unknown fields are fine
    parsed = r.parse_page(page, r.Launch, what="launch")
    assert [x.id for x in parsed.records] == [CREW1]
    assert parsed.skipped == 3
    assert PROGRESS in parsed.seen_ids
    assert f"id='{PROGRESS}'" in caplog.text


@pytest.mark.parametrize("bad_id", ["", "progress-87", "42", f"{PROGRESS}x", PROGRESS.replace("-", "")])
def test_a_launch_id_that_is_not_a_uuid_makes_a_bad_record(bad_id: str) -> None:
    # Read as a new launch, such an id would make the launch it replaced look withdrawn (found by hypothesis).
    page = load_fixture("launches.json")
    page["results"][0]["id"] = bad_id
    parsed = r.parse_page(page, r.Launch, what="launch")
    assert [x.id for x in parsed.records] == [CREW1]
    assert parsed.skipped == 1


def test_naive_datetimes_are_rejected() -> None:
    raw = _launch(PROGRESS)
    raw["net"] = "2020-07-23T14:26:22"
    with pytest.raises(ValueError, match="timezone"):
        r.Launch.model_validate(raw)


@pytest.mark.parametrize("payload", [None, [], {"count": 1}, {"results": "x"}, "<html>"])
def test_wholly_invalid_list_raises(payload: object) -> None:
    with pytest.raises(r.BadResponseError):
        r.parse_page(payload, r.Launch, what="launch")


def test_fixture_data_dir_holds_the_cli_layout() -> None:
    assert {p.name for p in Path(DATA).glob("*.json")} >= set(SCHEMAS)


@pytest.mark.parametrize("name", ["America", "../../etc/passwd", "Mars/Olympus", ""])
def test_a_pad_zone_that_names_no_zone_is_dropped_not_crashed_on(name: str) -> None:
    raw = _launch(CREW1)
    raw["pad"]["location"]["timezone_name"] = name
    assert mapping.map_launch(r.Launch.model_validate(raw)).location_tz is None

"""Normal-mode launches can carry their webcasts in ``mission.vid_urls``: coverage starts are read from there too."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.db import Database
from bot.db.events import get_event_by_source
from bot.ll2 import mapping
from bot.ll2 import records as r
from bot.ll2.sync import DirectoryFetcher, LL2Sync
from bot.models import MilestoneKind, Source
from tests.bot.ll2.conftest import PROGRESS
from tests.fakell2.server import load_fixture
from tests.fakell2.spec import errors

MAIN_START = datetime(2020, 7, 23, 13, 56, tzinfo=UTC)


def streams() -> list[dict[str, Any]]:
    """The Progress launch's two real-shaped streams (main with a start time, secondary without)."""
    return copy.deepcopy(load_fixture(f"launch_detail_{PROGRESS}.json")["vid_urls"])


def launches_with_mission_streams(vids: list[dict[str, Any]]) -> dict[str, Any]:
    page = load_fixture("launches.json")
    progress = next(x for x in page["results"] if x["id"] == PROGRESS)
    progress["mission"]["vid_urls"] = vids
    assert errors("PaginatedLaunchNormalList", page) == []  # still what LL2 2.3.0 may send
    return page


def progress_of(page: dict[str, Any]) -> r.Launch:
    return r.Launch.model_validate(next(x for x in page["results"] if x["id"] == PROGRESS))


def test_coverage_start_from_mission_vid_urls_in_normal_mode() -> None:
    vids = streams()
    vids.reverse()  # order does not matter: the lowest priority with a start time does
    event = mapping.map_launch(progress_of(launches_with_mission_streams(vids)))
    coverage = event.milestone(MilestoneKind.COVERAGE_START)
    assert coverage is not None
    assert coverage.at == MAIN_START
    assert event.webcast_urls == (
        "https://www.youtube.com/watch?v=21X5lGlDOfg",
        "https://www.youtube.com/watch?v=example-secondary",
    )


def test_lowest_priority_with_a_start_wins_across_both_lists() -> None:
    page = launches_with_mission_streams(streams())
    raw = next(x for x in page["results"] if x["id"] == PROGRESS)
    earlier = copy.deepcopy(raw["mission"]["vid_urls"][0])
    earlier.update(priority=1, url="https://example.org/first", start_time="2020-07-23T13:40:00Z")
    raw["vid_urls"] = [earlier]  # as a detailed record would carry it
    event = mapping.map_launch(r.Launch.model_validate(raw))
    coverage = event.milestone(MilestoneKind.COVERAGE_START)
    assert coverage is not None
    assert coverage.at == datetime(2020, 7, 23, 13, 40, tzinfo=UTC)
    assert event.webcast_urls[0] == "https://example.org/first"


def test_no_start_time_anywhere_gives_no_coverage_start() -> None:
    vids = streams()
    for vid in vids:
        vid["start_time"] = None
    event = mapping.map_launch(progress_of(launches_with_mission_streams(vids)))
    assert event.milestone(MilestoneKind.COVERAGE_START) is None
    assert len(event.webcast_urls) == 2


@pytest.mark.parametrize("twice", [False, True])
async def test_offline_sync_of_normal_mode_files_knows_coverage_starts(tmp_path: Path, twice: bool) -> None:
    folder = tmp_path / "ll2"
    folder.mkdir()
    (folder / "launches.json").write_text(json.dumps(launches_with_mission_streams(streams())), encoding="utf-8")
    empty = json.dumps({"count": 0, "next": None, "previous": None, "results": []})
    for name in ("events.json", "docking_events.json"):  # every list must be there: empty ones too
        (folder / name).write_text(empty, encoding="utf-8")
    settings = Settings(db_path=tmp_path / "s.sqlite3", _env_file=None)  # type: ignore[call-arg]
    async with Database(settings.db_path) as db:
        sync = LL2Sync(
            db, None, settings, None, fetcher=DirectoryFetcher(folder), now=lambda: MAIN_START.replace(day=20)
        )
        report = await sync.sync_once()
        assert report.ok
        if twice:  # a second list sync keeps it (and does not add a second coverage milestone)
            assert (await sync.sync_once()).ok
        stored = await get_event_by_source(db, Source.LL2, f"launch:{PROGRESS}")
        assert stored is not None
        coverage = stored.event.milestone(MilestoneKind.COVERAGE_START)
        assert coverage is not None
        assert coverage.at == MAIN_START

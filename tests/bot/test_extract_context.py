"""Issue 12 for ``extract``: date and zone context, slips, kinds, lost sentences, the field corpus, linear reading.

Each family the issue names has its example and at least one other member here.
"""

from __future__ import annotations

import sys
from datetime import date
from types import FrameType
from typing import Any

import pytest

from bot.extract import Extracted, extract_milestones, extract_with_problems
from bot.models import isoformat_z
from tests.bot.extract_scores import FIELD, load_cases, score


def _summary(found: list[Extracted]) -> list[tuple[str, str]]:
    return [(item.kind.value, isoformat_z(item.utc)) for item in found]


def _current(found: list[Extracted]) -> list[tuple[str, str]]:
    return sorted(_summary([f for f in found if not f.superseded]))


# --- date context ---------------------------------------------------------------------------------------------

ADVISORY = """NASA's coverage is as follows (all times Eastern):

Tuesday, Sept. 9
6:30 p.m. \u2013 Undocking coverage begins (undocking at 7:02 p.m.)

Wednesday, Sept. 10
2:30 a.m. \u2013 Return coverage begins (splashdown at approximately 3:33 a.m.)
"""


def test_schedule_times_take_the_date_heading_above_them() -> None:
    found = extract_milestones(ADVISORY, published=date(2025, 9, 5))
    assert _summary(found) == [
        ("coverage_start", "2025-09-09T22:30:00Z"),
        ("undocking", "2025-09-09T23:02:00Z"),
        ("coverage_start", "2025-09-10T06:30:00Z"),
        ("landing", "2025-09-10T07:33:00Z"),
    ]
    assert {(f.date_source, f.zone_source) for f in found} == {("heading", "note")}
    assert not any(f.date_assumed or f.zone_assumed for f in found)


def test_a_day_named_once_dates_later_paragraphs() -> None:
    text = (
        "HTV-X is set to lift off Thursday, Oct. 2 from Tanegashima.\n\n"
        "The spacecraft will then chase the station for four days.\n\n"
        "NASA's rendezvous coverage starts at 9 p.m. EDT."
    )
    liftoff_day, coverage = extract_milestones(text, published=date(2025, 9, 29))
    assert (liftoff_day.kind.value, liftoff_day.day) == ("liftoff", date(2025, 10, 2))
    assert (coverage.kind.value, isoformat_z(coverage.utc)) == ("coverage_start", "2025-10-03T01:00:00Z")
    assert (coverage.date_source, coverage.date_assumed) == ("earlier", False)


def test_a_day_named_earlier_in_the_sentence_dates_a_later_bare_time() -> None:
    text = "The capsule is due to dock on Tuesday (Nov. 5) at 10:15 a.m. EST, and NASA will begin coverage at 8:30 a.m."
    found = extract_milestones(text, published=date(2024, 11, 4))
    assert sorted(_summary(found)) == [("coverage_start", "2024-11-05T13:30:00Z"), ("docking", "2024-11-05T15:15:00Z")]
    coverage = next(f for f in found if f.kind.value == "coverage_start")
    assert (coverage.date_source, coverage.zone_source) == ("sentence", "sentence")


def test_a_day_from_a_past_report_is_not_carried_and_the_time_says_its_date_was_assumed() -> None:
    text = "Progress 86 launched on Dec. 1. It will undock at 9:10 a.m. EST."
    (item,) = extract_milestones(text, published=date(2024, 2, 12))
    assert isoformat_z(item.utc) == "2024-02-12T14:10:00Z"
    assert (item.date_assumed, item.date_source) == (True, "published")


def test_a_dateline_date_is_the_day_of_writing_not_the_day_of_the_event() -> None:
    text = "MOSCOW, September 20. /TASS/. The Soyuz MS-25 spacecraft will undock at 11:37 Moscow time."
    (item,) = extract_milestones(text, published=date(2024, 9, 20))
    assert item.date_assumed


# --- zone context ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("All times are Eastern.", "2025-01-16T12:00:00Z"),
        ("Coverage schedule (all times CDT):", "2025-01-16T12:00:00Z"),
        ("(times in UTC)", "2025-01-16T07:00:00Z"),
        ("All times EST.", "2025-01-16T12:00:00Z"),
    ],
)
def test_a_zone_note_anywhere_governs_every_bare_time(note: str, expected: str) -> None:
    text = f"The spacewalk is scheduled to begin at 7 a.m. Thursday, Jan. 16.\n\n{note}"
    (item,) = extract_milestones(text, published=date(2025, 1, 10), tz="Europe/Berlin")
    assert isoformat_z(item.utc) == expected
    assert (item.zone_source, item.zone_assumed) == ("note", False)


def test_zone_notes_that_disagree_are_reported_and_not_used() -> None:
    text = "(all times Eastern)\nThe spacewalk begins at 7 a.m. Jan. 16, 2025.\n(all times Central)"
    found, problems = extract_with_problems(text, published=date(2025, 1, 10))
    assert any("disagree" in p for p in problems)
    assert found[0].zone_assumed


def test_a_zone_named_earlier_is_used_for_later_bare_times() -> None:
    text = (
        "The spacewalk on May 1 is scheduled to begin at 17:00 Moscow time. "
        "Live coverage on the Roscosmos website will start at 16:30."
    )
    found = extract_milestones(text, published=date(2025, 4, 25))
    coverage = next(f for f in found if f.kind.value == "coverage_start")
    assert isoformat_z(coverage.utc) == "2025-05-01T13:30:00Z"
    assert (coverage.zone_source, coverage.zone_assumed) == ("earlier", False)


def test_a_zone_named_later_in_the_sentence_covers_a_bare_time_before_it() -> None:
    text = "The launch window opens at 6 a.m. and runs until 9 a.m. EDT on Friday, Oct. 4."
    assert _summary(extract_milestones(text, published=date(2024, 10, 3))) == [("liftoff", "2024-10-04T10:00:00Z")]


def test_a_bare_time_with_no_zone_anywhere_is_flagged() -> None:
    (item,) = extract_milestones("Docking is set for 3:10 a.m. on Aug. 6, 2024.", published=date(2024, 8, 1))
    assert (item.zone_assumed, item.zone_source, item.date_assumed) == (True, "reader", False)


# --- slips ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "new", "old"),
    [
        (  # the example: "to" was taken as a window end and the old time kept
            "The launch was delayed from 1:09 p.m. PST on Jan. 13 to 11:09 a.m. PST on Jan. 14.",
            "2025-01-14T19:09:00Z",
            "2025-01-13T21:09:00Z",
        ),
        (
            "Liftoff has been moved from 15:00 to 16:00 local time (19:00 UTC) on 9 July in Kourou.",
            "2025-07-09T19:00:00Z",
            "2025-07-09T18:00:00Z",
        ),
        (
            "SpaceX now targets 11:56 a.m. PDT Friday, Aug. 16, for launch, a day later than the previously "
            "planned 11:56 a.m. PDT Thursday, Aug. 15.",
            "2024-08-16T18:56:00Z",
            "2024-08-15T18:56:00Z",
        ),
        (
            "The launch, earlier scheduled at 17:40 hrs UTC on July 29, has been rescheduled to 17:40 hrs UTC on "
            "July 30.",
            "2025-07-30T17:40:00Z",
            "2025-07-29T17:40:00Z",
        ),
        (
            "Roscosmos postponed the launch from 05:22 GMT on Nov. 21 to 01:58 GMT on Nov. 22.",
            "2024-11-22T01:58:00Z",
            "2024-11-21T05:22:00Z",
        ),
    ],
)
def test_a_slip_keeps_the_new_time_and_marks_the_old_one_superseded(text: str, new: str, old: str) -> None:
    published = date(2025, 1, 10) if "Jan." in text else date(2025, 7, 5) if "July" in text else date(2024, 8, 14)
    if "Nov." in text:
        published = date(2024, 11, 19)
    found = extract_milestones(text, published=published)
    assert [isoformat_z(f.utc) for f in found if not f.superseded] == [new]
    assert [isoformat_z(f.utc) for f in found if f.superseded] == [old]


# --- kinds ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The spacecraft should arrive at the orbiting laboratory about 3:40 a.m. EDT on Aug. 25, 2025.", "docking"),
        ("The capsule is due to reach the station at about 8:20 a.m. EDT on April 22, 2025.", "docking"),
        ("T-0 is set for 9:42 p.m. ET on Oct. 14, 2025.", "liftoff"),
        ("The Shenzhou-19 spaceship will be launched at 4:27 a.m. on Oct. 30, 2025 (Beijing Time).", "liftoff"),
        ("Coverage of the spacewalk will begin at 5:30 a.m. EST on Jan. 16, 2025.", "coverage_start"),
        ("Follow the launch live on ESA Web TV from 21:55 CET on Dec. 5, 2025.", "coverage_start"),
    ],
)
def test_kind_words_of_real_announcements(text: str, expected: str) -> None:
    (item,) = extract_milestones(text, published=date(2025, 1, 1))
    assert item.kind.value == expected
    assert not item.past


def test_coverage_lines_are_coverage_starts_and_their_brackets_are_the_milestone() -> None:
    text = (
        "Sunday, Aug. 24\n"
        "2:25 a.m. \u2013 Launch coverage begins (liftoff at 2:45 a.m.)\n"
        "Monday, Aug. 25\n"
        "6 a.m. \u2013 Docking coverage begins\n"
        "8:45 p.m. \u2013 Undocking (9:08 p.m.) coverage\n"
        "All times EDT."
    )
    assert _summary(extract_milestones(text, published=date(2025, 8, 20))) == [
        ("coverage_start", "2025-08-24T06:25:00Z"),
        ("liftoff", "2025-08-24T06:45:00Z"),
        ("coverage_start", "2025-08-25T10:00:00Z"),
        ("coverage_start", "2025-08-26T00:45:00Z"),
        ("undocking", "2025-08-26T01:08:00Z"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "4:45 a.m. \u2013 Hatch opening coverage begins",
        "4:15 p.m. \u2013 Hatch closing coverage begins (hatch closing at 4:45 p.m.)",
        "5:30 p.m. \u2013 Farewells and hatch closure (6 p.m.) coverage",
        "11 a.m. \u2013 Video File of the undocking and landing",
    ],
)
def test_hatch_and_video_file_lines_are_neither_coverage_nor_milestones(line: str) -> None:
    assert extract_milestones(f"Friday, Aug. 1\n{line}\nAll times EDT.", published=date(2025, 7, 28)) == []


@pytest.mark.parametrize(
    "text",
    [
        "The spacewalk begins at 8 a.m. EDT on May 1, 2025 and should wrap up around 2:30 p.m. EDT.",
        "The spacewalk begins at 8 a.m. EDT on May 1, 2025 and is expected to end at 2:30 p.m. EDT.",
        "The spacewalk begins at 8 a.m. EDT on May 1, 2025; it concludes about 2:30 p.m. EDT.",
    ],
)
def test_a_time_that_ends_something_is_not_a_start(text: str) -> None:
    assert _summary(extract_milestones(text, published=date(2025, 4, 28))) == [("spacewalk", "2025-05-01T12:00:00Z")]


def test_a_sentence_without_a_kind_word_is_about_the_milestone_before_it() -> None:
    text = "The launch was earlier planned for Nov. 21. It will now take place at 04:58 GMT on November 22."
    assert _current(extract_milestones(text, published=date(2024, 11, 19))) == [("liftoff", "2024-11-22T04:58:00Z")]


# --- lost sentences -------------------------------------------------------------------------------------------


def test_an_update_paragraph_is_read_without_its_stamp() -> None:
    text = "Update: NASA and SpaceX now target 2:05 a.m. EDT Wednesday, Oct. 23, for Crew-8 undocking."
    assert _summary(extract_milestones(text, published=date(2024, 10, 22))) == [("undocking", "2024-10-23T06:05:00Z")]
    stamped = "UPDATE (Oct. 22, 9 p.m. EDT) — Crew-8 will undock at 2:05 a.m. EDT Wednesday, Oct. 23."
    assert _summary(extract_milestones(stamped, published=date(2024, 10, 22))) == [
        ("undocking", "2024-10-23T06:05:00Z")
    ]


def test_a_skipped_editor_note_with_a_time_is_reported_not_silent() -> None:
    text = "Editor's note: This story was updated at 10:45 p.m. EST on Feb. 14 with news of a successful liftoff."
    found, problems = extract_with_problems(text, published=date(2024, 2, 14))
    assert found == []
    assert any("skipped a note" in p for p in problems)


@pytest.mark.parametrize("piece", ["05/07/2024", "13/14/2024", "Feb. 30"])
def test_one_unreadable_piece_does_not_drop_its_paragraph(piece: str) -> None:
    text = f"Posted {piece}. The Soyuz is set to launch at 16:23 GMT on Sept. 11, 2024."
    found, problems = extract_with_problems(text, published=date(2024, 9, 10))
    assert _summary(found) == [("liftoff", "2024-09-11T16:23:00Z")]
    assert any(piece.split(maxsplit=1)[0] in p for p in problems)


# --- the sources of every time --------------------------------------------------------------------------------


def test_every_extracted_time_records_where_its_date_and_zone_came_from() -> None:
    for case in load_cases(FIELD):
        for item in extract_milestones(case.text, published=case.published, tz=case.tz):
            assert item.date_source in {"text", "sentence", "heading", "earlier", "published"}
            assert item.zone_source in {"text", "sentence", "note", "earlier", "site", "reader", "none"}
            assert item.date_assumed == (item.date_source == "published")
            assert item.zone_assumed == (item.zone_source == "reader")


# --- the field corpus -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("half", ["dev", "heldout"])
def test_field_corpus_scores_and_gives_no_silent_wrong_time(half: str) -> None:
    cases = load_cases(FIELD, half)
    scores = score(cases)
    assert len(cases) >= 20
    assert scores.silent_wrong == []
    assert scores.recall >= 0.9
    assert scores.precision >= 0.9


def test_field_corpus_has_forty_passages_split_into_two_halves() -> None:
    halves = [case.half for case in load_cases(FIELD)]
    assert len(halves) >= 40
    assert set(halves) == {"dev", "heldout"}


# --- linear reading -------------------------------------------------------------------------------------------

_SENTENCES = (
    "The freighter lifted off atop a Soyuz rocket at 10:25 p.m. EST (0325 GMT) from Baikonur. ",
    "If all goes to plan it will dock at 1:12 a.m. EST (0612 GMT) on Saturday (Feb. 17). ",
    "Coverage will begin at 12:30 a.m. and a news conference follows at 3 p.m. EST. ",
    "Progress is one of three robotic spacecraft that fly resupply missions to the station. ",
)


def _steps(text: str) -> int:
    """Python lines executed in bot/ while extracting ``text``: a count of work that does not depend on timing."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if "/bot/" not in frame.f_code.co_filename:
            return None
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        extract_with_problems(text, published=date(2024, 2, 14))
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("joiner", ["", "no stops"])
def test_extraction_work_grows_linearly_with_paragraph_length(joiner: str) -> None:
    def paragraph(n: int) -> str:
        text = "".join(_SENTENCES[i % len(_SENTENCES)] for i in range(n))
        return text.replace(". ", ", ") if joiner else text  # one endless sentence is the hardest case

    small, large = _steps(paragraph(40)), _steps(paragraph(160))
    # Four times the text: linear work is about four times the steps, quadratic work about sixteen times.
    assert large / small < 4.4, (small, large)

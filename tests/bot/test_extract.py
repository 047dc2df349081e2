"""Extraction of milestone times from articles: the shared Progress 87 article and the hand-checked corpus."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.extract import Extracted, extract_milestones, extract_with_problems
from bot.models import MilestoneKind, Precision, isoformat_z
from tests.bot.extract_scores import Case, load_cases, matches, report, score

DATA = Path(__file__).resolve().parents[1] / "data"
CASES = load_cases()


def _summary(found: list[Extracted]) -> list[tuple[str, str]]:
    return [(item.kind.value, isoformat_z(item.utc)) for item in found]


def test_progress_87_article_gives_exactly_liftoff_docking_and_coverage() -> None:
    text = (DATA / "progress-87-launch-article.txt").read_text(encoding="utf-8")
    found = extract_milestones(text, published=date(2024, 2, 14))
    assert sorted(_summary(found)) == [
        ("coverage_start", "2024-02-17T05:30:00Z"),
        ("docking", "2024-02-17T06:12:00Z"),
        ("liftoff", "2024-02-15T03:25:00Z"),
    ]
    by_kind = {item.kind: item for item in found}
    liftoff = by_kind[MilestoneKind.LIFTOFF]
    assert liftoff.past
    assert liftoff.conflict is None
    assert {a.phrase for a in liftoff.alternatives} == {"10:25 p.m. EST", "0325 GMT"}
    assert "local time in Baikonur" in liftoff.phrase
    assert not by_kind[MilestoneKind.DOCKING].past
    assert by_kind[MilestoneKind.DOCKING].phrase == "1:12 a.m. EST (0612 GMT)"
    assert by_kind[MilestoneKind.COVERAGE_START].phrase == "12:30 a.m. EST (0530 GMT) on Saturday"
    assert all(item.precision is Precision.MINUTE for item in found)


def test_progress_87_article_published_as_aware_datetime_reads_the_same() -> None:
    text = (DATA / "progress-87-launch-article.txt").read_text(encoding="utf-8")
    published = datetime(2024, 2, 14, 22, 45, tzinfo=UTC)  # 17:45 in New York, still Feb 14 in UTC
    assert sorted(_summary(extract_milestones(text, published=published))) == sorted(
        _summary(extract_milestones(text, published=date(2024, 2, 14)))
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_text_gives_its_hand_checked_milestones(case: Case) -> None:
    found = extract_milestones(case.text, published=case.published, tz=case.tz)
    for want in case.truth:
        hits = [item for item in found if matches(item, want)]
        assert hits, f"missed {want} in {_summary(found)}"
        if "past" in want:
            assert hits[0].past == want["past"]
        if "alt_utc" in want:
            assert hits[0].conflict, "renderings that disagree must be flagged, not resolved silently"
        else:
            assert hits[0].conflict is None
        if "precision" in want:
            assert hits[0].precision.value == want["precision"]
    assert len(found) == len(case.truth), f"extra milestones: {_summary(found)}"


def test_corpus_precision_and_recall_stay_above_the_floor() -> None:
    scores = score(CASES)
    print(report(scores, len(CASES)))  # shown with pytest -s; the README quotes these figures
    assert len(CASES) >= 16
    assert scores.recall >= 0.9
    assert scores.precision >= 0.9


def test_editor_note_and_biography_times_are_ignored() -> None:
    text = (
        "Editor's note: This story was updated at 10:45 p.m. EST on Feb. 14 with news of a successful liftoff.\n\n"
        "Jane Doe is a senior space writer who joined the team in 2010. She watched her first launch at 4 a.m.\n"
    )
    assert extract_milestones(text, published=date(2024, 2, 14)) == []


def test_kind_word_glued_after_the_time_wins() -> None:
    text = "NASA coverage begins at 9:30 a.m. EDT on March 14, ahead of the 10:05 a.m. EDT launch."
    assert sorted(_summary(extract_milestones(text, published=date(2024, 3, 12)))) == [
        ("coverage_start", "2024-03-14T13:30:00Z"),
        ("liftoff", "2024-03-14T14:05:00Z"),
    ]


def test_coverage_of_an_event_is_coverage_not_the_event() -> None:
    text = "Coverage of the docking will begin at 12:30 a.m. EST on Saturday, Feb. 17."
    assert _summary(extract_milestones(text, published=date(2024, 2, 14))) == [
        ("coverage_start", "2024-02-17T05:30:00Z")
    ]


def test_other_happenings_are_not_milestones() -> None:
    text = (
        "A prelaunch news conference is set for 1 p.m. EST on Feb. 12. The hatch opening is planned for "
        "3:45 a.m. EST on Feb. 17, and the deorbit burn for 4 a.m. EST on Feb. 18."
    )
    assert extract_milestones(text, published=date(2024, 2, 10)) == []


def test_ambiguous_wall_time_in_an_article_is_reported_not_guessed() -> None:
    text = "The spacewalk will begin at 1:30 a.m. ET on Sunday, Nov. 3."
    found, problems = extract_with_problems(text, published=date(2024, 10, 30))
    assert found == []
    assert any("happens twice" in p for p in problems)


# Two renderings of one instant close to a DST change: the bracketed one takes its day from the other, and a gap or
# fold on a neighbouring day must not turn agreeing renderings into a conflict.
DST_ADJACENT_AGREEING = [
    # Saturday before spring-forward (Sunday Mar 10, 2 a.m. ET).
    (
        "Liftoff is scheduled for 0730 GMT on Saturday, March 9 (2:30 a.m. ET).",
        date(2024, 3, 7),
        "2024-03-09T07:30:00Z",
    ),
    (
        "SpaceX will launch the Falcon 9 from Cape Canaveral at 0730 GMT (2:30 a.m. local time) on Saturday, March 9.",
        date(2024, 3, 7),
        "2024-03-09T07:30:00Z",
    ),
    # Monday after fall-back (Sunday Nov. 3, 2 a.m. EDT -> 1 a.m. EST).
    (
        "Splashdown is targeted for 0630 GMT (1:30 a.m. ET) on Monday, Nov. 4.",
        date(2024, 11, 1),
        "2024-11-04T06:30:00Z",
    ),
]


@pytest.mark.parametrize(("text", "published", "utc"), DST_ADJACENT_AGREEING)
def test_two_zone_time_next_to_a_dst_change_is_not_a_conflict(text: str, published: date, utc: str) -> None:
    found, problems = extract_with_problems(text, published=published)
    assert problems == []
    (item,) = found
    assert isoformat_z(item.utc) == utc
    assert item.conflict is None
    assert [isoformat_z(a.utc) for a in item.alternatives] == [utc]


def test_two_zone_time_on_the_dst_change_itself_is_still_flagged() -> None:
    # 0730 GMT on Mar. 10 is 3:30 a.m. EDT; 2:30 a.m. ET never happened that day. Flag it, do not pick a day.
    text = "Liftoff is scheduled for 0730 GMT on Sunday, March 10 (2:30 a.m. ET)."
    (item,) = extract_milestones(text, published=date(2024, 3, 7))
    assert isoformat_z(item.utc) == "2024-03-10T07:30:00Z"
    assert item.conflict is not None
    assert "does not exist" in item.conflict


def test_time_without_publication_date_needs_a_full_date() -> None:
    text = "Liftoff is set for 10:25 p.m. EST tonight. Docking is set for 1:12 a.m. EST on Feb. 17, 2024."
    found, problems = extract_with_problems(text, published=None)
    assert _summary(found) == [("docking", "2024-02-17T06:12:00Z")]
    assert problems


def test_reader_zone_is_used_and_flagged_when_the_article_names_none() -> None:
    text = "The launch is scheduled for 10:25 on Feb. 14, 2024."
    (item,) = extract_milestones(text, published=date(2024, 2, 1), tz="Europe/Berlin")
    assert isoformat_z(item.utc) == "2024-02-14T09:25:00Z"
    assert item.zone_assumed


def test_past_bare_weekday_is_the_last_one() -> None:
    text = "The Dragon docked at 3:28 a.m. EST on Tuesday."
    (item,) = extract_milestones(text, published=date(2024, 3, 7))  # a Thursday
    assert (isoformat_z(item.utc), item.past) == ("2024-03-05T08:28:00Z", True)


def test_window_close_time_is_not_a_second_liftoff() -> None:
    text = "The launch window opens at 10:35 p.m. ET on May 22 and closes at 2:35 a.m. ET."
    assert _summary(extract_milestones(text, published=date(2024, 5, 20))) == [("liftoff", "2024-05-23T02:35:00Z")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # An article's "in 2 hours" counts from when it was written, not from when it is read: the time it
        # states is used, the duration is not.
        ("The rocket will lift off in 2 hours, at 10:25 p.m. EST.", [("liftoff", "2024-02-15T03:25:00Z")]),
        ("Liftoff is now set for 10:25 p.m. EST, 90 minutes from now.", [("liftoff", "2024-02-15T03:25:00Z")]),
        ("Docking follows in 2 days at 1:12 a.m. EST on Feb. 17.", [("docking", "2024-02-17T06:12:00Z")]),
        ("The launch is in 2 hours.", []),
        ("Liftoff is now less than an hour and a half away.", []),
        ("The crew will dock in 30 minutes.", []),
    ],
)
def test_an_articles_durations_are_not_read_as_times(text: str, found: list[tuple[str, str]]) -> None:
    # Even with the publication instant known to the second, the reader of the article is not its writer.
    published = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)
    items, problems = extract_with_problems(text, published=published)
    assert (_summary(items), problems) == (found, [])


_PIECES = st.sampled_from(
    [
        "The launch", "docked", "coverage begins", "at", "10:25 p.m.", "EST", "(0325 GMT)", "on Saturday",
        "(Feb. 17)", "tonight", ".", ";", "\n", "local time", "in Baikonur", "1:30 a.m. ET Nov. 3", "2/3",
        "Editor's note:", "spacewalk", "until", "IST", "0612", "Feb. 30", "and", ",", "Z", "in 2 hours", "now",
        "90 minutes from now",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=25),
    published=st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 1, 1))),
)
def test_no_text_crashes_extraction(pieces: list[str], published: date | None) -> None:
    found, problems = extract_with_problems(" ".join(pieces), published=published)
    for item in found:
        assert item.utc.tzinfo is UTC
    assert all(isinstance(p, str) for p in problems)

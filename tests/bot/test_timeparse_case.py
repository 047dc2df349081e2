"""Letter case and stray words in times: typed input is read whatever its case; prose only where case says so.

A person typing "/event add" may write "may 17" or "sat"; in an article "may 17" is usually a verb and a number,
and "sat" a verb, so prose reads the month May and short weekday names only when capitalised (a full weekday
name is a weekday in any case). An approximation word with no time after it is no time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.extract import extract_with_problems
from bot.models import isoformat_z
from bot.timeparse import TimeParseError, parse_time

REF = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)  # a Wednesday
EXAMPLE = '"Feb. 17 1:12 a.m. EST", "2024-02-17T06:12Z", "tomorrow 13:05 UTC" or "in 2 hours"'


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("may 17 10:00 UTC", "2024-05-17T10:00:00Z"),
        ("MAY 17 10:00 UTC", "2024-05-17T10:00:00Z"),
        ("sat 10:00 UTC", "2024-02-17T10:00:00Z"),
        ("SAT. 10:00 UTC", "2024-02-17T10:00:00Z"),
        ("saturday 10:00 UTC", "2024-02-17T10:00:00Z"),
    ],
)
def test_typed_months_and_weekdays_are_read_in_any_case(text: str, utc: str) -> None:
    assert isoformat_z(parse_time(text, tz="UTC", ref=REF).utc) == utc


@pytest.mark.parametrize("text", ["Feb. 17 10:00 UTC around ", "Feb. 17 10:00 UTC around", "Feb. 17 10:00 UTC ~  "])
def test_an_approximation_word_with_no_time_after_it_is_not_understood(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time(text, tz="UTC", ref=REF)
    word = text.rsplit(maxsplit=1)[-1]
    assert str(info.value) == f"I don't understand {word!r}. Try: {EXAMPLE}"


# Published Friday 2024-05-10: a time with no day of its own in the article is on that day.
PUBLISHED = date(2024, 5, 10)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("The launch is set for May 20 at 10:00 UTC.", "2024-05-20T10:00:00Z"),
        ("The launch is set for may 20 at 10:00 UTC.", "2024-05-10T10:00:00Z"),  # "may 20": not a date
        ("Crews may 17 times rehearse; the launch is set for May 20 at 10:00 UTC.", "2024-05-20T10:00:00Z"),
        ("The launch is set for saturday at 10:00 UTC.", "2024-05-11T10:00:00Z"),  # a full name: a weekday
        ("The launch is set for Sat. at 10:00 UTC.", "2024-05-11T10:00:00Z"),
        ("The launch is set for sat at 10:00 UTC.", "2024-05-10T10:00:00Z"),  # "sat": a verb in prose
    ],
)
def test_prose_reads_may_and_short_weekday_names_only_when_capitalised(text: str, utc: str) -> None:
    found, problems = extract_with_problems(text, published=PUBLISHED)
    assert [(f.kind.value, isoformat_z(f.utc)) for f in found] == [("liftoff", utc)]
    assert problems == []

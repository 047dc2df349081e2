"""Leads as people type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.alerts.leads import format_lead, parse_leads
from bot.exceptions import InputError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("24h, 1h, 10m, 0", (86_400, 3_600, 600, 0)),
        ("1 hour and 10 minutes", (4_200,)),
        ("1h10m", (4_200,)),
        ("1h 10m", (4_200,)),
        ("2 days", (172_800,)),
        ("14d", (1_209_600,)),
        ("10m, 10 min", (600,)),
        ("90 minutes; 0", (5_400, 0)),
        ("  5M ", (300,)),
    ],
)
def test_leads_are_read_as_people_type_them(text: str, seconds: tuple[int, ...]) -> None:
    assert parse_leads(text) == seconds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("soon", "can't read"),
        ("1 fortnight", "not a unit"),
        ("15d", "more than 14 days"),
        ("1m, 2m, 3m, 4m, 5m, 6m, 7m", "at most 6"),
        (", ,", "at least one"),
        ("-1h", "can't read"),
        ("1h blah", "can't read"),
    ],
)
def test_bad_leads_get_a_message_that_says_what_to_type(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_leads(text)
    assert says in caught.value.message
    assert "24h, 1h, 10m, 0" in caught.value.message


@given(st.lists(st.integers(min_value=0, max_value=14 * 1440), min_size=1, max_size=6))
def test_formatted_leads_read_back_to_the_same_seconds(minutes: list[int]) -> None:
    leads = sorted({m * 60 for m in minutes}, reverse=True)
    assert parse_leads(", ".join(format_lead(s) for s in leads).replace("at the time", "0")) == tuple(leads)


@given(st.text(max_size=40))
def test_any_text_is_leads_or_an_input_error(text: str) -> None:
    try:
        leads = parse_leads(text)
    except InputError:
        return
    assert 1 <= len(leads) <= 6
    assert all(0 <= s <= 14 * 86_400 for s in leads)


@pytest.mark.parametrize(
    ("unit", "seconds"),
    [
        ("d", 86_400),
        ("day", 86_400),
        ("days", 86_400),
        ("h", 3_600),
        ("hr", 3_600),
        ("hrs", 3_600),
        ("hour", 3_600),
        ("hours", 3_600),
        ("m", 60),
        ("min", 60),
        ("mins", 60),
        ("minute", 60),
        ("minutes", 60),
    ],
)
def test_every_unit_spelling_we_offer_is_read(unit: str, seconds: int) -> None:
    assert parse_leads(f"2 {unit}") == (2 * seconds,)
    assert parse_leads(f"2{unit.upper()}") == (2 * seconds,)


@pytest.mark.parametrize("text", ["0", "0m", "0s", "now", "at the time", " NOW ", "At The Time"])
def test_every_way_of_saying_at_the_time_is_a_zero_lead(text: str) -> None:
    assert parse_leads(text) == (0,)


def test_at_the_time_is_one_lead_among_others() -> None:
    assert parse_leads("1h, now; at the time, 0") == (3_600, 0)


def test_a_number_of_more_than_six_digits_is_not_read() -> None:
    assert parse_leads("000090m") == (5_400,)
    with pytest.raises(InputError, match="can't read"):
        parse_leads("0000090m")


def test_an_unknown_unit_is_named_in_the_answer() -> None:
    with pytest.raises(InputError) as caught:
        parse_leads("3 weeks")
    assert caught.value.message.startswith("'weeks' is not a unit I know (use d, h or m).")


def test_text_that_is_not_a_lead_is_quoted_back() -> None:
    with pytest.raises(InputError) as caught:
        parse_leads("10m, soonish ")
    assert caught.value.message.startswith("I can't read 'soonish' as a lead.")
    with pytest.raises(InputError) as trailing:
        parse_leads("1h then")
    assert trailing.value.message.startswith("I can't read '1h then' as a lead.")


def test_too_many_leads_says_how_many_and_the_limit() -> None:
    with pytest.raises(InputError) as caught:
        parse_leads("1m, 2m, 3m, 4m, 5m, 6m, 7m")
    assert caught.value.message.startswith("That is 7 leads; at most 6.")
    assert parse_leads("1m, 2m, 3m, 4m, 5m, 6m") == (360, 300, 240, 180, 120, 60)


def test_a_lead_beyond_fourteen_days_is_refused_with_its_own_reading() -> None:
    assert parse_leads("14d") == (14 * 86_400,)
    with pytest.raises(InputError) as caught:
        parse_leads("14d 1m")
    assert caught.value.message.startswith("14d 1m is more than 14 days ahead.")


def test_no_lead_at_all_asks_for_one() -> None:
    for text in ("", " ", ";", ", ;"):
        with pytest.raises(InputError) as caught:
            parse_leads(text)
        assert caught.value.message.startswith("Give at least one lead.")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "at the time"),
        (1, "1s"),
        (59, "59s"),
        (60, "1m"),
        (3_600, "1h"),
        (4_200, "1h 10m"),
        (86_400, "1d"),
        (90_061, "1d 1h 1m 1s"),
        (2 * 86_400 + 5, "2d 5s"),
        (14 * 86_400, "14d"),
    ],
)
def test_leads_are_shown_in_days_hours_minutes_and_leftover_seconds(seconds: int, text: str) -> None:
    assert format_lead(seconds) == text


@pytest.mark.parametrize("text", ["and", " and and ", "1h, and"])
def test_a_lead_of_only_joining_words_is_not_read_as_at_the_time(text: str) -> None:
    with pytest.raises(InputError, match=r"can't read '(and|and and)' as a lead"):
        parse_leads(text)

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

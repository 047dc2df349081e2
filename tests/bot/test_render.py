"""Rendering instants: exact ones as markup and local text, coarse ones as the period they name, in any zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.models import Precision
from bot.render import (
    NAME_IN_TEXT_MAX,
    Embed,
    add_fields_within_limit,
    discord_when,
    embed_length,
    humanize_duration,
    inert_name,
    plain_instant,
)

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def midnight(zone: str, y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(
    ("at", "precision", "reader", "expected"),
    [
        # A date stated anywhere reads as that date for every reader (no shift into the reader's zone).
        (midnight("Asia/Tokyo", 2026, 2, 17), Precision.DAY, NY, "Tue 17 Feb 2026 (date only)"),
        (datetime(2026, 2, 17, tzinfo=UTC), Precision.DAY, ZoneInfo("Pacific/Auckland"), "Tue 17 Feb 2026 (date only)"),
        (midnight("America/New_York", 2026, 2, 17), Precision.DAY, TOKYO, "Tue 17 Feb 2026 (date only)"),
        (midnight("Pacific/Honolulu", 2026, 2, 17), Precision.DAY, TOKYO, "Tue 17 Feb 2026 (date only)"),
        (datetime(2026, 3, 31, tzinfo=UTC), Precision.DAY, NY, "Tue 31 Mar 2026 (date only)"),  # LL2: 00:00Z
        (datetime(2026, 3, 31, tzinfo=UTC), Precision.MONTH, NY, "March 2026"),  # LL2 Month NET, month's last day
        (midnight("Asia/Tokyo", 2026, 2, 1), Precision.MONTH, NY, "February 2026"),
        (datetime(2026, 3, 31, tzinfo=UTC), Precision.WEEK, NY, "week of Tue 31 Mar 2026"),
        (datetime(2026, 3, 31, tzinfo=UTC), Precision.QUARTER, NY, "Q1 2026"),
        (datetime(2026, 12, 31, tzinfo=UTC), Precision.QUARTER, NY, "Q4 2026"),
        (datetime(2026, 6, 30, tzinfo=UTC), Precision.HALF_YEAR, NY, "H1 2026"),
        (datetime(2026, 12, 31, tzinfo=UTC), Precision.YEAR, NY, "2026"),
        # Exact instants are shown in the reader's zone, DST included.
        (datetime(2026, 2, 17, 6, 12, tzinfo=UTC), Precision.MINUTE, NY, "Tue 17 Feb 2026, 01:12 EST"),
        (datetime(2026, 7, 17, 6, 12, tzinfo=UTC), Precision.MINUTE, NY, "Fri 17 Jul 2026, 02:12 EDT"),
        (datetime(2026, 2, 17, 6, 12, 30, tzinfo=UTC), Precision.SECOND, TOKYO, "Tue 17 Feb 2026, 15:12:30 JST"),
        (datetime(2026, 2, 17, 6, 0, tzinfo=UTC), Precision.HOUR, NY, "Tue 17 Feb 2026, around 01:00 EST"),
    ],
)
def test_plain_instant(at: datetime, precision: Precision, reader: ZoneInfo, expected: str) -> None:
    assert plain_instant(at, precision, reader) == expected


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        (Precision.MINUTE, "<t:1771308720:F> (<t:1771308720:R>)"),
        (Precision.SECOND, "<t:1771308720:F> (<t:1771308720:R>)"),
        (Precision.HOUR, "around <t:1771308720:f> (<t:1771308720:R>)"),
        (Precision.DAY, "Tue 17 Feb 2026 (date only)"),  # no markup: it would move the date per reader
        (Precision.MONTH, "February 2026"),
    ],
)
def test_discord_when(precision: Precision, expected: str) -> None:
    assert discord_when(datetime(2026, 2, 17, 6, 12, tzinfo=UTC), precision) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0, "0s"), (45, "45s"), (125, "2m 5s"), (7_500, "2h 5m"), (273_600, "3d 4h")]
)
def test_humanize_duration(seconds: int, expected: str) -> None:
    assert humanize_duration(timedelta(seconds=seconds)) == expected


def test_fields_stop_before_the_embed_total() -> None:
    embed: Embed = {"title": "t"}
    added = add_fields_within_limit(embed, [(f"n{i}", "v" * 1000) for i in range(10)], reserve=100)
    assert added == 5
    assert embed_length(embed) <= 6000 - 100
    # The count is Discord's own: discord.py agrees on the embed it will send.
    assert len(discord.Embed.from_dict(embed)) == embed_length(embed)


def test_fields_never_exceed_twenty_five() -> None:
    embed: Embed = {"title": "t", "fields": [{"name": "a", "value": "b"}] * 20}
    assert add_fields_within_limit(embed, [(f"n{i}", "v") for i in range(10)]) == 5
    assert len(embed["fields"]) == 25


def test_an_upstream_name_in_a_line_is_one_inert_line_of_at_most_200_characters() -> None:
    hostile = ("@everyone <@&123> **FREE** [click](https://evil.example)\r\n# heading\n" * 200)[:10_000]
    shown = inert_name(hostile)
    assert len(shown) <= NAME_IN_TEXT_MAX
    assert shown.endswith("…")
    assert "\n" not in shown
    assert "\r" not in shown
    assert "@everyone" not in shown
    assert "<@&" not in shown
    assert "\\[click\\]" in shown
    assert inert_name("Falcon 9 | Starlink 10-1") == "Falcon 9 \\| Starlink 10-1"

"""Argument types shared by the sub-commands: instants and dates an operator types, checked before any work.

Each returns a value or raises ``argparse.ArgumentTypeError`` with a message that suggests a form the same
check accepts, so a usage error is one line that says what to type instead.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

# Instants and dates outside these years are refused: nothing T-Minus tracks lies there, and the arithmetic
# around them ("tomorrow", a day's grace) must stay inside what datetime can hold.
FIRST_YEAR = 1900
LAST_YEAR = 2199
_RANGE = f"between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"
EXAMPLE = "2024-02-14T12:00Z"
_DATE_ONLY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:[Zz]|[+-]\d{2}:?\d{2})?\s*$")


def instant(value: str) -> datetime:
    """An aware ISO-8601 instant (``Z`` or an offset), as UTC."""
    date_only = _DATE_ONLY.match(value)
    if date_only:
        # A date alone has no time of day; "midnight in which zone" is the question, so the answer names both.
        raise argparse.ArgumentTypeError(
            f"{value!r} is a date without a time: give an instant, e.g. {date_only.group(1)}T00:00Z"
        )
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO-8601 instant such as {EXAMPLE}") from None
    if parsed.tzinfo is None:
        # A time without a zone would silently mean the machine's zone, so it is refused.
        spec = "minutes" if parsed.second == parsed.microsecond == 0 else "auto"
        raise argparse.ArgumentTypeError(
            f"{value!r} has no zone: give a zone, e.g. {parsed.isoformat(timespec=spec)}Z for UTC"
        )
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"{value!r} is out of range: give an instant {_RANGE}")
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:
        raise argparse.ArgumentTypeError(f"{value!r} is out of range: give an instant {_RANGE}") from None
    if not FIRST_YEAR <= utc.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"{value!r} is out of range: give an instant {_RANGE}")
    return utc


def calendar_date(value: str) -> date:
    """A date as YYYY-MM-DD."""
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD, e.g. 2024-02-14") from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"{value!r} is out of range: give a date {_RANGE}")
    return parsed


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``."""

    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value.strip()}")
        return number

    return parse

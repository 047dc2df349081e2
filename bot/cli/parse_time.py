"""``parse-time``: read one human-written time and print it as UTC ISO-8601."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config import ConfigError, load_settings
from bot.models import isoformat_z
from bot.timeparse import TimeParseError, parse_time


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``parse-time`` sub-command."""
    parser = subparsers.add_parser(
        "parse-time",
        help="read a time such as '10:25 p.m. EST (0325 GMT)' and print it in UTC",
        description="Read one time as a careful person would and print the UTC instant, or explain the problem.",
    )
    parser.add_argument("text", help="the time, e.g. 'Feb. 17 1:12 a.m. EST' or 'tomorrow 13:05'")
    parser.add_argument(
        "--tz",
        default=None,
        help="zone for times that name none (default: DEFAULT_TIMEZONE, else UTC)",
    )
    parser.add_argument("--ref", default=None, help="'now' as ISO-8601 with a zone (default: the current time)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the instant (exit 0), or the problem on one line of stderr (exit 2)."""
    try:
        # The settings' own check (and .env); only the zone is used, so no token or database is needed.
        zone: str | ZoneInfo = args.tz or load_settings().timezone
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        ref = _ref(args.ref)
        parsed = parse_time(args.text, tz=zone, ref=ref)
    except TimeParseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(isoformat_z(parsed.utc))
    if parsed.zone_assumed:
        print(f"note: no zone in the text; read in {parsed.zone}", file=sys.stderr)
    if parsed.note:
        print(f"note: {parsed.note}", file=sys.stderr)
    return 0


def _ref(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        ref = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimeParseError(f"--ref {text!r} is not ISO-8601", "--ref 2024-02-14T20:00Z") from None
    if ref.tzinfo is None:
        raise TimeParseError(f"--ref {text!r} has no zone", "--ref 2024-02-14T20:00Z") from None
    return ref.astimezone(UTC)

"""``parse-time``: read one human-written time and print it as UTC ISO-8601."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

from bot.cli.args import instant
from bot.clock import SystemClock
from bot.config import ConfigError, load_settings


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
    parser.add_argument(
        "--ref", default=None, help="'now' as ISO-8601 with a zone, e.g. 2024-02-14T20:00Z (default: the current time)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the instant (exit 0), or the problem on one line of stderr (exit 2)."""
    # Imported here: only this sub-command needs the time parser.
    from bot.models import isoformat_z  # noqa: PLC0415
    from bot.timeparse import TimeParseError, parse_time  # noqa: PLC0415

    try:
        ref = SystemClock().now() if args.ref is None else instant(args.ref)
    except argparse.ArgumentTypeError as exc:
        print(f"error: --ref {exc}", file=sys.stderr)
        return 2
    try:
        # The settings' own check (and .env); only the zone is used, so no token or database is needed.
        zone: str | ZoneInfo = args.tz or load_settings().timezone
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
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

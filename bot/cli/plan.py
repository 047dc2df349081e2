"""``plan``: the alert plan from the database (what will fire, when, for how many)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.alerts.leads import format_lead
from bot.alerts.planner import PlanLine, plan_lines
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import Database
from bot.db.events import to_epoch
from bot.models import isoformat_z

DEFAULT_DAYS = 1
MAX_DAYS = 3650


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` sub-command."""
    parser = subparsers.add_parser("plan", help="show the alerts still to fire, from the database")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    # At 100,000 subscriptions a day ahead is some 200,000 alerts (seconds), a week 1.5 million (tens of seconds,
    # gigabytes for the whole future): a window by default.
    window = parser.add_mutually_exclusive_group()
    window.add_argument(
        "--days", type=float, default=DEFAULT_DAYS, help=f"alerts firing in the next DAYS days (default {DEFAULT_DAYS})"
    )
    window.add_argument(
        "--all", action="store_true", help="every alert still to fire, however far ahead (slow with many subscribers)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan; exit 0."""
    settings = load_settings()
    if not args.all and not 0 < args.days <= MAX_DAYS:
        print(f"--days takes a number of days from 0 to {MAX_DAYS} (or use --all)", file=sys.stderr)
        return 2
    lines = asyncio.run(_lines(settings.db_path, None if args.all else timedelta(days=args.days)))
    if args.json:
        print(json.dumps([_as_dict(line) for line in lines], indent=2, ensure_ascii=False))
        return 0
    if not lines:
        print("no alerts planned")
    for line in lines:
        print(
            f"{_iso(line.fire_at)}  T-{format_lead(line.lead):<9} {line.recipients:>6} recipients  "
            f"{line.milestone.value:<14} {_iso(line.milestone_at)}  {line.name}"
        )
    return 0


def _iso(epoch: int) -> str:
    return isoformat_z(datetime.fromtimestamp(epoch, tz=UTC))


def _as_dict(line: PlanLine) -> dict[str, object]:
    return {
        "name": line.name,
        "milestone": line.milestone.value,
        "milestone_utc": _iso(line.milestone_at),
        "lead_seconds": line.lead,
        "fire_utc": _iso(line.fire_at),
        "recipients": line.recipients,
    }


async def _lines(db_path: Path, ahead: timedelta | None) -> list[PlanLine]:
    db = Database(db_path)
    await db.connect()
    try:
        now = SystemClock().now()
        return await plan_lines(db, to_epoch(now), until=None if ahead is None else to_epoch(now + ahead))
    finally:
        await db.close()

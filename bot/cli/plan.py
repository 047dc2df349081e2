"""``plan``: the alert plan from the database (what will fire, when, for how many)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.alerts.leads import format_lead
from bot.alerts.planner import PlanLine, plan_lines
from bot.clock import SystemClock
from bot.config import load_settings
from bot.db import Database
from bot.models import isoformat_z


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` sub-command."""
    parser = subparsers.add_parser("plan", help="show the alerts still to fire, from the database")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan; exit 0."""
    settings = load_settings()
    lines = asyncio.run(_lines(settings.db_path))
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


async def _lines(db_path: Path) -> list[PlanLine]:
    db = Database(db_path)
    await db.connect()
    try:
        return await plan_lines(db, int(SystemClock().now().timestamp()))
    finally:
        await db.close()

"""``upcoming``: list the next milestones stored in the database."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime

from bot.cli.args import bounded_int, instant
from bot.clock import SystemClock
from bot.config import Settings, load_settings
from bot.db import Database
from bot.db.events import UpcomingMilestone, next_milestones
from bot.models import MilestoneKind, isoformat_z

MAX_LIMIT = 10_000


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``upcoming`` sub-command."""
    parser = subparsers.add_parser("upcoming", help="list the next launches, dockings and other milestones")
    kinds = [k.value for k in MilestoneKind]
    parser.add_argument(
        "--kind",
        choices=kinds,
        action="append",
        metavar="KIND",
        help=f"only this milestone kind, one of: {', '.join(kinds)} (repeat for several)",
    )
    parser.add_argument(
        "--limit", type=bounded_int(1, MAX_LIMIT), default=10, help=f"how many, 1 to {MAX_LIMIT} (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument(
        "--after",
        type=instant,
        metavar="ISO8601",
        help="list what comes after this instant instead of now (e.g. to look through an older import)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the list; exit 0."""
    settings = load_settings()
    kinds = [MilestoneKind(k) for k in args.kind] if args.kind else None
    rows = asyncio.run(_upcoming(settings, kinds, args.limit, args.after or SystemClock().now()))
    if args.json:
        print(json.dumps([_as_dict(row) for row in rows], indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("nothing upcoming")
    # As wide as the longest status shown ("Partial Failure"), so the names line up.
    width = max((len(row.event.status.label) for row in rows), default=0)
    for row in rows:
        m, e = row.milestone, row.event
        print(f"{isoformat_z(m.at)}  {m.precision.value:<7} {m.kind.value:<14} {e.status.label:<{width}} {e.name}")
    return 0


async def _upcoming(
    settings: Settings, kinds: list[MilestoneKind] | None, limit: int, after: datetime
) -> list[UpcomingMilestone]:
    db = Database.for_settings(settings)
    await db.connect(check_writable=False)  # a read: it need not wait for a writer's lock
    try:
        return await next_milestones(db, now=after, limit=limit, kinds=kinds)
    finally:
        await db.close()


def _as_dict(row: UpcomingMilestone) -> dict[str, object]:
    e = row.event
    return {
        "name": e.name,
        "milestone": row.milestone.kind.value,
        "utc": isoformat_z(row.milestone.at),
        "precision": row.milestone.precision.value,
        "status": e.status.value,
        "source": e.source.value,
        "source_id": e.source_id,
        "type": e.type.value,
        "mission_key": e.mission_key,
        "provider": e.provider,
        "location": e.location,
        "location_tz": e.location_tz,
        "webcast_urls": list(e.webcast_urls),
    }

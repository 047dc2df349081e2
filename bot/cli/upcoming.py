"""``upcoming``: list the next milestones stored in the database."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime

from bot.config import load_settings
from bot.db import Database
from bot.db.events import UpcomingMilestone, next_milestones
from bot.models import MilestoneKind, isoformat_z


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``upcoming`` sub-command."""
    parser = subparsers.add_parser("upcoming", help="list the next launches, dockings and other milestones")
    parser.add_argument(
        "--kind", choices=[k.value for k in MilestoneKind], action="append", help="only this milestone kind"
    )
    parser.add_argument("--limit", type=_positive, default=10, help="how many (default 10)")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument(
        "--after",
        type=_instant,
        metavar="ISO8601",
        help="list what comes after this instant instead of now (e.g. to look through an older import)",
    )
    parser.set_defaults(func=run)


def _instant(value: str) -> datetime:
    # An aware ISO-8601 instant; a time without a zone would silently mean the machine's zone, so it is refused.
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant such as 2024-02-14T12:00Z: {value!r}") from None
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a zone, e.g. {value}Z for UTC")
    return parsed.astimezone(UTC)


def _positive(value: str) -> int:
    # An argparse type: a bad --limit is a usage error (stderr, exit 2), not silently 1.
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def run(args: argparse.Namespace) -> int:
    """Print the list; exit 0."""
    settings = load_settings()
    kinds = [MilestoneKind(k) for k in args.kind] if args.kind else None
    rows = asyncio.run(_upcoming(settings.db_path, kinds, args.limit, args.after or datetime.now(UTC)))
    if args.json:
        print(json.dumps([_as_dict(row) for row in rows], indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("nothing upcoming")
    for row in rows:
        m, e = row.milestone, row.event
        print(f"{isoformat_z(m.at)}  {m.precision.value:<7} {m.kind.value:<14} {e.status.label:<8} {e.name}")
    return 0


async def _upcoming(
    db_path: object, kinds: list[MilestoneKind] | None, limit: int, after: datetime
) -> list[UpcomingMilestone]:
    db = Database(str(db_path))
    await db.connect()
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

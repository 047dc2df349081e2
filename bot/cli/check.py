"""``check``: validate settings, create or migrate the database, and summarise what it holds."""

from __future__ import annotations

import argparse
import asyncio

from bot.clock import SystemClock
from bot.config import Settings, load_settings
from bot.db import Database
from bot.db.events import count_events
from bot.db.ll2 import STATE_LAST_SYNC
from bot.freshness import read_freshness
from bot.models import isoformat_z


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check`` sub-command."""
    parser = subparsers.add_parser("check", help="validate settings and create or migrate the database")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print a short summary; exit 0 when settings and database are usable."""
    settings = load_settings()
    return asyncio.run(_check(settings))


async def _check(settings: Settings) -> int:
    db_path, zone, has_token = settings.db_path, settings.default_timezone, settings.discord_token is not None
    db = Database.for_settings(settings)
    version = await db.connect()  # also proves the file can be written: a read-only one fails here
    try:
        counts = await count_events(db)
        last_sync = await db.get_state(STATE_LAST_SYNC)
        fresh = await read_freshness(db)
    finally:
        await db.close()
    print(f"settings ok (default time zone {zone}; Discord token {'set' if has_token else 'not set'})")
    print(f"database {db_path} at schema version {version}")
    print(
        f"events: {counts.get('events_ll2', 0)} from LL2, {counts.get('events_manual', 0)} entered by hand; "
        f"{counts['milestones']} milestones; {counts['subscriptions']} subscriptions; "
        f"{counts['deliveries_pending']} alerts pending"
    )
    print(f"last LL2 sync: {last_sync or 'never'}")
    refreshed = isoformat_z(fresh.last_refresh) if fresh.last_refresh else "never"
    print(f"LL2 data last refreshed: {refreshed}; next refresh due: {fresh.next_text(SystemClock().now())}")
    return 0

"""``sync``: fetch LL2 once (within the request budget), or import saved LL2 responses from a directory."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import aiohttp

from bot import __version__
from bot.config import Settings, load_settings
from bot.db import Database
from bot.ll2.sync import DirectoryFetcher, LL2Sync


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sync`` sub-command."""
    parser = subparsers.add_parser("sync", help="fetch launches, dockings and station events from LL2 once")
    parser.add_argument("--once", action="store_true", required=True, help="run one sync and exit (required)")
    parser.add_argument(
        "--from",
        dest="directory",
        type=Path,
        metavar="DIR",
        help="import offline from DIR/launches.json, events.json, docking_events.json (2.3.0 list responses)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print what changed; exit 0 on success, 1 when LL2 failed or the budget was spent."""
    settings = load_settings()
    directory: Path | None = args.directory
    if directory is not None and not directory.is_dir():
        print(f"error: {directory} is not a directory")
        return 2
    return asyncio.run(_sync(settings, directory))


async def _sync(settings: Settings, directory: Path | None) -> int:
    db = Database(settings.db_path)
    await db.connect()
    try:
        if directory is not None:
            sync = LL2Sync(db, None, settings, None, fetcher=DirectoryFetcher(directory))
            report = await sync.sync_once()
        else:
            headers = {"User-Agent": f"T-Minus/{__version__} (sync command)"}
            async with aiohttp.ClientSession(headers=headers) as session:
                report = await LL2Sync(db, session, settings, None).sync_once()
    finally:
        await db.close()
    print(report.summary())
    return 0 if report.ok else 1

"""``sync``: fetch LL2 once (within the request budget), or import saved LL2 responses from a directory."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot import __version__
from bot.cli import CliError
from bot.config import Settings, load_settings
from bot.db import Database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``sync`` sub-command."""
    parser = subparsers.add_parser("sync", help="fetch launches, dockings and station events from LL2 once")
    parser.add_argument("--once", action="store_true", required=True, help="run one sync and exit (required)")
    parser.add_argument(
        "--from",
        dest="directory",
        type=Path,
        metavar="DIR",
        help="import offline from DIR/launches.json, events.json, docking_events.json (2.3.0 list responses; "
        "all three are required, an empty feed is a list with no results)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print what changed; exit 0 on success, 1 when LL2 failed or the budget was spent, 2 on bad usage.

    The report goes to stdout; when the sync did not succeed its first line is repeated on stderr, where a
    cron job or a shell script looks for errors.
    """
    from bot.ll2.sync import DirectoryFetcher  # noqa: PLC0415 - only this command needs the LL2 code

    directory: Path | None = args.directory
    if directory is not None and not directory.is_dir():
        # Checked before the settings and the database are touched: nothing is created for a typo.
        raise CliError(f"{directory} is not a directory")
    if directory is not None and (problem := DirectoryFetcher.unreadable(directory)) is not None:
        # Never "LL2 lists nothing": that would mark every stored event gone.
        raise CliError(problem)
    settings = load_settings()
    return asyncio.run(_sync(settings, directory))


async def _sync(settings: Settings, directory: Path | None) -> int:
    import aiohttp  # noqa: PLC0415 - only an online sync needs it

    from bot.ll2.sync import DirectoryFetcher, LL2Sync  # noqa: PLC0415

    db = Database.for_settings(settings)
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
    summary = report.summary()
    print(summary)
    if not report.ok:
        print(f"error: {summary.splitlines()[0]}", file=sys.stderr)
    return 0 if report.ok else 1

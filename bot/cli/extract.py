"""``extract``: list the milestone times an article states (liftoff, docking, coverage start...)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.args import calendar_date

if TYPE_CHECKING:
    from bot.extract import Extracted


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``extract`` sub-command."""
    parser = subparsers.add_parser(
        "extract",
        help="find liftoff, docking, coverage and other times in an article",
        description="Find milestone times in a news article or agency post. Times that cannot be read without "
        "guessing are listed on stderr, not guessed.",
    )
    parser.add_argument("file", help="the article as a text file, or - for stdin")
    parser.add_argument(
        "--published", default=None, help="publication date YYYY-MM-DD (what 'tonight' and 'Saturday' mean)"
    )
    parser.add_argument("--tz", default="UTC", help="zone for times the article gives without one (default UTC)")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.set_defaults(func=run)


def to_json(item: Extracted) -> dict[str, object]:
    """The JSON form of one extracted milestone."""
    from bot.models import isoformat_z  # noqa: PLC0415

    return {
        "kind": item.kind.value,
        "utc": isoformat_z(item.utc),
        "precision": item.precision.value,
        "phrase": item.phrase,
        "past": item.past,
        "conflict": item.conflict,
        "zone": item.zone,
        "zone_assumed": item.zone_assumed,
        "date_assumed": item.date_assumed,
        "date_source": item.date_source,
        "zone_source": item.zone_source,
        "superseded": item.superseded,
        "note": item.note,
        "alternatives": [{"phrase": a.phrase, "utc": isoformat_z(a.utc), "zone": a.zone} for a in item.alternatives],
    }


def run(args: argparse.Namespace) -> int:
    """Print what was found (exit 0); unreadable input or arguments are one line on stderr (exit 2)."""
    # Imported here: only this sub-command needs the extractor.
    from bot.extract import describe, extract_with_problems  # noqa: PLC0415
    from bot.timeparse import TimeParseError  # noqa: PLC0415

    try:
        published = calendar_date(args.published) if args.published else None
    except argparse.ArgumentTypeError as exc:
        print(f"error: --published {exc}", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        found, problems = extract_with_problems(text, published=published, tz=args.tz)
    except TimeParseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([to_json(item) for item in found], indent=2, ensure_ascii=False))
    elif found:
        for item in found:
            print(describe(item))
    else:
        print("no milestone times found")
    if published is None:
        print("note: without --published, relative days and year-less dates are not read", file=sys.stderr)
    for problem in problems:
        print(f"not read: {problem}", file=sys.stderr)
    return 0

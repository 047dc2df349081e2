"""``python -m bench``: run every benchmark module in ``bench/`` and print one markdown table.

Each ``bench/bench_*.py`` that defines ``figures(quick)`` (see ``bench/figures.py``) is run in name order; its
figures become rows ``| figure | value | target | ratio | date |``, ready to paste into the README's performance
table. A module that fails gives one row saying so; the others still run. Modules landing later join by
defining ``figures`` — nothing to register.

Run: python -m bench [--quick] [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from bench.figures import Figure

HERE = Path(__file__).resolve().parent


def modules(only: Sequence[str] = ()) -> list[str]:
    """Names of the benchmark modules (``bench_extract`` ...), those in ``only`` if given."""
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    if only:
        wanted = {n if n.startswith("bench_") else f"bench_{n}" for n in only}
        unknown = wanted - set(names)
        if unknown:
            raise SystemExit(f"no benchmark module {', '.join(sorted(unknown))}; there are {', '.join(names)}")
        names = [n for n in names if n in wanted]
    return names


def run_module(module: ModuleType, *, quick: bool) -> list[Figure | str]:
    """Call the module's ``figures`` (awaiting it if it is a coroutine function); a string is a failed row."""
    produce = module.figures
    result = asyncio.run(produce(quick)) if inspect.iscoroutinefunction(produce) else produce(quick)
    return list(result)


def table(rows: Sequence[tuple[str, Figure | str]], day: str) -> str:
    """The markdown table: a Figure gives a full row, a string (an error) a row that says so."""
    lines = ["| figure | value | target | ratio | date |", "|---|---|---|---|---|"]
    for module, row in rows:
        if isinstance(row, Figure):
            name = f"{row.name} ({row.note})" if row.note else row.name
            lines.append(f"| {name} | {row.value_text()} | {row.target_text()} | {row.ratio:.3g} | {day} |")
        else:
            lines.append(f"| `{module}` | failed: {row} | | | {day} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; exit status 1 if any module failed or any figure missed its target."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test, not figures to publish)")
    parser.add_argument("--only", nargs="+", default=(), metavar="NAME", help="e.g. --only extract sync")
    parser.add_argument("--list", action="store_true", help="list the modules and exit")
    args = parser.parse_args(argv)
    names = modules(args.only)
    if args.list:
        print("\n".join(names))
        return 0
    rows: list[tuple[str, Figure | str]] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "figures"):
            print(f"{name}: no figures(quick) function; skipped from the table", file=sys.stderr)
            continue
        start = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            figures = run_module(module, quick=args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            rows.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        print(f"  {name}: {len(figures)} figures in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        rows.extend((name, f) for f in figures)
    print(table(rows, datetime.now(UTC).date().isoformat()))
    failed = any(not isinstance(r, Figure) for _, r in rows)
    missed = any(isinstance(r, Figure) and r.ratio > 1 for _, r in rows)
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m bench``: run every benchmark module in ``bench/`` and print one markdown table.

Each ``bench/bench_*.py`` that defines ``figures(quick)`` (see ``bench/figures.py``) is run in name order, each
in its own Python process (so one module's memory high-water mark, threads or child-process accounting cannot
leak into the next one's figures); its figures become rows ``| figure | value | target | ratio | date |``, ready
to paste into the README's performance table. A module that fails gives one row saying so; the others still
run. Modules landing later join by defining ``figures`` — nothing to register.

Run: python -m bench [--quick] [--only NAME ...] [--list]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
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


def run_child(name: str, *, quick: bool, result: Path) -> int:
    """In the child process: run one module and write its rows to ``result`` as JSON; exit status 0 if it ran."""
    try:
        module = importlib.import_module(f"bench.{name}")
        figures = run_module(module, quick=quick)
    except Exception as exc:  # reported as the module's failed row by the parent
        traceback.print_exc()
        rows: list[dict[str, object]] = [{"error": f"{type(exc).__name__}: {exc}"}]
    else:
        rows = [{"figure": asdict(f)} if isinstance(f, Figure) else {"error": f} for f in figures]
    result.write_text(json.dumps(rows), encoding="utf-8")
    return 0


def run_isolated(name: str, *, quick: bool) -> list[Figure | str]:
    """Run one module in a fresh ``python -m bench --child`` process and read back its rows.

    A child that dies without writing its rows (a crash, a kill, an import error before the handler) gives one
    failed row with its exit status, so the other modules still run.
    """
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result = Path(tmp) / "rows.json"
        argv = [sys.executable, "-m", "bench", "--child", name, "--result", str(result)]
        code = subprocess.run([*argv, *(["--quick"] if quick else [])], check=False).returncode  # noqa: S603
        if not result.exists():
            return [f"the benchmark process exited with status {code} before reporting"]
        rows = json.loads(result.read_text(encoding="utf-8"))
    return [Figure(**row["figure"]) if "figure" in row else str(row["error"]) for row in rows]


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
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)  # one module, in this process
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)  # where --child writes its rows
    args = parser.parse_args(argv)
    if args.child:
        return run_child(args.child, quick=args.quick, result=args.result)
    names = modules(args.only)
    if args.list:
        print("\n".join(names))
        return 0
    rows: list[tuple[str, Figure | str]] = []
    for name in names:
        if not hasattr(importlib.import_module(f"bench.{name}"), "figures"):
            print(f"{name}: no figures(quick) function; skipped from the table", file=sys.stderr)
            continue
        start = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        # One broken benchmark must not hide the others' figures: its failure is a row.
        figures = run_isolated(name, quick=args.quick)
        print(f"  {name}: {len(figures)} figures in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        rows.extend((name, f) for f in figures)
    print(table(rows, datetime.now(UTC).date().isoformat()))
    failed = any(not isinstance(r, Figure) for _, r in rows)
    missed = any(isinstance(r, Figure) and r.ratio > 1 for _, r in rows)
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Cold start of a one-shot command: ``python -m bot check`` wall time and peak memory, and what it imports.

Limit: an operator's command should answer within a second (the bot's own start is not measured here).

Run: python -m bench.bench_cold_start [--runs N] [--source DIR]
(``--source``: another checkout's root, e.g. ``git archive <commit> bot cogs | tar -x -C DIR``, to compare.)
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import Figure

LIMIT_S = 1.0
ROOT = Path(__file__).resolve().parent.parent


def measure(runs: int, root: Path) -> tuple[list[float], float, str]:
    """(sorted wall times, peak MiB, which of discord/aiohttp got imported) of ``python -m bot check``."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN",)}
        env["TMINUS_DB_PATH"] = str(Path(tmp) / "bench.sqlite3")
        command = [sys.executable, "-m", "bot", "check"]
        subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)  # noqa: S603 - creates the file
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, cwd=root, env=env, check=True, capture_output=True)  # noqa: S603
            times.append(time.perf_counter() - start)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        probe = "import sys; from bot.cli import main; main(['check']); print(' '.join(sorted(m for m in ('discord', 'aiohttp') if m in sys.modules)) or 'neither')"  # noqa: E501
        loaded = subprocess.run(  # noqa: S603
            [sys.executable, "-c", probe], cwd=root, env=env, check=True, capture_output=True, text=True
        ).stdout.splitlines()[-1]
    return sorted(times), peak_mib, loaded


def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the median wall time of ``python -m bot check``."""
    times, peak_mib, _ = measure(2 if quick else 5, ROOT)
    return [
        Figure("`python -m bot check` (cold start of a one-shot command), median", statistics.median(times), "s",
               LIMIT_S, note=f"peak {peak_mib:.0f} MiB"),
    ]  # fmt: skip


def main(runs: int, root: Path) -> None:
    times, peak_mib, loaded = measure(runs, root)
    median = statistics.median(times)
    runs_text = " / ".join(f"{t:.2f}" for t in times)
    print(f"python -m bot check in {root}, {runs} runs: {runs_text} s (median {median:.2f})")
    print(f"peak memory of a run: {peak_mib:.0f} MiB")
    print(f"discord.py / aiohttp imported: {loaded}")
    print(f"ratio of the median to the {LIMIT_S:.0f} s limit: {median / LIMIT_S:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout whose bot/ to run (default: this one)")
    args = parser.parse_args()
    main(args.runs, args.source.resolve())

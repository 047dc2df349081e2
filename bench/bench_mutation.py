"""Mutation scores in the performance table: one row per module, from bench/mutation_results.json.

Mutating a module takes minutes (bench/mutation.py), so the table reads the committed record of the last run
instead of mutating on every ``python -m bench``. A record counts only while it still describes the code:
the hashes of the module's source, of the tests that ran against it and of its listed equivalents must match
the working tree (bench/mutation_record.py). A full run re-runs every module whose record is stale or missing
and records the new result (unless ``TMINUS_MUTATION_RERUN=0``); a quick run never mutates, and shows such a
module as a failed row naming what changed, not an old number. The target is issue 14's: at least 90 % of the
non-equivalent mutants killed.

Run on its own: python -m bench.bench_mutation [--quick]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import mutation_record
from bench.figures import Figure
from bench.mutation_record import DEFAULT_MODULES, EQUIVALENTS, RESULTS, ROOT, TARGET_SCORE

Rerun = Callable[[list[str]], None]


def _rerun(modules: list[str]) -> None:
    # Imported here: mutmut (the dev extra) is needed only when something is to be mutated.
    from bench import mutation  # noqa: PLC0415

    children = int(os.environ.get("TMINUS_MUTATION_CHILDREN", "2"))
    mutation.run_and_record(modules, children)


def stale_modules(
    modules: Sequence[str], *, root: Path = ROOT, results: Path = RESULTS, equivalents: Path = EQUIVALENTS
) -> dict[str, str]:
    """Module -> why its record cannot be shown (never recorded, or what changed since), for those it applies to."""
    records = mutation_record.load(results)
    listed = mutation_record.load_equivalents(equivalents)
    stale = {}
    for module in modules:
        rec = records.get(module)
        reason = "never recorded" if rec is None else mutation_record.stale_reason(root, rec, listed)
        if reason:
            stale[module] = reason
    return stale


def figures(
    quick: bool,
    *,
    modules: Sequence[str] | None = None,
    root: Path = ROOT,
    results: Path = RESULTS,
    equivalents: Path = EQUIVALENTS,
    rerun: Rerun = _rerun,
) -> list[Figure | str]:
    """One Figure per module with a current record; a string (a failed row) for one without."""
    recorded = mutation_record.load(results)
    wanted = list(modules if modules is not None else DEFAULT_MODULES)
    wanted += sorted(m for m in recorded if m not in wanted)
    where = {"root": root, "results": results, "equivalents": equivalents}
    stale = stale_modules(wanted, **where)
    # TMINUS_MUTATION_RERUN=0: a full run that reports like a quick one for this module (when a 30-minute
    # re-mutation does not fit the time the other benchmarks are measured in); stale rows still say so.
    if stale and not quick and os.environ.get("TMINUS_MUTATION_RERUN", "1") != "0":
        rerun(list(stale))
        recorded = mutation_record.load(results)
        stale = stale_modules(wanted, **where)
    rows: list[Figure | str] = []
    for module in wanted:
        if module in stale:
            rows.append(
                f"mutation score of {module}: no current result ({stale[module]}); "
                f"run `python bench/mutation.py {module}`"
            )
            continue
        rec = recorded[module]
        rows.append(
            Figure(
                f"mutation score, {module} (killed % of non-equivalent mutants)",
                rec.score,
                "%",
                TARGET_SCORE,
                higher_is_better=True,
                note=(
                    f"{rec.killed} of {rec.total - rec.equivalent} killed, {rec.survived} survived, "
                    f"{rec.equivalent} equivalent of {rec.total}; "
                    f"run {rec.date} at {rec.commit[:7]}, {rec.seconds:.0f} s"
                ),
            )
        )
    return rows


if __name__ == "__main__":
    for row in figures("--quick" in sys.argv[1:]):
        print(row if isinstance(row, str) else f"{row.name}: {row.value_text()} ({row.note})")

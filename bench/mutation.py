"""Mutation testing of the core, one module at a time, with mutmut 3.8.

Each module is mutated alone and its mutants run against the module's own tests (fast: seconds to minutes);
the mutants that survive are then run again against the whole suite (every test that reaches the mutated
function), so a mutant counts as survived only if no test in the suite notices it. Mutants listed in
bench/mutation_equivalents.md (equivalent: no test can tell them apart from the original) are counted apart
and not run against the whole suite, so the score reads as killed / (total - equivalent).

Run (from the repository root, in the project's venv):
    python bench/mutation.py                      # the default modules (events, budget, models, schedule, rules,
                                                  # planner, timeparse)
    python bench/mutation.py bot/ll2/budget.py    # one module (any file under bot/ the config mutates)
    python bench/mutation.py --children 1 ...     # mutmut worker processes (default 2; the machine is shared)

It prints total / killed / survived / equivalent per module and the diff of every survivor that is not listed
as equivalent, and records the result in bench/mutation_results.json (see bench/mutation_record.py: the score
with the date, the commit and hashes of the module's source, of the tests that ran and of its listed
equivalents), which `python -m bench` reports and re-runs when a hash no longer matches (an own-tests-only
run is not recorded). Working copies live in .mutmut-cache/<module>/{own,suite}/ (git-ignored); every run
retests every mutant of the module from scratch, so a result never comes from a stale cache. Not part of
.ci/run (too slow): run it before closing an issue that changes the core.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/mutation.py`: the bench package is beside it
    sys.path.insert(0, str(ROOT))

from mutmut.mutation.diff_apply import get_diff_for_mutant  # noqa: E402

from bench import mutation_record  # noqa: E402
from bench.mutation_record import DEFAULT_MODULES, load_equivalents, mutmut_prefix  # noqa: E402

CACHE = ROOT / ".mutmut-cache"

# A module's own tests: the first prefix that matches wins. Paths that do not exist (yet) are skipped.
OWN_TESTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bot/ll2/budget.py", ("tests/bot/ll2/test_budget_rules.py", "tests/bot/ll2/test_budget_rolling_hour.py")),
    (
        "bot/ll2/schedule.py",
        ("tests/bot/ll2/test_schedule.py", "tests/bot/ll2/test_schedule_rules.py", "tests/bot/ll2/test_focus.py"),
    ),
    ("bot/db/", ("tests/bot/db",)),
    ("bot/ll2/", ("tests/bot/ll2",)),
    ("bot/models.py", ("tests/bot/test_models_rules.py", "tests/bot/db")),
    (
        # The extraction tests read prose through timeparse's lenient scanner and its site-zone readings, which
        # typed input never reaches: without them every prose-only mutant would go to the whole suite.
        "bot/timeparse.py",
        (
            "tests/bot/test_timeparse.py",
            "tests/bot/test_timeparse_careful.py",
            "tests/bot/test_timeparse_rules.py",
            "tests/bot/test_timeparse_durations.py",
            "tests/bot/test_timeparse_case.py",
            "tests/bot/test_cli_time.py",
            "tests/bot/test_extract.py",
            "tests/bot/test_extract_context.py",
        ),
    ),
    ("bot/alerts/", ("tests/bot/alerts",)),
)
# The whole suite, less the test that runs the bot as a separate OS process: that process cannot run the
# mutated code (it is not mutmut's worker) so it could kill no mutant, and it fails inside mutmut's copy.
# Tests that run the bot as its own OS process see the installed code, not mutmut's copy: they cannot kill a
# mutant, and under the trampolines they only time out.
SUITE = (
    "tests",
    "--ignore=tests/e2e/test_bot_process.py",
    "--ignore=tests/e2e/test_alert_crash.py",
    "--ignore=tests/e2e/test_channel_alert_crash.py",
    "--ignore=tests/e2e/test_secrets_never_logged.py",
    # Also a separate OS process, and its `python -m bot plan` child dies on mutmut's trampoline (no config there).
    "--ignore=tests/e2e/test_real_clock.py",
)

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code): a timeout is a kill (the mutant hangs).
KILLED = {1, 3, 36, -24, 24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Outcome:
    module: str
    total: int = 0
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)
    other: dict[str, int] = field(default_factory=dict)
    tests: set[str] = field(default_factory=set)  # test files whose tests ran against the mutants
    seconds: float = 0.0

    @property
    def score(self) -> float:
        considered = self.total - len(self.equivalent)
        return 100.0 * self.killed / considered if considered else 100.0


def own_tests(module: str) -> list[str]:
    for prefix, tests in OWN_TESTS:
        if module.startswith(prefix):
            return [t for t in tests if (ROOT / t).exists()]
    return ["tests/bot"]


def base_config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return dict(tomllib.load(f)["tool"]["mutmut"])


def toml_value(value: object) -> str:
    # Strings, booleans, numbers and lists of them: JSON spells them the way TOML does.
    return json.dumps(value)


def prepare(workdir: Path, module: str, selection: list[str]) -> None:
    """A directory mutmut can run in: the sources by symlink and a pyproject.toml narrowed to one module."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = base_config()
    also_copy = cfg.get("also_copy", [])
    assert isinstance(also_copy, list)
    # The sources, the tests and whatever the tests import besides (pyproject's also_copy: cogs, bench).
    for name in ("bot", "tests", *also_copy):
        link = workdir / str(name)
        if not link.is_symlink():
            link.symlink_to(ROOT / str(name))
    cfg["only_mutate"] = [module]
    cfg["pytest_add_cli_args_test_selection"] = selection
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text).rstrip() + "\n\n[tool.mutmut]\n"
    text += "".join(f"{k} = {toml_value(v)}\n" for k, v in cfg.items())
    (workdir / "pyproject.toml").write_text(text, "utf-8")
    # mutmut's working copy goes: its stats would miss tests that now reach a function, and it keeps the result
    # of a mutant whose function did not change even when the tests did (a survivor stays a survivor after the
    # test that kills it is written). Every run mutates and tests from scratch.
    shutil.rmtree(workdir / "mutants", ignore_errors=True)


def run_mutmut(workdir: Path, names: list[str], children: int, log: Path) -> None:
    mutmut = Path(sys.executable).with_name("mutmut")
    cmd = [str(mutmut), "run", "--max-children", str(children), *names]
    with log.open("w") as out:
        done = subprocess.run(cmd, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.exit(f"mutmut failed in {workdir} (exit {done.returncode}); see {log}")


def results(workdir: Path, module: str) -> dict[str, int | None]:
    meta = workdir / "mutants" / f"{module}.meta"
    data = json.loads(meta.read_text("utf-8"))
    return dict(data["exit_code_by_key"])


def diff(workdir: Path, module: str, name: str) -> str:
    here = Path.cwd()
    os.chdir(workdir)
    try:
        return get_diff_for_mutant(name, path=module)
    finally:
        os.chdir(here)


def mutated_line(text: str) -> str:
    """The first added line of a mutant's diff, stripped: what identifies it across renumbering."""
    for line in text.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return ""


def tests_reaching(workdir: Path, functions: set[str] | None, prefix: str) -> set[str]:
    """The test files (from mutmut's stats) whose tests reach ``functions``, or any function of the module."""
    stats = json.loads((workdir / "mutants" / "mutmut-stats.json").read_text("utf-8"))
    files = set()
    for function, tests in stats["tests_by_mangled_function_name"].items():
        if (function in functions) if functions is not None else function.startswith(prefix + "."):
            files.update(t.split("::", 1)[0] for t in tests)
    return files


def function_of(name: str) -> str:
    """bot.db.events.x__update__mutmut_12 -> bot.db.events.x__update."""
    return name.rsplit("__mutmut_", 1)[0]


def mutate(module: str, children: int, equivalents: dict[tuple[str, str], str], *, own_only: bool = False) -> Outcome:
    slug = module.removesuffix(".py").replace("/", "_")
    prefix = mutmut_prefix(module)
    own, suite = CACHE / slug / "own", CACHE / slug / "suite"
    selection = own_tests(module)
    start = time.monotonic()
    print(f"== {module}: its own tests {' '.join(selection)}", flush=True)
    prepare(own, module, selection)
    run_mutmut(own, [f"{prefix}.*"], children, own / "run.log")
    first = results(own, module)
    outcome = Outcome(module, total=len(first), tests=tests_reaching(own, None, prefix))
    used: set[tuple[str, str]] = set()
    again = []
    for name in sorted(k for k, v in first.items() if v not in KILLED):
        key = (function_of(name), mutated_line(diff(own, module, name)))
        if key in equivalents:
            # Listed as equivalent: no test can kill it, so the whole suite is not spent on it.
            outcome.equivalent.append(name)
            used.add(key)
        else:
            again.append(name)
    outcome.killed = outcome.total - len(again) - len(outcome.equivalent)
    final = dict(first)
    if again and not own_only:
        print(f"   {len(again)} not killed and not listed as equivalent; again against the whole suite", flush=True)
        prepare(suite, module, list(SUITE))
        run_mutmut(suite, again, children, suite / "run.log")
        second = results(suite, module)
        outcome.tests |= tests_reaching(suite, {function_of(n) for n in again}, prefix)
        for name in again:
            final[name] = second.get(name)
    for name in again:
        status = final[name]
        if status in KILLED:
            outcome.killed += 1
            continue
        outcome.survived.append(name)
        if status not in SURVIVED:
            label = "no tests" if status in NO_TESTS else f"exit {status}"
            outcome.other[label] = outcome.other.get(label, 0) + 1
        text = diff(own, module, name)
        entry = f"- `{function_of(name)}` `{mutated_line(text)}` — "
        print(f"\n-- survived: {name} (exit {status}); if equivalent, list it as\n{entry}\n{text}")
    stale = [k for k in equivalents if k[0].startswith(prefix + ".") and k not in used]
    for function, line in stale:
        print(f"\n!! listed as equivalent but not a survivor any more (remove it): {function} `{line}`")
    outcome.seconds = time.monotonic() - start
    return outcome


def record(outcome: Outcome, equivalents: dict[tuple[str, str], str]) -> mutation_record.Record:
    """The run as bench/mutation_results.json keeps it (see bench/mutation_record.py)."""
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, as a developer runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return mutation_record.Record(
        module=outcome.module,
        total=outcome.total,
        killed=outcome.killed,
        survived=len(outcome.survived),
        equivalent=len(outcome.equivalent),
        score=round(outcome.score, 2),
        date=datetime.now(UTC).date().isoformat(),
        commit=head or "unknown",
        seconds=round(outcome.seconds, 1),
        source_sha256=mutation_record.source_sha256(ROOT, outcome.module),
        tests=tuple(sorted(outcome.tests)),
        tests_sha256=mutation_record.tests_sha256(ROOT, outcome.tests),
        equivalents_sha256=mutation_record.equivalents_sha256(outcome.module, equivalents),
    )


def run_and_record(
    modules: list[str], children: int, *, own_only: bool = False
) -> list[tuple[Outcome, mutation_record.Record | None]]:
    """Mutate each module and write its result to bench/mutation_results.json as soon as it is known.

    An own-tests-only run is a lower bound, not the module's score: it is not recorded.
    """
    equivalents = load_equivalents()
    made: list[tuple[Outcome, mutation_record.Record | None]] = []
    for module in modules:
        outcome = mutate(module, children, equivalents, own_only=own_only)
        rec = None
        if not own_only:
            rec = record(outcome, equivalents)
            records = mutation_record.load()
            records[module] = rec
            mutation_record.save(records)
        made.append((outcome, rec))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", default=list(DEFAULT_MODULES), help="files under bot/ to mutate")
    parser.add_argument("--children", type=int, default=2, help="mutmut worker processes (default 2)")
    parser.add_argument("--clean", action="store_true", help="delete .mutmut-cache/ first")
    parser.add_argument(
        "--own-only", action="store_true", help="skip the whole-suite pass (quicker; a lower bound on killed)"
    )
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.clean:
        shutil.rmtree(CACHE, ignore_errors=True)
    made = run_and_record(args.modules, args.children, own_only=args.own_only)
    print("\nmodule                  total  killed  survived  equivalent  killed % of non-equivalent   wall")
    for o, _ in made:
        extra = "".join(f"  ({n} {label})" for label, n in o.other.items())
        print(
            f"{o.module:<22} {o.total:>6} {o.killed:>7} {len(o.survived):>9} {len(o.equivalent):>11}"
            f"  {o.score:25.1f}  {o.seconds:5.0f} s{extra}"
        )
    if not args.own_only:
        print(f"recorded in {mutation_record.RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

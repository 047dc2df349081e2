"""The committed record of mutation scores (bench/mutation_results.json) and how to tell it is stale.

bench/mutation.py writes one entry per module after each run: total / killed / survived / equivalent, the
score, the date, the git commit, the wall time, and three fingerprints: the SHA-256 of the module's source, of
the test files whose tests the run used against it (both phases: the module's own tests, then the tests of the
whole suite that reached a surviving mutant's function), and of the equivalents listed for it in
bench/mutation_equivalents.md. A record is current while all three still match the working tree; when one
differs the score describes other code, and bench/bench_mutation.py re-runs the module (or, in a quick run,
reports it as a failed row instead of an old number).

No mutmut import here: ``python -m bench --quick`` checks the record without the mutation tool.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "mutation_results.json"
EQUIVALENTS = ROOT / "bench" / "mutation_equivalents.md"
# The floor issue 14 sets: at least 90 % of the non-equivalent mutants killed.
TARGET_SCORE = 90.0
# The modules `python bench/mutation.py` runs by default and the performance table always shows: issue 14's
# four, the file that decides alerts, the planner that turns them into rows and jobs, and the parser of
# human-written times. Any other recorded module is shown too.
DEFAULT_MODULES = (
    "bot/db/events.py",
    "bot/ll2/budget.py",
    "bot/models.py",
    "bot/ll2/schedule.py",
    "bot/alerts/rules.py",
    "bot/alerts/planner.py",
    "bot/timeparse.py",
)


@dataclass(frozen=True, slots=True)
class Record:
    """One module's last mutation run, with what it ran against."""

    module: str
    total: int
    killed: int
    survived: int
    equivalent: int
    score: float  # killed % of the non-equivalent mutants
    date: str  # ISO date (UTC) of the run
    commit: str  # git HEAD at the run (the fingerprints, not the commit, decide staleness)
    seconds: float  # wall time of the run, both phases
    source_sha256: str
    tests: tuple[str, ...]  # the test files whose tests ran against the mutants, relative to the root
    tests_sha256: str
    equivalents_sha256: str


def mutmut_prefix(module: str) -> str:
    """bot/db/events.py -> bot.db.events (how mutmut names the module's mutants)."""
    return module.removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def load_equivalents(path: Path = EQUIVALENTS) -> dict[tuple[str, str], str]:
    """(function, mutated line) -> reason, from the equivalents list."""
    found: dict[tuple[str, str], str] = {}
    for line in path.read_text("utf-8").splitlines():
        m = re.match(r"^- `([^`]+)` `(.*?)` — (.+)$", line)
        if m:
            found[m.group(1), m.group(2)] = m.group(3)
    return found


def source_sha256(root: Path, module: str) -> str:
    return hashlib.sha256((root / module).read_bytes()).hexdigest()


def tests_sha256(root: Path, tests: Iterable[str]) -> str:
    """One hash over the named test files' paths and contents; a missing file hashes as missing."""
    h = hashlib.sha256()
    for name in sorted(set(tests)):
        path = root / name
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"\0missing\0")
        h.update(b"\0")
    return h.hexdigest()


def equivalents_sha256(module: str, equivalents: Mapping[tuple[str, str], str]) -> str:
    """One hash over the equivalents listed for ``module`` (function and line; the reason's wording aside)."""
    prefix = mutmut_prefix(module) + "."
    mine = sorted(f"{fn}\0{line}" for fn, line in equivalents if fn.startswith(prefix))
    return hashlib.sha256("\n".join(mine).encode()).hexdigest()


def load(path: Path = RESULTS) -> dict[str, Record]:
    """The recorded modules, by module path; none if the file does not exist yet."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return {
        module: Record(**{**entry, "module": module, "tests": tuple(entry["tests"])})
        for module, entry in data["modules"].items()
    }


def save(records: Mapping[str, Record], path: Path = RESULTS) -> None:
    """Write every record, sorted by module, in a stable form (a re-run changes only the lines it should)."""
    modules = {}
    for module in sorted(records):
        entry = asdict(records[module])
        del entry["module"]
        entry["tests"] = list(entry["tests"])
        modules[module] = entry
    path.write_text(json.dumps({"modules": modules}, indent=2, ensure_ascii=False) + "\n", "utf-8")


def stale_reason(root: Path, record: Record, equivalents: Mapping[tuple[str, str], str]) -> str | None:
    """Why ``record`` no longer describes the working tree at ``root`` (None when it still does)."""
    if not (root / record.module).is_file():
        return f"{record.module} no longer exists"
    reasons = []
    if source_sha256(root, record.module) != record.source_sha256:
        reasons.append("its source changed")
    if tests_sha256(root, record.tests) != record.tests_sha256:
        gone = [t for t in record.tests if not (root / t).is_file()]
        reasons.append(f"its tests changed ({', '.join(gone)} gone)" if gone else "its tests changed")
    if equivalents_sha256(record.module, equivalents) != record.equivalents_sha256:
        reasons.append("its listed equivalents changed")
    if not reasons:
        return None
    return f"{' and '.join(reasons)} since the run of {record.date} at {record.commit[:10]}"

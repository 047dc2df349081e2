"""Precision and recall of ``bot.extract`` over the hand-checked corpus in ``tests/data/articles``.

Run ``python -m tests.bot.extract_scores`` to print the figures (the README quotes them). Two corpora: the
original one (``tests/data/articles/truth.json``) and the field corpus of issue 12 (``field/truth.json``), scored
by half: ``dev`` (rules may be tuned on it) and ``heldout`` (never tuned on), split by source style in
``field/SPLIT.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.extract import Extracted, extract_milestones
from bot.models import isoformat_z

ARTICLES = Path(__file__).resolve().parents[1] / "data" / "articles"
FIELD = ARTICLES / "field"


@dataclass(frozen=True, slots=True)
class Case:
    """One corpus text and the milestones a careful reader finds in it."""

    name: str
    text: str
    published: date
    tz: str
    truth: tuple[dict[str, object], ...]
    half: str = "original"


@dataclass(slots=True)
class Scores:
    """Counts over the corpus; a found milestone is right when kind and instant both match."""

    expected: int = 0
    found: int = 0
    correct: int = 0
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    # Found times whose instant is none of the text's hand-worked instants and that carry no flag (assumed
    # date or zone, conflict): the failure that matters most, a wrong time that looks right.
    silent_wrong: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0


def load_cases(folder: Path = ARTICLES, half: str | None = None) -> list[Case]:
    """Every text named in ``folder/truth.json`` (only those of ``half`` when given)."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    cases = []
    for name, entry in truth.items():
        if name.startswith("_") or (half is not None and entry.get("half") != half):
            continue
        path = folder / entry.get("path", name)
        cases.append(
            Case(
                name=name,
                text=path.read_text(encoding="utf-8"),
                published=date.fromisoformat(entry["published"]),
                tz=entry["tz"],
                truth=tuple(entry["milestones"]),
                half=entry.get("half", "original"),
            )
        )
    return cases


def matches(item: Extracted, want: dict[str, object]) -> bool:
    """Kind, instant and superseded flag agree; a deliberately inconsistent text may be read either way."""
    instants = {want["utc"], want.get("alt_utc")}
    return (
        item.kind.value == want["kind"]
        and isoformat_z(item.utc) in instants
        and item.superseded == bool(want.get("superseded", False))
    )


def is_silent_wrong(item: Extracted, truth: tuple[dict[str, object], ...]) -> bool:
    """A time that is none of the text's instants and is not flagged as assumed or conflicting."""
    instants = {w["utc"] for w in truth} | {w["alt_utc"] for w in truth if "alt_utc" in w}
    flagged = item.date_assumed or item.zone_assumed or item.conflict is not None
    return isoformat_z(item.utc) not in instants and not flagged


def score(cases: list[Case]) -> Scores:
    """Precision and recall of extraction over ``cases``."""
    scores = Scores()
    for case in cases:
        found = extract_milestones(case.text, published=case.published, tz=case.tz)
        scores.expected += len(case.truth)
        scores.found += len(found)
        for want in case.truth:
            if not any(matches(item, want) for item in found):
                scores.misses.append(f"{case.name}: {want['kind']} {want['utc']}")
        for item in found:
            if any(matches(item, want) for want in case.truth):
                scores.correct += 1
            else:
                scores.wrong.append(f"{case.name}: {item.kind.value} {isoformat_z(item.utc)} from {item.phrase!r}")
                if is_silent_wrong(item, case.truth):
                    scores.silent_wrong.append(f"{case.name}: {isoformat_z(item.utc)} from {item.phrase!r}")
    return scores


def report(scores: Scores, cases: int, label: str = "extraction") -> str:
    """The figures as printed for the README."""
    lines = [
        f"{label} over {cases} texts: {scores.expected} milestones expected, {scores.found} found, "
        f"{scores.correct} right",
        f"precision {scores.precision:.3f}  recall {scores.recall:.3f}  silent wrong times {len(scores.silent_wrong)}",
    ]
    lines += [f"  missed: {m}" for m in scores.misses]
    lines += [f"  wrong:  {w}" for w in scores.wrong]
    return "\n".join(lines)


if __name__ == "__main__":
    all_cases = load_cases()
    print(report(score(all_cases), len(all_cases), "original corpus"))
    for part in ("dev", "heldout"):
        part_cases = load_cases(FIELD, part)
        print(report(score(part_cases), len(part_cases), f"field corpus, {part} half"))

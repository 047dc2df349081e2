"""What a benchmark module reports to ``python -m bench``: figures, each with its target and ratio.

A module ``bench/bench_<name>.py`` joins the table by defining ``figures(quick: bool) -> list[Figure]``
(plain or ``async``); ``quick`` asks for a smaller run (seconds, not minutes) for a smoke test. Nothing is
registered anywhere else. A string in the list is a failed row saying why that figure has no value (e.g. a
mutation score recorded for code that has changed since).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure next to its target. ``ratio`` < 1 means within the target, whichever way it points."""

    name: str
    value: float
    unit: str
    target: float
    higher_is_better: bool = False  # e.g. a mutation score; most figures (seconds, MiB) are limits from above
    note: str = ""
    # For a lateness, where a negative value means early: the ratio counts early as 0, not as a negative ratio.
    signed: bool = False

    @property
    def ratio(self) -> float:
        """value / target for a limit; target / value for a floor (so below 1 is good either way)."""
        if self.higher_is_better:
            return self.target / self.value if self.value else float("inf")
        return (max(self.value, 0.0) if self.signed else self.value) / self.target

    def value_text(self) -> str:
        """The value with its unit, in as many digits as it needs."""
        return f"{_num(self.value)} {self.unit}".strip()

    def target_text(self) -> str:
        """The target with its direction (≤ for a limit, ≥ for a floor)."""
        return f"{'≥' if self.higher_is_better else '≤'} {_num(self.target)} {self.unit}".strip()


def _num(x: float) -> str:
    if x == int(x) or abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"

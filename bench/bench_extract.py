"""Extraction speed on one long paragraph: the time must grow linearly with the length of the text.

A paragraph of 10 KB, 40 KB and 100 KB (news sentences with times, kind words and zones, no line breaks) is read
with ``bot.extract.extract_with_problems``. Printed: seconds per size (best of three), microseconds per KB, and
the ratio to linear (seconds per KB divided by that of the 10 KB text; 1.0 is perfectly linear, the quadratic
reading of issue 12 gave about 4.6 at 100 KB).

Run: python -m bench.bench_extract
"""

from __future__ import annotations

import time
from datetime import date

from bench.figures import Figure
from bot.extract import extract_with_problems

SIZES_KB = (10, 40, 100)
PUBLISHED = date(2024, 2, 14)
SENTENCES = (
    "The freighter lifted off atop a Soyuz rocket at 10:25 p.m. EST (0325 GMT) from Baikonur. ",
    "If all goes to plan it will dock at 1:12 a.m. EST (0612 GMT) on Saturday (Feb. 17). ",
    "Coverage will begin at 12:30 a.m. and a news conference follows at 3 p.m. EST. ",
    "The crew said the hatch would open around 4 a.m. once leak checks are done. ",
    "Progress is one of three robotic spacecraft that fly resupply missions to the station. ",
)


def paragraph(kb: int) -> str:
    """One paragraph of at least ``kb`` kilobytes made of the sentences above."""
    parts: list[str] = []
    size = 0
    i = 0
    while size < kb * 1024:
        sentence = SENTENCES[i % len(SENTENCES)]
        parts.append(sentence)
        size += len(sentence)
        i += 1
    return "".join(parts)


def seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        extract_with_problems(text, published=PUBLISHED, tz="UTC")
        best = min(best, time.perf_counter() - start)
    return best


def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the longest paste's extraction time, and how far from linear 100 KB is."""
    paste = seconds(paragraph(4))  # /event import takes up to 4,000 characters
    small = seconds(paragraph(10)) / 10
    big_kb = 40 if quick else 100
    big = seconds(paragraph(big_kb)) / big_kb
    return [
        Figure("extraction of a 4 KB paste (the longest /event import)", paste, "s", 3.0,
               note="limit: Discord's 3 s acknowledgement deadline"),
        Figure(f"extraction rate at {big_kb} KB over the rate at 10 KB", big / small, "x linear", 2.0,
               note="1.0 is linear; the old quadratic reading gave 10.7"),
    ]  # fmt: skip


def main() -> None:
    base: float | None = None
    print(f"{'size':>7} {'seconds':>9} {'us/KB':>8} {'ratio to linear':>16}")
    for kb in SIZES_KB:
        elapsed = seconds(paragraph(kb))
        per_kb = elapsed / kb
        base = base or per_kb
        print(f"{kb:>5}KB {elapsed:>9.3f} {per_kb * 1e6:>8.0f} {per_kb / base:>16.2f}")


if __name__ == "__main__":
    main()

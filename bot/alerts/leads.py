"""Alert leads as people type them ("24h, 1h, 10m, 0", "1 hour and 10 minutes", "1h10m") and as we show them."""

from __future__ import annotations

import re

from bot.alerts.rules import DAY, HOUR, MAX_LEAD_SECONDS, MAX_LEADS, MINUTE
from bot.exceptions import InputError

_UNITS = {
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "m": MINUTE,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
}
_PART = re.compile(r"(\d{1,6})\s*([a-z]+)")
HINT = "Type leads like `24h, 1h, 10m, 0` or `1 hour and 10 minutes`: at most 6, each from 0 to 14 days."


def _one(text: str) -> int:
    compact = re.sub(r"\band\b", " ", text.strip().lower())
    if compact.strip() in {"0", "0m", "0s", "now", "at the time"}:
        return 0
    pos = 0
    total = 0
    found = False
    for part in _PART.finditer(compact):
        if compact[pos : part.start()].strip():
            raise InputError(f"I can't read {text.strip()!r} as a lead. {HINT}")
        unit = _UNITS.get(part.group(2))
        if unit is None:
            raise InputError(f"{part.group(2)!r} is not a unit I know (use d, h or m). {HINT}")
        total += int(part.group(1)) * unit
        pos = part.end()
        found = True
    if not found or compact[pos:].strip():
        raise InputError(f"I can't read {text.strip()!r} as a lead. {HINT}")
    return total


def parse_leads(text: str) -> tuple[int, ...]:
    """Seconds before the milestone, largest first, without repeats; :class:`InputError` says what to type."""
    pieces = [p for p in re.split(r"[,;]", text) if p.strip()]
    if not pieces:
        raise InputError(f"Give at least one lead. {HINT}")
    leads = sorted({_one(p) for p in pieces}, reverse=True)
    if len(leads) > MAX_LEADS:
        raise InputError(f"That is {len(leads)} leads; at most {MAX_LEADS}. {HINT}")
    if leads[0] > MAX_LEAD_SECONDS:
        raise InputError(f"{format_lead(leads[0])} is more than 14 days ahead. {HINT}")
    return tuple(leads)


def format_lead(seconds: int) -> str:
    """``4200`` -> ``1h 10m``; ``0`` -> ``at the time``."""
    if seconds == 0:
        return "at the time"
    parts = []
    for size, unit in ((DAY, "d"), (HOUR, "h"), (MINUTE, "m")):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    if seconds:
        parts.append(f"{seconds}s")
    return " ".join(parts)

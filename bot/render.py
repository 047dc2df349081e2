"""Turning domain objects into Discord text: timestamp markup, durations, safe strings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from bot.models import ensure_utc

TimestampStyle = Literal["t", "T", "d", "D", "f", "F", "R"]


def discord_timestamp(value: datetime, style: TimestampStyle = "F") -> str:
    """``<t:UNIX:STYLE>`` markup, which every reader's client shows in their own zone."""
    return f"<t:{int(ensure_utc(value).timestamp())}:{style}>"


def humanize_duration(delta: timedelta) -> str:
    """A compact duration such as ``3d 4h``, ``2h 5m`` or ``45s`` (the two largest units)."""
    seconds = max(0, int(delta.total_seconds()))
    parts: list[str] = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount or (unit == "s" and not parts):
            parts.append(f"{amount}{unit}")
    return " ".join(parts[:2])


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters with an ellipsis, for Discord's field limits."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

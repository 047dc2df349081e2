"""Turning domain objects into Discord text: timestamp markup, durations, safe strings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import discord

from bot.models import Precision, ensure_utc

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


def _zone_label(local: datetime) -> str:
    return local.tzname() or local.strftime("UTC%z")


def plain_instant(value: datetime, precision: Precision, zone: ZoneInfo) -> str:
    """Plain text of an instant in ``zone`` at the detail its precision allows (for previews, logs, echoes).

    A Month-precision instant is shown as a month and a Day-precision one as a date: showing the 00:00 that
    the source stores would promise a time nobody announced.
    """
    local = ensure_utc(value).astimezone(zone)
    rank = precision.rank
    if rank >= Precision.YEAR.rank:
        return f"{local:%Y}"
    if rank >= Precision.MONTH.rank:
        # Read the month in UTC: LL2's Month NETs sit at 00:00Z on a month's last day.
        return f"{ensure_utc(value):%B %Y}"
    if rank >= Precision.DAY.rank:
        return f"{ensure_utc(value):%a %d %b %Y} (date only)"
    if rank >= Precision.HOUR.rank:
        return f"{local:%a %d %b %Y, around %H:00} {_zone_label(local)}"
    seconds = ":%S" if precision == Precision.SECOND else ""
    return f"{local:%a %d %b %Y, %H:%M{seconds}} {_zone_label(local)}"


def discord_when(value: datetime, precision: Precision) -> str:
    """Timestamp markup at the detail the precision allows: full date and time plus relative, or a date, or a month."""
    rank = precision.rank
    if rank >= Precision.MONTH.rank:
        return f"{ensure_utc(value):%B %Y}" if rank < Precision.YEAR.rank else f"{ensure_utc(value):%Y}"
    if rank >= Precision.DAY.rank:
        return f"{discord_timestamp(value, 'D')} (date only)"
    return f"{discord_timestamp(value, 'F')} ({discord_timestamp(value, 'R')})"


# Discord's limits for one embed (all of a message's embeds share the 6000 total).
EMBED_TOTAL_LIMIT = 6000
EMBED_FIELDS_LIMIT = 25


def add_fields_within_limit(embed: discord.Embed, fields: Sequence[tuple[str, str]], *, reserve: int = 0) -> int:
    """Add ``(name, value)`` fields in order while the embed stays within Discord's limits; returns how many fit.

    ``reserve`` keeps room for text set afterwards (a footer saying how many were left out).
    """
    added = 0
    for raw_name, raw_value in fields[:EMBED_FIELDS_LIMIT]:
        name, value = truncate(raw_name, 256), truncate(raw_value, 1024)
        if len(embed) + len(name) + len(value) + reserve > EMBED_TOTAL_LIMIT:
            break
        embed.add_field(name=name, value=value, inline=False)
        added += 1
    return added

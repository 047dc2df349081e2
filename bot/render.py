"""Turning domain objects into Discord text: timestamp markup, durations, safe strings, embeds.

Pure Python, no discord.py: an embed is built here as Discord's JSON shape (a dict, see
https://discord.com/developers/docs/resources/message#embed-object) and the adapters turn it into a
``discord.Embed`` with ``discord.Embed.from_dict``. Tests and the CLI read the same dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.inert import ZWSP
from bot.inert import inert as break_mentions
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


def coarse_period(value: datetime, precision: Precision) -> str | None:
    """The period a Day-or-coarser instant names ("Tue 17 Feb 2026", "week of ...", "Q1 2026"), else None.

    A date alone is stored as 00:00Z of that date (``bot.models.start_of_date``, for LL2's Day NETs and a date
    an admin types alike), and LL2's Month NETs as the month's last day at 00:00Z. The date shown is the UTC
    date twelve hours later, which is that same date. It is shown as plain text, never as timestamp markup,
    which would move it into each reader's zone and show readers west of UTC the day before.
    """
    if precision.rank < Precision.DAY.rank:
        return None
    day = ensure_utc(value) + timedelta(hours=12)
    match precision:
        case Precision.DAY:
            return f"{day:%a %d %b %Y} (date only)"
        case Precision.WEEK:
            return f"week of {day:%a %d %b %Y}"
        case Precision.MONTH:
            return f"{day:%B %Y}"
        case Precision.QUARTER:
            return f"Q{(day.month - 1) // 3 + 1} {day:%Y}"
        case Precision.HALF_YEAR:
            return f"H{1 if day.month <= 6 else 2} {day:%Y}"
        case _:
            return f"{day:%Y}"


def plain_instant(value: datetime, precision: Precision, zone: ZoneInfo) -> str:
    """Plain text of an instant in ``zone`` at the detail its precision allows (for previews, logs, echoes).

    A coarse instant is shown as the period it names (see :func:`coarse_period`): showing the 00:00 that the
    source stores would promise a time nobody announced.
    """
    period = coarse_period(value, precision)
    if period is not None:
        return period
    local = ensure_utc(value).astimezone(zone)
    if precision == Precision.HOUR:
        return f"{local:%a %d %b %Y, around %H:00} {_zone_label(local)}"
    seconds = ":%S" if precision == Precision.SECOND else ""
    return f"{local:%a %d %b %Y, %H:%M{seconds}} {_zone_label(local)}"


def discord_when(value: datetime, precision: Precision) -> str:
    """Timestamp markup for exact instants (every reader sees their own zone); plain text for coarse periods."""
    period = coarse_period(value, precision)
    if period is not None:
        return period
    if precision == Precision.HOUR:
        return f"around {discord_timestamp(value, 'f')} ({discord_timestamp(value, 'R')})"
    return f"{discord_timestamp(value, 'F')} ({discord_timestamp(value, 'R')})"


# Discord's limits for one embed (all of a message's embeds share the 6000 total).
EMBED_TOTAL_LIMIT = 6000
EMBED_FIELDS_LIMIT = 25


Embed = dict[str, Any]
"""An embed in Discord's JSON shape (``title``, ``description``, ``fields``, ``footer``, ...)."""


def embed_length(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts towards an embed's 6000 total (title, description, field names and
    values, footer text, author name), as ``len(discord.Embed)`` does."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or ())
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def add_fields_within_limit(embed: Embed, fields: Sequence[tuple[str, str]], *, reserve: int = 0) -> int:
    """Add ``(name, value)`` fields in order while the embed stays within Discord's limits; returns how many fit.

    ``reserve`` keeps room for text set afterwards (a footer saying how many were left out).
    """
    added = 0
    target: list[dict[str, Any]] = embed.setdefault("fields", [])
    for raw_name, raw_value in fields[: max(0, EMBED_FIELDS_LIMIT - len(target))]:
        name, value = truncate(raw_name, 256), truncate(raw_value, 1024)
        if embed_length(embed) + len(name) + len(value) + reserve > EMBED_TOTAL_LIMIT:
            break
        target.append({"name": name, "value": value, "inline": False})
        added += 1
    return added


# Markdown that would change how upstream text looks, or turn it into a link, a heading or a list.
_MARKDOWN_CHARS = frozenset("\\*_~`|>[]<#")


def inert(text: str) -> str:
    """Upstream text made inert for Discord: markdown shown literally and mentions broken, so that a mission
    name with ``**@everyone**`` or ``<@&123>`` renders as those characters and pings nobody (allowed_mentions
    is none on every send as well)."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _MARKDOWN_CHARS or (ch in "-+" and (i == 0 or text[i - 1] == "\n")):
            out.append("\\" + ch)
        elif ch == "@":
            out.append("@" + ZWSP)
        elif ch in "\r\x00":
            continue
        else:
            out.append(ch)
    return "".join(out)


def inert_trimmed(text: str, limit: int) -> str:
    """:func:`inert` text cut to at most ``limit`` characters, never in the middle of an escape."""
    plain = " ".join(text.split()) if "\n" not in text else text.strip()
    result = inert(plain)
    if len(result) <= limit:
        return result
    # Cut the source, not the escaped text, so no lone backslash is left at the end.
    low, high = 0, len(plain)
    while low < high:
        mid = (low + high + 1) // 2
        if len(inert(plain[:mid].rstrip())) + 1 <= limit:
            low = mid
        else:
            high = mid - 1
    return inert(plain[:low].rstrip()) + "…"


# An upstream name inside a line of text (an alert, a notice, a digest line): room for any real mission name
# (LL2's stay well under 100 characters), short enough that the rest of the line (its time) always survives.
NAME_IN_TEXT_MAX = 200


def inert_name(text: str) -> str:
    """An upstream name for a line Discord renders as markdown: on one line, inert, at most NAME_IN_TEXT_MAX."""
    return inert_trimmed(" ".join(text.split()), NAME_IN_TEXT_MAX)


def plain_title(text: str, limit: int = 256) -> str:
    """Upstream text for places Discord shows without markdown (titles, footers, field names, choice names):
    only mentions are broken, so nothing there can look like one."""
    return truncate(" ".join(break_mentions(text).split()), limit)


def ago(delta: timedelta) -> str:
    """``4 min ago``, ``3 h ago``, ``2 days ago``, ``just now``: how old something is, roughly."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3_600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86_400:
        return f"{seconds // 3_600} h ago"
    return f"{seconds // 86_400} days ago"

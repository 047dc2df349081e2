"""How fresh the LL2 data is: the last good read, the last full sync, and when the next refresh is due.

The sync loop writes these to the state table as it goes, so ``/about`` and ``python -m bot check`` (another
process) read the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.db.database import Database
from bot.db.ll2 import STATE_LAST_REFRESH, STATE_LAST_SYNC, STATE_NEXT_REFRESH
from bot.models import isoformat_z
from bot.render import discord_timestamp


@dataclass(frozen=True, slots=True)
class Freshness:
    """The stored freshness instants (None: not yet)."""

    last_refresh: datetime | None  # a regular sync or a focused poll that read LL2 cleanly
    last_sync: datetime | None  # the last full (regular) sync
    next_refresh: datetime | None  # what the loop planned last

    def markup(self, now: datetime) -> str:
        """The freshness as Discord timestamp markup (each reader sees their own zone), for ``/about``."""
        if self.last_refresh is None:
            text = "not refreshed yet"
        else:
            at = self.last_refresh
            text = f"last refreshed {discord_timestamp(at, 'R')} ({discord_timestamp(at, 'f')})"
        if self.next_refresh is not None and self.next_refresh >= now:
            text += f", next refresh due {discord_timestamp(self.next_refresh, 'R')}"
        return text

    def next_text(self, now: datetime) -> str:
        """The plan in words for a line of text, given the current instant."""
        if self.next_refresh is None:
            return "not planned yet (the bot plans it while it runs)"
        if self.next_refresh < now:
            return f"{isoformat_z(self.next_refresh)} (overdue: is the bot running?)"
        return isoformat_z(self.next_refresh)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


async def read_freshness(db: Database) -> Freshness:
    """What the sync loop last wrote."""
    last_sync = _parse(await db.get_state(STATE_LAST_SYNC))
    # A database from before focused polls has only the last sync: it is also the last refresh.
    last_refresh = _parse(await db.get_state(STATE_LAST_REFRESH)) or last_sync
    return Freshness(last_refresh, last_sync, _parse(await db.get_state(STATE_NEXT_REFRESH)))

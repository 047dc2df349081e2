"""Upstream text made inert before it goes anywhere Discord parses mentions (posts, thread titles, events).

``allowed_mentions`` already stops a post from pinging; this is the second belt, for places that have no
``allowed_mentions`` (thread titles, scheduled-event names and descriptions) and so that a post never even
shows a live-looking ``@everyone``. A zero-width space after every ``@`` breaks ``@everyone``, ``@here``,
``<@id>`` and ``<@&id>`` while reading the same.
"""

from __future__ import annotations

ZWSP = "\u200b"


def inert(text: str) -> str:
    """``text`` with every mention defused (idempotent)."""
    return text.replace(f"@{ZWSP}", "@").replace("@", f"@{ZWSP}")

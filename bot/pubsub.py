"""In-process publish/subscribe for domain changes (a sync or an edit publishes, the alert engine listens)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from bot.models import Change

log = logging.getLogger(__name__)

ChangeHandler = Callable[[Sequence[Change]], Awaitable[None]]


class ChangeBus:
    """Delivers each batch of changes to every subscriber, in subscription order.

    A failing subscriber is logged and does not stop the others: one broken listener must not make the
    alert engine miss a slip.
    """

    def __init__(self) -> None:
        self._handlers: list[ChangeHandler] = []

    def subscribe(self, handler: ChangeHandler) -> Callable[[], None]:
        """Add a handler; returns a function that removes it."""
        self._handlers.append(handler)
        return lambda: self._handlers.remove(handler)

    async def publish(self, changes: Sequence[Change]) -> None:
        """Hand ``changes`` to every handler (nothing happens for an empty batch)."""
        if not changes:
            return
        for handler in list(self._handlers):
            try:
                await handler(changes)
            except Exception:
                log.exception("change handler %r failed on %d changes", handler, len(changes))

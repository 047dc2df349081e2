"""Logging set-up, with the token scrubbed from anything that could echo it."""

from __future__ import annotations

import logging
import re

# Discord bot tokens are three base64url parts joined by dots; this keeps one out of the logs even if a library
# ever formats a request header into a message.
_TOKEN = re.compile(r"[A-Za-z\d_-]{23,28}\.[A-Za-z\d_-]{6,7}\.[A-Za-z\d_-]{27,}")


class RedactTokens(logging.Filter):
    """Replace anything shaped like a Discord token with a placeholder."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg = _TOKEN.sub("[token redacted]", message)
            record.args = None
        return True


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr at ``level``; discord.py's HTTP chatter stays at INFO or above."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord.http").setLevel(max(logging.INFO, logging.getLevelName(level)))

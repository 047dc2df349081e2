"""The only part of the alert engine that touches discord.py: open DMs, send with a nonce, edit, map errors."""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from bot.alerts.dispatcher import DMsClosedError, PermanentError, TransientError, UnknownTargetError

DMS_CLOSED = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
# A send slower than this is abandoned and retried with the same nonce: Discord may already have made the
# message, and the nonce makes the retry return it instead of a second one. discord.py's own 5xx retries
# (1 + 2n seconds apart) run inside this budget.
SEND_TIMEOUT_S = 10.0
NO_MENTIONS = discord.AllowedMentions.none()


class GlobalRateLimitLock(asyncio.Event):
    """discord.py's global rate-limit lock (``HTTPClient._global_over``), released if its holder is cancelled.

    On a global 429 discord.py clears the lock, sleeps ``retry_after`` (up to the bot's 30 s
    ``max_ratelimit_timeout``) inside the request and sets it again after the sleep. A send abandoned by
    ``SEND_TIMEOUT_S`` (10 s) is cancelled in that sleep and never sets it: every later REST request (alerts,
    posts, command work that sends) would wait forever. Here the task that cleared the lock sets it again when
    it ends, however it ends; a request sent before Discord's wait is over gets a new 429 with the time left.
    """

    def __init__(self) -> None:
        super().__init__()
        self._holder: asyncio.Task[object] | None = None
        super().set()

    def clear(self) -> None:
        super().clear()
        holder = asyncio.current_task()
        self._holder = holder
        if holder is not None:
            holder.add_done_callback(self._holder_done)

    def set(self) -> None:
        self._holder = None
        super().set()

    def _holder_done(self, task: asyncio.Task[object]) -> None:
        # Only if that task still holds it: after its own set(), a later 429 may have made another the holder.
        if self._holder is task:
            self.set()


def guard_global_rate_limit(client: discord.Client) -> None:
    """Give the logged-in ``client`` a :class:`GlobalRateLimitLock` (``static_login`` makes a plain Event).

    Called from ``setup_hook``, right after login, before any request runs concurrently."""
    if not isinstance(client.http._global_over, GlobalRateLimitLock):
        client.http._global_over = GlobalRateLimitLock()


def _mapped(exc: BaseException) -> Exception:
    match exc:
        case discord.RateLimited():
            # Discord asked for a longer wait than discord.py may sleep (the bot's max_ratelimit_timeout): the
            # engine waits it out on its own clock instead of holding a send open.
            return TransientError(f"429: retry after {exc.retry_after:.1f}s", retry_after=exc.retry_after)
        case discord.Forbidden() if exc.code == DMS_CLOSED:
            return DMsClosedError(str(exc))
        case discord.NotFound() if exc.code in (UNKNOWN_CHANNEL, UNKNOWN_MESSAGE):
            return UnknownTargetError(str(exc))
        case discord.DiscordServerError():
            return TransientError(f"{exc.status}: {exc.text}")
        case discord.HTTPException() if exc.status >= 500 or exc.status == 429:
            return TransientError(f"{exc.status}: {exc.text}")
        case discord.HTTPException():
            return PermanentError(f"{exc.status} {exc.code}: {exc.text}")
        case TimeoutError() | aiohttp.ClientError() | OSError():
            return TransientError(f"{type(exc).__name__}: {exc}")
    return PermanentError(repr(exc))


class DiscordTransport:
    """:class:`Transport` over a logged-in discord.py client (REST only; the gateway is not needed)."""

    def __init__(self, client: discord.Client, *, timeout_s: float = SEND_TIMEOUT_S) -> None:
        self.client = client
        self.timeout_s = timeout_s

    async def open_dm(self, user_id: int) -> int:
        """The DM channel with ``user_id`` (one request; the caller caches it)."""
        try:
            data = await asyncio.wait_for(self.client.http.start_private_message(user_id), self.timeout_s)
        except (discord.HTTPException, discord.RateLimited, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _mapped(exc) from exc
        return int(data["id"])

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        """Send ``content``; discord.py sets ``enforce_nonce`` whenever a nonce is given. Returns the message id."""
        channel = self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        try:
            message = await asyncio.wait_for(
                channel.send(content, nonce=nonce, allowed_mentions=NO_MENTIONS), self.timeout_s
            )
        except (discord.HTTPException, discord.RateLimited, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _mapped(exc) from exc
        return message.id

    async def rewrite(self, channel_id: int, message_id: int, content: str) -> None:
        """Replace a message's text."""
        channel = self.client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        try:
            await asyncio.wait_for(
                channel.get_partial_message(message_id).edit(content=content, allowed_mentions=NO_MENTIONS),
                self.timeout_s,
            )
        except (discord.HTTPException, discord.RateLimited, TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _mapped(exc) from exc

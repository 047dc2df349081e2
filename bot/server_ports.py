"""discord.py adapters of the server-alert features: guild scheduled events, DMs to admins, digest posts.

The only part of the mirror and the digests that touches discord.py; errors are mapped to the plain
exceptions their logic understands.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord

from bot import digests as dg
from bot import guild_events as ge

UNKNOWN_EVENT = 10070
MAX_EVENTS = 30038
TIMEOUT_S = 10.0
NO_MENTIONS = discord.AllowedMentions.none()


def _events_error(exc: BaseException) -> Exception:
    match exc:
        case discord.Forbidden():
            return ge.MissingPermissionError(f"missing permission ({exc.code}: {exc.text})")
        case discord.NotFound() if exc.code == UNKNOWN_EVENT:
            return ge.UnknownEventError(str(exc))
        case discord.HTTPException() if exc.code == MAX_EVENTS:
            return ge.LimitReachedError(str(exc))
        case discord.HTTPException() if exc.status >= 500 or exc.status == 429:
            return ge.TransientEventsError(f"{exc.status}: {exc.text}")
        case discord.HTTPException():
            return ge.RefusedError(f"{exc.status} {exc.code}: {exc.text}")
    return ge.TransientEventsError(f"{type(exc).__name__}: {exc}")


_CAUGHT = (discord.HTTPException, TimeoutError, aiohttp.ClientError, OSError)


class DiscordEventsPort:
    """:class:`bot.guild_events.EventsPort` over a logged-in client's REST API."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def list(self, guild_id: int) -> list[dict[str, Any]]:
        try:
            data = await asyncio.wait_for(self.client.http.get_scheduled_events(guild_id, False), TIMEOUT_S)
        except _CAUGHT as exc:
            raise _events_error(exc) from exc
        return [dict(e) for e in data]  # TypedDicts -> plain dicts

    async def create(self, guild_id: int, payload: dict[str, Any]) -> int:
        try:
            data = await asyncio.wait_for(self.client.http.create_guild_scheduled_event(guild_id, **payload), TIMEOUT_S)
        except _CAUGHT as exc:
            raise _events_error(exc) from exc
        return int(data["id"])

    async def update(self, guild_id: int, event_id: int, payload: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self.client.http.edit_scheduled_event(guild_id, event_id, **payload), TIMEOUT_S)
        except _CAUGHT as exc:
            raise _events_error(exc) from exc

    async def delete(self, guild_id: int, event_id: int) -> None:
        try:
            await asyncio.wait_for(self.client.http.delete_scheduled_event(guild_id, event_id), TIMEOUT_S)
        except _CAUGHT as exc:
            raise _events_error(exc) from exc


async def dm_user(client: discord.Client, user_id: int, text: str) -> None:
    """Tell one user something by DM (pings nobody); errors are the caller's to log."""
    channel = await client.http.start_private_message(user_id)
    messageable = client.get_partial_messageable(int(channel["id"]), type=discord.ChannelType.private)
    await messageable.send(text, allowed_mentions=NO_MENTIONS)


_REASONS = {
    50007: "your DMs are closed to me",
    50013: "I lack the Send Messages permission there",
    50001: "I cannot see that channel any more",
    10003: "the channel was deleted",
}


def _send_error(exc: BaseException) -> Exception:
    match exc:
        case discord.HTTPException() if exc.status >= 500 or exc.status == 429:
            return dg.TransientSendError(f"{exc.status}: {exc.text}")
        case discord.HTTPException():
            return dg.UndeliverableError(_REASONS.get(exc.code, f"Discord refused it ({exc.status} {exc.code})"))
    return dg.TransientSendError(f"{type(exc).__name__}: {exc}")


class DiscordDigestTransport:
    """:class:`bot.digests.DigestTransport` over a logged-in client: nonce-checked sends, no pings."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def open_dm(self, user_id: int) -> int:
        try:
            data = await asyncio.wait_for(self.client.http.start_private_message(user_id), TIMEOUT_S)
        except _CAUGHT as exc:
            raise _send_error(exc) from exc
        return int(data["id"])

    async def post(self, channel_id: int, content: str, nonce: str) -> int:
        # discord.py sends enforce_nonce with every nonce: a retry returns the message Discord already made.
        channel = self.client.get_partial_messageable(channel_id)
        try:
            message = await asyncio.wait_for(
                channel.send(content, nonce=nonce, allowed_mentions=NO_MENTIONS), TIMEOUT_S
            )
        except _CAUGHT as exc:
            raise _send_error(exc) from exc
        return message.id

"""discord.py adapters of the server-alert features: guild scheduled events, DMs to admins, digest posts.

The only part of the mirror and the digests that touches discord.py; errors are mapped to the plain
exceptions their logic understands.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import discord
from discord.http import Route

from bot import channel_alerts as ca
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


# Channel alerts -----------------------------------------------------------------------------------

ALREADY_CROSSPOSTED = 40033
UNKNOWN_CHANNEL = 10003
# A week: a mission's forum post stays open between its launch alerts and its docking.
FORUM_ARCHIVE_MINUTES = 10_080


def _channel_error(exc: BaseException) -> Exception:
    match exc:
        case discord.Forbidden():
            why = "I cannot see that channel" if exc.code == 50001 else "I lack a permission there"
            return ca.ChannelForbiddenError(f"{why} (Discord: {exc.code} {exc.text})")
        case discord.NotFound() if exc.code == UNKNOWN_CHANNEL:
            return ca.ChannelGoneError(str(exc))
        case discord.HTTPException() if exc.status >= 500 or exc.status == 429:
            return ca.ChannelTransientError(f"{exc.status}: {exc.text}")
        case discord.HTTPException():
            return ca.ChannelRefusedError(f"{exc.status} {exc.code}: {exc.text}")
    return ca.ChannelTransientError(f"{type(exc).__name__}: {exc}")


class DiscordChannelTransport:
    """Posts channel alerts with the exact JSON of :mod:`bot.channel_alerts` (raw routes: no mention merging)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def _call(self, route: Route, **kwargs: Any) -> Any:
        try:
            return await asyncio.wait_for(self.client.http.request(route, **kwargs), TIMEOUT_S)
        except _CAUGHT as exc:
            raise _channel_error(exc) from exc

    async def post(self, channel_id: int, post: ca.Post, nonce: str) -> int:
        """Send in a text channel, thread or announcement channel; the message id."""
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        data = await self._call(route, json=ca.post_payload(post, nonce))
        return int(data["id"])

    async def publish(self, channel_id: int, message_id: int) -> None:
        """Crosspost to following servers; one already published (a retry after a crash) is fine."""
        route = Route(
            "POST",
            "/channels/{channel_id}/messages/{message_id}/crosspost",
            channel_id=channel_id,
            message_id=message_id,
        )
        try:
            await self._call(route)
        except ca.ChannelRefusedError as exc:
            if str(ALREADY_CROSSPOSTED) not in str(exc):
                raise

    async def create_forum_post(self, forum_id: int, title: str, post: ca.Post) -> tuple[int, int]:
        """A new post (thread) in a forum channel, the alert as its first message: (thread id, message id)."""
        route = Route("POST", "/channels/{channel_id}/threads", channel_id=forum_id)
        body = {"name": title, "auto_archive_duration": FORUM_ARCHIVE_MINUTES, "message": ca.post_payload(post, None)}
        data = await self._call(route, json=body)
        thread_id = int(data["id"])
        message = data.get("message") or {}
        return thread_id, int(message.get("id", thread_id))

    async def rename(self, thread_id: int, title: str) -> None:
        """Retitle a forum post (the bot owns it, so no Manage Threads is needed)."""
        await self._call(Route("PATCH", "/channels/{channel_id}", channel_id=thread_id), json={"name": title})

    def missing_permissions(
        self, guild_id: int, channel_id: int, kind: ca.ChannelKind, role_id: int | None
    ) -> list[str]:
        """What the bot lacks in the channel, from discord.py's cache (kept fresh by the gateway); [] if uncached."""
        guild = self.client.get_guild(guild_id)
        channel = guild.get_channel_or_thread(channel_id) if guild is not None else None
        if guild is None or channel is None or guild.me is None:
            return []
        role = guild.get_role(role_id) if role_id is not None else None
        mentionable = None if role_id is None else bool(role is not None and role.mentionable)
        perms = channel.permissions_for(guild.me)
        return [name for name in ca.needed_permissions(kind, role_mentionable=mentionable) if not getattr(perms, name)]

    async def active_threads(self, guild_id: int) -> list[ca.ActiveThread]:
        """The guild's active threads."""
        data = await self._call(Route("GET", "/guilds/{guild_id}/threads/active", guild_id=guild_id))
        return [
            ca.ActiveThread(
                int(t["id"]),
                int(t["parent_id"]) if t.get("parent_id") else None,
                str(t.get("name") or ""),
                int(t["owner_id"]) if t.get("owner_id") else None,
            )
            for t in data.get("threads", [])
        ]

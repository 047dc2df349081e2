"""Deliver one channel alert where it belongs: a text channel or thread, an announcement channel (then
publish), or a forum channel (the mission's post: made at its first alert, reused, retitled on a slip).

Exactly once: messages carry the outbox row's nonce; a forum post's row is written before it is made and
names the alert that makes it, so a post made just before a crash is adopted (same forum, same title, made
by the bot) and its starter message counts as that alert. No discord.py here (see ``ChannelTransport``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot import channel_alerts as ca
from bot.db import forum_posts as store
from bot.db.database import Database
from bot.db.events import to_epoch
from bot.models import Precision

log = logging.getLogger(__name__)


class ChannelTransport(Protocol):
    """What channel alerts need of Discord (``bot.server_ports.DiscordChannelTransport`` in the bot)."""

    async def post(self, channel_id: int, post: ca.Post, nonce: str) -> int: ...

    async def publish(self, channel_id: int, message_id: int) -> None: ...

    async def create_forum_post(self, forum_id: int, title: str, post: ca.Post) -> tuple[int, int]: ...

    async def rename(self, thread_id: int, title: str) -> None: ...

    async def active_threads(self, guild_id: int) -> list[ca.ActiveThread]: ...

    def missing_permissions(
        self, guild_id: int, channel_id: int, kind: ca.ChannelKind, role_id: int | None
    ) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Target:
    """Where one channel alert goes."""

    guild_id: int
    channel_id: int
    kind: ca.ChannelKind


@dataclass(frozen=True, slots=True)
class ForumContext:
    """What a forum post needs beyond the alert: which mission it is about and what its title shows."""

    mission: str
    milestone_id: int
    title: str


class ChannelPoster:
    """Sends channel alerts through a :class:`ChannelTransport`; errors are the transport's (the caller pauses)."""

    def __init__(
        self, db: Database, transport: ChannelTransport, bot_user_id: Callable[[], int], now: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.transport = transport
        self.bot_user_id = bot_user_id
        self.now = now

    async def deliver(
        self,
        target: Target,
        post: ca.Post,
        nonce: str,
        forum: ForumContext | None = None,
        *,
        role_id: int | None = None,
    ) -> tuple[int, int]:
        """Send one alert; (channel or thread id, message id).

        Permissions are checked first: Discord drops an embed without Embed Links and a role ping without
        Mention Everyone silently, so waiting for a 403 would not catch those.
        """
        missing = self.transport.missing_permissions(target.guild_id, target.channel_id, target.kind, role_id)
        if missing:
            raise ca.ChannelForbiddenError(f"I need {', '.join(ca.missing_labels(missing))} there")
        match target.kind:
            case ca.ChannelKind.FORUM:
                assert forum is not None
                return await self._forum(target, post, nonce, forum)
            case ca.ChannelKind.ANNOUNCEMENT:
                message_id = await self.transport.post(target.channel_id, post, nonce)
                # Published so servers following the channel get it too (a retry publishing again is fine).
                await self.transport.publish(target.channel_id, message_id)
                return target.channel_id, message_id
            case _:
                return target.channel_id, await self.transport.post(target.channel_id, post, nonce)

    async def _forum(self, target: Target, post: ca.Post, nonce: str, forum: ForumContext) -> tuple[int, int]:
        now = to_epoch(self.now())
        existing = await store.get_post(self.db, target.channel_id, forum.mission)
        if existing is not None and existing.thread_id is None:
            existing = await self._adopt(target, existing, now)
        if existing is not None and existing.thread_id is not None:
            if existing.first_nonce == nonce:
                # This alert made the post (before a crash): its starter message is this alert.
                return existing.thread_id, existing.thread_id
            if existing.title != forum.title:
                await self.transport.rename(existing.thread_id, forum.title)
                existing = await self._saved(existing, forum, now)
            try:
                return existing.thread_id or 0, await self.transport.post(existing.thread_id or 0, post, nonce)
            except ca.ChannelGoneError:
                # A moderator deleted the post: the alert starts a new one.
                await store.forget_post(self.db, target.channel_id, forum.mission)
        row = store.ForumPost(
            target.channel_id, forum.mission, target.guild_id, None, forum.title, forum.milestone_id, nonce
        )
        await store.save_post(self.db, row, now)
        try:
            thread_id, message_id = await self.transport.create_forum_post(target.channel_id, forum.title, post)
        except (ca.ChannelForbiddenError, ca.ChannelRefusedError, ca.ChannelGoneError):
            await store.forget_post(self.db, target.channel_id, forum.mission)
            raise
        # A transient error leaves the row: the next try adopts the post if Discord made it after all.
        await store.save_post(
            self.db,
            store.ForumPost(
                target.channel_id, forum.mission, target.guild_id, thread_id, forum.title, forum.milestone_id, nonce
            ),
            now,
        )
        return thread_id, message_id

    async def _adopt(self, target: Target, row: store.ForumPost, now: int) -> store.ForumPost | None:
        """A post whose create may have reached Discord: find it among the active threads, else forget it."""
        me = self.bot_user_id()
        for thread in await self.transport.active_threads(target.guild_id):
            if thread.parent_id == target.channel_id and thread.name == row.title and thread.owner_id == me:
                adopted = store.ForumPost(
                    row.forum_id, row.mission, row.guild_id, thread.id, row.title, row.milestone_id, row.first_nonce
                )
                await store.save_post(self.db, adopted, now)
                log.info("adopted forum post %s of %s made before a restart", thread.id, row.mission)
                return adopted
        await store.forget_post(self.db, row.forum_id, row.mission)
        return None

    async def _saved(self, row: store.ForumPost, forum: ForumContext, now: int) -> store.ForumPost:
        renamed = store.ForumPost(
            row.forum_id, row.mission, row.guild_id, row.thread_id, forum.title, forum.milestone_id, row.first_nonce
        )
        await store.save_post(self.db, renamed, now)
        return renamed

    async def retitle(self, zone_of: Callable[[int], ZoneInfo]) -> int:
        """Retitle every forum post whose mission's time (or name) changed; returns how many were renamed."""
        posts = await store.all_posts(self.db)
        facts = await store.title_facts(self.db, sorted({p.milestone_id for p in posts}))
        renamed = 0
        now = to_epoch(self.now())
        for p in posts:
            f = facts.get(p.milestone_id)
            if f is None or p.thread_id is None:
                continue
            title = ca.forum_title(f.name, f.at, Precision(f.precision), zone_of(p.guild_id))
            if title == p.title:
                continue
            try:
                await self.transport.rename(p.thread_id, title)
            except ca.ChannelGoneError:
                await store.forget_post(self.db, p.forum_id, p.mission)
                continue
            except ca.ChannelSendError as exc:
                log.warning("could not retitle forum post %s: %s", p.thread_id, exc)
                continue
            await self._saved(p, ForumContext(p.mission, p.milestone_id, title), now)
            renamed += 1
        return renamed

"""The bot: one ``commands.Bot`` subclass that owns every service and loads the cogs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import pkgutil
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands

import cogs
from bot import __version__
from bot.alerts.channels import ChannelAlerts
from bot.alerts.engine import AlertEngine
from bot.alerts.transport import DiscordTransport, guard_global_rate_limit
from bot.channel_poster import ChannelPoster
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.db.browse import QUERY_KEEP, prune_queries
from bot.errors import on_app_command_error
from bot.ll2 import LL2Sync
from bot.pubsub import ChangeBus
from bot.server_ports import DiscordChannelTransport, dm_user

log = logging.getLogger(__name__)
# How long after start the daily house-keeping first runs (the gateway and the first LL2 sync come first).
HOUSEKEEPING_FIRST = timedelta(minutes=10)

TREE_HASH_KEY = "discord.command_tree_hash"


def extension_names() -> list[str]:
    """Every module of the ``cogs`` package, as extension names."""
    return sorted(f"cogs.{m.name}" for m in pkgutil.iter_modules(cogs.__path__) if not m.name.startswith("_"))


class TMinusTree(app_commands.CommandTree["TMinusBot"]):
    """Command tree whose errors go to the central handler."""

    async def on_error(self, interaction: discord.Interaction[TMinusBot], error: app_commands.AppCommandError) -> None:
        await on_app_command_error(interaction, error)


class TMinusBot(commands.Bot):
    """The T-Minus bot. Cogs reach services as ``self.bot.db``, ``self.bot.settings`` and so on."""

    settings: Settings
    db: Database
    http_session: aiohttp.ClientSession
    scheduler: AsyncIOScheduler
    changes: ChangeBus
    ll2: LL2Sync
    started_at: datetime
    clock: Clock
    alerts: AlertEngine

    def __init__(self, settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> None:
        super().__init__(
            # Slash commands only: no prefix commands, so no message content intent is needed.
            command_prefix=commands.when_mentioned,
            intents=discord.Intents(guilds=True),
            # Nobody is pinged unless a send says so explicitly.
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            # A 429 asking for a longer wait raises RateLimited instead of holding the request open: the alert
            # engine waits it out on its own clock (30 s is the least discord.py accepts).
            max_ratelimit_timeout=30.0,
            owner_ids=set(settings.owner_ids) or None,
            tree_cls=TMinusTree,
        )
        self.settings = settings
        # Every reader of the current time (cogs, LL2 sync, alerts) asks this clock, so tests can move it.
        self.clock = clock if clock is not None else SystemClock()
        self.db = db if db is not None else Database.for_settings(settings, retry_busy=True)
        self.changes = ChangeBus()
        # The alert engine adds jobs; every trigger is timezone-aware and the scheduler itself runs in UTC.
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.started_at = self.clock.now()

    async def setup_hook(self) -> None:
        """Open resources, load cogs, and sync the command tree if it changed."""
        await self.db.connect()
        _watch_view_store(self)
        # A send timed out in discord.py's sleep for a global 429 must not leave every later request waiting.
        guard_global_rate_limit(self)
        self.http_session = aiohttp.ClientSession(headers={"User-Agent": f"T-Minus/{__version__} (Discord bot)"})
        self.scheduler.start()
        # Once a day: forget browse filters nobody uses, then SQLite's advice for a long-lived connection
        # (PRAGMA optimize, also run at close). The first run comes soon after start, since a bot restarted more
        # often than daily would otherwise never tidy up; the scheduler runs on real time, so the real clock.
        self.scheduler.add_job(
            self.housekeeping,
            "interval",
            hours=24,
            id="housekeeping",
            replace_existing=True,
            next_run_time=SystemClock().now() + HOUSEKEEPING_FIRST,
        )
        # LL2 sync (issue 4): made here so the alert engine can wait for its first step; started after the cogs.
        self.ll2 = LL2Sync(self.db, self.http_session, self.settings, self.changes, now=self.clock.now)
        # Alerts (issue 10): rebuilt from rows in the background (late alerts go out, missed ones are recorded),
        # so a long fan-out after a restart never holds up the gateway connection. Late alerts of LL2 milestones
        # wait for the first LL2 sync (bounded), which may have moved them.
        self.alerts = AlertEngine(
            self.db,
            self.clock,
            self.scheduler,
            DiscordTransport(self),
            global_limit=self.settings.discord_global_rate_limit,
            channel_alerts=self._channel_alerts(),
            first_sync=self.ll2.first_step_done,
        )
        self.changes.subscribe(self.alerts.on_changes)
        self._alerts_start = asyncio.create_task(self.alerts.start(), name="alerts.start")
        for name in extension_names():
            await self.load_extension(name)
        # LL2 sync (issue 4): started after the cogs so their ChangeBus subscribers see the first sync.
        await self.ll2.start()
        await self.sync_commands()

    async def housekeeping(self) -> None:
        """The daily tidy-up: prune browse filters idle for a month, then ``PRAGMA optimize``."""
        pruned = await prune_queries(self.db, now=self.clock.now())
        if pruned:
            log.info("forgot %d browse filters unused for %d days", pruned, QUERY_KEEP.days)
        await self.db.optimize()

    def _channel_alerts(self) -> ChannelAlerts:
        """Channel alerts (issue 11): posts in text, announcement, thread and forum channels; DMs to admins."""
        poster = ChannelPoster(self.db, DiscordChannelTransport(self), self._own_id, self.clock.now)
        return ChannelAlerts(self.db, poster, partial(dm_user, self), self.settings.default_timezone)

    def _own_id(self) -> int:
        assert self.user is not None, "channel alerts run after login"
        return self.user.id

    def _tree_payload(self) -> list[dict[str, object]]:
        return sorted(
            (cmd.to_dict(self.tree) for cmd in self.tree.get_commands()),
            key=lambda c: (str(c.get("type")), str(c["name"])),
        )

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Upload the command tree when it differs from the last upload (or when forced); True if it synced."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload = json.dumps({"guild": self.settings.dev_guild_id, "tree": self._tree_payload()}, sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        if not force and await self.db.get_state(TREE_HASH_KEY) == digest:
            log.info("command tree unchanged; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await self.db.set_state(TREE_HASH_KEY, digest)
        log.info("synced %d commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")
        return True

    async def on_interaction(self, interaction: discord.Interaction[TMinusBot]) -> None:
        """Answer a button press or form that nothing handles (a review that expired, a restart, a crafted
        ``custom_id``) with a hint, instead of leaving the user with Discord's "This interaction failed"."""
        _watch_view_store(self)  # again, in case discord.py replaced its store (a fresh login): for the next ones
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        if interaction.extras.get(HANDLED, True) or interaction.response.is_done():
            return
        try:
            await interaction.response.send_message(
                STALE_COMPONENT, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.info("could not answer an unhandled component interaction %s", interaction.id)

    async def close(self) -> None:
        """Stop the scheduler and close the HTTP session and the database, then disconnect."""
        ll2 = getattr(self, "ll2", None)  # LL2 sync (issue 4): stopped before the session it uses closes
        if ll2 is not None:
            await ll2.stop()
        if getattr(self, "alerts", None) is not None:
            # Sends in flight finish and are recorded; the rest stays pending for the next start.
            await self.alerts.aclose()
        start = getattr(self, "_alerts_start", None)
        if start is not None and not start.done():
            start.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await start
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        _stop_views(self)
        session = getattr(self, "http_session", None)
        if session is not None and not session.closed:
            await session.close()
        await super().close()
        await self.db.close()


HANDLED = "tminus.handled"  # interaction.extras key: whether discord.py had a view, item or modal for it


def _watch_view_store(bot: discord.Client) -> None:
    """Note on each component or modal interaction, before discord.py dispatches it, whether anything will
    handle it. Checked before dispatch because a handler may stop its view (leaving the store) before
    ``on_interaction`` runs. If discord.py's internals differ, nothing is noted and no hint is ever sent."""
    store = getattr(getattr(bot, "_connection", None), "_view_store", None)
    if store is None or getattr(store, "_tminus_watched", False):
        return
    dispatch_view, dispatch_modal = store.dispatch_view, store.dispatch_modal

    def watched_view(component_type: int, custom_id: str, interaction: discord.Interaction[Any]) -> None:
        interaction.extras[HANDLED] = _has_handler(bot, interaction)
        dispatch_view(component_type, custom_id, interaction)

    def watched_modal(custom_id: str, interaction: discord.Interaction[Any], *args: Any) -> None:
        interaction.extras[HANDLED] = _has_handler(bot, interaction)
        dispatch_modal(custom_id, interaction, *args)

    # Every view the store starts, so close() can stop them (see _stop_views); weakly, so a view that times out
    # or stops is not held here.
    views: weakref.WeakSet[Any] = weakref.WeakSet()
    add_view = store.add_view

    def tracked_add_view(view: Any, message_id: int | None = None) -> None:
        views.add(view)
        add_view(view, message_id)

    store.dispatch_view, store.dispatch_modal, store.add_view = watched_view, watched_modal, tracked_add_view
    store._tminus_views = views
    store._tminus_watched = True


def _stop_views(bot: discord.Client) -> None:
    """Stop every view still listening, so its timeout task ends with the client.

    discord.py gives an ephemeral reply's view (``/subscriptions``' buttons) a 15-minute timeout task even when
    its buttons are dynamic items that answer for ever, and close() leaves those tasks pending: each holds its
    view, the view the store, the store the closed client with all its caches, for up to 15 minutes. A bot
    restarted in one process (the soak's restarts and downtimes) kept every earlier client alive that way.
    """
    store = getattr(getattr(bot, "_connection", None), "_view_store", None)
    for view in list(getattr(store, "_tminus_views", ())):
        view.stop()


STALE_COMPONENT = "That button or form is no longer active (it expired, or the bot restarted). Run the command again."


def _has_handler(bot: discord.Client, interaction: discord.Interaction[Any]) -> bool:
    """Whether discord.py dispatched this component or modal to a view, a dynamic item or a modal.

    discord.py offers no public way to ask, and dispatches (synchronously, before ``on_interaction``) only what
    its view store knows; this reads the same store. If its layout ever changes, assume handled: a missed hint
    is better than answering an interaction twice.
    """
    store = getattr(getattr(bot, "_connection", None), "_view_store", None)
    data: dict[str, object] = dict(interaction.data or {})
    custom_id = data.get("custom_id")
    if store is None or not isinstance(custom_id, str):
        return True
    try:
        if interaction.type is discord.InteractionType.modal_submit:
            return custom_id in store._modals
        if any(pattern.fullmatch(custom_id) for pattern in store._dynamic_items):
            # discord.py drops a dynamic item's press unless the message really shows that component.
            return interaction.message is not None and custom_id in _custom_ids(interaction.message.components)
        key = (data.get("component_type"), custom_id)
        message_id = interaction.message.id if interaction.message is not None else None
        return key in store._views.get(message_id, {}) or key in store._views.get(None, {})
    except (AttributeError, TypeError):
        return True


def _custom_ids(components: Sequence[object]) -> set[str]:
    """Every custom_id among message components and their children (action rows hold buttons)."""
    found: set[str] = set()
    for component in components:
        custom_id = getattr(component, "custom_id", None)
        if isinstance(custom_id, str):
            found.add(custom_id)
        found |= _custom_ids(getattr(component, "children", []) or [])
    return found

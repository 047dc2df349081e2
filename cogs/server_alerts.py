"""``/alerts``: a server's own alerts (Manage Server). Thin adapter over ``bot.guild_events`` and friends."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC
from functools import partial
from typing import Any

import discord
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from bot import channel_alerts as ca
from bot import guild_events
from bot.alerts import channels as channel_core
from bot.alerts import rules
from bot.bot import TMinusBot
from bot.channel_poster import Target
from bot.cooldowns import COOLDOWNS
from bot.covers import CoverFetcher
from bot.db import channel_alerts as channel_store
from bot.db import guild_events as mirror_store
from bot.db.events import to_epoch
from bot.db.settings import set_guild_timezone
from bot.digests import DigestService
from bot.exceptions import InputError
from bot.models import Change
from bot.render import inert_name, truncate
from bot.server_ports import DiscordEventsPort, dm_user
from bot.zones import canonical_zone
from cogs.events import zone_autocomplete

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
MIRROR_JOB = "guild-events-reconcile"
MIRROR_EVERY_S = 600
MIRROR_WHAT_CHOICES = [app_commands.Choice(name=w, value=w) for w in guild_events.WHAT_KINDS]


def _missing_event_permissions(interaction: discord.Interaction[TMinusBot]) -> list[str]:
    """What the bot lacks to mirror events in this server (from the interaction: Discord computes it fresh)."""
    perms = interaction.app_permissions
    return [] if perms.manage_events or perms.create_events else ["Manage Events"]


def _nothing() -> None:
    return None


Postable = discord.TextChannel | discord.Thread | discord.ForumChannel
ALERT_WHAT_CHOICES = [app_commands.Choice(name=w, value=w) for w in rules.WHAT_KINDS]


def channel_kind(channel: Postable) -> ca.ChannelKind:
    """How alerts are posted in ``channel``."""
    if isinstance(channel, discord.Thread):
        return ca.ChannelKind.THREAD
    if isinstance(channel, discord.ForumChannel):
        return ca.ChannelKind.FORUM
    return ca.ChannelKind.ANNOUNCEMENT if channel.is_news() else ca.ChannelKind.TEXT


def check_postable(interaction: discord.Interaction[TMinusBot], channel: Postable, role: discord.Role | None) -> None:
    """Refuse (with what to grant) a channel the bot cannot post in, or a role it cannot ping."""
    guild = interaction.guild
    assert guild is not None
    if role is not None and role.is_default():
        raise InputError("Pick a role to ping, not @everyone: members who want alerts can take the role.")
    if role is not None and role.guild.id != guild.id:
        raise InputError("That role is not one of this server's.")
    perms = channel.permissions_for(guild.me)
    mentionable = None if role is None else role.mentionable
    missing = [
        p for p in ca.needed_permissions(channel_kind(channel), role_mentionable=mentionable) if not getattr(perms, p)
    ]
    if missing:
        raise InputError(ca.missing_text(channel.mention, missing, role=role.mention if role else None))


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class ServerAlerts(commands.GroupCog, group_name="alerts", group_description="This server's alerts and events"):
    """Server-wide alert settings: the zone of its posts, the Scheduled Events mirror."""

    events = app_commands.Group(name="events", description="Mirror upcoming launches as Discord Scheduled Events")

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot
        self.mirror = guild_events.EventMirror(
            bot.db,
            DiscordEventsPort(bot),
            bot.clock.now,
            partial(dm_user, bot),
            covers=CoverFetcher(bot.http_session) if bot.settings.event_covers else None,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] = _nothing
        super().__init__()

    async def cog_load(self) -> None:
        # The mirror follows every sync (ChangeBus), a timer (events after the fact, new ones in the window),
        # and runs once at start-up (found again by stored id or marker after a restart).
        self._unsubscribe = self.bot.changes.subscribe(self._on_changes)
        self.bot.scheduler.add_job(
            self.reconcile_mirror,
            IntervalTrigger(seconds=MIRROR_EVERY_S, timezone=UTC),
            id=MIRROR_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )
        self._background(self.reconcile_mirror())

    async def cog_unload(self) -> None:
        self._unsubscribe()
        if self.bot.scheduler.get_job(MIRROR_JOB) is not None:
            self.bot.scheduler.remove_job(MIRROR_JOB)
        for task in list(self._tasks):
            task.cancel()

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reconcile_mirror(self) -> None:
        """Reconcile the Scheduled Events mirror; a failure is logged, the timer tries again."""
        try:
            await self.mirror.reconcile()
        except Exception:
            log.exception("scheduled events mirror reconcile failed")

    async def _on_changes(self, changes: Sequence[Change]) -> None:
        await self.reconcile_mirror()

    async def _can_manage(self, interaction: discord.Interaction[TMinusBot]) -> bool:
        return interaction.permissions.manage_guild or await self.bot.is_owner(interaction.user)

    async def interaction_check(self, interaction: discord.Interaction[TMinusBot]) -> bool:  # type: ignore[override]
        # default_permissions only hides the commands; a server can re-grant them, so check at run time too.
        if await self._can_manage(interaction):
            return True
        raise app_commands.MissingPermissions(["manage_guild"])

    async def _reply(self, interaction: discord.Interaction[TMinusBot], text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.checks.cooldown(*COOLDOWNS["alerts add"])
    @app_commands.command(name="add", description="Post alerts in a channel, thread, announcement or forum channel")
    @app_commands.describe(
        channel="Where to post (a forum channel gets one post per mission)",
        what="Which moments",
        role="A role to ping with each alert (nobody else is pinged)",
        match="Only these: text in the provider, rocket, station or mission name",
        leads="How long before, e.g. 24h, 1h, 10m, 0 (default 1h, 10m; at most 6, up to 14 days)",
    )
    @app_commands.choices(what=ALERT_WHAT_CHOICES)
    async def add(
        self,
        interaction: discord.Interaction[TMinusBot],
        channel: Postable,
        what: app_commands.Choice[str],
        role: discord.Role | None = None,
        match: app_commands.Range[str, 1, 100] | None = None,
        leads: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        check_postable(interaction, channel, role)
        sub = await channel_core.add_channel_alert(
            self.bot.db,
            added_by=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            kind=channel_kind(channel),
            role_id=role.id if role is not None else None,
            what=what.value,
            match=match,
            leads=leads,
            now=to_epoch(self.bot.clock.now()),
        )
        self.bot.alerts.hint()
        await self._reply(
            interaction, f"Added {channel_core.describe(sub)}. `/alerts test` shows what members will see."
        )

    @app_commands.checks.cooldown(*COOLDOWNS["alerts list"])
    @app_commands.command(name="list", description="This server's channel alerts")
    async def list_(self, interaction: discord.Interaction[TMinusBot]) -> None:
        assert interaction.guild_id is not None
        subs = await channel_store.guild_channel_subscriptions(self.bot.db, interaction.guild_id)
        lines = [channel_core.describe(s) for s in subs]
        await self._reply(
            interaction, truncate("\n".join(lines) or "No channel alerts yet: add one with `/alerts add`.", 2_000)
        )

    @app_commands.checks.cooldown(*COOLDOWNS["alerts remove"])
    @app_commands.command(name="remove", description="Remove one of this server's channel alerts")
    @app_commands.describe(alert="Which one (start typing its channel, kind or number)")
    async def remove(self, interaction: discord.Interaction[TMinusBot], alert: str) -> None:
        assert interaction.guild_id is not None
        hint = "Pick an alert from the list (`/alerts list` shows them all)."
        # ASCII digits only (str.isdigit takes "¹", which int() refuses), at most 18: within SQLite's integers.
        number = re.fullmatch(r"#?([0-9]{1,18})", alert.strip())
        if number is None:
            raise InputError(hint)
        sub_id = int(number.group(1))
        if not await channel_store.remove_channel_subscription(self.bot.db, interaction.guild_id, sub_id):
            raise InputError(f"This server has no channel alert #{sub_id}. {hint}")
        self.bot.alerts.hint()
        await self._reply(interaction, f"Removed channel alert #{sub_id}.")

    @remove.autocomplete("alert")
    async def remove_autocomplete(
        self, interaction: discord.Interaction[TMinusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        # discord.py runs no interaction_check for autocomplete: only managers see the server's alerts.
        if interaction.guild_id is None or not await self._can_manage(interaction):
            return []
        guild = interaction.guild
        needle = current.casefold().lstrip("#")
        subs = await channel_store.guild_channel_subscriptions(self.bot.db, interaction.guild_id)
        choices = []
        for sub in subs:
            channel = guild.get_channel_or_thread(sub.channel_id) if guild is not None else None
            label = f"#{sub.rule.id} {('#' + channel.name) if channel else sub.channel_id} · {sub.what}"
            if sub.paused_reason:
                label += " · paused"
            if needle in label.casefold():
                choices.append(app_commands.Choice(name=truncate(label, 100), value=str(sub.rule.id)))
        return choices[:25]

    @app_commands.checks.cooldown(*COOLDOWNS["alerts test"])
    @app_commands.command(name="test", description="Post a sample alert so you see what members will see")
    @app_commands.describe(channel="The channel to post the sample in")
    async def test(self, interaction: discord.Interaction[TMinusBot], channel: Postable) -> None:
        assert interaction.guild_id is not None
        role_id = await channel_store.first_role(self.bot.db, interaction.guild_id, channel.id)
        role = interaction.guild.get_role(role_id) if interaction.guild and role_id else None
        check_postable(interaction, channel, role)
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = Target(interaction.guild_id, channel.id, channel_kind(channel))
        try:
            await channel_core.post_sample(
                self.bot.alerts.channel_alerts, target, role_id, interaction.id, self.bot.clock.now()
            )
        except ca.ChannelSendError as exc:
            await interaction.followup.send(
                f"I couldn't post in {channel.mention}: {exc}.", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await interaction.followup.send(
            f"Posted a sample in {channel.mention}.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.checks.cooldown(*COOLDOWNS["alerts timezone"])
    @app_commands.command(name="timezone", description="The zone for plain-text times in this server's posts")
    @app_commands.describe(zone="An IANA zone such as America/New_York or Europe/Paris")
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def timezone(self, interaction: discord.Interaction[TMinusBot], zone: app_commands.Range[str, 1, 64]) -> None:
        assert interaction.guild_id is not None
        name = canonical_zone(zone)
        if name is None:
            raise InputError(f"{zone!r} is not a time zone I know. Pick one from the list, e.g. `Europe/Berlin`.")
        await set_guild_timezone(self.bot.db, interaction.guild_id, name, now=self.bot.clock.now())
        # The server's channel digests follow its zone at once (their cron jobs are rebuilt in it).
        service = getattr(self.bot.get_cog("Digest"), "service", None)
        if isinstance(service, DigestService):
            await service.sync_jobs()
        await self._reply(interaction, f"This server's posts and digests now show plain-text times in **{name}**.")

    @app_commands.checks.cooldown(*COOLDOWNS["alerts events on"])
    @events.command(name="on", description="Mirror upcoming launches and dockings as Scheduled Events")
    @app_commands.describe(
        days=f"How far ahead, in days (default {guild_events.DEFAULT_DAYS})",
        what=f"Which milestones (default: {guild_events.DEFAULT_WHAT})",
        match="Only events whose provider, rocket, mission or station contains this",
    )
    @app_commands.choices(what=MIRROR_WHAT_CHOICES)
    async def events_on(
        self,
        interaction: discord.Interaction[TMinusBot],
        days: app_commands.Range[int, 1, guild_events.MAX_DAYS] = guild_events.DEFAULT_DAYS,
        what: app_commands.Choice[str] | None = None,
        match: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        missing = _missing_event_permissions(interaction)
        if missing:
            raise InputError(
                f"I need the **{', '.join(missing)}** permission to create Scheduled Events here. "
                "Give it to my role in Server Settings → Roles, then run `/alerts events on` again."
            )
        chosen = what.value if what is not None else guild_events.DEFAULT_WHAT
        # Echo the match as stored: a blank one (all spaces, which Discord's length limit lets through) is no
        # filter, and echoing it raw could push the reply past Discord's 2,000 characters.
        stored = await guild_events.enable(
            self.bot.db,
            guild_id=interaction.guild_id,
            days=days,
            what=chosen,
            match=match,
            user_id=interaction.user.id,
            now=to_epoch(self.bot.clock.now()),
        )
        scope = f" matching “{inert_name(stored)}”" if stored else ""
        await self._reply(
            interaction,
            f"Mirroring {chosen}{scope} in the next {days} days as Scheduled Events. "
            "Members press **Interested** and Discord reminds them.",
        )
        self._background(self.reconcile_mirror())

    @app_commands.checks.cooldown(*COOLDOWNS["alerts events off"])
    @events.command(name="off", description="Stop the Scheduled Events mirror and remove its events")
    async def events_off(self, interaction: discord.Interaction[TMinusBot]) -> None:
        assert interaction.guild_id is not None
        removed = await mirror_store.remove_mirror(self.bot.db, interaction.guild_id)
        text = "Stopped: I'm removing the Scheduled Events I made." if removed else "The mirror was not on here."
        await self._reply(interaction, text)
        self._background(self.reconcile_mirror())


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(ServerAlerts(bot))

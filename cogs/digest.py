"""``/digest``: daily or weekly lists of what is coming, by DM (anyone) or in a channel (Manage Server)."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import discord
from discord import app_commands
from discord.ext import commands

from bot import digests
from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.db import digests as store
from bot.db.events import to_epoch
from bot.db.settings import get_guild_timezone, get_user_timezone
from bot.exceptions import InputError
from bot.server_ports import DiscordDigestTransport, dm_user

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
DAY_CHOICES = [app_commands.Choice(name=d, value=i) for i, d in enumerate(digests.WEEKDAYS)]
Postable = discord.TextChannel | discord.Thread


def missing_post_permissions(channel: discord.abc.GuildChannel | discord.Thread, me: discord.Member) -> list[str]:
    """What the bot lacks to post a digest in ``channel``."""
    perms = channel.permissions_for(me)
    needed = [("View Channel", perms.view_channel)]
    if isinstance(channel, discord.Thread):
        needed.append(("Send Messages in Threads", perms.send_messages_in_threads))
    else:
        needed.append(("Send Messages", perms.send_messages))
    return [name for name, ok in needed if not ok]


async def manage_server_for_a_channel(interaction: discord.Interaction[TMinusBot]) -> bool:
    """A channel digest is the server's: Manage Server (or a bot owner) at run time, whatever the server's
    command permissions say. A check, so it runs before the cooldown (a refused member spends no uses) and
    before the time is read (the refusal is the answer, not a hint about the time)."""
    if getattr(interaction.namespace, "channel", None) is None or interaction.guild is None:
        return True  # a DM digest is anyone's; a channel named in a DM is explained by the command
    if interaction.permissions.manage_guild or await interaction.client.is_owner(interaction.user):
        return True
    raise app_commands.MissingPermissions(["manage_guild"])


CHANNEL_IN_DM = "A channel digest is set in the server it posts in; in DMs, leave `channel` out."


class Digest(commands.GroupCog, group_name="digest", group_description="A daily or weekly list of what is coming"):
    """Digests: the cron jobs live in ``bot.digests.DigestService``."""

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot
        self.service = digests.DigestService(
            bot.db,
            bot.scheduler,
            DiscordDigestTransport(bot),
            bot.clock.now,
            partial(dm_user, bot),
            bot.settings.default_timezone,
        )
        super().__init__()

    async def cog_load(self) -> None:
        # In the background: a command answers while a slow catch-up sends.
        self.started = asyncio.create_task(self._start(), name="digests.start")

    async def _start(self) -> None:
        try:
            await self.service.sync_jobs()
            self.service.start_resync()
            # A digest due while the bot was down is sent now (late), once; pending rows are retried.
            await self.service.catch_up()
            log.info("digests armed: %d digest jobs", len(self.service.job_ids()))
        except Exception:
            log.exception("digest start-up (jobs, catch-up) failed")

    async def cog_unload(self) -> None:
        self.started.cancel()
        for job_id in [*self.service.job_ids(), digests.RESYNC_JOB]:
            if self.bot.scheduler.get_job(job_id) is not None:
                self.bot.scheduler.remove_job(job_id)

    async def _target(
        self, interaction: discord.Interaction[TMinusBot], channel: Postable | None
    ) -> tuple[int | None, int | None, str]:
        """(guild id, channel id, zone) of the digest asked for; checks who may and what the bot can."""
        if channel is None:
            zone = await get_user_timezone(self.bot.db, interaction.user.id)
            return None, None, zone or self.bot.settings.default_timezone
        if interaction.guild is None:
            raise InputError(CHANNEL_IN_DM)
        # Who may: manage_server_for_a_channel, before anything else.
        missing = missing_post_permissions(channel, interaction.guild.me)
        if missing:
            raise InputError(
                f"I can't post in {channel.mention}: I need **{', '.join(missing)}** there. "
                "Grant it in the channel's settings (Permissions), or pick another channel."
            )
        zone = await get_guild_timezone(self.bot.db, interaction.guild.id)
        return interaction.guild.id, channel.id, zone or self.bot.settings.default_timezone

    async def _set(
        self,
        interaction: discord.Interaction[TMinusBot],
        *,
        cadence: str,
        weekday: int | None,
        time: str,
        channel: Postable | None,
    ) -> None:
        local_time = digests.parse_local_time(time)
        guild_id, channel_id, zone = await self._target(interaction, channel)
        await store.set_digest(
            self.bot.db,
            owner_id=interaction.user.id,
            guild_id=guild_id,
            channel_id=channel_id,
            cadence=cadence,
            weekday=weekday,
            local_time=local_time,
            zone=zone,
            now=to_epoch(self.bot.clock.now()),
        )
        await self.service.sync_jobs()
        when = f"every {digests.WEEKDAYS[weekday]}" if weekday is not None else "every day"
        where = f"in {channel.mention}" if channel is not None else "by DM"
        await interaction.response.send_message(
            f"Digest set: {when} at {local_time} ({zone}) {where}, listing the next "
            f"{'24 hours' if cadence == 'daily' else '7 days'}.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.checks.cooldown(*COOLDOWNS["digest daily"])
    @app_commands.command(name="daily", description="Every day at a time, the milestones of the next 24 hours")
    @app_commands.describe(time="Local time of day, e.g. 08:00 or 7:30 pm", channel="Post in this channel (admins)")
    @app_commands.check(manage_server_for_a_channel)
    async def daily(
        self,
        interaction: discord.Interaction[TMinusBot],
        time: app_commands.Range[str, 1, 20],
        channel: Postable | None = None,
    ) -> None:
        await self._set(interaction, cadence="daily", weekday=None, time=time, channel=channel)

    @app_commands.checks.cooldown(*COOLDOWNS["digest weekly"])
    @app_commands.command(name="weekly", description="Once a week, the milestones of the next 7 days")
    @app_commands.describe(
        day="Day of the week",
        time="Local time of day, e.g. 08:00 or 7:30 pm",
        channel="Post in this channel (admins)",
    )
    @app_commands.choices(day=DAY_CHOICES)
    @app_commands.check(manage_server_for_a_channel)
    async def weekly(
        self,
        interaction: discord.Interaction[TMinusBot],
        day: app_commands.Choice[int],
        time: app_commands.Range[str, 1, 20],
        channel: Postable | None = None,
    ) -> None:
        await self._set(interaction, cadence="weekly", weekday=day.value, time=time, channel=channel)

    @app_commands.checks.cooldown(*COOLDOWNS["digest off"])
    @app_commands.command(name="off", description="Stop your DM digests, or a channel's digests")
    @app_commands.describe(channel="The channel whose digests to stop (admins); leave out for your DMs")
    @app_commands.check(manage_server_for_a_channel)
    async def off(self, interaction: discord.Interaction[TMinusBot], channel: Postable | None = None) -> None:
        if channel is not None and interaction.guild is None:
            raise InputError(CHANNEL_IN_DM)
        removed = await store.remove_digests(
            self.bot.db, owner_id=interaction.user.id, channel_id=channel.id if channel else None
        )
        await self.service.sync_jobs()
        text = f"Stopped {removed} digest{'s' if removed != 1 else ''}." if removed else "There was no digest to stop."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Digest(bot))

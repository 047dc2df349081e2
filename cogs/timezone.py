"""``/timezone set`` and ``/timezone show``: the zone plain-text times are written in for each reader."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.db.settings import get_guild_timezone, get_user_timezone, set_guild_timezone, set_user_timezone
from bot.exceptions import InputError
from bot.models import Precision
from bot.render import plain_instant
from bot.zones import choose_zone, search_zones
from cogs.browse import user_installable

NO_MENTIONS = discord.AllowedMentions.none()


async def zone_autocomplete(
    interaction: discord.Interaction[TMinusBot], current: str
) -> list[app_commands.Choice[str]]:
    """IANA zones and city names containing what was typed (at most 25)."""
    return [app_commands.Choice(name=label[:100], value=zone) for label, zone in search_zones(current)]


@user_installable
class Timezone(commands.GroupCog, group_name="timezone", group_description="Your time zone for plain-text times"):
    """Each reader's zone: theirs, else their server's, else the bot's DEFAULT_TIMEZONE."""

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.checks.cooldown(*COOLDOWNS["timezone set"])
    @app_commands.command(name="set", description="Set your time zone (a city or an IANA zone)")
    @app_commands.describe(zone="Your city or zone, e.g. New York, Mumbai or Europe/Berlin")
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def set_(self, interaction: discord.Interaction[TMinusBot], zone: app_commands.Range[str, 1, 100]) -> None:
        """Save the reader's zone; abbreviations and unknown names change nothing and say what to type."""
        chosen = choose_zone(zone)
        now = self.bot.clock.now()
        await set_user_timezone(self.bot.db, interaction.user.id, chosen, now=now)
        local = plain_instant(now, Precision.MINUTE, ZoneInfo(chosen))
        await interaction.response.send_message(
            f"Your time zone is now **{chosen}** (it is {local} there). Plain-text times are written in it.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.checks.cooldown(*COOLDOWNS["timezone server"])
    @app_commands.command(name="server", description="Manage Server: the zone for members who chose none")
    @app_commands.describe(zone="The server's city or zone, e.g. Houston or America/Chicago")
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def server(self, interaction: discord.Interaction[TMinusBot], zone: app_commands.Range[str, 1, 100]) -> None:
        """Save the server's zone (members' own choices still win); Manage Server only, in a server with the bot."""
        if interaction.guild_id is None or not interaction.is_guild_integration():
            raise InputError(
                "The server's zone is set in a server T-Minus was added to. Use `/timezone set` for yours."
            )
        if not (interaction.permissions.manage_guild or await self.bot.is_owner(interaction.user)):
            raise app_commands.MissingPermissions(["manage_guild"])
        chosen = choose_zone(zone)
        await set_guild_timezone(self.bot.db, interaction.guild_id, chosen, now=self.bot.clock.now())
        await interaction.response.send_message(
            f"This server's time zone is now **{chosen}**, for members who have not chosen their own.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.checks.cooldown(*COOLDOWNS["timezone show"])
    @app_commands.command(name="show", description="Show the time zone plain-text times are written in for you")
    async def show(self, interaction: discord.Interaction[TMinusBot]) -> None:
        """Say which zone applies and where it comes from."""
        db = self.bot.db
        zone = await get_user_timezone(db, interaction.user.id)
        source = "you chose it"
        if zone is None and interaction.guild_id is not None:
            zone = await get_guild_timezone(db, interaction.guild_id)
            source = "this server's zone; `/timezone set` chooses your own"
        if zone is None:
            zone = self.bot.settings.default_timezone
            source = "the bot's default; `/timezone set` chooses your own"
        local = plain_instant(self.bot.clock.now(), Precision.MINUTE, ZoneInfo(zone))
        await interaction.response.send_message(
            f"Your time zone is **{zone}** ({source}). It is {local} there.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Timezone(bot))

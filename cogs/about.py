"""``/about``: what the bot is, how fresh its data is, how long it has been up."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__
from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.db.events import count_events
from bot.freshness import read_freshness
from bot.render import humanize_duration

LL2_URL = "https://thespacedevs.com/llapi"


class About(commands.Cog):
    """Information about the bot itself."""

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot

    @app_commands.checks.cooldown(*COOLDOWNS["about"])
    @app_commands.command(name="about", description="What T-Minus is, how fresh its launch data is, and its uptime")
    async def about(self, interaction: discord.Interaction[TMinusBot]) -> None:
        """Answer with an embed of version, data freshness, uptime and links."""
        now = self.bot.clock.now()
        counts = await count_events(self.bot.db, visible_in=interaction.guild_id, everything=False)
        freshness = (await read_freshness(self.bot.db)).markup(now)
        embed = discord.Embed(
            title=f"T-Minus {__version__}",
            description="Launch, docking and live-coverage alerts for space fans.",
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name="Launch data", value=f"Launch Library 2, {freshness}", inline=False)
        embed.add_field(
            name="Tracking",
            value=(
                f"{counts.get('events_ll2', 0)} events from LL2, {counts.get('events_manual', 0)} entered by hand, "
                f"{counts['milestones']} milestones"
            ),
            inline=False,
        )
        embed.add_field(name="Uptime", value=humanize_duration(now - self.bot.started_at))
        embed.add_field(name="Links", value=f"[Launch Library 2]({LL2_URL})")
        embed.set_footer(text="Data: The Space Devs' Launch Library 2")
        await interaction.response.send_message(embed=embed, allowed_mentions=discord.AllowedMentions.none())


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(About(bot))

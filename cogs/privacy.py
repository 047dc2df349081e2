"""``/forget me``: delete what T-Minus holds about the user who asks, after they confirm."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.db.privacy import Held, forget_user, held_about
from bot.errors import report_error

NO_MENTIONS = discord.AllowedMentions.none()
CONFIRM_S = 120.0


def describe(held: Held) -> str:
    """What is held, in words, one line per kind."""
    lines = []
    if held.settings:
        lines.append("• your settings (time zone, DM alert settings)")
    if held.dm_subscriptions:
        lines.append(f"• {held.dm_subscriptions} DM alert subscription(s)")
    if held.deliveries:
        lines.append(f"• {held.deliveries} record(s) of alerts, notices and digests DMed or due to you")
    if held.dm_digests:
        lines.append(f"• {held.dm_digests} DM digest(s)")
    if held.server_subscriptions:
        lines.append(
            f"• your id on {held.server_subscriptions} server alert(s) you set up "
            "(the alerts stay: they are the server's)"
        )
    if held.events_created:
        lines.append(f"• your id on {held.events_created} hand-entered event(s) (the events stay)")
    if held.server_setups:
        lines.append(
            f"• your id on {held.server_setups} channel digest(s) or Scheduled Events mirror(s) you set up "
            "(they stay: they are the server's)"
        )
    return "\n".join(lines)


class ForgetConfirm(discord.ui.View):
    """Delete / Cancel under the ephemeral summary; only the user who asked sees it."""

    def __init__(self, user_id: int) -> None:
        super().__init__(timeout=CONFIRM_S)
        self.user_id = user_id

    async def interaction_check(self, interaction: discord.Interaction[TMinusBot]) -> bool:  # type: ignore[override]
        return interaction.user.id == self.user_id

    @discord.ui.button(label="Delete it all", style=discord.ButtonStyle.danger)
    async def delete(
        self, interaction: discord.Interaction[TMinusBot], button: discord.ui.Button[ForgetConfirm]
    ) -> None:
        """Forget the user, then say what went."""
        self.stop()
        try:
            held = await forget_user(interaction.client.db, self.user_id)
        except Exception as error:
            await report_error(interaction, error)
            return
        interaction.client.alerts.hint()  # the alert engine drops the jobs of what was deleted
        done = describe(held) or "• nothing (it was already gone)"
        await interaction.response.edit_message(
            content=f"Done. Deleted:\n{done}\nT-Minus keeps nothing else about you.",
            view=None,
            allowed_mentions=NO_MENTIONS,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[TMinusBot], button: discord.ui.Button[ForgetConfirm]
    ) -> None:
        """Keep everything."""
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled: nothing was deleted.", view=None, allowed_mentions=NO_MENTIONS
        )

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[TMinusBot], error: Exception, item: discord.ui.Item[ForgetConfirm]
    ) -> None:
        await report_error(interaction, error)


class Privacy(commands.Cog):
    """What the bot holds about you, and deleting it."""

    forget = app_commands.Group(
        name="forget",
        description="Delete what T-Minus holds about you",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True),
        allowed_installs=app_commands.AppInstallationType(guild=True, user=True),
    )

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot

    @app_commands.checks.cooldown(*COOLDOWNS["forget me"])
    @forget.command(name="me", description="Delete your time zone, DM alerts, DM digests and their history")
    async def me(self, interaction: discord.Interaction[TMinusBot]) -> None:
        """Show what is held and ask for confirmation; nothing is deleted before the button."""
        held = await held_about(self.bot.db, interaction.user.id)
        if held.nothing:
            await interaction.response.send_message(
                "T-Minus holds nothing about you: no time zone, no alerts, no digests, no delivery history.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.response.send_message(
            f"T-Minus holds:\n{describe(held)}\nDelete it? This cannot be undone.",
            view=ForgetConfirm(interaction.user.id),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Privacy(bot))

"""``/subscribe``, ``/subscriptions``, ``/unsubscribe`` and the "Alert me" button: thin over ``bot.alerts``."""

from __future__ import annotations

import re
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import rules
from bot.alerts import subscriptions as core
from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.db import alerts as store
from bot.db.events import to_epoch
from bot.errors import report_error
from bot.exceptions import InputError
from bot.render import truncate

NO_MENTIONS = discord.AllowedMentions.none()
WHAT_CHOICES = [app_commands.Choice(name=w, value=w) for w in rules.WHAT_KINDS]
# A message holds 25 buttons (five rows of five): 24 Remove buttons and Mute all / Unmute.
MAX_REMOVE_BUTTONS = 24


async def guarded(interaction: discord.Interaction[Any], work: Coroutine[Any, Any, None]) -> None:
    """Run a button's work; its errors get the central handler's answer (a hint, or an apology and a log)."""
    try:
        await work
    except Exception as exc:
        await report_error(interaction, exc)


async def listing(bot: TMinusBot, user_id: int) -> tuple[discord.Embed, discord.ui.View]:
    """The user's own subscriptions with their buttons (always built for the user who asked or pressed)."""
    subs = await store.list_subscriptions(bot.db, user_id)
    state = await store.recipient_state(bot.db, user_id)
    embed = discord.Embed(title="Your alerts", colour=discord.Colour.blurple())
    lines = [core.describe(s) for s in subs] or ["None yet: `/subscribe` to get DMs before launches."]
    if state.paused_reason:
        lines.insert(0, f"⏸️ **Paused**: {state.paused_reason}. Open your DMs, then press Unmute to resume.")
    elif state.muted:
        lines.insert(0, "🔕 **Muted**: no alerts and no notices (slips, holds, outcomes) until you press Unmute.")
    embed.description = truncate("\n".join(lines), 4096)
    if len(subs) > MAX_REMOVE_BUTTONS:
        embed.set_footer(text=f"Buttons for the first {MAX_REMOVE_BUTTONS}; /unsubscribe removes any.")
    view = discord.ui.View(timeout=None)
    for sub in subs[:MAX_REMOVE_BUTTONS]:
        view.add_item(RemoveButton(sub.rule.id))
    view.add_item(MuteButton(not (state.muted or state.paused_reason)))
    return embed, view


class RemoveButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tm:sub:rm:(?P<id>[0-9]{1,18})"):
    """Remove one subscription; only its owner's press does anything, whatever custom_id was crafted."""

    def __init__(self, subscription_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Remove #{subscription_id}",
                style=discord.ButtonStyle.secondary,
                custom_id=f"tm:sub:rm:{subscription_id}",
            )
        )
        self.subscription_id = subscription_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RemoveButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self._remove(interaction))

    async def _remove(self, interaction: discord.Interaction[Any]) -> None:
        bot: TMinusBot = interaction.client
        # The owner check is in the DELETE itself: another user's id matches no row of theirs.
        if not await store.remove_subscription(bot.db, interaction.user.id, self.subscription_id):
            raise InputError("That subscription is not one of yours, or it is already gone. See `/subscriptions`.")
        bot.alerts.hint()
        embed, view = await listing(bot, interaction.user.id)
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_MENTIONS)


class MuteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tm:sub:mute:(?P<on>[01])"):
    """Mute all / Unmute: always switches the presser's own alerts."""

    def __init__(self, mute: bool) -> None:
        super().__init__(
            discord.ui.Button(
                label="Mute all" if mute else "Unmute",
                style=discord.ButtonStyle.danger if mute else discord.ButtonStyle.success,
                custom_id=f"tm:sub:mute:{int(mute)}",
            )
        )
        self.mute = mute

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MuteButton:
        return cls(match["on"] == "1")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self._switch(interaction))

    async def _switch(self, interaction: discord.Interaction[Any]) -> None:
        bot: TMinusBot = interaction.client
        await core.set_muted(bot.db, owner_id=interaction.user.id, muted=self.mute, now=to_epoch(bot.clock.now()))
        bot.alerts.hint()
        embed, view = await listing(bot, interaction.user.id)
        await interaction.response.edit_message(embed=embed, view=view, allowed_mentions=NO_MENTIONS)


class AlertMeButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tm:alertme:(?P<event>[0-9]{1,18})"):
    """The "Alert me" button of /nextlaunch and /launch: DM the presser before that one mission."""

    def __init__(self, event_id: int) -> None:
        super().__init__(
            discord.ui.Button(label="Alert me", style=discord.ButtonStyle.primary, custom_id=f"tm:alertme:{event_id}")
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AlertMeButton:
        return cls(int(match["event"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, self._subscribe(interaction))

    async def _subscribe(self, interaction: discord.Interaction[Any]) -> None:
        bot: TMinusBot = interaction.client
        sub = await core.subscribe_mission(
            bot.db,
            owner_id=interaction.user.id,
            event_id=self.event_id,
            guild_id=interaction.guild_id,
            now=to_epoch(bot.clock.now()),
        )
        bot.alerts.hint()
        await interaction.response.send_message(
            f"I'll DM you before {sub.label}: {core.describe(sub)}. `/subscriptions` to change it.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )


class Subscriptions(commands.Cog):
    """DM alert subscriptions."""

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Persistent: the buttons of any /subscriptions message ever sent still work after a restart.
        self.bot.add_dynamic_items(RemoveButton, MuteButton, AlertMeButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(RemoveButton, MuteButton, AlertMeButton)

    @app_commands.checks.cooldown(*COOLDOWNS["subscribe"])
    @app_commands.command(name="subscribe", description="Get a DM before launches, dockings, spacewalks or coverage")
    @app_commands.describe(
        what="Which moments to be alerted about",
        match="Only these: text in the provider, rocket, station or mission name (empty: all of them)",
        leads="How long before, e.g. 24h, 1h, 10m, 0 (default 1h, 10m; at most 6, up to 14 days)",
    )
    @app_commands.choices(what=WHAT_CHOICES)
    async def subscribe(
        self,
        interaction: discord.Interaction[TMinusBot],
        what: app_commands.Choice[str],
        match: app_commands.Range[str, 1, 100] | None = None,
        leads: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        sub = await core.subscribe(
            self.bot.db,
            owner_id=interaction.user.id,
            what=what.value,
            match=match,
            leads=leads,
            guild_id=interaction.guild_id,
            now=to_epoch(self.bot.clock.now()),
        )
        self.bot.alerts.hint()
        await interaction.response.send_message(
            f"Subscribed: {core.describe(sub)}. I'll DM you; `/subscriptions` lists yours.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @subscribe.autocomplete("match")
    async def match_autocomplete(
        self, interaction: discord.Interaction[TMinusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        names = await store.match_suggestions(self.bot.db, current, guild_id=interaction.guild_id)
        return [app_commands.Choice(name=truncate(n, 100), value=n[:100]) for n in names]

    @app_commands.checks.cooldown(*COOLDOWNS["subscriptions"])
    @app_commands.command(name="subscriptions", description="Your alert subscriptions, with Remove and Mute buttons")
    async def subscriptions(self, interaction: discord.Interaction[TMinusBot]) -> None:
        embed, view = await listing(self.bot, interaction.user.id)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.checks.cooldown(*COOLDOWNS["unsubscribe"])
    @app_commands.command(name="unsubscribe", description="Remove one of your alert subscriptions")
    @app_commands.describe(subscription="Which one (start typing to see yours)")
    async def unsubscribe(self, interaction: discord.Interaction[TMinusBot], subscription: str) -> None:
        hint = "Pick one of your subscriptions from the list (`/subscriptions` shows them all)."
        # ASCII digits only (str.isdigit takes "¹", which int() refuses), at most 18: within SQLite's integers.
        number = re.fullmatch(r"#?([0-9]{1,18})", subscription.strip())
        if number is None:
            raise InputError(hint)
        sub_id = int(number.group(1))
        if not await store.remove_subscription(self.bot.db, interaction.user.id, sub_id):
            raise InputError(f"You have no subscription #{sub_id}. {hint}")
        self.bot.alerts.hint()
        await interaction.response.send_message(
            f"Removed subscription #{sub_id}.", ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @unsubscribe.autocomplete("subscription")
    async def unsubscribe_autocomplete(
        self, interaction: discord.Interaction[TMinusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.casefold().lstrip("#")
        subs = await store.list_subscriptions(self.bot.db, interaction.user.id)
        lines = [(str(s.rule.id), core.describe(s)) for s in subs]
        return [app_commands.Choice(name=truncate(d, 100), value=i) for i, d in lines if needle in d.casefold()][:25]


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Subscriptions(bot))

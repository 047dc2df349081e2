"""Errors that carry a message meant for the user, and the app-command error handler."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.db.database import DatabaseError
from bot.exceptions import InputError
from bot.render import truncate

log = logging.getLogger(__name__)

MESSAGE_MAX = 2000  # Discord's limit on a message's content
STORAGE_TROUBLE = (
    "I can't save or read that right now: the bot's storage has a problem (the operator has been told). "
    "Nothing was changed; please try again later."
)
APOLOGY = "Sorry, something went wrong on our side. It has been logged; please try again in a moment."


def user_message(error: app_commands.AppCommandError) -> str | None:
    """The short text for an expected error, or ``None`` when the error is a bug to log."""
    match error:
        case app_commands.MissingPermissions() | app_commands.BotMissingPermissions():
            perms = ", ".join(p.replace("_", " ").replace("guild", "server").title() for p in error.missing_permissions)
            who = "You need" if isinstance(error, app_commands.MissingPermissions) else "I need"
            return f"{who} the {perms} permission for this."
        case app_commands.NoPrivateMessage():
            return "This command only works in a server, not in DMs."
        case app_commands.CommandOnCooldown():
            return f"Slow down a little: try again in {error.retry_after:.0f} s."
        case app_commands.TransformerError():
            return f"I couldn't read {error.value!r} there. {error.__cause__ or ''}".strip()
        case app_commands.CheckFailure():
            return "You can't use this command here."
        case app_commands.CommandSignatureMismatch() | app_commands.CommandNotFound():
            return "This command changed since your Discord loaded it. Please try again in a minute."
    return None


def _choice_hint(interaction: discord.Interaction[Any], error: app_commands.TransformerError) -> str | None:
    """For a value outside an option's declared choices (only a modified client sends one): the choices to pick."""
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return None
    for param in command.parameters:
        # The namespace holds the values as sent, under the names Discord shows (a renamed parameter's too).
        if param.choices and getattr(interaction.namespace, param.display_name, None) == error.value:
            names = ", ".join(choice.name for choice in param.choices)
            return f"I couldn't read {error.value!r} as `{param.display_name}`: pick one of the choices ({names})."
    return None


async def send_ephemeral(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer ``interaction`` with an ephemeral message, whether or not it was already answered."""
    mentions = discord.AllowedMentions.none()
    # A message that quotes what the user typed must still fit Discord's 2,000 characters, or it is lost.
    text = truncate(text, MESSAGE_MAX)
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=mentions)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=mentions)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Answer the user for any error of a command, button or modal: a hint if expected, else log and apologise."""
    if isinstance(error, InputError):
        text: str | None = error.message
    elif isinstance(error, DatabaseError):
        # The disk or the file, not the user and not a bug in the command: one line for the operator.
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("storage fault during /%s: %s", command, error)
        text = STORAGE_TROUBLE
    elif isinstance(error, app_commands.TransformerError):
        text = _choice_hint(interaction, error) or user_message(error)
    elif isinstance(error, app_commands.AppCommandError):
        text = user_message(error)
    else:
        text = None
    if text is None:
        command = interaction.command.qualified_name if interaction.command else "?"
        custom_id = interaction.data.get("custom_id") if interaction.data else None
        log.error(
            "interaction failed: command /%s component %s user %s guild %s",
            command,
            custom_id,
            interaction.user.id,
            interaction.guild_id,
            exc_info=error,
        )
        text = APOLOGY
    try:
        await send_ephemeral(interaction, text)
    except discord.HTTPException:
        # The interaction may have expired (3 s / 15 min); nothing more can reach the user.
        log.warning("could not deliver the error message for interaction %s", interaction.id)


async def on_app_command_error(interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
    """The command tree's handler: unwrap the command's own exception and report it."""
    await report_error(interaction, error.original if isinstance(error, app_commands.CommandInvokeError) else error)

"""``run``: start the bot (the default sub-command)."""

from __future__ import annotations

import argparse
import asyncio
import logging

import discord
import yarl

from bot.config import ConfigError, Settings, load_settings
from bot.db import Database
from bot.logs import setup_logging


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` sub-command."""
    parser = subparsers.add_parser("run", help="start the bot (default)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate everything that can fail before connecting, then run until stopped."""
    settings = load_settings()
    token = settings.require_token()
    api_key = settings.ll2_api_key.get_secret_value() if settings.ll2_api_key else ""
    setup_logging(settings.log_level, secrets=[token, api_key])
    return asyncio.run(_run(settings, token))


async def _run(settings: Settings, token: str) -> int:
    # Imported here so `check` and friends don't pay for importing every cog.
    from bot.bot import TMinusBot  # noqa: PLC0415

    if settings.discord_api_url:
        # A local fake Discord (tests/fakediscord): discord.py reads both from class attributes.
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    db = Database(settings.db_path)
    await db.connect()  # fails fast (exit 2) on an unwritable path or a too-new schema
    async with TMinusBot(settings, db=db) as bot:
        try:
            await bot.start(token)
        except discord.LoginFailure:
            raise ConfigError("DISCORD_TOKEN was refused by Discord: check the token in .env") from None
    logging.getLogger(__name__).info("bot stopped")
    return 0

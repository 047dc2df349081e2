"""``run``: start the bot (the default sub-command), and stop it cleanly on SIGTERM or SIGINT.

A stop signal closes the gateway, lets database work in flight finish, closes the database and exits 0:
a supervisor's ``kill`` (or Ctrl-C) is a normal way to stop the bot, not a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.db import Database
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.bot import TMinusBot

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
    # Imported here so `check` and friends never pay for discord.py and every cog.
    import discord  # noqa: PLC0415

    from bot.bot import TMinusBot  # noqa: PLC0415

    _point_discord_at(settings)
    db = Database.for_settings(settings, retry_busy=True)
    await db.connect()  # fails fast (exit 2) on an unwritable path or a too-new schema
    async with TMinusBot(settings, db=db) as bot:
        stopping = _stop_on_signals(bot)
        try:
            await bot.start(token)
        except discord.LoginFailure:
            raise ConfigError("DISCORD_TOKEN was refused by Discord: check the token in .env") from None
        finally:
            loop = asyncio.get_running_loop()
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
        if stopping:
            await asyncio.gather(*stopping)
    log.info("bot stopped; database closed")
    return 0


def _stop_on_signals(bot: TMinusBot) -> set[asyncio.Task[None]]:
    """SIGTERM and SIGINT close the bot (once); returns the set the closing task is put in."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def stop(sig: signal.Signals) -> None:
        if tasks:
            log.info("%s received again; already shutting down", sig.name)
            return
        log.info("%s received: shutting down (closing the gateway, then the database)", sig.name)
        tasks.add(loop.create_task(bot.close(), name="shutdown"))

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop, sig)
    return tasks


def _point_discord_at(settings: Settings) -> None:
    """Use another Discord API and gateway root when the settings name one (a local fake Discord in tests)."""
    import discord  # noqa: PLC0415
    import yarl  # noqa: PLC0415

    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)

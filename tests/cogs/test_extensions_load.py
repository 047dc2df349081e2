"""Every module in cogs/ is an extension that loads and registers slash commands with descriptions."""

from __future__ import annotations

from pathlib import Path

import pytest
from discord import app_commands

from bot.bot import TMinusBot, extension_names
from bot.config import Settings


def test_extension_names_cover_every_cog_module() -> None:
    modules = {p.stem for p in (Path(__file__).parents[2] / "cogs").glob("*.py") if not p.stem.startswith("_")}
    assert {n.removeprefix("cogs.") for n in extension_names()} == modules


@pytest.mark.parametrize("name", extension_names())
async def test_extension_loads(tmp_path: Path, name: str) -> None:
    settings = Settings(db_path=tmp_path / "t.sqlite3", _env_file=None)  # type: ignore[call-arg]
    bot = TMinusBot(settings)
    try:
        await bot.load_extension(name)
        assert name in bot.extensions
        for command in bot.tree.walk_commands():
            assert command.description, f"/{command.qualified_name} has no description"
            if isinstance(command, app_commands.Command):
                for param in command.parameters:
                    assert param.description != "…", f"/{command.qualified_name} {param.name} has no description"
    finally:
        await bot.close()

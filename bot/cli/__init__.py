"""``python -m bot``: the command line. Each sub-command lives in its own module of this package.

A module exposes ``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning the exit status. Only the chosen sub-command's module is imported (``check``
never loads discord.py or aiohttp); each keeps its heavy imports inside the function that runs it. Expected
failures (bad settings, an unusable database, a bad argument) are one line on stderr and exit status 2, never
a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from bot import __version__
from bot.config import ConfigError
from bot.db import DatabaseError

# Order is the order shown in --help; later issues add their modules here.
COMMANDS = ("run", "check", "sync", "upcoming", "plan", "parse_time", "extract")

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (what is wrong, and where help is) instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every sub-command, or with ``only`` that one (so only its module is imported)."""
    parser = _Parser(prog="python -m bot", description="T-Minus, the launch alert bot.")
    parser.add_argument("--version", action="version", version=f"T-Minus {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"bot.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command (``run`` when none is given)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "run")
    module = args_list[0].replace("-", "_")
    parser = build_parser(module if module in COMMANDS else None)
    args = parser.parse_args(args_list)
    func: Handler = args.func
    if args.command != "run":
        # A one-shot command says what went wrong in its own output (the sync report lists warnings and bad
        # records); log records would repeat it on stderr, where an error must be one line. `run` sets up logs.
        logging.getLogger().addHandler(logging.NullHandler())
    try:
        return func(args)
    except (ConfigError, DatabaseError, CliError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

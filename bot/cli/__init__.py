"""``python -m bot``: the command line. Each sub-command lives in its own module of this package.

A module exposes ``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the
parsed arguments and returning the exit status. Expected failures (bad settings, an unusable database) are
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from bot import __version__
from bot.config import ConfigError
from bot.db import DatabaseError

# Order is the order shown in --help; later issues add their modules here.
COMMANDS = ("run", "check", "sync", "upcoming", "parse_time", "extract")

Handler = Callable[[argparse.Namespace], int]


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available sub-command."""
    parser = argparse.ArgumentParser(prog="python -m bot", description="T-Minus, the launch alert bot.")
    parser.add_argument("--version", action="version", version=f"T-Minus {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            # A sub-command whose module is not written yet is simply absent; anything else is a bug.
            if exc.name != f"bot.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen sub-command (``run`` when none is given)."""
    parser = build_parser()
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0].startswith("-") and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "run")
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

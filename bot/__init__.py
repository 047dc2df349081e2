"""T-Minus: a Discord bot for launch, docking and coverage alerts."""

__version__ = "0.1.0"

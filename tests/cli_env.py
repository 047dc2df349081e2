"""An environment for running ``python -m bot`` in a subprocess: the shell's settings variables dropped."""

from __future__ import annotations

import os

from bot.config import Settings

SETTINGS_VARIABLES = frozenset(
    str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for field in Settings.model_fields.values()
)


def clean_env(**overrides: str) -> dict[str, str]:
    """``os.environ`` without any T-Minus setting from the developer's shell, plus ``overrides``."""
    return {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARIABLES} | overrides

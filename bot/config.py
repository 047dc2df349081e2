"""Settings: the one place configuration is read, from environment variables and ``.env``.

Only ``run`` needs the Discord token, so it is optional here and checked by :meth:`Settings.require_token`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.zones import canonical_zone, unknown_zone_message

DEFAULT_LL2_BASE_URL = "https://ll.thespacedevs.com/2.3.0"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line naming the variable."""


def _env(name: str) -> AliasChoices:
    # Accept the env var name and the field name, so tests can build Settings(field=...) directly.
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every setting of the bot; see ``.env.example`` for what each one means."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True, frozen=True
    )

    discord_token: SecretStr | None = Field(default=None, validation_alias=_env("DISCORD_TOKEN"))
    db_path: Path = Field(default=Path("./data/tminus.sqlite3"), validation_alias=_env("TMINUS_DB_PATH"))
    ll2_base_url: str = Field(default=DEFAULT_LL2_BASE_URL, validation_alias=_env("LL2_BASE_URL"))
    ll2_api_key: SecretStr | None = Field(default=None, validation_alias=_env("LL2_API_KEY"))
    ll2_requests_per_hour: int = Field(default=15, ge=1, le=100_000, validation_alias=_env("LL2_REQUESTS_PER_HOUR"))
    default_timezone: str = Field(default="UTC", validation_alias=_env("DEFAULT_TIMEZONE"))
    owner_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset(), validation_alias=_env("OWNER_IDS"))
    dev_guild_id: int | None = Field(default=None, gt=0, validation_alias=_env("DEV_GUILD_ID"))
    log_level: LogLevel = Field(default="INFO", validation_alias=_env("LOG_LEVEL"))
    # Seconds SQLite waits for another process's lock; then a CLI command gives up (the bot retries).
    db_busy_timeout: float = Field(default=5.0, gt=0, le=600, validation_alias=_env("TMINUS_DB_BUSY_TIMEOUT"))
    # Only for running against a local fake Discord (tests/fakediscord): unset means Discord itself.
    discord_api_url: str | None = Field(default=None, validation_alias=_env("DISCORD_API_URL"))
    discord_gateway_url: str | None = Field(default=None, validation_alias=_env("DISCORD_GATEWAY_URL"))
    # Discord's global limit for this bot (50 requests/s unless Discord raised it); alert fan-outs pace under it.
    discord_global_rate_limit: float = Field(
        default=50.0, gt=0, le=10_000, validation_alias=_env("DISCORD_GLOBAL_RATE_LIMIT")
    )
    # Cover images on mirrored Scheduled Events, downloaded from LL2's image hosts (bot/covers.py): opt-in, as
    # it makes the bot fetch from a third-party CDN.
    event_covers: bool = Field(default=False, validation_alias=_env("TMINUS_EVENT_COVERS"))

    @field_validator("discord_token", "ll2_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `DISCORD_TOKEN=` copied from .env.example means "not set", not "an empty token".
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("dev_guild_id", mode="before")
    @classmethod
    def _blank_guild_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("discord_api_url", "discord_gateway_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("discord_api_url", "discord_gateway_url")
    @classmethod
    def _check_discord_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        schemes = ("http", "https") if info.field_name == "discord_api_url" else ("ws", "wss")
        parsed = urlsplit(value)
        if parsed.scheme not in schemes or not parsed.hostname:
            raise ValueError(f"{value!r} is not a {'/'.join(schemes)} URL")
        return value.rstrip("/")

    @field_validator("db_path", mode="before")
    @classmethod
    def _blank_path_is_default(cls, value: object) -> object:
        # `TMINUS_DB_PATH=` from a copied .env.example means "the default", not "the current folder".
        if isinstance(value, str) and not value.strip():
            return Path("./data/tminus.sqlite3")
        if isinstance(value, str) and (value.strip() == ":memory:" or value.strip().startswith("file:")):
            raise ValueError(f"{value!r} is not a file path: an in-memory database keeps nothing (give a file path)")
        return value

    @field_validator("ll2_base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        parsed = urlsplit(value)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. {DEFAULT_LL2_BASE_URL}")
        if parsed.query or parsed.fragment or value.rstrip().endswith(("?", "#")):
            # Paths are appended to the root, so a query or fragment would swallow them.
            raise ValueError(f"{value!r} has a query or fragment: give the API root only, e.g. {DEFAULT_LL2_BASE_URL}")
        return value.rstrip("/")

    @field_validator("default_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        canonical = canonical_zone(value)
        if canonical is None:
            raise ValueError(unknown_zone_message(value))
        return canonical

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            # isdigit() alone accepts "²" and other digits int() refuses; ids are ASCII digits.
            if not all(p.isascii() and p.isdigit() for p in parts):
                raise ValueError(f"{value!r} is not a comma-separated list of Discord user ids")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def timezone(self) -> ZoneInfo:
        """The default zone as a ``ZoneInfo``."""
        return ZoneInfo(self.default_timezone)

    def require_token(self) -> str:
        """The Discord token, or a ConfigError naming the variable."""
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError("DISCORD_TOKEN is not set: copy .env.example to .env and put your bot token there")
        return self.discord_token.get_secret_value().strip()


_ALIASES = {
    name: (field.validation_alias.choices[0] if isinstance(field.validation_alias, AliasChoices) else name)
    for name, field in Settings.model_fields.items()
}


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; a bad value raises ConfigError with one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"][0] if first["loc"] else "settings"
        name = _ALIASES.get(str(loc), str(loc).upper())
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message} (see .env.example)") from None

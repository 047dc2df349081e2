"""Settings: defaults, parsing, and a clear one-line error for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_LL2_BASE_URL, ConfigError, Settings, load_settings

ALL_VARS = (
    "DISCORD_TOKEN",
    "TMINUS_DB_PATH",
    "LL2_BASE_URL",
    "LL2_API_KEY",
    "LL2_REQUESTS_PER_HOUR",
    "DEFAULT_TIMEZONE",
    "OWNER_IDS",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "TMINUS_DB_BUSY_TIMEOUT",
    "DISCORD_API_URL",
    "DISCORD_GATEWAY_URL",
    "DISCORD_GLOBAL_RATE_LIMIT",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable from the developer's shell or .env leaks into these tests."""
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_need_nothing() -> None:
    settings = load_settings()
    assert settings.discord_token is None
    assert settings.db_path == Path("data/tminus.sqlite3")
    assert settings.ll2_base_url == DEFAULT_LL2_BASE_URL
    assert settings.ll2_requests_per_hour == 15
    assert settings.default_timezone == "UTC"
    assert settings.owner_ids == frozenset()
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"


def test_reads_every_variable_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "DISCORD_TOKEN": "abc.def.ghi",
        "TMINUS_DB_PATH": "/srv/tminus/x.sqlite3",
        "LL2_BASE_URL": "http://127.0.0.1:9/2.3.0/",
        "LL2_API_KEY": "key123",
        "LL2_REQUESTS_PER_HOUR": "300",
        "DEFAULT_TIMEZONE": "America/New_York",
        "OWNER_IDS": "12, 34",
        "DEV_GUILD_ID": "99",
        "LOG_LEVEL": "debug",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = load_settings()
    assert s.require_token() == "abc.def.ghi"
    assert s.db_path == Path("/srv/tminus/x.sqlite3")
    assert s.ll2_base_url == "http://127.0.0.1:9/2.3.0"  # trailing slash dropped so paths join cleanly
    assert s.ll2_api_key is not None
    assert s.ll2_api_key.get_secret_value() == "key123"
    assert s.ll2_requests_per_hour == 300
    assert s.timezone.key == "America/New_York"
    assert s.owner_ids == frozenset({12, 34})
    assert s.dev_guild_id == 99
    assert s.log_level == "DEBUG"


def test_reads_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_TIMEZONE=Europe/London\nOWNER_IDS=7\n")
    s = load_settings()
    assert s.default_timezone == "Europe/London"
    assert s.owner_ids == frozenset({7})


def test_token_is_secret_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    s = load_settings()
    assert "super-secret-token" not in repr(s)
    assert "super-secret-token" not in str(s)


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", value)
    with pytest.raises(ConfigError, match=r"^DISCORD_TOKEN is not set: .*\.env\.example"):
        load_settings().require_token()


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons", "DEFAULT_TIMEZONE: 'Mars/Olympus_Mons' is not an IANA time zone"),
        ("DEFAULT_TIMEZONE", "EST5EDT!", "DEFAULT_TIMEZONE:"),
        ("DEFAULT_TIMEZONE", "America", "DEFAULT_TIMEZONE: 'America' is not an IANA time zone"),  # a tzdata folder
        ("DEFAULT_TIMEZONE", "../../../etc/passwd", "DEFAULT_TIMEZONE:"),
        ("DEFAULT_TIMEZONE", "localtime", "DEFAULT_TIMEZONE: 'localtime' is not an IANA time zone"),  # host-dependent
        ("DEFAULT_TIMEZONE", "Factory", "DEFAULT_TIMEZONE:"),
        ("DEFAULT_TIMEZONE", "est", "DEFAULT_TIMEZONE: 'est' is not"),  # fixed UTC-5, not New York: say which
        ("LL2_BASE_URL", "https://", "LL2_BASE_URL: 'https://' is not an http(s) URL"),
        ("DEV_GUILD_ID", "-5", "DEV_GUILD_ID:"),
        ("LL2_REQUESTS_PER_HOUR", "0", "LL2_REQUESTS_PER_HOUR:"),
        ("LL2_REQUESTS_PER_HOUR", "lots", "LL2_REQUESTS_PER_HOUR:"),
        ("LL2_BASE_URL", "ll.thespacedevs.com", "LL2_BASE_URL: 'll.thespacedevs.com' is not an http(s) URL"),
        ("OWNER_IDS", "alice,bob", "OWNER_IDS: 'alice,bob' is not a comma-separated list"),
        ("DEV_GUILD_ID", "my-guild", "DEV_GUILD_ID:"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL:"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = str(info.value)
    assert text.startswith(message)
    assert "\n" not in text
    assert text.endswith("(see .env.example)")


def test_blank_database_path_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMINUS_DB_PATH", " ")
    assert load_settings().db_path == Path("data/tminus.sqlite3")


@pytest.mark.parametrize(("typed", "canonical"), [("utc", "UTC"), ("america/new_york", "America/New_York")])
def test_zone_names_are_accepted_in_any_case(monkeypatch: pytest.MonkeyPatch, typed: str, canonical: str) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", typed)
    assert load_settings().default_timezone == canonical


def test_fields_can_be_given_by_name_in_tests(tmp_path: Path) -> None:
    s = Settings(db_path=tmp_path / "db.sqlite3", default_timezone="Asia/Qyzylorda", _env_file=None)  # type: ignore[call-arg]
    assert s.db_path == tmp_path / "db.sqlite3"
    assert s.timezone.key == "Asia/Qyzylorda"


def test_discord_urls_point_the_bot_at_a_fake_and_default_to_discord(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (load_settings().discord_api_url, load_settings().discord_gateway_url) == (None, None)
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:8765/api/v10/")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://127.0.0.1:8765/gateway")
    s = load_settings()
    assert (s.discord_api_url, s.discord_gateway_url) == (
        "http://127.0.0.1:8765/api/v10",
        "ws://127.0.0.1:8765/gateway",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("DISCORD_API_URL", "ws://127.0.0.1:8765/api/v10"), ("DISCORD_GATEWAY_URL", "http://127.0.0.1:8765/gateway")],
)
def test_discord_url_with_the_wrong_scheme_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name}: .* is not a"):
        load_settings()

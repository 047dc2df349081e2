"""Hostile input to EVERY slash command (issue 15), found from the synced command tree so that a command or
option added later is fuzzed without editing this file.

For each leaf of the tree (``/alerts test``, ``/alerts add`` with its ``role``, ``/forget me``...), hypothesis
draws a value for every option from its declared type, as a modified client could send it: text of any unicode,
huge, injection-looking, or outside the declared choices; integers and numbers far outside the declared range;
every channel of the server that the option's ``channel_types`` allow (a text channel, an announcement channel, a
forum, one the bot cannot post in); every role (``@everyone``, the bot's own managed role, an admin role).
Options with autocomplete also get hostile partial text. Whatever arrives: the answer is within Discord's limits
(the fake checks every body against the spec), it is never the apology for a bug nor a traceback, nothing is
logged as an error, and a command refused with an error leaves the database as it was. The specific tests in
``test_hostile_input.py`` add per-command success checks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from discord import app_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bot import TMinusBot
from bot.errors import APOLOGY
from tests.e2e.dbdump import user_data_dump
from tests.e2e.server_helpers import bot_role
from tests.e2e.test_hostile_input import HUGE, INJECTION, INTS, TEXT, answer_text, fresh_admin
from tests.e2e.test_security import required_values
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import MANAGE_EVENTS

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
CHAT_INPUT = 1


def leaves(fake: FakeDiscordWithScene) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """('alerts events on', its declared options) for every slash command of the synced tree."""

    def walk(prefix: str, options: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            yield prefix, options
        for sub in subs:
            yield from walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for command in fake.global_commands:
        if command.get("type", CHAT_INPUT) == CHAT_INPUT:
            yield from walk(command["name"], command.get("options") or [])


def value_strategy(fake: FakeDiscordWithScene, option: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Any value a modified client could send for ``option`` (Discord still resolves channels and roles)."""
    guild = fake.scene.guild
    match option["type"]:
        case _ if option.get("choices"):
            declared = st.sampled_from([c["value"] for c in option["choices"]])
            forged = TEXT if option["type"] == STRING else INTS
            return st.one_of(declared, declared, forged)
        case 3:  # STRING
            return TEXT
        case 4:  # INTEGER
            return INTS
        case 10:  # NUMBER
            return st.floats(allow_nan=False, allow_infinity=False, width=64)
        case 5:  # BOOLEAN
            return st.booleans()
        case 7:  # CHANNEL: only kinds the option accepts (Discord refuses the others before the bot sees them)
            kinds = option.get("channel_types")
            scene = fake.scene
            # The scene's channels, not threads the bot made since: the choice must not change between examples.
            channels = [scene.general, scene.announcements, scene.forum, scene.readonly]
            return st.sampled_from([c for c in channels if kinds is None or c.type in kinds])
        case 8:  # ROLE: @everyone, the bot's own (managed) role, the scene's admin roles (fresh admins add more)
            return st.sampled_from(sorted(guild.roles.values(), key=lambda r: r.position)[:4])
    raise AssertionError(
        f"option {option['name']!r} has type {option['type']}: give value_strategy a strategy for it, so it is fuzzed"
    )


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """Every error the command tree's handler answered (the command was refused, or failed)."""
    import bot.bot as bot_module

    seen: list[BaseException] = []
    handler = bot_module.on_app_command_error

    async def recording(interaction: Any, error: app_commands.AppCommandError) -> None:
        seen.append(error)
        await handler(interaction, error)

    monkeypatch.setattr(bot_module, "on_app_command_error", recording)
    return seen


def rows(bot: TMinusBot) -> list[str]:
    """The dump without browse_queries (browsing keeps the filters its paging buttons read)."""
    return [row for row in user_data_dump(bot.db.path) if not row.startswith("browse_queries:")]


def test_every_option_type_of_the_tree_has_a_strategy(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    found = list(leaves(fake))
    names = {name for name, _ in found}
    # The ones the last review found unfuzzed, and the commands of every cog.
    assert {"alerts test", "alerts add", "forget me", "event import", "digest weekly", "subscribe", "about"} <= names
    assert any(o["name"] == "role" and o["type"] == ROLE for name, opts in found if name == "alerts add" for o in opts)
    for name, options in found:
        for option in options:
            assert value_strategy(fake, option) is not None, (name, option["name"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_every_command_with_any_option_values_answers_clearly_and_a_refusal_writes_nothing(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, refusals: list[BaseException], data: st.DataObject
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    bot_role(fake).permissions |= MANAGE_EVENTS  # so /alerts events on reaches its arguments
    for command, declared in leaves(fake):
        options = {
            o["name"]: data.draw(value_strategy(fake, o), label=f"/{command} {o['name']}")
            for o in declared
            if o.get("required") or data.draw(st.booleans(), label=f"/{command} gives {o['name']}")
        }
        caplog.clear()
        refusals.clear()
        before = rows(bot)
        result = await fake.slash(
            command, user=fresh_admin(fake), guild=scene.guild, channel=scene.general, options=options
        )
        assert result.answered, command
        text = answer_text(result)
        assert APOLOGY not in text, (command, options)
        assert "Traceback" not in text, command
        assert len(result.content or "") <= 2000, command
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]
        assert not errors, (command, [r.getMessage() for r in errors])
        if refusals:  # refused (bad input, a check): nothing half-written
            assert result.ephemeral, command
            assert rows(bot) == before, (command, options, refusals)
        for option in (o for o in declared if o.get("autocomplete")):
            partial = data.draw(st.one_of(TEXT, INJECTION, HUGE), label=f"/{command} {option['name']} typed")
            choices = await fake.autocomplete(
                command,
                option["name"],
                user=fresh_admin(fake),
                guild=scene.guild,
                channel=scene.general,
                options={option["name"]: partial},
            )
            assert len(choices) <= 25, command
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]


async def test_a_value_outside_any_options_declared_choices_is_answered_with_the_choices(
    tminus_bot: BotOnFake,
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    with_choices = [(c, o, declared) for c, declared in leaves(fake) for o in declared if o.get("choices")]
    assert {c for c, _, _ in with_choices} >= {"events", "calendar", "digest weekly", "subscribe", "alerts add"}
    for command, option, declared in with_choices:
        forged = "'; DROP TABLE events; --" if option["type"] == STRING else 2**31
        options = required_values(declared, fake) | {option["name"]: forged}
        before = rows(bot)
        result = await fake.slash(
            command, user=fresh_admin(fake), guild=scene.guild, channel=scene.general, options=options
        )
        assert result.ephemeral, command
        assert result.content.startswith(
            f"I couldn't read {forged!r} as `{option['name']}`: pick one of the choices ("
        ), (
            command,
            result.content,
        )
        assert all(c["name"] in result.content for c in option["choices"]), command
        assert rows(bot) == before, command

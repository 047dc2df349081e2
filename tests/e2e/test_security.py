"""Security (issue 15, SECURITY.md): admin commands are refused at run time to members without Manage Server.

The fake Discord delivers any synced command to any member, as Discord does once a server has changed a
command's permissions (Server Settings → Integrations): ``default_permissions`` only hides a command, so the bot
must check again. Every admin command is found from the synced tree (``default_member_permissions`` with
MANAGE_GUILD), so one added later is covered without editing this file.
"""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.errors import APOLOGY
from tests.e2e.dbdump import user_data_dump
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
MANAGE_GUILD = 1 << 5
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
REFUSAL = "You need the Manage Server permission for this."
ADMIN_SUBCOMMANDS = frozenset({"timezone server"})
# Subcommands everyone may use that become admin commands with one option given (``/digest daily channel:``
# is the server's digest, ``/digest daily`` the user's own): run with that option, they need Manage Server too.
ADMIN_WITH_OPTION = {"digest daily": "channel", "digest weekly": "channel", "digest off": "channel"}
CHANNEL, ROLE = 7, 8


def admin_commands(fake: FakeDiscordWithScene) -> list[tuple[str, list[dict[str, Any]]]]:
    """('event add', its declared options) for every leaf of every command hidden behind Manage Server."""
    leaves: list[tuple[str, list[dict[str, Any]]]] = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            leaves.append((prefix, options))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for command in fake.global_commands:
        perms = command.get("default_member_permissions")
        if command.get("type", 1) == 1 and perms is not None and int(perms) & MANAGE_GUILD:
            walk(command["name"], command.get("options") or [])
        # Discord sets permissions per top-level command only, so an admin subcommand of an everyone's group
        # (``/timezone server``) cannot be hidden: it relies on the run-time check alone.
        for sub in command.get("options") or []:
            name = f"{command['name']} {sub['name']}"
            if sub["type"] == SUB_COMMAND and name in ADMIN_SUBCOMMANDS:
                leaves.append((name, sub.get("options") or []))
            if sub["type"] == SUB_COMMAND and name in ADMIN_WITH_OPTION:
                options = [
                    o | {"required": True} if o["name"] == ADMIN_WITH_OPTION[name] else o
                    for o in sub.get("options") or []
                ]
                leaves.append((name, options))
    return leaves


def required_values(declared: list[dict[str, Any]], fake: FakeDiscordWithScene) -> dict[str, Any]:
    """A plausible value for every required option, from its declared type (channels and roles: the scene's)."""
    values: dict[str, Any] = {}
    for option in declared:
        if not option.get("required"):
            continue
        if option.get("choices"):
            values[option["name"]] = option["choices"][0]["value"]
        elif option["type"] == 3:  # string
            values[option["name"]] = "tomorrow 06:12 UTC"
        elif option["type"] == 4:  # integer
            values[option["name"]] = max(1, int(option.get("min_value", 1)))
        elif option["type"] == 10:  # number
            values[option["name"]] = float(option.get("min_value", 1))
        elif option["type"] == 5:  # boolean
            values[option["name"]] = True
        elif option["type"] == CHANNEL:
            values[option["name"]] = fake.scene.general
        elif option["type"] == ROLE:
            values[option["name"]] = next(r for r in fake.scene.guild.roles.values() if r.name != "@everyone")
        else:
            raise AssertionError(f"give required_values a value for option type {option['type']} ({option['name']})")
    return values


async def test_every_admin_command_is_refused_at_run_time_without_manage_server(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    # One event exists, so commands that take an event number have one to aim at.
    added = await fake.slash(
        "event add",
        user=scene.moderator,
        guild=scene.guild,
        channel=scene.general,
        options={"name": "Target", "kind": "docking", "time": "tomorrow 06:12 UTC"},
    )
    assert added.content != REFUSAL
    commands = admin_commands(fake)
    assert {"event add", "event edit", "event remove", "event list", "event import", "timezone server"} <= {
        c for c, _ in commands
    }
    assert {"alerts add", "alerts list", "alerts remove", "alerts test", "alerts timezone"} <= {c for c, _ in commands}
    assert {"alerts events on", "alerts events off", *ADMIN_WITH_OPTION} <= {c for c, _ in commands}
    before = user_data_dump(bot.db.path)
    assert before, "the moderator's event should be in the dump, or the comparison proves nothing"
    for command, declared in commands:
        result = await fake.slash(
            command,
            user=scene.member,
            guild=scene.guild,
            channel=scene.general,
            options=required_values(declared, fake),
        )
        assert result.ephemeral, command
        assert result.content == REFUSAL, command
        assert result.modal is None, command
        assert user_data_dump(bot.db.path) == before, command


async def test_the_same_admin_commands_are_answered_for_a_member_with_manage_server(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    for command, declared in admin_commands(fake):
        result = await fake.slash(
            command,
            user=scene.moderator,
            guild=scene.guild,
            channel=scene.general,
            options=required_values(declared, fake),
        )
        assert result.answered, command
        assert result.content != REFUSAL, command
        assert APOLOGY not in (result.content or ""), command  # answered, not a bug behind the check


def test_every_slash_command_has_a_per_user_cooldown(tminus_bot: BotOnFake) -> None:
    _, bot = tminus_bot
    leaves = {c.qualified_name: c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Command)}
    assert set(leaves) == set(COOLDOWNS), "a new command needs its line in bot/cooldowns.py (and SECURITY.md)"
    for name, command in leaves.items():
        limits = [c for c in command.checks if "_create_cooldown_decorator" in getattr(c, "__qualname__", "")]
        assert limits, f"/{name} has no cooldown check"


async def test_about_answers_a_sixth_use_within_thirty_seconds_with_a_wait(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    uses, _per = COOLDOWNS["about"]
    for _ in range(uses):
        assert (await fake.slash("about", user=scene.member, guild=scene.guild, channel=scene.general)).embeds
    refused = await fake.slash("about", user=scene.member, guild=scene.guild, channel=scene.general)
    assert refused.ephemeral
    assert refused.content.startswith("Slow down a little: try again in ")
    # Per user: someone else is not held up by it.
    other = await fake.slash("about", user=scene.moderator, guild=scene.guild, channel=scene.general)
    assert other.embeds


async def test_refused_admin_commands_spend_no_cooldown_uses(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    uses, _per = COOLDOWNS["event list"]
    for _ in range(uses + 2):
        refused = await fake.slash("event list", user=scene.member, guild=scene.guild, channel=scene.general)
        assert refused.content == REFUSAL  # never "slow down": the permission check comes first


async def test_digest_commands_change_only_the_callers_own_digest(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    where = {"guild": scene.guild, "channel": scene.general}
    mine = await fake.slash("digest daily", user=scene.member, options={"time": "08:00"}, **where)
    assert (mine.content or "").startswith("Digest set: ")
    before = [r for r in user_data_dump(bot.db.path) if r.startswith("digests:")]
    assert len(before) == 1
    # Someone else (even a manager) stopping or setting "their" digest touches only their own.
    other = scene.moderator
    stopped = await fake.slash("digest off", user=other, **where)
    assert stopped.content == "There was no digest to stop."
    assert [r for r in user_data_dump(bot.db.path) if r.startswith("digests:")] == before
    theirs = await fake.slash("digest weekly", user=other, options={"day": 0, "time": "09:00"}, **where)
    assert (theirs.content or "").startswith("Digest set: ")
    after = [r for r in user_data_dump(bot.db.path) if r.startswith("digests:")]
    assert len(after) == 2
    assert set(before) <= set(after), "the member's digest is unchanged"
    assert (await fake.slash("digest off", user=other, **where)).content != "There was no digest to stop."
    assert [r for r in user_data_dump(bot.db.path) if r.startswith("digests:")] == before

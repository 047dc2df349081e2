"""Hostile input through the fake Discord (issue 15): every slash-command argument, crafted custom_ids and
modal values. Whatever is typed, the answer is a clear ephemeral message (never the apology for a bug, never a
traceback, within Discord's 2,000 characters) and a refused command leaves the database as it was.

Each example runs as a fresh admin, so the per-user cooldowns (which these floods would rightly hit) do not
decide the outcome.
"""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.bot import STALE_COMPONENT, TMinusBot
from bot.errors import APOLOGY
from tests.e2e.dbdump import user_data_dump
from tests.e2e.server_helpers import bot_role
from tests.fakediscord.interactions import InteractionResult
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import MANAGE_EVENTS, MANAGE_GUILD, User

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
ROOT = Path(__file__).resolve().parents[2]
HOSTILE = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

INJECTION = st.sampled_from(
    [
        "'; DROP TABLE events; --",
        '" OR 1=1 --',
        "1; DELETE FROM subscriptions",
        "@everyone",
        "@here tomorrow 06:12 UTC",
        "<@&123456789012345678>",
        "<@123456789012345678>",
        "**bold** __under__ ~~strike~~ `code` ||spoiler|| # heading",
        "${jndi:ldap://example.org/a}",
        "{{7*7}} %s %n",
        "../../../etc/passwd",
        "\u202etxt.exe",
        "\x00\x01\x1b[31m",
        "Z\u0334\u0321\u031ba\u0337l\u0337g\u0337o\u0337",
        "https://evil.example/\u0000",
        "javascript:alert(1)",
        "tomorrow 06:12 Mars/Olympus",
    ]
)
HUGE = st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(min_value=1000, max_value=6000))
TEXT = st.one_of(st.text(min_size=1, max_size=200), INJECTION, HUGE)
ZONES = st.one_of(st.none(), st.text(min_size=1, max_size=60), INJECTION, st.sampled_from(["UTC", "Etc/GMT+99"]))
INTS = st.one_of(st.integers(min_value=-(2**53), max_value=2**53), st.sampled_from([0, -1, 2**31, 2**53, -(2**53)]))


def fresh_admin(fake: FakeDiscordWithScene) -> User:
    """A new member with Manage Server in the scene's guild."""
    user = fake.world.create_user(f"admin{len(fake.world.users)}")
    fake.world.add_member(fake.scene.guild, user, permissions=MANAGE_GUILD)
    return user


def answer_text(result: InteractionResult) -> str:
    """Everything the user saw: the response and any follow-ups."""
    parts = [result.content or ""] + [f.get("content") or "" for f in result.followups]
    return "\n".join(p for p in parts if p)


def assert_clear_answer(result: InteractionResult, caplog: pytest.LogCaptureFixture) -> None:
    """Answered, and if it is a refusal: ephemeral, short, not the apology for a bug, no traceback."""
    assert result.answered
    text = answer_text(result)
    assert APOLOGY not in text, text
    assert "Traceback" not in text
    assert len(result.content or "") <= 2000
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]
    if not result.embeds:  # a refusal (a success answers with the event's embed)
        assert result.ephemeral
        assert text.strip()


async def slash(fake: FakeDiscordWithScene, command: str, options: dict[str, Any]) -> InteractionResult:
    scene = fake.scene
    given_ = {k: v for k, v in options.items() if v is not None}
    return await fake.slash(command, user=fresh_admin(fake), guild=scene.guild, channel=scene.general, options=given_)


@HOSTILE
@given(
    name=TEXT,
    kind=st.sampled_from(["liftoff", "docking", "spacewalk"]),
    time=TEXT,
    zone=ZONES,
    coverage=st.none() | TEXT,
    webcast=st.none() | TEXT,
    description=st.none() | TEXT,
)
async def test_event_add_with_any_arguments_answers_clearly_and_half_writes_nothing(
    tminus_bot: BotOnFake,
    caplog: pytest.LogCaptureFixture,
    name: str,
    kind: str,
    time: str,
    zone: str | None,
    coverage: str | None,
    webcast: str | None,
    description: str | None,
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    before = user_data_dump(bot.db.path)
    options = {"name": name, "kind": kind, "time": time, "zone": zone, "coverage": coverage}
    result = await slash(fake, "event add", options | {"webcast": webcast, "description": description})
    assert_clear_answer(result, caplog)
    if not result.embeds:
        assert user_data_dump(bot.db.path) == before


@HOSTILE
@given(event=INTS, name=st.none() | TEXT, time=st.none() | TEXT, zone=ZONES, description=st.none() | TEXT)
async def test_event_edit_and_remove_with_any_number_or_text_refuse_clearly(
    tminus_bot: BotOnFake,
    caplog: pytest.LogCaptureFixture,
    event: int,
    name: str | None,
    time: str | None,
    zone: str | None,
    description: str | None,
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    before = user_data_dump(bot.db.path)  # no event exists: every number is someone else's or nobody's
    edit = await slash(
        fake, "event edit", {"event": event, "name": name, "time": time, "zone": zone, "description": description}
    )
    assert_clear_answer(edit, caplog)
    assert not edit.embeds
    remove = await slash(fake, "event remove", {"event": event})
    assert_clear_answer(remove, caplog)
    assert user_data_dump(bot.db.path) == before


@HOSTILE
@given(name=TEXT, article=TEXT, published=st.one_of(st.just(""), st.text(max_size=10), INJECTION))
async def test_import_modal_with_any_values_answers_clearly(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, name: str, article: str, published: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    before = user_data_dump(bot.db.path)
    scene = fake.scene
    user = fresh_admin(fake)
    opened = await fake.slash("event import", user=user, guild=scene.guild, channel=scene.general)
    values = {"import:name": name[:100], "import:article": article[:4000], "import:published": published[:10]}
    result = await fake.submit_modal(opened, values, user=user)
    assert_clear_answer(result, caplog)
    assert user_data_dump(bot.db.path) == before  # the review saves nothing before Confirm


@HOSTILE
@given(custom_id=st.one_of(st.text(min_size=1, max_size=100), INJECTION.map(lambda s: s[:100])))
async def test_a_crafted_custom_id_is_answered_as_no_longer_active(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, custom_id: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    scene = fake.scene
    before = user_data_dump(bot.db.path)
    message = await fake.slash("about", user=fresh_admin(fake), guild=scene.guild, channel=scene.general)
    assert message.original is not None
    for kind, data in (
        (3, {"custom_id": custom_id, "component_type": 2}),
        (5, {"custom_id": custom_id, "components": []}),
    ):
        result = await fake.start_interaction(
            kind, data, user=fresh_admin(fake), guild=scene.guild, channel=scene.general, message=message.original
        )
        await result.wait(lambda r: r.answered, 5.0)
        assert result.content == STALE_COMPONENT
        assert result.ephemeral
    assert_clear_answer(message, caplog)
    assert user_data_dump(bot.db.path) == before


@HOSTILE
@given(text=TEXT, days=INTS, zone=st.one_of(st.text(min_size=1, max_size=100), INJECTION, HUGE))
async def test_browsing_and_zone_commands_with_any_arguments_answer_clearly(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, text: str, days: int, zone: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    before = [row for row in user_data_dump(bot.db.path) if not row.startswith("browse_queries:")]
    for command, options in (
        ("nextlaunch", {"provider": text, "rocket": text, "location": text}),
        ("launches", {"days": days, "provider": text}),
        ("nextdocking", {"station": text}),
        ("launch", {"name": text}),
        ("calendar", {"provider": text}),
    ):
        result = await slash(fake, command, options)
        assert result.answered, command
        shown = answer_text(result)
        assert APOLOGY not in shown, command
        assert len(result.content or "") <= 2000, command
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]
    # Browsing writes nothing about anyone (browse_queries keeps the filters its buttons page through).
    assert [row for row in user_data_dump(bot.db.path) if not row.startswith("browse_queries:")] == before
    for command in ("timezone set", "timezone server"):
        result = await slash(fake, command, {"zone": zone})
        assert_clear_answer(result, caplog)
        if "time zone is now" not in (result.content or ""):
            rows = [row for row in user_data_dump(bot.db.path) if not row.startswith("browse_queries:")]
            assert rows == before, command


BIG = st.one_of(st.integers(min_value=0, max_value=2**63), st.integers(min_value=2**63, max_value=10**40))
BROWSE_IDS = st.one_of(
    st.builds(
        "tm:b:{}:{}:{}:{}:{}".format,
        st.sampled_from(["nl", "ls", "nd", "ev"]),
        st.one_of(st.just("-"), st.text("0123456789abcdef", min_size=16, max_size=16)),
        st.sampled_from(["n", "p"]),
        BIG,
        BIG,
    ),
    st.builds("tm:ics:{}".format, BIG),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(custom_id=BROWSE_IDS)
async def test_a_crafted_browse_button_id_is_answered_clearly(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, custom_id: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    scene = fake.scene
    message = await fake.slash("nextlaunch", user=fresh_admin(fake), guild=scene.guild, channel=scene.general)
    assert message.original is not None
    before = user_data_dump(bot.db.path)
    data = {"custom_id": custom_id, "component_type": 2}
    result = await fake.start_interaction(
        3, data, user=fresh_admin(fake), guild=scene.guild, channel=scene.general, message=message.original
    )
    await result.wait(lambda r: r.answered, 5.0)
    # Not a button of that message (the bot made none with such values): the same hint as any stale button.
    assert result.content == STALE_COMPONENT, custom_id
    assert result.ephemeral
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]
    assert user_data_dump(bot.db.path) == before


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.text(max_size=200), INJECTION.map(lambda s: s[:200])))
async def test_the_import_reviews_edit_form_with_any_value_answers_clearly(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, value: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    scene = fake.scene
    user = fresh_admin(fake)
    opened = await fake.slash("event import", user=user, guild=scene.guild, channel=scene.general)
    article = "The crew will dock at 06:12 UTC on March 3, 2031, and coverage begins at 05:30 UTC."
    values = {"import:name": "Hostile", "import:article": article, "import:published": "2031-03-01"}
    review = await fake.submit_modal(opened, values, user=user, guild=scene.guild, channel=scene.general)
    assert review.message is not None
    edit = next(
        c["custom_id"] for row in review.message["components"] for c in row["components"] if c.get("label") == "Edit"
    )
    form = await fake.press_button(review.message, edit, user=user)
    assert form.modal is not None
    before = user_data_dump(bot.db.path)
    fields = [row["components"][0]["custom_id"] for row in form.modal["components"]]
    result = await fake.submit_modal(form, dict.fromkeys(fields, value), user=user, guild=scene.guild)
    assert result.answered
    text = answer_text(result)
    assert APOLOGY not in text
    assert "Traceback" not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]
    assert user_data_dump(bot.db.path) == before  # the form only changes the review; Confirm saves


@HOSTILE
@given(match=st.none() | TEXT, leads=st.none() | TEXT, which=st.one_of(TEXT, INTS.map(str)))
async def test_subscription_commands_with_any_arguments_answer_clearly(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, match: str | None, leads: str | None, which: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    before = user_data_dump(bot.db.path)
    what = next(o for o in fake.command("subscribe")["options"] if o["name"] == "what")["choices"][0]["value"]
    subscribed = await slash(fake, "subscribe", {"what": what, "match": match, "leads": leads})
    assert subscribed.answered
    assert APOLOGY not in answer_text(subscribed)
    assert len(subscribed.content or "") <= 2000
    if not subscribed.embeds and "Subscribed" not in answer_text(subscribed):
        assert subscribed.ephemeral
        assert user_data_dump(bot.db.path) == before  # a refused subscription wrote nothing
    removed = await slash(fake, "unsubscribe", {"subscription": which})
    assert_clear_answer(removed, caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]


def subcommand_choices(fake: FakeDiscordWithScene, path: str, option: str) -> list[Any]:
    """The declared choices of ``option`` of the synced subcommand ``path`` ("alerts add")."""
    top, *subs = path.split()
    options = fake.command(top)["options"]
    for name in subs:
        options = next(o for o in options if o["name"] == name).get("options") or []
    return [c["value"] for c in next(o for o in options if o["name"] == option)["choices"]]


def rows(bot: TMinusBot) -> list[str]:
    """The dump without browse_queries (browsing keeps its filters; nothing here browses)."""
    return [row for row in user_data_dump(bot.db.path) if not row.startswith("browse_queries:")]


@HOSTILE
@given(
    what=st.integers(min_value=0, max_value=20),
    match=st.none() | TEXT,
    leads=st.none() | TEXT,
    which=st.one_of(TEXT, INTS.map(str)),
    zone=st.one_of(st.text(min_size=1, max_size=100), INJECTION, HUGE),
    days=st.one_of(st.integers(min_value=1, max_value=30), INTS),
)
async def test_server_alert_commands_with_any_arguments_answer_clearly_and_half_write_nothing(
    tminus_bot: BotOnFake,
    caplog: pytest.LogCaptureFixture,
    what: int,
    match: str | None,
    leads: str | None,
    which: str,
    zone: str,
    days: int,
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    scene = fake.scene
    bot_role(fake).permissions |= MANAGE_EVENTS  # so /alerts events on reaches its arguments
    kinds = subcommand_choices(fake, "alerts add", "what")
    before = rows(bot)
    options = {"channel": scene.general, "what": kinds[what % len(kinds)], "match": match, "leads": leads}
    added = await slash(fake, "alerts add", options)
    assert_clear_answer(added, caplog)
    if not answer_text(added).startswith("Added "):
        assert rows(bot) == before, "a refused /alerts add wrote something"
    before = rows(bot)
    for command, given_options in (
        ("alerts remove", {"alert": which}),
        ("alerts timezone", {"zone": zone}),
        ("alerts events on", {"days": days, "match": match}),
    ):
        result = await slash(fake, command, given_options)
        assert_clear_answer(result, caplog)
        text = answer_text(result)
        if not text.startswith(("Removed ", "This server's posts", "Mirroring ")):
            assert rows(bot) == before, command
        before = rows(bot)
    listed = await slash(fake, "alerts list", {})
    assert_clear_answer(listed, caplog)


@HOSTILE
@given(
    time=st.one_of(TEXT, st.sampled_from(["08:00", "7:30 pm", "24:00", "23:59", "12:60", "-1:00", "0:00 am", "13 pm"])),
    day=st.integers(min_value=0, max_value=6),
    in_channel=st.booleans(),
)
async def test_digest_commands_with_any_arguments_answer_clearly_and_half_write_nothing(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, time: str, day: int, in_channel: bool
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    channel = fake.scene.general if in_channel else None
    for command, options in (
        ("digest daily", {"time": time, "channel": channel}),
        (
            "digest weekly",
            {"day": subcommand_choices(fake, "digest weekly", "day")[day], "time": time, "channel": channel},
        ),
    ):
        before = rows(bot)
        result = await slash(fake, command, options)
        assert_clear_answer(result, caplog)
        if not answer_text(result).startswith("Digest set: "):
            assert rows(bot) == before, command
    stopped = await slash(fake, "digest off", {"channel": channel})
    assert_clear_answer(stopped, caplog)


# Every DynamicItem template the bot registers, with any number its pattern lets through (up to 19 digits, so
# beyond SQLite's 64-bit integers too), on a message whose components a modified client forged.
NINETEEN_DIGITS = st.one_of(st.integers(min_value=0, max_value=10**19 - 1), st.sampled_from([0, 2**63 - 1, 2**63]))
DYNAMIC_IDS = st.one_of(
    st.builds("tm:sub:rm:{}".format, NINETEEN_DIGITS),
    st.builds("tm:alertme:{}".format, NINETEEN_DIGITS),
    st.sampled_from(["tm:sub:mute:0", "tm:sub:mute:1"]),
    st.builds("tm:ics:{}".format, NINETEEN_DIGITS),
    st.builds(
        "tm:b:{}:-:{}:{}:{}".format,
        st.sampled_from(["nl", "ls", "nd", "ev"]),
        st.sampled_from(["n", "p"]),
        NINETEEN_DIGITS,
        NINETEEN_DIGITS,
    ),
    BROWSE_IDS,
)


def forged(message: dict[str, Any], custom_id: str) -> dict[str, Any]:
    """``message`` as a client that forged its components would present it: one button with ``custom_id``."""
    button = {"type": 2, "style": 2, "label": "x", "custom_id": custom_id}
    return {**message, "components": [{"type": 1, "components": [button]}]}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(custom_id=DYNAMIC_IDS)
async def test_every_dynamic_button_with_a_forged_id_answers_clearly_and_touches_only_the_pressers_rows(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture, custom_id: str
) -> None:
    fake, bot = tminus_bot
    caplog.clear()
    scene = fake.scene
    message = await fake.slash("subscriptions", user=fresh_admin(fake), guild=scene.guild, channel=scene.general)
    assert message.original is not None
    patterns = [p.pattern for p in bot._connection._view_store._dynamic_items]
    assert len(patterns) >= 5, patterns  # the browse, calendar, remove, mute and alert-me buttons
    before = rows(bot)
    presser = fresh_admin(fake)
    result = await fake.press_button(forged(message.original, custom_id), custom_id, user=presser)
    assert result.answered
    if not any(re.fullmatch(p, custom_id) for p in patterns):  # a number too long to be any row's
        assert result.content == STALE_COMPONENT, custom_id
    text = answer_text(result) + str((result.original or {}).get("content") or "")
    assert APOLOGY not in text, custom_id
    assert "Traceback" not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith(("bot", "cogs"))]
    if result.type == 4:  # a new message (not the listing edited in place): a refusal or an "I'll DM you"
        assert result.ephemeral, custom_id
    # Nothing of anyone else changed: any new or changed row is the presser's own (mute switch, alert me).
    changed = set(rows(bot)) ^ set(before)
    assert all(str(presser.id) in row for row in changed), (custom_id, changed)


# One id of each family DYNAMIC_IDS draws: a button template added later that none of them matches fails below,
# so it gets its family above.
DYNAMIC_FAMILIES = ("tm:sub:rm:1", "tm:alertme:1", "tm:sub:mute:1", "tm:ics:1", "tm:b:nl:-:n:1:1")


def test_every_registered_dynamic_button_and_modal_is_fuzzed(tminus_bot: BotOnFake) -> None:
    _, bot = tminus_bot
    patterns = [p.pattern for p in bot._connection._view_store._dynamic_items]
    for pattern in patterns:
        assert any(re.fullmatch(pattern, sample) for sample in DYNAMIC_FAMILIES), f"fuzz the button {pattern!r}"
    for sample in DYNAMIC_FAMILIES:
        assert any(re.fullmatch(pattern, sample) for pattern in patterns), sample
    # The modals: each has its hypothesis test above (the import form and the review's edit form).
    modals = {
        node.name
        for path in sorted((ROOT / "cogs").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and any("Modal" in ast.unparse(base) for base in node.bases)
    }
    assert modals == {"ImportModal", "ImportEditModal"}, "a new modal needs its hostile-input test here"

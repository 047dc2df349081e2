"""``/event``: hand-entered events through the real client and the fake Discord."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.bot import TMinusBot
from bot.db.events import next_milestones
from bot.db.settings import set_user_timezone
from bot.models import MilestoneKind
from tests.fakediscord.interactions import InteractionResult
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
ARTICLE = (Path(__file__).parents[1] / "data" / "progress-87-launch-article.txt").read_text()


def _future_year_like_2024() -> int:
    """The next year whose Feb. 17 is a Saturday, as in 2024: the article's "Saturday (Feb. 17)" stays true
    and its times stay ahead of the real clock the bot reads."""
    year = datetime.now(UTC).year + 1
    while date(year, 2, 17).weekday() != 5:
        year += 1
    return year


ARTICLE_YEAR = _future_year_like_2024()
ARTICLE_PUBLISHED = f"{ARTICLE_YEAR}-02-14"
LIFTOFF_TS = int(datetime(ARTICLE_YEAR, 2, 15, 3, 25, tzinfo=UTC).timestamp())
ARTICLE_DOCKING_TS = int(datetime(ARTICLE_YEAR, 2, 17, 6, 12, tzinfo=UTC).timestamp())
COVERAGE_TS = int(datetime(ARTICLE_YEAR, 2, 17, 5, 30, tzinfo=UTC).timestamp())
# Always a future year, so the bot (which reads the real clock) never finds these times in the past.
YEAR = datetime.now(UTC).year + 2
DOCKING = datetime(YEAR, 2, 15, 6, 12, tzinfo=UTC)  # 1:12 a.m. EST
DOCKING_AT = int(DOCKING.timestamp())


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    for row in message["components"]:
        for component in row["components"]:
            if component.get("label") == label:
                return dict(component)
    raise AssertionError(f"no button {label!r} in {message['components']}")


def event_number(result: InteractionResult) -> int:
    """The event's number, from the footer of the bot's echo ("Event #12 · this server · ...")."""
    return int(result.embeds[0]["footer"]["text"].split()[1].lstrip("#"))


async def add_docking(fake: FakeDiscordWithScene, **options: Any) -> InteractionResult:
    scene = fake.scene
    opts = {"name": "Progress MS-40 docking", "kind": "docking", "time": f"Feb 15, {YEAR} 1:12 a.m. EST", **options}
    return await fake.slash("event add", user=scene.moderator, guild=scene.guild, channel=scene.general, options=opts)


async def test_add_echoes_parsed_time_as_markup_and_in_admins_zone(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    result = await add_docking(fake, coverage=f"Feb 15 {YEAR} 12:30 a.m. EST", zone="Europe/Berlin")
    assert result.ephemeral
    (embed,) = result.embeds
    assert embed["title"] == "Added: Progress MS-40 docking"
    assert f"<t:{DOCKING_AT}:F>" in embed["description"]
    assert f"<t:{DOCKING_AT}:R>" in embed["description"]
    assert f"{DOCKING:%a} 15 Feb {YEAR}, 07:12 CET" in embed["description"]  # the admin's zone, to catch a wrong parse
    assert "coverage start" in embed["description"]
    upcoming = await next_milestones(bot.db, now=datetime(YEAR, 1, 1, tzinfo=UTC), guild_id=fake.scene.guild.id)
    assert [(u.milestone.kind, int(u.milestone.at.timestamp())) for u in upcoming][-1] == (
        MilestoneKind.DOCKING,
        DOCKING_AT,
    )


async def test_add_without_zone_says_which_zone_was_assumed(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    result = await add_docking(fake, time=f"{YEAR}-02-15 06:12")
    (embed,) = result.embeds
    note = next(f["value"] for f in embed["fields"] if f["name"] == "Note")
    assert "read it in UTC" in note
    assert f"<t:{DOCKING_AT}:F>" in embed["description"]


async def test_unreadable_time_gets_an_ephemeral_hint_and_saves_nothing(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    result = await add_docking(fake, time="when the stars align")
    assert result.ephemeral
    assert result.content is not None
    assert "couldn't read the docking time" in result.content
    assert "Try:" in result.content
    assert await bot.db.fetchall("SELECT id FROM events") == []


async def test_non_admin_is_refused(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    result = await fake.slash(
        "event add",
        user=scene.member,
        guild=scene.guild,
        channel=scene.general,
        options={"name": "x", "kind": "docking", "time": f"{YEAR}-02-15 06:12 UTC"},
    )
    assert result.ephemeral
    assert result.content == "You need the Manage Server permission for this."
    assert await bot.db.fetchall("SELECT id FROM events") == []


async def test_command_is_hidden_from_non_admins_by_default(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    (upload,) = fake.requests_to("PUT", "/applications/{application_id}/commands")
    event = next(c for c in upload.body if c["name"] == "event")
    assert int(event["default_member_permissions"]) == 1 << 5  # MANAGE_GUILD
    assert event["contexts"] == [0]  # guilds only


async def test_edit_moves_time_and_autocomplete_finds_event(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    added = await add_docking(fake)
    event_id = event_number(added)
    choices = await fake.autocomplete(
        "event edit", "event", user=scene.moderator, guild=scene.guild, options={"event": "ms-40"}
    )
    assert [c["value"] for c in choices] == [event_id]
    seen: list[Any] = []

    async def record(changes: Any) -> None:
        seen.extend(changes)

    bot.changes.subscribe(record)
    edited = await fake.slash(
        "event edit",
        user=scene.moderator,
        guild=scene.guild,
        options={"event": event_id, "time": f"Feb 15, {YEAR} 2:40 a.m. EST"},
    )
    assert edited.embeds[0]["title"] == "Updated: Progress MS-40 docking"
    assert f"<t:{DOCKING_AT + 88 * 60}:F>" in edited.embeds[0]["description"]
    assert [c.kind.value for c in seen] == ["moved"]
    assert int(seen[0].new_at.timestamp()) - int(seen[0].old_at.timestamp()) == 88 * 60


async def test_list_and_remove(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    added = await add_docking(fake)
    event_id = event_number(added)
    listed = await fake.slash("event list", user=scene.moderator, guild=scene.guild)
    assert [f["name"] for f in listed.embeds[0]["fields"]] == [f"#{event_id} Progress MS-40 docking"]
    removed = await fake.slash("event remove", user=scene.moderator, guild=scene.guild, options={"event": event_id})
    assert removed.content == f"Removed event #{event_id} **Progress MS-40 docking**."
    listed = await fake.slash("event list", user=scene.moderator, guild=scene.guild)
    assert "None yet" in listed.embeds[0]["description"]
    again = await fake.slash("event remove", user=scene.moderator, guild=scene.guild, options={"event": event_id})
    assert again.content is not None
    assert "no hand-entered event" in again.content


async def open_import(fake: FakeDiscordWithScene, text: str, published: str = ARTICLE_PUBLISHED) -> InteractionResult:
    scene = fake.scene
    opened = await fake.slash("event import", user=scene.moderator, guild=scene.guild, channel=scene.general)
    assert opened.modal is not None
    return await fake.submit_modal(
        opened,
        {"import:name": "Progress 87", "import:article": text, "import:published": published},
        user=scene.moderator,
        guild=scene.guild,
        channel=scene.general,
    )


async def test_import_shows_found_times_and_confirm_saves_linked_events(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ARTICLE[:3000])
    assert review.ephemeral
    (embed,) = review.embeds
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert set(fields) == {"liftoff", "docking", "coverage start"}
    assert "(already happened: will not be saved)" in fields["liftoff"]
    assert "will not be saved" not in fields["docking"]
    assert f"<t:{LIFTOFF_TS}:F>" in fields["liftoff"]  # Feb 15 03:25Z
    assert f"<t:{ARTICLE_DOCKING_TS}:F>" in fields["docking"]  # Feb 17 06:12Z
    assert f"<t:{COVERAGE_TS}:F>" in fields["coverage start"]  # Feb 17 05:30Z
    assert await bot.db.fetchall("SELECT id FROM events") == []  # nothing before Confirm
    assert review.message is not None
    confirmed = await fake.press_button(
        review.message, button(review.message, "Confirm")["custom_id"], user=fake.scene.moderator
    )
    assert confirmed.type == 6  # deferred update: the review message itself becomes the result
    assert confirmed.message is not None
    # The article reports the liftoff as done ("lifted off"), so only the docking ahead is saved.
    assert [e["title"] for e in confirmed.message["embeds"]] == ["Saved: Progress 87 docking"]
    assert confirmed.message["components"] == []
    rows = await bot.db.fetchall("SELECT e.type, e.name, m.kind FROM events e JOIN milestones m ON m.event_id = e.id")
    assert sorted((r["type"], r["name"], r["kind"]) for r in rows) == [
        ("docking", "Progress 87 docking", "coverage_start"),
        ("docking", "Progress 87 docking", "docking"),
    ]


async def test_import_cancel_saves_nothing_and_others_cannot_press(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ARTICLE[:3000])
    assert review.message is not None
    intruder = await fake.press_button(
        review.message, button(review.message, "Confirm")["custom_id"], user=fake.scene.admin
    )
    assert intruder.content == "Only the admin who pasted this text can confirm it."
    cancelled = await fake.press_button(
        review.message, button(review.message, "Cancel")["custom_id"], user=fake.scene.moderator
    )
    assert cancelled.content == "Cancelled; nothing was saved."
    assert await bot.db.fetchall("SELECT id FROM events") == []


async def test_import_edit_corrects_a_time_before_saving(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ARTICLE[:3000])
    assert review.message is not None
    opened = await fake.press_button(
        review.message, button(review.message, "Edit")["custom_id"], user=fake.scene.moderator
    )
    assert opened.modal is not None
    defaults = {c["components"][0]["custom_id"]: c["components"][0]["value"] for c in opened.modal["components"]}
    docking_field = next(k for k, v in defaults.items() if v == f"{ARTICLE_YEAR}-02-17 06:12 UTC")
    edited = await fake.submit_modal(
        opened, {**defaults, docking_field: "06:40"}, user=fake.scene.moderator, guild=fake.scene.guild
    )
    assert edited.type == 7
    assert edited.message is not None
    docking = next(f["value"] for f in edited.message["embeds"][0]["fields"] if f["name"] == "docking")
    assert f"<t:{ARTICLE_DOCKING_TS + 28 * 60}:F>" in docking  # 06:40 read in UTC, as the form shows
    confirmed = await fake.press_button(
        edited.message, button(edited.message, "Confirm")["custom_id"], user=fake.scene.moderator
    )
    assert confirmed.type == 6
    row = await bot.db.fetchone("SELECT at_utc FROM milestones WHERE kind = 'docking'")
    assert row is not None
    assert row["at_utc"] == ARTICLE_DOCKING_TS + 28 * 60


async def test_import_with_no_times_cannot_be_confirmed(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    review = await open_import(fake, "Nothing to see here, just words about rockets.")
    assert review.message is not None
    assert button(review.message, "Confirm").get("disabled") is True
    assert "found no" in review.embeds[0]["description"]


async def test_double_confirm_saves_once(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ARTICLE[:3000])
    assert review.message is not None
    confirm = button(review.message, "Confirm")["custom_id"]
    first, second = await asyncio.gather(
        fake.press_button(review.message, confirm, user=fake.scene.moderator),
        fake.press_button(review.message, confirm, user=fake.scene.moderator),
    )
    assert sorted([first.type, second.type]) == [4, 6]  # one saves (update), the other is told (ephemeral)
    told = first if first.type == 4 else second
    assert told.content == "These times are already saved. `/event list` shows them."
    assert len(await bot.db.fetchall("SELECT id FROM events")) == 1


async def test_coverage_time_belongs_to_the_night_of_its_docking(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    result = await add_docking(fake, coverage="12:30 a.m. EST")
    assert result.embeds, result.content
    row = await bot.db.fetchone("SELECT at_utc FROM milestones WHERE kind = 'coverage_start'")
    assert row is not None
    assert row["at_utc"] == DOCKING_AT - 42 * 60  # 05:30Z, 42 minutes before the 06:12Z docking


async def test_about_counts_only_what_this_server_can_see(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    await add_docking(fake)
    other = fake.world.create_guild("Other Fans")
    outsider = fake.world.create_user("outsider")
    fake.world.add_member(other, outsider)
    lobby = fake.world.create_channel(other, "lobby")
    here = await fake.slash("about", user=scene.member, guild=scene.guild)
    there = await fake.slash("about", user=outsider, guild=other, channel=lobby)
    tracking_here = next(f["value"] for f in here.embeds[0]["fields"] if f["name"] == "Tracking")
    tracking_there = next(f["value"] for f in there.embeds[0]["fields"] if f["name"] == "Tracking")
    assert "1 entered by hand" in tracking_here
    assert "0 entered by hand" in tracking_there


async def test_unknown_zone_option_is_explained(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    result = await add_docking(fake, time=f"{YEAR}-02-15 06:12", zone="America")
    assert result.ephemeral
    assert (
        result.content
        == "'America' is not a time zone I know. Pick one from the list, e.g. `America/New_York` or `UTC`."
    )
    assert await bot.db.fetchall("SELECT id FROM events") == []
    choices = await fake.autocomplete(
        "event add", "zone", user=fake.scene.moderator, guild=fake.scene.guild, options={"zone": "new_y"}
    )
    assert [c["value"] for c in choices] == ["America/New_York"]


async def test_list_of_many_long_named_events_stays_within_discords_embed_limit(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    for n in range(30):
        name = f"{n:02d} " + "Very long mission name for a resupply flight to the station " * 2
        result = await add_docking(fake, name=name[:100], time=f"Feb 15, {YEAR} {n % 12 + 1}:12 a.m. EST")
        assert result.embeds, result.content
    listed = await fake.slash("event list", user=fake.scene.moderator, guild=fake.scene.guild)
    (embed,) = listed.embeds  # the fake refuses (50035) an embed over 6000 characters in total
    shown = len(embed["fields"])
    assert 0 < shown < 30
    assert embed["footer"]["text"].startswith(f"…and {30 - shown} later ones.")


async def test_import_review_shortens_phrases_to_show_every_found_time(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    sentence = (
        "The Progress cargo ship will dock with the station's Poisk module on Feb. {day}, {year} at 1:12 a.m. EST "
        "(0612 GMT), according to the long and detailed schedule that NASA published earlier this week. "
    )
    text = "".join(sentence.format(day=d, year=YEAR) for d in range(1, 29))[:4000]  # 21 whole sentences fit
    review = await open_import(fake, text, published=f"{YEAR}-01-20")
    assert review.message is not None
    (embed,) = review.embeds
    assert len(embed["fields"]) == 21
    assert button(review.message, "Confirm").get("disabled") is not True


async def test_import_with_more_times_than_can_be_shown_cannot_be_confirmed(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    text = "".join(f"Docking on Feb. {day}, {YEAR} at 0612 GMT. " for day in range(1, 29))  # 28 > 25 fields
    review = await open_import(fake, text, published=f"{YEAR}-01-20")
    assert review.message is not None
    (embed,) = review.embeds
    assert "found 28 times, more than I can show" in embed["description"]
    assert button(review.message, "Confirm").get("disabled") is True
    assert await bot.db.fetchall("SELECT id FROM events") == []


async def test_import_of_a_past_article_shows_it_but_cannot_save_it(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ARTICLE[:3000], published="2024-02-14")
    assert review.message is not None
    (embed,) = review.embeds
    assert "<t:1707967500:F>" in next(f["value"] for f in embed["fields"] if f["name"] == "liftoff")
    assert embed["description"] == "⚠️ Everything found has already happened, so there is nothing to save."
    assert all("will not be saved" in f["value"] for f in embed["fields"])
    assert button(review.message, "Confirm").get("disabled") is True
    assert await bot.db.fetchall("SELECT id FROM events") == []


async def test_import_problem_disables_confirm_until_edit_fixes_it(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    text = (
        f"The Progress MS-40 cargo ship will dock at 1:12 a.m. EST (0612 GMT) on Feb. 17, {ARTICLE_YEAR}. "
        "NASA coverage will begin at 12:30 a.m. EST (0530 GMT). "
        "Coverage of the docking begins at 0545 GMT on NASA+."
    )
    review = await open_import(fake, text)
    assert review.message is not None
    assert review.embeds[0]["description"] == "⚠️ Two coverage starts belong to the same event; remove one with Edit."
    assert button(review.message, "Confirm").get("disabled") is True
    opened = await fake.press_button(
        review.message, button(review.message, "Edit")["custom_id"], user=fake.scene.moderator
    )
    assert opened.modal is not None
    defaults = {c["components"][0]["custom_id"]: c["components"][0]["value"] for c in opened.modal["components"]}
    second_coverage = next(k for k, v in defaults.items() if v.endswith("05:45 UTC"))
    edited = await fake.submit_modal(opened, {**defaults, second_coverage: ""}, user=fake.scene.moderator)
    assert edited.message is not None
    assert button(edited.message, "Confirm").get("disabled") is not True
    confirmed = await fake.press_button(
        edited.message, button(edited.message, "Confirm")["custom_id"], user=fake.scene.moderator
    )
    assert confirmed.type == 6
    rows = await bot.db.fetchall("SELECT kind, at_utc FROM milestones ORDER BY at_utc")
    assert [(r["kind"], r["at_utc"]) for r in rows] == [
        ("coverage_start", ARTICLE_DOCKING_TS - 42 * 60),
        ("docking", ARTICLE_DOCKING_TS),
    ]


async def test_event_autocomplete_is_for_admins_and_only_their_events(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    scene = fake.scene
    mine = await add_docking(fake, name="Cygnus NG-30 berthing")
    mine_id = event_number(mine)
    owner_global = await fake.slash(
        "event add",
        user=fake.world.owner,
        guild=scene.guild,
        options={
            "name": "Starship flight 12",
            "kind": "liftoff",
            "time": f"{YEAR}-03-01 13:00 UTC",
            "everywhere": True,
        },
    )
    global_id = event_number(owner_global)

    async def choices(user: Any, typed: str) -> list[int]:
        found = await fake.autocomplete("event edit", "event", user=user, guild=scene.guild, options={"event": typed})
        return [c["value"] for c in found]

    assert await choices(scene.member, "") == []  # no Manage Server: nothing, not even names
    assert await choices(scene.moderator, "") == [mine_id]  # a global event is not theirs to change
    assert await choices(fake.world.owner, "") == [mine_id, global_id]
    assert await choices(scene.moderator, "cygnus") == [mine_id]
    assert await choices(scene.moderator, f"#{mine_id}") == [mine_id]
    assert await choices(scene.moderator, "starship") == []


async def test_autocomplete_finds_an_event_beyond_the_first_page(tminus_bot: BotOnFake) -> None:
    fake, _ = tminus_bot
    for n in range(26):
        await add_docking(fake, name=f"Docking {n:02d}", time=f"Feb {n + 1}, {YEAR} 06:12 UTC")
    found = await fake.autocomplete(
        "event remove", "event", user=fake.scene.moderator, guild=fake.scene.guild, options={"event": "docking 25"}
    )
    assert [c["name"].split(" ", 1)[1] for c in found] == ["Docking 25"]


async def test_webcast_and_description_can_be_removed_with_a_dash(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    added = await add_docking(fake, webcast="https://plus.nasa.gov/live", description="Soyuz docking")
    event_id = event_number(added)
    assert any(f["name"] == "Webcast" for f in added.embeds[0]["fields"])
    edited = await fake.slash(
        "event edit",
        user=fake.scene.moderator,
        guild=fake.scene.guild,
        options={"event": event_id, "webcast": "-", "description": "-"},
    )
    assert not any(f["name"] == "Webcast" for f in edited.embeds[0].get("fields", []))
    row = await bot.db.fetchone("SELECT webcast_urls, description FROM events WHERE id = ?", (event_id,))
    assert row is not None
    assert (row["webcast_urls"], row["description"]) == ("[]", None)


async def test_import_review_shows_a_date_as_it_will_be_saved_in_any_zone(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    await set_user_timezone(bot.db, fake.scene.moderator.id, "Pacific/Auckland", now=datetime.now(UTC))
    text = f"The Cygnus NG-40 spacecraft will berth to the station on Feb. 17, {YEAR}."
    review = await open_import(fake, text, published=f"{YEAR}-01-20")
    (field,) = review.embeds[0]["fields"]
    assert f"{date(YEAR, 2, 17):%a} 17 Feb {YEAR} (date only)" in field["value"]
    assert review.message is not None
    await fake.press_button(review.message, button(review.message, "Confirm")["custom_id"], user=fake.scene.moderator)
    row = await bot.db.fetchone("SELECT at_utc, precision FROM milestones")
    assert row is not None
    assert (row["at_utc"], row["precision"]) == (int(datetime(YEAR, 2, 17, tzinfo=UTC).timestamp()), "day")


async def test_import_review_expires_on_a_fixed_deadline_even_after_use(
    tminus_bot: BotOnFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, bot = tminus_bot
    monkeypatch.setattr(bot.extensions["cogs.events"].ImportReview, "LIFETIME_S", 0.5)
    review = await open_import(fake, ARTICLE[:3000])
    assert review.message is not None
    # Using the review (which restarts a View's own timeout) must not stretch its life.
    opened = await fake.press_button(
        review.message, button(review.message, "Edit")["custom_id"], user=fake.scene.moderator
    )
    assert opened.modal is not None
    await asyncio.sleep(0.7)
    assert review.message["components"] == []
    assert review.message["content"] == "This review expired; nothing was saved. Run `/event import` again."
    late = await fake.submit_modal(opened, {}, user=fake.scene.moderator, guild=fake.scene.guild)
    assert late.content == "This review has ended. Run `/event import` again."


ASSUMED_DAY_TEXT = (
    "NASA coverage begins at 12:30 a.m. EST. "
    f"The Progress MS-40 cargo ship will dock at 1:12 a.m. EST (0612 GMT) on Feb. 17, {ARTICLE_YEAR}."
)


async def test_import_marks_a_time_with_an_assumed_day_and_confirm_leaves_it_out(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ASSUMED_DAY_TEXT)
    assert review.message is not None
    fields = {f["name"]: f["value"] for f in review.embeds[0]["fields"]}
    # The coverage time names no day: it was read on the publication date, and the review says so.
    assert "⚠️ The text names no day for it (the publication date was used)" in fields["coverage start"]
    assert "will not be saved" in fields["coverage start"]
    assert "⚠️" not in fields["docking"]
    confirmed = await fake.press_button(
        review.message, button(review.message, "Confirm")["custom_id"], user=fake.scene.moderator
    )
    assert confirmed.type == 6
    rows = await bot.db.fetchall("SELECT kind, at_utc FROM milestones ORDER BY at_utc")
    assert [(r["kind"], r["at_utc"]) for r in rows] == [("docking", ARTICLE_DOCKING_TS)]


async def test_import_saves_an_assumed_time_once_the_admin_corrects_it_in_edit(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, ASSUMED_DAY_TEXT)
    assert review.message is not None
    opened = await fake.press_button(
        review.message, button(review.message, "Edit")["custom_id"], user=fake.scene.moderator
    )
    assert opened.modal is not None
    defaults = {c["components"][0]["custom_id"]: c["components"][0]["value"] for c in opened.modal["components"]}
    coverage_field = next(k for k, v in defaults.items() if v == f"{ARTICLE_YEAR}-02-14 05:30 UTC")
    edited = await fake.submit_modal(
        opened,
        {**defaults, coverage_field: f"{ARTICLE_YEAR}-02-17 05:30 UTC"},
        user=fake.scene.moderator,
        guild=fake.scene.guild,
    )
    assert edited.message is not None
    fields = {f["name"]: f["value"] for f in edited.message["embeds"][0]["fields"]}
    assert "⚠️" not in fields["coverage start"]
    confirmed = await fake.press_button(
        edited.message, button(edited.message, "Confirm")["custom_id"], user=fake.scene.moderator
    )
    assert confirmed.type == 6
    rows = await bot.db.fetchall("SELECT kind, at_utc FROM milestones ORDER BY at_utc")
    assert [(r["kind"], r["at_utc"]) for r in rows] == [
        ("coverage_start", COVERAGE_TS),
        ("docking", ARTICLE_DOCKING_TS),
    ]


async def test_import_of_only_assumed_times_cannot_be_confirmed_until_checked(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    review = await open_import(fake, f"The Progress MS-40 cargo ship will dock at 06:12 on Feb. 17, {ARTICLE_YEAR}.")
    assert review.message is not None
    assert "assumed day or zone" in review.embeds[0]["description"]
    assert button(review.message, "Confirm").get("disabled") is True
    opened = await fake.press_button(
        review.message, button(review.message, "Edit")["custom_id"], user=fake.scene.moderator
    )
    assert opened.modal is not None
    defaults = {c["components"][0]["custom_id"]: c["components"][0]["value"] for c in opened.modal["components"]}
    checked = await fake.submit_modal(opened, defaults, user=fake.scene.moderator, guild=fake.scene.guild)
    assert checked.message is not None
    assert button(checked.message, "Confirm").get("disabled") is not True  # submitted unchanged: checked
    await fake.press_button(checked.message, button(checked.message, "Confirm")["custom_id"], user=fake.scene.moderator)
    rows = await bot.db.fetchall("SELECT kind, at_utc FROM milestones")
    assert [(r["kind"], r["at_utc"]) for r in rows] == [("docking", ARTICLE_DOCKING_TS)]

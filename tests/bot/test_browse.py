"""The browse layer: golden embeds, the index each page is read through, and the same answer whatever the index."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import browse
from bot.browse import Filters, View
from bot.db import Database
from bot.db import browse as q
from bot.db.events import StoredEvent, UpcomingMilestone, mark_gone, upsert_events
from bot.models import EventStatus, MilestoneKind, Precision, Source
from bot.render import EMBED_TOTAL_LIMIT, embed_length, inert, inert_trimmed
from tests.bot import browse_data as data
from tests.bot.browse_data import NOW

GOLDEN = Path(__file__).parent / "golden"
GUILD = 4242


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "b.sqlite3") as database:
        await data.seed(database, guild_id=GUILD)
        yield database


def check_golden(name: str, value: Any) -> None:
    """Compare with tests/bot/golden/<name>.json; UPDATE_GOLDEN=1 rewrites it (then read the diff!)."""
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("name", "view", "filters", "zone"),
    [
        ("nextlaunch_new_york", View.NEXT_LAUNCH, Filters(), "America/New_York"),
        ("nextlaunch_rocket_lab_kolkata", View.NEXT_LAUNCH, Filters(provider="rocket lab"), "Asia/Kolkata"),
        ("nextlaunch_hostile_utc", View.NEXT_LAUNCH, Filters(rocket="rocket **x"), "UTC"),
        ("launches_berlin", View.LAUNCHES, Filters(), "Europe/Berlin"),
        ("launches_within_3_days_new_york", View.LAUNCHES, Filters(days=3), "America/New_York"),
        ("nextdocking_utc", View.NEXT_DOCKING, Filters(), "UTC"),
        ("events_kolkata", View.EVENTS, Filters(), "Asia/Kolkata"),
        ("nextlaunch_nothing", View.NEXT_LAUNCH, Filters(provider="nobody"), "UTC"),
    ],
)
async def test_golden_browse_embeds(db: Database, name: str, view: View, filters: Filters, zone: str) -> None:
    ans = await browse.answer(db, view, filters, now=NOW, guild_id=GUILD, zone=ZoneInfo(zone))
    check_golden(name, {"embed": ans.embed, "before": ans.before, "after": ans.after, "event": ans.event_id})


async def test_golden_launch_details_with_slip_history(db: Database) -> None:
    (row,) = await db.fetchall("SELECT id FROM events WHERE source_id = 'launch:f9'")
    found = await browse.event_details(db, row["id"], guild_id=GUILD, zone=ZoneInfo("America/New_York"), now=NOW)
    assert found is not None
    check_golden("launch_f9_new_york", found[1])


# Choosing the index -----------------------------------------------------------------------------------------


@pytest.fixture
async def big(tmp_path: Path) -> AsyncIterator[Database]:
    """1,200 launches: SpaceX from the Cape and Rocket Lab from Mahia, 600 each, and three ULA ones."""
    async with Database(tmp_path / "big.sqlite3") as database:
        events = []
        for i in range(1200):
            spacex = i % 2 == 0
            events.append(
                data.launch(
                    f"b{i}",
                    f"Launch {i}",
                    NOW + timedelta(hours=i + 1),
                    provider="SpaceX" if spacex else "Rocket Lab Ltd",
                    vehicle="Falcon 9" if spacex else "Electron",
                    location="Cape Canaveral" if spacex else "Mahia",
                )
            )
        events += [
            data.launch(
                f"u{i}", f"ULA {i}", NOW + timedelta(days=40 + i), provider="United Launch Alliance", abbrev="ULA"
            )
            for i in range(3)
        ]
        await upsert_events(database, events, feed="launches", now=NOW)
        yield database


LIFTOFF = (MilestoneKind.LIFTOFF,)


@pytest.mark.parametrize(
    ("filters", "kinds", "driver"),
    [
        (Filters(), LIFTOFF, "kind"),  # one kind: its index is already in time order
        (Filters(provider="ula"), LIFTOFF, "provider"),  # three events: read them and sort
        (Filters(provider="spacex"), LIFTOFF, "kind"),  # half of everything: a page fills at once in time order
        (Filters(provider="spacex", location="mahia"), LIFTOFF, "provider"),  # broad each, nothing together
        (Filters(), browse.STATION_KINDS, "kind"),  # kinds with no milestones at all
        (Filters(), (MilestoneKind.LIFTOFF, MilestoneKind.COVERAGE_START), "time"),
    ],
)
async def test_choose_driver_reads_exact_counts(
    big: Database, filters: Filters, kinds: tuple[MilestoneKind, ...], driver: str
) -> None:
    stats = await q.load_stats(big)
    fields = browse.resolve_fields(stats, filters)
    async with big.read() as conn:
        assert await browse.choose_driver(conn, stats, kinds, fields) == driver


@pytest.mark.parametrize(
    ("driver", "index"),
    [
        ("time", "USING INDEX milestones_at"),
        ("kind", "USING INDEX milestones_kind_at"),
        ("provider", "USING INDEX events_live_provider"),
        ("vehicle", "USING INDEX events_live_vehicle"),
        ("location", "USING INDEX events_live_location"),
        ("station", "USING INDEX events_live_station"),
    ],
)
async def test_each_driver_reads_through_its_index(big: Database, driver: q.Driver, index: str) -> None:
    fields = {driver: ("SpaceX",)} if driver not in ("time", "kind") else {}
    query = q.PageQuery(NOW, LIFTOFF, driver, fields, guild_id=7, cursor=(0, 0), limit=11)
    sql, params = q.page_sql(query)
    plan = [row[3] for row in await big.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
    assert index in plan[0]
    assert not any(step.startswith("SCAN") for step in plan), plan  # no table is read in full
    if driver in ("time", "kind"):
        assert not any("TEMP B-TREE" in step for step in plan), plan  # rows come out in order: no sort


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(provider="rocket"), Filters(provider="ula"), Filters(location="cape", days=10)],
)
async def test_every_driver_gives_the_same_pages(big: Database, filters: Filters) -> None:
    stats = await q.load_stats(big)
    fields = browse.resolve_fields(stats, filters)
    until = NOW + timedelta(days=filters.days) if filters.days else None
    drivers: list[q.Driver] = ["time", "kind", *fields]  # type: ignore[list-item]
    pages = {}
    for driver in drivers:
        forward = await q.page_milestones(big, q.PageQuery(NOW, LIFTOFF, driver, fields, None, until, limit=15))
        cursor = (int(forward[-1].milestone.at.timestamp()), forward[-1].milestone_id)
        back = await q.page_milestones(big, q.PageQuery(NOW, LIFTOFF, driver, fields, None, until, cursor, True, 5))
        pages[driver] = ([u.milestone_id for u in forward], [u.milestone_id for u in back])
    first = next(iter(pages.values()))
    assert first[0]
    assert first[1] == first[0][-6:-1]  # the five before the last, in order
    assert all(page == first for page in pages.values())


async def test_stats_are_recounted_after_a_write_and_hidden_events_are_not_counted(db: Database) -> None:
    stats = await q.load_stats(db)
    providers = {n.value: n.count for n in stats.names["provider"]}
    assert providers["SpaceX"] == 3
    await upsert_events(
        db, [data.launch("extra", "One more", NOW + timedelta(days=2), provider="SpaceX")], feed="x", now=NOW
    )
    again = {n.value: n.count for n in (await q.load_stats(db)).names["provider"]}
    assert again["SpaceX"] == 4
    stations = {n.value for n in (await q.load_stats(db)).names["station"]}
    assert stations == {"International Space Station"}  # a server's own event names nothing for others


async def test_final_and_gone_events_are_not_browsed(db: Database) -> None:
    utc = ZoneInfo("UTC")
    flown = replace(data.falcon9(), status=EventStatus.SUCCESS)
    await upsert_events(db, [flown], feed="launches", now=NOW, complete=False)
    ans = await browse.answer(db, View.NEXT_LAUNCH, Filters(), now=NOW, guild_id=None, zone=utc)
    assert ans.embed["title"] == "Electron | Hawk Mission"
    await mark_gone(db, Source.LL2, "launch:electron", now=NOW)
    ans = await browse.answer(db, View.NEXT_LAUNCH, Filters(), now=NOW, guild_id=None, zone=utc)
    assert ans.embed["title"] == "Vulcan VC4S | USSF-87"


# Inert text ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("@everyone", "@\u200beveryone"),
        ("<@123> <@&9> <#5>", "\\<@\u200b123\\> \\<@\u200b&9\\> \\<\\#5\\>"),
        ("**b** __u__ ~~s~~ `c` ||x||", "\\*\\*b\\*\\* \\_\\_u\\_\\_ \\~\\~s\\~\\~ \\`c\\` \\|\\|x\\|\\|"),
        ("[a](https://x)", "\\[a\\](https://x)"),
        ("- item\n> quote", "\\- item\n\\> quote"),
        ("Falcon 9 Block 5", "Falcon 9 Block 5"),
    ],
)
def test_inert_breaks_mentions_and_markdown(raw: str, shown: str) -> None:
    assert inert(raw) == shown


def test_inert_trimmed_never_ends_in_a_lone_backslash() -> None:
    text = "*" * 100
    for limit in range(2, 40):
        cut = inert_trimmed(text, limit)
        assert len(cut) <= limit
        assert cut.endswith("…")
        assert not cut[:-1].endswith("\\") or cut[:-1].endswith("\\*")


# Time wording by precision, in three zones -----------------------------------------------------------------

_AT = datetime(2026, 7, 31, tzinfo=UTC)  # a coarse time as LL2 stores it: 00:00Z of the day it names
_EXACT = datetime(2026, 7, 31, 13, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("precision", "at", "zone", "expected"),
    [
        (Precision.SECOND, _EXACT, "America/New_York",
         "<t:1785503109:F> (<t:1785503109:R>)\nFri 31 Jul 2026, 09:05:09 EDT"),
        (Precision.MINUTE, _EXACT, "Asia/Kolkata", "<t:1785503109:F> (<t:1785503109:R>)\nFri 31 Jul 2026, 18:35 IST"),
        (Precision.HOUR, _EXACT.replace(minute=0, second=0), "Europe/Berlin",
         "around <t:1785502800:f> (<t:1785502800:R>)\nFri 31 Jul 2026, around 15:00 CEST"),
        (Precision.DAY, _AT, "America/Los_Angeles", "Fri 31 Jul 2026 (date only)"),  # not Thu 30 Jul
        (Precision.WEEK, _AT, "Asia/Tokyo", "NET week of Fri 31 Jul 2026"),
        (Precision.MONTH, _AT, "UTC", "NET July 2026"),
        (Precision.QUARTER, _AT, "UTC", "NET Q3 2026"),
        (Precision.HALF_YEAR, _AT, "UTC", "NET H2 2026"),
        (Precision.YEAR, _AT, "Pacific/Auckland", "NET 2026"),
    ],
)  # fmt: skip
def test_when_text_is_worded_by_precision(precision: Precision, at: datetime, zone: str, expected: str) -> None:
    assert browse.when_text(at, precision, ZoneInfo(zone)) == expected


# Hostile text of any shape ----------------------------------------------------------------------------------


@given(st.text(max_size=300))
def test_inert_text_has_no_live_mention_or_unescaped_markdown(text: str) -> None:
    shown = inert(text)
    assert "@everyone" not in shown
    assert "@here" not in shown
    unescaped = [c for i, c in enumerate(shown) if c in "*_~`|[]<>#" and (i == 0 or shown[i - 1] != "\\")]
    assert unescaped == []


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(min_size=1, max_size=400),
    description=st.text(max_size=12_000),
    words=st.lists(st.text(max_size=300), min_size=4, max_size=4),
)
def test_any_upstream_text_gives_embeds_within_discords_limits(name: str, description: str, words: list[str]) -> None:
    event = data.launch(
        "h",
        name,
        NOW + timedelta(hours=1),
        provider=words[0] or None,
        vehicle=words[1] or None,
        location=words[2] or None,
        description=description or None,
        mission=words[3] or None,
        webcast_urls=("https://example.org/" + words[3][:50],),
    )
    stored = StoredEvent(1, "launches", event, {MilestoneKind.LIFTOFF: 1}, None, NOW, NOW)
    item = UpcomingMilestone(1, event.milestones[0], stored)
    embeds = [
        browse.item_embed(item, zone=ZoneInfo("UTC"), now=NOW, last_sync=NOW, heading="Next launch"),
        browse.detail_embed(stored, zone=ZoneInfo("UTC"), now=NOW, last_sync=None, histories={}),
        browse.list_embed(
            View.LAUNCHES, browse.Page([item] * 10, False, False, NOW), Filters(provider=words[0]),
            zone=ZoneInfo("UTC"), now=NOW,
        ),
    ]  # fmt: skip
    for embed in embeds:
        assert embed_length(embed) <= EMBED_TOTAL_LIMIT
        assert len(embed["title"]) <= 256
        assert len(embed.get("description") or "") <= 4096
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed.get("fields", []))
        assert len(embed["footer"]["text"]) <= 2048


async def test_name_choices_offer_at_most_25_the_busiest_first(db: Database) -> None:
    many = [
        data.launch(f"p{i}", f"P {i}", NOW + timedelta(days=3, hours=i), provider=f"Provider {i:02d}")
        for i in range(30)
    ]
    await upsert_events(db, many, feed="many", now=NOW)
    choices = await browse.name_choices(db, "provider", "")
    assert len(choices) == 25
    assert choices[0] == "SpaceX"  # three launches; every other provider has one or two
    assert await browse.name_choices(db, "provider", "provider 2") == [f"Provider {i}" for i in range(20, 30)]

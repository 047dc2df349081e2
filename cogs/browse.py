"""Browsing commands: /nextlaunch, /launches, /nextdocking, /events, /launch, /calendar. Thin over ``bot.browse``.

Every command works in servers, in DMs and as a user-installed app (also in servers the bot is not in), and
answers only through the interaction. Buttons are ``DynamicItem``s: their custom_ids carry everything a press
needs (the view, the saved filters' key, the cursor), so they keep working after a restart.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import browse
from bot.bot import TMinusBot
from bot.browse import Answer, Filters, View
from bot.cooldowns import COOLDOWNS
from bot.db import browse as browse_db
from bot.db.settings import effective_timezone
from bot.errors import report_error
from bot.exceptions import InputError
from bot.ical import CALENDAR_KINDS, calendar_for_event, calendar_for_filters
from bot.render import plain_title, truncate
from cogs.subscriptions import AlertMeButton

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
EVENT_TYPE_CHOICES = [app_commands.Choice(name=browse.kind_label(k), value=k.value) for k in browse.STATION_KINDS]
CALENDAR_CHOICES = [app_commands.Choice(name=label, value=key) for key, (label, _) in CALENDAR_KINDS.items()]


def user_installable(func: Any) -> Any:
    """Installable to users and guilds; usable in guilds, the bot's DMs and private channels (the commands here
    read and answer only through the interaction, so they work where the bot itself is not)."""
    func = app_commands.allowed_installs(guilds=True, users=True)(func)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(func)


async def reader_zone(interaction: discord.Interaction[TMinusBot]) -> ZoneInfo:
    """The reader's zone: theirs, else the server's, else DEFAULT_TIMEZONE."""
    bot = interaction.client
    name = await effective_timezone(
        bot.db, user_id=interaction.user.id, guild_id=interaction.guild_id, default=bot.settings.default_timezone
    )
    return ZoneInfo(name)


def _embed(data: dict[str, Any]) -> discord.Embed:
    return discord.Embed.from_dict(data)


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Numbers of at most 18 digits: every one fits SQLite's 64-bit integers. A forged longer one matches no
    # button and is answered "no longer active" instead of failing in the query.
    template=r"tm:b:(?P<view>nl|ls|nd|ev):(?P<key>-|[0-9a-f]{16}):(?P<dir>[np]):(?P<at>[0-9]{1,18}):(?P<mid>[0-9]{1,18})",
):
    """Previous / Next of a browsing message; a press by someone else gets them their own ephemeral page."""

    def __init__(self, view: View, key: str, backwards: bool, cursor: tuple[int, int] | None) -> None:
        at, mid = cursor or (0, 0)
        label = "Previous" if backwards else "Next"
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label=label,
                emoji="◀️" if backwards else "▶️",
                custom_id=f"tm:b:{view.value}:{key}:{'p' if backwards else 'n'}:{at}:{mid}",
                disabled=cursor is None,
            )
        )
        self.browse_view, self.key, self.backwards, self.cursor = view, key, backwards, cursor

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        cursor = (int(match["at"]), int(match["mid"]))
        return cls(View(match["view"]), match["key"], match["dir"] == "p", cursor)

    async def callback(self, interaction: discord.Interaction[TMinusBot]) -> None:  # type: ignore[override]
        try:
            filters = await load_filters(interaction.client, self.key, self.browse_view)
            ans = await build_answer(interaction, self.browse_view, filters, self.cursor, self.backwards)
            await respond_to_press(interaction, ans, self.browse_view, self.key)
        except PageExpired as expired:
            await retire_page_buttons(interaction, expired)
        except Exception as error:
            await report_error(interaction, error)


class PageExpired(InputError):
    """A page button's saved filters are gone (pruned after a month unused, or a forged key)."""


async def retire_page_buttons(interaction: discord.Interaction[TMinusBot], expired: PageExpired) -> None:
    """Take the dead Previous / Next off the pressed message (for everyone: the filters are gone for all), keep
    the buttons that still work (Add to calendar, Alert me), and tell the presser privately why."""
    message = interaction.message
    event_id = shown_event(message) if message is not None else None
    try:
        # A component press may update its own message (callback type 7), wherever the message is: in a server
        # without the bot, in a DM, or someone's ephemeral page. The reason then follows privately.
        await interaction.response.edit_message(
            view=make_view(event_buttons(event_id) if event_id is not None else []), allowed_mentions=NO_MENTIONS
        )
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
        # Only a courtesy: the reason below must reach the presser whether or not the buttons came off.
        log.warning("could not take the expired buttons off message %s: %r", message.id if message else "?", error)
    await report_error(interaction, expired)


CALENDAR_ID = r"tm:ics:(?P<event>[0-9]{1,18})"


def shown_event(message: discord.Message) -> int | None:
    """The event a browsing message's Add to calendar button stands for, if it has one."""
    for row in message.components:
        for child in getattr(row, "children", ()):
            match = re.fullmatch(CALENDAR_ID, getattr(child, "custom_id", None) or "")
            if match:
                return int(match["event"])
    return None


class CalendarButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CALENDAR_ID):
    """Add to calendar: the shown event's milestones as an .ics file, for the presser only."""

    def __init__(self, event_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary, label="Add to calendar", emoji="📅", custom_id=f"tm:ics:{event_id}"
            )
        )
        self.event_id = event_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CalendarButton:
        return cls(int(match["event"]))

    async def callback(self, interaction: discord.Interaction[TMinusBot]) -> None:  # type: ignore[override]
        try:
            bot = interaction.client
            export = await calendar_for_event(
                bot.db,
                self.event_id,
                guild_id=interaction.guild_id,
                now=bot.clock.now(),
                base_url=bot.settings.ll2_base_url,
            )
            if export is None:
                raise InputError("That event is no longer in the data, so there is nothing to add.")
            file = discord.File(io.BytesIO(export.data), filename=export.filename)
            await interaction.response.send_message(
                export.message, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        except Exception as error:
            await report_error(interaction, error)


def browse_items(view: View, key: str, ans: Answer) -> list[discord.ui.Item[Any]]:
    """The buttons under a browsing answer, in order. Buttons for one event (Add to calendar, and the alerts
    issue's Alert me) go after the paging pair: add them here, and only here."""
    items: list[discord.ui.Item[Any]] = []
    if ans.before is not None or ans.after is not None:
        items.append(PageButton(view, key, True, ans.before))
        items.append(PageButton(view, key, False, ans.after))
    if ans.event_id is not None:
        items.extend(event_buttons(ans.event_id))
    return items


def event_buttons(event_id: int) -> list[discord.ui.Item[Any]]:
    """The buttons for the one event a message shows: Add to calendar, Alert me."""
    return [CalendarButton(event_id), AlertMeButton(event_id)]


def make_view(items: list[discord.ui.Item[Any]]) -> discord.ui.View | None:
    """A view holding ``items`` (no timeout: the dynamic items answer presses for ever), or None if empty."""
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


async def load_filters(bot: TMinusBot, key: str, view: View) -> Filters:
    """The filters a button's key stands for (unknown once pruned after a month unused, or a forged key)."""
    if key == "-":
        return Filters()
    spec = await browse_db.load_query(bot.db, key, now=bot.clock.now())
    if spec is None:
        raise PageExpired(f"This page has expired. Run `/{view.command}` again for a fresh one.")
    return Filters.from_spec(spec)


async def build_answer(
    interaction: discord.Interaction[TMinusBot],
    view: View,
    filters: Filters,
    cursor: tuple[int, int] | None = None,
    backwards: bool = False,
) -> Answer:
    """The answer for this reader (zone, server scope) at the bot's current time."""
    bot = interaction.client
    return await browse.answer(
        bot.db,
        view,
        filters,
        now=bot.clock.now(),
        guild_id=interaction.guild_id,
        zone=await reader_zone(interaction),
        cursor=cursor,
        backwards=backwards,
    )


async def respond_to_press(interaction: discord.Interaction[TMinusBot], ans: Answer, view: View, key: str) -> None:
    """Turn the requester's own message to the new page; anyone else gets the page to themselves."""
    components = make_view(browse_items(view, key, ans))
    message = interaction.message
    metadata = message.interaction_metadata if message is not None else None
    requester = metadata.user.id if metadata is not None else None
    if requester is None or requester == interaction.user.id:
        await interaction.response.edit_message(embed=_embed(ans.embed), view=components, allowed_mentions=NO_MENTIONS)
        return
    kwargs: dict[str, Any] = {"view": components} if components is not None else {}
    await interaction.response.send_message(
        embed=_embed(ans.embed), ephemeral=True, allowed_mentions=NO_MENTIONS, **kwargs
    )


async def run_browse(interaction: discord.Interaction[TMinusBot], view: View, filters: Filters) -> None:
    """A browsing command: save the filters for the buttons, build the first page, answer."""
    bot = interaction.client
    key = filters.key()
    if key != "-":
        await browse_db.save_query(bot.db, key, filters.spec(), now=bot.clock.now())
    ans = await build_answer(interaction, view, filters)
    components = make_view(browse_items(view, key, ans))
    kwargs: dict[str, Any] = {"view": components} if components is not None else {}
    await interaction.response.send_message(embed=_embed(ans.embed), allowed_mentions=NO_MENTIONS, **kwargs)


def _choices(values: list[str]) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=plain_title(v, 100), value=v[:100]) for v in values]


async def provider_autocomplete(
    interaction: discord.Interaction[TMinusBot], current: str
) -> list[app_commands.Choice[str]]:
    """Providers in the data matching what was typed (name or abbreviation)."""
    return _choices(await browse.name_choices(interaction.client.db, "provider", current))


async def rocket_autocomplete(
    interaction: discord.Interaction[TMinusBot], current: str
) -> list[app_commands.Choice[str]]:
    """Rockets in the data matching what was typed."""
    return _choices(await browse.name_choices(interaction.client.db, "vehicle", current))


async def location_autocomplete(
    interaction: discord.Interaction[TMinusBot], current: str
) -> list[app_commands.Choice[str]]:
    """Pads and sites in the data matching what was typed."""
    return _choices(await browse.name_choices(interaction.client.db, "location", current))


async def station_autocomplete(
    interaction: discord.Interaction[TMinusBot], current: str
) -> list[app_commands.Choice[str]]:
    """Stations in the data matching what was typed."""
    return _choices(await browse.name_choices(interaction.client.db, "station", current))


TextOption = app_commands.Range[str, 1, 100]


class Browse(commands.Cog):
    """The schedule, for everyone, everywhere."""

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot

    @app_commands.checks.cooldown(*COOLDOWNS["nextlaunch"])
    @app_commands.command(name="nextlaunch", description="The next launch, with its time in your zone")
    @app_commands.describe(
        provider="Launch provider, e.g. SpaceX or Rocket Lab (any part of the name or its abbreviation)",
        rocket="Rocket, e.g. Falcon 9 or Electron",
        location="Pad or site, e.g. Vandenberg or Kourou",
    )
    @app_commands.autocomplete(
        provider=provider_autocomplete, rocket=rocket_autocomplete, location=location_autocomplete
    )
    @user_installable
    async def nextlaunch(
        self,
        interaction: discord.Interaction[TMinusBot],
        provider: TextOption | None = None,
        rocket: TextOption | None = None,
        location: TextOption | None = None,
    ) -> None:
        """Show the next matching launch with Previous / Next and Add to calendar."""
        await run_browse(interaction, View.NEXT_LAUNCH, Filters(provider=provider, rocket=rocket, location=location))

    @app_commands.checks.cooldown(*COOLDOWNS["launches"])
    @app_commands.command(name="launches", description="The launch schedule, 10 per page")
    @app_commands.describe(
        days="Only launches within this many days (default: the next launches, whatever their date)",
        provider="Launch provider, e.g. SpaceX (any part of the name or its abbreviation)",
    )
    @app_commands.autocomplete(provider=provider_autocomplete)
    @user_installable
    async def launches(
        self,
        interaction: discord.Interaction[TMinusBot],
        days: app_commands.Range[int, 1, 366] | None = None,
        provider: TextOption | None = None,
    ) -> None:
        """List upcoming launches with paging buttons."""
        browse.check_days(days)
        await run_browse(interaction, View.LAUNCHES, Filters(provider=provider, days=days))

    @app_commands.checks.cooldown(*COOLDOWNS["nextdocking"])
    @app_commands.command(name="nextdocking", description="The next docking, undocking or berthing at a station")
    @app_commands.describe(station="Station, e.g. ISS or Tiangong (any part of the name)")
    @app_commands.autocomplete(station=station_autocomplete)
    @user_installable
    async def nextdocking(self, interaction: discord.Interaction[TMinusBot], station: TextOption | None = None) -> None:
        """Show the next port event with Previous / Next and Add to calendar."""
        await run_browse(interaction, View.NEXT_DOCKING, Filters(station=station))

    @app_commands.checks.cooldown(*COOLDOWNS["events"])
    @app_commands.command(name="events", description="Upcoming station events: dockings, spacewalks and more")
    @app_commands.describe(kind="Only this kind of event")
    @app_commands.rename(kind="type")
    @app_commands.choices(kind=EVENT_TYPE_CHOICES)
    @user_installable
    async def events(
        self, interaction: discord.Interaction[TMinusBot], kind: app_commands.Choice[str] | None = None
    ) -> None:
        """List upcoming station events with paging buttons."""
        await run_browse(interaction, View.EVENTS, Filters(kind=kind.value if kind else None))

    async def launch_autocomplete(
        self, interaction: discord.Interaction[TMinusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Launches and events visible here whose name contains what was typed, soonest first."""
        found = await browse_db.search_events(self.bot.db, current, guild_id=interaction.guild_id)
        return [app_commands.Choice(name=plain_title(name, 100), value=f"#{eid}") for eid, name in found]

    @app_commands.checks.cooldown(*COOLDOWNS["launch"])
    @app_commands.command(name="launch", description="Everything about one launch or event, with its slip history")
    @app_commands.describe(name="The launch or event (start typing its name)")
    @app_commands.autocomplete(name=launch_autocomplete)
    @user_installable
    async def launch(self, interaction: discord.Interaction[TMinusBot], name: app_commands.Range[str, 1, 200]) -> None:
        """Show one event in full."""
        event_id = await self._event_id(interaction, name)
        found = await browse.event_details(
            self.bot.db,
            event_id,
            guild_id=interaction.guild_id,
            zone=await reader_zone(interaction),
            now=self.bot.clock.now(),
        )
        if found is None:
            raise InputError("I can't find that launch or event. Start typing its name and pick it from the list.")
        stored, embed = found
        components = make_view(event_buttons(stored.id))
        assert components is not None
        await interaction.response.send_message(embed=_embed(embed), view=components, allowed_mentions=NO_MENTIONS)

    async def _event_id(self, interaction: discord.Interaction[TMinusBot], name: str) -> int:
        if name.startswith("#") and name[1:].isdigit():
            return int(name[1:])
        found = await browse_db.search_events(self.bot.db, name, guild_id=interaction.guild_id, limit=1)
        if not found:
            raise InputError(
                f"No upcoming launch or event is called “{truncate(name, 60)}”. "
                "Start typing its name and pick it from the list."
            )
        return found[0][0]

    @app_commands.checks.cooldown(*COOLDOWNS["calendar"])
    @app_commands.command(name="calendar", description="Upcoming launches and events as a calendar file (.ics)")
    @app_commands.describe(kind="What to include (default: launches)", provider="Only this launch provider")
    @app_commands.choices(kind=CALENDAR_CHOICES)
    @app_commands.autocomplete(provider=provider_autocomplete)
    @user_installable
    async def calendar(
        self,
        interaction: discord.Interaction[TMinusBot],
        kind: app_commands.Choice[str] | None = None,
        provider: TextOption | None = None,
    ) -> None:
        """Answer with an .ics attachment of the matching upcoming milestones."""
        export = await calendar_for_filters(
            self.bot.db,
            kind.value if kind else "launches",
            provider,
            guild_id=interaction.guild_id,
            now=self.bot.clock.now(),
            base_url=self.bot.settings.ll2_base_url,
        )
        file = discord.File(io.BytesIO(export.data), filename=export.filename)
        await interaction.response.send_message(export.message, file=file, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: TMinusBot) -> None:
    """Extension entry point: the cog, and the buttons, which answer presses on messages from before a restart."""
    bot.add_dynamic_items(PageButton, CalendarButton)
    await bot.add_cog(Browse(bot))


async def teardown(bot: TMinusBot) -> None:
    """Extension exit: stop answering the buttons."""
    bot.remove_dynamic_items(PageButton, CalendarButton)

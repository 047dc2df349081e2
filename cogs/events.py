"""``/event``: hand-entered events (Manage Server). Thin adapter over ``bot.manual_events`` and ``bot.extract``."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot import manual_events
from bot.bot import TMinusBot
from bot.cooldowns import COOLDOWNS
from bot.db.events import StoredEvent
from bot.db.settings import effective_timezone
from bot.errors import report_error
from bot.exceptions import InputError
from bot.extract import Extracted, extract_milestones
from bot.manual_events import Actor, Found
from bot.models import MilestoneKind
from bot.render import Embed, add_fields_within_limit, discord_when, plain_instant, truncate
from bot.timeparse import ParsedTime, TimeParseError, parse_time
from bot.zones import load_zone, zone_names

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
KIND_CHOICES = [app_commands.Choice(name=k.value.replace("_", " "), value=k.value) for k in manual_events.EVENT_KINDS]


def _zone(name: str | None) -> ZoneInfo | None:
    if name is None:
        return None
    zone = load_zone(name)
    if zone is None:
        raise InputError(
            f"{name!r} is not a time zone I know. Pick one from the list, e.g. `America/New_York` or `UTC`."
        )
    return zone


async def zone_autocomplete(
    interaction: discord.Interaction[TMinusBot], current: str
) -> list[app_commands.Choice[str]]:
    """Up to 25 IANA zones containing what was typed."""
    needle = current.lower().replace(" ", "_")
    return [app_commands.Choice(name=z, value=z) for z in zone_names() if needle in z.lower()][:25]


def milestone_lines(stored: StoredEvent, zone: ZoneInfo) -> list[str]:
    """One line per milestone: markup for every reader, plain text in the admin's zone to catch a wrong parse."""
    return [
        f"**{kind_label(m.kind)}**: {discord_when(m.at, m.precision)} · {plain_instant(m.at, m.precision, zone)}"
        for m in sorted(stored.event.milestones, key=lambda m: m.at)
    ]


def kind_label(kind: MilestoneKind) -> str:
    """``coverage_start`` -> ``coverage start``."""
    return kind.value.replace("_", " ")


def event_embed(title: str, stored: StoredEvent, zone: ZoneInfo, note: str | None = None) -> discord.Embed:
    """The echo of a saved event."""
    event = stored.event
    embed = discord.Embed(title=truncate(f"{title}: {event.name}", 256), colour=discord.Colour.green())
    embed.description = "\n".join(milestone_lines(stored, zone))
    if note:
        embed.add_field(name="Note", value=truncate(note, 1024), inline=False)
    if event.webcast_urls:
        embed.add_field(name="Webcast", value=truncate(event.webcast_urls[0], 1024), inline=False)
    scope = "every server" if event.guild_id is None else "this server"
    embed.set_footer(text=f"Event #{stored.id} · {scope} · times shown in {zone.key} after the ·")
    return embed


def _assumed_note(parsed: dict[MilestoneKind, ParsedTime]) -> str | None:
    assumed = sorted({p.zone for p in parsed.values() if p.zone_assumed})
    notes = [p.note for p in parsed.values() if p.note]
    parts = []
    if assumed:
        parts.append(
            f"The time named no zone, so I read it in {', '.join(assumed)}. "
            "If that is wrong, edit it and add a zone such as `EST` or `UTC`."
        )
    parts.extend(notes)
    return " ".join(parts) or None


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Events(commands.GroupCog, group_name="event", group_description="Add and manage hand-entered events"):
    """Server admins' own events, for things Launch Library 2 does not list."""

    def __init__(self, bot: TMinusBot) -> None:
        self.bot = bot
        super().__init__()

    async def _can_manage(self, interaction: discord.Interaction[TMinusBot]) -> bool:
        return interaction.permissions.manage_guild or await self.bot.is_owner(interaction.user)

    async def interaction_check(self, interaction: discord.Interaction[TMinusBot]) -> bool:  # type: ignore[override]
        # default_permissions only hides the command; a server can re-grant it, so check at run time too.
        if await self._can_manage(interaction):
            return True
        raise app_commands.MissingPermissions(["manage_guild"])

    async def _actor(self, interaction: discord.Interaction[TMinusBot]) -> Actor:
        return Actor(interaction.user.id, interaction.guild_id, await self.bot.is_owner(interaction.user))

    async def _reader_zone(self, interaction: discord.Interaction[TMinusBot], zone: str | None) -> ZoneInfo:
        chosen = _zone(zone)
        if chosen is not None:
            return chosen
        name = await effective_timezone(
            self.bot.db,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            default=self.bot.settings.default_timezone,
        )
        return ZoneInfo(name)

    async def event_autocomplete(
        self, interaction: discord.Interaction[TMinusBot], current: str
    ) -> list[app_commands.Choice[int]]:
        """Events the user may change here, matching what was typed (searched in the database, not a first page)."""
        # discord.py runs no interaction_check for autocomplete: without this anyone could list the events.
        if interaction.guild_id is None or not await self._can_manage(interaction):
            return []
        events = await manual_events.list_events(
            self.bot.db,
            guild_id=interaction.guild_id,
            now=self.bot.clock.now(),
            include_global=await self.bot.is_owner(interaction.user),
            matching=current,
        )
        return [app_commands.Choice(name=truncate(f"#{s.id} {s.event.name}", 100), value=s.id) for s in events]

    @app_commands.checks.cooldown(*COOLDOWNS["event add"])
    @app_commands.command(name="add", description="Add an event with a time written the way you would say it")
    @app_commands.describe(
        name="What it is, e.g. Progress MS-26 docking",
        kind="What happens at that time",
        time="When, e.g. 'Feb 17 1:12 a.m. EST', 'tomorrow 06:12 UTC' or '2024-02-17T06:12Z'",
        zone="Zone for a time that names none (default: your saved zone, else the server's, else the bot's)",
        coverage="When live coverage starts, written like the time",
        webcast="Link to the live stream",
        description="A few words about the event",
        everywhere="Bot owners only: show this event in every server",
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def add(
        self,
        interaction: discord.Interaction[TMinusBot],
        name: app_commands.Range[str, 1, manual_events.NAME_MAX],
        kind: app_commands.Choice[str],
        time: app_commands.Range[str, 1, 200],
        zone: str | None = None,
        coverage: app_commands.Range[str, 1, 200] | None = None,
        webcast: app_commands.Range[str, 1, 500] | None = None,
        description: app_commands.Range[str, 1, manual_events.DESCRIPTION_MAX] | None = None,
        everywhere: bool = False,
    ) -> None:
        """Create the event and echo how its times were read."""
        # Deferred first: the database may be busy and every change listener runs before we answer.
        await interaction.response.defer(ephemeral=True, thinking=True)
        reader = await self._reader_zone(interaction, zone)
        saved = await manual_events.add_event(
            self.bot.db,
            self.bot.changes,
            await self._actor(interaction),
            name=name,
            kind=MilestoneKind(kind.value),
            time_text=time,
            zone=reader.key,
            now=self.bot.clock.now(),
            coverage_text=coverage,
            webcast_url=webcast,
            description=description,
            make_global=everywhere,
        )
        embed = event_embed("Added", saved.stored, reader, _assumed_note(saved.parsed))
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.checks.cooldown(*COOLDOWNS["event edit"])
    @app_commands.command(name="edit", description="Change a hand-entered event; a new time re-arms its alerts")
    @app_commands.describe(
        event="The event to change (start typing its name or number)",
        name="New name",
        time="New time, written like in /event add",
        zone="Zone for a time that names none",
        coverage="New coverage start; '-' removes it",
        webcast="New webcast link; '-' removes it",
        description="New description; '-' removes it",
    )
    @app_commands.autocomplete(event=event_autocomplete)
    @app_commands.autocomplete(zone=zone_autocomplete)
    async def edit(
        self,
        interaction: discord.Interaction[TMinusBot],
        event: int,
        name: app_commands.Range[str, 1, manual_events.NAME_MAX] | None = None,
        time: app_commands.Range[str, 1, 200] | None = None,
        zone: str | None = None,
        coverage: app_commands.Range[str, 1, 200] | None = None,
        webcast: app_commands.Range[str, 1, 500] | None = None,
        description: app_commands.Range[str, 1, manual_events.DESCRIPTION_MAX] | None = None,
    ) -> None:
        """Apply the given changes and echo the event as it is now."""
        if all(v is None for v in (name, time, coverage, webcast, description)):
            raise InputError("Tell me what to change: give at least one of name, time, coverage, webcast, description.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        reader = await self._reader_zone(interaction, zone)
        saved = await manual_events.edit_event(
            self.bot.db,
            self.bot.changes,
            await self._actor(interaction),
            event,
            zone=reader.key,
            now=self.bot.clock.now(),
            name=name,
            time_text=time,
            coverage_text=coverage,
            webcast_url=webcast,
            description=description,
        )
        embed = event_embed("Updated", saved.stored, reader, _assumed_note(saved.parsed))
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.checks.cooldown(*COOLDOWNS["event remove"])
    @app_commands.command(name="remove", description="Cancel a hand-entered event and its alerts")
    @app_commands.describe(event="The event to remove (start typing its name or number)")
    @app_commands.autocomplete(event=event_autocomplete)
    async def remove(self, interaction: discord.Interaction[TMinusBot], event: int) -> None:
        """Mark the event cancelled."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        stored = await manual_events.remove_event(
            self.bot.db, self.bot.changes, await self._actor(interaction), event, now=self.bot.clock.now()
        )
        await interaction.followup.send(
            f"Removed event #{stored.id} **{discord.utils.escape_markdown(stored.event.name)}**.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.checks.cooldown(*COOLDOWNS["event list"])
    @app_commands.command(name="list", description="List this server's upcoming hand-entered events")
    async def list_(self, interaction: discord.Interaction[TMinusBot]) -> None:
        """Show the soonest events with their numbers (as many as one embed holds), for edit and remove."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        reader = await self._reader_zone(interaction, None)
        events = await manual_events.list_events(
            self.bot.db, guild_id=interaction.guild_id, now=self.bot.clock.now(), limit=100
        )
        embed: Embed = {"title": "Hand-entered events", "color": discord.Colour.blurple().value}
        if not events:
            embed["description"] = "None yet. Add one with `/event add` or paste an article with `/event import`."
        fields = [(f"#{s.id} {s.event.name}", "\n".join(milestone_lines(s, reader))) for s in events]
        shown = add_fields_within_limit(embed, fields, reserve=120)
        if shown < len(events):
            more = len(events) - shown
            embed["footer"] = {
                "text": f"…and {more} later ones. /event edit and /event remove find every event by name."
            }
        await interaction.followup.send(
            embed=discord.Embed.from_dict(embed), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @app_commands.checks.cooldown(*COOLDOWNS["event import"])
    @app_commands.command(name="import", description="Paste an article or notice; I find its times for you to check")
    async def import_(self, interaction: discord.Interaction[TMinusBot]) -> None:
        """Open the paste modal."""
        await interaction.response.send_modal(ImportModal(self))


class ImportModal(discord.ui.Modal, title="Import times from text"):
    """The admin pastes an article; nothing is saved until they confirm what was found."""

    name: discord.ui.TextInput[ImportModal] = discord.ui.TextInput(
        label="Event name", placeholder="Progress MS-26", max_length=manual_events.NAME_MAX, custom_id="import:name"
    )
    article: discord.ui.TextInput[ImportModal] = discord.ui.TextInput(
        label="Article or notice text", style=discord.TextStyle.paragraph, max_length=4000, custom_id="import:article"
    )
    published: discord.ui.TextInput[ImportModal] = discord.ui.TextInput(
        label="Published on (YYYY-MM-DD; blank = today)",
        required=False,
        max_length=10,
        placeholder="2024-02-14",
        custom_id="import:published",
    )

    def __init__(self, cog: Events) -> None:
        super().__init__()
        self.cog = cog

    async def on_submit(self, interaction: discord.Interaction[TMinusBot]) -> None:  # type: ignore[override]
        published = _published(self.published.value, today=self.cog.bot.clock.now().date())
        await interaction.response.defer(ephemeral=True, thinking=True)
        reader = await self.cog._reader_zone(interaction, None)
        found = extract_milestones(self.article.value, published=published, tz=reader.key)
        view = ImportReview(self.cog, interaction.user.id, self.name.value, found, reader)
        view.posted(
            await interaction.followup.send(
                embed=view.embed(), view=view, ephemeral=True, allowed_mentions=NO_MENTIONS, wait=True
            )
        )

    async def on_error(self, interaction: discord.Interaction[TMinusBot], error: Exception) -> None:  # type: ignore[override]
        await report_error(interaction, error)


def _published(text: str, *, today: date) -> date:
    text = text.strip()
    if not text:
        return today
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date like 2024-02-14; leave it blank for today.") from None


class ImportReview(discord.ui.View):
    """Confirm / Edit / Cancel for what extraction found; nothing is saved before Confirm.

    It ends 14 minutes after it was posted, a fixed deadline inside the 15 minutes Discord lets us edit that
    message, so its buttons can be taken away instead of failing when pressed. (A View's own timeout restarts on
    every press, which could carry it past the token's life.)
    """

    LIFETIME_S = 14 * 60

    def __init__(self, cog: Events, author_id: int, name: str, found: list[Extracted], zone: ZoneInfo) -> None:
        super().__init__(timeout=None)
        # Names this review: the saved events' ids derive from it, so a second Confirm stores nothing new.
        self.import_id = uuid.uuid4().hex[:16]
        self.saved = False
        self.unshowable = False  # set when the found times cannot all be shown: then nothing may be saved
        self.problem: str | None = None  # why what was found cannot be saved as it stands
        self.message: discord.WebhookMessage | None = None
        self._expiry: asyncio.Task[None] | None = None
        self.cog = cog
        self.author_id = author_id
        self.name = name
        self.found = found
        # Per found time: whether the admin has checked it in the Edit form (which settles an assumed day or
        # zone). Kept beside ``found`` and rebuilt with it.
        self.confirmed = [False] * len(found)
        self.zone = zone
        self.refresh()

    def posted(self, message: discord.WebhookMessage) -> None:
        """Start the fixed lifetime once the review is on screen."""
        self.message = message
        self._expiry = asyncio.create_task(self._expire_later(), name=f"import-review-{self.import_id}")

    async def _expire_later(self) -> None:
        await asyncio.sleep(self.LIFETIME_S)
        await self.expire()

    async def expire(self) -> None:
        """Take the buttons away and say so (nothing happens if the review already ended)."""
        if self.is_finished():
            return
        self.stop()
        if self.message is None:
            return
        try:
            await self.message.edit(
                content="This review expired; nothing was saved. Run `/event import` again.",
                embed=None,
                view=None,
                allowed_mentions=NO_MENTIONS,
            )
        except discord.HTTPException:
            log.info("could not mark an expired import review as expired")

    def to_save(self) -> list[Found]:
        """The found readings as the core saves them."""
        return [
            Found.of(
                f.kind,
                f.utc,
                f.precision,
                day=f.day,
                past=f.past,
                assumed=_assumed(f) is not None and not confirmed,
                superseded=f.superseded,
            )
            for f, confirmed in zip(self.found, self.confirmed, strict=True)
        ]

    def refresh(self) -> None:
        """Confirm is possible only when everything is shown, nothing disagrees, and something can be saved."""
        self.problem = None
        if self.found:
            try:
                manual_events.importable(self.to_save(), now=self.cog.bot.clock.now())
            except InputError as exc:
                self.problem = exc.message
        conflicted = any(f.conflict for f in self.found)
        self.confirm.disabled = self.unshowable or not self.found or conflicted or self.problem is not None

    def _fields(self, phrase_limit: int) -> list[tuple[str, str]]:
        fields = []
        now = self.cog.bot.clock.now()
        # Each time is shown exactly as it would be saved (a date alone as its calendar date).
        for item, saving in zip(self.found, self.to_save(), strict=True):
            markup = discord_when(saving.utc, saving.precision)
            local = plain_instant(saving.utc, saving.precision, self.zone)
            lines = [f"{markup} · {local}", f"from “{truncate(item.phrase, phrase_limit)}”"]
            if saving.is_over(now):
                lines.append("(already happened: will not be saved)")
            elif saving.superseded:
                lines.append("(the text says this time was moved: will not be saved)")
            elif saving.assumed:
                lines.append(f"⚠️ {_assumed(item)}: check it with Edit, or it will not be saved.")
            if item.conflict:
                lines.append(f"⚠️ {item.conflict} — fix it with Edit before saving.")
            fields.append((kind_label(item.kind), "\n".join(lines)))
        return fields

    def embed(self) -> discord.Embed:
        """What was found, with the words each time came from; every found time is shown or none can be saved."""
        footer = (
            "Check each time, then Confirm to save, Edit to correct, or Cancel. "
            "A time marked ⚠️ is saved only once you have checked it in Edit."
        )
        self.unshowable = False
        self.refresh()
        title = truncate(f"Found in the text: {self.name}", 256)
        for phrase_limit in (300, 120, 40):
            found: Embed = {"title": title, "color": discord.Colour.gold().value}
            if not self.found:
                found["description"] = "I found no liftoff, docking, spacewalk or coverage times in that text."
            elif self.problem:
                found["description"] = f"⚠️ {self.problem}"
            if add_fields_within_limit(found, self._fields(phrase_limit), reserve=len(footer)) == len(self.found):
                found["footer"] = {"text": footer}
                return discord.Embed.from_dict(found)
        # Saving times nobody was shown would defeat the review: refuse instead.
        self.unshowable = True
        self.refresh()
        embed = discord.Embed(title=title, colour=discord.Colour.gold())
        embed.description = (
            f"I found {len(self.found)} times, more than I can show for checking. "
            "Cancel and paste a shorter part of the text."
        )
        return embed

    async def interaction_check(self, interaction: discord.Interaction[TMinusBot]) -> bool:  # type: ignore[override]
        if interaction.user.id != self.author_id:
            raise InputError("Only the admin who pasted this text can confirm it.")
        return True

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[TMinusBot], error: Exception, item: discord.ui.Item[ImportReview]
    ) -> None:
        await report_error(interaction, error)

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.success)
    async def confirm(
        self, interaction: discord.Interaction[TMinusBot], button: discord.ui.Button[ImportReview]
    ) -> None:
        """Save the found milestones as linked events."""
        if self.saved:
            raise InputError("These times are already saved. `/event list` shows them.")
        # Set before the first await: a second press arriving meanwhile sees it and saves nothing.
        self.saved = True
        try:
            await interaction.response.defer()
            saved = await manual_events.save_import(
                self.cog.bot.db,
                self.cog.bot.changes,
                await self.cog._actor(interaction),
                name=self.name,
                found=self.to_save(),
                now=self.cog.bot.clock.now(),
                import_id=self.import_id,
            )
        except BaseException:
            self.saved = False  # nothing was saved: a later Confirm (after an Edit) must be able to try again
            raise
        self.stop()
        embeds = [event_embed("Saved", s, self.zone) for s in saved[:10]]
        await interaction.edit_original_response(embeds=embeds, view=None, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(label="Edit", style=discord.ButtonStyle.primary)
    async def edit(self, interaction: discord.Interaction[TMinusBot], button: discord.ui.Button[ImportReview]) -> None:
        """Open a modal with each found time to correct."""
        if not self.found:
            raise InputError("There is nothing to edit: Cancel and paste a text with times in it.")
        await interaction.response.send_modal(ImportEditModal(self))

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[TMinusBot], button: discord.ui.Button[ImportReview]
    ) -> None:
        """Drop everything."""
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled; nothing was saved.", embed=None, view=None, allowed_mentions=NO_MENTIONS
        )


def _assumed(item: Extracted) -> str | None:
    """What the reading of ``item`` assumed, in words for the review, or None."""
    parts = []
    if item.date_assumed:
        parts.append("the text names no day for it (the publication date was used)")
    if item.zone_assumed:
        parts.append(f"the text names no zone for it ({item.zone} was used)")
    return " and ".join(parts).capitalize() if parts else None


def _edit_default(item: Extracted) -> str:
    """The found time as editable text in UTC: a date alone when only the day is known."""
    if item.day is not None:
        return f"{item.day:%Y-%m-%d}"
    return f"{item.utc:%Y-%m-%d %H:%M} UTC"


class ImportEditModal(discord.ui.Modal, title="Correct the found times (UTC)"):
    """One field per found time, at most five (a modal's limit), disagreements first; blank drops one.

    Fields are shown and read in UTC, so an edited time without a zone means UTC, as the form shows.
    """

    MAX_FIELDS = 5

    def __init__(self, review: ImportReview) -> None:
        super().__init__()
        self.review = review
        self.fields: list[tuple[int, discord.ui.TextInput[ImportEditModal]]] = []
        # Disagreements first, then the times read with an assumed day or zone: what needs the admin's eye.
        order = sorted(
            range(len(review.found)),
            key=lambda i: (review.found[i].conflict is None, review.confirmed[i] or _assumed(review.found[i]) is None),
        )
        for index in order[: self.MAX_FIELDS]:
            item = review.found[index]
            field: discord.ui.TextInput[ImportEditModal] = discord.ui.TextInput(
                custom_id=f"import:edit:{index}",
                label=truncate(f"{kind_label(item.kind)} (blank to drop)", 45),
                default=_edit_default(item),
                required=False,
                max_length=200,
            )
            self.add_item(field)
            self.fields.append((index, field))

    async def on_submit(self, interaction: discord.Interaction[TMinusBot]) -> None:  # type: ignore[override]
        if self.review.is_finished():
            raise InputError("This review has ended. Run `/event import` again.")
        found: list[Extracted | None] = list(self.review.found)
        confirmed = list(self.review.confirmed)
        for index, field in self.fields:
            confirmed[index] = True  # shown in the form and submitted: the admin's decision
            item = self.review.found[index]
            text = field.value.strip()
            if not text:
                found[index] = None
            elif text == field.default:
                # Unchanged: keep the reading as found (its precision too). Submitting the form is the admin's
                # decision on a disagreement shown for it, so the conflict is settled.
                found[index] = replace(item, conflict=None)
            else:
                try:
                    # Day words read against the time found; "in 2 hours" counts from the bot's now.
                    parsed = parse_time(text, tz="UTC", ref=item.utc, now=self.review.cog.bot.clock.now())
                except TimeParseError as exc:
                    raise InputError(f"{kind_label(item.kind)}: {exc.message}. Try: {exc.suggestion}") from None
                found[index] = replace(
                    item, utc=parsed.utc, precision=parsed.precision, day=parsed.day, conflict=None, past=False
                )
        self.review.confirmed = [c for f, c in zip(found, confirmed, strict=True) if f is not None]
        self.review.found = [f for f in found if f is not None]
        await interaction.response.edit_message(
            embed=self.review.embed(), view=self.review, allowed_mentions=NO_MENTIONS
        )

    async def on_error(self, interaction: discord.Interaction[TMinusBot], error: Exception) -> None:  # type: ignore[override]
        await report_error(interaction, error)


async def setup(bot: TMinusBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Events(bot))

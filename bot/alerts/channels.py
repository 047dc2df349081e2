"""Channel alerts inside the alert engine: a recipient that is a channel instead of a user.

The rules, the planner, the outbox rows, their nonces and the jobs are the DM alerts' own: a channel
subscription is a rule whose recipient (``owner_id``) is the channel. Only the last step differs: instead of a
DM, the dispatcher hands the row to :class:`ChannelAlerts`, which posts it (role ping, publish, forum post) and,
when Discord refuses for good, pauses the channel's alerts and tells whoever added them by DM.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import channel_alerts as ca
from bot.alerts import rules
from bot.alerts.leads import format_lead, parse_leads
from bot.alerts.subscriptions import MAX_MATCH_LENGTH
from bot.channel_poster import ChannelPoster, ForumContext, Target
from bot.db import channel_alerts as store
from bot.db import forum_posts
from bot.db.database import Database
from bot.db.events import next_milestones, to_epoch
from bot.db.settings import get_guild_timezone
from bot.exceptions import InputError
from bot.models import MilestoneKind, Precision
from bot.zones import load_zone

log = logging.getLogger(__name__)

Notify = Callable[[int, str], Awaitable[None]]
PAUSED_TEXT = (
    "I paused the alerts that post in <#{channel}>: {why}. Fix that in the channel's Permissions settings, then "
    "add the alert again with `/alerts add` (`/alerts list` shows what is paused)."
)


class ChannelAlerts:
    """Posts channel alerts and notices for the dispatcher."""

    def __init__(self, db: Database, poster: ChannelPoster, notify: Notify, default_zone: str) -> None:
        self.db = db
        self.poster = poster
        self.notify = notify
        self.default_zone = default_zone

    async def targets(self) -> dict[int, Target]:
        """Channel id -> where its alerts go, for every channel with an active alert."""
        return {
            s.channel_id: Target(s.guild_id, s.channel_id, s.kind)
            for s in await store.active_channel_subscriptions(self.db)
        }

    async def zone(self, guild_id: int) -> ZoneInfo:
        """The server's zone for plain-text times (``/alerts timezone``), else the bot's default."""
        name = await get_guild_timezone(self.db, guild_id)
        return load_zone(name or self.default_zone) or ZoneInfo("UTC")

    async def deliver(
        self,
        *,
        target: Target,
        delivery_id: int,
        name: str,
        kind: MilestoneKind,
        lead: int,
        at: int,
        precision: Precision,
        nonce: str,
        late: bool,
    ) -> tuple[int, int]:
        """Post one alert row; (channel or thread id, message id)."""
        facts = await store.post_facts(self.db, delivery_id)
        zone = await self.zone(target.guild_id)
        post = ca.alert_post(
            name=name,
            kind=kind,
            lead=lead,
            at=at,
            precision=precision,
            zone=zone,
            role_id=facts.role_id,
            webcast=facts.webcast,
            late=late,
        )
        forum = None
        if target.kind is ca.ChannelKind.FORUM:
            title = ca.forum_title(facts.title_name, facts.title_at, facts.title_precision, zone)
            forum = ForumContext(facts.mission, facts.title_milestone_id, title)
        return await self.poster.deliver(target, post, nonce, forum, role_id=facts.role_id)

    async def notice(self, target: Target, milestone_id: int, body: str, nonce: str) -> tuple[int, int] | None:
        """A slip, hold, scrub or outcome notice: in the channel, or in the mission's forum post (None: no post)."""
        post = ca.Post(body, {"description": body[:200]}, ca.allowed_mentions(None))
        channel_id = target.channel_id
        if target.kind is ca.ChannelKind.FORUM:
            mission = await store.notice_mission(self.db, milestone_id)
            existing = await forum_posts.get_post(self.db, target.channel_id, mission) if mission else None
            if existing is None or existing.thread_id is None:
                return None
            channel_id = existing.thread_id
        return channel_id, await self.poster.transport.post(channel_id, post, nonce)

    async def pause(self, target: Target, why: str) -> None:
        """Pause every alert posting in the channel; DM whoever added them (never a message in the channel)."""
        owners = await store.pause_channel(self.db, target.channel_id, why)
        log.info("channel alerts in %s paused: %s", target.channel_id, why)
        for owner in owners:
            if owner == 0:
                continue  # whoever added it used /forget me: no one to tell
            try:
                await self.notify(owner, PAUSED_TEXT.format(channel=target.channel_id, why=why))
            except Exception:
                log.warning("could not tell user %s that the alerts in %s paused", owner, target.channel_id)

    async def retitle(self) -> int:
        """Retitle forum posts whose mission slipped."""
        zones: dict[int, ZoneInfo] = {}
        for post in await forum_posts.all_posts(self.db):
            if post.guild_id not in zones:
                zones[post.guild_id] = await self.zone(post.guild_id)
        return await self.poster.retitle(lambda guild_id: zones.get(guild_id, ZoneInfo("UTC")))


async def add_channel_alert(
    db: Database,
    *,
    added_by: int,
    guild_id: int,
    channel_id: int,
    kind: ca.ChannelKind,
    role_id: int | None,
    what: str,
    match: str | None,
    leads: str | None,
    now: int,
) -> store.ChannelSubscription:
    """Store a channel alert (``what``, ``match``, ``leads`` read as ``/subscribe`` reads them)."""
    kinds = rules.WHAT_KINDS.get(what)
    if kinds is None:
        raise InputError(f"Pick what to post alerts about from the list: {', '.join(rules.WHAT_KINDS)}.")
    text = " ".join((match or "").split()) or None
    if text is not None and len(text) > MAX_MATCH_LENGTH:
        raise InputError(f"Keep `match` under {MAX_MATCH_LENGTH} characters: a provider, rocket or mission name.")
    seconds = parse_leads(leads) if leads is not None and leads.strip() else rules.DEFAULT_LEADS
    return await store.add_channel_subscription(
        db,
        added_by=added_by,
        guild_id=guild_id,
        channel_id=channel_id,
        kind=kind,
        role_id=role_id,
        what=what,
        kinds=kinds,
        leads=seconds,
        match=text,
        now=now,
    )


def describe(sub: store.ChannelSubscription) -> str:
    """One line, as /alerts list and /alerts remove show it."""
    parts = [f"#{sub.rule.id} <#{sub.channel_id}> ({sub.kind.value})", sub.what]
    if sub.rule.match:
        parts.append(f'matching "{sub.rule.match}"')
    parts.append(", ".join(format_lead(s) for s in sub.rule.leads))
    parts.append(f"pings <@&{sub.role_id}>" if sub.role_id is not None else "no ping")
    if sub.paused_reason:
        parts.append(f"⏸️ paused: {sub.paused_reason}")
    return " · ".join(parts)


SAMPLE_NAME = "Example rocket | Example mission"


async def post_sample(
    alerts: ChannelAlerts | None, target: Target, role_id: int | None, interaction_id: int, now: datetime
) -> tuple[int, int]:
    """``/alerts test``: a sample alert for the next launch this server sees (or a made-up one), posted as a real
    alert would be (role ping, publish, forum post) and marked as a test."""
    if alerts is None:
        raise ca.ChannelRefusedError("channel alerts are not running")
    upcoming = await next_milestones(alerts.db, now=now, limit=1, guild_id=target.guild_id)
    if upcoming:
        item = upcoming[0]
        name, kind, at, precision = (
            item.event.name,
            item.milestone.kind,
            to_epoch(item.milestone.at),
            item.milestone.precision,
        )
    else:
        name, kind, at, precision = SAMPLE_NAME, MilestoneKind.LIFTOFF, to_epoch(now) + 3_600, Precision.MINUTE
    zone = await alerts.zone(target.guild_id)
    post = ca.alert_post(
        name=name, kind=kind, lead=3_600, at=at, precision=precision, zone=zone, role_id=role_id, sample=True
    )
    forum = None
    if target.kind is ca.ChannelKind.FORUM:
        forum = ForumContext(f"test:{interaction_id}", 0, ca.forum_title(f"Test: {name}", at, precision, zone))
    return await alerts.poster.deliver(target, post, f"test{interaction_id}"[:25], forum, role_id=role_id)

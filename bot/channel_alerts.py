"""Channel alerts: what a post in a text, thread, announcement or forum channel looks like, whom it may ping,
and which permissions it takes. Pure (no discord.py, no database): the cog and the channel transport use it.

- The role is pinged through ``allowed_mentions`` naming that role only (``{"parse": [], "roles": [id]}``);
  everything from upstream is made inert (:func:`bot.inert.inert`), so nothing else can ping.
- Forum channels get one post (thread) per mission, titled with the mission and its NET; a slip retitles it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.inert import inert
from bot.models import MilestoneKind, Precision
from bot.render import inert_name, plain_instant, truncate

THREAD_TITLE_MAX = 100
CONTENT_MAX = 2_000


class ChannelKind(enum.StrEnum):
    """Where a channel alert goes; each has its own way of posting and its own permissions."""

    TEXT = "text"
    THREAD = "thread"
    ANNOUNCEMENT = "announcement"  # posted, then published to following servers
    FORUM = "forum"  # one post (thread) per mission


# Discord permission bits, by the name discord.py gives them, and how the admin sees them.
_LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "mention_everyone": "Mention @everyone, @here and All Roles",
}


def needed_permissions(kind: ChannelKind, *, role_mentionable: bool | None) -> list[str]:
    """discord.py permission names the bot needs in a channel of ``kind`` (``role_mentionable`` None: no role).

    A forum post is made with Send Messages (Discord calls it Create Posts there) and later alerts go into the
    post (a thread: Send Messages in Threads). Publishing its own messages in an announcement channel takes
    Send Messages only (Manage Messages is for publishing other people's). A role that is not mentionable
    pings only with Mention Everyone.
    """
    needed = ["view_channel", "embed_links"]
    if kind is ChannelKind.THREAD:
        needed.append("send_messages_in_threads")
    elif kind is ChannelKind.FORUM:
        needed += ["send_messages", "send_messages_in_threads"]
    else:
        needed.append("send_messages")
    if role_mentionable is False:
        needed.append("mention_everyone")
    return needed


def missing_labels(missing: Iterable[str]) -> list[str]:
    """Permission names as Discord's settings show them."""
    return [_LABELS.get(name, name.replace("_", " ").title()) for name in missing]


def missing_text(channel_mention: str, missing: Iterable[str], *, role: str | None = None) -> str:
    """What an admin is told when the bot lacks permissions in a channel (ephemeral, or by DM)."""
    labels = missing_labels(missing)
    text = f"I can't post alerts in {channel_mention}: I need **{', '.join(labels)}** there."
    if "Mention @everyone, @here and All Roles" in labels and role:
        text += f" (to ping {role}, make the role mentionable or give me that permission)"
    return text + " Grant it in the channel's Permissions settings, then try again."


def allowed_mentions(role_id: int | None) -> dict[str, Any]:
    """Ping that role only (or nobody)."""
    return {"parse": [], "roles": [str(role_id)]} if role_id is not None else {"parse": []}


@dataclass(frozen=True, slots=True)
class Post:
    """One channel alert as Discord JSON: content, one embed, allowed_mentions."""

    content: str
    embed: dict[str, Any]
    allowed_mentions: dict[str, Any]


def _lead_head(lead: int) -> str:
    if lead == 0:
        return "🚀 Now"
    hours, rest = divmod(lead, 3_600)
    minutes = rest // 60
    parts = ([f"{hours // 24}d"] if hours >= 24 else []) + ([f"{hours % 24}h"] if hours % 24 else [])
    parts += [f"{minutes}m"] if minutes else []
    return f"⏰ T-{' '.join(parts) or '0m'}"


def alert_post(
    *,
    name: str,
    kind: MilestoneKind,
    lead: int,
    at: int,
    precision: Precision,
    zone: ZoneInfo,
    role_id: int | None,
    webcast: str | None = None,
    late: bool = False,
    sample: bool = False,
) -> Post:
    """The post of one alert: role ping first, then markup every reader sees in their zone, plain time in the
    server's zone (push previews show no markup)."""
    when = datetime.fromtimestamp(at, tz=zone)
    label = kind.value.replace("_", " ")
    head = _lead_head(lead)
    lines = [f"{head}: **{inert_name(name)}**: {label} <t:{at}:F> (<t:{at}:R>)"]
    if role_id is not None:
        lines.insert(0, f"<@&{role_id}>")
    if late:
        lines.append("*Late: I was offline when this alert was due.*")
    if sample:
        lines.append("*This is a test of this channel's alerts: members will see posts like this one.*")
    embed: dict[str, Any] = {
        "title": truncate(inert(name), 256),
        "description": f"{label.capitalize()}: {plain_instant(when, precision, zone)}",
        "color": 0x2B6CB0,
    }
    if webcast:
        embed["url"] = webcast
        embed["fields"] = [{"name": "Watch", "value": truncate(webcast, 1024), "inline": False}]
    return Post(truncate("\n".join(lines), CONTENT_MAX), embed, allowed_mentions(role_id))


def forum_title(name: str, at: int, precision: Precision, zone: ZoneInfo) -> str:
    """A forum post's title: the mission and its NET in the server's zone (at most 100 characters)."""
    net = plain_instant(datetime.fromtimestamp(at, tz=zone), precision, zone)
    suffix = f" · NET {net}"
    return truncate(inert(name), THREAD_TITLE_MAX - len(suffix)) + suffix


class ChannelSendError(Exception):
    """Base of what the channel transport raises."""


class ChannelForbiddenError(ChannelSendError):
    """403: a permission is missing, or the bot cannot see the channel: pause the alert, tell its admin."""


class ChannelGoneError(ChannelSendError):
    """404: the channel or thread was deleted (a forum post deleted by a moderator: make a new one)."""


class ChannelTransientError(ChannelSendError):
    """5xx, 429, timeout: retry with the same nonce."""


class ChannelRefusedError(ChannelSendError):
    """Any other 4xx: give this post up, keep the alert."""


@dataclass(frozen=True, slots=True)
class ActiveThread:
    """A thread the guild lists as active (for adopting a forum post whose id a crash lost)."""

    id: int
    parent_id: int | None
    name: str
    owner_id: int | None


def post_payload(post: Post, nonce: str | None) -> dict[str, Any]:
    """The JSON body of POST /channels/{id}/messages (or a forum post's starter message, without nonce)."""
    body: dict[str, Any] = {"content": post.content, "embeds": [post.embed], "allowed_mentions": post.allowed_mentions}
    if nonce is not None:
        body["nonce"] = nonce
        body["enforce_nonce"] = True
    return body

"""Who a message pings: `mentions`, `mention_roles` and `mention_everyone` computed as Discord does.

From https://discord.com/developers/docs/resources/message#allowed-mentions-object: without
`allowed_mentions` every mention in the content is parsed; with it, only the kinds in `parse` and the ids
in `users` / `roles` are (a kind both parsed and listed is refused earlier, in limits.py). A role pings only if it
is mentionable or the author has Mention Everyone in the channel; `@everyone` / `@here` ping only with
"everyone" parsed and Mention Everyone. Embeds never ping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .world import MENTION_EVERYONE, Channel, World

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)")


@dataclass
class Mentions:
    """What a message pings: the three message fields."""

    users: list[dict[str, Any]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    everyone: bool = False

    def apply(self, message: dict[str, Any]) -> None:
        """Write the fields into a message object."""
        message["mentions"] = self.users
        message["mention_roles"] = self.roles
        message["mention_everyone"] = self.everyone


def compute(world: World, channel: Channel, content: str, allowed: dict[str, Any] | None) -> Mentions:
    """The pings of ``content`` sent by the bot in ``channel`` under ``allowed`` (None: parse everything)."""
    out = Mentions()
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
    listed_users = {int(u) for u in (allowed or {}).get("users") or []}
    listed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
    can_mention_everyone = bool(world.permissions(world.bot_user, channel) & MENTION_EVERYONE)
    seen: set[int] = set()
    for match in USER_MENTION.finditer(content):
        uid = int(match.group(1))
        user = world.users.get(uid)
        if user is None or uid in seen or ("users" not in parse and uid not in listed_users):
            continue
        seen.add(uid)
        out.users.append(user.to_dict())
    guild = world.guild_of(channel)
    if guild is not None:
        for match in ROLE_MENTION.finditer(content):
            rid = int(match.group(1))
            role = guild.roles.get(rid)
            if role is None or str(rid) in out.roles or ("roles" not in parse and rid not in listed_roles):
                continue
            if role.mentionable or can_mention_everyone:
                out.roles.append(str(rid))
        out.everyone = "everyone" in parse and can_mention_everyone and bool(EVERYONE_MENTION.search(content))
    return out

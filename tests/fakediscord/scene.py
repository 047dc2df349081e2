"""A ready-made world for tests: one guild with the usual channels and people."""

from __future__ import annotations

from dataclasses import dataclass

from .world import ADMINISTRATOR, GUILD_ANNOUNCEMENT, GUILD_FORUM, MANAGE_GUILD, Channel, Guild, Overwrite, User, World


@dataclass
class Scene:
    """Handles on the standard world so tests can name what they act on."""

    guild: Guild
    general: Channel
    announcements: Channel
    forum: Channel
    readonly: Channel
    member: User
    moderator: User
    admin: User
    closed_dms: User


def build_scene(world: World) -> Scene:
    """A guild with text, announcement, forum and bot-read-only channels; a member, a moderator
    (Manage Server), an admin, and a member whose DMs are closed."""
    guild = world.create_guild("Space Fans")
    general = world.create_channel(guild, "general")
    announcements = world.create_channel(guild, "launch-news", type=GUILD_ANNOUNCEMENT)
    forum = world.create_channel(guild, "missions", type=GUILD_FORUM)
    bot_role = next(r for r in guild.roles.values() if r.name == world.bot_user.username)
    # The bot may read but not send here, to exercise 50013.
    readonly = world.create_channel(guild, "rules", overwrites=[Overwrite(bot_role.id, 0, deny=1 << 11)])
    member = world.create_user("alice")
    world.add_member(guild, member)
    moderator = world.create_user("mod")
    world.add_member(guild, moderator, permissions=MANAGE_GUILD)
    admin = world.create_user("admin")
    world.add_member(guild, admin, permissions=ADMINISTRATOR)
    closed_dms = world.create_user("private_bob", dms_open=False)
    world.add_member(guild, closed_dms)
    return Scene(guild, general, announcements, forum, readonly, member, moderator, admin, closed_dms)

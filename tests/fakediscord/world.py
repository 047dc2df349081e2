"""The state of the fake Discord: users, guilds, channels, roles, members and messages."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions), only those the fake judges.
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_EVENTS = 1 << 33
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38
CREATE_EVENTS = 1 << 44
ALL_PERMISSIONS = (1 << 53) - 1

# What @everyone gets in a new guild, close enough to Discord's default for the checks the fake does.
DEFAULT_EVERYONE = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | ADD_REACTIONS
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)

# Privileged gateway intents: an application must be approved (a toggle in the developer portal) for each.
GUILD_MEMBERS_INTENT = 1 << 1
GUILD_PRESENCES_INTENT = 1 << 8
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS_INTENT | GUILD_PRESENCES_INTENT | MESSAGE_CONTENT_INTENT

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})


def iso(moment: datetime | None = None) -> str:
    """Discord's ISO-8601 timestamp format."""
    return (moment or datetime.now(UTC)).isoformat()


class SnowflakeGenerator:
    """Discord-shaped ids: milliseconds since 2015 in the high bits, a counter in the low 22."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


@dataclass
class User:
    """A Discord user; dms_open=False makes the fake refuse DMs to them (50007)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    dms_open: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The user object as Discord serialises it."""
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
            "flags": 0,
        }

    @property
    def mention(self) -> str:
        """<@id> markup."""
        return f"<@{self.id}>"


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    # Anyone may ping a mentionable role; others only with Mention Everyone (as on Discord).
    mentionable: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The role object as Discord serialises it."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass
class Overwrite:
    """A channel permission overwrite; kind 0 is a role, 1 a member."""

    id: int
    kind: int
    allow: int = 0
    deny: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The overwrite object as Discord serialises it."""
        return {"id": str(self.id), "type": self.kind, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class Member:
    """A user's membership of a guild."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)

    def to_dict(self) -> dict[str, Any]:
        """The guild member object as Discord serialises it."""
        return {
            "user": self.user.to_dict(),
            "roles": [str(role) for role in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }


@dataclass
class Channel:
    """A guild channel, thread or DM channel."""

    id: int
    type: int
    name: str | None = None
    guild_id: int | None = None
    parent_id: int | None = None
    position: int = 0
    topic: str | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipient: User | None = None
    owner_id: int | None = None
    last_message_id: int | None = None
    # A DM between two people (not with the bot): where only a user-installed app can be used.
    private: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The channel object as Discord serialises it."""
        data: dict[str, Any] = {"id": str(self.id), "type": self.type, "flags": 0}
        if self.type == DM:
            assert self.recipient is not None
            data["recipients"] = [self.recipient.to_dict()]
            data["last_message_id"] = str(self.last_message_id) if self.last_message_id else None
            return data
        data.update(
            guild_id=str(self.guild_id),
            name=self.name,
            position=self.position,
            parent_id=str(self.parent_id) if self.parent_id else None,
            nsfw=False,
            rate_limit_per_user=0,
            last_message_id=str(self.last_message_id) if self.last_message_id else None,
        )
        if self.type in THREAD_TYPES:
            data.update(
                owner_id=str(self.owner_id) if self.owner_id else None,
                message_count=0,
                member_count=1,
                total_message_sent=0,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "archive_timestamp": iso(),
                    "locked": False,
                    "create_timestamp": iso(),
                },
            )
        else:
            data.update(topic=self.topic, permission_overwrites=[o.to_dict() for o in self.overwrites])
        if self.type == GUILD_FORUM:
            data.update(available_tags=[], default_reaction_emoji=None, default_sort_order=None, default_forum_layout=0)
        return data


@dataclass
class Guild:
    """A guild and what it holds."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The guild object as REST returns it (no channels or members)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [role.to_dict() for role in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "nsfw": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "widget_enabled": False,
            "widget_channel_id": None,
            "incidents_data": None,
        }

    def gateway_dict(self) -> dict[str, Any]:
        """The GUILD_CREATE payload: the guild with everything discord.py caches from it."""
        data = self.to_dict()
        data.update(
            unavailable=False,
            large=False,
            joined_at=iso(),
            member_count=len(self.members),
            channels=[c.to_dict() for c in self.channels.values() if c.type not in THREAD_TYPES],
            threads=[c.to_dict() for c in self.channels.values() if c.type in THREAD_TYPES],
            members=[m.to_dict() for m in self.members.values()],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=list(self.scheduled_events.values()),
            soundboard_sounds=[],
        )
        return data


class World:
    """Everything the fake Discord knows; tests build it, REST handlers read and change it."""

    def __init__(self) -> None:
        self.snowflake = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        # channel id -> message id -> message object, in creation order.
        self.messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._dms: dict[int, Channel] = {}
        self.bot_user = self.create_user("T-Minus", bot=True)
        # Privileged gateway intents the application is approved for (bits of PRIVILEGED_INTENTS);
        # an IDENTIFY asking for any other is closed with 4014, as Discord does.
        self.allowed_privileged_intents = 0
        self.application_id = self.bot_user.id
        self.owner = self.create_user("owner")

    # Building -------------------------------------------------------------------------------

    def create_user(self, username: str, *, bot: bool = False, dms_open: bool = True) -> User:
        """A new user; dms_open=False refuses DMs like a user who closed them."""
        user = User(self.snowflake(), username, global_name=username.title(), bot=bot, dms_open=dms_open)
        self.users[user.id] = user
        return user

    def create_guild(
        self, name: str = "Test Guild", *, bot_permissions: int = DEFAULT_EVERYONE, with_bot: bool = True
    ) -> Guild:
        """A guild owned by world.owner with the bot as a member holding a role with bot_permissions.

        with_bot=False: a guild the bot was never added to (its app can be used there only when user-installed).
        """
        guild_id = self.snowflake()
        guild = Guild(guild_id, name, owner_id=self.owner.id)
        guild.roles[guild_id] = Role(guild_id, guild_id, "@everyone", DEFAULT_EVERYONE)
        self.guilds[guild_id] = guild
        self.add_member(guild, self.owner)
        if not with_bot:
            return guild
        bot_role = self.create_role(guild, "T-Minus", bot_permissions)
        self.add_member(guild, self.bot_user, roles=[bot_role])
        return guild

    def create_role(self, guild: Guild, name: str, permissions: int, *, mentionable: bool = False) -> Role:
        """A role in guild, above the existing ones."""
        role = Role(self.snowflake(), guild.id, name, permissions, position=len(guild.roles), mentionable=mentionable)
        guild.roles[role.id] = role
        return role

    def add_member(
        self,
        guild: Guild,
        user: User,
        *,
        roles: list[Role] | None = None,
        permissions: int | None = None,
    ) -> Member:
        """Make user a member of guild; permissions adds a role granting exactly those bits."""
        role_ids = [role.id for role in roles or []]
        if permissions is not None:
            role_ids.append(self.create_role(guild, f"{user.username}-perms", permissions).id)
        member = Member(user, guild.id, role_ids)
        guild.members[user.id] = member
        return member

    def create_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = GUILD_TEXT,
        overwrites: list[Overwrite] | None = None,
        parent: Channel | None = None,
    ) -> Channel:
        """A text (0), announcement (5) or forum (15) channel, or a thread when parent is given."""
        channel = Channel(
            self.snowflake(),
            type,
            name=name,
            guild_id=guild.id,
            parent_id=parent.id if parent else None,
            position=len(guild.channels),
            overwrites=list(overwrites or []),
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    def dm_channel(self, user: User) -> Channel:
        """The DM channel between the bot and user, created on first use."""
        # Indexed by user id: a fan-out to thousands of subscribers opens thousands of DMs.
        channel = self._dms.get(user.id)
        if channel is not None:
            return channel
        channel = Channel(self.snowflake(), DM, recipient=user)
        self._dms[user.id] = channel
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    def private_channel(self, user: User, other: User) -> Channel:
        """A DM between user and other, without the bot (seen from user's side: other is the recipient)."""
        channel = Channel(self.snowflake(), DM, recipient=other, private=True)
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    # Reading --------------------------------------------------------------------------------

    def guild_of(self, channel: Channel) -> Guild | None:
        """The guild a channel belongs to, None for DMs."""
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def permissions(self, user: User, channel: Channel) -> int:
        """user's permissions in channel: base from roles, then overwrites (threads use their parent)."""
        guild = self.guild_of(channel)
        if guild is None:
            return VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
        member = guild.members.get(user.id)
        if member is None:
            return 0
        if guild.owner_id == user.id:
            return ALL_PERMISSIONS
        base = guild.roles[guild.id].permissions
        for role_id in member.roles:
            base |= guild.roles[role_id].permissions
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        source = self.channels[channel.parent_id] if channel.type in THREAD_TYPES and channel.parent_id else channel
        overwrites = {(o.kind, o.id): o for o in source.overwrites}
        everyone = overwrites.get((0, guild.id))
        if everyone:
            base = (base & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            overwrite = overwrites.get((0, role_id))
            if overwrite:
                allow |= overwrite.allow
                deny |= overwrite.deny
        base = (base & ~deny) | allow
        own = overwrites.get((1, user.id))
        if own:
            base = (base & ~own.deny) | own.allow
        return base

    def guild_permissions(self, user: User, guild: Guild) -> int:
        """user's guild-wide permissions (no channel overwrites)."""
        if guild.owner_id == user.id:
            return ALL_PERMISSIONS
        member = guild.members[user.id]
        base = guild.roles[guild.id].permissions
        for role_id in member.roles:
            base |= guild.roles[role_id].permissions
        return ALL_PERMISSIONS if base & ADMINISTRATOR else base

    def channel_messages(self, channel: Channel) -> list[dict[str, Any]]:
        """Messages in channel, oldest first."""
        return list(self.messages.get(channel.id, {}).values())

"""A local fake of Discord (REST + gateway) for end-to-end tests of the unmodified discord.py client."""

from .interactions import InteractionResult
from .ratelimit import Limit, RateLimitConfig
from .scene import Scene, build_scene
from .server import FakeDiscord, RecordedRequest, Violation
from .world import Channel, Guild, Role, User, World

__all__ = [
    "Channel",
    "FakeDiscord",
    "Guild",
    "InteractionResult",
    "Limit",
    "RateLimitConfig",
    "RecordedRequest",
    "Role",
    "Scene",
    "User",
    "Violation",
    "World",
    "build_scene",
]

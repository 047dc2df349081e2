"""A local fake of Discord (REST + gateway) for end-to-end tests of the unmodified discord.py client.

README.md beside this file lists the fault, ledger, rate-limit and traffic API and the /_control/ endpoints.
"""

from .faults import TIMEOUT, Fault
from .interactions import InteractionResult
from .ledger import Delivery, DeliveryLedger, Duplicate
from .ratelimit import Limit, RateLimitConfig
from .scene import Scene, build_scene
from .server import FakeDiscord, RecordedRequest, Violation
from .traffic import TrafficStats
from .world import Channel, Guild, Role, User, World

__all__ = [
    "TIMEOUT",
    "Channel",
    "Delivery",
    "DeliveryLedger",
    "Duplicate",
    "FakeDiscord",
    "Fault",
    "Guild",
    "InteractionResult",
    "Limit",
    "RateLimitConfig",
    "RecordedRequest",
    "Role",
    "Scene",
    "TrafficStats",
    "User",
    "Violation",
    "World",
    "build_scene",
]

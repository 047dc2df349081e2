"""Discord-style rate limits: a global bucket plus per-route buckets keyed by major parameters."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Discord buckets routes by these path parameters; others share the bucket.
MAJOR_PARAMETERS = ("channel_id", "guild_id", "webhook_id", "webhook_token", "interaction_id")
# Interaction callbacks and interaction webhooks are exempt from the global limit on real Discord.
GLOBAL_EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass(frozen=True)
class Limit:
    """At most `limit` requests per `per` seconds."""

    limit: int
    per: float


def default_route_limits() -> dict[tuple[str, str], Limit]:
    """Route limits close to what Discord answers today for the routes a bot hits hardest."""
    return {("POST", "/channels/{channel_id}/messages"): Limit(5, 1.0)}


@dataclass
class RateLimitConfig:
    """What the fake enforces; tests may shrink or grow any of it."""

    global_limit: Limit = field(default_factory=lambda: Limit(50, 1.0))
    default_limit: Limit = field(default_factory=lambda: Limit(50, 1.0))
    routes: dict[tuple[str, str], Limit] = field(default_factory=default_route_limits)


@dataclass
class _Window:
    limit: Limit
    reset_at: float = 0.0
    used: int = 0

    def take(self, now: float) -> float | None:
        """Count one request; return seconds to wait instead when the window is full."""
        if now >= self.reset_at:
            self.reset_at = now + self.limit.per
            self.used = 0
        if self.used >= self.limit.limit:
            return self.reset_at - now
        self.used += 1
        return None


@dataclass
class Decision:
    """Headers to send, and whether to answer 429."""

    headers: dict[str, str]
    retry_after: float | None = None
    is_global: bool = False
    scope: str = "user"


# X-RateLimit-Scope values: the bot's own per-route limit, its global limit, or a resource's limit shared by all.
SCOPES = ("user", "global", "shared")


@dataclass
class _Forced:
    method: str
    template: str
    retry_after: float
    scope: str


class RateLimiter:
    """Decides, per request, whether Discord would have answered 429."""

    def __init__(self, config: RateLimitConfig | None = None, now: Callable[[], float] = time.time) -> None:
        self.config = config or RateLimitConfig()
        # Windows open and reset on this clock (epoch seconds): FakeDiscord passes the tests' clock.
        self._now = now
        self._global = _Window(self.config.global_limit)
        self._buckets: dict[tuple[str, tuple[str, ...]], _Window] = {}
        self._forced: list[_Forced] = []
        self.hits: list[tuple[str, str]] = []

    def configure(
        self,
        *,
        global_limit: Limit | None = None,
        default_limit: Limit | None = None,
        routes: dict[tuple[str, str], Limit] | None = None,
    ) -> None:
        """Change what is enforced from now on (given parts only); every window starts afresh."""
        if global_limit is not None:
            self.config.global_limit = global_limit
        if default_limit is not None:
            self.config.default_limit = default_limit
        if routes is not None:
            self.config.routes = {(m.upper(), t): limit for (m, t), limit in routes.items()}
        self._global = _Window(self.config.global_limit)
        self._buckets.clear()

    def force_429(
        self,
        method: str,
        template: str,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        scope: str | None = None,
    ) -> None:
        """Answer the next matching request with a 429, as Discord does under a shared or sub-limit."""
        chosen = scope or ("global" if is_global else "user")
        if chosen not in SCOPES:
            raise ValueError(f"scope {chosen!r}: one of {SCOPES}")
        self._forced.append(_Forced(method.upper(), template, retry_after, chosen))

    def _limit_for(self, method: str, template: str) -> Limit:
        return self.config.routes.get((method, template), self.config.default_limit)

    @staticmethod
    def bucket_hash(method: str, template: str) -> str:
        """A stable opaque id per route, like Discord's X-RateLimit-Bucket."""
        return hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()[:16]

    def check(self, method: str, template: str, params: dict[str, str]) -> Decision:
        """Count the request against its buckets; the Decision says what to answer."""
        now = self._now()
        method = method.upper()
        limit = self._limit_for(method, template)
        bucket = self.bucket_hash(method, template)
        major = tuple(params.get(name, "") for name in MAJOR_PARAMETERS)
        window = self._buckets.setdefault((bucket, major), _Window(limit))

        for forced in self._forced:
            if forced.method == method and forced.template == template:
                self._forced.remove(forced)
                self.hits.append((method, template))
                return self._denied(window, bucket, forced.retry_after, forced.scope, now)

        if not template.startswith(GLOBAL_EXEMPT_PREFIXES):
            wait = self._global.take(now)
            if wait is not None:
                self.hits.append((method, template))
                return self._denied(window, bucket, wait, "global", now)

        wait = window.take(now)
        if wait is not None:
            self.hits.append((method, template))
            return self._denied(window, bucket, wait, "user", now)
        return Decision(self._headers(window, bucket, now))

    def _headers(self, window: _Window, bucket: str, now: float) -> dict[str, str]:
        reset_after = max(window.reset_at - now, 0.0)
        return {
            "X-RateLimit-Limit": str(window.limit.limit),
            "X-RateLimit-Remaining": str(max(window.limit.limit - window.used, 0)),
            "X-RateLimit-Reset": f"{now + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def _denied(self, window: _Window, bucket: str, wait: float, scope: str, now: float) -> Decision:
        is_global = scope == "global"
        headers = self._headers(window, bucket, now)
        if is_global:
            # A global 429 carries only the global flag, not the route's bucket headers.
            headers = {"X-RateLimit-Global": "true"}
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
        headers["X-RateLimit-Scope"] = scope
        # discord.py treats a 429 without Via as a Cloudflare ban; Discord's own 429s carry it.
        headers["Via"] = "1.1 google"
        return Decision(headers, retry_after=round(wait, 3), is_global=is_global, scope=scope)

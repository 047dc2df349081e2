"""Traffic statistics from the recorded requests: totals by route, peak requests per second, 429s by scope."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ratelimit import GLOBAL_EXEMPT_PREFIXES, SCOPES

if TYPE_CHECKING:
    from .server import RecordedRequest


def peak_per_window(times: Iterable[float], window_s: float = 1.0) -> int:
    """The most timestamps inside any window_s-long interval [t, t + window_s)."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


@dataclass
class Second:
    """One second of the timeline (clock seconds, floored): arrivals, accepted answers and 429s."""

    at: int
    requests: int = 0
    accepted: int = 0
    limited: int = 0


@dataclass
class TrafficStats:
    """What the bot asked of the fake and how the fake answered, on the fake's clock."""

    total: int
    by_route: dict[str, int]
    limited_by_scope: dict[str, int]
    # Most arrivals in any sliding second, over every route.
    peak_rps: int
    # Most requests answered without a 429 in any sliding second, on routes the global limit counts
    # (interaction callbacks and webhooks are exempt): the figure to compare with the global limit.
    peak_global_accepted_rps: int
    first_at: float | None
    last_at: float | None
    timeline: list[Second] = field(default_factory=list)

    @property
    def limited(self) -> int:
        """Every 429, whatever its scope."""
        return sum(self.limited_by_scope.values())

    @property
    def duration_s(self) -> float:
        """Seconds from the first request to the last."""
        return 0.0 if self.first_at is None or self.last_at is None else self.last_at - self.first_at

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control interface and benchmark output."""
        return {
            "total": self.total,
            "by_route": self.by_route,
            "limited_by_scope": self.limited_by_scope,
            "peak_rps": self.peak_rps,
            "peak_global_accepted_rps": self.peak_global_accepted_rps,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "duration_s": self.duration_s,
            "timeline": [vars(second) for second in self.timeline],
        }


def traffic_stats(requests: Sequence[RecordedRequest], since: float | None = None) -> TrafficStats:
    """Statistics over requests that arrived at or after since (clock seconds; None: all)."""
    chosen = [r for r in requests if since is None or r.at >= since]
    by_route = Counter(f"{r.method} {r.template or r.path}" for r in chosen)
    limited = Counter(dict.fromkeys(SCOPES, 0))
    limited.update(r.rate_limit_scope for r in chosen if r.status == 429 and r.rate_limit_scope)
    seconds: dict[int, Second] = {}
    for request in chosen:
        second = seconds.setdefault(math.floor(request.at), Second(math.floor(request.at)))
        second.requests += 1
        if request.status == 429:
            second.limited += 1
        elif request.status > 0:
            second.accepted += 1
    counted = [
        r.at
        for r in chosen
        if r.status not in (0, 429) and r.template is not None and not r.template.startswith(GLOBAL_EXEMPT_PREFIXES)
    ]
    return TrafficStats(
        total=len(chosen),
        by_route=dict(by_route.most_common()),
        limited_by_scope=dict(limited),
        peak_rps=peak_per_window(r.at for r in chosen),
        peak_global_accepted_rps=peak_per_window(counted),
        first_at=min((r.at for r in chosen), default=None),
        last_at=max((r.at for r in chosen), default=None),
        timeline=[seconds[k] for k in sorted(seconds)],
    )

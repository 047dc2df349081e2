"""Fault injection: answer chosen routes with 5xx or hold them past the client's patience, like a bad day at Discord."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# "before": Discord never acted (a gateway/proxy error). "after": Discord acted (the message exists), then the
# answer was lost: the client sees the error, and only an idempotency key (the nonce) stops a second message.
Phase = Literal["before", "after"]
# Status 0 means no answer at all: the request is held for hold_s, then its connection is dropped.
TIMEOUT = 0
SERVER_ERRORS = (500, 502, 503, 504)
# Long enough to outlast any client-side request timeout a test sets; stop() releases held requests at once.
DEFAULT_HOLD_S = 30.0


@dataclass
class Fault:
    """One injected failure: method + route template (+ optional path parameters), N times or for a period."""

    method: str
    template: str
    status: int = 500
    phase: Phase = "before"
    # How many more requests it hits (None: unlimited while the period lasts).
    times: int | None = 1
    # Clock seconds (FakeDiscord.now_s()) after which it stops hitting (None: no end).
    until_s: float | None = None
    hold_s: float = DEFAULT_HOLD_S
    # Only requests whose path parameters include these values, e.g. {"channel_id": "123"}.
    params: dict[str, str] = field(default_factory=dict)
    # Concrete paths this fault answered, in order.
    hits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if self.status != TIMEOUT and self.status not in SERVER_ERRORS:
            raise ValueError(f"status {self.status}: a fault is one of {SERVER_ERRORS} or TIMEOUT (0)")
        if self.phase not in ("before", "after"):
            raise ValueError(f"phase {self.phase!r}: 'before' or 'after'")

    def active(self, now_s: float) -> bool:
        """Whether it may still hit (times left and period not over)."""
        return (self.times is None or self.times > 0) and (self.until_s is None or now_s < self.until_s)

    def matches(self, method: str, template: str, params: dict[str, str], phase: Phase) -> bool:
        """Whether a request for method+template with params is this fault's, in this phase."""
        return (
            self.phase == phase
            and self.method == method.upper()
            and self.template == template
            and all(params.get(k) == str(v) for k, v in self.params.items())
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control interface."""
        return {
            "method": self.method,
            "template": self.template,
            "status": self.status,
            "phase": self.phase,
            "times": self.times,
            "until_s": self.until_s,
            "hold_s": self.hold_s,
            "params": self.params,
            "hits": len(self.hits),
        }


class Faults:
    """The faults a FakeDiscord applies; first matching active fault wins."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Arm fault; it is returned so a test can read its hits."""
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        self.faults.clear()

    def take(self, method: str, template: str, params: dict[str, str], phase: Phase, now_s: float) -> Fault | None:
        """The fault that hits this request in this phase (counting the hit), or None."""
        for fault in self.faults:
            if fault.active(now_s) and fault.matches(method, template, params, phase):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    @staticmethod
    def body(status: int) -> dict[str, Any]:
        """Discord's JSON for a server error (Cloudflare's 502 page is HTML; discord.py copes with either)."""
        text = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
        return {"message": f"{status}: {text.get(status, 'Server Error')}", "code": 0}

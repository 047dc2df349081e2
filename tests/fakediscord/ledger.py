"""The delivery ledger: every message the bot created through POST /channels/{id}/messages, by recipient and nonce."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Delivery:
    """One message the fake created (or, in `replays`, handed back for a repeated nonce)."""

    message_id: int
    channel_id: int
    # The user at the other end of a DM channel; None for a guild channel or thread.
    recipient_id: int | None
    guild_id: int | None
    nonce: str | None
    content: str
    # content + embeds + components as canonical JSON: equal fingerprints mean the same message twice.
    fingerprint: str
    # FakeDiscord.now_s() when it was created (or replayed).
    at: float
    deleted: bool = False

    @property
    def target(self) -> str:
        """Who received it: "user:<id>" for a DM, "channel:<id>" otherwise."""
        return f"user:{self.recipient_id}" if self.recipient_id is not None else f"channel:{self.channel_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control interface."""
        return {
            "message_id": str(self.message_id),
            "channel_id": str(self.channel_id),
            "recipient_id": None if self.recipient_id is None else str(self.recipient_id),
            "guild_id": None if self.guild_id is None else str(self.guild_id),
            "nonce": self.nonce,
            "content": self.content,
            "at": self.at,
            "deleted": self.deleted,
        }


@dataclass
class Duplicate:
    """Deliveries to one target that are the same message: same nonce, or same content."""

    target: str
    kind: str  # "nonce" or "content"
    key: str
    deliveries: list[Delivery] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the control interface."""
        return {
            "target": self.target,
            "kind": self.kind,
            "key": self.key,
            "message_ids": [str(d.message_id) for d in self.deliveries],
        }


def fingerprint(message: dict[str, Any]) -> str:
    """Canonical JSON of what a reader sees: content, embeds and components."""
    seen = {k: message.get(k) or None for k in ("content", "embeds", "components")}
    return json.dumps(seen, sort_keys=True, separators=(",", ":"))


class DeliveryLedger:
    """Queryable record of deliveries; tests count messages per recipient and look for duplicates."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        # Requests answered with an existing message because of enforce_nonce (the de-duplication worked).
        self.replays: list[Delivery] = []
        self._by_id: dict[int, Delivery] = {}

    def record(self, message: dict[str, Any], recipient_id: int | None, at: float, *, replay: bool = False) -> None:
        """Note a created message (or, with replay=True, an existing one returned for a repeated nonce)."""
        delivery = Delivery(
            message_id=int(message["id"]),
            channel_id=int(message["channel_id"]),
            recipient_id=recipient_id,
            guild_id=int(message["guild_id"]) if message.get("guild_id") else None,
            nonce=None if message.get("nonce") is None else str(message["nonce"]),
            content=str(message.get("content") or ""),
            fingerprint=fingerprint(message),
            at=at,
        )
        if replay:
            self.replays.append(delivery)
        else:
            self.deliveries.append(delivery)
            self._by_id[delivery.message_id] = delivery

    def mark_deleted(self, message_id: int) -> None:
        """The bot deleted a message it had delivered (it still counts as delivered)."""
        if message_id in self._by_id:
            self._by_id[message_id].deleted = True

    def to_recipient(self, user_id: int) -> list[Delivery]:
        """Messages the bot sent to user_id's DMs, oldest first."""
        return [d for d in self.deliveries if d.recipient_id == user_id]

    def in_channel(self, channel_id: int) -> list[Delivery]:
        """Messages the bot created in channel_id, oldest first."""
        return [d for d in self.deliveries if d.channel_id == channel_id]

    def with_nonce(self, nonce: str | int) -> list[Delivery]:
        """Messages created with this nonce (there should be at most one per target)."""
        return [d for d in self.deliveries if d.nonce == str(nonce)]

    def per_recipient(self) -> dict[int, int]:
        """user id -> how many DMs the bot created for them."""
        return dict(Counter(d.recipient_id for d in self.deliveries if d.recipient_id is not None))

    def per_target(self) -> dict[str, int]:
        """ "user:<id>" / "channel:<id>" -> how many messages the bot created there."""
        return dict(Counter(d.target for d in self.deliveries))

    def duplicates(self) -> list[Duplicate]:
        """Every group of two or more deliveries to one target with the same nonce or the same content."""
        groups: dict[tuple[str, str, str], list[Delivery]] = {}
        for delivery in self.deliveries:
            if delivery.nonce is not None:
                groups.setdefault((delivery.target, "nonce", delivery.nonce), []).append(delivery)
            groups.setdefault((delivery.target, "content", delivery.fingerprint), []).append(delivery)
        return [Duplicate(target, kind, key, items) for (target, kind, key), items in groups.items() if len(items) > 1]

    def summary(self) -> dict[str, Any]:
        """Counts for the control interface: totals, per recipient, replays, duplicates."""
        return {
            "deliveries": len(self.deliveries),
            "replays": len(self.replays),
            "per_recipient": {str(k): v for k, v in self.per_recipient().items()},
            "per_target": self.per_target(),
            "duplicates": [d.to_dict() for d in self.duplicates()],
        }

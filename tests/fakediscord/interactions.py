"""What the bot answered to one interaction, and building interaction payloads from the synced commands."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .world import Channel, Role, User

# Interaction callback types.
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE, MODAL = 1, 4, 5, 6, 7, 8, 9
EPHEMERAL = 1 << 6

# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


@dataclass
class InteractionResult:
    """A live view of how the bot answered one interaction; fields fill in as requests arrive."""

    id: int
    token: str
    payload: dict[str, Any]
    callback: dict[str, Any] | None = None
    # The message the callback created (types 4/5) or the component message it updates (6/7).
    original: dict[str, Any] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    followups: list[dict[str, Any]] = field(default_factory=list)
    original_deleted: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # FakeDiscord.now_s() when the interaction was dispatched: the callback deadline and token lifetime count from here.
    created: float = field(default_factory=time.time)

    @property
    def type(self) -> int | None:
        """The callback type (4 message, 5 deferred, 6 deferred update, 7 update, 8 choices, 9 modal)."""
        return self.callback["type"] if self.callback else None

    @property
    def deferred(self) -> bool:
        """Whether the bot deferred before answering."""
        return self.type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)

    @property
    def ephemeral(self) -> bool:
        """Whether the original response is visible only to the invoker."""
        return bool(self.original and int(self.original.get("flags") or 0) & EPHEMERAL)

    @property
    def message(self) -> dict[str, Any] | None:
        """The original response message as it stands now (after edits)."""
        return self.original

    @property
    def content(self) -> str | None:
        """Text of the original response."""
        return self.original.get("content") if self.original else None

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """Embeds of the original response."""
        return list(self.original.get("embeds") or []) if self.original else []

    @property
    def components(self) -> list[dict[str, Any]]:
        """Component rows of the original response."""
        return list(self.original.get("components") or []) if self.original else []

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (callback type 9): custom_id, title, components."""
        return self.callback["data"] if self.type == MODAL and self.callback else None

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices (callback type 8)."""
        if self.type != AUTOCOMPLETE or self.callback is None:
            return None
        return list(self.callback["data"].get("choices") or [])

    @property
    def answered(self) -> bool:
        """Whether the answer is complete: a callback, and after a deferral also an edit or follow-up.

        A bot that defers an update and never edits leaves the person waiting too; the helper then times out.
        """
        if self.callback is None:
            return False
        if self.type in (DEFERRED_MESSAGE, DEFERRED_UPDATE):
            return bool(self.edits or self.followups or self.original_deleted)
        return True

    def touch(self) -> None:
        """Wake anyone waiting on this interaction."""
        self.changed.set()

    async def wait(self, predicate: Any, timeout_s: float) -> None:
        """Wait until predicate(self) holds."""
        async with asyncio.timeout(timeout_s):
            while not predicate(self):
                self.changed.clear()
                await self.changed.wait()

    async def wait_for_followups(self, count: int = 1, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        """Wait until at least count follow-up messages exist; return them."""
        await self.wait(lambda r: len(r.followups) >= count, timeout_s)
        return self.followups


def new_token() -> str:
    """An interaction token, opaque like Discord's."""
    return "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)


def _resolve_value(
    option_type: int, value: Any, resolved: dict[str, dict[str, Any]], members: dict[int, dict[str, Any]]
) -> Any:
    """The wire value of an option, filling `resolved` for users, channels and roles."""
    if option_type in (USER, MENTIONABLE) and isinstance(value, User):
        resolved.setdefault("users", {})[str(value.id)] = value.to_dict()
        if value.id in members:
            member = {k: v for k, v in members[value.id].items() if k != "user"}
            resolved.setdefault("members", {})[str(value.id)] = member
        return str(value.id)
    if option_type in (ROLE, MENTIONABLE) and isinstance(value, Role):
        resolved.setdefault("roles", {})[str(value.id)] = value.to_dict()
        return str(value.id)
    if option_type == CHANNEL and isinstance(value, Channel):
        # The server fills in "permissions" (the invoker's, in that channel) afterwards.
        resolved.setdefault("channels", {})[str(value.id)] = value.to_dict()
        return str(value.id)
    if option_type == INTEGER:
        return int(value)
    if option_type == NUMBER:
        return float(value)
    if option_type == BOOLEAN:
        return bool(value)
    return value


def build_command_data(
    command: dict[str, Any],
    path: list[str],
    options: dict[str, Any],
    members: dict[int, dict[str, Any]],
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """The interaction `data` for /command [group] [sub] with options, typed from the synced command."""
    resolved: dict[str, dict[str, Any]] = {}
    declared: list[dict[str, Any]] = command.get("options") or []
    wrappers: list[dict[str, Any]] = []
    for name in path:
        match = next((o for o in declared if o["name"] == name and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)), None)
        if match is None:
            raise KeyError(f"/{command['name']} has no subcommand or group {name!r}")
        wrappers.append({"type": match["type"], "name": name, "options": []})
        declared = match.get("options") or []
    leaf: list[dict[str, Any]] = []
    for name, value in options.items():
        spec = next((o for o in declared if o["name"] == name), None)
        if spec is None:
            known = ", ".join(o["name"] for o in declared)
            raise KeyError(f"/{command['name']} {' '.join(path)} has no option {name!r} (known: {known})")
        option: dict[str, Any] = {"name": name, "type": spec["type"]}
        if name == focused:
            # Autocomplete sends the partial text as typed, whatever the option's type.
            option.update(value=str(value), focused=True)
        else:
            option["value"] = _resolve_value(spec["type"], value, resolved, members)
        leaf.append(option)
    missing = [o["name"] for o in declared if o.get("required") and o["name"] not in options]
    if missing and focused is None:
        raise KeyError(f"/{command['name']} requires {missing}")
    for wrapper in reversed(wrappers):
        wrapper["options"] = leaf
        leaf = [wrapper]
    data: dict[str, Any] = {
        "id": command["id"],
        "name": command["name"],
        "type": command.get("type", 1),
        "options": leaf,
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return data


def modal_submit_components(modal: dict[str, Any], values: dict[str, str]) -> list[dict[str, Any]]:
    """The components of a modal submission mirroring the modal's layout, filled with values by custom_id."""
    out: list[dict[str, Any]] = []
    for row in modal.get("components") or []:
        if row.get("type") == 1:
            inputs = [
                {
                    "type": c["type"],
                    "id": c.get("id", 0),
                    "custom_id": c["custom_id"],
                    "value": values.get(c["custom_id"], ""),
                }
                for c in row.get("components") or []
            ]
            out.append({"type": 1, "id": row.get("id", 0), "components": inputs})
        elif row.get("type") == 18:  # Label wrapping one input (discord.py 2.6+).
            inner = row["component"]
            submitted: dict[str, Any] = {
                "type": inner["type"],
                "id": inner.get("id", 0),
                "custom_id": inner["custom_id"],
            }
            if inner["type"] == 4:
                submitted["value"] = values.get(inner["custom_id"], "")
            else:
                submitted["values"] = values.get(inner["custom_id"], [])
            out.append({"type": 18, "id": row.get("id", 0), "component": submitted})
    return out

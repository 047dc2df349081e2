"""Discord's message and embed limits, answered as Discord does: 400 code 50035 with a per-field error tree."""

from __future__ import annotations

from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
FIELDS_MAX = 25
# (path inside an embed, limit); the spec allows more for some, Discord's documented limits are these.
EMBED_TEXT_LIMITS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("title",), 256),
    (("description",), 4096),
    (("footer", "text"), 2048),
    (("author", "name"), 256),
)
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024

Errors = dict[str, Any]


def _add(tree: Errors, path: list[str | int], code: str, message: str) -> None:
    node = tree
    for part in path:
        node = node.setdefault(str(part), {})
    node.setdefault("_errors", []).append({"code": code, "message": message})


def _too_long(tree: Errors, path: list[str | int], limit: int) -> None:
    _add(tree, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def message_errors(body: dict[str, Any]) -> Errors:
    """Discord's "errors" tree for a message-shaped body; {} when it is within every limit."""
    tree: Errors = {}
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_MAX:
        _too_long(tree, ["content"], CONTENT_MAX)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        _add(tree, ["embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        for path, limit in EMBED_TEXT_LIMITS:
            value: Any = embed
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, str):
                total += len(value)
                if len(value) > limit:
                    _too_long(tree, ["embeds", index, *path], limit)
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_MAX:
            _add(tree, ["embeds", index, "fields"], "BASE_TYPE_MAX_LENGTH", f"Must be {FIELDS_MAX} or fewer in length.")
        for number, item in enumerate(fields):
            name, value = str(item.get("name", "")), str(item.get("value", ""))
            total += len(name) + len(value)
            if not name:
                _add(tree, ["embeds", index, "fields", number, "name"], "BASE_TYPE_REQUIRED", "This field is required")
            if not value:
                _add(tree, ["embeds", index, "fields", number, "value"], "BASE_TYPE_REQUIRED", "This field is required")
            if len(name) > FIELD_NAME_MAX:
                _too_long(tree, ["embeds", index, "fields", number, "name"], FIELD_NAME_MAX)
            if len(value) > FIELD_VALUE_MAX:
                _too_long(tree, ["embeds", index, "fields", number, "value"], FIELD_VALUE_MAX)
    if total > EMBED_TOTAL_MAX:
        _add(tree, ["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    return tree


def flatten(tree: Errors, prefix: str = "") -> list[str]:
    """'embeds.0.title: Must be 256 or fewer in length.' lines for a violation report."""
    lines: list[str] = []
    for key, value in tree.items():
        if key == "_errors":
            lines.extend(f"{prefix or '<body>'}: {error['message']}" for error in value)
        else:
            lines.extend(flatten(value, f"{prefix}.{key}" if prefix else key))
    return lines

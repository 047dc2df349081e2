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
ACTION_ROWS_MAX = 5
IS_COMPONENTS_V2 = 1 << 15
CHOICES_MAX = 25
CHOICE_TEXT_MAX = 100

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
    _component_errors(tree, body)
    _allowed_mentions_errors(tree, body.get("allowed_mentions"))
    return tree


def _component_errors(tree: Errors, body: dict[str, Any]) -> None:
    """At most 5 top-level rows (unless the message uses components v2), and unique custom_ids."""
    components = body.get("components")
    if not isinstance(components, list):
        return
    if len(components) > ACTION_ROWS_MAX and not int(body.get("flags") or 0) & IS_COMPONENTS_V2:
        _add(tree, ["components"], "BASE_TYPE_MAX_LENGTH", f"Must be {ACTION_ROWS_MAX} or fewer in length.")
    seen: set[str] = set()
    for path, component in _walk_components(components, ["components"]):
        custom_id = component.get("custom_id")
        if not isinstance(custom_id, str):
            continue
        if custom_id in seen:
            _add(
                tree, [*path, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated"
            )
        seen.add(custom_id)


def _walk_components(components: list[Any], path: list[str | int]) -> list[tuple[list[str | int], dict[str, Any]]]:
    """Every component with its path: rows and containers (components), sections (accessory), labels (component)."""
    out: list[tuple[list[str | int], dict[str, Any]]] = []
    for index, component in enumerate(components):
        if isinstance(component, dict):
            out.extend(_walk_component(component, [*path, index]))
    return out


def _walk_component(component: dict[str, Any], path: list[str | int]) -> list[tuple[list[str | int], dict[str, Any]]]:
    out: list[tuple[list[str | int], dict[str, Any]]] = [(path, component)]
    children = component.get("components")
    if isinstance(children, list):
        out.extend(_walk_components(children, [*path, "components"]))
    for key in ("accessory", "component"):
        child = component.get(key)
        if isinstance(child, dict):
            out.extend(_walk_component(child, [*path, key]))
    return out


def _allowed_mentions_errors(tree: Errors, mentions: Any) -> None:
    """parse ["users"] and an explicit users list are mutually exclusive (likewise roles)."""
    if not isinstance(mentions, dict):
        return
    parse = mentions.get("parse") or []
    for kind in ("users", "roles"):
        if kind in parse and isinstance(mentions.get(kind), list):
            _add(
                tree,
                ["allowed_mentions", kind],
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
            )


def autocomplete_errors(data: dict[str, Any]) -> Errors:
    """Discord's "errors" tree for the data of an autocomplete answer (callback type 8)."""
    tree: Errors = {}
    choices = data.get("choices")
    if not isinstance(choices, list):
        return tree
    if len(choices) > CHOICES_MAX:
        _add(tree, ["choices"], "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES_MAX} or fewer in length.")
    for index, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        for key in ("name", "value"):
            value = choice.get(key)
            if isinstance(value, str) and len(value) > CHOICE_TEXT_MAX:
                _too_long(tree, ["choices", index, key], CHOICE_TEXT_MAX)
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

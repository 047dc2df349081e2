"""Judge request bodies against the vendored Discord OpenAPI spec."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[1] / "vendor" / "discord" / "openapi-trimmed.json"
# The document is registered under this URI so that "#/components/..." refs resolve inside it.
SPEC_URI = "urn:discord-openapi"
# jsonschema checks "date-time" and "uri" only when optional packages are installed (rfc3339-validator,
# rfc3987); these checkers make both unconditional. Every other format keeps jsonschema's own checker.
FORMATS = FormatChecker(Draft202012Validator.FORMAT_CHECKER.checkers)
# RFC 3986 scheme ":" then at least one character, with no whitespace or control characters anywhere.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+")


# schema name -> {field: schema}, each from Discord's documentation where the spec's request schema lacks it:
# nsfw: "Create/Bulk Overwrite Application Command" params (discord.py sends it on every sync);
# flags: the embed object's "flags?" (discord.py's Embed.to_dict always sends it, 0 by default).
DOCUMENTED_REQUEST_FIELDS: dict[str, dict[str, Any]] = {
    "ApplicationCommandUpdateRequest": {"nsfw": {"type": ["boolean", "null"]}},
    "RichEmbed": {"flags": {"type": ["integer", "null"]}},
}
# Undefined fields tolerated only with exactly this value: discord.py's handle_message_parameters sets
# tts=False on every message body, edits and forum starter messages included, where Discord defines no tts.
# Any other value (tts=True on an edit) is still reported: it would be a silent no-op.
HARMLESS_UNDEFINED: dict[str, object] = {"tts": False}


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    """RFC 3339: a date, "T", a time and an offset (Discord refuses naive timestamps)."""
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed.tzinfo is not None and ("T" in value or "t" in value)


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme (http, https, attachment, ...) and no whitespace."""
    if not isinstance(value, str):
        return True
    return _URI.fullmatch(value) is not None


@dataclass(frozen=True)
class RouteMatch:
    """A concrete request path matched to a templated spec path."""

    template: str
    params: dict[str, str]


class SpecChecker:
    """Route matching and request-body validation from an OpenAPI 3.1 document."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        # The spec types snowflakes as decimal strings, but Discord also accepts JSON integers and
        # discord.py sends them (e.g. recipient_id); judging that a violation would only be noise.
        schemas = self.spec["components"]["schemas"]
        if "SnowflakeType" in schemas:
            schemas["SnowflakeType"] = {"anyOf": [schemas["SnowflakeType"], {"type": "integer", "minimum": 0}]}
        # GUILD_MEDIA (16) is a documented channel type the spec's enum lacks; discord.py lists it in
        # channel_types for ForumChannel options, and Discord accepts it.
        if "ChannelTypes" in schemas:
            schemas["ChannelTypes"]["oneOf"].append({"title": "GUILD_MEDIA", "const": 16})
        # Fields Discord documents for a request but the spec's request schema lacks; without them the
        # unknown-field check would blame the client for Discord's omission.
        for schema_name, fields in DOCUMENTED_REQUEST_FIELDS.items():
            if schema_name in schemas:
                schemas[schema_name]["properties"].update(fields)
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._pointer_validators: dict[str, Draft202012Validator] = {}
        # Literal segments beat parameters ("/messages/@original" must not match "{message_id}").
        self._routes = sorted(
            ((self._compile(template), template) for template in self.spec["paths"]),
            key=lambda item: item[1].count("{"),
        )

    @staticmethod
    def _compile(template: str) -> re.Pattern[str]:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        return re.compile(f"^{pattern}$")

    @cached_property
    def templates(self) -> frozenset[str]:
        """Every templated path in the spec."""
        return frozenset(self.spec["paths"])

    def match(self, path: str) -> RouteMatch | None:
        """The templated spec path for a concrete path such as ``/channels/1/messages``."""
        for pattern, template in self._routes:
            found = pattern.match(path)
            if found:
                return RouteMatch(template, found.groupdict())
        return None

    def has_method(self, template: str, method: str) -> bool:
        """Whether the spec defines method (any case) on template."""
        return method.lower() in self.spec["paths"][template]

    def _validator(self, template: str, method: str) -> Draft202012Validator | None:
        key = (template, method.lower())
        if key not in self._validators:
            operation = self.spec["paths"][template][method.lower()]
            body = operation.get("requestBody")
            if body is None:
                self._validators[key] = None
            else:
                # Point into the registered document so the schema's "#/components/..." refs resolve there.
                pointer = f"/paths/{_pointer(template)}/{method.lower()}/requestBody/content/application~1json/schema"
                validator = Draft202012Validator(
                    {"$ref": f"{SPEC_URI}#{pointer}"},
                    registry=self._registry,
                    format_checker=FORMATS,
                )
                self._validators[key] = validator
        return self._validators[key]

    def request_errors(self, template: str, method: str, body: Any) -> list[str]:
        """Human-readable schema violations of body for template+method; [] when it conforms.

        body is None when the request carried none; that is an error only where the spec requires one.
        """
        operation = self.spec["paths"][template][method.lower()]
        spec_body = operation.get("requestBody")
        if spec_body is None:
            return [] if body is None else [f"{method} {template} takes no request body"]
        if body is None:
            return [f"{method} {template} requires a request body"] if spec_body.get("required") else []
        validator = self._validator(template, method)
        assert validator is not None
        return [_describe(error) for error in _causes(list(validator.iter_errors(body)))]

    def unknown_fields(self, template: str, method: str, body: Any) -> list[str]:
        """Fields of a (schema-valid) body that the spec does not define anywhere they could belong.

        Discord ignores such fields silently, so a misspelled ``enforce_nonce`` would pass every other check;
        the spec rarely says ``additionalProperties: false``, so this walk closes every object that lists its
        properties. Under anyOf/oneOf only the branches the value validates against count.
        """
        if body is None or self.spec["paths"][template][method.lower()].get("requestBody") is None:
            return []
        pointer = f"/paths/{_pointer(template)}/{method.lower()}/requestBody/content/application~1json/schema"
        out: list[str] = []
        self._walk_unknown(self._at(pointer), pointer, body, "", out)
        return list(dict.fromkeys(out))

    def _at(self, pointer: str) -> Any:
        node: Any = self.spec
        for raw in pointer.lstrip("/").split("/"):
            token = raw.replace("%7B", "{").replace("%7D", "}").replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def _valid_at(self, pointer: str, instance: Any) -> bool:
        # Most branches are told apart by JSON type alone ({"type": "null"} or a $ref to an object schema);
        # answering those without jsonschema's reference resolution halves the cost of a message body.
        schema = self._at(pointer)
        while isinstance(schema, dict) and set(schema) == {"$ref"} and schema["$ref"].startswith("#/"):
            schema = self._at(schema["$ref"][1:])
        if isinstance(schema, dict) and "type" in schema and not _type_allows(schema["type"], instance):
            return False
        validator = self._pointer_validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"}, registry=self._registry, format_checker=FORMATS
            )
            self._pointer_validators[pointer] = validator
        return bool(validator.is_valid(instance))

    def _applicable(self, schema: Any, pointer: str, instance: Any) -> list[tuple[dict[str, Any], str]]:
        """schema and each subschema applying to instance through $ref, allOf and the valid anyOf/oneOf branches."""
        if not isinstance(schema, dict):
            return []
        out: list[tuple[dict[str, Any], str]] = [(schema, pointer)]
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            out += self._applicable(self._at(ref[1:]), ref[1:], instance)
        for index, sub in enumerate(schema.get("allOf") or []):
            out += self._applicable(sub, f"{pointer}/allOf/{index}", instance)
        for keyword in ("anyOf", "oneOf"):
            branches = schema.get(keyword) or []
            valid = [i for i in range(len(branches)) if self._valid_at(f"{pointer}/{keyword}/{i}", instance)]
            for index in valid or range(len(branches)):
                out += self._applicable(branches[index], f"{pointer}/{keyword}/{index}", instance)
        return out

    def _walk_unknown(self, schema: Any, pointer: str, instance: Any, where: str, out: list[str]) -> None:
        branches = self._applicable(schema, pointer, instance)
        if isinstance(instance, dict):
            known: set[str] = set()
            listed = extensible = False
            for sub, _ in branches:
                if isinstance(sub.get("properties"), dict):
                    listed = True
                    known |= set(sub["properties"])
                if sub.get("additionalProperties") not in (None, False) or "patternProperties" in sub:
                    extensible = True
            if listed and not extensible:
                out += [
                    f"{where + '/' if where else ''}{key}: unknown field (Discord ignores it silently)"
                    for key, value in instance.items()
                    if key not in known and not (key in HARMLESS_UNDEFINED and value is HARMLESS_UNDEFINED[key])
                ]
            for key, value in instance.items():
                for sub, sub_pointer in branches:
                    token = str(key).replace("~", "~0").replace("/", "~1")
                    extra = sub.get("additionalProperties")
                    if key in (sub.get("properties") or {}):
                        child = f"{sub_pointer}/properties/{token}"
                        self._walk_unknown(sub["properties"][key], child, value, f"{where}/{key}".lstrip("/"), out)
                    elif isinstance(extra, dict):
                        child = f"{sub_pointer}/additionalProperties"
                        self._walk_unknown(extra, child, value, f"{where}/{key}".lstrip("/"), out)
        elif isinstance(instance, list):
            for sub, sub_pointer in branches:
                items = sub.get("items")
                if isinstance(items, dict):
                    for index, value in enumerate(instance):
                        self._walk_unknown(items, f"{sub_pointer}/items", value, f"{where}/{index}".lstrip("/"), out)


def _type_allows(declared: Any, instance: Any) -> bool:
    """Whether a JSON Schema "type" (a name or a list of names) admits instance."""
    names = declared if isinstance(declared, list) else [declared]
    for name in names:
        if (
            (name == "null" and instance is None)
            or (name == "boolean" and isinstance(instance, bool))
            or (name == "object" and isinstance(instance, dict))
            or (name == "array" and isinstance(instance, list))
            or (name == "string" and isinstance(instance, str))
            or (name == "number" and isinstance(instance, int | float) and not isinstance(instance, bool))
            or (name == "integer" and isinstance(instance, int) and not isinstance(instance, bool))
            or (name == "integer" and isinstance(instance, float) and instance.is_integer())
        ):
            return True
    return not names


def _pointer(template: str) -> str:
    """JSON-pointer-escape a path template for use inside a $ref."""
    return template.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")


def _causes(errors: list[ValidationError]) -> list[ValidationError]:
    """The specific causes, so a long embed title in an interaction callback (an anyOf of seven
    callback shapes) is reported as that, not as "not valid under any of the given schemas"."""
    out: list[ValidationError] = []
    for error in errors:
        if not error.context:
            out.append(error)
            continue
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)

        # The branch the author meant has the fewest shape mismatches (a wrong type or discriminator),
        # then got furthest into the body, then failed least. Without the first criterion, 26 string
        # choices blame every choice's value (in the integer-choices branch) instead of maxItems.
        def rank(branch: list[ValidationError]) -> tuple[int, int, int]:
            return (-_shape_cost(branch), max(_depth(e) for e in branch), -len(branch))

        best = max(branches.values(), key=rank)
        if rank(best)[1] > len(error.absolute_path):
            out.extend(_causes(best))
        else:
            out.append(error)
    return out


# Failures that say only "this is the wrong branch for this value", not "this value breaks a rule".
_SHAPE_VALIDATORS = frozenset({"type", "enum", "const"})
_SIZE_VALIDATORS = frozenset({"maxItems", "minItems", "maxLength", "minLength", "maxProperties", "minProperties"})


def _shape_cost(errors: list[ValidationError]) -> int:
    """How many innermost failures say "wrong shape" (taking the cheapest alternative of each anyOf/oneOf)."""
    cost = 0
    for error in errors:
        if error.context:
            alternatives: dict[Any, list[ValidationError]] = {}
            for sub in error.context:
                alternatives.setdefault(sub.relative_schema_path[0], []).append(sub)
            cost += min(_shape_cost(branch) for branch in alternatives.values())
        elif error.validator in _SHAPE_VALIDATORS:
            cost += 1
    return cost


def _depth(error: ValidationError) -> int:
    """How deep into the body the innermost failure of error lies."""
    return max([len(error.absolute_path), *(_depth(sub) for sub in error.context)])


def _describe(error: ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "<body>"
    if error.validator in _SIZE_VALIDATORS and isinstance(error.instance, str | list | dict):
        # jsonschema's message repeats the whole value, which a truncation would cut before the point.
        return f"{where}: length {len(error.instance)} breaks {error.validator} {error.validator_value}"
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    return f"{where}: {message}"

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
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[tuple[str, str], Draft202012Validator | None] = {}
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

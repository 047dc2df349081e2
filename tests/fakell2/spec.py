"""Validate LL2-shaped JSON against the vendored, trimmed LL2 2.3.0 OpenAPI document.

The document is OpenAPI 3.0 (``nullable: true``), which JSON Schema does not know: it is converted once, with
each nullable node becoming ``anyOf: [node, {"type": "null"}]``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[1] / "vendor" / "ll2" / "openapi-2.3.0-trimmed.json"
SPEC_URI = "urn:ll2-openapi"
# jsonschema checks "date-time" only when an optional package is installed; this makes the check unconditional.
_FORMATS = FormatChecker()


@_FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None and "T" in value


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value) for key, value in node.items() if key not in ("nullable", "discriminator")}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _registry() -> tuple[dict[str, Any], Registry[Any]]:
    spec = _convert(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    return spec, Registry().with_resource(SPEC_URI, resource)


@cache
def validator(schema_name: str) -> Draft202012Validator:
    """A validator for one component schema, e.g. ``PaginatedLaunchNormalList``."""
    spec, registry = _registry()
    if schema_name not in spec["components"]["schemas"]:
        raise KeyError(schema_name)
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=_FORMATS,
    )


def errors(schema_name: str, instance: Any) -> list[str]:
    """Every validation error as ``path: message`` (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in validator(schema_name).iter_errors(instance)
    ]


# Query parameters every list accepts although the document lists them only in prose (its "Modes" section).
_UNDECLARED_OK = {"mode": {"list", "normal", "detailed"}, "format": {"json", "api"}}


@cache
def _query_parameters(path: str) -> dict[str, dict[str, Any]]:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    operation = spec["paths"][path]["get"]
    return {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}


def _value_error(schema: dict[str, Any], value: str) -> str | None:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "array":  # form style, explode false: comma-separated
        items = value.split(",")
        return next((e for item in items if (e := _value_error(schema["items"], item)) is not None), None)
    try:
        if kind == "integer":
            int(value)
        elif kind == "number":
            float(value)
        elif (kind == "boolean" and value.lower() not in ("true", "false")) or (
            fmt == "date-time" and not _is_datetime(value)
        ):
            raise ValueError(value)
        elif fmt == "uuid":
            uuid.UUID(value)
    except ValueError:
        return f"{value!r} is not a valid {fmt or kind}"
    return None


def query_errors(path: str, query: Mapping[str, str]) -> list[str]:
    """Why a GET query does not fit the document's parameters for ``path`` (e.g. ``/2.3.0/launches/upcoming/``).

    An undeclared parameter is an error: LL2 (Django REST framework) would silently ignore it and answer the
    whole unfiltered list, which is exactly the mistake a test must catch.
    """
    declared = _query_parameters(path)
    found = []
    for name, value in query.items():
        if name in _UNDECLARED_OK:
            if value not in _UNDECLARED_OK[name]:
                found.append(f"{name}: {value!r} is not one of {sorted(_UNDECLARED_OK[name])}")
        elif name not in declared:
            found.append(f"{name}: not a parameter of {path}")
        elif (error := _value_error(declared[name], value)) is not None:
            found.append(f"{name}: {error}")
    return found
